"""The feature extractor, the augmented views and the activation maximisation, on tiny tf-keras models."""
import numpy as np
import pytest
import tensorflow as tf

from drawing.backend import keras
from drawing.errors import UserError
from drawing.plotter import network, optimise, strokes
from drawing.plotter.render import Pens, render_image, render_periodic

RESOLUTION = 16
CANVAS = 48


def tiny_discriminator():
    """A small network named like our discriminator's layers, with seeded weights."""
    initializer = keras.initializers.RandomNormal(stddev=0.5, seed=1)
    images = keras.Input((RESOLUTION, RESOLUTION, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", name="from_rgb_16x16", kernel_initializer=initializer)(images * 2 - 1)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv_16x16_1", kernel_initializer=initializer)(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="conv_16x16_2", kernel_initializer=initializer)(x)
    x = keras.layers.Dense(1, name="to_classification", kernel_initializer=initializer)(keras.layers.Flatten()(x))
    return keras.Model(images, x)


@pytest.fixture(scope="module")
def model():
    return tiny_discriminator()


def features_of(model, layer=None, channel=None):
    return network.Network(model, RESOLUTION, "the tiny network", tf.identity, "conv_16x16_1").features(layer, channel)


def test_layer_table_lists_named_layers_with_channels(model):
    table = network.layer_table(model)
    assert [name for name, _, _ in table] == ["from_rgb_16x16", "conv_16x16_1", "conv_16x16_2", "to_classification"]
    assert [channels for _, channels, _ in table] == [6, 8, 8, 1]
    listing = network.Network(model, RESOLUTION, "the tiny network", tf.identity, "conv_16x16_1").layer_listing()
    assert listing.splitlines()[3].split() == ["conv_16x16_2", "8", "8x8x8"]


@pytest.mark.parametrize("layer, channel, message", [
    ("conv_99x99_1", None, "valid layers: from_rgb_16x16, conv_16x16_1"),
    ("conv_16x16_1", 8, "has 8 channels, numbered 0 to 7"),
])
def test_missing_layers_and_channels_are_refused_with_the_valid_ones(model, layer, channel, message):
    with pytest.raises(UserError, match=message):
        features_of(model, layer, channel)


def test_a_channel_is_one_slice_of_the_layer(model):
    images = tf.random.stateless_uniform([2, RESOLUTION, RESOLUTION, 3], [0, 1])
    layer = network.select_layer(model, "conv_16x16_1", None, "tiny")(images)  # the whole layer
    expected = tf.reduce_mean(layer[..., 3], axis=[1, 2])
    np.testing.assert_allclose(features_of(model, channel=3).activation(images), expected, rtol=1e-5)


@pytest.mark.parametrize("wrap", [False, True])
def test_views_without_augmentation_sample_the_pixels(wrap):
    image = tf.constant(np.random.default_rng(0).uniform(size=(8, 8)), tf.float32)
    centres = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="xy"), axis=-1)[None] + 0.5
    np.testing.assert_allclose(optimise.sample_bilinear(image, tf.constant(centres, tf.float32), wrap)[0],
                               image, atol=1e-6)
    halfway = float(optimise.sample_bilinear(image, tf.constant([[[[1.0, 0.5]]]]), wrap)[0, 0, 0])
    assert halfway == pytest.approx(float(image[0, 0] + image[0, 1]) / 2)


def test_views_outside_the_image_see_paper_or_wrap_around():
    image = tf.constant(np.random.default_rng(0).uniform(size=(8, 8)), tf.float32)
    outside = tf.constant([[[[-5.5, 3.5], [20.5, 20.5]]]])
    assert np.all(optimise.sample_bilinear(image, outside).numpy() == 0)
    np.testing.assert_allclose(optimise.sample_bilinear(image, outside, wrap=True)[0, 0],
                               [image[3, 2], image[4, 4]], atol=1e-6)


def test_views_stay_near_the_window():
    grids = optimise.view_grids(np.random.default_rng(0), 32, optimise.Canvas(64, 64), RESOLUTION)
    assert grids.shape == (32, RESOLUTION, RESOLUTION, 2)
    slack = optimise.JITTER + optimise.PERSPECTIVE * 64
    assert grids.min() >= -slack and grids.max() <= 64 + slack
    sides = grids[:, 0, -1, 0] - grids[:, 0, 0, 0]
    assert sides.min() > 0.3 * 64 and sides.max() < 1.2 * 64


def test_stroke_adam_is_adam_for_the_strokes_a_step_sees_and_leaves_the_others():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4, 2)).astype(np.float32)
    ours, reference = tf.Variable(start), tf.Variable(start[:2])
    stroke_adam = optimise.StrokeAdam(ours, 0.1)
    keras_adam = keras.optimizers.Adam(learning_rate=0.1, epsilon=optimise.StrokeAdam.EPSILON)
    for _ in range(3):
        gradient = rng.normal(size=(2, 4, 2)).astype(np.float32)
        stroke_adam.apply(tf.constant(np.concatenate([gradient, np.zeros((1, 4, 2), np.float32)])))
        keras_adam.apply_gradients([(tf.constant(gradient), reference)])
    np.testing.assert_allclose(ours.numpy()[:2], reference.numpy(), atol=1e-5)
    np.testing.assert_array_equal(ours.numpy()[2], start[2])


def run_optimisation(model, seed, steps=30, canvas=optimise.Canvas(CANVAS, CANVAS), start=None):
    features = features_of(model)
    rng = np.random.default_rng(seed)
    points = strokes.random_strokes(rng, 20, 2, canvas.window) if start is None else start
    settings = optimise.Settings(steps=steps, learning_rate=1.0, views=2, stroke_width=2.0)
    return points, *optimise.optimise(points, features, canvas, settings, rng)


@pytest.mark.parametrize("periodic", [False, True])
def test_activation_rises_clearly_after_a_few_dozen_steps(model, periodic):
    features = features_of(model)
    canvas = optimise.Canvas(CANVAS, CANVAS, periodic)
    start, points, history = run_optimisation(model, seed=0, steps=40, canvas=canvas)
    before = optimise.evaluate(start, features, canvas, 2.0, seed=0)
    after = optimise.evaluate(points, features, canvas, 2.0, seed=0)
    assert len(history) == 40
    assert after > before + 0.25 * abs(before)
    if periodic:
        assert points[:, 0].min() >= 0 and points[:, 0].max() < CANVAS
    else:
        assert points.min() >= 0 and points.max() <= CANVAS


def bend(points):
    return np.square(points[:, 2:] - 2 * points[:, 1:-1] + points[:, :-2]).sum(axis=(1, 2)).mean()


@pytest.mark.parametrize("penalty, measure", [("length_penalty", lambda p: strokes.stroke_lengths(p).mean()),
                                              ("smoothness", bend)])
def test_penalties_shorten_or_straighten_the_strokes(model, penalty, measure):
    features = features_of(model)
    canvas = optimise.Canvas(CANVAS, CANVAS)
    start = strokes.random_strokes(np.random.default_rng(6), 20, 3, CANVAS, step=0.1)
    results = []
    for weight in (0.0, 50.0):
        settings = optimise.Settings(steps=15, learning_rate=1.0, views=2, stroke_width=2.0, **{penalty: weight})
        results.append(measure(optimise.optimise(start, features, canvas, settings, np.random.default_rng(0))[0]))
    assert results[1] < 0.7 * results[0]


def test_the_same_seed_gives_the_same_drawing(model):
    _, first, first_history = run_optimisation(model, seed=3, steps=5)
    _, second, second_history = run_optimisation(model, seed=3, steps=5)
    _, other, _ = run_optimisation(model, seed=4, steps=5)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first_history, second_history)
    assert not np.allclose(first.mean(), other.mean())


def test_large_pass_fine_tunes_sixteen_times_the_strokes_on_windows(model):
    small = strokes.random_strokes(np.random.default_rng(1), 10, 2, CANVAS)
    large = strokes.replicate(small, 4, CANVAS)
    _, tuned, history = run_optimisation(model, seed=1, steps=3, canvas=optimise.Canvas(4 * CANVAS, CANVAS),
                                         start=large)
    assert tuned.shape == (160, 7, 2) and len(history) == 3
    assert tuned.max() <= 4 * CANVAS and not np.array_equal(tuned, large)


def test_a_periodic_tile_renders_like_the_middle_of_its_repetition():
    points = strokes.random_strokes(np.random.default_rng(2), 30, 3, CANVAS, step=0.1)
    tile = optimise.keep_on_canvas(tf.constant(points), optimise.Canvas(CANVAS, CANVAS, periodic=True)).numpy()
    periodic = render_periodic(tf.constant(tile), tf.fill([30], 2.0), CANVAS).numpy()
    repeated = render_image(strokes.replicate(tile, 3, CANVAS), 2.0, 3 * CANVAS)
    np.testing.assert_allclose(periodic, repeated[CANVAS:2 * CANVAS, CANVAS:2 * CANVAS], atol=1e-4)
    # Strokes do cross the tile's edges here, so the wrap-around matters.
    assert not np.allclose(periodic, render_image(tile, 2.0, CANVAS), atol=1e-3)


def test_vgg16_weights_from_a_local_file(tmp_path):
    good = tmp_path / "vgg16.h5"
    keras.applications.VGG16(weights=None, include_top=False).save_weights(good)
    vgg16 = network.load_network("vgg16", None, str(good))
    assert vgg16.resolution == network.VGG16_RESOLUTION and vgg16.features().layer == network.VGG16_LAYER
    features = vgg16.features("block1_conv2", 5)
    assert features.activation(tf.ones([1, vgg16.resolution, vgg16.resolution, 3])).shape == (1,)


@pytest.mark.parametrize("content, message", [("not hdf5", "not a Keras HDF5 weights file"),
                                              ("other model", "does not match VGG16")])
def test_weights_that_do_not_match_vgg16_are_refused(tmp_path, model, content, message):
    path = tmp_path / "weights.h5"
    if content == "other model":
        model.save_weights(path)
    else:
        path.write_text(content)
    with pytest.raises(UserError, match=message):
        network.load_network("vgg16", None, str(path))


def test_vgg16_without_weights_is_refused():
    with pytest.raises(UserError, match="--weights"):
        network.load_network("vgg16", None, None)


class SeenImages:
    """A stand-in for `Features` that keeps the images the network is shown."""
    resolution = RESOLUTION

    def activation(self, images):
        self.images = images.numpy()
        return tf.reduce_mean(images, axis=[1, 2, 3])


def pens_of(count, *colours):
    return Pens(strokes.assign_pens(np.random.default_rng(0), count, len(colours)), np.array(colours, np.float32))


@pytest.mark.parametrize("periodic", [False, True])
def test_the_network_sees_the_pens_colours(model, periodic):
    canvas = optimise.Canvas(CANVAS, CANVAS, periodic)
    points = tf.constant(strokes.random_strokes(np.random.default_rng(7), 30, 2, CANVAS, step=0.1))
    widths = tf.fill([30], 3.0)
    grids = tf.constant(optimise.view_grids(np.random.default_rng(8), 2, canvas, RESOLUTION))
    origin = tf.zeros([2])

    def seen(pens):
        network = SeenImages()
        optimise.view_activation(points, widths, origin, canvas, grids, 1, network, pens)
        return network.images

    grey = seen(None)
    np.testing.assert_allclose(seen(pens_of(30, [0, 0, 0])), grey, atol=1e-5)
    blue = seen(pens_of(30, [0.1, 0.17, 0.55]))
    inked = grey[..., 0] < 0.5
    assert inked.any() and (blue[..., 2][inked] > blue[..., 0][inked] + 0.2).all()
    # The network's answer changes with the colours.
    features = features_of(model)
    in_black = optimise.view_activation(points, widths, origin, canvas, grids, 1, features)
    in_colour = optimise.view_activation(points, widths, origin, canvas, grids, 1, features,
                                         pens_of(30, [0, 0, 0], [0.75, 0.19, 0.13]))
    assert not np.allclose(in_colour, in_black)


def test_strokes_of_every_pen_move(model):
    canvas = optimise.Canvas(CANVAS, CANVAS)
    start = strokes.random_strokes(np.random.default_rng(9), 12, 2, CANVAS)
    pens = pens_of(12, [0, 0, 0], [0.1, 0.17, 0.55], [0.75, 0.19, 0.13])
    settings = optimise.Settings(steps=3, learning_rate=1.0, views=2, stroke_width=2.0)
    points, history = optimise.optimise(start, features_of(model), canvas, settings, np.random.default_rng(0),
                                        pens=pens)
    assert len(history) == 3 and np.isfinite(history).all()
    moved = np.abs(points - start).max(axis=(1, 2)) > 0
    assert all(moved[pens.pen_of_stroke == pen].any() for pen in range(3))
