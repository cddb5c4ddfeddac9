"""path.py's pace on a tiny untrained model: even pacing lowers the spread of the steps, keeps the frame
count and the seam, gives one animation per seed, resumes as it started; the pure placement maths."""
import dataclasses
import json

import numpy as np
import pytest
from helpers import kill_when, start_script

from drawing.change import ChangeMeter
from drawing.gen import latent_paths
from drawing.gen.pace import landing_frames, paced_latents, place_evenly
from drawing.gen.path_run import EVEN_NOTE, PathSettings, generate_path
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
    settings = PathSettings("model", style, dir_out=str(dir_out), **options)
    return generate_path(settings, generator, command=f"python path.py model {style}")


def record_of(run_dir):
    return json.loads(run_dir.with_name(run_dir.name + ".json").read_text())


def frame_bytes(run_dir):
    return {path.name: path.read_bytes() for path in sorted(run_dir.glob("*.png"))}


def measured(run_dir):
    """The steps of a run's frames as written, the seam included."""
    meter = ChangeMeter()
    for path in sorted(run_dir.glob("*.png")):
        meter.add(read_image(path)[None])
    return meter.changes(closed=True)


# ---- the placement maths -----------------------------------------------------------------------------

def test_frames_are_placed_at_equal_steps_of_accumulated_change():
    # half the loop changes 3, the other half 1: three of four frames go into the first half
    times = place_evenly(np.array([0.0, 0.5]), np.array([3.0, 1.0]), 4)
    np.testing.assert_allclose(times, [0, 1 / 6, 2 / 6, 0.5])
    # nothing changes anywhere: any pace is even, the latent one is kept
    np.testing.assert_array_equal(place_evenly(np.array([0.0, 0.5]), np.zeros(2), 4), [0, 0.25, 0.5, 0.75])


def test_keyframes_land_on_the_nearest_frame():
    assert landing_frames(latent_paths.loop_times(12), [0, 1 / 3, 2 / 3]) == [0, 4, 8]
    assert landing_frames(np.array([0.0, 0.1, 0.2, 0.6]), [0.0, 0.55, 0.95]) == [0, 3, 0]   # 0.95: next to the seam


def test_a_loop_gives_the_latent_pace_frames_at_whole_positions_and_closes():
    loop = latent_paths.bezier_path(np.random.default_rng(0), 3, 5, LATENT_SIZE)
    np.testing.assert_array_equal(loop.latents(), latent_paths.bezier_latents(np.random.default_rng(0), 3, 5,
                                                                              LATENT_SIZE))
    np.testing.assert_allclose(loop.at(np.array([15.0])), loop.at(np.array([0.0])), atol=1e-6)
    halfway = loop.at(np.array([2.5]))
    assert np.linalg.norm(halfway - loop.latents()[2]) < np.linalg.norm(loop.latents()[3] - loop.latents()[2])


# ---- path.py at the even pace ------------------------------------------------------------------------

CLOSED_STYLES = [("bezier", {"segments": 2, "frames": 16}), ("phase", {"seconds": 2, "fps": 16}),
                 ("bitloop", {"loop_frames": 32})]


@pytest.mark.parametrize("style, options", CLOSED_STYLES)
def test_even_pace_lowers_the_spread_and_keeps_the_frames_and_the_seam(generator, tmp_path, style, options):
    latent = make_path(generator, tmp_path / "latent", style, **options, seed=3, pace="latent")
    even = make_path(generator, tmp_path / "even", style, **options, seed=3)
    assert even.frames == latent.frames and len(frame_bytes(even.folder)) == latent.frames
    assert record_of(even.folder)["pace"] == "even" and record_of(latent.folder)["pace"] == "latent"
    assert even.motion["p95_over_median"] < latent.motion["p95_over_median"]
    assert even.motion["p95_over_median"] <= 1.15 and even.motion["max_over_median"] <= 1.3
    # the record's summary is that of the frames as written, and the seam is an ordinary step
    steps = measured(even.folder)
    assert even.motion["median"] == pytest.approx(np.median(steps), abs=1e-4)
    assert 0.7 < steps[-1] / np.median(steps) < 1.3
    times = np.asarray(record_of(even.folder)["times"])
    assert times[0] == 0 and np.all(np.diff(times) > 0) and times[-1] < 1
    assert even.folder.with_name(even.folder.name + "_motion.png").stat().st_size > 1000


def test_one_seed_gives_one_animation(generator, tmp_path):
    first = make_path(generator, tmp_path / "a", "bezier", segments=2, frames=8, seed=4)
    again = make_path(generator, tmp_path / "b", "bezier", segments=2, frames=8, seed=4)
    assert record_of(first.folder)["times"] == record_of(again.folder)["times"]
    assert frame_bytes(first.folder) == frame_bytes(again.folder)
    np.testing.assert_array_equal(np.load(first.folder.with_suffix(".npy")), np.load(again.folder.with_suffix(".npy")))


def test_each_cell_of_a_grid_is_paced_on_its_own(generator, tmp_path):
    grid = make_path(generator, tmp_path / "grid", "bezier", segments=2, frames=6, grid="2x1", seed=8, batch=4)
    record = record_of(grid.folder)
    assert len(record["times"]) == 2 and record["times"][0] != record["times"][1]
    alone = make_path(generator, tmp_path / "alone", "bezier", segments=2, frames=6, seed=record["cell_seeds"][1],
                      batch=4)
    assert record_of(alone.folder)["times"] == record["times"][1]
    assert np.load(grid.folder.with_suffix(".npy")).shape == (12, 2, LATENT_SIZE)


def test_keyframes_record_where_each_keyframe_lands(generator, tmp_path):
    np.save(tmp_path / "k.npy", np.random.default_rng(1).standard_normal((3, LATENT_SIZE)).astype(np.float32))
    even = make_path(generator, tmp_path, "keyframes", keyframes=str(tmp_path / "k.npy"), frames=8,
                     interpolation="linear")
    latent = make_path(generator, tmp_path, "keyframes", keyframes=str(tmp_path / "k.npy"), frames=8,
                       interpolation="linear", pace="latent")
    assert record_of(latent.folder)["keyframe_frames"] == [0, 8, 16]
    landed = record_of(even.folder)["keyframe_frames"]
    assert landed[0] == 0 and landed == sorted(set(landed)) and 0 < landed[1] < landed[2] < 24
    keyframes = np.load(tmp_path / "k.npy")
    np.testing.assert_array_equal(np.load(even.folder.with_suffix(".npy"))[0], keyframes[0])   # frame 0 stays


def test_int8_is_paced_by_the_exact_generator_and_truncation_by_what_it_is_given(generator, tmp_path):
    run = make_path(generator, tmp_path, "phase", seconds=2, fps=12, seed=2, int8=True, truncation=0.7, batch=4)
    exact = make_path(generator, tmp_path / "exact", "phase", seconds=2, fps=12, seed=2, truncation=0.7, batch=4)
    record = record_of(run.folder)
    assert record["int8"] is True and record["pace"] == "even" and record["times"] == record_of(exact.folder)["times"]
    loop = latent_paths.phase_path(np.random.default_rng(2), 24, LATENT_SIZE)
    np.testing.assert_array_equal(np.load(run.folder.with_suffix(".npy")),
                                  latent_paths.truncate(loop.at_times(np.asarray(record["times"])), 0.7))


def test_the_pace_is_said_once_and_random_has_none(generator, tmp_path, capsys, console_messages):
    make_path(generator, tmp_path, "bezier", segments=1, frames=4, seed=1)
    assert capsys.readouterr().err.count(EVEN_NOTE) == 1
    make_path(generator, tmp_path, "bezier", segments=1, frames=4, seed=1, pace="latent")
    assert EVEN_NOTE not in capsys.readouterr().err
    drawings = make_path(generator, tmp_path, "random", count=3, seed=1)
    assert "pace" not in record_of(drawings.folder) and drawings.motion["steps"] == 2   # no loop: no seam
    assert make_path(generator, tmp_path, "random", seed=1).motion["steps"] == 0        # one drawing: no step


def test_the_paced_latents_api_gives_the_latent_pace_exactly(generator):
    loop = latent_paths.keyframe_path(np.eye(3, LATENT_SIZE) * 2, 4, "spherical")
    latents, times = paced_latents(loop, generator, "latent", truncation=0.5)
    np.testing.assert_array_equal(latents, latent_paths.truncate(loop.latents(), 0.5))
    np.testing.assert_array_equal(times, latent_paths.loop_times(12))
    with pytest.raises(ValueError, match="pace 'fast'"):
        paced_latents(loop, generator, "fast")


# ---- resuming ----------------------------------------------------------------------------------------

def interrupt(run_dir, keep):
    """Make a finished run look as a kill leaves it: incomplete, only the first `keep` frames there."""
    record = record_of(run_dir)
    run_dir.with_name(run_dir.name + ".json").write_text(json.dumps(dict(record, complete=False)))
    for path in sorted(run_dir.glob("*.png"))[keep:]:
        path.unlink()
    return record


def test_a_run_recorded_before_paces_existed_is_finished_at_the_latent_pace(generator, tmp_path, capsys,
                                                                            console_messages):
    whole = make_path(generator, tmp_path / "whole", "bezier", segments=2, frames=5, seed=6, pace="latent", batch=2)
    old = make_path(generator, tmp_path / "old", "bezier", segments=2, frames=5, seed=6, pace="latent", batch=2)
    record = interrupt(old.folder, keep=4)
    del record["pace"]
    old.folder.with_name(old.folder.name + ".json").write_text(json.dumps(dict(record, complete=False)))
    again = make_path(generator, tmp_path / "old", "bezier", segments=2, frames=5, batch=2)   # pace not given
    assert again.folder == old.folder and record_of(old.folder)["pace"] == "latent"
    assert "recorded before path.py had --pace" in capsys.readouterr().err
    assert frame_bytes(old.folder) == frame_bytes(whole.folder)


def test_an_interrupted_even_run_keeps_the_times_it_recorded(generator, tmp_path):
    run = make_path(generator, tmp_path, "bezier", segments=2, frames=5, seed=6, batch=2)
    record = interrupt(run.folder, keep=0)
    # times other than any pace would find: a rerun that paced again would not give these latents
    recorded = (np.arange(10) / 10 + 0.01).tolist()
    run.folder.with_name(run.folder.name + ".json").write_text(json.dumps(dict(record, times=recorded,
                                                                               complete=False)))
    again = make_path(generator, tmp_path, "bezier", segments=2, frames=5, batch=2)
    assert again.folder == run.folder and record_of(run.folder)["times"] == recorded
    loop = latent_paths.bezier_path(np.random.default_rng(6), 2, 5, LATENT_SIZE)
    np.testing.assert_array_equal(np.load(run.folder.with_suffix(".npy")), loop.at_times(np.asarray(recorded)))


def paced_yet(style_dir):
    """The strike point 'pacing': the run's record is written and holds no times yet."""
    records = list(style_dir.glob("*_seed11.json")) if style_dir.exists() else []
    return bool(records) and "times" not in json.loads(records[0].read_text() or "{}")


def frames_written(style_dir, count=40):
    """The strike point 'frames': at least `count` frames are written."""
    runs = [path for path in style_dir.glob("*_seed11") if path.is_dir()] if style_dir.exists() else []
    return bool(runs) and len(list(runs[0].glob("*.png"))) >= count


@pytest.mark.parametrize("strike", [paced_yet, frames_written], ids=["while pacing", "after 40 frames"])
def test_a_killed_even_run_reruns_to_the_same_frames(run_folder, generator, tmp_path, strike):
    arguments = [str(run_folder), "bezier", "--segments=4", "--frames=100", "--batch=8", "--seed=11",
                 f"--dir_out={tmp_path / 'out'}"]
    settings = PathSettings(str(run_folder), "bezier", dir_out=str(tmp_path / "out"), segments=4, frames=100,
                            batch=8, seed=11)
    style_dir = tmp_path / "out" / "bezier_s4_f100"
    kill_when(start_script("gen", "path.py", *arguments), lambda: strike(style_dir), timeout=120)
    (run_dir,) = [path for path in style_dir.iterdir() if path.is_dir()]
    assert record_of(run_dir)["complete"] is False
    generate_path(settings, generator)   # path.py's work for the same command, in this process
    assert [path for path in style_dir.iterdir() if path.is_dir()] == [run_dir]
    assert record_of(run_dir)["complete"] is True and not list(run_dir.glob(".*"))
    whole = generate_path(dataclasses.replace(settings, dir_out=str(tmp_path / "whole")), generator).folder
    assert frame_bytes(run_dir) == frame_bytes(whole)
    finished, uninterrupted = record_of(run_dir), record_of(whole)
    assert finished["times"] == uninterrupted["times"] and finished["motion"] == uninterrupted["motion"]
