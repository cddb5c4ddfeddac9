"""blob_grid.py and the grid it shares with blob_tile.py: units, centring, adjustment.json, previews."""
import json

import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing.data.blob import (
    centred_adjustment,
    centred_corner,
    check_grid_fits,
    grid_unit,
    load_adjustment,
    page_grid,
    parse_adjustment,
)
from drawing.data.blob_previews import GRID_COLOUR, draw_grid, select_scans
from drawing.data.samples import blob_page
from drawing.errors import UserError
from drawing.images import write_png


@pytest.mark.parametrize("dpi, unit", [(300, 256), (600, 512), (1200, 1024)])
def test_grid_unit_is_256_300ths_of_an_inch(dpi, unit):
    assert grid_unit(dpi) == unit


@pytest.mark.parametrize("dpi", [72, 299, 400])
def test_other_dpis_are_refused(dpi):
    with pytest.raises(UserError, match=f"dpi {dpi} is not supported"):
        grid_unit(dpi)


@pytest.mark.parametrize("unit", [256, 512, 1024])
def test_adjustment_places_the_top_left_corner_in_units_from_the_page_corner(unit):
    """The original's meaning: x units right of and y units below the page's top-left corner."""
    assert page_grid(rows=2, cols=3, unit=unit) == page_grid(2, 3, unit, (0.0, 0.0))
    grid = page_grid(rows=2, cols=3, unit=unit, corner=(1, 0.5))
    assert (grid.left, grid.top, grid.width, grid.height) == (unit, unit / 2, 3 * unit, 2 * unit)


def test_a_new_adjustment_centres_each_page_as_corner_offsets():
    # 300 DPI, 16 x 11 in page (4800 x 3300 px), the default 12 x 18 grid.
    assert centred_corner(3300, 4800, rows=12, cols=18, unit=256) == (0.375, 0.445)
    assert centred_adjustment([(3300, 4800), (600, 900)], 2, 3, 256) == [
        {"index": 0, "x": 7.875, "y": 5.445}, {"index": 1, "x": 0.258, "y": 0.172}]
    grid = page_grid(12, 18, 256, centred_corner(3300, 4800, 12, 18, 256))
    assert abs(grid.left - (4800 - 18 * 256) / 2) < 0.5 and abs(grid.top - (3300 - 12 * 256) / 2) < 0.5


def test_a_grid_off_the_page_is_refused_naming_the_page_and_by_how_much():
    grid = page_grid(rows=2, cols=3, unit=256, corner=(1, 0))
    with pytest.raises(UserError, match=r"page7.png: the grid of 3 columns x 2 rows \(768 x 512 px, .* runs off the 900 x 600 px page by "
                                        r"124 px past the right; move index 7's x/y in adjustment.json"):
        check_grid_fits(grid, 600, 900, "page7.png", index=7)
    with pytest.raises(UserError, match="10 px past the left, 20 px past the top"):
        check_grid_fits(page_grid(2, 3, 10, (-1, -2)), 600, 900, "page7.png")


def test_draw_grid_draws_every_line_and_leaves_the_page_alone():
    page = np.full((600, 900, 3), 255, np.uint8)
    grid = page_grid(rows=2, cols=3, unit=256, corner=centred_corner(600, 900, 2, 3, 256))
    preview = draw_grid(page, grid, width=1)
    assert (page == 255).all()
    red = (preview == GRID_COLOUR).all(axis=2)
    middle_row = round(grid.top + 100)
    columns_hit = np.flatnonzero(red[middle_row])
    assert columns_hit.tolist() == [round(grid.left + k * 256) for k in range(4)]
    middle_column = round(grid.left + 100)
    assert np.flatnonzero(red[:, middle_column]).tolist() == [round(grid.top + k * 256) for k in range(3)]


def test_adjustment_is_read_as_it_is_and_never_overwritten(tmp_path):
    path = tmp_path / "adjustment.json"
    path.write_text(json.dumps([{"index": 0, "x": 1, "y": 0}, {"index": 1, "x": 0, "y": -2.5},
                                {"index": 2, "x": 0, "y": 0}]))
    before = path.read_bytes()
    assert load_adjustment(path, 3) == [(1.0, 0.0), (0.0, -2.5), (0.0, 0.0)]
    assert path.read_bytes() == before


@pytest.mark.parametrize("content, problem", [
    ({"index": 0, "x": 0, "y": 0}, "expected a JSON list"),
    ([{"index": 0, "x": 0}], "exactly the keys index, x, y"),
    ([{"index": "0", "x": 0, "y": 0}], "expected a whole number"),
    ([{"index": 0, "x": "left", "y": 0}], "x='left', expected a number"),
    ([{"index": 0, "x": 1e308, "y": 0}], "x=1e.308, expected a number of grid units from -1000 to 1000"),
    ([{"index": 0, "x": 0, "y": float("nan")}], "y=nan, expected a number"),
    ([{"index": 0, "x": 0, "y": 0}, {"index": 0, "x": 1, "y": 1}], "index 0 appears more than once"),
    ([{"index": 0, "x": 0, "y": 0}], r"no entry for scan index 1; there are 2 scans \(indices 0 to 1\) and it "
                                     "has entries for 0$"),
    ([{"index": 1, "x": 0, "y": 0}, {"index": 2, "x": 0, "y": 0}],
     r"no entry for scan index 0; there are 2 scans \(indices 0 to 1\) and it has entries for 1, 2$"),
    ([], r"no entry for scan indices 0, 1; there are 2 scans \(indices 0 to 1\) and it has no entries$"),
])
def test_malformed_adjustment_is_a_clear_error(content, problem):
    with pytest.raises(UserError, match=f"adjustment.json: .*{problem}"):
        parse_adjustment(content, 2, "adjustment.json")


def test_adjustment_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "adjustment.json"
    path.write_text("[{index: 0}]")
    with pytest.raises(UserError, match="adjustment.json: not valid JSON"):
        load_adjustment(path, 1)


def test_index_zero_is_the_first_scan_not_all():
    scans = ["a.png", "b.png", "c.png"]
    assert select_scans(scans, None) == list(enumerate(scans))
    assert select_scans(scans, 0) == [(0, "a.png")]
    with pytest.raises(UserError, match="--index 3 is out of range"):
        select_scans(scans, 3)


@pytest.fixture(scope="module")
def blob_scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    for seed in range(2):
        write_png(folder / f"page{seed}.png", blob_page(dpi=300, width_in=3, height_in=2, seed=seed))
    return folder


def test_blob_grid_from_its_folder(blob_scans, tmp_path):
    adjustment = tmp_path / "adjustment.json"
    out = tmp_path / "grid"
    run_script("data", "blob_grid.py", blob_scans, 300, f"--dir_out={out}", "--index=0", "--rows=2",
               "--cols=3", f"--adjustment={adjustment}")
    assert [p.name for p in out.iterdir()] == ["page0.png"]
    preview = np.asarray(Image.open(out / "page0.png"))
    assert preview.shape == (600, 900, 3) and (preview == GRID_COLOUR).all(axis=2).any()
    assert json.loads(adjustment.read_text()) == [{"index": i, "x": 0.258, "y": 0.172} for i in range(2)]
    assert json.loads((tmp_path / "grid.json").read_text())["complete"] is True

    adjustment.write_text(json.dumps([{"index": 0, "x": 0, "y": 0}, {"index": 1, "x": 0.25, "y": 0}]))
    edited = adjustment.read_bytes()
    run_script("data", "blob_grid.py", blob_scans, 300, f"--dir_out={out}", "--rows=2", "--columns=3",
               f"--adjustment={adjustment}")
    assert sorted(p.name for p in out.iterdir()) == ["page0.png", "page1.png"]
    assert adjustment.read_bytes() == edited
    # Page 1's grid corner is 0.25 units (64 px) right of the page's left edge and on its top edge (lines 3 px wide).
    red = (np.asarray(Image.open(out / "page1.png")) == GRID_COLOUR).all(axis=2)
    assert red[300, 64] and red[300, 64 + 3 * 256] and not red[300, 62] and not red[300, 66] and red[1, 800]


@pytest.mark.parametrize("arguments, message", [
    (["250"], "dpi 250 is not supported"),
    (["300", "--adjustment={bad}"], "adjustment.json: no entry for scan index 1; there are 2 scans"),
    (["300", "--index=5", "--adjustment={good}"], "--index 5 is out of range"),
])
def test_blob_grid_bad_input_fails_with_one_line(blob_scans, tmp_path, arguments, message):
    bad = tmp_path / "adjustment.json"
    bad.write_text(json.dumps([{"index": 0, "x": 0, "y": 0}]))
    good = tmp_path / "good.json"
    arguments = [a.format(bad=bad, good=good) for a in arguments]
    completed = run_script("data", "blob_grid.py", blob_scans, *arguments, f"--dir_out={tmp_path / 'grid'}",
                           check=False)
    assert completed.returncode == 1
    assert message in completed.stderr and completed.stderr.startswith("error: ")
    assert bad.read_text() == json.dumps([{"index": 0, "x": 0, "y": 0}])
