"""The loop the preview plays and path.py renders: the one place where the explorer says how a loop moves
through its keyframes.

Everything here follows path.py's keyframes style: the closed path `latent_paths.keyframe_path` through the
keyframes as saved (before truncation), its frames placed at a pace by `drawing.gen.pace` and truncated as
path.py gives them to the model, so the preview shows the frames path.py writes:
- `even` (path.py's default): every step the same change of the picture. Finding the places runs the
  generator over the loop about 2.5 times as many latents as it has frames, in batches of path.py's
  default --batch (TensorFlow gives the same images for the same batch, so the same places as path.py's);
- `latent`: `frames` frames per step between keyframes at equal steps of the path, the original's timing,
  at once.
"""
from drawing.gen import latent_paths
from drawing.gen import pace as pacing
from drawing.gen.path_run import PathSettings

INTERPOLATIONS = latent_paths.INTERPOLATIONS
PACES = pacing.PACES
DEFAULT_PACE = pacing.DEFAULT_PACE   # path.py's default: even
DEFAULT_INTERPOLATION = "spline"     # path.py's default
DEFAULT_FPS = 30                     # path.py's default --fps, which mp4.py reads from its record
MIN_FRAMES = 2                       # path.py's least --frames per step
MAX_FRAMES = 4096
PACE_BATCH = PathSettings.batch      # path.py's default --batch, which the shown command leaves as it is


def loop_latents(keyframes, frames, interpolation, pace=DEFAULT_PACE, truncation=1.0, generate=None):
    """(latents [keyframes * frames, latent_size], their times in [0, 1) on the loop): the loop's frames at
    `pace`, truncated as path.py gives them to the model. `generate(latents)`: images in [0, 1], the model
    the even pace measures the change of the picture with (unused at the latent pace)."""
    path = latent_paths.keyframe_path(keyframes, frames, interpolation)
    return pacing.paced_latents(path, generate, pace, truncation, PACE_BATCH, show_progress=False)


def latents_at(keyframes, frames, interpolation, times, truncation=1.0):
    """The loop's latents at `times` (those `loop_latents` gave before), truncated."""
    path = latent_paths.keyframe_path(keyframes, frames, interpolation)
    return latent_paths.truncate(path.at_times(times), truncation)


def truncated(latents, truncation):
    """Drawings as path.py gives them to the model: the grid and the keyframe strip show these."""
    return latent_paths.truncate(latents, truncation)


def path_flags(frames, interpolation, pace=DEFAULT_PACE):
    """path.py's keyframes options for this loop; the pace given even where it is path.py's default, so the
    command renders these frames whatever path.py's default becomes."""
    return [f"--frames={frames}", f"--interpolation={interpolation}", f"--pace={pace}"]


def style_folder(keyframe_count, frames, interpolation):
    """The folder path.py's keyframes style writes its runs in, under its --dir_out (the same at every pace)."""
    return f"keyframes_{interpolation}_k{keyframe_count}_f{frames}"
