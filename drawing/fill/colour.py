"""Colours for the regions of a drawing (drawing/fill/regions.py): palettes, and the blob and spec colourings.

Colours are a (region_count + 1) x 3 uint8 table indexed by label, so painting is one lookup.

- blob: every region takes a random pixel of the palette (colours come in the palette's proportions),
  or, with overlay, the mean of the palette's pixels under it.
- spec: the margin is ignored, the paper around the specimen and the region at its centre stay white,
  and regions that are mirror images of each other (drawing/fill/symmetry.py) share a colour.
"""
import functools

import cv2
import numpy as np

from drawing.errors import UserError
from drawing.fill.regions import BLOB_PAPER_ABOVE, SPEC_IGNORED_MARGIN, find_regions, spec_paper
from drawing.fill.symmetry import border_labels, mirror_groups, specimen_bounds
from drawing.images import open_image, to_array

WHITE = (255, 255, 255)
# spec_fill.py's colours when it is given no palette image: muted inks and washes.
BUILTIN_PALETTE = np.array([
    (0xc4, 0x4d, 0x3a), (0xe0, 0x8e, 0x45), (0xf2, 0xc1, 0x4e), (0x8c, 0xa6, 0x5b), (0x3f, 0x7f, 0x6e),
    (0x4a, 0x90, 0xb8), (0x2d, 0x4e, 0x8a), (0x7d, 0x5b, 0xa6), (0xc0, 0x6c, 0x9a), (0x9b, 0x6a, 0x4f),
    (0xd9, 0xb8, 0x9c), (0x5e, 0x5e, 0x72),
], dtype=np.uint8)


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



def colour_blob_with_palette_file(palette_path, overlay, regions, light, rng):
    """The blob fill of one drawing's lightness with the palette at `palette_path` (None when it has no
    paper); `regions` holds find_regions' options (close_gaps_px, min_region). Picklable as a partial."""
    palette = load_palette(palette_path)
    if overlay:
        return colour_blob(light, fit_palette(palette, light.shape), rng, overlay=True, **regions)
    return colour_blob(light, palette_pixels(palette), rng, **regions)


def colour_spec_with_palette_file(palette_path, margin, regions, light, rng):
    """The spec fill of one drawing's lightness with the palette at `palette_path`, or the built-in one
    for None; `regions` holds find_regions' options (close_gaps_px, min_region). Picklable as a partial."""
    pixels = BUILTIN_PALETTE if palette_path is None else palette_pixels(load_palette(palette_path))
    return colour_spec(light, pixels, rng, margin, **regions)
