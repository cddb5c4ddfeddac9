"""The path styles of gen/path.py: the options each reads (with their defaults), its folder name, its path.

A style option that the chosen style does not read is ignored with a note (`unused_note`), so the
original README's command line, which gives every flag, runs and gives the original's result. Every
option defaults to None on the command line, meaning "the style's own default" from `STYLES`, the one
table of them. Every style but random is a closed path (a `latent_paths.Loop`), whose frames are placed
on it at a pace (`--pace`, drawing/gen/pace.py); random has no path, so it does not read `--pace`.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from drawing.errors import UserError
from drawing.gen import latent_paths
from drawing.gen.keyframes import parse_pick

MIN_LOOP_FRAMES = 2          # a "loop" of one frame is a still
BITLOOP_FRAMES = 512         # the original's bitloop length, whatever --frames said


@dataclass(frozen=True)
class PathRequest:
    """What a style needs to make its path: its options, the model's latent size, the fps, keyframes."""
    options: dict
    latent_size: int
    fps: float
    keyframes: np.ndarray = None


def frames_of_seconds(seconds, fps):
    return int(round(seconds * fps))


def check_bitloop(options, fps):
    try:
        latent_paths.parse_bitstring(options["bitloop"])
    except ValueError as error:
        raise UserError(f"--bitloop: {error}") from None


def check_wave_length(options, fps):
    if frames_of_seconds(options["seconds"], fps) < latent_paths.MIN_FRAMES_PER_PERIOD:
        raise UserError(f"--seconds {options['seconds']:g} at --fps {fps:g} is under "
                        f"{latent_paths.MIN_FRAMES_PER_PERIOD} frames, too short for a loop")


def check_keyframes(options, fps):
    if options["keyframes"] is None:
        raise UserError("keyframes: give --keyframes <run folder or .npy> (and --pick 3,17,42)")
    if options["pick"]:
        parse_pick(options["pick"])


@dataclass(frozen=True)
class Style:
    """One path style: the options it reads (with defaults), its folder name, its checks, and its closed
    path (`path`), or for a style without one (random) its latents (`sample`)."""
    name: str
    options: dict
    folder: Callable[[PathRequest], str]
    path: Callable[[PathRequest, np.random.Generator], latent_paths.Loop] = None
    sample: Callable[[PathRequest, np.random.Generator], np.ndarray] = None
    check: Callable[[dict, float], None] = lambda options, fps: None
    seeded: bool = True      # keyframes makes no random choice: every cell of a grid would be the same
    instead: dict = field(default_factory=dict)   # an ignored option -> what to give instead

    @property
    def closed(self):
        return self.path is not None

    def reads(self):
        """The options of path.py this style reads: its own, and --pace where it has a path."""
        return set(self.options) | ({"pace"} if self.closed else set())

    def latents(self, request, rng):
        """The style's latents, a closed path sampled at its frames (the latent pace)."""
        return self.path(request, rng).latents() if self.closed else self.sample(request, rng)


STYLES = {style.name: style for style in (
    Style("random", {"count": 1},
          folder=lambda request: f"random_c{request.options['count']}",
          sample=lambda request, rng: latent_paths.random_latents(rng, request.options["count"],
                                                                  request.latent_size),
          instead={"pace": "its images are independent draws, there is no path to pace"}),
    Style("bezier", {"segments": 32, "frames": 256},
          folder=lambda request: f"bezier_s{request.options['segments']}_f{request.options['frames']}",
          path=lambda request, rng: latent_paths.bezier_path(
              rng, request.options["segments"], request.options["frames"], request.latent_size)),
    # The original's bitloop always made 512 frames and ignored --frames (which the original README's command
    # line sets for bezier), so bitloop's own length is a flag of its own.
    Style("bitloop", {"bitloop": "1100", "loop_frames": BITLOOP_FRAMES},
          folder=lambda request: f"bitloop_b{request.options['bitloop']}",
          path=lambda request, rng: latent_paths.bitloop_path(
              rng, request.options["bitloop"], request.options["loop_frames"], request.latent_size),
          check=check_bitloop,
          instead={"frames": f"its loop is --loop_frames long, default {BITLOOP_FRAMES} as the original's"}),
    Style("period", {"seconds": 60},
          folder=lambda request: f"period_s{request.options['seconds']:g}",
          path=lambda request, rng: latent_paths.period_path(
              rng, frames_of_seconds(request.options["seconds"], request.fps), request.latent_size),
          check=check_wave_length),
    Style("phase", {"seconds": 60},
          folder=lambda request: f"phase_s{request.options['seconds']:g}",
          path=lambda request, rng: latent_paths.phase_path(
              rng, frames_of_seconds(request.options["seconds"], request.fps), request.latent_size),
          check=check_wave_length),
    Style("keyframes", {"keyframes": None, "pick": None, "frames": 256, "interpolation": "spline"},
          folder=lambda request: (f"keyframes_{request.options['interpolation']}_k{len(request.keyframes)}"
                                  f"_f{request.options['frames']}"),
          path=lambda request, rng: latent_paths.keyframe_path(
              request.keyframes, request.options["frames"], request.options["interpolation"]),
          check=check_keyframes, seeded=False),
)}
WAVE_STYLES = ("bitloop", "period", "phase")
STYLE_OPTIONS = tuple(dict.fromkeys(name for style in STYLES.values() for name in style.options))
PATH_OPTIONS = (*STYLE_OPTIONS, "pace")     # what some styles read and others ignore, with a note


def option_default(name):
    """The default of a style option (the same in every style that reads it), for help texts."""
    (default,) = {style.options[name] for style in STYLES.values() if name in style.options}
    return default


def style_options(style, given):
    """The style's settings: the options given on the command line, the style's defaults for the rest."""
    return {name: given[name] if given.get(name) is not None else default
            for name, default in STYLES[style].options.items()}


def unused_options(style, given):
    """The style options (and --pace) given on the command line that `style` does not read."""
    return sorted(name for name in set(PATH_OPTIONS) - STYLES[style].reads() if given.get(name) is not None)


def unused_note(style, given):
    """The note on the style options given that `style` does not read (and what to give instead), or None."""
    unused = unused_options(style, given)
    if not unused:
        return None
    instead = [STYLES[style].instead[name] for name in unused if name in STYLES[style].instead]
    return (f"note: {style} does not use " + ", ".join(f"--{name}" for name in unused) + "; ignored"
            + "".join(f" ({hint})" for hint in instead))


def check_options(style, options, fps):
    """Settings that cannot make a path, found before the model takes seconds to load."""
    for name, where in (("frames", "per step"), ("loop_frames", "in the loop")):
        frames = options.get(name)
        if frames is not None and frames < MIN_LOOP_FRAMES:
            raise UserError(f"--{name} {frames}: a loop needs at least {MIN_LOOP_FRAMES} frames ({where})")
    STYLES[style].check(options, fps)
