"""The errors the package raises, and the one wording of a failed write.

`UserError` is a problem the user can fix (a missing folder, an unreadable file, a bad option), said in
one line naming the file; a script turns it into `error: ...` and a non-zero exit. A failed write is an
`OSError` wherever it arises: errors that other programs report only in words (TensorFlow's writer,
ffmpeg) become one where they are caught (`os_error_from_words`), and `write_error_message` is the one
place that words the message the user sees.
"""
import errno
import os
import re
from pathlib import Path


class UserError(Exception):
    """A problem with the input or the options, explained in one line; the script exits non-zero."""


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
# The C library's words for those errors, as programs that report them only in text print them.
WRITE_PROBLEM_WORDS = {"No space left on device": errno.ENOSPC, "File too large": errno.EFBIG,
                       "Disk quota exceeded": errno.EDQUOT, "Permission denied": errno.EACCES,
                       "Read-only file system": errno.EROFS}
# drawing.files writes `.<name>.<unique part>.tmp` and renames it to <name>: the user knows only <name>.
TEMPORARY_NAME = re.compile(r"^\.(?P<name>.+)\.[^.]+(?:\.\d+)?\.tmp$")


def os_error_from_words(text, path):
    """The OSError for `path` that a program's message `text` reports in words (a full disk), else None."""
    for words, number in WRITE_PROBLEM_WORDS.items():
        if words in text:
            return OSError(number, os.strerror(number), str(path))
    return None


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
