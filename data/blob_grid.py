"""Draw the cutting grid on a copy of each blob scan, to check and adjust where blob_tile.py cuts.

    cd data
    python blob_grid.py scans 300 --dir_out=grid --rows=12 --cols=18
    python blob_grid.py scans 300 --dir_out=grid --index=0      # scan 0 alone, after editing adjustment.json

One grid unit is 256/300 inch (256 px at 300 DPI). Each page's grid of --rows x --cols units has its
top-left corner where the page's entry in adjustment.json puts it, `x` units right and `y` units down
from the page's top-left corner (the original's meaning; the format is in drawing/data/blob.py). When there is no
adjustment.json, one is written in the current folder with every page's grid centred (as corner offsets,
e.g. "x": 0.375), and never overwritten after that. Each preview is the scan with the grid drawn in red
and the scan's index and corner written in its top-left corner, saved under the scan's file name in
--dir_out (`grid.json` beside it records the run). blob_tile.py cuts its tiles inside exactly this grid.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, positive_int, run
from drawing.data.blob import ADJUSTMENT_FILE, DEFAULT_COLS, DEFAULT_ROWS, check_dpi, load_adjustment
from drawing.data.blob_previews import preview_scans, select_scans, write_centred_adjustment
from drawing.data.scans import list_scans, refuse_grid_previews, warn_of_other_dpi
from drawing.folders import command_line, open_output_folder, write_record
from drawing.parallel import report_failures


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of blob scans (RGB PNG), e.g. scans")
    parser.add_argument("dpi", type=int, help="resolution the pages were scanned at: 300, 600 or 1200, e.g. 300")
    parser.add_argument("--dir_out", default="grid", help="folder for the previews, e.g. grid (default: %(default)s)")
    parser.add_argument("--index", type=int, default=None,
                        help="preview only the scan at this position, 0 = first scan, e.g. --index=3 (default: all)")
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS, help="grid rows, e.g. 12 (default: %(default)s)")
    parser.add_argument("--cols", "--columns", dest="cols", type=positive_int, default=DEFAULT_COLS,
                        help="grid columns, e.g. 18 (default: %(default)s)")
    parser.add_argument("--adjustment", default=ADJUSTMENT_FILE,
                        help="each scan's grid corner in units, created with centred grids if absent, "
                             "e.g. ../adjustment.json (default: %(default)s in the current folder)")
    options = parser.parse_args()
    check_dpi(options.dpi)

    scans = list_scans(options.dir_in)
    refuse_grid_previews(options.dir_in, scans)
    warn_of_other_dpi(scans, options.dpi)
    selected = select_scans(scans, options.index)
    settings = {"source": Path(options.dir_in), "dpi": options.dpi, "rows": options.rows, "cols": options.cols,
                "adjustment": Path(options.adjustment)}
    open_output_folder(options.dir_out, "blob_grid.py", inputs=[options.dir_in], settings=settings)
    dir_out = Path(options.dir_out)
    if not Path(options.adjustment).exists():
        write_centred_adjustment(options.adjustment, scans, options.rows, options.cols, options.dpi)
        print(f"wrote {options.adjustment} with every page's grid centred, for {len(scans)} scans; "
              "edit a page's x/y (grid units from the page's top-left corner) to move its grid")
    corners = load_adjustment(options.adjustment, len(scans))
    record = {"stage": "blob_grid.py", "command": command_line(), **settings}
    write_record(dir_out, record, complete=False)
    results = preview_scans(selected, corners, options.rows, options.cols, options.dpi, dir_out)
    report_failures(results, "page")
    write_record(dir_out, record, complete=True)
    print(f"{len(selected)} grid previews in {dir_out}")


if __name__ == "__main__":
    run(main)
