"""The scans a data stage reads (data/blob_grid.py, blob_tile.py, spec_tile.py): a folder of PNG pages in
natural order, refused when it holds what one of those stages wrote (grid previews, tiles) instead, and
held against the DPI the command gives.

The grid previews of blob_grid.py and spec_tile.py are known by their record (`grid.json` says which stage
wrote them), or, where there is none (the original's previews, a copy), by their red grid lines: pure red
lines across a good part of the page, both ways, which a scan of ink on paper does not have.
"""
import logging

import numpy as np
from PIL import Image

from drawing.errors import UserError
from drawing.files import list_images
from drawing.folders import record_path, require_complete
from drawing.images import SCAN_DPIS, open_image, recorded_dpi, to_array

log = logging.getLogger(__name__)

# What the stages that read scans write, by the stage a folder's record names: given as scans, refused.
WRITTEN_FROM_SCANS = {"blob_grid.py": "grid previews", "spec_tile.py": "tiles or grid previews",
                      "blob_tile.py": "tiles"}
# A preview's grid: lines of pure red (blob_grid.py's GRID_COLOUR, spec.py's RED) across at least this share
# of the page's width, and others across as much of its height.
GRID_RED = (255, 0, 0)
GRID_LINE_SHARE = 0.25
ROWS_PER_CHUNK = 1024   # the red mask is made a band of rows at a time, so a large page needs little more memory


def list_scans(folder, what="scans folder"):
    """The PNG scans of `folder` (drawing.files.list_images); a UserError where its record says that a stage of
    this project wrote it from scans (grid previews, tiles), naming the folder of scans it came from."""
    record = require_complete(folder, what) or {}
    stage = record.get("stage")
    if stage in WRITTEN_FROM_SCANS:
        source = f", e.g. {record['source']}, which they were made from" if record.get("source") else ""
        raise UserError(f"{folder}: holds the {WRITTEN_FROM_SCANS[stage]} {stage} wrote ({record_path(folder).name} "
                        f"says so), not scans: give the folder of scans{source}")
    return list_images(folder, what=what)


def has_grid_lines(pixels):
    """Whether an RGB page carries a preview's red grid: pure red lines across GRID_LINE_SHARE of it both ways."""
    height, width = pixels.shape[:2]
    across, down = np.zeros(height, np.int64), np.zeros(width, np.int64)
    for top in range(0, height, ROWS_PER_CHUNK):
        band = pixels[top:top + ROWS_PER_CHUNK]
        red = np.all(band == np.array(GRID_RED, np.uint8), axis=2)
        across[top:top + len(band)] = red.sum(axis=1)
        down += red.sum(axis=0)
    return across.max() >= GRID_LINE_SHARE * width and down.max() >= GRID_LINE_SHARE * height


def refuse_grid_previews(folder, scans):
    """A UserError naming `folder` where its first scan has a preview's red grid lines (decoding that one page;
    one that cannot be decoded is left to the stage, which reports it with the others)."""
    try:
        pixels = to_array(open_image(scans[0]), "RGB")
    except UserError:
        return
    if has_grid_lines(pixels):
        raise UserError(f"{folder}: holds grid previews ({scans[0].name} has their red grid lines, as blob_grid.py "
                        "and spec_tile.py draw them), not scans: give the folder of scans")


def header_dpi(path):
    """The DPI a PNG records, from its header alone; None where it records none or cannot be read."""
    try:
        with Image.open(path) as image:
            return recorded_dpi(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def warn_of_other_dpi(scans, dpi, tile_resolution=None):
    """One warning naming the scans whose PNGs record another DPI than `dpi` (the command's, or the one
    `tile_resolution` implies) and both DPIs; only a recorded 300, 600 or 1200 counts (72 or none says nothing)."""
    recorded = {}
    for scan in scans:
        found = header_dpi(scan)
        if found in SCAN_DPIS and found != dpi:
            recorded.setdefault(found, []).append(scan)
    if not recorded:
        return
    clauses = []
    for value, paths in sorted(recorded.items()):
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        clauses.append(f"{paths[0]}{more} record{'s' if len(paths) == 1 else ''} {value} DPI")
    if tile_resolution:
        given = f"{tile_resolution} px tiles are made from {dpi} DPI scans"
        advice = "give the resolution that goes with the scans' DPI: 256 for 300 DPI, 512 for 600, 1024 for 1200"
    else:
        given = f"{dpi} DPI was given"
        advice = "give the scans' own DPI"
    log.warning(f"{', '.join(clauses)}, but {given}; {advice}")
