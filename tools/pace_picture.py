"""Make docs/pace.md's picture, docs/img/pace_latent_even.png: one bezier loop of the demo's model at the
latent and at the even pace, the frames of the stretch holding its largest jump and the motion plot.

    python tools/pace_picture.py                 # writes docs/img/pace_latent_even.png
    python tools/pace_picture.py --out=/tmp/pace.png

The loop is `gen/path.py ../demo/model bezier --segments 8 --frames 64 --seed=<seed>` at `--pace=latent`
and at `--pace=even`, measured by `gen/motion.py` (each script run from its own folder as a user types
it). Top: the latent pace's frames around its largest step, each with the change of the step into it
(grey levels); below them, every frame of the even pace on the same stretch of the loop: where the
latent pace jumps, the even pace puts its frames, so the jump becomes a movement. Bottom: both
animations' change per step (`motion.py --compare`).
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
BEFORE, AFTER = 2, 5         # latent frames shown before and after the largest step
PER_ROW = 16                 # frames in a row; the even pace's wrap onto more rows
THUMB = 64
GAP = 4
LABEL = 170
CAPTION = 16
PAPER = (255, 255, 255)
INK = (60, 60, 60)


def run(stage, *args):
    """A stage script from its own folder; a failure stops the tool."""
    subprocess.run([sys.executable, *map(str, args)], cwd=REPO / stage, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def only_run(folder):
    (run_dir,) = [path for path in folder.glob("*/*") if path.is_dir()]
    return run_dir


def changes_of(run_dir):
    """Every step's change of a run, as motion.py writes them beside it."""
    run("gen", "motion.py", run_dir)
    return np.array(json.loads(run_dir.with_name(run_dir.name + "_motion.json").read_text())["changes"])


def strips(run_dir, indices, changes, label, font):
    """Rows of PER_ROW frames of `indices`, the change of the step into each below it, the label before
    the first row."""
    names = sorted(run_dir.glob("*.png"))
    frame_count = len(changes)
    indices = list(indices)
    rows = []
    for row_start in range(0, len(indices), PER_ROW):
        row = Image.new("RGB", (LABEL + PER_ROW * (THUMB + GAP), THUMB + CAPTION), PAPER)
        draw = ImageDraw.Draw(row)
        if row_start == 0:
            draw.multiline_text((0, 8), label, fill=INK, font=font)
        for position, index in enumerate(indices[row_start:row_start + PER_ROW]):
            x = LABEL + position * (THUMB + GAP)
            row.paste(Image.open(names[index % frame_count]).convert("RGB").resize((THUMB, THUMB)), (x, 0))
            draw.text((x + 2, THUMB + 1), f"{changes[(index - 1) % frame_count]:.1f}", fill=INK, font=font)
        rows.append(row)
    return rows


def named(run_dir, name):
    """A link to `run_dir` called `name`, so that motion.py --compare's legend says what each line is."""
    link = run_dir.parent.parent / name
    link.symlink_to(run_dir, target_is_directory=True)
    return link


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs/img/pace_latent_even.png", help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=1, help="seed of the loop (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for pace in ("latent", "even"):
            run("gen", "path.py", REPO / "demo/model", "bezier", "--segments=8", "--frames=64", f"--seed={args.seed}",
                f"--pace={pace}", f"--dir_out={folder / pace}")
        latent, even = only_run(folder / "latent"), only_run(folder / "even")
        latent_changes, even_changes = changes_of(latent), changes_of(even)
        run("gen", "motion.py", named(latent, "latent pace"), named(even, "even pace"), "--compare",
            f"--out={folder / 'motion.png'}")

        frames = len(latent_changes)
        jump = int(np.argmax(latent_changes)) + 1          # the frame the largest step goes into
        first, last = jump - BEFORE, jump + AFTER
        times = np.array(json.loads(even.with_name(even.name + ".json").read_text())["times"])
        even_first = int(np.searchsorted(times, first / frames))
        even_last = int(np.searchsorted(times, last / frames, side="right")) - 1
        font = ImageFont.load_default(size=12)
        rows = [*strips(latent, range(first, last + 1), latent_changes,
                        f"latent pace:\nframes {first}-{last}", font),
                *strips(even, range(even_first, even_last + 1), even_changes,
                        f"even pace, the same\nstretch of the loop:\nframes {even_first}-{even_last}", font)]
        plot = Image.open(folder / "motion.png").convert("RGB")
        width = max(max(row.width for row in rows), plot.width)
        height = sum(row.height + GAP for row in rows) + plot.height
        picture = Image.new("RGB", (width, height), PAPER)
        y = 0
        for row in rows:
            picture.paste(row, (0, y))
            y += row.height + GAP
        picture.paste(plot, ((width - plot.width) // 2, y))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        picture.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
