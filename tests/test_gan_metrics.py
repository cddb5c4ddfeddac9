"""Quality metrics: SWD's behaviour on image sets, FID and KID on features, metrics during a tiny run and
from train/metrics.py, and one-line errors for InceptionV3 weights that cannot be had."""
import contextlib
import io
import json

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from helpers import original_networks, run_script, write_legacy_checkpoint
from test_gan_training import make_run, write_shards

from drawing.backend import keras
from drawing.errors import UserError
from drawing.gan.evaluation import evaluate_run
from drawing.gan.metrics import (
    INCEPTION_SIZE,
    Metrics,
    frechet_distance,
    inception_model,
    kernel_distance,
    laplacian_pyramid,
    pyramid_down,
    pyramid_up,
    swd,
    tone_shares,
)
from drawing.gan.options import parse_options
from drawing.gan.training import train_run


def line_drawings(count, size=32, seed=0):
    """Black strokes on white paper, as the tiles look."""
    rng = np.random.default_rng(seed)
    images = np.ones((count, size, size, 3), np.float32)
    for image in images:
        for _ in range(4):
            y, x = rng.integers(2, size - 10, 2)
            length, vertical = rng.integers(4, 10), rng.random() < 0.5
            if vertical:
                image[y:y + length, x:x + 2] = 0.0
            else:
                image[y:y + 2, x:x + length] = 0.0
    return images


def blurred(images, times):
    """The images through the pyramid's low-pass filter `times` times (down and up again keeps the size)."""
    for _ in range(times):
        images = pyramid_up(pyramid_down(images))
    return images


@pytest.fixture(scope="module")
def drawings():
    return line_drawings(64)


def test_the_laplacian_pyramid_adds_back_up_to_the_image(drawings):
    levels = laplacian_pyramid(drawings)
    assert [level.shape[1] for level in levels] == [32, 16]
    np.testing.assert_allclose(levels[0] + pyramid_up(levels[1]), drawings, atol=1e-5)


def test_swd_of_a_set_against_itself_is_about_zero(drawings):
    itself = swd(drawings, drawings)
    other_patches = swd(drawings, line_drawings(64, seed=1))   # another sample of the same kind
    assert itself < 0.5 * swd(drawings, blurred(drawings, 1)) and itself < 1.5 * other_patches


def test_swd_grows_for_a_shifted_copy(drawings):
    shifted = np.ones_like(drawings)
    shifted[:, 12:] = drawings[:, :-12]   # a third of each tile pushed off, blank paper brought in
    assert swd(drawings, shifted) > 1.5 * swd(drawings, drawings)


def test_swd_grows_with_the_amount_of_blur(drawings):
    distances = [swd(drawings, blurred(drawings, times)) for times in range(4)]
    assert distances == sorted(distances) and distances[-1] > 3 * distances[0], distances


def test_frechet_distance_matches_the_matrix_square_root_formula():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 5)), rng.standard_normal((30, 5)) * 1.5 + 0.3
    covariance_a, covariance_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = (np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(covariance_a + covariance_b)
                - 2 * np.trace(np.real(scipy.linalg.sqrtm(covariance_a @ covariance_b))))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


def test_kernel_distance_is_about_zero_for_one_distribution_and_grows_apart():
    rng = np.random.default_rng(0)
    a, b, far = rng.standard_normal((200, 8)), rng.standard_normal((200, 8)), rng.standard_normal((200, 8)) + 1
    same = kernel_distance(a, b, np.random.default_rng(1), subsets=10, subset_size=100)
    apart = kernel_distance(a, far, np.random.default_rng(1), subsets=10, subset_size=100)
    assert abs(same) < 0.1 * apart


def test_tone_shares_count_coloured_and_dark_pixels():
    images = np.ones((1, 2, 2, 3), np.float32)
    images[0, 0, 0] = (1.0, 0.2, 0.2)    # red: coloured, luma 0.41 (not dark)
    images[0, 0, 1] = (0.1, 0.1, 0.1)    # ink: dark, colourless
    images[0, 1, 0] = (0.2, 0.2, 0.6)    # dark blue: both
    assert tone_shares(images) == (0.5, 0.5)


@pytest.fixture(scope="module", autouse=True)
def inception_built_once():
    """InceptionV3 without its top, as inception_model builds it, built once for this module (a build takes
    seconds): Keras' constructor gives this one model where inception_model asks for random weights, and a
    weights file is loaded into it as into a new one. ImageNet weights are asked of Keras itself."""
    build = keras.applications.InceptionV3
    as_inception_model_asks = {"include_top": False, "weights": None, "pooling": "avg",
                               "input_shape": (INCEPTION_SIZE, INCEPTION_SIZE, 3)}
    model = build(**as_inception_model_asks)

    def built_once(**options):
        return model if options == as_inception_model_asks else build(**options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keras.applications, "InceptionV3", built_once)
        yield


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory):
    """A RANDOMLY INITIALISED InceptionV3 (no download on this offline machine): the code path of kid and
    fid, not their ImageNet meaning."""
    path = tmp_path_factory.mktemp("inception") / "random_inception.h5"
    inception_model(None).save_weights(str(path))
    return path


def test_metrics_of_a_generator_on_random_inception_weights(random_inception_weights):
    reals = line_drawings(8, size=16)
    metrics = Metrics(["swd", "kid", "fid"], reals, inception_model(random_inception_weights))
    assert metrics.of_images(reals)["fid"] == pytest.approx(0, abs=1e-3)   # the same images: no distance
    values = metrics.of_images(blurred(reals, 2))
    assert list(values) == ["swd", "kid", "fid"] and all(np.isfinite(v) for v in values.values())
    assert values["fid"] > 0 and values["swd"] > 0


@pytest.mark.parametrize("content", [b"", b"not an hdf5 file", "other model"])
def test_broken_weights_files_are_a_one_line_error(tmp_path, content):
    path = tmp_path / "weights.h5"
    if content == "other model":
        keras.Sequential([keras.layers.Dense(2, input_shape=(3,))]).save_weights(str(path))
    else:
        path.write_bytes(content)
    with pytest.raises(UserError, match="weights.h5: not InceptionV3 weights") as error:
        inception_model(path)
    assert "\n" not in str(error.value)


def test_no_download_is_an_error_at_the_start(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")
    monkeypatch.setattr(keras.utils, "get_file", offline)
    monkeypatch.setattr("tf_keras.src.applications.inception_v3.data_utils.get_file", offline)
    with pytest.raises(UserError, match="could not be downloaded .*inception_weights") as error:
        inception_model("imagenet")
    assert "\n" not in str(error.value)


def test_metrics_options_are_checked():
    base = {"dataset_file_pattern": "x", "resolution": 8, "replica_batch_size": 4}
    options = parse_options({**base, "metrics": "swd, fid"})
    assert options.metrics == ("swd", "fid") and options.metrics_images == 2048
    assert [options.metrics_due(epoch) for epoch in (1, 2)] == [True, True]
    assert not parse_options(base).metrics_due(1)
    assert [parse_options({**base, "metrics": ["swd"], "metrics_interval": 2}).metrics_due(e) for e in (1, 2)] \
        == [False, True]
    with pytest.raises(UserError, match="'metrics' metric 'is' is unknown"):
        parse_options({**base, "metrics": ["swd", "is"]})


# ---- in a run, and afterwards ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def measured_run(tmp_path_factory, random_inception_weights):
    """Four epochs of main.py's work in this process, measured every second epoch; what it printed."""
    root = tmp_path_factory.mktemp("metrics_run")
    run_dir = make_run(root / "run", write_shards(root / "shards", 8), metrics=["swd", "kid", "fid"],
                       metrics_interval=2, metrics_images=8, inception_weights=str(random_inception_weights),
                       total_sample_count=32)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        train_run(run_dir)
    return run_dir, printed.getvalue()


def test_metrics_are_written_to_stats_tensorboard_and_the_progress_line(measured_run):
    run_dir, printed = measured_run
    lines = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert ["swd" in line for line in lines] == [False, True, False, True]   # every 2nd epoch
    assert all(np.isfinite(lines[1][name]) and lines[1][name] > 0 for name in ("swd", "fid"))
    assert np.isfinite(lines[1]["kid"]) and lines[1]["metrics_seconds"] > 0
    assert "swd: " in printed and "fid: " in (run_dir / "log.txt").read_text()
    tags = {value.tag for event_file in (run_dir / "logs").glob("events.out.tfevents.*")
            for event in tf.compat.v1.train.summary_iterator(str(event_file)) for value in event.summary.value}
    assert {"swd", "kid", "fid", "d_loss"} <= tags


def test_metrics_script_measures_every_checkpoint_and_plots(measured_run):
    run_dir, _ = measured_run
    evaluate_run(run_dir, metrics=["swd", "kid"])   # metrics.py <run> --metrics swd,kid, in this process
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3, 4] and [line["samples"] for line in lines] == [8, 16, 24, 32]
    assert all(np.isfinite(line["swd"]) and np.isfinite(line["kid"]) and line["images"] == 8 for line in lines)
    assert 0 < lines[0]["reals_dark_share"] < 1 and 0 <= lines[0]["saturated_share"] <= 1
    # The run's training-time SWD of epoch 4 is what the script finds for 4.checkpoint: the same images.
    stats = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert lines[3]["swd"] == pytest.approx(stats[3]["swd"], rel=1e-4)
    assert (run_dir / "metrics.png").stat().st_size > 1000
    again = run_script("train", "metrics.py", run_dir, "--metrics", "swd,kid", "--newest")
    assert "1 checkpoints already measured" in again.stdout
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 4


def test_metrics_script_judges_the_originals_checkpoints(tmp_path):
    generator, discriminator = original_networks(4)
    run_dir = tmp_path / "seed_run"
    run_dir.mkdir()
    for epoch in (1, 2):
        write_legacy_checkpoint(run_dir / f"{epoch}.checkpoint", generator, discriminator, epoch_i=epoch,
                              resolution=4, latent_size=8)
    pattern = write_shards(tmp_path / "shards", 4, shards=1)
    evaluate_run(run_dir, data=pattern, images=8)
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["checkpoint"] for line in lines] == ["1.checkpoint", "2.checkpoint"]
    assert [line["samples"] for line in lines] == [64, 128]   # epochs of the original's epoch_sample_count
    assert lines[0]["swd"] == pytest.approx(lines[1]["swd"])   # the same generator twice


def test_a_run_without_inception_weights_stops_before_training(tmp_path):
    run_dir = make_run(tmp_path / "run", write_shards(tmp_path / "shards", 8), metrics=["kid"],
                       inception_weights=str(tmp_path / "missing.h5"))
    with pytest.raises(UserError, match="missing.h5: not found"):
        train_run(run_dir)
    assert not list(run_dir.glob("*.checkpoint"))
