"""Differentiable augmentation for small datasets: DiffAugment, with an ADA-style adaptive probability.

The discriminator sees real and generated images through the same random transformations, so it cannot
memorise a small training set, and the generator still learns the un-augmented distribution (the
transformations are differentiable, and applied to both sides alike). Policies (Zhao et al. 2020):
- color: random brightness, saturation and contrast per image;
- translation: shift by up to 1/8 of the size, the uncovered border filled with white paper;
- cutout: a square of half the size blanked to mid-grey at a random place.

Each policy is applied to each image with probability `p`. With `augment_probability: "adaptive"`, p
starts at 0 and follows the overfitting heuristic of StyleGAN2-ADA (Karras et al. 2020): r = E[sign(D(real))];
every few batches p moves up if r is above the target (0.6) and down if below, by at most
batch * interval / (ada_kimg * 1000) per adjustment.

Images are in [0, 1] (the discriminator's input range). All randomness is stateless, from a seed tensor.
"""
from drawing.backend import tf

TRANSLATION_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2
PAPER = 1.0
CUTOUT_FILL = 0.5


def _uniform(shape, seed, purpose, dtype):
    return tf.random.stateless_uniform(shape, tf.random.experimental.stateless_fold_in(seed, purpose),
                                       dtype=dtype)


def _per_image(images, seed, purpose):
    return _uniform([tf.shape(images)[0], 1, 1, 1], seed, purpose, images.dtype)


def adjust_brightness(images, seed):
    # DiffAugment shifts [-1, 1] images by U(-0.5, 0.5); on [0, 1] that is half as much.
    return images + (_per_image(images, seed, 0) - 0.5) * 0.5


def adjust_saturation(images, seed):
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * (_per_image(images, seed, 1) * 2.0) + mean


def adjust_contrast(images, seed):
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (_per_image(images, seed, 2) + 0.5) + mean


def translate(images, seed, ratio=TRANSLATION_RATIO):
    """Shift each image by its own whole number of pixels in [-size*ratio, size*ratio] on each axis."""
    count, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    margin_y, margin_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    shift_y = tf.random.stateless_uniform([count, 1], tf.random.experimental.stateless_fold_in(seed, 3),
                                          -margin_y, margin_y + 1, dtype=tf.int32)
    shift_x = tf.random.stateless_uniform([count, 1], tf.random.experimental.stateless_fold_in(seed, 4),
                                          -margin_x, margin_x + 1, dtype=tf.int32)
    padded = tf.pad(images, [[0, 0], [margin_y, margin_y], [margin_x, margin_x], [0, 0]],
                    constant_values=PAPER)
    rows = tf.range(height)[tf.newaxis, :] + margin_y - shift_y
    columns = tf.range(width)[tf.newaxis, :] + margin_x - shift_x
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, columns, axis=2, batch_dims=1)


def cutout(images, seed, ratio=CUTOUT_RATIO):
    """Blank one square of side size*ratio per image, centred anywhere (it may run off the edge)."""
    count, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    offset_y = tf.random.stateless_uniform([count, 1, 1], tf.random.experimental.stateless_fold_in(seed, 5),
                                           0, height + (1 - size_y % 2), dtype=tf.int32)
    offset_x = tf.random.stateless_uniform([count, 1, 1], tf.random.experimental.stateless_fold_in(seed, 6),
                                           0, width + (1 - size_x % 2), dtype=tf.int32)
    rows = tf.range(height)[tf.newaxis, :, tf.newaxis] - offset_y + size_y // 2
    columns = tf.range(width)[tf.newaxis, tf.newaxis, :] - offset_x + size_x // 2
    inside = ((rows >= 0) & (rows < size_y)) & ((columns >= 0) & (columns < size_x))
    return tf.where(inside[..., tf.newaxis], tf.cast(CUTOUT_FILL, images.dtype), images)


POLICIES = {
    "color": (adjust_brightness, adjust_saturation, adjust_contrast),
    "translation": (translate,),
    "cutout": (cutout,),
}


def augment(images, policies, probability, seed):
    """Apply each transformation of each policy to each image with `probability`, all differentiably.

    `seed`: an int32/int64 tensor of shape [2]; the same seed gives the same transformations.
    """
    purpose = 0
    for policy in policies:
        for transform in POLICIES[policy]:
            step_seed = tf.random.experimental.stateless_fold_in(seed, 1000 + purpose)
            transformed = transform(images, step_seed)
            chosen = _uniform([tf.shape(images)[0], 1, 1, 1], step_seed, 7, tf.float32) < probability
            images = tf.where(chosen, transformed, images)
            purpose += 1
    return images


def adjusted_probability(probability, real_sign_mean, target, images_seen, ada_kimg):
    """ADA's update: move p towards keeping E[sign(D(real))] at `target`, clipped to [0, 1]."""
    step = tf.sign(real_sign_mean - target) * images_seen / (ada_kimg * 1000.0)
    return tf.clip_by_value(probability + step, 0.0, 1.0)
