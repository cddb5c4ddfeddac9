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

from drawing.cli import run
from drawing.files import require_dir
from drawing.gan.options import load_options


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        epilog="example: python main.py ../runs/blob256   (the folder must contain options.json)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_out", help="the run folder, holding options.json; checkpoints, fakes grids, "
                                        "logs and statistics are written there (e.g. ../runs/blob256)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    run_dir = require_dir(args.dir_out, "run folder")
    options = load_options(run_dir)
    # The strategy must exist before any other TensorFlow work (MultiWorkerMirroredStrategy insists).
    from drawing.gan.dataset import data_errors_named
    from drawing.gan.devices import plan_devices
    from drawing.gan.run_folder import LOG_FILE, console_log
    from drawing.gan.training import Run
    plan = plan_devices(options.devices)
    with console_log(run_dir / LOG_FILE if plan.is_chief else None):
        training = Run(run_dir, options, plan)
        # Damaged shards show up wherever the images are read: one line naming the shard and the record.
        with data_errors_named(training.files):
            training.train()
        if plan.is_chief:
            print(f"done: checkpoints and fakes grids are in {run_dir}", flush=True)
        else:
            print(f"done: this worker's part; the chief wrote the checkpoints and fakes grids in {run_dir}",
                  flush=True)


if __name__ == "__main__":
    run(main)
