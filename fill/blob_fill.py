"""Colour a folder of generated blob drawings with the colours of a palette image: a new synthetic dataset.

    python blob_fill.py ../gen/random palette.png --dir_out=blob_filled --overlay --blend --seed=7

For each drawing (dark lines on light paper, RGB or RGBA):
1. binarise: luminance above 160 is paper, the rest is line;
2. fill the shapes: every 4-connected region of paper gets one colour, a random pixel of the palette
   (so colours come in the palette's proportions), or with --overlay the mean of the palette's pixels
   under the region (the palette is resized to the drawing when their sizes differ);
3. fill the lines in between: every line pixel takes the colour of the nearest region;
4. with --blend, soften the edges: every pixel becomes the mean of its 3x3 neighbourhood.
A drawing that is all line is written unchanged, with a warning. Outputs are RGB PNGs named like the
drawings, plus fill.json with the options and the seed. The work lives in drawing/fill.py.
"""
import argparse
import functools
from pathlib import Path

from drawing.cli import run
from drawing.fill import colour_blob, fill_folder, fit_palette, load_palette, palette_pixels


def colour_drawing(palette_path, overlay, drawing, rng):
    """The blob fill of one drawing with the palette at `palette_path` (None when it has no paper)."""
    palette = load_palette(palette_path)
    if overlay:
        return colour_blob(drawing, fit_palette(palette, drawing.shape), rng, overlay=True)
    return colour_blob(drawing, palette_pixels(palette), rng)


def describe_resized_palette(palette_shape, drawing_shapes):
    """The note saying that --overlay resized the palette, or None when every drawing has its size."""
    resized = sorted({shape for shape in drawing_shapes if shape != palette_shape[:2]})
    if not resized:
        return None
    sizes = ", ".join(f"{width}x{height}" for height, width in resized)
    return (f"note: the palette is {palette_shape[1]}x{palette_shape[0]}; for --overlay it was resized "
            f"to the drawings' size ({sizes})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", type=Path,
                        help="folder of drawings (PNG) to colour, e.g. ../gen/random")
    parser.add_argument("palette", type=Path,
                        help="image whose colours are used, e.g. palette.png (any size; any PNG or JPEG)")
    parser.add_argument("--dir_out", type=Path, default=None,
                        help="output folder (default: <dir_in>_blob_fill beside the input), e.g. blob_filled")
    parser.add_argument("--overlay", action="store_true",
                        help="pick each region's colour by location: the mean of the palette under it, "
                             "instead of a random palette pixel")
    parser.add_argument("--blend", action="store_true",
                        help="soften region edges: every pixel becomes the mean of its 3x3 neighbourhood")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the random colours, e.g. 7 (default: a new one, recorded in fill.json)")
    args = parser.parse_args()
    dir_out = args.dir_out or args.dir_in.parent / f"{args.dir_in.name}_blob_fill"

    # Read before anything is written, so a bad palette stops the run; the workers inherit it.
    palette = load_palette(args.palette)
    settings = {"script": "blob_fill.py", "palette": str(args.palette), "overlay": args.overlay}
    results = fill_folder(functools.partial(colour_drawing, args.palette, args.overlay), args.dir_in, dir_out,
                          args.seed, args.blend, settings, desc="blob fill")
    if args.overlay:
        note = describe_resized_palette(palette.shape, [result[1] for result in results])
        if note:
            print(note)
    print(f"coloured drawings in {dir_out}")


if __name__ == "__main__":
    run(main)
