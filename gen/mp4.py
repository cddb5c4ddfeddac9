"""Turn a folder of frames into a video (mp4, WebM, ProRes MOV, GIF or APNG), keeping or flattening transparency.

    python mp4.py out/bezier_s4_f64/20261121-093000_seed7
    python mp4.py out/bezier_s4_f64/20261121-093000_seed7_rgba_navy --out=loop.webm
    python mp4.py out/bezier_s4_f64/20261121-093000_seed7_rgba_navy --background=paper.png

The frames (the folder's PNGs in natural order, all one size) become `<dir_in>.mp4` beside the folder,
or `--out`, whose extension chooses the format:
- `.mp4`   H.264 in yuv420p, which every player and site shows; no transparency. Quality `--crf`.
- `.webm`  VP9, with alpha (yuva420p) for transparent frames: browsers show it over the page. `--crf`.
- `.mov`   ProRes 4444, with alpha (yuva444p10le): for video editors; large files.
- `.gif`   one 256-colour palette for the whole animation, on/off transparency (alpha of 128 and up
           is opaque), delays in hundredths of a second: for chats and places that take nothing else.
- `.png`   APNG, lossless RGBA, looping: browsers, and exact frames.
A side of odd length is padded by repeating its last row or column where the pixel format needs even
sides (mp4). The encoder is the ffmpeg that the imageio-ffmpeg wheel carries, so no system ffmpeg is needed.

Background rules:
- Transparent frames keep their transparency in .webm, .mov, .gif and .png, unless `--background` is
  given: then they are laid over it and the video is opaque. In .mp4 they are always laid over
  `--background`, white when none is given (said on stderr).
- `--background` is an image, a video, or a colour PIL understands. An image or video is scaled to cover
  the frame with its aspect ratio kept, the overflow cropped evenly, so the video has the frames' size
  (said on stderr when the sizes differ: the original's video had the background's size, the frames at its
  top-left corner); a video is resampled to `--fps` and starts over when it is shorter than the animation.
- Opaque frames hide any background, so `--background` is ignored for them (said on stderr).

The fps is `--fps`, else the one recorded beside the folder by path.py (or carried on by rgba.py), else
30. A folder whose record says it is incomplete (path.py or rgba.py interrupted) is refused, naming
the command that finishes it. The video is written atomically, with its record `<video>.json` beside
it; an existing file that mp4.py did not write (no such record) is replaced only with `--overwrite`,
and `--out` inside the frames folder is refused. Frames are read a few at a time on other threads
while ffmpeg encodes: memory does not grow with the length of the animation (but for .gif, whose
palette is made from every frame).
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, positive_float, run
from drawing.gen.video import DEFAULT_FPS, FORMATS, default_video_path, make_video


def crf_value(text):
    value = int(text)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"{text} is not a CRF between 0 and 51")
    return value


def main():
    parser = ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python mp4.py out/phase_s10/20261121-093000_seed7 --fps=24\n"
               "  python mp4.py out/phase_s10/20261121-093000_seed7_rgba_#000000 --out=loop.webm\n"
               "  python mp4.py out/phase_s10/20261121-093000_seed7_rgba_#000000 --background=paper.png")
    parser.add_argument("dir_in", help="folder of PNG frames, e.g. out/bezier_s4_f64/20261121-093000_seed7")
    parser.add_argument("--out", default=None,
                        help="video file to write, its extension the format: .mp4, .webm, .mov, .gif or .png "
                             "(APNG) (default: <dir_in>.mp4 beside the folder)")
    parser.add_argument("--background", default=None,
                        help="what transparent frames are laid over: an image (paper.png), a video "
                             "(clouds.mp4, looped) or a colour ('#f4efe1'); default: kept transparent "
                             "where the format can, else white")
    parser.add_argument("--fps", type=positive_float, default=None,
                        help=f"frames per second, e.g. 24 (default: the fps recorded beside the folder by "
                             f"path.py, else {DEFAULT_FPS})")
    parser.add_argument("--crf", type=crf_value, default=None,
                        help=f"quality of .mp4 (H.264) and .webm (VP9), 0 (lossless) to 51 (worst); +6 about "
                             f"halves the size, e.g. 23 (default: {FORMATS['.mp4'].crf} for .mp4, "
                             f"{FORMATS['.webm'].crf} for .webm)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out even when it is a file mp4.py did not write")
    args = parser.parse_args()
    dir_in = Path(args.dir_in)
    path_out = Path(args.out) if args.out else default_video_path(dir_in)
    count, fps = make_video(dir_in, path_out, args.background, args.fps, args.crf, args.overwrite)
    print(f"{path_out}: {count} frames at {fps:g} fps")


if __name__ == "__main__":
    run(main)
