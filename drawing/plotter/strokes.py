"""Strokes as arrays: random initial strokes, the 4 x 4 replication, points along the curves, lengths.

Plain numpy (no TensorFlow), so the SVG writer and the ordering use it without loading a network.
`points` is `[strokes, 3 * segments + 1, 2]` in canvas pixels (see the package docstring).
"""
import numpy as np

# How far, as a fraction of the canvas side, each control point of a new stroke wanders from the
# previous one: short scribbles that the optimisation then stretches, bends and moves.
INITIAL_STEP = 0.03


def segment_count(points):
    """How many cubic segments each stroke of `points` has."""
    return (points.shape[1] - 1) // 3


def random_strokes(rng, count, segments, canvas, step=INITIAL_STEP):
    """`count` strokes of `segments` cubic segments, each a short random walk inside a square canvas."""
    start = rng.uniform(0, canvas, size=(count, 1, 2))
    walk = rng.normal(0, step * canvas, size=(count, 3 * segments, 2))
    points = np.concatenate([start, start + np.cumsum(walk, axis=1)], axis=1)
    return np.clip(points, 0, canvas).astype(np.float32)


def replicate(points, copies, canvas):
    """The drawing of a `canvas` px square repeated `copies` x `copies` times on a canvas that much larger.

    Row-major order of the copies, each copy in the strokes' own order: `copies ** 2` times the strokes.
    """
    rows, columns = np.meshgrid(np.arange(copies), np.arange(copies), indexing="ij")
    offsets = np.stack([columns.ravel(), rows.ravel()], axis=1) * canvas
    copied = points[None, :, :, :] + offsets[:, None, None, :].astype(points.dtype)
    return copied.reshape(-1, *points.shape[1:])


def assign_pens(rng, count, pens):
    """The pen (0 to `pens` - 1) of each of `count` strokes: stroke i's `i mod pens`, shuffled by `rng`, so
    the pens draw equally many strokes (give or take one)."""
    return rng.permutation(np.arange(count) % pens)


def bezier_basis(samples):
    """Cubic Bernstein weights `[samples + 1, 4]` at evenly spaced parameters from 0 to 1."""
    t = np.linspace(0.0, 1.0, samples + 1)[:, None]
    return np.concatenate([(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3], axis=1)


def segment_control_indices(segments):
    """`[segments, 4]` indices into a stroke's control points: the four points of each cubic segment."""
    return 3 * np.arange(segments)[:, None] + np.arange(4)[None, :]


def curve_points(points, samples):
    """Points along every stroke, `samples` straight pieces per segment: `[strokes, segments * samples + 1, 2]`."""
    segments = segment_count(points)
    controls = points[:, segment_control_indices(segments)]                  # [S, n, 4, 2]
    curve = np.einsum("kc,sncd->snkd", bezier_basis(samples)[:-1], controls)  # [S, n, samples, 2]
    curve = curve.reshape(points.shape[0], segments * samples, 2)
    return np.concatenate([curve, points[:, -1:]], axis=1)


def stroke_lengths(points, samples=64):
    """The length of each stroke's curve (fine polyline approximation), in the units of `points`."""
    line = curve_points(np.asarray(points, dtype=np.float64), samples)
    return np.linalg.norm(np.diff(line, axis=1), axis=2).sum(axis=1)


def reverse(points):
    """The same strokes drawn from their other end (a cubic path reversed is its control points reversed)."""
    return points[:, ::-1]
