"""The eight dihedral variants of a spec tile (data/spec_rotateflip.py makes them), and their names.

Variants are named as the original names them: `<tile>_rf<F><R>.png` is the tile mirrored left-right if F,
then turned R + 1 quarter turns counter-clockwise; so `_rf03` (four quarter turns) is the tile itself.
spec_tile.py, which replaces tiles, removes the variants of the tiles it replaces: both tell a variant
and its tile here.
"""
import re
from pathlib import Path

import cv2
import numpy as np

from drawing.errors import UserError
from drawing.files import list_images
from drawing.images import FAST_PNG, open_image, to_array, write_png
from drawing.parallel import parallel_map

VARIANT_SUFFIX = re.compile(r"_rf[01][0-3]$")
IDENTITY = (0, 3)  # `_rf03`: four quarter turns, the tile itself
LAST = (1, 3)      # `_rf13`, written last: when it shows the tile, the variants before it do too
TILES_PER_JOB = 64  # enough to outweigh the cost of handing a job to a worker


def variant_name(tile_path, flip, turns):
    return f"{Path(tile_path).stem}_rf{flip}{turns}.png"


def tile_of_variant(path):
    """The stem of the tile a variant was made from, or None where `path` is not a variant."""
    stem = Path(path).stem
    match = VARIANT_SUFFIX.search(stem)
    return stem[:match.start()] if match else None


def is_variant(path):
    return tile_of_variant(path) is not None


# R + 1 quarter turns counter-clockwise, for R = 0, 1, 2, 3 (the last: the tile as it is).
QUARTER_TURNS = (cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, None)


def dihedral_variants(tile):
    """The eight (F, R, array) variants of a tile: mirrored left-right if F, then R + 1 quarter turns
    counter-clockwise (the original's numbering). OpenCV turns a tile several times faster than numpy's
    strided copies."""
    variants = []
    for flip in (0, 1):
        mirrored = cv2.flip(tile, 1) if flip else np.ascontiguousarray(tile)
        for turns, rotation in enumerate(QUARTER_TURNS):
            variants.append((flip, turns, mirrored.copy() if rotation is None else cv2.rotate(mirrored, rotation)))
    return variants


def read_tile(path):
    """A tile as an array in its own mode if it is L, RGB or RGBA; 1-bit and 16-bit gray become L, other
    modes RGBA where they have transparency, else RGB."""
    image = open_image(path)
    if image.mode in ("L", "RGB", "RGBA"):
        return to_array(image, image.mode)
    if image.mode in ("1", "I", "I;16", "I;16B"):
        return to_array(image, "L")
    has_alpha = "A" in image.getbands() or image.info.get("transparency") is not None
    return to_array(image, "RGBA" if has_alpha else "RGB")


def shows(path, variant):
    """Whether the variant file at `path` holds exactly `variant` (False if it cannot be read)."""
    try:
        return np.array_equal(read_tile(path), variant)
    except UserError:
        return False


def turn_tiles(tile_paths, folder_out, in_place):
    """Write the variants of each tile into `folder_out`, unless they are all there and the last one shows
    the tile as it is now; in place, the tile's own file is its identity variant. Returns (tiles done,
    [problems of tiles left out]). Variants are written by the thousand: with FAST_PNG, twice as fast as
    the default setting and no bigger on scanned tiles (paper grain defeats PNG's row filters)."""
    problems = []
    for tile_path in tile_paths:
        targets = {(flip, turns): Path(folder_out) / variant_name(tile_path, flip, turns)
                   for flip in (0, 1) for turns in range(4) if not (in_place and (flip, turns) == IDENTITY)}
        try:
            tile = read_tile(tile_path)
        except UserError as problem:
            problems.append(str(problem))
            continue
        variants = {(flip, turns): variant for flip, turns, variant in dihedral_variants(tile)}
        if all(path.exists() for path in targets.values()) and shows(targets[LAST], variants[LAST]):
            continue
        for key, path in targets.items():   # in dihedral order, so LAST is written last
            write_png(path, variants[key], **FAST_PNG)
    return len(tile_paths), problems


def _turn_job(job):
    return turn_tiles(*job)


def tiles_of_pages(pages):
    """{page folder: its tiles} for page folders of tiles, and how many of their files are variants already
    (never turned again, so that a tile never gets 64 variants)."""
    tiles, already_turned = {}, 0
    for page in pages:
        found = list_images(page, what="page folder")
        tiles[page] = [path for path in found if not is_variant(path)]
        already_turned += len(found) - len(tiles[page])
    return tiles, already_turned


def remove_orphan_variants(dir_out, tiles):
    """Variants in our own folder `dir_out` of tiles no longer in the input (`tiles`: their paths relative
    to the input); the number removed."""
    sources = {tile.with_suffix("") for tile in tiles}
    orphans = [path for path in dir_out.rglob("*_rf??.png")
               if is_variant(path) and path.relative_to(dir_out).with_name(tile_of_variant(path)) not in sources]
    for path in orphans:
        path.unlink()
    return len(orphans)


def turn_all(dir_in, dir_out, tiles, in_place):
    """Write the variants of every tile (`tiles`: {page folder under dir_in: its tiles}) into the same page
    folders under `dir_out`, on every core; the problems of the tiles that could not be read."""
    jobs = []
    for page, page_tiles in tiles.items():
        folder_out = dir_out / page.relative_to(dir_in)
        jobs += [(page_tiles[start:start + TILES_PER_JOB], folder_out, in_place)
                 for start in range(0, len(page_tiles), TILES_PER_JOB)]
    results = parallel_map(_turn_job, jobs, desc="rotate/flip", unit="tile", advance=lambda result: result[0],
                           total=sum(map(len, tiles.values())),
                           describe=lambda job: f"page folder {job[0][0].parent.name}")
    return [problem for _, job_problems in results for problem in job_problems]
