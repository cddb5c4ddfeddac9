"""The step maths of one batch on one replica: the original's losses, lazy R1, and their gradients.

Per batch (as in the original):
1. discriminator step: softplus(-D(real)) + softplus(D(G(z))), averaged over the global batch;
2. every `d_reg_interval`-th batch, a lazy R1 step on another real batch: the squared gradient of D(real)
   with respect to each image, summed per image, averaged over the batch, times r1_gamma * 0.5 * interval;
3. generator step: softplus(-D(G(z))).
Adam for G with the options' rate and betas; for D the rate times k/(k+1) and each beta to the power
k/(k+1), k = d_reg_interval (lazy regularisation, StyleGAN2). With augmentation, D sees reals and fakes
through the same random, differentiable transformations (drawing/gan/augment.py).

Losses are summed per replica and divided by the global batch, so the replicas' gradients add up to the
mean over the global batch. Under mixed precision each loss is scaled before differentiation and the
gradients unscaled after, as a LossScaleOptimizer expects.
"""
from drawing.backend import tf
from drawing.gan import augment as augmentation
from drawing.gan.devices import on_device
from drawing.gan.layers import MINIBATCH_GROUP_SIZE

LOSS_NAMES = ("d_loss", "d_real", "d_fake", "d_grad_reg", "g_loss")
# Random streams of one replica's batch, folded into its seed: one per step...
STEP_D, STEP_R1, STEP_G = 1, 2, 3
# ... and within a step, one per use.
NOISE_D, NOISE_G, AUGMENT_D_REAL, AUGMENT_D_FAKE, AUGMENT_REG, AUGMENT_G = range(6)


def discriminator_optimizer_settings(learning_rate, beta_1, beta_2, reg_interval):
    """Lazy regularisation: D's Adam settings so that k + 1 updates per k batches keep their meaning."""
    ratio = reg_interval / (reg_interval + 1)
    return learning_rate * ratio, beta_1 ** ratio, beta_2 ** ratio


def ema_beta(global_batch, ema_kimg):
    """Per-batch decay of the generator's moving average: half-life of `ema_kimg` thousand images."""
    return 0.5 ** (global_batch / (ema_kimg * 1000.0))


def _fold(seed, stream):
    return tf.random.experimental.stateless_fold_in(seed, stream)


class GanLoss:
    """Gradients of the three steps for the networks of one run (call inside the replica context).

    `augment_probability`: the variable the adaptive augmentation moves (read at every call).
    """

    def __init__(self, options, plan, global_batch, generator, discriminator, g_optimizer, d_optimizer,
                 augment_probability):
        self.options, self.plan, self.global_batch = options, plan, global_batch
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.augment_probability = augment_probability

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

    def classify_both(self, reals, fakes):
        """D(reals), D(fakes). As one batch when the minibatch-stddev groups cannot straddle the two halves
        (the results are the same; one large batch keeps the cores busier than two small ones)."""
        if self.options.replica_batch_size % MINIBATCH_GROUP_SIZE:
            return self.discriminator(reals, training=True), self.discriminator(fakes, training=True)
        logits = self.discriminator(tf.concat([reals, tf.cast(fakes, reals.dtype)], axis=0), training=True)
        return tf.split(logits, 2, axis=0)

    def discriminator_gradients(self, reals, seed):
        with on_device(self.plan.generator_device):
            fakes = self.generator(self._latents(_fold(seed, NOISE_D)), training=False)
        with on_device(self.plan.discriminator_device):
            variables = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                real_logits, fake_logits = self.classify_both(self._augment(reals, _fold(seed, AUGMENT_D_REAL)),
                                                              self._augment(fakes, _fold(seed, AUGMENT_D_FAKE)))
                d_real = tf.reduce_sum(tf.nn.softplus(-real_logits)) / self.global_batch
                d_fake = tf.reduce_sum(tf.nn.softplus(fake_logits)) / self.global_batch
                d_loss = d_real + d_fake
                scaled = self._scaled(self.d_optimizer, d_loss)
            gradients = self._unscaled(self.d_optimizer, tape.gradient(scaled, variables))
        stats = {"d_loss": d_loss, "d_real": d_real, "d_fake": d_fake,
                 "real_sign": tf.reduce_sum(tf.sign(real_logits))}
        return gradients, stats

    def r1_gradients(self, reals, seed):
        interval = self.options.d_reg_interval
        with on_device(self.plan.discriminator_device):
            variables = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                with tf.GradientTape() as inner:
                    inner.watch(reals)
                    logits = self.discriminator(self._augment(reals, _fold(seed, AUGMENT_REG)), training=True)
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

    def generator_gradients(self, seed):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            with on_device(self.plan.generator_device):
                fakes = self.generator(self._latents(_fold(seed, NOISE_G)), training=True)
            with on_device(self.plan.discriminator_device):
                logits = self.discriminator(self._augment(fakes, _fold(seed, AUGMENT_G)), training=False)
                g_loss = tf.reduce_sum(tf.nn.softplus(-logits)) / self.global_batch
                scaled = self._scaled(self.g_optimizer, g_loss)
        with on_device(self.plan.generator_device):
            gradients = self._unscaled(self.g_optimizer, tape.gradient(scaled, variables))
        return gradients, {"g_loss": g_loss}
