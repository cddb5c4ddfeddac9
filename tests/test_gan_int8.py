"""drawing.gan.int8: the generator with 8-bit weights under TensorFlow Lite, close to the float32 one."""
import logging
import sys
import warnings

import numpy as np
import pytest

from drawing.gan import int8
from drawing.gan.int8 import Int8Generator, conversion_key, default_cache_dir
from drawing.gan.models import Generator
from drawing.gan.networks import build_generator, initialise_weights

LATENT_SIZE = 16


@pytest.fixture(scope="module")
def generator():
    # Wide enough (64 channels) that the 3x3 kernels are quantised; small values of channel_scale stay float.
    model = build_generator(16, LATENT_SIZE, channel_scale=1 / 8)
    initialise_weights(model, np.random.default_rng(0))
    return Generator(model)


@pytest.fixture(scope="module")
def int8_generator(generator):
    return Int8Generator(generator, batch_size=4, threads=1)


def latents(count, seed=1):
    return np.random.default_rng(seed).standard_normal((count, LATENT_SIZE)).astype(np.float32)


def test_weights_are_stored_in_8_bits(int8_generator):
    details = int8_generator._interpreter.get_tensor_details()
    quantised = [tensor for tensor in details if tensor["dtype"] == np.int8 and len(tensor["shape"]) == 4]
    assert len(quantised) >= 4  # the 3x3 convolutions of every resolution


def test_images_are_close_to_float32(generator, int8_generator):
    exact = np.asarray(generator(latents(6)))
    approximate = int8_generator(latents(6))
    assert approximate.shape == exact.shape == (6, 16, 16, 3) and approximate.dtype == np.float32
    assert approximate.min() >= 0.0 and approximate.max() <= 1.0
    difference = np.abs(approximate - exact)
    assert 0 < difference.mean() < 2 / 255 and difference.max() < 16 / 255


def test_frames_do_not_depend_on_the_batch(generator, int8_generator):
    # 7 latents are two batches of 4, the last padded; each image must be what it is alone, and what
    # a model converted for another batch size makes of it.
    together = int8_generator(latents(7))
    alone = np.concatenate([int8_generator(latents(7)[index:index + 1]) for index in range(7)])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(int8_generator(latents(7)), together)
    np.testing.assert_array_equal(Int8Generator(generator, batch_size=3, threads=2)(latents(7)), together)


def test_wrong_latent_size_is_refused(int8_generator):
    with pytest.raises(ValueError, match="latents must have shape"):
        int8_generator(np.zeros((2, LATENT_SIZE + 1), np.float32))


def test_without_litert_tensorflows_own_runtime_serves(generator, int8_generator, monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)   # as on Windows, where it has no wheel
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Interpreter.*")  # no deprecation notice for users
        fallback = Int8Generator(generator, batch_size=4, threads=1)
    np.testing.assert_allclose(fallback(latents(3)), int8_generator(latents(3)), atol=2 / 255)


def test_a_conversion_is_cached_and_reused(generator, int8_generator, tmp_path, monkeypatch):
    first = Int8Generator(generator, batch_size=4, threads=1, cache_dir=tmp_path)
    assert not first.was_cached and len(list(tmp_path.glob("*.tflite"))) == 1

    def no_conversion(*_):
        raise AssertionError("converted again")
    monkeypatch.setattr(int8, "int8_flatbuffer", no_conversion)
    again = Int8Generator(generator, batch_size=4, threads=1, cache_dir=tmp_path)
    assert again.was_cached
    np.testing.assert_array_equal(again(latents(3)), int8_generator(latents(3)))


def test_the_cache_key_follows_weights_and_batch(generator):
    key = conversion_key(generator.model, 4)
    assert conversion_key(generator.model, 4) == key and conversion_key(generator.model, 8) != key
    other = build_generator(16, LATENT_SIZE, channel_scale=1 / 8)
    initialise_weights(other, np.random.default_rng(1))
    assert conversion_key(other, 4) != key


def test_the_cache_keeps_the_newest_few(generator, tmp_path, monkeypatch):
    monkeypatch.setattr(int8, "CACHED_MODELS", 1)
    Int8Generator(generator, batch_size=2, threads=1, cache_dir=tmp_path)
    Int8Generator(generator, batch_size=3, threads=1, cache_dir=tmp_path)
    assert [path.name for path in tmp_path.glob("*.tflite")] == [f"{conversion_key(generator.model, 3)}.tflite"]


def test_an_unwritable_cache_is_a_warning_not_a_failure(generator, tmp_path, caplog):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    converted = Int8Generator(generator, batch_size=4, threads=1, cache_dir=blocked / "int8")
    assert converted(latents(1)).shape == (1, 16, 16, 3)
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert f"{blocked / 'int8'}: cannot keep the converted model" in caplog.text


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DRAWING_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "int8"
    monkeypatch.delenv("DRAWING_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "drawing" / "int8"
