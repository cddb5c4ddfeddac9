"""Make the README's picture of results, docs/img/results.png: a sample scan, drawings of the shipped demo
model, the same drawings coloured by fill/, and the model's pen-plotter drawing.

    python tools/readme_picture.py                 # writes docs/img/results.png
    python tools/readme_picture.py --out=/tmp/results.png

The scan is a crop of a generated blob page (drawing.data.samples); the drawings are
`gen/path.py demo/model random --count=16 --seed=<seed>`, coloured by
`fill/blob_fill.py ... palette.png --seed=<seed>`, each script run from its own folder as a user types it;
the plotter drawing is docs/img/svg_pens.png (`gen/svg.py ../demo/model --pens=black,#1a2b8c,#c03020
--seed=3`). Panels are PANEL px square, in one row, each with its caption below.
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
PANEL = 256
GAP = 12
CAPTION = 26
PAPER = (255, 255, 255)
INK = (60, 60, 60)


def run(stage, *args):
    """A stage script from its own folder; its output is the user's business, a failure stops the tool."""
    subprocess.run([sys.executable, *map(str, args)], cwd=REPO / stage, check=True, stdout=subprocess.DEVNULL)


def scan_panel(seed):
    """A 2 x 2 in crop of a 300 DPI sample blob page, shrunk to the panel."""
    from drawing.data.samples import blob_page
    page = blob_page(dpi=300, width_in=6, height_in=4, seed=seed)
    top, left = page.shape[0] // 2 - 300, page.shape[1] // 2 - 300
    crop = Image.fromarray(page[top:top + 600, left:left + 600]).convert("RGB")
    return crop.resize((PANEL, PANEL), Image.LANCZOS)


def grid_panel(folder):
    """The 16 PNGs of a folder, 4 x 4, a thin white line apart."""
    files = sorted(folder.glob("*.png"), key=lambda p: int(p.stem))[:16]
    line = 2
    cell = (PANEL - 3 * line) // 4
    panel = Image.new("RGB", (PANEL, PANEL), PAPER)
    for i, file in enumerate(files):
        image = Image.open(file).convert("RGB").resize((cell, cell), Image.LANCZOS)
        panel.paste(image, ((i % 4) * (cell + line), (i // 4) * (cell + line)))
    return panel


def plotter_panel():
    return Image.open(REPO / "docs/img/svg_pens.png").convert("RGB").resize((PANEL, PANEL), Image.LANCZOS)


def compose(panels):
    """Panels in a row with their captions below, on white."""
    width = len(panels) * PANEL + (len(panels) - 1) * GAP
    picture = Image.new("RGB", (width, PANEL + CAPTION), PAPER)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=14)
    for i, (caption, image) in enumerate(panels):
        x = i * (PANEL + GAP)
        picture.paste(image, (x, 0))
        text_width = draw.textlength(caption, font=font)
        draw.text((x + (PANEL - text_width) / 2, PANEL + 6), caption, fill=INK, font=font)
    return picture


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs/img/results.png", help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=1, help="seed of the scan, drawings and colours (%(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        frames, filled = Path(folder) / "frames", Path(folder) / "filled"
        run("gen", "path.py", REPO / "demo/model", "random", f"--dir_out={frames}", "--count=16", f"--seed={args.seed}")
        drawings = next(p for p in (frames / "random_c16").iterdir() if p.is_dir())
        run("fill", "blob_fill.py", drawings, "palette.png", f"--dir_out={filled}", f"--seed={args.seed}")
        picture = compose([("a scan", scan_panel(args.seed)),
                           ("the model's drawings", grid_panel(drawings)),
                           ("coloured by fill/", grid_panel(filled)),
                           ("a plotter drawing", plotter_panel())])
    picture.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
