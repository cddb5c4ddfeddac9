"""fill/ with careless or unlucky use: each case one line and an exit code, the input never touched.

Each test runs the scripts as a user does and checks the input folder's checksums afterwards.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, checksums, error_line, kill_when, limit_file_size, run_script, start_script
from PIL import Image

from drawing.data.samples import blob_page
from drawing.folders import record_path

FILL_SCRIPTS = ["blob_fill.py", "spec_fill.py"]


def write_drawings(folder, count, size=128):
    """`count` small blob drawings (crops of one page) as PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    page = blob_page(dpi=60, width_in=size * 5 / 60, height_in=size * 3 / 60, seed=1)
    for index in range(count):
        row, column = divmod(index % 15, 5)
        crop = page[row * size // 2:row * size // 2 + size, column * size // 2 + 8:column * size // 2 + 8 + size]
        Image.fromarray(np.ascontiguousarray(crop)).save(folder / f"{index}.png")
    return folder


@pytest.fixture
def drawings(tmp_path):
    return write_drawings(tmp_path / "drawings", 3)


@pytest.fixture
def palette(tmp_path):
    path = tmp_path / "palette.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), np.uint8)).save(path)
    return path


def fill_args(script, palette):
    return [script, palette] if script == "blob_fill.py" else [script]


@pytest.mark.parametrize("script", FILL_SCRIPTS)
def test_a_negative_seed_is_one_line(script, drawings, palette, tmp_path):
    before = checksums(drawings)
    script_name, *rest = fill_args(script, palette)
    completed = run_script("fill", script_name, drawings, *rest, f"--dir_out={tmp_path / 'out'}", "--seed=-3",
                           check=False)
    assert "argument --seed: -3 is not a whole number of at least 0" in error_line(completed, code=2)
    assert checksums(drawings) == before and not (tmp_path / "out").exists()


def test_a_fully_transparent_palette_is_one_line(drawings, tmp_path):
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (200, 40, 40, 0)).save(clear)
    before = checksums(drawings)
    completed = run_script("fill", "blob_fill.py", drawings, clear, f"--dir_out={tmp_path / 'out'}", check=False)
    assert "clear.png: the palette is fully transparent" in error_line(completed)
    assert checksums(drawings) == before and not (tmp_path / "out").exists()


@pytest.mark.parametrize("script", FILL_SCRIPTS)
def test_with_input_dot_nothing_is_written_inside_the_input(script, drawings, palette):
    before = checksums(drawings)
    script_name, *rest = fill_args(script, palette)
    for dir_out in ([], ["--dir_out=coloured"]):
        completed = subprocess.run([sys.executable, str(REPO / "fill" / script_name), ".", *map(str, rest), *dir_out],
                                   cwd=drawings, capture_output=True, text=True, timeout=120)
        assert "lies inside the input ." in error_line(completed)
        assert checksums(drawings) == before and sorted(os.listdir(drawings)) == ["0.png", "1.png", "2.png"]


def as_unprivileged():
    """The command prefix that makes folder permissions apply: root ignores them, except in a user namespace."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: no folder is unwritable to root")
    return ["unshare", "-U"]


@pytest.mark.parametrize("script", ["blob_fill.py", "spec_fill.py", "blend.py"])
def test_an_unwritable_output_folder_is_one_line(script, drawings, palette, tmp_path):
    prefix = as_unprivileged()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    before = checksums(drawings)
    script_args = [palette] if script == "blob_fill.py" else []
    try:
        for dir_out in (locked, locked / "out"):
            expected = f"{dir_out}: cannot write: permission denied"
            completed = subprocess.run(
                [*prefix, sys.executable, str(REPO / "fill" / script), drawings, *script_args, f"--dir_out={dir_out}"],
                cwd=REPO / "fill", capture_output=True, text=True, timeout=120)
            assert expected in error_line(completed)
    finally:
        locked.chmod(0o755)
    assert checksums(drawings) == before and not any(locked.iterdir())


def test_a_full_disk_is_one_line_and_leaves_the_output_incomplete(palette, tmp_path):
    drawings = write_drawings(tmp_path / "drawings", 3, size=256)
    before = checksums(drawings)
    out = tmp_path / "out"
    completed = subprocess.run([sys.executable, str(REPO / "fill" / "blob_fill.py"), drawings, palette,
                                f"--dir_out={out}"], cwd=REPO / "fill", capture_output=True, text=True,
                               timeout=120, preexec_fn=limit_file_size(4096))
    message = error_line(completed)
    assert "3 of 3 drawings failed" in message and "cannot write: the file is larger than this system allows" in message
    assert json.loads(record_path(out).read_text())["complete"] is False
    assert checksums(drawings) == before and not list(out.iterdir())


# drawings the killed run has written when it is killed (of 48)
KILL_AFTER_DRAWINGS = 12


def test_a_killed_blob_fill_is_marked_incomplete_and_its_rerun_finishes_it(tmp_path, palette):
    drawings = write_drawings(tmp_path / "drawings", 48, size=192)
    before = checksums(drawings)
    out = tmp_path / "out"
    command = ["blob_fill.py", drawings, palette, f"--dir_out={out}", "--blend", "--close-gaps=3"]
    kill_when(start_script("fill", *command), lambda: len(list(out.glob("*.png"))) >= KILL_AFTER_DRAWINGS,
              timeout=60)
    record = json.loads(record_path(out).read_text())
    assert record["complete"] is False
    refused = run_script("fill", "blend.py", out, f"--dir_out={tmp_path / 'blended'}", "--cpu", check=False)
    message = error_line(refused)
    assert "incomplete" in message and "blob_fill.py" in message and "--close-gaps=3" in message
    assert len(list(out.glob("*.png"))) < 48

    run_script("fill", *command, timeout=300)
    record = json.loads(record_path(out).read_text())
    assert record["complete"] is True
    uninterrupted = tmp_path / "uninterrupted"
    run_script("fill", "blob_fill.py", drawings, palette, f"--dir_out={uninterrupted}", "--blend", "--close-gaps=3",
               f"--seed={record['seed']}")
    assert checksums(out) == checksums(uninterrupted)
    assert checksums(drawings) == before
    run_script("fill", "blend.py", out, f"--dir_out={tmp_path / 'blended'}", "--cpu")
