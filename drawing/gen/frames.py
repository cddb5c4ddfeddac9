"""Folders of numbered frames, and the pixel maths on them: transparency from brightness, compositing.

A frames folder holds PNGs named by their index, zero-padded to the width of the largest index
(`00.png` .. `15.png` for 16 frames), so plain and natural sorting agree. gen/path.py writes them,
gen/rgba.py and gen/mp4.py read them.
"""
import functools

import cv2
import numpy as np
from PIL import Image, ImageColor

from drawing.errors import UserError
from drawing.files import list_images
from drawing.images import image_errors


def frame_name(index, count):
    """File name of frame `index` of `count`: zero-padded to the width of the largest index."""
    return f"{index:0{len(str(max(count - 1, 0)))}d}.png"


def parse_color(color):
    """An RGB triple for any colour PIL understands ('black', '#ff8800', 'rgb(0,0,255)'), else a UserError."""
    try:
        channels = ImageColor.getrgb(color)
    except ValueError:
        raise UserError(f"colour {color!r} is not a colour PIL understands "
                        "(try a name such as 'black' or a hex code such as '#1a2b3c')") from None
    if not all(0 <= channel <= 255 for channel in channels):
        raise UserError(f"colour {color!r} has a channel outside 0 to 255")
    return channels[:3]


def frame_header(path):
    """(width, height, has_alpha) of a PNG from its header, without decoding the pixels."""
    with image_errors(path, "read"), Image.open(path) as image:
        has_alpha = "A" in image.getbands() or image.info.get("transparency") is not None
        return image.size, has_alpha


def list_frames(folder):
    """The frames of a folder in order, their common (width, height), and whether any has transparency.

    Mixed frame sizes cannot make one video: a UserError names the first frame that differs.
    """
    paths = list_images(folder, what="frames folder")
    size, has_alpha = frame_header(paths[0])
    for path in paths[1:]:
        other_size, other_alpha = frame_header(path)
        if other_size != size:
            raise UserError(f"{path}: frame is {other_size[0]} x {other_size[1]} but {paths[0].name} is "
                            f"{size[0]} x {size[1]}; all frames of a video must have one size")
        has_alpha = has_alpha or other_alpha
    return paths, size, has_alpha


@functools.lru_cache(maxsize=16)
def _rgba_by_channel_sum(color):
    """The RGBA pixel for every sum of three channels (0..765), packed as one uint32 per pixel."""
    darkness = 255 - np.arange(3 * 255 + 1) // 3
    pixels = np.empty((len(darkness), 4), dtype=np.uint8)
    pixels[:, :3] = color
    pixels[:, 3] = darkness
    return pixels.view(np.uint32).ravel()


def brightness_to_alpha(rgb, color):
    """RGBA frame in one colour whose opacity is the darkness of `rgb`: white clear, black opaque.

    Darkness is 255 minus the mean of the three channels, rounded down as the original's integer maths.
    One table lookup per pixel gives all four bytes at once.
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    channel_sum = np.add(np.add(rgb[:, :, 0], rgb[:, :, 1], dtype=np.uint16), rgb[:, :, 2], dtype=np.uint16)
    packed = np.take(_rgba_by_channel_sum(tuple(int(c) for c in color)), channel_sum)
    return packed.view(np.uint8).reshape(rgb.shape[0], rgb.shape[1], 4)


def composite_over(rgba, background):
    """An RGBA frame laid over an RGB background of the same size: an RGB frame (rounded, uint8)."""
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    blended = rgba[:, :, :3].astype(np.uint16) * alpha + background.astype(np.uint16) * (255 - alpha)
    return ((blended + 127) // 255).astype(np.uint8)


def cover(image, size):
    """`image` scaled to cover (width, height) with its aspect ratio kept, the overflow cropped evenly."""
    width, height = size
    scale = max(width / image.shape[1], height / image.shape[0])
    scaled_size = (max(width, round(image.shape[1] * scale)), max(height, round(image.shape[0] * scale)))
    if scaled_size != (image.shape[1], image.shape[0]):
        shrinking = scale < 1
        image = cv2.resize(image, scaled_size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    top = (image.shape[0] - height) // 2
    left = (image.shape[1] - width) // 2
    return np.ascontiguousarray(image[top:top + height, left:left + width])


def pad_to_even(frame):
    """H.264 in yuv420p needs even sides: repeat the last row or column where one is odd."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
