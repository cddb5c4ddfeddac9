"""gen/mp4.py's formats: each written file decoded back with the bundled ffmpeg, alpha compared with the frames."""
import json
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from helpers import run_script

from drawing.errors import UserError
from drawing.gen.frames import frame_name
from drawing.gen.video import make_video
from drawing.images import write_png

WIDTH, HEIGHT, COUNT = 33, 25, 6   # odd sides on purpose


def moving_frames(folder, count=COUNT, alpha=True):
    """Navy ink on clear paper: a square that moves one pixel a frame, over a half-transparent band."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for index in range(count):
        frame = np.zeros((HEIGHT, WIDTH, 4), dtype=np.uint8)
        frame[:, :, :3] = (0, 0, 128)
        frame[4:14, 3 + index:17 + index, 3] = 255
        frame[18:22, :, 3] = 128
        frames.append(frame if alpha else frame[:, :, :3])
        write_png(folder / frame_name(index, count), frames[-1])
    return folder, np.stack(frames)


def decode(path, decoder=None):
    """Every frame of a video as RGBA [frames, height, width, 4], decoded by the bundled ffmpeg."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *(["-c:v", decoder] if decoder else []),
               "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgba", "-"]
    data = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, HEIGHT, WIDTH, 4)


# suffix, decoder (VP9's alpha needs libvpx's own), largest alpha error where the frames are clear or
# opaque, and in the half-transparent band (GIF pixels are on or off: 128 becomes one or the other)
ALPHA_FORMATS = [(".webm", "libvpx-vp9", 4, 4), (".mov", None, 2, 2), (".png", None, 0, 0),
                 (".gif", None, 0, 127)]


@pytest.mark.parametrize("suffix, decoder, tolerance, band_tolerance", ALPHA_FORMATS)
def test_transparent_frames_keep_their_alpha(tmp_path, suffix, decoder, tolerance, band_tolerance):
    folder, frames = moving_frames(tmp_path / "frames")
    out = tmp_path / f"loop{suffix}"
    assert make_video(folder, out, fps=12) == (COUNT, 12)
    decoded = decode(out, decoder)
    assert decoded.shape == (COUNT, HEIGHT, WIDTH, 4)
    alpha_error = np.abs(decoded[..., 3].astype(int) - frames[..., 3])
    band = frames[..., 3] == 128
    assert alpha_error[~band].max() <= tolerance and alpha_error[band].max() <= band_tolerance
    opaque = frames[..., 3] == 255
    assert np.abs(decoded[..., :3][opaque].astype(int) - (0, 0, 128)).max() <= 8
    record = json.loads(out.with_name(out.name + ".json").read_text())
    assert record["stage"] == "mp4.py" and record["complete"] is True and record["alpha"] is True


@pytest.mark.parametrize("suffix, decoder", [(".webm", "libvpx-vp9"), (".mov", None), (".png", None),
                                             (".gif", None), (".mp4", None)])
def test_background_flattens_in_every_format(tmp_path, suffix, decoder):
    folder, frames = moving_frames(tmp_path / "frames")
    out = tmp_path / f"flat{suffix}"
    make_video(folder, out, background="white", fps=10)
    if suffix == ".mp4":   # H.264 pads odd sides to even ones
        count, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
        assert count == COUNT
        return
    decoded = decode(out, decoder)
    assert decoded.shape == (COUNT, HEIGHT, WIDTH, 4) and (decoded[..., 3] == 255).all()
    clear = frames[..., 3] == 0
    assert decoded[..., :3][clear].mean() > 240   # the white background shows where the frames were clear


def test_mp4_lays_transparent_frames_over_white_and_says_so(tmp_path, capsys, console_messages):
    folder, _ = moving_frames(tmp_path / "frames")
    make_video(folder, tmp_path / "loop.mp4")
    assert "laying them over white" in capsys.readouterr().err


def test_opaque_frames_make_an_opaque_webm(tmp_path):
    folder, frames = moving_frames(tmp_path / "frames", alpha=False)
    make_video(folder, tmp_path / "opaque.webm")
    decoded = decode(tmp_path / "opaque.webm", "libvpx-vp9")
    assert decoded.shape[0] == COUNT and (decoded[..., 3] == 255).all()
    assert np.abs(decoded[..., :3].astype(int) - frames).mean() < 4


def test_the_script_chooses_the_format_by_extension(tmp_path):
    folder, _ = moving_frames(tmp_path / "frames")
    result = run_script("gen", "mp4.py", folder, f"--out={tmp_path / 'loop.webm'}", "--fps=8")
    assert "6 frames at 8 fps" in result.stdout
    count, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "loop.webm"))
    assert count == COUNT and seconds == pytest.approx(COUNT / 8, abs=0.05)
    unknown = run_script("gen", "mp4.py", folder, f"--out={tmp_path / 'loop.avi'}", check=False)
    assert unknown.returncode == 1 and "unknown video format '.avi'" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "loop.avi").exists()


def test_rerun_replaces_its_own_video_but_not_another_file(tmp_path):
    folder, _ = moving_frames(tmp_path / "frames")
    out = tmp_path / "loop.png"
    make_video(folder, out)
    make_video(folder, out, fps=5)   # its own earlier output: replaced
    other = tmp_path / "holiday.gif"
    other.write_bytes(b"GIF89a someone else's")
    with pytest.raises(UserError, match="not written by mp4.py.*--overwrite"):
        make_video(folder, other)
    assert other.read_bytes() == b"GIF89a someone else's"
    make_video(folder, other, overwrite=True)
    assert decode(other).shape[0] == COUNT
