"""data/spec_rotateflip.py: the eight dihedral variants, never 64, and the input tiles kept as they are."""
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import checksums, run_script
from PIL import Image

from drawing.data.variants import dihedral_variants, is_variant
from drawing.images import read_image


def mode_of(array):
    return "L" if array.ndim == 2 else {3: "RGB", 4: "RGBA"}[array.shape[2]]


def random_tile(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def as_key(array):
    return array.shape, array.tobytes()


@pytest.mark.parametrize("shape", [(6, 6), (6, 6, 3), (5, 7, 4)])
def test_the_eight_variants_are_exactly_the_dihedral_group(shape):
    tile = random_tile(shape)
    variants = dihedral_variants(tile)
    assert [(flip, turns) for flip, turns, _ in variants] == [(f, r) for f in (0, 1) for r in range(4)]
    expected = {as_key(np.rot90(t, k)) for t in (tile, np.fliplr(tile)) for k in range(4)}
    assert {as_key(v) for _, _, v in variants} == expected and len(expected) == 8
    # The original's names: _rf0R is R + 1 quarter turns counter-clockwise, _rf1R mirrored first; _rf03 is the tile.
    named = {(flip, turns): variant for flip, turns, variant in variants}
    assert np.array_equal(named[(0, 3)], tile)
    assert np.array_equal(named[(0, 0)], np.rot90(tile))
    assert np.array_equal(named[(1, 0)], np.rot90(np.fliplr(tile)))
    assert np.array_equal(named[(1, 3)], np.fliplr(tile))
    # Closed under itself: turning a variant gives nothing new (which is why a second run adds nothing).
    for _, _, variant in variants:
        assert {as_key(v) for _, _, v in dihedral_variants(variant)} == expected


@pytest.mark.parametrize("name, variant", [("p1_t01", False), ("p1_t01_rf13", True), ("p1_t01_rf04", False),
                                           ("p1_t01_rf00_rf12", True), ("rf01", False)])
def test_variant_names_are_recognised(name, variant):
    assert is_variant(f"{name}.png") is variant


def make_tiles(root, pages=2, per_page=3):
    """Page folders of small, asymmetric tiles in each PNG mode; returns {relative path: array}."""
    tiles = {}
    for page in range(1, pages + 1):
        for number in range(1, per_page + 1):
            shape = [(8, 8), (8, 8, 3), (8, 8, 4)][number % 3]
            array = random_tile(shape, seed=100 * page + number)
            path = root / f"p{page}" / f"p{page}_t{number:02d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(path)
            tiles[path.relative_to(root)] = array
    return tiles


def test_in_place_every_tile_ends_with_eight_images_and_no_file_is_changed(tmp_path):
    tiles = make_tiles(tmp_path / "tile")
    before = checksums(tmp_path / "tile")
    completed = run_script("data", "spec_rotateflip.py", tmp_path / "tile")
    assert "48 images of 6 tiles (2 page folders) beside each tile" in completed.stdout
    out = tmp_path / "tile"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == sorted(
        [path.as_posix() for path in tiles] + [f"{path.parent}/{path.stem}_rf{f}{r}.png" for path in tiles
                                              for f in (0, 1) for r in range(4) if (f, r) != (0, 3)])
    for path, array in tiles.items():
        for flip, turns in [(0, 0), (0, 2), (1, 0), (1, 3)]:
            written = read_image(out / path.parent / f"{path.stem}_rf{flip}{turns}.png", mode_of(array))
            assert np.array_equal(written, np.rot90(np.fliplr(array) if flip else array, turns + 1))
    after = checksums(tmp_path / "tile")
    assert {name: after[name] for name in before} == before


def test_dir_out_gets_all_eight_and_the_input_is_only_read(tmp_path):
    tiles = make_tiles(tmp_path / "tile")
    before = checksums(tmp_path / "tile")
    run_script("data", "spec_rotateflip.py", tmp_path / "tile", f"--dir_out={tmp_path / 'eight'}")
    out = tmp_path / "eight"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == sorted(
        f"{path.parent}/{path.stem}_rf{f}{r}.png" for path in tiles for f in (0, 1) for r in range(4))
    for path, array in tiles.items():
        assert np.array_equal(read_image(out / path.parent / f"{path.stem}_rf03.png", mode_of(array)), array)
    assert checksums(tmp_path / "tile") == before
    assert json.loads((tmp_path / "eight.json").read_text())["complete"] is True


def test_running_twice_or_on_its_own_output_never_makes_64(tmp_path):
    make_tiles(tmp_path / "tile", pages=1, per_page=2)
    run_script("data", "spec_rotateflip.py", tmp_path / "tile")
    once = checksums(tmp_path / "tile")
    run_script("data", "spec_rotateflip.py", tmp_path / "tile")
    assert checksums(tmp_path / "tile") == once and len(once) == 16
    run_script("data", "spec_rotateflip.py", tmp_path / "tile", f"--dir_out={tmp_path / 'eight'}")
    completed = run_script("data", "spec_rotateflip.py", tmp_path / "eight", check=False)
    assert completed.returncode == 1 and "already a rotated/flipped variant" in completed.stderr
    assert len(list((tmp_path / "eight").rglob("*.png"))) == 16


def test_one_unreadable_tile_is_named_and_the_rest_of_its_page_turned(tmp_path):
    make_tiles(tmp_path / "tile", pages=1, per_page=3)
    (tmp_path / "tile" / "p1" / "p1_t02.png").write_bytes(b"not a png")
    completed = run_script("data", "spec_rotateflip.py", tmp_path / "tile", check=False)
    assert completed.returncode == 1 and "p1_t02.png: not an image file; left out" in completed.stderr
    assert len(list((tmp_path / "tile" / "p1").glob("p1_t01_rf*.png"))) == 7
    assert len(list((tmp_path / "tile" / "p1").glob("p1_t03_rf*.png"))) == 7


def test_variants_mixed_with_tiles_are_not_turned_again(tmp_path):
    make_tiles(tmp_path / "tile", pages=1, per_page=2)
    Image.new("RGB", (8, 8)).save(tmp_path / "tile" / "p1" / "p1_t01_rf12.png")
    completed = run_script("data", "spec_rotateflip.py", tmp_path / "tile", f"--dir_out={tmp_path / 'eight'}")
    assert "1 tiles are already variants" in completed.stderr
    assert len(list((tmp_path / "eight").rglob("*.png"))) == 16


def test_a_flat_folder_of_tiles_works(tmp_path):
    (tmp_path / "flat").mkdir()
    for number in range(3):
        Image.fromarray(random_tile((8, 8, 3), number)).save(tmp_path / "flat" / f"{number}.png")
    run_script("data", "spec_rotateflip.py", tmp_path / "flat", f"--dir_out={tmp_path / 'out'}")
    assert len(list((tmp_path / "out").glob("*_rf??.png"))) == 24


def truncated_tile(root):
    make_tiles(root / "tile", pages=1, per_page=2)
    path = root / "tile" / "p1" / "p1_t02.png"
    path.write_bytes(path.read_bytes()[:-30])


def foreign_file_in_output(root):
    make_tiles(root / "tile")
    (root / "eight").mkdir()
    (root / "eight" / "a.txt").write_text("someone else's")


@pytest.mark.parametrize("setup, args, message", [
    (lambda root: None, ["missing"], "missing: tiles folder does not exist"),
    (lambda root: (root / "tile").mkdir(), ["tile"], "tile: no PNG images in this folder"),
    (truncated_tile, ["tile"], "p1_t02.png: cannot be decoded, the file is damaged or truncated"),
    (lambda root: make_tiles(root / "tile"), ["tile", "--dir_out={root}/tile"], "--dir_out is the input"),
    (lambda root: make_tiles(root / "tile"), ["tile", "--dir_out={root}/tile/p1/x"], "--dir_out lies inside the input"),
    (foreign_file_in_output, ["tile", "--dir_out={root}/eight"], "already holds files this stage did not write"),
])
def test_bad_input_gets_a_one_line_error(tmp_path, setup, args, message):
    setup(tmp_path)
    before = checksums(tmp_path)
    completed = run_script("data", "spec_rotateflip.py", tmp_path / args[0],
                           *(arg.format(root=tmp_path) for arg in args[1:]), check=False)
    assert completed.returncode == 1
    assert message in completed.stderr and completed.stderr.strip().splitlines()[-1].startswith("error:")
    after = checksums(tmp_path)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing of the user's changed


def turned(array, flip, turns):
    return np.rot90(np.fliplr(array) if flip else array, turns + 1)


@pytest.mark.parametrize("dir_out", [None, "eight"])
def test_variants_follow_a_tile_that_changed_and_unchanged_ones_are_left_alone(tmp_path, dir_out):
    """spec_tile.py run again on new scans replaces the tiles: the variants made from the old ones must
    not stay (tfrecord.py would pack them), in place or in --dir_out."""
    tiles = make_tiles(tmp_path / "tile", pages=1, per_page=3)
    args = [tmp_path / "tile"] + ([f"--dir_out={tmp_path / dir_out}"] if dir_out else [])
    out = tmp_path / (dir_out or "tile")
    run_script("data", "spec_rotateflip.py", *args)
    once = checksums(out)
    new = random_tile((8, 8, 3), seed=999)
    Image.fromarray(new).save(tmp_path / "tile" / "p1" / "p1_t01.png")
    (tmp_path / "tile" / "p1" / "p1_t02.png").unlink()
    if dir_out is None:
        for path in (tmp_path / "tile" / "p1").glob("p1_t02_rf*.png"):
            path.unlink()   # spec_tile.py removes the variants of a tile it no longer finds
    completed = run_script("data", "spec_rotateflip.py", *args)
    assert "16 images of 2 tiles" in completed.stdout
    for flip in (0, 1):
        for turns in range(4):
            name = "p1_t01.png" if dir_out is None and (flip, turns) == (0, 3) else f"p1_t01_rf{flip}{turns}.png"
            assert np.array_equal(read_image(out / "p1" / name), turned(new, flip, turns))
    assert not list(out.rglob("p1_t02*"))
    unchanged = {name: value for name, value in once.items() if "p1_t03" in name}
    assert {name: value for name, value in checksums(out).items() if "p1_t03" in name} == unchanged
    # A run on unchanged tiles rewrites nothing.
    times = {path: path.stat().st_mtime_ns for path in out.rglob("*.png")}
    run_script("data", "spec_rotateflip.py", *args)
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*.png")} == times
    assert np.array_equal(read_image(tmp_path / "tile" / "p1" / "p1_t03.png", "L"), tiles[Path("p1/p1_t03.png")])


def test_an_interrupted_rewrite_is_finished_by_the_next_run(tmp_path):
    make_tiles(tmp_path / "tile", pages=1, per_page=1)
    run_script("data", "spec_rotateflip.py", tmp_path / "tile")
    new = random_tile((8, 8, 4), seed=7)
    Image.fromarray(new).save(tmp_path / "tile" / "p1" / "p1_t01.png")
    # Killed after rewriting the first variant: the last one, _rf13, still shows the old tile.
    Image.fromarray(np.ascontiguousarray(turned(new, 0, 0))).save(tmp_path / "tile" / "p1" / "p1_t01_rf00.png")
    run_script("data", "spec_rotateflip.py", tmp_path / "tile")
    for flip, turns in [(0, 1), (0, 2), (1, 0), (1, 3)]:
        written = read_image(tmp_path / "tile" / "p1" / f"p1_t01_rf{flip}{turns}.png", "RGBA")
        assert np.array_equal(written, turned(new, flip, turns))
