"""blob_tile.py and drawing/data/blob_tiles.py: how many tiles, where, at which angle and mirroring, and the
script's robustness."""
import json
import math
import shutil

import numpy as np
import pytest
from conftest import run_script
from PIL import Image

from drawing.data import blob_pages, blob_tiles
from drawing.data.blob import page_grid
from drawing.data.samples import blob_page
from drawing.errors import UserError
from drawing.folders import read_record, write_record
from drawing.images import read_image, read_scan_pixels, write_png


@pytest.mark.parametrize("rows, cols, steps, dpi, resolution, corner, expected", [
    # The original author's dataset: 46 pages of 12 x 18 units at 300 DPI, 512 px, steps 16 -> 1,643,166 tiles.
    (12, 18, 16, 300, 512, (1, 1), 1_643_166 // 46),
    (4, 6, 2, 300, 64, (0, 0), 8 * 12),        # range(45, 978, 128) -> 8 rows of centres, range(45, 1490, 128) -> 12
    (2, 3, 4, 600, 512, (0, 0), 3 * 7),        # unit 512: range(362, 661, 128) -> 3, range(362, 1173, 128) -> 7
    (2, 3, 1, 1200, 1024, (0, 0), 1 * 2),      # unit 1024: range(724, 1323, 1024) -> 1, range(724, 2347, 1024) -> 2
    # The reviewer's case: steps 6 do not divide 256, the original steps 42 px: 11 x 17 (fractional 42.67 px gave 10 x 16).
    (2, 3, 6, 300, 64, (0.844, 0.758), 11 * 17),
])
def test_tile_count_follows_from_the_options(rows, cols, steps, dpi, resolution, corner, expected):
    grid = page_grid(rows, cols, 256 * dpi // 300, corner)
    assert blob_tiles.tiles_per_page(grid, steps, resolution) == expected


def test_a_grid_without_room_for_a_turning_tile_or_too_many_steps_is_refused():
    with pytest.raises(UserError, match="has no room for a 256 px tile"):
        blob_tiles.check_room(1, 3, 256, 4, 256)     # a turning 256 px tile needs 362 px; one unit is 256
    with pytest.raises(UserError, match="--steps 300: at most 256"):
        blob_tiles.check_room(2, 3, 256, 300, 64)


def test_more_steps_put_centres_closer():
    counts = [len(blob_tiles.axis_centres(0, 18, 256, steps, 256)) for steps in (1, 2, 4)]
    assert counts == [17, 34, 67]   # range(181, 4426, 256 // steps)


def seed_centres(left, top, rows, cols, unit, steps, resolution):
    """The original's tile centres, row by row, written out from its rule: every unit // steps px from
    int(corner + pad) while below int(corner + grid - pad), pad = half the tile's diagonal."""
    pad = math.sqrt(2 * resolution ** 2) / 2
    return [(x, y) for y in range(int(top + pad), int(top + rows * unit - pad), unit // steps)
            for x in range(int(left + pad), int(left + cols * unit - pad), unit // steps)]


@pytest.mark.parametrize("steps", [1, 2, 4, 8, 16, 3, 6, 7])
@pytest.mark.parametrize("corner", [(0.0, 0.0), (0.844, 0.758), (0.375, 0.445), (1.3, 0.01)])
def test_centres_are_the_originals_for_dividing_and_other_steps(steps, corner):
    for resolution, unit in ((64, 256), (256, 256), (512, 512)):
        grid = page_grid(rows=3, cols=4, unit=unit, corner=corner)
        centres = blob_tiles.tile_centres(grid, steps, resolution)
        expected = seed_centres(grid.left, grid.top, 3, 4, unit, steps, resolution)
        assert [tuple(centre) for centre in centres.tolist()] == expected
        # A turning tile stays inside the grid but for the original's rounding down of the first centre (< 1 px).
        radius = resolution / math.sqrt(2)
        assert (centres - radius > np.array([grid.left, grid.top]) - 1).all()
        assert (centres + radius < np.array([grid.left + grid.width, grid.top + grid.height])).all()


@pytest.fixture(scope="module")
def page():
    return blob_page(dpi=300, width_in=3, height_in=2, seed=3)


@pytest.mark.parametrize("resolution", [4, 32, 128])
def test_angle_zero_is_an_exact_crop_and_mirroring_flips_it(page, resolution):
    centre = (200 + resolution / 2, 150 + resolution / 2)
    crop = page[150:150 + resolution, 200:200 + resolution]
    assert np.array_equal(blob_tiles.cut_tile(page, centre, 0.0, False, resolution), crop)
    assert np.array_equal(blob_tiles.cut_tile(page, centre, 0.0, True, resolution), crop[:, ::-1])
    turned = blob_tiles.cut_tile(page, centre, 90.0, False, resolution)
    assert any(np.array_equal(turned, np.rot90(crop, k)) for k in (1, 3))


def test_a_mirrored_tile_is_the_unmirrored_one_flipped(page):
    centre = (450.3, 300.7)
    plain = blob_tiles.cut_tile(page, centre, 33.0, False, 64)
    mirrored = blob_tiles.cut_tile(page, centre, 33.0, True, 64)
    assert plain.shape == (64, 64, 3)
    # Equal up to OpenCV's 1/32 px quantisation of sampling positions.
    assert np.abs(mirrored.astype(int) - plain[:, ::-1].astype(int)).max() <= 4


def test_poses_mirror_about_half_the_tiles_and_are_reproducible():
    angles, mirrored = blob_tiles.tile_poses(seed=5, page_index=2, count=20_000)
    assert 0.48 < mirrored.mean() < 0.52
    assert angles.min() >= 0 and angles.max() < 360 and np.histogram(angles, bins=4)[0].min() > 4500
    again, _ = blob_tiles.tile_poses(seed=5, page_index=2, count=20_000)
    other_page, _ = blob_tiles.tile_poses(seed=5, page_index=3, count=20_000)
    assert np.array_equal(angles, again) and not np.array_equal(angles, other_page)


def original_tile(page, centre, angle, resolution):
    """A tile cut the original's way: the square of twice the tile's radius around the centre (its edges
    rounded to whole pixels), turned by `angle` with PIL's rotation (nearest neighbour), its middle cut out."""
    radius = math.sqrt(2) * resolution / 2
    x, y = centre
    scope = Image.fromarray(page).crop((x - radius, y - radius, x + radius, y + radius)).rotate(angle)
    low, high = scope.width / 2 - resolution / 2, scope.width / 2 + resolution / 2
    return np.asarray(scope.crop((low, low, high, high)))


def colour_codes(pixels):
    return np.unique(pixels.reshape(-1, 3).astype(np.int32) @ np.array([1 << 16, 1 << 8, 1]))


@pytest.mark.parametrize("angle", [17.0, 133.0, 251.0])
def test_nearest_has_the_originals_look_and_bilinear_smooths_it(page, angle):
    centre = (450, 300)   # whole pixels, as every centre of the lattice is
    original = original_tile(page, centre, angle, 64)
    nearest = blob_tiles.cut_tile(page, centre, angle, False, 64, resample="nearest")
    bilinear = blob_tiles.cut_tile(page, centre, angle, False, 64)
    # The same page pixel for all but the few that sit on a tie between two (rounding of the positions).
    assert (nearest == original).all(axis=2).mean() > 0.99
    assert (bilinear == original).all(axis=2).mean() < 0.5
    # Nearest keeps the scan's own colours; bilinear makes new ones between them.
    page_colours = colour_codes(page)
    assert np.isin(colour_codes(nearest), page_colours).all()
    assert not np.isin(colour_codes(bilinear), page_colours).all()


def test_poses_and_places_do_not_depend_on_the_resampling(page):
    centre = (200 + 16, 150 + 16)
    crop = page[150:182, 200:232]
    for resample in blob_tiles.RESAMPLING:
        assert np.array_equal(blob_tiles.cut_tile(page, centre, 0.0, True, 32, resample), crop[:, ::-1])


@pytest.mark.parametrize("cores, memory_gb, page_gb, worker_gb, expected", [
    (16, 24, 0.76, 2.5, 9),      # the machine with 2.5 GB workers: 9 fit, not 16
    (16, 24, 0.76, 0.2, 16),     # workers that share the page: one per core
    (2, 24, 0.76, 0.2, 2),
    (8, 1.5, 0.76, 0.2, 3),      # little memory: fewer workers than cores
    (8, 0.5, 0.76, 0.2, 1),      # too little for even one: one all the same (the page has to be cut)
])
def test_workers_are_as_many_as_cores_and_memory_allow(cores, memory_gb, page_gb, worker_gb, expected):
    assert blob_pages.worker_count(cores, memory_gb * 1e9, page_gb * 1e9, worker_gb * 1e9) == expected


@pytest.mark.parametrize("resolution, missing, workers, expected", [
    (256, 38_500, 2, 512), (1024, 640, 2, 32), (1024, 640, 16, 10), (32, 24, 2, 3), (256, 1, 4, 1)])
def test_a_job_holds_about_the_same_pixels_and_every_worker_gets_some(resolution, missing, workers, expected):
    assert blob_pages.chunk_tiles(resolution, missing, workers) == expected


@pytest.mark.parametrize("resolution", [2, 3, 100, 2048])
def test_resolution_must_be_a_power_of_two_from_4_to_1024(resolution):
    with pytest.raises(UserError, match=f"resolution {resolution} is not allowed"):
        blob_tiles.check_resolution(resolution)


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    for seed in range(3):
        write_png(folder / f"scan{seed}.png", blob_page(dpi=300, width_in=3, height_in=2, seed=seed))
    return folder


OPTIONS = ["300", "32", "--rows=2", "--cols=3", "--steps=2", "--seed=4"]
TILES_PER_PAGE = 4 * 6   # floor((512 - 45.3) / 128) + 1 rows of centres, floor((768 - 45.3) / 128) + 1 columns


def tile_files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))


def test_blob_tile_from_its_folder_is_reproducible_and_resumable(scans, tmp_path):
    out = tmp_path / "tile"
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}",
               f"--adjustment={tmp_path / 'absent.json'}")
    files = tile_files(out)
    assert len(files) == 3 * TILES_PER_PAGE
    assert {f.split("/")[0] for f in files} == {"0", "1", "2"}
    assert read_image(out / "0" / "0.png").shape == (32, 32, 3)
    record = json.loads((tmp_path / "tile.json").read_text())
    assert record["seed"] == 4 and record["complete"] and record["tiles"] == 3 * TILES_PER_PAGE
    assert [page["tiles"] for page in record["pages"]] == [TILES_PER_PAGE] * 3

    # The same command again writes the same bytes.
    again = tmp_path / "again"
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={again}",
               f"--adjustment={tmp_path / 'absent.json'}")
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)

    # An interrupted run (some tiles missing, record incomplete) is finished by rerunning it.
    kept = out / "1" / "0.png"
    kept_time = kept.stat().st_mtime_ns
    for name in files[5:40]:
        (again / name).unlink()
    record_path = tmp_path / "again.json"
    record_path.write_text(record_path.read_text().replace('"complete": true', '"complete": false'))
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={again}",
               f"--adjustment={tmp_path / 'absent.json'}")
    assert tile_files(again) == files
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)
    assert json.loads(record_path.read_text())["complete"] is True
    assert kept.stat().st_mtime_ns == kept_time


def test_blob_tile_refuses_to_mix_settings_in_one_folder(scans, tmp_path):
    out = tmp_path / "tile"
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}", f"--adjustment={tmp_path / 'a.json'}")
    completed = run_script("data", "blob_tile.py", scans, *OPTIONS[:-1], "--seed=5", f"--dir_out={out}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode == 1 and "seed 4 there, 5 now" in completed.stderr
    assert f"remove {out} and tile.json yourself to start over" in completed.stderr


def test_resample_is_recorded_and_a_rerun_with_another_is_refused(scans, tmp_path):
    out = tmp_path / "tile"
    run_script("data", "blob_tile.py", scans, *OPTIONS, "--resample=nearest", f"--dir_out={out}",
               f"--adjustment={tmp_path / 'a.json'}")
    assert json.loads((tmp_path / "tile.json").read_text())["resample"] == "nearest"
    tile = read_image(out / "1" / "5.png")
    assert np.isin(colour_codes(tile), colour_codes(read_image(scans / "scan1.png"))).all()
    completed = run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode == 1 and "resample nearest there, bilinear now" in completed.stderr


def test_a_record_from_before_resample_describes_interpolated_tiles(tmp_path):
    """Tiles cut before --resample existed were interpolated: their folder's rerun takes the default."""
    out = tmp_path / "tile"
    (out / "0").mkdir(parents=True)
    write_record(out, {"stage": "blob_tile.py", "seed": 4}, complete=False)
    blob_pages.describe_old_resampling(out)
    assert read_record(out) == {"stage": "blob_tile.py", "seed": 4, "resample": "bilinear", "complete": False}


def test_each_page_is_decoded_once_however_many_workers_cut_it(scans, tmp_path, monkeypatch):
    """The parent decodes a page and its workers read it: a worker that decoded would be counted too."""
    decodes = tmp_path / "decodes.txt"

    def counted(scan):
        with open(decodes, "a") as log:
            log.write(f"{scan.name}\n")
        return read_scan_pixels(scan)

    monkeypatch.setattr(blob_pages, "decode_page", counted)
    cutting = blob_tiles.Cutting(dpi=300, resolution=32, rows=2, cols=3, steps=2, seed=4)
    (tmp_path / "tile").mkdir()
    pages, _ = blob_pages.inspect_pages(sorted(scans.iterdir()), [None] * 3, cutting, tmp_path / "tile")
    assert blob_pages.chunk_tiles(32, TILES_PER_PAGE, 2) < TILES_PER_PAGE / 2   # several jobs a page
    blob_pages.cut_pages(pages, cutting, workers=2)
    assert decodes.read_text().split() == ["scan0.png", "scan1.png", "scan2.png"]
    blob_pages.cut_pages(pages, cutting, workers=2)       # nothing missing: nothing decoded
    assert len(decodes.read_text().split()) == 3
    assert len(tile_files(tmp_path / "tile")) == 3 * TILES_PER_PAGE


def test_a_failed_run_that_cut_nothing_leaves_a_folder_the_next_settings_reuse(scans, tmp_path):
    out = tmp_path / "tile"
    completed = run_script("data", "blob_tile.py", scans, "300", "32", f"--dir_out={out}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode == 1 and "use fewer --rows/--cols" in completed.stderr
    assert json.loads((tmp_path / "tile.json").read_text())["pages"] == []
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}", f"--adjustment={tmp_path / 'a.json'}")
    assert len(tile_files(out)) == 3 * TILES_PER_PAGE
    assert json.loads((tmp_path / "tile.json").read_text())["complete"] is True


def test_a_retuned_page_is_refused_until_its_folder_is_removed_then_only_it_is_recut(scans, tmp_path):
    out, adjustment = tmp_path / "tile", tmp_path / "adjustment.json"
    adjustment.write_text(json.dumps([{"index": i, "x": 0.5, "y": 0.25} for i in range(3)]))
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}", f"--adjustment={adjustment}")
    before = {name: (out / name).read_bytes() for name in tile_files(out)}
    adjustment.write_text(json.dumps([{"index": i, "x": 0.5, "y": 0.25 - (i == 1) * 0.125} for i in range(3)]))
    completed = run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}", f"--adjustment={adjustment}",
                           check=False)
    assert completed.returncode == 1
    assert (f"page 1's tiles were cut from scan1.png with the grid corner at x=0.5, y=0.25 (tile.json); it is now "
            f"scan1.png at x=0.5, y=0.125. To recut that page, remove the folder {out / '1'} yourself") in completed.stderr
    shutil.rmtree(out / "1")
    run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}", f"--adjustment={adjustment}")
    after = {name: (out / name).read_bytes() for name in tile_files(out)}
    assert after.keys() == before.keys()
    assert all(after[name] == before[name] for name in after if not name.startswith("1/"))
    assert any(after[name] != before[name] for name in after if name.startswith("1/"))
    assert json.loads((tmp_path / "tile.json").read_text())["pages"][1]["corner"] == [0.5, 0.125]


def test_a_bad_page_is_reported_and_the_rest_are_cut(scans, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for scan in scans.iterdir():
        (folder / scan.name).write_bytes(scan.read_bytes())
    original = (folder / "scan1.png").read_bytes()
    (folder / "scan1.png").write_bytes(original[:len(original) // 2])
    out = tmp_path / "tile"
    completed = run_script("data", "blob_tile.py", folder, *OPTIONS, f"--dir_out={out}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode == 1
    assert "scan1.png: cannot be read, the file is damaged or truncated" in completed.stderr
    assert "1 of 3 pages could not be cut" in completed.stderr
    assert {p.parent.name for p in out.rglob("*.png")} == {"0", "2"}
    assert json.loads((tmp_path / "tile.json").read_text())["complete"] is False
    assert (folder / "scan1.png").read_bytes() == original[:len(original) // 2]


@pytest.mark.parametrize("arguments, message", [
    (["300", "100"], "resolution 100 is not allowed"),
    (["450", "32"], "dpi 450 is not supported"),
    (["300", "256", "--rows=1", "--cols=3"], "has no room for a 256 px tile"),
    (["300", "32", "--rows=3", "--cols=3"], "scan0.png: the grid of 3 columns x 3 rows"),
    (["300", "32", "--rows=2", "--cols=3", "--steps=0"], "argument --steps"),
])
def test_blob_tile_bad_input_fails_with_one_line(scans, tmp_path, arguments, message):
    completed = run_script("data", "blob_tile.py", scans, *arguments, f"--dir_out={tmp_path / 'tile'}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode != 0 and message in completed.stderr


def test_blob_tile_cuts_inside_the_grid_adjustment_json_places(tmp_path):
    """A page that is white but for a black grid-sized square where adjustment.json's corner says: every
    tile, at any angle, is cut from inside the square, so every pixel of every tile is black."""
    page = np.full((600, 900, 3), 255, np.uint8)
    page[128:128 + 512, 64:64 + 768] = 0       # a 2 x 3 unit grid at x=0.25, y=0.5 units
    write_png(tmp_path / "scans" / "0.png", page)
    adjustment = tmp_path / "adjustment.json"
    adjustment.write_text(json.dumps([{"index": 0, "x": 0.25, "y": 0.5}]))
    out = tmp_path / "tile"
    completed = run_script("data", "blob_tile.py", tmp_path / "scans", *OPTIONS, f"--dir_out={out}",
                           f"--adjustment={adjustment}", check=False)
    assert completed.returncode == 1 and "runs off the 900 x 600 px page by 40 px past the bottom" in completed.stderr
    page = np.full((600, 900, 3), 255, np.uint8)
    page[39:40 + 512, 63:64 + 768] = 0   # the original's first centres round down: tiles reach < 1 px further
    write_png(tmp_path / "scans" / "0.png", page)
    adjustment.write_text(json.dumps([{"index": 0, "x": 0.25, "y": 40 / 256}]))
    run_script("data", "blob_tile.py", tmp_path / "scans", *OPTIONS, f"--dir_out={out}", f"--adjustment={adjustment}")
    tiles = [read_image(path) for path in out.rglob("*.png")]
    assert len(tiles) == TILES_PER_PAGE and max(int(tile.max()) for tile in tiles) == 0


def test_blob_tile_uses_the_adjustment(scans, tmp_path):
    adjustment = tmp_path / "adjustment.json"
    adjustment.write_text(json.dumps([{"index": i, "x": 0.25 * i, "y": 0} for i in range(2)]))
    completed = run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={tmp_path / 'tile'}",
                           f"--adjustment={adjustment}", check=False)
    assert completed.returncode == 1 and "no entry for scan index 2; there are 3 scans" in completed.stderr


def test_blob_tile_refuses_a_folder_of_other_files(scans, tmp_path):
    out = tmp_path / "tile"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    completed = run_script("data", "blob_tile.py", scans, *OPTIONS, f"--dir_out={out}",
                           f"--adjustment={tmp_path / 'a.json'}", check=False)
    assert completed.returncode == 1 and "already holds files this stage did not write" in completed.stderr
    assert (out / "notes.txt").read_text() == "mine"


def test_a_grayscale_scan_is_converted_with_a_warning(tmp_path):
    write_png(tmp_path / "scans" / "gray.png", blob_page(dpi=300, width_in=3, height_in=2, seed=1)[:, :, 0])
    completed = run_script("data", "blob_tile.py", tmp_path / "scans", *OPTIONS, f"--dir_out={tmp_path / 'tile'}",
                           f"--adjustment={tmp_path / 'a.json'}")
    assert "gray.png: scan is in mode L, not RGB" in completed.stderr
    assert Image.open(tmp_path / "tile" / "0" / "0.png").mode == "RGB"
    assert len(list((tmp_path / "tile" / "0").glob("*.png"))) == TILES_PER_PAGE
