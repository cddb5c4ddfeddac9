"""How much an image changes from one frame to the next: the one measure of motion in this project.

Even pacing (drawing/gen/pace.py), the motion report of every animation (drawing/gen/motion.py,
gen/motion.py) and the training metrics `ppl` and `jumps` (drawing/gan/metrics.py) all use it:

1. grey: each pixel's luma on 0-255, with ITU-R BT.601's weights 0.299 R + 0.587 G + 0.114 B (the
   weights `metrics.tone_shares` uses; drawings are nearly colourless, so the choice barely matters);
2. blurred: a Gaussian blur of sigma 1 px (OpenCV's, a 9 px kernel, the border mirrored), at the size
   the frames have (a generator's resolution), so that a line moving by a pixel counts as a small change
   rather than as a line vanishing here and appearing there;
3. the change of a step: the mean absolute difference of two such frames, in grey levels.

Frames are streamed: `ChangeMeter` keeps only the first and the latest blurred frame, so measuring an
animation of any length at 1024 px holds two frames, not all of them.
"""
import cv2
import numpy as np

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)   # ITU-R BT.601
BLUR_SIGMA = 1.0                                              # px


def blurred_grey(images):
    """Frames [N, H, W, 3] (float in [0, 1], or uint8) as blurred grey levels float32 [N, H, W] on 0-255."""
    images = np.asarray(images)
    scale = 1.0 if images.dtype == np.uint8 else 255.0
    grey = images.astype(np.float32) @ (LUMA_WEIGHTS * np.float32(scale))
    return np.stack([cv2.GaussianBlur(frame, (0, 0), BLUR_SIGMA, borderType=cv2.BORDER_REFLECT_101)
                     for frame in grey])


def change_between(before, after):
    """The change between blurred grey frames (or stacks of them, pairwise): mean absolute difference."""
    return np.abs(np.asarray(after, np.float32) - np.asarray(before, np.float32)).mean(axis=(-2, -1),
                                                                                       dtype=np.float64)


class ChangeMeter:
    """The change of every step of frames given a batch at a time, in order; `changes(closed=True)` adds
    the step from the last frame back to the first, as a loop played on repeat shows it."""

    def __init__(self):
        self.first = self.previous = None
        self.steps = []
        self.count = 0

    def add(self, images):
        """Measure the next frames [N, H, W, 3] (float in [0, 1], or uint8)."""
        if len(images) == 0:
            return
        blurred = blurred_grey(images)
        if self.previous is None:
            self.first = blurred[0]
        else:
            self.steps.append(change_between(self.previous, blurred[:1]))
        if len(blurred) > 1:
            self.steps.append(change_between(blurred[:-1], blurred[1:]))
        self.previous = blurred[-1]
        self.count += len(blurred)

    def changes(self, closed=True):
        """float64 [steps]: `count - 1` steps, or `count` with the closing one when `closed`."""
        steps = list(self.steps)
        if closed and self.count > 0:
            steps.append(change_between(self.previous[None], self.first[None]))
        return np.concatenate(steps) if steps else np.zeros(0)
