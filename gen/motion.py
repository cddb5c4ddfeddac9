"""Measure how evenly an animation moves: the change of every step, summed up and plotted.

    python motion.py out/bezier_s8_f64/20261121-093000_seed7
    python motion.py loop.webm
    python motion.py out/bezier_s8_f64/<latent run> out/bezier_s8_f64/<even run> --compare --out=pace.png

The input is a folder of frames (path.py's or rgba.py's, or the original's: its PNGs in natural order,
all one size) or a video in any format mp4.py writes (.mp4, .webm, .mov, .gif, .png as APNG).
Transparent frames are measured over white paper (VP9's alpha decoded by libvpx). Each step's change is
the mean absolute difference of the two frames' luma (0-255), each blurred by a Gaussian of 1 px: the
measure path.py's even pace makes equal and every path.py run records (docs/pace.md).

Printed: the median step (grey levels), p95/median and max/median (1 is perfectly even), and the share
of near-still steps (under a tenth of the median). Written beside the input: `<input>_motion.png`, the
change per step, and `<input>_motion.json`, the summary and every step's change. An animation is taken
as a loop, the step from its last frame back to its first counted like any other, unless it is
path.py's random drawings or `--no_loop` is given. `--compare` draws several inputs in one plot,
`--out`, and prints each one's summary.
"""
import argparse

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.gen.motion import compare_animations, describe, motion_report


def build_parser():
    parser = ArgumentParser(description=__doc__.split("\n\n")[0],
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="example: python motion.py out/bezier_s8_f64/20261121-093000_seed7")
    parser.add_argument("inputs", nargs="+", help="a frames folder or a video; several with --compare")
    parser.add_argument("--compare", action="store_true",
                        help="draw every input's steps in one plot, --out (and write nothing beside the inputs)")
    parser.add_argument("--out", help="--compare: the plot to write, a .png, e.g. pace.png")
    parser.add_argument("--no_loop", action="store_true",
                        help="the animation is not played on repeat: leave out the step from its last frame "
                             "back to its first")
    return parser


def main():
    parser = build_parser()
    args = parser.parse_args()
    closed = False if args.no_loop else None
    if args.compare:
        if args.out is None:
            parser.error("--compare needs --out=<plot.png>")
        for source, summary in compare_animations(args.inputs, args.out, closed):
            print(f"{source}: {describe(summary)}")
        print(f"plot: {args.out}")
        return
    if len(args.inputs) > 1 or args.out is not None:
        parser.error("several inputs and --out are for --compare; give one input, or add --compare")
    report = motion_report(args.inputs[0], closed)
    print(f"{args.inputs[0]}: {describe(report.summary)}")
    print(f"plot: {report.plot}\nsummary: {report.record}")


if __name__ == "__main__":
    run(main)
