"""gen/svg.py as a careless or unlucky user runs it: bad options and unwritable outputs are one-line errors."""
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys

import pytest
from conftest import REPO, run_script

from drawing.gan import save_untrained_checkpoint

QUICK = ["--size=32", "--strokes=12", "--segments=2", "--steps=2", "--large=2", "--large-steps=1", "--views=2",
         "--layer=conv_8x8_1"]
# Smaller than drawing.svg of 48 strokes (about 7 KB) but enough for the empty scratch file of the start.
FILE_SIZE_LIMIT = 2000


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    save_untrained_checkpoint(folder / "0.checkpoint", resolution=16, latent_size=8, channel_scale=1 / 16, seed=0)
    return folder


def checksums(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def last_line_without_traceback(completed):
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.stderr.strip().splitlines()[-1]


def test_a_negative_seed_is_refused_in_one_line(run_folder, tmp_path):
    completed = run_script("gen", "svg.py", run_folder, f"--dir_out={tmp_path / 'out'}", "--seed=-1", *QUICK,
                           check=False)
    assert completed.returncode == 2
    assert "--seed: -1 is not a whole number of at least 0" in last_line_without_traceback(completed)
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_fails_before_the_work(run_folder, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n")
    before = checksums(run_folder)
    completed = run_script("gen", "svg.py", run_folder, f"--dir_out={a_file / 'drawings'}", *QUICK, check=False)
    assert completed.returncode == 1
    line = last_line_without_traceback(completed)
    assert line.startswith(f"error: {a_file / 'drawings'}: cannot write there (") and "drawing " not in completed.stdout
    assert a_file.read_text() == "not a folder\n" and checksums(run_folder) == before


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_a_full_disk_while_writing_is_one_line_and_leaves_no_half_file(run_folder, tmp_path):
    dir_out = tmp_path / "drawings"
    before = checksums(run_folder)
    completed = subprocess.run([sys.executable, "svg.py", str(run_folder), f"--dir_out={dir_out}", *QUICK],
                               cwd=REPO / "gen", capture_output=True, text=True, timeout=600,
                               env=dict(os.environ, MPLCONFIGDIR=str(tmp_path / "matplotlib")),
                               preexec_fn=limit_file_size)
    assert completed.returncode == 1, completed.stderr
    line = last_line_without_traceback(completed)
    assert line.startswith(f"error: {dir_out}/") and line.endswith(": cannot write: the file is larger than this "
                                                                   "system allows (a file-size limit); raise the "
                                                                   "limit or write elsewhere, then run the same "
                                                                   "command again")
    assert checksums(run_folder) == before
    assert not [path for path in dir_out.rglob("*") if path.is_file() and path.name == "drawing.svg"]
    # the run folder's record says it did not finish
    assert [json.loads(record.read_text())["complete"] for record in dir_out.glob("*.json")] == [False]
