"""Export a model trained here as a checkpoint of the original's scripts (its pickle of train.TrainingState).

    python export.py ../runs/blob256 blob256.checkpoint
    python export.py ../runs/blob256/40.checkpoint ~/original/train/run/40.checkpoint

The input is a checkpoint file or a run folder (its newest checkpoint). The original's gen/path.py makes
frames from the exported file, and its train/main.py resumes training from it when it lies in a run
folder as `<epoch>.checkpoint` beside an options.json. The original builds only full-width networks, so a
model trained at another channel_scale than 1 cannot be exported. The original's format has no moving
average and no optimizer state: the moving-average generator (what gen/ here draws with) is written as
the generator unless --no_ema says otherwise, and training resumed by the original starts Adam afresh.
A checkpoint holding only a generator is written in the layout of the original's gen/ scripts.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.gan.legacy import export_checkpoint


def parse_args(argv=None):
    parser = ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="checkpoint file or training run folder (its newest checkpoint), "
                                      "e.g. ../runs/blob256")
    parser.add_argument("output", help="the file to write, e.g. blob256.checkpoint")
    parser.add_argument("--no_ema", action="store_true",
                        help="write the generator's training weights, not its moving average")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output)
    source, checkpoint = export_checkpoint(args.model, output, use_ema=not args.no_ema, overwrite=args.overwrite)
    generator = ("moving-average generator" if checkpoint.generator_ema is not None and not args.no_ema
                 else "generator")
    networks = (f"{generator} and discriminator" if checkpoint.discriminator is not None
                else f"{generator} only (the layout of the original's gen/ scripts)")
    print(f"wrote {output}: epoch {checkpoint.epoch} of {source}, {networks}, in the original's format")


if __name__ == "__main__":
    run(main)
