"""Training end to end on tiny shards: the run folder, finite losses, exact resume, legacy checkpoints, bad input."""
import json
import os
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
from helpers import original_networks, run_script, write_legacy_checkpoint
from PIL import Image

from drawing.data.tfrecord import serialize_example, shard_path
from drawing.errors import UserError
from drawing.gan.checkpoint import ARRAY_GROUPS, holds_optimizer_state
from drawing.gan.devices import plan_devices
from drawing.gan.legacy import read_checkpoint
from drawing.gan.options import parse_options
from drawing.gan.training import Run, Trainer, batches_in_epoch, train_run
from drawing.images import encode_png

TINY = {"resolution": 8, "replica_batch_size": 4, "epoch_sample_count": 8, "total_sample_count": 16,
        "latent_size": 8, "channel_scale": 1 / 32, "d_reg_interval": 3, "seed": 5,
        "augment": ["color", "translation", "cutout"], "augment_probability": "adaptive", "ada_kimg": 1}


def write_shards(folder, resolution, shards=2, per_shard=8, mode="RGB"):
    """Tiles of a black square on white paper, as tfrecord.py writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(shards):
        with tf.io.TFRecordWriter(str(shard_path(folder, index))) as writer:
            for _ in range(per_shard):
                tile = np.full((resolution, resolution, 3), 255, np.uint8)
                y, x = rng.integers(0, resolution // 2, 2)
                tile[y:y + resolution // 2, x:x + resolution // 2] = 0
                array = np.asarray(Image.fromarray(tile).convert(mode))
                writer.write(serialize_example(encode_png(array), array.shape if array.ndim == 3 else
                                               (*array.shape, 1)))
    return str(folder / "*.tfrecord")


def make_run(folder, pattern, **changes):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "options.json").write_text(json.dumps({**TINY, "dataset_file_pattern": pattern, **changes}))
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two epochs of main.py, run from train/ as a user runs it (grayscale and RGBA shards included), with
    all of TensorFlow's log lines."""
    root = tmp_path_factory.mktemp("training")
    pattern = write_shards(root / "shards", 8)
    for index, mode in ((2, "L"), (3, "RGBA")):
        write_shards(root / mode, 8, shards=1, mode=mode)
        shutil.copy(root / mode / "0.tfrecord", root / "shards" / f"{index}.tfrecord")
    run_dir = make_run(root / "run", pattern)
    completed = run_script("train", "main.py", run_dir, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0"))
    return run_dir, completed


def test_main_writes_a_run_folder_that_explains_itself(trained):
    run_dir, completed = trained
    for name in ("1.checkpoint", "2.checkpoint", "fakes/1.png", "fakes/2.png", "reals.png", "stats.jsonl",
                 "options.used.json"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "logs").glob("events.out.tfevents.*"))
    assert Image.open(run_dir / "fakes" / "2.png").size == (78, 78)   # 8 x 8 images of 8 px, 2 px apart
    for name in ("d_loss", "d_real", "d_fake", "d_grad_reg", "g_loss", "augment_p"):
        assert name in completed.stdout
    lines = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert all(np.isfinite(line["d_loss"]) and np.isfinite(line["g_loss"]) for line in lines)
    used = json.loads((run_dir / "options.used.json").read_text())
    assert used["ema_kimg"] == 10.0 and used["replicas"] == 1 and used["resolution"] == 8
    log = (run_dir / "log.txt").read_text()
    assert "python main.py" in log.splitlines()[0] and "training on CPU" in log and "Epoch 1/2\n" in log
    assert re.search(r"^Epoch 2/2, about (\d+:)?\d\d:\d\d left$", log, re.M)   # the time the run has left
    assert "g_loss" in log and log.rstrip().endswith(f"done: checkpoints and fakes grids are in {run_dir}")


def test_only_the_newest_checkpoint_keeps_adams_state(trained, tmp_path, console_messages, capsys):
    run_dir, _ = trained
    assert holds_optimizer_state(run_dir / "2.checkpoint") and not holds_optimizer_state(run_dir / "1.checkpoint")
    first = read_checkpoint(run_dir / "1.checkpoint")
    assert first.generator_optimizer is None and first.generator_ema is not None and first.training["batch_count"] == 2
    # Resuming from a slimmed checkpoint works, with a word that Adam starts afresh.
    from_first = tmp_path / "run"
    from_first.mkdir()
    for name in ("options.json", "1.checkpoint"):
        shutil.copy(run_dir / name, from_first / name)
    train_run(from_first)
    said = capsys.readouterr()
    warning = f"warning: {from_first / '1.checkpoint'}: holds no optimizer state (only the newest checkpoint"
    resuming = f"resuming from {from_first / '1.checkpoint'} (drawing format, epoch 1)\n"
    assert warning in said.err and resuming in said.out and (from_first / "2.checkpoint").exists()
    log = (from_first / "log.txt").read_text()
    assert warning in log and resuming in log   # the library's messages reach the log too


def test_a_finished_run_says_so(trained, tmp_path, console_messages, capsys):
    run_dir, _ = trained
    finished = tmp_path / "run"
    finished.mkdir()
    for name in ("options.json", "2.checkpoint"):
        shutil.copy(run_dir / name, finished / name)
    train_run(finished)
    assert capsys.readouterr().out.startswith(f"resuming from {finished / '2.checkpoint'} (drawing format, epoch 2)\n"
                                       f"{finished}: training is already done (2 of 2 epochs); ")


def test_training_changes_the_weights_and_keeps_them_finite(trained):
    run_dir, _ = trained
    first, second = read_checkpoint(run_dir / "1.checkpoint"), read_checkpoint(run_dir / "2.checkpoint")
    for group in ("generator", "discriminator", "generator_ema"):
        assert all(np.isfinite(array).all() for array in getattr(second, group))
        changed = [not np.array_equal(a, b) for a, b in zip(getattr(first, group), getattr(second, group))]
        assert sum(changed) >= len(changed) * 2 // 3, group   # every kernel and bias, not the scales
    assert not np.array_equal(second.generator[0], second.generator_ema[0])
    assert second.training["batch_count"] == 4 and second.training["sample_count"] == 16
    assert 0.0 < second.training["augment_probability"] <= 1.0
    # Adam's step counters: G once per batch; D once per batch plus once per R1 step (batches 0 and 3).
    assert int(second.generator_optimizer[0]) == 4 and int(second.discriminator_optimizer[0]) == 6


@pytest.fixture(scope="module")
def resumed(trained, tmp_path_factory):
    """The trained run again, asked to keep Adam's state in every checkpoint, as it was when killed during
    epoch 2 (even while writing its checkpoint), then restarted; whether 1.checkpoint had Adam's state."""
    run_dir, _ = trained
    resumed = tmp_path_factory.mktemp("resumed") / "run"
    resumed.mkdir()
    values = {**json.loads((run_dir / "options.json").read_text()), "optimizer_state_in": "all"}
    (resumed / "options.json").write_text(json.dumps(values))
    # The run as it was when killed: epoch 1 done (its checkpoint the newest, so with Adam's state either way).
    Run(resumed, parse_options({**values, "total_sample_count": values["epoch_sample_count"]}),
        plan_devices("cpu")).train()
    first_holds_adams_state = holds_optimizer_state(resumed / "1.checkpoint")
    (resumed / ".2.checkpoint.x1y2.tmp").write_bytes(b"PK\x03\x04 half a checkpoint")
    Run(resumed, parse_options(values), plan_devices("cpu")).train()
    return resumed, first_holds_adams_state


def test_every_checkpoint_keeps_adams_state_when_asked(resumed):
    run_dir, _ = resumed
    assert holds_optimizer_state(run_dir / "1.checkpoint") and holds_optimizer_state(run_dir / "2.checkpoint")


def test_resume_after_a_kill_continues_exactly(trained, resumed):
    """Killed during epoch 2 (even while writing its checkpoint): the restart ends bit-identical."""
    run_dir, _ = trained
    resumed, first_holds_adams_state = resumed
    assert first_holds_adams_state
    assert not list(resumed.glob(".*.tmp"))
    original, again = read_checkpoint(run_dir / "2.checkpoint"), read_checkpoint(resumed / "2.checkpoint")
    for group in ARRAY_GROUPS:
        for a, b in zip(getattr(original, group), getattr(again, group)):
            np.testing.assert_array_equal(a, b, err_msg=group)
    assert original.training == again.training
    assert len((resumed / "stats.jsonl").read_text().splitlines()) == 2


def test_main_resumes_from_a_seed_checkpoint_and_leaves_it_alone(tmp_path):
    generator, discriminator = original_networks(4)   # the original's full width: at 4 px still small
    pattern = write_shards(tmp_path / "shards", 4, shards=1)
    run_dir = make_run(tmp_path / "run", pattern, resolution=4, channel_scale=1.0, epoch_sample_count=4,
                       total_sample_count=8, augment=[], keep_checkpoints=1)
    legacy_file = write_legacy_checkpoint(run_dir / "1.checkpoint", generator, discriminator, epoch_i=1,
                                      resolution=4, latent_size=8)
    seed_bytes = legacy_file.read_bytes()
    train_run(run_dir)
    assert legacy_file.read_bytes() == seed_bytes   # kept, even with keep_checkpoints 1
    continued = read_checkpoint(run_dir / "2.checkpoint")
    assert continued.source == "drawing" and continued.training["batch_count"] == 2
    assert not np.array_equal(continued.generator[0], generator.get_weights()[0])


@pytest.mark.parametrize("problem, message", [
    ("no options", "options.json: not found"),
    ("wrong size", "0.tfrecord: holds a 16 x 16 px image, but options.json's resolution is 8"),
    ("not a shard", "not a readable tfrecord shard"),
    ("other network", "holds a network of resolution 8, latent_size 8"),
])
def test_bad_input_is_a_one_line_error(trained, tmp_path, problem, message):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    if problem == "wrong size":
        make_run(run_dir, write_shards(tmp_path / "big", 16, shards=1))
    elif problem == "not a shard":
        (tmp_path / "junk").mkdir()
        (tmp_path / "junk" / "0.tfrecord").write_bytes(b"this is not a tfrecord file at all")
        make_run(run_dir, str(tmp_path / "junk" / "*.tfrecord"))
    elif problem == "other network":
        shutil.copy(trained[0] / "1.checkpoint", run_dir / "1.checkpoint")
        make_run(run_dir, json.loads((trained[0] / "options.json").read_text())["dataset_file_pattern"],
                 latent_size=16)
    with pytest.raises(UserError, match=message) as error:
        train_run(run_dir)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("epoch, expected", [(0, 4 + 2), (1, 4 + 1), (2, 4 + 1)])
def test_real_batches_per_epoch_count_the_regularisation_batches(epoch, expected):
    # 4 batches per epoch, R1 every 3rd batch overall: batches 0, 3 | 6 | 9 (and 12 starts epoch 3).
    assert batches_in_epoch(epoch, 4, 3) == expected


def test_grapplers_remapper_handles_every_gradient_graph(trained):
    """Fusion stays on (it was switched off process-wide once, slowing every graph); the remapper must then
    not fail on the discriminator's gradients (the run's batches 0 and 3 take the R1 step, 1 and 2 do not),
    which it reports only as an error line in TensorFlow's log."""
    _, completed = trained
    assert "remapper failed" not in completed.stderr, completed.stderr[-2000:]


@pytest.mark.parametrize("before, carried", [({"augment": [], "augment_probability": 1.0}, 0.0),
                                             ({"augment": ["translation"], "augment_probability": 0.8}, 0.0),
                                             ({}, 0.37)])
def test_the_adaptive_probability_carries_on_only_from_a_run_that_adapted_it(before, carried):
    """Switching adaptive augmentation on when resuming starts p at 0, not at the fixed 1.0 stored before."""
    earlier = Trainer(parse_options({**TINY, "dataset_file_pattern": "unused", **before}), plan_devices("cpu"))
    earlier.augment_probability.assign(0.37 if not before else earlier.augment_probability)
    checkpoint = earlier.to_checkpoint(1)
    later = Trainer(parse_options({**TINY, "dataset_file_pattern": "unused"}), plan_devices("cpu"))
    later.restore(checkpoint, "1.checkpoint", 1)
    assert float(later.augment_probability.numpy()) == pytest.approx(carried)
