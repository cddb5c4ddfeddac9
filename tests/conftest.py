"""Fixtures every test may use: the package's messages on the console, a cache folder of its own, and one
untrained model; and how `pytest -n 2` shares the tests out. The helpers (running a script, checksums, ...)
are in tests/helpers.py."""
import logging
import os
from pathlib import Path

import pytest
from helpers import REPO, run_script  # noqa: F401  (where tests used to find them)

LATENT_SIZE = 8

# Test files whose module fixtures take long to make (a training run, the original's pipelines, ...): under
# pytest-xdist all tests of each go to one worker, so the fixtures are made once rather than in every worker.
# The other tests are shared out one by one.
WHOLE_FILES = {"test_demo_model.py", "test_gan_int8.py", "test_gan_metrics.py", "test_gan_networks.py",
               "test_gan_training.py", "test_gen_explore_browser.py", "test_original_pipeline.py",
               "test_reliability_data.py", "test_reliability_train.py", "test_walkthrough.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """For the default distribution (-n without --dist): xdist's load scheduling by scope, a scope being a
    whole file for WHOLE_FILES and a single test otherwise; scopes holding more tests are handed out first.
    (xdist_group marks would say the same, but xdist 3.8's loadgroup cannot rename pytest 9's test ids.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WholeFilesScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return path if Path(path).name in WHOLE_FILES else nodeid

    return WholeFilesScheduling(config, log)


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
