"""How fast fill/ colours 1024 px blob drawings of about 2,000 regions, on one core and on every core.

Draws the drawings with drawing.data.samples.blob_page (1024 px crops of pages at 125 DPI), then times:
- on one core, per drawing: the blob fill without and with --blend, the spec fill with --blend, and the
  3x3 blend alone, each as arrays only and as the worker does it (read PNG, colour, write PNG); all of
  them with the region options off (--close-gaps=0 --min-region=0, the original's regions) and, where it
  says so, on (the defaults, and --close-gaps=8);
- what gap closing buys: on the drawings with GAP_COUNT breaks of 1 to --close-gaps px cut into their
  lines, the share of cells that come out as one region each, and how many regions cover two cells;
- blob_fill's folder run (fill_folder, --blend) on every core, in drawings per second;
- the GPU blend of blend.so (fill/blend.so or --library) in images per second with the transfers
  included, where a CUDA device is usable; otherwise it says why it was not measured.
Targets: under 0.3 s per drawing with blend on one core (the original's per-pixel Python: 5 s, 20 s with
blend), and under 0.2 s per file with everything on.

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

from drawing.data.samples import blob_page, break_lines, cells_kept_whole
from drawing.fill.blend import BlendUnavailable, blend_batch_cpu, blend_cpu, load_gpu_blend
from drawing.fill.colour import BUILTIN_PALETTE, colour_blob, colour_spec, palette_pixels
from drawing.fill.folder import fill_file, fill_folder
from drawing.fill.regions import (
    BLOB_PAPER_ABOVE,
    DEFAULT_CLOSE_GAPS,
    DEFAULT_MIN_REGION,
    find_regions,
    label_regions,
    lightness,
)
from drawing.images import write_png
from drawing.parallel import default_workers

REPO = Path(__file__).resolve().parents[1]
SIZE = 1024
DPI = 125
REPEATS = 5
GPU_BATCH = 32
# Breaks cut into each drawing's lines for the gap-closing measurement (about one per two cells).
GAP_COUNT = 1000
OFF = {"close_gaps_px": 0, "min_region": 0}
DEFAULTS = {"close_gaps_px": DEFAULT_CLOSE_GAPS, "min_region": DEFAULT_MIN_REGION}


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
    """'median s (best s)' of `function(item)` over the items, each run REPEATS times in a row.

    CPU seconds of this process (OpenCV is held to one thread), not wall time: on a machine shared with
    other jobs the wall time measures them too, the CPU time only the fill.
    """
    times = []
    for item in items:
        for _ in range(REPEATS):
            start = time.process_time()
            function(item)
            times.append(time.process_time() - start)
    return f"{np.median(times):.3f} s (best {np.min(times):.3f} s)"


def blob_colour(pixels, regions, light, rng):
    return colour_blob(light, pixels, rng, **regions)


def report_gap_closing(drawings, widths):
    """Print, per gap width, the cells kept whole on broken and on unbroken drawings, with and without closing."""
    print(f"  gap closing on {len(drawings)} drawings, {GAP_COUNT} breaks each; cells of >= 100 px:")
    for width in widths:
        for closing in (0, width):
            whole, merged, unbroken_whole = [], [], []
            for index, drawing in enumerate(drawings):
                paper = lightness(drawing) > BLOB_PAPER_ABOVE
                cells, _ = label_regions(paper)
                broken = break_lines(drawing, GAP_COUNT, width, np.random.default_rng(index))
                outcome = cells_kept_whole(cells, find_regions(lightness(broken) > BLOB_PAPER_ABOVE, closing)[1])
                whole.append(outcome[0])
                merged.append(outcome[1])
                unbroken_whole.append(cells_kept_whole(cells, find_regions(paper, closing)[1])[0])
            print(f"    breaks of 1-{width} px, --close-gaps={closing}: {100 * np.mean(whole):.1f} % of cells whole, "
                  f"{np.mean(merged):.1f} regions covering several cells; unbroken drawings: "
                  f"{100 * np.mean(unbroken_whole):.2f} % whole")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drawings", type=int, default=16,
                        help="drawings in the folder run (default: %(default)s)")
    parser.add_argument("--gap_drawings", type=int, default=4,
                        help="drawings of the gap-closing measurement (default: %(default)s)")
    parser.add_argument("--gap_widths", type=int, nargs="+", default=[2, 4, 8],
                        help="widest breaks of the gap-closing measurement, px (default: %(default)s)")
    parser.add_argument("--library", type=Path, default=REPO / "fill" / "blend.so",
                        help="the compiled CUDA kernel to time (default: fill/blend.so)")
    args = parser.parse_args()

    cv2.setNumThreads(1)
    drawings = blob_drawings(max(args.drawings, 4))
    lights = [lightness(drawing) for drawing in drawings]
    regions = [label_regions(light > BLOB_PAPER_ABOVE)[1] for light in lights]
    palette = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    pixels = palette_pixels(palette)
    rng = np.random.default_rng(0)
    print(f"{SIZE} px blob drawings, {int(np.mean(regions))} regions on average; one core unless said")

    sample = lights[:4]
    steps = [
        ("blob fill, arrays only", lambda d: colour_blob(d, pixels, rng, **OFF)),
        ("blob fill + blend, arrays only", lambda d: blend_cpu(colour_blob(d, pixels, rng, **OFF))),
        ("blob fill + blend, defaults", lambda d: blend_cpu(colour_blob(d, pixels, rng, **DEFAULTS))),
        ("blob fill + blend, --close-gaps=8", lambda d: blend_cpu(colour_blob(d, pixels, rng, close_gaps_px=8,
                                                                              min_region=DEFAULT_MIN_REGION))),
        ("spec fill + blend, arrays only", lambda d: blend_cpu(colour_spec(d, BUILTIN_PALETTE, rng, **OFF))),
        ("spec fill + blend, defaults", lambda d: blend_cpu(colour_spec(d, BUILTIN_PALETTE, rng, **DEFAULTS))),
    ]
    print("  CPU seconds per drawing, median (best) of", REPEATS * len(sample))
    for name, step in steps:
        print(f"  {name + ':':<38} {seconds_each(step, sample)}")
    print(f"  {'3x3 blend alone (CPU):':<38} {seconds_each(blend_cpu, drawings[:4])}")

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        folder = root / "drawings"
        for index, drawing in enumerate(drawings[:args.drawings]):
            write_png(folder / f"{index}.png", drawing)
        paths = sorted(folder.glob("*.png"))[:4]
        for blend, options, name in ((False, OFF, "blob_fill"), (True, OFF, "blob_fill --blend"),
                                     (True, DEFAULTS, "blob_fill --blend, defaults"),
                                     (True, dict(DEFAULTS, close_gaps_px=8), "blob_fill --blend --close-gaps=8")):
            colour = functools.partial(blob_colour, pixels, options)
            per_file = seconds_each(functools.partial(fill_file, colour, root / "one", 0, blend, False), paths)
            print(f"  {name + ', per file (read, colour, write):':<66} {per_file}")

        workers = default_workers()
        start = time.perf_counter()
        fill_folder(functools.partial(blob_colour, pixels, DEFAULTS), folder, root / "all", 0,
                    {"stage": "bench", "blend": True}, desc="blob fill")
        elapsed = time.perf_counter() - start
        print(f"  blob_fill --blend (defaults) over {args.drawings} drawings on {workers} cores: "
              f"{args.drawings / elapsed:.1f} drawings/s ({elapsed / args.drawings:.3f} s each)")

    report_gap_closing(drawings[:args.gap_drawings], args.gap_widths)

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
