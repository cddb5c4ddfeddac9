"""Cut square tiles out of blob scans, each at a random angle and mirrored half of the time.

    cd data
    python blob_tile.py scans 300 256 --dir_out=tile --rows=12 --cols=18 --steps=4 --seed=0

Tile centres lie on a lattice inside each page's grid (exactly the grid blob_grid.py draws: --rows x --cols
units, its top-left corner where adjustment.json puts it, or centred on the page where there is no
adjustment.json), inset by the radius a tile needs to turn freely, r = resolution/sqrt(2) px. The lattice
is the original's, so a page gives the original's tiles at the original's places: along each axis the centres are
the whole pixels

    floor(start + r), then every unit // steps px, while below floor(start + units * unit - r)

(start: the grid's left or top edge in page pixels; unit = 256 px at 300 DPI), rows of them times
columns per page, numbered row by row. So more --steps means more, more overlapping tiles, and as the
edges are rounded to whole pixels, two pages whose grids start at different fractions of a pixel may
give one row or column of tiles apart. Each tile turns by a random angle
about its centre, is mirrored with probability 1/2, and is cut at the scan's own pixel size (a 256 px
tile covers 256 px of the page). The angles and mirrorings of page p come from (--seed, p) alone, so
a run is reproducible whatever the number of cores. --resample says how a turned tile samples the page:
`bilinear` (the default) interpolates, so lines stay smooth at every angle; `nearest` takes the nearest
page pixel, as the original does: its stair-stepped look, only the scan's own colours, and files no
bigger than the original's (docs/performance.md shows a tile both ways, and what each costs).

Output: `<dir_out>/<page>/<n>.png`, page = the scan's position in natural order (as in adjustment.json),
n = 0, 1, ... row by row; and beside the folder `<dir_out>.json` (e.g. tile.json) with the options, the
seed, the pages (scan, grid corner, tile count) and "complete": true once every tile is written. Tiles
are written atomically, so after an interruption the same command finishes the job, skipping the tiles
that exist. Other options into a folder holding tiles are refused (drawing/folders.py's rerun rule); a
page whose grid corner moved since its tiles were cut is refused too, naming the page folder to remove
so that the rerun recuts just that page. Each page is decoded once, and its workers share it: no process
holds more than one page (0.76 GB at 1200 DPI), and there are no more workers than the memory holds.
"""
import argparse
from dataclasses import asdict
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_int, positive_int, run
from drawing.data.blob import ADJUSTMENT_FILE, DEFAULT_COLS, DEFAULT_ROWS, check_dpi, grid_unit, load_adjustment
from drawing.data.blob_pages import check_same_pages, cut_pages, describe_old_resampling, inspect_pages, page_entry
from drawing.data.blob_tiles import RESAMPLING, Cutting, check_resolution, check_room
from drawing.data.scans import list_scans, warn_of_other_dpi
from drawing.errors import UserError
from drawing.folders import command_line, open_output_folder, write_record


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of blob scans (RGB PNG), e.g. scans")
    parser.add_argument("dpi", type=int, help="resolution the pages were scanned at: 300, 600 or 1200, e.g. 300")
    parser.add_argument("resolution", type=int,
                        help="tile size in pixels, a power of 2 from 4 to 1024, e.g. 256")
    parser.add_argument("--dir_out", default="tile",
                        help="folder for the tiles, e.g. tile (default: %(default)s)")
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS, help="grid rows, e.g. 12 (default: %(default)s)")
    parser.add_argument("--cols", "--columns", dest="cols", type=positive_int, default=DEFAULT_COLS,
                        help="grid columns, e.g. 18 (default: %(default)s)")
    parser.add_argument("--steps", type=positive_int, default=2,
                        help="tile centres per grid unit along each axis; more steps, more overlap, "
                             "e.g. 16 (default: %(default)s)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the angles and mirrorings, e.g. 7 (default: %(default)s)")
    parser.add_argument("--resample", choices=sorted(RESAMPLING), default="bilinear",
                        help="how a turned tile samples the page: bilinear interpolates (smooth lines), nearest "
                             "takes the nearest page pixel as the original does (its look, files no bigger than "
                             "its); e.g. --resample=nearest (default: %(default)s)")
    parser.add_argument("--adjustment", default=ADJUSTMENT_FILE,
                        help="each scan's grid corner, as blob_grid.py writes it, e.g. ../adjustment.json "
                             "(default: %(default)s in the current folder; every grid centred if absent)")
    options = parser.parse_args()
    check_dpi(options.dpi)
    check_resolution(options.resolution)
    cutting = Cutting(options.dpi, options.resolution, options.rows, options.cols, options.steps, options.seed,
                      options.resample)
    check_room(cutting.rows, cutting.cols, grid_unit(cutting.dpi), cutting.steps, cutting.resolution)

    scans = list_scans(options.dir_in)
    warn_of_other_dpi(scans, options.dpi)
    if Path(options.adjustment).exists():
        corners = load_adjustment(options.adjustment, len(scans))
    else:
        print(f"no {options.adjustment}: every page's grid is centred (blob_grid.py writes one to adjust)")
        corners = [None] * len(scans)
    dir_out = Path(options.dir_out)
    pages, failures = inspect_pages(scans, corners, cutting, dir_out)
    settings = {"source": Path(options.dir_in), **asdict(cutting)}
    describe_old_resampling(dir_out)
    previous = open_output_folder(dir_out, "blob_tile.py", inputs=[options.dir_in], settings=settings)
    check_same_pages(dir_out, previous, pages)
    tile_total = sum(page.tiles for page in pages)
    record = {"stage": "blob_tile.py", "command": command_line(), **settings, "tiles": tile_total,
              "pages": [page_entry(page) for page in pages]}
    write_record(dir_out, record, complete=False)
    cut_pages(pages, cutting)

    counts = sorted({page.tiles for page in pages})
    per_page = " or ".join(map(str, counts)) if counts else "0"
    print(f"{tile_total} tiles ({len(pages)} pages x {per_page}) in {dir_out}, seed {cutting.seed}")
    if failures:
        raise UserError(f"{len(failures)} of {len(scans)} pages could not be cut, the rest are done: "
                        + "; ".join(failures))
    write_record(dir_out, record, complete=True)


if __name__ == "__main__":
    run(main)
