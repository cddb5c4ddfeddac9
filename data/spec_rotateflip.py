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

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.console import warn
from drawing.data.variants import remove_orphan_variants, tiles_of_pages, turn_all
from drawing.errors import UserError
from drawing.files import list_page_folders
from drawing.folders import command_line, open_output_folder, require_complete, write_record


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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

    tiles, already_turned = tiles_of_pages(pages)
    tile_count = sum(map(len, tiles.values()))
    if tile_count == 0:
        raise UserError(f"{dir_in}: every tile here is already a rotated/flipped variant (its name ends in "
                        "_rf<F><R>); run the script on the original tiles instead")
    if already_turned and not in_place:
        warn(f"{dir_in}: {already_turned} tiles are already variants (names ending in _rf<F><R>); not turning them again")
    if not in_place:
        relative_tiles = [tile.relative_to(dir_in) for page_tiles in tiles.values() for tile in page_tiles]
        orphans = remove_orphan_variants(dir_out, relative_tiles)
        if orphans:
            print(f"removed {orphans} variants of tiles no longer in {dir_in} from {dir_out}")

    problems = turn_all(dir_in, dir_out, tiles, in_place)
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
