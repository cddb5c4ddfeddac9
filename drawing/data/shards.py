"""Tiles into .tfrecord shards (data/tfrecord.py) and back into PNGs (data/tfrecord_reverse.py), under the
schema of drawing/data/tfrecord.py.

Packing reads the tiles of a folder of page folders (or a flat folder) in natural order, or mixed with
a seed; a damaged tile is said and left out, a tile of another size than the first stops the run.
Unpacking writes record n of shard k as `<dir_out>/<k>/<n>.png`, its PNG bytes as stored, and can
compare the records with the source tiles pixel for pixel (by 64-bit digests of shape and pixels).
"""
import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from drawing.data.tfrecord import SHARD_NAME, ShardWriter, png_layout, record_mode, serialize_example
from drawing.errors import UserError
from drawing.files import list_images, list_page_folders, natural_sorted, write_bytes_atomic
from drawing.folders import command_line, read_record, record_path, write_record
from drawing.images import TILE_RESOLUTIONS, check_declared_size, decode_png, encode_png
from drawing.parallel import default_workers, parallel_map

log = logging.getLogger(__name__)

TILES_PER_BATCH = 256
TILES_PER_TASK = 1024


# --- packing ---

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


def check_tiles(dir_in, pages):
    """Refuse whole pages given as tiles (`pages`: the page folders of `dir_in`): a folder whose record says
    it holds scans or grid previews, or whose first image is no square of at most the largest tile."""
    record = read_record(dir_in) or {}
    held = {"sample_scans.py": "scans", "blob_grid.py": "grid previews"}.get(record.get("stage"))
    packs = "tfrecord.py packs the tiles that blob_tile.py or spec_tile.py cut from scans: give their folder"
    if held:
        raise UserError(f"{dir_in}: holds {held} ({record_path(dir_in).name} says {record['stage']} wrote it), "
                        f"not tiles; {packs}")
    first = next((path for path in natural_sorted(pages[0].glob("*.png")) if not path.name.startswith(".")), None)
    if first is None:
        return
    try:
        with Image.open(first) as image:
            width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return   # a damaged tile is said and left out as the shards are written
    if width != height or width > max(TILE_RESOLUTIONS):
        raise UserError(f"{first}: is {width} x {height} px, a page rather than a tile (tiles are squares of at "
                        f"most {max(TILE_RESOLUTIONS)} px); {packs}")


def tile_order(count, shuffle, seed):
    return np.random.default_rng(seed).permutation(count) if shuffle else np.arange(count)


def remove_stale_shards(dir_out, shards):
    """Shards of an earlier run beyond this run's last one would otherwise be read as part of this dataset."""
    kept = {shard.name for shard in shards}
    stale = [path for path in dir_out.iterdir() if SHARD_NAME.match(path.name) and path.name not in kept]
    for path in stale:
        path.unlink()
    if stale:
        log.info(f"removed {len(stale)} shards of an earlier run from {dir_out}")


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
            log.warning(f"{content}; leaving it out")
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


# --- unpacking and verifying ---

def pixel_digest(pixels):
    """A 64-bit fingerprint of an image's shape and pixels: equal images, equal digests."""
    digest = hashlib.blake2b(repr(pixels.shape).encode(), digest_size=8)
    digest.update(np.ascontiguousarray(pixels).data)
    return int.from_bytes(digest.digest(), "little")


def unpack_shard(shard, folder, verify):
    """Write a shard's records as PNGs into `folder`; the number of records or, when verifying, their digests."""
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
                                f"{layout.width} x {layout.height} px PNG")
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


def _digest_chunk(paths):
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
        log.info(f"removed {len(stale)} PNGs of an earlier run from {dir_out}")


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


def _unpack_job(task):
    return unpack_shard(*task)


def unpack_shards(shards, dir_out, verify):
    """Unpack every shard into `<dir_out>/<shard number>/`, one worker per shard; per shard its number of
    records or, when verifying, their digests. Workers import TensorFlow themselves: the pool forks
    before this process ever loads it."""
    tasks = []
    for shard in shards:
        folder = dir_out / shard.stem
        folder.mkdir(exist_ok=True)
        tasks.append((shard, folder, verify))
    return parallel_map(_unpack_job, tasks, desc="shards", unit="shard", describe=lambda task: str(task[0]))


def tile_digests(source_paths):
    """The digests of the source tiles, decoded to the mode their records hold, on every core."""
    chunks = [source_paths[start:start + TILES_PER_TASK] for start in range(0, len(source_paths), TILES_PER_TASK)]
    return np.concatenate(parallel_map(_digest_chunk, chunks, desc="verify", unit="tile", advance=len,
                                       total=len(source_paths), describe=lambda chunk: str(chunk[0].parent)))
