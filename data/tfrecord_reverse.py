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
import hashlib
import re
from pathlib import Path

import numpy as np

from drawing.cli import run
from drawing.data.tfrecord import SHARD_NAME, png_layout, record_mode
from drawing.errors import UserError
from drawing.files import list_images, list_page_folders, natural_sorted, require_dir, write_bytes_atomic
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.images import decode_png
from drawing.parallel import parallel_map

TILES_PER_TASK = 1024


def pixel_digest(pixels):
    """A 64-bit fingerprint of an image's shape and pixels: equal images, equal digests."""
    digest = hashlib.blake2b(repr(pixels.shape).encode(), digest_size=8)
    digest.update(np.ascontiguousarray(pixels).data)
    return int.from_bytes(digest.digest(), "little")


def unpack_shard(task):
    """Write a shard's records as PNGs; the number of records and, when verifying, their digests."""
    shard, folder, verify = task
    from drawing.backend import tf
    from drawing.data.tfrecord import parse_example

    digests, count = [], 0
    try:
        records = tf.data.TFRecordDataset(str(shard)).map(parse_example).as_numpy_iterator()
        for number, (png_bytes, shape) in enumerate(records):
            source = f"{shard} record {number}"
            layout = png_layout(png_bytes, source)
            if [layout.height, layout.width] != list(shape[:2]) or int(shape[2]) not in (1, 3, 4):
                raise UserError(f"{source}: image_shape {list(shape)} does not match its "
                                f"{layout.height} x {layout.width} PNG")
            write_bytes_atomic(folder / f"{number}.png", png_bytes)
            count += 1
            if verify:
                try:
                    pixels = decode_png(png_bytes, record_mode(shape[2]))
                except (OSError, SyntaxError, ValueError) as error:
                    raise UserError(f"{source}: its PNG cannot be decoded ({error})") from None
                digests.append(pixel_digest(pixels))
    except tf.errors.DataLossError as error:
        raise UserError(f"{shard}: damaged or truncated shard ({tensorflow_reason(error)})") from None
    except tf.errors.InvalidArgumentError as error:
        raise UserError(f"{shard}: records do not follow the schema ({tensorflow_reason(error)})") from None
    return np.array(digests, dtype=np.uint64) if verify else count


def tensorflow_reason(error):
    """The readable part of a TensorFlow error message, without its op and device decorations."""
    text = re.sub(r"\{\{.*?\}\}\s*", "", error.message.splitlines()[0])
    return text.split(" [Op:")[0].strip()


def tile_digests(paths):
    """Digests of source tiles, decoded to the mode their records hold."""
    digests = []
    for path in paths:
        data = Path(path).read_bytes()
        try:
            pixels = decode_png(data, png_layout(data, path).mode)
        except (OSError, SyntaxError, ValueError) as error:
            raise UserError(f"{path}: cannot be decoded, the file is damaged ({error})") from None
        digests.append(pixel_digest(pixels))
    return np.array(digests, dtype=np.uint64)


def remove_stale_pngs(dir_out, counts):
    """PNGs of an earlier run beyond what each shard holds now (`counts`: {shard folder name: records})."""
    stale = [path for path in dir_out.glob("*/*.png")
             if path.stem.isdigit() and int(path.stem) >= counts.get(path.parent.name, 0)]
    for path in stale:
        path.unlink()
    if stale:
        print(f"removed {len(stale)} PNGs of an earlier run from {dir_out}")


def list_source_tiles(tiles_dir):
    return [path for page in list_page_folders(tiles_dir, what="--verify folder") for path in list_images(page)]


def compare(source_paths, source_digests, record_digests):
    """A UserError unless the records hold exactly the source tiles' pixels, each as often."""
    missing = ~np.isin(source_digests, record_digests)
    values, counts = np.unique(record_digests, return_counts=True)
    source_values, source_counts = np.unique(source_digests, return_counts=True)
    expected = dict(zip(source_values.tolist(), source_counts.tolist()))
    surplus = sum(count - expected.get(value, 0) for value, count in zip(values.tolist(), counts.tolist())
                  if count > expected.get(value, 0))
    problems = []
    if missing.any():
        names = [str(source_paths[index]) for index in np.flatnonzero(missing)[:5]]
        problems.append(f"{int(missing.sum())} of {len(source_paths)} source tiles are not in the shards "
                        f"({', '.join(names)}{', ...' if missing.sum() > 5 else ''})")
    if surplus:
        problems.append(f"the shards hold {surplus} images that are not among the source tiles")
    if problems:
        raise UserError("verify failed: " + "; ".join(problems))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    tasks = []
    for shard in shards:
        folder = dir_out / shard.stem
        folder.mkdir(exist_ok=True)
        tasks.append((shard, folder, options.verify is not None))

    # Workers import TensorFlow themselves: the pool forks before this process ever loads it.
    results = parallel_map(unpack_shard, tasks, desc="shards", unit="shard", describe=lambda task: str(task[0]))
    counts = [result if source_paths is None else len(result) for result in results]
    remove_stale_pngs(dir_out, {shard.stem: count for shard, count in zip(shards, counts)})
    print(f"{sum(counts)} PNGs from {len(shards)} shards in {dir_out}")
    write_record(dir_out, record, complete=True)
    if source_paths is None:
        return
    record_digests = np.concatenate(results)
    chunks = [source_paths[start:start + TILES_PER_TASK] for start in range(0, len(source_paths), TILES_PER_TASK)]
    source_digests = np.concatenate(parallel_map(tile_digests, chunks, desc="verify", unit="tile",
                                                 advance=len, total=len(source_paths),
                                                 describe=lambda chunk: str(chunk[0].parent)))
    compare(source_paths, source_digests, record_digests)
    print(f"verified: all {len(source_paths)} tiles of {options.verify} came back pixel for pixel")


if __name__ == "__main__":
    run(main)
