"""What a person at the console sees of the package's log records.

The package never prints: it logs (`logging.getLogger(__name__)`). A script shows those records as its
own lines (`show_messages`, called by `drawing.cli.run`); imported elsewhere the package says nothing
unless its caller sets up logging. Worker processes show them too where their parent does.

Three kinds of line: a result (INFO) on stdout; a remark on how the work goes (NOTE: an option that is
ignored, a tip, a slow step about to start, an interrupted run being finished) on stderr as it is,
beside the progress bars; a problem that does not stop the job (WARNING) on stderr as `warning: ...`.

What TensorFlow prints as it starts is held back (`held_back_stderr`, around drawing/backend.py's import of
it) and shown only if it fails to start, or with VERBOSE_VARIABLE set, as a script's --verbose does.
"""
import contextlib
import logging
import os
import sys
import tempfile

NOTE = 25   # between INFO and WARNING: `log.log(NOTE, "note: ...")`
logging.addLevelName(NOTE, "NOTE")
VERBOSE_VARIABLE = "DRAWING_VERBOSE"   # "1": TensorFlow's start-up messages are shown


def warn(message):
    """A problem that does not stop the job (one bad page among many), said on stderr as it happens."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


class ConsoleMessages(logging.Handler):
    """The `drawing` package's log records as lines of the script: INFO as the bare line on stdout, NOTE as
    the bare line on stderr, WARNING as `warning: ...` on stderr (as `warn` says it), ERROR (a worker's
    traceback) as it is on stderr.

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
        elif record.levelno >= NOTE:
            print(message, file=sys.stderr, flush=True)
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


@contextlib.contextmanager
def held_back_stderr():
    """Everything the process writes to its stderr (file descriptor 2, C++ libraries included) in the block is
    held back; shown after all if the block raises. Nothing is held back with VERBOSE_VARIABLE set."""
    if os.environ.get(VERBOSE_VARIABLE) or not _is_open(2):
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as held:
        stderr = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            _restore(stderr)
            held.seek(0)
            shown = held.read()
            while shown:
                shown = shown[os.write(2, shown):]
            raise
        _restore(stderr)


def _is_open(descriptor):
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def _restore(stderr):
    sys.stderr.flush()
    os.dup2(stderr, 2)
    os.close(stderr)
