"""Finding input files, naming outputs, and writing them atomically."""
import contextlib
import errno
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

from drawing.errors import UserError, write_error_message

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png",)
# Images saved in another format: named where their folder is listed, as they are left out.
OTHER_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes owner-only files; finished outputs get the permissions an ordinary open() would give.
FILE_MODE = 0o666 & ~_current_umask()


def natural_key(name):
    """Sort key that orders embedded numbers by value: `2.png` before `10.png`, `p2_t3` before `p10_t1`."""
    text = str(name)
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", text) if part != ""]


def natural_sorted(names):
    return sorted(names, key=natural_key)


def require_dir(path, what="input folder"):
    """The path as a Path, or a UserError if it is not an existing folder."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: {what} does not exist")
    if not path.is_dir():
        raise UserError(f"{path}: {what} is not a folder")
    return path


def listing(names, shown=5):
    """'a.jpg, b.jpg and 3 more' for a list of names, cut short after `shown` of them."""
    names = [str(name) for name in names]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def warn_of_other_formats(folder, names):
    """One warning naming the images among `names` (in `folder`) that are left out for not being PNGs."""
    others = natural_sorted(name for name in names if Path(name).suffix.lower() in OTHER_IMAGE_SUFFIXES)
    if others:
        one = len(others) == 1
        log.warning(f"{folder}: {listing(others)} {'is' if one else 'are'} not PNG and {'is' if one else 'are'} "
                    f"skipped (convert {'it' if one else 'them'} to PNG to use {'it' if one else 'them'})")


def list_images(folder, recursive=False, what="input folder"):
    """The PNG files of a folder in natural order; a UserError if there are none.

    Hidden files (our own temporary files among them) are skipped; images in other formats are named in a
    warning. A folder that holds folders of PNGs instead (a style folder of path.py's run folders) is
    refused naming them.
    """
    folder = require_dir(folder, what)
    pattern = "**/*" if recursive else "*"
    entries = [p for p in folder.glob(pattern) if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    named_like_images = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES]
    found = [p for p in named_like_images if p.is_file()]
    for skipped in sorted(set(named_like_images) - set(found)):
        why = "a broken link" if skipped.is_symlink() and not skipped.exists() else "not a file"
        log.warning(f"{skipped}: named like an image but {why}; skipped")
    warn_of_other_formats(folder, [p.relative_to(folder) for p in entries
                                   if p.suffix.lower() in OTHER_IMAGE_SUFFIXES and p.is_file()])
    if not found:
        raise UserError(_no_images(folder, recursive))
    return natural_sorted(found)


def folders_of_images(folder, depth=2):
    """The folders up to `depth` levels below `folder` that hold PNGs themselves (hidden ones left out)."""
    found, level = [], [folder]
    for _ in range(depth):
        level = natural_sorted(child for parent in level for child in parent.iterdir()
                               if child.is_dir() and not child.name.startswith("."))
        found += [child for child in level if any(not image.name.startswith(".") for image in child.glob("*.png"))]
    return found


def holds_folders_of_images(folder, keep=None):
    """'<folder>: holds folders of images (a, b), not images: give one of them, e.g. <the newest>' where folders
    below `folder` hold PNGs (those for which `keep(folder)` is true, if given); None where none do."""
    holding = [path for path in folders_of_images(Path(folder)) if keep is None or keep(path)]
    if not holding:
        return None
    newest = max(holding, key=lambda path: path.stat().st_mtime)
    names = listing([path.relative_to(folder).as_posix() for path in holding])
    return f"{folder}: holds folders of images ({names}), not images: give one of them, e.g. {newest}"


def _no_images(folder, recursive):
    """Why `folder` gives no images: none there, or only folders of them."""
    return (not recursive and holds_folders_of_images(folder)
            or f"{folder}: no PNG images in this folder{' or its subfolders' if recursive else ''}")


def list_page_folders(folder, what="tiles folder"):
    """Sub-folders of `folder` holding PNGs (one per page), in natural order; the folder itself if flat."""
    folder = require_dir(folder, what)
    pages = natural_sorted(p for p in folder.iterdir()
                           if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.png")))
    if pages:
        return pages
    list_images(folder, what=what)
    return [folder]


@contextlib.contextmanager
def _renamed_into_place(temporary, path):
    """Rename `temporary` to `path` if the block succeeds; remove it if the block fails."""
    try:
        yield
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if error.filename is None:  # a failed write() names no file: name the one the user asked for
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds.

    An interrupted run therefore never leaves a half-written file under the final name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    with _renamed_into_place(temporary, path):
        yield Path(temporary)
        os.chmod(temporary, FILE_MODE)


def write_bytes_atomic(path, data):
    """Write `data` to `path` through a temporary file renamed into place, as `atomic_path` does.

    This is the hot path of tile writing (hundreds of files a second), so it skips mkstemp's name
    reservation: a name unique to this process and thread cannot be in use by anyone else.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with _renamed_into_place(temporary, path), open(temporary, "wb") as handle:
        handle.write(data)


def write_text_atomic(path, text):
    write_bytes_atomic(path, text.encode("utf-8"))


@contextlib.contextmanager
def write_errors_reported(where):
    """Turn a failed write (no permission, a read-only or full disk, a file-size limit, a path through a
    file) into a one-line UserError naming `where`. Wrap writing only: a read error is the input's."""
    try:
        yield
    except OSError as error:
        raise UserError(write_error_message(error, where)) from None


def check_writable_folder(folder):
    """Fail before long work, not after it, if `folder` cannot be written or made: a hidden scratch file
    is written in it, or in the nearest folder above it that exists (nothing is created to stay). The
    error names `folder`, the place the user gave."""
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        with tempfile.TemporaryFile(dir=existing, prefix=".write-test."):
            pass
    except OSError as error:
        raise UserError(write_error_message(OSError(error.errno, error.strerror, str(folder)), folder)) from None
    return folder
