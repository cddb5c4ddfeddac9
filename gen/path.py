"""Walk a path through a trained generator's latent space and write every step as a PNG frame.

    python path.py ../demo_out/run bezier --dir_out=out --segments=4 --frames=64 --seed=7

<model> is a checkpoint file (ours or the seed's pickle) or a training run folder (its latest
checkpoint; the EMA generator when there is one). Styles:

- random     `--count` independent normal latents: a synthetic dataset, no path.
- bezier     a closed loop of `--segments` quartic Bezier segments of `--frames` frames each, through
             random anchors, the tangent continuous at every join.
- bitloop    the bitstring `--bitloop` repeated across the latent dimensions: a 1 makes its dimension
             follow one sine period over the loop (`--frames`, default 512), a 0 holds it still.
- period     every dimension a sine around a random centre with a random divisor of 60 as its number
             of cycles, so the whole path loops after `--seconds` at `--fps`.
- phase      every dimension one sine period of `--seconds`, each with a random phase: a steady tumble.
- keyframes  a loop through chosen latents, e.g. frames you liked from a random run
             (`--keyframes out/random_c64/<run id> --pick 3,17,42`), `--frames` per step between
             them, interpolated `--interpolation` linear, spherical or spline.

Every loop is sampled without its end point, so played on repeat no frame is ever shown twice in a row.

Output: `<dir_out>/<style folder>/<run id>/` with the frames `0000.png` ... (zero-padded to the width of
the last index), e.g. `out/bezier_s4_f64/20261121-093000_seed7/`. Style folders: `random_c<count>`,
`bezier_s<segments>_f<frames>`, `bitloop_b<bits>`, `period_s<seconds>`, `phase_s<seconds>`,
`keyframes_<interpolation>_k<keyframes>_f<frames>`. Beside the frames:
- `latents.npy`: float32 [frames, latent_size], exactly what the generator was given (after truncation,
  so a keyframes run picking from it with `--truncation` below 1 scales them once more).
- `run.json`: how to make the same frames again: `command` (the command line), `seed`, `style`,
  `model`, `latent_size`, `resolution`, `frames`, `fps`, `truncation`, `batch`, `int8`, `options` (the style's
  own settings), `created` (UTC time).
For models with up to 64 latent dimensions, bitloop, period and phase also plot every dimension's
modulation, in `<style folder>/<run id>_plot.png` (outside the frames folder, so it never becomes a
frame of a video).

The generator runs in batches of `--batch` in a compiled function while other threads encode and
write the PNGs of the previous batch. `--int8` runs it with 8-bit weights under TensorFlow Lite
(drawing/gan/int8.py): on a CPU about twice as fast, each frame within a few grey levels of the exact
one (half a level on average); the same seed and options give the same int8 frames again.
"""
import argparse
import json
import secrets
import shlex
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing import latent_paths
from drawing.cli import UserError, non_negative_int, positive_float, positive_int, run, use_legacy_keras
from drawing.files import atomic_path, write_text_atomic
from drawing.frames import frame_name
from drawing.images import write_png
from drawing.parallel import default_workers

STYLES = ("random", "bezier", "bitloop", "period", "phase", "keyframes")
# The options each style reads, with their defaults; any other style option given is reported unused.
STYLE_OPTIONS = {
    "random": {"count": 1},
    "bezier": {"segments": 32, "frames": 256},
    "bitloop": {"bitloop": "1100", "frames": 512},
    "period": {"seconds": 60},
    "phase": {"seconds": 60},
    "keyframes": {"keyframes": None, "pick": None, "frames": 256, "interpolation": "spline"},
}
DEFAULT_FPS = 30
DEFAULT_BATCH = 16
PLOT_MAX_DIMENSIONS = 64
WAVE_STYLES = ("bitloop", "period", "phase")
INT8_HINT_PIXELS = 64 * 256 * 256  # renders of more than about a minute on a CPU


# ---- the path ----

def style_options(style, given):
    """The style's settings: the options given on the command line, the style's defaults for the rest."""
    return {name: given[name] if given.get(name) is not None else default
            for name, default in STYLE_OPTIONS[style].items()}


def style_folder(style, options, keyframe_count=None):
    """The folder name of a style and its settings, as the seed names them."""
    if style == "random":
        return f"random_c{options['count']}"
    if style == "bezier":
        return f"bezier_s{options['segments']}_f{options['frames']}"
    if style == "bitloop":
        return f"bitloop_b{options['bitloop']}"
    if style in ("period", "phase"):
        return f"{style}_s{options['seconds']:g}"
    return f"keyframes_{options['interpolation']}_k{keyframe_count}_f{options['frames']}"


def loop_frames(seconds, fps):
    return int(round(seconds * fps))


def make_latents(style, options, rng, latent_size, fps, keyframes=None):
    """The path of `style`: float32 [frames, latent_size]. ValueErrors for settings that make no path."""
    if style == "random":
        return latent_paths.random_latents(rng, options["count"], latent_size)
    if style == "bezier":
        return latent_paths.bezier_latents(rng, options["segments"], options["frames"], latent_size)
    if style == "bitloop":
        return latent_paths.bitloop_latents(rng, options["bitloop"], options["frames"], latent_size)
    if style == "period":
        return latent_paths.period_latents(rng, loop_frames(options["seconds"], fps), latent_size)
    if style == "phase":
        return latent_paths.phase_latents(rng, loop_frames(options["seconds"], fps), latent_size)
    return latent_paths.keyframe_loop(keyframes, options["frames"], options["interpolation"])


def parse_pick(text):
    """'3,17,42' -> [3, 17, 42]; a UserError for anything but non-negative whole numbers."""
    try:
        picked = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42") from None
    if not picked or min(picked) < 0:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42")
    return picked


def load_keyframes(source, pick, latent_size):
    """The picked rows of a run folder's latents.npy (or of a .npy file), checked against the model."""
    source = Path(source)
    path = source / "latents.npy" if source.is_dir() else source
    if not path.exists():
        raise UserError(f"{path}: not found; --keyframes takes a folder written by path.py or a .npy file")
    try:
        latents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: not a readable .npy file of latents ({error})") from None
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
    return latents[picked]


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

def to_uint8(images):
    """Generator output in [0, 1] (unclipped) to uint8 frames."""
    return (np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def render_frames(generate, latents, run_dir, batch_size, workers=None):
    """Generate the frames batch by batch and write them as PNGs on other threads meanwhile.

    `generate` maps float32 [N, latent_size] to images [N, R, R, 3] in [0, 1]. Threads, not processes:
    TensorFlow is loaded and must not be forked, and OpenCV's PNG encoder releases the GIL. At most
    two batches wait for writing, so memory stays flat however long the path.
    """
    count = len(latents)
    bar = tqdm(total=count, desc="frames", unit="frame", dynamic_ncols=True, disable=None, file=sys.stderr)
    pending = deque()
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        try:
            for start in range(0, count, batch_size):
                images = to_uint8(generate(latents[start:start + batch_size]))
                for offset, image in enumerate(images):
                    pending.append(pool.submit(write_png, run_dir / frame_name(start + offset, count), image))
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


def new_run_dir(parent, seed):
    """A fresh run folder named by the time and the seed, never one that exists already."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        name = f"{stamp}_seed{seed}" + (f"_{attempt}" if attempt > 1 else "")
        try:
            (parent / name).mkdir(parents=True)
            return parent / name
        except FileExistsError:
            continue
    raise UserError(f"{parent}: cannot find a free run folder name")


def save_latents(path, latents):
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, latents, allow_pickle=False)


def load_model(model):
    """The generator of a checkpoint or run folder, TensorFlow imported only now."""
    if not Path(model).exists():
        raise UserError(f"{model}: model not found (give a checkpoint file or a training run folder)")
    use_legacy_keras()
    from drawing.gan import load_generator
    return load_generator(model)


def int8_hint(frame_count, resolution):
    """A line suggesting --int8 when a long float32 render is about to run on a CPU, else None."""
    if frame_count * resolution * resolution < INT8_HINT_PIXELS:
        return None
    import tensorflow as tf
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


def check_options(style, options, fps):
    """Settings that cannot make a path, found before the model takes seconds to load."""
    if style == "bitloop":
        try:
            latent_paths.parse_bitstring(options["bitloop"])
        except ValueError as error:
            raise UserError(f"--bitloop: {error}") from None
    if style in ("period", "phase") and loop_frames(options["seconds"], fps) < latent_paths.MIN_FRAMES_PER_PERIOD:
        raise UserError(f"{style}: --seconds {options['seconds']:g} at --fps {fps:g} is under "
                        f"{latent_paths.MIN_FRAMES_PER_PERIOD} frames, too short for a loop")
    if style == "keyframes":
        if options["keyframes"] is None:
            raise UserError("keyframes: give --keyframes <run folder or .npy> (and --pick 3,17,42)")
        if options["pick"]:
            parse_pick(options["pick"])


def generate_path(args, argv, generator_loader=load_model):
    """Everything path.py does, `argv` being its command line (recorded in run.json): the run folder."""
    options = style_options(args.style, vars(args))
    fps = args.fps
    check_options(args.style, options, fps)
    generator = generator_loader(args.model)
    latent_size = generator.latent_size
    keyframes = None
    if args.style == "keyframes":
        keyframes = load_keyframes(options["keyframes"], options["pick"], latent_size)
    seed = args.seed if args.seed is not None else secrets.randbelow(2 ** 31)
    try:
        latents = make_latents(args.style, options, np.random.default_rng(seed), latent_size, fps, keyframes)
    except ValueError as error:
        raise UserError(f"{args.style}: {error}") from None
    latents = latent_paths.truncate(latents, args.truncation)
    if args.int8:   # once the path is known to be good: converting takes seconds
        generator = to_int8(generator, args.batch)

    style_dir = Path(args.dir_out) / style_folder(args.style, options, None if keyframes is None else len(keyframes))
    run_dir = new_run_dir(style_dir, seed)
    record = {
        "command": shlex.join(["python", Path(argv[0]).name, *argv[1:]]),
        "seed": seed, "style": args.style, "model": str(args.model),
        "latent_size": latent_size, "resolution": generator.resolution, "frames": len(latents),
        "fps": fps, "truncation": args.truncation, "batch": args.batch, "int8": args.int8,
        "options": {name: value for name, value in options.items() if value is not None},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_text_atomic(run_dir / "run.json", json.dumps(record, indent=2) + "\n")
    save_latents(run_dir / "latents.npy", latents)
    if args.style in WAVE_STYLES and latent_size <= PLOT_MAX_DIMENSIONS:
        plot_waves(latents, style_dir / f"{run_dir.name}_plot.png", f"{style_dir.name}, seed {seed}")
    hint = None if args.int8 else int8_hint(len(latents), generator.resolution)
    if hint:
        print(hint, file=sys.stderr, flush=True)
    started = time.perf_counter()
    render_frames(generator, latents, run_dir, args.batch)
    elapsed = time.perf_counter() - started
    print(f"{len(latents)} frames in {run_dir} ({len(latents) / elapsed:.1f} frames/s)")
    return run_dir


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python path.py ../demo_out/run random --count=64 --seed=1\n"
               "  python path.py ../demo_out/run bezier --segments=8 --frames=128\n"
               "  python path.py ../demo_out/run bitloop --bitloop=00110011\n"
               "  python path.py ../demo_out/run period --seconds=60\n"
               "  python path.py ../demo_out/run phase --seconds=20 --fps=24\n"
               "  python path.py ../demo_out/run keyframes --keyframes=out/random_c64/<run id> --pick=3,17,42")
    parser.add_argument("model", help="checkpoint file or training run folder, e.g. ../demo_out/run")
    parser.add_argument("style", choices=STYLES, help="path style: " + ", ".join(STYLES))
    parser.add_argument("--dir_out", default="out", help="output folder, e.g. out (default: out)")
    parser.add_argument("--count", type=positive_int, help="random: number of images, e.g. 1000 (default: 1)")
    parser.add_argument("--segments", type=positive_int,
                        help="bezier: number of curve segments in the loop, e.g. 8 (default: 32)")
    parser.add_argument("--frames", type=positive_int,
                        help="bezier, keyframes: frames per segment (default: 256); "
                             "bitloop: frames in the loop (default: 512)")
    parser.add_argument("--bitloop", help="bitloop: bits repeated over the dimensions, 1 moves and 0 "
                                          "holds, e.g. 00110011 (default: 1100)")
    parser.add_argument("--seconds", type=positive_float,
                        help="period, phase: length of the loop in seconds at --fps, e.g. 20 (default: 60)")
    parser.add_argument("--keyframes", help="keyframes: a folder written by path.py (its latents.npy) or a "
                                            ".npy file of latents, e.g. out/random_c64/20261121-093000_seed1")
    parser.add_argument("--pick", help="keyframes: frame numbers to loop through, in order, e.g. 3,17,42 "
                                       "(default: all of them)")
    parser.add_argument("--interpolation", choices=latent_paths.INTERPOLATIONS,
                        help="keyframes: linear, spherical (great circles) or spline (smooth periodic "
                             "cubic spline) (default: spline)")
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
    parser.add_argument("--seed", type=non_negative_int, help="random seed; the same seed and options give the same "
                                                 "frames, e.g. 7 (default: a fresh one, recorded in run.json)")
    return parser


def unused_options(style, args):
    """The style options given on the command line that `style` does not read."""
    used = STYLE_OPTIONS[style]
    every = {name for options in STYLE_OPTIONS.values() for name in options}
    return sorted(name for name in every - set(used) if getattr(args, name) is not None)


def main():
    args = build_parser().parse_args()
    unused = unused_options(args.style, args)
    if unused:
        raise UserError(f"{args.style}: does not use " + ", ".join(f"--{name}" for name in unused))
    generate_path(args, sys.argv)


if __name__ == "__main__":
    run(main)
