"""The generator and discriminator: ProGAN with StyleGAN2's skip generator and residual discriminator.

Both are tf-keras functional models built recursively, exactly as the original builds them, because Keras
orders a functional model's weights by the shape of its graph and the original's checkpoints are lists of
arrays in that order (see docs/checkpoint.md). For R = 32 the layers come out as
- generator: latent_to_4x4, conv_4x4, conv_8x8_1, conv_8x8_2, conv_16x16_1, conv_16x16_2, to_rgb_4x4,
  to_rgb_8x8, conv_32x32_1, to_rgb_16x16, conv_32x32_2, to_rgb_32x32;
- discriminator: from_rgb_32x32, conv_32x32_1, conv_32x32_2, (residual scale), conv_16x16_1, ...,
  conv_4x4_1, conv_4x4_2, to_classification;
each with [kernel, bias, scale].

`channel_scale` multiplies every channel count (1.0 is the original's network; 1/16 gives a model small
enough to train on a laptop CPU in a minute).
"""
import numpy as np

from drawing.backend import keras, tf
from drawing.errors import UserError
from drawing.gan.layers import (
    Downsample,
    ImageRange,
    MinibatchStddev,
    PixelNorm,
    ScaledAdd,
    ScaledConv2d,
    ScaledDense,
    ScaledLeakyRelu,
    Upsample,
    UpsampleConv2d,
)
from drawing.images import TILE_RESOLUTIONS

RESOLUTIONS = TILE_RESOLUTIONS  # the GAN trains on the tiles data/ cuts
GENERATOR_CHANNELS = {4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64, 1024: 32}
# (first convolution, second convolution) of each discriminator block.
DISCRIMINATOR_CHANNELS = {4: (512, 512), 8: (512, 512), 16: (512, 512), 32: (512, 512), 64: (512, 512),
                          128: (256, 512), 256: (128, 256), 512: (64, 128), 1024: (32, 64)}


def scaled_channels(count, channel_scale):
    return max(1, int(round(count * channel_scale)))


def check_resolution(resolution):
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be a power of two from 4 to 1024, not {resolution}")


def _activate(x):
    return ScaledLeakyRelu()(x)


def _conv(x, channel_count, kernel_size=3, activate=True, name=None, **kwargs):
    x = ScaledConv2d(channel_count, kernel_size, name=name, **kwargs)(x)
    return _activate(x) if activate else x


def _to_float32(x):
    """Under mixed precision the last layer computes in float16; the models' outputs stay float32."""
    if x.dtype != tf.float32:
        x = keras.layers.Activation(None, dtype="float32")(x)
    return x


def _generator_body(latents, resolution, channel_scale):
    """(rgb, features) at `resolution`: the lower resolution's rgb, upsampled, plus this one's."""
    channel_count = scaled_channels(GENERATOR_CHANNELS[resolution], channel_scale)

    def to_rgb(x):
        return _conv(x, 3, kernel_size=1, activate=False, name=f"to_rgb_{resolution}x{resolution}")

    if resolution == 4:
        features = ScaledDense(channel_count * 4 * 4, name="latent_to_4x4")(latents)
        features = _activate(keras.layers.Reshape((4, 4, channel_count))(features))
        features = _conv(features, channel_count, name="conv_4x4")
        return to_rgb(features), features

    lower_rgb, features = _generator_body(latents, resolution // 2, channel_scale)
    name = f"conv_{resolution}x{resolution}"
    features = _activate(UpsampleConv2d(channel_count, name=f"{name}_1")(features))
    features = _conv(features, channel_count, name=f"{name}_2")
    rgb = keras.layers.Add()([Upsample()(lower_rgb), to_rgb(features)])
    return rgb, features


def build_generator(resolution, latent_size, channel_scale=1.0):
    """latents [N, latent_size] -> images [N, R, R, 3] in [0, 1] (not clipped)."""
    check_resolution(resolution)
    latents = keras.layers.Input((latent_size,), name="latents")
    rgb, _ = _generator_body(PixelNorm()(latents), resolution, channel_scale)
    images = _to_float32(ImageRange(to_model=False)(rgb))
    return keras.Model(inputs=latents, outputs=images, name="generator")


def _discriminator_body(image, resolution, channel_scale):
    """Features at `resolution`, from the image at its own resolution through every block above."""
    first, second = (scaled_channels(c, channel_scale) for c in DISCRIMINATOR_CHANNELS[resolution])
    if image.shape[1] > resolution:
        incoming = _discriminator_body(image, resolution * 2, channel_scale)
    else:
        incoming = _conv(ImageRange(to_model=True)(image), first, kernel_size=1,
                         name=f"from_rgb_{resolution}x{resolution}")

    if resolution == 4:
        x = MinibatchStddev()(incoming)
        x = _conv(x, first, name="conv_4x4_1")
        return _conv(x, second, kernel_size=4, padding="valid", name="conv_4x4_2")

    name = f"conv_{resolution}x{resolution}"
    x = _conv(incoming, first, name=f"{name}_1")
    x = _conv(x, second, strides=2, pre_blur=True, name=f"{name}_2")
    shortcut = Downsample()(incoming)
    if shortcut.shape[-1] != x.shape[-1]:
        shortcut = _conv(shortcut, x.shape[-1], kernel_size=1, activate=False,
                         name=f"shortcut_{resolution}x{resolution}")
    return ScaledAdd()([x, shortcut])


def build_discriminator(resolution, channel_scale=1.0):
    """images [N, R, R, 3] in [0, 1] -> logits [N, 1] (real > 0 > fake)."""
    check_resolution(resolution)
    image = keras.layers.Input((resolution, resolution, 3), name="images")
    x = keras.layers.Flatten()(_discriminator_body(image, 4, channel_scale))
    logits = _to_float32(ScaledDense(1, name="to_classification")(x))
    return keras.Model(inputs=image, outputs=logits, name="discriminator")


def weight_layer_names(model):
    """The names of the layers holding weights, in `get_weights()` order."""
    names = []
    for layer in model.layers:
        if layer.weights:
            names.append(layer.name if not isinstance(layer, ScaledAdd) else "(residual scale)")
    return names


def initialise_weights(model, rng):
    """Seeded initialisation: every kernel from N(0, 1) (`scale` does the rest), every bias zero."""
    for layer in model.layers:
        if hasattr(layer, "kernel"):
            layer.kernel.assign(rng.standard_normal(layer.kernel.shape, dtype=np.float32))
            layer.bias.assign(np.zeros(layer.bias.shape, np.float32))


def set_weights_checked(model, arrays, source, what):
    """`model.set_weights(arrays)`, or a UserError naming `source` if they belong to another network."""
    expected = [tuple(w.shape) for w in model.weights]
    found = [tuple(np.shape(a)) for a in arrays]
    if expected != found:
        detail = (f"{len(found)} arrays where the network has {len(expected)}" if len(found) != len(expected)
                  else next(f"array {i} has shape {f}, the network expects {e}"
                            for i, (e, f) in enumerate(zip(expected, found)) if e != f))
        raise UserError(f"{source}: the {what} weights do not fit the network the checkpoint describes "
                        f"({detail})")
    model.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])
