"""fill/: regions, their colours, lines from the nearest region, spec symmetry, and the two fill scripts."""
import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, checksums, error_line, run_script
from PIL import Image

from drawing.errors import UserError
from drawing.fill.blend import blend_cpu
from drawing.fill.colour import (
    BUILTIN_PALETTE,
    WHITE,
    colour_blob,
    colour_blob_with_palette_file,
    colour_spec,
    fit_palette,
    overlay_region_colours,
    palette_pixels,
)
from drawing.fill.folder import drawing_rng
from drawing.fill.regions import (
    DEFAULT_CLOSE_GAPS,
    DEFAULT_MIN_REGION,
    SPEC_IGNORED_MARGIN,
    label_regions,
    lightness,
    luminance,
    nearest_region,
    spec_paper,
)
from drawing.fill.symmetry import border_labels, mirror_groups, specimen_bounds
from drawing.folders import record_path

PALETTE_COLOURS = np.array([(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 200, 40)], np.uint8)


def grid_drawing(size=48, cells=3, line=2):
    """White paper cut by black lines into cells x cells square regions (the outer border is paper)."""
    drawing = np.full((size, size, 3), 255, np.uint8)
    for index in range(1, cells):
        position = index * size // cells
        drawing[position:position + line] = 0
        drawing[:, position:position + line] = 0
    return drawing


def block_palette():
    """A palette image made of four colour blocks of unequal size."""
    palette = np.empty((20, 30, 3), np.uint8)
    palette[:10, :10], palette[:10, 10:], palette[10:, :20], palette[10:, 20:] = PALETTE_COLOURS
    return palette


def symmetric_specimen(shift_one_box=0):
    """A 160 px spec tile, mirror-symmetric about both axes, with known regions.

    Inside a frame: a centre square, four L-shaped quarters cut apart by the axes, a small box in each
    quarter, and one extra box only in the top-left quarter. `shift_one_box` moves the top-right
    small box to the right by that many pixels, as a hand would.
    """
    quarter = np.full((80, 80), 255, np.uint8)
    quarter[40:42, 40:] = 0                  # frame
    quarter[40:, 40:42] = 0
    quarter[66:68, 66:] = 0                  # centre square
    quarter[66:, 66:68] = 0
    quarter[40:66, 78:] = 0                  # vertical axis, frame to centre square
    quarter[78:, 40:66] = 0                  # horizontal axis
    quarter[48:60, 48:60] = 0                # small box: an 8 x 8 region inside a 2 px border
    quarter[50:58, 50:58] = 255
    top = np.hstack([quarter, quarter[:, ::-1]])
    gray = np.vstack([top, top[::-1]])
    if shift_one_box:
        gray[48:60, 100:112] = 255
        gray[48:60, 100 + shift_one_box:112 + shift_one_box] = 0
        gray[50:58, 102 + shift_one_box:110 + shift_one_box] = 255
    gray[44:57, 62:75] = 0                   # the extra box, with no mirror image
    gray[45:56, 63:74] = 255
    return np.repeat(gray[:, :, np.newaxis], 3, axis=2)


# Points inside each known region of `symmetric_specimen` (row, column).
L_REGIONS = [(45, 45), (45, 114), (114, 45), (114, 114)]
SMALL_BOXES = [(53, 53), (53, 106), (106, 53), (106, 106)]
EXTRA_BOX = (50, 68)
CENTRE = (80, 80)
OUTSIDE = (10, 10)


def region_colours(image, labels, region_count):
    """The set of colours found in each region of `labels`."""
    return [{tuple(pixel) for pixel in image[labels == label]} for label in range(1, region_count + 1)]


def test_label_regions_uses_4_connectivity():
    paper = np.array([[1, 0], [0, 1]], bool)
    labels, region_count = label_regions(paper)
    assert region_count == 2
    assert labels[0, 1] == labels[1, 0] == 0


def test_luminance_threshold_matches_pil():
    drawing = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    pil = np.asarray(Image.fromarray(drawing).convert("L")).astype(int)
    assert np.abs(luminance(drawing).astype(int) - pil).max() <= 1


def test_blob_gives_every_region_one_palette_colour_and_leaves_no_line():
    drawing = grid_drawing()
    labels, region_count = label_regions(luminance(drawing) > 160)
    assert region_count == 9
    coloured = colour_blob(lightness(drawing), palette_pixels(block_palette()), np.random.default_rng(0))
    palette_set = {tuple(colour) for colour in PALETTE_COLOURS}
    for colours in region_colours(coloured, labels, region_count):
        assert len(colours) == 1 and colours <= palette_set
    assert {tuple(pixel) for pixel in coloured.reshape(-1, 3)} <= palette_set


def test_random_colours_follow_the_palette_proportions():
    palette = block_palette()
    drawing = grid_drawing(size=600, cells=30)
    coloured = colour_blob(lightness(drawing), palette_pixels(palette), np.random.default_rng(1))
    labels, region_count = label_regions(luminance(drawing) > 160)
    picked = np.array([next(iter(colours)) for colours in region_colours(coloured, labels, region_count)])
    share_of_largest = np.mean((picked == PALETTE_COLOURS[1]).all(axis=1))
    assert share_of_largest == pytest.approx(200 / 600, abs=0.08)


def test_overlay_takes_the_palette_mean_under_each_region():
    drawing = grid_drawing()
    palette = np.random.default_rng(2).integers(0, 256, drawing.shape, dtype=np.uint8)
    labels, region_count = label_regions(luminance(drawing) > 160)
    colours = overlay_region_colours(labels, region_count, palette)
    for label in range(1, region_count + 1):
        expected = np.rint(palette[labels == label].mean(axis=0))
        np.testing.assert_array_equal(colours[label], expected)
    coloured = colour_blob(lightness(drawing), palette, rng=None, overlay=True)
    np.testing.assert_array_equal(coloured[labels > 0], colours[labels[labels > 0]])


@pytest.mark.parametrize("palette_shape", [(20, 30, 3), (96, 96, 3), (48, 48, 3)])
def test_fit_palette_resizes_to_the_drawing(palette_shape):
    palette = np.full(palette_shape, 77, np.uint8)
    fitted = fit_palette(palette, (48, 48, 3))
    assert fitted.shape == (48, 48, 3) and (fitted == 77).all()


def test_lines_take_the_nearest_region():
    labels = np.array([[1, 1, 0, 0, 0, 0, 2]], np.int32)
    np.testing.assert_array_equal(nearest_region(labels), [[1, 1, 1, 1, 2, 2, 2]])


def test_a_drawing_that_is_all_line_has_nothing_to_colour():
    drawing = np.zeros((16, 16, 3), np.uint8)
    assert colour_blob(lightness(drawing), PALETTE_COLOURS, np.random.default_rng(0)) is None


def test_same_seed_and_name_give_the_same_colours():
    drawing = grid_drawing()
    pixels = palette_pixels(block_palette())
    first = colour_blob(lightness(drawing), pixels, drawing_rng(5, "a.png"))
    np.testing.assert_array_equal(first, colour_blob(lightness(drawing), pixels, drawing_rng(5, "a.png")))


def test_spec_paper_ignores_lines_in_the_margin():
    paper = spec_paper(np.zeros((100, 100), np.uint8))
    assert paper[:SPEC_IGNORED_MARGIN].all() and not paper[SPEC_IGNORED_MARGIN:-SPEC_IGNORED_MARGIN,
                                                             SPEC_IGNORED_MARGIN:-SPEC_IGNORED_MARGIN].any()


@pytest.mark.parametrize("margin", [0, 5])
def test_spec_paper_margin_is_exact(margin):
    paper = spec_paper(np.zeros((20, 30), np.uint8), margin)
    assert np.count_nonzero(~paper) == (20 - 2 * margin) * (30 - 2 * margin)


def test_spec_margin_that_leaves_nothing_is_an_error():
    with pytest.raises(UserError, match="64 x 40 px: a margin of 20 px"):
        spec_paper(np.zeros((40, 64), np.uint8), 20)


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_mirror_images_share_groups_and_unrelated_regions_do_not(shift):
    labels, region_count = label_regions(spec_paper(lightness(symmetric_specimen(shift))))
    groups = mirror_groups(labels, region_count, specimen_bounds(labels, border_labels(labels)))
    group_at = lambda point: groups[labels[point]]
    assert len({group_at(point) for point in L_REGIONS}) == 1
    assert len({group_at(point) for point in SMALL_BOXES}) == 1
    assert group_at(L_REGIONS[0]) != group_at(SMALL_BOXES[0])
    assert np.count_nonzero(groups == group_at(EXTRA_BOX)) == 1


def test_spec_fill_colours_mirror_images_alike_and_leaves_outside_and_centre_white():
    drawing = symmetric_specimen(shift_one_box=1)
    coloured = colour_spec(lightness(drawing), BUILTIN_PALETTE, np.random.default_rng(3))
    colour_at = lambda point: tuple(coloured[point])
    assert colour_at(OUTSIDE) == colour_at(CENTRE) == WHITE
    assert len({colour_at(point) for point in L_REGIONS}) == 1
    assert len({colour_at(point) for point in SMALL_BOXES}) == 1
    assert colour_at(L_REGIONS[0]) != WHITE
    assert {tuple(pixel) for pixel in coloured.reshape(-1, 3)} <= {WHITE} | {tuple(c) for c in BUILTIN_PALETTE}


def test_spec_fill_unrelated_regions_may_differ():
    drawing = symmetric_specimen()
    colourings = [colour_spec(lightness(drawing), BUILTIN_PALETTE, np.random.default_rng(seed)) for seed in range(4)]
    assert any(tuple(coloured[EXTRA_BOX]) != tuple(coloured[SMALL_BOXES[0]]) for coloured in colourings)


# ---- the scripts, run from fill/ as a user does ----

@pytest.fixture
def drawings(tmp_path):
    folder = tmp_path / "drawings"
    folder.mkdir()
    Image.fromarray(grid_drawing(size=96)).save(folder / "1.png")
    Image.fromarray(symmetric_specimen()).convert("RGBA").save(folder / "2.png")
    Image.fromarray(np.zeros((80, 80, 3), np.uint8)).save(folder / "10.png")
    return folder


@pytest.fixture
def palette_file(tmp_path):
    path = tmp_path / "palette.png"
    Image.fromarray(block_palette()).save(path)
    return path


def read_rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


def test_blob_fill_script_end_to_end(drawings, palette_file, tmp_path):
    before = checksums(drawings)
    out = tmp_path / "blob"
    completed = run_script("fill", "blob_fill.py", drawings, palette_file, f"--dir_out={out}", "--blend",
                           "--seed=4")
    assert checksums(drawings) == before
    assert sorted(path.name for path in out.iterdir()) == ["1.png", "10.png", "2.png"]
    record = json.loads(record_path(out).read_text())
    assert record["seed"] == 4 and record["complete"] is True
    assert (record["close_gaps"], record["min_region"]) == (DEFAULT_CLOSE_GAPS, DEFAULT_MIN_REGION)
    assert "10.png: the drawing is all line" in completed.stderr
    notes = [line for line in completed.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "closed" in notes[0] and "--blend averages" in notes[0]   # one note, both said
    np.testing.assert_array_equal(read_rgb(out / "10.png"), 0)
    regions = {"close_gaps_px": DEFAULT_CLOSE_GAPS, "min_region": DEFAULT_MIN_REGION}
    expected = blend_cpu(colour_blob_with_palette_file(palette_file, False, regions,
                                                       lightness(grid_drawing(size=96)), drawing_rng(4, "1.png")))
    np.testing.assert_array_equal(read_rgb(out / "1.png"), expected)

    again = tmp_path / "again"
    run_script("fill", "blob_fill.py", drawings, palette_file, f"--dir_out={again}", "--blend", "--seed=4")
    assert (again / "1.png").read_bytes() == (out / "1.png").read_bytes()


def test_blob_fill_overlay_writes_and_says_the_palette_was_resized(drawings, palette_file, tmp_path):
    out = tmp_path / "overlay"
    completed = run_script("fill", "blob_fill.py", drawings, palette_file, f"--dir_out={out}", "--overlay")
    assert "resized" in completed.stdout
    assert (out / "1.png").exists() and (out / "2.png").exists()


def test_spec_fill_script_with_and_without_palette(drawings, palette_file, tmp_path):
    run_script("fill", "spec_fill.py", drawings, f"--dir_out={tmp_path / 'builtin'}", "--seed=1", "--margin=8")
    coloured = read_rgb(tmp_path / "builtin" / "2.png")
    assert tuple(coloured[OUTSIDE]) == tuple(coloured[CENTRE]) == WHITE
    assert len({tuple(coloured[point]) for point in L_REGIONS}) == 1
    assert json.loads((tmp_path / "builtin.json").read_text())["palette"] == "built-in"
    run_script("fill", "spec_fill.py", drawings, palette_file, f"--dir_out={tmp_path / 'own'}", "--seed=1")
    own = read_rgb(tmp_path / "own" / "2.png")
    assert tuple(own[L_REGIONS[0]]) in {tuple(colour) for colour in PALETTE_COLOURS}


@pytest.mark.parametrize("script", ["blob_fill.py", "spec_fill.py"])
def test_fill_scripts_reject_bad_input_with_one_line(script, drawings, palette_file, tmp_path):
    def fails(*args):
        return error_line(run_script("fill", script, *args, check=False))

    not_an_image = tmp_path / "palette.txt.png"
    not_an_image.write_text("not an image")
    out = tmp_path / "out"
    assert "not an image file" in fails(drawings, not_an_image, f"--dir_out={out}")
    assert not out.exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no PNG images" in fails(empty, palette_file, f"--dir_out={out}")

    before = checksums(drawings)
    assert "--dir_out is the input" in fails(drawings, palette_file, f"--dir_out={drawings}")
    assert checksums(drawings) == before

    (drawings / "3.png").write_text("a note, not a drawing")
    message = fails(drawings, palette_file, f"--dir_out={out}")
    assert "3.png" in message and "1 of 4 drawings failed" in message
    assert (out / "1.png").exists() and not (out / "3.png").exists()
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_default_output_is_out_holding_images_only_with_its_record_beside(drawings, palette_file, tmp_path):
    def run_in(folder, script, *args, check=True):
        completed = subprocess.run([sys.executable, str(REPO / "fill" / script), *map(str, args)], cwd=folder,
                                   capture_output=True, text=True, timeout=120)
        assert not check or completed.returncode == 0, completed.stderr
        return completed

    run_in(tmp_path, "blob_fill.py", drawings, palette_file, "--seed=1")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["1.png", "10.png", "2.png"]
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["stage"] == "blob_fill.py" and record["complete"] is True
    assert record["command"].startswith("python blob_fill.py ")
    # blend.py's default is out too: blending out into itself is refused; elsewhere it is fine.
    refused = run_in(tmp_path, "blend.py", "out", "--cpu", check=False)
    assert refused.returncode == 1 and "--dir_out is the input out" in refused.stderr
    run_in(tmp_path, "blend.py", "out", "--dir_out=blended", "--cpu")
    assert json.loads((tmp_path / "blended.json").read_text())["complete"] is True


def test_a_drawing_whose_regions_all_come_out_white_is_named(tmp_path):
    """A spec fill leaves the paper around the specimen white: a curve across the tile (no closed shape)
    gives an all-white image, which is written but said, not passed over in silence."""
    folder = tmp_path / "drawings"
    folder.mkdir()
    drawing = np.full((64, 64, 3), 255, np.uint8)
    drawing[:, 30:33] = 0
    Image.fromarray(drawing).save(folder / "0.png")
    completed = run_script("fill", "spec_fill.py", folder, f"--dir_out={tmp_path / 'out'}", "--margin=4", "--seed=1")
    assert "0.png: every region came out white" in completed.stderr
    assert (read_rgb(tmp_path / "out" / "0.png") == 255).all()


def test_a_rerun_with_another_input_or_seed_into_a_folder_of_fills_is_refused(drawings, palette_file, tmp_path):
    """One folder, one run: otherwise mix/ holds the fills of two inputs while mix.json names one."""
    other = tmp_path / "spec"
    other.mkdir()
    Image.fromarray(symmetric_specimen()).save(other / "5.png")
    mix = tmp_path / "mix"
    run_script("fill", "blob_fill.py", drawings, palette_file, f"--dir_out={mix}", "--seed=1")
    before = checksums(mix)
    for args in ([other, palette_file, "--seed=1"], [drawings, palette_file, "--seed=2"]):
        message = error_line(run_script("fill", "blob_fill.py", *args, f"--dir_out={mix}", check=False))
        assert "python blob_fill.py" in message and f"remove {mix} and mix.json yourself" in message
        assert checksums(mix) == before
    assert f"input {drawings} there, {other} now" in run_script(
        "fill", "blob_fill.py", other, palette_file, f"--dir_out={mix}", "--seed=1", check=False).stderr
    # The same input without --seed takes the recorded seed: the same fills again.
    run_script("fill", "blob_fill.py", drawings, palette_file, f"--dir_out={mix}")
    assert checksums(mix) == before and json.loads((tmp_path / "mix.json").read_text())["seed"] == 1
