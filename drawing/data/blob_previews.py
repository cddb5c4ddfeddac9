"""Previews of the blob cutting grid (data/blob_grid.py): each scan with its grid drawn in red and its index
and corner written in the top-left corner, to check and adjust where blob_tile.py cuts."""
import logging

import cv2

from drawing.data.blob import centred_adjustment, check_grid_fits, grid_unit, page_grid, write_adjustment
from drawing.errors import UserError
from drawing.images import image_size, read_scan, write_png
from drawing.parallel import parallel_map

log = logging.getLogger(__name__)

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


def preview_scan(index, scan, corner, rows, cols, dpi, destination):
    """Read one scan, draw its grid, write the preview; warn if the grid runs off the page."""
    page = read_scan(scan)
    grid = page_grid(rows, cols, grid_unit(dpi), corner)
    try:
        check_grid_fits(grid, *page.shape[:2], scan, index)
    except UserError as problem:
        log.warning(f"{problem} (blob_tile.py will refuse this page)")
    write_png(destination, draw_grid(page, grid, line_width(dpi), corner_label(index, corner)))
    return destination


def select_scans(scans, index):
    """All (index, scan) pairs, or the one that --index names (0 is the first scan, not 'all')."""
    if index is None:
        return list(enumerate(scans))
    if not 0 <= index < len(scans):
        raise UserError(f"--index {index} is out of range: there are {len(scans)} scans (0 to {len(scans) - 1})")
    return [(index, scans[index])]


def _preview_job(job):
    return preview_scan(*job)


def preview_scans(selected, corners, rows, cols, dpi, dir_out):
    """Write the preview of each selected (index, scan) to `dir_out` under the scan's name, on every core;
    per scan its preview's path, or the `Failure` that says why not."""
    jobs = [(index, scan, corners[index], rows, cols, dpi, dir_out / scan.name) for index, scan in selected]
    return parallel_map(_preview_job, jobs, desc="grids", unit="page", keep_going=True,
                        describe=lambda job: str(job[1]))


def write_centred_adjustment(path, scans, rows, cols, dpi):
    """Write a new adjustment.json placing every page's grid in its centre (read from the headers only)."""
    sizes = [image_size(scan) for scan in scans]
    write_adjustment(path, centred_adjustment(sizes, rows, cols, grid_unit(dpi)))
