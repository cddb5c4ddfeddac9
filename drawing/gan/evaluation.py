"""Judging a finished (or running) training run: its checkpoints measured with metrics.py, for train/metrics.py.

Each checkpoint's generator (its moving average where there is one) draws images from fixed latents,
compared with as many training images from the run's shards; ppl and jumps measure the generator's
own paths. The results are appended to `<run>/metrics.jsonl`, one line per checkpoint, and
`<run>/metrics.png` plots each metric against the images the generator had seen. Lines hold the
checkpoint, epoch, samples seen, the image count (and for ppl and jumps their counts), each metric, the
shares of coloured and of dark pixels (`metrics.tone_shares`) of the fakes and the reals, and the
seconds taken. A checkpoint already measured with the same metrics and counts is skipped unless asked
again.
"""
import json
import logging
import sys
import time

import numpy as np
from tqdm import tqdm

from drawing.errors import UserError
from drawing.files import atomic_path, require_dir
from drawing.gan.checkpoint import checkpoint_epoch, list_checkpoints
from drawing.gan.legacy import read_checkpoint
from drawing.gan.metrics import (
    INCEPTION_METRICS,
    JUMPS_FRAMES,
    JUMPS_LOOPS,
    PPL_PAIRS,
    Metrics,
    check_metric_names,
    inception_model,
    metric_reals,
    tone_shares,
)
from drawing.gan.options import OPTIONS_FILE, dataset_files, load_options

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "metrics.png"
DEFAULT_IMAGES = 2048


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


def already_measured(lines, name, metrics, counts):
    """Whether a line of checkpoint `name` holds every metric, measured with the same `counts`."""
    return any(line.get("checkpoint") == name and all(line.get(key) == value for key, value in counts.items()) and
               all(metric in line for metric in metrics) for line in lines)


def metric_counts(metrics, images, options):
    """The counts a line's metrics were measured with: images per set, and ppl's and jumps' own."""
    counts = {"images": images}
    if "ppl" in metrics:
        counts["ppl_pairs"] = options.get("ppl_pairs") or PPL_PAIRS
    if "jumps" in metrics:
        counts["jumps_loops"] = options.get("jumps_loops") or JUMPS_LOOPS
        counts["jumps_frames"] = options.get("jumps_frames") or JUMPS_FRAMES
    return counts


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


# ---- measuring ---------------------------------------------------------------------------------------

def measure_checkpoints(todo, run_dir, options, source, metrics, counts, pattern, run_seed, inception_weights):
    """Measure each checkpoint of `todo` and append its line to metrics.jsonl; the lines written. Everything
    that can fail (the Inception weights, the first checkpoint, the shards) does so before the first (long)
    measurement."""
    inception = None
    if any(metric in INCEPTION_METRICS for metric in metrics):
        inception = inception_model(inception_weights or options.get("inception_weights") or "imagenet")
    from drawing.gan.dataset import check_shards
    from drawing.gan.models import generator_from_checkpoint
    first = read_checkpoint(todo[0])
    resolution = int(first.networks["resolution"])
    files = dataset_files(pattern, source=str(source))
    check_shards(files, resolution)
    reals = metric_reals(files, resolution, counts["images"], run_seed, options.get("shuffle_buffer") or 1000)
    judge = Metrics(metrics, reals, inception, seed=run_seed,
                    **{key: value for key, value in counts.items() if key != "images"})
    reals_tones = tone_shares(reals)
    written = []
    for path in tqdm(todo, desc="checkpoints", unit="checkpoint", dynamic_ncols=True, disable=None, file=sys.stderr):
        started = time.monotonic()
        checkpoint = first if path == todo[0] else read_checkpoint(path)
        generator = generator_from_checkpoint(checkpoint, path)
        fakes = np.asarray(generator(judge.latents(generator.latent_size)))
        values = judge.measure(generator, fakes)
        saturated, dark = tone_shares(fakes)
        epoch = checkpoint_epoch(path)
        epoch_samples = checkpoint.options.get("epoch_sample_count") or options.get("epoch_sample_count") or 0
        samples = checkpoint.training.get("sample_count", epoch * epoch_samples)
        line = {"checkpoint": path.name, "epoch": epoch, "samples": samples, **counts, **values,
                "saturated_share": saturated, "dark_share": dark, "reals_saturated_share": reals_tones[0],
                "reals_dark_share": reals_tones[1], "seconds": round(time.monotonic() - started, 3)}
        with open(run_dir / METRICS_FILE, "a") as handle:
            handle.write(json.dumps(line) + "\n")
        written.append(line)
        with tqdm.external_write_mode(file=sys.stdout):   # the line above the bar, not through it
            log.info(f"{path.name}: " + ", ".join(f"{name} {value:.4g}" for name, value in values.items()))
    return written


def evaluate_run(run_dir, newest=False, metrics=None, images=None, inception_weights=None, data=None, seed=None,
                 again=False):
    """Measure the checkpoints of `run_dir` (only the newest with `newest`) not yet in its metrics.jsonl
    (all of them with `again`), append their lines and redraw metrics.png; (metrics.jsonl, metrics.png).

    Left None, the settings are the run's (its options.json, else the newest checkpoint's options):
    `metrics` (a list of metrics.METRIC_NAMES; else swd), `images` per set (else DEFAULT_IMAGES; ppl's
    and jumps' counts are the run's options, else their defaults),
    `inception_weights` (a local .h5; else Keras downloads them), `data` (a glob of the shards) and `seed`.
    """
    run_dir = require_dir(run_dir, "run folder")
    checkpoints = list_checkpoints(run_dir)
    if not checkpoints:
        raise UserError(f"{run_dir}: no <epoch>.checkpoint files in this run folder")
    if newest:
        checkpoints = checkpoints[-1:]
    options, source = run_settings(run_dir, checkpoints[-1])
    metrics = list(options.get("metrics") or ["swd"]) if metrics is None else metrics
    check_metric_names(metrics)
    images = images or options.get("metrics_images") or DEFAULT_IMAGES
    pattern = data or options.get("dataset_file_pattern")
    if not pattern:
        raise UserError(f"{source}: names no dataset_file_pattern; give the shards with --data")

    run_seed = seed if seed is not None else int(options.get("seed") or 0)
    lines = read_lines(run_dir / METRICS_FILE)
    counts = metric_counts(metrics, images, options)
    todo = [path for path in checkpoints if again or not already_measured(lines, path.name, metrics, counts)]
    if len(todo) < len(checkpoints):
        log.info(f"{len(checkpoints) - len(todo)} checkpoints already measured (--again measures them again)")
    if todo:
        lines += measure_checkpoints(todo, run_dir, options, source, metrics, counts, pattern, run_seed,
                                     inception_weights)
    plot(lines, metrics, images, run_dir / PLOT_FILE, run_dir.resolve().name)
    return run_dir / METRICS_FILE, run_dir / PLOT_FILE
