"""Benchmark blob_tile.py on realistic pages: 300 DPI, 16 x 11 inch generated blob scans.

    .venv/bin/python bench/bench_blob_tile.py                  # 1 page, 256 px, steps 4: 2,881 tiles
    .venv/bin/python bench/bench_blob_tile.py --pages=2 --steps=6

Runs the script as a user does (from data/, every core) and prints tiles per second, CPU time and the
peak memory of its processes; then the cost of one tile's two steps, cutting and PNG encoding.
Target: at least 500 tiles/s at 256 px on 2 cores.
"""
import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from drawing.data import blob_tiles
from drawing.data.blob import DEFAULT_COLS, DEFAULT_ROWS, centred_corner, grid_unit, page_grid
from drawing.data.samples import blob_page
from drawing.images import FAST_PNG, encode_png, write_png
from drawing.parallel import default_workers

REPO = Path(__file__).resolve().parents[1]


def centred_grid(page):
    """The default 12 x 18 grid of a 300 DPI page, centred as blob_tile.py places it without adjustment.json."""
    unit = grid_unit(300)
    return page_grid(DEFAULT_ROWS, DEFAULT_COLS, unit,
                     centred_corner(*page.shape[:2], DEFAULT_ROWS, DEFAULT_COLS, unit))


def per_tile_costs(page, resolution, samples=300):
    """Milliseconds per tile for cutting, and for encoding with the tile setting and the default one."""
    grid = centred_grid(page)
    centres = blob_tiles.tile_centres(grid, 4, resolution)
    picks = np.linspace(0, len(centres) - 1, samples).astype(int)
    angles, mirrored = blob_tiles.tile_poses(0, 0, len(centres))
    start = time.perf_counter()
    tiles = [blob_tiles.cut_tile(page, centres[i], angles[i], mirrored[i], resolution) for i in picks]
    cut = (time.perf_counter() - start) / samples * 1e3
    costs = {"cut": cut}
    for name, encoding in (("encode (tile setting)", FAST_PNG), ("encode (default setting)", {})):
        start = time.perf_counter()
        sizes = [len(encode_png(tile, **encoding)) for tile in tiles]
        costs[name] = (time.perf_counter() - start) / samples * 1e3
        costs[name + " KB"] = np.mean(sizes) / 1e3
    return costs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1, help="generated pages to cut (default: %(default)s)")
    parser.add_argument("--resolution", type=int, default=256, help="tile size (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=4, help="blob_tile.py --steps (default: %(default)s)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_blob_tile_") as work:
        work = Path(work)
        pages = [blob_page(dpi=300, seed=seed) for seed in range(options.pages)]
        for seed, page in enumerate(pages):
            write_png(work / "scans" / f"{seed}.png", page)
        command = [sys.executable, "blob_tile.py", str(work / "scans"), "300", str(options.resolution),
                   f"--dir_out={work / 'tile'}", f"--steps={options.steps}",
                   f"--adjustment={work / 'adjustment.json'}"]
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO / "data", check=True, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        tiles = sum(1 for _ in (work / "tile").rglob("*.png"))
        megabytes = sum(p.stat().st_size for p in (work / "tile").rglob("*.png")) / 1e6
        costs = per_tile_costs(pages[0], options.resolution)

    height, width = pages[0].shape[:2]
    print(f"blob_tile.py: {options.pages} page(s) of {width} x {height} px (300 DPI, 16 x 11 in), "
          f"{options.resolution} px, steps {options.steps}, {default_workers()} cores")
    print(f"  {tiles} tiles ({megabytes:.0f} MB) in {wall:.1f} s wall, startup included: "
          f"{tiles / wall:.0f} tiles/s")
    print(f"  CPU {usage.ru_utime + usage.ru_stime:.1f} s ({tiles / (usage.ru_utime + usage.ru_stime):.0f} tiles "
          f"per CPU-second); peak memory of one process {usage.ru_maxrss / 1024:.0f} MB")
    print(f"  per tile: cut {costs['cut']:.2f} ms; PNG encode {costs['encode (tile setting)']:.2f} ms "
          f"({costs['encode (tile setting)' + ' KB']:.0f} KB) with level 1 and no row filters, "
          f"{costs['encode (default setting)']:.2f} ms ({costs['encode (default setting)' + ' KB']:.0f} KB) "
          "with the default setting")


if __name__ == "__main__":
    main()
