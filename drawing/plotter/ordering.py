"""The order a pen plotter draws the strokes in: shorter pen-up travel, same drawing.

Greedy nearest neighbour with reversal: from the pen's position, draw next whichever remaining stroke
has an end closest to it, from that end (a stroke drawn backwards is the same ink). The result is
never longer than the order given: if the greedy order happens to be, the given order is kept.
`points` is `[strokes, 3 * segments + 1, 2]`; travel is measured between a stroke's end and the next
stroke's start, from the first stroke on.
"""
import numpy as np

from drawing.plotter.strokes import reverse


def pen_up_travel(points):
    """Total length of the moves between strokes, with the pen up, in the units of `points`."""
    points = np.asarray(points, dtype=np.float64)
    return float(np.linalg.norm(points[1:, 0] - points[:-1, -1], axis=1).sum())


def nearest_neighbour_order(starts, ends, home):
    """(order, reversed) of strokes with these start and end points, greedily from `home`.

    The strokes not drawn yet are kept at the front of one array (a drawn one is swapped with the
    last of them), so each choice is one vectorised distance computation over what is left.
    """
    count = len(starts)
    ends_of = np.stack([starts, ends], axis=1)          # [strokes, (start, end), 2]
    left = np.arange(count)
    order = np.empty(count, dtype=np.int64)
    flipped = np.zeros(count, dtype=bool)
    pen = np.asarray(home, dtype=np.float64)
    for position in range(count):
        remaining = count - position
        distances = np.square(ends_of[:remaining] - pen).sum(axis=2)
        nearest, which_end = divmod(int(np.argmin(distances)), 2)
        order[position], flipped[position] = left[nearest], which_end == 1
        pen = ends_of[nearest, 1 - which_end].copy()
        last = remaining - 1
        ends_of[[nearest, last]] = ends_of[[last, nearest]]
        left[[nearest, last]] = left[[last, nearest]]
    return order, flipped


def order_strokes(points, home=(0.0, 0.0)):
    """The strokes reordered (and some reversed) to shorten the pen-up travel; never lengthened."""
    points = np.asarray(points)
    if len(points) < 2:
        return points
    order, flipped = nearest_neighbour_order(points[:, 0].astype(np.float64),
                                             points[:, -1].astype(np.float64), home)
    ordered = points[order]
    ordered[flipped] = reverse(ordered[flipped])
    return ordered if pen_up_travel(ordered) <= pen_up_travel(points) else points
