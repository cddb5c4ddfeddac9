"""The seed's checkpoints: its pickles read into a `Checkpoint`, and written from one (train/export.py).

This module alone knows the seed's format (docs/checkpoint.md), so the rest of the code knows ours only.
The seed's scripts pickle a `train.TrainingState` whose `__dict__` holds
- from train/ (a training run): `options` (a `train.TrainingOptions` with SEED_TRAINING_KEYS), `epoch_i`,
  `generator`, `discriminator`;
- from gen/ (the generator alone, as someone sharing just the generator has it): `options` (a
  `train.TrainingOptions` with `resolution` and `latent_size`), `generator`, `epoch_i`.
Each network is the bytes of a pickled `{'model_weights': [np.save bytes, ...]}` in `get_weights()`
order, at the seed's widths (channel_scale 1).

Reading never runs code: the unpickler resolves exactly the seed's two classes, by name, to inert
stand-ins and refuses any other global; the network pickles may hold no global at all; every array is
loaded with `allow_pickle=False`.
"""
import io
import pickle
from pathlib import Path

import numpy as np

from drawing.cli import UserError
from drawing.files import atomic_path
from drawing.gan.checkpoint import Checkpoint, load_npy

PICKLE_MAGIC = b"\x80"
SEED_MODULE = "train"
STATE_CLASS, OPTIONS_CLASS = "TrainingState", "TrainingOptions"
# The seed's train-side TrainingOptions, in its order; all but the first keep our option names.
SEED_TRAINING_KEYS = ("real_images_file_pattern", "resolution", "replica_batch_size", "epoch_sample_count",
                      "total_sample_count", "learning_rate", "latent_size", "beta_1", "beta_2")
OUR_NAME = {"real_images_file_pattern": "dataset_file_pattern"}
# Written with protocol 3: every Python 3 reads it, and it stores bytes as bytes (protocol 2 would not).
PROTOCOL = 3


# ---- reading ------------------------------------------------------------------------------------

class _SeedRecord:
    """Stands in for the seed's `train.TrainingState` / `train.TrainingOptions`: only holds attributes."""


class _SeedTrainingState(_SeedRecord):
    pass


class _SeedTrainingOptions(_SeedRecord):
    pass


SEED_CLASSES = {(SEED_MODULE, STATE_CLASS): _SeedTrainingState,
                (SEED_MODULE, OPTIONS_CLASS): _SeedTrainingOptions}


class _SeedUnpickler(pickle.Unpickler):
    """Resolves exactly the seed's two classes (to inert stand-ins); any other global is refused."""

    allowed = SEED_CLASSES

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a seed checkpoint holds only "
                                     f"{SEED_MODULE}.{STATE_CLASS} and {SEED_MODULE}.{OPTIONS_CLASS}")


class _PlainUnpickler(_SeedUnpickler):
    """For the nested network pickles, which hold only a dict of bytes: no global at all."""

    allowed = {}


def is_seed_pickle(magic):
    """Whether a file's first bytes start a pickle (the seed's checkpoints are pickles)."""
    return magic.startswith(PICKLE_MAGIC)


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
        weights.append(load_npy(item, path, f"{which} weight {index}"))
    return weights


def read_seed_checkpoint(path):
    """A `Checkpoint` from the seed's pickle, train/'s (both networks) or gen/'s (the generator alone:
    its `discriminator` is None)."""
    path = Path(path)
    state = _unpickle(path.read_bytes(), _SeedUnpickler, path, "seed checkpoint")
    if not isinstance(state, _SeedTrainingState):
        raise UserError(f"{path}: not a seed checkpoint (the pickle holds {type(state).__name__}, "
                        f"not {SEED_MODULE}.{STATE_CLASS})")
    attributes = vars(state)
    missing = [key for key in ("options", "epoch_i", "generator") if key not in attributes]
    if missing or not isinstance(attributes["options"], _SeedTrainingOptions):
        raise UserError(f"{path}: seed checkpoint lacks {', '.join(missing) or 'its TrainingOptions'}")
    seed_options = vars(attributes["options"])
    try:
        resolution = int(seed_options["resolution"])
        latent_size = int(seed_options.get("latent_size", 64))
        epoch = int(attributes["epoch_i"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path}: seed checkpoint's options lack a valid resolution or latent_size") from None
    options = {OUR_NAME.get(key, key): value for key, value in seed_options.items()
               if isinstance(value, (int, float, str, type(None)))}
    discriminator = attributes.get("discriminator")
    return Checkpoint(epoch=epoch,
                      networks={"resolution": resolution, "latent_size": latent_size, "channel_scale": 1.0},
                      generator=_seed_weights(attributes["generator"], path, "generator"),
                      discriminator=(None if discriminator is None else
                                     _seed_weights(discriminator, path, "discriminator")),
                      options=options, source="seed")


# ---- writing ------------------------------------------------------------------------------------

def _serialize_network(weights):
    """A network as the seed stores it: a pickled dict of `np.save` bytes, in get_weights() order."""
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
    """Opcodes that rebuild an instance of the seed's `train.<class_name>` from `items`, a list of
    (name, opcodes of the value), as pickle does for a plain object: the class by name, `cls.__new__`,
    then its `__dict__`. Written by hand because the classes exist only in the seed's scripts."""
    return (pickle.GLOBAL + f"{SEED_MODULE}\n{class_name}\n".encode() + pickle.EMPTY_TUPLE + pickle.NEWOBJ
            + pickle.EMPTY_DICT + pickle.MARK + b"".join(_plain(name) + value for name, value in items)
            + pickle.SETITEMS + pickle.BUILD)


def seed_training_options(checkpoint, path):
    """The values of the seed's train-side TrainingOptions, from the options a checkpoint records."""
    values = {key: checkpoint.options.get(OUR_NAME.get(key, key)) for key in SEED_TRAINING_KEYS}
    values["resolution"] = int(checkpoint.networks["resolution"])
    values["latent_size"] = int(checkpoint.networks["latent_size"])
    missing = [OUR_NAME.get(key, key) for key, value in values.items() if value is None]
    if missing:
        raise UserError(f"{path}: the checkpoint does not record {', '.join(missing)}, which the seed's "
                        "train/main.py needs")
    return values


def write_seed_checkpoint(path, checkpoint, source, use_ema=True):
    """Write `checkpoint` as the seed's pickle, atomically; `source` names it in messages.

    With a discriminator it is train/'s layout (the seed's main.py resumes from it, its path.py makes
    frames); without one, gen/'s generator-only layout. The moving-average generator is written as the
    generator when there is one and `use_ema`. A model at channel_scale != 1 is refused: the seed's
    scripts could not build it.
    """
    channel_scale = float(checkpoint.networks.get("channel_scale", 1.0))
    if channel_scale != 1.0:
        raise UserError(f"{source}: a model at channel_scale {channel_scale:g}; the seed's scripts build "
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
