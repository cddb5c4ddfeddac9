"""Imported first by every script of this folder (data/, train/, gen/ and fill/ hold the same file), so that a
Python without the project's packages says what to run in one line, not in a traceback."""
import sys
from importlib.util import find_spec

missing = [name for name in ("numpy", "PIL", "drawing") if find_spec(name) is None]
if missing:
    sys.exit(f"error: this Python ({sys.executable}) lacks the project's packages ({', '.join(missing)}): run "
             "`source .venv/bin/activate` in the repository root (after `make setup`), then this command again")
