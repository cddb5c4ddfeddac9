"""Draw docs/img/blob_resample.png: one blob tile cut both ways, `--resample=bilinear` and `nearest`.

    python tools/resample_picture.py            # writes docs/img/blob_resample.png, prints each tile's bytes

The tile is cut from a generated 300 DPI blob page (seed 2) at the same centre and angle both ways, as
blob_tile.py cuts it; under each, a stretch of it four times enlarged (each pixel a 4 x 4 block) shows
how the lines are drawn: smooth edges from interpolated in-between colours, or stair steps of the scan's
own pixels.
"""
import argparse
from pathlib import Path

import cv2
import numpy as np

from drawing.data.blob_tiles import RESAMPLING, cut_tile
from drawing.data.samples import blob_page
from drawing.images import FAST_PNG, encode_png, write_png

REPO = Path(__file__).resolve().parents[1]
RESOLUTION = 256
CENTRE = (1500, 1100)
ANGLE = 33.0
ZOOM = 4
DETAIL = (slice(96, 160), slice(64, 128))   # rows, columns of the tile shown enlarged
GAP = 12


def labelled(image, text):
    """The image with a white strip above it holding `text`."""
    strip = np.full((28, image.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (4, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([strip, image])


def column(tile, resample):
    """A tile, and the stretch DETAIL of it enlarged, one above the other, labelled."""
    detail = cv2.resize(tile[DETAIL], None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)
    size = len(encode_png(tile, **FAST_PNG))
    colours = len(np.unique(tile.reshape(-1, 3), axis=0))
    top = labelled(tile, f"{resample}: {size / 1e3:.0f} KB, {colours} colours")
    bottom = labelled(detail, f"{ZOOM} x enlarged")
    width = max(top.shape[1], bottom.shape[1])
    pad = [np.full((part.shape[0], width - part.shape[1], 3), 255, np.uint8) for part in (top, bottom)]
    gap = np.full((GAP, width, 3), 255, np.uint8)
    return np.vstack([np.hstack([top, pad[0]]), gap, np.hstack([bottom, pad[1]])]), size, colours


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "blob_resample.png",
                        help="the picture to write (default: %(default)s)")
    options = parser.parse_args()
    page = blob_page(dpi=300, width_in=8, height_in=6, seed=2)
    columns = []
    for resample in RESAMPLING:
        picture, size, colours = column(cut_tile(page, CENTRE, ANGLE, False, RESOLUTION, resample), resample)
        columns += [picture, np.full((picture.shape[0], GAP, 3), 255, np.uint8)]
        print(f"{resample}: {size} bytes, {colours} colours")
    write_png(options.out, np.hstack(columns[:-1]))
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
