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
a run is reproducible whatever the number of cores.

Output: `<dir_out>/<page>/<n>.png`, page = the scan's position in natural order (as in adjustment.json),
n = 0, 1, ... row by row; and beside the folder `<dir_out>.json` (e.g. tile.json) with the options, the
seed, the pages (scan, grid corner, tile count) and "complete": true once every tile is written. Tiles
are written atomically, so after an interruption the same command finishes the job, skipping the tiles
that exist. Other options into a folder holding tiles are refused (drawing/folders.py's rerun rule); a
page whose grid corner moved since its tiles were cut is refused too, naming the page folder to remove
so that the rerun recuts just that page. Memory stays at one page per core.
"""
import argparse
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from drawing.cli import non_negative_int, positive_int, run
from drawing.console import warn
from drawing.data.blob import (
    ADJUSTMENT_FILE,
    DEFAULT_COLS,
    DEFAULT_ROWS,
    Grid,
    centred_corner,
    check_dpi,
    check_grid_fits,
    grid_unit,
    load_adjustment,
    page_grid,
)
from drawing.errors import UserError
from drawing.files import list_images
from drawing.folders import command_line, holds_files, open_output_folder, record_path, require_complete, write_record
from drawing.images import (
    FAST_PNG,
    TILE_RESOLUTIONS,
    check_declared_size,
    check_scan_dpi,
    check_scan_mode,
    image_errors,
    open_image,
    to_array,
    write_png,
)
from drawing.parallel import parallel_map

CHUNK_TILES = 512


@dataclass(frozen=True)
class Cutting:
    """Everything that decides which tiles a page gives; recorded beside the tile folder."""
    dpi: int
    resolution: int
    rows: int
    cols: int
    steps: int
    seed: int


def check_resolution(resolution):
    if resolution not in TILE_RESOLUTIONS:
        raise UserError(f"resolution {resolution} is not allowed; use a power of 2 from 4 to 1024 "
                        f"({', '.join(map(str, TILE_RESOLUTIONS))})")
    return resolution


def tile_radius(resolution):
    """Half the diagonal: the distance from the centre a tile reaches at any angle."""
    return resolution / math.sqrt(2)


def check_room(rows, cols, unit, steps, resolution):
    """Refuse a grid too small for a turning tile, and more --steps than a unit has pixels."""
    if min(rows, cols) * unit < 2 * tile_radius(resolution):
        raise UserError(f"a {rows} x {cols} grid of {unit} px units has no room for a {resolution} px tile at "
                        f"every angle ({tile_radius(resolution) * 2:.0f} px); use more --rows/--cols or a lower "
                        "resolution")
    if unit // steps == 0:
        raise UserError(f"--steps {steps}: at most {unit}, the pixels of a grid unit at this DPI")


def axis_centres(start, units, unit, steps, resolution):
    """The tile centres along one axis of a grid starting at `start` px, the original's way: whole pixels from
    floor(start + r), every unit // steps px, below floor(start + units * unit - r) (r: the tile's radius)."""
    radius = tile_radius(resolution)
    first, end = math.floor(start + radius), math.floor(start + units * unit - radius)
    return np.arange(first, end, unit // steps).astype(float)


def tile_centres(grid, steps, resolution):
    """(x, y) page coordinates of every tile centre, row by row (the original's order and places)."""
    xs = axis_centres(grid.left, grid.cols, grid.unit, steps, resolution)
    ys = axis_centres(grid.top, grid.rows, grid.unit, steps, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def tiles_per_page(grid, steps, resolution):
    return len(tile_centres(grid, steps, resolution))


def tile_poses(seed, page_index, count):
    """Each tile's angle in degrees, uniform in [0, 360), and whether it is mirrored (probability 1/2)."""
    rng = np.random.default_rng([seed, page_index])
    return rng.uniform(0.0, 360.0, count), rng.random(count) < 0.5


def tile_transform(centre, angle, mirrored, resolution):
    """The 2 x 3 map from tile pixel (u, v) to page pixel, for cv2.warpAffine's WARP_INVERSE_MAP.

    Pixel i spans [i, i + 1) on both page and tile; cv2 samples at pixel centres, hence the halves.
    With angle 0 and no mirroring a tile centred on whole-pixel corners is an exact crop.
    """
    radians = math.radians(angle)
    cos, sin = math.cos(radians), math.sin(radians)
    flip = -1.0 if mirrored else 1.0
    linear = np.array([[cos * flip, -sin], [sin * flip, cos]])
    offset = np.asarray(centre, dtype=float) - 0.5 + linear @ np.full(2, 0.5 - resolution / 2)
    return np.hstack([linear, offset[:, None]])


def cut_tile(page, centre, angle, mirrored, resolution):
    """One resolution x resolution tile of `page`, turned by `angle` about `centre`, maybe mirrored."""
    reach = math.ceil(tile_radius(resolution)) + 2
    x0 = max(int(centre[0]) - reach, 0)
    y0 = max(int(centre[1]) - reach, 0)
    region = page[y0:int(centre[1]) + reach + 1, x0:int(centre[0]) + reach + 1]
    transform = tile_transform(centre, angle, mirrored, resolution)
    transform[:, 2] -= (x0, y0)
    return cv2.warpAffine(region, transform, (resolution, resolution),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)


@dataclass(frozen=True)
class Page:
    index: int
    scan: Path
    folder: Path
    grid: Grid
    tiles: int


_cached_page = {}


def page_pixels(scan):
    """The scan's pixels, decoded once per worker while its chunks come in (one page held per core)."""
    if scan not in _cached_page:
        _cached_page.clear()
        _cached_page[scan] = to_array(open_image(scan), "RGB")
    return _cached_page[scan]


def cut_chunk(task):
    """Write tiles start..stop-1 of a page, skipping those already written; the number of tiles covered."""
    cutting, page, start, stop = task
    missing = [n for n in range(start, stop) if not (page.folder / f"{n}.png").exists()]
    if missing:
        pixels = page_pixels(page.scan)
        centres = tile_centres(page.grid, cutting.steps, cutting.resolution)
        angles, mirrored = tile_poses(cutting.seed, page.index, len(centres))
        for n in missing:
            tile = cut_tile(pixels, centres[n], angles[n], mirrored[n], cutting.resolution)
            write_png(page.folder / f"{n}.png", tile, **FAST_PNG)
    return stop - start


def inspect_scan(scan, index, cutting, corner):
    """The scan's grid, checked without decoding the pixels: a PNG with intact chunks, the grid on the page.

    `corner` is the page's adjustment.json entry, or None to centre the grid (no adjustment.json).
    """
    height, width, mode = png_header(scan, cutting.dpi)
    check_scan_mode(scan, mode)
    unit = grid_unit(cutting.dpi)
    if corner is None:
        corner = centred_corner(height, width, cutting.rows, cutting.cols, unit)
    grid = page_grid(cutting.rows, cutting.cols, unit, corner)
    check_grid_fits(grid, height, width, scan, index)
    return grid


def png_header(path, dpi):
    """(height, width, mode) of a PNG whose chunks all check out (CRC), without decoding its pixels;
    a warning where the header records fewer DPI than `dpi`."""
    with image_errors(path, "read"), Image.open(path) as image:
        if image.format != "PNG":
            raise UserError(f"{path}: not a PNG file ({image.format})")
        size, mode = image.size, image.mode
        check_declared_size(*size, path)
        check_scan_dpi(path, image, dpi)
        image.verify()
    return size[1], size[0], mode


def page_entry(page):
    """A page as tile.json records it: which scan, where its grid is (in units) and how many tiles it gives."""
    return {"index": page.index, "scan": page.scan.name,
            "corner": [page.grid.left / page.grid.unit, page.grid.top / page.grid.unit], "tiles": page.tiles}


def check_same_pages(dir_out, previous, pages):
    """Refuse a page whose tiles on disk were cut from another scan or grid corner (adjustment.json was
    re-tuned): its folder is the user's to remove, and the rerun then cuts it afresh, the others kept."""
    earlier = {entry.get("index"): entry for entry in previous.get("pages", [])}
    for page in pages:
        before, now = earlier.get(page.index), page_entry(page)
        if before is None or before == now or not holds_files(page.folder):
            continue
        corner = before.get("corner") or [math.nan, math.nan]
        raise UserError(f"{page.folder}: page {page.index}'s tiles were cut from {before.get('scan')} with the grid "
                        f"corner at x={corner[0]:g}, y={corner[1]:g} ({record_path(dir_out).name}); it is now "
                        f"{now['scan']} at x={now['corner'][0]:g}, y={now['corner'][1]:g}. To recut that page, "
                        f"remove the folder {page.folder} yourself and rerun (the other pages are kept), or "
                        "choose another --dir_out")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    parser.add_argument("--adjustment", default=ADJUSTMENT_FILE,
                        help="each scan's grid corner, as blob_grid.py writes it, e.g. ../adjustment.json "
                             "(default: %(default)s in the current folder; every grid centred if absent)")
    options = parser.parse_args()
    check_dpi(options.dpi)
    check_resolution(options.resolution)
    cutting = Cutting(options.dpi, options.resolution, options.rows, options.cols, options.steps, options.seed)
    check_room(cutting.rows, cutting.cols, grid_unit(cutting.dpi), cutting.steps, cutting.resolution)

    require_complete(options.dir_in, "scans folder")
    scans = list_images(options.dir_in, what="scans folder")
    if Path(options.adjustment).exists():
        corners = load_adjustment(options.adjustment, len(scans))
    else:
        print(f"no {options.adjustment}: every page's grid is centred (blob_grid.py writes one to adjust)")
        corners = [None] * len(scans)
    dir_out = Path(options.dir_out)
    pages, failures = [], []
    for index, scan in enumerate(scans):
        try:
            grid = inspect_scan(scan, index, cutting, corners[index])
            pages.append(Page(index, scan, dir_out / str(index), grid,
                              tiles_per_page(grid, cutting.steps, cutting.resolution)))
        except UserError as problem:
            warn(f"{problem}; going on with the other pages")
            failures.append(str(problem))
    settings = {"source": Path(options.dir_in), **asdict(cutting)}
    previous = open_output_folder(dir_out, "blob_tile.py", inputs=[options.dir_in], settings=settings)
    check_same_pages(dir_out, previous, pages)
    tile_total = sum(page.tiles for page in pages)
    record = {"stage": "blob_tile.py", "command": command_line(), **settings, "tiles": tile_total,
              "pages": [page_entry(page) for page in pages]}
    write_record(dir_out, record, complete=False)
    tasks = [(cutting, page, start, min(start + CHUNK_TILES, page.tiles))
             for page in pages for start in range(0, page.tiles, CHUNK_TILES)]
    for page in pages:
        page.folder.mkdir(exist_ok=True)
    parallel_map(cut_chunk, tasks, desc="tiles", unit="tile", advance=lambda covered: covered,
                 total=tile_total, describe=lambda task: str(task[1].scan))

    counts = sorted({page.tiles for page in pages})
    per_page = " or ".join(map(str, counts)) if counts else "0"
    print(f"{tile_total} tiles ({len(pages)} pages x {per_page}) in {dir_out}, seed {cutting.seed}")
    if failures:
        raise UserError(f"{len(failures)} of {len(scans)} pages could not be cut, the rest are done: "
                        + "; ".join(failures))
    write_record(dir_out, record, complete=True)


if __name__ == "__main__":
    run(main)
