"""Multiply a tile set by eight: every tile in every four rotations by 90 degrees, each also mirrored.

Spec specimens are symmetric about a vertical and a horizontal axis, so their rotations and mirror
images are drawings the artist could have made: eight times the training data for free.

For each tile `<tile>.png` in the page folders of <dir_in> (as spec_tile.py writes them; a flat folder
of tiles works too), writes `<dir_out>/<page>/<tile>_rf<F><R>.png` where F = 1 if mirrored left-right
and R is the number of quarter turns counter-clockwise applied after the mirror; `_rf00` is the tile
itself. The input tiles are only read, never renamed or removed. Tiles whose names already end in
`_rf<F><R>` are variants already and are not turned again, so running the script twice, or on its own
output, never makes 64 of a tile. Tiles keep their mode (grayscale, RGB or RGBA).

Example:
    cd data
    python spec_rotateflip.py tile                  # writes tile_rf/p1/p1_t01_rf00.png ... _rf13.png
    python spec_rotateflip.py tile --dir_out=tile8
"""
import argparse
import re
from pathlib import Path

import numpy as np

from drawing.cli import UserError, run, warn
from drawing.files import list_images, list_page_folders, prepare_output_dir
from drawing.images import open_image, to_array, write_png
from drawing.parallel import parallel_map

VARIANT_NAME = re.compile(r"_rf[01][0-3]$")
TILES_PER_JOB = 64  # enough to outweigh the cost of handing a job to a worker


def dihedral_variants(tile):
    """The eight (F, R, array) variants of a tile: mirrored left-right if F, then R quarter turns."""
    variants = []
    for flip in (0, 1):
        mirrored = tile[:, ::-1] if flip else tile
        for turns in range(4):
            variants.append((flip, turns, np.ascontiguousarray(np.rot90(mirrored, turns))))
    return variants


def variant_name(tile_path, flip, turns):
    return f"{Path(tile_path).stem}_rf{flip}{turns}.png"


def is_variant(path):
    return VARIANT_NAME.search(Path(path).stem) is not None


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


def turn_tiles(job):
    """Worker: write the eight variants of each tile of a job; returns how many tiles it did."""
    tile_paths, folder_out = job
    for tile_path in tile_paths:
        tile = read_tile(tile_path)
        for flip, turns, variant in dihedral_variants(tile):
            write_png(Path(folder_out) / variant_name(tile_path, flip, turns), variant)
    return len(tile_paths)


def is_variant_output(relative_path):
    return relative_path.suffix == ".png" and is_variant(relative_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of page folders of tiles, as spec_tile.py writes it, e.g. tile")
    parser.add_argument("--dir_out", default=None,
                        help="folder for the variants, same page folders (default: <dir_in>_rf), e.g. --dir_out=tile8")
    args = parser.parse_args()

    dir_in = Path(args.dir_in)
    pages = list_page_folders(dir_in)
    dir_out = Path(args.dir_out) if args.dir_out else dir_in.resolve().with_name(f"{dir_in.resolve().name}_rf")
    if dir_out.resolve() == dir_in.resolve():
        raise UserError(f"{dir_out}: --dir_out must not be the input folder; the tiles there are kept as they are")

    jobs, already_turned, tile_count = [], 0, 0
    for page in pages:
        found = list_images(page, what="page folder")
        tiles = [path for path in found if not is_variant(path)]
        already_turned += len(found) - len(tiles)
        folder_out = dir_out / page.relative_to(dir_in)
        jobs += [(tiles[start:start + TILES_PER_JOB], folder_out) for start in range(0, len(tiles), TILES_PER_JOB)]
        tile_count += len(tiles)
    if tile_count == 0:
        raise UserError(f"{dir_in}: every tile here is already a rotated/flipped variant (its name ends in "
                        "_rf<F><R>); run the script on the original tiles instead")
    if already_turned:
        warn(f"{dir_in}: {already_turned} tiles are already variants (names ending in _rf<F><R>); not turning them again")
    prepare_output_dir(dir_out, owns=is_variant_output)

    parallel_map(turn_tiles, jobs, desc="rotate/flip", unit="tile", advance=lambda done: done, total=tile_count,
                 describe=lambda job: f"page folder {job[0][0].parent.name}")
    print(f"wrote {8 * tile_count} variants of {tile_count} tiles from {len(pages)} page folders to {dir_out}")


if __name__ == "__main__":
    run(main)
