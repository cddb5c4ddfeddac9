"""The differentiable stroke renderer: where and how wide it inks, its gradients, its tiling."""
import numpy as np
import pytest
import tensorflow as tf

from drawing.plotter import strokes
from drawing.plotter.render import paper_image, render, render_image


def straight_stroke(start, end, segments=1):
    """One stroke along a straight line, its control points evenly spaced."""
    fractions = np.linspace(0, 1, 3 * segments + 1)[:, None]
    return (np.asarray(start) + fractions * (np.asarray(end) - np.asarray(start)))[None].astype(np.float32)


@pytest.mark.parametrize("width", [1.0, 2.0, 4.0, 7.0])
def test_horizontal_stroke_is_where_and_as_wide_as_it_should_be(width):
    # Odd widths centred on a pixel's centre, even ones on a pixel boundary: whole pixels inked.
    height = 32 + (width % 2) / 2
    coverage = render_image(straight_stroke((16, height), (48, height)), width, 64)
    column = coverage[:, 32]
    assert column.sum() == pytest.approx(width, abs=0.1)
    assert (column * (np.arange(64) + 0.5)).sum() / column.sum() == pytest.approx(height, abs=0.05)
    assert column.max() == pytest.approx(1.0, abs=1e-3)
    assert (column > 0.5).sum() == width
    # Nothing beyond the round caps, nothing off the line.
    reach = int(np.ceil(width / 2 + 1))
    assert coverage[:, :16 - reach].max() == 0 and coverage[:, 48 + reach:].max() == 0
    assert coverage[:32 - reach].max() == 0 and coverage[32 + reach:].max() == 0


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_diagonal_stroke_inks_its_area(segments):
    width = 3.0
    start, end = np.array([10.0, 12.0]), np.array([50.0, 45.0])
    coverage = render_image(straight_stroke(start, end, segments), width, 64)
    length = np.linalg.norm(end - start)
    expected = length * width + np.pi * (width / 2) ** 2
    assert coverage.sum() == pytest.approx(expected, rel=0.03)


def test_overlapping_strokes_combine_as_ink_on_paper():
    one = straight_stroke((8, 16), (24, 16))
    coverage = render_image(np.concatenate([one, one]), np.array([2.0, 2.0]), 32,
                            ink=np.array([0.5, 0.5], np.float32))
    assert coverage[16, 16] == pytest.approx(1 - 0.5 * 0.5, abs=1e-3)


@pytest.mark.parametrize("tile", [4, 8, 16])
def test_tiles_give_the_same_image_as_one_tile(tile):
    points = strokes.random_strokes(np.random.default_rng(3), 40, 3, 48)
    widths = tf.constant(np.linspace(0.5, 5, 40), tf.float32)
    whole = render(tf.constant(points), widths, (0.0, 0.0), 48, 48, tile=64).numpy()
    tiled = render(tf.constant(points), widths, (0.0, 0.0), 48, 48, tile=tile).numpy()
    np.testing.assert_allclose(tiled, whole, atol=1e-6)


def test_window_and_bands_match_the_whole_canvas():
    points = strokes.random_strokes(np.random.default_rng(4), 60, 2, 96)
    whole = render_image(points, 2.5, 96, band=96)
    np.testing.assert_allclose(render_image(points, 2.5, 96, band=20), whole, atol=1e-6)
    window = render(tf.constant(points), tf.fill([60], 2.5), (30.0, 17.0), 40, 50).numpy()
    np.testing.assert_allclose(window, whole[17:67, 30:70], atol=1e-6)


def test_gradients_agree_with_finite_differences():
    rng = np.random.default_rng(5)
    points = tf.Variable(strokes.random_strokes(rng, 3, 2, 24, step=0.15).astype(np.float64))
    widths = tf.Variable(rng.uniform(1.5, 3.5, 3))
    ink = tf.Variable(rng.uniform(0.3, 0.9, 3))
    weights = tf.constant(rng.normal(size=(24, 24)))

    def loss():
        return tf.reduce_sum(weights * render(points, widths, (0.0, 0.0), 24, 24, ink=ink, tile=8))

    with tf.GradientTape() as tape:
        value = loss()
    gradients = tape.gradient(value, [points, widths, ink])
    step = 1e-5
    for variable, gradient in zip([points, widths, ink], gradients):
        flat = variable.numpy().ravel()
        assert np.abs(gradient.numpy()).max() > 0
        for index in rng.choice(flat.size, size=min(8, flat.size), replace=False):
            shifted = flat.copy()
            shifted[index] += step
            variable.assign(shifted.reshape(variable.shape))
            above = float(loss())
            shifted[index] -= 2 * step
            variable.assign(shifted.reshape(variable.shape))
            below = float(loss())
            variable.assign(flat.reshape(variable.shape))
            numeric = (above - below) / (2 * step)
            assert gradient.numpy().ravel()[index] == pytest.approx(numeric, rel=1e-3, abs=1e-5)


def test_paper_image_is_black_ink_on_white():
    assert paper_image(np.array([[0.0, 1.0, 0.5]])).tolist() == [[255, 0, 128]]
