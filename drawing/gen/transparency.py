"""Transparent copies of frames folders (gen/rgba.py): white turns clear, black opaque, in one colour.

The copy `<dir_in>_rgba_<color>` (the original's naming) holds the frames only; its record beside it
names the input and colour and carries on the fps path.py recorded, so mp4.py plays it at that speed.
"""
import re
import shlex
from functools import partial
from pathlib import Path

from drawing.files import list_images
from drawing.folders import command_line, open_output_folder, require_complete, write_record
from drawing.gen.frames import brightness_to_alpha, list_frames, parse_color
from drawing.images import read_image, write_png
from drawing.parallel import parallel_map

STAGE = "rgba.py"
DEFAULT_COLOR = "#000000"


def default_dir_out(dir_in, color, absolute=True):
    """`<dir_in>_rgba_<color>`, with characters a folder name should not hold replaced by '-'; with
    `absolute` False, written as the user wrote `dir_in` (for a command line to show them)."""
    dir_in = Path(dir_in)
    if absolute or not dir_in.name:
        dir_in = dir_in.absolute()
    color_name = re.sub(r"[^\w#]+", "-", color).strip("-")
    return dir_in.with_name(f"{dir_in.name}_rgba_{color_name}")


def background_hint(dir_in, background, color, dir_out=None):
    """What to run instead of `rgba.py <dir_in> --background=...` (mp4.py's command line under rgba.py's
    name in the original's README): mp4.py on transparent frames, else rgba.py first and mp4.py on its copy."""
    _, _, transparent = list_frames(dir_in)
    lay_over = f"--background={shlex.quote(background)}"
    if transparent:
        return (f"rgba.py has no --background (it is mp4.py's): to lay these transparent frames over "
                f"{background}, run: python mp4.py {shlex.quote(str(dir_in))} {lay_over}")
    copy = Path(dir_out) if dir_out else default_dir_out(dir_in, color, absolute=False)
    make_copy = ["python", "rgba.py", str(dir_in)]
    if color != DEFAULT_COLOR:
        make_copy.append(f"--color={color}")
    if dir_out:
        make_copy.append(f"--dir_out={dir_out}")
    return (f"rgba.py has no --background (it is mp4.py's): to lay these opaque frames over {background}, "
            f"make a transparent copy, then the video: {shlex.join(make_copy)} && "
            f"python mp4.py {shlex.quote(str(copy))} {lay_over}")


def convert_frame(path, dir_out, color):
    write_png(Path(dir_out) / path.name, brightness_to_alpha(read_image(path, "RGB"), color))


def make_rgba(dir_in, dir_out, color, command=None):
    """Convert every frame of `dir_in` in parallel; return how many were written. `command`: the command
    line to record (default: this process's)."""
    rgb = parse_color(color)
    frames = list_images(dir_in, what="frames folder")
    source = require_complete(dir_in, "frames folder") or {}
    settings = {"input": Path(dir_in).resolve(), "color": color}
    open_output_folder(dir_out, STAGE, inputs=[dir_in], settings=settings)
    record = {"stage": STAGE, "command": command or command_line(), **settings, "frames": len(frames)}
    if source.get("fps") is not None:
        record["fps"] = source["fps"]
    write_record(dir_out, record, complete=False)
    parallel_map(partial(convert_frame, dir_out=dir_out, color=rgb), frames, desc="rgba", unit="frame")
    write_record(dir_out, record, complete=True)
    return len(frames)
