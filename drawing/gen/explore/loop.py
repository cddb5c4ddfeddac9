"""The loop the preview plays and path.py renders: the one place where the explorer says how a loop moves
through its keyframes.

Everything here follows path.py's keyframes style: `latent_paths.keyframe_loop` through the keyframes as
saved (before truncation), then `latent_paths.truncate` of the whole path, so the preview shows the
frames path.py writes. How the frames are spread along the path (the pace) has one choice today,
"latent": `frames` frames per step between keyframes, as path.py does; an even pace is added here and in
`path_flags` when path.py has one.
"""
from drawing.gen import latent_paths

INTERPOLATIONS = latent_paths.INTERPOLATIONS
PACES = ("latent",)
DEFAULT_PACE = "latent"
DEFAULT_INTERPOLATION = "spline"     # path.py's default
DEFAULT_FPS = 30                     # path.py's default --fps, which mp4.py reads from its record
MIN_FRAMES = 2                       # path.py's least --frames per step
MAX_FRAMES = 4096


def loop_latents(keyframes, frames, interpolation, pace=DEFAULT_PACE, truncation=1.0):
    """The loop's latents [keyframes * frames, latent_size], truncated as path.py gives them to the model."""
    if pace not in PACES:
        raise ValueError(f"pace {pace!r} is not one of {', '.join(PACES)}")
    return latent_paths.truncate(latent_paths.keyframe_loop(keyframes, frames, interpolation), truncation)


def truncated(latents, truncation):
    """Drawings as path.py gives them to the model: the grid and the keyframe strip show these."""
    return latent_paths.truncate(latents, truncation)


def path_flags(frames, interpolation, pace=DEFAULT_PACE):
    """path.py's keyframes options for this loop."""
    return [f"--frames={frames}", f"--interpolation={interpolation}"]


def style_folder(keyframe_count, frames, interpolation, pace=DEFAULT_PACE):
    """The folder path.py's keyframes style writes its runs in, under its --dir_out."""
    return f"keyframes_{interpolation}_k{keyframe_count}_f{frames}"
