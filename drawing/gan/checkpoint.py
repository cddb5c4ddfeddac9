"""Checkpoint files: our safe format, and import of the seed's pickles. Format in docs/checkpoint.md.

A run folder holds `<epoch>.checkpoint` files. Ours is a ZIP archive of `.npy` arrays plus a
`meta.json`; reading it never executes code (arrays load with `allow_pickle=False`). The seed's
checkpoints are pickles of `train.TrainingState`; they are read by an unpickler that accepts exactly
the seed's two classes and nothing else, so a crafted file cannot run code either. Both formats come
out as the same `Checkpoint`, so the rest of the code knows one format.
"""
import io
import json
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drawing.cli import UserError
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
PICKLE_MAGIC = b"\x80"


@dataclass
class Checkpoint:
    """Everything a checkpoint holds. Array lists are in `get_weights()` / optimizer-variable order.

    `networks`: {"resolution", "latent_size", "channel_scale"}, enough to rebuild the models.
    `options`: the training options the run used (options.json, completed with defaults).
    `training`: the loop's counters and random state ({"batch_count", "sample_count", "seed",
    "augment_probability"}); empty for a seed checkpoint.
    `source`: "drawing" for ours, "seed" for an imported pickle.
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
    checkpoint = read_checkpoint(path)
    for group in OPTIMIZER_GROUPS:
        setattr(checkpoint, group, None)
    write_checkpoint(path, checkpoint)


def read_checkpoint(path):
    """A `Checkpoint` from either format; a one-line UserError naming the file for anything wrong."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise UserError(f"{path}: checkpoint not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a checkpoint file") from None
    if magic.startswith(ZIP_MAGIC):
        return _read_our_checkpoint(path)
    if magic.startswith(PICKLE_MAGIC):
        return read_seed_checkpoint(path)
    if not magic:
        raise UserError(f"{path}: checkpoint file is empty")
    raise UserError(f"{path}: not a checkpoint (neither this project's format nor the seed's pickle)")


def _load_array(data, path, name):
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise UserError(f"{path}: array {name} is not a plain numeric array ({error})") from None


def _read_our_checkpoint(path):
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
            groups = {}
            for group, count in meta["arrays"].items():
                if group not in ARRAY_GROUPS:
                    raise UserError(f"{path}: unknown array group {group!r} in the checkpoint")
                names = [f"{group}/{index:04d}.npy" for index in range(count)]
                groups[group] = [_load_array(archive.read(name), path, name) for name in names]
    except (zipfile.BadZipFile, EOFError, KeyError, OSError, json.JSONDecodeError, zipfile.LargeZipFile) as error:
        raise UserError(f"{path}: checkpoint is damaged or truncated ({type(error).__name__}: {error})") from None
    if "generator" not in groups:
        raise UserError(f"{path}: checkpoint holds no generator")
    return Checkpoint(epoch=int(meta["epoch"]), networks=meta["networks"], options=meta.get("options", {}),
                      training=meta.get("training", {}), source="drawing", **groups)


# ---- the seed's checkpoints -------------------------------------------------------------------------

class _SeedRecord:
    """Stands in for the seed's `train.TrainingState` / `train.TrainingOptions`: only holds attributes."""


class _SeedTrainingState(_SeedRecord):
    pass


class _SeedTrainingOptions(_SeedRecord):
    pass


SEED_CLASSES = {("train", "TrainingState"): _SeedTrainingState,
                ("train", "TrainingOptions"): _SeedTrainingOptions}


class _SeedUnpickler(pickle.Unpickler):
    """Resolves exactly the seed's two classes (to inert stand-ins); any other global is refused."""

    allowed = SEED_CLASSES

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a seed checkpoint holds only "
                                     "train.TrainingState and train.TrainingOptions")


class _PlainUnpickler(_SeedUnpickler):
    """For the nested network pickles, which hold only a dict of bytes: no global at all."""

    allowed = {}


def _unpickle(data, unpickler, path, what):
    try:
        return unpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as error:
        raise UserError(f"{path}: {what} refused: {error}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as error:
        raise UserError(f"{path}: {what} is damaged or truncated ({type(error).__name__}: {error})") from None


def _seed_weights(serialized, path, which):
    if not isinstance(serialized, bytes):
        raise UserError(f"{path}: seed checkpoint's {which} is not a serialized network")
    payload = _unpickle(serialized, _PlainUnpickler, path, f"seed checkpoint's {which}")
    if not isinstance(payload, dict) or not isinstance(payload.get("model_weights"), list):
        raise UserError(f"{path}: seed checkpoint's {which} has no 'model_weights' list")
    weights = []
    for index, item in enumerate(payload["model_weights"]):
        if not isinstance(item, bytes):
            raise UserError(f"{path}: seed checkpoint's {which} weight {index} is not np.save bytes")
        weights.append(_load_array(item, path, f"{which} weight {index}"))
    return weights


def read_seed_checkpoint(path):
    """Import a checkpoint written by the seed's training script (a pickled `train.TrainingState`)."""
    path = Path(path)
    state = _unpickle(path.read_bytes(), _SeedUnpickler, path, "seed checkpoint")
    if not isinstance(state, _SeedTrainingState):
        raise UserError(f"{path}: not a seed checkpoint (the pickle holds {type(state).__name__}, "
                        "not train.TrainingState)")
    attributes = vars(state)
    missing = [key for key in ("options", "epoch_i", "generator", "discriminator") if key not in attributes]
    if missing or not isinstance(attributes["options"], _SeedTrainingOptions):
        raise UserError(f"{path}: seed checkpoint lacks {', '.join(missing) or 'its TrainingOptions'}")
    seed_options = vars(attributes["options"])
    try:
        resolution = int(seed_options["resolution"])
        latent_size = int(seed_options.get("latent_size", 64))
        epoch = int(attributes["epoch_i"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path}: seed checkpoint's options lack a valid resolution or latent_size") from None
    options = {key: value for key, value in seed_options.items()
               if isinstance(value, (int, float, str, type(None)))}
    if "real_images_file_pattern" in options:
        options["dataset_file_pattern"] = options.pop("real_images_file_pattern")
    return Checkpoint(epoch=epoch,
                      networks={"resolution": resolution, "latent_size": latent_size, "channel_scale": 1.0},
                      generator=_seed_weights(attributes["generator"], path, "generator"),
                      discriminator=(None if attributes["discriminator"] is None else
                                     _seed_weights(attributes["discriminator"], path, "discriminator")),
                      options=options, source="seed")
