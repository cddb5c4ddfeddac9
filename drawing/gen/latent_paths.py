"""Paths through a generator's latent space, as plain numpy: one row of latents per frame.

Every path is a float32 array `[frames, latent_size]`; every random choice comes from the numpy
`Generator` passed in, so one seed gives one path. Closed paths (all but `random_latents`) are sampled
at `t = k / n` for `k = 0 .. n-1`: the point at `t = 1` is the first frame again and is left out, so a
video played on repeat has no repeated frame at the seam, and neither has a join between two segments.
The step from the last frame back to the first is one ordinary step of the path.

Each closed path is also a `Loop`: the same path as a continuous function of the position along it, in
frames (`loop.at(positions)`, any real position, taken modulo `frames`), so that frames can be placed
anywhere on it (drawing/gen/pace.py's even pace). Position k is exactly the k-th frame above: at whole
positions `at` computes what the sampled path computes, bit for bit.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

# The original's choice of periods: whole divisors of a minute, so any mix of them loops after 60 s.
CYCLE_CHOICES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)

# Fewer frames than this per sine period is no longer a wave (at 2 frames per period every sample of
# sin is 0, the dimension stands still); `period_latents` skips cycle counts that would go below it.
MIN_FRAMES_PER_PERIOD = 8

INTERPOLATIONS = ("linear", "spherical", "spline")


def loop_times(frames):
    """`frames` evenly spaced times in [0, 1), the end point left out so a loop never repeats a frame."""
    return np.arange(frames, dtype=np.float64) / frames


@dataclass(frozen=True)
class Loop:
    """A closed path: `at(positions)` gives float32 latents `[len(positions), latent_size]` at positions
    in frames, continuous and periodic with period `frames`; whole positions 0 .. frames-1 are the path
    sampled at the latent pace (`latents()`)."""
    frames: int
    at: Callable[[np.ndarray], np.ndarray]

    def latents(self):
        return self.at(np.arange(self.frames, dtype=np.float64))

    def at_times(self, times):
        """The latents at times in [0, 1) of the loop (time t is position t * frames)."""
        return self.at(np.asarray(times, dtype=np.float64) * self.frames)


def segment_positions(positions, frames_per_segment, segments):
    """(segment index, local time in [0, 1)) of positions along a loop of equal segments. At whole
    positions k the local time is exactly `loop_times(frames_per_segment)[k % frames_per_segment]`."""
    positions = np.asarray(positions, dtype=np.float64)
    index = np.floor(positions / frames_per_segment)
    local = (positions - index * frames_per_segment) / frames_per_segment
    return index.astype(np.int64) % segments, local


def segment_wise(curves, frames_per_segment, positions):
    """Positions along a loop of segments, each segment's rows from `curves[i](local times)`, float32."""
    index, local = segment_positions(positions, frames_per_segment, len(curves))
    latents = None
    for segment in np.unique(index):
        rows = index == segment
        values = curves[segment](local[rows])
        if latents is None:
            latents = np.empty((len(index), values.shape[1]), dtype=np.float32)
        latents[rows] = values
    return latents


def random_latents(rng, count, latent_size):
    """Independent standard-normal latents: no path at all, a synthetic dataset."""
    return rng.standard_normal((count, latent_size)).astype(np.float32)


# ---- bezier ----

def bezier_anchors(rng, segments, latent_size):
    """The random points of a bezier loop: for each segment its third, fourth and last control points."""
    return rng.standard_normal((segments, 3, latent_size))


def bezier_control_points(anchors):
    """The five control points `[segments, 5, latent_size]` of each quartic segment of a closed loop.

    Segment i starts where segment i-1 ends (segment 0 where the last one ends, closing the loop) and
    its second control point mirrors the previous segment's fourth about that shared point, so the
    tangent is continuous (C1) at every join.
    """
    previous = np.roll(anchors, 1, axis=0)
    start = previous[:, 2]
    mirrored = 2 * start - previous[:, 1]
    return np.stack([start, mirrored, anchors[:, 0], anchors[:, 1], anchors[:, 2]], axis=1)


def bezier_points(control_points, times):
    """A quartic Bezier curve `[5, latent_size]` evaluated at `times`: `[len(times), latent_size]`."""
    times = np.asarray(times, dtype=np.float64)[:, None]
    weights = np.concatenate([(1 - times) ** 4, 4 * (1 - times) ** 3 * times,
                              6 * (1 - times) ** 2 * times ** 2, 4 * (1 - times) * times ** 3,
                              times ** 4], axis=1)
    return weights @ control_points


def bezier_loop_path(control_points, frames_per_segment):
    """All segments one after the other, `frames_per_segment` positions each (it may be fractional), the
    end of each left to the next: a `Loop`."""
    curves = [lambda times, points=points: bezier_points(points, times) for points in control_points]
    return Loop(int(round(len(control_points) * frames_per_segment)),
                lambda positions: segment_wise(curves, frames_per_segment, positions))


def bezier_loop(control_points, frames_per_segment):
    """The bezier loop sampled at its frames, `frames_per_segment` per segment."""
    return bezier_loop_path(control_points, frames_per_segment).latents()


def bezier_path(rng, segments, frames_per_segment, latent_size):
    return bezier_loop_path(bezier_control_points(bezier_anchors(rng, segments, latent_size)), frames_per_segment)


def bezier_latents(rng, segments, frames_per_segment, latent_size):
    return bezier_path(rng, segments, frames_per_segment, latent_size).latents()


# ---- sine waves: bitloop, period, phase ----

def sine_waves(centres, cycles, phases, frames, amplitude=1.0):
    """Each dimension `centre + amplitude * sin(2 pi cycles t + phase)` over one loop: `[frames, dims]`.

    A dimension with 0 cycles and phase 0 holds its centre.
    """
    return sine_waves_at(centres, cycles, phases, loop_times(frames), amplitude)


def sine_waves_at(centres, cycles, phases, times, amplitude=1.0):
    """The sine waves of `sine_waves` at times in [0, 1) of the loop: `[len(times), dims]`."""
    times = np.asarray(times, dtype=np.float64)
    angles = 2 * np.pi * times[:, None] * np.asarray(cycles)[None, :] + np.asarray(phases)[None, :]
    return (np.asarray(centres)[None, :] + amplitude * np.sin(angles)).astype(np.float32)


def sine_path(centres, cycles, phases, frames):
    """The sine waves as a `Loop` of `frames` frames."""
    return Loop(frames, lambda positions: sine_waves_at(centres, cycles, phases,
                                                        np.asarray(positions, dtype=np.float64) / frames))


def parse_bitstring(bits):
    """The bits of a string such as '1100' as a bool array; a ValueError for anything else."""
    if not bits or set(bits) - {"0", "1"}:
        raise ValueError(f"bitstring {bits!r} must be made of the characters 0 and 1 only")
    if "1" not in bits:
        raise ValueError(f"bitstring {bits!r} has no 1: no dimension would move, every frame would be the same")
    return np.array([bit == "1" for bit in bits])


def bitloop_moving(bits, latent_size):
    """Which dimensions move: the bitstring repeated across the latent dimensions."""
    pattern = parse_bitstring(bits)
    return np.resize(pattern, latent_size)


def bitloop_path(rng, bits, frames, latent_size):
    """A 1 bit makes its dimension follow one sine period over the loop, a 0 holds it at its centre."""
    centres = rng.standard_normal(latent_size)
    moving = bitloop_moving(bits, latent_size)
    return sine_path(centres, moving.astype(int), np.zeros(latent_size), frames)


def bitloop_latents(rng, bits, frames, latent_size):
    return bitloop_path(rng, bits, frames, latent_size).latents()


def cycle_choices(frames):
    """The divisors of 60 usable as cycle counts in a loop of `frames` frames."""
    usable = [cycles for cycles in CYCLE_CHOICES if frames / cycles >= MIN_FRAMES_PER_PERIOD]
    if not usable:
        raise ValueError(f"a loop of {frames} frames is too short for a sine wave "
                         f"(at least {MIN_FRAMES_PER_PERIOD} frames are needed)")
    return np.array(usable)


def period_path(rng, frames, latent_size):
    """Every dimension a sine around a random centre, all in phase, each with a random divisor of 60 as
    its number of cycles over the loop: the whole path comes back to its start after exactly `frames`."""
    centres = rng.standard_normal(latent_size)
    cycles = rng.choice(cycle_choices(frames), size=latent_size)
    return sine_path(centres, cycles, np.zeros(latent_size), frames)


def period_latents(rng, frames, latent_size):
    return period_path(rng, frames, latent_size).latents()


def phase_path(rng, frames, latent_size):
    """Every dimension one sine period over the loop, each with a random phase: a steady tumble."""
    centres = rng.standard_normal(latent_size)
    phases = rng.uniform(0, 2 * np.pi, latent_size)
    return sine_path(centres, np.ones(latent_size, dtype=int), phases, frames)


def phase_latents(rng, frames, latent_size):
    return phase_path(rng, frames, latent_size).latents()


# ---- keyframes ----

def slerp(start, end, times):
    """Spherical interpolation from `start` to `end` at `times`: `[len(times), dims]`.

    Follows the great circle between the two directions while the length changes linearly, which keeps
    a Gaussian latent at the typical radius where a straight line would pass nearer the origin.
    """
    times = np.asarray(times, dtype=np.float64)[:, None]
    start_norm, end_norm = np.linalg.norm(start), np.linalg.norm(end)
    if start_norm == 0 or end_norm == 0:
        return (1 - times) * start + times * end
    start_unit, end_unit = start / start_norm, end / end_norm
    angle = np.arccos(np.clip(start_unit @ end_unit, -1.0, 1.0))
    if angle < 1e-6:
        directions = (1 - times) * start_unit + times * end_unit
    else:
        directions = (np.sin((1 - times) * angle) * start_unit + np.sin(times * angle) * end_unit) / np.sin(angle)
    return directions * ((1 - times) * start_norm + times * end_norm)


def lerp(start, end, times):
    """Straight-line interpolation from `start` to `end` at `times`: `[len(times), dims]`."""
    times = np.asarray(times, dtype=np.float64)[:, None]
    return (1 - times) * start + times * end


def keyframe_path(keyframes, frames_per_segment, interpolation="spline"):
    """A closed `Loop` through `keyframes` `[count, dims]`: keyframe i is exactly position i * frames_per_segment.

    - linear: straight lines, constant speed on each segment, a turn at each keyframe.
    - spherical: great-circle arcs (see `slerp`), a turn at each keyframe.
    - spline: a periodic cubic spline, smooth (C2) through every keyframe including the seam.
    """
    keyframes = np.asarray(keyframes, dtype=np.float64)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation {interpolation!r} is not one of {', '.join(INTERPOLATIONS)}")
    if len(keyframes) < 2:
        raise ValueError("a keyframe loop needs at least 2 keyframes")
    frames = len(keyframes) * frames_per_segment
    if interpolation in ("linear", "spherical"):
        between = lerp if interpolation == "linear" else slerp
        curves = [lambda times, start=start, end=end: between(start, end, times)
                  for start, end in zip(keyframes, np.roll(keyframes, -1, axis=0))]
        return Loop(frames, lambda positions: segment_wise(curves, frames_per_segment, positions))
    from scipy.interpolate import CubicSpline  # here: SciPy takes a second to import, path.py -h should not
    closed = np.concatenate([keyframes, keyframes[:1]])
    spline = CubicSpline(np.arange(len(closed)), closed, bc_type="periodic", axis=0)
    return Loop(frames, lambda positions: spline(np.asarray(positions, dtype=np.float64) % frames
                                                 / frames_per_segment).astype(np.float32))


def keyframe_loop(keyframes, frames_per_segment, interpolation="spline"):
    """The loop of `keyframe_path` sampled at its frames: keyframe i is exactly frame i * frames_per_segment."""
    return keyframe_path(keyframes, frames_per_segment, interpolation).latents()


def truncate(latents, truncation):
    """Scale latents toward the mean of the latent distribution (zero): less variety, fewer oddities."""
    return (np.asarray(latents, dtype=np.float32) * np.float32(truncation)).astype(np.float32)
