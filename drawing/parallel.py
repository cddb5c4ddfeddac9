"""A parallel map over files: every core, one progress bar, and no silent worker failures.

The original's scripts start processes whose exceptions vanish. Here a worker's exception stops the map
and is raised in the parent with the item it was working on, or, with `keep_going=True`, is recorded
as a `Failure` so the rest can finish and the caller can report every bad item at the end.
"""
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from tqdm import tqdm

from drawing.console import messages_shown, show_messages
from drawing.errors import UserError, os_error_message

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """What went wrong with one item of a `keep_going` map."""
    item: object
    message: str


def default_workers():
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class _MachineProblem(str):
    """A worker's error that is the machine's, not the item's (a full disk): it stops the whole map."""


def _call(function, item):
    """Run in the worker: the result, or the error as plain text (tracebacks of bugs included)."""
    try:
        return True, function(item)
    except UserError as error:
        return False, str(error)
    except Exception as error:  # a bug in a worker: keep its traceback for the report
        machine_problem = os_error_message(error)
        if machine_problem is not None:
            return False, _MachineProblem(machine_problem)
        return False, f"{type(error).__name__}: {error}\n{traceback.format_exc()}"


_PR_SET_PDEATHSIG = 1


def _start_worker(show):
    """Worker initializer. On Linux, the kernel kills this worker when the script that started it dies,
    even by SIGKILL, so no orphan goes on writing into a folder a rerun is finishing. The package's
    messages are shown as in the script (a forked worker inherits that; a spawned one starts bare)."""
    if show:
        show_messages()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def _describe(item):
    return str(item)


def parallel_map(function, items, *, desc, unit="file", workers=None, keep_going=False,
                 advance=None, total=None, describe=_describe, bar=None):
    """`[function(item) for item in items]`, computed in worker processes, in input order.

    - `advance(result)` is how far the progress bar moves for one finished item (default 1), so a
      map over pages can count tiles; `total` is the bar's length in those units. `bar`: an open tqdm
      to advance instead of a new one, so that several maps show as one task.
    - Only a bounded number of items is in flight at once, so memory does not grow with the input.
    - With `workers=1` everything runs in this process (for debugging and small inputs).
    - Errors: the first one raises a UserError naming the item (`describe(item)`), unless
      `keep_going`, where that item's result is a `Failure` instead.
    """
    items = list(items)
    workers = min(workers or default_workers(), max(1, len(items)))
    advance = advance or (lambda result: 1)
    own_bar = bar is None
    if own_bar:
        bar = progress_bar(total if total is not None else len(items), desc, unit)
    results = [None] * len(items)

    def settle(index, ok, value):
        if ok:
            results[index] = value
            bar.update(advance(value))
            return
        if isinstance(value, _MachineProblem):
            raise UserError(str(value))  # every other item would fail the same way
        first_line, _, details = value.partition("\n")
        name = str(describe(items[index]))
        # A UserError from the worker usually names its file already; say the name once.
        message = first_line if first_line.startswith(name) else f"{name}: {first_line}"
        if details:
            log.error(details)   # a bug's traceback, before the line that names the item
        if not keep_going:
            raise UserError(message)
        results[index] = Failure(items[index], message)
        log.warning(f"{message}; going on with the rest")

    try:
        if workers == 1:
            for index, item in enumerate(items):
                settle(index, *_call(function, item))
            return results
        # fork keeps the map usable from scripts and tests alike; callers fork before importing TensorFlow.
        context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(messages_shown(),)) as pool:
            pending = {}
            next_index = 0
            try:
                while next_index < len(items) or pending:
                    while next_index < len(items) and len(pending) < 4 * workers:
                        pending[pool.submit(_call, function, items[next_index])] = next_index
                        next_index += 1
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        index = pending.pop(future)
                        try:
                            settle(index, *future.result())
                        except BrokenProcessPool:
                            raise UserError(f"{describe(items[index])}: a worker process died "
                                            "(out of memory, or killed)") from None
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return results
    finally:
        if own_bar:
            bar.close()


def progress_bar(total, desc, unit):
    """The progress bar of a long task on stderr, with its total and the time left."""
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, disable=None, file=sys.stderr)


def failures_of(results):
    """The `Failure`s among a keep_going map's results."""
    return [result for result in results if isinstance(result, Failure)]


def report_failures(results, what="item"):
    """Say at the end which items failed; a UserError (non-zero exit) if any did."""
    failed = failures_of(results)
    if failed:
        listing = "; ".join(failure.message for failure in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        raise UserError(f"{len(failed)} of {len(results)} {what}s failed, the rest are done: {listing}{more}")
