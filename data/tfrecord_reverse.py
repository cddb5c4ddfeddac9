"""Turn .tfrecord shards back into PNG files, and check that every source tile came back.

    cd data
    python tfrecord_reverse.py tfrecord                 # PNGs in tfrecord_reverse/, as in the original
    python tfrecord_reverse.py tfrecord --dir_out=tfrecord_png --verify=tile

Record n of shard k becomes `<dir_out>/<k>/<n>.png` (its PNG bytes as stored). Every record is read
under the original's schema (drawing/data/tfrecord.py) and its image_shape checked against its PNG. With
--verify, the tiles under that folder (page folders or flat, as tfrecord.py reads them) are decoded
and compared pixel for pixel with the records: the run fails, naming them, if any tile is missing from
the shards or the shards hold images that are not among the tiles. Shards whose record says the
tfrecord.py run that wrote them was interrupted are refused; `<dir_out>.json` beside the output records
this run.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)
import numpy as np

from drawing.cli import ArgumentParser, run
from drawing.data.shards import compare, list_source_tiles, remove_stale_pngs, tile_digests, unpack_shards
from drawing.data.tfrecord import SHARD_NAME
from drawing.errors import UserError
from drawing.files import natural_sorted, require_dir
from drawing.folders import command_line, open_output_folder, require_complete, write_record


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, tensorflow=True)
    parser.add_argument("dir_in", help="folder of .tfrecord shards, e.g. tfrecord")
    parser.add_argument("--dir_out", default="tfrecord_reverse",
                        help="folder for the PNGs, one subfolder per shard, e.g. png (default: %(default)s)")
    parser.add_argument("--verify", metavar="TILES_DIR", default=None,
                        help="the tiles the shards were made from, compared pixel for pixel, e.g. tile")
    options = parser.parse_args()
    dir_in = require_dir(options.dir_in, "shards folder")
    require_complete(dir_in, "shards folder")
    shards = natural_sorted(path for path in dir_in.iterdir() if SHARD_NAME.match(path.name))
    if not shards:
        raise UserError(f"{dir_in}: no shards (0.tfrecord, 1.tfrecord, ...) in this folder")
    source_paths = list_source_tiles(options.verify) if options.verify else None
    inputs = [dir_in] + ([options.verify] if options.verify else [])
    settings = {"source": Path(dir_in)}
    open_output_folder(options.dir_out, "tfrecord_reverse.py", inputs=inputs, settings=settings)
    dir_out = Path(options.dir_out)
    record = {"stage": "tfrecord_reverse.py", "command": command_line(), **settings}
    write_record(dir_out, record, complete=False)
    results = unpack_shards(shards, dir_out, options.verify is not None)
    counts = [result if source_paths is None else len(result) for result in results]
    remove_stale_pngs(dir_out, {shard.stem: count for shard, count in zip(shards, counts)})
    print(f"{sum(counts)} PNGs from {len(shards)} shards in {dir_out}")
    write_record(dir_out, record, complete=True)
    if source_paths is None:
        return
    record_digests = np.concatenate(results)
    source_digests = tile_digests(source_paths)
    compare(source_paths, source_digests, record_digests)
    print(f"verified: all {len(source_paths)} tiles of {options.verify} came back pixel for pixel")


if __name__ == "__main__":
    run(main)
