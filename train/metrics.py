"""Judge a training run: SWD (and KID, FID) of each checkpoint's generator against the training images,
and how smoothly it animates (ppl, jumps).

    python metrics.py ../runs/blob256                      # every checkpoint not measured yet
    python metrics.py ../runs/blob256 --newest --metrics swd,kid --images 1024
    python metrics.py ../runs/blob256 --metrics swd,ppl,jumps

For each `<epoch>.checkpoint` of the run folder (ours or the original's pickles), the generator (its moving
average where there is one) draws `--images` images from fixed latents; they are compared with as many
training images from the shards of the run's options.json (or the checkpoint's own options). The
results are appended to `<run>/metrics.jsonl`, one line per checkpoint, and `<run>/metrics.png` plots
each metric against the images the generator had seen. Each line also holds the shares of coloured
pixels (HSV saturation above 0.25) and of dark ones (luma below 100 of 255) among the fakes and the
reals: a generator of line drawings is as colourless and about as dark as its training images.
`ppl` (perceptual path length with the blurred-grey change measure) and `jumps` (the share of a bezier
loop's change in its largest 5 % of steps; 0.05 is perfectly even) measure the generator's own paths,
with the counts of the run's options.json (ppl_pairs, jumps_loops, jumps_frames). Lower is better for
all five. Checkpoints already measured with the same metrics and counts are skipped (`--again` measures
them again). What the metrics are: drawing/gan/metrics.py and docs/pace.md; SWD, ppl and jumps need no
download, KID and FID need InceptionV3's ImageNet weights (downloaded by Keras, or a local .h5 with
--inception_weights).
"""
import argparse

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, positive_int, run
from drawing.gan.evaluation import DEFAULT_IMAGES, evaluate_run
from drawing.gan.metrics import METRIC_NAMES


def parse_args(argv=None):
    parser = ArgumentParser(
        tensorflow=True, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python metrics.py ../runs/blob256 --newest")
    parser.add_argument("run_dir", help="a training run folder holding <epoch>.checkpoint files")
    parser.add_argument("--newest", action="store_true", help="measure only the newest checkpoint")
    parser.add_argument("--metrics", help=f"comma-separated, from {', '.join(METRIC_NAMES)} (default: the "
                                          "run's options.json 'metrics', else swd)")
    parser.add_argument("--images", type=positive_int,
                        help=f"images per set (default: the run's 'metrics_images', else {DEFAULT_IMAGES})")
    parser.add_argument("--inception_weights", help="a local InceptionV3 .h5 for kid and fid (default: the "
                                                    "run's 'inception_weights', else Keras downloads them)")
    parser.add_argument("--data", help="glob of the tfrecord shards to compare with (default: the run's "
                                       "dataset_file_pattern, relative to this folder as in training)")
    parser.add_argument("--seed", type=int, help="seed of the images, latents, patches and projections "
                                                 "(default: the run's seed, as its training-time metrics)")
    parser.add_argument("--again", action="store_true", help="measure checkpoints already in metrics.jsonl too")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    metrics = [name.strip() for name in args.metrics.split(",") if name.strip()] if args.metrics else None
    lines, plot = evaluate_run(args.run_dir, newest=args.newest, metrics=metrics, images=args.images,
                               inception_weights=args.inception_weights, data=args.data, seed=args.seed,
                               again=args.again)
    print(f"done: {lines} and {plot}")


if __name__ == "__main__":
    run(main)
