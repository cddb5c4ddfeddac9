"""The run folder's housekeeping: what a run writes beside its checkpoints, and tidying after a kill.

    options.json         the user's; never written
    options.used.json    every option as used, with the devices and the TensorFlow version
    reals.png            training images; fakes/<epoch>.png the generator at fixed latents
    stats.jsonl          one JSON line per epoch; logs/ the same for TensorBoard
    log.txt              everything the run printed to the console, warnings and errors included
    <epoch>.checkpoint   the newest with Adam's state, older ones without (unless asked), pruned on request
"""
import contextlib
import json
import logging
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np
from tensorflow.core.framework import summary_pb2

from drawing.backend import tf
from drawing.errors import UserError
from drawing.files import write_text_atomic
from drawing.folders import command_line, remove_temporary_files
from drawing.gan.checkpoint import (
    ZIP_MAGIC,
    checkpoint_path,
    drop_optimizer_state,
    holds_optimizer_state,
    list_checkpoints,
    write_checkpoint,
)
from drawing.images import encode_png, to_uint8, write_png

STATISTICS_FILE = "stats.jsonl"
OPTIONS_USED_FILE = "options.used.json"
REALS_FILE = "reals.png"
FAKES_FOLDER = "fakes"
TENSORBOARD_FOLDER = "logs"
LOG_FILE = "log.txt"
# The fixed latents of the fakes grids, apart from every other random stream of the run.
LATENTS_STREAM = 1


# ---- image grids --------------------------------------------------------------------------------

def grid_side(resolution):
    """Images per side of the fakes grid: 8 at up to 256 px, fewer above (at most ~2048 px wide)."""
    return max(2, min(8, 2048 // resolution))


def image_grid(images, side, gap=2):
    """float images [side*side, R, R, 3] in [0, 1] -> one uint8 grid, `gap` grey pixels between cells
    (drawings on white paper would otherwise run into each other)."""
    count, height, width, channels = images.shape
    cells = np.full((side * side, height + gap, width + gap, channels), 0.5, np.float32)
    cells[:, :height, :width] = np.asarray(images)[: side * side]
    grid = cells.reshape(side, side, height + gap, width + gap, channels).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(side * (height + gap), side * (width + gap), channels)[:-gap or None, :-gap or None]
    return to_uint8(grid)


def fixed_latents(seed, count, latent_size):
    """The latents of every fakes grid of a run: the same images at every epoch, to watch progress."""
    return np.random.default_rng([seed, LATENTS_STREAM]).standard_normal((count, latent_size)).astype(np.float32)


# ---- TensorBoard, written with TensorFlow alone (the tensorboard package is needed only to view) ----

def _plugin(name):
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=name))


def summary_scalar(name, value):
    tf.summary.write(name, tf.constant(value, tf.float32), metadata=_plugin("scalars"))


def summary_image(name, image):
    """One uint8 [H, W, 3] image, as TensorBoard's image plugin stores it: [width, height, png]."""
    height, width = image.shape[:2]
    tf.summary.write(name, tf.constant([str(width), str(height), encode_png(image)]), metadata=_plugin("images"))


# ---- tidying ------------------------------------------------------------------------------------

def prune_checkpoints(run_dir, keep):
    """Keep the newest `keep` checkpoints of our format; the original's pickles are the user's, kept."""
    if not keep:
        return
    ours = [p for p in list_checkpoints(run_dir) if _is_our_format(p)]
    for old in ours[:-keep]:
        old.unlink(missing_ok=True)


def drop_old_optimizer_state(run_dir):
    """Only the newest checkpoint needs Adam's state to resume exactly; older ones drop it (about 60 %
    of a checkpoint). Every older one is checked, so a slimming cut short by a kill is finished later."""
    for old in list_checkpoints(run_dir)[:-1]:   # the original's pickles hold no optimizer state
        if holds_optimizer_state(old):
            drop_optimizer_state(old)


def _is_our_format(path):
    with open(path, "rb") as handle:
        return handle.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def rewrite_statistics(run_dir, last_epoch):
    """Drop statistics lines of epochs after `last_epoch` (left by a run killed after logging them)."""
    path = Path(run_dir) / STATISTICS_FILE
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line)["epoch"] <= last_epoch:
                kept.append(line)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    write_text_atomic(path, "".join(f"{line}\n" for line in kept))


# ---- log.txt ------------------------------------------------------------------------------------

class _LogLines:
    """Text written to the console, kept as the lines a reader of the console finally sees: a progress
    bar that redraws itself with carriage returns and backspaces leaves only its last state."""

    def __init__(self, handle):
        self.handle = handle
        self.pending = ""
        self.lock = threading.Lock()

    def write(self, text):
        with self.lock:
            *complete, self.pending = (self.pending + text.replace("\b", "")).split("\n")
            for line in complete:
                self.handle.write(line.rsplit("\r", 1)[-1] + "\n")
            if complete:
                self.handle.flush()   # a killed run keeps its log up to its last line

    def close(self):
        if self.pending.strip("\r"):
            self.write("\n")


class _Tee:
    """A console stream that also feeds the log; to the console it looks as before (a progress bar still
    sees a terminal)."""

    def __init__(self, console, log):
        self.console, self.log = console, log

    def write(self, text):
        self.log.write(text)
        return self.console.write(text)

    def __getattr__(self, name):   # flush, isatty, fileno, encoding, ...: the console's
        return getattr(self.console, name)


@contextlib.contextmanager
def console_log(path):
    """Copy everything printed to stdout and stderr, and every logging record shown on them, to `path`
    (appended: a resumed run continues its log). With `path` None, nothing is copied. The `drawing`
    package's messages follow sys.stdout and sys.stderr (cli.ConsoleMessages); TensorFlow's and absl's
    handlers hold the streams themselves and are pointed at the copies. TensorFlow's own C++ messages
    bypass Python and reach the console only."""
    if path is None:
        yield
        return
    with open(path, "a", encoding="utf-8") as handle:
        log = _LogLines(handle)
        log.write(f"---- {time.strftime('%Y-%m-%d %H:%M:%S')} {command_line()}\n")
        streams = {"stdout": sys.stdout, "stderr": sys.stderr}
        tees = {name: _Tee(stream, log) for name, stream in streams.items()}
        # Logging handlers made earlier (TensorFlow's, absl's) hold the console streams themselves.
        handlers = [handler for name in (None, "tensorflow", "absl")
                    for handler in logging.getLogger(name).handlers
                    if isinstance(handler, logging.StreamHandler) and handler.stream in streams.values()]
        redirected = [(handler, handler.stream) for handler in handlers]
        for handler, stream in redirected:
            handler.setStream(tees["stdout" if stream is streams["stdout"] else "stderr"])
        sys.stdout, sys.stderr = tees["stdout"], tees["stderr"]
        try:
            yield
        except UserError as error:
            log.write(f"error: {error}\n")
            raise
        except KeyboardInterrupt:
            log.write("interrupted\n")
            raise
        except BaseException:
            log.write(traceback.format_exc())
            raise
        finally:
            sys.stdout, sys.stderr = streams["stdout"], streams["stderr"]
            for handler, stream in redirected:
                handler.setStream(stream)
            log.close()


# ---- the folder ---------------------------------------------------------------------------------

class RunFolder:
    """The files of one run folder, written by the chief only."""

    def __init__(self, path):
        self.path = Path(path)
        self._writer = None

    def tidy(self, last_epoch):
        """Before (re)starting after `last_epoch`: no temporary files, no statistics of lost epochs."""
        remove_temporary_files(self.path)   # a killed run's half-written files, never a checkpoint
        rewrite_statistics(self.path, last_epoch)

    def write_options_used(self, used):
        write_text_atomic(self.path / OPTIONS_USED_FILE, json.dumps(used, indent=1) + "\n")

    def needs_reals(self):
        return not (self.path / REALS_FILE).exists()

    def write_reals(self, images, side):
        write_png(self.path / REALS_FILE, image_grid(images, side if len(images) >= side * side else 1))

    def write_fakes(self, epoch, images, side):
        grid = image_grid(images, side)
        write_png(self.path / FAKES_FOLDER / f"{epoch}.png", grid)
        return grid

    def save_checkpoint(self, epoch, checkpoint, keep=None, optimizer_state_in="newest"):
        write_checkpoint(checkpoint_path(self.path, epoch), checkpoint)
        prune_checkpoints(self.path, keep)
        if optimizer_state_in == "newest":
            drop_old_optimizer_state(self.path)

    def log_epoch(self, record, scalars, grid):
        """One line of stats.jsonl, and the same scalars with the fakes grid for TensorBoard."""
        with open(self.path / STATISTICS_FILE, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.path / TENSORBOARD_FOLDER))
        with self._writer.as_default(step=record["samples"]):
            for name, value in scalars.items():
                summary_scalar(name, value)
            summary_image("fakes", grid)
        self._writer.flush()
