"""Where blob tiles are and how they are cut: arrays in, arrays out (data/blob_tile.py writes them).

Tile centres lie on the original's lattice inside a page's grid (drawing/data/blob.py), inset by the
radius a tile needs to turn freely, r = resolution/sqrt(2) px: along each axis the whole pixels
floor(start + r), then every unit // steps px, while below floor(start + units * unit - r), rows of them
times columns, numbered row by row. Each tile turns by a random angle about its centre and is mirrored
with probability 1/2, both drawn from (seed, page index) alone, and is cut at the scan's own pixel size.

How a turned tile samples the page (`resample`): "bilinear" interpolates between the four nearest page
pixels, so lines stay smooth at any angle, with new in-between colours (about twice the distinct colours
of the same tile cut "nearest"); "nearest" takes the nearest page pixel, as the original's rotation does:
only the scan's own colours, stair-stepped lines at most angles, and files no bigger than the original's.
docs/performance.md shows a tile both ways and what each costs in bytes.
"""
import math
from dataclasses import dataclass

import cv2
import numpy as np

from drawing.errors import UserError
from drawing.images import TILE_RESOLUTIONS

RESAMPLING = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}


@dataclass(frozen=True)
class Cutting:
    """Everything that decides which tiles a page gives; recorded beside the tile folder."""
    dpi: int
    resolution: int
    rows: int
    cols: int
    steps: int
    seed: int
    resample: str = "bilinear"


def check_resolution(resolution):
    if resolution not in TILE_RESOLUTIONS:
        raise UserError(f"resolution {resolution} is not allowed; use a power of 2 from 4 to 1024 "
                        f"({', '.join(map(str, TILE_RESOLUTIONS))})")
    return resolution


def tile_radius(resolution):
    """Half the diagonal: the distance from the centre a tile reaches at any angle."""
    return resolution / math.sqrt(2)


def check_room(rows, cols, unit, steps, resolution):
    """Refuse a grid too small for a turning tile, and more --steps than a unit has pixels."""
    if min(rows, cols) * unit < 2 * tile_radius(resolution):
        raise UserError(f"a grid of {cols} columns x {rows} rows of {unit} px units has no room for a {resolution} px tile at "
                        f"every angle ({tile_radius(resolution) * 2:.0f} px); use more --rows/--cols or a lower "
                        "resolution")
    if unit // steps == 0:
        raise UserError(f"--steps {steps}: at most {unit}, the pixels of a grid unit at this DPI")


def axis_centres(start, units, unit, steps, resolution):
    """The tile centres along one axis of a grid starting at `start` px, the original's way: whole pixels from
    floor(start + r), every unit // steps px, below floor(start + units * unit - r) (r: the tile's radius)."""
    radius = tile_radius(resolution)
    first, end = math.floor(start + radius), math.floor(start + units * unit - radius)
    return np.arange(first, end, unit // steps).astype(float)


def tile_centres(grid, steps, resolution):
    """(x, y) page coordinates of every tile centre, row by row (the original's order and places)."""
    xs = axis_centres(grid.left, grid.cols, grid.unit, steps, resolution)
    ys = axis_centres(grid.top, grid.rows, grid.unit, steps, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def tiles_per_page(grid, steps, resolution):
    return len(tile_centres(grid, steps, resolution))


def tile_poses(seed, page_index, count):
    """Each tile's angle in degrees, uniform in [0, 360), and whether it is mirrored (probability 1/2)."""
    rng = np.random.default_rng([seed, page_index])
    return rng.uniform(0.0, 360.0, count), rng.random(count) < 0.5


def tile_transform(centre, angle, mirrored, resolution):
    """The 2 x 3 map from tile pixel (u, v) to page pixel, for cv2.warpAffine's WARP_INVERSE_MAP.

    Pixel i spans [i, i + 1) on both page and tile; cv2 samples at pixel centres, hence the halves.
    With angle 0 and no mirroring a tile centred on whole-pixel corners is an exact crop.
    """
    radians = math.radians(angle)
    cos, sin = math.cos(radians), math.sin(radians)
    flip = -1.0 if mirrored else 1.0
    linear = np.array([[cos * flip, -sin], [sin * flip, cos]])
    offset = np.asarray(centre, dtype=float) - 0.5 + linear @ np.full(2, 0.5 - resolution / 2)
    return np.hstack([linear, offset[:, None]])


def cut_tile(page, centre, angle, mirrored, resolution, resample="bilinear"):
    """One resolution x resolution tile of `page`, turned by `angle` about `centre`, maybe mirrored, its
    pixels sampled from a view of the page as `resample` says ("bilinear" or "nearest")."""
    reach = math.ceil(tile_radius(resolution)) + 2
    x0 = max(int(centre[0]) - reach, 0)
    y0 = max(int(centre[1]) - reach, 0)
    region = page[y0:int(centre[1]) + reach + 1, x0:int(centre[0]) + reach + 1]
    transform = tile_transform(centre, angle, mirrored, resolution)
    transform[:, 2] -= (x0, y0)
    return cv2.warpAffine(region, transform, (resolution, resolution),
                          flags=RESAMPLING[resample] | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)
