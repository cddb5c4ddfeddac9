"""Benchmark tfrecord.py (and tfrecord_reverse.py --verify) on 256 px tiles of a generated 300 DPI blob page.

    .venv/bin/python bench/bench_tfrecord.py                 # 4,000 tiles in 4 page folders
    .venv/bin/python bench/bench_tfrecord.py --tiles=20000

Prints tiles per second for packing the shards in-process (TensorFlow already loaded, shuffled across
pages, 50 MB shards), for the whole tfrecord.py command as a user runs it (startup included), and for
tfrecord_reverse.py with --verify. Target: at least 1,000 tiles/s at 256 px on 2 cores.
"""
import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drawing.data.blob import DEFAULT_COLS, DEFAULT_ROWS, centred_corner, grid_unit, page_grid
from drawing.data.blob_tiles import cut_tile, tile_centres, tile_poses
from drawing.data.samples import blob_page
from drawing.data.shards import write_shards
from drawing.images import FAST_PNG, write_png

REPO = Path(__file__).resolve().parents[1]
PAGES = 4
SHARD_BYTES = 50 * 10 ** 6


def make_tiles(folder, count, resolution):
    """`count` tiles cut from a 300 DPI 16 x 11 in blob page, as blob_tile.py writes them, in PAGES folders."""
    page = blob_page(dpi=300)
    unit = grid_unit(300)
    grid = page_grid(DEFAULT_ROWS, DEFAULT_COLS, unit, centred_corner(*page.shape[:2], DEFAULT_ROWS, DEFAULT_COLS, unit))
    centres = tile_centres(grid, 16, resolution)
    angles, mirrored = tile_poses(0, 0, len(centres))
    for n in range(count):
        index = n * len(centres) // count
        tile = cut_tile(page, centres[index], angles[index], mirrored[index], resolution)
        write_png(folder / str(n % PAGES) / f"{n // PAGES}.png", tile, **FAST_PNG)


def timed_run(arguments):
    start = time.perf_counter()
    subprocess.run([sys.executable, *map(str, arguments)], cwd=REPO / "data", check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=int, default=4000, help="tiles to pack (default: %(default)s)")
    parser.add_argument("--resolution", type=int, default=256, help="tile size (default: %(default)s)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_tfrecord_") as work:
        work = Path(work)
        make_tiles(work / "tile", options.tiles, options.resolution)
        megabytes = sum(p.stat().st_size for p in (work / "tile").rglob("*.png")) / 1e6

        import tensorflow  # noqa: F401  (loaded before timing, as it is once per run)
        (work / "in_process").mkdir()
        start = time.perf_counter()
        written, shards, _ = write_shards(work / "tile", work / "in_process", SHARD_BYTES, True, 0)
        packing = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        command = timed_run(["tfrecord.py", work / "tile", f"--dir_out={work / 'tfrecord'}", "--size=50MB",
                             "--shuffle"])
        reverse = timed_run(["tfrecord_reverse.py", work / "tfrecord", f"--dir_out={work / 'png'}",
                             f"--verify={work / 'tile'}"])

    print(f"tfrecord.py: {written} tiles of {options.resolution} px ({megabytes:.0f} MB of PNG) "
          f"in {PAGES} page folders, shuffled, into {shards} shards of 50 MB")
    print(f"  packing in-process: {packing:.2f} s, {written / packing:.0f} tiles/s "
          f"(this process's peak memory, TensorFlow included: {peak:.0f} MB)")
    print(f"  whole command, TensorFlow startup included: {command:.1f} s, {written / command:.0f} tiles/s")
    print(f"tfrecord_reverse.py --verify (write every PNG back, decode and compare both sides): "
          f"{reverse:.1f} s, {written / reverse:.0f} tiles/s")


if __name__ == "__main__":
    main()
