"""The Keras this package uses: tf-keras (Keras 2), as the seed's `export TF_USE_LEGACY_KERAS=1` selects.

Importing `tf_keras` directly works whatever the environment says; the variable is still set so that
`tf.keras` in any other module of the same process means the same library.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tf_keras as keras  # noqa: E402  (after the environment is set)

__all__ = ["keras"]
