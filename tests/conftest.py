"""Fixtures every test may use: the package's messages on the console, a cache folder of its own, and one
untrained model. The helpers (running a script, checksums, ...) are in tests/helpers.py."""
import logging
import os

import pytest
from helpers import REPO, run_script  # noqa: F401  (where tests used to find them)

LATENT_SIZE = 8


@pytest.fixture
def console_messages():
    """The `drawing` package's messages shown on the console as `cli.run` shows them in a script; afterwards
    the package is silent again, as a library is."""
    from drawing.console import show_messages
    logger = logging.getLogger("drawing")
    level, propagate = logger.level, logger.propagate
    handler = show_messages()
    yield
    logger.removeHandler(handler)
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture(scope="session", autouse=True)
def cache_outside_home(tmp_path_factory):
    """Caches (gen/path.py --int8's converted models) go to a temporary folder, never the user's home."""
    os.environ["DRAWING_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def untrained_run(tmp_path_factory):
    """A training run folder holding one checkpoint, 0.checkpoint, of untrained 16 px networks with 8 latent
    dimensions (channel scale 1/16, seed 0), written once per test process. Tests only read it: one that
    changes a run folder copies it first."""
    from drawing.gan import save_untrained_checkpoint
    folder = tmp_path_factory.mktemp("untrained_run")
    save_untrained_checkpoint(folder / "0.checkpoint", resolution=16, latent_size=LATENT_SIZE,
                              channel_scale=1 / 16, seed=0)
    return folder


@pytest.fixture(scope="session")
def untrained_generator(untrained_run):
    """The generator of `untrained_run`, loaded once per test process."""
    from drawing.gan import load_generator
    return load_generator(untrained_run)
