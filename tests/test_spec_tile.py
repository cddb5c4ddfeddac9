"""data/spec_tile.py: finding, centring and cutting the specimens of a spec page; its bad inputs; and
one end-to-end run of the spec scripts from the data/ folder."""

import cv2
import numpy as np
import pytest
from helpers import checksums, run_script
from PIL import Image

from drawing.data import spec
from drawing.data.samples import BED_IN, spec_page
from drawing.data.spec_tiles import write_page_tiles
from drawing.images import encode_png, read_image


def ink(image):
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) < 128


def by_column(boxes, rows, cols):
    """The sample page's specimen boxes (row by row) in the original's tile order: column by column."""
    return [boxes[row * cols + col] for col in range(cols) for row in range(rows)]


def centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


@pytest.fixture(scope="module")
def known_page():
    return spec_page(dpi=300, seed=11, specks=12)


@pytest.fixture(scope="module")
def scan_png(known_page):
    return encode_png(known_page[0])


def test_finds_all_36_specimens_and_ignores_the_specks(known_page):
    page, boxes = known_page
    tiles, layout = spec.tile_page(page, 256)
    assert len(tiles) == 36
    assert all(tile.shape == (256, 256, 3) and tile.dtype == np.uint8 for tile in tiles)
    assert len(layout.columns) == 7 and len(layout.rows) == 7  # 6 x 6 cells
    for square, box in zip(layout.squares, by_column(boxes, 6, 6)):
        assert square[2] - square[0] == 384 and square[3] - square[1] == 384
        assert np.abs(centre(square) - centre(box)).max() <= 1.5
        assert square[0] < box[0] and square[1] < box[1] and box[2] < square[2] and box[3] < square[3]


def test_each_tile_centres_its_specimen_at_two_thirds_scale(known_page):
    tiles, _ = spec.tile_page(known_page[0], 256)
    for tile, box in zip(tiles, by_column(known_page[1], 6, 6)):
        blobs = spec.drawing_boxes(ink(tile).astype(np.uint8), speck_extent=8)  # specks may be in a tile
        found = (*blobs[:, :2].min(axis=0), *blobs[:, 2:].max(axis=0))
        assert np.abs(centre(found) - 128).max() <= 1.5
        assert abs(found[2] - found[0] - (box[2] - box[0]) * 2 / 3) <= 3
        # The specimens are symmetric, so a centred tile is nearly its own mirror image.
        drawing = ink(tile)
        assert (drawing != drawing[:, ::-1]).mean() < 0.03 and (drawing != drawing[::-1]).mean() < 0.03


def test_neighbours_reaching_into_the_square_are_blanked():
    page, boxes = spec_page(dpi=300, rows=6, cols=9, seed=12, specks=0)  # cells narrower than a square
    tiles, layout = spec.tile_page(page, 256)
    assert len(tiles) == 54
    neighbour_inside = 0
    for tile, square, box in zip(tiles, layout.squares, by_column(boxes, 6, 9)):
        inside = np.zeros((256, 256), bool)
        x0, y0 = ((np.array(box[:2]) - square[:2]) * 2 / 3).astype(int) - 2
        x1, y1 = ((np.array(box[2:]) - square[:2]) * 2 / 3).astype(int) + 3
        inside[max(0, y0):y1, max(0, x0):x1] = True
        assert not (ink(tile) & ~inside).any()
        others = [b for b in boxes if b != box and b[0] < square[2] and square[0] < b[2]
                  and b[1] < square[3] and square[1] < b[3]]
        neighbour_inside += bool(others)
    assert neighbour_inside > 10  # the test does test something: neighbours do reach into squares


@pytest.mark.parametrize("seed, rows, cols, specks", [(0, 6, 6, 40), (1, 5, 4, 10), (2, 7, 5, 0), (3, 1, 1, 3)])
def test_tile_count_follows_the_layout(seed, rows, cols, specks):
    page, boxes = spec_page(dpi=300, rows=rows, cols=cols, seed=seed, specks=specks)
    tiles, layout = spec.tile_page(page, 256)
    assert len(tiles) == rows * cols
    assert all(np.abs(centre(square) - centre(box)).max() <= 1.5
               for square, box in zip(layout.squares, by_column(boxes, rows, cols)))


def test_dust_between_columns_does_not_join_them(known_page):
    page, boxes = known_page
    dusty = page.copy()
    grid = np.asarray(boxes).reshape(6, 6, 4)
    for col in range(5):
        gap_x = (grid[:, col, 2].max() + grid[:, col + 1, 0].min()) // 2
        for y in range(300, 3300, 400):
            cv2.circle(dusty, (int(gap_x), y), 4, (20, 20, 20), -1)
    tiles, layout = spec.tile_page(dusty, 256)
    assert len(tiles) == 36 and len(layout.columns) == 7


def test_empty_cells_are_skipped(known_page):
    page, boxes = known_page
    x0, y0, x1, y1 = boxes[14]
    blank = page.copy()
    blank[y0 - 2:y1 + 2, x0 - 2:x1 + 2] = np.median(page[y0 - 40:y0 - 20, x0:x1].reshape(-1, 3), axis=0)
    tiles, layout = spec.tile_page(blank, 256)
    assert len(tiles) == 35
    assert [tuple(np.round(centre(s))) for s in layout.squares] == \
        [tuple(np.round(centre(s))) for i, s in enumerate(spec.tile_page(page, 256)[1].squares) if i != 14]


def test_a_600_dpi_scan_gives_512_px_tiles():
    page, boxes = spec_page(dpi=600, rows=2, cols=3, seed=8)
    tiles, layout = spec.tile_page(page, 512)
    assert len(tiles) == 6 and tiles[0].shape == (512, 512, 3)
    # Found at 300 DPI: within a 300 DPI pixel.
    assert all(np.abs(centre(square) - centre(box)).max() <= 2
               for square, box in zip(layout.squares, by_column(boxes, 2, 3)))


def test_the_scanner_bed_is_cropped(known_page):
    left, top, right, bottom = (round(side * 300) for side in BED_IN)
    page = known_page[0]
    x0, y0, x1, y1 = spec.find_paper(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY), inset=0)
    assert abs(x0 - left) <= 1 and abs(y0 - top) <= 1
    assert abs(x1 - (page.shape[1] - right)) <= 1 and abs(y1 - (page.shape[0] - bottom)) <= 1


def test_a_page_on_a_large_scanner_bed_is_found(known_page):
    page, boxes = known_page
    bed = np.full((page.shape[0] + 1200, page.shape[1] * 3, 3), 30, np.uint8)
    bed[500:500 + page.shape[0], 2000:2000 + page.shape[1]] = page
    tiles, layout = spec.tile_page(bed, 256)
    assert len(tiles) == 36
    assert np.abs(centre(layout.squares[0]) - centre(boxes[0]) - (2000, 500)).max() <= 1.5


def test_a_blank_page_has_no_specimen():
    paper = np.full((1200, 900, 3), 240, np.uint8)
    paper += np.random.default_rng(0).integers(0, 6, paper.shape, dtype=np.uint8)
    tiles, layout = spec.tile_page(paper, 256)
    assert tiles == [] and layout.paper is not None


@pytest.mark.parametrize("starts, ends, length, bands", [
    ([2, 4, 10], [6, 5, 12], 15, [(2, 6), (10, 12)]),
    ([0], [15], 15, [(0, 15)]),
    ([3, 6], [6, 8], 10, [(3, 8)]),       # touching intervals are one band
    ([], [], 5, []),
])
def test_find_bands(starts, ends, length, bands):
    assert spec.find_bands(np.array(starts, int), np.array(ends, int), length) == bands


def test_separators_lie_halfway_between_bands():
    assert spec.separators([(2, 6), (10, 12)], 15) == [0, 8, 15]


def test_blobs_are_grouped_by_cell_column_by_column():
    boxes = np.array([[1, 1, 4, 4], [5, 2, 7, 6], [12, 1, 14, 3], [12, 11, 14, 13], [2, 12, 3, 13]])
    found = spec.cell_boxes(boxes, [0, 10, 20], [0, 10, 20])
    # The original's order: the left column top to bottom, then the right column.
    assert found == [((0, 0, 10, 10), (1, 1, 7, 6)), ((0, 10, 10, 20), (2, 12, 3, 13)),
                     ((10, 0, 20, 10), (12, 1, 14, 3)), ((10, 10, 20, 20), (12, 11, 14, 13))]


# --- the script, from the data/ folder ---

def tile_names(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))


def test_end_to_end_from_the_data_folder(tmp_path):
    scans, tiles, grid = tmp_path / "scans", tmp_path / "tile", tmp_path / "grid"
    run_script("data", "sample_scans.py", scans, "--style", "spec", "--dpi", "300", "--pages", "2", "--seed", "1")
    before = checksums(scans)
    completed = run_script("data", "spec_tile.py", scans, "256", f"--dir_out={tiles}", f"--dir_out_grid={grid}")
    assert "72 tiles" in completed.stdout
    assert tile_names(tiles) == [f"p{page}/p{page}_t{n:02d}.png" for page in (0, 1) for n in range(36)]
    assert read_image(tiles / "p1" / "p1_t35.png").shape == (256, 256, 3)
    assert sorted(p.name for p in grid.iterdir()) == ["0.png", "1.png"]
    preview = read_image(grid / "0.png")
    assert preview.shape[:2] == (1710, 1342)  # the page at 150 DPI
    red = (preview[:, :, 0] > 200) & (preview[:, :, 1] < 60) & (preview[:, :, 2] < 60)
    assert red.mean() > 0.01
    run_script("data", "spec_tile.py", scans, "256", f"--dir_out={tiles}", f"--dir_out_grid={grid}")
    assert len(tile_names(tiles)) == 72  # a rerun replaces its own output
    completed = run_script("data", "spec_rotateflip.py", tiles)
    assert len(tile_names(tiles)) == 8 * 72  # in place, as in the original
    assert checksums(scans) == before


def write_scans(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_a_non_rgb_scan_is_converted_with_a_warning(tmp_path, scan_png, mode):
    scans = tmp_path / "scans"
    scans.mkdir()
    Image.fromarray(read_image_bytes(scan_png)).convert(mode).save(scans / "1.png", compress_level=1)
    completed = run_script("data", "spec_tile.py", scans, "256", f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}")
    assert f"1.png: scan is in mode {mode}, not RGB" in completed.stderr
    assert len(tile_names(tmp_path / "tile")) == 36


def read_image_bytes(data):
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_bad_pages_are_reported_and_the_rest_tiled(tmp_path, scan_png):
    scans = tmp_path / "scans"
    blank = np.full((3300, 2550, 3), 242, np.uint8)
    jpeg = cv2.imencode(".jpg", read_image_bytes(scan_png)[:400, :400])[1].tobytes()
    write_scans(scans, {"1.png": scan_png, "2.png": scan_png[:len(scan_png) // 2], "3.png": jpeg,
                        "4.png": encode_png(blank), "notes.jpg": jpeg})
    before = checksums(scans)
    completed = run_script("data", "spec_tile.py", scans, "256", f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}", check=False)
    assert completed.returncode == 1
    error = completed.stderr
    assert "2.png: cannot be decoded, the file is damaged or truncated" in error
    assert "3.png: not a PNG file (it is JPEG)" in error
    assert "4.png: no specimen found on the page" in error
    assert "notes.jpg is not PNG and is skipped" in error
    assert "error: 3 of 4 pages failed, the rest are done" in error
    assert tile_names(tmp_path / "tile") == [f"p1/p1_t{n:02d}.png" for n in range(36)]
    assert checksums(scans) == before


@pytest.mark.parametrize("setup, args, message", [
    (lambda root: None, ["missing", "256"], "missing: scan folder does not exist"),
    (lambda root: (root / "empty").mkdir(), ["empty", "256"], "empty: no PNG images in this folder"),
    (lambda root: (root / "empty").mkdir(), ["empty", "300"], "resolution 300 is not allowed"),
])
def test_bad_arguments_get_one_line_errors(tmp_path, setup, args, message):
    setup(tmp_path)
    completed = run_script("data", "spec_tile.py", tmp_path / args[0], args[1], f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}", check=False)
    assert completed.returncode == 1 and message in completed.stderr
    assert completed.stderr.strip().startswith("error:") and len(completed.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "tile").exists()


def test_an_output_folder_holding_other_files_is_refused(tmp_path, scan_png):
    write_scans(tmp_path / "scans", {"1.png": scan_png})
    write_scans(tmp_path / "tile", {"holiday.png": b"someone else's"})
    completed = run_script("data", "spec_tile.py", tmp_path / "scans", "256", f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}", check=False)
    assert completed.returncode == 1 and "already holds files this stage did not write" in completed.stderr
    assert [p.name for p in (tmp_path / "tile").iterdir()] == ["holiday.png"]


def test_recut_tiles_take_their_rotateflip_variants_along_and_unchanged_ones_keep_them(tmp_path):
    """Variants of a tile whose content changed, or that is no longer found, would show the old tile (and
    tfrecord.py would pack them): they go; an unchanged tile is not rewritten and keeps its variants."""
    folder = tmp_path / "tile" / "p1"
    tiles = [np.full((8, 8, 3), value, np.uint8) for value in (10, 20, 30)]
    write_page_tiles(folder, "p1", tiles)
    for number in range(3):
        for variant in ("rf00", "rf13"):
            (folder / f"p1_t{number:02d}_{variant}.png").write_bytes(b"variant")
    (folder / "p1_t01_notes.png").write_bytes(b"someone's")
    kept_time = (folder / "p1_t01.png").stat().st_mtime_ns
    write_page_tiles(folder, "p1", [np.full((8, 8, 3), 99, np.uint8), tiles[1]])
    assert sorted(p.name for p in folder.iterdir()) == [
        "p1_t00.png", "p1_t01.png", "p1_t01_notes.png", "p1_t01_rf00.png", "p1_t01_rf13.png"]
    assert (read_image(folder / "p1_t00.png") == 99).all()
    assert (folder / "p1_t01.png").stat().st_mtime_ns == kept_time


def test_a_rerun_on_other_scans_into_a_folder_of_tiles_is_refused_naming_the_recorded_input(tmp_path, scan_png):
    write_scans(tmp_path / "scans", {"1.png": scan_png})
    write_scans(tmp_path / "scans3", {"1.png": scan_png})
    tiles = tmp_path / "tiles2"
    run_script("data", "spec_tile.py", tmp_path / "scans", "256", f"--dir_out={tiles}",
               f"--dir_out_grid={tmp_path / 'g2'}")
    completed = run_script("data", "spec_tile.py", tmp_path / "scans3", "256", f"--dir_out={tiles}",
                           f"--dir_out_grid={tmp_path / 'g3b'}", check=False)
    assert completed.returncode == 1 and len(completed.stderr.strip().splitlines()) == 1
    assert f"source {tmp_path / 'scans'} there, {tmp_path / 'scans3'} now" in completed.stderr
    assert f"remove {tiles} and tiles2.json yourself" in completed.stderr
    assert not (tmp_path / "g3b").exists() and len(tile_names(tiles)) == 36
