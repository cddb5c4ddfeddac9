"""The differentiable stroke renderer: where and how wide it inks, its gradients, its tiling."""
import numpy as np
import pytest
import tensorflow as tf

from drawing.images import to_uint8
from drawing.plotter import strokes
from drawing.plotter.render import Pens, coloured_image, coloured_paper, paper_image, render, render_image


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


BLUE = np.array([0x1a, 0x2b, 0x8c]) / 255
RED = np.array([0xc0, 0x30, 0x20]) / 255


def test_one_black_pen_gives_the_grey_picture_in_all_three_channels():
    coverage = render_image(strokes.random_strokes(np.random.default_rng(6), 30, 2, 32), 2.5, 32)
    colour = to_uint8(coloured_paper([coverage], [[0.0, 0.0, 0.0]]))
    assert colour.shape == (32, 32, 3) and len(np.unique(colour)) > 10  # greys, not only black and white
    for channel in range(3):
        np.testing.assert_array_equal(colour[..., channel], paper_image(coverage))


def test_inks_absorb_overlaps_darken_and_a_blue_pen_draws_blue():
    # Pixels: paper, blue only, red only, both, half-covered blue.
    blue = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    red = np.array([0.0, 0.0, 1.0, 1.0, 0.0])
    paper = coloured_paper([blue, red], [BLUE, RED])
    np.testing.assert_allclose(paper[0], [1, 1, 1])
    np.testing.assert_allclose(paper[1], BLUE, atol=1e-6)
    np.testing.assert_allclose(paper[2], RED, atol=1e-6)
    assert (paper[3] <= paper[1]).all() and (paper[3] <= paper[2]).all()
    assert paper[3].sum() < min(paper[1].sum(), paper[2].sum())
    np.testing.assert_allclose(paper[4], (1 + BLUE) / 2, atol=1e-6)


def test_coloured_image_draws_each_stroke_in_its_pens_colour():
    both = np.concatenate([straight_stroke((4, 8), (28, 8)), straight_stroke((4, 24), (28, 24))])
    image = coloured_image(both, 3.0, 32, Pens(np.array([1, 0]), np.array([RED, BLUE], np.float32)))
    assert image.dtype == np.uint8 and image.shape == (32, 32, 3)
    np.testing.assert_array_equal(image[8, 16], to_uint8(BLUE))
    np.testing.assert_array_equal(image[24, 16], to_uint8(RED))
    np.testing.assert_array_equal(image[16, 16], [255, 255, 255])


def test_coloured_paper_passes_gradients_to_each_pens_coverage():
    coverages = [tf.Variable(tf.fill([2, 2], 0.5)), tf.Variable(tf.fill([2, 2], 0.25))]
    with tf.GradientTape() as tape:
        blue_channel = tf.reduce_sum(coloured_paper(coverages, [BLUE, RED])[..., 2])
    gradients = tape.gradient(blue_channel, coverages)
    # More blue ink leaves the blue channel almost untouched; more red ink darkens it.
    assert 0 > float(gradients[0][0, 0]) > float(gradients[1][0, 0])
