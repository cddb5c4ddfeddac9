"""Make a transparent copy of a folder of frames: white turns clear, black turns opaque.

    python rgba.py out/bezier_s4_f64/20261121-093000_seed7 --color=navy

Each PNG of the folder becomes an RGBA PNG of the same name, filled with one colour (`--color`, any
colour PIL understands, default #000000) whose opacity is the darkness of the original pixel: 255 minus
the mean of its three channels. The output folder is `<dir_in>_rgba_<color>` beside the input (the
original's naming, so `<dir_in>_rgba_#000000` by default) or `--dir_out`; the input folder is only read, and
one that path.py has not finished is refused. The output holds the frames only; its record
`<dir_out>.json` beside it (drawing/folders.py) names the input and colour, and carries on the fps
path.py recorded for the input, so mp4.py plays the copy at the same speed.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.errors import UserError
from drawing.gen.frames import parse_color
from drawing.gen.transparency import DEFAULT_COLOR, background_hint, default_dir_out, make_rgba


def main():
    parser = ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python rgba.py out/random_c16/20261121-093000_seed7 --color='#1a2b8c'")
    parser.add_argument("dir_in", help="folder of PNG frames, e.g. out/bezier_s4_f64/20261121-093000_seed7")
    parser.add_argument("--color", default=DEFAULT_COLOR,
                        help="colour of the opaque (dark) parts, any colour PIL understands, "
                             "e.g. black, '#ff8800', 'rgb(0,0,255)' (default: %(default)s)")
    parser.add_argument("--dir_out", default=None,
                        help="output folder (default: <dir_in>_rgba_<color> beside the input)")
    # The original's README shows mp4.py's command line under rgba.py's name: point those users to mp4.py.
    parser.add_argument("--background", help=argparse.SUPPRESS)
    args = parser.parse_args()
    parse_color(args.color)
    if args.background is not None:
        raise UserError(background_hint(args.dir_in, args.background, args.color, args.dir_out))
    dir_out = Path(args.dir_out) if args.dir_out else default_dir_out(args.dir_in, args.color)
    count = make_rgba(args.dir_in, dir_out, args.color)
    print(f"{count} RGBA frames in {dir_out}")


if __name__ == "__main__":
    run(main)
