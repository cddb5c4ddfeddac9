"""Judge a training run: SWD (and KID, FID) of each checkpoint's generator against the training images.

    python metrics.py ../runs/blob256                      # every checkpoint not measured yet
    python metrics.py ../runs/blob256 --newest --metrics swd,kid --images 1024

For each `<epoch>.checkpoint` of the run folder (ours or the original's pickles), the generator (its moving
average where there is one) draws `--images` images from fixed latents; they are compared with as many
training images from the shards of the run's options.json (or the checkpoint's own options). The
results are appended to `<run>/metrics.jsonl`, one line per checkpoint, and `<run>/metrics.png` plots
each metric against the images the generator had seen. Each line also holds the shares of coloured
pixels (HSV saturation above 0.25) and of dark ones (luma below 100 of 255) among the fakes and the
reals: a generator of line drawings is as colourless and about as dark as its training images. Lower is better for all three. Checkpoints
already measured with the same metrics and image count are skipped (`--again` measures them again).
What the metrics are: drawing/gan/metrics.py; SWD needs no download, KID and FID need InceptionV3's
ImageNet weights (downloaded by Keras, or a local .h5 with --inception_weights).
"""
import argparse
import json
import time

import numpy as np

from drawing.cli import positive_int, run
from drawing.errors import UserError
from drawing.files import atomic_path, require_dir
from drawing.gan.checkpoint import checkpoint_epoch, list_checkpoints
from drawing.gan.dataset import check_shards
from drawing.gan.legacy import read_checkpoint
from drawing.gan.metrics import (
    INCEPTION_METRICS,
    METRIC_NAMES,
    Metrics,
    check_metric_names,
    inception_model,
    metric_reals,
    tone_shares,
)
from drawing.gan.options import OPTIONS_FILE, dataset_files, load_options

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "metrics.png"
DEFAULT_IMAGES = 2048


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
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


# ---- what to compare with ----------------------------------------------------------------------------

def run_settings(run_dir, newest_checkpoint):
    """(options dict, where they came from): the run's options.json, or a checkpoint's own options (a
    folder of the original's pickles may have none)."""
    if (run_dir / OPTIONS_FILE).is_file():
        return load_options(run_dir).to_dict(), run_dir / OPTIONS_FILE
    return read_checkpoint(newest_checkpoint).options, newest_checkpoint


# ---- metrics.jsonl and metrics.png -------------------------------------------------------------------

def read_lines(path):
    if not path.is_file():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue   # a line cut by a kill
    return lines


def already_measured(lines, name, metrics, images):
    return any(line.get("checkpoint") == name and line.get("images") == images and
               all(metric in line for metric in metrics) for line in lines)


def plot(lines, metrics, images, path, title):
    """One panel per metric: its value against thousands of images seen (the newest line per checkpoint)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5 * len(metrics), 3.2), dpi=120, layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False).ravel()
    for metric, ax in zip(metrics, axes):
        newest = {line["checkpoint"]: line for line in lines if metric in line and line.get("images") == images}
        points = sorted((line["samples"] / 1000, line[metric]) for line in newest.values())
        if points:
            ax.plot(*zip(*points), marker="o", markersize=3, linewidth=1)
        ax.set_xlabel("thousands of images seen")
        ax.set_ylabel(metric + (" (x 1000)" if metric == "swd" else ""))
        ax.grid(alpha=0.3)
    figure.suptitle(f"{title} ({images} images per set; lower is better)", fontsize=9)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")


# ---- main --------------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    run_dir = require_dir(args.run_dir, "run folder")
    checkpoints = list_checkpoints(run_dir)
    if not checkpoints:
        raise UserError(f"{run_dir}: no <epoch>.checkpoint files in this run folder")
    if args.newest:
        checkpoints = checkpoints[-1:]
    options, source = run_settings(run_dir, checkpoints[-1])
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else \
        list(options.get("metrics") or ["swd"])
    check_metric_names(metrics)
    images = args.images or options.get("metrics_images") or DEFAULT_IMAGES
    pattern = args.data or options.get("dataset_file_pattern")
    if not pattern:
        raise UserError(f"{source}: names no dataset_file_pattern; give the shards with --data")

    run_seed = args.seed if args.seed is not None else int(options.get("seed") or 0)
    lines = read_lines(run_dir / METRICS_FILE)
    todo = [path for path in checkpoints
            if args.again or not already_measured(lines, path.name, metrics, images)]
    if len(todo) < len(checkpoints):
        print(f"{len(checkpoints) - len(todo)} checkpoints already measured (--again measures them again)")
    if todo:
        # Everything that can fail does so before the first (long) measurement.
        inception = None
        if any(metric in INCEPTION_METRICS for metric in metrics):
            inception = inception_model(args.inception_weights or options.get("inception_weights") or "imagenet")
        from drawing.gan.models import generator_from_checkpoint
        first = read_checkpoint(todo[0])
        resolution = int(first.networks["resolution"])
        files = dataset_files(pattern, source=str(source))
        check_shards(files, resolution)
        reals = metric_reals(files, resolution, images, run_seed, options.get("shuffle_buffer") or 1000)
        judge = Metrics(metrics, reals, inception, seed=run_seed)
        reals_tones = tone_shares(reals)
        for path in todo:
            started = time.monotonic()
            checkpoint = first if path == todo[0] else read_checkpoint(path)
            generator = generator_from_checkpoint(checkpoint, path)
            fakes = np.asarray(generator(judge.latents(generator.latent_size)))
            values = judge.of_images(fakes)
            saturated, dark = tone_shares(fakes)
            epoch = checkpoint_epoch(path)
            epoch_samples = checkpoint.options.get("epoch_sample_count") or options.get("epoch_sample_count") or 0
            samples = checkpoint.training.get("sample_count", epoch * epoch_samples)
            line = {"checkpoint": path.name, "epoch": epoch, "samples": samples, "images": images, **values,
                    "saturated_share": saturated, "dark_share": dark, "reals_saturated_share": reals_tones[0],
                    "reals_dark_share": reals_tones[1], "seconds": round(time.monotonic() - started, 3)}
            with open(run_dir / METRICS_FILE, "a") as handle:
                handle.write(json.dumps(line) + "\n")
            lines.append(line)
            print(f"{path.name}: " + ", ".join(f"{name} {value:.4g}" for name, value in values.items()), flush=True)
    plot(lines, metrics, images, run_dir / PLOT_FILE, run_dir.resolve().name)
    print(f"done: {run_dir / METRICS_FILE} and {run_dir / PLOT_FILE}")


if __name__ == "__main__":
    run(main)
