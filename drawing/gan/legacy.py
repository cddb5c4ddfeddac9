"""The original's checkpoints: its pickles read into a `Checkpoint`, and written from one (train/export.py).

This module alone knows the original's format (docs/checkpoint.md), so the rest of the code knows ours only.
The original's scripts pickle a `train.TrainingState` whose `__dict__` holds
- from train/ (a training run): `options` (a `train.TrainingOptions` with LEGACY_TRAINING_KEYS), `epoch_i`,
  `generator`, `discriminator`;
- from gen/ (the generator alone, as someone sharing just the generator has it): `options` (a
  `train.TrainingOptions` with `resolution` and `latent_size`), `generator`, `epoch_i`.
Each network is the bytes of a pickled `{'model_weights': [np.save bytes, ...]}` in `get_weights()`
order, at the original's widths (channel_scale 1).

Reading never runs code: the unpickler resolves exactly the original's two classes, by name, to inert
stand-ins and refuses any other global; the network pickles may hold no global at all; every array is
loaded with `allow_pickle=False`.
"""
import io
import pickle
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.files import atomic_path
from drawing.folders import check_not_overlapping
from drawing.gan.checkpoint import (
    ZIP_MAGIC,
    Checkpoint,
    file_magic,
    list_checkpoints,
    load_npy,
    read_drawing_checkpoint,
    resolve_checkpoint,
)

PICKLE_MAGIC = b"\x80"
LEGACY_MODULE = "train"
STATE_CLASS, OPTIONS_CLASS = "TrainingState", "TrainingOptions"
# The original's train-side TrainingOptions, in its order; all but the first keep our option names.
LEGACY_TRAINING_KEYS = ("real_images_file_pattern", "resolution", "replica_batch_size", "epoch_sample_count",
                      "total_sample_count", "learning_rate", "latent_size", "beta_1", "beta_2")
OUR_NAME = {"real_images_file_pattern": "dataset_file_pattern"}
# Written with protocol 3: every Python 3 reads it, and it stores bytes as bytes (protocol 2 would not).
PROTOCOL = 3


# ---- reading ------------------------------------------------------------------------------------

class _LegacyRecord:
    """Stands in for the original's `train.TrainingState` / `train.TrainingOptions`: only holds attributes."""


class _LegacyTrainingState(_LegacyRecord):
    pass


class _LegacyTrainingOptions(_LegacyRecord):
    pass


SEED_CLASSES = {(LEGACY_MODULE, STATE_CLASS): _LegacyTrainingState,
                (LEGACY_MODULE, OPTIONS_CLASS): _LegacyTrainingOptions}


class _LegacyUnpickler(pickle.Unpickler):
    """Resolves exactly the original's two classes (to inert stand-ins); any other global is refused."""

    allowed = SEED_CLASSES

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a legacy checkpoint holds only "
                                     f"{LEGACY_MODULE}.{STATE_CLASS} and {LEGACY_MODULE}.{OPTIONS_CLASS}")


class _PlainUnpickler(_LegacyUnpickler):
    """For the nested network pickles, which hold only a dict of bytes: no global at all."""

    allowed = {}


def is_legacy_pickle(magic):
    """Whether a file's first bytes start a pickle (the original's checkpoints are pickles)."""
    return magic.startswith(PICKLE_MAGIC)


def _unpickle(data, unpickler, path, what):
    try:
        return unpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as error:
        raise UserError(f"{path}: {what} refused: {error}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as error:
        raise UserError(f"{path}: {what} is damaged or truncated ({type(error).__name__}: {error})") from None


def _legacy_weights(serialized, path, which):
    if not isinstance(serialized, bytes):
        raise UserError(f"{path}: legacy checkpoint's {which} is not a serialized network")
    payload = _unpickle(serialized, _PlainUnpickler, path, f"legacy checkpoint's {which}")
    if not isinstance(payload, dict) or not isinstance(payload.get("model_weights"), list):
        raise UserError(f"{path}: legacy checkpoint's {which} has no 'model_weights' list")
    weights = []
    for index, item in enumerate(payload["model_weights"]):
        if not isinstance(item, bytes):
            raise UserError(f"{path}: legacy checkpoint's {which} weight {index} is not np.save bytes")
        weights.append(load_npy(item, path, f"{which} weight {index}"))
    return weights


def read_legacy_checkpoint(path):
    """A `Checkpoint` from the original's pickle, train/'s (both networks) or gen/'s (the generator alone:
    its `discriminator` is None)."""
    path = Path(path)
    state = _unpickle(path.read_bytes(), _LegacyUnpickler, path, "legacy checkpoint")
    if not isinstance(state, _LegacyTrainingState):
        raise UserError(f"{path}: not a legacy checkpoint (the pickle holds {type(state).__name__}, "
                        f"not {LEGACY_MODULE}.{STATE_CLASS})")
    attributes = vars(state)
    missing = [key for key in ("options", "epoch_i", "generator") if key not in attributes]
    if missing or not isinstance(attributes["options"], _LegacyTrainingOptions):
        raise UserError(f"{path}: legacy checkpoint lacks {', '.join(missing) or 'its TrainingOptions'}")
    seed_options = vars(attributes["options"])
    try:
        resolution = int(seed_options["resolution"])
        latent_size = int(seed_options.get("latent_size", 64))
        epoch = int(attributes["epoch_i"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path}: legacy checkpoint's options lack a valid resolution or latent_size") from None
    options = {OUR_NAME.get(key, key): value for key, value in seed_options.items()
               if isinstance(value, (int, float, str, type(None)))}
    discriminator = attributes.get("discriminator")
    return Checkpoint(epoch=epoch,
                      networks={"resolution": resolution, "latent_size": latent_size, "channel_scale": 1.0},
                      generator=_legacy_weights(attributes["generator"], path, "generator"),
                      discriminator=(None if discriminator is None else
                                     _legacy_weights(discriminator, path, "discriminator")),
                      options=options, source="legacy")


# ---- writing ------------------------------------------------------------------------------------

def _serialize_network(weights):
    """A network as the original stores it: a pickled dict of `np.save` bytes, in get_weights() order."""
    def npy(array):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array), allow_pickle=False)
        return buffer.getvalue()
    return pickle.dumps({"model_weights": [npy(array) for array in weights]}, protocol=PROTOCOL)


def _plain(value):
    """Pickle opcodes for a plain value (str, number, None, bytes), without protocol header and STOP.
    Its memo entries may reuse another piece's numbers: each piece reads back only what it stored."""
    return pickle.dumps(value, protocol=PROTOCOL)[2:-1]


def _seed_instance(class_name, items):
    """Opcodes that rebuild an instance of the original's `train.<class_name>` from `items`, a list of
    (name, opcodes of the value), as pickle does for a plain object: the class by name, `cls.__new__`,
    then its `__dict__`. Written by hand because the classes exist only in the original's scripts."""
    return (pickle.GLOBAL + f"{LEGACY_MODULE}\n{class_name}\n".encode() + pickle.EMPTY_TUPLE + pickle.NEWOBJ
            + pickle.EMPTY_DICT + pickle.MARK + b"".join(_plain(name) + value for name, value in items)
            + pickle.SETITEMS + pickle.BUILD)


def seed_training_options(checkpoint, path):
    """The values of the original's train-side TrainingOptions, from the options a checkpoint records."""
    values = {key: checkpoint.options.get(OUR_NAME.get(key, key)) for key in LEGACY_TRAINING_KEYS}
    values["resolution"] = int(checkpoint.networks["resolution"])
    values["latent_size"] = int(checkpoint.networks["latent_size"])
    missing = [OUR_NAME.get(key, key) for key, value in values.items() if value is None]
    if missing:
        raise UserError(f"{path}: the checkpoint does not record {', '.join(missing)}, which the original's "
                        "train/main.py needs")
    return values


def write_legacy_checkpoint(path, checkpoint, source, use_ema=True):
    """Write `checkpoint` as the original's pickle, atomically; `source` names it in messages.

    With a discriminator it is train/'s layout (the original's main.py resumes from it, its path.py makes
    frames); without one, gen/'s generator-only layout. The moving-average generator is written as the
    generator when there is one and `use_ema`. A model at channel_scale != 1 is refused: the original's
    scripts could not build it.
    """
    channel_scale = float(checkpoint.networks.get("channel_scale", 1.0))
    if channel_scale != 1.0:
        raise UserError(f"{source}: a model at channel_scale {channel_scale:g}; the original's scripts build "
                        "only full-width networks (channel_scale 1), so they could not read it")
    use_ema = use_ema and checkpoint.generator_ema is not None
    generator = checkpoint.generator_ema if use_ema else checkpoint.generator
    if checkpoint.discriminator is None:
        options = {"resolution": int(checkpoint.networks["resolution"]),
                   "latent_size": int(checkpoint.networks["latent_size"])}
        state = [("generator", _serialize_network(generator)), ("epoch_i", int(checkpoint.epoch))]
    else:
        options = seed_training_options(checkpoint, source)
        state = [("epoch_i", int(checkpoint.epoch)), ("generator", _serialize_network(generator)),
                 ("discriminator", _serialize_network(checkpoint.discriminator))]
    options_opcodes = _seed_instance(OPTIONS_CLASS, [(key, _plain(value)) for key, value in options.items()])
    state_opcodes = _seed_instance(STATE_CLASS, [("options", options_opcodes)]
                                   + [(key, _plain(value)) for key, value in state])
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(pickle.PROTO + bytes([PROTOCOL]) + state_opcodes + pickle.STOP)


def read_checkpoint(path):
    """A `Checkpoint` from either format, ours or the original's pickle; a one-line UserError naming the
    file for anything wrong."""
    magic = file_magic(path)
    if magic.startswith(ZIP_MAGIC):
        return read_drawing_checkpoint(path)
    if is_legacy_pickle(magic):
        return read_legacy_checkpoint(path)
    if not magic:
        raise UserError(f"{path}: checkpoint file is empty")
    raise UserError(f"{path}: not a checkpoint (neither this project's format nor the original's pickle)")


def read_model(path):
    """(file, Checkpoint) of a checkpoint file or of a run folder's newest checkpoint; for a run folder whose
    newest checkpoint cannot be read, the error says which older one to give instead."""
    file = resolve_checkpoint(path)
    try:
        return file, read_checkpoint(file)
    except UserError as error:
        older = list_checkpoints(path)[:-1] if Path(path).is_dir() else []
        if not older:
            raise
        raise UserError(f"{error}; it is the run folder's newest checkpoint: give an older one instead, "
                        f"e.g. {older[-1]}") from None


def check_export_output(output, model, overwrite):
    """The output must be a new file (or replaceable with `overwrite`) and never the input or inside it."""
    check_not_overlapping(output, [model], option="output")
    if output.is_dir():
        raise UserError(f"{output}: is a folder; give the name of the file to write")
    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists; add --overwrite to replace it")


def export_checkpoint(model, output, use_ema=True, overwrite=False):
    """train/export.py: write the checkpoint `model` (a file, or a run folder's newest) to the file `output`
    in the original's format (`write_legacy_checkpoint`); (the checkpoint file read, its Checkpoint)."""
    output, model = Path(output), Path(model)
    source = resolve_checkpoint(model)
    check_export_output(output, model, overwrite)
    checkpoint = read_checkpoint(source)
    write_legacy_checkpoint(output, checkpoint, source, use_ema=use_ema)
    return source, checkpoint
