"""Synthetic scans for the demo and the tests: spec pages and blob pages, deterministic for a seed.

- `spec_page`: a letter-size page (8.5 x 11 in) of specimens roughly on a rows x cols grid, each a closed
  ink drawing mirror-symmetric about its own vertical and horizontal axes, a few specks of dust, and
  the dark scanner bed around the paper, as a flatbed scan of the artist's Second Study looks.
  It also returns each specimen's bounding box, so tests know the answer.
- `blob_page`: one continuous, asymmetric mass of closed cells with dark outlines (the Third Study),
  covering most of the paper with a margin of blank paper around it.
- `page_seed` and `write_sample_pages`: a folder of such pages as data/sample_scans.py writes it, each page
  from its own seed, saved with its DPI.
- `break_lines` cuts breaks into a drawing's lines, and `cells_kept_whole` scores how a fill of the
  broken drawing kept the unbroken drawing's cells (fill/'s --close_gaps is measured with them).

Everything is drawn with OpenCV into an ink-coverage mask (0 = paper, 255 = ink), which is then laid
on noisy off-white paper, so a 300 DPI page takes a fraction of a second.

Example:
    page, boxes = spec_page(dpi=300, seed=1)    # about 2685 x 3420 px, 36 boxes (x0, y0, x1, y1)
    page = blob_page(dpi=300, width_in=8, height_in=6, seed=1)
"""
import cv2
import numpy as np
from PIL import Image

from drawing.images import PNG_COMPRESSION, save_image
from drawing.parallel import parallel_map

PAPER_RGB = (244, 241, 232)
BED_RGB = (30, 31, 34)
INK_RGB = (40, 40, 40)   # matte black ink reflects a few per cent of the light: about 40 in a scan's sRGB, and no colour
LETTER_IN = (8.5, 11.0)
# Scanner bed visible around the paper (left, top, right, bottom), in inches: a real scan is never
# exactly aligned, so the four sides differ.
BED_IN = (0.2, 0.15, 0.25, 0.25)
# Sub-pixel precision for OpenCV drawing: coordinates are passed multiplied by 2**SHIFT.
SHIFT = 4
NOISE_TILE = (251, 257)
STRIP_ROWS = 1024
# A pixel at least a quarter covered by ink counts as ink for a specimen's box (fainter ones are the
# antialiasing fringe).
INKED = 64


def _fixed(points):
    """Float pixel coordinates as OpenCV's fixed-point int32 polylines."""
    return np.round(np.asarray(points) * (1 << SHIFT)).astype(np.int32)


def _lay_paper(area, rng, colour=PAPER_RGB):
    """Fill `area` (a uint8 RGB array or view) in place with paper of `colour` and scanner grain.

    The grain is one random tile repeated, which is cheap even for a 250 megapixel page.
    """
    height, width = area.shape[:2]
    grain = rng.integers(-3, 4, (*NOISE_TILE, 1), dtype=np.int16)
    tile = np.clip(grain + np.asarray(colour, np.int16), 0, 255).astype(np.uint8)
    strip = np.tile(tile, (1, -(-width // NOISE_TILE[1]), 1))[:, :width]
    for top in range(0, height, NOISE_TILE[0]):
        area[top:top + NOISE_TILE[0]] = strip[:height - top]


def _lay_ink(page, mask, ink=INK_RGB):
    """Blend ink into `page` in place where `mask` covers it, strip by strip to bound memory."""
    ink = tuple(float(level) for level in ink) + (0.0,)
    for top in range(0, page.shape[0], STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        cover = mask[rows]
        if not cover.any():
            continue
        cover = cv2.merge([cover] * 3)
        paper = cv2.multiply(page[rows], cv2.bitwise_not(cover), scale=1 / 255)
        page[rows] = cv2.add(paper, cv2.multiply(cover, ink, scale=1 / 255))


def _radial_curve(centre, half_size, harmonics, samples=160):
    """A closed curve r(theta) = 1 + sum a_k cos(2k theta): symmetric about both axes by construction."""
    theta = np.linspace(0, 2 * np.pi, samples, endpoint=False)
    k = np.arange(1, len(harmonics) + 1)[:, None]
    radius = 1 + (np.asarray(harmonics)[:, None] * np.cos(2 * k * theta)).sum(axis=0)
    radius = np.maximum(radius, 0.25) / max(radius.max(), 1e-6)
    return np.stack([centre[0] + half_size[0] * radius * np.cos(theta),
                     centre[1] + half_size[1] * radius * np.sin(theta)], axis=1)


def _mirrored(points, centre):
    """The four mirror images of a point set about the vertical and horizontal axes through `centre`."""
    cx, cy = centre
    x, y = points[:, 0], points[:, 1]
    return [np.stack([cx + sx * (x - cx), cy + sy * (y - cy)], axis=1)
            for sx in (1, -1) for sy in (1, -1)]


def specimen_mask(width, height, thickness, rng):
    """One specimen's ink mask, `height` x `width` px, mirror-symmetric about its two centre axes.

    An outline, a shape on the centre, and a few organs and strokes mirrored into all four quadrants.
    """
    mask = np.zeros((height, width), np.uint8)
    centre = ((width - 1) / 2, (height - 1) / 2)
    margin = thickness
    half = ((width - 1) / 2 - margin, (height - 1) / 2 - margin)
    curves = [_radial_curve(centre, half, rng.uniform(-0.22, 0.22, 4))]
    curves.append(_radial_curve(centre, (half[0] * rng.uniform(0.12, 0.25), half[1] * rng.uniform(0.12, 0.25)),
                                rng.uniform(-0.2, 0.2, 2), samples=64))
    for _ in range(rng.integers(1, 4)):
        organ_centre = (centre[0] + half[0] * rng.uniform(0.2, 0.45), centre[1] + half[1] * rng.uniform(0.2, 0.45))
        organ = _radial_curve(organ_centre, (half[0] * rng.uniform(0.06, 0.16), half[1] * rng.uniform(0.06, 0.16)),
                              rng.uniform(-0.15, 0.15, 2), samples=48)
        curves.extend(_mirrored(organ, centre))
    for _ in range(rng.integers(1, 3)):
        # A curved stroke from near the centre shape out towards the outline.
        t = np.linspace(0, 1, 24)[:, None]
        start = np.array([centre[0] + half[0] * rng.uniform(0.15, 0.3), centre[1] + half[1] * rng.uniform(0.05, 0.3)])
        end = np.array([centre[0] + half[0] * rng.uniform(0.5, 0.75), centre[1] + half[1] * rng.uniform(0.3, 0.7)])
        bend = (start + end) / 2 + rng.uniform(-0.12, 0.12, 2) * half
        stroke = (1 - t) ** 2 * start + 2 * (1 - t) * t * bend + t ** 2 * end
        for mirrored in _mirrored(stroke, centre):
            cv2.polylines(mask, [_fixed(mirrored)], False, 255, thickness, cv2.LINE_AA, SHIFT)
    cv2.polylines(mask, [_fixed(curve) for curve in curves], True, 255, thickness, cv2.LINE_AA, SHIFT)
    # Rasterisation rounds a little differently on each side; make the symmetry exact, pixel for pixel.
    return np.maximum(np.maximum(mask, mask[:, ::-1]), np.maximum(mask[::-1, :], mask[::-1, ::-1]))


def specimen_layout(paper_size, rows, cols, dpi, rng):
    """Boxes (x0, y0, x1, y1) on the paper, row-major, each inside its own grid cell.

    Positions and sizes are jittered, but every box keeps a gap to its cell's borders, so a straight
    line between adjacent columns (or rows) never touches a specimen.
    """
    paper_width, paper_height = paper_size
    margin = 0.5 * dpi
    cell_width = (paper_width - 2 * margin) / cols
    cell_height = (paper_height - 2 * margin) / rows
    gap = 0.08 * dpi
    largest = 1.1 * dpi  # tiles are cut 1.28 in square: leave the specimen some paper around it
    wander = 0.4 * dpi  # how far a specimen strays from its cell's centre, at most, all told
    room_x, room_y = cell_width - 2 * gap, cell_height - 2 * gap
    boxes = []
    for row in range(rows):
        for col in range(cols):
            width = int(min(largest, room_x) * rng.uniform(0.6, 1.0))
            height = int(min(largest, room_y) * rng.uniform(0.6, 1.0))
            slack_x, slack_y = room_x - width, room_y - height
            x0 = margin + col * cell_width + gap + slack_x / 2 + rng.uniform(-0.5, 0.5) * min(slack_x, wander)
            y0 = margin + row * cell_height + gap + slack_y / 2 + rng.uniform(-0.5, 0.5) * min(slack_y, wander)
            boxes.append((int(x0), int(y0), int(x0) + width, int(y0) + height))
    return boxes


def _speck_positions(count, paper_size, boxes, clearance, rng):
    """`count` random points on the paper at least `clearance` px away from every specimen box."""
    candidates = rng.uniform((0, 0), paper_size, (max(64, 64 * count), 2))
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    inside = ((candidates[:, None, 0] > boxes[None, :, 0] - clearance)
              & (candidates[:, None, 0] < boxes[None, :, 2] + clearance)
              & (candidates[:, None, 1] > boxes[None, :, 1] - clearance)
              & (candidates[:, None, 1] < boxes[None, :, 3] + clearance)).any(axis=1)
    return candidates[~inside][:count]


def spec_page(dpi=300, rows=6, cols=6, seed=0, specks=5):
    """An RGB uint8 scan of a letter page of rows x cols specimens, and their boxes (x0, y0, x1, y1).

    Boxes are in page pixels (scanner bed included), row-major, x1/y1 exclusive; each box is the extent
    of its specimen's ink (pixels at least a quarter covered), and the specimen is symmetric about the
    box's centre lines.
    """
    rng = np.random.default_rng(seed)
    paper_width, paper_height = round(LETTER_IN[0] * dpi), round(LETTER_IN[1] * dpi)
    left, top, right, bottom = (round(side * dpi) for side in BED_IN)
    height, width = top + paper_height + bottom, left + paper_width + right
    page = np.empty((height, width, 3), np.uint8)
    _lay_paper(page, rng, BED_RGB)
    _lay_paper(page[top:top + paper_height, left:left + paper_width], rng)
    mask = np.zeros((height, width), np.uint8)
    thickness = max(1, round(dpi / 100))

    boxes = []
    for x0, y0, x1, y1 in specimen_layout((paper_width, paper_height), rows, cols, dpi, rng):
        drawing = specimen_mask(x1 - x0, y1 - y0, thickness, rng)
        ys, xs = np.nonzero(drawing >= INKED)
        x0, y0 = x0 + left, y0 + top
        mask[y0:y0 + drawing.shape[0], x0:x0 + drawing.shape[1]] = drawing
        boxes.append((x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1))

    paper_boxes = [(x0 - left, y0 - top, x1 - left, y1 - top) for x0, y0, x1, y1 in boxes]
    for x, y in _speck_positions(specks, (paper_width, paper_height), paper_boxes, 0.1 * dpi, rng):
        radius = rng.uniform(0.003, 0.012) * dpi
        axes = _fixed((radius, radius * rng.uniform(0.5, 1.0)))
        cv2.ellipse(mask, _fixed((x + left, y + top)), axes, rng.uniform(0, 180), 0, 360, 200, -1,
                    cv2.LINE_AA, SHIFT)
    _lay_ink(page, mask)
    return page, boxes


def _blob_region(height, width, dpi, rng):
    """A bool mask of one irregular, hole-free mass filling most of the page inside a blank margin."""
    scale = 8  # shape the mass at 1/8 size: its outline is smooth, and this keeps it fast
    small_h, small_w = -(-height // scale), -(-width // scale)
    coarse = rng.normal(size=(max(3, round(height / dpi * 1.5)), max(3, round(width / dpi * 1.5))))
    noise = cv2.resize(coarse, (small_w, small_h), interpolation=cv2.INTER_CUBIC)
    y, x = np.mgrid[0:small_h, 0:small_w]
    margin = 0.6 * dpi / scale
    u = (x - (small_w - 1) / 2) / (small_w / 2 - margin)
    v = (y - (small_h - 1) / 2) / (small_h / 2 - margin)
    # The noise fades towards the margin, so the mass is ragged inside but rarely cut straight by it.
    field = 1 - 1.2 * (np.abs(u) ** 3 + np.abs(v) ** 3) + 0.3 * noise * (1 - np.maximum(np.abs(u), np.abs(v)) ** 2)
    region = ((field > 0) & (np.abs(u) < 1) & (np.abs(v) < 1)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=4)
    if count > 1:
        region = (labels == 1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])).astype(np.uint8)
    # Fill holes: whatever the flood from the border cannot reach belongs to the mass.
    outside = region.copy()
    cv2.floodFill(outside, None, (0, 0), 1)
    region |= 1 - outside
    smooth = cv2.GaussianBlur(region * np.float32(255), (0, 0), 1.0)
    return cv2.resize(smooth, (width, height), interpolation=cv2.INTER_CUBIC) > 127


def _chaikin(polygon, rounds=2):
    """Round a closed polygon's corners by corner cutting, so cells look drawn by hand."""
    for _ in range(rounds):
        following = np.roll(polygon, -1, axis=0)
        polygon = np.stack([0.75 * polygon + 0.25 * following, 0.25 * polygon + 0.75 * following],
                           axis=1).reshape(-1, 2)
    return polygon


def blob_page(dpi=300, width_in=16, height_in=11, seed=0):
    """An RGB uint8 scan of one continuous blob of closed ink cells, with a blank margin around it."""
    rng = np.random.default_rng(seed)
    width, height = round(width_in * dpi), round(height_in * dpi)
    page = np.empty((height, width, 3), np.uint8)
    _lay_paper(page, rng)
    region = _blob_region(height, width, dpi, rng)

    # Cell centres: a jittered grid, which gives cells of varied but never degenerate size.
    spacing = rng.uniform(0.3, 0.4) * dpi
    grid_y, grid_x = np.mgrid[spacing / 2:height:spacing, spacing / 2:width:spacing]
    centres = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    centres += rng.uniform(-0.42, 0.42, centres.shape) * spacing
    # Cells cover the whole page and are cut by the mass's outline, so cells on its edge stay cell-sized.
    centres = np.clip(centres, 0, [width - 1, height - 1])

    subdivision = cv2.Subdiv2D((0, 0, width, height))
    subdivision.insert([tuple(map(float, centre)) for centre in centres])
    facets, facet_centres = subdivision.getVoronoiFacetList([])
    cells = [_chaikin(np.asarray(facet, float)) for facet in facets]
    nested = rng.random(len(cells)) < 0.25
    cells += [centre + rng.uniform(0.35, 0.6) * (cell - centre)
              for cell, centre, inner in zip(cells, np.asarray(facet_centres), nested) if inner]

    thickness = max(1, round(0.011 * dpi))
    mask = np.zeros((height, width), np.uint8)
    cv2.polylines(mask, [_fixed(cell) for cell in cells], True, 255, thickness, cv2.LINE_AA, SHIFT)
    mask[~region] = 0
    outline, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(mask, outline, -1, 255, thickness, cv2.LINE_AA)
    _lay_ink(page, mask)
    return page


def break_lines(drawing, gap_count, widest, rng, ink_below=160):
    """A copy of an RGB line drawing with up to `gap_count` breaks cut into its lines, each 1 to `widest` px wide.

    Each break is a disc of paper (PAPER_RGB) of a random whole diameter, centred on a random ink pixel
    (luminance below `ink_below`), as a pen that skips or a generator that fades leaves them. Breaks are
    at least 3 x `widest` px apart, so that no two of them make one wider break; where the lines have
    no room for more, fewer are cut.
    """
    broken = drawing.copy()
    ink_rows, ink_columns = np.nonzero(cv2.cvtColor(drawing, cv2.COLOR_RGB2GRAY) < ink_below)
    spacing = 3 * widest
    centres = []
    for pick in rng.permutation(ink_rows.size)[:50 * gap_count]:
        centre = np.array([ink_rows[pick], ink_columns[pick]])
        if not centres or np.min(np.abs(np.array(centres) - centre).max(axis=1)) >= spacing:
            centres.append(centre)
            if len(centres) == gap_count:
                break
    for (row, column), diameter in zip(centres, rng.integers(1, widest + 1, len(centres))):
        # A digital disc exactly `diameter` px across: pixel centres within diameter / 2 of its centre.
        offsets = np.arange(diameter) - (diameter - 1) / 2
        inside = offsets[:, None] ** 2 + offsets[None, :] ** 2 <= (diameter / 2) ** 2
        rows, columns = np.nonzero(inside)
        rows, columns = rows + row - diameter // 2, columns + column - diameter // 2
        keep = (rows >= 0) & (rows < drawing.shape[0]) & (columns >= 0) & (columns < drawing.shape[1])
        broken[rows[keep], columns[keep]] = PAPER_RGB
    return broken


def cells_kept_whole(cells, filled, cell_area=100):
    """How a fill treated the cells of a drawing: (share of cells that are one region each, how many
    regions cover two cells or more).

    `cells` labels the regions of the unbroken drawing (those under `cell_area` px, the specks where two
    strokes part, are not counted); `filled` gives every pixel its region in the fill. A region covers
    a cell when it holds more than half of it; a cell is one region when a region holds at least 95 %
    of it and covers no other cell.
    """
    sizes = np.bincount(cells.ravel())
    is_cell = sizes >= cell_area
    is_cell[0] = False
    inside = is_cell[cells]
    stride = int(filled.max()) + 1
    pairs, overlap = np.unique(cells[inside].astype(np.int64) * stride + filled[inside], return_counts=True)
    cell, region = np.divmod(pairs, stride)
    covers = overlap > 0.5 * sizes[cell]
    cells_covered = np.bincount(region[covers], minlength=stride)
    whole = covers & (overlap >= 0.95 * sizes[cell]) & (cells_covered[region] == 1)
    return whole.sum() / is_cell.sum(), int((cells_covered > 1).sum())


# --- a folder of sample scans ---

def page_seed(seed, page_number):
    """An independent seed for each page, derived from the run's seed and the page's number."""
    return int(np.random.SeedSequence([seed, page_number]).generate_state(1)[0])


def sample_page(style, dpi, seed, width_in, height_in):
    """One page's pixels, uint8 RGB: a spec page (letter size whatever the width and height) or a blob page."""
    if style == "spec":
        return spec_page(dpi=dpi, seed=seed)[0]
    return blob_page(dpi=dpi, width_in=width_in, height_in=height_in, seed=seed)


def write_sample_page(path, style, dpi, seed, width_in, height_in):
    """Generate a page and write it as PNG, with its DPI recorded in the file."""
    page = sample_page(style, dpi, seed, width_in, height_in)
    save_image(path, Image.fromarray(page), dpi=(dpi,) * 2, compress_level=PNG_COMPRESSION)
    return path


def _write_job(job):
    return write_sample_page(*job)


def write_sample_pages(dir_out, pages, style, dpi, seed, width_in, height_in):
    """Write pages `<dir_out>/0.png`, `1.png`, ... on every core, page n from `page_seed(seed, n)`."""
    jobs = [(dir_out / f"{number}.png", style, dpi, page_seed(seed, number), width_in, height_in)
            for number in range(pages)]
    parallel_map(_write_job, jobs, desc=f"{style} pages", unit="page", describe=lambda job: str(job[0]))
