"""Saving a loop: `<name>.npy` and `<name>.json` in the explorer's --dir_out, and the command lines that
render it at full quality.

`<name>.npy` holds the keyframes' latents in order, float32 [keyframes, latent_size], before truncation:
path.py's `--keyframes=<name>.npy` reads it and `--truncation` scales the loop as the preview did.
`<name>.json` is the record beside it (drawing/folders.py): stage explore.py, the model, where each
keyframe came from, the loop's settings, the explorer's seed, the command lines, and `complete`, true
once both files are written (path.py refuses a `.npy` whose record says false). Both are written
atomically; an existing pair is replaced only when its record is explore.py's and the page confirmed,
and a file of that name written by anything else is never touched.
"""
import re
import shlex
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.files import atomic_path, write_errors_reported
from drawing.folders import check_not_overlapping, read_record, record_path, write_record
from drawing.gen.explore import loop

STAGE = "explore.py"
NAME = re.compile(r"^[\w][\w .+-]*$")
MAX_NAME = 100
SUFFIXES = (".npy", ".json")


def check_name(name):
    """A save name as typed, less a `.npy` or `.json` ending; a UserError for a path or an odd name."""
    if not isinstance(name, str) or not name.strip():
        raise UserError("give the loop a name, e.g. loop1")
    name = name.strip()
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise UserError(f"save name {name!r}: give a name without a folder, e.g. loop1 "
                        "(the files go to the explorer's --dir_out)")
    if len(name) > MAX_NAME or not NAME.match(name):
        raise UserError(f"save name {name!r}: use letters, digits, spaces and . _ + -, not starting with "
                        f"a dot, at most {MAX_NAME} characters, e.g. loop1")
    return name


@dataclass(frozen=True)
class Commands:
    """How the saved loop's command lines are written: valid in `cwd`, where the explorer was started,
    with the scripts in `scripts` (`""` when that is gen/ itself), the model and --dir_out as typed."""
    cwd: str
    scripts: str
    model: str
    dir_out: str

    def script(self, name):
        return str(Path(self.scripts) / name) if self.scripts else name

    def path_command(self, name, settings):
        arguments = ["python", self.script("path.py"), self.model, "keyframes",
                     f"--keyframes={Path(self.dir_out) / (name + '.npy')}",
                     *loop.path_flags(settings["frames"], settings["interpolation"], settings["pace"]),
                     f"--truncation={settings['truncation']:g}"]
        if settings["fps"] != loop.DEFAULT_FPS:
            arguments.append(f"--fps={settings['fps']:g}")
        arguments.append(f"--dir_out={self.dir_out}")
        return shlex.join(arguments)

    def frames_folder(self, keyframe_count, settings):
        """The folder path.py writes its run folder in (the run folder's name is the time it starts)."""
        return str(Path(self.dir_out) / loop.style_folder(keyframe_count, settings["frames"],
                                                          settings["interpolation"]))

    def mp4_command(self, keyframe_count, settings):
        """mp4.py on the newest run folder in path.py's style folder: the one the path.py command just wrote
        (its name is the time it started, so the shell finds it)."""
        folder = self.frames_folder(keyframe_count, settings)
        return (f"{shlex.join(['python', self.script('mp4.py')])} "
                f"\"$(ls -td {shlex.quote(folder)}/*/ | head -n 1)\"")


def existing_owner(dir_out, name):
    """None where neither file of `name` exists; "explore.py" where both are this stage's; a UserError
    where either belongs to something else (or holds no record saying whose it is)."""
    files = [Path(dir_out) / (name + suffix) for suffix in SUFFIXES]
    if not any(path.exists() or path.is_symlink() for path in files):
        return None
    try:
        record = read_record(Path(dir_out) / name)
    except UserError:
        record = None
    if record is None or record.get("stage") != STAGE:
        found = next(path for path in files if path.exists() or path.is_symlink())
        raise UserError(f"{found}: exists and explore.py did not write it; choose another name "
                        "(nothing was overwritten)")
    return STAGE


class Saver:
    """Writes saves one at a time, so two saves of one name never mix their files."""

    def __init__(self, dir_out, inputs=()):
        self.dir_out = Path(dir_out)
        self.inputs = list(inputs)
        self.lock = threading.Lock()

    def save(self, name, keyframes, record, replace=False):
        """Write `<name>.npy` and `<name>.json`; (the .npy, the .json). A UserError with `exists` True
        where this stage's earlier save of the name is there and `replace` is not given."""
        npy = self.dir_out / (name + ".npy")
        check_not_overlapping(npy, self.inputs)
        with self.lock, write_errors_reported(self.dir_out):
            if existing_owner(self.dir_out, name) and not replace:
                raise SaveExists(f"{npy}: a loop of this name is saved already; replace it?")
            record = {"stage": STAGE, **record, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            write_record(self.dir_out / name, record, complete=False)
            with atomic_path(npy) as temporary:
                with open(temporary, "wb") as handle:
                    np.save(handle, np.asarray(keyframes, dtype=np.float32), allow_pickle=False)
            write_record(self.dir_out / name, record, complete=True)
        return npy, record_path(self.dir_out / name)


class SaveExists(UserError):
    """An earlier save of this name by the explorer: replaced only when the user says so."""
