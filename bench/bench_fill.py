"""How fast fill/ colours 1024 px blob drawings of about 2,000 regions, on one core and on every core.

Draws the drawings with drawing.samples.blob_page (1024 px crops of pages at 125 DPI), then times:
- on one core, per drawing: the blob fill without and with --blend, the spec fill with --blend, and the
  3x3 blend alone, each as arrays only and as the worker does it (read PNG, colour, write PNG);
- blob_fill's folder run (fill_folder, --blend) on every core, in drawings per second;
- the GPU blend of blend.so (fill/blend.so or --library) in images per second with the transfers
  included, where a CUDA device is usable; otherwise it says why it was not measured.
Target: under 0.3 s per drawing with blend on one core (the seed's per-pixel Python: 5 s, 20 s with blend).

Example:
    python bench/bench_fill.py --drawings 16
"""
import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from drawing.blend import BlendUnavailable, blend_batch_cpu, blend_cpu, load_gpu_blend
from drawing.fill import (BUILTIN_PALETTE, colour_blob, colour_spec, fill_file, fill_folder, label_regions,
                          luminance, palette_pixels)
from drawing.images import write_png
from drawing.parallel import default_workers
from drawing.samples import blob_page

REPO = Path(__file__).resolve().parents[1]
SIZE = 1024
DPI = 125
REPEATS = 5
GPU_BATCH = 32


def blob_drawings(count):
    """`count` 1024 px crops of blob pages, four per page."""
    drawings = []
    seed = 0
    while len(drawings) < count:
        page = blob_page(dpi=DPI, width_in=16, height_in=11, seed=seed)
        height, width = page.shape[:2]
        for top, left in [(0.1, 0.15), (0.1, 0.5), (0.45, 0.15), (0.45, 0.5)]:
            row, column = int(top * (height - SIZE)), int(left * (width - SIZE))
            drawings.append(page[row:row + SIZE, column:column + SIZE].copy())
        seed += 1
    return drawings[:count]


def seconds_each(function, items):
    """'median s (best s)' of `function(item)` over the items, each run REPEATS times in a row."""
    times = []
    for item in items:
        for _ in range(REPEATS):
            start = time.perf_counter()
            function(item)
            times.append(time.perf_counter() - start)
    return f"{np.median(times):.3f} s (best {np.min(times):.3f} s)"


def blob_colour(pixels, drawing, rng):
    return colour_blob(drawing, pixels, rng)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drawings", type=int, default=16,
                        help="drawings in the folder run (default: %(default)s)")
    parser.add_argument("--library", type=Path, default=REPO / "fill" / "blend.so",
                        help="the compiled CUDA kernel to time (default: fill/blend.so)")
    args = parser.parse_args()

    cv2.setNumThreads(1)
    drawings = blob_drawings(max(args.drawings, 4))
    regions = [label_regions(luminance(drawing) > 160)[1] for drawing in drawings]
    palette = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    pixels = palette_pixels(palette)
    rng = np.random.default_rng(0)
    print(f"{SIZE} px blob drawings, {int(np.mean(regions))} regions on average; one core unless said")

    sample = drawings[:4]
    plain = seconds_each(lambda d: colour_blob(d, pixels, rng), sample)
    blended = seconds_each(lambda d: blend_cpu(colour_blob(d, pixels, rng)), sample)
    spec = seconds_each(lambda d: blend_cpu(colour_spec(d, BUILTIN_PALETTE, rng)), sample)
    blend_only = seconds_each(blend_cpu, sample)
    print("  seconds per drawing, median (best) of", REPEATS * len(sample))
    print(f"  blob fill, arrays only:             {plain}")
    print(f"  blob fill + blend, arrays only:     {blended}")
    print(f"  spec fill + blend, arrays only:     {spec}")
    print(f"  3x3 blend alone (CPU):              {blend_only}")

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        folder = root / "drawings"
        for index, drawing in enumerate(drawings[:args.drawings]):
            write_png(folder / f"{index}.png", drawing)
        paths = sorted(folder.glob("*.png"))[:4]
        colour = functools.partial(blob_colour, pixels)
        for blend in (False, True):
            per_file = seconds_each(functools.partial(fill_file, colour, root / "one", 0, blend), paths)
            print(f"  blob_fill{' --blend' if blend else '        '}, per file (read, colour, write): {per_file}")

        workers = default_workers()
        start = time.perf_counter()
        fill_folder(colour, folder, root / "all", 0, True, {"script": "bench"}, desc="blob fill")
        elapsed = time.perf_counter() - start
        print(f"  blob_fill --blend over {args.drawings} drawings on {workers} cores: "
              f"{args.drawings / elapsed:.1f} drawings/s ({elapsed / args.drawings:.3f} s each)")

    batch = np.stack([drawings[index % len(drawings)] for index in range(GPU_BATCH)])
    start = time.perf_counter()
    on_cpu = blend_batch_cpu(batch)
    print(f"  CPU blend of a batch of {GPU_BATCH}: {GPU_BATCH / (time.perf_counter() - start):.1f} images/s")
    try:
        gpu_blend = load_gpu_blend(args.library, REPO / "fill" / "blend.cu")
    except BlendUnavailable as reason:
        print(f"  GPU blend: not measured ({reason})")
        return
    identical = np.array_equal(gpu_blend(batch), on_cpu)
    start = time.perf_counter()
    for _ in range(REPEATS):
        gpu_blend(batch)
    rate = REPEATS * GPU_BATCH / (time.perf_counter() - start)
    print(f"  GPU blend ({gpu_blend.describe()}), batches of {GPU_BATCH}, transfers included: "
          f"{rate:.1f} images/s, "
          f"{'bit-identical to' if identical else 'DIFFERENT from'} the CPU")


if __name__ == "__main__":
    sys.exit(main())
