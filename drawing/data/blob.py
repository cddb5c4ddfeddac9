"""The cutting grid of blob pages, shared by data/blob_grid.py (which draws it) and data/blob_tile.py
(which cuts tiles inside it).

One grid unit is 256/300 inch: 256 px at 300 DPI, 512 px at 600 DPI, 1024 px at 1200 DPI. Each page's
grid of `rows` x `cols` units has its top-left corner where that page's entry in `adjustment.json` puts it.

`adjustment.json` is a JSON list with one object per scan, in the natural order of the scans' file names
(the original's format and meaning, so a file tuned for the original's scripts cuts the same areas here):

    [{"index": 0, "x": 0.375, "y": 0.5}, {"index": 1, "x": 1.0, "y": 0.25}, ...]

`index` is the scan's position (0 = first scan); `x` and `y` place the grid's top-left corner `x` units
right of and `y` units below the page's top-left corner (fractions allowed). The original wrote a new file
with 0.0 everywhere (the grid in the page's corner); blob_grid.py writes each page's centred position
instead, in the same units, so a new file starts well and still means the same to both programs. It never
overwrites the file: edit it by hand, then rerun blob_grid.py to see the result.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

from drawing.errors import UserError
from drawing.files import write_text_atomic
from drawing.images import SCAN_DPIS

UNIT_PX_AT_300_DPI = 256
DEFAULT_ROWS = 12
DEFAULT_COLS = 18
ADJUSTMENT_FILE = "adjustment.json"
MAX_UNITS = 1000  # a 1200 DPI page of 16 inches is 19 units across: anything near 1000 is a typo


def check_dpi(dpi):
    if dpi not in SCAN_DPIS:
        raise UserError(f"dpi {dpi} is not supported; scans must be 300, 600 or 1200 DPI")
    return dpi


def grid_unit(dpi):
    """Pixels per grid unit (256/300 inch) at `dpi`."""
    return UNIT_PX_AT_300_DPI * check_dpi(dpi) // 300


@dataclass(frozen=True)
class Grid:
    """A page's cutting grid in page pixels: pixel column i covers [i, i + 1)."""
    left: float
    top: float
    rows: int
    cols: int
    unit: int

    @property
    def width(self):
        return self.cols * self.unit

    @property
    def height(self):
        return self.rows * self.unit

    def fits(self, page_height, page_width):
        return (self.left >= 0 and self.top >= 0
                and self.left + self.width <= page_width and self.top + self.height <= page_height)


def page_grid(rows, cols, unit, corner=(0.0, 0.0)):
    """The grid of `rows` x `cols` units whose top-left corner is `corner` = (x, y) units into the page."""
    corner_x, corner_y = corner
    return Grid(left=corner_x * unit, top=corner_y * unit, rows=rows, cols=cols, unit=unit)


def centred_corner(page_height, page_width, rows, cols, unit):
    """The (x, y) corner in units that centres the grid on the page, to 1/1000 unit (a third of a pixel)."""
    return (round((page_width / unit - cols) / 2, 3), round((page_height / unit - rows) / 2, 3))


def overrun(grid, page_height, page_width):
    """By how many pixels the grid runs off each side of the page, as {side: px} for the sides it does."""
    sides = {"left": -grid.left, "top": -grid.top,
             "right": grid.left + grid.width - page_width, "bottom": grid.top + grid.height - page_height}
    return {side: pixels for side, pixels in sides.items() if pixels > 1e-9}


def check_grid_fits(grid, page_height, page_width, scan, index=None):
    """A UserError naming the scan (and its adjustment.json index) if its grid runs off the page, and by how much."""
    off = overrun(grid, page_height, page_width)
    if off:
        sides = ", ".join(f"{pixels:g} px past the {side}" for side, pixels in off.items())
        entry = "its" if index is None else f"index {index}'s"
        raise UserError(
            f"{scan}: the grid of {grid.cols} columns x {grid.rows} rows ({grid.width} x {grid.height} px, top-left "
            f"at x={grid.left:g}, y={grid.top:g} px) runs off the {page_width} x {page_height} px page by {sides}; "
            f"move {entry} x/y in adjustment.json or use fewer --rows/--cols")


def centred_adjustment(page_sizes, rows, cols, unit):
    """adjustment.json's entries placing every page's grid in its centre; page_sizes = [(height, width)]."""
    entries = []
    for index, (height, width) in enumerate(page_sizes):
        x, y = centred_corner(height, width, rows, cols, unit)
        entries.append({"index": index, "x": x, "y": y})
    return entries


def parse_adjustment(entries, scan_count, source):
    """Validated grid corners from adjustment.json's content: a list of (x, y) units indexed by scan.

    `source` names the file in errors. Every scan needs an entry; entries beyond the scans are ignored.
    """
    if not isinstance(entries, list):
        raise UserError(f"{source}: expected a JSON list of {{\"index\", \"x\", \"y\"}} objects")
    shifts = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != {"index", "x", "y"}:
            raise UserError(f"{source}: entry {position} must be an object with exactly the keys "
                            f"index, x, y (found {json.dumps(entry)})")
        index, x, y = entry["index"], entry["x"], entry["y"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise UserError(f"{source}: entry {position} has index {index!r}, expected a whole number >= 0")
        for name, value in (("x", x), ("y", y)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                    or abs(value) > MAX_UNITS:
                raise UserError(f"{source}: entry {position} (index {index}) has {name}={value!r}, "
                                f"expected a number of grid units from -{MAX_UNITS} to {MAX_UNITS}")
        if index in shifts:
            raise UserError(f"{source}: index {index} appears more than once")
        shifts[index] = (float(x), float(y))
    missing = [index for index in range(scan_count) if index not in shifts]
    if missing:
        scans = "1 scan (index 0)" if scan_count == 1 else f"{scan_count} scans (indices 0 to {scan_count - 1})"
        given = f"entries for {listed(sorted(shifts))}" if shifts else "no entries"
        raise UserError(f"{source}: no entry for scan {'indices' if len(missing) > 1 else 'index'} "
                        f"{listed(missing)}; there are {scans} and it has {given}")
    return [shifts[index] for index in range(scan_count)]


def listed(indices, shown=10):
    """'0, 3, 7' for a list of indices, cut short with ', ...' after `shown` of them."""
    return ", ".join(map(str, indices[:shown])) + (", ..." if len(indices) > shown else "")


def write_adjustment(path, entries):
    """A new adjustment.json, one entry a line so that it is easy to edit by hand."""
    lines = ",\n ".join(json.dumps(entry) for entry in entries)
    write_text_atomic(path, f"[{lines}]\n")


def load_adjustment(path, scan_count):
    """Per-scan (x, y) grid corners in units from the adjustment.json at `path`."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected the adjustment.json file")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    return parse_adjustment(entries, scan_count, path)
