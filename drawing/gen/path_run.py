"""A run of gen/path.py: a path through the generator's latent space, written as frames in a run folder.

`generate_path(PathSettings(...))` does it all: checks the settings (before the model takes seconds to
load), makes the path of the style (drawing.gen.styles) or of a grid of them (drawing.gen.grid), places
the frames on it at the run's pace (drawing.gen.pace; each cell of a grid on its own), and renders them
(drawing.gen.render) into `<dir_out>/<style folder>/<run id>/`, the run id the UTC time and the seed
(`20261121-093000_seed7`). Beside the frames folder (drawing/folders.py): its record `<run id>.json`,
complete only once every frame is written, the latents `<run id>.npy`, for the wave styles the plot
`<run id>_plot.png`, and the motion report `<run id>_motion.png` (drawing.gen.motion), whose summary the
record holds. Rerun with the same settings, it finishes the newest run of them that was interrupted
instead of starting another, at the pace it started with: the even times it recorded, or the latent pace
for a run recorded before paces existed.
"""
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from drawing.change import ChangeMeter
from drawing.console import NOTE
from drawing.errors import UserError
from drawing.files import atomic_path
from drawing.folders import (
    check_not_overlapping,
    command_line,
    finish_run,
    open_output_folder,
    record_path,
    start_run,
    unfinished_run,
    write_record,
)
from drawing.gen import latent_paths
from drawing.gen.generator import int8_hint, load_model, to_int8
from drawing.gen.grid import cell_seeds, grid_generator, grid_layout, parse_grid
from drawing.gen.keyframes import load_keyframes
from drawing.gen.motion import plot_motion, summarise
from drawing.gen.pace import DEFAULT_PACE, PACES, landing_frames, paced_latents
from drawing.gen.render import render_frames
from drawing.gen.styles import STYLES, WAVE_STYLES, PathRequest, check_options, style_options
from drawing.gen.wave_plot import PLOT_MAX_DIMENSIONS, plot_waves

log = logging.getLogger(__name__)

STAGE = "path.py"
RUN_NAME_ATTEMPTS = 1000     # runs started within one second get `_2`, `_3`, ... after their name
EVEN_NOTE = ("note: frames are evenly paced: every step shows about the same change of the picture "
             "(docs/pace.md); --pace=latent gives the original's timing")


@dataclass(frozen=True)
class PathSettings:
    """What path.py is asked for. A style option left None takes the style's default (drawing.gen.styles);
    `seed` None draws a fresh one, recorded beside the frames."""
    model: str
    style: str
    dir_out: str = "out"
    count: int = None
    segments: int = None
    frames: int = None
    loop_frames: int = None
    bitloop: str = None
    seconds: float = None
    keyframes: str = None
    pick: str = None
    interpolation: str = None
    pace: str = None         # None: the default pace of a closed path (drawing.gen.pace.DEFAULT_PACE)
    grid: str = None
    cell_size: int = None
    gap: int = None
    fps: float = 30
    truncation: float = 1.0
    batch: int = 16
    int8: bool = False
    seed: int = None


@dataclass(frozen=True)
class PathRun:
    """A finished run: its frames folder, how many frames, the seconds the rendering took, the seconds
    placing the frames took (0 at the latent pace), and the motion summary of its frames."""
    folder: Path
    frames: int
    seconds: float
    pace_seconds: float = 0.0
    motion: dict = None


def run_name(seed, attempt=1):
    """A run id: the UTC time and the seed, e.g. 20261121-093000_seed7."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_seed{seed}" + (f"_{attempt}" if attempt > 1 else "")


def run_names(seed):
    """The names a new run of `seed` may take, in order: a second run within one second gets `_2`."""
    return (run_name(seed, attempt) for attempt in range(1, RUN_NAME_ATTEMPTS))


def open_run(style_dir, settings, seed, inputs, pace, pace_given):
    """(the interrupted run to finish and its record), or (None, {}) where a new run is to start.

    A run at `pace` is finished at that pace; a run recorded before paces existed (its record has none)
    was at the latent pace, and is finished by the same command without `--pace`, or with the latent one."""
    wanted = settings if seed is None else {**settings, "seed": seed}
    run_dir = unfinished_run(style_dir, STAGE, {**wanted, "pace": pace})
    if run_dir is None and pace is not None and (pace == "latent" or not pace_given):
        run_dir = unfinished_run(style_dir, STAGE, {**wanted, "pace": None})
    if run_dir is None:
        return None, {}
    record = open_output_folder(run_dir, STAGE, inputs)   # also removes the frames the killed run was writing
    log.log(NOTE, f"{run_dir}: finishing this interrupted run")
    return run_dir, record


def save_latents(path, latents):
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, latents, allow_pickle=False)


def make_paths(style, request, seed, layout=None):
    """The closed paths (`latent_paths.Loop`) of the run, one per cell of a grid (each of its own seed),
    or for random the latents [count, latent_size] ([count, cells, latent_size] for a grid)."""
    seeds = [seed] if layout is None else cell_seeds(seed, layout.cells)
    try:
        if STYLES[style].closed:
            return [STYLES[style].path(request, np.random.default_rng(cell_seed)) for cell_seed in seeds]
        samples = [STYLES[style].sample(request, np.random.default_rng(cell_seed)) for cell_seed in seeds]
    except ValueError as error:
        raise UserError(f"{style}: {error}") from None
    return samples[0] if layout is None else np.stack(samples, axis=1)


def place_frames(paths, pace, truncation, generate, batch, recorded_times=None):
    """(latents [frames, latent_size] or [frames, cells, latent_size], times of each path) at `pace`: the
    times recorded by an interrupted run when given (so it is finished as it started), else found now."""
    placed = []
    for cell, loop in enumerate(paths):
        if recorded_times is not None:
            times = np.asarray(recorded_times[cell], dtype=np.float64)
            placed.append((latent_paths.truncate(loop.at_times(times), truncation), times))
        else:
            description = "pace" if len(paths) == 1 else f"pace, cell {cell + 1}/{len(paths)}"
            placed.append(paced_latents(loop, generate, pace, truncation, batch, description))
    latents = placed[0][0] if len(paths) == 1 else np.stack([cell_latents for cell_latents, _ in placed], axis=1)
    return latents, [times for _, times in placed]


def check_settings(settings):
    """Settings that cannot make a path, refused before the model is loaded; the style's options."""
    options = style_options(settings.style, asdict(settings))
    check_options(settings.style, options, settings.fps)
    if settings.grid is not None:
        parse_grid(settings.grid)
        if not STYLES[settings.style].seeded:
            raise UserError(f"--grid: {settings.style} makes no random choice, every cell would be the same")
    if settings.pace is not None and settings.pace not in PACES:
        raise UserError(f"--pace {settings.pace!r}: choose {' or '.join(PACES)}")
    return options


def generate_path(settings, generator=None, command=None):
    """Everything path.py does: the frames of `settings`' path in a new run folder (or an interrupted one
    of the same settings, finished). `generator`: the model already loaded (else `settings.model` is, once
    the settings are checked); `command`: the command line to record (default: this process's)."""
    options = check_settings(settings)
    inputs = [Path(settings.model)]
    if generator is None:
        generator = load_model(settings.model)
    latent_size = generator.latent_size
    keyframes = None
    if settings.style == "keyframes":
        keyframes = load_keyframes(options["keyframes"], options["pick"], latent_size)
        inputs.append(Path(options["keyframes"]))
    request = PathRequest(options, latent_size, settings.fps, keyframes)
    layout = None if settings.grid is None else grid_layout(settings.grid, generator.resolution,
                                                            settings.cell_size, settings.gap)
    closed = STYLES[settings.style].closed
    pace = (settings.pace or DEFAULT_PACE) if closed else None

    grid_suffix = "" if layout is None else f"_grid{layout.columns}x{layout.rows}"
    style_dir = Path(settings.dir_out) / (STYLES[settings.style].folder(request) + grid_suffix)
    check_not_overlapping(style_dir / run_name(settings.seed or 0), inputs)   # the run folder to be
    recorded = {"style": settings.style, "model": str(Path(settings.model).resolve()),
                "options": {name: value for name, value in options.items() if value is not None},
                "fps": settings.fps, "truncation": settings.truncation, "batch": settings.batch,
                "int8": settings.int8, "grid": None if layout is None else asdict(layout)}
    run_dir, record = open_run(style_dir, recorded, settings.seed, inputs, pace, settings.pace is not None)
    seed = record.get("seed", settings.seed if settings.seed is not None else secrets.randbelow(2 ** 31))
    paths = make_paths(settings.style, request, seed, layout)
    frames = paths[0].frames if closed else len(paths)
    if not record:
        record = {"stage": STAGE, "command": command or command_line(), "seed": seed, **recorded,
                  "latent_size": latent_size, "resolution": generator.resolution, "frames": frames,
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if closed:
            record["pace"] = pace
        if layout is not None:
            record["cell_seeds"] = cell_seeds(seed, layout.cells)
        run_dir = start_run(style_dir, run_names(seed), record)
    elif closed and "pace" not in record:
        log.log(NOTE, f"{run_dir}: recorded before path.py had --pace; finishing it at the latent pace it "
                      "started with")
        record["pace"] = pace = "latent"

    # The even places are found with the exact generator: the 8-bit one's frames flicker by a few grey
    # levels around it, which the dense passes would count as change (docs/pace.md).
    exact, generator = generator, ready_generator(generator, settings, frames * (1 if layout is None else layout.cells))
    if pace == "even":
        log.log(NOTE, EVEN_NOTE)
    started = time.perf_counter()
    latents, times = run_latents(paths, pace, settings, exact, record.get("times"), layout)
    pace_seconds = time.perf_counter() - started
    save_latents(record_path(run_dir, ".npy"), latents)
    if pace == "even" and "times" not in record:   # recorded once the latents are saved: the pace is done
        record["times"] = [cell_times.tolist() for cell_times in times] if layout else times[0].tolist()
    if settings.style == "keyframes":
        record["keyframe_frames"] = landing_frames(times[0], latent_paths.loop_times(len(keyframes)))
    write_record(run_dir, record, complete=False)
    if settings.style in WAVE_STYLES and layout is None and latent_size <= PLOT_MAX_DIMENSIONS:
        plot_waves(latents, record_path(run_dir, "_plot.png"), f"{style_dir.name}, seed {seed}")

    generate, batch = generator, settings.batch
    if layout is not None:
        generate, batch = grid_generator(generator, layout), max(1, settings.batch // layout.cells)
    meter = ChangeMeter()
    started = time.perf_counter()
    render_frames(generate, latents, run_dir, batch, on_frames=meter.add)
    elapsed = time.perf_counter() - started
    record["motion"] = report_motion(meter.changes(closed), record_path(run_dir, "_motion.png"),
                                     f"{style_dir.name}/{run_dir.name}", pace)
    finish_run(run_dir, record)
    return PathRun(run_dir, len(latents), elapsed, pace_seconds, record["motion"])


def ready_generator(generator, settings, images):
    """The generator the run renders `images` with: its 8-bit form with --int8 (converted only once the
    path is known to be good: it takes seconds), else as it is, with a hint where --int8 would help."""
    if settings.int8:
        return to_int8(generator, settings.batch)
    hint = int8_hint(images, generator.resolution)
    if hint:
        log.log(NOTE, hint)
    return generator


def run_latents(paths, pace, settings, generator, recorded_times, layout):
    """(latents, times of each closed path, None for random) of the run, truncated: at the times an
    interrupted run recorded (one list, or one per cell of a grid), else placed now at `pace`."""
    if pace is None:
        return latent_paths.truncate(paths, settings.truncation), None
    if recorded_times is not None and layout is None:
        recorded_times = [recorded_times]
    return place_frames(paths, pace, settings.truncation, generator, settings.batch, recorded_times)


def report_motion(changes, plot, title, pace):
    """The motion summary of a run's frames, and its plot beside the run folder."""
    label = f"{pace} pace" if pace else "independent drawings"
    plot_motion([(label, changes)], plot, f"{title}: change per step")
    return summarise(changes)
