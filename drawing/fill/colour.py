"""Colouring line drawings: regions of paper, a colour for each, and lines coloured like their nearest region.

Used by fill/blob_fill.py and fill/spec_fill.py. A drawing arrives as its lightness (`lightness`): a
pixel is paper where its colour is light *or* where it is transparent, so an opaque drawing, the same
drawing with its ink also in the alpha channel, and rgba.py's flat colour with ink only in the alpha all
give the same regions. Its paper is cut into regions (4-connected, so two regions touching only at a
corner stay apart) and `labels` numbers them: 0 for line pixels, 1..region_count for the regions.
Colours are a (region_count + 1) x 3 uint8 table indexed by label, so painting is one lookup.

`find_regions` does the cutting, in order:
1. with `close_gaps_px`, breaks in the lines up to that many pixels wide are closed first (`close_gaps`):
   the paper out of reach of every such break (cores, from a distance map) floods the rest of the
   paper breadth first, and where two floods meet, halfway through a break, is line. Line is only
   ever added, so two regions never merge, and an open area wider than the breaks keeps its paper;
2. with `min_region`, regions smaller than that many pixels (bits between two strokes of one line,
   dust) join the region they border most (`absorb_small_regions`).
Then every line pixel, drawn or added, takes the label of the nearest region, so no line is left.

- blob: every region takes a random pixel of the palette (colours come in the palette's proportions),
  or, with overlay, the mean of the palette's pixels under it.
- spec: the margin is ignored, the paper around the specimen and the region at its centre stay white,
  and regions that are mirror images of each other (about the vertical axis, the horizontal axis or
  both) share a colour. Mirror images are matched by overlap, so a hand-drawn asymmetry of a few pixels
  does not split a pair.

`fill_folder` runs a fill over a folder on every core. Its output folder holds one RGB PNG per drawing,
named like the drawing; the record beside it (`out/` -> `out.json`, drawing/folders.py) holds the
script, command, input folder, palette, options and the original, and says `"complete": true` only once
every drawing is written. Each drawing's random generator is seeded by (seed, file name), so a colouring
does not depend on the other files of the folder or on the number of cores, and an interrupted run
finishes, by rerunning its command, to what an uninterrupted one writes.
"""
import functools
import logging
import secrets
import zlib
from pathlib import Path

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from drawing.cli import non_negative_int
from drawing.errors import UserError
from drawing.files import check_writable_folder, list_images, write_errors_reported
from drawing.fill.blend import blend_cpu
from drawing.folders import command_line, open_output_folder, record_path, require_complete, write_record
from drawing.images import FAST_PNG, open_image, read_image, to_array, write_png
from drawing.parallel import parallel_map, report_failures

log = logging.getLogger(__name__)

BLOB_PAPER_ABOVE = 160
SPEC_PAPER_ABOVE = 208
# Spec tiles carry bits of the neighbouring specimens and the grid near their edges.
SPEC_IGNORED_MARGIN = 32
# Two regions are mirror images when the mirrored one covers the other with intersection over union
# above this. Above 0.5 a region can have at most one partner per mirror, so groups never chain by accident.
MIRROR_MATCH_IOU = 0.5
WHITE = (255, 255, 255)
# --close-gaps default, in px: breaks of 1-2 px (a faint pixel or two of a generated line) are the common
# ones; on the sample drawings closing them costs almost nothing (README, fill: how the defaults were chosen).
DEFAULT_CLOSE_GAPS = 2
# --min-region default, in px: what is smaller is a speck (the corner between two strokes of a line, dust),
# not a shape of the drawing.
DEFAULT_MIN_REGION = 16
# Gap closing: a core (paper out of reach of every break) must get this many px deeper somewhere, or it is
# only the narrow tip of an acute corner, which would otherwise be split off its region.
CORE_DEPTH = 1
# spec_fill.py's colours when it is given no palette image: muted inks and washes.
BUILTIN_PALETTE = np.array([
    (0xc4, 0x4d, 0x3a), (0xe0, 0x8e, 0x45), (0xf2, 0xc1, 0x4e), (0x8c, 0xa6, 0x5b), (0x3f, 0x7f, 0x6e),
    (0x4a, 0x90, 0xb8), (0x2d, 0x4e, 0x8a), (0x7d, 0x5b, 0xa6), (0xc0, 0x6c, 0x9a), (0x9b, 0x6a, 0x4f),
    (0xd9, 0xb8, 0x9c), (0x5e, 0x5e, 0x72),
], dtype=np.uint8)


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


def palette_pixels(palette):
    """Every pixel of a palette image as a pixel_count x 3 table; random picks from it follow its proportions."""
    return np.ascontiguousarray(palette).reshape(-1, 3)


def random_region_colours(region_count, pixels, rng):
    """A colour table giving each region a random pixel of the palette (row 0, the lines, black)."""
    colours = np.zeros((region_count + 1, 3), np.uint8)
    colours[1:] = pixels[rng.integers(0, len(pixels), region_count)]
    return colours


def fit_palette(palette, shape):
    """The palette resized to a drawing's height x width (area averaging when shrinking)."""
    height, width = shape[:2]
    if palette.shape[:2] == (height, width):
        return palette
    shrinking = palette.shape[0] * palette.shape[1] > height * width
    return cv2.resize(palette, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def overlay_region_colours(labels, region_count, palette):
    """A colour table giving each region the mean (rounded) of the palette's pixels under it.

    `palette` has the drawing's height and width (see `fit_palette`).
    """
    flat_labels = labels.ravel()
    sizes = np.bincount(flat_labels, minlength=region_count + 1)
    channel_sums = np.stack([np.bincount(flat_labels, weights=palette[:, :, channel].ravel(),
                                         minlength=region_count + 1) for channel in range(3)], axis=1)
    means = np.rint(channel_sums / np.maximum(sizes, 1)[:, np.newaxis])
    colours = means.astype(np.uint8)
    colours[0] = 0
    return colours


def paint(labels, colours):
    """The RGB image of a label array coloured by a colour table."""
    return np.take(colours, labels, axis=0)


def colour_blob(light, palette, rng, overlay=False, close_gaps_px=0, min_region=0):
    """The blob fill of a drawing given by its lightness (`lightness`), or None when it has no paper at all.

    Without overlay, `palette` is a pixel table (`palette_pixels`); with overlay, an image of the
    drawing's size (`fit_palette`). `close_gaps_px` and `min_region` as for `find_regions`.
    """
    labels, filled, region_count = find_regions(light > BLOB_PAPER_ABOVE, close_gaps_px, min_region)
    if region_count == 0:
        return None
    if overlay:
        colours = overlay_region_colours(labels, region_count, palette)
    else:
        colours = random_region_colours(region_count, palette, rng)
    return paint(filled, colours)


def spec_paper(light, margin=SPEC_IGNORED_MARGIN):
    """The spec paper mask of a drawing's lightness: binarised at SPEC_PAPER_ABOVE, with everything within
    `margin` px of the border counted as paper. A UserError when the margin leaves nothing of the drawing."""
    height, width = light.shape[:2]
    if 2 * margin >= min(height, width):
        raise UserError(f"the drawing is {width}x{height} px: a margin of {margin} px on each side leaves "
                        "nothing to colour; use a smaller --margin")
    paper = light > SPEC_PAPER_ABOVE
    paper[:margin] = True
    paper[height - margin:] = True
    paper[:, :margin] = True
    paper[:, width - margin:] = True
    return paper


def specimen_bounds(labels, outside):
    """(top + bottom, left + right) of the specimen's bounding box: twice its centre, where its axes cross.

    The specimen is everything but the `outside` regions; a tile with none has its centre in the middle.
    """
    specimen = ~np.isin(labels, outside)
    rows = np.flatnonzero(specimen.any(axis=1))
    columns = np.flatnonzero(specimen.any(axis=0))
    if rows.size == 0:
        return labels.shape[0] - 1, labels.shape[1] - 1
    return rows[0] + rows[-1], columns[0] + columns[-1]


def mirror(labels, axis, twice_centre):
    """The labels mirrored about the line at `twice_centre / 2` along `axis`; what falls outside is 0."""
    length = labels.shape[axis]
    source = twice_centre - np.arange(length)
    inside = (source >= 0) & (source < length)
    mirrored = np.take(labels, np.clip(source, 0, length - 1), axis=axis)
    outside_shape = [1, 1]
    outside_shape[axis] = length
    return np.where(inside.reshape(outside_shape), mirrored, 0)


def mirror_matches(labels, mirrored, region_count):
    """(first, second) label pairs of regions whose mirror images cover each other with IoU > MIRROR_MATCH_IOU."""
    both = (labels > 0) & (mirrored > 0) & (labels != mirrored)
    size = region_count + 1
    # overlap[i] is how many pixels of region first[i] lie under the mirror image of region second[i].
    pairs, overlap = np.unique(labels[both].astype(np.int64) * size + mirrored[both], return_counts=True)
    first, second = np.divmod(pairs, size)
    sizes = np.bincount(labels.ravel(), minlength=size)
    matched = overlap > MIRROR_MATCH_IOU * (sizes[first] + sizes[second] - overlap)
    return first[matched], second[matched]


def mirror_groups(labels, region_count, twice_centre):
    """A group number per label: regions that are mirror images of each other share one.

    Mirrors about the vertical axis, the horizontal axis and both (a half turn) through the point
    `twice_centre / 2` (row, column) are all matched; the groups are the connected sets of matches.
    """
    twice_row_centre, twice_column_centre = twice_centre
    flipped_left_right = mirror(labels, 1, twice_column_centre)
    flipped_up_down = mirror(labels, 0, twice_row_centre)
    turned = mirror(flipped_left_right, 0, twice_row_centre)
    pairs = [mirror_matches(labels, mirrored, region_count)
             for mirrored in (flipped_left_right, flipped_up_down, turned)]
    first = np.concatenate([pair[0] for pair in pairs])
    second = np.concatenate([pair[1] for pair in pairs])
    size = region_count + 1
    graph = sparse.coo_matrix((np.ones(first.size, np.int8), (first, second)), shape=(size, size))
    _, groups = csgraph.connected_components(graph, directed=False)
    return groups


def border_labels(labels):
    """The regions touching the border: for a spec tile, the paper around the specimen."""
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.unique(border[border > 0])


def colour_spec(light, pixels, rng, margin=SPEC_IGNORED_MARGIN, close_gaps_px=0, min_region=0):
    """The spec fill of a drawing's lightness with colours drawn from a pixel table, or None when it has no paper.

    Lines within `margin` px of the border are ignored. Left white: the paper around the specimen and the
    region at the specimen's centre (the nearest one when a line crosses the centre). `close_gaps_px` and
    `min_region` as for `find_regions`.
    """
    labels, filled_labels, region_count = find_regions(spec_paper(light, margin), close_gaps_px, min_region)
    if region_count == 0:
        return None
    outside = border_labels(labels)
    twice_centre = specimen_bounds(labels, outside)
    centre = filled_labels[twice_centre[0] // 2, twice_centre[1] // 2]
    groups = mirror_groups(labels, region_count, twice_centre)
    group_colours = pixels[rng.integers(0, len(pixels), groups.max() + 1)]
    group_colours[np.unique(groups[np.append(outside, centre)])] = WHITE
    return paint(filled_labels, group_colours[groups])


def add_region_options(parser):
    """The options of `find_regions` for a fill script: --close-gaps and --min-region."""
    parser.add_argument("--close-gaps", "--close_gaps", type=non_negative_int, default=DEFAULT_CLOSE_GAPS,
                        metavar="PX",
                        help="close breaks in the lines up to PX pixels wide before the regions are found, "
                             "so a cell with a small gap stays one region (default: %(default)s; 0 keeps "
                             "the original's regions exactly), e.g. 4 for faint generated lines")
    parser.add_argument("--min-region", "--min_region", type=non_negative_int, default=DEFAULT_MIN_REGION,
                        metavar="PX2",
                        help="regions of paper smaller than PX2 pixels (specks between strokes, dust) take "
                             "the colour of the region they border most (default: %(default)s; 0 keeps "
                             "every region)")


# The original's CPU --blend (blob_fill.py's; spec_fill.py's stopped at an error) wrote each mean back at
# once, so later pixels averaged neighbours already blended, and counted pixels outside the image as the
# centre one; its blend.cu, like ours on CPU and GPU, averages the unblended pixels inside the image.
BLEND_NOTE = ("--blend averages each pixel's unblended 3x3 neighbours inside the image, as the original's "
              "blend.cu and blend.py (the original's CPU --blend averaged in place, in scan order)")


def regions_note(close_gaps, min_region, blend=False):
    """A line saying how the regions (and the blend) differ from the original's, where they do (so no
    difference is silent)."""
    changes = []
    if close_gaps:
        changes.append(f"line breaks up to {close_gaps} px are closed")
    if min_region:
        changes.append(f"specks under {min_region} px are merged into their neighbours")
    parts = []
    if changes:
        parts.append(f"{' and '.join(changes)}; --close-gaps=0 --min-region=0 gives the original's regions exactly")
    if blend:
        parts.append(BLEND_NOTE)
    return f"note: {'; '.join(parts)}" if parts else None


@functools.lru_cache(maxsize=4)
def load_palette(path):
    """A palette image as RGB, read once per process (worker processes forked later share the parent's).

    Transparent pixels are laid on white; a palette that is transparent everywhere is a UserError, as it
    would only ever give white.
    """
    image = open_image(path)
    if "A" in image.getbands() or image.info.get("transparency") is not None:
        alpha = to_array(image, "RGBA")[:, :, 3]
        if not alpha.any():
            raise UserError(f"{path}: the palette is fully transparent, so it has no colours to give "
                            "(every fill would be white); use an image with visible colours")
    palette = to_array(image, "RGB")
    palette.flags.writeable = False
    return palette


def drawing_rng(seed, name):
    """The random generator of one drawing: the same for the same seed and file name, whatever the folder."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def fill_file(colour, dir_out, seed, blend, keep_written, path):
    """Colour one drawing file into `dir_out`; (outcome, drawing height x width or None) for the report.

    A drawing with no paper at all is written unchanged (outcome 'all line'); one whose every region
    came out white is written so, but reported (outcome 'all white'). With `keep_written`, a drawing
    already written (by the interrupted run being finished) is left as it is (outcome 'kept').
    """
    target = Path(dir_out) / path.name
    if keep_written and target.is_file():
        return "kept", None
    light = read_drawing(path)
    coloured = colour(light, drawing_rng(seed, path.name))
    outcome = "coloured"
    if coloured is None:
        coloured, outcome = read_image(path, "RGB"), "all line"
    elif (coloured == 255).all():
        outcome = "all white"
    elif blend:
        coloured = blend_cpu(coloured)
    with write_errors_reported(target):
        write_png(target, coloured, **FAST_PNG)
    return outcome, light.shape


def open_fill_output(dir_out, stage, inputs, settings):
    """`open_output_folder` for a fill (the rerun rule for `settings`), after checking that the folder and
    the place of its record can be written (one line naming the folder, before any work, if not)."""
    for folder in (dir_out, record_path(dir_out).parent):
        check_writable_folder(folder)
    return open_output_folder(dir_out, stage, inputs=inputs, settings=settings)


def fill_folder(colour, dir_in, dir_out, seed, settings, desc, inputs=()):
    """Run `colour(lightness, rng)` (an RGB image, or None for no paper) over every PNG of `dir_in`.

    `settings` holds "stage" (the script's name), "blend" and the fill's options. The record beside
    `dir_out` (`out/` -> `out.json`) holds them with the input, the command and the original, and is marked
    complete only once every drawing is written, on every core. A rerun into a folder holding drawings
    must have the same input and settings (drawing/folders.py's rerun rule), the seed included; without
    a seed (None) it takes the recorded one. It finishes an interrupted run, keeping the drawings already
    written, or redoes a finished one. `inputs` are further files the output must
    not overlap (the palette). A drawing that fails is reported at the end, after the others are done;
    the results are `fill_file`'s. `colour` must be picklable: a module-level function or a partial of one.
    """
    drawings = list_images(dir_in)
    require_complete(dir_in)
    settings = dict(settings, input=Path(dir_in))
    rerun_settings = settings if seed is None else dict(settings, seed=seed)
    earlier = open_fill_output(dir_out, settings["stage"], [dir_in, *inputs], rerun_settings)
    resuming = earlier.get("complete") is False
    if earlier.get("seed") is not None:
        seed = earlier["seed"]
    elif seed is None:
        seed = secrets.randbelow(2 ** 32)
    record = dict(settings, command=command_line(), seed=seed)
    write_record(dir_out, record, complete=False)
    log.info(f"{len(drawings)} drawings, seed {seed} (recorded in {record_path(dir_out)})"
             + (", finishing the interrupted run" if resuming else ""))
    results = parallel_map(functools.partial(fill_file, colour, dir_out, seed, settings["blend"], resuming),
                           drawings, desc=desc, unit="drawing", keep_going=True)
    for path, result in zip(drawings, results):
        if isinstance(result, tuple) and result[0] == "all line":
            log.warning(f"{path}: the drawing is all line (no paper above the threshold); written unchanged")
        elif isinstance(result, tuple) and result[0] == "all white":
            log.warning(f"{path}: every region came out white (a spec fill leaves the paper around the "
                        "specimen and its centre white: is this a spec drawing with closed shapes?); written all white")
    report_failures(results, what="drawing")
    write_record(dir_out, record, complete=True)
    return results
