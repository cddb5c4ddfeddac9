"""gen/path.py on a tiny untrained model saved by train/'s API: every style, seeds, bad input.

Most cases call the library (drawing.gen) in this process with the model loaded once; a few run the
script as a user types it.
"""
import json
import re

import numpy as np
import pytest
from helpers import run_script, write_legacy_checkpoint

from drawing.errors import UserError
from drawing.gen.generator import int8_hint, load_model
from drawing.gen.grid import GRID_MAX_SIDE, GridLayout, grid_layout
from drawing.gen.path_run import PathSettings, generate_path
from drawing.gen.render import render_frames
from drawing.gen.styles import STYLES, PathRequest, style_options, unused_note, unused_options
from drawing.images import read_image

LATENT_SIZE = 8


@pytest.fixture
def run_folder(untrained_run):
    """conftest's training run folder: one checkpoint of a 16 px generator with 8 latent dimensions."""
    return untrained_run


@pytest.fixture
def generator(untrained_generator):
    return untrained_generator


def make_path(generator, dir_out, style, **options):
    """Run path.py's whole job in this process (the model already loaded) and return the run folder."""
    settings = PathSettings("model", style, dir_out=str(dir_out), **options)
    return generate_path(settings, generator, command=f"python path.py model {style}").folder


def frame_files(folder):
    return sorted(path.name for path in folder.glob("*.png"))


def beside(run_dir, suffix):
    """The file named after the run folder, beside it: its record (.json), latents (.npy) or plot."""
    return run_dir.with_name(run_dir.name + suffix)


def latents_of(run_dir):
    return np.load(beside(run_dir, ".npy"))


def record_of(run_dir):
    return json.loads(beside(run_dir, ".json").read_text())


EVERY_STYLE = [
    # style, its options, style folder, frames, first and last frame name, plotted
    ("random", {"count": 5}, "random_c5", 5, "0.png", "4.png", False),
    ("bezier", {"segments": 2, "frames": 6}, "bezier_s2_f6", 12, "00.png", "11.png", False),
    ("bitloop", {"bitloop": "10", "loop_frames": 16}, "bitloop_b10", 16, "00.png", "15.png", True),
    ("period", {"seconds": 2, "fps": 10}, "period_s2", 20, "00.png", "19.png", True),
    ("phase", {"seconds": 1, "fps": 12}, "phase_s1", 12, "00.png", "11.png", True),
]


@pytest.mark.parametrize("style, options, folder, count, first, last, plotted", EVERY_STYLE)
def test_every_style_writes_its_frames_latents_and_record(generator, tmp_path, style, options, folder, count,
                                                          first, last, plotted):
    run_dir = make_path(generator, tmp_path, style, **options, seed=5, batch=4)
    assert run_dir.parent == tmp_path / folder and run_dir.name.endswith("_seed5")
    names = frame_files(run_dir)
    assert len(names) == count and names[0] == first and names[-1] == last
    assert read_image(run_dir / first).shape == (16, 16, 3)
    latents = latents_of(run_dir)
    assert latents.shape == (count, LATENT_SIZE) and latents.dtype == np.float32
    record = record_of(run_dir)
    assert record["seed"] == 5 and record["style"] == style and record["frames"] == count
    assert record["stage"] == "path.py" and record["complete"] is True
    assert record["command"] == f"python path.py model {style}"
    assert beside(run_dir, "_plot.png").exists() == plotted
    # the frames folder holds the frames only: the original's next stage opens every file in it as an image
    assert all(path.suffix == ".png" for path in run_dir.iterdir())


def test_keyframes_loop_through_frames_picked_from_a_random_run(generator, tmp_path):
    picked_run = make_path(generator, tmp_path, "random", count=6, seed=1)
    run_dir = make_path(generator, tmp_path, "keyframes", keyframes=str(picked_run), pick="4,0,2", frames=5,
                        interpolation="spherical", seed=2, pace="latent")
    assert run_dir.parent.name == "keyframes_spherical_k3_f5"
    assert len(frame_files(run_dir)) == 15
    source, looped = latents_of(picked_run), latents_of(run_dir)
    np.testing.assert_allclose(looped[[0, 5, 10]], source[[4, 0, 2]], rtol=1e-5, atol=1e-6)
    # the same latents make the same picture (up to rounding in a differently sized batch)
    difference = read_image(run_dir / "05.png").astype(int) - read_image(picked_run / "0.png").astype(int)
    assert np.abs(difference).max() <= 1


def test_same_seed_same_frames_and_truncation_scales_the_latents(generator, tmp_path):
    first = make_path(generator, tmp_path / "a", "bezier", segments=1, frames=4, seed=9, pace="latent")
    again = make_path(generator, tmp_path / "b", "bezier", segments=1, frames=4, seed=9, pace="latent")
    tamer = make_path(generator, tmp_path / "c", "bezier", segments=1, frames=4, seed=9, truncation=0.5, pace="latent")
    other = make_path(generator, tmp_path / "d", "bezier", segments=1, frames=4, seed=10, pace="latent")
    np.testing.assert_array_equal(latents_of(first), latents_of(again))
    assert [(first / n).read_bytes() for n in frame_files(first)] == [(again / n).read_bytes() for n in frame_files(again)]
    np.testing.assert_allclose(latents_of(tamer), 0.5 * latents_of(first))
    assert not np.allclose(latents_of(other), latents_of(first))


def test_int8_frames_are_close_to_the_exact_ones_and_recorded(generator, tmp_path):
    exact = make_path(generator, tmp_path / "a", "random", count=5, seed=4)
    int8 = make_path(generator, tmp_path / "b", "random", count=5, seed=4, int8=True, batch=2)
    assert record_of(int8)["int8"] is True
    assert record_of(exact)["int8"] is False
    assert frame_files(int8) == frame_files(exact)
    difference = np.abs(np.stack([read_image(int8 / name).astype(int) - read_image(exact / name)
                                  for name in frame_files(exact)]))
    assert difference.mean() < 2 and difference.max() <= 16


def test_long_float32_renders_on_a_cpu_suggest_int8(monkeypatch):
    import tensorflow as tf
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert "--int8" in int8_hint(512, 256)
    assert int8_hint(16, 256) is None   # a few images: not worth a word
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["a GPU"])
    assert int8_hint(512, 256) is None


def test_render_frames_writes_every_batch_including_a_short_last_one(tmp_path):
    def stand_in(latents):   # any callable of the generator contract: [N, L] -> [N, R, R, 3] in [0, 1]
        return np.broadcast_to(latents[:, :1, None, None], (len(latents), 4, 4, 3)) / 10
    latents = np.arange(11, dtype=np.float32)[:, None].repeat(LATENT_SIZE, axis=1)
    render_frames(stand_in, latents, tmp_path, batch_size=4)
    assert frame_files(tmp_path) == [f"{index:02d}.png" for index in range(11)]
    assert read_image(tmp_path / "02.png")[0, 0, 0] == 51
    assert read_image(tmp_path / "10.png")[0, 0, 0] == 255   # clipped at 1


def test_the_script_runs_from_its_folder_on_a_run_folder(run_folder, tmp_path):
    result = run_script("gen", "path.py", run_folder, "phase", "--seconds=1", "--fps=8",
                        f"--dir_out={tmp_path}", "--seed=3")
    run_dir = next((tmp_path / "phase_s1").glob("*_seed3"))
    assert str(run_dir) in result.stdout
    assert record_of(run_dir)["command"] == f"python path.py {run_folder} phase --seconds=1 --fps=8 " \
                                           f"--dir_out={tmp_path} --seed=3"
    assert len(frame_files(run_dir)) == 8 and (tmp_path / "phase_s1" / f"{run_dir.name}_plot.png").exists()


@pytest.mark.parametrize("style, options, problem", [
    ("bitloop", {"bitloop": "1021"}, "0 and 1"),
    ("bitloop", {"bitloop": "000"}, "no 1"),
    ("bezier", {"frames": 1}, "--frames 1: a loop needs at least 2 frames"),
    ("bitloop", {"loop_frames": 1}, "--loop_frames 1: a loop needs at least 2 frames"),
    ("phase", {"grid": "3"}, "--grid '3'"),
    ("phase", {"grid": "1x1"}, "at least 2 cells"),
    ("phase", {"seconds": 0.1}, "too short"),
    ("keyframes", {}, "give --keyframes"),
    ("keyframes", {"keyframes": "x", "pick": "1,a"}, "--pick"),
])
def test_bad_options_fail_before_loading_the_model(tmp_path, style, options, problem):
    settings = PathSettings(str(tmp_path / "missing_but_never_read"), style, dir_out=str(tmp_path), **options)
    with pytest.raises(UserError, match=re.escape(problem)):   # not "model not found"
        generate_path(settings)
    assert not any(tmp_path.iterdir())


def test_a_bad_option_is_one_line_from_the_script(tmp_path):
    result = run_script("gen", "path.py", tmp_path / "missing_but_never_read", "bezier", "--frames=1", check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: --frames 1: a loop needs at least 2 frames (per step)"]


@pytest.mark.parametrize("content, problem", [(None, "model not found"), (b"", "empty"),
                                              (b"hello, not a model", "not a checkpoint"),
                                              ("truncated", "damaged or truncated")])
def test_bad_checkpoints_are_one_line_errors(run_folder, tmp_path, content, problem):
    model = tmp_path / "model.checkpoint"
    if content == "truncated":
        content = (run_folder / "0.checkpoint").read_bytes()[:5000]
    if content is not None:
        model.write_bytes(content)
    with pytest.raises(UserError, match=problem):
        load_model(model)


def test_keyframes_from_a_model_of_another_latent_size_are_refused(generator, tmp_path):
    np.save(tmp_path / "other.npy", np.zeros((4, LATENT_SIZE + 1), dtype=np.float32))
    with pytest.raises(UserError, match="9 dimensions but the model takes 8"):
        make_path(generator, tmp_path, "keyframes", keyframes=str(tmp_path / "other.npy"))
    np.save(tmp_path / "few.npy", np.zeros((3, LATENT_SIZE), dtype=np.float32))
    with pytest.raises(UserError, match="cannot pick 3"):
        make_path(generator, tmp_path, "keyframes", keyframes=str(tmp_path / "few.npy"), pick="0,3")


def test_a_checkpoint_in_the_originals_format_makes_frames_too(tmp_path):
    from drawing.gan.networks import build_discriminator, build_generator
    legacy_file = write_legacy_checkpoint(tmp_path / "4.checkpoint", build_generator(16, LATENT_SIZE),
                                      build_discriminator(16), resolution=16, latent_size=LATENT_SIZE)
    run_dir = make_path(load_model(legacy_file), tmp_path / "out", "random", count=3, seed=1)
    assert frame_files(run_dir) == ["0.png", "1.png", "2.png"]


def test_the_original_readmes_command_line_with_every_flag_runs_with_a_note(generator, tmp_path):
    """path.py <run> bezier --count=3 --segments=2 --frames=4 --bitloop=1100 --seed=1, in this process; that
    path.py prints the note is checked with the original's command lines (test_original_pipeline.py)."""
    seed_line = {"count": 3, "segments": 2, "frames": 4, "bitloop": "1100", "seed": 1}
    assert unused_note("bezier", seed_line) == "note: bezier does not use --bitloop, --count; ignored"
    run_dir = make_path(generator, tmp_path, "bezier", **seed_line)
    assert run_dir.parent.name == "bezier_s2_f4" and run_dir.name.endswith("_seed1")
    assert len(frame_files(run_dir)) == 8 and record_of(run_dir)["complete"] is True


def test_unused_options_are_named_for_each_style():
    given = {"count": 3, "segments": 2, "frames": 4, "bitloop": "1100", "seconds": None}
    assert unused_options("bezier", given) == ["bitloop", "count"]
    assert unused_options("random", given) == ["bitloop", "frames", "segments"]
    assert unused_options("bitloop", given) == ["count", "frames", "segments"]


def test_bitloop_ignores_frames_as_the_originals_did_and_says_how_to_set_its_length(generator, tmp_path):
    # the original README's command line sets --frames for bezier; the original's bitloop always made 512 frames
    seed_line = {"count": 3, "segments": 2, "frames": 4, "bitloop": "101", "seed": 2}
    run_dir = make_path(generator, tmp_path, "bitloop", **seed_line, batch=128)
    assert len(frame_files(run_dir)) == 512 and latents_of(run_dir).shape == (512, LATENT_SIZE)
    note = unused_note("bitloop", seed_line)
    assert note.startswith("note: bitloop does not use --count, --frames, --segments; ignored")
    assert "--loop_frames" in note and "512" in note
    shorter = make_path(generator, tmp_path, "bitloop", **seed_line, loop_frames=6)
    assert len(frame_files(shorter)) == 6


def test_every_style_is_one_record_of_folder_options_and_latents():
    given = {"count": 4, "segments": 3, "frames": 5, "bitloop": "10", "seconds": 1}
    for name, style in STYLES.items():
        options = style_options(name, given)
        request = PathRequest(options, LATENT_SIZE, fps=16, keyframes=np.eye(3, LATENT_SIZE))
        latents = style.latents(request, np.random.default_rng(0))
        assert latents.ndim == 2 and latents.shape[1] == LATENT_SIZE and style.folder(request).startswith(name)


def test_keyframes_read_the_npy_beside_a_folder_or_a_projected_run(generator, tmp_path):
    picked_run = make_path(generator, tmp_path, "random", count=4, seed=1)
    assert not (picked_run / "latents.npy").exists()
    projected = tmp_path / "projected"   # gen/project.py's output: images, <run>.npy and <run>.json beside
    projected.mkdir()
    np.save(tmp_path / "projected.npy", latents_of(picked_run)[[3, 1]])
    (tmp_path / "projected.json").write_text('{"stage": "project.py", "complete": true}')
    for source in (projected, tmp_path / "projected.npy"):
        run_dir = make_path(generator, tmp_path / "k", "keyframes", keyframes=str(source), frames=2,
                            interpolation="linear", pace="latent")
        np.testing.assert_allclose(latents_of(run_dir)[[0, 2]], latents_of(picked_run)[[3, 1]])
    (tmp_path / "projected.json").write_text('{"stage": "project.py", "command": "python project.py m x", '
                                             '"complete": false}')
    with pytest.raises(UserError, match="incomplete.*python project.py m x"):
        make_path(generator, tmp_path / "k", "keyframes", keyframes=str(tmp_path / "projected.npy"))
    grid_run = make_path(generator, tmp_path, "random", count=2, grid="2x1", seed=1)
    with pytest.raises(UserError, match="grid"):
        make_path(generator, tmp_path / "k", "keyframes", keyframes=str(grid_run))


def test_a_grid_holds_independent_loops_each_the_run_of_its_cell_seed(generator, tmp_path):
    run_dir = make_path(generator, tmp_path, "bezier", segments=1, frames=4, grid="3x2", seed=8, batch=4)
    assert run_dir.parent.name == "bezier_s1_f4_grid3x2"
    record = record_of(run_dir)
    assert record["grid"] == {"columns": 3, "rows": 2, "cell_size": 16, "gap": 2}
    seeds = record["cell_seeds"]
    assert len(set(seeds)) == 6 and latents_of(run_dir).shape == (4, 6, LATENT_SIZE)
    frame = read_image(run_dir / "2.png")
    assert frame.shape == (2 * 16 + 2, 3 * 16 + 2 * 2, 3)
    assert (frame[16:18] == 204).all() and (frame[:, 16:18] == 204).all()   # the light grey gap
    # the cell in row 1, column 2 is the loop a single run with its seed makes
    alone = make_path(generator, tmp_path / "alone", "bezier", segments=1, frames=4, seed=seeds[5])
    cell = frame[18:34, 36:52].astype(int)
    assert np.abs(cell - read_image(alone / "2.png")).max() <= 1
    assert np.abs(frame[0:16, 0:16].astype(int) - cell).max() > 10   # another seed, another picture


def test_grid_layout_defaults_fit_the_frame():
    assert grid_layout("3x3", 256) == GridLayout(3, 3, 256, 4)
    big = grid_layout("4x2", 1024)
    assert big.size[0] <= GRID_MAX_SIDE + 3 * big.gap and big.cell_size == 512
    assert grid_layout("2X2", 16, cell_size=32, gap=0).size == (64, 64)


def test_a_grid_of_keyframes_is_refused(generator, tmp_path):
    np.save(tmp_path / "k.npy", np.zeros((3, LATENT_SIZE), dtype=np.float32))
    with pytest.raises(UserError, match="every cell would be the same"):
        make_path(generator, tmp_path, "keyframes", keyframes=str(tmp_path / "k.npy"), grid="2x2")


def test_an_interrupted_run_is_finished_by_the_same_command(generator, tmp_path):
    options = {"segments": 2, "frames": 5, "batch": 3}
    whole = make_path(generator, tmp_path / "whole", "bezier", **options, seed=3)
    broken = make_path(generator, tmp_path / "broken", "bezier", **options, seed=3)
    record = record_of(broken)
    beside(broken, ".json").write_text(json.dumps(dict(record, complete=False)))
    for name in ("4.png", "7.png", "9.png"):   # as a kill leaves it: some batches missing
        (broken / name).unlink()
    (broken / "0.png").write_bytes(b"kept: its batch is complete")
    # no --seed: an interrupted run of the same settings is found, whatever its seed
    again = make_path(generator, tmp_path / "broken", "bezier", **options)
    assert again == broken and record_of(broken)["complete"] is True and record_of(broken)["seed"] == 3
    assert (broken / "0.png").read_bytes() == b"kept: its batch is complete"
    assert [(broken / n).read_bytes() for n in frame_files(whole)[1:]] == \
        [(whole / n).read_bytes() for n in frame_files(whole)[1:]]
    # a finished run is never touched again: the same command makes a new run
    assert make_path(generator, tmp_path / "broken", "bezier", **options, seed=3) != broken
