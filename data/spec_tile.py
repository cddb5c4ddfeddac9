"""Cut each specimen of each spec scan into a square tile, and show the grid it found on a copy of the page.

A spec page holds specimens roughly arranged on a grid: the grid may be crooked, but a straight
vertical line separates any two adjacent columns, and a straight horizontal line any two adjacent rows.
For every scan in <dir_in> (RGB PNG at 300, 600 or 1200 DPI):

1. crop away the dark scanner bed around the paper;
2. find the ink, and drop specks of dust (ink blobs too small to be a drawing);
3. find the columns of specimens: the stretches of the paper's width that drawings cover, separated
   by lines halfway between adjacent stretches; likewise the rows;
4. in each cell, fit a box to the ink; cut a square of 1.5 x <resolution> scan pixels centred on that
   box (the neighbouring cells blanked to paper), and shrink it to <resolution> x <resolution>;
   empty cells are skipped;
5. write the tiles as <dir_out>/p<page>/p<page>_t<NN>.png (NN counts the page's tiles from 00, column by
   column, the left column top to bottom, as the original numbers them) and a
   copy of the page at 150 DPI with the grid and the tile squares drawn in red as
   <dir_out_grid>/<scan name>.

<resolution> also says the scan's DPI: 256 px tiles come from 300 DPI scans, 512 from 600, 1024 from
1200. The search for specimens runs on the page shrunk to 300 DPI, so its thresholds, given at 300 DPI,
scale with resolution/256. A page that cannot be read or where no specimen is found is reported, the
other pages are still tiled, and the script exits non-zero at the end. Running it again on the same
scans replaces its own earlier output (other scans or another resolution into folders holding tiles or
previews are refused, drawing/folders.py's rerun rule). A tile whose content changes takes the
spec_rotateflip.py variants made from it beside it (`<tile>_rf<F><R>.png`) along, and so does a tile
no longer found: variants always belong to the tiles there are. An unchanged tile is not rewritten.

Example:
    cd data
    python spec_tile.py scans 256 --dir_out=tile --dir_out_grid=grid
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.data.scans import list_scans, refuse_grid_previews, warn_of_other_dpi
from drawing.data.spec import check_resolution, scan_dpi
from drawing.data.spec_tiles import tile_scans
from drawing.folders import check_not_overlapping, command_line, open_output_folder, write_record
from drawing.parallel import report_failures


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of spec scans (RGB PNG at 300, 600 or 1200 DPI), e.g. scans")
    parser.add_argument("resolution", type=int,
                        help="tile size in pixels: 256 for 300 DPI scans, 512 for 600, 1024 for 1200; e.g. 256")
    parser.add_argument("--dir_out", default="tile",
                        help="folder for the tiles, one sub-folder per page (default: %(default)s), e.g. --dir_out=tile")
    parser.add_argument("--dir_out_grid", default="grid",
                        help="folder for the pages with the detected grid drawn in red "
                             "(default: %(default)s), e.g. --dir_out_grid=grid")
    args = parser.parse_args()
    check_resolution(args.resolution)

    scans = list_scans(args.dir_in, what="scan folder")
    refuse_grid_previews(args.dir_in, scans)
    warn_of_other_dpi(scans, scan_dpi(args.resolution), tile_resolution=args.resolution)
    check_not_overlapping(args.dir_out_grid, [args.dir_out], option="--dir_out_grid")
    settings = {"source": Path(args.dir_in), "resolution": args.resolution}
    open_output_folder(args.dir_out, "spec_tile.py", inputs=[args.dir_in], settings=settings)
    open_output_folder(args.dir_out_grid, "spec_tile.py", inputs=[args.dir_in], option="--dir_out_grid",
                       settings=settings)
    dir_out, dir_out_grid = Path(args.dir_out), Path(args.dir_out_grid)
    record = {"stage": "spec_tile.py", "command": command_line(), **settings}
    for folder in (dir_out, dir_out_grid):
        write_record(folder, record, complete=False)

    results = tile_scans(scans, dir_out, dir_out_grid, args.resolution)
    tile_counts = [count for count in results if isinstance(count, int)]
    print(f"wrote {sum(tile_counts)} tiles of {args.resolution} px from {len(tile_counts)} pages to {dir_out}; "
          f"grid previews in {dir_out_grid}")
    report_failures(results, what="page")
    for folder in (dir_out, dir_out_grid):
        write_record(folder, record, complete=True)


if __name__ == "__main__":
    run(main)
