"""The differentiable stroke renderer (TensorFlow): strokes in, ink coverage on paper out.

Each cubic segment is sampled into `samples` short straight pieces. A pixel's coverage by a stroke
comes from its distance to the stroke's nearest piece, with a smooth edge `EDGE` pixels wide across
the stroke's outline (prefiltered antialiasing), and strokes lay ink on white paper as
`ink = 1 - prod(1 - coverage)`. Gradients reach every control point, the widths and the ink levels.

Bounded work: the window is cut into `tile` x `tile` pixel tiles and a piece is evaluated only on the
tiles its bounding box (grown by half the width and the edge) touches. The work is therefore the
number of (tile, piece) pairs times the pixels of a tile: it grows with the strokes' length, not with
strokes x pixels. Within a tile, a stroke's coverage is the maximum over its pieces (its nearest
piece), so the joints of a stroke are not inked twice.
"""
from dataclasses import dataclass

import numpy as np

from drawing.backend import tf
from drawing.images import to_uint8
from drawing.plotter.strokes import bezier_basis, segment_control_indices

TILE = 4
SAMPLES_PER_SEGMENT = 8
# The antialiased edge: coverage falls from 1 to 0 over this many pixels across a stroke's outline.
EDGE = 1.0
# Keeps the distance's square root and the pieces' lengths differentiable where they are zero.
TINY = 1e-9
# Rows rendered at once by `render_image`, which bounds the memory of a large picture.
BAND = 256
# The most one stroke inks a pixel: a trace of paper is left so that log(1 - ink) stays finite.
MOST_INK = 1 - 1e-6


def curve_polylines(points, samples=SAMPLES_PER_SEGMENT):
    """Points along every stroke, differentiable: `[S, 3n+1, 2]` -> `[S, n * samples + 1, 2]`."""
    segments = (points.shape[1] - 1) // 3
    controls = tf.gather(points, segment_control_indices(segments), axis=1)            # [S, n, 4, 2]
    basis = tf.constant(bezier_basis(samples)[:-1], dtype=points.dtype)                 # [samples, 4]
    curve = tf.einsum("kc,sncd->snkd", basis, controls)
    curve = tf.reshape(curve, [tf.shape(points)[0], segments * samples, 2])
    return tf.concat([curve, points[:, -1:]], axis=1)


def tile_piece_pairs(start, end, reach, tiles_x, tiles_y, tile):
    """Every (piece, tile) pair where a piece comes close enough to the tile to ink some of it.

    `start`, `end` `[pieces, 2]` are the pieces' end points in window pixels and `reach` `[pieces]` how
    far from a piece its ink can go. Returns the piece index and the tile's column and row of each pair.
    """
    low = tf.minimum(start, end) - reach[:, None]
    high = tf.maximum(start, end) + reach[:, None]
    last = tf.constant([tiles_x - 1, tiles_y - 1], dtype=tf.int32)
    first_tile = tf.cast(tf.floor(low / tile), tf.int32)
    last_tile = tf.cast(tf.floor(high / tile), tf.int32)
    in_window = tf.reduce_all((last_tile >= 0) & (first_tile <= last), axis=1)
    first_tile = tf.clip_by_value(first_tile, 0, last)
    last_tile = tf.clip_by_value(last_tile, 0, last)
    span = last_tile - first_tile + 1
    counts = span[:, 0] * span[:, 1] * tf.cast(in_window, tf.int32)
    piece = tf.repeat(tf.range(tf.shape(counts)[0]), counts)
    offset = tf.range(tf.reduce_sum(counts)) - tf.gather(tf.cumsum(counts, exclusive=True), piece)
    span_x = tf.gather(span[:, 0], piece)
    column = tf.gather(first_tile[:, 0], piece) + offset % span_x
    row = tf.gather(first_tile[:, 1], piece) + offset // span_x
    return piece, column, row


def render(points, widths, origin, width, height, ink=None, tile=TILE, samples=SAMPLES_PER_SEGMENT):
    """Ink coverage `[height, width]` in [0, 1] of the window at `origin` (x, y) of the canvas.

    `points` `[S, 3n+1, 2]` and `widths` `[S]` are in canvas pixels, `ink` `[S]` is each stroke's
    darkness (1 = black, the default). `width` and `height` are Python ints; `origin` may be a tensor.
    """
    return 1 - tf.exp(log_paper(points, widths, origin, width, height, ink, tile, samples))


def render_periodic(points, widths, side, ink=None, tile=TILE, samples=SAMPLES_PER_SEGMENT):
    """Ink coverage `[side, side]` of a canvas that is one tile of a periodic pattern.

    Strokes that leave the canvas come back on the other side. They are rendered once on the canvas
    with a border of one side all round, and the border is folded back onto the canvas: the paper
    left by overlapping layers multiplies, so their logarithms add. Strokes must start on the canvas
    and reach less than a side beyond it.
    """
    border = log_paper(points, widths, (-float(side), -float(side)), 3 * side, 3 * side, ink, tile, samples)
    folded = tf.reduce_sum(tf.reshape(border, [3, side, 3, side]), axis=[0, 2])
    return 1 - tf.exp(folded)


def log_paper(points, widths, origin, width, height, ink=None, tile=TILE, samples=SAMPLES_PER_SEGMENT):
    """log(1 - ink coverage) of a window (see `render`): the strokes' layers of ink add up here."""
    dtype = points.dtype
    stroke_count = tf.shape(points)[0]
    widths = tf.cast(widths, dtype)
    ink = tf.ones_like(widths) if ink is None else tf.cast(ink, dtype)
    line = curve_polylines(points, samples) - tf.reshape(tf.cast(origin, dtype), [1, 1, 2])
    pieces_per_stroke = tf.shape(line)[1] - 1
    start = tf.reshape(line[:, :-1], [-1, 2])
    end = tf.reshape(line[:, 1:], [-1, 2])
    stroke_of_piece = tf.repeat(tf.range(stroke_count), pieces_per_stroke)

    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    reach = tf.stop_gradient(tf.gather(widths / 2 + EDGE, stroke_of_piece))
    piece, column, row = tile_piece_pairs(tf.stop_gradient(start), tf.stop_gradient(end), reach,
                                          tiles_x, tiles_y, tile)
    stroke = tf.gather(stroke_of_piece, piece)
    tile_index = row * tiles_x + column
    # (tile, stroke) keys; 64 bits because tiles x strokes outgrows 32 on large canvases.
    stroke_count_64 = tf.cast(stroke_count, tf.int64)
    group_key, group = tf.unique(tf.cast(tile_index, tf.int64) * stroke_count_64 + tf.cast(stroke, tf.int64))

    # Distance from each pixel centre of the pair's tile to the pair's piece: [pairs, tile * tile].
    centres = (np.stack(np.meshgrid(np.arange(tile), np.arange(tile), indexing="xy"), axis=-1)
               .reshape(-1, 2) + 0.5)
    tile_corner = tf.cast(tf.stack([column, row], axis=1) * tile, dtype)
    piece_start = tf.gather(start, piece)
    along = tf.gather(end, piece) - piece_start
    to_corner = tile_corner - piece_start
    relative_x = to_corner[:, 0:1] + tf.constant(centres[None, :, 0], dtype)
    relative_y = to_corner[:, 1:2] + tf.constant(centres[None, :, 1], dtype)
    length_squared = tf.reduce_sum(along * along, axis=1, keepdims=True) + TINY
    position = tf.clip_by_value(
        (relative_x * along[:, 0:1] + relative_y * along[:, 1:2]) / length_squared, 0.0, 1.0)
    distance = tf.sqrt(tf.square(relative_x - position * along[:, 0:1])
                       + tf.square(relative_y - position * along[:, 1:2]) + TINY)

    half_width = tf.gather(widths, stroke)[:, None] / 2
    inside = tf.clip_by_value((half_width + EDGE / 2 - distance) / EDGE, 0.0, 1.0)
    coverage = inside * inside * (3 - 2 * inside)

    # A stroke's coverage of a pixel is that of its nearest piece: the maximum per (tile, stroke).
    group_coverage = tf.math.unsorted_segment_max(coverage, group, tf.shape(group_key)[0])
    group_stroke = group_key % stroke_count_64
    # Strokes thinner than the edge cannot cover a pixel fully: they ink it in proportion to width.
    darkness = tf.gather(ink * tf.minimum(widths / EDGE, 1.0), group_stroke)[:, None] * group_coverage
    paper_left = tf.math.unsorted_segment_sum(tf.math.log1p(-darkness * MOST_INK),
                                              group_key // stroke_count_64, tiles_x * tiles_y)
    image = tf.transpose(tf.reshape(paper_left, [tiles_y, tiles_x, tile, tile]), [0, 2, 1, 3])
    return tf.reshape(image, [tiles_y * tile, tiles_x * tile])[:height, :width]


def render_image(points, widths, size, ink=None, band=BAND):
    """The whole square canvas as a float32 numpy array of ink coverage, a band of rows at a time."""
    points = tf.constant(points, dtype=tf.float32)
    widths = tf.constant(np.broadcast_to(widths, points.shape[:1]), dtype=tf.float32)
    rows = [render(points, widths, (0.0, float(top)), size, min(band, size - top), ink).numpy()
            for top in range(0, size, band)]
    return np.concatenate(rows, axis=0)


def paper_image(coverage):
    """Ink coverage as a uint8 grey picture: black ink on white paper."""
    return to_uint8(1 - np.asarray(coverage))


def coloured_paper(coverages, colours):
    """White paper `[..., 3]` in [0, 1] under the inks of several pens, one coverage `[...]` per pen.

    Inks absorb: where pen p covers a fraction c of a pixel, it lets through `1 - c * (1 - colour_p)`
    of each channel of the light, and the pens' transmissions multiply, so overlapping strokes darken
    and black ink alone gives `1 - c` in every channel, the grey picture. `colours` `[pens, 3]` is RGB
    in [0, 1]. Works on numpy arrays and on (differentiable) tensors alike.
    """
    paper = 1.0
    for coverage, colour in zip(coverages, np.asarray(colours, dtype=np.float32)):
        paper = paper * (1.0 - coverage[..., None] * (1.0 - colour))
    return paper


@dataclass(frozen=True)
class Pens:
    """Coloured pens: the pen of every stroke (`pen_of_stroke` `[S]`, numbers 0 to pens - 1) and the
    pens' colours (`colours` `[pens, 3]`, RGB in [0, 1]). Every pen draws at least one stroke."""
    pen_of_stroke: np.ndarray
    colours: np.ndarray

    def strokes_of_each_pen(self):
        """The indices of each pen's strokes, pen by pen."""
        return [np.flatnonzero(self.pen_of_stroke == pen) for pen in range(len(self.colours))]


def coloured_image(points, widths, size, pens):
    """The whole square canvas drawn with coloured `Pens`: a uint8 RGB picture on white paper."""
    points = np.asarray(points)
    widths = np.broadcast_to(widths, points.shape[:1])
    coverages = [render_image(points[strokes], widths[strokes], size) for strokes in pens.strokes_of_each_pen()]
    return to_uint8(coloured_paper(coverages, pens.colours))
