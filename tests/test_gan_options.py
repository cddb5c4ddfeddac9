"""options.json: the original's keys and defaults, the new keys, and a one-line error for each kind of mistake."""
import json

import pytest

from drawing.errors import UserError
from drawing.gan.options import dataset_files, load_options, parse_options

SEED_OPTIONS = {"dataset_file_pattern": "/data/*.tfrecord", "resolution": 256, "replica_batch_size": 16,
                "epoch_sample_count": 4096, "total_sample_count": 4194304, "learning_rate": 0.002,
                "latent_size": 64, "beta_1": 0.0, "beta_2": 0.99}


def test_the_originals_options_parse_with_the_originals_behaviour():
    options = parse_options(SEED_OPTIONS)
    assert options.epoch_count == 1024
    assert (options.channel_scale, options.r1_gamma, options.d_reg_interval) == (1.0, 10.0, 16)
    assert options.augment == () and not options.mixed_precision and options.keep_checkpoints is None
    assert options.ema_kimg == 10.0   # the one new behaviour on by default


def test_defaults_fill_what_is_left_out():
    options = parse_options({"dataset_file_pattern": "x", "resolution": 32, "replica_batch_size": 4})
    assert (options.learning_rate, options.latent_size, options.beta_1, options.beta_2) == (0.002, 64, 0.0, 0.99)


def test_new_keys():
    options = parse_options({**SEED_OPTIONS, "augment": "color, cutout", "augment_probability": "adaptive",
                             "ema_kimg": 0, "keep_checkpoints": 3, "devices": "split", "channel_scale": 0.25})
    assert options.augment == ("color", "cutout") and options.adaptive_augment
    assert options.ema_kimg is None and options.keep_checkpoints == 3
    assert options.to_dict()["augment"] == ["color", "cutout"]


@pytest.mark.parametrize("change, message", [
    ({"resolutoin": 256}, "unknown key 'resolutoin'; did you mean 'resolution'"),
    ({"colour": 1}, "unknown key 'colour'"),
    ({"resolution": "256"}, "'resolution' must be a power of two"),
    ({"resolution": 100}, "'resolution' must be a power of two"),
    ({"replica_batch_size": 2.5}, "'replica_batch_size' must be a positive integer"),
    ({"replica_batch_size": True}, "'replica_batch_size' must be a positive integer"),
    ({"learning_rate": -1}, "'learning_rate' must be a positive number"),
    ({"beta_2": 1.0}, "'beta_2' must be a number in"),
    ({"epoch_sample_count": 4004, "total_sample_count": 8008}, "'epoch_sample_count' (4004) must be a multiple of the batch size"),
    ({"total_sample_count": 5000}, "'total_sample_count' (5000) must be a multiple of 'epoch_sample_count'"),
    ({"replica_batch_size": 6, "epoch_sample_count": 4098, "total_sample_count": 4098}, "multiple of 4"),
    ({"augment": "color,flip"}, "'augment' policy 'flip' is unknown"),
    ({"augment_probability": "sometimes"}, "'augment_probability' must be"),
    ({"devices": "gpu"}, "'devices' must be"),
    ({"mixed_precision": "yes"}, "'mixed_precision' must be true or false"),
    ({"channel_scale": 0}, "'channel_scale' must be a number in (0, 1]"),
])
def test_mistakes_are_one_line_errors_naming_the_key(change, message):
    with pytest.raises(UserError) as error:
        parse_options({**SEED_OPTIONS, **change}, source="run/options.json")
    assert message in str(error.value)
    assert str(error.value).startswith("run/options.json: ") and "\n" not in str(error.value)


def test_a_missing_required_key():
    values = dict(SEED_OPTIONS)
    del values["dataset_file_pattern"]
    with pytest.raises(UserError, match="required key 'dataset_file_pattern' is missing"):
        parse_options(values)


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    ("{ not json", "not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
])
def test_bad_options_files(tmp_path, content, message):
    if content is not None:
        (tmp_path / "options.json").write_text(content)
    with pytest.raises(UserError, match=message) as error:
        load_options(tmp_path)
    assert str(tmp_path / "options.json") in str(error.value)


def test_a_pattern_matching_no_shard_names_the_pattern(tmp_path):
    (tmp_path / "options.json").write_text(json.dumps({**SEED_OPTIONS, "dataset_file_pattern":
                                                       str(tmp_path / "shards" / "*.tfrecord")}))
    options = load_options(tmp_path)
    with pytest.raises(UserError, match=r"'dataset_file_pattern' .*shards/\*\.tfrecord' matches no file"):
        dataset_files(options.dataset_file_pattern)
    (tmp_path / "shards").mkdir()
    for index in (10, 2):
        (tmp_path / "shards" / f"{index}.tfrecord").write_bytes(b"")
    assert [p.split("/")[-1] for p in dataset_files(options.dataset_file_pattern)] == ["2.tfrecord", "10.tfrecord"]
