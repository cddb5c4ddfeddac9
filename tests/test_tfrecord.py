"""tfrecord.py and tfrecord_reverse.py: the original's schema, pixel-exact round trips, shard sizes, bad tiles.

Also the end-to-end run of the blob half of data/: blob_grid -> blob_tile -> tfrecord -> tfrecord_reverse.
"""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import run_script
from PIL import Image

from drawing.cli import byte_size
from drawing.data.samples import blob_page
from drawing.data.shards import compare, remove_stale_pngs, tile_order, unpack_shard, write_shards
from drawing.data.tfrecord import (
    RECORD_FRAMING_BYTES,
    ShardWriter,
    feature_description,
    png_layout,
    serialize_example,
)
from drawing.errors import UserError
from drawing.images import FAST_PNG, encode_png, write_png

tf = pytest.importorskip("tensorflow")


def png_of(mode, size=(6, 5), seed=0, **save):
    """PNG bytes of a random image in a PIL mode."""
    rng = np.random.default_rng(seed)
    width, height = size
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 2 ** 16, (height, width)).astype(np.uint16))
    else:
        colour = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")
        image = colour.quantize(16) if mode == "P" else colour.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **save)
    return buffer.getvalue()


@pytest.mark.parametrize("mode, shape, through", [
    ("L", [5, 6, 1], True), ("RGB", [5, 6, 3], True), ("RGBA", [5, 6, 4], True),
    ("LA", [5, 6, 1], False), ("P", [5, 6, 3], False), ("I;16", [5, 6, 1], False),
])
def test_png_layout_reads_the_header_and_decides_pass_through(mode, shape, through):
    layout = png_layout(png_of(mode), "t.png")
    assert layout.shape == shape and layout.passes_through is through


def test_a_transparent_colour_is_not_passed_through():
    assert not png_layout(png_of("RGB", transparency=(0, 0, 0)), "t.png").passes_through


@pytest.mark.parametrize("data, problem", [
    (b"GIF89a....", "not a PNG file"),
    (png_of("RGB")[:-30], "truncated"),
])
def test_broken_pngs_are_named(data, problem):
    with pytest.raises(UserError, match=f"t.png: .*{problem}"):
        png_layout(data, "t.png")


@pytest.mark.parametrize("text, size", [("300MB", 300_000_000), ("300", 300), ("300000000", 300_000_000), ("1.5GB", 1_500_000_000),
                                        ("20kb", 20_000), ("4096B", 4096)])
def test_parse_size(text, size):
    assert byte_size(text) == size


@pytest.mark.parametrize("text", ["big", "0MB", "-3MB", "12TB"])
def test_parse_size_refuses_nonsense(text):
    with pytest.raises(Exception, match="size"):
        byte_size(text)


def test_shards_roll_over_before_the_size_and_are_named_in_order(tmp_path):
    record = b"x" * 984   # 1000 bytes on disk with the framing
    with ShardWriter(tmp_path, shard_bytes=3500) as writer:
        for _ in range(10):
            writer.write(record)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["0.tfrecord", "1.tfrecord", "2.tfrecord", "3.tfrecord"]
    assert [(tmp_path / f"{k}.tfrecord").stat().st_size for k in range(4)] == [3000, 3000, 3000, 1000]
    assert len(record) + RECORD_FRAMING_BYTES == 1000


def test_an_interrupted_shard_is_not_left_behind(tmp_path):
    with pytest.raises(RuntimeError):
        with ShardWriter(tmp_path, shard_bytes=2500) as writer:
            for _ in range(3):
                writer.write(b"y" * 984)
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.tfrecord"]


def make_tiles(folder, pages=3, per_page=7, size=8):
    """Page folders of tiles in several modes; returns {path: pixels a record must hold}."""
    expected = {}
    rng = np.random.default_rng(1)
    for page in range(pages):
        for number in range(per_page):
            path = folder / str(page) / f"{number}.png"
            mode = ["RGB", "L", "RGBA", "P"][(page + number) % 4]
            if mode == "P":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(png_of("P", (size, size), seed=number))
                expected[path] = np.asarray(Image.open(path).convert("RGB"))
                continue
            shape = {"RGB": (size, size, 3), "L": (size, size), "RGBA": (size, size, 4)}[mode]
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            write_png(path, pixels)
            expected[path] = pixels if pixels.ndim == 3 else pixels[:, :, None]
    return expected


def read_records(folder):
    """Every record of every shard, parsed under the original's schema with tf.io.parse_single_example."""
    records = []
    for shard in sorted(folder.glob("*.tfrecord"), key=lambda p: int(p.stem)):
        for serialized in tf.data.TFRecordDataset(str(shard)):
            parsed = tf.io.parse_single_example(serialized, feature_description())
            shape = parsed["image_shape"].numpy()
            pixels = tf.io.decode_png(parsed["image_bytes"], channels=int(shape[2])).numpy()
            assert list(pixels.shape) == list(shape)
            records.append((parsed["image_bytes"].numpy(), pixels))
    return records


@pytest.mark.parametrize("shuffle", [False, True])
def test_round_trip_is_pixel_exact_and_passes_png_bytes_through(tmp_path, shuffle):
    expected = make_tiles(tmp_path / "tiles")
    out = tmp_path / "shards"
    out.mkdir()
    written, shards, problems = write_shards(tmp_path / "tiles", out, 600, shuffle, seed=3)
    assert (written, problems) == (21, []) and shards > 3
    records = read_records(out)
    sources = list(expected)
    order = tile_order(len(sources), shuffle, 3)
    assert (order != np.arange(21)).any() == shuffle
    for (png_bytes, pixels), index in zip(records, order):
        source = sources[index]
        assert np.array_equal(pixels, expected[source])
        passed_through = png_bytes == source.read_bytes()
        assert passed_through == png_layout(source.read_bytes(), source).passes_through


def test_rewriting_with_fewer_shards_removes_the_old_extra_ones(tmp_path):
    make_tiles(tmp_path / "tiles", pages=2, per_page=4)
    out = tmp_path / "shards"
    out.mkdir()
    assert write_shards(tmp_path / "tiles", out, 300, False, 0)[1] > 2
    assert write_shards(tmp_path / "tiles", out, 10 ** 6, False, 0)[1] == 1
    assert sorted(p.name for p in out.iterdir()) == ["0.tfrecord"]
    assert json.loads((tmp_path / "shards.json").read_text())["shards"] == 1
    assert len(read_records(out)) == 8


def test_a_flat_folder_works_too(tmp_path):
    for number in range(4):
        write_png(tmp_path / "flat" / f"{number}.png", np.full((4, 4, 3), number, np.uint8))
    out = tmp_path / "shards"
    out.mkdir()
    assert write_shards(tmp_path / "flat", out, 10 ** 6, False, 0)[:2] == (4, 1)
    assert [pixels[0, 0, 0] for _, pixels in read_records(out)] == [0, 1, 2, 3]


def test_compare_names_missing_tiles_and_surplus_records():
    compare(["a", "b"], np.array([1, 2], np.uint64), np.array([2, 1], np.uint64))
    with pytest.raises(UserError, match=r"1 of 2 source tiles are not in the shards \(b\)"):
        compare(["a", "b"], np.array([1, 2], np.uint64), np.array([1, 1], np.uint64))
    with pytest.raises(UserError, match="shards hold 1 images that are not among"):
        compare(["a"], np.array([1], np.uint64), np.array([1, 3], np.uint64))


def test_the_blob_data_stage_from_its_folder(tmp_path):
    """blob_grid -> blob_tile -> tfrecord -> tfrecord_reverse --verify, as a user types them."""
    scans = tmp_path / "scans"
    for seed in range(2):
        write_png(scans / f"{seed}.png", blob_page(dpi=300, width_in=3, height_in=2, seed=seed))
    adjustment = tmp_path / "adjustment.json"
    grid = ["--rows=2", "--cols=3", f"--adjustment={adjustment}"]
    run_script("data", "blob_grid.py", scans, 300, f"--dir_out={tmp_path / 'grid'}", *grid)
    tiles = tmp_path / "tile"
    run_script("data", "blob_tile.py", scans, 300, 16, f"--dir_out={tiles}", "--steps=2", *grid)
    shards = tmp_path / "tfrecord"
    completed = run_script("data", "tfrecord.py", tiles, f"--dir_out={shards}", "--size=5KB", "--shuffle",
                           "--seed=2")
    assert "note:" not in completed.stdout   # no shard is larger than --size
    assert len(list(shards.glob("*.tfrecord"))) > 1
    assert json.loads(shards.with_name(shards.name + ".json").read_text())["complete"] is True
    back = tmp_path / "png"
    completed = run_script("data", "tfrecord_reverse.py", shards, f"--dir_out={back}", f"--verify={tiles}")
    tile_count = len(list(tiles.rglob("*.png")))
    assert f"all {tile_count} tiles" in completed.stdout
    assert len(list(back.rglob("*.png"))) == tile_count and (back / "0" / "0.png").exists()
    remove_stale_pngs(back, {"0": 1})
    assert [p.relative_to(back).as_posix() for p in back.rglob("*.png")] == ["0/0.png"]

    # A tile that did not go into the shards makes --verify fail, naming it.
    extra = tiles / "0" / "9999.png"
    write_png(extra, np.zeros((16, 16, 3), np.uint8))
    completed = run_script("data", "tfrecord_reverse.py", shards, f"--dir_out={back}", f"--verify={tiles}",
                           check=False)
    assert completed.returncode == 1 and "9999.png" in completed.stderr


def test_tfrecord_leaves_out_a_damaged_tile_and_says_so(tmp_path):
    make_tiles(tmp_path / "tiles", pages=2, per_page=3)
    damaged = tmp_path / "tiles" / "1" / "2.png"
    damaged.write_bytes(damaged.read_bytes()[:20])
    completed = run_script("data", "tfrecord.py", tmp_path / "tiles", f"--dir_out={tmp_path / 'out'}", check=False)
    assert completed.returncode == 1
    assert "2.png: the PNG file is truncated" in completed.stderr and "1 tiles were left out" in completed.stderr
    assert len(read_records(tmp_path / "out")) == 5


@pytest.mark.parametrize("setup, message", [
    ("missing", "does not exist"),
    ("empty", "no PNG images"),
    ("incomplete", "tile folder is incomplete (blob_tile.py was interrupted); finish it by rerunning: "
                   "python blob_tile.py scans 300 256"),
    ("foreign", "already holds files this stage did not write"),
])
def test_tfrecord_bad_input(tmp_path, setup, message):
    tiles = tmp_path / "tiles"
    out = tmp_path / "out"
    if setup != "missing":
        tiles.mkdir()
    if setup in ("incomplete", "foreign"):
        make_tiles(tiles, pages=1, per_page=2)
    if setup == "incomplete":
        (tmp_path / "tiles.json").write_text(json.dumps({"stage": "blob_tile.py", "complete": False,
                                                         "command": "python blob_tile.py scans 300 256"}))
    if setup == "foreign":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    completed = run_script("data", "tfrecord.py", tiles, f"--dir_out={out}", check=False)
    assert completed.returncode == 1 and message in completed.stderr


def test_tfrecord_reverse_names_a_damaged_shard(tmp_path):
    make_tiles(tmp_path / "tiles", pages=1, per_page=4)
    out = tmp_path / "shards"
    out.mkdir()
    write_shards(tmp_path / "tiles", out, 10 ** 6, False, 0)
    shard = out / "0.tfrecord"
    shard.write_bytes(shard.read_bytes()[:-50])
    (tmp_path / "png").mkdir()
    with pytest.raises(UserError, match="0.tfrecord: damaged or truncated shard"):   # as tfrecord_reverse.py reads it
        unpack_shard(shard, tmp_path / "png", verify=False)


@pytest.mark.parametrize("encoding", [{}, FAST_PNG])
def test_tiles_as_the_tile_scripts_write_them_pass_through(encoding):
    pixels = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    layout = png_layout(encode_png(pixels, **encoding), "t.png")
    assert layout.passes_through and layout.shape == [8, 8, 3]


def test_a_record_is_the_same_bytes_in_every_process(monkeypatch):
    """The Example's features are a protobuf map: without deterministic serialisation their order on the wire
    differs between processes (protobuf seeds its map hashing per process), and the same tiles would give
    other shards. Whether a process orders two keys the other way is a coin toss, so the serialisation is
    checked to ask for the deterministic order, and one other process to give the same bytes."""
    asked, real_example = [], tf.train.Example

    class Example:
        def __init__(self, **fields):
            self.example = real_example(**fields)

        def SerializeToString(self, **options):   # noqa: N802 (protobuf's name)
            asked.append(options)
            return self.example.SerializeToString(**options)

    with monkeypatch.context() as patch:
        patch.setattr(tf.train, "Example", Example)
        serialize_example(b"png bytes", (8, 8, 3))
    assert asked == [{"deterministic": True}]
    program = ("from drawing.data.tfrecord import serialize_example; import sys; "
               "sys.stdout.buffer.write(serialize_example(b'png bytes', (8, 8, 3)))")
    other = subprocess.run([sys.executable, "-c", program], capture_output=True,
                           env={**os.environ, "PYTHONHASHSEED": "1"}).stdout
    assert other == serialize_example(b"png bytes", (8, 8, 3))


def test_a_size_below_one_tile_says_the_shards_exceed_it(tmp_path):
    make_tiles(tmp_path / "tiles", pages=2, per_page=3)
    completed = run_script("data", "tfrecord.py", tmp_path / "tiles", f"--dir_out={tmp_path / 'small'}", "--size=20")
    assert "6 tiles in 6 shards" in completed.stdout
    notes = [line for line in completed.stdout.splitlines() if line.startswith("note:")]
    assert notes == ["note: 6 of the shards are larger than --size (20 bytes): a shard holds at least one tile, "
                     "and a tile's record is larger than that"]
    # Shards within --size go without the note: test_the_blob_data_stage_from_its_folder.


def test_a_rerun_with_other_options_into_a_folder_of_shards_is_refused(tmp_path):
    make_tiles(tmp_path / "tiles", pages=2, per_page=3)
    out = tmp_path / "shards"
    run_script("data", "tfrecord.py", tmp_path / "tiles", f"--dir_out={out}", "--size=500")
    run_script("data", "tfrecord.py", tmp_path / "tiles", f"--dir_out={out}", "--size=500")   # the same: replaced
    completed = run_script("data", "tfrecord.py", tmp_path / "tiles", f"--dir_out={out}", "--size=1MB", check=False)
    assert completed.returncode == 1 and "shard_bytes 500 there, 1000000 now" in completed.stderr
    assert "python tfrecord.py" in completed.stderr and f"remove {out} and shards.json yourself" in completed.stderr
