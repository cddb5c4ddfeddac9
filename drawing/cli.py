"""How every stage script starts, talks, fails and exits.

A script raises `UserError` for anything the user can fix (a missing folder, an unreadable file, a bad
option); `run(main)` turns it into one line on stderr naming the file and the problem, and exit status 1.
Anything else is a bug and keeps its traceback.

The `drawing` package never prints: it logs (`logging.getLogger(__name__)`), and `run(main)` decides what
the user sees of it (`show_messages`). Imported elsewhere, the package says nothing unless its caller
sets up logging.
"""
import argparse
import errno
import logging
import os
import re
import sys
from pathlib import Path


class UserError(Exception):
    """A problem with the input or the options, explained in one line; the script exits non-zero."""


def warn(message):
    """A problem that does not stop the job (one bad page among many), said on stderr as it happens."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


class ConsoleMessages(logging.Handler):
    """The `drawing` package's log records as lines of the script: INFO as the bare line on stdout, WARNING
    as `warning: ...` on stderr (as `warn` says it), ERROR (a worker's traceback) as it is on stderr.

    The streams are looked up for every record, so whatever stands in for them at that moment (the
    trainer's copy to log.txt, pytest's capture) gets the line. A stream that fails (a closed pipe) fails
    the program as a print would.
    """

    def emit(self, record):
        message = self.format(record)
        if record.levelno >= logging.ERROR:
            print(message, file=sys.stderr, flush=True)
        elif record.levelno >= logging.WARNING:
            warn(message)
        else:
            print(message, file=sys.stdout, flush=True)


def _console_handler(logger):
    return next((handler for handler in logger.handlers if isinstance(handler, ConsoleMessages)), None)


def messages_shown():
    """Whether this process shows the `drawing` package's messages (a script does, a library caller may not)."""
    return _console_handler(logging.getLogger("drawing")) is not None


def show_messages():
    """Show the `drawing` package's messages (INFO and above) on the console, once per process; returns the
    handler. They are shown by it alone: a handler that another library adds to the root logger does not
    repeat them."""
    logger = logging.getLogger("drawing")
    handler = _console_handler(logger)
    if handler is not None:
        return handler
    handler = ConsoleMessages()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler


# Errors of the machine rather than of the program: the user fixes them (free space, permissions), so they
# get one line naming the file, not a traceback. Any other OSError may be a bug and keeps its traceback.
WRITE_PROBLEMS = {
    errno.ENOSPC: "the disk is full; free some space and run the same command again",
    errno.EDQUOT: "the disk quota is used up; free some space and run the same command again",
    errno.EFBIG: "the file is larger than this system allows (a file-size limit); raise the limit or write "
                 "elsewhere, then run the same command again",
    errno.EACCES: "permission denied; choose a folder you can write to, or change its permissions",
    errno.EPERM: "operation not permitted; choose a folder you can write to",
    errno.EROFS: "the file system is read-only; choose a folder you can write to",
}
# drawing.files writes `.<name>.<unique part>.tmp` and renames it to <name>: the user knows only <name>.
TEMPORARY_NAME = re.compile(r"^\.(?P<name>.+)\.[^.]+(?:\.\d+)?\.tmp$")


def os_error_message(error):
    """A one-line message for an OSError the user can fix (disk full, no permission), else None."""
    if not isinstance(error, OSError) or error.errno not in WRITE_PROBLEMS:
        return None
    path = _file_the_user_named(error.filename)
    where = f"{path}: " if path is not None else ""
    return f"{where}cannot write: {WRITE_PROBLEMS[error.errno]}"


def write_error_message(error, where):
    """A one-line message for an OSError raised while writing to `where`: `os_error_message`'s advice where
    the problem is a known one, else the system's words (a path through a file, a name too long)."""
    return os_error_message(error) or (f"{where}: cannot write there ({error.strerror or error}); "
                                       "choose a writable folder with free space")


def _file_the_user_named(filename):
    """An OSError's file as the user knows it: the final name of a temporary file being written."""
    if filename is None:
        return None
    path = Path(os.fsdecode(filename))
    temporary = TEMPORARY_NAME.match(path.name)
    return path.with_name(temporary.group("name")) if temporary else path


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


def use_legacy_keras():
    """Select tf-keras (Keras 2) before TensorFlow is imported, as the seed's `export` does by hand."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
