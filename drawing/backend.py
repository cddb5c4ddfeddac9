"""TensorFlow and Keras as the package uses them: the one place that chooses tf-keras (Keras 2).

Every module that needs TensorFlow takes it from here (`from drawing.backend import tf`, and `keras` the
same way), so the choice is made before TensorFlow is first imported, whichever script runs. The
original scripts asked their users to `export TF_USE_LEGACY_KERAS=1`; here nobody needs to: `keras` is
`tf_keras` itself, and the variable is set too, so that `tf.keras` means the same library in any other
code of the process. `keras` is imported on first use, as the data stage needs TensorFlow alone.

What TensorFlow prints as it starts (absl's, oneDNN's and CUDA's lines, "failed call to cuInit" on a
machine without a GPU; TF_CPP_MIN_LOG_LEVEL does not silence them) is held back, and shown only if
TensorFlow fails to start, or when drawing.console.VERBOSE_VARIABLE is set (a script's --verbose).
"""
import importlib
import os

from drawing.console import held_back_stderr

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["keras", "tf"]


with held_back_stderr():
    import tensorflow as tf
    tf.config.list_physical_devices()   # the devices are looked for now, and what that prints is held back too


def __getattr__(name):
    if name == "keras":
        return importlib.import_module("tf_keras")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
