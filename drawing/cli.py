"""How every stage script starts, talks, fails and exits; for scripts only (the package never imports it).

A script raises (or lets through) `drawing.errors.UserError` for anything the user can fix (a missing
folder, an unreadable file, a bad option); `run(main)` turns it into one line on stderr naming the file
and the problem, and exit status 1, and does the same for a write the machine refused (a full disk, no
permission). Anything else is a bug and keeps its traceback. The package's log records are shown as the
script's own lines (drawing/console.py). Every script parses its command line with `ArgumentParser`.
"""
import argparse
import os
import re
import sys

from drawing.console import VERBOSE_VARIABLE, show_messages
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


def _underscored(option):
    """`--dir_out` for `--dir-out`: the original's spelling of a long option."""
    return "--" + option[2:].replace("-", "_") if option.startswith("--") else option


class _ShowTensorFlowStartUp(argparse.Action):
    """--verbose: TensorFlow's start-up messages are shown (drawing/backend.py holds them back otherwise). It
    says so to the process, not to the script: the parsed arguments have no `verbose`, so the records and
    settings made from them stay as they were."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        os.environ[VERBOSE_VARIABLE] = "1"


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser as every script uses it.

    Every long option takes both spellings, `--dir_out` and `--dir-out` (abbreviated too, as argparse
    allows): help and messages show one, the original's underscores, whichever the script wrote.
    `add_argument(..., hidden_aliases=["--colour"])` accepts more names without showing them.
    `tensorflow=True`, for scripts that load TensorFlow, adds `--verbose`, which shows what TensorFlow
    prints as it starts.
    """

    def __init__(self, *args, tensorflow=False, **kwargs):
        super().__init__(*args, **kwargs)
        if tensorflow:
            self.add_argument("--verbose", action=_ShowTensorFlowStartUp,
                              help="show TensorFlow's start-up messages (hidden unless it fails to start)")

    def add_argument(self, *names, hidden_aliases=(), **kwargs):
        action = super().add_argument(*names, **kwargs)
        for alias in hidden_aliases:
            self._option_string_actions[_underscored(alias)] = action
        return action

    def _add_action(self, action):
        # Every way in (the parser, its groups) passes here: the names shown are the underscored ones.
        action.option_strings = list(dict.fromkeys(map(_underscored, action.option_strings)))
        return super()._add_action(action)

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        end = args.index("--") if "--" in args else len(args)
        spelled = [self._as_registered(arg) for arg in args[:end]] + args[end:]
        return super().parse_known_args(spelled, namespace)

    def _as_registered(self, arg):
        """`--dir-out=x` as `--dir_out=x` where that is an option of this parser (or begins one)."""
        name, equals, value = arg.partition("=")
        if not name.startswith("--") or name in self._option_string_actions:
            return arg
        underscored = _underscored(name)
        known = self._option_string_actions
        if underscored in known or (self.allow_abbrev and any(option.startswith(underscored) for option in known)):
            return underscored + equals + value
        return arg


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
    drawing/fill/regions.py (--close_gaps, --min_region) and --seed."""
    # Imported here: the other stages' scripts need not load OpenCV.
    from drawing.fill.regions import DEFAULT_CLOSE_GAPS, DEFAULT_MIN_REGION
    parser.add_argument("--blend", action="store_true",
                        help="soften region edges: every pixel becomes the mean of its 3x3 neighbourhood")
    parser.add_argument("--close_gaps", type=non_negative_int, default=DEFAULT_CLOSE_GAPS,
                        metavar="PX",
                        help="close breaks in the lines up to PX pixels wide before the regions are found, "
                             "so a cell with a small gap stays one region (default: %(default)s; 0 keeps "
                             "the original's regions exactly), e.g. 4 for faint generated lines")
    parser.add_argument("--min_region", type=non_negative_int, default=DEFAULT_MIN_REGION,
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
