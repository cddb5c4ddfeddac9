"""Paths through a generator's latent space, as plain numpy: one row of latents per frame.

Every path is a float32 array `[frames, latent_size]`; every random choice comes from the numpy
`Generator` passed in, so one seed gives one path. Closed paths (all but `random_latents`) are sampled
at `t = k / n` for `k = 0 .. n-1`: the point at `t = 1` is the first frame again and is left out, so a
video played on repeat has no repeated frame at the seam, and neither has a join between two segments.
The step from the last frame back to the first is one ordinary step of the path.
"""
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


def bezier_loop(control_points, frames_per_segment):
    """All segments one after the other, `frames_per_segment` each, the end of each left to the next."""
    times = loop_times(frames_per_segment)
    return np.concatenate([bezier_points(points, times) for points in control_points]).astype(np.float32)


def bezier_latents(rng, segments, frames_per_segment, latent_size):
    return bezier_loop(bezier_control_points(bezier_anchors(rng, segments, latent_size)), frames_per_segment)


# ---- sine waves: bitloop, period, phase ----

def sine_waves(centres, cycles, phases, frames, amplitude=1.0):
    """Each dimension `centre + amplitude * sin(2 pi cycles t + phase)` over one loop: `[frames, dims]`.

    A dimension with 0 cycles and phase 0 holds its centre.
    """
    angles = 2 * np.pi * loop_times(frames)[:, None] * np.asarray(cycles)[None, :] + np.asarray(phases)[None, :]
    return (np.asarray(centres)[None, :] + amplitude * np.sin(angles)).astype(np.float32)


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


def bitloop_latents(rng, bits, frames, latent_size):
    """A 1 bit makes its dimension follow one sine period over the loop, a 0 holds it at its centre."""
    centres = rng.standard_normal(latent_size)
    moving = bitloop_moving(bits, latent_size)
    return sine_waves(centres, moving.astype(int), np.zeros(latent_size), frames)


def cycle_choices(frames):
    """The divisors of 60 usable as cycle counts in a loop of `frames` frames."""
    usable = [cycles for cycles in CYCLE_CHOICES if frames / cycles >= MIN_FRAMES_PER_PERIOD]
    if not usable:
        raise ValueError(f"a loop of {frames} frames is too short for a sine wave "
                         f"(at least {MIN_FRAMES_PER_PERIOD} frames are needed)")
    return np.array(usable)


def period_latents(rng, frames, latent_size):
    """Every dimension a sine around a random centre, all in phase, each with a random divisor of 60 as
    its number of cycles over the loop: the whole path comes back to its start after exactly `frames`."""
    centres = rng.standard_normal(latent_size)
    cycles = rng.choice(cycle_choices(frames), size=latent_size)
    return sine_waves(centres, cycles, np.zeros(latent_size), frames)


def phase_latents(rng, frames, latent_size):
    """Every dimension one sine period over the loop, each with a random phase: a steady tumble."""
    centres = rng.standard_normal(latent_size)
    phases = rng.uniform(0, 2 * np.pi, latent_size)
    return sine_waves(centres, np.ones(latent_size, dtype=int), phases, frames)


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


def keyframe_loop(keyframes, frames_per_segment, interpolation="spline"):
    """A closed loop through `keyframes` `[count, dims]`: keyframe i is exactly frame i * frames_per_segment.

    - linear: straight lines, constant speed on each segment, a turn at each keyframe.
    - spherical: great-circle arcs (see `slerp`), a turn at each keyframe.
    - spline: a periodic cubic spline, smooth (C2) through every keyframe including the seam.
    """
    keyframes = np.asarray(keyframes, dtype=np.float64)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation {interpolation!r} is not one of {', '.join(INTERPOLATIONS)}")
    if len(keyframes) < 2:
        raise ValueError("a keyframe loop needs at least 2 keyframes")
    times = loop_times(frames_per_segment)
    following = np.roll(keyframes, -1, axis=0)
    if interpolation == "linear":
        segments = [(1 - times[:, None]) * start + times[:, None] * end for start, end in zip(keyframes, following)]
        return np.concatenate(segments).astype(np.float32)
    if interpolation == "spherical":
        return np.concatenate([slerp(start, end, times) for start, end in zip(keyframes, following)]).astype(np.float32)
    from scipy.interpolate import CubicSpline  # here: SciPy takes a second to import, path.py -h should not
    closed = np.concatenate([keyframes, keyframes[:1]])
    spline = CubicSpline(np.arange(len(closed)), closed, bc_type="periodic", axis=0)
    return spline(np.arange(len(keyframes) * frames_per_segment) / frames_per_segment).astype(np.float32)


def truncate(latents, truncation):
    """Scale latents toward the mean of the latent distribution (zero): less variety, fewer oddities."""
    return (np.asarray(latents, dtype=np.float32) * np.float32(truncation)).astype(np.float32)
