"""Multiply a tile set by eight: every tile in every four rotations by 90 degrees, each also mirrored.

Spec specimens are symmetric about a vertical and a horizontal axis, so their rotations and mirror
images are drawings the artist could have made: eight times the training data for free.

Variants are named as the original names them: `<tile>_rf0R.png` is the tile turned R + 1 quarter turns
counter-clockwise, `<tile>_rf1R.png` the tile mirrored left-right, then turned R + 1 quarter turns. So
`_rf03` (four quarter turns) is the tile itself.

By default, as in the original, the variants go into the input's own page folders, so that
`python spec_rotateflip.py tile` then `python tfrecord.py tile` trains on eight images per tile. Only
files are added: the tile keeps its own name as the identity variant (where the original renamed it to
`_rf03`), the seven others are written beside it, and no tile is overwritten, renamed or removed. The
variants always show the tile there is now: where a tile changed since its variants were made (the
scans were tiled again), they are written again; a second run on unchanged tiles adds nothing (it reads
each tile and its last variant, `_rf13`, to check). With `--dir_out`, all eight (with `_rf03`) go to
that folder's page folders and the input is only read; variants there of a tile no longer in the input
are removed. Tiles whose names already end in `_rf<F><R>` are variants and are
not turned again, so the script never makes 64 of a tile. A tile that cannot be read is named and left
out, the others are still turned, and the script exits non-zero at the end. Tiles keep their mode
(grayscale, RGB or RGBA).

Example:
    cd data
    python spec_rotateflip.py tile                  # adds tile/p1/p1_t00_rf00.png ... _rf13.png beside p1_t00.png
    python spec_rotateflip.py tile --dir_out=tile8  # tile8/p1/p1_t00_rf00.png ... _rf13.png, with _rf03
"""
import argparse
from pathlib import Path

import numpy as np

from drawing.cli import run
from drawing.console import warn
from drawing.data.spec_names import is_variant, tile_of_variant, variant_name
from drawing.errors import UserError
from drawing.files import list_images, list_page_folders
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.images import open_image, to_array, write_png
from drawing.parallel import parallel_map

TILES_PER_JOB = 64  # enough to outweigh the cost of handing a job to a worker


IDENTITY = (0, 3)  # `_rf03`: four quarter turns, the tile itself
LAST = (1, 3)      # `_rf13`, written last: when it shows the tile, the variants before it do too


def dihedral_variants(tile):
    """The eight (F, R, array) variants of a tile: mirrored left-right if F, then R + 1 quarter turns
    counter-clockwise (the original's numbering)."""
    variants = []
    for flip in (0, 1):
        mirrored = tile[:, ::-1] if flip else tile
        for turns in range(4):
            variants.append((flip, turns, np.ascontiguousarray(np.rot90(mirrored, turns + 1))))
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


def turn_tiles(job):
    """Worker: write the variants of each tile of a job, unless they are all there and the last one shows
    the tile as it is now; in place, the tile's own file is its identity variant. Returns (tiles done,
    [problems of tiles left out])."""
    tile_paths, folder_out, in_place = job
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
            write_png(path, variants[key])
    return len(tile_paths), problems


def remove_orphan_variants(dir_out, tiles):
    """Variants in our own --dir_out of tiles no longer in the input; the number removed."""
    sources = {tile.with_suffix("") for tile in tiles}
    orphans = [path for path in dir_out.rglob("*_rf??.png")
               if is_variant(path) and path.relative_to(dir_out).with_name(tile_of_variant(path)) not in sources]
    for path in orphans:
        path.unlink()
    return len(orphans)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of page folders of tiles, as spec_tile.py writes it, e.g. tile")
    parser.add_argument("--dir_out", default=None,
                        help="folder for all eight variants, same page folders, e.g. --dir_out=tile8 "
                             "(default: beside each tile in <dir_in>, adding files only, as the original)")
    args = parser.parse_args()

    dir_in = Path(args.dir_in)
    require_complete(dir_in, "tile folder")
    pages = list_page_folders(dir_in)
    in_place = args.dir_out is None
    dir_out = dir_in if in_place else Path(args.dir_out)
    if not in_place:
        settings = {"source": Path(dir_in)}
        open_output_folder(dir_out, "spec_rotateflip.py", inputs=[dir_in], settings=settings)
        record = {"stage": "spec_rotateflip.py", "command": command_line(), **settings}
        write_record(dir_out, record, complete=False)

    jobs, already_turned, tile_count, relative_tiles = [], 0, 0, []
    for page in pages:
        found = list_images(page, what="page folder")
        tiles = [path for path in found if not is_variant(path)]
        already_turned += len(found) - len(tiles)
        folder_out = dir_out / page.relative_to(dir_in)
        jobs += [(tiles[start:start + TILES_PER_JOB], folder_out, in_place)
                 for start in range(0, len(tiles), TILES_PER_JOB)]
        tile_count += len(tiles)
        relative_tiles += [tile.relative_to(dir_in) for tile in tiles]
    if tile_count == 0:
        raise UserError(f"{dir_in}: every tile here is already a rotated/flipped variant (its name ends in "
                        "_rf<F><R>); run the script on the original tiles instead")
    if already_turned and not in_place:
        warn(f"{dir_in}: {already_turned} tiles are already variants (names ending in _rf<F><R>); not turning them again")
    orphans = 0 if in_place else remove_orphan_variants(dir_out, relative_tiles)
    if orphans:
        print(f"removed {orphans} variants of tiles no longer in {dir_in} from {dir_out}")

    results = parallel_map(turn_tiles, jobs, desc="rotate/flip", unit="tile", advance=lambda result: result[0],
                           total=tile_count, describe=lambda job: f"page folder {job[0][0].parent.name}")
    problems = [problem for _, job_problems in results for problem in job_problems]
    for problem in problems:
        warn(f"{problem}; left out, the other tiles are turned")
    where = "beside each tile" if in_place else f"to {dir_out}"
    print(f"{8 * (tile_count - len(problems))} images of {tile_count - len(problems)} tiles "
          f"({len(pages)} page folders) {where}")
    if problems:
        raise UserError(f"{len(problems)} of {tile_count} tiles could not be read, the rest are done: {problems[0]}")
    if not in_place:
        write_record(dir_out, record, complete=True)


if __name__ == "__main__":
    run(main)
