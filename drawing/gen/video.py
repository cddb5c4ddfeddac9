"""Videos of frames folders (gen/mp4.py): the formats ffmpeg writes, backgrounds, and the encoding itself.

A frames folder (drawing/gen/frames.py) becomes one video file whose extension chooses the format
(`FORMATS`); transparent frames keep their alpha where the format has one, or are laid over a background
(a colour, an image, or a video, scaled to cover the frames). Frames are read a few at a time on other
threads while ffmpeg encodes, and ffmpeg's exit status is checked, so a full disk is an OSError, not a
truncated video. The video is written atomically with its record `<video>.json` beside it.
"""
import errno
import itertools
import logging
import os
import signal
import subprocess
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image
from tqdm import tqdm

from drawing.console import NOTE
from drawing.errors import UserError, os_error_from_words
from drawing.files import atomic_path, require_dir
from drawing.folders import check_not_overlapping, command_line, read_record, require_complete, write_record
from drawing.gen.frames import composite_over, cover, list_frames, pad_to_even, parse_color
from drawing.images import open_image, read_image, to_array

log = logging.getLogger(__name__)

STAGE = "mp4.py"
DEFAULT_FPS = 30
FRAMES_READ_AHEAD = 8
GIF_ALPHA_THRESHOLD = 128   # GIF pixels are clear or opaque: alpha from this value up is opaque


@dataclass(frozen=True)
class VideoFormat:
    """How one kind of output file is encoded by ffmpeg."""
    codec: str
    pix_fmt: str                  # for opaque frames
    alpha_pix_fmt: str = None     # for transparent frames; None: the format has no alpha channel
    params: tuple = ()            # more ffmpeg output options
    crf: int = None               # default --crf, for the formats that take one
    even_sides: bool = False      # 4:2:0 chroma in H.264 needs even sides
    filters: str = None           # an ffmpeg filter graph, {alpha} replaced by 1 for transparent frames


FORMATS = {
    ".mp4": VideoFormat("libx264", "yuv420p", params=("-f", "mp4", "-movflags", "+faststart"),
                        crf=18, even_sides=True),
    ".webm": VideoFormat("libvpx-vp9", "yuv420p", "yuva420p",
                         params=("-f", "webm", "-b:v", "0", "-row-mt", "1", "-cpu-used", "4"), crf=32),
    ".mov": VideoFormat("prores_ks", "yuv444p10le", "yuva444p10le",
                        params=("-f", "mov", "-profile:v", "4444", "-vendor", "apl0")),
    ".gif": VideoFormat("gif", "pal8", "pal8", params=("-f", "gif"),
                        filters="split[frames][copy];[copy]palettegen=reserve_transparent={alpha}[palette];"
                                f"[frames][palette]paletteuse=alpha_threshold={GIF_ALPHA_THRESHOLD}"),
    ".png": VideoFormat("apng", "rgb24", "rgba", params=("-f", "apng", "-plays", "0")),
}


def video_format(path):
    """The format the extension of `path` names, or a one-line error listing those known."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"{path}: unknown video format {suffix or '(no extension)'!r}; "
                        f"end --out with one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


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
    """The background stream for `--background` (an image file, a video file, or a colour) and the
    (width, height) of the image or video, None for a colour."""
    path = Path(background)
    if not path.exists():
        try:
            color = parse_color(background)
        except UserError:
            raise UserError(f"{path}: background file not found (nor is it a colour name)") from None
        return solid_background(color, size), None
    if path.is_dir():
        raise UserError(f"{path}: background is a folder; give an image, a video or a colour")
    if path.suffix.lower() in Image.registered_extensions():
        image = open_image(path)
        return image_background(image, size), image.size
    try:
        reader, own_size = video_frames(path, fps)
        reader.close()
    except (IOError, OSError, RuntimeError, IndexError, AttributeError, StopIteration):
        raise UserError(f"{path}: background cannot be read as an image or a video") from None
    return video_background(path, size, fps), tuple(own_size)


def background_size_note(background, background_size, size):
    """The note on a background of another size than the frames, where the original's video differs; else None."""
    if background_size is None or tuple(background_size) == tuple(size):
        return None
    return (f"note: {background} is {background_size[0]} x {background_size[1]} and the frames {size[0]} x {size[1]}: "
            "the background is scaled to cover the frames, cropped evenly, and the video has the frames' size "
            f"(the original's video was {background_size[0]} x {background_size[1]}, the frames at its top-left "
            "corner)")


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


def composited(paths, background):
    """RGB frames: the transparent frames laid over the background stream, frame by frame."""
    for frame, backdrop in zip(read_ahead(lambda path: read_image(path, "RGBA"), paths), background):
        yield composite_over(frame, backdrop)


def recorded_fps(dir_in):
    """The fps recorded beside the folder (by path.py, or carried on by rgba.py), if there is one."""
    record = read_record(dir_in) or {}
    try:
        return float(record["fps"])
    except (KeyError, TypeError, ValueError):
        return None


def check_output(path_out, dir_in, background, overwrite):
    """Refuse an output inside the frames folder (or that is the background), a folder, and a file
    mp4.py did not write unless `overwrite`."""
    path_out = Path(path_out)
    inputs = [dir_in] + ([background] if background is not None and Path(background).exists() else [])
    check_not_overlapping(path_out, inputs, option="--out")
    if path_out.is_dir():
        raise UserError(f"{path_out}: --out is a folder; give a video file such as loop.mp4")
    if path_out.exists() and not overwrite and (read_record(path_out) or {}).get("stage") != STAGE:
        raise UserError(f"{path_out}: exists and was not written by mp4.py; choose another --out, "
                        "or add --overwrite to replace it")


def write_video(frames, size, path_out, fps, video, alpha, crf, total):
    """Encode frames of (width, height) `size`, RGBA when `alpha`, else RGB, in `video`'s format, atomically."""
    width, height = size
    if video.even_sides:
        size = (width + width % 2, height + height % 2)
    params = list(video.params)
    if video.crf is not None:
        params += ["-crf", str(crf if crf is not None else video.crf)]
    if video.filters:
        params += ["-vf", video.filters.format(alpha=int(alpha))]
    with atomic_path(path_out) as temporary:
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-nostdin",
                   "-f", "rawvideo", "-pix_fmt", "rgba" if alpha else "rgb24", "-s", f"{size[0]}x{size[1]}",
                   "-r", str(fps), "-i", "-", "-an", "-c:v", video.codec,
                   "-pix_fmt", video.alpha_pix_fmt if alpha else video.pix_fmt, *params, str(temporary)]
        encode(command, (np.ascontiguousarray(pad_to_even(frame) if video.even_sides else frame)
                         for frame in tqdm(frames, total=total, desc=path_out.suffix[1:], unit="frame",
                                           dynamic_ncols=True, disable=None)), path_out)


def encode(command, frames, path_out):
    """Pipe raw frames into ffmpeg and check how it ended: imageio-ffmpeg's writer does not look at
    ffmpeg's exit status, so a failed write (a full disk) would leave a truncated video and no error."""
    with tempfile.TemporaryFile() as messages:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages)
        try:
            for frame in frames:
                process.stdin.write(frame.data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early: its exit status and messages say why
        except BaseException:
            process.kill()
            raise
        finally:
            status = process.wait()
        messages.seek(0)
        said = messages.read().decode("utf-8", "replace").strip()
    if status != 0:
        # A file-size limit kills ffmpeg with SIGXFSZ; a full disk it reports in words.
        if status == -signal.SIGXFSZ:
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(path_out))
        translated = os_error_from_words(said, path_out)
        if translated is not None:
            raise translated
        raise UserError(f"{path_out}: ffmpeg failed ({said.splitlines()[-1] if said else f'exit status {status}'})")


def default_video_path(dir_in):
    """`<dir_in>.mp4` beside the frames folder."""
    dir_in = Path(dir_in).absolute()
    return dir_in.parent / f"{dir_in.name}.mp4"


def make_video(dir_in, path_out, background=None, fps=None, crf=None, overwrite=False, command=None):
    """Write the folder's frames as a video in the format of `path_out`'s extension; return the number
    of frames and the fps used. `command`: the command line to record (default: this process's)."""
    path_out = Path(path_out)
    video = video_format(path_out)
    require_dir(dir_in, "frames folder")
    check_output(path_out, dir_in, background, overwrite)
    paths, size, has_alpha = list_frames(dir_in)
    require_complete(dir_in, "frames folder")
    fps = fps or recorded_fps(dir_in) or DEFAULT_FPS
    if crf is not None and video.crf is None:
        log.warning(f"{path_out}: --crf is for .mp4 and .webm; {path_out.suffix} ignores it")
    keep_alpha = has_alpha and background is None and video.alpha_pix_fmt is not None
    if keep_alpha or not has_alpha:
        if background is not None:
            log.warning(f"{dir_in}: frames are opaque, the background would not show; ignoring --background "
                        "(make transparent frames with rgba.py first)")
        frames = read_ahead(lambda path: read_image(path, "RGBA" if keep_alpha else "RGB"), paths)
    else:
        if background is None:
            log.warning(f"{dir_in}: frames are transparent and {path_out.suffix} has no alpha; laying them over "
                        "white (give --background, or write .webm, .mov, .gif or .png to keep the transparency)")
            stream = solid_background((255, 255, 255), size)
        else:
            stream, background_size = open_background(background, size, fps)
            note = background_size_note(background, background_size, size)
            if note:
                log.log(NOTE, note)
        frames = composited(paths, stream)
    record = {"stage": STAGE, "command": command or command_line(), "input": str(Path(dir_in).resolve()),
              "frames": len(paths), "fps": fps, "alpha": keep_alpha, "background": background}
    write_record(path_out, record, complete=False)
    write_video(frames, size, path_out, fps, video, keep_alpha, crf, total=len(paths))
    write_record(path_out, record, complete=True)
    return len(paths), fps
