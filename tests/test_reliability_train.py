"""train/ given what careless or unlucky users give it: each a one-line error naming the file, the input
left as it was. An options.json that is a folder, `[` in a shard path, a shard folder whose tfrecord.py
run was killed, a truncated or bit-flipped shard (named with the record), and other errors left alone; and a
run killed midway resumes to the uninterrupted result."""
import json
import shutil

import numpy as np
import pytest
import tensorflow as tf
from helpers import checksums, error_line, kill_when, limit_file_size, run_script, start_script

from drawing.data.tfrecord import RECORD_FRAMING_BYTES, ShardWriter, serialize_example
from drawing.errors import UserError
from drawing.folders import write_record
from drawing.gan.checkpoint import ARRAY_GROUPS
from drawing.gan.dataset import data_errors_named
from drawing.gan.legacy import read_checkpoint
from drawing.gan.options import dataset_files, parse_options
from drawing.gan.training import train_run
from drawing.images import encode_png

RESOLUTION = 8
RECORDS_PER_SHARD = 8
TINY = {"resolution": RESOLUTION, "replica_batch_size": 4, "epoch_sample_count": 8, "total_sample_count": 8,
        "latent_size": 8, "channel_scale": 1 / 32, "seed": 1}


def _record():
    tile = np.full((RESOLUTION, RESOLUTION, 3), 255, np.uint8)
    tile[2:6, 2:6] = 0
    return serialize_example(encode_png(tile), tile.shape)


RECORD = _record()
RECORD_BYTES = len(RECORD) + RECORD_FRAMING_BYTES   # each record's place in a shard


def write_shards(folder, shards=2):
    """Shards of identical tiles, as tfrecord.py writes them: RECORDS_PER_SHARD records each."""
    with ShardWriter(folder, shard_bytes=RECORDS_PER_SHARD * RECORD_BYTES) as writer:
        for _ in range(shards * RECORDS_PER_SHARD):
            writer.write(RECORD)
    assert len(writer.shards) == shards
    return folder


def make_run(folder, pattern, **changes):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "options.json").write_text(json.dumps({**TINY, "dataset_file_pattern": str(pattern), **changes}))
    return folder


def train(run_dir):
    train_run(run_dir)


def test_an_options_json_that_is_a_folder_is_named_as_one(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "options.json").mkdir(parents=True)
    with pytest.raises(UserError, match="options.json: is a folder; the run folder's options must be a JSON "
                                        "file") as error:
        train(run_dir)
    assert "not found" not in str(error.value)


def test_a_square_bracket_in_a_shard_path_is_not_a_glob(tmp_path):
    shards = write_shards(tmp_path / "tiles [2024]" / "tfrecord")
    options = parse_options({**TINY, "dataset_file_pattern": str(shards / "*.tfrecord")})
    assert dataset_files(options.dataset_file_pattern) == [str(shards / "0.tfrecord"), str(shards / "1.tfrecord")]


def test_a_pattern_naming_the_shard_folder_says_to_name_the_shards(tmp_path):
    shards = write_shards(tmp_path / "tfrecord")
    with pytest.raises(UserError, match=r"it is a folder, name its shards, e.g. '.*tfrecord/\*.tfrecord'"):
        dataset_files(str(shards))


@pytest.mark.parametrize("complete", [False, True])
def test_a_shard_folder_left_by_a_killed_tfrecord_run_is_refused(tmp_path, complete):
    shards = write_shards(tmp_path / "tfrecord")
    command = "python tfrecord.py tile --dir_out=tfrecord --size=300MB"
    write_record(shards, {"stage": "tfrecord.py", "command": command}, complete=complete)
    run_dir = make_run(tmp_path / "run", shards / "*.tfrecord")
    if complete:
        assert len(dataset_files(str(shards / "*.tfrecord"))) == 2
        return
    with pytest.raises(UserError) as error:
        train(run_dir)
    assert str(error.value) == (f"{shards}: shard folder is incomplete (tfrecord.py was interrupted); "
                                f"finish it by rerunning: {command}")
    assert not (run_dir / "options.used.json").exists()


def _truncate(shard, record):
    data = shard.read_bytes()
    shard.write_bytes(data[:record * RECORD_BYTES + RECORD_BYTES // 2])


def _flip_a_bit(shard, record):
    data = bytearray(shard.read_bytes())
    data[record * RECORD_BYTES + RECORD_BYTES // 2] ^= 0x10
    shard.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, record, message, reals_written", [
    # Damage met while the first epoch trains (the reals grid is already there).
    (_truncate, 5, "the shard ends inside record 5 (it is truncated", True),
    # Damage met while the reals grid is drawn, before training.
    (_flip_a_bit, 3, "record 3 is corrupted (its bytes do not match their checksum)", False),
])
def test_a_damaged_shard_is_named_with_its_record(tmp_path, damage, record, message, reals_written):
    shards = write_shards(tmp_path / "tfrecord")
    damage(shards / "1.tfrecord", record)
    before = checksums(shards)
    run_dir = make_run(tmp_path / "run", shards / "*.tfrecord", shuffle_buffer=16)
    if reals_written:
        (run_dir / "reals.png").write_bytes(b"drawn by an earlier run")
    with pytest.raises(UserError) as error:
        train(run_dir)
    assert str(error.value).startswith(f"{shards / '1.tfrecord'}: {message}")
    assert "rewrite the shards with tfrecord.py" in str(error.value) and "\n" not in str(error.value)
    assert checksums(shards) == before and not (run_dir / "1.checkpoint").exists()


@pytest.mark.parametrize("error", [
    tf.errors.InvalidArgumentError(None, None, "Incompatible shapes: [4,8] vs. [4,16] [Op:AddV2]"),
    tf.errors.DataLossError(None, None, "Checksum does not match: stored 1 vs. calculated on the restored bytes 2"),
])
def test_errors_not_about_the_shards_keep_their_traceback(tmp_path, error):
    shards = write_shards(tmp_path / "tfrecord")
    with pytest.raises(type(error)) as raised:
        with data_errors_named([str(shards / "0.tfrecord"), str(shards / "1.tfrecord")]):
            raise error
    assert raised.value is error


def test_a_training_run_killed_midway_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL main.py once its first checkpoint exists (it is then in epoch 2, maybe writing a checkpoint):
    the same command finishes the run, bit for bit as a run that was never interrupted, no temp files left."""
    write_shards(tmp_path / "shards")
    options = {"total_sample_count": 24, "epoch_sample_count": 8}
    whole = make_run(tmp_path / "whole", str(tmp_path / "shards" / "*.tfrecord"), **options)
    killed = make_run(tmp_path / "killed", str(tmp_path / "shards" / "*.tfrecord"), **options)
    kill_when(start_script("train", "main.py", killed), lambda: (killed / "1.checkpoint").exists())
    assert not (killed / "3.checkpoint").exists()
    train(whole)      # main.py's work in this process: the uninterrupted run,
    train(killed)     # and the same command again
    assert not list(killed.glob(".*.tmp"))
    original, again = read_checkpoint(whole / "3.checkpoint"), read_checkpoint(killed / "3.checkpoint")
    for group in ARRAY_GROUPS:
        for a, b in zip(getattr(original, group), getattr(again, group)):
            np.testing.assert_array_equal(a, b, err_msg=group)


def test_a_full_disk_while_training_is_one_line_naming_the_checkpoint(tmp_path):
    """A file-size limit stands in for a full disk; the checkpoint is the first file larger than it."""
    write_shards(tmp_path / "shards")
    run_dir = make_run(tmp_path / "run", tmp_path / "shards" / "*.tfrecord")
    completed = run_script("train", "main.py", run_dir, check=False, preexec_fn=limit_file_size(30_000))
    assert error_line(completed) == (
        f"error: {run_dir}/1.checkpoint: cannot write: the file is larger than this system allows (a file-size "
        "limit); raise the limit or write elsewhere, then run the same command again")
    assert not list(run_dir.glob(".*.tmp"))


def _cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A run folder trained for its one epoch: 1.checkpoint, a good one."""
    root = tmp_path_factory.mktemp("trained")
    shards = write_shards(root / "tfrecord")
    run_dir = make_run(root / "run", shards / "*.tfrecord")
    train(run_dir)
    return run_dir


@pytest.mark.parametrize("damage, problem", [(_cut_in_half, "checkpoint is damaged or truncated"),
                                             (_random_bytes, "not a checkpoint")])
@pytest.mark.parametrize("older", [False, True])
def test_a_damaged_newest_checkpoint_says_how_to_resume_without_it(trained_run, tmp_path, damage, problem, older):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_run, run_dir)
    newest = run_dir / "1.checkpoint"
    if older:
        newest = run_dir / "2.checkpoint"
        newest.write_bytes((run_dir / "1.checkpoint").read_bytes())
    damage(newest)
    before = checksums(run_dir, leave_out=["log.txt"])   # each run appends to its log
    with pytest.raises(UserError) as error:
        train(run_dir)
    then = "resume from 1.checkpoint" if older else "start the run afresh"
    assert str(error.value).startswith(f"{newest}: {problem}")
    assert str(error.value).endswith(f"; it is this run folder's newest checkpoint: move it out of the folder to "
                                     f"{then}, then run the same command again")
    assert checksums(run_dir, leave_out=["log.txt"]) == before
    newest.rename(tmp_path / newest.name)   # as the message says
    # The folder is then the trained one (without its checkpoint when that was the damaged one), whatever
    # the damage was: the same command is run on it once for each kind of advice.
    expected = {name: sha for name, sha in checksums(trained_run, leave_out=["log.txt"]).items()
                if older or name != "1.checkpoint"}
    assert checksums(run_dir, leave_out=["log.txt"]) == expected
    if damage is _cut_in_half:
        train(run_dir)
        assert (run_dir / "1.checkpoint").exists()
