"""The keyframes of a `keyframes` path: latents picked from an earlier path.py or project.py run.

Those stages write their latents beside their folder, `<run>.npy` float32 [frames, latent_size] (row i
made frame i); `--keyframes` names the folder or the .npy, `--pick` the rows, in the order to visit them.
"""
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.files import holds_folders_of_images
from drawing.folders import record_path, require_complete

NPY_MAGIC = b"\x93NUMPY"       # how every .npy file starts


def parse_pick(text):
    """'3,17,42' -> [3, 17, 42]; a UserError for anything but non-negative whole numbers."""
    try:
        picked = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42") from None
    if not picked or min(picked) < 0:
        raise UserError(f"--pick {text!r}: give frame numbers separated by commas, e.g. 3,17,42")
    return picked


def keyframes_file(source):
    """The .npy of `--keyframes`: the file itself, or `<folder>.npy` beside a frames or image folder."""
    source = Path(source)
    if source.is_dir():
        require_complete(source, "keyframes folder")
        return record_path(source, ".npy")
    if source.suffix == ".npy":
        require_complete(source.with_suffix(""), "keyframes run")
    return source


def has_latents(folder):
    """Whether a run folder has its latents beside it (`<run>.npy`)."""
    return record_path(folder, ".npy").exists()


def load_keyframes(source, pick, latent_size):
    """The picked rows of the latents of a path.py or project.py run, checked against the model."""
    path = keyframes_file(source)
    if not path.exists():
        runs = Path(source).is_dir() and holds_folders_of_images(source, keep=has_latents)
        raise UserError(runs or f"{path}: not found; --keyframes takes a folder written by path.py or project.py "
                                "(its latents are the .npy beside it) or a .npy file")
    header = None
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(NPY_MAGIC))
        latents = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        lacks_header = header is not None and header != NPY_MAGIC
        problem = "not a .npy file (it lacks the .npy header)" if lacks_header else "not a readable .npy file"
        raise UserError(f"{path}: {problem} of latents ({error})") from None
    if latents.ndim == 3:
        raise UserError(f"{path}: latents of a grid {latents.shape}; pick keyframes from a run without --grid "
                        "(or from a cell's own run, --seed=<cell seed>)")
    if latents.ndim != 2 or not np.issubdtype(latents.dtype, np.floating):
        raise UserError(f"{path}: expected a float array [frames, latent_size], found {latents.dtype} {latents.shape}")
    if latents.shape[1] != latent_size:
        raise UserError(f"{path}: latents have {latents.shape[1]} dimensions but the model takes {latent_size}")
    picked = parse_pick(pick) if pick else list(range(len(latents)))
    beyond = [index for index in picked if index >= len(latents)]
    if beyond:
        raise UserError(f"{path}: holds frames 0 to {len(latents) - 1}; cannot pick {beyond[0]}")
    if len(picked) < 2:
        raise UserError(f"{path}: a keyframe loop needs at least 2 keyframes; pick more with --pick")
    broken = [index for index in picked if not np.isfinite(latents[index]).all()]
    if broken:
        raise UserError(f"{path}: frame {broken[0]}'s latent is not all finite numbers (NaN or infinity); "
                        "pick other frames with --pick, or write the latents again")
    return latents[picked]
