"""Turn a folder of frames into an mp4 video, laying transparent frames over a background.

    python mp4.py out/bezier_s4_f64/20261121-093000_seed7
    python mp4.py out/bezier_s4_f64/20261121-093000_seed7_rgba_black --background=paper.png

The frames (the folder's PNGs in natural order, all one size) become `<dir_in>.mp4` beside the folder,
or `--out`: H.264 in yuv420p, which every player shows, at `--fps` with quality `--crf`. A side of odd
length is padded by repeating its last row or column, since yuv420p needs even sides. The encoder is
the ffmpeg that the imageio-ffmpeg wheel carries, so no system ffmpeg is needed.

Background rules:
- Frames with transparency (from rgba.py) are laid over `--background`: an image, a video, or a colour
  PIL understands. An image or video is scaled to cover the frame with its aspect ratio kept, the
  overflow cropped evenly; a video is resampled to `--fps` and starts over when it is shorter than
  the animation.
- Transparent frames without `--background` are laid over white, like ink on paper (said on stderr).
- Opaque frames hide any background, so `--background` is ignored for them (said on stderr).

Frames are read a few at a time on other threads while ffmpeg encodes: memory does not grow with
the length of the animation.
"""
import argparse
import itertools
import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image
from tqdm import tqdm

from drawing.cli import UserError, positive_float, run, warn
from drawing.files import atomic_path, require_dir
from drawing.frames import composite_over, cover, list_frames, pad_to_even, parse_color
from drawing.images import open_image, read_image, to_array

DEFAULT_FPS = 30
DEFAULT_CRF = 18
FRAMES_READ_AHEAD = 8


# ---- backgrounds: an endless stream of RGB frames of the video's size ----

def solid_background(color, size):
    width, height = size
    return itertools.repeat(np.full((height, width, 3), color, dtype=np.uint8))


def image_background(image, size):
    return itertools.repeat(cover(to_array(image, "RGB"), size))


def video_frames(path, fps):
    """The frames of a video at `fps`, as raw RGB bytes, with its (width, height); IOError if unreadable."""
    reader = imageio_ffmpeg.read_frames(str(path), output_params=["-vf", f"fps={fps}"])
    meta = next(reader)
    return reader, meta["size"]


def video_background(path, size, fps):
    """The video's frames scaled to cover `size`, from the start again each time it runs out."""
    while True:
        reader, (width, height) = video_frames(path, fps)
        shown = 0
        try:
            for raw in reader:
                shown += 1
                yield cover(np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3), size)
        finally:
            reader.close()
        if shown == 0:
            raise UserError(f"{path}: background video has no frames")


def open_background(background, size, fps):
    """The background stream for `--background`: an image file, a video file, or a colour."""
    path = Path(background)
    if not path.exists():
        try:
            color = parse_color(background)
        except UserError:
            raise UserError(f"{path}: background file not found (nor is it a colour name)") from None
        return solid_background(color, size)
    if path.is_dir():
        raise UserError(f"{path}: background is a folder; give an image, a video or a colour")
    if path.suffix.lower() in Image.registered_extensions():
        return image_background(open_image(path), size)
    try:
        reader, _ = video_frames(path, fps)
        reader.close()
    except (IOError, OSError, RuntimeError, IndexError, AttributeError, StopIteration):
        raise UserError(f"{path}: background cannot be read as an image or a video") from None
    return video_background(path, size, fps)


# ---- frames ----

def read_ahead(function, items, ahead=FRAMES_READ_AHEAD):
    """`map(function, items)` computed `ahead` items in advance on threads, in order, memory bounded."""
    with ThreadPoolExecutor(max_workers=min(ahead, 4)) as pool:
        pending = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def video_frames_of(paths, has_alpha, background):
    """The RGB frames of the video: transparent frames laid over the background, frame by frame."""
    frames = read_ahead(lambda path: read_image(path, "RGBA" if has_alpha else "RGB"), paths)
    if not has_alpha:
        yield from frames
        return
    for frame, backdrop in zip(frames, background):
        yield composite_over(frame, backdrop)


def recorded_fps(dir_in):
    """The fps gen/path.py recorded in the folder's run.json, if it is there."""
    try:
        return float(json.loads((Path(dir_in) / "run.json").read_text())["fps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_mp4(frames, size, path_out, fps, crf, total):
    """Encode RGB frames of (width, height) `size` to H.264 mp4, atomically."""
    width, height = size
    even_size = (width + width % 2, height + height % 2)
    with atomic_path(path_out) as temporary:
        writer = imageio_ffmpeg.write_frames(
            str(temporary), even_size, fps=fps, codec="libx264", quality=None, macro_block_size=1,
            pix_fmt_out="yuv420p", output_params=["-crf", str(crf), "-f", "mp4", "-movflags", "+faststart"])
        writer.send(None)
        try:
            for frame in tqdm(frames, total=total, desc="mp4", unit="frame", dynamic_ncols=True, disable=None):
                writer.send(np.ascontiguousarray(pad_to_even(frame)))
        finally:
            writer.close()


def make_mp4(dir_in, path_out, background=None, fps=None, crf=DEFAULT_CRF):
    """Write the folder's frames as an mp4; return the number of frames and the fps used."""
    require_dir(dir_in, "frames folder")
    paths, size, has_alpha = list_frames(dir_in)
    fps = fps or recorded_fps(dir_in) or DEFAULT_FPS
    if has_alpha and background is None:
        warn(f"{dir_in}: frames are transparent and no --background was given; laying them over white")
        stream = solid_background((255, 255, 255), size)
    elif has_alpha:
        stream = open_background(background, size, fps)
    else:
        if background is not None:
            warn(f"{dir_in}: frames are opaque, the background would not show; ignoring --background "
                 "(make transparent frames with rgba.py first)")
        stream = None
    write_mp4(video_frames_of(paths, has_alpha, stream), size, path_out, fps, crf, total=len(paths))
    return len(paths), fps


def crf_value(text):
    value = int(text)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"{text} is not a CRF between 0 and 51")
    return value


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python mp4.py out/phase_s10/20261121-093000_seed7_rgba_black "
               "--background=paper.png --fps=24")
    parser.add_argument("dir_in", help="folder of PNG frames, e.g. out/phase_s10/20261121-093000_seed7")
    parser.add_argument("--background", default=None,
                        help="what transparent frames are laid over: an image (paper.png), a video "
                             "(clouds.mp4, looped) or a colour ('#f4efe1'); default white")
    parser.add_argument("--fps", type=positive_float, default=None,
                        help=f"frames per second, e.g. 24 (default: the fps in the folder's run.json "
                             f"from path.py, else {DEFAULT_FPS})")
    parser.add_argument("--crf", type=crf_value, default=DEFAULT_CRF,
                        help=f"H.264 quality, 0 (lossless) to 51 (worst); +6 halves the size, "
                             f"e.g. 23 (default: {DEFAULT_CRF})")
    parser.add_argument("--out", default=None, help="video file to write (default: <dir_in>.mp4 beside the folder)")
    args = parser.parse_args()
    dir_in = Path(args.dir_in)
    path_out = Path(args.out) if args.out else dir_in.absolute().parent / f"{dir_in.absolute().name}.mp4"
    count, fps = make_mp4(dir_in, path_out, args.background, args.fps, args.crf)
    print(f"{path_out}: {count} frames at {fps:g} fps")


if __name__ == "__main__":
    run(main)
