"""The shared helpers: natural sort, atomic writes, image reading of every mode, the parallel map, and how
the package's messages reach the user."""
import logging
import os
import subprocess
import sys
from multiprocessing import get_context
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing import parallel
from drawing.console import NOTE
from drawing.errors import UserError
from drawing.files import atomic_path, list_images, natural_sorted
from drawing.images import decode_png, encode_png, read_image, read_scan, read_scan_pixels, write_png
from drawing.parallel import Failure, parallel_map, report_failures


def test_natural_sort_orders_numbers_by_value():
    assert natural_sorted(["10.png", "2.png", "1.png"]) == ["1.png", "2.png", "10.png"]
    assert natural_sorted(["p10_t1", "p2_t3", "p2_t10"]) == ["p2_t3", "p2_t10", "p10_t1"]


def test_atomic_path_leaves_nothing_when_the_block_fails(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_on_success(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_read_image_accepts_every_png_mode(tmp_path, mode):
    path = tmp_path / f"{mode.replace(';', '')}.png"
    Image.new(mode, (5, 3)).save(path)
    assert read_image(path).shape == (3, 5, 3)
    assert read_image(path, "L").shape == (3, 5)


def test_read_image_composites_transparency_on_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (2, 2), (0, 0, 0, 0)).save(path)
    assert (read_image(path) == 255).all()


def png_of_kind(path, kind):
    """A random 5 x 7 PNG of a kind a scan may come as."""
    rng = np.random.default_rng(1)
    if kind == "RGB 16-bit":
        cv2.imwrite(str(path), rng.integers(0, 2 ** 16, (5, 7, 3), dtype=np.uint16))
        return
    colour = Image.fromarray(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8))
    if kind == "RGB with a transparent colour":
        colour.save(path, transparency=tuple(int(v) for v in np.asarray(colour)[0, 0]))
    else:
        (colour.quantize(8) if kind == "P" else colour.convert(kind)).save(path)


@pytest.mark.parametrize("kind", ["RGB", "RGB 16-bit", "RGB with a transparent colour", "RGBA", "L", "P"])
def test_read_scan_pixels_gives_read_images_pixels_for_every_kind_of_scan(tmp_path, kind):
    path = tmp_path / "scan.png"
    png_of_kind(path, kind)
    pixels = read_scan_pixels(path)
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, read_image(path))


def test_read_scan_warns_about_mode_but_converts(tmp_path, caplog):
    path = tmp_path / "gray.png"
    Image.new("L", (4, 4), 100).save(path)
    assert read_scan(path).shape == (4, 4, 3)
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == \
        [(logging.WARNING, f"{path}: scan is in mode L, not RGB; converting it (transparency becomes white)")]


# ---- what the user sees: the library logs, the script shows ----

def test_the_library_logs_and_prints_nothing(tmp_path, capfd, caplog):
    (tmp_path / "a.png").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "b.png")
    assert list_images(tmp_path) == [tmp_path / "b.png"]
    assert capfd.readouterr() == ("", "")
    assert [(record.name, record.levelno, record.getMessage()) for record in caplog.records] == \
        [("drawing.files", logging.WARNING, f"{tmp_path / 'a.png'}: named like an image but not a file; skipped")]


def test_a_program_that_imports_the_library_hears_nothing_of_it(tmp_path):
    (tmp_path / "a.png").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "b.png")
    completed = subprocess.run([sys.executable, "-c", "import sys; from drawing.files import list_images; "
                                "print(len(list_images(sys.argv[1])))", tmp_path],
                               capture_output=True, text=True, check=True)
    assert (completed.stdout, completed.stderr) == ("1\n", "")   # not even through logging's last resort


def test_a_script_shows_a_library_warning_as_its_own_line(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "0.png").mkdir()
    completed = run_script("data", "spec_tile.py", scans, 256, f"--dir_out={tmp_path / 'tile'}",
                           f"--dir_out_grid={tmp_path / 'grid'}", check=False)
    assert completed.returncode == 1 and completed.stdout == ""
    assert completed.stderr.splitlines() == [f"warning: {scans / '0.png'}: named like an image but not a file; skipped",
                                             f"error: {scans}: no PNG images in this folder"]


def test_shown_messages_go_where_a_script_prints(console_messages, capsys):
    log = logging.getLogger("drawing.test")
    log.info("10 drawings, seed 7")
    log.log(NOTE, "note: bezier does not use --count; ignored")
    log.warning("a.png: all line; written unchanged")
    log.error("Traceback (most recent call last):\n  ...")
    log.debug("not for the user")
    assert capsys.readouterr() == ("10 drawings, seed 7\n", "note: bezier does not use --count; ignored\n"
                                   "warning: a.png: all line; written unchanged\n"
                                   "Traceback (most recent call last):\n  ...\n")


def test_bad_images_get_one_line_errors(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(UserError, match="notes.png: not an image"):
        read_image(text)
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(UserError, match="truncated.png: .*truncated"):
        read_image(truncated)
    with pytest.raises(UserError, match="missing.png: file not found"):
        read_image(tmp_path / "missing.png")


@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 3), (7, 9, 4)])
def test_png_round_trip_is_exact(tmp_path, shape):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[len(shape) if len(shape) == 2 else shape[2]]
    assert np.array_equal(decode_png(encode_png(array), mode), array)
    write_png(tmp_path / "a.png", array)
    assert np.array_equal(read_image(tmp_path / "a.png", mode), array)


def test_list_images_errors_name_the_folder(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        list_images(tmp_path / "nope")
    with pytest.raises(UserError, match="no PNG images"):
        list_images(tmp_path)


def _square(x):
    if x == 3:
        raise ValueError("three is bad")
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_map_keeps_order(workers):
    assert parallel_map(_square, [0, 1, 2, 4, 5], desc="t", workers=workers) == [0, 1, 4, 16, 25]


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_map_raises_the_first_error_with_its_item(workers):
    with pytest.raises(UserError, match="item-3: ValueError: three is bad"):
        parallel_map(_square, range(6), desc="t", workers=workers, describe=lambda x: f"item-{x}")


def test_parallel_map_keep_going_reports_at_the_end():
    results = parallel_map(_square, range(5), desc="t", workers=2, keep_going=True)
    assert results[:3] == [0, 1, 4] and results[4] == 16
    assert isinstance(results[3], Failure)
    with pytest.raises(UserError, match="1 of 5 pages failed"):
        report_failures(results, "page")


def _die(x):
    os._exit(3)


def test_parallel_map_reports_a_dead_worker():
    with pytest.raises(UserError, match="worker process died"):
        parallel_map(_die, [1, 2], desc="t", workers=2)


def _fail_naming_item(x):
    from drawing.cli import UserError as Error
    raise Error(f"page-{x}: no specimen found")


def test_parallel_map_names_the_item_once():
    with pytest.raises(UserError) as caught:
        parallel_map(_fail_naming_item, [7], desc="t", workers=1, describe=lambda x: f"page-{x}")
    assert str(caught.value) == "page-7: no specimen found"


def _warn_about(x):
    if x == 1:
        logging.getLogger("drawing.test").warning(f"page-{x}: faint")
    return _square(x)


@pytest.mark.parametrize("start", ["fork", "spawn"])   # spawn: as on Windows, a worker without the script's state
def test_a_scripts_workers_show_their_messages(console_messages, capfd, monkeypatch, start):
    monkeypatch.setattr(parallel, "multiprocessing", SimpleNamespace(get_context=lambda _: get_context(start)))
    results = parallel_map(_warn_about, range(4), desc="t", workers=2, keep_going=True,
                           describe=lambda x: f"page-{x}")
    assert isinstance(results[3], Failure)
    err = capfd.readouterr().err.splitlines()
    assert "warning: page-1: faint" in err
    assert "warning: page-3: ValueError: three is bad; going on with the rest" in err
    assert "Traceback (most recent call last):" in err   # the bug's details, before its line
