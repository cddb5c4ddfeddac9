"""A grid of independent loops in one animation (path.py `--grid`): its layout, its cells' seeds, its frames.

Every cell is the loop of its own seed, drawn from the run's seed, so a run with `--seed=<cell seed>`
gives that cell's loop alone. Cells are square, `cell_size` px, `gap` px of light grey apart.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from drawing.errors import UserError

GRID_MAX_SIDE = 2048         # px: cells shrink below the model's resolution so a grid frame fits this
GRID_GAP_GREY = 0.8          # light grey between cells, apart from the white paper of the drawings
CELL_SEED_STREAM = 1         # the random stream the cell seeds of a grid are drawn from


@dataclass(frozen=True)
class GridLayout:
    """`columns` x `rows` square cells of `cell_size` px, `gap` px apart."""
    columns: int
    rows: int
    cell_size: int
    gap: int

    @property
    def cells(self):
        return self.columns * self.rows

    @property
    def size(self):
        """(width, height) of a grid frame."""
        return (self.columns * (self.cell_size + self.gap) - self.gap,
                self.rows * (self.cell_size + self.gap) - self.gap)

    def origin(self, cell):
        """(top, left) of cell `cell`, counted row by row from the top left."""
        row, column = divmod(cell, self.columns)
        return row * (self.cell_size + self.gap), column * (self.cell_size + self.gap)


def parse_grid(text):
    """'3x2' -> (3 columns, 2 rows); a UserError for anything else."""
    parts = text.lower().split("x")
    try:
        columns, rows = (int(part) for part in parts)
    except ValueError:
        raise UserError(f"--grid {text!r}: give columns x rows, e.g. 3x3") from None
    if columns < 1 or rows < 1 or columns * rows < 2:
        raise UserError(f"--grid {text!r}: give at least 2 cells, e.g. 3x3 (columns x rows)")
    return columns, rows


def grid_layout(text, resolution, cell_size=None, gap=None):
    """The layout of `--grid`: cells at the model's resolution unless the frame would exceed
    GRID_MAX_SIDE, and a gap of about 1/64 of a cell (2 px at least)."""
    columns, rows = parse_grid(text)
    if cell_size is None:
        cell_size = max(1, min(resolution, GRID_MAX_SIDE // max(columns, rows)))
    if gap is None:
        gap = max(2, round(cell_size / 64))
    return GridLayout(columns, rows, cell_size, gap)


def cell_seeds(seed, cells):
    """One seed per cell, drawn from the run's seed: the same run seed gives the same cells."""
    rng = np.random.default_rng([seed, CELL_SEED_STREAM])
    return [int(value) for value in rng.integers(0, 2 ** 31, cells)]


def compose_grid(cell_images, layout):
    """Cell images [N, cells, R, R, 3] in [0, 1] laid out as grid frames [N, height, width, 3]."""
    count, cells, resolution = cell_images.shape[:3]
    width, height = layout.size
    frames = np.full((count, height, width, 3), GRID_GAP_GREY, dtype=np.float32)
    interpolation = cv2.INTER_AREA if layout.cell_size < resolution else cv2.INTER_LINEAR
    for cell in range(cells):
        top, left = layout.origin(cell)
        for index in range(count):
            image = cell_images[index, cell]
            if layout.cell_size != resolution:
                image = cv2.resize(image, (layout.cell_size, layout.cell_size), interpolation=interpolation)
            frames[index, top:top + layout.cell_size, left:left + layout.cell_size] = image
    return frames


def grid_generator(generate, layout):
    """`generate` for latents [N, cells, latent_size]: grid frames [N, height, width, 3] in [0, 1]."""
    def generate_grid(latents):
        count, cells, latent_size = latents.shape
        images = np.asarray(generate(latents.reshape(count * cells, latent_size)), dtype=np.float32)
        return compose_grid(images.reshape(count, cells, *images.shape[1:]), layout)
    return generate_grid
