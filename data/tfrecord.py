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
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.cli import non_negative_int, run
from drawing.console import warn
from drawing.data.tfrecord import SHARD_NAME, ShardWriter, png_layout, serialize_example, shard_path
from drawing.errors import UserError
from drawing.files import list_page_folders, natural_sorted
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.images import check_declared_size, decode_png, encode_png
from drawing.parallel import default_workers

SIZE_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9}
TILES_PER_BATCH = 256


def parse_size(text):
    """Bytes from '300MB', '1.5GB', '500KB', '4096B' or a bare number of bytes ('300000000', as in the original)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMG]?B?)\s*", text.upper())
    if not match or match.group(2) not in SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; write e.g. 300MB, 20MB, 500KB or 1GB")
    size = round(float(match.group(1)) * SIZE_UNITS[match.group(2)])
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the shard size must be positive")
    return size


def record_content(data, source):
    """The PNG bytes and [height, width, channels] of one record, passing PNG bytes through when exact."""
    layout = png_layout(data, source)
    check_declared_size(layout.width, layout.height, source)
    if layout.passes_through:
        return data, layout.shape
    try:
        pixels = decode_png(data, layout.mode)
    except (OSError, SyntaxError, ValueError) as error:
        raise UserError(f"{source}: cannot be decoded, the file is damaged or truncated ({error})") from None
    return encode_png(pixels), layout.shape


def list_tiles(dir_in):
    """Every tile as (page folders, page of each tile, file name of each tile), compactly for millions."""
    pages = list_page_folders(dir_in)
    page_of_tile, names = [], []
    for page_index, page in enumerate(pages):
        page_names = natural_sorted(entry.name for entry in os.scandir(page)
                                    if entry.is_file() and entry.name.lower().endswith(".png")
                                    and not entry.name.startswith("."))
        page_of_tile.append(np.full(len(page_names), page_index, dtype=np.int32))
        names.append(np.array([os.fsencode(name) for name in page_names], dtype=bytes))
    return pages, np.concatenate(page_of_tile), np.concatenate(names)


def tile_order(count, shuffle, seed):
    return np.random.default_rng(seed).permutation(count) if shuffle else np.arange(count)


def remove_stale_shards(dir_out, shards):
    """Shards of an earlier run beyond this run's last one would otherwise be read as part of this dataset."""
    kept = {shard.name for shard in shards}
    stale = [path for path in dir_out.iterdir() if SHARD_NAME.match(path.name) and path.name not in kept]
    for path in stale:
        path.unlink()
    if stale:
        print(f"removed {len(stale)} shards of an earlier run from {dir_out}")


def shard_settings(dir_in, shard_bytes, shuffle, seed):
    """What decides the shards, as the record holds it."""
    return {"source": Path(dir_in), "shard_bytes": shard_bytes, "shuffle": shuffle, "seed": seed}


def write_shards(dir_in, dir_out, shard_bytes, shuffle, seed):
    """Write the shards; the number of tiles written, of shards, and the messages about tiles left out."""
    pages, page_of_tile, names = list_tiles(dir_in)
    order = tile_order(len(names), shuffle, seed)
    record = {"stage": "tfrecord.py", "command": command_line(), **shard_settings(dir_in, shard_bytes, shuffle, seed),
              "tiles": int(len(names))}
    write_record(dir_out, record, complete=False)

    def load(position):
        path = pages[page_of_tile[position]] / os.fsdecode(names[position])
        try:
            return (*record_content(path.read_bytes(), path), path)
        except OSError as error:
            raise UserError(f"{path}: cannot be read ({error.strerror})") from None

    def load_or_failure(position):
        try:
            return load(position)
        except UserError as problem:
            return problem

    problems, written, first_tile = [], 0, {}
    with ShardWriter(dir_out, shard_bytes) as writer, \
            ThreadPoolExecutor(max_workers=2 * default_workers()) as pool, \
            tqdm(total=len(order), desc="records", unit="tile", dynamic_ncols=True, disable=None) as bar:
        batches = (order[start:start + TILES_PER_BATCH] for start in range(0, len(order), TILES_PER_BATCH))
        # Read the next batch while this one is being written.
        upcoming = pool.map(load_or_failure, next(batches, []))
        for batch in batches:
            current, upcoming = upcoming, pool.map(load_or_failure, batch)
            written += write_batch(writer, current, problems, first_tile)
            bar.update(TILES_PER_BATCH)
        written += write_batch(writer, upcoming, problems, first_tile)
        bar.update(bar.total - bar.n)
    remove_stale_shards(dir_out, writer.shards)
    record.update(tiles=written, shards=len(writer.shards), left_out=len(problems))
    write_record(dir_out, record, complete=not problems)
    return written, len(writer.shards), problems


def write_batch(writer, contents, problems, first_tile):
    """Write one batch of loaded tiles; the damaged ones are said and collected in `problems`.

    `first_tile` remembers the first tile's size and path: the GAN trains on one size, so a tile of
    another size stops the run, naming one tile of each size.
    """
    written = 0
    for content in contents:
        if isinstance(content, UserError):
            warn(f"{content}; leaving it out")
            problems.append(str(content))
            continue
        data, shape, path = content
        size = tuple(shape[:2])
        first_tile.setdefault("size", size)
        first_tile.setdefault("path", path)
        if size != first_tile["size"]:
            (height, width), (first_height, first_width) = size, first_tile["size"]
            raise UserError(f"{path}: is {width} x {height} px but {first_tile['path']} is {first_width} x "
                            f"{first_height} px; the tiles of one dataset must all have one size")
        writer.write(serialize_example(data, shape))
        written += 1
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", help="folder of page folders of PNG tiles (or of PNG tiles), e.g. tile")
    parser.add_argument("--dir_out", default="tfrecord",
                        help="folder for the shards, e.g. tfrecord (default: %(default)s)")
    parser.add_argument("--size", type=parse_size, default="300MB",
                        help="about this many bytes per shard: a bare number is bytes, as in the original "
                             "(300000000), or 300MB, 20MB, 500KB, 1GB; lower it for small datasets so there "
                             "are several shards (default: 300MB)")
    parser.add_argument("--shuffle", action="store_true",
                        help="mix the tiles of all pages (default: natural order, page by page)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of --shuffle, e.g. 7 (default: %(default)s)")
    options = parser.parse_args()
    require_complete(options.dir_in, "tile folder")
    list_page_folders(options.dir_in)
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
