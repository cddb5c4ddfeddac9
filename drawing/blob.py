"""The cutting grid of blob pages, shared by data/blob_grid.py (which draws it) and data/blob_tile.py
(which cuts tiles inside it).

One grid unit is 256/300 inch: 256 px at 300 DPI, 512 px at 600 DPI, 1024 px at 1200 DPI. A grid of
`rows` x `cols` units is centred on each page, then shifted by that page's entry in `adjustment.json`.

`adjustment.json` is a JSON list with one object per scan, in the natural order of the scans' file names:

    [{"index": 0, "x": 0, "y": 0}, {"index": 1, "x": -0.5, "y": 1}, ...]

`index` is the scan's position (0 = first scan); `x` and `y` are the shift in grid units (fractions
allowed), `x` to the right and `y` downward. blob_grid.py writes it with zeros when it is absent and
never overwrites it: edit it by hand, then rerun blob_grid.py to see the result.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from drawing.cli import UserError
from drawing.files import write_text_atomic
from drawing.images import SCAN_DPIS

UNIT_PX_AT_300_DPI = 256
DEFAULT_ROWS = 12
DEFAULT_COLS = 18
ADJUSTMENT_FILE = "adjustment.json"


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


def page_grid(page_height, page_width, rows, cols, unit, shift=(0.0, 0.0)):
    """The grid of `rows` x `cols` units centred on the page, moved by `shift` = (x, y) units."""
    shift_x, shift_y = shift
    return Grid(left=(page_width - cols * unit) / 2 + shift_x * unit,
                top=(page_height - rows * unit) / 2 + shift_y * unit,
                rows=rows, cols=cols, unit=unit)


def check_grid_fits(grid, page_height, page_width, scan):
    """A UserError naming the scan if its (adjusted) grid runs off the page."""
    if not grid.fits(page_height, page_width):
        raise UserError(
            f"{scan}: the {grid.rows} x {grid.cols} grid ({grid.height} x {grid.width} px, top-left at "
            f"x={grid.left:g}, y={grid.top:g}) runs off the {page_height} x {page_width} px page; "
            "use fewer --rows/--cols or change this page's shift in adjustment.json")


def zero_adjustment(scan_count):
    return [{"index": index, "x": 0, "y": 0} for index in range(scan_count)]


def parse_adjustment(entries, scan_count, source):
    """Validated shifts from adjustment.json's content: a list of (x, y) units indexed by scan.

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
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise UserError(f"{source}: entry {position} (index {index}) has {name}={value!r}, "
                                "expected a number of grid units")
        if index in shifts:
            raise UserError(f"{source}: index {index} appears more than once")
        shifts[index] = (float(x), float(y))
    missing = [index for index in range(scan_count) if index not in shifts]
    if missing:
        listed = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise UserError(f"{source}: has {len(entries)} entries but there are {scan_count} scans; "
                        f"no entry for index {listed}")
    return [shifts[index] for index in range(scan_count)]


def load_adjustment(path, scan_count, create=True):
    """Per-scan (x, y) shifts from `path`; with `create`, a file of zeros is written first if absent."""
    path = Path(path)
    if not path.exists():
        if not create:
            return [(0.0, 0.0)] * scan_count
        lines = ",\n ".join(json.dumps(entry) for entry in zero_adjustment(scan_count))
        write_text_atomic(path, f"[{lines}]\n")
        print(f"wrote {path} with zero shifts for {scan_count} scans; edit it to move a page's grid")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected the adjustment.json file")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    return parse_adjustment(entries, scan_count, path)
