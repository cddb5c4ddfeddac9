"""gen/rgba.py and gen/mp4.py: transparency from brightness, compositing, videos read back with ffmpeg."""
import json

import imageio_ffmpeg
import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing.errors import UserError
from drawing.folders import write_record
from drawing.gen.frames import brightness_to_alpha, composite_over, cover, frame_name, list_frames, pad_to_even
from drawing.gen.transparency import make_rgba
from drawing.gen.video import make_video
from drawing.images import read_image, write_png


def write_frames(folder, count, height=24, width=32, channels=3, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        write_png(folder / frame_name(index, count), rng.integers(0, 256, (height, width, channels), dtype=np.uint8))
    return folder


def write_video(path, count, size=(40, 30), color=(0, 0, 255)):
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=30, macro_block_size=1)
    writer.send(None)
    for _ in range(count):
        writer.send(np.full((size[1], size[0], 3), color, dtype=np.uint8))
    writer.close()
    return path


def video_facts(path):
    """(frame count, (width, height), mean colour of the first frame) read back with ffmpeg."""
    count, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    first = np.frombuffer(next(reader), dtype=np.uint8).reshape(height, width, 3)
    reader.close()
    return count, (width, height), first.reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("count, first, last", [(1, "0.png", "0.png"), (10, "0.png", "9.png"),
                                                (11, "00.png", "10.png"), (512, "000.png", "511.png")])
def test_frame_names_pad_to_the_last_index(count, first, last):
    assert (frame_name(0, count), frame_name(count - 1, count)) == (first, last)


@pytest.mark.parametrize("color", [(0, 0, 0), (255, 128, 7)])
def test_white_turns_clear_and_black_opaque_in_the_colour(color):
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [90, 120, 150]]], dtype=np.uint8)
    rgba = brightness_to_alpha(rgb, color)
    assert rgba.shape == (1, 3, 4) and rgba.dtype == np.uint8
    assert rgba[0, :, 3].tolist() == [0, 255, 255 - 120]
    assert (rgba[0, :, :3] == color).all()


def test_brightness_to_alpha_matches_the_originals_per_pixel_rule():
    rgb = np.random.default_rng(1).integers(0, 256, (17, 9, 3), dtype=np.uint8)
    expected = 255 - rgb.astype(int).sum(axis=2) // 3
    np.testing.assert_array_equal(brightness_to_alpha(rgb, (1, 2, 3))[:, :, 3], expected)


def test_composite_over_blends_by_alpha():
    rgba = np.array([[[200, 0, 0, 255], [200, 0, 0, 0], [200, 0, 0, 128]]], dtype=np.uint8)
    background = np.full((1, 3, 3), (0, 0, 100), dtype=np.uint8)
    assert composite_over(rgba, background).tolist() == [[[200, 0, 0], [0, 0, 100], [100, 0, 50]]]


@pytest.mark.parametrize("source_shape", [(10, 40), (40, 10), (30, 30), (300, 200)])
def test_cover_fills_the_frame_keeping_the_middle(source_shape):
    image = np.zeros(source_shape + (3,), dtype=np.uint8)
    image[source_shape[0] // 2 - 1:source_shape[0] // 2 + 1, source_shape[1] // 2 - 1:source_shape[1] // 2 + 1] = 255
    covered = cover(image, (24, 16))
    assert covered.shape == (16, 24, 3)
    assert covered[6:10, 10:14].max() > 0


def test_pad_to_even_repeats_the_edge():
    frame = np.arange(15, dtype=np.uint8).reshape(3, 5, 1)
    padded = pad_to_even(frame)
    assert padded.shape == (4, 6, 1)
    assert (padded[3, :5, 0] == frame[2, :, 0]).all() and (padded[:3, 5, 0] == frame[:, 4, 0]).all()


def snapshot(folder):
    """The bytes of every file in a folder and of its record beside it."""
    files = [path for path in folder.rglob("*") if path.is_file()] + [folder.with_name(folder.name + ".json")]
    return {str(path): path.read_bytes() for path in files if path.exists()}


def write_path_record(frames, fps=12, complete=True):
    """The record gen/path.py writes beside its frames folder."""
    write_record(frames, {"stage": "path.py", "command": "python path.py model phase", "fps": fps}, complete)


def test_rgba_script_copies_the_folder_as_rgba_with_its_record_beside(tmp_path):
    frames = write_frames(tmp_path / "frames", 3)
    write_path_record(frames)
    before = snapshot(frames)
    result = run_script("gen", "rgba.py", frames, "--color=#ff8000")
    out = tmp_path / "frames_rgba_#ff8000"
    assert str(out) in result.stdout
    assert sorted(path.name for path in out.iterdir()) == ["0.png", "1.png", "2.png"]
    record = json.loads((tmp_path / "frames_rgba_#ff8000.json").read_text())
    assert record["stage"] == "rgba.py" and record["complete"] is True and record["fps"] == 12
    assert record["color"] == "#ff8000" and record["input"] == str(frames)
    rgba = read_image(out / "1.png", "RGBA")
    assert (rgba[:, :, :3] == (255, 128, 0)).all()
    np.testing.assert_array_equal(rgba[:, :, 3], 255 - read_image(frames / "1.png").astype(int).sum(axis=2) // 3)
    assert snapshot(frames) == before
    # rerun into its own output: fine; the default colour is the original's #000000
    run_script("gen", "rgba.py", frames, "--color=#ff8000")
    run_script("gen", "rgba.py", frames)
    assert (tmp_path / "frames_rgba_#000000" / "2.png").exists()
    # the same frames typed another way are the same input; another colour into that folder is refused
    run_script("gen", "rgba.py", f"{frames}/", "--color=#ff8000", f"--dir_out={out}")
    refused = run_script("gen", "rgba.py", frames, "--color=navy", f"--dir_out={out}", check=False)
    assert refused.returncode == 1 and refused.stderr.strip().splitlines()[-1].startswith(
        f"error: {out}: holds the output of another run (color #ff8000 there, navy now): python rgba.py ")
    # mp4.py plays the copy at the fps carried on in its record
    assert "3 frames at 12 fps" in run_script("gen", "mp4.py", out, "--background=white").stdout


def test_rgba_refuses_a_bad_colour_and_an_empty_folder(tmp_path):
    frames = write_frames(tmp_path / "frames", 1)
    bad_colour = run_script("gen", "rgba.py", frames, "--color=blurple", check=False)
    assert bad_colour.returncode == 1 and "blurple" in bad_colour.stderr
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no PNG"):
        make_rgba(tmp_path / "empty", tmp_path / "out", "black")


@pytest.mark.parametrize("size", [(32, 24), (33, 25)])
def test_mp4_of_opaque_frames_has_every_frame_at_even_size(tmp_path, size):
    frames = write_frames(tmp_path / "frames", 7, height=size[1], width=size[0])
    count, fps = make_video(frames, tmp_path / "frames.mp4")
    assert (count, fps) == (7, 30)
    frame_count, video_size, _ = video_facts(tmp_path / "frames.mp4")
    assert frame_count == 7 and video_size == (size[0] + size[0] % 2, size[1] + size[1] % 2)


def transparent_frames(folder, count):
    """Frames that are clear everywhere but for a black square: the background shows around it."""
    folder.mkdir(parents=True)
    frame = np.zeros((24, 32, 4), dtype=np.uint8)
    frame[6:18, 8:24, 3] = 255
    for index in range(count):
        write_png(folder / frame_name(index, count), frame)
    return folder


@pytest.mark.parametrize("background", ["image", "video", "colour", None])
def test_mp4_lays_transparent_frames_over_the_background(tmp_path, background):
    frames = transparent_frames(tmp_path / "clear", 12)
    if background == "image":
        Image.new("RGB", (90, 50), (0, 0, 255)).save(tmp_path / "blue.png")
        argument, expected = str(tmp_path / "blue.png"), (0, 0, 255)
    elif background == "video":   # 5 frames under 12: it loops
        argument, expected = str(write_video(tmp_path / "blue.mp4", 5)), (0, 0, 255)
    elif background == "colour":
        argument, expected = "blue", (0, 0, 255)
    else:
        argument, expected = None, (255, 255, 255)
    make_video(frames, tmp_path / "clear.mp4", argument, fps=24)
    frame_count, video_size, mean_colour = video_facts(tmp_path / "clear.mp4")
    assert frame_count == 12 and video_size == (32, 24)
    # 3/4 of the frame is background, 1/4 the black square (H.264 blurs colours a little)
    np.testing.assert_allclose(mean_colour, np.array(expected) * 0.75, atol=20)


@pytest.mark.parametrize("background, note", [
    ("image 90x50", "note: {} is 90 x 50 and the frames 32 x 24"),
    ("video 40x30", "note: {} is 40 x 30 and the frames 32 x 24"),
    ("image 32x24", None), ("colour", None)])
def test_a_background_of_another_size_than_the_frames_is_said(tmp_path, capsys, console_messages, background,
                                                               note):
    """The original's video took the background's size with the frames at its top-left corner; ours is the
    frames' size, the background scaled to cover them: a note says so whenever the sizes differ."""
    frames = transparent_frames(tmp_path / "clear", 2)
    kind, _, size = background.partition(" ")
    if kind == "image":
        width, height = map(int, size.split("x"))
        Image.new("RGB", (width, height), "blue").save(tmp_path / "paper.png")
        argument = str(tmp_path / "paper.png")
    elif kind == "video":
        argument = str(write_video(tmp_path / "blue.mp4", 3))
    else:
        argument = "blue"
    make_video(frames, tmp_path / "clear.mp4", argument, fps=24)
    assert video_facts(tmp_path / "clear.mp4")[1] == (32, 24)
    said = capsys.readouterr().err
    if note is None:
        assert "note:" not in said
    else:
        assert note.format(argument) in said and "the original's video was" in said and "top-left" in said
        assert len([line for line in said.splitlines() if line.startswith("note:")]) == 1


def test_mp4_script_from_its_folder_uses_the_recorded_fps(tmp_path):
    frames = transparent_frames(tmp_path / "clear", 4)
    write_path_record(frames)
    Image.new("RGB", (8, 8), "white").save(tmp_path / "paper.png")
    result = run_script("gen", "mp4.py", frames, f"--background={tmp_path / 'paper.png'}")
    assert "4 frames at 12 fps" in result.stdout
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "clear.mp4")) == (4, pytest.approx(4 / 12, abs=0.02))


def test_mp4_refuses_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no PNG"):
        make_video(tmp_path / "empty", tmp_path / "empty.mp4")
    mixed = write_frames(tmp_path / "mixed", 2)
    write_png(mixed / "2.png", np.zeros((10, 10, 3), dtype=np.uint8))
    with pytest.raises(UserError, match="2.png.*one size"):
        list_frames(mixed)
    clear = transparent_frames(tmp_path / "clear", 2)
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "notes.mp4").write_text("not a video")
    for background, problem in [("notes.png", "not an image"), ("notes.mp4", "cannot be read"),
                                ("missing.png", "not found")]:
        with pytest.raises(UserError, match=problem):
            make_video(clear, tmp_path / "clear.mp4", str(tmp_path / background))
    assert not (tmp_path / "clear.mp4").exists()
    script_error = run_script("gen", "mp4.py", tmp_path / "mixed", check=False)
    assert script_error.returncode == 1 and script_error.stderr.startswith("error: ")
