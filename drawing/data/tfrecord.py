"""The dataset schema shared by data/ (writing shards) and train/ (reading them).

Each record is a `tf.train.Example` with two features, the original's schema exactly, so shards of either
implementation are interchangeable:
- `image_bytes`: bytes, one PNG file's contents;
- `image_shape`: int64 list [height, width, channels] (channels 1 for grayscale, 3 for RGB, 4 for RGBA).

Read a record back with `tf.io.parse_single_example(serialized, feature_description())` and
`tf.io.decode_png(image_bytes, channels=image_shape[2])`.

Shards are ordinary TFRecord files (per record: length, CRC, data, CRC) named `0.tfrecord`,
`1.tfrecord`, ... in their folder, each of about a chosen size (a shard is closed before the record
that would take it past the size, so only a single record larger than the size makes a larger shard),
each written under a temporary name and renamed when complete.

A PNG's bytes go into a record unchanged when it is 8 bits per channel grayscale, RGB or RGBA without
a transparency chunk (what the tile scripts write); any other PNG (palette, gray + alpha, 16 bits,
transparent colour) is decoded and re-encoded as 8-bit grayscale, RGB or RGBA (`record_mode`).
"""
import contextlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from drawing.errors import UserError, os_error_from_words
from drawing.files import atomic_path

SHARD_SUFFIX = ".tfrecord"
SHARD_NAME = re.compile(r"^\d+\.tfrecord$")


def shard_path(folder, index):
    return Path(folder) / f"{index}{SHARD_SUFFIX}"


def feature_description():
    """The spec for `tf.io.parse_single_example` / `tf.io.parse_example`."""
    from drawing.backend import tf
    return {
        "image_bytes": tf.io.FixedLenFeature([], tf.string),
        "image_shape": tf.io.FixedLenFeature([3], tf.int64),
    }


def serialize_example(png_bytes, shape):
    """One record's bytes for a PNG and its [height, width, channels]."""
    from drawing.backend import tf
    feature = {
        "image_bytes": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png_bytes])),
        "image_shape": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(s) for s in shape])),
    }
    # `feature` is a protobuf map, whose order on the wire may change from one process to the next unless
    # asked to be deterministic: then the same tiles give the same shards, byte for byte, in every run.
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(deterministic=True)


def parse_example(serialized):
    """A record's (png_bytes, shape) as tensors."""
    from drawing.backend import tf
    parsed = tf.io.parse_single_example(serialized, feature_description())
    return parsed["image_bytes"], parsed["image_shape"]


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
CHANNELS_OF_MODE = {"L": 1, "RGB": 3, "RGBA": 4}
MODE_OF_CHANNELS = {channels: mode for mode, channels in CHANNELS_OF_MODE.items()}
# PNG colour type -> the mode its record holds: gray and gray + alpha -> L, RGB and palette -> RGB, RGBA -> RGBA.
MODE_OF_COLOUR_TYPE = {0: "L", 4: "L", 2: "RGB", 3: "RGB", 6: "RGBA"}
# Per record on disk: 8 bytes of length, 4 of its CRC, the data, 4 bytes of the data's CRC.
RECORD_FRAMING_BYTES = 16


@dataclass(frozen=True)
class PngLayout:
    """What a PNG's header chunks say, read without decoding its pixels."""
    height: int
    width: int
    bit_depth: int
    colour_type: int
    transparent: bool

    @property
    def mode(self):
        """The mode of the record made from this PNG: L, RGB or RGBA."""
        return MODE_OF_COLOUR_TYPE[self.colour_type]

    @property
    def shape(self):
        return [self.height, self.width, CHANNELS_OF_MODE[self.mode]]

    @property
    def passes_through(self):
        """Whether the PNG's own bytes decode to exactly `shape`, so they can go into a record as they are."""
        return self.bit_depth == 8 and self.colour_type in (0, 2, 6) and not self.transparent


def png_layout(data, source):
    """The PngLayout of PNG bytes; a UserError naming `source` if they are not a whole PNG file."""
    if not data.startswith(PNG_SIGNATURE):
        raise UserError(f"{source}: not a PNG file")
    if not data.endswith(PNG_END):
        raise UserError(f"{source}: the PNG file is truncated (no end chunk)")
    position, header, transparent = len(PNG_SIGNATURE), None, False
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IHDR" and length == 13:
            header = struct.unpack(">IIBB", data[position + 8:position + 18])
        elif kind == b"tRNS":
            transparent = True
        elif kind == b"IDAT":
            break
        position += 12 + length
    if header is None or header[3] not in MODE_OF_COLOUR_TYPE:
        raise UserError(f"{source}: damaged PNG file (no valid header chunk)")
    width, height, bit_depth, colour_type = header
    return PngLayout(height, width, bit_depth, colour_type, transparent)


def record_mode(channels):
    return MODE_OF_CHANNELS[int(channels)]


@contextlib.contextmanager
def _as_os_error(path):
    """TensorFlow reports a failed write (a full disk and the like) as an OpError whose message ends with
    the C library's words for it: raise the OSError Python would have raised instead."""
    from drawing.backend import tf
    try:
        yield
    except tf.errors.OpError as error:
        translated = os_error_from_words(str(error.message), path)
        if translated is None:
            raise
        raise translated from None


class ShardWriter:
    """Writes serialized records into `0.tfrecord`, `1.tfrecord`, ... of about `shard_bytes` each.

    Each shard is written under a temporary name and renamed when it is closed, so an interrupted run
    never leaves a shard that looks complete. Use as a context manager; `shards` lists what was written.
    """

    def __init__(self, folder, shard_bytes):
        self.folder = Path(folder)
        self.shard_bytes = shard_bytes
        self.shards = []
        self._writer = None
        self._rename = None
        self._bytes = 0

    def write(self, record):
        size = len(record) + RECORD_FRAMING_BYTES
        if self._writer is not None and self._bytes + size > self.shard_bytes:
            self._close_shard()
        if self._writer is None:
            self._open_shard()
        with _as_os_error(self.shards[-1]):
            self._writer.write(record)
        self._bytes += size

    def _open_shard(self):
        from drawing.backend import tf
        path = shard_path(self.folder, len(self.shards))
        self._rename = contextlib.ExitStack()
        temporary = self._rename.enter_context(atomic_path(path))
        with _as_os_error(path):
            self._writer = tf.io.TFRecordWriter(str(temporary))
        self.shards.append(path)
        self._bytes = 0

    def _close_shard(self):
        with _as_os_error(self.shards[-1]):
            self._writer.close()
        self._writer = None
        self._rename.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if self._writer is None:
            return
        if kind is None:
            self._close_shard()
            return
        self._writer.close()
        self._writer = None
        self.shards.pop()
        self._rename.__exit__(kind, error, traceback)
