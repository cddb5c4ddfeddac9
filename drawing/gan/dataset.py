"""The training images: tfrecord shards (schema in drawing/data/tfrecord.py) to batches of float images.

Shards are read in parallel, records shuffled (as encoded bytes, which keeps the buffer small), PNGs
decoded in parallel to float RGB in [0, 1], batched and prefetched, so the accelerator never waits.
Grayscale and RGBA records become RGB (transparency laid on white paper, as everywhere in the project).

Resuming must see the same images as a run that never stopped, so the stream is cut into epochs: epoch
e draws from a shuffle seeded by (seed, e), exactly the number of batches the loop takes in that epoch.
"""
import contextlib
import re

from drawing.backend import tf
from drawing.data.tfrecord import feature_description
from drawing.errors import UserError

PARALLEL_READS = 4


def decode_image(serialized, shard, resolution):
    """One record to a float32 [R, R, 3] image in [0, 1]; a failed check names the shard."""
    parsed = tf.io.parse_single_example(serialized, feature_description())
    rgba = tf.image.convert_image_dtype(tf.io.decode_png(parsed["image_bytes"], channels=4), tf.float32)
    height, width = tf.shape(rgba)[0], tf.shape(rgba)[1]
    message = tf.strings.join(["tfrecord shard ", shard, " holds a ", tf.strings.as_string(width), " x ",
                               tf.strings.as_string(height),
                               f" image; the options ask for {resolution} x {resolution}"])
    tf.debugging.Assert(tf.logical_and(tf.equal(height, resolution), tf.equal(width, resolution)), [message])
    alpha = rgba[..., 3:]
    rgb = rgba[..., :3] * alpha + (1.0 - alpha)
    return tf.ensure_shape(rgb, [resolution, resolution, 3])


SIZE_MISMATCH = re.compile(r"tfrecord shard (.+?) holds a (\d+ x \d+) image; the options ask for (\d+) x")
# TensorFlow's words for a record whose bytes fail their checksums, or a shard that ends inside one.
DAMAGED_RECORD = re.compile(r"\b(truncated|corrupted) record at \d+")
# The ops that fail on a record that reads fine but is not an Example holding a PNG.
UNDECODABLE_RECORD = re.compile(r"\{\{node (DecodePng|ParseSingleExample)")
# What TensorFlow wraps around the reason: the function it ran in, the op, the node.
TF_DECORATION = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*(\[Op:|\n\s*\[\[).*", re.DOTALL)


def core_message(error):
    """TensorFlow's reason for an error, without the function, op and node names around it."""
    return TF_DECORATION.sub("", error.message).strip().splitlines()[0]


def find_unreadable_record(files, decode):
    """(shard, index of its first bad record, the error) of the first shard holding a record that
    cannot be read (or, with `decode`, parsed and decoded as a PNG); None if every record is good.
    Reads every shard up to the bad record: for the message after a failure, not for every run."""
    for shard in files:
        index = 0
        try:
            for record in tf.data.TFRecordDataset([str(shard)]):
                if decode:
                    tf.io.decode_png(tf.io.parse_single_example(record, feature_description())["image_bytes"])
                index += 1
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
            return shard, index, error
    return None


def _bad_record_message(shard, index, error):
    damage = DAMAGED_RECORD.search(error.message)
    if damage and damage.group(1) == "truncated":
        problem = f"the shard ends inside record {index} (it is truncated: a copy or a tfrecord.py run cut short)"
    elif damage:
        problem = f"record {index} is corrupted (its bytes do not match their checksum)"
    else:
        problem = f"record {index} is not a tile's PNG ({core_message(error)})"
    return f"{shard}: {problem}; rewrite the shards with tfrecord.py, or move this shard away"


def describe_data_error(error, files):
    """One line naming the shard (and the record) for a TensorFlow error about the training data in
    `files`; None for any other error, which is a bug and keeps its traceback."""
    mismatch = SIZE_MISMATCH.search(error.message)
    if mismatch:
        shard, size, resolution = mismatch.groups()
        return f"{shard}: holds a {size} px image, but options.json's resolution is {resolution}"
    damaged = isinstance(error, tf.errors.DataLossError) and DAMAGED_RECORD.search(error.message)
    undecodable = isinstance(error, tf.errors.InvalidArgumentError) and UNDECODABLE_RECORD.search(error.message)
    if not (damaged or undecodable):
        return None
    found = find_unreadable_record(files, decode=bool(undecodable))
    if found is None:   # not found again (a shard replaced meanwhile?): still say what TensorFlow said
        return f"a training shard could not be read ({core_message(error)}); check them with tfrecord_reverse.py"
    return _bad_record_message(*found)


@contextlib.contextmanager
def data_errors_named(files):
    """Turn TensorFlow's errors about damaged training data into a one-line UserError naming the shard
    and the record; every other error keeps its traceback."""
    try:
        yield
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        problem = describe_data_error(error, files)
        if problem is None:
            raise
        raise UserError(problem) from None


def check_shards(files, resolution):
    """Read each shard's first record: a clear error before training if one is empty, damaged or holds
    images of another size (the pipeline checks every record too; this just fails fast)."""
    for shard in files:
        try:
            first = next(iter(tf.data.TFRecordDataset([shard]).take(1)), None)
            if first is None:
                raise UserError(f"{shard}: shard holds no records")
            decode_image(first, shard, resolution)
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
            if SIZE_MISMATCH.search(error.message):
                raise UserError(describe_data_error(error, [shard])) from None
            raise UserError(f"{shard}: not a readable tfrecord shard of PNG images ({core_message(error)})") from None


def _epoch_records(files, seed, epoch, shuffle_buffer, pipeline_count, pipeline_index):
    """(shard, serialized record) pairs, endlessly, in an order fixed by (seed, epoch)."""
    epoch_seed = seed * 1_000_003 + epoch * 7919 + pipeline_index
    shards = tf.data.Dataset.from_tensor_slices(tf.constant(files))
    if pipeline_count > 1 and len(files) >= pipeline_count:
        shards = shards.shard(pipeline_count, pipeline_index)
    shards = shards.shuffle(len(files), seed=epoch_seed, reshuffle_each_iteration=True).repeat()
    records = shards.interleave(
        lambda shard: tf.data.TFRecordDataset(shard).map(lambda record: (shard, record)),
        cycle_length=min(PARALLEL_READS, len(files)), block_length=1,
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if pipeline_count > 1 and len(files) < pipeline_count:
        records = records.shard(pipeline_count, pipeline_index)
    return records.shuffle(shuffle_buffer, seed=epoch_seed + 1, reshuffle_each_iteration=True)


def make_dataset(files, resolution, batch_size, batches_per_epoch, seed=0, shuffle_buffer=1000,
                 pipeline_count=1, pipeline_index=0):
    """Batches of float32 [batch_size, R, R, 3] images, `batches_per_epoch[i]` of them for the i-th epoch.

    `batches_per_epoch`: {epoch: number of batches}, in order (from the resumed epoch to the last).
    """
    epochs = list(batches_per_epoch)
    counts = [batches_per_epoch[e] for e in epochs]
    files = [str(f) for f in files]

    def epoch_batches(epoch, count):
        records = _epoch_records(files, seed, epoch, shuffle_buffer, pipeline_count, pipeline_index)
        images = records.map(lambda shard, record: decode_image(record, shard, resolution),
                             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return images.batch(batch_size, drop_remainder=True).take(count)

    epochs_ds = tf.data.Dataset.from_tensor_slices((tf.constant(epochs, tf.int64), tf.constant(counts, tf.int64)))
    dataset = epochs_ds.flat_map(epoch_batches).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return dataset.with_options(options)
