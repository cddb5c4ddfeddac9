"""The generator as the explorer uses it: one call at a time, images as PNG bytes, and the preview's plan.

TensorFlow runs one generator call at a time (a lock), while the server's threads encode PNGs (OpenCV
releases the GIL). The preview is planned from the rate measured at start: a model that cannot keep up
with the loop's fps on this machine is previewed every n-th frame (the loop keeps its speed), and models
above `PREVIEW_MAX_SIDE` are previewed smaller; the page says so. path.py renders every frame at full size.
The even pace is previewed where the model makes path.py's batch quickly (`EVEN_BATCH_SECONDS`): finding it
holds the generator a batch at a time, and a change waits for the batch in hand.
"""
import base64
import math
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from drawing.gen.explore import loop
from drawing.images import encode_png, to_uint8

PREVIEW_MAX_SIDE = 256       # px: a larger model's frames are shrunk to this for the preview
THUMBNAIL_MAX_SIDE = 256     # px: and its drawings in the grid and the keyframe strip
MAX_PREVIEW_FRAMES = 2048    # frames the page holds at once; a longer loop is previewed every n-th frame
MAX_CHUNK = 64               # frames in one request of the preview
HEADROOM = 0.8               # the share of the measured rate the preview plans on: the grid shares the machine
GRID_SECONDS = 0.5           # a request for drawings asks for what the machine makes in this time (16 at most)
FIRST_FRAMES_SECONDS = 0.05  # and the preview's first request, so the first frame shows at once (4 at most)
FIRST_FRAMES = 4
CHUNK_SECONDS = 0.5          # later requests ask for what the machine makes in this time: a change waits for no more
FAST_PNG = 1                 # zlib level: the page decodes at once, small files matter less than speed
EVEN_BATCH_SECONDS = 0.5     # the preview evens its pace where the model makes path.py's batch in this time


class Renderer:
    """The generator under a lock, with images at a given side and encoded as PNG."""

    def __init__(self, generator):
        self.generator = generator
        self.resolution = generator.resolution
        self.latent_size = generator.latent_size
        self.lock = threading.Lock()

    def generate(self, latents):
        """The model's images [N, resolution, resolution, 3] in [0, 1] of float32 latents [N, latent_size],
        as path.py gets them (what the even pace measures)."""
        latents = np.asarray(latents, dtype=np.float32)
        with self.lock:
            return np.asarray(self.generator(latents))

    def images(self, latents, side):
        """uint8 images [N, side, side, 3] of float32 latents [N, latent_size]."""
        images = to_uint8(self.generate(latents))
        if side == self.resolution:
            return images
        return np.stack([cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA) for image in images])

    def data_uris(self, latents, side):
        """Each image as a `data:image/png;base64,...` URI, for the page's <img> elements."""
        return ["data:image/png;base64," + base64.b64encode(encode_png(image, FAST_PNG)).decode("ascii")
                for image in self.images(latents, side)]

    def strip(self, latents, side):
        """One PNG of the images stacked top to bottom: a chunk of preview frames in one request."""
        images = self.images(latents, side)
        return encode_png(images.reshape(-1, side, 3), FAST_PNG)

    def measure_rate(self, side, count=8, repeats=2):
        """Preview frames per second this machine makes (generator and PNG), after a first call that
        traces the generator's function."""
        latents = np.random.default_rng(0).standard_normal((count, self.latent_size)).astype(np.float32)
        self.strip(latents, side)
        best = math.inf
        for _ in range(repeats):
            started = time.perf_counter()
            self.strip(latents, side)
            best = min(best, time.perf_counter() - started)
        return count / best


def batch_for(rate, seconds, largest):
    """Images a machine making `rate` a second makes in `seconds`, from 1 to `largest`: the size of a
    request that keeps the page's first answer quick on a slow model."""
    return max(1, min(largest, int(rate * seconds)))


def thumbnail_side(resolution):
    return min(resolution, THUMBNAIL_MAX_SIDE)


def preview_side(resolution):
    return min(resolution, PREVIEW_MAX_SIDE)


@dataclass(frozen=True)
class PreviewPlan:
    """How the preview shows a loop: every `step`-th of its `total` frames, `side` px, at the even pace
    when `even` (else at the latent pace)."""
    total: int
    step: int
    side: int
    even: bool
    note: str

    @property
    def count(self):
        return math.ceil(self.total / self.step)


def ordinal(number):
    """2nd, 3rd, 11th, 21st: English's ordinals of whole numbers."""
    suffix = "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def evens_pace(rate):
    """Whether a machine making `rate` preview frames/s evens the preview's pace."""
    return loop.PACE_BATCH / rate <= EVEN_BATCH_SECONDS


def preview_plan(total, fps, rate, resolution, pace=loop.DEFAULT_PACE):
    """The plan for a loop of `total` frames at `pace`, played at `fps` by a machine making `rate` preview
    frames/s."""
    side = preview_side(resolution)
    keep_up = max(1, math.ceil(fps / (rate * HEADROOM)))
    fits = max(1, math.ceil(total / MAX_PREVIEW_FRAMES))
    step = max(keep_up, fits)
    even = pace == "even" and evens_pace(rate)
    notes = []
    if side < resolution:
        notes.append(f"preview at {side} px of the model's {resolution}")
    if step > 1:
        why = (f"the model makes {rate:.0f} frames/s here" if keep_up >= fits
               else f"the loop has {total} frames")
        notes.append(f"every {ordinal(step)} frame ({why})")
    if notes:
        notes[-1] += "; path.py renders every frame at full size"
    if pace == "even" and not even:
        notes.append("the preview keeps the latent pace (evening it would hold up every change on this "
                     "machine); path.py places the frames evenly")
    return PreviewPlan(total, step, side, even, "; ".join(notes))
