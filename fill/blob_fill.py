"""Colour a folder of generated blob drawings with the colours of a palette image: a new synthetic dataset.

    python blob_fill.py ../gen/random palette.png --dir_out=blob_filled --overlay --blend --seed=7

For each drawing (dark lines on light paper; RGB, or RGBA where transparent counts as paper):
1. binarise: lightness above 160 is paper, the rest is line (lightness: the larger of the colour's
   luminance and 255 minus the alpha, so a line's ink may be in its colour, its alpha or both);
2. close breaks in the lines up to --close_gaps px wide (default 2), so a cell with a small gap in its
   outline stays one region; two regions are never merged, and what separates them is line;
3. fill the shapes: every 4-connected region of paper gets one colour, a random pixel of the palette
   (so colours come in the palette's proportions), or with --overlay the mean of the palette's pixels
   under the region (the palette is resized to the drawing when their sizes differ); a region smaller
   than --min_region px (default 16: specks between strokes, dust) takes the colour of the region it
   borders most;
4. fill the lines in between: every line pixel takes the colour of the nearest region;
5. with --blend, soften the edges: every pixel becomes the mean of its 3x3 neighbourhood.
A drawing that is all line is written unchanged, with a warning. Outputs are RGB PNGs named like the
drawings in --dir_out (default: out, as the original's), described by out.json beside it: the command,
options and seed, and whether every drawing was written. Rerunning an interrupted command finishes it.
The work lives in drawing/fill/: regions.py, colour.py, folder.py.
"""
import argparse
import sys
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, add_fill_options, run
from drawing.fill.folder import blob_fill, regions_note


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", type=Path,
                        help="folder of drawings (PNG) to colour, e.g. ../gen/random")
    parser.add_argument("palette", type=Path,
                        help="image whose colours are used, e.g. palette.png (any size; any PNG or JPEG)")
    parser.add_argument("--dir_out", type=Path, default=Path("out"),
                        help="output folder (default: %(default)s, as the original's), e.g. blob_filled; its "
                             "record is <dir_out>.json beside it")
    parser.add_argument("--overlay", action="store_true",
                        help="pick each region's colour by location: the mean of the palette under it, "
                             "instead of a random palette pixel")
    add_fill_options(parser)
    args = parser.parse_args()
    note = regions_note(args.close_gaps, args.min_region, args.blend)
    if note:
        print(note, file=sys.stderr)

    blob_fill(args.dir_in, args.palette, args.dir_out, seed=args.seed, overlay=args.overlay, blend=args.blend,
              close_gaps=args.close_gaps, min_region=args.min_region)
    print(f"coloured drawings in {args.dir_out}")


if __name__ == "__main__":
    run(main)
