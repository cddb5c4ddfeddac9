"""How every stage script starts, talks, fails and exits; for scripts only (the package never imports it).

A script raises (or lets through) `drawing.errors.UserError` for anything the user can fix (a missing
folder, an unreadable file, a bad option); `run(main)` turns it into one line on stderr naming the file
and the problem, and exit status 1, and does the same for a write the machine refused (a full disk, no
permission). Anything else is a bug and keeps its traceback. The package's log records are shown as the
script's own lines (drawing/console.py).
"""
import argparse
import sys

from drawing.console import show_messages
from drawing.errors import UserError, os_error_message


def run(main):
    """Call `main()` and exit the way a shell pipeline expects: 0 on success, 1 with a one-line error.
    The `drawing` package's messages are shown as the script's own (`show_messages`)."""
    show_messages()
    try:
        status = main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    except OSError as error:
        message = os_error_message(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
    sys.exit(status or 0)


def positive_int(text):
    """argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 1")
    return value


def non_negative_int(text):
    """argparse type: a whole number of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 0")
    return value


def positive_float(text):
    """argparse type: a number above 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def non_negative_float(text):
    """argparse type: a number of at least 0."""
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of at least 0")
    return value
