"""The generator with 8-bit weights, run by TensorFlow Lite: about twice as fast on a CPU.

TensorFlow Lite's dynamic-range quantisation stores every convolution and dense kernel in int8 (a
scale per output channel) and quantises each layer's input on the fly, so the heavy arithmetic runs
in 8-bit integer instructions (XNNPACK; AVX512-VNNI or AVX-VNNI where the CPU has them). Kernels of
under 1024 numbers (the 1x1 to-RGB convolutions, small `channel_scale` models) stay float32.

The price is precision: frames differ from the float32 generator's by about half a grey level on
average and a few levels at worst (bench/bench_gen.py prints both numbers for the model it times).
gen/path.py uses this for `--int8`. It runs on the CPU, even where TensorFlow has a GPU.

Converting takes seconds (8-16 s at 256 px full width), so converted models are kept in a cache
folder (`default_cache_dir()`: $DRAWING_CACHE, else $XDG_CACHE_HOME/drawing, else ~/.cache/drawing,
then int8/), named by a hash of the weights, the batch size and the converter's version; the
`CACHED_MODELS` most recently used are kept. Deleting the folder is always safe.
"""
import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from drawing.backend import keras, tf
from drawing.console import held_back_stderr
from drawing.files import write_bytes_atomic
from drawing.gan.layers import UpsampleConv2d
from drawing.gan.models import images_per_chunk
from drawing.parallel import default_workers

log = logging.getLogger(__name__)

# Bump when int8_flatbuffer() would convert the same weights differently: old cache entries then miss.
CONVERSION_VERSION = 1
CACHED_MODELS = 8


def _copy_with_pooled_blur(layer):
    config = layer.get_config()
    if isinstance(layer, UpsampleConv2d):
        config["blur_by_pooling"] = True
    return type(layer).from_config(config)


def with_pooled_blur(model):
    """A copy of a generator, same weights, whose upsampling convolutions blur by average pooling:
    for TensorFlow Lite, where a depthwise blur kernel would itself be quantised and run on a slow path."""
    copy = keras.models.clone_model(model, clone_function=_copy_with_pooled_blur)
    copy.set_weights(model.get_weights())
    return copy


def int8_flatbuffer(model, batch_size):
    """The TensorFlow Lite model (bytes) of a generator `tf_keras.Model`, for batches of `batch_size`.

    The batch is fixed: with a free batch dimension the transposed convolutions get a run-time output
    shape, which XNNPACK does not take, and TensorFlow Lite falls back to kernels hundreds of times slower.
    """
    copy = with_pooled_blur(model)
    latent_size = int(model.inputs[0].shape[-1])
    generate = tf.function(lambda latents: tf.clip_by_value(copy(latents, training=False), 0.0, 1.0),
                           input_signature=[tf.TensorSpec([batch_size, latent_size], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([generate.get_concrete_function()], copy)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.experimental_lower_to_saved_model = False  # a frozen graph converts in 2/3 of the time
    return converter.convert()


def default_cache_dir():
    """Where converted models are kept between runs (see the module's docstring)."""
    root = os.environ.get("DRAWING_CACHE")
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drawing"
    return Path(root) / "int8"


def conversion_key(model, batch_size):
    """A name for the converted model: the same exactly when the weights, shapes and batch are."""
    digest = hashlib.sha256()
    weights = model.get_weights()
    digest.update(json.dumps({"version": CONVERSION_VERSION, "tensorflow": tf.__version__, "batch": batch_size,
                              "shapes": [list(weight.shape) for weight in weights]}).encode())
    for weight in weights:
        digest.update(np.ascontiguousarray(weight, dtype=np.float32).data)
    return digest.hexdigest()[:32]


def _forget_all_but_newest(cache_dir, keep):
    cached = sorted(cache_dir.glob("*.tflite"), key=lambda path: path.stat().st_mtime, reverse=True)
    for path in cached[keep:]:
        path.unlink(missing_ok=True)


def cached_int8_flatbuffer(model, batch_size, cache_dir):
    """`int8_flatbuffer(model, batch_size)`, from `cache_dir` when converted before: (bytes, was cached).

    A cache that cannot be written is said in a warning; the conversion is used all the same.
    """
    path = Path(cache_dir) / f"{conversion_key(model, batch_size)}.tflite"
    try:
        flatbuffer = path.read_bytes()
        os.utime(path)   # most recently used: pruned last
        return flatbuffer, True
    except OSError:
        pass
    flatbuffer = int8_flatbuffer(model, batch_size)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, flatbuffer)
        _forget_all_but_newest(path.parent, CACHED_MODELS)
    except OSError as error:
        log.warning(f"{path.parent}: cannot keep the converted model ({error.strerror or error}); "
                    "the next run converts again")
    return flatbuffer, False


def _interpreter(flatbuffer, threads):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        # Where LiteRT has no wheel (Windows): TensorFlow's own copy of the runtime, which warns that
        # it is deprecated in favour of the LiteRT that cannot be installed there.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
    return Interpreter(model_content=flatbuffer, num_threads=threads)


class Int8Generator:
    """`g(latents)`: float32 [N, latent_size] -> numpy float32 [N, R, R, 3] in [0, 1], as
    `drawing.gan.Generator` but with 8-bit weights, in batches of `batch_size` (the last one padded;
    fewer at high resolutions, where memory is bounded as for the float32 generator). With `cache_dir`,
    the conversion is read from there when it was made before, and kept there when not."""

    def __init__(self, generator, batch_size, threads=None, cache_dir=None):
        self.latent_size = generator.latent_size
        self.resolution = generator.resolution
        self.batch_size = min(batch_size, images_per_chunk(generator.resolution))
        if cache_dir is None:
            flatbuffer, self.was_cached = int8_flatbuffer(generator.model, self.batch_size), False
        else:
            flatbuffer, self.was_cached = cached_int8_flatbuffer(generator.model, self.batch_size, cache_dir)
        with held_back_stderr():   # TensorFlow Lite's start-up line ("Created ... XNNPACK delegate")
            self._interpreter = _interpreter(flatbuffer, threads or default_workers())
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def __call__(self, latents):
        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.latent_size:
            raise ValueError(f"latents must have shape [N, {self.latent_size}], not {latents.shape}")
        images = np.empty((len(latents), self.resolution, self.resolution, 3), np.float32)
        for start in range(0, len(latents), self.batch_size):
            batch = latents[start:start + self.batch_size]
            count = len(batch)
            if count < self.batch_size:
                batch = np.concatenate([batch, np.zeros((self.batch_size - count, self.latent_size), np.float32)])
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            images[start:start + count] = self._interpreter.get_tensor(self._output)[:count]
        return images
