"""Generate synthetic scans to try the pipeline on: spec pages or blob pages, as RGB PNG at a given DPI.

Spec pages are letter-size (8.5 x 11 in) with 6 x 6 mirror-symmetric specimens on a rough grid, a few
specks of dust and the dark scanner bed around the paper; blob pages are one continuous mass of closed
cells (16 x 11 in unless told otherwise). Pages are written as `<dir_out>/0.png`, `1.png`, ... (the
original scripts open scans by index), with their DPI in the PNG, and `<dir_out>.json` beside the folder
records the options and the seed of each page, so the same pages can be made again. A folder that
holds anything but this script's own earlier pages is refused: real scans are never replaced.

Example:
    cd data
    python sample_scans.py scans --style spec --dpi 300 --pages 2 --seed 0
    python spec_tile.py scans 256 --dir_out=tile --dir_out_grid=grid
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_int, run
from drawing.data.samples import page_seed, write_sample_pages
from drawing.errors import UserError
from drawing.folders import command_line, open_output_folder, write_record
from drawing.images import SCAN_DPIS


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_out", help="folder for the pages, created if needed, e.g. scans")
    parser.add_argument("--style", choices=("spec", "blob"), default="spec",
                        help="spec: letter pages of symmetric specimens on a rough grid; "
                             "blob: one continuous mass of cells (default: %(default)s), e.g. --style blob")
    parser.add_argument("--dpi", type=int, default=300,
                        help="scan resolution, 300, 600 or 1200 (default: %(default)s), e.g. --dpi 600")
    parser.add_argument("--pages", type=int, default=2, help="how many pages (default: %(default)s), e.g. --pages 40")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the random drawing; the same seed makes the same pages "
                             "(default: %(default)s), e.g. --seed 7")
    parser.add_argument("--width_in", type=float, default=16.0,
                        help="blob pages only: paper width in inches (default: %(default)s), e.g. --width_in 8")
    parser.add_argument("--height_in", type=float, default=11.0,
                        help="blob pages only: paper height in inches (default: %(default)s), e.g. --height_in 6")
    args = parser.parse_args()
    if args.dpi not in SCAN_DPIS:
        raise UserError(f"--dpi {args.dpi}: scans are made at 300, 600 or 1200 DPI")
    if args.pages < 1:
        raise UserError(f"--pages {args.pages}: need at least one page")
    if args.style == "blob" and not (2 <= args.width_in <= 48 and 2 <= args.height_in <= 48):
        raise UserError(f"--width_in {args.width_in} --height_in {args.height_in}: "
                        "blob pages are 2 to 48 inches a side")

    options = {"style": args.style, "dpi": args.dpi, "pages": args.pages, "seed": args.seed}
    if args.style == "blob":
        options.update(width_in=args.width_in, height_in=args.height_in)
    else:
        options.update(width_in=8.5, height_in=11.0)
    # Not the number of pages: a rerun writes every page again and removes those beyond it.
    settings = {key: value for key, value in options.items() if key != "pages"}
    previous = open_output_folder(args.dir_out, "sample_scans.py", settings=settings)
    dir_out = Path(args.dir_out)
    numbers = range(args.pages)
    record = dict(options, stage="sample_scans.py", command=command_line(),
                  page_seeds={f"{number}.png": page_seed(args.seed, number) for number in numbers})
    write_record(dir_out, record, complete=False)
    write_sample_pages(dir_out, args.pages, args.style, args.dpi, args.seed, options["width_in"], options["height_in"])
    for name in previous.get("page_seeds", {}):
        if name not in record["page_seeds"] and (dir_out / name).is_file():
            (dir_out / name).unlink()  # a page of an earlier, longer run of this script
    write_record(dir_out, record, complete=True)
    print(f"wrote {args.pages} {args.style} pages at {args.dpi} DPI to {dir_out}")


if __name__ == "__main__":
    run(main)
