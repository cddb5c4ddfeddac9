"""Benchmark gen/: path.py frames per second on a 256 px full-width model, and rgba.py per frame.

    python bench/bench_gen.py --frames=128          # the README's numbers (default: 512 frames)
    python bench/bench_gen.py --frames=32 --batch=8,16

Frames: an untrained 256 px generator of the original's full width (latent size 64, channel scale 1) walks
a bezier path; path.py's frame writer (compiled generator in batches, PNGs encoded on other threads)
is timed against the original's way of doing it (the Keras model called eagerly on batches of 16, each
frame converted and PNG-encoded with TensorFlow and written in turn, on the main thread), on the same
latents, and both against the generator alone, which bounds them. path.py --int8 (8-bit weights under
TensorFlow Lite) is timed as well, with how far its frames are from the float32 ones. rgba: the
vectorised conversion of one 256 px frame, alone and with its PNG decode and encode.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from drawing.gen import latent_paths
from drawing.gen.frames import brightness_to_alpha, frame_name
from drawing.gen.render import render_frames
from drawing.images import decode_png, encode_png, read_image

RESOLUTION = 256
LATENT_SIZE = 64
ORIGINAL_BATCH = 16


def original_style_frames(model, latents, folder):
    """The original's generate(): eager model calls, TensorFlow PNG encoding, one frame after another."""
    from drawing.backend import tf
    for start in range(0, len(latents), ORIGINAL_BATCH):
        images = model(tf.convert_to_tensor(latents[start:start + ORIGINAL_BATCH]), training=False)
        for offset, image in enumerate(images):
            image = tf.image.convert_image_dtype(tf.clip_by_value(image, 0, 1), tf.uint8, saturate=True)
            (folder / frame_name(start + offset, len(latents))).write_bytes(tf.io.encode_png(image).numpy())


def timed(label, frame_count, work):
    """Run `work()` and print its frames per second, wall clock and CPU time (steadier on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label:<28s} {frame_count / wall:6.2f} frames/s, {wall / frame_count * 512:6.1f} s per 512 frames, "
          f"{cpu / frame_count:5.2f} CPU s per frame", flush=True)


def grey_level_difference(folder, reference):
    """Mean and largest difference, in grey levels (0-255), between the frames of two folders."""
    names = sorted(path.name for path in reference.glob("*.png"))
    difference = np.stack([np.abs(read_image(folder / name).astype(np.int16) - read_image(reference / name))
                           for name in names])
    return difference.mean(), difference.max()


def bench_frames(frame_count, batches, int8_batches, with_original):
    from drawing.gan import load_generator, save_untrained_checkpoint
    from drawing.gan.int8 import Int8Generator
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        checkpoint = save_untrained_checkpoint(scratch / "full.checkpoint", resolution=RESOLUTION,
                                               latent_size=LATENT_SIZE, channel_scale=1.0, seed=0)
        generator = load_generator(checkpoint)
        latents = latent_paths.bezier_latents(np.random.default_rng(0), 2, max(1, frame_count // 2), LATENT_SIZE)
        generator(latents[:max(batches)])  # trace and warm up once, outside the timings
        print(f"path.py frames, {RESOLUTION} px full-width generator (latent {LATENT_SIZE}), "
              f"{len(latents)} frames, {os.cpu_count()} cores:")

        def generator_alone(batch):
            for start in range(0, len(latents), batch):
                np.asarray(generator(latents[start:start + batch]))

        for batch in batches:
            timed(f"generator alone, batch {batch}", len(latents), lambda: generator_alone(batch))
            folder = scratch / f"ours_b{batch}"
            folder.mkdir()
            timed(f"path.py --batch={batch}", len(latents),
                  lambda: render_frames(generator, latents, folder, batch))
        for batch in int8_batches:
            started = time.perf_counter()
            int8_generator = Int8Generator(generator, batch)
            print(f"  (int8: quantising the generator took {time.perf_counter() - started:.1f} s, once per run)")
            timed(f"int8 generator alone, batch {batch}", len(latents),
                  lambda: [int8_generator(latents[start:start + batch]) for start in range(0, len(latents), batch)])
            folder = scratch / f"int8_b{batch}"
            folder.mkdir()
            timed(f"path.py --int8 --batch={batch}", len(latents),
                  lambda: render_frames(int8_generator, latents, folder, batch))
            mean, largest = grey_level_difference(folder, scratch / f"ours_b{batches[0]}")
            print(f"  int8 frames against float32: {mean:.2f} grey levels apart on average, {largest} at most")
        if with_original:
            folder = scratch / "seed"
            folder.mkdir()
            timed(f"the original's way, batch {ORIGINAL_BATCH}", len(latents),
                  lambda: original_style_frames(generator.model, latents, folder))


def bench_rgba(repeats=200):
    rng = np.random.default_rng(0)
    frame = (rng.random((RESOLUTION, RESOLUTION, 3)) * 255).astype(np.uint8)
    png = encode_png(frame)
    brightness_to_alpha(frame, (0, 0, 0))
    started = time.perf_counter()
    for _ in range(repeats):
        brightness_to_alpha(frame, (0, 0, 0))
    convert = (time.perf_counter() - started) / repeats * 1000
    started = time.perf_counter()
    for _ in range(repeats):
        encode_png(brightness_to_alpha(decode_png(png), (0, 0, 0)))
    with_io = (time.perf_counter() - started) / repeats * 1000
    print(f"rgba.py, {RESOLUTION} px frame, one core: conversion {convert:.3f} ms, "
          f"with PNG decode + encode {with_io:.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=512, help="frames to generate, e.g. 32 (default: 512)")
    parser.add_argument("--batch", default="16", help="path.py batch sizes to time, e.g. 8,16 (default: 16)")
    parser.add_argument("--int8_batch", default="8",
                        help="path.py --int8 batch sizes to time, e.g. 4,8 (default: 8; none: 0)")
    parser.add_argument("--no_original", action="store_true", help="skip timing the original's way (halves the time)")
    args = parser.parse_args()
    bench_rgba()
    bench_frames(args.frames, [int(batch) for batch in args.batch.split(",")],
                 [int(batch) for batch in args.int8_batch.split(",") if int(batch) > 0], not args.no_original)


if __name__ == "__main__":
    main()
