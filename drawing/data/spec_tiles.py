"""A spec scan's tiles and grid preview on disk (data/spec_tile.py): reading the scan, naming its tiles,
and writing them so that a rerun leaves unchanged tiles alone and takes the variants of a replaced or
vanished tile along (variants always belong to the tiles there are).

Tiles are `<dir_out>/p<page>/p<page>_t<NN>.png` (NN counts the page's tiles from 00, column by column, the
left column top to bottom, as the original numbers them); the preview is `<dir_out_grid>/<scan name>`.
"""
import logging
import re
from pathlib import Path

from drawing.data.spec import SQUARE_PER_RESOLUTION, grid_preview, scan_dpi, tile_page
from drawing.data.variants import tile_of_variant
from drawing.errors import UserError
from drawing.files import write_bytes_atomic
from drawing.images import check_scan_mode, encode_png, open_image, to_array, write_png
from drawing.parallel import parallel_map

log = logging.getLogger(__name__)

# A scan whose paper, at the DPI the resolution implies, is outside these sizes (inches) is probably
# at another DPI.
PLAUSIBLE_PAPER_IN = (3, 24)
def read_png_scan(path):
    """A scan as RGB; a UserError for anything that is not a PNG, a warning for a non-RGB one (a DPI the PNG
    records other than the resolution's is said for the folder, drawing.data.scans)."""
    image = open_image(path)
    if image.format != "PNG":
        raise UserError(f"{path}: not a PNG file (it is {image.format}); save scans as PNG")
    check_scan_mode(path, image.mode)
    return to_array(image, "RGB")


def page_name(scan_path):
    return f"p{Path(scan_path).stem}"


def tile_name(page, number, count):
    return f"{page}_t{number:0{max(2, len(str(count)))}d}.png"


def is_tile_output(relative_path):
    """Whether a file under the tile folder is one of this script's tiles."""
    parts = relative_path.parts
    return len(parts) == 2 and re.fullmatch(rf"{re.escape(parts[0])}_t\d+\.png", parts[1]) is not None


def derived_variants(folder, page):
    """{tile name: [its spec_rotateflip.py variants]} in a page folder: the files `<tile>_rf<F><R>.png`."""
    variants = {}
    for path in folder.glob(f"{page}_t*_rf*.png"):
        tile = tile_of_variant(path)
        if tile is not None and re.fullmatch(rf"{re.escape(page)}_t\d+", tile):
            variants.setdefault(f"{tile}.png", []).append(path)
    return variants


def write_page_tiles(folder, name, tiles):
    """Write a page's tiles, leaving unchanged ones alone; remove the tiles of an earlier run that found
    more specimens, and the variants of every tile replaced or removed (they show the old tile)."""
    variants = derived_variants(folder, name) if folder.is_dir() else {}
    written = set()
    for number, tile in enumerate(tiles):
        path = folder / tile_name(name, number, len(tiles))
        data = encode_png(tile)
        written.add(path.name)
        if path.is_file() and path.read_bytes() == data:
            continue
        for variant in variants.get(path.name, []):
            variant.unlink()  # first, so that no interruption leaves a new tile with old variants
        write_bytes_atomic(path, data)
    for stale in folder.glob(f"{name}_t*.png"):
        if is_tile_output(stale.relative_to(folder.parent)) and stale.name not in written:
            stale.unlink()
    for tile, paths in variants.items():
        if tile not in written:
            for variant in paths:
                variant.unlink(missing_ok=True)


def check_paper_size(path, paper, resolution):
    """Warn when the paper's size at the implied DPI looks like a scan at another DPI."""
    dpi = scan_dpi(resolution)
    width_in, height_in = (paper[2] - paper[0]) / dpi, (paper[3] - paper[1]) / dpi
    low, high = PLAUSIBLE_PAPER_IN
    if not (low <= min(width_in, height_in) and max(width_in, height_in) <= high):
        log.warning(f"{path}: the paper measures {width_in:.1f} x {height_in:.1f} in at the {dpi} DPI that "
             f"resolution {resolution} implies; is the scan at another DPI?")


def tile_scan(scan_path, dir_out, dir_out_grid, resolution):
    """Tile one scan and write its tiles and grid preview; returns the number of tiles."""
    page = read_png_scan(scan_path)
    tiles, layout = tile_page(page, resolution)
    if layout.paper is None:
        raise UserError(f"{scan_path}: no paper found; the scan is dark all over")
    check_paper_size(scan_path, layout.paper, resolution)
    write_png(Path(dir_out_grid) / Path(scan_path).name, grid_preview(page, layout, resolution))
    if not tiles:
        raise UserError(f"{scan_path}: no specimen found on the page (see its grid preview in {dir_out_grid})")
    if layout.oversized:
        log.warning(f"{scan_path}: {layout.oversized} specimen(s) larger than the {SQUARE_PER_RESOLUTION:g} x "
             f"{resolution} px square; cut from a larger square so they are whole")

    name = page_name(scan_path)
    write_page_tiles(Path(dir_out) / name, name, tiles)
    return len(tiles)


def _tile_scan_job(job):
    return tile_scan(*job)


def tile_scans(scans, dir_out, dir_out_grid, resolution):
    """Tile every scan on every core; per scan its number of tiles, or the `Failure` that says why not."""
    return parallel_map(_tile_scan_job, [(scan, dir_out, dir_out_grid, resolution) for scan in scans],
                        desc="spec pages", unit="page", keep_going=True, describe=lambda job: f"page {job[0].name}")
