"""Records beside folders: naming, ownership, overlap with inputs, completeness."""
import json

import pytest

from drawing.errors import UserError
from drawing.folders import (
    check_not_overlapping,
    command_line,
    finish_run,
    open_output_folder,
    read_record,
    record_path,
    require_complete,
    start_run,
    unfinished_run,
    write_record,
)


def test_record_sits_beside_the_folder_named_after_it(tmp_path, monkeypatch):
    assert record_path(tmp_path / "tile") == tmp_path / "tile.json"
    assert record_path(tmp_path / "tile/") == tmp_path / "tile.json"
    monkeypatch.chdir(tmp_path / ".." )
    assert record_path(".").name == tmp_path.parent.name + ".json"


def test_output_overlapping_an_input_is_refused(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    for output in (scans, scans / "grid", tmp_path):
        with pytest.raises(UserError, match="input"):
            check_not_overlapping(output, [scans])
    check_not_overlapping(tmp_path / "grid", [scans])


def test_a_folder_with_foreign_files_is_refused_and_our_own_is_reopened(tmp_path):
    folder = tmp_path / "tile"
    assert open_output_folder(folder, "blob_tile.py") == {}
    (folder / "0.png").write_bytes(b"x")
    with pytest.raises(UserError, match="did not write"):
        open_output_folder(folder, "blob_tile.py")
    write_record(folder, {"stage": "blob_tile.py", "seed": 3}, complete=False)
    assert open_output_folder(folder, "blob_tile.py")["seed"] == 3
    with pytest.raises(UserError, match="output of blob_tile.py"):
        open_output_folder(folder, "spec_tile.py")


def test_incomplete_folder_names_the_command_that_finishes_it(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    assert require_complete(folder) is None  # the original's folders have no record
    write_record(folder, {"stage": "tfrecord.py", "command": "python tfrecord.py tile"}, complete=False)
    with pytest.raises(UserError, match="rerunning: python tfrecord.py tile"):
        require_complete(folder)
    write_record(folder, {"stage": "tfrecord.py"}, complete=True)
    assert require_complete(folder)["complete"] is True
    assert json.loads(record_path(folder).read_text())["complete"] is True


def test_malformed_record_is_one_line_error(tmp_path):
    (tmp_path / "tile").mkdir()
    (tmp_path / "tile.json").write_text("{oops")
    with pytest.raises(UserError, match="tile.json: not valid JSON"):
        read_record(tmp_path / "tile")


def test_command_line_is_retypeable():
    assert command_line(["/x/y/tfrecord.py", "tile", "--dir_out=a b"]) == "python tfrecord.py tile '--dir_out=a b'"


def test_reopening_our_folder_removes_the_temporary_files_of_a_killed_run(tmp_path):
    folder = tmp_path / "shards"
    open_output_folder(folder, "tfrecord.py")
    write_record(folder, {"stage": "tfrecord.py"}, complete=False)
    (folder / ".0.tfrecord.abc.tmp").write_bytes(b"half")
    (folder / "0.tfrecord").write_bytes(b"whole")
    (tmp_path / ".shards.json.12.34.tmp").write_text("{")
    open_output_folder(folder, "tfrecord.py")
    assert sorted(p.name for p in folder.iterdir()) == ["0.tfrecord"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_rerun_rule_same_settings_reopen_others_are_refused_unless_nothing_was_written(tmp_path):
    folder = tmp_path / "tiles2"
    settings = {"source": "scans", "resolution": 256}
    assert open_output_folder(folder, "spec_tile.py", settings=settings) == {}
    write_record(folder, {"stage": "spec_tile.py", "command": "python spec_tile.py scans 256 --dir_out=tiles2",
                          **settings}, complete=True)
    # Nothing written yet: the folder is simply reused with other settings.
    assert open_output_folder(folder, "spec_tile.py", settings={"source": "scans3", "resolution": 256}) == {}
    (folder / "p1").mkdir()
    (folder / "p1" / "p1_t00.png").write_bytes(b"x")
    assert open_output_folder(folder, "spec_tile.py", settings=settings)["source"] == "scans"
    with pytest.raises(UserError) as refusal:
        open_output_folder(folder, "spec_tile.py", settings={"source": "scans3", "resolution": 256})
    message = str(refusal.value)
    assert "\n" not in message and "source scans there, scans3 now" in message
    assert "python spec_tile.py scans 256 --dir_out=tiles2" in message
    assert f"remove {folder} and tiles2.json yourself to start over" in message
    assert (folder / "p1" / "p1_t00.png").read_bytes() == b"x"
    # Values compare as the record holds them (a tuple is a list there).
    write_record(folder, {"stage": "spec_tile.py", "corner": [1, 2]}, complete=True)
    assert open_output_folder(folder, "spec_tile.py", settings={"corner": (1, 2)})["corner"] == [1, 2]


def test_a_run_folder_takes_the_first_free_name_and_is_complete_only_when_finished(tmp_path):
    (tmp_path / "run_1").mkdir()                                    # a folder of that name
    (tmp_path / "run_2.json").write_text('{"stage": "x.py"}')      # a record without its folder
    record = {"stage": "x.py", "seed": 3}
    folder = start_run(tmp_path, (f"run_{number}" for number in range(1, 9)), record)
    assert folder == tmp_path / "run_3" and folder.is_dir() and not any(folder.iterdir())
    assert read_record(folder) == {**record, "complete": False}
    with pytest.raises(UserError, match="incomplete"):
        require_complete(folder)
    finish_run(folder, record)
    assert read_record(folder) == {**record, "complete": True}
    with pytest.raises(UserError, match="cannot find a free run folder name"):
        start_run(tmp_path, ["run_1", "run_2", "run_3"], record)


def test_the_newest_unfinished_run_of_the_same_settings_is_found(tmp_path):
    assert unfinished_run(tmp_path / "none yet", "x.py", {}) is None
    runs = {}
    for name, stage, fps, complete in [("run_8", "x.py", 30, False), ("run_10", "x.py", 30, False),
                                       ("run_11", "x.py", 24, False), ("run_12", "x.py", 30, True),
                                       ("run_13", "y.py", 30, False)]:
        record = {"stage": stage, "fps": fps, "grid": (2, 1)}
        runs[name] = start_run(tmp_path, [name], record)
        if complete:
            finish_run(runs[name], record)
    (tmp_path / "run_14.json").write_text('{"stage": "x.py", "fps": 30, "complete": false}')   # no folder
    # newest in natural order (run_10 after run_8); the settings compared as recorded (a tuple as a list)
    assert unfinished_run(tmp_path, "x.py", {"fps": 30, "grid": (2, 1)}) == runs["run_10"]
    assert unfinished_run(tmp_path, "x.py", {"fps": 24}) == runs["run_11"]
    assert unfinished_run(tmp_path, "x.py", {"fps": 12}) is None
