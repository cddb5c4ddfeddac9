"""The training loop: the seed's semantics, compiled, resumable exactly, on one CPU or many GPUs.

Per batch (as in the seed):
1. discriminator step: softplus(-D(real)) + softplus(D(G(z))), averaged over the global batch;
2. every `d_reg_interval`-th batch, a lazy R1 step on another real batch: the squared gradient of D(real)
   with respect to each image, summed per image, averaged over the batch, times r1_gamma * 0.5 * interval;
3. generator step: softplus(-D(G(z))).
Adam for G with the options' rate and betas; for D the rate times k/(k+1) and each beta to the power
k/(k+1), k = d_reg_interval (lazy regularisation, StyleGAN2). Then the moving average of G moves, and
with adaptive augmentation the probability moves towards its target.

What is new, and why:
- One compiled function per batch (optionally XLA), statistics kept on the device and read only when
  the progress bar redraws, so the host never waits for the accelerator each step.
- Random numbers are stateless, derived from (seed, batch number, replica), and the data stream is
  seeded per epoch, so a run resumed from a checkpoint continues exactly as if it had never stopped.
- Devices: data-parallel MirroredStrategy over several GPUs; the seed's split mode (G and its optimizer
  on GPU 0, D and its optimizer on GPU 1); MultiWorkerMirroredStrategy when TF_CONFIG names several
  machines (only the chief writes files).
"""
import contextlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from drawing.cli import UserError, warn
from drawing.files import write_text_atomic
from drawing.gan import augment as augmentation
from drawing.gan.backend import keras
from drawing.gan.checkpoint import (ZIP_MAGIC, Checkpoint, checkpoint_epoch, checkpoint_path,
                                    drop_optimizer_state, holds_optimizer_state, list_checkpoints,
                                    read_checkpoint, write_checkpoint)
from drawing.gan.dataset import check_shards, make_dataset
from drawing.gan.layers import MINIBATCH_GROUP_SIZE
from drawing.gan.models import Generator
from drawing.gan.networks import (build_discriminator, build_generator, initialise_weights,
                                  set_weights_checked)
from drawing.gan.options import check_batch_sizes, dataset_files
from drawing.images import encode_png, write_png

LOSS_NAMES = ("d_loss", "d_real", "d_fake", "d_grad_reg", "g_loss")
STATISTICS_FILE = "stats.jsonl"
OPTIONS_USED_FILE = "options.used.json"
PROGRESS_REFRESH_SECONDS = 1.0
# Random streams within one batch, folded into the batch's seed.
NOISE_D, NOISE_G, AUGMENT_D_REAL, AUGMENT_D_FAKE, AUGMENT_REG, AUGMENT_G = range(6)


# ---- devices ------------------------------------------------------------------------------------

@dataclass
class DevicePlan:
    strategy: tf.distribute.Strategy
    generator_device: str = None     # set in split mode only
    discriminator_device: str = None
    description: str = ""

    @property
    def replicas(self):
        return self.strategy.num_replicas_in_sync

    @property
    def is_chief(self):
        resolver = getattr(self.strategy, "cluster_resolver", None)
        if resolver is None or not resolver.task_type:
            return True
        cluster = resolver.cluster_spec().as_dict()
        if "chief" in cluster:
            return resolver.task_type == "chief"
        return resolver.task_type == "worker" and resolver.task_id == 0


def _cluster_size():
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError:
        raise UserError("TF_CONFIG: not valid JSON") from None
    return sum(len(tasks) for name, tasks in cluster.items() if name in ("chief", "worker"))


def plan_devices(mode):
    """The distribution strategy for `devices` (auto, mirrored, split, cpu). Must run before any other
    TensorFlow work in the process (MultiWorkerMirroredStrategy requires it)."""
    if mode != "cpu" and _cluster_size() > 1:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        return DevicePlan(strategy, description=f"MultiWorkerMirroredStrategy, "
                                                f"{strategy.num_replicas_in_sync} replicas")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if mode == "cpu" or (mode == "auto" and not gpus):
        return DevicePlan(tf.distribute.OneDeviceStrategy("/cpu:0"), description="CPU")
    if mode == "split":
        if len(gpus) < 2:
            raise UserError(f"options.json: 'devices': \"split\" needs two GPUs, this machine has {len(gpus)}")
        return DevicePlan(tf.distribute.get_strategy(), gpus[0], gpus[1],
                          description=f"split: generator on {gpus[0]}, discriminator on {gpus[1]}")
    if mode == "auto" and len(gpus) == 1:
        return DevicePlan(tf.distribute.OneDeviceStrategy(gpus[0]), description=gpus[0])
    devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    return DevicePlan(tf.distribute.MirroredStrategy(devices),
                      description=f"MirroredStrategy over {', '.join(devices)}")


def _on(device):
    """A device scope in split mode; no constraint otherwise."""
    return tf.device(device) if device else contextlib.nullcontext()


# ---- pure helpers -------------------------------------------------------------------------------

def discriminator_optimizer_settings(learning_rate, beta_1, beta_2, reg_interval):
    """Lazy regularisation: D's Adam settings so that k + 1 updates per k batches keep their meaning."""
    ratio = reg_interval / (reg_interval + 1)
    return learning_rate * ratio, beta_1 ** ratio, beta_2 ** ratio


def ema_beta(global_batch, ema_kimg):
    """Per-batch decay of the generator's moving average: half-life of `ema_kimg` thousand images."""
    return 0.5 ** (global_batch / (ema_kimg * 1000.0))


def batches_in_epoch(epoch, epoch_batches, reg_interval):
    """Real batches the loop draws in one epoch: one per step, one more per regularisation step."""
    first = epoch * epoch_batches
    regs = sum(1 for index in range(first, first + epoch_batches) if index % reg_interval == 0)
    return epoch_batches + regs


def grid_side(resolution):
    """Images per side of the fakes grid: 8 at up to 256 px, fewer above (at most ~2048 px wide)."""
    return max(2, min(8, 2048 // resolution))


def image_grid(images, side, gap=2):
    """float images [side*side, R, R, 3] in [0, 1] -> one uint8 grid, `gap` grey pixels between cells
    (drawings on white paper would otherwise run into each other)."""
    count, height, width, channels = images.shape
    cells = np.full((side * side, height + gap, width + gap, channels), 0.5, np.float32)
    cells[:, :height, :width] = np.clip(np.asarray(images)[: side * side], 0.0, 1.0)
    grid = cells.reshape(side, side, height + gap, width + gap, channels).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(side * (height + gap), side * (width + gap), channels)[:-gap or None, :-gap or None]
    return np.round(grid * 255).astype(np.uint8)


def fixed_latents(seed, count, latent_size):
    """The latents of every fakes grid of a run: the same images at every epoch, to watch progress."""
    return np.random.default_rng([seed, 1]).standard_normal((count, latent_size)).astype(np.float32)


# ---- the trainer --------------------------------------------------------------------------------

class Trainer:
    """Models, optimizers and the compiled step of one run, with its checkpoint state."""

    def __init__(self, options, plan):
        self.options = options
        self.plan = plan
        check_batch_sizes(options, plan.replicas)
        self.global_batch = options.replica_batch_size * plan.replicas
        self.epoch_batches = options.epoch_sample_count // self.global_batch
        if options.mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_float16")
        strategy = plan.strategy
        rng = np.random.default_rng([options.seed, 0])
        with strategy.scope():
            with _on(plan.generator_device):
                self.generator = build_generator(options.resolution, options.latent_size, options.channel_scale)
                initialise_weights(self.generator, rng)
                self.generator_ema = None
                if options.ema_kimg:
                    self.generator_ema = build_generator(options.resolution, options.latent_size,
                                                         options.channel_scale)
                    self.generator_ema.set_weights(self.generator.get_weights())
                self.g_optimizer = self._adam(options.learning_rate, options.beta_1, options.beta_2)
                self.g_optimizer.build(self.generator.trainable_variables)
            with _on(plan.discriminator_device):
                self.discriminator = build_discriminator(options.resolution, options.channel_scale)
                initialise_weights(self.discriminator, rng)
                self.d_optimizer = self._adam(*discriminator_optimizer_settings(
                    options.learning_rate, options.beta_1, options.beta_2, options.d_reg_interval))
                self.d_optimizer.build(self.discriminator.trainable_variables)
            counter = dict(trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
            self.batch_count = tf.Variable(0, dtype=tf.int64, name="batch_count", **counter)
            adaptive = options.augment_probability == "adaptive"
            start_probability = 0.0 if adaptive else float(options.augment_probability)
            self.augment_probability = tf.Variable(start_probability, dtype=tf.float32, **counter)
            self.real_sign_sum = tf.Variable(0.0, dtype=tf.float32, **counter)
            self.real_sign_count = tf.Variable(0.0, dtype=tf.float32, **counter)
            self.stat_sums = {name: tf.Variable(0.0, dtype=tf.float32, **counter) for name in LOSS_NAMES}
            self.stat_counts = {name: tf.Variable(0.0, dtype=tf.float32, **counter) for name in LOSS_NAMES}
        if options.mixed_precision:
            keras.mixed_precision.set_global_policy("float32")
        self._compile()

    def _adam(self, learning_rate, beta_1, beta_2):
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                                          epsilon=1e-8)
        if self.options.mixed_precision:
            optimizer = keras.mixed_precision.LossScaleOptimizer(optimizer)
        return optimizer

    # ---- one batch --------------------------------------------------------------------------

    def _augment(self, images, seed):
        if not self.options.augment:
            return images
        return augmentation.augment(images, self.options.augment, self.augment_probability, seed)

    def _latents(self, seed):
        return tf.random.stateless_normal([self.options.replica_batch_size, self.options.latent_size], seed)

    def _scaled(self, optimizer, loss):
        return optimizer.get_scaled_loss(loss) if self.options.mixed_precision else loss

    def _unscaled(self, optimizer, gradients):
        return optimizer.get_unscaled_gradients(gradients) if self.options.mixed_precision else gradients

    def _classify_both(self, reals, fakes):
        """D(reals), D(fakes). As one batch when the minibatch-stddev groups cannot straddle the two halves
        (the results are the same; one large batch keeps the cores busier than two small ones)."""
        if self.options.replica_batch_size % MINIBATCH_GROUP_SIZE:
            return self.discriminator(reals, training=True), self.discriminator(fakes, training=True)
        logits = self.discriminator(tf.concat([reals, tf.cast(fakes, reals.dtype)], axis=0), training=True)
        return tf.split(logits, 2, axis=0)

    def _discriminator_gradients(self, reals, seed):
        fold = tf.random.experimental.stateless_fold_in
        with _on(self.plan.generator_device):
            fakes = self.generator(self._latents(fold(seed, NOISE_D)), training=False)
        with _on(self.plan.discriminator_device):
            variables = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                real_logits, fake_logits = self._classify_both(self._augment(reals, fold(seed, AUGMENT_D_REAL)),
                                                               self._augment(fakes, fold(seed, AUGMENT_D_FAKE)))
                d_real = tf.reduce_sum(tf.nn.softplus(-real_logits)) / self.global_batch
                d_fake = tf.reduce_sum(tf.nn.softplus(fake_logits)) / self.global_batch
                d_loss = d_real + d_fake
                scaled = self._scaled(self.d_optimizer, d_loss)
            gradients = self._unscaled(self.d_optimizer, tape.gradient(scaled, variables))
        stats = {"d_loss": d_loss, "d_real": d_real, "d_fake": d_fake,
                 "real_sign": tf.reduce_sum(tf.sign(real_logits))}
        return gradients, stats

    def _r1_gradients(self, reals, seed):
        fold = tf.random.experimental.stateless_fold_in
        interval = self.options.d_reg_interval
        with _on(self.plan.discriminator_device):
            variables = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                with tf.GradientTape() as inner:
                    inner.watch(reals)
                    logits = self.discriminator(self._augment(reals, fold(seed, AUGMENT_REG)), training=True)
                    # Scaled like a loss, so float16 gradients of D(real) do not underflow.
                    summed = self._scaled(self.d_optimizer, tf.reduce_sum(logits))
                image_gradients = inner.gradient(summed, reals)
                if self.options.mixed_precision:
                    image_gradients = image_gradients / tf.cast(self.d_optimizer.loss_scale, image_gradients.dtype)
                squared = tf.reduce_sum(tf.square(tf.cast(image_gradients, tf.float32)), axis=[1, 2, 3])
                penalty = tf.reduce_sum(squared) / self.global_batch * (self.options.r1_gamma * 0.5 * interval)
                scaled = self._scaled(self.d_optimizer, penalty)
            # The last bias has no second derivative: its gradient is zero, not None.
            gradients = tape.gradient(scaled, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            gradients = self._unscaled(self.d_optimizer, gradients)
        return gradients, {"d_grad_reg": penalty}

    def _generator_gradients(self, seed):
        fold = tf.random.experimental.stateless_fold_in
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            with _on(self.plan.generator_device):
                fakes = self.generator(self._latents(fold(seed, NOISE_G)), training=True)
            with _on(self.plan.discriminator_device):
                logits = self.discriminator(self._augment(fakes, fold(seed, AUGMENT_G)), training=False)
                g_loss = tf.reduce_sum(tf.nn.softplus(-logits)) / self.global_batch
                scaled = self._scaled(self.g_optimizer, g_loss)
        with _on(self.plan.generator_device):
            gradients = self._unscaled(self.g_optimizer, tape.gradient(scaled, variables))
        return gradients, {"g_loss": g_loss}

    def _compile(self):
        # Grappler's remapper fails on these gradient graphs (it fuses a BiasAdd that LeakyReluGrad still
        # reads), logs an error and leaves the graph unfused anyway: turned off, nothing is lost but the error.
        tf.config.optimizer.set_experimental_options({"remapping": False})
        jit = self.options.xla
        discriminator_gradients = tf.function(self._discriminator_gradients, jit_compile=jit)
        r1_gradients = tf.function(self._r1_gradients, jit_compile=jit)
        generator_gradients = tf.function(self._generator_gradients, jit_compile=jit)

        def replica_step(reals, reg_reals, batch_seed):
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            seed = tf.random.experimental.stateless_fold_in(batch_seed, replica)
            fold = tf.random.experimental.stateless_fold_in
            gradients, stats = discriminator_gradients(reals, fold(seed, 1))
            with _on(self.plan.discriminator_device):
                self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_variables))
            if reg_reals is not None:
                gradients, reg_stats = r1_gradients(reg_reals, fold(seed, 2))
                with _on(self.plan.discriminator_device):
                    self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_variables))
                stats.update(reg_stats)
            gradients, g_stats = generator_gradients(fold(seed, 3))
            with _on(self.plan.generator_device):
                self.g_optimizer.apply_gradients(zip(gradients, self.generator.trainable_variables))
            stats.update(g_stats)
            return stats

        @tf.function
        def train_step(iterator, regularise):
            reals = next(iterator)
            reg_reals = next(iterator) if regularise else None
            batch_seed = tf.stack([tf.constant(self.options.seed, tf.int64), self.batch_count])
            per_replica = self.plan.strategy.run(replica_step, args=(reals, reg_reals, batch_seed))
            stats = {name: self.plan.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                     for name, value in per_replica.items()}
            self._after_batch(stats)

        self.train_step = train_step

    def _after_batch(self, stats):
        """Cross-replica updates after each batch: moving average, statistics, augmentation, counter."""
        if self.generator_ema is not None:
            beta = ema_beta(self.global_batch, self.options.ema_kimg)
            for average, weight in zip(self.generator_ema.trainable_variables, self.generator.trainable_variables):
                average.assign(weight + (average - weight) * beta)
        for name in LOSS_NAMES:
            if name in stats:
                self.stat_sums[name].assign_add(tf.cast(stats[name], tf.float32))
                self.stat_counts[name].assign_add(1.0)
        if self.options.adaptive_augment:
            self.real_sign_sum.assign_add(stats["real_sign"])
            self.real_sign_count.assign_add(float(self.global_batch))
            adjust = tf.equal((self.batch_count + 1) % self.options.ada_interval, 0)
            adjusted = augmentation.adjusted_probability(
                self.augment_probability, self.real_sign_sum / tf.maximum(self.real_sign_count, 1.0),
                self.options.ada_target, float(self.global_batch * self.options.ada_interval),
                self.options.ada_kimg)
            self.augment_probability.assign(tf.where(adjust, adjusted, self.augment_probability))
            self.real_sign_sum.assign(tf.where(adjust, 0.0, self.real_sign_sum))
            self.real_sign_count.assign(tf.where(adjust, 0.0, self.real_sign_count))
        self.batch_count.assign_add(1)

    # ---- statistics -------------------------------------------------------------------------

    def reset_statistics(self):
        for variable in (*self.stat_sums.values(), *self.stat_counts.values()):
            variable.assign(0.0)

    def statistics(self):
        """Means since the last reset (reading them waits for the device: call it sparingly)."""
        values = {name: float(self.stat_sums[name].numpy() / max(self.stat_counts[name].numpy(), 1.0))
                  for name in LOSS_NAMES if self.stat_counts[name].numpy() > 0}
        if self.options.augment:
            values["augment_p"] = float(self.augment_probability.numpy())
        return values

    # ---- checkpoints ------------------------------------------------------------------------

    def to_checkpoint(self, epoch):
        return Checkpoint(
            epoch=epoch, networks=self.options.network_shape, options=self.options.to_dict(),
            generator=self.generator.get_weights(), discriminator=self.discriminator.get_weights(),
            generator_ema=None if self.generator_ema is None else self.generator_ema.get_weights(),
            generator_optimizer=[v.numpy() for v in optimizer_state(self.g_optimizer)],
            discriminator_optimizer=[v.numpy() for v in optimizer_state(self.d_optimizer)],
            training={"batch_count": int(self.batch_count.numpy()),
                      "sample_count": int(self.batch_count.numpy()) * self.global_batch,
                      "seed": self.options.seed,
                      "augment_probability": float(self.augment_probability.numpy()),
                      "real_sign_sum": float(self.real_sign_sum.numpy()),
                      "real_sign_count": float(self.real_sign_count.numpy())})

    def restore(self, checkpoint, path, epoch):
        """Continue after `epoch` from a checkpoint (ours: exactly; the seed's: weights, fresh optimizers)."""
        if checkpoint.networks != self.options.network_shape:
            raise UserError(f"{path}: holds a network of {_describe_networks(checkpoint.networks)}, but "
                            f"options.json asks for {_describe_networks(self.options.network_shape)}; "
                            "train in a new run folder, or change options.json back")
        if checkpoint.discriminator is None:
            raise UserError(f"{path}: holds no discriminator, so training cannot resume from it")
        set_weights_checked(self.generator, checkpoint.generator, path, "generator")
        set_weights_checked(self.discriminator, checkpoint.discriminator, path, "discriminator")
        if self.generator_ema is not None:
            average = checkpoint.generator_ema if checkpoint.generator_ema is not None else checkpoint.generator
            set_weights_checked(self.generator_ema, average, path, "moving-average generator")
        restored = [self._restore_optimizer(self.g_optimizer, checkpoint.generator_optimizer),
                    self._restore_optimizer(self.d_optimizer, checkpoint.discriminator_optimizer)]
        if checkpoint.source == "seed":
            warn(f"{path}: a seed checkpoint holds no optimizer state; Adam starts afresh from its weights")
        elif checkpoint.generator_optimizer is None or checkpoint.discriminator_optimizer is None:
            warn(f"{path}: holds no optimizer state (only the newest checkpoint keeps it, unless "
                 'options.json says "optimizer_state_in": "all"); Adam starts afresh from its weights')
        elif not all(restored):
            warn(f"{path}: optimizer state does not fit these options (mixed_precision changed?); "
                 "Adam starts afresh")
        training = checkpoint.training
        self.batch_count.assign(int(training.get("batch_count", epoch * self.epoch_batches)))
        if "augment_probability" in training and self.options.adaptive_augment:
            self.augment_probability.assign(training["augment_probability"])
            self.real_sign_sum.assign(training.get("real_sign_sum", 0.0))
            self.real_sign_count.assign(training.get("real_sign_count", 0.0))

    @staticmethod
    def _restore_optimizer(optimizer, arrays):
        variables = optimizer_state(optimizer)
        if arrays is None or [tuple(v.shape) for v in variables] != [tuple(np.shape(a)) for a in arrays]:
            return False
        for variable, array in zip(variables, arrays):
            variable.assign(np.asarray(array, dtype=variable.dtype.as_numpy_dtype))
        return True


def optimizer_state(optimizer):
    """The variables an exact resume needs: Adam's, and under mixed precision the dynamic loss scale's."""
    state = list(optimizer.variables)
    loss_scale = getattr(optimizer, "_loss_scale", None)   # a LossScaleOptimizer's dynamic state
    if loss_scale is not None:
        state += [loss_scale.current_loss_scale, loss_scale.counter]
    return state


def _describe_networks(networks):
    return (f"resolution {networks.get('resolution')}, latent_size {networks.get('latent_size')}, "
            f"channel_scale {networks.get('channel_scale')}")


# ---- TensorBoard, written with TensorFlow alone (the tensorboard package is needed only to view) ----

def _plugin(name):
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=name))


def summary_scalar(name, value):
    tf.summary.write(name, tf.constant(value, tf.float32), metadata=_plugin("scalars"))


def summary_image(name, image):
    """One uint8 [H, W, 3] image, as TensorBoard's image plugin stores it: [width, height, png]."""
    height, width = image.shape[:2]
    tf.summary.write(name, tf.constant([str(width), str(height), encode_png(image)]), metadata=_plugin("images"))


# ---- the run folder -----------------------------------------------------------------------------

def remove_interrupted_writes(run_dir):
    """Temporary files a killed run left behind (never a checkpoint under its final name)."""
    for leftover in Path(run_dir).glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    for leftover in Path(run_dir, "fakes").glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def prune_checkpoints(run_dir, keep):
    """Keep the newest `keep` checkpoints of our format; the seed's pickles are the user's, kept."""
    if not keep:
        return
    ours = [p for p in list_checkpoints(run_dir) if _is_our_format(p)]
    for old in ours[:-keep]:
        old.unlink(missing_ok=True)


def drop_old_optimizer_state(run_dir):
    """Only the newest checkpoint needs Adam's state to resume exactly; older ones drop it (about 60 %
    of a checkpoint). Every older one is checked, so a slimming cut short by a kill is finished later."""
    for old in list_checkpoints(run_dir)[:-1]:   # the seed's pickles hold no optimizer state
        if holds_optimizer_state(old):
            drop_optimizer_state(old)


def _is_our_format(path):
    with open(path, "rb") as handle:
        return handle.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def rewrite_statistics(run_dir, last_epoch):
    """Drop statistics lines of epochs after `last_epoch` (left by a run killed after logging them)."""
    path = Path(run_dir) / STATISTICS_FILE
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line)["epoch"] <= last_epoch:
                kept.append(line)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    write_text_atomic(path, "".join(f"{line}\n" for line in kept))


class Run:
    """One run folder: resume, train epoch by epoch, write checkpoints, grids, logs and statistics."""

    def __init__(self, run_dir, options, plan):
        self.run_dir = Path(run_dir)
        self.options = options
        self.plan = plan
        self.files = dataset_files(options, source=str(self.run_dir / "options.json"))
        check_shards(self.files, options.resolution)
        self.trainer = Trainer(options, plan)
        self.start_epoch = self._resume()
        side = options.fakes_grid or grid_side(options.resolution)
        self.grid_side = side
        self.latents = fixed_latents(options.seed, side * side, options.latent_size)
        self.writer = tf.summary.create_file_writer(str(self.run_dir / "logs")) if plan.is_chief else None
        average = self.trainer.generator_ema
        self.fakes_generator = Generator(average if average is not None else self.trainer.generator)

    def _resume(self):
        found = list_checkpoints(self.run_dir)
        if not found:
            return 0
        newest, epoch = found[-1], checkpoint_epoch(found[-1])
        checkpoint = read_checkpoint(newest)
        self.trainer.restore(checkpoint, newest, epoch)
        print(f"resuming from {newest} ({checkpoint.source} format, epoch {epoch})", flush=True)
        return epoch

    def _write_options_used(self):
        used = {**self.options.to_dict(), "replicas": self.plan.replicas, "global_batch_size":
                self.trainer.global_batch, "devices_used": self.plan.description,
                "tensorflow": tf.__version__, "started_at_epoch": self.start_epoch,
                "dataset_files": [str(f) for f in self.files]}
        write_text_atomic(self.run_dir / OPTIONS_USED_FILE, json.dumps(used, indent=1) + "\n")

    def _write_reals(self):
        path = self.run_dir / "reals.png"
        if path.exists():
            return
        count = self.grid_side * self.grid_side
        reals = make_dataset(self.files, self.options.resolution, count, {0: 1}, seed=self.options.seed + 1,
                             shuffle_buffer=self.options.shuffle_buffer)
        images = next(iter(reals)).numpy()
        side = self.grid_side if len(images) >= count else 1
        write_png(path, image_grid(images, side))

    def _write_fakes(self, epoch):
        images = self.fakes_generator(self.latents).numpy()
        grid = image_grid(images, self.grid_side)
        write_png(self.run_dir / "fakes" / f"{epoch}.png", grid)
        return grid

    def _log(self, epoch, stats, seconds, grid):
        samples = epoch * self.options.epoch_sample_count
        record = {"epoch": epoch, "samples": samples, **stats,
                  "seconds": round(seconds, 3), "images_per_second": round(self.options.epoch_sample_count / seconds, 3)}
        with open(self.run_dir / STATISTICS_FILE, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        with self.writer.as_default(step=samples):
            for name, value in stats.items():
                summary_scalar(name, value)
            summary_scalar("images_per_second", record["images_per_second"])
            summary_image("fakes", grid)
        self.writer.flush()

    def train(self):
        options, trainer = self.options, self.trainer
        if self.start_epoch >= options.epoch_count:
            print(f"{self.run_dir}: training is already done ({self.start_epoch} of {options.epoch_count} "
                  "epochs); raise total_sample_count in options.json to train further", flush=True)
            return
        if self.plan.is_chief:
            remove_interrupted_writes(self.run_dir)
            rewrite_statistics(self.run_dir, self.start_epoch)
            self._write_options_used()
            self._write_reals()
        epochs = range(self.start_epoch, options.epoch_count)
        batches = {epoch: batches_in_epoch(epoch, trainer.epoch_batches, options.d_reg_interval)
                   for epoch in epochs}

        def replica_batches(context):
            # Each input pipeline (one per machine) feeds one batch to each of its replicas per step.
            replicas_per_pipeline = context.num_replicas_in_sync // context.num_input_pipelines
            return make_dataset(
                self.files, options.resolution, context.get_per_replica_batch_size(trainer.global_batch),
                {epoch: count * replicas_per_pipeline for epoch, count in batches.items()},
                seed=options.seed, shuffle_buffer=options.shuffle_buffer,
                pipeline_count=context.num_input_pipelines, pipeline_index=context.input_pipeline_id)

        iterator = iter(self.plan.strategy.distribute_datasets_from_function(replica_batches))
        print(f"training on {self.plan.description}: epochs {self.start_epoch + 1}-{options.epoch_count}, "
              f"{trainer.epoch_batches} batches of {trainer.global_batch} each", flush=True)
        for epoch in epochs:
            self._train_epoch(epoch, iterator)

    def _train_epoch(self, epoch, iterator):
        trainer = self.trainer
        trainer.reset_statistics()
        print(f"Epoch {epoch + 1}/{self.options.epoch_count}", flush=True)
        names = list(LOSS_NAMES) + (["augment_p"] if self.options.augment else [])
        progress = keras.utils.Progbar(trainer.epoch_batches, stateful_metrics=names)
        started = last_refresh = time.monotonic()
        first_batch = epoch * trainer.epoch_batches
        for batch in range(trainer.epoch_batches):
            trainer.train_step(iterator, (first_batch + batch) % self.options.d_reg_interval == 0)
            now = time.monotonic()
            if now - last_refresh >= PROGRESS_REFRESH_SECONDS or batch + 1 == trainer.epoch_batches:
                progress.update(batch + 1, list(trainer.statistics().items()))
                last_refresh = now
        stats = trainer.statistics()
        seconds = time.monotonic() - started
        if not all(math.isfinite(value) for value in stats.values()):
            raise UserError(f"epoch {epoch + 1}: losses are not finite ({stats}); training diverged and this "
                            "epoch is not saved. Lower learning_rate, or try without mixed_precision")
        if self.plan.is_chief:
            write_checkpoint(checkpoint_path(self.run_dir, epoch + 1), trainer.to_checkpoint(epoch + 1))
            prune_checkpoints(self.run_dir, self.options.keep_checkpoints)
            if self.options.optimizer_state_in == "newest":
                drop_old_optimizer_state(self.run_dir)
            grid = self._write_fakes(epoch + 1)
            self._log(epoch + 1, stats, seconds, grid)
