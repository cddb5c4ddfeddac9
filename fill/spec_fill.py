"""Colour a folder of generated spec drawings (symmetric specimens), mirror-image shapes alike.

    python spec_fill.py ../gen/random --dir_out=spec_filled --blend --seed=7
    python spec_fill.py ../gen/random palette.png --dir_out=spec_filled

For each drawing (dark lines on light paper; RGB, or RGBA where transparent counts as paper):
1. binarise: lightness above 208 is paper, the rest is line (lightness as in blob_fill.py); lines
   within 32 px (--margin) of the border (bits of neighbouring specimens) are ignored; breaks in the
   lines up to --close_gaps px wide (default 2) are closed;
2. fill the shapes: the paper around the specimen (the region touching the border) and the region at
   the specimen's centre stay white; every other 4-connected region gets a random colour of the
   palette, and regions that are mirror images of each other about the specimen's vertical axis, its
   horizontal axis or both get the same one (matched by overlap, so the small asymmetries of a hand
   drawing do not matter); a region smaller than --min_region px (default 16) takes the colour of the
   region it borders most;
3. fill the lines in between: every line pixel takes the colour of the nearest region;
4. with --blend, soften the edges: every pixel becomes the mean of its 3x3 neighbourhood.
Without a palette image, a built-in palette of twelve colours is used. A drawing that is all line is
written unchanged, with a warning. Outputs are RGB PNGs named like the drawings in --dir_out (default:
out, as the original's), described by out.json beside it. Rerunning an interrupted command finishes it.
The work lives in drawing/fill/: regions.py, symmetry.py, colour.py, folder.py.
"""
import argparse
import sys
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, add_fill_options, non_negative_int, run
from drawing.fill.folder import regions_note, spec_fill
from drawing.fill.regions import SPEC_IGNORED_MARGIN


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", type=Path,
                        help="folder of drawings (PNG) to colour, e.g. ../gen/random")
    parser.add_argument("palette", type=Path, nargs="?", default=None,
                        help="optional image whose colours are used, e.g. palette.png "
                             "(default: a built-in palette of twelve colours)")
    parser.add_argument("--dir_out", type=Path, default=Path("out"),
                        help="output folder (default: %(default)s, as the original's), e.g. spec_filled; its "
                             "record is <dir_out>.json beside it")
    parser.add_argument("--margin", type=non_negative_int, default=SPEC_IGNORED_MARGIN,
                        help="lines within this many pixels of the border are ignored (default: %(default)s, "
                             "for 256 to 1024 px tiles), e.g. 8 for 64 px tiles")
    add_fill_options(parser)
    args = parser.parse_args()
    note = regions_note(args.close_gaps, args.min_region, args.blend)
    if note:
        print(note, file=sys.stderr)

    spec_fill(args.dir_in, args.palette, args.dir_out, seed=args.seed, margin=args.margin, blend=args.blend,
              close_gaps=args.close_gaps, min_region=args.min_region)
    print(f"coloured drawings in {args.dir_out}")


if __name__ == "__main__":
    run(main)
