"""Benchmark gen/project.py: seconds per drawing at 256 px full width, and how close projections come.

    python bench/bench_project.py                                   # timing only
    python bench/bench_project.py --model=../demo_out/run --tiles=../demo_out/tiles/blob/0 --count=8

Timing: an untrained 256 px generator and discriminator of the original's full width (latent size 64,
channel scale 1); one projection step (the generator and the discriminator's features forward and
backward, then Adam) is timed `--timed-steps` times after a compiling one, with `--starts` latents and
with one, and extrapolated to `--steps` (project.py's defaults: 200 steps, the first 20 % with all 8
starts) for the seconds per drawing. Training does not
change the cost of a step, so the untrained networks time it right.

Quality (with `--model`): `--count` images the model itself generated from known latents, and, with
`--tiles`, the first `--count` tiles of a folder that are not blank (real or sample scans' tiles, resized to the model's
resolution as project.py does), are projected with project.py's defaults. Printed: the mean absolute
pixel error of the reconstructions (0-255 grey levels), the same for the random starting latents for
comparison, and for generated images the cosine between the found latent and the true one.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from drawing.gan import load_generator, save_untrained_checkpoint
from drawing.gan.projection import Projector, feature_network
from drawing.gen.project_run import STARTS_STREAM, Settings, as_target, list_inputs, read_drawings
from drawing.plotter.network import load_network

RESOLUTION = 256
LATENT_SIZE = 64
TRUE_LATENTS_SEED = 11


def projector_for(checkpoint, starts, steps=Settings.steps):
    features = feature_network(load_network("discriminator", checkpoint, None))
    return Projector(load_generator(checkpoint), features, Settings(steps=steps, starts=starts))


def time_steps(args):
    """Seconds per projection step at 256 px full width (all starts, then one), and per drawing."""
    from drawing.backend import tf
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = save_untrained_checkpoint(Path(folder) / "0.checkpoint", resolution=RESOLUTION,
                                               latent_size=LATENT_SIZE, channel_scale=1.0, seed=0)
        projector = projector_for(checkpoint, args.starts)
    target = tf.ones([1, RESOLUTION, RESOLUTION, 3])
    projector.latents.assign(np.random.default_rng(0).standard_normal((args.starts, LATENT_SIZE)).astype(np.float32))

    def step_seconds(latents):
        """(first call, median of the timed calls) of a step with `latents` starts going."""
        if latents == 1:
            projector.keep_only(0)
        times = []
        for number in range(1, args.timed_steps + 2):
            started = time.perf_counter()
            projector._step(target, tf.constant(0.01), tf.constant(float(number)))
            times.append(time.perf_counter() - started)
        return times[0], float(np.median(times[1:]))

    first, all_starts = step_seconds(args.starts)
    _, one_start = step_seconds(1)
    exploring = int(np.ceil(Settings.explore * args.steps))
    per_drawing = exploring * all_starts + (args.steps - exploring) * one_start
    print(f"256 px full width: first step (compiles) {first:.1f} s; a step with {args.starts} starts "
          f"{all_starts:.2f} s, with 1 start {one_start:.2f} s (medians of {args.timed_steps})")
    print(f"  -> about {per_drawing:.0f} s ({per_drawing / 60:.1f} min) per drawing at {args.steps} steps, "
          f"{exploring} of them with all {args.starts} starts (extrapolated from the timed steps; "
          f"all starts to the end: {args.steps * all_starts / 60:.1f} min)")


def mean_grey_error(images, targets):
    return float(np.abs(np.asarray(images) - np.asarray(targets)).mean() * 255)


def quality(args):
    """Project generated images and tiles with project.py's defaults; print the errors."""
    projector = projector_for(args.model, args.starts, args.steps)
    generator = projector.generator
    true_latents = np.random.default_rng(TRUE_LATENTS_SEED).standard_normal(
        (args.count, generator.latent_size)).astype(np.float32)
    sets = {"generated": generator(true_latents).numpy()}
    if args.tiles:
        drawings = read_drawings(list_inputs([args.tiles]))
        sets["tiles"] = np.stack([as_target(drawing, generator.resolution)
                                  for drawing in list(drawings.values())[:args.count]])
    for name, targets in sets.items():
        started = time.perf_counter()
        found, random_errors, cosines = [], [], []
        for index, target in enumerate(targets):
            rng = np.random.default_rng([0, STARTS_STREAM, index])
            starts = rng.standard_normal((args.starts, generator.latent_size)).astype(np.float32)
            random_errors.append(mean_grey_error(projector.images(starts).numpy(), target[None]))
            latent, _, _, _ = projector.project(target, np.random.default_rng([0, STARTS_STREAM, index]))
            found.append(latent)
            if name == "generated":
                truth = true_latents[index]
                cosines.append(float(latent @ truth / np.linalg.norm(latent) / np.linalg.norm(truth)))
        error = mean_grey_error(projector.images(np.stack(found)).numpy(), targets)
        line = (f"{name}: {len(targets)} images, mean absolute error {error:.1f} grey levels "
                f"(random latents: {np.mean(random_errors):.1f})")
        if cosines:
            line += f", cosine to the true latent {np.mean(cosines):.3f} (lowest {np.min(cosines):.3f})"
        print(line + f"; {(time.perf_counter() - started) / len(targets):.1f} s per image")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=Settings.starts,
                        help=f"starting latents per drawing (default: {Settings.starts}, as project.py)")
    parser.add_argument("--steps", type=int, default=Settings.steps,
                        help=f"steps per drawing (default: {Settings.steps}, as project.py)")
    parser.add_argument("--timed-steps", type=int, default=3, help="timed steps at 256 px (default: 3)")
    parser.add_argument("--model", help="a trained checkpoint or run folder for the quality figures")
    parser.add_argument("--tiles", help="a folder of tiles to project as well (with --model)")
    parser.add_argument("--count", type=int, default=8, help="images of each kind (default: 8)")
    args = parser.parse_args()
    if args.timed_steps > 0:
        time_steps(args)
    if args.model:
        quality(args)


if __name__ == "__main__":
    main()
