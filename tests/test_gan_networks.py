"""The networks: the original's layer names and weight order, equalised-lr scales, and each op against numpy."""
import math

import numpy as np
import pytest
import tensorflow as tf
from scipy.signal import convolve2d

from drawing.gan.layers import blur, blur_filter, downsample, minibatch_stddev, pixel_norm, pooled_blur, upsample
from drawing.gan.networks import build_discriminator, build_generator, weight_layer_names

G32 = ["latent_to_4x4", "conv_4x4", "conv_8x8_1", "conv_8x8_2", "conv_16x16_1", "conv_16x16_2", "to_rgb_4x4",
       "to_rgb_8x8", "conv_32x32_1", "to_rgb_16x16", "conv_32x32_2", "to_rgb_32x32"]
D32 = ["from_rgb_32x32", "conv_32x32_1", "conv_32x32_2", "(residual scale)", "conv_16x16_1", "conv_16x16_2",
       "(residual scale)", "conv_8x8_1", "conv_8x8_2", "(residual scale)", "conv_4x4_1", "conv_4x4_2",
       "to_classification"]
G256 = ["latent_to_4x4", "conv_4x4", "conv_8x8_1", "conv_8x8_2", "conv_16x16_1", "conv_16x16_2", "conv_32x32_1",
        "conv_32x32_2", "conv_64x64_1", "to_rgb_4x4", "to_rgb_8x8", "conv_64x64_2", "to_rgb_16x16",
        "conv_128x128_1", "to_rgb_32x32", "conv_128x128_2", "to_rgb_64x64", "conv_256x256_1", "to_rgb_128x128",
        "conv_256x256_2", "to_rgb_256x256"]


def _generated_names(model):
    return [weight.name.split("/")[-1].split(":")[0] for weight in model.weights]


@pytest.fixture(scope="module")
def full_width_32():
    return build_generator(32, 64), build_discriminator(32)


def test_weight_order_at_32(full_width_32):
    generator, discriminator = full_width_32
    assert weight_layer_names(generator) == G32
    assert weight_layer_names(discriminator) == D32
    assert _generated_names(generator) == ["kernel", "bias", "scale"] * len(G32)
    assert len(discriminator.get_weights()) == 3 * (len(D32) - 3) + 3


def test_shapes_at_32(full_width_32):
    generator, discriminator = full_width_32
    shapes = {layer.name: [tuple(w.shape) for w in layer.weights] for layer in generator.layers if layer.weights}
    assert shapes["latent_to_4x4"] == [(64, 8192), (8192,), ()]
    assert shapes["conv_8x8_1"] == [(3, 3, 512, 512), (512,), ()]
    assert shapes["to_rgb_32x32"] == [(1, 1, 512, 3), (3,), ()]
    images = generator(np.zeros((4, 64), np.float32))
    assert images.shape == (4, 32, 32, 3)
    assert discriminator(images).shape == (4, 1)
    d_shapes = {layer.name: [tuple(w.shape) for w in layer.weights] for layer in discriminator.layers}
    assert d_shapes["conv_4x4_1"][0] == (3, 3, 513, 512)      # minibatch stddev adds a channel
    assert d_shapes["conv_4x4_2"][0] == (4, 4, 512, 512)
    assert d_shapes["to_classification"][0] == (512, 1)


def test_full_size_256_matches_the_seed():
    generator, discriminator = build_generator(256, 64), build_discriminator(256)
    assert weight_layer_names(generator) == G256
    assert len(generator.get_weights()) == 63
    assert round(generator.count_params() / 1e6, 1) == 24.0
    assert len(discriminator.get_weights()) == 60
    assert round(discriminator.count_params() / 1e6, 1) == 27.8
    shortcuts = [name for name in weight_layer_names(discriminator) if name.startswith("shortcut")]
    assert shortcuts == ["shortcut_256x256", "shortcut_128x128"]


@pytest.mark.parametrize("channel_scale, channels", [(1.0, 512), (1 / 16, 32)])
def test_channel_scale_and_equalised_lr_scales(channel_scale, channels):
    generator, discriminator = build_generator(8, 16, channel_scale), build_discriminator(8, channel_scale)
    layers = {layer.name: layer for layer in generator.layers + discriminator.layers}
    expected = {"latent_to_4x4": 16, "conv_4x4": 9 * channels, "conv_8x8_1": 9 * channels,
                "to_rgb_8x8": channels, "from_rgb_8x8": 3, "conv_4x4_1": 9 * (channels + 1),
                "conv_4x4_2": 16 * channels, "to_classification": channels}
    for name, fan_in in expected.items():
        assert float(layers[name].scale.numpy()) == pytest.approx(1 / math.sqrt(fan_in)), name
        assert not layers[name].scale.trainable
    assert layers["conv_8x8_1"].kernel.shape == (3, 3, channels, channels)   # transposed: (3, 3, out, in)
    kernels = np.concatenate([layer.kernel.numpy().ravel() for layer in layers.values() if hasattr(layer, "kernel")])
    assert abs(kernels.std() - 1.0) < 0.05 and abs(kernels.mean()) < 0.05
    assert all(not layer.bias.numpy().any() for layer in layers.values() if hasattr(layer, "bias"))


# ---- the ops against numpy references -----------------------------------------------------------

def numpy_blur(image, stride=1):
    """Per-channel correlation with the [1,3,3,1] filter, 'SAME' padding as TensorFlow places it."""
    height, width, _ = image.shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    pad_h = max((out_h - 1) * stride + 4 - height, 0)
    pad_w = max((out_w - 1) * stride + 4 - width, 0)
    padded = np.pad(image, [(pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)])
    kernel = blur_filter()[::-1, ::-1]   # convolve2d flips; the filter is symmetric anyway
    return np.stack([convolve2d(padded[..., c], kernel, mode="valid")[::stride, ::stride]
                     for c in range(image.shape[2])], axis=-1)


@pytest.fixture
def image():
    return np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype(np.float32)


def test_blur_filter_sums_to_one():
    assert blur_filter().sum() == pytest.approx(1.0)
    assert blur_filter()[0, 0] == pytest.approx(1 / 64) and blur_filter()[1, 1] == pytest.approx(9 / 64)


def test_blur(image):
    np.testing.assert_allclose(blur(tf.constant(image)).numpy()[0], numpy_blur(image[0]), atol=1e-5)


def test_pooled_blur_is_the_blur(image):
    np.testing.assert_allclose(pooled_blur(tf.constant(image)).numpy(), blur(tf.constant(image)).numpy(), atol=1e-6)


def test_generator_with_pooled_blur_is_the_same_network():
    from drawing.gan.int8 import with_pooled_blur
    model = build_generator(16, 8, channel_scale=1 / 32)
    pooled = with_pooled_blur(model)
    assert any(layer.get_config().get("blur_by_pooling") for layer in pooled.layers)
    assert [weight.name for weight in pooled.weights] == [weight.name for weight in model.weights]
    latents = np.random.default_rng(3).standard_normal((2, 8)).astype(np.float32)
    np.testing.assert_allclose(pooled(latents).numpy(), model(latents).numpy(), atol=1e-5)


def test_downsample(image):
    result = downsample(tf.constant(image)).numpy()
    assert result.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(result[1], numpy_blur(image[1], stride=2), atol=1e-5)


def test_upsample(image):
    result = upsample(tf.constant(image)).numpy()
    assert result.shape == (2, 16, 16, 3)
    for one_image, one_result in zip(image, result):
        zeros = np.zeros((16, 16, 3), np.float32)
        zeros[::2, ::2] = one_image * 4
        np.testing.assert_allclose(one_result, numpy_blur(zeros), atol=1e-5)
    # Away from the border, upsampling keeps a constant image constant.
    flat = upsample(tf.ones((1, 8, 8, 1))).numpy()[0, 2:-2, 2:-2, 0]
    np.testing.assert_allclose(flat, 1.0, atol=1e-6)


def test_pixel_norm():
    x = np.random.default_rng(1).standard_normal((3, 10)).astype(np.float32) * 5
    expected = x / np.sqrt((x ** 2).mean(axis=1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(pixel_norm(tf.constant(x)).numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("batch", [2, 4, 8])
def test_minibatch_stddev(batch):
    x = np.random.default_rng(batch).standard_normal((batch, 4, 4, 5)).astype(np.float32)
    group = min(4, batch)
    expected = np.empty((batch, 4, 4, 1), np.float32)
    for start in range(0, batch, group):
        members = x[start:start + group]
        std = np.sqrt(members.var(axis=0) + 1e-7)   # over the group, per pixel and channel
        expected[start:start + group] = std.mean()
    result = minibatch_stddev(tf.constant(x)).numpy()
    assert result.shape == (batch, 4, 4, 6)
    np.testing.assert_array_equal(result[..., :5], x)
    np.testing.assert_allclose(result[..., 5:], expected, rtol=1e-5)
