"""gen/ under careless or unlucky use: killed runs, outputs aimed at inputs, bad values.

Each case checks the one-line message, the exit status, and that the input is unchanged.
"""
import dataclasses
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers import REPO, checksums, error_line, kill_when, limit_file_size, run_script, start_script

from drawing.errors import UserError
from drawing.folders import write_record
from drawing.gen.frames import frame_name
from drawing.gen.generator import load_model
from drawing.gen.path_run import PathSettings, generate_path
from drawing.images import write_png

LATENT_SIZE = 8


def frames_folder(tmp_path, complete=None, count=3):
    folder = tmp_path / "frames"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        write_png(folder / frame_name(index, count), rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    if complete is not None:
        write_record(folder, {"stage": "path.py", "command": "python path.py ../run phase --seed=3", "fps": 10},
                     complete)
    return folder


def assert_one_line_error(result, *fragments):
    line = error_line(result, alone=True)
    for fragment in fragments:
        assert fragment in line


# frames the killed run has written when it is killed (of 600; they come in batches of 8)
KILL_AFTER_FRAMES = 100


def test_path_killed_midway_is_refused_by_readers_and_finished_by_a_rerun(untrained_run, untrained_generator,
                                                                          tmp_path):
    settings = PathSettings(str(untrained_run), "bezier", dir_out=str(tmp_path / "out"), segments=4, frames=150,
                            batch=8, seed=11)
    style_dir = tmp_path / "out" / "bezier_s4_f150"

    def frames_written():
        runs = [path for path in style_dir.glob("*_seed11") if path.is_dir()] if style_dir.exists() else []
        return runs and len(list(runs[0].glob("*.png"))) >= KILL_AFTER_FRAMES

    kill_when(start_script("gen", "path.py", untrained_run, "bezier", "--segments=4", "--frames=150", "--batch=8",
                           "--seed=11", f"--dir_out={tmp_path / 'out'}"), frames_written, timeout=120)
    (run_dir,) = [path for path in style_dir.glob("*_seed11") if path.is_dir()]
    record = json.loads(run_dir.with_name(run_dir.name + ".json").read_text())
    written = len(list(run_dir.glob("*.png")))
    assert record["complete"] is False and record["frames"] == 600 and written < 600, "killed too late"

    before = checksums(run_dir, beside=True)
    for reader in (("mp4.py", run_dir), ("rgba.py", run_dir)):
        result = run_script("gen", *reader, check=False)
        assert_one_line_error(result, "incomplete", "finish it by rerunning: python path.py", "--seed=11")
    assert checksums(run_dir, beside=True) == before
    assert not run_dir.with_name(run_dir.name + ".mp4").exists()
    assert not run_dir.with_name(run_dir.name + "_rgba_#000000").exists()

    generate_path(settings, untrained_generator)   # path.py's work for the same command finishes the same folder
    assert [path for path in style_dir.iterdir() if path.is_dir()] == [run_dir]
    assert json.loads(run_dir.with_name(run_dir.name + ".json").read_text())["complete"] is True
    assert not list(run_dir.glob(".*"))   # the killed run's temporary files are gone

    whole = generate_path(dataclasses.replace(settings, dir_out=str(tmp_path / "whole")), untrained_generator).folder
    names = sorted(path.name for path in whole.glob("*.png"))
    assert sorted(path.name for path in run_dir.glob("*.png")) == names
    assert all((run_dir / name).read_bytes() == (whole / name).read_bytes() for name in names)


@pytest.mark.parametrize("out, extra, message", [
    ("frames/0.png", [], "--out lies inside the input"),
    ("frames/0.png", ["--overwrite"], "--out lies inside the input"),
    ("frames/new.mp4", [], "--out lies inside the input"),
    ("notes.mp4", [], "exists and was not written by mp4.py"),
    ("loop.avi", [], "unknown video format"),
])
def test_mp4_never_replaces_a_file_it_did_not_write(tmp_path, out, extra, message):
    folder = frames_folder(tmp_path)
    (tmp_path / "notes.mp4").write_text("the user's own file")
    before = checksums(folder, beside=True)
    result = run_script("gen", "mp4.py", folder, f"--out={tmp_path / out}", *extra, check=False)
    assert_one_line_error(result, message)
    assert checksums(folder, beside=True) == before


def test_mp4_overwrite_replaces_a_file_the_user_names(tmp_path):
    folder = frames_folder(tmp_path)
    (tmp_path / "notes.mp4").write_text("the user's own file")
    run_script("gen", "mp4.py", folder, f"--out={tmp_path / 'notes.mp4'}", "--overwrite")
    assert (tmp_path / "notes.mp4").read_bytes()[4:8] == b"ftyp"


@pytest.mark.parametrize("script", ["mp4.py", "rgba.py"])
def test_readers_refuse_an_incomplete_frames_folder_naming_the_command(tmp_path, script):
    folder = frames_folder(tmp_path, complete=False)
    before = checksums(folder, beside=True)
    result = run_script("gen", script, folder, check=False)
    assert_one_line_error(result, "frames folder is incomplete",
                          "finish it by rerunning: python path.py ../run phase --seed=3")
    assert checksums(folder, beside=True) == before


@pytest.mark.parametrize("arguments, message", [
    (["bezier", "--frames=1"], "--frames 1: a loop needs at least 2 frames"),
    (["bitloop", "--loop_frames", "1"], "--loop_frames 1: a loop needs at least 2 frames"),
    (["keyframes", "--keyframes=k.npy", "--frames=1"], "--frames 1: a loop needs at least 2 frames"),
])
def test_path_refuses_a_one_frame_loop(tmp_path, arguments, message):
    result = run_script("gen", "path.py", tmp_path / "model_never_read", *arguments, check=False)
    assert_one_line_error(result, message)


@pytest.mark.parametrize("color", ["rgb(300,0,0)", "rgba(0,0,0,256)", "blurple"])
def test_rgba_refuses_a_colour_out_of_range(tmp_path, color):
    folder = frames_folder(tmp_path, complete=True)
    before = checksums(folder, beside=True)
    result = run_script("gen", "rgba.py", folder, f"--color={color}", check=False)
    assert_one_line_error(result, repr(color))
    assert checksums(folder, beside=True) == before


def test_rgba_refuses_an_output_inside_its_input_or_holding_other_files(tmp_path):
    folder = frames_folder(tmp_path, complete=True)
    (tmp_path / "someone").mkdir()
    (tmp_path / "someone" / "holiday.png").write_bytes(b"not ours")
    before = checksums(folder, beside=True)
    inside = run_script("gen", "rgba.py", folder, f"--dir_out={folder / 'rgba'}", check=False)
    assert_one_line_error(inside, "--dir_out lies inside the input")
    taken = run_script("gen", "rgba.py", folder, f"--dir_out={tmp_path / 'someone'}", check=False)
    assert_one_line_error(taken, "files this stage did not write")
    assert checksums(folder, beside=True) == before


@pytest.mark.parametrize("color", [None, "rgb(0,0,255)"])
@pytest.mark.parametrize("transparent", [False, True])
def test_rgba_given_mp4s_background_names_commands_that_work(tmp_path, transparent, color):
    """The original README shows mp4.py's line under rgba.py's name: rgba.py <frames> --background=X. Its
    one-line answer is what to run instead; run as a shell line, mp4.py lays the frames over X, no warning."""
    folder = frames_folder(tmp_path, complete=True)
    if transparent:
        folder = run_script("gen", "rgba.py", folder) and tmp_path / "frames_rgba_#000000"
    write_png(tmp_path / "paper.png", np.full((12, 16, 3), 230, dtype=np.uint8))   # the frames' size
    before = checksums(folder, beside=True)
    colour = [f"--color={color}"] if color else []
    result = run_script("gen", "rgba.py", folder, f"--background={tmp_path / 'paper.png'}", *colour, check=False)
    assert_one_line_error(result, "rgba.py has no --background")
    assert checksums(folder, beside=True) == before
    hint = result.stderr.strip().split(": ")[-1]
    assert hint.count("python ") == (1 if transparent else 2)
    ran = subprocess.run(hint.replace("python ", f"{sys.executable} "), shell=True, cwd=REPO / "gen",
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and "warning" not in ran.stderr and "opaque" not in ran.stderr, ran.stderr
    copy = folder if transparent else tmp_path / f"frames_rgba_{'rgb-0-0-255' if color else '#000000'}"
    assert (copy.with_name(copy.name + ".mp4")).stat().st_size > 0


@pytest.mark.parametrize("script, arguments", [
    ("path.py", ["{run}", "random", "--count=4", "--seed=1", "--dir_out={tmp}/out"]),
    ("rgba.py", ["{frames}", "--dir_out={tmp}/rgba"]),
    ("mp4.py", ["{frames}", "--out={tmp}/loop.mp4"]),
])
def test_a_full_disk_is_one_line_naming_the_file(untrained_run, tmp_path, script, arguments):
    """A file-size limit stands in for a full disk: the writes fail with EFBIG (ffmpeg's too)."""
    (tmp_path / "in").mkdir()
    frames = frames_folder(tmp_path / "in", complete=True, count=40)
    before = checksums(frames, beside=True)
    arguments = [a.format(run=untrained_run, frames=frames, tmp=tmp_path) for a in arguments]
    completed = run_script("gen", script, *arguments, check=False, timeout=300, preexec_fn=limit_file_size(400))
    last = error_line(completed)
    assert last.startswith(f"error: {tmp_path}") and "cannot write: the file is larger than this system allows" in last
    assert checksums(frames, beside=True) == before


@pytest.mark.parametrize("latents, message", [
    (np.array([[0.0] * LATENT_SIZE, [np.nan] * LATENT_SIZE, [0.5] * LATENT_SIZE], np.float32),
     "keyframes.npy: frame 1's latent is not all finite numbers (NaN or infinity); pick other frames with --pick"),
    (np.array([[0.0] * LATENT_SIZE, [np.inf] + [0.0] * (LATENT_SIZE - 1)], np.float32),
     "keyframes.npy: frame 1's latent is not all finite numbers"),
    (b"frame,z0,z1\n0,0.1,0.2\n", "keyframes.npy: not a .npy file (it lacks the .npy header) of latents"),
])
def test_path_refuses_keyframes_that_are_no_latents_naming_the_file(untrained_run, tmp_path, latents, message):
    keyframes = tmp_path / "keyframes.npy"
    if isinstance(latents, bytes):
        keyframes.write_bytes(latents)
    else:
        np.save(keyframes, latents)
    before = checksums(tmp_path)
    # path.py <run> keyframes --keyframes=<file> --frames=4 --dir_out=<out>, in this process
    with pytest.raises(UserError) as error:
        generate_path(PathSettings(str(untrained_run), "keyframes", keyframes=str(keyframes), frames=4,
                                   dir_out=str(tmp_path / "out")))
    assert str(error.value).startswith(f"{tmp_path}/{message}")
    assert checksums(tmp_path) == before and not list((tmp_path / "out").rglob("*.png"))


@pytest.mark.parametrize("change, problem", [
    ({"networks": None}, "'networks' is missing"),
    ({"epoch": "12"}, "'epoch' is not a whole number"),
    ({"arrays": ["generator"]}, "'arrays' is not an object of array counts"),
    ({"arrays": {"generator": "5"}}, "'arrays' is not an object of array counts"),
    ({"training": [1]}, "'training' is not an object"),
])
def test_a_checkpoint_whose_meta_json_is_malformed_is_named_not_a_traceback(untrained_run, tmp_path, change, problem):
    """A hand-edited checkpoint, or one another program wrote in our container: the field is named."""
    with zipfile.ZipFile(untrained_run / "0.checkpoint") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    meta = {**json.loads(entries.pop("meta.json")), **change}
    meta = {key: value for key, value in meta.items() if value is not None}
    model = tmp_path / "edited.checkpoint"
    with zipfile.ZipFile(model, "w") as archive:
        for name, data in {**entries, "meta.json": json.dumps(meta).encode()}.items():
            archive.writestr(name, data)
    with pytest.raises(UserError) as error:
        load_model(model)
    assert str(error.value) == f"{model}: checkpoint is damaged (meta.json's {problem}); use another checkpoint"


@pytest.mark.parametrize("older", [False, True])
def test_a_untrained_run_whose_newest_checkpoint_is_damaged_names_an_older_one(untrained_run, tmp_path, older):
    folder = tmp_path / "run"
    folder.mkdir()
    good = (untrained_run / "0.checkpoint").read_bytes()
    if older:
        (folder / "0.checkpoint").write_bytes(good)
    (folder / "1.checkpoint").write_bytes(good[:len(good) // 2])
    with pytest.raises(UserError) as error:
        load_model(folder)
    message = str(error.value)
    assert message.startswith(f"{folder / '1.checkpoint'}: checkpoint is damaged or truncated")
    hint = f"; it is the run folder's newest checkpoint: give an older one instead, e.g. {folder / '0.checkpoint'}"
    assert message.endswith(hint) if older else "give an older one" not in message
    if older:
        load_model(folder / "0.checkpoint")   # as the message says
