"""The pace of an animation: where on a closed path (a `latent_paths.Loop`) its frames are placed.

- `latent`: frame k at time k / n of the path, the original's timing. Equal steps of the path's own
  parameter are not equal steps of the picture: where the generator changes fast the animation jumps,
  where it changes slowly it stands nearly still.
- `even` (path.py's default for every closed path): the same path and the same number of frames, placed
  so that every step, the one from the last frame back to the first included, shows the same change of
  the picture (drawing/change.py's measure, the one the motion report gives). Frame 0 stays at time 0,
  so a keyframes loop still starts on its first keyframe.

How the even times are found (`even_times`), every pass streamed through the generator in batches
(only the previous blurred frame is held, so memory does not grow with the loop or the density):
1. a uniform pass of `DENSITY` samples per frame, measuring the change of each step;
2. refinement: every interval changing more than `REFINE_SHARE` of the target step (the total over
   the frame count) is bisected, in batches, up to `REFINE_ROUNDS` times: a sudden change of the
   picture is found within a small stretch of the path, so that the frames placed there show it as a
   movement instead of a jump;
3. placement (`place_evenly`): frame k where the accumulated change reaches k / n of the total,
   linearly within an interval.
A pass measuring the placed frames and placing them again with those steps was tried and left out: on
demo/model it cost one more render of the loop and did not lower the spread (docs/pace.md).

Every pass batches identically for the same path and frame count, and TensorFlow's CPU inference gives
the same images for the same batch, so one seed gives one pace, and one animation.
"""
import sys

import numpy as np
from tqdm import tqdm

from drawing.change import ChangeMeter
from drawing.gen import latent_paths

PACES = ("even", "latent")
DEFAULT_PACE = "even"

DENSITY = 2            # samples per frame in the uniform pass
REFINE_SHARE = 1.0     # of the target step: an interval changing more is bisected
REFINE_ROUNDS = 6      # bisections at most: down to 1 / (DENSITY * 64) of a frame's share of the loop


def step_changes(path, generate, times, batch_size, closed=True, progress=None):
    """The change between the frames at consecutive `times` (and from the last back to the first when
    `closed`): `path(times)` latents, `generate(latents)` images [N, H, W, 3] in [0, 1]."""
    meter = ChangeMeter()
    for start in range(0, len(times), batch_size):
        batch = times[start:start + batch_size]
        meter.add(np.asarray(generate(path(batch))))
        if progress is not None:
            progress.update(len(batch))
    return meter.changes(closed)


def place_evenly(knots, changes, frames):
    """`frames` times in [0, 1) at equal steps of accumulated change, the first at 0.

    `knots`: increasing times in [0, 1), the first 0; `changes[i]`: the change from knot i to knot i + 1
    (the last one to time 1, which is time 0 again). Within an interval the change is taken as uniform.
    """
    accumulated = np.concatenate([[0.0], np.cumsum(changes, dtype=np.float64)])
    if accumulated[-1] <= 0:     # a path along which nothing changes: any pace is even
        return latent_paths.loop_times(frames)
    targets = np.arange(frames, dtype=np.float64) * (accumulated[-1] / frames)
    return np.interp(targets, accumulated, np.append(knots, 1.0))


def refine(path, generate, knots, changes, frames, batch_size, progress=None):
    """(knots, changes) with every interval changing more than REFINE_SHARE of the target step bisected,
    round after round, until none does or REFINE_ROUNDS have run."""
    for _ in range(REFINE_ROUNDS):
        flagged = np.flatnonzero(changes > REFINE_SHARE * changes.sum() / frames)
        if len(flagged) == 0:
            break
        ends = np.append(knots[1:], 1.0)
        starts, stops = knots[flagged], ends[flagged]
        middles = (starts + stops) / 2
        points = np.unique(np.concatenate([starts, middles, stops]))
        if progress is not None:
            progress.total += len(points)
            progress.refresh()
        steps = step_changes(lambda times: path(times % 1.0), generate, points, batch_size, closed=False,
                             progress=progress)
        first_halves = steps[np.searchsorted(points, starts)]
        second_halves = steps[np.searchsorted(points, middles)]
        changes = changes.copy()
        changes[flagged] = first_halves
        knots = np.insert(knots, flagged + 1, middles)
        changes = np.insert(changes, flagged + 1, second_halves)
    return knots, changes


def even_times(path, generate, frames, batch_size=16, description="pace", show_progress=True):
    """`frames` times in [0, 1) on the closed path at which every step shows the same change.

    `path(times)`: float32 latents [len(times), latent_size] at times in [0, 1) (continuous, time 1
    being time 0 again), exactly as the generator is to be given them (truncated); `generate(latents)`:
    images [N, H, W, 3] in [0, 1] (a `drawing.gan.Generator`, or its int8 form); `batch_size`: latents
    per generator call. The first time is 0. Progress goes to stderr as a bar named `description` (with
    `show_progress`; a server pacing in the background goes without).
    """
    samples = DENSITY * frames
    with tqdm(total=samples, desc=description, unit="frame", dynamic_ncols=True,
              disable=None if show_progress else True, file=sys.stderr) as progress:
        knots = latent_paths.loop_times(samples)
        changes = step_changes(path, generate, knots, batch_size, progress=progress)
        knots, changes = refine(path, generate, knots, changes, frames, batch_size, progress)
    return place_evenly(knots, changes, frames)


def paced_latents(loop, generate, pace=DEFAULT_PACE, truncation=1.0, batch_size=16, description="pace",
                  show_progress=True):
    """(latents float32 [frames, latent_size], times float64 [frames] in [0, 1)): the frames of `loop`
    (a `latent_paths.Loop`) at `pace`, truncated as the generator is given them. At the latent pace the
    times are k / frames and the latents exactly those of `loop.latents()`."""
    if pace not in PACES:
        raise ValueError(f"pace {pace!r} is not one of {', '.join(PACES)}")
    if pace == "latent":
        return latent_paths.truncate(loop.latents(), truncation), latent_paths.loop_times(loop.frames)

    def path(times):
        return latent_paths.truncate(loop.at_times(times), truncation)

    times = even_times(path, generate, loop.frames, batch_size, description, show_progress)
    return path(times), times


def landing_frames(times, marks):
    """For each mark (a time in [0, 1) on the loop, e.g. a keyframe's), the frame nearest to it when the
    frames are at `times`."""
    ends = np.append(times, 1.0)
    nearest = np.rint(np.interp(marks, ends, np.arange(len(ends), dtype=np.float64)))
    return [int(frame) % len(times) for frame in nearest]
