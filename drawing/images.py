"""Reading and writing images: any PNG mode, scans of hundreds of megapixels, atomic PNG writes.

Arrays are uint8, height x width x channels in RGB(A) order, or height x width for grayscale.
"""
import contextlib
import io
import logging
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from drawing.errors import UserError
from drawing.files import atomic_path, write_bytes_atomic

log = logging.getLogger(__name__)

# A 1200 DPI 11 x 16 inch scan is over 250 megapixels: real input here, so PIL's own bomb limit is off,
# and ours allows twice that page. A PNG declaring more is refused before a byte of it is decoded: a few
# hundred kilobytes can declare 50000 x 50000 pixels, which would take 7.5 GB as RGB.
Image.MAX_IMAGE_PIXELS = None
warnings.simplefilter("ignore", Image.DecompressionBombWarning)
MAX_PIXELS = 2 * 19200 * 13200

# Scans are made at these resolutions; one blob-grid unit and one spec tile are 256 px at 300 DPI.
SCAN_DPIS = (300, 600, 1200)
# Square tile sizes the GAN trains on: powers of two from 4 to 1024.
TILE_RESOLUTIONS = tuple(2 ** power for power in range(2, 11))

# Fast zlib setting for tiles and frames: several times faster than the default for ~10 % more bytes.
PNG_COMPRESSION = 3
# For tiles written by the thousand: zlib level 1 without PNG row filters. On scanned line art (paper grain,
# anti-aliased ink) this is 2-3 times faster than the default and no bigger, as filters only spread the grain.
# OpenCV before 4.10 has no filter option; it then uses its default filters.
FAST_PNG = {"compression": 1, "png_filter": getattr(cv2, "IMWRITE_PNG_FILTER_NONE", None)}


def check_declared_size(width, height, path):
    """A UserError naming the file if its header declares more pixels than any scan has."""
    if width * height > MAX_PIXELS:
        raise UserError(f"{path}: declares {width} x {height} pixels ({width * height / 1e6:.0f} megapixels), "
                        f"more than the largest scan this accepts ({MAX_PIXELS / 1e6:.0f}); not decoding it")


@contextlib.contextmanager
def image_errors(path, doing="decoded"):
    """PIL's errors for a file inside the block, as one-line UserErrors naming the file."""
    try:
        yield
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not an image file") from None
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except Image.UnidentifiedImageError:
        raise UserError(f"{path}: not an image file") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UserError(f"{path}: cannot be {doing}, the file is damaged or truncated ({error})") from None


def open_image(path):
    """A fully decoded PIL image, or a UserError naming the file if it is missing, not an image, truncated,
    or declares more pixels than any scan (checked before decoding)."""
    path = Path(path)
    with image_errors(path):
        image = Image.open(path)
        check_declared_size(*image.size, path)
        image.load()
    return image


def recorded_dpi(image):
    """The DPI a PNG's header records (pHYs), rounded, or None where it records none."""
    dpi = image.info.get("dpi")
    if not dpi or not dpi[0]:
        return None
    return round(float(dpi[0]))


def image_size(path):
    """(height, width) from the image's header alone, with open_image's errors."""
    path = Path(path)
    with image_errors(path, "read"), Image.open(path) as image:
        width, height = image.size
    check_declared_size(width, height, path)
    return height, width


def to_array(image, mode):
    """A PIL image as a uint8 array in `mode` ('RGB', 'RGBA' or 'L'); transparency is laid on white paper."""
    if image.mode in ("I;16", "I;16B", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8))
    if mode in ("RGB", "L") and ("A" in image.getbands() or image.info.get("transparency") is not None):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    if image.mode != mode:
        image = image.convert(mode)
    return np.asarray(image)


def read_image(path, mode="RGB"):
    """Read any PNG as a uint8 array in `mode`."""
    return to_array(open_image(path), mode)


def check_scan_mode(path, mode):
    """Warn when a scan is not RGB: it is converted, transparency laid on white."""
    if mode != "RGB":
        log.warning(f"{path}: scan is in mode {mode}, not RGB; converting it (transparency becomes white)")


def read_scan(path):
    """Read a scanned page as RGB. Scans should be RGB; other modes are converted, with a warning."""
    image = open_image(path)
    check_scan_mode(path, image.mode)
    return to_array(image, "RGB")


def read_scan_pixels(path):
    """A scan's pixels as RGB, as `read_image(path)` gives them, held once: an 8-bit RGB PNG without a
    transparent colour (what scanners write) is decoded by OpenCV straight into the array returned: 0.77 GB
    at most for a 1200 DPI page of 16 x 11 in, where PIL holds it twice while converting it (2.5 GB). Any
    other PNG goes through PIL. The header's pixel count is checked before a byte is decoded."""
    path = Path(path)
    with image_errors(path, "read"), Image.open(path) as image:
        width, height = image.size
        check_declared_size(width, height, path)
        plain = image.format == "PNG" and image.mode == "RGB" and image.info.get("transparency") is None
    if not plain:
        return read_image(path)
    pixels = np.empty((height, width, 3), np.uint8)
    if cv2.imread(str(path), pixels, cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION) is None:
        raise UserError(f"{path}: cannot be decoded, the file is damaged or truncated")
    return pixels


def encode_png(array, compression=PNG_COMPRESSION, png_filter=None):
    """PNG bytes of a uint8 array (grayscale, RGB or RGBA); `png_filter` is a cv2.IMWRITE_PNG_FILTER_* value."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim == 3 and array.shape[2] == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA)
    elif array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    parameters = [cv2.IMWRITE_PNG_COMPRESSION, compression]
    if png_filter is not None:
        parameters += [cv2.IMWRITE_PNG_FILTER, png_filter]
    ok, encoded = cv2.imencode(".png", array, parameters)
    if not ok:
        raise RuntimeError(f"PNG encoding failed for an array of shape {array.shape}")
    return encoded.tobytes()


def decode_png(data, mode="RGB"):
    """The inverse of `encode_png`, for bytes in memory."""
    return to_array(Image.open(io.BytesIO(data)), mode)


def write_png(path, array, **encoding):
    """Write a uint8 array as PNG, atomically; `encoding` as for `encode_png` (e.g. **FAST_PNG)."""
    write_bytes_atomic(path, encode_png(array, **encoding))


def save_image(path, image, **options):
    """Write a PIL image atomically, in the format its suffix names (previews, grids, plots)."""
    path = Path(path)
    with atomic_path(path) as temporary:
        image.save(temporary, format=Image.registered_extensions().get(path.suffix.lower(), "PNG"), **options)


def to_uint8(images):
    """Float images in [0, 1] (clipped; a generator's output may overshoot) to uint8, rounded to the nearest
    level, halves up. Every float image written (frames, grids, projections, previews) goes through here."""
    return (np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
