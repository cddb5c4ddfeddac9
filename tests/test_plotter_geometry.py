"""Stroke arrays, the 4 x 4 replication, the pen-up ordering and the SVG page."""
import io
import itertools
import re
from xml.etree import ElementTree

import numpy as np
import pytest
import svgelements

from drawing.errors import UserError
from drawing.plotter import ordering, strokes, svgfile


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_random_strokes_stay_on_the_canvas(segments):
    points = strokes.random_strokes(np.random.default_rng(0), 50, segments, 64)
    assert points.shape == (50, 3 * segments + 1, 2)
    assert points.min() >= 0 and points.max() <= 64


@pytest.mark.parametrize("copies", [2, 4])
def test_replication_gives_copies_squared_the_strokes_shifted_by_the_canvas(copies):
    points = strokes.random_strokes(np.random.default_rng(1), 7, 3, 32)
    replicated = strokes.replicate(points, copies, 32)
    assert replicated.shape == (copies ** 2 * 7, 10, 2)
    assert replicated.min() >= 0 and replicated.max() <= 32 * copies
    for row in range(copies):
        for column in range(copies):
            copy = replicated[(row * copies + column) * 7:(row * copies + column + 1) * 7]
            np.testing.assert_allclose(copy - [column * 32, row * 32], points, atol=1e-5)


def test_curve_points_pass_through_the_segment_ends():
    points = strokes.random_strokes(np.random.default_rng(2), 5, 3, 32)
    line = strokes.curve_points(points, 8)
    np.testing.assert_allclose(line[:, ::8], points[:, ::3], atol=1e-5)


def test_a_straight_stroke_has_its_length_and_reversing_keeps_it():
    points = np.array([[[0, 0], [1, 0], [2, 0], [3, 0], [4, 4], [5, 8], [6, 12]]], dtype=np.float64)
    lengths = strokes.stroke_lengths(points)
    assert lengths == pytest.approx([3 + np.hypot(3, 12)], rel=1e-6)
    assert strokes.stroke_lengths(strokes.reverse(points)) == pytest.approx(lengths)


def same_strokes_up_to_direction(ordered, original):
    keys = {points.round(6).tobytes() for points in original}
    return all(points.round(6).tobytes() in keys or points[::-1].round(6).tobytes() in keys
               for points in ordered) and len(ordered) == len(original)


@pytest.mark.parametrize("seed", range(6))
def test_ordering_never_lengthens_and_keeps_every_stroke(seed):
    points = strokes.random_strokes(np.random.default_rng(seed), 40, 2, 100, step=0.1)
    ordered = ordering.order_strokes(points)
    assert ordering.pen_up_travel(ordered) <= ordering.pen_up_travel(points) + 1e-9
    assert same_strokes_up_to_direction(ordered, points)


def test_ordering_shortens_a_shuffled_drawing_and_reverses_strokes():
    # Short strokes along a snake; shuffled and with every other stroke drawn backwards.
    rng = np.random.default_rng(7)
    centres = np.array([[x if row % 2 == 0 else 90 - x, row * 10] for row in range(10) for x in range(0, 100, 10)],
                       dtype=np.float64)
    snake = np.stack([centres + [-3, 0], centres + [-1, 0], centres + [1, 0], centres + [3, 0]], axis=1)
    shuffled = snake[rng.permutation(len(snake))]
    shuffled[::2] = shuffled[::2, ::-1]
    ordered = ordering.order_strokes(shuffled)
    assert ordering.pen_up_travel(ordered) < 0.2 * ordering.pen_up_travel(shuffled)
    assert same_strokes_up_to_direction(ordered, shuffled)


def shortest_travel(points):
    """The shortest pen-up travel over every order and every choice of directions (brute force)."""
    count = len(points)
    ends = np.stack([points[:, 0], points[:, -1]], axis=1).astype(np.float64)     # [strokes, (start, end), 2]
    directions = np.array(list(itertools.product([0, 1], repeat=count)))       # [2^n, strokes], 1: backwards
    best = np.inf
    for order in itertools.permutations(range(count)):
        order = np.array(order)
        flips = directions[:, order]
        entries = ends[order, flips]                                             # [2^n, strokes, 2]
        exits = ends[order, 1 - flips]
        travel = np.linalg.norm(entries[:, 1:] - exits[:, :-1], axis=2).sum(axis=1)
        best = min(best, float(travel.min()))
    return best


def test_ordering_comes_close_to_the_shortest_travel_on_small_drawings():
    ratios = []
    for seed in range(12):
        points = strokes.random_strokes(np.random.default_rng(seed), 6, 1, 100, step=0.2).astype(np.float64)
        ordered = ordering.order_strokes(points)
        assert same_strokes_up_to_direction(ordered, points)
        ratios.append(ordering.pen_up_travel(ordered) / shortest_travel(points))
    ratios = np.array(ratios)
    assert ratios.min() >= 1 - 1e-9
    # Greedy alone is 51 % over the optimum on these on average and misses it on 11 of 12;
    # with 2-opt and or-opt all 12 are optimal (a looser bound, so a harmless change of tie-breaking passes).
    assert ratios.max() < 1.1 and np.mean(ratios < 1 + 1e-9) >= 0.75


@pytest.mark.parametrize("seed", range(4))
def test_improving_the_order_never_lengthens_the_greedy_one(seed):
    points = strokes.random_strokes(np.random.default_rng(seed), 200, 2, 500, step=0.05)
    greedy = ordering.order_strokes(points, seconds=0)
    improved = ordering.order_strokes(points)
    assert same_strokes_up_to_direction(improved, points)
    assert ordering.pen_up_travel(improved) < 0.9 * ordering.pen_up_travel(greedy)


def test_or_opt_moves_a_run_backwards_into_a_gap():
    # Strokes along a line at 0, 10, 20, 30, with the one at 10 drawn last: moving it back is optimal.
    lines = np.array([[[x, 0], [x + 1, 0]] for x in (0, 20, 30, 10)], dtype=np.float64)
    order, flipped = ordering.improve(lines[:, 0], lines[:, -1])
    ordered = ordering.reordered(lines, order, flipped)
    assert ordering.pen_up_travel(ordered) == pytest.approx(3 * 9)


@pytest.mark.parametrize("text, size", [("A4", (210, 297)), ("a3", (297, 420)), ("Letter", (215.9, 279.4)),
                                        ("300x200mm", (300, 200)), ("120.5 x 80mm", (120.5, 80))])
def test_page_sizes(text, size):
    assert svgfile.parse_page(text) == pytest.approx(size)


@pytest.mark.parametrize("text", ["A5", "300x200", "0x10mm", "big"])
def test_bad_page_sizes_are_refused(text):
    with pytest.raises(UserError, match="--page"):
        svgfile.parse_page(text)


@pytest.mark.parametrize("margin", [105, 150, -1])
def test_a_page_too_small_for_the_margin_is_refused(margin):
    with pytest.raises(UserError, match="--margin"):
        svgfile.placement(1024, (210, 297), margin)


@pytest.mark.parametrize("page, margin", [((210, 297), 15), ((420, 297), 30), ((100, 100), 0)])
def test_svg_holds_the_strokes_on_the_page_in_mm(page, margin):
    canvas = 64
    points = strokes.random_strokes(np.random.default_rng(8), 12, 3, canvas)
    on_page = svgfile.to_page(points, canvas, page, margin)
    text = svgfile.svg_document(on_page, page, pen_width=0.3, title="test & <check>")
    assert 'inkscape:groupmode="layer"' in text

    document = svgelements.SVG.parse(io.StringIO(text), reify=False)
    assert document.values["width"] == f"{page[0]:g}mm" and document.values["height"] == f"{page[1]:g}mm"
    viewbox = document.viewbox
    assert (viewbox.x, viewbox.y, viewbox.width, viewbox.height) == (0, 0, *page)
    paths = [element for element in document.elements() if isinstance(element, svgelements.Path)]
    assert len(paths) == len(points)
    for path, stroke in zip(paths, on_page):
        assert path.values["stroke-width"] == "0.3" and path.values["fill"] == "none"
        cubics = [segment for segment in path if isinstance(segment, svgelements.CubicBezier)]
        assert len(cubics) == 3
        controls = np.array([[cubics[0].start.x, cubics[0].start.y]]
                            + [[point.x, point.y] for cubic in cubics
                               for point in (cubic.control1, cubic.control2, cubic.end)])
        np.testing.assert_allclose(controls, stroke, atol=1e-3)
    # Centred inside the margins.
    side = min(page) - 2 * margin
    corner = (np.array(page) - side) / 2
    assert on_page.min(axis=(0, 1)).min() >= corner.min() - 1e-9
    assert (on_page.max(axis=(0, 1)) <= corner + side + 1e-9).all()


@pytest.mark.parametrize("count, pens", [(12, 2), (150, 3), (10, 8), (5, 5)])
def test_pens_share_the_strokes_equally_in_a_seeded_shuffle(count, pens):
    assigned = strokes.assign_pens(np.random.default_rng(3), count, pens)
    shares = np.bincount(assigned, minlength=pens)
    assert shares.max() - shares.min() <= 1 and shares.sum() == count and len(shares) == pens
    np.testing.assert_array_equal(assigned, strokes.assign_pens(np.random.default_rng(3), count, pens))
    if count >= 10:
        assert not np.array_equal(assigned, np.arange(count) % pens)


def test_pens_are_colours_separated_by_commas():
    pens = svgfile.parse_pens("black, #1a2b8c,navy,rgb(192,48,32)")
    assert [pen.name for pen in pens] == ["black", "#1a2b8c", "navy", "rgb(192,48,32)"]
    assert [pen.hex for pen in pens] == ["#000000", "#1a2b8c", "#000080", "#c03020"]


@pytest.mark.parametrize("text, message", [("black,#1a2b8x", "'#1a2b8x' is not a colour"),
                                           ("black,,red", "'' is not a colour"),
                                           (",".join(["red"] * 9), "9 pens; a drawing takes 1 to 8")])
def test_bad_pens_are_refused_naming_the_colour(text, message):
    with pytest.raises(UserError, match=f"--pens {re.escape(text)}: {message}"):
        svgfile.parse_pens(text)


def test_one_layer_per_pen_numbered_from_one_in_its_colour():
    page = (210, 297)
    points = svgfile.to_page(strokes.random_strokes(np.random.default_rng(9), 5, 2, 64), 64, page, 15)
    layers = [svgfile.Layer("1 black", "#000000", points[:2]), svgfile.Layer("2 #1a2b8c", "#1a2b8c", points[2:])]
    root = ElementTree.fromstring(svgfile.layered_document(layers, page, 0.4))
    inkscape = f"{{{svgfile.INKSCAPE_NAMESPACE}}}"
    groups = root.findall("{http://www.w3.org/2000/svg}g")
    assert [group.get(f"{inkscape}groupmode") for group in groups] == ["layer", "layer"]
    assert [group.get(f"{inkscape}label") for group in groups] == ["1 black", "2 #1a2b8c"]
    assert [group.get("stroke") for group in groups] == ["#000000", "#1a2b8c"]
    assert [len(group) for group in groups] == [2, 3]
