"""Checkpoints: the public loading API, our format, the original's pickles (read, and written by train/export.py),
and refusing anything unsafe."""
import io
import pickle

import numpy as np
import pytest
from helpers import (
    GEN_SIDE_STATE,
    TRAIN_SIDE_STATE,
    original_networks,
    original_train_module,
    run_script,
    write_generator_only_legacy_checkpoint,
    write_legacy_checkpoint,
)

from drawing.errors import UserError
from drawing.gan import load_discriminator, load_generator, save_untrained_checkpoint
from drawing.gan.checkpoint import Checkpoint, write_checkpoint
from drawing.gan.legacy import export_checkpoint, read_checkpoint
from drawing.gan.networks import build_generator
from drawing.gan.options import TrainingOptions
from drawing.gen.generator import load_model


@pytest.fixture(scope="module")
def untrained(untrained_run):
    """The untrained 16 px checkpoint of conftest (channel scale 1/16, latent size 8)."""
    return untrained_run / "0.checkpoint"


def test_load_generator_gives_images_in_unit_range(untrained):
    generator = load_generator(untrained)
    assert (generator.latent_size, generator.resolution) == (8, 16)
    images = generator(np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))
    assert images.shape == (5, 16, 16, 3) and images.dtype.name == "float32"
    assert 0.0 <= float(np.min(images)) and float(np.max(images)) <= 1.0
    generator(np.zeros((3, 8), np.float32))
    assert generator._generate.experimental_get_tracing_count() == 1


def test_large_batches_run_in_chunks_with_the_same_result(untrained):
    generator = load_generator(untrained)
    generator._chunk = 4
    latents = np.random.default_rng(1).standard_normal((10, 8)).astype(np.float32)
    whole = generator.model(latents).numpy().clip(0, 1)
    np.testing.assert_allclose(generator(latents).numpy(), whole, atol=1e-5)


def test_a_run_folder_loads_its_newest_checkpoint(untrained, tmp_path):
    older = save_untrained_checkpoint(tmp_path / "2.checkpoint", seed=1)
    newest = save_untrained_checkpoint(tmp_path / "10.checkpoint", seed=2)
    from_folder = load_generator(tmp_path).model.get_weights()
    from_file = load_generator(newest).model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(from_folder, from_file))
    assert not np.array_equal(load_generator(older).model.get_weights()[0], from_file[0])


def test_load_discriminator(untrained):
    discriminator = load_discriminator(untrained)
    assert discriminator.resolution == 16
    logits = discriminator(np.full((4, 16, 16, 3), 0.5, np.float32))
    assert logits.shape == (4, 1) and np.isfinite(logits.numpy()).all()


def test_generator_only_checkpoint_has_no_discriminator(tmp_path):
    generator = build_generator(8, 4, 1 / 16)
    path = tmp_path / "1.checkpoint"
    write_checkpoint(path, Checkpoint(epoch=1, generator=generator.get_weights(),
                                      networks={"resolution": 8, "latent_size": 4, "channel_scale": 1 / 16}))
    with pytest.raises(UserError, match="no discriminator"):
        load_discriminator(path)


def test_round_trip_keeps_every_array(tmp_path):
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.float32(0.5), np.array([3], np.int64)]
    written = Checkpoint(epoch=7, networks={"resolution": 8, "latent_size": 4, "channel_scale": 0.5},
                         generator=arrays, generator_optimizer=arrays[::-1], training={"batch_count": 12})
    write_checkpoint(tmp_path / "7.checkpoint", written)
    read = read_checkpoint(tmp_path / "7.checkpoint")
    assert (read.epoch, read.training, read.source) == (7, {"batch_count": 12}, "drawing")
    assert read.discriminator is None
    for group in ("generator", "generator_optimizer"):
        for a, b in zip(getattr(read, group), getattr(written, group)):
            assert np.array_equal(a, b) and a.dtype == np.asarray(b).dtype


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    (b"", "empty"),
    (b"hello, not a checkpoint", "not a checkpoint"),
    ("truncated", "damaged or truncated"),
])
def test_bad_files_are_one_line_errors_naming_the_file(untrained, tmp_path, content, message):
    path = tmp_path / "5.checkpoint"
    if content == "truncated":
        data = untrained.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as error:
        load_generator(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_folder_without_checkpoints_is_an_error(tmp_path):
    with pytest.raises(UserError, match="no <epoch>.checkpoint"):
        load_generator(tmp_path)


# ---- the original's pickles -------------------------------------------------------------------------

SEED_TRAINING_KEYS = ("real_images_file_pattern", "resolution", "replica_batch_size", "epoch_sample_count",
                      "total_sample_count", "learning_rate", "latent_size", "beta_1", "beta_2")


@pytest.fixture(scope="module")
def seed_networks():
    # The original's full-width networks, as its checkpoints hold them (R = 16 keeps this fast).
    return original_networks(16, seed=3)


def test_seed_checkpoint_imports_with_identical_weights(seed_networks, tmp_path):
    generator, discriminator = seed_networks
    path = write_legacy_checkpoint(tmp_path / "4.checkpoint", generator, discriminator)
    checkpoint = read_checkpoint(path)
    assert (checkpoint.source, checkpoint.epoch) == ("legacy", 4)
    assert checkpoint.options["dataset_file_pattern"] == "/data/*.tfrecord"
    loaded_generator, loaded_discriminator = load_generator(path), load_discriminator(path)
    for loaded, original in ((loaded_generator.model, generator), (loaded_discriminator.model, discriminator)):
        assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), original.get_weights()))
        assert len(loaded.get_weights()) == len(original.get_weights())


class _Exploit:
    def __reduce__(self):
        return (print, ("owned",))


@pytest.mark.parametrize("payload", [
    pickle.dumps(_Exploit()),
    pickle.dumps({"model_weights": []}),  # a pickle, but not a TrainingState
])
def test_foreign_pickles_are_refused(tmp_path, payload, capsys):
    path = tmp_path / "1.checkpoint"
    path.write_bytes(payload)
    with pytest.raises(UserError) as error:
        load_generator(path)
    assert str(path) in str(error.value)
    assert "owned" not in capsys.readouterr().out


def _replace_generator_weights(path, model_weights):
    """Rewrite a legacy checkpoint with another list in its generator's `model_weights`."""
    with original_train_module():
        state = pickle.loads(path.read_bytes())
        state.generator = pickle.dumps({"model_weights": model_weights})
        path.write_bytes(pickle.dumps(state))


def test_foreign_global_inside_a_network_pickle_is_refused(seed_networks, tmp_path):
    generator, discriminator = seed_networks
    path = write_legacy_checkpoint(tmp_path / "4.checkpoint", generator, discriminator)
    _replace_generator_weights(path, [_Exploit()])
    with pytest.raises(UserError, match="refus"):
        load_generator(path)


def test_seed_weights_with_object_arrays_are_refused(seed_networks, tmp_path):
    generator, discriminator = seed_networks
    path = write_legacy_checkpoint(tmp_path / "4.checkpoint", generator, discriminator)
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Exploit()], dtype=object), allow_pickle=True)
    _replace_generator_weights(path, [buffer.getvalue()])
    with pytest.raises(UserError, match="not a plain numeric array"):
        load_generator(path)


# ---- generator-only checkpoints (the original's gen/ side) ------------------------------------------

def test_a_generator_only_seed_checkpoint_loads_in_gen(seed_networks, tmp_path):
    generator, _ = seed_networks
    path = write_generator_only_legacy_checkpoint(tmp_path / "gen.checkpoint", generator)
    checkpoint = read_checkpoint(path)
    assert (checkpoint.source, checkpoint.epoch, checkpoint.discriminator) == ("legacy", 7, None)
    loaded = load_model(path)
    assert (loaded.resolution, loaded.latent_size) == (16, 8)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.model.get_weights(), generator.get_weights()))


def test_svg_says_a_generator_only_checkpoint_has_no_discriminator(seed_networks, tmp_path):
    from drawing.plotter.network import load_network
    path = write_generator_only_legacy_checkpoint(tmp_path / "gen.checkpoint", seed_networks[0])
    with pytest.raises(UserError, match="generator-only checkpoint: it holds no discriminator") as error:
        load_network("discriminator", path, None)
    assert str(path) in str(error.value) and "--network vgg16" in str(error.value)
    assert "\n" not in str(error.value)


# ---- train/export.py: our checkpoints in the original's format --------------------------------------

def _our_full_width_run(folder, discriminator=True):
    """A run folder with one checkpoint of this project's format at the original's widths (8 px)."""
    generator, critic = original_networks(8, seed=5)
    average = [w * 0.5 for w in generator.get_weights()]
    options = TrainingOptions(dataset_file_pattern="../data/tfrecord/*.tfrecord", resolution=8,
                              replica_batch_size=4, latent_size=8, beta_2=0.9).to_dict()
    write_checkpoint(folder / "3.checkpoint", Checkpoint(
        epoch=3, networks={"resolution": 8, "latent_size": 8, "channel_scale": 1.0},
        generator=generator.get_weights(), generator_ema=average,
        discriminator=critic.get_weights() if discriminator else None,
        generator_optimizer=[np.float32(1)], options=options))
    return folder, generator, average, critic


@pytest.fixture(scope="module")
def our_run(tmp_path_factory):
    return _our_full_width_run(tmp_path_factory.mktemp("ours"))


def _unpickle_as_the_seed(path, side="train"):
    with original_train_module(side=side, decode_networks=True):
        return pickle.loads(path.read_bytes())


def test_export_writes_what_the_originals_scripts_unpickle(our_run, tmp_path):
    run_dir, _, average, critic = our_run
    export_checkpoint(run_dir, tmp_path / "legacy.checkpoint")
    state = _unpickle_as_the_seed(tmp_path / "legacy.checkpoint")
    assert type(state).__module__ == "train" and type(state).__name__ == "TrainingState"
    assert list(vars(state)) == list(TRAIN_SIDE_STATE)
    assert type(state.options).__name__ == "TrainingOptions" and state.epoch_i == 3
    assert vars(state.options) == {
        "real_images_file_pattern": "../data/tfrecord/*.tfrecord", "resolution": 8, "replica_batch_size": 4,
        "epoch_sample_count": 1024 * 16, "total_sample_count": 1024 * 16 * 32, "learning_rate": 0.002,
        "latent_size": 8, "beta_1": 0.0, "beta_2": 0.9}
    assert list(vars(state.options)) == list(SEED_TRAINING_KEYS)
    # The moving-average generator, in get_weights() order, with its dtypes.
    for written, expected in ((state.generator, average), (state.discriminator, critic.get_weights())):
        assert len(written) == len(expected)
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(written, expected))


def test_export_then_import_gives_the_same_networks(our_run, tmp_path):
    run_dir, *_ = our_run
    export_checkpoint(run_dir / "3.checkpoint", tmp_path / "legacy.checkpoint")
    exported, original = read_checkpoint(tmp_path / "legacy.checkpoint"), read_checkpoint(run_dir / "3.checkpoint")
    assert exported.source == "legacy" and exported.options["dataset_file_pattern"] == "../data/tfrecord/*.tfrecord"
    latents = np.random.default_rng(2).standard_normal((3, 8)).astype(np.float32)
    assert np.array_equal(load_generator(tmp_path / "legacy.checkpoint")(latents), load_generator(run_dir)(latents))
    images = np.random.default_rng(3).random((4, 8, 8, 3)).astype(np.float32)
    assert np.array_equal(load_discriminator(tmp_path / "legacy.checkpoint")(images), load_discriminator(run_dir)(images))
    assert all(np.array_equal(a, b) for a, b in zip(exported.discriminator, original.discriminator))


def test_export_without_ema_writes_the_trained_generator(our_run, tmp_path):
    run_dir, generator, *_ = our_run
    export_checkpoint(run_dir, tmp_path / "legacy.checkpoint", use_ema=False)
    written = _unpickle_as_the_seed(tmp_path / "legacy.checkpoint").generator
    assert all(np.array_equal(a, b) for a, b in zip(written, generator.get_weights()))


def test_a_generator_only_checkpoint_exports_in_the_gen_side_layout(tmp_path):
    run_dir, _, average, _ = _our_full_width_run(tmp_path / "run", discriminator=False)
    export_checkpoint(run_dir, tmp_path / "gen.checkpoint")
    state = _unpickle_as_the_seed(tmp_path / "gen.checkpoint", side="gen")
    assert list(vars(state)) == list(GEN_SIDE_STATE) and state.epoch_i == 3
    assert vars(state.options) == {"resolution": 8, "latent_size": 8}
    assert all(np.array_equal(a, b) for a, b in zip(state.generator, average))


@pytest.mark.parametrize("case, message", [
    ("narrow", "channel_scale 0.0625; the original's scripts build only full-width networks"),
    ("exists", "already exists; add --overwrite"),
    ("is the input", "output is the input"),
    ("inside the run", "output lies inside the input"),
])
def test_export_refusals_are_one_line_and_touch_nothing(our_run, untrained, tmp_path, case, message):
    run_dir, *_ = our_run
    model, output = run_dir, tmp_path / "legacy.checkpoint"
    if case == "narrow":
        model = untrained
    elif case == "exists":
        output.write_bytes(b"the user's file")
    elif case == "is the input":
        model = output = tmp_path / "3.checkpoint"
        output.write_bytes((run_dir / "3.checkpoint").read_bytes())
    else:
        output = run_dir / "4.checkpoint"
    before = {p: p.read_bytes() for p in (*tmp_path.iterdir(), *run_dir.iterdir())}
    with pytest.raises(UserError, match=message) as error:
        export_checkpoint(model, output)
    assert str(output if case != "narrow" else model) in str(error.value) and "\n" not in str(error.value)
    assert {p: p.read_bytes() for p in (*tmp_path.iterdir(), *run_dir.iterdir())} == before


def test_export_refusal_exits_1_with_one_error_line(untrained, tmp_path):
    completed = run_script("train", "export.py", untrained, tmp_path / "legacy.checkpoint", check=False)
    assert completed.returncode == 1 and not (tmp_path / "legacy.checkpoint").exists()
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [completed.stderr.strip().splitlines()[-1]] and "channel_scale 0.0625" in errors[0]


def test_export_overwrite_replaces_an_existing_file(our_run, tmp_path):
    output = tmp_path / "legacy.checkpoint"
    output.write_bytes(b"an earlier export")
    export_checkpoint(our_run[0], output, overwrite=True)
    assert read_checkpoint(output).epoch == 3
    assert [p.name for p in tmp_path.iterdir()] == ["legacy.checkpoint"]   # no temporary file left
