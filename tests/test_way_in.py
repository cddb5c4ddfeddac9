"""A newcomer's way in: the mistakes a new user makes get one line that says what to do.

A script run by a Python without the project's packages says what to run; options take either spelling
(`--dir_out`, `--dir-out`) and help shows one; help and a typo in options.json answer before TensorFlow
loads, and what TensorFlow prints as it starts is held back unless asked for with --verbose; long jobs show
their total and the time left; a stage given what another stage wrote (grid previews as scans, scans as
tiles, a folder of run folders as frames) or images it skips says so.
"""
import ast
import io
import logging
import os
import re
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REPO, run_script
from PIL import Image

from drawing.cli import ArgumentParser
from drawing.console import VERBOSE_VARIABLE, held_back_stderr
from drawing.data.scans import has_grid_lines
from drawing.errors import UserError
from drawing.files import list_images
from drawing.gen.keyframes import load_keyframes
from drawing.gen.project_run import project_each
from drawing.images import read_image, write_png

STAGES = ("data", "train", "gen", "fill")
SCRIPTS = sorted(path.relative_to(REPO) for stage in STAGES for path in (REPO / stage).glob("[a-z]*.py"))
TENSORFLOW_SCRIPTS = {"train/main.py", "train/metrics.py", "gen/path.py", "gen/svg.py", "gen/project.py",
                      "gen/explore.py", "data/tfrecord.py", "data/tfrecord_reverse.py"}
# What TensorFlow prints as it starts: absl's preamble and its glog-style lines (I0000 ..., E0000 ...).
TENSORFLOW_START_UP = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d)", re.M)
# Seconds within which a script answers without TensorFlow; loading it takes 5 to 15 s.
ANSWER_SECONDS = 4


# ---- a Python without the project's packages ----

@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_a_python_without_the_packages_says_what_to_run_in_one_line(script):
    # -S: no site-packages, so neither numpy nor the installed package; no PYTHONPATH either.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, "-S", script.name, "scans"], cwd=REPO / script.parent,
                               env=environment, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1
    assert completed.stdout == "" and len(completed.stderr.splitlines()) == 1, completed.stderr
    assert completed.stderr.startswith("error: this Python") and "(numpy, PIL, drawing)" in completed.stderr
    assert "run `source .venv/bin/activate` in the repository root" in completed.stderr


def test_every_stage_folder_holds_the_same_first_import():
    first_imports = {stage: (REPO / stage / "_venv.py").read_text() for stage in STAGES}
    assert len(set(first_imports.values())) == 1
    for script in SCRIPTS:
        imports = [node for node in ast.parse((REPO / script).read_text()).body
                   if isinstance(node, (ast.Import, ast.ImportFrom))]
        outside_the_standard_library = [node for node in imports
                                        if (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name)
                                        .split(".")[0] not in sys.stdlib_module_names]
        assert ast.unparse(outside_the_standard_library[0]) == "import _venv", script


# ---- both spellings of every option ----

def spelling_parser():
    parser = ArgumentParser(prog="script.py")
    parser.add_argument("--dir_out", default="out")
    parser.add_argument("--close-gaps", type=int, default=2)
    parser.add_argument("--color", dest="colour", hidden_aliases=["--colour"])
    parser.add_argument("--cols", "--columns", dest="cols", type=int)
    parser.add_argument("--page")
    return parser


@pytest.mark.parametrize("argv", [
    ["--dir_out=a", "--close_gaps=3", "--color=navy", "--cols=4"],
    ["--dir-out=a", "--close-gaps=3", "--colour=navy", "--columns=4"],
    ["--dir-out", "a", "--close-gaps", "3", "--colour", "navy", "--cols", "4"],
    ["--dir-o=a", "--close-g=3", "--color", "navy", "--colu=4"],
])
def test_an_option_takes_either_spelling(argv):
    options = spelling_parser().parse_args(argv)
    assert (options.dir_out, options.close_gaps, options.colour, options.cols) == ("a", 3, "navy", 4)


def test_values_and_what_follows_a_bare_double_dash_are_left_as_typed():
    parser = spelling_parser()
    parser.add_argument("rest", nargs="*")
    options = parser.parse_args(["--page=300x300-mm", "--", "--dir-out"])
    assert options.page == "300x300-mm" and options.rest == ["--dir-out"]


def test_help_and_messages_show_the_underscores_only(capsys):
    parser = spelling_parser()
    parser.print_help()
    shown = capsys.readouterr().out
    assert "--close_gaps" in shown and "--close-gaps" not in shown
    assert "--color" in shown and "--colour" not in shown
    with pytest.raises(SystemExit):
        parser.parse_args(["--close-gaps=x"])
    assert "argument --close_gaps: invalid int value: 'x'" in capsys.readouterr().err


def test_every_script_parses_with_the_parser_that_takes_both_spellings():
    for script in SCRIPTS:
        calls = [node for node in ast.walk(ast.parse((REPO / script).read_text())) if isinstance(node, ast.Call)
                 and ast.unparse(node.func) in ("ArgumentParser", "argparse.ArgumentParser")]
        assert [ast.unparse(call.func) for call in calls] == ["ArgumentParser"], script


def test_a_script_run_with_hyphens_writes_what_it_writes_with_underscores(tmp_path):
    pages = {}
    for spelling in ("_", "-"):
        out = tmp_path / f"scans{spelling}"
        run_script("data", "sample_scans.py", out, "--style=blob", "--pages=1", "--seed=2",
                   f"--width{spelling}in=2", f"--height{spelling}in=2")
        pages[spelling] = (out / "0.png").read_bytes()
    assert pages["_"] == pages["-"]


# ---- TensorFlow: answers before it loads, a quiet start ----

@pytest.fixture(scope="module")
def tensorflow_refused(tmp_path_factory):
    """The environment of a script whose `import tensorflow` fails: what answers in it answered without it."""
    folder = tmp_path_factory.mktemp("no_tensorflow")
    (folder / "tensorflow").mkdir()
    (folder / "tensorflow" / "__init__.py").write_text('raise ImportError("TensorFlow was loaded")\n')
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", ""), str(REPO)]))


def timed_run(script, arguments, environment):
    started = time.monotonic()
    completed = subprocess.run([sys.executable, script.name, *map(str, arguments)], cwd=REPO / script.parent,
                               env=environment, capture_output=True, text=True, timeout=120)
    return completed, time.monotonic() - started


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_help_answers_at_once_and_spells_every_option_one_way(script, tensorflow_refused):
    completed, seconds = timed_run(script, ["-h"], tensorflow_refused)
    assert completed.returncode == 0, completed.stderr
    hyphenated = set(re.findall(r"(?<![\w-])--[a-z0-9]+-[\w-]+", completed.stdout)) - {"--compiler-options"}  # nvcc's
    assert not hyphenated
    assert ("--verbose" in completed.stdout) == (str(script) in TENSORFLOW_SCRIPTS)
    assert seconds < ANSWER_SECONDS


@pytest.mark.parametrize("script, arguments, error", [
    ("train/main.py", ["{run}"], "options.json: unknown key 'resolutoin'; did you mean 'resolution'?"),
    ("train/metrics.py", ["{model}", "--metrics=swd,fdi"], "unknown metric 'fdi'"),
    ("gen/path.py", ["{model}", "bezier", "--grid=3by3"], "--grid '3by3': give columns x rows"),
    ("gen/project.py", ["{model}", "{run}", "--network=vgg16"], "--network vgg16 needs --weights"),
    ("gen/svg.py", ["{model}", "--pens=black,bleu"], "'bleu' is not a colour"),
])
def test_options_are_checked_before_tensorflow_loads(script, arguments, error, tmp_path, tensorflow_refused):
    run = tmp_path / "run"
    run.mkdir()
    (run / "options.json").write_text('{"dataset_file_pattern": "shards/*.tfrecord", "resolutoin": 64}\n')
    arguments = [argument.format(run=run, model=REPO / "demo" / "model") for argument in arguments]
    completed, seconds = timed_run(REPO.joinpath(script).relative_to(REPO), arguments, tensorflow_refused)
    assert completed.returncode == 1 and completed.stderr.splitlines()[-1].startswith("error: "), completed.stderr
    assert error in completed.stderr and seconds < ANSWER_SECONDS


def test_what_a_block_writes_to_stderr_is_held_back_unless_it_fails(capfd, monkeypatch):
    monkeypatch.delenv(VERBOSE_VARIABLE, raising=False)
    with held_back_stderr():
        os.write(2, b"start-up chatter\n")
    with pytest.raises(ImportError), held_back_stderr():
        os.write(2, b"why it failed\n")
        raise ImportError("no")
    assert capfd.readouterr().err == "why it failed\n"
    monkeypatch.setenv(VERBOSE_VARIABLE, "1")
    with held_back_stderr():
        os.write(2, b"asked for\n")
    assert capfd.readouterr().err == "asked for\n"


def test_a_tensorflow_script_starts_quietly_unless_asked(tmp_path):
    for name in ("0.png", "1.png"):
        write_png(tmp_path / "tile" / "0" / name, np.zeros((8, 8, 3), np.uint8))
    quiet = run_script("data", "tfrecord.py", tmp_path / "tile", f"--dir_out={tmp_path / 'quiet'}")
    assert not TENSORFLOW_START_UP.search(quiet.stderr), quiet.stderr
    verbose = run_script("data", "tfrecord.py", tmp_path / "tile", f"--dir_out={tmp_path / 'verbose'}", "--verbose")
    assert verbose.stdout == quiet.stdout.replace("quiet", "verbose")
    if not TENSORFLOW_START_UP.search(verbose.stderr):
        pytest.skip("this TensorFlow says nothing as it starts")


# ---- long jobs show their total and the time left ----

class TerminalText(io.StringIO):
    """A console for progress bars: they draw only on a terminal."""

    def isatty(self):
        return True


class StubProjector:
    """Projects in no time: what project_each does around it is under test."""
    settings = SimpleNamespace(steps=5)

    def project(self, target, rng, advance):
        for _ in range(self.settings.steps):
            advance(1)
        return np.zeros(4, np.float32), 0.5, 0.25, 0.75

    def images(self, latents):
        return SimpleNamespace(numpy=lambda: np.zeros((1, 8, 8, 3), np.float32))


def test_a_projection_counts_the_drawings_with_the_time_left(tmp_path, monkeypatch):
    console = TerminalText()
    monkeypatch.setattr(sys, "stderr", console)
    paths = [tmp_path / f"{name}.png" for name in "abc"]
    latents, results = project_each(StubProjector(), paths, [None] * 3, 0, tmp_path)
    assert len(latents) == 3 and [result["output"] for result in results] == ["0000_a.png", "0001_b.png", "0002_c.png"]
    bars = console.getvalue()
    assert re.search(r"drawings: +0%.*\| 0/3 ", bars) and re.search(r"drawings: +33%.*\| 1/3 \[[\d:]+<[\d:]+", bars)
    assert re.search(r"a.png: +0%.*\| 0/5 ", bars)   # and the steps of the drawing at hand


# ---- what a stage is given: PNGs, scans, tiles, frames ----

def test_images_of_other_formats_beside_the_pngs_are_named_once(tmp_path, caplog):
    write_png(tmp_path / "0.png", np.zeros((4, 4, 3), np.uint8))
    for name in ("1.jpg", "2.TIF", "notes.txt"):
        (tmp_path / name).write_bytes(b"not read")
    with caplog.at_level(logging.WARNING, logger="drawing"):
        assert list_images(tmp_path) == [tmp_path / "0.png"]
    assert [record.getMessage() for record in caplog.records] == [
        f"{tmp_path}: 1.jpg, 2.TIF are not PNG and are skipped (convert them to PNG to use them)"]


@pytest.fixture(scope="module")
def blob_pages(tmp_path_factory):
    """Two blob scans at 300 DPI (recorded in the PNGs) and their grid previews, each with its record."""
    root = tmp_path_factory.mktemp("blob")
    run_script("data", "sample_scans.py", root / "scans", "--style=blob", "--pages=2", "--seed=3",
               "--width_in=4", "--height_in=3")
    run_script("data", "blob_grid.py", root / "scans", 300, "--rows=3", "--cols=4", f"--dir_out={root / 'grid'}",
               f"--adjustment={root / 'adjustment.json'}")
    return root


def copy_of(folder, destination):
    """The folder's files without the record beside it, as a user's copy would be."""
    destination.mkdir()
    for path in folder.iterdir():
        (destination / path.name).write_bytes(path.read_bytes())
    return destination


GRID_READERS = [
    ("blob_tile.py", ["300", "64", "--rows=3", "--cols=4", "--adjustment={root}/adjustment.json"]),
    ("blob_grid.py", ["300", "--rows=3", "--cols=4", "--adjustment={root}/adjustment.json"]),
    ("spec_tile.py", ["256", "--dir_out_grid={out}_grid"]),
]


@pytest.mark.parametrize("script, arguments", GRID_READERS, ids=[script for script, _ in GRID_READERS])
def test_grid_previews_given_as_scans_are_refused_naming_the_scans(blob_pages, tmp_path, script, arguments):
    out = tmp_path / "out"
    arguments = [argument.format(root=blob_pages, out=out) for argument in arguments]
    completed = run_script("data", script, blob_pages / "grid", *arguments, f"--dir_out={out}", check=False)
    assert completed.returncode == 1 and not out.exists()
    assert completed.stderr.splitlines()[-1] == (
        f"error: {blob_pages / 'grid'}: holds the grid previews blob_grid.py wrote (grid.json says so), not scans: "
        f"give the folder of scans, e.g. {blob_pages / 'scans'}, which they were made from")


@pytest.mark.parametrize("script, arguments", GRID_READERS[1:], ids=[script for script, _ in GRID_READERS[1:]])
def test_grid_previews_without_their_record_are_known_by_their_red_lines(blob_pages, tmp_path, script, arguments):
    copy = copy_of(blob_pages / "grid", tmp_path / "copy")
    out = tmp_path / "out"
    arguments = [argument.format(root=blob_pages, out=out) for argument in arguments]
    completed = run_script("data", script, copy, *arguments, f"--dir_out={out}", check=False)
    assert completed.returncode == 1 and not out.exists()
    assert completed.stderr.splitlines()[-1] == (
        f"error: {copy}: holds grid previews (0.png has their red grid lines, as blob_grid.py and spec_tile.py "
        "draw them), not scans: give the folder of scans")


def test_scans_are_not_taken_for_grid_previews(blob_pages):
    for scan in sorted((blob_pages / "scans").glob("*.png")):
        assert not has_grid_lines(read_image(scan))
    for preview in sorted((blob_pages / "grid").glob("*.png")):
        assert has_grid_lines(read_image(preview))


def test_whole_scans_given_to_tfrecord_are_refused(blob_pages, tmp_path):
    completed = run_script("data", "tfrecord.py", blob_pages / "scans", f"--dir_out={tmp_path / 'a'}", check=False)
    assert completed.returncode == 1 and completed.stderr.splitlines()[-1] == (
        f"error: {blob_pages / 'scans'}: holds scans (scans.json says sample_scans.py wrote it), not tiles; "
        "tfrecord.py packs the tiles that blob_tile.py or spec_tile.py cut from scans: give their folder")
    copy = copy_of(blob_pages / "scans", tmp_path / "copy")
    completed = run_script("data", "tfrecord.py", copy, f"--dir_out={tmp_path / 'b'}", check=False)
    assert completed.returncode == 1 and completed.stderr.splitlines()[-1].startswith(
        f"error: {copy / '0.png'}: is 1200 x 900 px, a page rather than a tile (tiles are squares of at most 1024 px)")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_dpi_the_scans_contradict_is_one_warning_naming_both_and_sizes_are_width_x_height(blob_pages, tmp_path):
    completed = run_script("data", "blob_grid.py", blob_pages / "scans", 600, f"--dir_out={tmp_path / 'grid'}",
                           f"--adjustment={tmp_path / 'adjustment.json'}")
    assert completed.stderr.splitlines()[0] == (f"warning: {blob_pages / 'scans' / '0.png'} and 1 more record 300 "
                                                "DPI, but 600 DPI was given; give the scans' own DPI")
    assert completed.stderr.count("DPI") == 3   # one warning; then each page's grid, twice too large, runs off it
    assert "0.png: the grid of 18 columns x 12 rows (9216 x 6144 px, top-left at x=" in completed.stderr
    assert "runs off the 1200 x 900 px page by" in completed.stderr


def test_a_dpi_of_72_or_none_recorded_says_nothing(tmp_path):
    page = np.full((900, 1200, 3), 250, np.uint8)
    (tmp_path / "scans").mkdir()
    Image.fromarray(page).save(tmp_path / "scans" / "0.png", dpi=(72, 72))
    write_png(tmp_path / "scans" / "1.png", page)
    completed = run_script("data", "blob_grid.py", tmp_path / "scans", 300, "--rows=3", "--cols=4",
                           f"--dir_out={tmp_path / 'grid'}", f"--adjustment={tmp_path / 'adjustment.json'}")
    assert "warning" not in completed.stderr


@pytest.mark.parametrize("folder, script, arguments", [
    ("gen", "mp4.py", []), ("gen", "rgba.py", []), ("fill", "blob_fill.py", ["palette.png"]),
])
def test_a_folder_of_run_folders_is_refused_naming_them(tmp_path, folder, script, arguments):
    style = tmp_path / "out" / "bezier_s2_f8"
    for run in ("20261203-101010_seed1", "20261203-111111_seed2"):
        for frame in range(2):
            write_png(style / run / f"{frame:04d}.png", np.zeros((8, 8, 3), np.uint8))
        os.utime(style / run, (time.time() - 1000, time.time() - 1000) if run.endswith("1") else None)
    newest = style / "20261203-111111_seed2"
    for given, names in ((style, "20261203-101010_seed1, 20261203-111111_seed2"),
                         (tmp_path / "out", "bezier_s2_f8/20261203-101010_seed1, bezier_s2_f8/20261203-111111_seed2")):
        completed = run_script(folder, script, given, *arguments, f"--dir_out={tmp_path / 'x'}"
                               if script != "mp4.py" else f"--out={tmp_path / 'x.mp4'}", check=False)
        assert completed.returncode == 1 and completed.stderr.splitlines()[-1] == (
            f"error: {given}: holds folders of images ({names}), not images: give one of them, e.g. {newest}")


def test_keyframes_from_a_folder_of_runs_name_the_runs_with_latents(tmp_path):
    style = tmp_path / "random_c4"
    for run in ("20261203-101010_seed1", "20261203-101010_seed1_rgba_navy"):
        write_png(style / run / "0.png", np.zeros((8, 8, 3), np.uint8))
    np.save(style / "20261203-101010_seed1.npy", np.zeros((1, 4), np.float32))
    with pytest.raises(UserError, match=re.escape(f"{style}: holds folders of images (20261203-101010_seed1), not "
                                                  f"images: give one of them, e.g. {style / '20261203-101010_seed1'}")):
        load_keyframes(style, None, 4)
