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

import cv2

from drawing.cli import positive_int, run
from drawing.console import warn
from drawing.data.blob import (
    ADJUSTMENT_FILE,
    DEFAULT_COLS,
    DEFAULT_ROWS,
    centred_adjustment,
    check_dpi,
    check_grid_fits,
    grid_unit,
    load_adjustment,
    page_grid,
    write_adjustment,
)
from drawing.errors import UserError
from drawing.files import list_images
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.images import image_size, read_scan, write_png
from drawing.parallel import parallel_map, report_failures

GRID_COLOUR = (255, 0, 0)


def line_width(dpi):
    """Grid lines 1/100 inch wide: visible on a whole-page preview, thin next to a 256/300 inch cell."""
    return max(1, round(dpi / 100))


def draw_grid(page, grid, width, label=""):
    """A copy of the RGB `page` with the grid's lines (and `label`, top-left) drawn in red."""
    preview = page.copy()
    top, bottom = round(grid.top), round(grid.top + grid.height)
    left, right = round(grid.left), round(grid.left + grid.width)
    half = width // 2
    for column in range(grid.cols + 1):
        x = round(grid.left + column * grid.unit)
        preview[max(top - half, 0):max(bottom + width - half, 0),
                max(x - half, 0):max(x + width - half, 0)] = GRID_COLOUR
    for row in range(grid.rows + 1):
        y = round(grid.top + row * grid.unit)
        preview[max(y - half, 0):max(y + width - half, 0),
                max(left - half, 0):max(right + width - half, 0)] = GRID_COLOUR
    if label:
        scale, thickness = 1.5 * grid.unit / 256, max(1, round(3 * grid.unit / 256))
        (text_width, text_height), baseline = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        margin = text_height // 2
        preview[:text_height + baseline + 2 * margin, :text_width + 2 * margin] = 255
        cv2.putText(preview, label, (margin, margin + text_height), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, GRID_COLOUR, thickness, cv2.LINE_AA)
    return preview


def corner_label(index, corner):
    return f"index {index}  x={corner[0]:g} y={corner[1]:g}"


def preview_scan(job):
    """Read one scan, draw its grid, write the preview; warn if the grid runs off the page."""
    index, scan, corner, options, destination = job
    page = read_scan(scan)
    grid = page_grid(options.rows, options.cols, grid_unit(options.dpi), corner)
    try:
        check_grid_fits(grid, *page.shape[:2], scan, index)
    except UserError as problem:
        warn(f"{problem} (blob_tile.py will refuse this page)")
    write_png(destination, draw_grid(page, grid, line_width(options.dpi), corner_label(index, corner)))
    return destination


def create_adjustment(path, scans, options):
    """Write a new adjustment.json placing every page's grid in its centre (read from the headers only)."""
    sizes = [image_size(scan) for scan in scans]
    write_adjustment(path, centred_adjustment(sizes, options.rows, options.cols, grid_unit(options.dpi)))
    print(f"wrote {path} with every page's grid centred, for {len(scans)} scans; "
          "edit a page's x/y (grid units from the page's top-left corner) to move its grid")


def select_scans(scans, index):
    """All (index, scan) pairs, or the one that --index names (0 is the first scan, not 'all')."""
    if index is None:
        return list(enumerate(scans))
    if not 0 <= index < len(scans):
        raise UserError(f"--index {index} is out of range: there are {len(scans)} scans (0 to {len(scans) - 1})")
    return [(index, scans[index])]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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

    require_complete(options.dir_in, "scans folder")
    scans = list_images(options.dir_in, what="scans folder")
    selected = select_scans(scans, options.index)
    settings = {"source": Path(options.dir_in), "dpi": options.dpi, "rows": options.rows, "cols": options.cols,
                "adjustment": Path(options.adjustment)}
    open_output_folder(options.dir_out, "blob_grid.py", inputs=[options.dir_in], settings=settings)
    dir_out = Path(options.dir_out)
    if not Path(options.adjustment).exists():
        create_adjustment(options.adjustment, scans, options)
    corners = load_adjustment(options.adjustment, len(scans))
    record = {"stage": "blob_grid.py", "command": command_line(), **settings}
    write_record(dir_out, record, complete=False)
    jobs = [(index, scan, corners[index], options, dir_out / scan.name) for index, scan in selected]
    results = parallel_map(preview_scan, jobs, desc="grids", unit="page", keep_going=True,
                           describe=lambda job: str(job[1]))
    report_failures(results, "page")
    write_record(dir_out, record, complete=True)
    print(f"{len(jobs)} grid previews in {dir_out}")


if __name__ == "__main__":
    run(main)
