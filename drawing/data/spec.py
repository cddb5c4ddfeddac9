"""Finding the specimens of a spec page and cutting them into square tiles; arrays in, arrays out.

A spec page holds specimens roughly arranged on a grid: the grid may be crooked, but a straight
vertical line separates any two adjacent columns, and a straight horizontal line any two adjacent rows.
`tile_page` crops away the dark scanner bed around the paper, finds the ink and drops specks of dust,
finds the columns of specimens (the stretches of the paper's width that drawings cover, separated by
lines halfway between adjacent stretches) and likewise the rows, fits a box to the ink of each cell, and
cuts a square of 1.5 x resolution page pixels centred on it (the neighbouring cells blanked to paper),
shrunk to resolution x resolution. `grid_preview` draws what it found on a smaller copy of the page.

The resolution also says the scan's DPI: 256 px tiles come from 300 DPI scans, 512 from 600, 1024 from
1200. The search runs on the page shrunk to 300 DPI, so its thresholds, given at 300 DPI, scale with
resolution/256.
"""
from dataclasses import dataclass, field

import cv2
import numpy as np

from drawing.errors import UserError

RESOLUTIONS = (256, 512, 1024)
SQUARE_PER_RESOLUTION = 1.5
# Sizes in pixels at 300 DPI, where the specimens are searched for (see `find_specimens`).
PAPER_INSET = 12             # a strip inside the paper's edge, where the scanner casts a shadow
SPECK_EXTENT = 18            # ink blobs whose bounding box fits in 18 x 18 px (0.06 in) are dust
PREVIEW_DPI = 150            # the grid preview is for looking at: half of 300 DPI is plenty
GRID_LINE = 3                # thickness of the grid lines on the preview, in its pixels
SQUARE_LINE = 1              # thickness of the tile squares on the preview
# Ink is darker than the paper by at least this much, whatever Otsu says on a page with little ink.
MIN_INK_CONTRAST = 48
RED = (255, 0, 0)


def scan_dpi(resolution):
    """The DPI of the scans that tiles of `resolution` px are cut from: 300 for 256, 600 for 512, 1200 for 1024."""
    return 300 * resolution // 256


def check_resolution(resolution):
    if resolution not in RESOLUTIONS:
        raise UserError(f"resolution {resolution} is not allowed: use 256 (300 DPI scans), "
                        "512 (600 DPI) or 1024 (1200 DPI)")
    return resolution


@dataclass
class PageLayout:
    """What was found on one page, in page pixels; rectangles are (x0, y0, x1, y1), end exclusive."""
    paper: tuple | None = None                     # the paper inside the scanner bed; None: no paper found
    columns: list = field(default_factory=list)    # x of the lines between columns, the paper's edges included
    rows: list = field(default_factory=list)       # y of the lines between rows, likewise
    specimens: list = field(default_factory=list)  # (cell, box around its ink) per specimen, column by column
    squares: list = field(default_factory=list)    # the square each tile is cut from (`tile_page`)
    oversized: int = 0                             # specimens larger than the usual square, cut from a larger one


def find_paper(gray, inset):
    """The paper's rectangle (x0, y0, x1, y1) inside the dark scanner bed, or None if there is no paper.

    Paper is brighter than the Otsu split between bed and paper. A first pass takes the rows and
    columns with some paper (the bed may be much larger than the paper); the second, within those,
    the rows and columns that are mostly paper. The rectangle is then shrunk by `inset` to leave out
    the shadow along the paper's edge.
    """
    split, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = gray > split
    rows = np.flatnonzero(bright.mean(axis=1) > 0.1)
    cols = np.flatnonzero(bright.mean(axis=0) > 0.1)
    if len(rows) == 0 or len(cols) == 0:
        return None
    rough = bright[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    rows = rows[0] + np.flatnonzero(rough.mean(axis=1) > 0.5)
    cols = cols[0] + np.flatnonzero(rough.mean(axis=0) > 0.5)
    if len(rows) == 0 or len(cols) == 0:
        return None
    x0, y0, x1, y1 = cols[0] + inset, rows[0] + inset, cols[-1] + 1 - inset, rows[-1] + 1 - inset
    if x1 <= x0 or y1 <= y0:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def ink_mask(gray):
    """1 where there is ink on a grayscale paper image, else 0 (uint8)."""
    paper_level = float(np.median(gray[::4, ::4]))
    split, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    split = min(split, paper_level - MIN_INK_CONTRAST)
    return (gray < split).astype(np.uint8)


def drawing_boxes(mask, speck_extent):
    """Bounding boxes (N x 4: x0, y0, x1, y1, end exclusive) of the ink blobs that are not dust.

    A blob is dust when its bounding box fits in speck_extent x speck_extent.
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats = stats[1:]
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    stats = stats[np.maximum(width, height) > speck_extent]
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    return np.stack([x0, y0, x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]], axis=1)


def find_bands(starts, ends, length):
    """The runs (start, end) of an axis of `length` covered by any of the intervals [starts, ends)."""
    depth = np.zeros(length + 1, np.int64)
    np.add.at(depth, starts, 1)
    np.add.at(depth, ends, -1)
    covered = np.concatenate([[False], np.cumsum(depth[:length]) > 0, [False]])
    edges = np.flatnonzero(np.diff(covered.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def separators(bands, length):
    """Cell borders for bands along an axis of `length`: the edges, and halfway between adjacent bands."""
    middles = [(end + start) // 2 for (_, end), (start, _) in zip(bands, bands[1:])]
    return [0, *middles, length]


def cell_boxes(boxes, column_lines, row_lines):
    """Column-major list of (cell, box) for each cell holding a drawing: the union of the blobs inside it.

    Column by column (the left column top to bottom, then the next) is the original's tile numbering.

    Blobs never straddle a cell border (the borders lie in gaps between them), so each belongs to the
    cell its top-left corner is in.
    """
    cols = np.searchsorted(column_lines, boxes[:, 0], side="right") - 1
    rows = np.searchsorted(row_lines, boxes[:, 1], side="right") - 1
    cell_index = cols * (len(row_lines) - 1) + rows
    found = []
    for index in np.unique(cell_index):
        inside = boxes[cell_index == index]
        col, row = divmod(int(index), len(row_lines) - 1)
        cell = (column_lines[col], row_lines[row], column_lines[col + 1], row_lines[row + 1])
        box = (*inside[:, :2].min(axis=0).tolist(), *inside[:, 2:].max(axis=0).tolist())
        found.append((cell, tuple(int(v) for v in box)))
    return found


def square_around(box, side):
    """The (x0, y0, x1, y1) of a side x side square centred on box."""
    x0 = round((box[0] + box[2]) / 2 - side / 2)
    y0 = round((box[1] + box[3]) / 2 - side / 2)
    return x0, y0, x0 + side, y0 + side


def cut_tile(page, square, cell, paper_colour, resolution):
    """The page inside `square`, with everything outside `cell` made paper, shrunk to resolution px."""
    x0, y0, x1, y1 = square
    side = x1 - x0
    tile = np.empty((side, side, 3), np.uint8)
    tile[:] = paper_colour
    vx0, vy0 = max(x0, cell[0]), max(y0, cell[1])
    vx1, vy1 = min(x1, cell[2]), min(y1, cell[3])
    tile[vy0 - y0:vy1 - y0, vx0 - x0:vx1 - x0] = page[vy0:vy1, vx0:vx1]
    return cv2.resize(tile, (resolution, resolution), interpolation=cv2.INTER_AREA)


def find_specimens(page, resolution):
    """The `PageLayout` of a page: its paper, column and row lines, and (cell, box) per specimen.

    The search runs at 300 DPI whatever the scan's DPI (a 1200 DPI page is shrunk 4 times first):
    that is plenty to find drawings, and keeps time and memory per page the same at every DPI.
    """
    factor = resolution // 256
    gray = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    if factor > 1:
        gray = cv2.resize(gray, (gray.shape[1] // factor, gray.shape[0] // factor), interpolation=cv2.INTER_AREA)
    paper = find_paper(gray, PAPER_INSET)
    if paper is None:
        return PageLayout()
    px0, py0, px1, py1 = paper
    boxes = drawing_boxes(ink_mask(gray[py0:py1, px0:px1]), SPECK_EXTENT)
    column_lines = separators(find_bands(boxes[:, 0], boxes[:, 2], px1 - px0), px1 - px0)
    row_lines = separators(find_bands(boxes[:, 1], boxes[:, 3], py1 - py0), py1 - py0)

    def to_page(rectangle):
        return tuple(int(value + offset) * factor for value, offset in zip(rectangle, (px0, py0, px0, py0)))

    return PageLayout(
        paper=tuple(value * factor for value in paper),
        columns=[(px0 + x) * factor for x in column_lines],
        rows=[(py0 + y) * factor for y in row_lines],
        specimens=[(to_page(cell), to_page(box)) for cell, box in cell_boxes(boxes, column_lines, row_lines)])


def tile_page(page, resolution):
    """Find the specimens of an RGB page and cut them; returns (tiles, layout).

    The `PageLayout` also gets each tile's square, for the grid preview, and how many specimens needed a
    larger square; tiles is empty if the page has no specimen.
    """
    layout = find_specimens(page, resolution)
    if not layout.specimens:
        return [], layout
    px0, py0, px1, py1 = layout.paper
    paper_colour = np.median(page[py0:py1:8, px0:px1:8].reshape(-1, 3), axis=0).astype(np.uint8)
    base_side = round(SQUARE_PER_RESOLUTION * resolution)
    tiles = []
    for cell, box in layout.specimens:
        longest = max(box[2] - box[0], box[3] - box[1])
        side = base_side
        if longest > base_side:
            # Keep the whole specimen, at the cost of drawing it smaller than its neighbours.
            side = round(longest * 1.05)
            layout.oversized += 1
        square = square_around(box, side)
        tiles.append(cut_tile(page, square, cell, paper_colour, resolution))
        layout.squares.append(square)
    return tiles, layout


def grid_preview(page, layout, resolution):
    """A copy of the page at PREVIEW_DPI with the paper edge, the column and row lines and the tile
    squares drawn in red (a smaller copy is also much faster to write)."""
    scale = PREVIEW_DPI / (300 * resolution / 256)
    preview = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if layout.paper is None:
        return preview

    def at(value):
        return round(value * scale)

    x0, y0, x1, y1 = map(at, layout.paper)
    for x in layout.columns:
        cv2.line(preview, (at(x), y0), (at(x), y1 - 1), RED, GRID_LINE)
    for y in layout.rows:
        cv2.line(preview, (x0, at(y)), (x1 - 1, at(y)), RED, GRID_LINE)
    for sx0, sy0, sx1, sy1 in layout.squares:
        cv2.rectangle(preview, (at(sx0), at(sy0)), (at(sx1) - 1, at(sy1) - 1), RED, SQUARE_LINE)
    return preview
