"""Checkpoint files in our safe format. Format in docs/checkpoint.md.

A run folder holds `<epoch>.checkpoint` files. Ours is a ZIP archive of `.npy` arrays plus a
`meta.json`; reading it never executes code (arrays load with `allow_pickle=False`). The original's
pickles, which share the file names, are read by `drawing.gan.legacy`, which sits above this module:
it reads either format into the same `Checkpoint` (`legacy.read_checkpoint`, `legacy.read_model`), so
the rest of the code knows one format, and this module knows nothing of the other.
"""
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.files import atomic_path, natural_sorted

FORMAT_NAME = "drawing-gan-checkpoint"
FORMAT_VERSION = 1
CHECKPOINT_NAME = re.compile(r"^(\d+)\.checkpoint$")
META_ENTRY = "meta.json"
# Weight and optimizer lists stored in a checkpoint, each as `<group>/<index>.npy`.
ARRAY_GROUPS = ("generator", "generator_ema", "discriminator",
                "generator_optimizer", "discriminator_optimizer")
OPTIMIZER_GROUPS = ("generator_optimizer", "discriminator_optimizer")   # what only the newest needs
ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Checkpoint:
    """Everything a checkpoint holds. Array lists are in `get_weights()` / optimizer-variable order.

    `networks`: {"resolution", "latent_size", "channel_scale"}, enough to rebuild the models.
    `options`: the training options the run used (options.json, completed with defaults).
    `training`: the loop's counters and random state ({"batch_count", "sample_count", "seed",
    "augment_probability"}); empty for a legacy checkpoint.
    `source`: "drawing" for ours, "legacy" for an imported pickle (drawing.gan.legacy).
    """
    epoch: int
    networks: dict
    generator: list
    discriminator: list = None
    generator_ema: list = None
    generator_optimizer: list = None
    discriminator_optimizer: list = None
    options: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    source: str = "drawing"


def checkpoint_path(folder, epoch):
    return Path(folder) / f"{epoch}.checkpoint"


def list_checkpoints(folder):
    """The `<epoch>.checkpoint` files of a run folder, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return natural_sorted(p for p in folder.iterdir() if p.is_file() and CHECKPOINT_NAME.match(p.name))


def checkpoint_epoch(path):
    return int(CHECKPOINT_NAME.match(Path(path).name).group(1))


def resolve_checkpoint(path):
    """A checkpoint file as given, or a run folder's newest checkpoint; a UserError if there is none."""
    path = Path(path)
    if path.is_dir():
        found = list_checkpoints(path)
        if not found:
            raise UserError(f"{path}: no <epoch>.checkpoint files in this run folder")
        return found[-1]
    if not path.exists():
        raise UserError(f"{path}: checkpoint not found")
    return path


def write_checkpoint(path, checkpoint):
    """Write our format atomically: an interrupted write never leaves a damaged file under `path`."""
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "epoch": int(checkpoint.epoch),
            "networks": checkpoint.networks, "options": checkpoint.options,
            "training": checkpoint.training, "arrays": {}}
    with atomic_path(path) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for group in ARRAY_GROUPS:
                arrays = getattr(checkpoint, group)
                if arrays is None:
                    continue
                meta["arrays"][group] = len(arrays)
                for index, array in enumerate(arrays):
                    with archive.open(f"{group}/{index:04d}.npy", "w", force_zip64=True) as entry:
                        np.save(entry, np.asarray(array), allow_pickle=False)
            archive.writestr(META_ENTRY, json.dumps(meta, indent=1))


def holds_optimizer_state(path):
    """Whether a checkpoint of our format stores Adam's state (reads only its meta.json)."""
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = json.loads(archive.read(META_ENTRY)).get("arrays", {})
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, AttributeError):
        return False
    return any(group in arrays for group in OPTIMIZER_GROUPS)


def drop_optimizer_state(path):
    """Rewrite a checkpoint of our format without Adam's state (about 60 % smaller), atomically: killed
    midway, the file is left as it was. Its weights, moving average and counters stay as they were."""
    checkpoint = read_drawing_checkpoint(path)
    for group in OPTIMIZER_GROUPS:
        setattr(checkpoint, group, None)
    write_checkpoint(path, checkpoint)


def file_magic(path):
    """The first bytes of a checkpoint file, which say its format; a UserError if there is no such file."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return handle.read(4)
    except FileNotFoundError:
        raise UserError(f"{path}: checkpoint not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a checkpoint file") from None


def load_npy(data, path, name):
    """One `.npy` array from bytes, never unpickling; a UserError naming the file and the array."""
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise UserError(f"{path}: array {name} is not a plain numeric array ({error})") from None


def _check_meta(meta, path):
    """A UserError naming the first field of a checkpoint's meta.json that is missing or of the wrong kind (a
    hand-edited file, or one from another program), rather than a traceback where it is used."""
    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    fields = {"epoch": (whole, "a whole number"), "networks": (lambda v: isinstance(v, dict), "an object"),
              "arrays": (lambda v: isinstance(v, dict) and all(map(whole, v.values())),
                         "an object of array counts"),
              "options": (lambda v: v is None or isinstance(v, dict), "an object"),
              "training": (lambda v: v is None or isinstance(v, dict), "an object")}
    for key, (valid, kind) in fields.items():
        if key not in meta and key in ("options", "training"):
            continue
        if key not in meta or not valid(meta[key]):
            found = "missing" if key not in meta else f"not {kind}"
            raise UserError(f"{path}: checkpoint is damaged ({META_ENTRY}'s {key!r} is {found}); use another "
                            "checkpoint")


def read_drawing_checkpoint(path):
    """A `Checkpoint` from a file of our format; a one-line UserError naming the file for anything wrong.
    (drawing.gan.legacy.read_checkpoint reads either format.)"""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                meta = json.loads(archive.read(META_ENTRY))
            except KeyError:
                raise UserError(f"{path}: not a checkpoint (a ZIP file without {META_ENTRY})") from None
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
                raise UserError(f"{path}: not a checkpoint ({META_ENTRY} does not name {FORMAT_NAME})")
            if meta.get("version") != FORMAT_VERSION:
                raise UserError(f"{path}: checkpoint format version {meta.get('version')} is not "
                                f"supported (this code reads version {FORMAT_VERSION})")
            _check_meta(meta, path)
            groups = {}
            for group, count in meta["arrays"].items():
                if group not in ARRAY_GROUPS:
                    raise UserError(f"{path}: unknown array group {group!r} in the checkpoint")
                names = [f"{group}/{index:04d}.npy" for index in range(count)]
                groups[group] = [load_npy(archive.read(name), path, name) for name in names]
    except (zipfile.BadZipFile, EOFError, KeyError, OSError, json.JSONDecodeError, zipfile.LargeZipFile) as error:
        raise UserError(f"{path}: checkpoint is damaged or truncated ({type(error).__name__}: {error})") from None
    if "generator" not in groups:
        raise UserError(f"{path}: checkpoint holds no generator")
    return Checkpoint(epoch=int(meta["epoch"]), networks=meta["networks"], options=meta.get("options", {}),
                      training=meta.get("training", {}), source="drawing", **groups)
