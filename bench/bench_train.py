"""Training speed, measured so that a difference can be trusted: seconds per batch and GFLOP/s.

    python bench/bench_train.py                              # ours vs the original's loop, 64 px, batch 8, full width
    python bench/bench_train.py --loops ours,ours_unfused,original --repeats 5 --steps 8
    python bench/bench_train.py ../runs/x/options.json --loops ours --repeats 3

Each measurement runs in its own process (so no process-wide setting, cache or allocator state of one
loop reaches another), and the loops take turns, A B A B ..., so that the load of a shared machine falls
on all of them alike. Each process compiles (two batches, untimed), times `--steps` batches one by one
(their median), and `--reg_steps` batches with the R1 step, which is amortised over `d_reg_interval`.
Reported per loop: the median over repeats of seconds per batch and its spread (min-max), the CPU
seconds per batch, and GFLOP/s = the convolutions' floating-point operations per batch / seconds.

Loops:
- `ours`: this project's compiled step (Grappler's fusion on, as training runs it);
- `ours_unfused`: the same with Grappler's remapper off process-wide (what training did before);
- `original`: the original's loop structure on the same models and data: three separately called compiled steps,
  real and fake images through D as two batches, `tf.gradients`, every statistic copied to the host after
  each step (no augmentation or moving average, as in the original). One device only.

Without an options file it measures the original's reference case (resolution 64, replica batch 8,
channel_scale 1) on synthetic shards; `--channel_scale` shrinks it for a quick look.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drawing.cli import positive_int, run

REFERENCE = {"resolution": 64, "replica_batch_size": 8, "channel_scale": 1.0, "latent_size": 64,
             "epoch_sample_count": 64, "total_sample_count": 64}
LOOPS = ("ours", "ours_unfused", "original")


def write_synthetic_shards(folder, resolution, count=64, seed=0):
    """Ink-like tiles: white paper with random black strokes, enough to keep the pipeline honest."""
    import numpy as np

    from drawing.backend import tf
    from drawing.data.tfrecord import serialize_example, shard_path
    from drawing.images import encode_png
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(str(shard_path(folder, 0))) as writer:
        for _ in range(count):
            tile = np.full((resolution, resolution, 3), 255, np.uint8)
            for _ in range(6):
                y, x = rng.integers(0, resolution - 4, 2)
                tile[y:y + rng.integers(2, resolution // 4), x:x + 3] = 0
            writer.write(serialize_example(encode_png(tile), tile.shape))
    return str(Path(folder) / "*.tfrecord")


# ---- FLOPs ------------------------------------------------------------------------------------------

def forward_flops(model):
    """Floating-point operations of the convolutions and dense layers for one image through `model`
    (2 per multiply-add; a transposed convolution's kernel is applied at each input position)."""
    from drawing.gan.layers import UpsampleConv2d
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        weights = 1
        for size in kernel.shape:
            weights *= int(size)
        shape = (layer.input if isinstance(layer, UpsampleConv2d) else layer.output).shape
        positions = int(shape[1]) * int(shape[2]) if len(shape) == 4 else 1
        total += 2 * weights * positions
    return total


def batch_flops(trainer):
    """(plain batch, R1 step) FLOPs. With F the forward cost of one image, and a backward pass costing
    two forwards (input and weight gradients) or one (input gradients only):
    D step: G forward on B, D forward and backward on 2B: F_G B + 6 F_D B;
    G step: G forward and backward, D forward and input gradients: 3 F_G B + 2 F_D B;
    R1 step: D forward, its input gradients, and their backward (about twice the two): 6 F_D B."""
    generator, discriminator = forward_flops(trainer.generator), forward_flops(trainer.discriminator)
    batch = trainer.global_batch
    return (4 * generator + 8 * discriminator) * batch, 6 * discriminator * batch


# ---- one process: one loop ----------------------------------------------------------------------------

def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class OriginalStyleLoop:
    """The original's loop structure on the same models (see the module docstring)."""

    def __init__(self, trainer, iterator):
        from drawing.backend import tf
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


def measure_loop(loop, options_path, steps, reg_steps):
    """Time one loop in this process; a dict of per-batch seconds and what they mean."""
    from drawing.backend import tf
    if loop == "ours_unfused":
        tf.config.optimizer.set_experimental_options({"remapping": False})
    from drawing.gan.dataset import make_dataset
    from drawing.gan.devices import plan_devices
    from drawing.gan.options import dataset_files, parse_options
    from drawing.gan.training import Trainer
    options = parse_options(json.loads(Path(options_path).read_text()), source=str(options_path))
    plan = plan_devices(options.devices)
    trainer = Trainer(options, plan)
    files = dataset_files(options.dataset_file_pattern, source=str(options_path))
    iterator = iter(plan.strategy.distribute_datasets_from_function(
        lambda context: make_dataset(files, options.resolution,
                                     context.get_per_replica_batch_size(trainer.global_batch),
                                     {0: 100_000}, seed=options.seed, shuffle_buffer=options.shuffle_buffer)))
    if loop == "original":
        step, wait = OriginalStyleLoop(trainer, iterator), (lambda: None)
    else:
        step, wait = (lambda regularise: trainer.train_step(iterator, regularise)), trainer.batch_count.numpy

    def timed(regularise):
        started, started_cpu = time.perf_counter(), cpu_seconds()
        step(regularise)
        wait()   # the device has finished the batch
        return time.perf_counter() - started, cpu_seconds() - started_cpu

    started = time.perf_counter()
    timed(True)
    timed(False)
    compile_seconds = time.perf_counter() - started
    plain = [timed(False) for _ in range(steps)]
    regularised = [timed(True) for _ in range(reg_steps)]
    plain_flops, reg_flops = batch_flops(trainer)
    interval = options.d_reg_interval
    wall = statistics.median(t for t, _ in plain)
    reg_wall = statistics.median(t for t, _ in regularised)
    cpu = statistics.median(c for _, c in plain)
    reg_cpu = statistics.median(c for _, c in regularised)
    return {"loop": loop, "compile_seconds": compile_seconds, "plain_seconds": wall, "reg_seconds": reg_wall,
            "seconds": wall + (reg_wall - wall) / interval, "cpu_seconds": cpu + (reg_cpu - cpu) / interval,
            "flops": plain_flops + reg_flops / interval, "global_batch": trainer.global_batch,
            "description": f"{plan.description}; resolution {options.resolution}, global batch "
                           f"{trainer.global_batch}, channel_scale {options.channel_scale}, xla {options.xla}, "
                           f"mixed_precision {options.mixed_precision}, R1 every {interval}",
            "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ---- the parent: interleaved repeats, medians and spread ---------------------------------------------

def run_worker(loop, options_path, args):
    command = [sys.executable, __file__, str(options_path), "--worker", loop, "--steps", str(args.steps),
               "--reg_steps", str(args.reg_steps)]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{loop} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def summarise(results, loops, steps):
    first = results[loops[0]][0]
    print(first["description"])
    print(f"{len(results[loops[0]])} interleaved repeats per loop, each in its own process; per process the "
          f"median of {steps} batches, R1 amortised\n")
    print(f"{'loop':<14} {'s/batch median':>15} {'spread (min-max)':>18} {'CPU s/batch':>12} {'GFLOP/s':>8} "
          f"{'compile s':>10} {'peak MB':>8}")
    medians = {}
    for loop in loops:
        runs = results[loop]
        seconds = [r["seconds"] for r in runs]
        medians[loop] = statistics.median(seconds)
        print(f"{loop:<14} {medians[loop]:>15.3f} {min(seconds):>8.3f} - {max(seconds):<7.3f} "
              f"{statistics.median(r['cpu_seconds'] for r in runs):>12.3f} "
              f"{runs[0]['flops'] / medians[loop] / 1e9:>8.1f} "
              f"{statistics.median(r['compile_seconds'] for r in runs):>10.1f} "
              f"{max(r['peak_memory_mb'] for r in runs):>8.0f}")
    print(f"\nconvolution and dense FLOPs per batch (R1 amortised): {first['flops'] / 1e12:.3f} TFLOP")
    for loop in loops[1:]:
        ratios = [b["seconds"] / a["seconds"] for a, b in zip(results[loops[0]], results[loop])]
        print(f"{loop} / {loops[0]} per repeat: " + ", ".join(f"{r:.3f}" for r in ratios) +
              f"; median {statistics.median(ratios):.3f} ({loops[0]} is faster where above 1)")



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="example: python bench/bench_train.py --repeats 5 --steps 8")
    parser.add_argument("options", nargs="?", help="an options.json (default: the original's reference case "
                                                   "on synthetic shards)")
    parser.add_argument("--loops", default="ours,original", help=f"comma-separated, from {', '.join(LOOPS)} "
                                                             "(default ours,original)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="processes per loop (default 3)")
    parser.add_argument("--steps", type=positive_int, default=6, help="timed batches without R1 per process "
                                                                      "(default 6)")
    parser.add_argument("--reg_steps", type=positive_int, default=2, help="timed batches with R1 per process "
                                                                          "(default 2)")
    parser.add_argument("--channel_scale", type=float, help="override the network width (a quick look)")
    parser.add_argument("--xla", choices=["on", "off", "options"], default="options",
                        help="override the options' xla key (default: as the options say)")
    parser.add_argument("--worker", choices=LOOPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure_loop(args.worker, args.options, args.steps, args.reg_steps)))
        return
    loops = [loop.strip() for loop in args.loops.split(",") if loop.strip()]
    unknown = [loop for loop in loops if loop not in LOOPS]
    if unknown:
        parser.error(f"unknown loop {unknown[0]!r} (choose from {', '.join(LOOPS)})")
    with tempfile.TemporaryDirectory() as scratch:
        if args.options:
            values = json.loads(Path(args.options).read_text())
        else:
            values = dict(REFERENCE, dataset_file_pattern=write_synthetic_shards(scratch, REFERENCE["resolution"]))
        if args.xla != "options":
            values["xla"] = args.xla == "on"
        if args.channel_scale:
            values["channel_scale"] = args.channel_scale
        options_path = Path(scratch) / "options.json"
        options_path.write_text(json.dumps(values))
        results = {loop: [] for loop in loops}
        for repeat in range(args.repeats):
            for loop in loops:
                result = run_worker(loop, options_path, args)
                results[loop].append(result)
                print(f"repeat {repeat + 1}/{args.repeats} {loop}: {result['seconds']:.3f} s per batch",
                      flush=True)
    print()
    summarise(results, loops, args.steps)
    print(f"\nmachine: {os.cpu_count()} cores; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    run(main)
