"""The pages of a blob_tile.py run: each scan checked and placed without decoding it, its record entry, and
its tiles cut on every core, written atomically as `<dir_out>/<page index>/<n>.png` so that a rerun
finishes an interrupted run, skipping the tiles that exist."""
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from drawing.data.blob import Grid, centred_corner, check_grid_fits, grid_unit, page_grid
from drawing.data.blob_tiles import cut_tile, tile_centres, tile_poses, tiles_per_page
from drawing.errors import UserError
from drawing.folders import holds_files, record_path
from drawing.images import (
    FAST_PNG,
    check_declared_size,
    check_scan_mode,
    image_errors,
    open_image,
    to_array,
    write_png,
)
from drawing.parallel import parallel_map

log = logging.getLogger(__name__)

CHUNK_TILES = 512


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
    height, width, mode = png_header(scan)
    check_scan_mode(scan, mode)
    unit = grid_unit(cutting.dpi)
    if corner is None:
        corner = centred_corner(height, width, cutting.rows, cutting.cols, unit)
    grid = page_grid(cutting.rows, cutting.cols, unit, corner)
    check_grid_fits(grid, height, width, scan, index)
    return grid


def png_header(path):
    """(height, width, mode) of a PNG whose chunks all check out (CRC), without decoding its pixels."""
    with image_errors(path, "read"), Image.open(path) as image:
        if image.format != "PNG":
            raise UserError(f"{path}: not a PNG file ({image.format})")
        size, mode = image.size, image.mode
        check_declared_size(*size, path)
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


def inspect_pages(scans, corners, cutting, dir_out):
    """The `Page` of each scan that can be cut, and the problems of those that cannot (each also said as a
    warning as it is found: the other pages are still cut)."""
    pages, failures = [], []
    for index, scan in enumerate(scans):
        try:
            grid = inspect_scan(scan, index, cutting, corners[index])
            pages.append(Page(index, scan, dir_out / str(index), grid,
                              tiles_per_page(grid, cutting.steps, cutting.resolution)))
        except UserError as problem:
            log.warning(f"{problem}; going on with the other pages")
            failures.append(str(problem))
    return pages, failures


def cut_pages(pages, cutting):
    """Cut and write every tile of `pages` that is not there yet, on every core, in chunks of CHUNK_TILES."""
    tasks = [(cutting, page, start, min(start + CHUNK_TILES, page.tiles))
             for page in pages for start in range(0, page.tiles, CHUNK_TILES)]
    for page in pages:
        page.folder.mkdir(exist_ok=True)
    parallel_map(cut_chunk, tasks, desc="tiles", unit="tile", advance=lambda covered: covered,
                 total=sum(page.tiles for page in pages), describe=lambda task: str(task[1].scan))
