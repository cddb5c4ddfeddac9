"""The training loop: the original's semantics, compiled, resumable exactly, on one CPU or many GPUs.

The maths of each batch is in loss.py, device planning in devices.py, the run folder's files in
run_folder.py. Here: the models and optimizers of a run, the compiled step that applies loss.py's
gradients, the moving average and the adaptive augmentation after each batch, and the epoch loop with
its quality metrics (metrics.py) every `metrics_interval` epochs.

What is new beyond the original, and why:
- One compiled function per batch (optionally XLA), statistics kept on the device and read only when
  the progress bar redraws, so the host never waits for the accelerator each step.
- Random numbers are stateless, derived from (seed, batch number, replica), and the data stream is
  seeded per epoch, so a run resumed from a checkpoint continues exactly as if it had never stopped.
"""
import logging
import math
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.backend import keras, tf
from drawing.errors import UserError
from drawing.gan import augment as augmentation
from drawing.gan.checkpoint import Checkpoint, checkpoint_epoch, list_checkpoints
from drawing.gan.dataset import check_shards, data_errors_named, make_dataset
from drawing.gan.devices import on_device, plan_devices
from drawing.gan.legacy import read_checkpoint
from drawing.gan.loss import LOSS_NAMES, STEP_D, STEP_G, STEP_R1, GanLoss, discriminator_optimizer_settings, ema_beta
from drawing.gan.metrics import INCEPTION_METRICS, REAL_METRICS, Metrics, inception_model, metric_reals
from drawing.gan.models import Generator
from drawing.gan.networks import build_discriminator, build_generator, initialise_weights, set_weights_checked
from drawing.gan.options import check_batch_sizes, dataset_files, load_options
from drawing.gan.run_folder import LOG_FILE, RunFolder, console_log, fixed_latents, grid_side

log = logging.getLogger(__name__)

PROGRESS_REFRESH_SECONDS = 1.0
# The initial weights' random stream (run_folder.LATENTS_STREAM is the fakes grids').
WEIGHTS_STREAM = 0
# Offset of the seed for the data order of reals.png (training: 0, the metrics' reals: METRICS_DATA).
REALS_GRID_DATA = 1


def batches_in_epoch(epoch, epoch_batches, reg_interval):
    """Real batches the loop draws in one epoch: one per step, one more per regularisation step."""
    first = epoch * epoch_batches
    regs = sum(1 for index in range(first, first + epoch_batches) if index % reg_interval == 0)
    return epoch_batches + regs


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
        rng = np.random.default_rng([options.seed, WEIGHTS_STREAM])
        with strategy.scope():
            with on_device(plan.generator_device):
                self.generator = build_generator(options.resolution, options.latent_size, options.channel_scale)
                initialise_weights(self.generator, rng)
                self.generator_ema = None
                if options.ema_kimg:
                    self.generator_ema = build_generator(options.resolution, options.latent_size,
                                                         options.channel_scale)
                    self.generator_ema.set_weights(self.generator.get_weights())
                self.g_optimizer = self._adam(options.learning_rate, options.beta_1, options.beta_2)
                self.g_optimizer.build(self.generator.trainable_variables)
            with on_device(plan.discriminator_device):
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
        self.loss = GanLoss(options, plan, self.global_batch, self.generator, self.discriminator,
                            self.g_optimizer, self.d_optimizer, self.augment_probability)
        self._compile()

    def _adam(self, learning_rate, beta_1, beta_2):
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                                          epsilon=1e-8)
        if self.options.mixed_precision:
            optimizer = keras.mixed_precision.LossScaleOptimizer(optimizer)
        return optimizer

    # ---- one batch --------------------------------------------------------------------------

    def _compile(self):
        jit = self.options.xla
        discriminator_gradients = tf.function(self.loss.discriminator_gradients, jit_compile=jit)
        r1_gradients = tf.function(self.loss.r1_gradients, jit_compile=jit)
        generator_gradients = tf.function(self.loss.generator_gradients, jit_compile=jit)

        def replica_step(reals, reg_reals, batch_seed):
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            seed = tf.random.experimental.stateless_fold_in(batch_seed, replica)
            fold = tf.random.experimental.stateless_fold_in
            gradients, stats = discriminator_gradients(reals, fold(seed, STEP_D))
            with on_device(self.plan.discriminator_device):
                self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_variables))
            if reg_reals is not None:
                gradients, reg_stats = r1_gradients(reg_reals, fold(seed, STEP_R1))
                with on_device(self.plan.discriminator_device):
                    self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_variables))
                stats.update(reg_stats)
            gradients, g_stats = generator_gradients(fold(seed, STEP_G))
            with on_device(self.plan.generator_device):
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
        """Continue after `epoch` from a checkpoint (ours: exactly; the original's: weights, fresh optimizers)."""
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
        if checkpoint.source == "legacy":
            log.warning(f"{path}: a legacy checkpoint holds no optimizer state; Adam starts afresh from its weights")
        elif checkpoint.generator_optimizer is None or checkpoint.discriminator_optimizer is None:
            log.warning(f"{path}: holds no optimizer state (only the newest checkpoint keeps it, unless "
                        'options.json says "optimizer_state_in": "all"); Adam starts afresh from its weights')
        elif not all(restored):
            log.warning(f"{path}: optimizer state does not fit these options (mixed_precision changed?); "
                        "Adam starts afresh")
        training = checkpoint.training
        self.batch_count.assign(int(training.get("batch_count", epoch * self.epoch_batches)))
        # The adaptive probability carries on only from a run that adapted it: a run without augmentation, or
        # with a fixed probability, stored that fixed value (1.0 by default), not a learnt one.
        options_before = checkpoint.options or {}
        adapted_before = bool(options_before.get("augment")) and options_before.get("augment_probability") == "adaptive"
        if "augment_probability" in training and self.options.adaptive_augment and adapted_before:
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


class Run:
    """One run folder: resume, train epoch by epoch, write checkpoints, grids, logs and statistics."""

    def __init__(self, run_dir, options, plan):
        self.run_dir = Path(run_dir)
        self.folder = RunFolder(run_dir)
        self.options = options
        self.plan = plan
        self.files = dataset_files(options.dataset_file_pattern, source=str(self.run_dir / "options.json"))
        check_shards(self.files, options.resolution)
        self.trainer = Trainer(options, plan)
        self.start_epoch = self._resume()
        self.grid_side = options.fakes_grid or grid_side(options.resolution)
        self.latents = fixed_latents(options.seed, self.grid_side ** 2, options.latent_size)
        average = self.trainer.generator_ema
        self.fakes_generator = Generator(average if average is not None else self.trainer.generator)
        # Loaded now, so missing weights stop the run at its start, not after the first epoch.
        self.inception = None
        if plan.is_chief and any(name in INCEPTION_METRICS for name in options.metrics):
            self.inception = inception_model(options.inception_weights or "imagenet")
        self.metrics = None

    def _resume(self):
        found = list_checkpoints(self.run_dir)
        if not found:
            return 0
        newest, epoch = found[-1], checkpoint_epoch(found[-1])
        try:
            checkpoint = read_checkpoint(newest)
        except UserError as error:
            # The file is the user's: say how to resume without it rather than moving it aside ourselves.
            then = (f"resume from {found[-2].name}" if len(found) > 1 else "start the run afresh")
            raise UserError(f"{error}; it is this run folder's newest checkpoint: move it out of the folder to "
                            f"{then}, then run the same command again") from None
        self.trainer.restore(checkpoint, newest, epoch)
        log.info(f"resuming from {newest} ({checkpoint.source} format, epoch {epoch})")
        return epoch

    def _options_used(self):
        return {**self.options.to_dict(), "replicas": self.plan.replicas, "global_batch_size":
                self.trainer.global_batch, "devices_used": self.plan.description,
                "tensorflow": tf.__version__, "started_at_epoch": self.start_epoch,
                "dataset_files": [str(f) for f in self.files]}

    def _reals(self):
        reals = make_dataset(self.files, self.options.resolution, self.grid_side ** 2, {0: 1},
                             seed=self.options.seed + REALS_GRID_DATA, shuffle_buffer=self.options.shuffle_buffer)
        return next(iter(reals)).numpy()

    def _log(self, epoch, stats, seconds, grid, metrics_seconds=None):
        samples = epoch * self.options.epoch_sample_count
        images_per_second = round(self.options.epoch_sample_count / seconds, 3)
        record = {"epoch": epoch, "samples": samples, **stats,
                  "seconds": round(seconds, 3), "images_per_second": images_per_second}
        if metrics_seconds is not None:
            record["metrics_seconds"] = round(metrics_seconds, 3)
        self.folder.log_epoch(record, {**stats, "images_per_second": images_per_second}, grid)

    def train(self):
        options, trainer = self.options, self.trainer
        if self.start_epoch >= options.epoch_count:
            log.info(f"{self.run_dir}: training is already done ({self.start_epoch} of {options.epoch_count} "
                     "epochs); raise total_sample_count in options.json to train further")
            return
        if self.plan.is_chief:
            self.folder.tidy(self.start_epoch)
            self.folder.write_options_used(self._options_used())
            if self.folder.needs_reals():
                self.folder.write_reals(self._reals(), self.grid_side)
            if options.metrics:
                reals = None
                if any(name in REAL_METRICS for name in options.metrics):
                    reals = metric_reals(self.files, options.resolution, options.metrics_images, options.seed,
                                         options.shuffle_buffer)
                self.metrics = Metrics(options.metrics, reals, self.inception, seed=options.seed,
                                       **options.metric_counts)
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
        log.info(f"training on {self.plan.description}: epochs {self.start_epoch + 1}-{options.epoch_count}, "
                 f"{trainer.epoch_batches} batches of {trainer.global_batch} each")
        self.epochs_started = time.monotonic()
        for epoch in epochs:
            self._train_epoch(epoch, iterator)

    def _time_left(self, epoch):
        """', about 0:12:34 left' for the epochs from `epoch` on, at the pace of this session's epochs so far
        (checkpoints, grids and metrics included); '' before the first is done."""
        done = epoch - self.start_epoch
        if not done:
            return ""
        per_epoch = (time.monotonic() - self.epochs_started) / done
        return f", about {tqdm.format_interval(per_epoch * (self.options.epoch_count - epoch))} left"

    def _train_epoch(self, epoch, iterator):
        trainer = self.trainer
        trainer.reset_statistics()
        log.info(f"Epoch {epoch + 1}/{self.options.epoch_count}{self._time_left(epoch)}")
        names = list(LOSS_NAMES) + (["augment_p"] if self.options.augment else []) + list(self.options.metrics)
        progress = keras.utils.Progbar(trainer.epoch_batches, stateful_metrics=names)
        started = last_refresh = time.monotonic()
        first_batch = epoch * trainer.epoch_batches
        for batch in range(trainer.epoch_batches):
            trainer.train_step(iterator, (first_batch + batch) % self.options.d_reg_interval == 0)
            now = time.monotonic()
            if now - last_refresh >= PROGRESS_REFRESH_SECONDS and batch + 1 < trainer.epoch_batches:
                progress.update(batch + 1, list(trainer.statistics().items()))
                last_refresh = now
        stats = trainer.statistics()
        seconds = time.monotonic() - started
        if not all(math.isfinite(value) for value in stats.values()):
            raise UserError(f"epoch {epoch + 1}: losses are not finite ({stats}); training diverged and this "
                            "epoch is not saved. Lower learning_rate, or try without mixed_precision")
        measured, metrics_seconds = {}, None
        if self.metrics is not None and self.options.metrics_due(epoch + 1):
            metrics_started = time.monotonic()
            measured = self.metrics(self.fakes_generator)
            metrics_seconds = time.monotonic() - metrics_started
        progress.update(trainer.epoch_batches, list({**stats, **measured}.items()))
        if self.plan.is_chief:
            self.folder.save_checkpoint(epoch + 1, trainer.to_checkpoint(epoch + 1), self.options.keep_checkpoints,
                                        self.options.optimizer_state_in)
            grid = self.folder.write_fakes(epoch + 1, self.fakes_generator(self.latents).numpy(), self.grid_side)
            self._log(epoch + 1, {**stats, **measured}, seconds, grid, metrics_seconds)


def train_run(run_dir, options=None):
    """Train the run folder `run_dir` (train/main.py): start it, or resume it from its newest checkpoint.

    `options` are its options.json as `options.load_options` reads them (read here when None). The chief
    copies everything said on the console to the folder's log.txt, and says where the results are.
    """
    run_dir = Path(run_dir)
    options = load_options(run_dir) if options is None else options
    # The strategy must exist before any other TensorFlow work (MultiWorkerMirroredStrategy insists).
    plan = plan_devices(options.devices)
    with console_log(run_dir / LOG_FILE if plan.is_chief else None):
        training = Run(run_dir, options, plan)
        # Damaged shards show up wherever the images are read: one line naming the shard and the record.
        with data_errors_named(training.files):
            training.train()
        if plan.is_chief:
            log.info(f"done: checkpoints and fakes grids are in {run_dir}")
        else:
            log.info(f"done: this worker's part; the chief wrote the checkpoints and fakes grids in {run_dir}")
