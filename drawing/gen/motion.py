"""How evenly an animation moves: the change of every step (drawing/change.py), summed up and plotted.

The summary of a loop's steps (`summarise`), the numbers path.py records for every run and motion.py
prints for any animation:
- `median`: the median step, in grey levels (0-255) of blurred luma: how fast the animation moves;
- `p95_over_median`: the 95th percentile step over the median: 1 is perfectly even; 4 means the
  fastest twentieth of the steps move four times as far as a typical one;
- `max_over_median`: the largest step over the median: the worst jump;
- `still_share`: the share of near-still steps, those under a tenth of the median
  (`STILL_SHARE_OF_MEDIAN`): the stretches where the animation seems to stop.
The plot (`plot_motion`) draws the change of each step against the frame it starts from, so the
rhythm (steady, or still and then a jump) shows at a glance; `--compare` draws several in one.

Animations are read a few frames at a time, whatever their length (`animation_batches`): a folder of
frames (path.py's, rgba.py's, the original's: its PNGs in natural order, all one size), or a video in
any format mp4.py writes (mp4, webm, mov, gif, apng), decoded by the ffmpeg that imageio-ffmpeg
carries (VP9 by libvpx, which keeps the alpha). Transparent frames are measured over white paper.
"""
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

from drawing.change import ChangeMeter
from drawing.errors import UserError
from drawing.files import atomic_path, write_text_atomic
from drawing.folders import check_not_overlapping, command_line, read_record, record_path, require_complete
from drawing.gen.frames import composite_over, list_frames
from drawing.gen.video import read_ahead
from drawing.images import read_image

log = logging.getLogger(__name__)

STAGE = "motion.py"
STILL_SHARE_OF_MEDIAN = 0.1   # a step under this share of the median step is near-still
PERCENTILE = 95
FRAMES_PER_BATCH = 16
PLOT_SOFTWARE = "drawing motion plot"   # the PNG text chunk "Software" of every motion plot: how a rerun
                                        # knows a plot it may replace from a file of the user's
WHITE = 255


# ---- the numbers ------------------------------------------------------------------------------------

def summarise(changes):
    """The summary of an animation's steps (see the module's docstring); the ratios are None where the
    median step is 0 (an animation standing still most of the time), everything but `steps` where there
    is no step (a single drawing)."""
    changes = np.asarray(changes, dtype=np.float64)
    if len(changes) == 0:
        return {"steps": 0, "median": None, "p95_over_median": None, "max_over_median": None, "still_share": None}
    median = float(np.median(changes))
    ratio = (lambda value: round(float(value) / median, 4)) if median > 0 else (lambda value: None)
    return {"steps": int(len(changes)), "median": round(median, 4),
            "p95_over_median": ratio(np.percentile(changes, PERCENTILE)), "max_over_median": ratio(changes.max()),
            "still_share": round(float(np.mean(changes < STILL_SHARE_OF_MEDIAN * median)), 4)}


def describe(summary):
    """One line of a summary, e.g. '512 steps: median 4.41 grey levels, p95/median 1.01, ...'."""
    def ratio(value):
        return "-" if value is None else f"{value:.2f}"
    if summary["steps"] == 0:
        return "no step: a single frame"
    return (f"{summary['steps']} steps: median {summary['median']:.3g} grey levels, p95/median "
            f"{ratio(summary['p95_over_median'])}, max/median {ratio(summary['max_over_median'])}, "
            f"near-still {100 * summary['still_share']:.1f} %")


# ---- the plot ---------------------------------------------------------------------------------------

def is_motion_plot(path):
    """Whether the PNG at `path` is a motion plot this project wrote (so a rerun may replace it)."""
    try:
        with Image.open(path) as image:
            return image.info.get("Software") == PLOT_SOFTWARE
    except (OSError, ValueError):
        return False


def plot_motion(series, path, title):
    """The change of every step against its first frame, one line per (label, changes) of `series`,
    each with its median dashed; written as a PNG atomically."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=120, layout="constrained")
    ax = figure.subplots()
    for index, (label, changes) in enumerate(series):
        colour = f"C{index}"
        summary = summarise(changes)
        ax.plot(np.arange(len(changes)), changes, color=colour, linewidth=0.9,
                label=f"{label}: p95/median {summary['p95_over_median'] or 0:.2f}, "
                      f"max/median {summary['max_over_median'] or 0:.2f}")
        if summary["median"] is not None:
            ax.axhline(summary["median"], color=colour, linewidth=0.7, linestyle="--")
    ax.set_xlabel("step (from frame k to frame k + 1)")
    ax.set_ylabel("change (grey levels)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", metadata={"Software": PLOT_SOFTWARE})


# ---- reading animations -----------------------------------------------------------------------------

def folder_batches(folder):
    """The frames of a frames folder as uint8 RGB batches (transparency over white), and their count."""
    paths, _, _ = list_frames(folder)
    require_complete(folder, "frames folder")

    def batches():
        frames = read_ahead(lambda path: read_image(path, "RGB"), paths)
        batch = []
        for frame in frames:
            batch.append(frame)
            if len(batch) == FRAMES_PER_BATCH:
                yield np.stack(batch)
                batch = []
        if batch:
            yield np.stack(batch)
    return batches(), len(paths)


def open_video(path):
    """ffmpeg's frames of a video as RGBA bytes and its (width, height); VP9 decoded by libvpx, which
    keeps the alpha channel that ffmpeg's own VP9 decoder drops."""
    def reader(input_params=None):
        frames = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgba", bpp=4, input_params=input_params,
                                            output_params=["-fps_mode", "passthrough"])
        try:
            return frames, next(frames)
        except (OSError, RuntimeError, StopIteration, IndexError, KeyError, ValueError):
            frames.close()
            raise UserError(f"{path}: not a video ffmpeg can read (nor a folder of frames)") from None
    frames, meta = reader()
    if str(meta.get("codec", "")).startswith("vp9"):
        frames.close()
        frames, meta = reader(["-c:v", "libvpx-vp9"])
    return frames, tuple(meta["size"])


def video_batches(path):
    """The frames of a video as uint8 RGB batches, laid over white where they are transparent."""
    frames, (width, height) = open_video(path)
    white = np.full((height, width, 3), WHITE, dtype=np.uint8)

    def batches():
        batch = []
        try:
            for raw in frames:
                rgba = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)
                batch.append(composite_over(rgba, white))
                if len(batch) == FRAMES_PER_BATCH:
                    yield np.stack(batch)
                    batch = []
        except RuntimeError as error:   # ffmpeg stopped partway: a truncated or damaged file
            raise UserError(f"{path}: the video cannot be decoded to its end ({error})") from None
        finally:
            frames.close()
        if batch:
            yield np.stack(batch)
    return batches(), None


def animation_batches(source):
    """uint8 RGB batches of the frames of `source` (a frames folder or a video file), and their count
    where it is known before reading (a folder's)."""
    source = Path(source)
    if source.is_dir():
        return folder_batches(source)
    if not source.exists():
        raise UserError(f"{source}: not found (give a folder of frames or a video)")
    return video_batches(source)


def is_loop(source):
    """Whether `source` is played on repeat: everything but the frames of path.py's random style,
    which are independent drawings."""
    record = read_record(source) if Path(source).is_dir() else None
    return not (record and record.get("stage") == "path.py" and record.get("style") == "random")


def measure_animation(source, closed=True):
    """float64 [steps]: the change of every step of `source`, the closing one (last frame back to the
    first) included when `closed`; a one-line error for fewer than 2 frames."""
    batches, _ = animation_batches(source)
    meter = ChangeMeter()
    for batch in batches:
        meter.add(batch)
    if meter.count < 2:
        raise UserError(f"{source}: {meter.count} frame{'s' if meter.count != 1 else ''}; "
                        "measuring motion needs at least 2")
    return meter.changes(closed)


# ---- motion.py --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MotionReport:
    """What `motion_report` wrote: the summary, the plot and the record."""
    summary: dict
    plot: Path
    record: Path


def check_replaceable(plot, record_file):
    """Refuse to write over a plot or record beside the input that this project did not write."""
    if record_file.exists():
        try:
            ours = json.loads(record_file.read_text(encoding="utf-8")).get("stage") == STAGE
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            ours = False
        if not ours:
            raise UserError(f"{record_file}: exists and was not written by motion.py; move it away first")
    if plot.exists() and not is_motion_plot(plot):
        raise UserError(f"{plot}: exists and is not a motion plot of this project's; move it away first")


def motion_report(source, closed=None, command=None):
    """Measure `source` (a frames folder or a video), write `<source>_motion.png` and
    `<source>_motion.json` beside it; the `MotionReport`. `closed` None: a loop unless the frames are
    path.py's random drawings."""
    source = Path(source)
    plot, record_file = record_path(source, "_motion.png"), record_path(source, "_motion.json")
    check_replaceable(plot, record_file)
    closed = is_loop(source) if closed is None else closed
    changes = measure_animation(source, closed)
    summary = summarise(changes)
    plot_motion([(source.name, changes)], plot, f"{source.name}: change per step")
    record = {"stage": STAGE, "command": command or command_line(), "input": str(source.resolve()),
              "loop": closed, "motion": summary, "changes": [round(float(value), 4) for value in changes],
              "complete": True}
    write_text_atomic(record_file, json.dumps(record, indent=1) + "\n")
    return MotionReport(summary, plot, record_file)


def compare_animations(sources, out, closed=None):
    """Several animations' steps in one plot at `out`; the (source, summary) of each."""
    out = Path(out)
    check_not_overlapping(out, sources, option="--out")
    if out.suffix.lower() != ".png":
        raise UserError(f"{out}: --out is a PNG plot; end it with .png")
    if out.exists() and not is_motion_plot(out):
        raise UserError(f"{out}: exists and is not a motion plot of this project's; choose another --out")
    measured = [(Path(source), measure_animation(source, is_loop(source) if closed is None else closed))
                for source in sources]
    labels = [source.name for source, _ in measured]
    if len(set(labels)) < len(labels):
        labels = [str(source) for source, _ in measured]
    plot_motion(list(zip(labels, (changes for _, changes in measured))), out, "change per step")
    return [(source, summarise(changes)) for source, changes in measured]
