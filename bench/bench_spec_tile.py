"""How long spec_tile.py takes for a 300 DPI letter page of 36 specimens, grid preview included.

Generates the pages with drawing.data.samples (about 2685 x 3420 px each), then times, on one core, each
step of one page (read the PNG, find and cut the specimens, write the 36 tiles, draw and write the
grid preview), and finally the whole script on every core. Target: at most 1 s per page per core.

Example:
    python bench/bench_spec_tile.py --pages 4
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from drawing.data.samples import spec_page
from drawing.data.spec import grid_preview, tile_page
from drawing.data.spec_tiles import read_png_scan
from drawing.images import PNG_COMPRESSION, write_png
from drawing.parallel import default_workers

REPO = Path(__file__).resolve().parents[1]
RESOLUTION = 256


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4, help="pages to time (default: %(default)s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        scans = root / "scans"
        scans.mkdir()
        for number in range(1, args.pages + 1):
            page, _ = spec_page(dpi=300, seed=number)
            Image.fromarray(page).save(scans / f"{number}.png", compress_level=PNG_COMPRESSION)
        height, width = page.shape[:2]
        print(f"{args.pages} spec pages of {width} x {height} px (300 DPI letter, 36 specimens), "
              f"tiles of {RESOLUTION} px")

        steps = {"read PNG": 0.0, "find + cut": 0.0, "write tiles": 0.0, "grid preview": 0.0}
        tile_count = 0
        cpu_start = time.process_time()
        for number in range(1, args.pages + 1):
            page, seconds = timed(read_png_scan, scans / f"{number}.png")
            steps["read PNG"] += seconds
            (tiles, layout), seconds = timed(tile_page, page, RESOLUTION)
            steps["find + cut"] += seconds
            tile_count += len(tiles)
            start = time.perf_counter()
            for index, tile in enumerate(tiles):
                write_png(root / "steps" / f"{number}_{index}.png", tile)
            steps["write tiles"] += time.perf_counter() - start
            start = time.perf_counter()
            write_png(root / "steps" / f"grid_{number}.png", grid_preview(page, layout, RESOLUTION))
            steps["grid preview"] += time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        for step, seconds in steps.items():
            print(f"  {step:<13} {seconds / args.pages:6.3f} s/page")
        print(f"one core: {sum(steps.values()) / args.pages:.3f} s per page wall, {cpu_seconds / args.pages:.3f} s "
              f"CPU, all steps ({tile_count / args.pages:.0f} tiles per page); target: at most 1 s")

        command = [sys.executable, "spec_tile.py", str(scans), str(RESOLUTION),
                   f"--dir_out={root / 'tile'}", f"--dir_out_grid={root / 'grid'}"]
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO / "data", check=True, capture_output=True)
        seconds = time.perf_counter() - start
        workers = default_workers()
        print(f"spec_tile.py on {workers} cores: {seconds:.2f} s for {args.pages} pages = "
              f"{seconds / args.pages:.3f} s per page, {seconds * workers / args.pages:.3f} core-s per page "
              "(including interpreter start-up)")


if __name__ == "__main__":
    main()
