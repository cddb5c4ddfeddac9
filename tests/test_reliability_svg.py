"""gen/svg.py as a careless or unlucky user runs it: bad options and unwritable outputs are one-line errors."""
import json
import os

from helpers import checksums, error_line, limit_file_size, run_script

QUICK = ["--size=32", "--strokes=12", "--segments=2", "--steps=2", "--large=2", "--large-steps=1", "--views=2",
         "--layer=conv_8x8_1"]
# Smaller than drawing.svg of 48 strokes (about 7 KB) but enough for the empty scratch file of the start.
FILE_SIZE_LIMIT = 2000


def test_a_negative_seed_is_refused_in_one_line(untrained_run, tmp_path):
    completed = run_script("gen", "svg.py", untrained_run, f"--dir_out={tmp_path / 'out'}", "--seed=-1", *QUICK,
                           check=False)
    assert "--seed: -1 is not a whole number of at least 0" in error_line(completed, code=2)
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_fails_before_the_work(untrained_run, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n")
    before = checksums(untrained_run)
    completed = run_script("gen", "svg.py", untrained_run, f"--dir_out={a_file / 'drawings'}", *QUICK, check=False)
    line = error_line(completed)
    assert line.startswith(f"error: {a_file / 'drawings'}: cannot write there (") and "drawing " not in completed.stdout
    assert a_file.read_text() == "not a folder\n" and checksums(untrained_run) == before


def test_a_full_disk_while_writing_is_one_line_and_leaves_no_half_file(untrained_run, tmp_path):
    dir_out = tmp_path / "drawings"
    before = checksums(untrained_run)
    completed = run_script("gen", "svg.py", untrained_run, f"--dir_out={dir_out}", *QUICK, check=False,
                           env=dict(os.environ, MPLCONFIGDIR=str(tmp_path / "matplotlib")),
                           preexec_fn=limit_file_size(FILE_SIZE_LIMIT))
    line = error_line(completed)
    assert line.startswith(f"error: {dir_out}/") and line.endswith(": cannot write: the file is larger than this "
                                                                   "system allows (a file-size limit); raise the "
                                                                   "limit or write elsewhere, then run the same "
                                                                   "command again")
    assert checksums(untrained_run) == before
    assert not [path for path in dir_out.rglob("*") if path.is_file() and path.name == "drawing.svg"]
    # the run folder's record says it did not finish
    assert [json.loads(record.read_text())["complete"] for record in dir_out.glob("*.json")] == [False]
