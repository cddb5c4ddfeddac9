"""How every stage script starts, talks, fails and exits; for scripts only (the package never imports it).

A script raises (or lets through) `drawing.errors.UserError` for anything the user can fix (a missing
folder, an unreadable file, a bad option); `run(main)` turns it into one line on stderr naming the file
and the problem, and exit status 1, and does the same for a write the machine refused (a full disk, no
permission). Anything else is a bug and keeps its traceback. The package's log records are shown as the
script's own lines (drawing/console.py).
"""
import argparse
import re
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


def add_fill_options(parser):
    """The options blob_fill.py and spec_fill.py share: --blend, the region options of
    drawing/fill/regions.py (--close-gaps, --min-region) and --seed."""
    # Imported here: the other stages' scripts need not load OpenCV.
    from drawing.fill.regions import DEFAULT_CLOSE_GAPS, DEFAULT_MIN_REGION
    parser.add_argument("--blend", action="store_true",
                        help="soften region edges: every pixel becomes the mean of its 3x3 neighbourhood")
    parser.add_argument("--close-gaps", "--close_gaps", type=non_negative_int, default=DEFAULT_CLOSE_GAPS,
                        metavar="PX",
                        help="close breaks in the lines up to PX pixels wide before the regions are found, "
                             "so a cell with a small gap stays one region (default: %(default)s; 0 keeps "
                             "the original's regions exactly), e.g. 4 for faint generated lines")
    parser.add_argument("--min-region", "--min_region", type=non_negative_int, default=DEFAULT_MIN_REGION,
                        metavar="PX2",
                        help="regions of paper smaller than PX2 pixels (specks between strokes, dust) take "
                             "the colour of the region they border most (default: %(default)s; 0 keeps "
                             "every region)")
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="seed of the random colours, e.g. 7 (default: a new one, recorded beside "
                             "the output folder)")


SIZE_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9}


def byte_size(text):
    """argparse type: bytes from '300MB', '1.5GB', '500KB', '4096B' or a bare number of bytes ('300000000',
    as the original takes it)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMG]?B?)\s*", text.upper())
    if not match or match.group(2) not in SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; write e.g. 300MB, 20MB, 500KB or 1GB")
    size = round(float(match.group(1)) * SIZE_UNITS[match.group(2)])
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the shard size must be positive")
    return size
