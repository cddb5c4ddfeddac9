"""The generator a gen/ run uses: loaded from a checkpoint or run folder, or with 8-bit weights (--int8)."""
import logging
from pathlib import Path

from drawing.console import NOTE
from drawing.errors import UserError

log = logging.getLogger(__name__)

INT8_HINT_PIXELS = 64 * 256 * 256  # renders of more than about a minute on a CPU


def load_model(model):
    """The generator of a checkpoint or run folder, TensorFlow imported only now."""
    if not Path(model).exists():
        raise UserError(f"{model}: model not found (give a checkpoint file or a training run folder)")
    from drawing.gan import load_generator
    return load_generator(model)


def int8_hint(frame_count, resolution):
    """A line suggesting --int8 when a long float32 render is about to run on a CPU, else None."""
    if frame_count * resolution * resolution < INT8_HINT_PIXELS:
        return None
    from drawing.backend import tf
    if tf.config.list_physical_devices("GPU"):
        return None
    return "tip: on a CPU, --int8 renders about twice as fast (frames within a few grey levels)"


def to_int8(generator, batch_size):
    """The generator with 8-bit weights under TensorFlow Lite (see drawing.gan.int8), converted once
    per model and batch size and then kept in the cache folder."""
    from drawing.gan.int8 import Int8Generator, default_cache_dir
    cache_dir = default_cache_dir()
    log.log(NOTE, f"int8: preparing the 8-bit generator (converted once per model and batch size, kept in "
                  f"{cache_dir})")
    return Int8Generator(generator, batch_size, cache_dir=cache_dir)
