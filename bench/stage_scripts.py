"""The stage scripts (data/, gen/) imported as modules, so that a benchmark can time their functions alone."""
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_stage_script(relative_path):
    """The script at `relative_path` from the repository root (e.g. 'data/blob_tile.py'), imported as a module
    named after its file; its `if __name__ == "__main__"` part does not run."""
    path = REPO / relative_path
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))   # for the script's first import, _venv.py beside it
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
