"""The order a pen plotter draws the strokes in: shorter pen-up travel, same drawing.

1. Greedy nearest neighbour with reversal: from the pen's position, draw next whichever remaining
   stroke has an end closest to it, from that end (a stroke drawn backwards is the same ink).
2. 2-opt with reversal: reverse a run of consecutive strokes (the run drawn backwards, each of its
   strokes from its other end) wherever that shortens the travel. Reversing a run changes only the two
   moves at its ends, so each candidate costs O(1) and all runs that start at one position are weighed
   at once (vectorised).
3. Or-opt: when 2-opt finds nothing, move a run of up to `MOVED_RUN` strokes to its best place, either
   way round; then 2-opt again, until neither finds anything or the time is up.
The result is never longer than the order given: if the greedy order happens to be, the given order is
kept, and 2-opt only ever shortens. `points` is `[strokes, 3 * segments + 1, 2]`; travel is measured
between a stroke's end and the next stroke's start, from the first stroke on.
"""
import time

import numpy as np

from drawing.plotter.strokes import reverse

# 2-opt stops after this long: a full pass over n strokes weighs n^2 / 2 runs (2,400 strokes: a
# fraction of a second a pass on a laptop, converged after a few dozen passes).
TWO_OPT_SECONDS = 20.0
# Gains below this fraction of a move's length are rounding noise, not progress.
RELATIVE_TOLERANCE = 1e-9
# Or-opt moves runs of up to this many strokes.
MOVED_RUN = 3


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


class Tour:
    """A drawing order being improved: where the pen goes down (`entries`) and up (`exits`) at each
    position, which of the given strokes is drawn there (`order`) and whether backwards (`flipped`)."""

    def __init__(self, entries, exits):
        self.entries = np.array(entries, dtype=np.float64)
        self.exits = np.array(exits, dtype=np.float64)
        self.order = np.arange(len(self.entries))
        self.flipped = np.zeros(len(self.entries), dtype=bool)
        # Per stroke, whether its neighbourhood changed since 2-opt (row 0) or or-opt (row 1) last found
        # nothing to do from it ("don't look" bits): later passes only look where something changed.
        self.changed = np.ones((2, len(self.entries)), dtype=bool)
        self._moves = None

    @property
    def moves(self):
        """The length of every pen-up move, `[count - 1]`, kept until the order changes."""
        if self._moves is None:
            self._moves = distance(self.exits[:-1], self.entries[1:])
        return self._moves

    def mark_changed(self, *positions):
        """Mark the strokes at these positions (those out of range ignored) for both moves to look at."""
        self._moves = None
        count = len(self.order)
        for position in positions:
            if 0 <= position < count:
                self.changed[:, self.order[position]] = True

    def best_reversal_from(self, first):
        """(last, gain) of the run `first..last` whose reversal shortens the travel most (gain > 0), or gain 0.

        Reversed, the run is entered at `exits[last]` and left at `entries[first]`; the moves inside it
        keep their lengths.
        """
        entries, exits = self.entries, self.exits
        gain = np.zeros(len(entries) - first)
        if first > 0:
            before = exits[first - 1]
            gain += distance(entries[first], before) - distance(exits[first:], before)
        # The move after the run exists for every last but the final position.
        after = entries[first + 1:]
        gain[:-1] += self.moves[first:] - distance(entries[first], after)
        best = int(np.argmax(gain))
        return first + best, float(gain[best])

    def reverse(self, first, last):
        run = slice(first, last + 1)
        self.entries[run], self.exits[run] = self.exits[run][::-1].copy(), self.entries[run][::-1].copy()
        self.order[run] = self.order[run][::-1].copy()
        self.flipped[run] = ~self.flipped[run][::-1]
        self.mark_changed(first - 1, first, last, last + 1)

    def best_move_of(self, first, last):
        """(gap, backwards, gain) for moving the run `first..last` elsewhere, either way round.

        `gap` k puts the run between positions k and k + 1 of the present order (-1: before the first,
        count - 1: after the last); gaps touching the run are left to 2-opt. The gain is the travel
        saved by taking the run out minus that added by putting it in.
        """
        entries, exits = self.entries, self.exits
        count = len(entries)
        run_entry, run_exit = entries[first], exits[last]
        removed = 0.0
        if first > 0:
            removed += distance(exits[first - 1], run_entry)
        if last < count - 1:
            removed += distance(run_exit, entries[last + 1])
        if first > 0 and last < count - 1:
            removed -= distance(exits[first - 1], entries[last + 1])
        moves = self.moves
        costs = np.empty((2, count + 1))
        for backwards, (into, out_of) in enumerate(((run_entry, run_exit), (run_exit, run_entry))):
            costs[backwards, 1:-1] = distance(exits[:-1], into) + distance(out_of, entries[1:]) - moves
            costs[backwards, 0] = distance(out_of, entries[0])
            costs[backwards, -1] = distance(exits[-1], into)
        costs[:, first:last + 2] = np.inf     # gaps first - 1 .. last, shifted by one
        backwards, gap = np.unravel_index(int(np.argmin(costs)), costs.shape)
        return int(gap) - 1, bool(backwards), float(removed - costs[backwards, gap])

    def move(self, first, last, gap, backwards):
        """Put the run `first..last` after position `gap` (-1: first), backwards if asked."""
        if backwards:
            self.reverse(first, last)
        self.mark_changed(first - 1, last + 1)
        positions = np.arange(len(self.order))
        run = positions[first:last + 1]
        rest = np.concatenate([positions[:first], positions[last + 1:]])
        place = gap + 1 if gap < first else gap + 1 - len(run)
        new = np.concatenate([rest[:place], run, rest[place:]])
        for name in ("entries", "exits", "order", "flipped"):
            setattr(self, name, getattr(self, name)[new])
        self.mark_changed(*range(place - 1, place + len(run) + 1))


def distance(a, b):
    """Euclidean distance between points `[..., 2]`, broadcast."""
    difference = np.asarray(a) - np.asarray(b)
    return np.hypot(difference[..., 0], difference[..., 1])


def two_opt_pass(tour, tolerance, deadline):
    """Reverse the best run from each changed position in turn; whether any reversal shortened the travel."""
    improved = False
    for first in range(len(tour.order)):
        if time.perf_counter() >= deadline:
            break
        if not tour.changed[0, tour.order[first]]:
            continue
        last, gain = tour.best_reversal_from(first)
        if gain > tolerance:
            tour.reverse(first, last)
            improved = True
        else:
            tour.changed[0, tour.order[first]] = False
    return improved


def or_opt_pass(tour, tolerance, deadline):
    """Move the runs of 1 to `MOVED_RUN` strokes from each changed position to their best place; whether
    any move shortened the travel."""
    improved = False
    count = len(tour.order)
    for first in range(count):
        if time.perf_counter() >= deadline:
            break
        if not tour.changed[1, tour.order[first]]:
            continue
        # A run is at most MOVED_RUN strokes long, and never all of them.
        for last in range(first, min(first + MOVED_RUN, count, first + count - 1)):
            gap, backwards, gain = tour.best_move_of(first, last)
            if gain > tolerance:
                tour.move(first, last, gap, backwards)
                improved = True
                break
        else:
            tour.changed[1, tour.order[first]] = False
    return improved


def improve(entries, exits, seconds=TWO_OPT_SECONDS):
    """(order, reversed) improving the drawing order whose strokes start at `entries` and end at `exits`.

    2-opt passes (cheap) until they find nothing, then an or-opt pass (each run of up to `MOVED_RUN`
    strokes moved to its best place, either way round), and again, until a round that looks from every
    position finds nothing or `seconds` have gone by. Between such rounds, passes look only from where
    the order changed. Returns positions into the given order and which of them now run backwards.
    """
    tour = Tour(entries, exits)
    scale = max(float(np.ptp(np.concatenate([tour.entries, tour.exits]), axis=0).max()), 1.0)
    tolerance = RELATIVE_TOLERANCE * scale
    deadline = time.perf_counter() + seconds
    looked_everywhere = False
    while time.perf_counter() < deadline:
        if two_opt_pass(tour, tolerance, deadline) or or_opt_pass(tour, tolerance, deadline):
            looked_everywhere = False
            continue
        if looked_everywhere:
            break
        # Nothing left where something changed: one more round from every position before stopping.
        tour.changed[:] = True
        looked_everywhere = True
    return tour.order, tour.flipped


def reordered(points, order, flipped):
    """The strokes `points[order]`, those marked `flipped` drawn from their other end."""
    result = points[order]
    result[flipped] = reverse(result[flipped])
    return result


def order_strokes(points, home=(0.0, 0.0), seconds=TWO_OPT_SECONDS):
    """The strokes reordered (and some reversed) to shorten the pen-up travel; never lengthened."""
    points = np.asarray(points)
    if len(points) < 2:
        return points
    greedy = reordered(points, *nearest_neighbour_order(points[:, 0].astype(np.float64),
                                                        points[:, -1].astype(np.float64), home))
    start = greedy if pen_up_travel(greedy) <= pen_up_travel(points) else points
    return reordered(start, *improve(start[:, 0], start[:, -1], seconds))
