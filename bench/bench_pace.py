"""Benchmark path.py's pace on the demo's model: how evenly each loop moves at the latent and the even pace,
and what the even pace costs in time.

    python bench/bench_pace.py                          # docs/pace.md's table (about 5 minutes on 2 cores)
    python bench/bench_pace.py --styles=bezier --frames=16

For each style, path.py's whole run (generate_path, the model loaded once beforehand) at `--pace=latent`
and at `--pace=even` with the same seed: the motion summary of the frames written (p95/median and
max/median of the blurred-grey change per step, the seam included; the limits are 1.10 and 1.30) and
the wall time, with their ratio (the limit is 5). The styles, as in docs/pace.md: bezier `--segments 8
--frames 64`, bitloop (its 512 frames), phase (`--seconds`, 60 by default: 1800 frames at 30 fps), and
keyframes through 4 latents (frames 0-3 of `random --count 4`), `--frames 128`. The load average is
printed with every timing: the machine is shared.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from drawing.gen.generator import load_model
from drawing.gen.path_run import PathSettings, generate_path

REPO = Path(__file__).resolve().parents[1]
STYLES = ("bezier", "bitloop", "phase", "keyframes")
P95_LIMIT, MAX_LIMIT, TIME_LIMIT = 1.10, 1.30, 5.0


def load_average():
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def style_options(style, args, keyframes):
    return {"bezier": {"segments": args.segments, "frames": args.frames},
            "bitloop": {"loop_frames": args.loop_frames},
            "phase": {"seconds": args.seconds},
            "keyframes": {"keyframes": str(keyframes), "frames": args.keyframe_frames}}[style]


def timed_run(generator, settings):
    started = time.perf_counter()
    run = generate_path(settings, generator, command="bench_pace")
    return run, time.perf_counter() - started


def bench_style(generator, model, style, options, dir_out, seed, batch):
    """One style at both paces: a table row's values."""
    row = {}
    for pace in ("latent", "even"):
        settings = PathSettings(model, style, dir_out=str(dir_out / pace), seed=seed, batch=batch,
                                pace=pace, **options)
        run, seconds = timed_run(generator, settings)
        row[pace] = (run.motion, seconds, load_average(), run.frames)
    return row


def print_row(style, row):
    (latent, latent_seconds, _, frames), (even, even_seconds, load, _) = row["latent"], row["even"]
    ratio = even_seconds / latent_seconds
    met = (even["p95_over_median"] <= P95_LIMIT and even["max_over_median"] <= MAX_LIMIT and ratio <= TIME_LIMIT)
    print(f"| {style} | {frames} | {latent['p95_over_median']:.2f} | {latent['max_over_median']:.2f} | "
          f"{even['p95_over_median']:.2f} | {even['max_over_median']:.2f} | {latent_seconds:.1f} | "
          f"{even_seconds:.1f} | {ratio:.1f}x | {load} | {'met' if met else 'NOT MET'} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(REPO / "demo" / "model"), help="default: the demo's model")
    parser.add_argument("--styles", default=",".join(STYLES), help="comma-separated (default: %(default)s)")
    parser.add_argument("--segments", type=int, default=8, help="bezier (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=64, help="bezier: frames per segment (default: %(default)s)")
    parser.add_argument("--loop_frames", type=int, default=512, help="bitloop (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=60, help="phase, at 30 fps (default: %(default)s)")
    parser.add_argument("--keyframe_frames", type=int, default=128, help="keyframes: frames per step "
                                                                         "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="default: %(default)s")
    parser.add_argument("--batch", type=int, default=16, help="default: %(default)s")
    args = parser.parse_args()
    generator = load_model(args.model)
    generator(np.zeros((args.batch, generator.latent_size), np.float32))   # traced once, outside the timings
    print(f"{args.model}: {generator.resolution} px, latent {generator.latent_size}, seed {args.seed}, "
          f"{os.cpu_count()} cores")
    print("| style | frames | latent p95/median | latent max/median | even p95/median | even max/median "
          "| latent s | even s | even/latent | load average (1, 5, 15 min) | limits |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        keyframes = generate_path(PathSettings(args.model, "random", dir_out=str(scratch / "picked"), count=4,
                                               seed=args.seed), generator, command="bench_pace").folder
        for style in args.styles.split(","):
            row = bench_style(generator, args.model, style, style_options(style, args, keyframes), scratch / style,
                              args.seed, args.batch)
            print_row(style, row)


if __name__ == "__main__":
    main()
