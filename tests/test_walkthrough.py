"""The README's walk-through, run as written: every fenced block under its heading, taken from README.md.

The blocks run in order as one bash script from the root of a temporary copy of the repository's tracked
stage folders (data/, train/, gen/, fill/), as a user with the venv active pastes them into one shell;
the package is imported from this checkout. "Your scans" are a sample blob page from data/sample_scans.py.
One thing differs, the one the README names: options.json's total_sample_count is set to one epoch
(its epoch_sample_count), so training takes seconds, not most of an hour.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

HEADING = "## From your own scans to a video, a fill and a plotter drawing"
STAGES = ("data", "train", "gen", "fill")


def walkthrough_blocks(readme):
    """The fenced code blocks between the walk-through's heading and the next heading of its level."""
    start = readme.index(HEADING) + len(HEADING)
    end = readme.find("\n## ", start)
    section = readme[start:end if end >= 0 else None]
    return re.findall(r"^```[a-z]*\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def one_epoch(script):
    """The script with total_sample_count set to epoch_sample_count; both must appear exactly once."""
    epoch = re.findall(r'"epoch_sample_count": (\d+)', script)
    assert len(epoch) == 1, "the walk-through's options.json must set epoch_sample_count once"
    shortened, count = re.subn(r'"total_sample_count": \d+', f'"total_sample_count": {epoch[0]}', script)
    assert count == 1, "the walk-through's options.json must set total_sample_count once"
    return shortened


def copy_layout(root):
    """The stage folders' tracked files, as in a fresh clone (no outputs, no adjustment.json of earlier runs)."""
    listed = subprocess.run(["git", "ls-files", "--", *STAGES], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    for relative in listed:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, target)


def test_the_readme_has_a_walkthrough_to_run():
    blocks = walkthrough_blocks((REPO / "README.md").read_text())
    script = "\n".join(blocks)
    for script_name in ("blob_grid.py", "blob_tile.py", "tfrecord.py", "main.py", "path.py", "mp4.py",
                        "blob_fill.py", "svg.py"):
        assert f"python {script_name} " in script, f"the walk-through does not run {script_name}"
    assert one_epoch(script) != script


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    root = tmp_path_factory.mktemp("walkthrough")
    copy_layout(root)
    script = one_epoch("\n".join(walkthrough_blocks((REPO / "README.md").read_text())))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", HOME=str(root))
    subprocess.run([sys.executable, "sample_scans.py", "scans", "--style=blob", "--pages=1", "--seed=1"],
                   cwd=root / "data", env=env, check=True, capture_output=True)
    completed = subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=False, cwd=root, env=env,
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, f"the walk-through failed:\n{completed.stdout}\n{completed.stderr}"
    return root


def record(path):
    return json.loads(path.read_text())


def test_walkthrough_tiles_and_trains(walked):
    assert record(walked / "data/tile.json")["complete"]
    assert record(walked / "data/tfrecord.json")["complete"]
    assert (walked / "runs/blob64/1.checkpoint").is_file()
    assert (walked / "runs/blob64/fakes/1.png").is_file()


def test_walkthrough_makes_a_video(walked):
    videos = list((walked / "gen/out/bezier_s4_f24").glob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 0


def test_walkthrough_fills_the_random_drawings(walked):
    drawings = [p for p in (walked / "gen/out/random_c16").iterdir() if p.is_dir()]
    assert len(drawings) == 1
    filled = sorted(p.name for p in (walked / "fill/blob_filled").iterdir())
    assert filled == sorted(p.name for p in drawings[0].iterdir())
    assert len(filled) == 16 and record(walked / "fill/blob_filled.json")["complete"]


def test_walkthrough_draws_for_the_plotter(walked):
    assert (walked / "gen/drawings/00000-to_classification-seed1/drawing.svg").is_file()
    assert (walked / "gen/drawings/00000-to_classification-seed1/preview.png").is_file()
