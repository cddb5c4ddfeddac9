"""Where the explorer's drawings come from: seeded pages of random latents, and latent files.

A drawing is named by a reference the page sends back: `{"seed": S, "index": i}` is row i of
`path.py random --seed=S`'s latents (before its truncation, which the explorer applies as path.py
does), so drawing i of seed S is frame i of that run; `{"file": "f0", "row": r}` is row r of a latent
file, one named on the command line (`f0`, `f1`, ...) or uploaded through the page (`u0`, ...). A file
is a path.py or project.py run folder (its latents are the `.npy` beside it) or a `.npy` of
[count, latent_size] floats; its latents are used as they are (a path.py run's are already truncated by
its own --truncation, as path.py's --keyframes reads them).
"""
import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.folders import record_path, require_complete
from drawing.gen import latent_paths

PAGE_SIZE = 16
MAX_INDEX = 2 ** 20           # drawings past this index of a seed take long to draw (the stream is sequential)
MAX_SEED = 2 ** 53 - 1        # the largest whole number the page's JavaScript holds exactly
SKIP_BLOCK = 2 ** 16          # normal values drawn at a time while skipping to a page
NPY_MAGIC = b"\x93NUMPY"      # how every .npy file starts


def seeded_latents(seed, start, stop, latent_size):
    """Rows `start` to `stop - 1` of `latent_paths.random_latents(default_rng(seed), count, latent_size)`
    for any count of at least `stop`: numpy draws the values one after another, so the rows before
    `start` are drawn (in blocks, float64 as `random_latents` draws them) and thrown away."""
    rng = np.random.default_rng(seed)
    skipped = start * latent_size
    while skipped > 0:
        rng.standard_normal(min(SKIP_BLOCK, skipped))
        skipped -= SKIP_BLOCK
    return latent_paths.random_latents(rng, stop - start, latent_size)


def parse_npy(data, name):
    """The array held by the bytes of a .npy file, never unpickling anything; a UserError naming `name`."""
    if not data.startswith(NPY_MAGIC):
        raise UserError(f"{name}: not a .npy file (it lacks the .npy header); give the latents of a path.py "
                        "or project.py run, or a .npy of [count, latent_size] floats")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        raise UserError(f"{name}: not a readable .npy file ({error})") from None


def check_latents(latents, latent_size, name):
    """`latents` as float32 [count, latent_size], all finite; a UserError naming `name` otherwise."""
    if latents.ndim == 3:
        raise UserError(f"{name}: latents of a grid {latents.shape}; give a run without --grid "
                        "(or a cell's own run, --seed=<cell seed>)")
    if latents.ndim != 2 or not np.issubdtype(latents.dtype, np.floating):
        raise UserError(f"{name}: expected a float array [count, latent_size], found {latents.dtype} {latents.shape}")
    if latents.shape[1] != latent_size:
        raise UserError(f"{name}: latents have {latents.shape[1]} dimensions but the model takes {latent_size}")
    if len(latents) == 0:
        raise UserError(f"{name}: holds no latents")
    broken = np.flatnonzero(~np.isfinite(latents).all(axis=1))
    if len(broken):
        raise UserError(f"{name}: frame {broken[0]}'s latent is not all finite numbers (NaN or infinity)")
    return latents.astype(np.float32)


def latents_path(source):
    """(the .npy of a named source, the record beside it or None): a run folder's `<folder>.npy`, or the
    file itself; an interrupted run is refused as path.py's --keyframes refuses it."""
    source = Path(source)
    if source.is_dir():
        return record_path(source, ".npy"), require_complete(source, "latents folder")
    if not source.exists():
        raise UserError(f"{source}: not found; give a folder written by path.py or project.py (its latents "
                        "are the .npy beside it) or a .npy file")
    if source.suffix != ".npy":
        raise UserError(f"{source}: not a .npy file; give a folder written by path.py or project.py "
                        "or a .npy file of latents")
    return source, require_complete(source.with_suffix(""), "latents run")


def record_note(record):
    """What a latent file's record says of it, in a few words for the page."""
    if not record or not record.get("stage"):
        return ""
    words = [record["stage"]]
    if record.get("style"):
        words.append(record["style"])
    if record.get("seed") is not None:
        words.append(f"seed {record['seed']}")
    if record.get("truncation") not in (None, 1, 1.0):
        words.append(f"truncation {record['truncation']:g} already applied")
    return ", ".join(str(word) for word in words)


@dataclass(frozen=True)
class LatentFile:
    """The latents of one file, as the file holds them."""
    id: str
    name: str                 # the path as given on the command line, or the uploaded file's name
    latents: np.ndarray       # float32 [count, latent_size]
    sha256: str
    uploaded: bool
    note: str = ""

    def described(self):
        """The file as the page and the saved record show it."""
        return {"id": self.id, "name": self.name, "count": len(self.latents), "sha256": self.sha256,
                "uploaded": self.uploaded, "note": self.note}


class Sources:
    """The seeded pages and the latent files of one explorer, and the latents of the page's references."""

    def __init__(self, latent_size):
        self.latent_size = latent_size
        self.files = {}
        self.lock = threading.Lock()     # two uploads at once get ids of their own

    def add_file(self, source):
        """A file named on the command line; a UserError for a missing, interrupted or unfit one."""
        path, record = latents_path(source)
        if not Path(path).is_file():
            raise UserError(f"{path}: not found; the folder {source} has no latents beside it")
        data = Path(path).read_bytes()
        return self._add("f", str(source), data, record_note(record), uploaded=False)

    def add_upload(self, name, data):
        """A file sent by the page; kept in memory only."""
        return self._add("u", name, data, "uploaded", uploaded=True)

    def _add(self, prefix, name, data, note, uploaded):
        """Check and keep a file's latents under the next id of `prefix`: f0, f1, ... or u0, u1, ..."""
        latents = check_latents(parse_npy(data, name), self.latent_size, name)
        with self.lock:
            file_id = f"{prefix}{sum(file.uploaded == uploaded for file in self.files.values())}"
            latent_file = LatentFile(file_id, name, latents, hashlib.sha256(data).hexdigest(), uploaded, note)
            self.files[file_id] = latent_file
        return latent_file

    def drawings(self, source, start, count, seed=None):
        """(references, latents) of up to `count` drawings of `source` from `start`: "seed" (with `seed`)
        or a file's id; (references, latents, whether there are more)."""
        start = check_int(start, "start", MAX_INDEX - PAGE_SIZE)
        count = check_int(count, "count", PAGE_SIZE)
        if source == "seed":
            seed = check_int(seed, "seed", MAX_SEED)
            refs = [{"seed": seed, "index": index} for index in range(start, start + count)]
            return refs, seeded_latents(seed, start, start + count, self.latent_size), True
        every = self.file(source).latents
        latents = every[start:start + count]
        refs = [{"file": source, "row": start + row} for row in range(len(latents))]
        return refs, latents, start + count < len(every)

    def file(self, file_id):
        if file_id not in self.files:
            raise UserError(f"no latent file {file_id!r} in this explorer")
        return self.files[file_id]

    def latent(self, ref):
        """The latent [latent_size] a reference names; a UserError for one that names nothing."""
        if not isinstance(ref, dict):
            raise UserError(f"a drawing is named by its seed and index or its file and row, not {ref!r}")
        if "seed" in ref:
            index = check_int(ref.get("index"), "index", MAX_INDEX)
            return seeded_latents(check_int(ref["seed"], "seed", MAX_SEED), index, index + 1, self.latent_size)[0]
        latents = self.file(ref.get("file")).latents
        row = check_int(ref.get("row"), "row", len(latents) - 1)
        return latents[row]

    def latents(self, refs):
        """The latents [len(refs), latent_size] of a list of references, in order."""
        if not isinstance(refs, list):
            raise UserError("expected a list of drawings")
        return np.stack([self.latent(ref) for ref in refs]) if refs else np.zeros((0, self.latent_size), np.float32)

    def recorded(self, ref):
        """Where a keyframe comes from, as the saved record says it."""
        if "seed" in ref:
            return {"seed": int(ref["seed"]), "index": int(ref["index"])}
        latent_file = self.file(ref["file"])
        return {"file": latent_file.name, "uploaded": latent_file.uploaded, "frame": int(ref["row"])}


def check_int(value, what, largest):
    """`value` as an int from 0 to `largest`; a UserError otherwise (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
        raise UserError(f"{what} must be a whole number from 0 to {largest}, not {value!r}")
    return value
