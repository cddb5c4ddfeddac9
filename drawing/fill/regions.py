"""The regions of a line drawing: its paper found from its lightness, cut into regions, every line pixel
given to its nearest region.

A drawing arrives as its lightness (`lightness`): a pixel is paper where its colour is light *or* where
it is transparent, so an opaque drawing, the same drawing with its ink also in the alpha channel, and
rgba.py's flat colour with ink only in the alpha all give the same regions. Its paper (lightness above
BLOB_PAPER_ABOVE, or `spec_paper`) is cut into regions (4-connected, so two regions touching only at a
corner stay apart) and `labels` numbers them: 0 for line pixels, 1..region_count for the regions.

`find_regions` does the cutting, in order:
1. with `close_gaps_px`, breaks in the lines up to that many pixels wide are closed first (`close_gaps`):
   the paper out of reach of every such break (cores, from a distance map) floods the rest of the
   paper breadth first, and where two floods meet, halfway through a break, is line. Line is only
   ever added, so two regions never merge, and an open area wider than the breaks keeps its paper;
2. with `min_region`, regions smaller than that many pixels (bits between two strokes of one line,
   dust) join the region they border most (`absorb_small_regions`).
Then every line pixel, drawn or added, takes the label of the nearest region, so no line is left.
"""
import cv2
import numpy as np

from drawing.errors import UserError
from drawing.images import open_image, to_array

BLOB_PAPER_ABOVE = 160
SPEC_PAPER_ABOVE = 208
# Spec tiles carry bits of the neighbouring specimens and the grid near their edges.
SPEC_IGNORED_MARGIN = 32
# --close_gaps default, in px: breaks of 1-2 px (a faint pixel or two of a generated line) are the common
# ones; on the sample drawings closing them costs almost nothing (README, fill: how the defaults were chosen).
DEFAULT_CLOSE_GAPS = 2
# --min_region default, in px: what is smaller is a speck (the corner between two strokes of a line, dust),
# not a shape of the drawing.
DEFAULT_MIN_REGION = 16
# Gap closing: a core (paper out of reach of every break) must get this many px deeper somewhere, or it is
# only the narrow tip of an acute corner, which would otherwise be split off its region.
CORE_DEPTH = 1


def luminance(drawing):
    """The drawing's luminance (ITU-R 601, as PIL's 'L'), uint8 height x width."""
    return cv2.cvtColor(np.ascontiguousarray(drawing), cv2.COLOR_RGB2GRAY)


def lightness(drawing):
    """How light each pixel of a grayscale, RGB or RGBA drawing is, uint8 height x width.

    The larger of the colour's luminance and the transparency (255 - alpha): a pixel is ink only where
    it is both dark and opaque. Laying a half-transparent line over white instead would lighten exactly
    the thin, faint line pixels whose ink the alpha carries, and break the line.
    """
    if drawing.ndim == 2:
        return drawing
    light = luminance(drawing[:, :, :3])
    if drawing.shape[2] == 4:
        np.maximum(light, 255 - drawing[:, :, 3], out=light)
    return light


def read_drawing(path):
    """The lightness of a drawing file (any PNG mode; transparency counts as paper, see `lightness`)."""
    image = open_image(path)
    transparent = "A" in image.getbands() or image.info.get("transparency") is not None
    return lightness(to_array(image, "RGBA" if transparent else "RGB"))


def spec_paper(light, margin=SPEC_IGNORED_MARGIN):
    """The spec paper mask of a drawing's lightness: binarised at SPEC_PAPER_ABOVE, with everything within
    `margin` px of the border counted as paper. A UserError when the margin leaves nothing of the drawing."""
    height, width = light.shape[:2]
    if 2 * margin >= min(height, width):
        raise UserError(f"the drawing is {width} x {height} px: a margin of {margin} px on each side leaves "
                        "nothing to colour; use a smaller --margin")
    paper = light > SPEC_PAPER_ABOVE
    paper[:margin] = True
    paper[height - margin:] = True
    paper[:, :margin] = True
    paper[:, width - margin:] = True
    return paper


def label_regions(paper):
    """(labels, region_count) of the 4-connected regions of a boolean paper mask; label 0 is line."""
    region_count, labels = cv2.connectedComponents(paper.astype(np.uint8), connectivity=4, ltype=cv2.CV_32S)
    return labels, region_count - 1


def label_borders(labels):
    """(a, b) label arrays, both ways round, for every pair of 4-adjacent pixels whose labels differ."""
    across = labels[:, :-1] != labels[:, 1:]
    down = labels[:-1] != labels[1:]
    first = np.concatenate([labels[:, :-1][across], labels[:-1][down]])
    second = np.concatenate([labels[:, 1:][across], labels[1:][down]])
    return np.concatenate([first, second]), np.concatenate([second, first])


def close_gaps(paper, width):
    """(labels, region_count) of the paper with breaks in the lines up to `width` px wide closed.

    1. Cores: the connected paper farther than (width + 1) / 2 px from any ink (a distance map). A break
       of up to `width` px has its middle nearer than that to the line ends on either side, so no core
       passes through it. Cores that get no CORE_DEPTH px deeper anywhere are dropped.
    2. The cores flood the paper around them, breadth first, all at once (a watershed), so two floods
       that meet in a break do so halfway. Pixels where two floods meet are line, coloured later like
       any line.
    3. A region of the drawing with no core at all (narrower than the break width everywhere) keeps
       its own label, as without gap closing.
    Every region of the result lies inside one region of the drawing, and every open area wider than
    `width` keeps all of its paper: only breaks and necks narrower than `width` become borders. What
    it cannot tell from a break: a cell narrower than about `width` + 4 px with a break of its own
    joins the cell behind the break.
    """
    paper_u8 = paper.astype(np.uint8)
    distance = cv2.distanceTransform(paper_u8, cv2.DIST_L2, cv2.DIST_MASK_5)
    reach = (width + 1) / 2
    cores, core_count = label_regions(distance > reach)
    dropped = np.bincount(cores[distance > reach + CORE_DEPTH], minlength=core_count + 1) == 0
    dropped[0] = False
    if dropped.any():
        cores[dropped[cores]] = 0
    # OpenCV's watershed floods first across the smallest steps of the image: from paper to paper
    # (step 0) breadth first, so floods meet halfway; across ink (step 255) only when no paper is left.
    # It marks the image's outermost pixels as borders, so it works on the image framed by 1 px of ink.
    ink = cv2.copyMakeBorder((1 - paper_u8) * np.uint8(255), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    labels = cv2.copyMakeBorder(cores, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.watershed(cv2.merge([ink, ink, ink]), labels)
    labels = labels[1:-1, 1:-1]
    labels[(labels < 0) | ~paper] = 0
    # The watershed also floods across ink into regions without a core: give those back their own label.
    regions, region_count = label_regions(paper)
    has_core = np.bincount(regions[cores > 0], minlength=region_count + 1) > 0
    has_core[0] = True
    coreless = np.flatnonzero(~has_core)
    if coreless.size:
        fresh = np.zeros(region_count + 1, labels.dtype)
        fresh[coreless] = core_count + 1 + np.arange(coreless.size)
        in_coreless = fresh[regions]
        labels = np.where(in_coreless > 0, in_coreless, labels)
    return labels, core_count + coreless.size


def absorb_small_regions(labels, filled, region_count, min_region):
    """(labels, filled) with every region under `min_region` px relabelled as the region it borders most.

    `filled` is `nearest_region(labels)`: a small region's border with a neighbour is measured there, as
    the pixel edges between the small region's share of the lines and the neighbour's. Only regions of
    at least `min_region` px take in others; a small region bordering none of them keeps its label.
    """
    sizes = np.bincount(labels.ravel(), minlength=region_count + 1)
    small = sizes < min_region
    small[0] = False
    if not small.any():
        return labels, filled
    first, second = label_borders(filled)
    across = small[first] & ~small[second]
    pairs, border = np.unique(first[across].astype(np.int64) * (region_count + 1) + second[across],
                              return_counts=True)
    small_label, neighbour = np.divmod(pairs, region_count + 1)
    # Sorted by border length, the last write for each small region is its longest border.
    order = np.argsort(border, kind="stable")
    relabel = np.arange(region_count + 1, dtype=labels.dtype)
    relabel[small_label[order]] = neighbour[order]
    return relabel[labels], relabel[filled]


def nearest_region(labels):
    """The labels with every line pixel given the label of the nearest region pixel.

    OpenCV's distance transform with a 5x5 mask (Euclidean distance within about 2 %) numbers every
    region pixel and tells each line pixel the number of its nearest one. On a 1024 px drawing it is four
    times faster than scipy's exact Euclidean transform and agrees with it on all but ~0.2 % of the
    pixels, near-ties between two regions.
    """
    _, nearest_pixel = cv2.distanceTransformWithLabels((labels == 0).astype(np.uint8), cv2.DIST_L2,
                                                       cv2.DIST_MASK_5, labelType=cv2.DIST_LABEL_PIXEL)
    region_pixels = np.flatnonzero(labels)
    label_of_pixel = np.zeros(region_pixels.size + 1, labels.dtype)
    label_of_pixel[nearest_pixel.ravel()[region_pixels]] = labels.ravel()[region_pixels]
    return label_of_pixel[nearest_pixel]


def find_regions(paper, close_gaps_px=0, min_region=0):
    """(labels, filled, region_count) of a boolean paper mask: the regions, and every pixel's region.

    `labels` has 0 for line pixels (drawn, or added by `close_gaps_px`); `filled` gives every pixel the
    label of the nearest region (`nearest_region`). A label may be unused (a core that gap closing
    dropped, a region that `min_region` merged into another); colour tables still have a row for it.
    Both options at 0 give the original's regions.
    """
    if close_gaps_px:
        labels, region_count = close_gaps(paper, close_gaps_px)
    else:
        labels, region_count = label_regions(paper)
    if region_count == 0:
        return labels, labels, 0
    filled = nearest_region(labels)
    if min_region:
        labels, filled = absorb_small_regions(labels, filled, region_count, min_region)
    return labels, filled, region_count
