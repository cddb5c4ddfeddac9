"""The pages of a blob_tile.py run: each scan checked and placed without decoding it, its record entry, and
its tiles cut on every core, written atomically as `<dir_out>/<page index>/<n>.png` so that a rerun
finishes an interrupted run, skipping the tiles that exist.

Memory: a page is decoded once, by the parent, into one array (0.76 GB for a 1200 DPI page of 16 x 11 in);
the workers that cut it are forked after, and read it without copying it; the next page is decoded when
the last tile of this one is written. So no process holds more than one page, and the machine holds one
page plus what each worker needs of its own (`worker_count`).
"""
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from drawing.data.blob import Grid, centred_corner, check_grid_fits, grid_unit, page_grid
from drawing.data.blob_tiles import cut_tile, tile_centres, tile_poses, tiles_per_page
from drawing.errors import UserError
from drawing.folders import holds_files, read_record, record_path, write_record
from drawing.images import (
    FAST_PNG,
    check_declared_size,
    check_scan_mode,
    image_errors,
    read_scan_pixels,
    write_png,
)
from drawing.parallel import default_workers, parallel_map, progress_bar

log = logging.getLogger(__name__)

CHUNK_TILES = 512  # tiles of 256 px a job; fewer of larger tiles
# What a worker holds of its own besides the page it shares: the interpreter with numpy, OpenCV and PIL
# (about 110 MB), and a tile being cut and encoded (1024 px: about 30 MB).
WORKER_BYTES = 200 * 2 ** 20


@dataclass(frozen=True)
class Page:
    index: int
    scan: Path
    folder: Path
    grid: Grid
    tiles: int
    size: tuple  # (height, width) in pixels


def worker_count(cores, memory_bytes, page_bytes, worker_bytes):
    """How many workers cut a page at once: one per core, as many as the memory holds, at least one.

    The page is held once, by the parent, and its workers read it (forked, they share its memory); each
    worker needs `worker_bytes` of its own besides. A 24 GB machine with 16 cores thus never starts 16
    workers of 2.5 GB each: 9 of them fit beside a 0.76 GB page.
    """
    return int(max(1, min(cores, (memory_bytes - page_bytes) // worker_bytes)))


def memory_available():
    """Bytes of memory this machine can give without swapping (MemAvailable), or all of it where that is
    not known."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def chunk_tiles(resolution, missing, workers):
    """Tiles per job: about the pixels of CHUNK_TILES tiles of 256 px, and small enough that a page's
    jobs keep every worker busy to its end (four jobs a worker at least)."""
    by_pixels = max(1, CHUNK_TILES * 256 ** 2 // resolution ** 2)
    return max(1, min(by_pixels, math.ceil(missing / (4 * workers))))


def missing_tiles(page):
    """The numbers of the page's tiles not written yet, in order."""
    written = set(os.listdir(page.folder))
    return [n for n in range(page.tiles) if f"{n}.png" not in written]


def decode_page(scan):
    """The page's pixels, decoded once for all its workers."""
    return read_scan_pixels(scan)


# The page being cut, as the parent decoded it; its forked workers read it from here (copy on write, and
# they never write to it: each page is held once, however many workers cut it).
_page_being_cut = None


def cut_chunk(task):
    """Worker: cut and write the tiles numbered in `task` from the page being cut; how many."""
    cutting, page, numbers = task
    centres = tile_centres(page.grid, cutting.steps, cutting.resolution)
    angles, mirrored = tile_poses(cutting.seed, page.index, len(centres))
    for n in numbers:
        tile = cut_tile(_page_being_cut, centres[n], angles[n], mirrored[n], cutting.resolution, cutting.resample)
        write_png(page.folder / f"{n}.png", tile, **FAST_PNG)
    return len(numbers)


def cut_pages(pages, cutting, workers=None):
    """Cut and write every tile of `pages` not written yet, page by page: the parent decodes a page (only
    where tiles are missing), then `workers` forked processes (by default as many as cores and memory
    allow) cut its tiles from views of it."""
    global _page_being_cut
    if workers is None:
        largest = max((3 * height * width for height, width in (page.size for page in pages)), default=0)
        workers = worker_count(default_workers(), memory_available(), largest, WORKER_BYTES)
    with progress_bar(sum(page.tiles for page in pages), "tiles", "tile") as bar:
        for page in pages:
            page.folder.mkdir(exist_ok=True)
            missing = missing_tiles(page)
            bar.update(page.tiles - len(missing))
            if not missing:
                continue
            _page_being_cut = decode_page(page.scan)
            try:
                size = chunk_tiles(cutting.resolution, len(missing), workers)
                tasks = [(cutting, page, missing[start:start + size]) for start in range(0, len(missing), size)]
                parallel_map(cut_chunk, tasks, desc="tiles", unit="tile", workers=workers, advance=lambda count: count,
                             bar=bar, describe=lambda task: str(task[1].scan))
            finally:
                _page_being_cut = None


def inspect_scan(scan, index, cutting, corner):
    """The scan's grid and (height, width), checked without decoding the pixels: a PNG with intact chunks,
    the grid on the page.

    `corner` is the page's adjustment.json entry, or None to centre the grid (no adjustment.json).
    """
    height, width, mode = png_header(scan)
    check_scan_mode(scan, mode)
    unit = grid_unit(cutting.dpi)
    if corner is None:
        corner = centred_corner(height, width, cutting.rows, cutting.cols, unit)
    grid = page_grid(cutting.rows, cutting.cols, unit, corner)
    check_grid_fits(grid, height, width, scan, index)
    return grid, (height, width)


def png_header(path):
    """(height, width, mode) of a PNG whose chunks all check out (CRC), without decoding its pixels."""
    with image_errors(path, "read"), Image.open(path) as image:
        if image.format != "PNG":
            raise UserError(f"{path}: not a PNG file ({image.format})")
        size, mode = image.size, image.mode
        check_declared_size(*size, path)
        image.verify()
    return size[1], size[0], mode


def describe_old_resampling(dir_out):
    """A record of blob_tile.py written before --resample existed describes interpolated tiles: say so in
    it, so that the rerun rule compares its run with this one setting for setting."""
    record = read_record(dir_out) if Path(dir_out).is_dir() else None
    if record is not None and record.get("stage") == "blob_tile.py" and "resample" not in record:
        write_record(dir_out, {**record, "resample": "bilinear"}, complete=record.get("complete", False))


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
            grid, size = inspect_scan(scan, index, cutting, corners[index])
            pages.append(Page(index, scan, dir_out / str(index), grid,
                              tiles_per_page(grid, cutting.steps, cutting.resolution), size))
        except UserError as problem:
            log.warning(f"{problem}; going on with the other pages")
            failures.append(str(problem))
    return pages, failures
