"""The run folder's housekeeping: grids, statistics after a kill, pruning that spares the original's pickles."""
import json
import logging
import sys

import numpy as np
import pytest

from drawing.errors import UserError
from drawing.gan.run_folder import STATISTICS_FILE, console_log, image_grid, prune_checkpoints, rewrite_statistics


@pytest.mark.parametrize("gap", [0, 2])
def test_image_grid_places_images_row_by_row(gap):
    images = np.zeros((4, 2, 2, 3), np.float32)
    images[1] = 1.0
    grid = image_grid(images, 2, gap=gap)
    assert grid.shape == (4 + gap, 4 + gap, 3) and grid.dtype == np.uint8
    assert (grid[:2, 2 + gap:] == 255).all() and (grid[:2, :2] == 0).all()
    assert (grid[2 + gap:, :2] == 0).all() and (grid[2 + gap:, 2 + gap:] == 0).all()
    assert (grid[2:2 + gap] == 128).all() and (grid[:, 2:2 + gap] == 128).all()


def test_statistics_of_epochs_after_the_resumed_one_are_dropped(tmp_path):
    lines = [json.dumps({"epoch": epoch, "d_loss": 1.0}) for epoch in (1, 2, 3)] + ["{half a line"]
    (tmp_path / STATISTICS_FILE).write_text("\n".join(lines) + "\n")
    rewrite_statistics(tmp_path, 2)
    kept = [json.loads(line)["epoch"] for line in (tmp_path / STATISTICS_FILE).read_text().splitlines()]
    assert kept == [1, 2]


def test_pruning_keeps_the_newest_of_ours_and_every_seed_pickle(tmp_path):
    (tmp_path / "1.checkpoint").write_bytes(b"\x80 the original's pickle")
    for epoch in (2, 3, 4):
        (tmp_path / f"{epoch}.checkpoint").write_bytes(b"PK\x03\x04 ours")
    prune_checkpoints(tmp_path, 2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["1.checkpoint", "3.checkpoint", "4.checkpoint"]


def test_the_log_holds_what_the_console_showed(tmp_path, capsys, console_messages):
    path = tmp_path / "log.txt"
    handler = logging.StreamHandler(sys.stderr)   # as TensorFlow's logger holds the console stream
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        with pytest.raises(UserError), console_log(path):
            logging.getLogger("drawing.gan.training").info("Epoch 1/2")
            sys.stdout.write("\b\b\b\r1/4 [==>...]\b\b\b\b\r4/4 [======] - d_loss: 1.2\n")
            logging.getLogger("drawing.gan.training").warning("x.tfrecord: one bad record")
            logger.warning("a tensorflow warning")
            print("warning: from the script", file=sys.stderr)
            raise UserError("x.tfrecord: broken")
    finally:
        logger.removeHandler(handler)
    print("after the run")
    lines = path.read_text().splitlines()
    assert lines[1:3] == ["Epoch 1/2", "4/4 [======] - d_loss: 1.2"]
    assert lines[3:6] == ["warning: x.tfrecord: one bad record", "a tensorflow warning", "warning: from the script"]
    assert lines[-1] == "error: x.tfrecord: broken" and "after the run" not in path.read_text()
    console = capsys.readouterr()
    assert "Epoch 1/2" in console.out and "a tensorflow warning" in console.err   # the console as before
    assert "warning: x.tfrecord: one bad record" in console.err
