"""Pack tiles into .tfrecord shards for training: 0.tfrecord, 1.tfrecord, ... of about --size each.

    cd data
    python tfrecord.py tile --dir_out=tfrecord --size=300000000       # bytes, as in the original
    python tfrecord.py tile --dir_out=tfrecord --size=300MB
    python tfrecord.py tile --dir_out=tfrecord --size=20MB --shuffle --seed=1

The input is a folder of page folders as blob_tile.py and spec_tile.py write them (or a flat folder of
PNGs), read in natural order; --shuffle mixes the tiles of all pages (otherwise a shard holds one page's
tiles together). Each record holds the tile's PNG bytes and [height, width, channels], the original's
schema (drawing/data/tfrecord.py): 8-bit grayscale, RGB and RGBA tiles go in byte for byte, other PNG modes
are converted. A damaged tile is reported and left out, and the run ends with a non-zero status.

Beside the shard folder, `<dir_out>.json` (e.g. tfrecord.json) records the source, the options, the
seed, the counts and "complete": true once every shard is written; training refuses shards whose record
says otherwise. A rerun into that folder with the same source and options replaces the shards; other
ones are refused while it holds shards (drawing/folders.py's rerun rule). Shards left by an earlier,
longer run of this script are removed. A shard holds at least one tile, so where one tile's record is
larger than --size, its shard is larger than --size, and the script says so. Tiles must all have
one size: a tile of another size is named, with one of the first size, and the run stops.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, byte_size, non_negative_int, run
from drawing.data.shards import check_tiles, shard_settings, write_shards
from drawing.data.tfrecord import shard_path
from drawing.errors import UserError
from drawing.files import list_page_folders
from drawing.folders import open_output_folder, require_complete


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, tensorflow=True)
    parser.add_argument("dir_in", help="folder of page folders of PNG tiles (or of PNG tiles), e.g. tile")
    parser.add_argument("--dir_out", default="tfrecord",
                        help="folder for the shards, e.g. tfrecord (default: %(default)s)")
    parser.add_argument("--size", type=byte_size, default="300MB",
                        help="about this many bytes per shard: a bare number is bytes, as in the original "
                             "(300000000), or 300MB, 20MB, 500KB, 1GB; lower it for small datasets so there "
                             "are several shards (default: 300MB)")
    parser.add_argument("--shuffle", action="store_true",
                        help="mix the tiles of all pages (default: natural order, page by page)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of --shuffle, e.g. 7 (default: %(default)s)")
    options = parser.parse_args()
    require_complete(options.dir_in, "tile folder")
    check_tiles(options.dir_in, list_page_folders(options.dir_in))
    open_output_folder(options.dir_out, "tfrecord.py", inputs=[options.dir_in],
                       settings=shard_settings(options.dir_in, options.size, options.shuffle, options.seed))
    dir_out = Path(options.dir_out)
    written, shard_count, problems = write_shards(Path(options.dir_in), dir_out, options.size,
                                                  options.shuffle, options.seed)
    print(f"{written} tiles in {shard_count} shards in {dir_out}")
    oversized = sum(shard_path(dir_out, number).stat().st_size > options.size for number in range(shard_count))
    if oversized:
        print(f"note: {oversized} of the shards are larger than --size ({options.size} bytes): a shard holds at "
              "least one tile, and a tile's record is larger than that")
    if problems:
        listing = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        raise UserError(f"{len(problems)} tiles were left out, the shards hold the rest: {listing}")


if __name__ == "__main__":
    run(main)
