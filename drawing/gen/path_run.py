"""A run of gen/path.py: a path through the generator's latent space, written as frames in a run folder.

`generate_path(PathSettings(...))` does it all: checks the settings (before the model takes seconds to
load), makes the latents of the style (drawing.gen.styles) or of a grid of them (drawing.gen.grid), and
renders them (drawing.gen.render) into `<dir_out>/<style folder>/<run id>/`, the run id the UTC time and
the seed (`20261121-093000_seed7`). Beside the frames folder (drawing/folders.py): its record
`<run id>.json`, complete only once every frame is written, the latents `<run id>.npy`, and for the
wave styles the plot `<run id>_plot.png`. Rerun with the same settings, it finishes the newest run of
them that was interrupted instead of starting another.
"""
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

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
)
from drawing.gen import latent_paths
from drawing.gen.generator import int8_hint, load_model, to_int8
from drawing.gen.grid import cell_seeds, grid_generator, grid_layout, parse_grid
from drawing.gen.keyframes import load_keyframes
from drawing.gen.render import render_frames
from drawing.gen.styles import STYLES, WAVE_STYLES, PathRequest, check_options, style_options
from drawing.gen.wave_plot import PLOT_MAX_DIMENSIONS, plot_waves

log = logging.getLogger(__name__)

STAGE = "path.py"
RUN_NAME_ATTEMPTS = 1000     # runs started within one second get `_2`, `_3`, ... after their name


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
    """A finished run: its frames folder, how many frames, and the seconds the rendering took."""
    folder: Path
    frames: int
    seconds: float


def run_name(seed, attempt=1):
    """A run id: the UTC time and the seed, e.g. 20261121-093000_seed7."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_seed{seed}" + (f"_{attempt}" if attempt > 1 else "")


def run_names(seed):
    """The names a new run of `seed` may take, in order: a second run within one second gets `_2`."""
    return (run_name(seed, attempt) for attempt in range(1, RUN_NAME_ATTEMPTS))


def open_run(style_dir, settings, seed, inputs):
    """(the interrupted run to finish and its record), or (None, {}) where a new run is to start."""
    run_dir = unfinished_run(style_dir, STAGE, settings if seed is None else {**settings, "seed": seed})
    if run_dir is None:
        return None, {}
    record = open_output_folder(run_dir, STAGE, inputs)   # also removes the frames the killed run was writing
    log.log(NOTE, f"{run_dir}: finishing this interrupted run")
    return run_dir, record


def save_latents(path, latents):
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, latents, allow_pickle=False)


def make_latents(style, request, seed, layout=None):
    """The path: [frames, latent_size], or [frames, cells, latent_size] for a grid (one seed per cell)."""
    try:
        if layout is None:
            return STYLES[style].latents(request, np.random.default_rng(seed))
        return np.stack([STYLES[style].latents(request, np.random.default_rng(cell_seed))
                         for cell_seed in cell_seeds(seed, layout.cells)], axis=1)
    except ValueError as error:
        raise UserError(f"{style}: {error}") from None


def check_settings(settings):
    """Settings that cannot make a path, refused before the model is loaded; the style's options."""
    options = style_options(settings.style, asdict(settings))
    check_options(settings.style, options, settings.fps)
    if settings.grid is not None:
        parse_grid(settings.grid)
        if not STYLES[settings.style].seeded:
            raise UserError(f"--grid: {settings.style} makes no random choice, every cell would be the same")
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

    grid_suffix = "" if layout is None else f"_grid{layout.columns}x{layout.rows}"
    style_dir = Path(settings.dir_out) / (STYLES[settings.style].folder(request) + grid_suffix)
    check_not_overlapping(style_dir / run_name(settings.seed or 0), inputs)   # the run folder to be
    recorded = {"style": settings.style, "model": str(Path(settings.model).resolve()),
                "options": {name: value for name, value in options.items() if value is not None},
                "fps": settings.fps, "truncation": settings.truncation, "batch": settings.batch,
                "int8": settings.int8, "grid": None if layout is None else asdict(layout)}
    run_dir, record = open_run(style_dir, recorded, settings.seed, inputs)
    seed = record.get("seed", settings.seed if settings.seed is not None else secrets.randbelow(2 ** 31))
    latents = latent_paths.truncate(make_latents(settings.style, request, seed, layout), settings.truncation)
    if not record:
        record = {"stage": STAGE, "command": command or command_line(), "seed": seed, **recorded,
                  "latent_size": latent_size, "resolution": generator.resolution, "frames": len(latents),
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if layout is not None:
            record["cell_seeds"] = cell_seeds(seed, layout.cells)
        run_dir = start_run(style_dir, run_names(seed), record)
    save_latents(record_path(run_dir, ".npy"), latents)
    if settings.style in WAVE_STYLES and layout is None and latent_size <= PLOT_MAX_DIMENSIONS:
        plot_waves(latents, record_path(run_dir, "_plot.png"), f"{style_dir.name}, seed {seed}")

    if settings.int8:   # once the path is known to be good: converting takes seconds
        generator = to_int8(generator, settings.batch)
    else:
        hint = int8_hint(len(latents) * (1 if layout is None else layout.cells), generator.resolution)
        if hint:
            log.log(NOTE, hint)
    generate, batch = generator, settings.batch
    if layout is not None:
        generate, batch = grid_generator(generator, layout), max(1, settings.batch // layout.cells)
    started = time.perf_counter()
    render_frames(generate, latents, run_dir, batch)
    elapsed = time.perf_counter() - started
    finish_run(run_dir, record)
    return PathRun(run_dir, len(latents), elapsed)
