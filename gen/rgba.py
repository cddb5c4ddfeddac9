"""Make a transparent copy of a folder of frames: white turns clear, black turns opaque.

    python rgba.py out/bezier_s4_f64/20261121-093000_seed7 --color=black

Each PNG of the folder becomes an RGBA PNG of the same name, filled with one colour (`--color`, any
colour PIL understands) whose opacity is the darkness of the original pixel: 255 minus the mean of its
three channels. The output folder is `<dir_in>_rgba_<color>` beside the input (the seed's naming) or
`--dir_out`; the input folder is only read. `latents.npy` and `run.json` from gen/path.py come along,
so the copy still says how it was made.
"""
import argparse
import re
import shutil
from functools import partial
from pathlib import Path

from drawing.cli import UserError, run
from drawing.files import list_images, prepare_output_dir
from drawing.frames import brightness_to_alpha, parse_color
from drawing.images import read_image, write_png
from drawing.parallel import parallel_map

# What gen/path.py writes beside its frames: kept with the copy.
SIDECAR_FILES = ("latents.npy", "run.json")


def default_dir_out(dir_in, color):
    """`<dir_in>_rgba_<color>`, with characters a folder name should not hold replaced by '-'."""
    dir_in = Path(dir_in).absolute()
    color_name = re.sub(r"[^\w#]+", "-", color).strip("-")
    return dir_in.parent / f"{dir_in.name}_rgba_{color_name}"


def convert_frame(path, dir_out, color):
    write_png(Path(dir_out) / path.name, brightness_to_alpha(read_image(path, "RGB"), color))


def make_rgba(dir_in, dir_out, color):
    """Convert every frame of `dir_in` in parallel; return how many were written."""
    frames = list_images(dir_in, what="frames folder")
    if Path(dir_out).resolve() == Path(dir_in).resolve():
        raise UserError(f"{dir_out}: the output folder is the input folder; choose another --dir_out")
    names = {path.name for path in frames} | set(SIDECAR_FILES)
    prepare_output_dir(dir_out, owns=lambda relative: str(relative) in names)
    parallel_map(partial(convert_frame, dir_out=dir_out, color=parse_color(color)), frames,
                 desc="rgba", unit="frame")
    for name in SIDECAR_FILES:
        if (Path(dir_in) / name).is_file():
            shutil.copyfile(Path(dir_in) / name, Path(dir_out) / name)
    return len(frames)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python rgba.py out/random_c16/20261121-093000_seed7 --color='#1a2b8c'")
    parser.add_argument("dir_in", help="folder of PNG frames, e.g. out/bezier_s4_f64/20261121-093000_seed7")
    parser.add_argument("--color", default="black",
                        help="colour of the opaque (dark) parts, any colour PIL understands, "
                             "e.g. black, '#ff8800', 'rgb(0,0,255)' (default: black)")
    parser.add_argument("--dir_out", default=None,
                        help="output folder (default: <dir_in>_rgba_<color> beside the input)")
    args = parser.parse_args()
    parse_color(args.color)
    dir_out = Path(args.dir_out) if args.dir_out else default_dir_out(args.dir_in, args.color)
    count = make_rgba(args.dir_in, dir_out, args.color)
    print(f"{count} RGBA frames in {dir_out}")


if __name__ == "__main__":
    run(main)
