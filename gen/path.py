"""Walk a path through a trained generator's latent space and write every step as a PNG frame.

    python path.py ../demo_out/run bezier --dir_out=out --segments=4 --frames=64 --seed=7
    python path.py ../demo_out/run phase --seconds=10 --grid=3x3 --seed=7

<model> is a checkpoint file (ours or the original's pickle) or a training run folder (its latest
checkpoint; the EMA generator when there is one). Styles:

- random     `--count` independent normal latents: a synthetic dataset, no path.
- bezier     a closed loop of `--segments` quartic Bezier segments of `--frames` frames each, through
             random anchors, the tangent continuous at every join.
- bitloop    the bitstring `--bitloop` repeated across the latent dimensions: a 1 makes its dimension
             follow one sine period over the loop, a 0 holds it still. The loop is 512 frames, as the
             original's, whatever `--frames` says (the original's bitloop ignored it too); `--loop_frames` sets
             another length.
- period     every dimension a sine around a random centre with a random divisor of 60 as its number
             of cycles, so the whole path loops after `--seconds` at `--fps`.
- phase      every dimension one sine period of `--seconds`, each with a random phase: a steady tumble.
- keyframes  a loop through chosen latents, e.g. frames you liked from a random run
             (`--keyframes out/random_c64/<run id> --pick 3,17,42`, or the `.npy` of gen/project.py),
             `--frames` per step between them, interpolated `--interpolation` linear, spherical or spline.

Every loop is sampled without its end point, so played on repeat no frame is ever shown twice in a row.
A style option the chosen style does not read gets a note on stderr and is ignored, so the original
README's command line with every flag runs and gives the original's result.

`--grid=3x3` makes one animation whose frames are a grid of independent loops of the style, each cell
with its own seed (a run with `--seed=<cell seed>` gives that cell's loop alone), cells of `--cell_size`
px apart by a `--gap` of light grey.

Output: `<dir_out>/<style folder>/<run id>/` with the frames `0000.png` ... (zero-padded to the width of
the last index), e.g. `out/bezier_s4_f64/20261121-093000_seed7/`. Style folders: `random_c<count>`,
`bezier_s<segments>_f<frames>`, `bitloop_b<bits>`, `period_s<seconds>`, `phase_s<seconds>`,
`keyframes_<interpolation>_k<keyframes>_f<frames>`, with `_grid<columns>x<rows>` added for a grid. The
frames folder holds the frames only; beside it, named after it (drawing/folders.py):
- `<run id>.json`: the record: `stage`, `command`, `seed`, `style`, `model`, `latent_size`,
  `resolution`, `frames`, `fps`, `truncation`, `batch`, `int8`, `options` (the style's own settings),
  `grid` and `cell_seeds` for a grid, `created`, and `complete`, true only once every frame is written.
- `<run id>.npy`: float32 [frames, latent_size] ([frames, cells, latent_size] for a grid), exactly what
  the generator was given (after truncation, so a keyframes run picking from it with `--truncation`
  below 1 scales them once more).
- `<run id>_plot.png`: for models with up to 64 latent dimensions, bitloop, period and phase plot every
  dimension's modulation.
An interrupted run is finished by rerunning the same command: it finds the incomplete run folder of
the same settings and writes the frames still missing, the same frames an uninterrupted run writes.

The generator runs in batches of `--batch` in a compiled function while other threads encode and
write the PNGs of the previous batch. `--int8` runs it with 8-bit weights under TensorFlow Lite
(drawing/gan/int8.py): on a CPU about twice as fast, each frame within a few grey levels of the exact
one (half a level on average); the same seed and options give the same int8 frames again.
"""
import argparse
import json
import secrets
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from tqdm import tqdm

from drawing.cli import non_negative_int, positive_float, positive_int, run
from drawing.errors import UserError
from drawing.files import atomic_path, natural_sorted
from drawing.folders import (
    check_not_overlapping,
    command_line,
    open_output_folder,
    read_record,
    record_path,
    require_complete,
    write_record,
)
from drawing.gen import latent_paths
from drawing.gen.frames import frame_name
from drawing.images import to_uint8, write_png
from drawing.parallel import default_workers

STAGE = "path.py"
DEFAULT_FPS = 30
DEFAULT_BATCH = 16
NPY_MAGIC = b"\x93NUMPY"       # how every .npy file starts
MIN_LOOP_FRAMES = 2          # a "loop" of one frame is a still
BITLOOP_FRAMES = 512         # the original's bitloop length, whatever --frames said
PLOT_MAX_DIMENSIONS = 64
INT8_HINT_PIXELS = 64 * 256 * 256  # renders of more than about a minute on a CPU
GRID_MAX_SIDE = 2048         # px: cells shrink below the model's resolution so a grid frame fits this
GRID_GAP_GREY = 0.8          # light grey between cells, apart from the white paper of the drawings
CELL_SEED_STREAM = 1         # the random stream the cell seeds of a grid are drawn from
# What must match for a rerun to finish an interrupted run rather than start a new one.
RESUME_SETTINGS = ("style", "model", "options", "fps", "truncation", "batch", "int8", "grid")


# ---- the styles ----

@dataclass(frozen=True)
class PathRequest:
    """What a style needs to make its path: its options, the model's latent size, the fps, keyframes."""
    options: dict
    latent_size: int
    fps: float
    keyframes: np.ndarray = None


def frames_of_seconds(seconds, fps):
    return int(round(seconds * fps))


def check_bitloop(options, fps):
    try:
        latent_paths.parse_bitstring(options["bitloop"])
    except ValueError as error:
        raise UserError(f"--bitloop: {error}") from None


def check_wave_length(options, fps):
    if frames_of_seconds(options["seconds"], fps) < latent_paths.MIN_FRAMES_PER_PERIOD:
        raise UserError(f"--seconds {options['seconds']:g} at --fps {fps:g} is under "
                        f"{latent_paths.MIN_FRAMES_PER_PERIOD} frames, too short for a loop")


def check_keyframes(options, fps):
    if options["keyframes"] is None:
        raise UserError("keyframes: give --keyframes <run folder or .npy> (and --pick 3,17,42)")
    if options["pick"]:
        parse_pick(options["pick"])


@dataclass(frozen=True)
class Style:
    """One path style: the options it reads (with defaults), its folder name, its checks, its latents."""
    name: str
    options: dict
    folder: Callable[[PathRequest], str]
    latents: Callable[[PathRequest, np.random.Generator], np.ndarray]
    check: Callable[[dict, float], None] = lambda options, fps: None
    seeded: bool = True      # keyframes makes no random choice: every cell of a grid would be the same
    instead: dict = field(default_factory=dict)   # an ignored option -> what to give instead


STYLES = {style.name: style for style in (
    Style("random", {"count": 1},
          folder=lambda request: f"random_c{request.options['count']}",
          latents=lambda request, rng: latent_paths.random_latents(rng, request.options["count"],
                                                                   request.latent_size)),
    Style("bezier", {"segments": 32, "frames": 256},
          folder=lambda request: f"bezier_s{request.options['segments']}_f{request.options['frames']}",
          latents=lambda request, rng: latent_paths.bezier_latents(
              rng, request.options["segments"], request.options["frames"], request.latent_size)),
    # The original's bitloop always made 512 frames and ignored --frames (which the original README's command
    # line sets for bezier), so bitloop's own length is a flag of its own.
    Style("bitloop", {"bitloop": "1100", "loop_frames": BITLOOP_FRAMES},
          folder=lambda request: f"bitloop_b{request.options['bitloop']}",
          latents=lambda request, rng: latent_paths.bitloop_latents(
              rng, request.options["bitloop"], request.options["loop_frames"], request.latent_size),
          check=check_bitloop,
          instead={"frames": f"its loop is --loop_frames long, default {BITLOOP_FRAMES} as the original's"}),
    Style("period", {"seconds": 60},
          folder=lambda request: f"period_s{request.options['seconds']:g}",
          latents=lambda request, rng: latent_paths.period_latents(
              rng, frames_of_seconds(request.options["seconds"], request.fps), request.latent_size),
          check=check_wave_length),
    Style("phase", {"seconds": 60},
          folder=lambda request: f"phase_s{request.options['seconds']:g}",
          latents=lambda request, rng: latent_paths.phase_latents(
              rng, frames_of_seconds(request.options["seconds"], request.fps), request.latent_size),
          check=check_wave_length),
    Style("keyframes", {"keyframes": None, "pick": None, "frames": 256, "interpolation": "spline"},
          folder=lambda request: (f"keyframes_{request.options['interpolation']}_k{len(request.keyframes)}"
                                  f"_f{request.options['frames']}"),
          latents=lambda request, rng: latent_paths.keyframe_loop(
              request.keyframes, request.options["frames"], request.options["interpolation"]),
          check=check_keyframes, seeded=False),
)}
WAVE_STYLES = ("bitloop", "period", "phase")


def style_options(style, given):
    """The style's settings: the options given on the command line, the style's defaults for the rest."""
    return {name: given[name] if given.get(name) is not None else default
            for name, default in STYLES[style].options.items()}


def unused_options(style, given):
    """The style options given on the command line that `style` does not read."""
    every = {name for other in STYLES.values() for name in other.options}
    return sorted(name for name in every - set(STYLES[style].options) if given.get(name) is not None)


def unused_note(style, given):
    """The note on the style options given that `style` does not read (and what to give instead), or None."""
    unused = unused_options(style, given)
    if not unused:
        return None
    instead = [STYLES[style].instead[name] for name in unused if name in STYLES[style].instead]
    return (f"note: {style} does not use " + ", ".join(f"--{name}" for name in unused) + "; ignored"
            + "".join(f" ({hint})" for hint in instead))


def check_options(style, options, fps):
    """Settings that cannot make a path, found before the model takes seconds to load."""
    for name, where in (("frames", "per step"), ("loop_frames", "in the loop")):
        frames = options.get(name)
        if frames is not None and frames < MIN_LOOP_FRAMES:
            raise UserError(f"--{name} {frames}: a loop needs at least {MIN_LOOP_FRAMES} frames ({where})")
    STYLES[style].check(options, fps)


def parse_pick(text):
    """'3,17,42' -> [3, 17, 42]; a UserError for anything but non-negative whole numbers."""
    try:
        picked = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42") from None
    if not picked or min(picked) < 0:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42")
    return picked


def keyframes_file(source):
    """The .npy of `--keyframes`: the file itself, or `<folder>.npy` beside a frames or image folder."""
    source = Path(source)
    if source.is_dir():
        require_complete(source, "keyframes folder")
        return record_path(source, ".npy")
    if source.suffix == ".npy":
        require_complete(source.with_suffix(""), "keyframes run")
    return source


def load_keyframes(source, pick, latent_size):
    """The picked rows of the latents of a path.py or project.py run, checked against the model."""
    path = keyframes_file(source)
    if not path.exists():
        raise UserError(f"{path}: not found; --keyframes takes a folder written by path.py or project.py "
                        "(its latents are the .npy beside it) or a .npy file")
    header = None
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(NPY_MAGIC))
        latents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        lacks_header = header is not None and header != NPY_MAGIC
        problem = "not a .npy file (it lacks the .npy header)" if lacks_header else "not a readable .npy file"
        raise UserError(f"{path}: {problem} of latents ({error})") from None
    if latents.ndim == 3:
        raise UserError(f"{path}: latents of a grid {latents.shape}; pick keyframes from a run without --grid "
                        "(or from a cell's own run, --seed=<cell seed>)")
    if latents.ndim != 2 or not np.issubdtype(latents.dtype, np.floating):
        raise UserError(f"{path}: expected a float array [frames, latent_size], found {latents.dtype} {latents.shape}")
    if latents.shape[1] != latent_size:
        raise UserError(f"{path}: latents have {latents.shape[1]} dimensions but the model takes {latent_size}")
    picked = parse_pick(pick) if pick else list(range(len(latents)))
    beyond = [index for index in picked if index >= len(latents)]
    if beyond:
        raise UserError(f"{path}: holds frames 0 to {len(latents) - 1}; cannot pick {beyond[0]}")
    if len(picked) < 2:
        raise UserError(f"{path}: a keyframe loop needs at least 2 keyframes; pick more with --pick")
    broken = [index for index in picked if not np.isfinite(latents[index]).all()]
    if broken:
        raise UserError(f"{path}: frame {broken[0]}'s latent is not all finite numbers (NaN or infinity); "
                        "pick other frames with --pick, or write the latents again")
    return latents[picked]


# ---- the grid ----

@dataclass(frozen=True)
class GridLayout:
    """`columns` x `rows` square cells of `cell_size` px, `gap` px apart."""
    columns: int
    rows: int
    cell_size: int
    gap: int

    @property
    def cells(self):
        return self.columns * self.rows

    @property
    def size(self):
        """(width, height) of a grid frame."""
        return (self.columns * (self.cell_size + self.gap) - self.gap,
                self.rows * (self.cell_size + self.gap) - self.gap)

    def origin(self, cell):
        """(top, left) of cell `cell`, counted row by row from the top left."""
        row, column = divmod(cell, self.columns)
        return row * (self.cell_size + self.gap), column * (self.cell_size + self.gap)


def parse_grid(text):
    """'3x2' -> (3 columns, 2 rows); a UserError for anything else."""
    parts = text.lower().split("x")
    try:
        columns, rows = (int(part) for part in parts)
    except ValueError:
        raise UserError(f"--grid {text!r}: give columns x rows, e.g. 3x3") from None
    if columns < 1 or rows < 1 or columns * rows < 2:
        raise UserError(f"--grid {text!r}: give at least 2 cells, e.g. 3x3 (columns x rows)")
    return columns, rows


def grid_layout(text, resolution, cell_size=None, gap=None):
    """The layout of `--grid`: cells at the model's resolution unless the frame would exceed
    GRID_MAX_SIDE, and a gap of about 1/64 of a cell (2 px at least)."""
    columns, rows = parse_grid(text)
    if cell_size is None:
        cell_size = max(1, min(resolution, GRID_MAX_SIDE // max(columns, rows)))
    if gap is None:
        gap = max(2, round(cell_size / 64))
    return GridLayout(columns, rows, cell_size, gap)


def cell_seeds(seed, cells):
    """One seed per cell, drawn from the run's seed: the same run seed gives the same cells."""
    rng = np.random.default_rng([seed, CELL_SEED_STREAM])
    return [int(value) for value in rng.integers(0, 2 ** 31, cells)]


def compose_grid(cell_images, layout):
    """Cell images [N, cells, R, R, 3] in [0, 1] laid out as grid frames [N, height, width, 3]."""
    count, cells, resolution = cell_images.shape[:3]
    width, height = layout.size
    frames = np.full((count, height, width, 3), GRID_GAP_GREY, dtype=np.float32)
    interpolation = cv2.INTER_AREA if layout.cell_size < resolution else cv2.INTER_LINEAR
    for cell in range(cells):
        top, left = layout.origin(cell)
        for index in range(count):
            image = cell_images[index, cell]
            if layout.cell_size != resolution:
                image = cv2.resize(image, (layout.cell_size, layout.cell_size), interpolation=interpolation)
            frames[index, top:top + layout.cell_size, left:left + layout.cell_size] = image
    return frames


def grid_generator(generate, layout):
    """`generate` for latents [N, cells, latent_size]: grid frames [N, height, width, 3] in [0, 1]."""
    def generate_grid(latents):
        count, cells, latent_size = latents.shape
        images = np.asarray(generate(latents.reshape(count * cells, latent_size)), dtype=np.float32)
        return compose_grid(images.reshape(count, cells, *images.shape[1:]), layout)
    return generate_grid


# ---- the plot ----

def plot_waves(latents, path, title):
    """A small chart per dimension of its value over the loop, written as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    frames, dims = latents.shape
    columns = int(np.ceil(np.sqrt(dims)))
    rows = int(np.ceil(dims / columns))
    figure = Figure(figsize=(1.6 * columns, 1.1 * rows + 0.4), dpi=150, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).ravel()
    for dim, ax in enumerate(axes):
        if dim >= dims:
            ax.set_axis_off()
            continue
        ax.plot(np.arange(frames), latents[:, dim], linewidth=0.8)
        ax.set_title(f"dim {dim + 1}", fontsize=6, pad=2)
        ax.tick_params(labelsize=5, length=2, pad=1)
    figure.suptitle(title, fontsize=8)
    figure.supxlabel("frame", fontsize=7)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")


# ---- the frames ----

def render_frames(generate, latents, run_dir, batch_size, workers=None):
    """Generate the frames batch by batch and write them as PNGs on other threads meanwhile.

    `generate` maps float32 [N, latent_size] to images [N, H, W, 3] in [0, 1]. Threads, not processes:
    TensorFlow is loaded and must not be forked, and OpenCV's PNG encoder releases the GIL. At most
    two batches wait for writing, so memory stays flat however long the path. A batch whose frames are
    all there already (an interrupted run being finished) is skipped; batches always start at multiples
    of `batch_size`, so every frame is computed in the same batch as in an uninterrupted run.
    """
    count = len(latents)
    run_dir = Path(run_dir)
    bar = tqdm(total=count, desc="frames", unit="frame", dynamic_ncols=True, disable=None, file=sys.stderr)
    pending = deque()
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        try:
            for start in range(0, count, batch_size):
                names = [frame_name(index, count) for index in range(start, min(start + batch_size, count))]
                if all((run_dir / name).is_file() for name in names):
                    bar.update(len(names))
                    continue
                images = to_uint8(generate(latents[start:start + batch_size]))
                for name, image in zip(names, images):
                    pending.append(pool.submit(write_png, run_dir / name, image))
                while len(pending) > 2 * batch_size:
                    pending.popleft().result()
                    bar.update()
            while pending:
                pending.popleft().result()
                bar.update()
        finally:
            for future in pending:
                future.cancel()
            bar.close()


# ---- the run folder ----

def run_name(seed, attempt=1):
    """A run id: the UTC time and the original, e.g. 20261121-093000_seed7."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_seed{seed}" + (f"_{attempt}" if attempt > 1 else "")


def new_run_dir(parent, seed):
    """A fresh run folder named by the time and the original, never one that exists already."""
    for attempt in range(1, 1000):
        name = run_name(seed, attempt)
        if (parent / name).exists() or record_path(parent / name).exists():
            continue
        try:
            (parent / name).mkdir(parents=True)
            return parent / name
        except FileExistsError:
            continue
    raise UserError(f"{parent}: cannot find a free run folder name")


def unfinished_run(style_dir, settings, seed):
    """The newest interrupted path.py run in `style_dir` with these settings (and `seed`, unless None)."""
    if not style_dir.is_dir():
        return None
    wanted = json.loads(json.dumps(settings))   # as a record holds them: lists for tuples, and so on
    for record_file in reversed(natural_sorted(style_dir.glob("*.json"))):
        run_dir = record_file.with_suffix("")
        if not run_dir.is_dir():
            continue
        record = read_record(run_dir)
        if (record.get("stage") == STAGE and record.get("complete") is False
                and all(record.get(key) == value for key, value in wanted.items())
                and (seed is None or record.get("seed") == seed)):
            return run_dir
    return None


def open_run(style_dir, settings, seed, inputs):
    """(the interrupted run to finish and its record), or (None, {}) where a new run is to start."""
    run_dir = unfinished_run(style_dir, settings, seed)
    if run_dir is None:
        return None, {}
    record = open_output_folder(run_dir, STAGE, inputs)   # also removes the frames the killed run was writing
    print(f"{run_dir}: finishing this interrupted run", file=sys.stderr, flush=True)
    return run_dir, record


def save_latents(path, latents):
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, latents, allow_pickle=False)


def load_model(model):
    """The generator of a checkpoint or run folder, TensorFlow imported only now."""
    if not Path(model).exists():
        raise UserError(f"{model}: model not found (give a checkpoint file or a training run folder)")
    from drawing.gan import load_generator
    return load_generator(model)


def int8_hint(frame_count, resolution):
    """A line suggesting --int8 when a long float32 render is about to run on a CPU, else None."""
    if frame_count * resolution * resolution < INT8_HINT_PIXELS:
        return None
    from drawing.backend import tf
    if tf.config.list_physical_devices("GPU"):
        return None
    return "tip: on a CPU, --int8 renders about twice as fast (frames within a few grey levels)"


def to_int8(generator, batch_size):
    """The generator with 8-bit weights under TensorFlow Lite (see drawing.gan.int8), converted once
    per model and batch size and then kept in the cache folder."""
    from drawing.gan.int8 import Int8Generator, default_cache_dir
    cache_dir = default_cache_dir()
    print(f"int8: preparing the 8-bit generator (converted once per model and batch size, kept in {cache_dir})",
          file=sys.stderr, flush=True)
    return Int8Generator(generator, batch_size, cache_dir=cache_dir)


def make_latents(style, request, seed, layout=None):
    """The path: [frames, latent_size], or [frames, cells, latent_size] for a grid (one seed per cell)."""
    try:
        if layout is None:
            return STYLES[style].latents(request, np.random.default_rng(seed))
        return np.stack([STYLES[style].latents(request, np.random.default_rng(cell_seed))
                         for cell_seed in cell_seeds(seed, layout.cells)], axis=1)
    except ValueError as error:
        raise UserError(f"{style}: {error}") from None


def generate_path(args, argv, generator_loader=load_model):
    """Everything path.py does, `argv` being its command line (recorded beside the frames): the run folder."""
    style = STYLES[args.style]
    options = style_options(args.style, vars(args))
    fps = args.fps
    check_options(args.style, options, fps)
    if args.grid is not None:
        parse_grid(args.grid)
        if not style.seeded:
            raise UserError(f"--grid: {args.style} makes no random choice, every cell would be the same")
    inputs = [Path(args.model)]
    generator = generator_loader(args.model)
    latent_size = generator.latent_size
    keyframes = None
    if args.style == "keyframes":
        keyframes = load_keyframes(options["keyframes"], options["pick"], latent_size)
        inputs.append(Path(options["keyframes"]))
    request = PathRequest(options, latent_size, fps, keyframes)
    layout = None if args.grid is None else grid_layout(args.grid, generator.resolution, args.cell_size, args.gap)

    grid_suffix = "" if layout is None else f"_grid{layout.columns}x{layout.rows}"
    style_dir = Path(args.dir_out) / (style.folder(request) + grid_suffix)
    check_not_overlapping(style_dir / run_name(args.seed or 0), inputs)   # the run folder to be
    settings = {"style": args.style, "model": str(Path(args.model).resolve()),
                "options": {name: value for name, value in options.items() if value is not None},
                "fps": fps, "truncation": args.truncation, "batch": args.batch, "int8": args.int8,
                "grid": None if layout is None else asdict(layout)}
    run_dir, record = open_run(style_dir, settings, args.seed, inputs)
    seed = record.get("seed", args.seed if args.seed is not None else secrets.randbelow(2 ** 31))
    if not run_dir:
        run_dir = new_run_dir(style_dir, seed)
    latents = latent_paths.truncate(make_latents(args.style, request, seed, layout), args.truncation)
    if not record:
        record = {"stage": STAGE, "command": command_line(argv), "seed": seed, **settings,
                  "latent_size": latent_size, "resolution": generator.resolution, "frames": len(latents),
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if layout is not None:
            record["cell_seeds"] = cell_seeds(seed, layout.cells)
        write_record(run_dir, record, complete=False)
    save_latents(record_path(run_dir, ".npy"), latents)
    if args.style in WAVE_STYLES and layout is None and latent_size <= PLOT_MAX_DIMENSIONS:
        plot_waves(latents, record_path(run_dir, "_plot.png"), f"{style_dir.name}, seed {seed}")

    if args.int8:   # once the path is known to be good: converting takes seconds
        generator = to_int8(generator, args.batch)
    hint = None if args.int8 else int8_hint(len(latents) * (1 if layout is None else layout.cells),
                                            generator.resolution)
    if hint:
        print(hint, file=sys.stderr, flush=True)
    generate, batch = generator, args.batch
    if layout is not None:
        generate, batch = grid_generator(generator, layout), max(1, args.batch // layout.cells)
    started = time.perf_counter()
    render_frames(generate, latents, run_dir, batch)
    elapsed = time.perf_counter() - started
    write_record(run_dir, record, complete=True)
    print(f"{len(latents)} frames in {run_dir} ({len(latents) / elapsed:.1f} frames/s)")
    return run_dir


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python path.py ../demo_out/run random --count=64 --seed=1\n"
               "  python path.py ../demo_out/run bezier --segments=8 --frames=128\n"
               "  python path.py ../demo_out/run bitloop --bitloop=00110011 --loop_frames=256\n"
               "  python path.py ../demo_out/run period --seconds=60\n"
               "  python path.py ../demo_out/run phase --seconds=20 --fps=24 --grid=3x3\n"
               "  python path.py ../demo_out/run keyframes --keyframes=out/random_c64/<run id> --pick=3,17,42")
    parser.add_argument("model", help="checkpoint file or training run folder, e.g. ../demo_out/run")
    parser.add_argument("style", choices=STYLES, help="path style: " + ", ".join(STYLES))
    parser.add_argument("--dir_out", default="out", help="output folder, e.g. out (default: out)")
    parser.add_argument("--count", type=positive_int, help="random: number of images, e.g. 1000 (default: 1)")
    parser.add_argument("--segments", type=positive_int,
                        help="bezier: number of curve segments in the loop, e.g. 8 (default: 32)")
    parser.add_argument("--frames", type=positive_int,
                        help="bezier, keyframes: frames per segment, at least 2 (default: 256)")
    parser.add_argument("--loop_frames", type=positive_int,
                        help=f"bitloop: frames in the loop, at least 2 (default: {BITLOOP_FRAMES}, as the "
                             "seed's, which ignored --frames)")
    parser.add_argument("--bitloop", help="bitloop: bits repeated over the dimensions, 1 moves and 0 "
                                          "holds, e.g. 00110011 (default: 1100)")
    parser.add_argument("--seconds", type=positive_float,
                        help="period, phase: length of the loop in seconds at --fps, e.g. 20 (default: 60)")
    parser.add_argument("--keyframes", help="keyframes: a folder written by path.py or project.py (the latents "
                                            "are the .npy beside it) or a .npy file of latents, e.g. "
                                            "out/random_c64/20261121-093000_seed1")
    parser.add_argument("--pick", help="keyframes: frame numbers to loop through, in order, e.g. 3,17,42 "
                                       "(default: all of them)")
    parser.add_argument("--interpolation", choices=latent_paths.INTERPOLATIONS,
                        help="keyframes: linear, spherical (great circles) or spline (smooth periodic "
                             "cubic spline) (default: spline)")
    parser.add_argument("--grid", help="a grid of independent loops of the style, columns x rows, each cell "
                                       "with its own seed, e.g. 3x3 (default: one loop)")
    parser.add_argument("--cell_size", type=positive_int,
                        help=f"--grid: side of a cell in px, e.g. 128 (default: the model's resolution, "
                             f"smaller where the grid would be over {GRID_MAX_SIDE} px)")
    parser.add_argument("--gap", type=non_negative_int,
                        help="--grid: light grey px between cells, e.g. 0 (default: a 64th of a cell, 2 at least)")
    parser.add_argument("--fps", type=positive_float, default=DEFAULT_FPS,
                        help=f"frames per second the animation is meant for; sets the frame count of "
                             f"period and phase, and mp4.py reads it, e.g. 24 (default: {DEFAULT_FPS})")
    parser.add_argument("--truncation", type=positive_float, default=1.0,
                        help="scale latents toward the mean: below 1 gives tamer, more typical images, "
                             "e.g. 0.7 (default: 1, no truncation)")
    parser.add_argument("--batch", type=positive_int, default=DEFAULT_BATCH,
                        help=f"latents per generator call, e.g. 32 (default: {DEFAULT_BATCH})")
    parser.add_argument("--int8", action="store_true",
                        help="run the generator with 8-bit weights (TensorFlow Lite, CPU): about twice as fast, "
                             "frames within a few grey levels of the exact ones")
    parser.add_argument("--seed", type=non_negative_int,
                        help="random seed; the same seed and options give the same frames, e.g. 7 "
                             "(default: a fresh one, recorded in <run id>.json)")
    return parser


def main():
    args = build_parser().parse_args()
    note = unused_note(args.style, vars(args))
    if note:
        print(note, file=sys.stderr, flush=True)
    if args.grid is None and (args.cell_size is not None or args.gap is not None):
        print("note: --cell_size and --gap are for --grid; ignored", file=sys.stderr, flush=True)
    generate_path(args, sys.argv)


if __name__ == "__main__":
    run(main)
