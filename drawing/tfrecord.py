"""The dataset schema shared by data/ (writing shards) and train/ (reading them).

Each record is a `tf.train.Example` with two features, the seed's schema exactly, so shards of either
implementation are interchangeable:
- `image_bytes`: bytes, one PNG file's contents;
- `image_shape`: int64 list [height, width, channels] (channels 1 for grayscale, 3 for RGB, 4 for RGBA).

Shards are named `0.tfrecord`, `1.tfrecord`, ... in their folder.
"""
import re
from pathlib import Path

SHARD_SUFFIX = ".tfrecord"
SHARD_NAME = re.compile(r"^\d+\.tfrecord$")


def shard_path(folder, index):
    return Path(folder) / f"{index}{SHARD_SUFFIX}"


def feature_description():
    """The spec for `tf.io.parse_single_example` / `tf.io.parse_example`."""
    import tensorflow as tf
    return {
        "image_bytes": tf.io.FixedLenFeature([], tf.string),
        "image_shape": tf.io.FixedLenFeature([3], tf.int64),
    }


def serialize_example(png_bytes, shape):
    """One record's bytes for a PNG and its [height, width, channels]."""
    import tensorflow as tf
    feature = {
        "image_bytes": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png_bytes])),
        "image_shape": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(s) for s in shape])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(serialized):
    """A record's (png_bytes, shape) as tensors."""
    import tensorflow as tf
    parsed = tf.io.parse_single_example(serialized, feature_description())
    return parsed["image_bytes"], parsed["image_shape"]
