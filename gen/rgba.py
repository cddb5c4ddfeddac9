"""Make a transparent copy of a folder of frames: white turns clear, black turns opaque.

    python rgba.py out/bezier_s4_f64/20261121-093000_seed7 --color=navy

Each PNG of the folder becomes an RGBA PNG of the same name, filled with one colour (`--color`, any
colour PIL understands, default #000000) whose opacity is the darkness of the original pixel: 255 minus
the mean of its three channels. The output folder is `<dir_in>_rgba_<color>` beside the input (the
seed's naming, so `<dir_in>_rgba_#000000` by default) or `--dir_out`; the input folder is only read, and
one that path.py has not finished is refused. The output holds the frames only; its record
`<dir_out>.json` beside it (drawing/folders.py) names the input and colour, and carries on the fps
path.py recorded for the input, so mp4.py plays the copy at the same speed.
"""
import argparse
import re
from functools import partial
from pathlib import Path

from drawing.cli import UserError, run
from drawing.files import list_images
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.frames import brightness_to_alpha, parse_color
from drawing.images import read_image, write_png
from drawing.parallel import parallel_map

STAGE = "rgba.py"
DEFAULT_COLOR = "#000000"


def default_dir_out(dir_in, color):
    """`<dir_in>_rgba_<color>`, with characters a folder name should not hold replaced by '-'."""
    dir_in = Path(dir_in).absolute()
    color_name = re.sub(r"[^\w#]+", "-", color).strip("-")
    return dir_in.parent / f"{dir_in.name}_rgba_{color_name}"


def convert_frame(path, dir_out, color):
    write_png(Path(dir_out) / path.name, brightness_to_alpha(read_image(path, "RGB"), color))


def make_rgba(dir_in, dir_out, color, argv=None):
    """Convert every frame of `dir_in` in parallel; return how many were written."""
    rgb = parse_color(color)
    frames = list_images(dir_in, what="frames folder")
    source = require_complete(dir_in, "frames folder") or {}
    earlier = open_output_folder(dir_out, STAGE, inputs=[dir_in])
    record = {"stage": STAGE, "command": command_line(argv), "input": str(Path(dir_in).resolve()),
              "color": color, "frames": len(frames)}
    if earlier and (earlier.get("input"), earlier.get("color")) != (record["input"], color):
        raise UserError(f"{dir_out}: holds the rgba.py copy of {earlier.get('input')} in {earlier.get('color')}; "
                        "choose another --dir_out")
    if source.get("fps") is not None:
        record["fps"] = source["fps"]
    write_record(dir_out, record, complete=False)
    parallel_map(partial(convert_frame, dir_out=dir_out, color=rgb), frames, desc="rgba", unit="frame")
    write_record(dir_out, record, complete=True)
    return len(frames)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python rgba.py out/random_c16/20261121-093000_seed7 --color='#1a2b8c'")
    parser.add_argument("dir_in", help="folder of PNG frames, e.g. out/bezier_s4_f64/20261121-093000_seed7")
    parser.add_argument("--color", default=DEFAULT_COLOR,
                        help="colour of the opaque (dark) parts, any colour PIL understands, "
                             f"e.g. black, '#ff8800', 'rgb(0,0,255)' (default: {DEFAULT_COLOR})")
    parser.add_argument("--dir_out", default=None,
                        help="output folder (default: <dir_in>_rgba_<color> beside the input)")
    # The seed's README shows mp4.py's command line under rgba.py's name: point those users to mp4.py.
    parser.add_argument("--background", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.background is not None:
        raise UserError(f"rgba.py has no --background: to lay transparent frames over {args.background}, run "
                        f"python mp4.py {args.dir_in} --background={args.background}")
    parse_color(args.color)
    dir_out = Path(args.dir_out) if args.dir_out else default_dir_out(args.dir_in, args.color)
    count = make_rgba(args.dir_in, dir_out, args.color)
    print(f"{count} RGBA frames in {dir_out}")


if __name__ == "__main__":
    run(main)
