"""Helpers every test uses: the repository's folders, loading a stage script as a module, running one."""
import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_script(relative_path):
    """Import a stage script (e.g. 'data/spec_tile.py') as a module, to test its functions directly."""
    path = REPO / relative_path
    name = "script_" + "_".join(path.with_suffix("").parts[-2:])
    if name in sys.modules:
        return sys.modules[name]
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))   # for the script's first import, _venv.py beside it
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_script(folder, *args, check=True, timeout=600):
    """Run `python <script> <args>` from the stage's own folder, as a user types it."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    completed = subprocess.run([sys.executable, *map(str, args)], cwd=REPO / folder, env=env,
                               capture_output=True, text=True, timeout=timeout)
    if check and completed.returncode != 0:
        raise AssertionError(f"{folder}/{args[0]} failed ({completed.returncode}):\n"
                             f"{completed.stdout}\n{completed.stderr}")
    return completed


@pytest.fixture
def script():
    return load_script


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
