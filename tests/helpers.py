"""What many test files share: running a stage script as a user types it and reading its one-line error,
the files of a folder by checksum, a file-size limit standing in for a full disk, networks of the
original's full width, and checkpoints in the original's pickle layouts."""
import contextlib
import hashlib
import io
import os
import pickle
import resource
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


# ---- scripts as a user runs them ------------------------------------------------------------------------

def run_script(folder, *args, check=True, timeout=600, env=None, **options):
    """Run `python <script> <args>` from the stage's own folder, as a user types it, in this process's
    environment or `env`; `options` go to subprocess.run (e.g. preexec_fn=limit_file_size(...))."""
    env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
    completed = subprocess.run([sys.executable, *map(str, args)], cwd=REPO / folder, env=env,
                               capture_output=True, text=True, timeout=timeout, **options)
    if check and completed.returncode != 0:
        raise AssertionError(f"{folder}/{args[0]} failed ({completed.returncode}):\n"
                             f"{completed.stdout}\n{completed.stderr}")
    return completed


def error_line(completed, code=1, alone=False):
    """The one-line error a script ended with, after checking its exit status (1: `error: ...` from
    drawing.cli.run; 2: argparse's `<script>: error: ...`) and that no traceback came before it. Only
    TensorFlow's start-up lines may come before it; with `alone`, nothing may."""
    assert completed.returncode == code, completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert lines, f"exit status {code} without a word"
    assert len(lines) == 1 or not alone, completed.stderr
    assert lines[-1].startswith("error: ") if code == 1 else ": error: " in lines[-1], completed.stderr
    return lines[-1]


def limit_file_size(max_bytes):
    """A preexec_fn for subprocess: files in the child may not grow past `max_bytes`, and a write that would
    is an error (EFBIG, as on a full disk), not a signal."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return limit


def kill_when(process, ready, timeout=300):
    """SIGKILL the process as soon as `ready()` holds (a recorded point of its work: so many files written,
    a record on disk), or fail if it ends first."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "the run did not reach the point to interrupt it"
            time.sleep(0.005)
    finally:
        process.kill()   # SIGKILL
        process.wait()


def start_script(folder, *args):
    """`python <script> <args>` started from the stage's folder, its output discarded (to be killed)."""
    return subprocess.Popen([sys.executable, *map(str, args)], cwd=REPO / folder,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- folders ---------------------------------------------------------------------------------------------

def checksums(folder, beside=False, leave_out=()):
    """sha256 of every file under `folder`, by its path relative to the folder: any change to the folder
    changes it. With `beside`, of every file beside it too (a run's record, latents and plot are named
    after its folder); `leave_out`: names of files not counted (a log every run appends to)."""
    root = Path(folder).parent if beside else Path(folder)
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and path.name not in leave_out}


# ---- the original's networks and checkpoints -----------------------------------------------------------

def original_networks(resolution, latent_size=8, seed=0):
    """Initialised generator and discriminator of the original's full width (channel scale 1)."""
    from drawing.gan.networks import build_discriminator, build_generator, initialise_weights
    generator, discriminator = build_generator(resolution, latent_size), build_discriminator(resolution)
    rng = np.random.default_rng(seed)
    initialise_weights(generator, rng)
    initialise_weights(discriminator, rng)
    return generator, discriminator


# The original's pickle layouts (facts of its train/train.py and gen/train.py): the attributes of its
# `train.TrainingState`, in the order its constructor sets them.
TRAIN_SIDE_STATE = ("options", "epoch_i", "generator", "discriminator")
GEN_SIDE_STATE = ("options", "generator", "epoch_i")


def decode_network(serialized):
    """What the original's deserialize_model sets into its model: the arrays of model_weights, in order."""
    return [np.load(io.BytesIO(item)) for item in pickle.loads(serialized)["model_weights"]]


@contextlib.contextmanager
def original_train_module(side="train", decode_networks=False):
    """A stand-in for the original's `train` module (of its train/ or, with side="gen", its gen/ folder),
    importable as `train` inside the block, so pickle records and finds `train.TrainingState` as it did
    for the original. With `decode_networks`, unpickled networks become weight lists, as the original's do."""
    module = types.ModuleType("train")
    attributes = TRAIN_SIDE_STATE if side == "train" else GEN_SIDE_STATE

    class TrainingOptions:
        def __init__(self, **options):
            self.__dict__.update(options)

    class TrainingState:
        def __init__(self, *values):
            self.__dict__.update(zip(attributes, values))

        if decode_networks:
            def __setstate__(self, state):
                self.__dict__ = dict(state)
                for network in (name for name in ("generator", "discriminator") if name in attributes):
                    setattr(self, network, decode_network(state[network]))

    for cls in (TrainingOptions, TrainingState):
        cls.__module__, cls.__qualname__ = "train", cls.__name__
        setattr(module, cls.__name__, cls)
    sys.modules["train"] = module
    try:
        yield module
    finally:
        del sys.modules["train"]


def serialize_network(weights):
    """The original's network serialisation: a pickled dict of `np.save` bytes in get_weights() order."""
    def save(array):
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue()
    return pickle.dumps({"model_weights": [save(w) for w in weights]})


def write_legacy_checkpoint(path, generator, discriminator, epoch_i=4, resolution=16, latent_size=8):
    """A checkpoint as the original's train/ scripts pickle it."""
    with original_train_module() as module:
        options = module.TrainingOptions(real_images_file_pattern="/data/*.tfrecord", resolution=resolution,
                                         replica_batch_size=4, epoch_sample_count=64,
                                         total_sample_count=256, learning_rate=0.002,
                                         latent_size=latent_size, beta_1=0.0, beta_2=0.99)
        state = module.TrainingState(options, epoch_i, serialize_network(generator.get_weights()),
                                     serialize_network(discriminator.get_weights()))
        path.write_bytes(pickle.dumps(state))
    return path


def write_generator_only_legacy_checkpoint(path, generator, epoch_i=7, resolution=16, latent_size=8):
    """What someone sharing just the generator has: a pickle of the original's gen-side TrainingState."""
    with original_train_module(side="gen") as module:
        options = module.TrainingOptions(resolution=resolution, latent_size=latent_size)
        state = module.TrainingState(options, serialize_network(generator.get_weights()), epoch_i)
        path.write_bytes(pickle.dumps(state))
    return path
