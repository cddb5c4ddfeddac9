"""data/ under a careless or unlucky user: outputs aimed at inputs, kills, bombs, full disks, odd names.

Every case checks the one-line message, the exit status, and that the input is exactly as it was.
"""
import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest
from helpers import REPO, checksums, error_line, kill_when, limit_file_size, run_script, start_script
from PIL import Image

from drawing.data.samples import blob_page
from drawing.data.shards import write_shards
from drawing.errors import UserError
from drawing.images import read_scan_pixels, write_png

BLOB = ["--rows=2", "--cols=3"]


@pytest.fixture(scope="module")
def blob_scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blob") / "scans"
    for page in range(2):
        write_png(folder / f"{page}.png", blob_page(dpi=300, width_in=3, height_in=2, seed=page))
    return folder


@pytest.fixture(scope="module")
def tiles(blob_scans):
    out = blob_scans.parent / "tile"
    run_script("data", "blob_tile.py", blob_scans, 300, 32, *BLOB, f"--dir_out={out}",
               f"--adjustment={blob_scans.parent / 'none.json'}")
    return out


@pytest.fixture(scope="module")
def shards(tiles):
    """The tiles' shards, as tfrecord.py <tiles> --dir_out=shards writes them (in this process)."""
    out = tiles.parent / "shards"
    out.mkdir()
    write_shards(tiles, out, 300 * 10 ** 6, False, 0)
    return out


# --- 1. outputs never overwrite inputs ---

@pytest.mark.parametrize("arguments, message", [
    (["spec_tile.py", "{scans}", "256", "--dir_out={tmp}/tile", "--dir_out_grid={scans}"],
     "--dir_out_grid is the input"),
    (["spec_tile.py", "{scans}", "256", "--dir_out={scans}/tile"], "--dir_out lies inside the input"),
    (["blob_grid.py", "{scans}", "300", "--dir_out={scans}"], "--dir_out is the input"),
    (["blob_tile.py", "{scans}", "300", "32", "--dir_out={scans}/..", *BLOB], "--dir_out contains the input"),
    (["tfrecord.py", "{tiles}", "--dir_out={tiles}/0"], "--dir_out lies inside the input"),
    (["tfrecord_reverse.py", "{shards}", "--dir_out={tiles}"], "output folder already holds the output of blob_tile.py"),
    (["sample_scans.py", "{scans}"], "already holds files this stage did not write"),
])
def test_an_output_aimed_at_an_input_is_refused(blob_scans, tiles, shards, tmp_path, arguments, message):
    before = {"scans": checksums(blob_scans), "tiles": checksums(tiles)}
    arguments = [a.format(scans=blob_scans, tiles=tiles, shards=shards, tmp=tmp_path) for a in arguments]
    completed = run_script("data", *arguments, check=False)
    assert message in error_line(completed)
    assert {"scans": checksums(blob_scans), "tiles": checksums(tiles)} == before


# --- 2. interrupted work never looks finished ---

def running(marker):
    """Processes whose command line holds `marker` (orphaned workers would)."""
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if int(pid) != os.getpid()]


def gone(marker, timeout=0.3):
    """Whether the processes whose command line holds `marker` are gone within `timeout` seconds (the kernel
    kills a killed script's workers, but not at once)."""
    deadline = time.monotonic() + timeout
    while running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_killed_blob_tile_is_refused_downstream_then_finished_by_the_same_command(blob_scans, tiles, tmp_path):
    out = tmp_path / "killed_tile"
    command = ["blob_tile.py", blob_scans, 300, 32, *BLOB, f"--dir_out={out}", "--adjustment=none.json"]
    kill_when(start_script("data", *command), lambda: out.is_dir() and len(list(out.glob("*/*.png"))) >= 5)
    assert gone(str(out)), "workers outlived the killed script"
    refused = run_script("data", "tfrecord.py", out, f"--dir_out={tmp_path / 'shards'}", check=False)
    assert "tile folder is incomplete (blob_tile.py was interrupted); finish it by rerunning: python blob_tile.py" \
        in error_line(refused)
    run_script("data", *command)
    assert checksums(out) == checksums(tiles)
    assert not list(tmp_path.rglob(".*.tmp"))


def test_a_killed_tfrecord_is_refused_by_readers_then_finished_by_the_same_command(tiles, tmp_path):
    whole = tmp_path / "whole"
    whole.mkdir()
    write_shards(tiles, whole, 4000, False, 0)   # tfrecord.py <tiles> --dir_out=whole --size=4000, in this process
    out = tmp_path / "killed"
    command = ["tfrecord.py", tiles, f"--dir_out={out}", "--size=4000"]
    kill_when(start_script("data", *command), lambda: (tmp_path / "killed.json").exists())
    refused = run_script("data", "tfrecord_reverse.py", out, f"--dir_out={tmp_path / 'png'}", check=False)
    assert "shards folder is incomplete (tfrecord.py was interrupted)" in error_line(refused)
    run_script("data", *command)
    assert checksums(out) == checksums(whole)
    assert not list(tmp_path.rglob(".*.tmp"))


# --- 3. decompression bombs ---

def png_declaring(width, height):
    """A tiny PNG whose header declares width x height 8-bit gray pixels (its data is a few bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("script, arguments", [
    ("blob_tile.py", ["300", "32", *BLOB]),
    ("blob_grid.py", ["300", *BLOB]),
    ("spec_tile.py", ["256", "--dir_out_grid={tmp}/grid"]),
])
def test_a_png_declaring_50000_x_50000_pixels_is_refused_before_decoding(tmp_path, script, arguments):
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "0.png").write_bytes(png_declaring(50000, 50000))
    arguments = [argument.format(tmp=tmp_path) for argument in arguments]
    completed = run_script("data", script, scans, *arguments, f"--dir_out={tmp_path / 'out'}",
                           *([f"--adjustment={tmp_path / 'a.json'}"] if script.startswith("blob") else []),
                           check=False)
    assert completed.returncode == 1
    assert "0.png: declares 50000 x 50000 pixels (2500 megapixels)" in completed.stderr


def test_decoding_a_page_refuses_a_bomb_before_decoding(tmp_path):
    """blob_tile.py decodes each page once with the lean reader; it keeps the limit too."""
    (tmp_path / "0.png").write_bytes(png_declaring(50000, 50000))
    with pytest.raises(UserError, match="0.png: declares 50000 x 50000 pixels"):
        read_scan_pixels(tmp_path / "0.png")


def test_tfrecord_leaves_a_bomb_out_and_says_so(tmp_path):
    (tmp_path / "tile" / "0").mkdir(parents=True)
    write_png(tmp_path / "tile" / "0" / "0.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "tile" / "0" / "1.png").write_bytes(png_declaring(50000, 50000))
    (tmp_path / "out").mkdir()
    # tfrecord.py tile --dir_out=out, in this process: the script fails naming what the shards left out
    written, _, problems = write_shards(tmp_path / "tile", tmp_path / "out", 300 * 10 ** 6, False, 0)
    assert written == 1 and len(problems) == 1 and "1.png: declares 50000 x 50000 pixels" in problems[0]


# --- 4. bad data never reaches training ---

def test_tfrecord_refuses_tiles_of_mixed_sizes_naming_one_of_each(tmp_path):
    for name, size in (("0.png", 8), ("1.png", 8), ("2.png", 16)):
        write_png(tmp_path / "tile" / "0" / name, np.zeros((size, size, 3), np.uint8))
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError) as error:   # tfrecord.py tile --dir_out=out, in this process
        write_shards(tmp_path / "tile", tmp_path / "out", 300 * 10 ** 6, False, 0)
    assert str(error.value).endswith("2.png: is 16 x 16 px but " + str(tmp_path / "tile" / "0" / "0.png")
                                         + " is 8 x 8 px; the tiles of one dataset must all have one size")
    assert json.loads((tmp_path / "out.json").read_text())["complete"] is False


# --- 5. messages instead of tracebacks ---

@pytest.mark.parametrize("script, arguments, written", [
    ("blob_grid.py", ["{scans}", "300", *BLOB], r"out/[01]\.png"),
    ("tfrecord.py", ["{tiles}", "--size=100000"], r"out/0\.tfrecord"),
    ("spec_tile.py", ["{scans}", "256"], r"(grid|out/p[01])/\S+\.png"),
])
def test_a_full_disk_is_one_line_naming_the_file_being_written(blob_scans, tiles, tmp_path, script, arguments,
                                                                written):
    before = checksums(blob_scans)
    out = tmp_path / "out"
    arguments = [a.format(scans=blob_scans, tiles=tiles) for a in arguments]
    extra = [f"--dir_out_grid={tmp_path / 'grid'}"] if script == "spec_tile.py" else []
    completed = run_script("data", *[script, *arguments, f"--dir_out={out}", *extra,
                                      f"--adjustment={tmp_path / 'a.json'}"][:None if script.startswith("blob") else -1],
                           check=False, preexec_fn=limit_file_size(20_000))
    line = error_line(completed)
    assert re.fullmatch(f"error: {re.escape(str(tmp_path))}/{written}: cannot write: the file is larger than this "
                        r"system allows \(a file-size limit\); raise the limit or write elsewhere, then run the "
                        "same command again", line), line
    assert str(blob_scans) not in line
    assert checksums(blob_scans) == before
    assert not list(tmp_path.rglob(".*.tmp"))


@pytest.mark.parametrize("script, arguments", [
    ("blob_tile.py", ["{scans}", "300", "32", *BLOB]),
    ("tfrecord.py", ["{tiles}"]),
    ("sample_scans.py", []),
])
def test_a_negative_seed_is_refused_by_argparse(blob_scans, tiles, tmp_path, script, arguments):
    arguments = [a.format(scans=blob_scans, tiles=tiles) for a in arguments]
    target = [tmp_path / "out"] if script == "sample_scans.py" else [f"--dir_out={tmp_path / 'out'}"]
    completed = run_script("data", script, *arguments, *target, "--seed=-1", check=False)
    assert "argument --seed: -1 is not a whole number of at least 0" in error_line(completed, code=2)


@pytest.mark.parametrize("value", ["1e308", "NaN", "-Infinity"])
def test_an_absurd_adjustment_is_one_line(blob_scans, tmp_path, value):
    adjustment = tmp_path / "adjustment.json"
    adjustment.write_text(f'[{{"index": 0, "x": {value}, "y": 0}}, {{"index": 1, "x": 0, "y": 0}}]')
    for script, arguments in (("blob_grid.py", ["300"]), ("blob_tile.py", ["300", "32"])):
        completed = run_script("data", script, blob_scans, *arguments, *BLOB, f"--dir_out={tmp_path / 'out'}",
                               f"--adjustment={adjustment}", check=False)
        assert "adjustment.json: entry 0 (index 0) has x=" in error_line(completed)
        assert "expected a number of grid units from -1000 to 1000" in error_line(completed)


# --- 6. smaller things said, not swallowed ---

def test_a_broken_link_or_a_folder_named_like_a_scan_is_named_and_skipped(blob_scans, tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "0.png").write_bytes((blob_scans / "0.png").read_bytes())
    (scans / "1.png").symlink_to(tmp_path / "gone.png")
    (scans / "2.png").mkdir()
    completed = run_script("data", "blob_grid.py", scans, 300, *BLOB, f"--dir_out={tmp_path / 'grid'}",
                           f"--adjustment={tmp_path / 'a.json'}")
    assert "1.png: named like an image but a broken link; skipped" in completed.stderr
    assert "2.png: named like an image but not a file; skipped" in completed.stderr
    assert sorted(p.name for p in (tmp_path / "grid").iterdir()) == ["0.png"]


def test_a_scan_recorded_at_fewer_dpi_than_the_tiles_need_is_warned_about(tmp_path):
    scans = tmp_path / "scans"
    run_script("data", "sample_scans.py", scans, "--style", "spec", "--pages", "1")
    assert Image.open(scans / "0.png").info["dpi"][0] == pytest.approx(300, abs=1)
    completed = run_script("data", "spec_tile.py", scans, 512, f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}", check=False)
    assert "0.png records 300 DPI, but 512 px tiles are made from 600 DPI scans; give the resolution that goes " \
           "with the scans' DPI: 256 for 300 DPI, 512 for 600, 1024 for 1200" in completed.stderr


# --- a reader refuses an interrupted folder; a rerun may name its input any way ---

def copy_marked_incomplete(folder, tmp_path, stage):
    """A copy of `folder` whose record says `stage` was interrupted writing it."""
    copy = tmp_path / folder.name
    for path in folder.rglob("*"):
        if path.is_file():
            (copy / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(folder)).write_bytes(path.read_bytes())
    (tmp_path / f"{folder.name}.json").write_text(json.dumps(
        {"stage": stage, "command": f"python {stage} finish-me", "complete": False}))
    return copy


@pytest.mark.parametrize("arguments, what", [
    (["spec_tile.py", "{folder}", "256", "--dir_out={tmp}/tile", "--dir_out_grid={tmp}/grid"], "scan folder"),
    (["blob_grid.py", "{folder}", "300", "--dir_out={tmp}/grid", *BLOB, "--adjustment={tmp}/a.json"], "scans folder"),
    (["blob_tile.py", "{folder}", "300", "32", "--dir_out={tmp}/tile", *BLOB, "--adjustment={tmp}/a.json"],
     "scans folder"),
])
def test_an_interrupted_scans_folder_is_refused(blob_scans, tmp_path, arguments, what):
    scans = copy_marked_incomplete(blob_scans, tmp_path, "sample_scans.py")
    filled = [argument.format(folder=scans, tmp=tmp_path) for argument in arguments]
    refused = run_script("data", *filled, check=False)
    assert error_line(refused) == (f"error: {scans}: {what} is incomplete (sample_scans.py was interrupted); "
                                  "finish it by rerunning: python sample_scans.py finish-me")
    assert not (tmp_path / "tile").exists() and not (tmp_path / "grid").exists()


@pytest.mark.parametrize("in_place", [True, False])
def test_an_interrupted_tile_folder_is_refused_by_spec_rotateflip(tiles, tmp_path, in_place):
    interrupted = copy_marked_incomplete(tiles, tmp_path, "spec_tile.py")
    before = checksums(interrupted)
    options = [] if in_place else [f"--dir_out={tmp_path / 'turned'}"]
    refused = run_script("data", "spec_rotateflip.py", interrupted, *options, check=False)
    assert "tile folder is incomplete (spec_tile.py was interrupted)" in error_line(refused)
    assert checksums(interrupted) == before and not (tmp_path / "turned").exists()


@pytest.mark.parametrize("typed", ["{scans}/", "./{name}", "{absolute}"])
def test_a_rerun_names_its_input_any_way(blob_scans, tmp_path, typed):
    out = tmp_path / "tile"
    command = ["blob_tile.py", "scans", 300, 32, *BLOB, f"--dir_out={out}", f"--adjustment={tmp_path / 'a.json'}"]
    first = subprocess.run([sys.executable, REPO / "data" / command[0], *map(str, command[1:])],
                           cwd=blob_scans.parent, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    written = checksums(out)
    again = typed.format(scans="scans", name="scans", absolute=blob_scans)
    rerun = subprocess.run([sys.executable, REPO / "data" / command[0], again, *map(str, command[2:])],
                           cwd=blob_scans.parent, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert checksums(out) == written
