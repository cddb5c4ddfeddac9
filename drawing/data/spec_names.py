"""The original's names in a spec tile folder: spec_rotateflip.py writes the variants of a tile `<tile>.png`
as `<tile>_rf<F><R>.png` (mirrored left-right if F, then R + 1 quarter turns counter-clockwise), and
spec_tile.py, which replaces tiles, removes the variants of the tiles it replaces. Both tell a variant
and its tile here."""
import re
from pathlib import Path

VARIANT_SUFFIX = re.compile(r"_rf[01][0-3]$")


def variant_name(tile_path, flip, turns):
    return f"{Path(tile_path).stem}_rf{flip}{turns}.png"


def tile_of_variant(path):
    """The stem of the tile a variant was made from, or None where `path` is not a variant."""
    stem = Path(path).stem
    match = VARIANT_SUFFIX.search(stem)
    return stem[:match.start()] if match else None


def is_variant(path):
    return tile_of_variant(path) is not None
