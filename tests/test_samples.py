"""The synthetic scans (drawing/data/samples.py) and data/sample_scans.py that writes them."""
import json

import cv2
import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing.data.samples import blob_page, spec_page


def ink(image):
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) < 128


@pytest.fixture(scope="module")
def spec():
    return spec_page(dpi=300, seed=3)


def test_spec_page_is_a_letter_scan_with_a_dark_bed(spec):
    page, _ = spec
    height, width, channels = page.shape
    assert channels == 3 and page.dtype == np.uint8
    assert 2650 <= width <= 2700 and 3400 <= height <= 3450
    assert page[:20].mean() < 60 and page[:, -20:].mean() < 60
    assert page[height // 2, 100:200].mean() > 220  # the paper's blank margin


def test_spec_boxes_lie_on_a_grid_split_by_straight_lines(spec):
    _, boxes = spec
    grid = np.asarray(boxes).reshape(6, 6, 4)
    for col in range(5):
        assert grid[:, col, 2].max() < grid[:, col + 1, 0].min()
    for row in range(5):
        assert grid[row, :, 3].max() < grid[row + 1, :, 1].min()
    centres_x = (grid[:, :, 0] + grid[:, :, 2]) / 2
    assert np.ptp(centres_x, axis=0).max() > 5  # jittered, not a perfect grid


def test_each_specimen_is_mirror_symmetric_and_fills_its_box(spec):
    page, boxes = spec
    for x0, y0, x1, y1 in boxes:
        drawing = ink(page[y0:y1, x0:x1])
        for mirrored in (drawing[:, ::-1], drawing[::-1, :]):
            assert (drawing != mirrored).mean() < 0.005
        touched = cv2.cvtColor(page[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY) < 200  # at least a quarter ink
        assert touched[:, 0].any() and touched[:, -1].any() and touched[0].any() and touched[-1].any()


@pytest.mark.parametrize("specks", [0, 5, 20])
def test_specks_are_small_and_away_from_the_specimens(specks):
    page, boxes = spec_page(dpi=300, seed=4, specks=specks)
    dust = ink(page[45:-75, 60:-75]).astype(np.uint8)  # the paper inside the scanner bed
    for x0, y0, x1, y1 in boxes:
        dust[y0 - 45 - 20:y1 - 45 + 20, x0 - 60 - 20:x1 - 60 + 20] = 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(dust)
    assert count - 1 == specks
    assert (stats[1:, cv2.CC_STAT_WIDTH] <= 10).all()


@pytest.mark.parametrize("make", [lambda seed: spec_page(dpi=300, seed=seed)[0],
                                  lambda seed: blob_page(dpi=300, width_in=4, height_in=3, seed=seed)],
                         ids=["spec", "blob"])
def test_pages_are_deterministic_for_a_seed(make):
    assert np.array_equal(make(5), make(5))
    assert not np.array_equal(make(5), make(6))


@pytest.mark.parametrize("dpi", [300, 600])
def test_sizes_scale_with_dpi(dpi):
    assert spec_page(dpi=dpi, rows=2, cols=2)[0].shape[1] == round(8.95 * dpi)
    assert blob_page(dpi=dpi, width_in=3, height_in=2).shape == (2 * dpi, 3 * dpi, 3)


def test_blob_is_one_asymmetric_mass_inside_a_blank_margin():
    page = blob_page(dpi=300, width_in=8, height_in=6, seed=2)
    drawing = ink(page)
    margin = 90  # 0.3 in
    assert not drawing[:margin].any() and not drawing[-margin:].any()
    assert not drawing[:, :margin].any() and not drawing[:, -margin:].any()
    rows, cols = np.flatnonzero(drawing.any(axis=1)), np.flatnonzero(drawing.any(axis=0))
    assert np.ptp(rows) > 0.7 * page.shape[0] and np.ptp(cols) > 0.7 * page.shape[1]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(drawing.astype(np.uint8))
    assert stats[1:, cv2.CC_STAT_AREA].max() > 0.75 * drawing.sum()  # the rest: shapes nested in cells
    cells = cv2.connectedComponentsWithStats((~drawing).astype(np.uint8), connectivity=4)[0]
    assert cells > 100  # many closed shapes
    for mirrored in (drawing[:, ::-1], drawing[::-1, :]):
        assert (drawing != mirrored).mean() > 0.05


def test_sample_scans_writes_numbered_rgb_pages_and_the_seed(tmp_path):
    run_script("data", "sample_scans.py", tmp_path / "scans", "--style", "blob", "--pages", "2",
               "--seed", "7", "--width_in", "3", "--height_in", "2")
    assert sorted(p.name for p in (tmp_path / "scans").iterdir()) == ["0.png", "1.png"]
    record = json.loads((tmp_path / "scans.json").read_text())
    assert record["seed"] == 7 and record["style"] == "blob" and set(record["page_seeds"]) == {"0.png", "1.png"}
    assert record["complete"] is True
    with Image.open(tmp_path / "scans" / "1.png") as image:
        assert image.mode == "RGB" and image.size == (900, 600)
        assert round(image.info["dpi"][0]) == 300
    expected = blob_page(dpi=300, width_in=3, height_in=2, seed=record["page_seeds"]["1.png"])
    assert np.array_equal(np.asarray(Image.open(tmp_path / "scans" / "1.png")), expected)


@pytest.mark.parametrize("args, message", [
    (["--dpi", "450"], "--dpi 450: scans are made at 300, 600 or 1200 DPI"),
    (["--pages", "0"], "--pages 0"),
])
def test_sample_scans_rejects_bad_options(tmp_path, args, message):
    completed = run_script("data", "sample_scans.py", tmp_path / "scans", *args, check=False)
    assert completed.returncode == 1 and message in completed.stderr
    assert not (tmp_path / "scans").exists()


def test_sample_scans_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "mine.txt").write_text("keep me")
    completed = run_script("data", "sample_scans.py", tmp_path / "scans", check=False)
    assert completed.returncode == 1 and "already holds files this stage did not write" in completed.stderr
    assert sorted(p.name for p in (tmp_path / "scans").iterdir()) == ["mine.txt"]


def test_sample_scans_never_replaces_real_scans_named_like_its_pages(tmp_path):
    """Real scans named 0.png, 1.png are not this script's pages: no record of its own sits beside them."""
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "0.png").write_bytes(b"a real scan")
    (scans / "1.png").write_bytes(b"another")
    completed = run_script("data", "sample_scans.py", scans, check=False)
    assert completed.returncode == 1 and "already holds files this stage did not write" in completed.stderr
    assert (scans / "0.png").read_bytes() == b"a real scan" and (scans / "1.png").read_bytes() == b"another"
