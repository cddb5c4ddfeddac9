"""Trained networks ready to use: a generator from latents to images, a discriminator from images to logits."""
import numpy as np

from drawing.backend import tf
from drawing.errors import UserError
from drawing.gan.checkpoint import Checkpoint, write_checkpoint
from drawing.gan.legacy import read_model
from drawing.gan.networks import build_discriminator, build_generator, initialise_weights, set_weights_checked

# Images per call of the compiled function: about 4 megapixels of output at a time, so memory stays
# bounded at any resolution while small models still run large batches.
PIXELS_PER_CHUNK = 4096 * 1024


def images_per_chunk(resolution):
    """The most images of `resolution` that one generator call computes at once."""
    return max(1, PIXELS_PER_CHUNK // (resolution * resolution))


class Generator:
    """`g(latents)`: float32 [N, latent_size] (numpy or tensor) -> float32 [N, R, R, 3] in [0, 1].

    One compiled function serves every batch size (no retracing per call); large batches run in
    chunks so memory stays bounded.
    """

    def __init__(self, model):
        self.model = model
        self.latent_size = int(model.inputs[0].shape[-1])
        self.resolution = int(model.outputs[0].shape[1])
        self._chunk = images_per_chunk(self.resolution)
        self._generate = tf.function(
            lambda latents: tf.clip_by_value(model(latents, training=False), 0.0, 1.0),
            input_signature=[tf.TensorSpec([None, self.latent_size], tf.float32)])

    def __call__(self, latents):
        latents = tf.cast(tf.convert_to_tensor(latents), tf.float32)
        if latents.shape.rank != 2 or latents.shape[1] != self.latent_size:
            raise ValueError(f"latents must have shape [N, {self.latent_size}], not {latents.shape}")
        count = int(latents.shape[0])
        if count <= self._chunk:
            return self._generate(latents)
        return tf.concat([self._generate(latents[start:start + self._chunk])
                          for start in range(0, count, self._chunk)], axis=0)


class Discriminator:
    """`d(images)`: float32 [N, R, R, 3] in [0, 1] -> logits [N, 1] (real > 0 > fake)."""

    def __init__(self, model):
        self.model = model
        self.resolution = int(model.inputs[0].shape[1])
        self._classify = tf.function(
            lambda images: model(images, training=False),
            input_signature=[tf.TensorSpec([None, self.resolution, self.resolution, 3], tf.float32)])

    def __call__(self, images):
        return self._classify(tf.cast(tf.convert_to_tensor(images), tf.float32))


class NoDiscriminator(UserError):
    """A generator-only checkpoint (as the original's gen/ scripts keep one) asked for its discriminator."""


def _networks(checkpoint, path):
    networks = checkpoint.networks
    try:
        return int(networks["resolution"]), int(networks["latent_size"]), float(networks["channel_scale"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path}: checkpoint does not say which network it holds") from None


def generator_from_checkpoint(checkpoint, path, use_ema=True):
    resolution, latent_size, channel_scale = _networks(checkpoint, path)
    model = build_generator(resolution, latent_size, channel_scale)
    weights = checkpoint.generator_ema if use_ema and checkpoint.generator_ema is not None else checkpoint.generator
    set_weights_checked(model, weights, path, "generator")
    return Generator(model)


def discriminator_from_checkpoint(checkpoint, path):
    if checkpoint.discriminator is None:
        raise NoDiscriminator(f"{path}: a generator-only checkpoint: it holds no discriminator")
    resolution, _, channel_scale = _networks(checkpoint, path)
    model = build_discriminator(resolution, channel_scale)
    set_weights_checked(model, checkpoint.discriminator, path, "discriminator")
    return Discriminator(model)


def load_generator(path, use_ema=True):
    """The generator of a checkpoint file (ours or the original's) or of a run folder's newest checkpoint.

    Uses the moving-average generator when the checkpoint has one (it gives smoother, better images).
    """
    path, checkpoint = read_model(path)
    return generator_from_checkpoint(checkpoint, path, use_ema=use_ema)


def load_discriminator(path):
    """The discriminator of a checkpoint file or of a run folder's newest checkpoint."""
    path, checkpoint = read_model(path)
    return discriminator_from_checkpoint(checkpoint, path)


def save_untrained_checkpoint(path, resolution=16, latent_size=8, channel_scale=1 / 16, seed=0):
    """Write a valid checkpoint of freshly initialised networks (for other stages' tests and demos)."""
    rng = np.random.default_rng(seed)
    generator = build_generator(resolution, latent_size, channel_scale)
    discriminator = build_discriminator(resolution, channel_scale)
    initialise_weights(generator, rng)
    initialise_weights(discriminator, rng)
    weights = generator.get_weights()
    write_checkpoint(path, Checkpoint(
        epoch=0, networks={"resolution": resolution, "latent_size": latent_size, "channel_scale": channel_scale},
        generator=weights, generator_ema=[w.copy() for w in weights],
        discriminator=discriminator.get_weights(),
        options={"resolution": resolution, "latent_size": latent_size, "channel_scale": channel_scale,
                 "seed": seed}))
    return path
