"""Training speed: seconds per batch, images per second and peak memory for one options.json.

    python bench/bench_train.py                      # resolution 64, batch 8, full width, on this machine
    python bench/bench_train.py --seed_loop          # ... and the seed's loop structure, for comparison
    python bench/bench_train.py ../runs/x/options.json --steps 20

Without an options file it measures the seed's reference case (resolution 64, replica batch 8,
channel_scale 1; the seed's code takes about 13 s per batch on a 2-core CPU) on synthetic shards.
A batch is what the loop does per batch: discriminator step and generator step; every
`d_reg_interval`-th batch also the R1 step, timed separately and amortised into the total.
"""
import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from drawing.cli import run, use_legacy_keras

use_legacy_keras()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from drawing.gan.options import dataset_files, parse_options  # noqa: E402
from drawing.gan.dataset import make_dataset  # noqa: E402
from drawing.gan.devices import plan_devices  # noqa: E402
from drawing.gan.training import Trainer  # noqa: E402
from drawing.images import encode_png  # noqa: E402
from drawing.tfrecord import serialize_example, shard_path  # noqa: E402

SEED_SECONDS_PER_BATCH = 13.0
REFERENCE = {"resolution": 64, "replica_batch_size": 8, "channel_scale": 1.0, "latent_size": 64,
             "epoch_sample_count": 64, "total_sample_count": 64}


def write_synthetic_shards(folder, resolution, count=64, seed=0):
    """Ink-like tiles: white paper with random black strokes, enough to keep the pipeline honest."""
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(str(shard_path(folder, 0))) as writer:
        for _ in range(count):
            tile = np.full((resolution, resolution, 3), 255, np.uint8)
            for _ in range(6):
                y, x = rng.integers(0, resolution - 4, 2)
                tile[y:y + rng.integers(2, resolution // 4), x:x + 3] = 0
            writer.write(serialize_example(encode_png(tile), tile.shape))
    return str(Path(folder) / "*.tfrecord")


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class SeedStyleLoop:
    """The seed's loop structure on the same models, to compare with: three separately called compiled
    steps, real and fake images through D as two batches, `tf.gradients`, and every statistic copied to
    the host after each step (no augmentation or moving average, as in the seed). One device only."""

    def __init__(self, trainer, iterator):
        generator, discriminator = trainer.generator, trainer.discriminator
        shape = [trainer.options.replica_batch_size, trainer.options.latent_size]
        global_batch, interval = trainer.global_batch, trainer.options.d_reg_interval
        penalty_weight = trainer.options.r1_gamma * 0.5 * interval

        def apply(optimizer, loss, model):
            gradients = tf.gradients(loss, model.trainable_variables,
                                     unconnected_gradients=tf.UnconnectedGradients.ZERO)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))

        @tf.function
        def d_step(reals):
            fakes = generator(tf.random.normal(shape), training=False)
            real_loss = tf.reduce_sum(tf.nn.softplus(-discriminator(reals, training=True))) / global_batch
            fake_loss = tf.reduce_sum(tf.nn.softplus(discriminator(fakes, training=True))) / global_batch
            apply(trainer.d_optimizer, real_loss + fake_loss, discriminator)
            return {"d_loss": real_loss + fake_loss, "d_real": real_loss, "d_fake": fake_loss}

        @tf.function
        def reg_step(reals):
            image_gradients = tf.gradients(tf.reduce_sum(discriminator(reals, training=True)), reals)[0]
            penalty = tf.reduce_sum(tf.square(image_gradients)) / global_batch * penalty_weight
            apply(trainer.d_optimizer, penalty, discriminator)
            return {"d_grad_reg": penalty}

        @tf.function
        def g_step():
            fakes = generator(tf.random.normal(shape), training=True)
            loss = tf.reduce_sum(tf.nn.softplus(-discriminator(fakes, training=False))) / global_batch
            apply(trainer.g_optimizer, loss, generator)
            return {"g_loss": loss}

        self.steps, self.iterator = (d_step, reg_step, g_step), iterator

    def __call__(self, regularise):
        d_step, reg_step, g_step = self.steps
        stats = {name: value.numpy() for name, value in d_step(next(self.iterator)).items()}
        if regularise:
            stats.update({name: value.numpy() for name, value in reg_step(next(self.iterator)).items()})
        stats.update({name: value.numpy() for name, value in g_step().items()})
        return stats


def time_batches(step, count, regularise, wait):
    """(wall seconds, CPU seconds of this process) per batch; CPU time stays meaningful on a busy machine."""
    started, started_cpu = time.perf_counter(), cpu_seconds()
    for _ in range(count):
        step(regularise)
    wait()   # the device finishes the queued batches
    return (time.perf_counter() - started) / count, (cpu_seconds() - started_cpu) / count


def measure(step, steps, reg_interval, wait):
    """Compile time, then (wall, CPU) seconds per batch with R1 amortised over its interval."""
    started = time.perf_counter()
    time_batches(step, 1, True, wait)
    time_batches(step, 1, False, wait)
    compile_seconds = time.perf_counter() - started
    plain = time_batches(step, steps, False, wait)
    regularised = time_batches(step, 1, True, wait)
    amortised = [p + (r - p) / reg_interval for p, r in zip(plain, regularised)]
    return compile_seconds, plain, regularised, amortised


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="example: python bench/bench_train.py --steps 5")
    parser.add_argument("options", nargs="?", help="an options.json (default: the seed's reference case "
                                                   "on synthetic shards)")
    parser.add_argument("--steps", type=int, default=4, help="timed batches without R1 (default 4)")
    parser.add_argument("--seed_loop", action="store_true",
                        help="also time the seed's loop structure on the same models and data (one device)")
    parser.add_argument("--xla", choices=["on", "off", "options"], default="options",
                        help="override the options' xla key (default: as the options say)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.options:
            values = json.loads(Path(args.options).read_text())
        else:
            values = dict(REFERENCE, dataset_file_pattern=write_synthetic_shards(scratch, REFERENCE["resolution"]))
        if args.xla != "options":
            values["xla"] = args.xla == "on"
        options = parse_options(values, source=args.options or "reference options")
        plan = plan_devices(options.devices)
        trainer = Trainer(options, plan)
        files = dataset_files(options.dataset_file_pattern, source=args.options or "reference options")
        dataset = plan.strategy.distribute_datasets_from_function(
            lambda context: make_dataset(files, options.resolution,
                                         context.get_per_replica_batch_size(trainer.global_batch),
                                         {0: 10_000}, seed=options.seed, shuffle_buffer=options.shuffle_buffer))
        iterator = iter(dataset)
        loops = {"this project's loop": (lambda regularise: trainer.train_step(iterator, regularise),
                                         lambda: trainer.batch_count.numpy())}
        if args.seed_loop:
            loops["the seed's loop structure"] = (SeedStyleLoop(trainer, iterator), lambda: None)
        results = {name: measure(step, args.steps, options.d_reg_interval, wait)
                   for name, (step, wait) in loops.items()}

    print(f"devices: {plan.description}; resolution {options.resolution}, global batch {trainer.global_batch}, "
          f"channel_scale {options.channel_scale}, xla {options.xla}, mixed_precision {options.mixed_precision}")
    for name, (compile_seconds, plain, regularised, (wall, cpu)) in results.items():
        print(f"{name}:")
        print(f"  first two batches (tracing and compiling): {compile_seconds:.1f} s")
        print(f"  batch without R1: {plain[0]:.2f} s   batch with R1: {regularised[0]:.2f} s")
        print(f"  seconds per batch (R1 every {options.d_reg_interval}): {wall:.2f} s   "
              f"images per second: {trainer.global_batch / wall:.2f}")
        print(f"  CPU seconds per batch: {cpu:.2f} (over {os.cpu_count()} cores; on a busy machine wall time "
              "grows, CPU time much less)")
    ours = results["this project's loop"][3]
    if args.seed_loop:
        seed = results["the seed's loop structure"][3]
        print(f"speed-up over the seed's loop structure: {seed[0] / ours[0]:.2f}x wall, "
              f"{seed[1] / ours[1]:.2f}x CPU time")
    if not args.options:
        print(f"speed-up over the seed's {SEED_SECONDS_PER_BATCH:.0f} s per batch (its code on a 2-core CPU): "
              f"{SEED_SECONDS_PER_BATCH / ours[0]:.2f}x")
    print(f"peak memory (max RSS): {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    run(main)
