"""gen/motion.py: the change of every step of a frames folder or of a video in each format mp4.py writes
(transparent ones over white), the report beside the input, --compare, and bad input as one line."""
import json

import numpy as np
import pytest
from conftest import run_script
from test_gen_video import moving_frames

from drawing.change import blurred_grey, change_between
from drawing.errors import UserError
from drawing.gen.frames import frame_name
from drawing.gen.motion import compare_animations, measure_animation, motion_report, summarise
from drawing.gen.video import FORMATS, make_video
from drawing.images import write_png


def test_the_measure_is_blurred_luma_and_its_mean_absolute_difference():
    white, black = np.ones((1, 9, 9, 3), np.float32), np.zeros((1, 9, 9, 3), np.float32)
    assert change_between(blurred_grey(white), blurred_grey(black))[0] == pytest.approx(255, abs=1e-3)
    # a pure red page is 0.299 of white's luma, and uint8 frames are read as grey levels already
    red = np.zeros((1, 9, 9, 3), np.uint8)
    red[..., 0] = 255
    assert blurred_grey(red)[0, 4, 4] == pytest.approx(0.299 * 255, abs=1e-3)
    # a one-pixel dot moved by a pixel changes less than one moved far: the blur makes a move a movement
    dots = np.ones((3, 15, 15, 3), np.float32)
    dots[0, 7, 7], dots[1, 7, 8], dots[2, 7, 12] = 0, 0, 0
    blurred = blurred_grey(dots)
    assert change_between(blurred[0], blurred[1]) < change_between(blurred[0], blurred[2])


def test_the_summary_of_steps():
    summary = summarise([1.0] * 18 + [0.05, 3.0])
    assert summary == {"steps": 20, "median": 1.0, "p95_over_median": pytest.approx(1.1),
                       "max_over_median": 3.0, "still_share": 0.05}
    assert summarise([0.0, 0.0, 1.0])["p95_over_median"] is None   # standing still: no ratio to give
    assert summarise([]) == {"steps": 0, "median": None, "p95_over_median": None, "max_over_median": None,
                             "still_share": None}                  # path.py random --count=1: one drawing


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_format_mp4_writes_is_measured_as_its_frames_over_white(tmp_path, suffix):
    folder, _ = moving_frames(tmp_path / "frames", count=8)   # navy ink on clear paper
    video = tmp_path / f"loop{suffix}"
    make_video(folder, video, fps=12)
    frames, decoded = measure_animation(folder), measure_animation(video)
    assert len(decoded) == len(frames) == 8
    # mp4 pads a row and a column and is lossy (7 % off here); transparency dropped would leave a page of navy
    np.testing.assert_allclose(decoded, frames, rtol=0.1)


def test_the_report_is_written_beside_the_input_and_replaced_by_a_rerun(tmp_path):
    folder, _ = moving_frames(tmp_path / "frames", count=8)
    report = motion_report(folder, command="python motion.py frames")
    assert report.plot == tmp_path / "frames_motion.png" and report.plot.stat().st_size > 1000
    record = json.loads(report.record.read_text())
    assert record["stage"] == "motion.py" and record["loop"] is True and len(record["changes"]) == 8
    assert record["motion"] == report.summary and report.summary["steps"] == 8
    open_ended = motion_report(folder, closed=False)
    assert open_ended.summary["steps"] == 7


def test_a_users_file_where_the_report_goes_is_kept(tmp_path):
    folder, _ = moving_frames(tmp_path / "frames")
    (tmp_path / "frames_motion.png").write_bytes(b"the user's own picture")
    with pytest.raises(UserError, match="frames_motion.png: exists and is not a motion plot"):
        motion_report(folder)
    assert (tmp_path / "frames_motion.png").read_bytes() == b"the user's own picture"
    assert not (tmp_path / "frames_motion.json").exists()


def test_compare_draws_several_animations_in_one_plot(tmp_path):
    slow, _ = moving_frames(tmp_path / "slow", count=8)
    fast = tmp_path / "fast"
    fast.mkdir()
    for index in range(4):   # every second frame of slow: twice the change per step
        (fast / frame_name(index, 4)).write_bytes((slow / frame_name(2 * index, 8)).read_bytes())
    (slow_summary, fast_summary) = [summary for _, summary in compare_animations([slow, fast], tmp_path / "c.png")]
    assert fast_summary["median"] > 1.5 * slow_summary["median"] and (tmp_path / "c.png").stat().st_size > 1000
    result = run_script("gen", "motion.py", slow, fast, "--compare", f"--out={tmp_path / 'c.png'}")
    assert f"{slow}: 8 steps" in result.stdout and f"{fast}: 4 steps" in result.stdout


def one_frame(folder):
    folder.mkdir()
    write_png(folder / "0.png", np.zeros((8, 8, 3), np.uint8))
    return folder, "1 frame; measuring motion needs at least 2"


def sizes_differ(folder):
    folder.mkdir()
    write_png(folder / "0.png", np.zeros((8, 8, 3), np.uint8))
    write_png(folder / "1.png", np.zeros((8, 9, 3), np.uint8))
    return folder / "1.png", "frame is 9 x 8 but 0.png is 8 x 8"


def no_video(folder):
    folder.mkdir()
    (folder / "loop.mp4").write_text("not a video at all")
    return folder / "loop.mp4", "not a video ffmpeg can read"


@pytest.mark.parametrize("make", [one_frame, sizes_differ, no_video])
def test_bad_input_is_one_line_naming_it(tmp_path, make):
    named, problem = make(tmp_path / "input")
    source = named if named.suffix == ".mp4" else tmp_path / "input"
    result = run_script("gen", "motion.py", source, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()] and str(named) in result.stderr
    assert problem in result.stderr
    assert not list(tmp_path.glob("*_motion.*"))
