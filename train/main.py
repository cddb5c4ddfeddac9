"""Train the GAN on tfrecord shards. The run folder holds options.json and receives everything else.

    python main.py ../runs/blob256

`../runs/blob256/options.json` names the shards and the model (train/options.json is an example; every
key is described in docs/options.md). The first call starts the run; every later call resumes from the
folder's newest `<epoch>.checkpoint`, ours or one written by the original's scripts, and continues exactly
where it stopped (a run killed mid-epoch loses only that epoch). The run folder receives:

    <epoch>.checkpoint   networks and counters after each epoch, the newest with optimizer state too
                         (docs/checkpoint.md)
    fakes/<epoch>.png    generated images at fixed latents after each epoch; reals.png: training images
    stats.jsonl          one line of mean losses per epoch; logs/ the same for TensorBoard
    log.txt              everything printed to the console during training, warnings included
    options.used.json    every option as used, with the devices and the TensorFlow version
"""
import argparse

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, run
from drawing.files import require_dir
from drawing.gan.options import load_options


def parse_args(argv=None):
    parser = ArgumentParser(
        tensorflow=True, description=__doc__,
        epilog="example: python main.py ../runs/blob256   (the folder must contain options.json)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_out", help="the run folder, holding options.json; checkpoints, fakes grids, "
                                        "logs and statistics are written there (e.g. ../runs/blob256)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    run_dir = require_dir(args.dir_out, "run folder")
    options = load_options(run_dir)
    # TensorFlow is loaded only once the options are known to be good.
    from drawing.gan.training import train_run
    train_run(run_dir, options)


if __name__ == "__main__":
    run(main)
