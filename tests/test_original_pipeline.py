"""The original README's command lines, in order, as one shell pipeline a user of the original scripts would type.

Each stage runs from its own folder with the original's default folder names (`tile`, `grid`, `tfrecord`,
`tfrecord_reverse`), so the stage scripts are copied into a temporary tree with the shape of the
repository (the package itself is imported from the checkout). Every hand-off is checked: tile names
and counts, eight images per tile after two rotateflip runs, shard sizes in bytes, only images in
image folders, and the blob grid where adjustment.json puts it; then training from the run folder's
options.json, path.py with all the README's flags at once, rgba.py and mp4.py over a scan.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO
from PIL import Image

from drawing.data.tfrecord import SHARD_NAME

IMAGE_FOLDERS_HOLD = {".png"}


def copy_stage(root, stage):
    """The stage's scripts under root/<stage>/, as in a checkout."""
    folder = root / stage
    folder.mkdir(parents=True)
    for script in (REPO / stage).glob("*.py"):
        shutil.copy(script, folder / script.name)
    return folder


def shell(root, commands, timeout=600):
    """Run the commands with bash -e in `root`, as a user's shell script would; the completed process."""
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONUNBUFFERED": "1",
           "HOME": str(root),
           "PYTHONPATH": str(REPO)}
    completed = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True,
                               timeout=timeout)
    assert completed.returncode == 0, f"pipeline failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


def only_images(folder):
    """Every file under an image folder is a PNG (the original's next stage opens every file it lists)."""
    others = [p for p in Path(folder).rglob("*") if p.is_file() and p.suffix not in IMAGE_FOLDERS_HOLD]
    assert not others, f"{folder} holds files that are not images: {others}"


@pytest.fixture(scope="module")
def spec_pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("original_spec")
    copy_stage(root, "data")
    shell(root, [
        "cd data",
        "python sample_scans.py scans --style spec --dpi 300 --pages 2 --seed 3",
        "python spec_tile.py scans 256",
        "python spec_rotateflip.py tile",
        "python spec_rotateflip.py tile",
        "python tfrecord.py tile --size=2000000",
        "python tfrecord_reverse.py tfrecord",
    ])
    return root / "data"


def test_spec_tiles_are_named_from_00_column_by_column(spec_pipeline):
    tiles = spec_pipeline / "tile"
    originals = sorted(p.name for p in tiles.rglob("*.png") if "_rf" not in p.name)
    assert originals == sorted(f"p{page}_t{n:02d}.png" for page in (0, 1) for n in range(36))
    assert sorted(p.name for p in (spec_pipeline / "grid").iterdir()) == ["0.png", "1.png"]


def test_two_rotateflip_runs_leave_eight_images_per_tile_in_the_tile_folder(spec_pipeline):
    for page in (spec_pipeline / "tile").iterdir():
        tiles = [f"{page.name}_t{n:02d}" for n in range(36)]
        expected = {f"{tile}.png" for tile in tiles} | {
            f"{tile}_rf{flip}{turns}.png" for tile in tiles for flip in (0, 1) for turns in range(4)
            if (flip, turns) != (0, 3)}  # _rf03, the tile itself, is the tile's own file in place
        assert {p.name for p in page.iterdir()} == expected and len(expected) == 8 * 36


def test_shards_hold_every_image_in_shards_of_the_size_in_bytes(spec_pipeline):
    shards = sorted((spec_pipeline / "tfrecord").iterdir())
    assert shards and all(SHARD_NAME.match(p.name) for p in shards)
    sizes = [p.stat().st_size for p in shards]
    assert len(sizes) >= 2 and max(sizes) <= 2_000_000 and sizes[0] > 1_000_000
    record = json.loads((spec_pipeline / "tfrecord.json").read_text())
    assert record["tiles"] == 2 * 8 * 36 and record["complete"] is True
    reverse = spec_pipeline / "tfrecord_reverse"
    assert len(list(reverse.rglob("*.png"))) == 2 * 8 * 36


def test_image_folders_hold_images_only(spec_pipeline):
    for folder in ("scans", "tile", "grid", "tfrecord_reverse"):
        only_images(spec_pipeline / folder)
    for record in ("scans", "tile", "grid", "tfrecord", "tfrecord_reverse"):
        assert json.loads((spec_pipeline / f"{record}.json").read_text())["complete"] is True


@pytest.fixture(scope="module")
def blob_pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("original_blob")
    copy_stage(root, "data")
    shell(root, [
        "cd data",
        "python sample_scans.py scans --style blob --dpi 300 --pages 2 --seed 3 --width_in 4 --height_in 3",
        "python blob_grid.py scans 300 --rows=2 --cols=3",
        # The user tunes page 1 by hand, in the original's meaning: the grid's corner in units from the page's.
        """python -c 'import json; a = json.load(open("adjustment.json")); a[1].update(x=0.5, y=0.25); """
        """json.dump(a, open("adjustment.json", "w"), indent=4)'""",
        "python blob_grid.py scans 300 --rows=2 --cols=3 --index=1",
        "python blob_tile.py scans 300 64 --rows=2 --cols=3",
        "python tfrecord.py tile --size=300000",
    ])
    return root / "data"


def test_a_new_adjustment_centres_each_page_in_the_originals_units(blob_pipeline):
    entries = json.loads((blob_pipeline / "adjustment.json").read_text())
    # 4 x 3 in at 300 DPI is 1200 x 900 px; a 2 x 3 grid of 256 px is centred 216 px and 194 px in.
    assert entries == [{"index": 0, "x": 0.844, "y": 0.758}, {"index": 1, "x": 0.5, "y": 0.25}]


def test_the_blob_grid_is_where_adjustment_json_says(blob_pipeline):
    red = (np.asarray(Image.open(blob_pipeline / "grid" / "1.png")) == (255, 0, 0)).all(axis=2)
    # Page 1's corner is 0.5 units (128 px) right of and 0.25 units (64 px) below the page's corner.
    assert red[500, 128] and red[500, 128 + 768] and not red[500, 124] and not red[500, 132]
    assert red[64, 1100 - 256] and red[64 + 512, 1100 - 256] and not red[60, 1100 - 256]


def test_blob_tiles_the_original_way(blob_pipeline):
    tiles = blob_pipeline / "tile"
    record = json.loads((blob_pipeline / "tile.json").read_text())
    assert record["steps"] == 2 and record["complete"] is True
    assert record["pages"][1]["corner"] == [0.5, 0.25]
    assert sorted(p.name for p in tiles.iterdir()) == ["0", "1"]
    assert all(sorted(p.name for p in (tiles / str(page["index"])).iterdir())
               == sorted(f"{n}.png" for n in range(page["tiles"])) for page in record["pages"])
    only_images(tiles)
    only_images(blob_pipeline / "grid")
    shards = sorted((blob_pipeline / "tfrecord").iterdir())
    assert all(SHARD_NAME.match(p.name) and p.stat().st_size <= 300_000 for p in shards)


@pytest.fixture(scope="module")
def gen_pipeline(blob_pipeline):
    """On from the blob tiles: main.py with options.json in its run folder (the original's train/options.json
    keys, CPU-sized), then path.py with every flag of the original README at once, rgba.py and mp4.py."""
    root = blob_pipeline.parent
    copy_stage(root, "train")
    copy_stage(root, "gen")
    (root / "train" / "run").mkdir()
    (root / "train" / "run" / "options.json").write_text(json.dumps({
        "dataset_file_pattern": "../data/tfrecord/*.tfrecord", "resolution": 64, "replica_batch_size": 4,
        "epoch_sample_count": 8, "total_sample_count": 8, "learning_rate": 0.002, "latent_size": 8,
        "beta_1": 0.0, "beta_2": 0.99, "channel_scale": 1 / 32}))
    completed = shell(root, [
        "cd train",
        "export TF_USE_LEGACY_KERAS=1",
        "python main.py run",
        "cd ../gen",
        "python path.py ../train/run bezier --dir_out=out --count=3 --segments=2 --frames=3 --bitloop=101",
        "frames=$(ls -d out/bezier_s2_f3/*/)",
        "python rgba.py \"${frames%/}\"",
        "python mp4.py \"${frames%/}_rgba_#000000\" --background=../data/scans/0.png",
    ])
    return root / "gen", completed


def test_path_takes_the_original_readmes_flags_at_once_with_a_note(gen_pipeline):
    gen, completed = gen_pipeline
    assert "note: bezier does not use --bitloop, --count; ignored" in completed.stderr
    (frames,) = [p for p in (gen / "out" / "bezier_s2_f3").iterdir() if p.is_dir() and "_rgba_" not in p.name]
    assert sorted(p.name for p in frames.iterdir()) == [f"{n}.png" for n in range(6)]
    record = json.loads(frames.with_name(frames.name + ".json").read_text())
    assert record["complete"] is True and record["frames"] == 6
    assert np.load(frames.with_name(frames.name + ".npy")).shape == (6, 8)


def test_rgba_then_mp4_over_a_scan_the_original_way(gen_pipeline):
    gen, _ = gen_pipeline
    (frames,) = [p for p in (gen / "out" / "bezier_s2_f3").iterdir() if p.name.endswith("_rgba_#000000")]
    only_images(frames)
    assert Image.open(frames / "0.png").mode == "RGBA"
    video = frames.with_name(frames.name + ".mp4")
    assert video.stat().st_size > 1000


def test_rgba_given_mp4s_background_flag_as_the_original_readme_writes_it_points_to_mp4(gen_pipeline, tmp_path):
    gen, _ = gen_pipeline
    (frames,) = [p for p in (gen / "out" / "bezier_s2_f3").iterdir() if p.is_dir() and "_rgba_" not in p.name]
    completed = subprocess.run([sys.executable, "rgba.py", str(frames), "--background=../data/scans/0.png"],
                               cwd=gen, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert completed.returncode == 1
    copy = shlex.quote(f"{frames}_rgba_#000000")   # the transparent copy that mp4.py --background needs
    assert completed.stderr.strip() == (f"error: rgba.py has no --background (it is mp4.py's): to lay these "
                                        f"opaque frames over ../data/scans/0.png, make a transparent copy, then "
                                        f"the video: python rgba.py {shlex.quote(str(frames))} && python mp4.py "
                                        f"{copy} --background=../data/scans/0.png")


def test_fill_the_original_readmes_command_lines(gen_pipeline):
    gen, _ = gen_pipeline
    root = gen.parent
    copy_stage(root, "fill")
    shutil.copy(REPO / "fill" / "palette.png", root / "fill" / "palette.png")
    completed = shell(root, [
        "cd fill",
        "frames=$(ls -d ../gen/out/bezier_s2_f3/*/ | grep -v _rgba_)",
        "python blob_fill.py \"${frames%/}\" palette.png --dir_out=blob --overlay --blend",
        "python spec_fill.py \"${frames%/}\" --dir_out=spec --blend --margin=4",  # 64 px: the original keeps 32 px
        "python blend.py blob --dir_out=blended",
    ])
    assert "--close_gaps=0 --min_region=0 gives the original's regions exactly" in completed.stderr
    for folder in ("blob", "spec", "blended"):
        assert sorted(p.name for p in (root / "fill" / folder).iterdir()) == [f"{n}.png" for n in range(6)]
        assert json.loads((root / "fill" / f"{folder}.json").read_text())["complete"] is True
