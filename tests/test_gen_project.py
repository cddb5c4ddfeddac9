"""gen/project.py (drawing.gen.project_run) and drawing/gan/projection.py: images the model made are found
again; bad input is one line."""
import json

import numpy as np
import pytest
from helpers import checksums, error_line, run_script

from drawing.errors import UserError
from drawing.gan.projection import Projector, feature_network, multiscale_pixel_distance, pixel_scales
from drawing.gen.path_run import PathSettings, generate_path
from drawing.gen.project_run import Settings, check_options, project_drawings
from drawing.images import read_image, write_png
from drawing.plotter.network import load_network

LATENT_SIZE = 8
TRUE_LATENTS_SEED = 5


@pytest.fixture
def checkpoint(untrained_run):
    """conftest's untrained checkpoint: 16 px, 8 latent dimensions."""
    return untrained_run / "0.checkpoint"


@pytest.fixture(scope="module")
def true_latents():
    return np.random.default_rng(TRUE_LATENTS_SEED).standard_normal((3, LATENT_SIZE)).astype(np.float32)


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_pixel_scales_halve_down_to_8_px():
    assert [pixel_scales(side) for side in (8, 16, 64, 256)] == [1, 2, 4, 6]


def test_a_one_pixel_shift_costs_less_at_coarser_scales():
    line = np.ones((1, 16, 16, 3), np.float32)
    line[:, :, 7] = 0
    shifted = np.roll(line, 1, axis=2)
    fine = float(multiscale_pixel_distance(line, shifted, 1)[0])
    assert float(multiscale_pixel_distance(line, shifted, 2)[0]) < fine


def test_projection_recovers_images_the_model_made(checkpoint, untrained_generator, true_latents):
    features = feature_network(load_network("discriminator", checkpoint, None))
    assert features.layers == ("conv_16x16_1", "conv_8x8_1")
    projector = Projector(untrained_generator, features, Settings(steps=200, starts=4))
    targets = untrained_generator(true_latents).numpy()
    for index, (target, truth) in enumerate(zip(targets, true_latents)):
        latent, distance, pixel_distance, random_distance = projector.project(target, np.random.default_rng(index))
        assert latent.dtype == np.float32 and latent.shape == (LATENT_SIZE,)
        # The generator normalises z first, so the direction is what can be recovered; the penalty
        # keeps the length near sqrt(latent_size).
        assert cosine(latent, truth) > 0.99
        assert np.linalg.norm(latent) == pytest.approx(np.sqrt(LATENT_SIZE), rel=0.2)
        assert distance < 0.05 * random_distance
        assert pixel_distance < 1e-5


def test_vgg16_features_from_a_local_file_drive_the_projection(untrained_generator, true_latents, tmp_path):
    from drawing.backend import keras
    weights = tmp_path / "vgg16.h5"
    keras.applications.VGG16(weights=None, include_top=False).save_weights(weights)
    features = feature_network(load_network("vgg16", None, str(weights)))
    assert features.layers == ("block1_conv2", "block2_conv2", "block3_conv3") and features.resolution == 224
    projector = Projector(untrained_generator, features, Settings(steps=2, starts=2))
    target = untrained_generator(true_latents[:1]).numpy()[0]
    _, distance, pixel_distance, _ = projector.project(target, np.random.default_rng(0))
    assert np.isfinite(distance) and distance > pixel_distance


@pytest.mark.parametrize("explore, going", [(0.25, 1), (1.0, 3)])
def test_after_exploring_only_the_closest_start_goes_on(untrained_generator, true_latents, explore, going):
    projector = Projector(untrained_generator, None, Settings(steps=8, starts=3, explore=explore))
    target = untrained_generator(true_latents[:1]).numpy()[0]
    latent, distance, _, _ = projector.project(target, np.random.default_rng(0))
    assert len(projector.latents.numpy()) == going
    assert distance == pytest.approx(float(projector.distances(latent[None], target)[0][0]), rel=1e-5)


@pytest.fixture
def drawings(tmp_path, untrained_generator, true_latents):
    """Two PNGs the model made: one at its resolution, one 4x larger (resized back by project.py)."""
    folder = tmp_path / "drawings"
    images = np.round(untrained_generator(true_latents[:2]).numpy() * 255).astype(np.uint8)
    write_png(folder / "a.png", images[0])
    write_png(folder / "b.png", np.repeat(np.repeat(images[1], 4, axis=0), 4, axis=1))
    return folder


def test_project_py_writes_reconstructions_latents_and_record(checkpoint, drawings, untrained_generator, true_latents,
                                                              tmp_path):
    before = checksums(drawings)
    dir_out = tmp_path / "projected"
    run_script("gen", "project.py", checkpoint, drawings, f"--dir_out={dir_out}", "--steps=120", "--starts=4",
               "--seed=3")
    assert sorted(path.name for path in dir_out.iterdir()) == ["0000_a.png", "0001_b.png"]
    latents = np.load(tmp_path / "projected.npy", allow_pickle=False)
    assert latents.dtype == np.float32 and latents.shape == (2, LATENT_SIZE)
    record = json.loads((tmp_path / "projected.json").read_text())
    assert record["stage"] == "project.py" and record["complete"] is True and record["seed"] == 3
    assert record["settings"]["steps"] == 120 and record["latent_size"] == LATENT_SIZE
    assert [entry["output"] for entry in record["projections"]] == ["0000_a.png", "0001_b.png"]
    for latent, truth, entry in zip(latents, true_latents, record["projections"]):
        assert cosine(latent, truth) > 0.95
        assert entry["distance"] < 0.1 * entry["random_latent_distance"]
    reconstruction = read_image(dir_out / "0000_a.png").astype(float)
    assert np.abs(reconstruction - read_image(drawings / "a.png")).mean() < 3
    np.testing.assert_allclose(reconstruction / 255, untrained_generator(latents[:1]).numpy()[0], atol=1 / 255)
    assert checksums(drawings) == before

    # The hand-off: path.py loops through the projected drawings, passing through each of them (path.py
    # <checkpoint> keyframes --keyframes=<projected.npy> --frames=3 --interpolation=linear --seed=1, in this process).
    generate_path(PathSettings(str(checkpoint), "keyframes", keyframes=str(tmp_path / "projected.npy"), frames=3,
                               interpolation="linear", dir_out=str(tmp_path / "loops"), seed=1), untrained_generator)
    (frames,) = [p for p in (tmp_path / "loops").glob("*/*") if p.is_dir()]
    assert len(list(frames.glob("*.png"))) == 6
    np.testing.assert_array_equal(read_image(sorted(frames.glob("*.png"))[0]), read_image(dir_out / "0000_a.png"))


def project(checkpoint, images, dir_out, steps=1):
    """project.py's job in this process, with its defaults but for the steps."""
    return project_drawings(str(checkpoint), [str(images)], str(dir_out), Settings(steps=steps), "discriminator",
                            None, 0)


def blank_png(path):
    write_png(path, np.full((40, 30, 3), 250, np.uint8))
    return path


def text_file(path):
    path.write_text("not an image\n")
    return path


@pytest.mark.parametrize("make_input, message", [
    (blank_png, "the image is all one colour (grey level 250), not a drawing"),
    (text_file, "not an image file"),
])
def test_an_image_that_is_not_a_drawing_is_refused_in_one_line(checkpoint, tmp_path, make_input, message):
    bad = make_input(tmp_path / "bad.png")
    with pytest.raises(UserError) as error:   # project.py <checkpoint> <bad> --dir_out=<out>
        project_drawings(str(checkpoint), [str(bad)], str(tmp_path / "out"), Settings(), "discriminator", None, 0)
    assert str(error.value) == f"{bad}: {message}" + (
        "; give images with lines on them" if make_input is blank_png else "")
    assert not (tmp_path / "out").exists()


def test_a_blank_tile_in_a_folder_is_skipped_with_a_warning(checkpoint, drawings, tmp_path, capsys,
                                                            console_messages):
    blank_png(drawings / "c.png")
    project(checkpoint, drawings, tmp_path / "out", steps=2)
    assert f"warning: {drawings / 'c.png'}: all one colour, not a drawing; skipped" in capsys.readouterr().err
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["0000_a.png", "0001_b.png"]
    assert np.load(tmp_path / "out.npy").shape == (2, LATENT_SIZE)


def test_a_rerun_replaces_its_own_earlier_output(checkpoint, drawings, tmp_path):
    dir_out = tmp_path / "out"
    project(checkpoint, drawings, dir_out)
    project(checkpoint, drawings / "b.png", dir_out)
    assert [path.name for path in dir_out.iterdir()] == ["0000_b.png"]
    assert np.load(tmp_path / "out.npy").shape == (1, LATENT_SIZE)
    assert json.loads((tmp_path / "out.json").read_text())["images"] == [str(drawings / "b.png")]


def test_a_wrong_model_path_is_refused(drawings, tmp_path):
    missing = tmp_path / "no_such_run" / "7.checkpoint"
    with pytest.raises(UserError) as error:
        project(missing, drawings, tmp_path / "out")
    assert str(error.value) == f"{missing}: checkpoint not found"
    assert not (tmp_path / "out").exists()


def test_an_output_folder_inside_the_input_is_refused(checkpoint, drawings, tmp_path):
    before = checksums(drawings)
    with pytest.raises(UserError, match="lies inside the input"):
        project(checkpoint, drawings, drawings / "out")
    assert checksums(drawings) == before


def test_a_negative_seed_is_refused(checkpoint, drawings, tmp_path):
    completed = run_script("gen", "project.py", checkpoint, drawings, f"--dir_out={tmp_path / 'out'}",
                           "--seed=-2", check=False)
    assert "--seed: -2 is not a whole number of at least 0" in error_line(completed, code=2)


def test_an_interrupted_images_folder_is_refused(checkpoint, drawings, tmp_path):
    (drawings.parent / f"{drawings.name}.json").write_text(json.dumps(
        {"stage": "path.py", "command": "python path.py finish-me", "complete": False}))
    with pytest.raises(UserError) as error:
        project(checkpoint, drawings, tmp_path / "out")
    assert str(error.value) == (f"{drawings}: images folder is incomplete (path.py was interrupted); finish it "
                                "by rerunning: python path.py finish-me")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("network, weights, options, message", [
    ("vgg16", None, {}, "--network vgg16 needs --weights"),
    ("discriminator", "vgg16.h5", {}, "--weights is for --network vgg16"),
    ("none", None, {"pixel_weight": 0.0}, "--pixel_weight 0 with no features leaves nothing to compare"),
    ("discriminator", None, {"pixel_weight": 0.0, "feature_weight": 0.0}, "--pixel_weight 0 with no features"),
    ("discriminator", None, {"learning_rate": float("inf")}, "weights and --lr must be finite numbers"),
])
def test_options_that_cannot_project_are_refused(network, weights, options, message):
    with pytest.raises(UserError, match=message):
        check_options(Settings(**options), network, weights)
