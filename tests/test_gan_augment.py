"""DiffAugment transformations and the adaptive probability."""
import numpy as np
import pytest
import tensorflow as tf

from drawing.gan.augment import POLICIES, adjusted_probability, augment, cutout, translate

SEED = tf.constant([1, 2], tf.int64)


@pytest.fixture
def images():
    return tf.constant(np.random.default_rng(0).uniform(size=(6, 16, 16, 3)).astype(np.float32))


@pytest.mark.parametrize("policies", [("color",), ("translation",), ("cutout",), tuple(POLICIES)])
def test_augmentation_is_seeded_differentiable_and_changes_images(images, policies):
    with tf.GradientTape() as tape:
        tape.watch(images)
        augmented = augment(images, policies, 1.0, SEED)
        total = tf.reduce_sum(augmented)
    assert augmented.shape == images.shape
    assert not np.allclose(augmented.numpy(), images.numpy())
    np.testing.assert_array_equal(augmented.numpy(), augment(images, policies, 1.0, SEED).numpy())
    assert not np.array_equal(augmented.numpy(), augment(images, policies, 1.0, SEED + 1).numpy())
    gradient = tape.gradient(total, images)
    assert gradient is not None and np.isfinite(gradient.numpy()).all()


def test_probability_zero_leaves_images_alone(images):
    np.testing.assert_array_equal(augment(images, tuple(POLICIES), 0.0, SEED).numpy(), images.numpy())


def test_translation_moves_content_by_at_most_an_eighth_and_fills_with_paper():
    image = np.ones((1, 16, 16, 1), np.float32)
    image[0, 8, 8, 0] = 0.0   # one ink dot on paper
    offsets = set()
    for seed in range(12):
        shifted = translate(tf.constant(image), tf.constant([seed, 0], tf.int64)).numpy()[0, ..., 0]
        assert set(np.unique(shifted)) == {0.0, 1.0}
        (row,), (column,) = np.nonzero(shifted == 0.0)
        assert abs(row - 8) <= 2 and abs(column - 8) <= 2
        offsets.add((row - 8, column - 8))
    assert len(offsets) > 3


def test_cutout_blanks_a_square_of_half_the_size():
    image = np.zeros((1, 16, 16, 1), np.float32)
    blanked = cutout(tf.constant(image), SEED).numpy()[0, ..., 0] == 0.5
    rows, columns = np.nonzero(blanked)
    assert 0 < blanked.sum() <= 64
    assert rows.max() - rows.min() < 8 and columns.max() - columns.min() < 8


@pytest.mark.parametrize("sign_mean, expected", [(0.9, 0.5 + 0.064), (0.2, 0.5 - 0.064), (0.6, 0.5)])
def test_adaptive_probability_moves_towards_the_target(sign_mean, expected):
    # 64 images per batch, adjusted every 4 batches, ada_kimg 4: each step moves 256 / 4000.
    updated = adjusted_probability(tf.constant(0.5), tf.constant(sign_mean), 0.6, 256.0, 4.0)
    assert float(updated) == pytest.approx(expected)


def test_adaptive_probability_stays_in_unit_range():
    assert float(adjusted_probability(tf.constant(0.99), tf.constant(1.0), 0.6, 256.0, 0.01)) == 1.0
    assert float(adjusted_probability(tf.constant(0.01), tf.constant(-1.0), 0.6, 256.0, 0.01)) == 0.0
