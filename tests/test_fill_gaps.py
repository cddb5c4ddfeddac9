"""fill/ on real-looking drawings: broken lines (--close-gaps), specks (--min-region) and transparency."""
import json

import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing.data.samples import blob_page, break_lines, cells_kept_whole
from drawing.fill.regions import (
    BLOB_PAPER_ABOVE,
    DEFAULT_MIN_REGION,
    absorb_small_regions,
    close_gaps,
    find_regions,
    label_regions,
    lightness,
    luminance,
    nearest_region,
    read_drawing,
)
from drawing.folders import record_path
from drawing.gen.frames import brightness_to_alpha
from drawing.images import read_image

DPI = 125  # cells of 40-50 px and 1-2 px lines, as in bench/bench_fill.py's 1024 px drawings
WIDEST_GAP = 4
GAP_COUNT = 300


def blob_drawing(size, seed):
    """A `size` px square RGB crop from the middle of a blob page: a mesh of closed cells."""
    side_in = 1.3 * size / DPI
    page = blob_page(dpi=DPI, width_in=side_in, height_in=side_in, seed=seed)
    top, left = (page.shape[0] - size) // 2, (page.shape[1] - size) // 2
    return page[top:top + size, left:left + size].copy()


@pytest.fixture(scope="module")
def broken():
    """(cells of the drawing, the drawing with GAP_COUNT breaks of 1..WIDEST_GAP px cut into its lines)."""
    drawing = blob_drawing(512, seed=3)
    cells, _ = label_regions(lightness(drawing) > BLOB_PAPER_ABOVE)
    return cells, break_lines(drawing, GAP_COUNT, WIDEST_GAP, np.random.default_rng(5))


def test_breaks_leak_without_gap_closing(broken):
    cells, drawing = broken
    _, filled, _ = find_regions(lightness(drawing) > BLOB_PAPER_ABOVE)
    whole, merged = cells_kept_whole(cells, filled)
    assert whole < 0.5 and merged > 5


def test_closing_gaps_keeps_every_cell_one_region(broken):
    cells, drawing = broken
    _, filled, _ = find_regions(lightness(drawing) > BLOB_PAPER_ABOVE, WIDEST_GAP, DEFAULT_MIN_REGION)
    whole, merged = cells_kept_whole(cells, filled)
    assert whole >= 0.95 and merged == 0


def test_gap_closing_changes_almost_nothing_on_unbroken_lines():
    paper = lightness(blob_drawing(512, seed=4)) > BLOB_PAPER_ABOVE
    cells, _ = label_regions(paper)
    whole, merged = cells_kept_whole(cells, find_regions(paper, WIDEST_GAP)[1])
    assert whole >= 0.98 and merged == 0


def test_closed_regions_each_lie_inside_one_region_of_the_drawing(broken):
    paper = lightness(broken[1]) > BLOB_PAPER_ABOVE
    regions, _ = label_regions(paper)
    labels, _ = close_gaps(paper, 8)
    pairs = np.unique(np.stack([labels[labels > 0], regions[labels > 0]]), axis=1)
    assert np.unique(pairs[0]).size == pairs.shape[1]


def two_rooms(gap):
    """Two 40 x 40 px rooms side by side, the 2 px wall between them broken by a `gap` px door."""
    paper = np.ones((44, 86), bool)
    paper[[0, 1, -2, -1]] = False
    paper[:, [0, 1, 42, 43, -2, -1]] = False
    paper[20:20 + gap, 42:44] = True
    return paper


@pytest.mark.parametrize("gap", [1, 3, 4])
def test_a_door_up_to_the_width_is_closed_halfway_and_the_rooms_keep_their_paper(gap):
    labels, region_count = close_gaps(two_rooms(gap), 4)
    assert region_count == 2
    left, right = labels[20, 20], labels[20, 65]
    assert left != right and 0 not in (left, right)
    # Only the door and its halves are taken from the rooms; the rest of their paper keeps its region.
    room = two_rooms(0)
    assert np.count_nonzero(room & (labels == 0)) <= 2 * (gap + 2)
    assert labels[20, 42] in (left, right, 0) and labels[20, 43] in (left, right, 0)


def test_a_door_wider_than_the_width_stays_open():
    assert close_gaps(two_rooms(6), 4)[1] == 1


def test_a_region_narrower_than_the_width_keeps_its_own_colour():
    paper = two_rooms(0)
    paper[10:14, 60:70] = False                # a closed 2 px slit: a region 2 px wide inside the right room
    paper[11:13, 61:69] = True
    labels, region_count = close_gaps(paper, 4)
    assert region_count == 3 and labels[11, 65] not in (0, labels[30, 65], labels[30, 20])


def test_specks_take_the_region_they_border_most():
    paper = np.ones((30, 60), bool)
    paper[:, 28:34] = False                    # a 6 px line between two regions
    paper[14:16, 30:32] = True                 # a 2 x 2 speck inside it, between its two strokes
    paper[2:5, 9:12] = False                   # a dust ring in the left region, 1 px of paper inside
    paper[3, 10] = True
    labels, region_count = label_regions(paper)
    left, speck, dust, right = labels[0, 0], labels[14, 30], labels[3, 10], labels[0, 59]
    merged_labels, merged_filled = absorb_small_regions(labels, nearest_region(labels), region_count, 16)
    assert merged_labels[3, 10] == left
    assert merged_labels[14, 30] in (left, right)
    assert set(np.unique(merged_filled)) == {left, right}
    kept = find_regions(paper, 0, 0)[0]
    assert (kept[14, 30], kept[3, 10]) == (speck, dust) and len({left, speck, dust, right}) == 4


def transparency_forms(gray):
    """The four ways one gray drawing reaches us (RGB or RGBA arrays), by name."""
    clear = 255 - gray
    rgb = np.repeat(gray[:, :, np.newaxis], 3, axis=2)
    return {
        "opaque": rgb,
        "alpha_duplicated": np.dstack([rgb, clear]),
        "rgba_py": brightness_to_alpha(rgb, (32, 64, 128)),
        "black_on_clear": np.dstack([np.zeros_like(rgb), clear]),
    }


def test_the_four_transparency_forms_give_the_same_regions(tmp_path):
    gray = luminance(break_lines(blob_drawing(256, seed=6), 60, 2, np.random.default_rng(1)))
    folder = tmp_path / "drawings"
    folder.mkdir()
    for name, array in transparency_forms(gray).items():
        Image.fromarray(array).save(folder / f"{name}.png")
    regions = {path.stem: find_regions(read_drawing(path) > BLOB_PAPER_ABOVE, 2, DEFAULT_MIN_REGION)[0]
               for path in folder.iterdir()}
    for labels in regions.values():
        np.testing.assert_array_equal(labels, regions["opaque"])
    # Laying the half-transparent line pixels over white, as before, lightens them into paper.
    over_white = luminance(read_image(folder / "alpha_duplicated.png", "RGB")) > BLOB_PAPER_ABOVE
    assert label_regions(over_white)[1] < label_regions(gray > BLOB_PAPER_ABOVE)[1]

    # With --overlay a region's colour depends on where it is, not on the file's name: same regions, same image.
    palette = tmp_path / "palette.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8)).save(palette)
    out = tmp_path / "out"
    run_script("fill", "blob_fill.py", folder, palette, f"--dir_out={out}", "--overlay")
    painted = {path.stem: np.asarray(Image.open(path)) for path in out.iterdir()}
    for name, image in painted.items():
        np.testing.assert_array_equal(image, painted["opaque"], err_msg=name)
    record = json.loads(record_path(out).read_text())
    assert record["close_gaps"] == 2 and record["min_region"] == DEFAULT_MIN_REGION


def test_a_fill_whose_regions_differ_from_the_originals_says_so_and_how_to_get_the_seeds():
    from drawing.fill.folder import regions_note
    assert regions_note(0, 0) is None
    assert regions_note(2, 16) == ("note: line breaks up to 2 px are closed and specks under 16 px are merged into "
                                   "their neighbours; --close_gaps=0 --min_region=0 gives the original's regions exactly")
    assert regions_note(0, 5).startswith("note: specks under 5 px")
