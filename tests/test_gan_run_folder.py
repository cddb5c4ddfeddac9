"""The run folder's housekeeping: grids, statistics after a kill, pruning that spares the seed's pickles."""
import json

import numpy as np
import pytest

from drawing.gan.run_folder import STATISTICS_FILE, image_grid, prune_checkpoints, rewrite_statistics


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
    (tmp_path / "1.checkpoint").write_bytes(b"\x80 the seed's pickle")
    for epoch in (2, 3, 4):
        (tmp_path / f"{epoch}.checkpoint").write_bytes(b"PK\x03\x04 ours")
    prune_checkpoints(tmp_path, 2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["1.checkpoint", "3.checkpoint", "4.checkpoint"]
