"""Activation maximisation: move the strokes until the chosen layer fires, seen through random views.

One step renders a working window of the canvas, takes `views` augmented views of it (a random crop,
a random perspective, a few pixels of jitter), resizes them to the network's resolution, and takes an
Adam step (`StrokeAdam`) on the control points that raises the mean activation (minus the optional smoothness and
length penalties). The views are what make the result stable: a drawing that excites the layer only
at one exact position and scale does not survive them.

The small pass optimises the whole `size` px canvas. When the drawing is to be repeated (the large
pass), the small canvas is a periodic tile: strokes that leave one side come back on the other, and
views wrap around, so the repetition has no seams and no stroke gets stuck on the canvas's edge.
Otherwise the canvas has edges and the points are kept inside it.

The large pass replicates the strokes `copies` x `copies` times (`strokes.replicate`) and fine-tunes
them with working windows of `size` px at random places of the large canvas, so the network sees the
drawing at the same scale in both passes and every step costs the same whatever the canvas's size.
The points are kept inside the large canvas.

All randomness comes from one numpy Generator, so the same seed gives the same drawing.
"""
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from drawing.backend import tf
from drawing.errors import UserError
from drawing.plotter.render import TINY, coloured_paper, curve_polylines, render, render_periodic

# A view's side, as a fraction of the working window's side.
CROP_SCALES = (0.5, 1.0)
# Each corner of a view moves by up to this fraction of its side: the random perspective.
PERSPECTIVE = 0.1
# The whole view moves by up to this many pixels.
JITTER = 4.0
# Fixed views that measure a drawing's activation before and after (the steps' own views are random).
EVALUATION_VIEWS = 16
EVALUATION_WINDOWS = 4


@dataclass
class Settings:
    """How one pass optimises. `stroke_width` is in canvas pixels; penalties are weights per canvas side."""
    steps: int
    learning_rate: float
    views: int
    stroke_width: float
    smoothness: float = 0.0
    length_penalty: float = 0.0


@dataclass(frozen=True)
class Canvas:
    """The canvas a pass works on: its side, the side of the window rendered per step, and whether it
    is one tile of a periodic pattern (then the window is the whole canvas)."""
    side: int
    window: int
    periodic: bool = False


def pool_factor(canvas, resolution):
    """The box filter that brings the smallest view close to `resolution` without aliasing.

    On a periodic canvas it divides the side, so the filtered image still wraps around exactly.
    """
    factor = max(1, int(CROP_SCALES[0] * canvas.window // resolution))
    while canvas.periodic and canvas.window % factor:
        factor -= 1
    return factor


def view_grids(rng, count, canvas, resolution):
    """Where each pixel of `count` random views samples the window: `[count, R, R, 2]` (x, y) in px.

    A view is a random square crop of the window (anywhere on a periodic canvas), moved by the jitter,
    its corners moved by the perspective; the projective map from the view's square to that
    quadrilateral gives the positions.
    """
    window = canvas.window
    view_corners = np.array([[0, 0], [resolution, 0], [resolution, resolution], [0, resolution]],
                            dtype=np.float32)
    unit_square = view_corners / resolution
    centres = np.stack(np.meshgrid(np.arange(resolution), np.arange(resolution), indexing="xy"), axis=-1)
    centres = centres.reshape(-1, 1, 2).astype(np.float32) + 0.5
    grids = []
    for _ in range(count):
        side = rng.uniform(*CROP_SCALES) * window
        corner = rng.uniform(0, window if canvas.periodic else window - side, size=2)
        corner += rng.uniform(-JITTER, JITTER, size=2)
        quadrilateral = corner + side * (unit_square + rng.uniform(-PERSPECTIVE, PERSPECTIVE, size=(4, 2)))
        transform = cv2.getPerspectiveTransform(view_corners, quadrilateral.astype(np.float32))
        grids.append(cv2.perspectiveTransform(centres, transform).reshape(resolution, resolution, 2))
    return np.stack(grids).astype(np.float32)


def sample_bilinear(image, grids, wrap=False):
    """Bilinear samples `[V, R, R]` of a `[H, W]` image (`[V, R, R, C]` of a `[H, W, C]` one) at `grids`
    (pixel units, pixel centres at i + 0.5): blank paper (zero ink) outside the image, or the image
    repeated when `wrap`."""
    height, width = image.shape[:2]
    channels = list(image.shape[2:])
    x, y = grids[..., 0] - 0.5, grids[..., 1] - 0.5
    if wrap:
        flat, stride = tf.reshape(image, [-1] + channels), width
    else:
        # Indices into the image padded with one pixel of paper; beyond that, positions read the border.
        padding = [[1, 1], [1, 1]] + [[0, 0]] * len(channels)
        flat, stride = tf.reshape(tf.pad(image, padding), [-1] + channels), width + 2
        x = tf.clip_by_value(x + 1, 0.0, width + 1.0)
        y = tf.clip_by_value(y + 1, 0.0, height + 1.0)
    left, top = tf.floor(x), tf.floor(y)
    if not wrap:
        left, top = tf.minimum(left, width), tf.minimum(top, height)
    right_weight, bottom_weight = x - left, y - top
    if channels:
        right_weight, bottom_weight = right_weight[..., None], bottom_weight[..., None]
    left, top = tf.cast(left, tf.int32), tf.cast(top, tf.int32)
    right, bottom = left + 1, top + 1
    if wrap:
        left, right, top, bottom = left % width, right % width, top % height, bottom % height

    def at(column, row):
        return tf.gather(flat, row * stride + column)

    upper = at(left, top) * (1 - right_weight) + at(right, top) * right_weight
    lower = at(left, bottom) * (1 - right_weight) + at(right, bottom) * right_weight
    return upper * (1 - bottom_weight) + lower * bottom_weight


def view_margin(canvas, pool):
    """How far views reach beyond their window (jitter and perspective), rounded up to whole pools."""
    reach = JITTER + PERSPECTIVE * canvas.window
    return int(np.ceil(reach / pool)) * pool


def box_filter(ink, pool):
    """The mean of every `pool` x `pool` block of a `[H, W]` or `[H, W, C]` image."""
    grey = ink.shape.rank == 2
    pooled = tf.nn.avg_pool2d(ink[None, :, :, None] if grey else ink[None], pool, pool, "VALID")[0]
    return pooled[:, :, 0] if grey else pooled


def view_activation(points, widths, origin, canvas, grids, pool, features, pens=None):
    """Activation `[V]` of the views `grids` of the window at `origin`: render, filter, sample, network.

    A window of a larger canvas is rendered with a margin, so that views reaching past its edge see
    the strokes there, as they would on the whole canvas. Black strokes are seen as a grey picture in
    all three channels; with coloured `pens` each pen's strokes are rendered apart and the network sees
    the colour picture of their inks on white paper (`coloured_paper`).
    """
    margin = 0 if canvas.periodic else view_margin(canvas, pool)

    def coverage(strokes, stroke_widths):
        if canvas.periodic:
            return render_periodic(strokes, stroke_widths, canvas.side)
        return render(strokes, stroke_widths, origin - margin, canvas.window + 2 * margin,
                      canvas.window + 2 * margin)

    if pens is None:
        ink = coverage(points, widths)
    else:
        ink = 1.0 - coloured_paper([coverage(tf.gather(points, strokes), tf.gather(widths, strokes))
                                    for strokes in pens.strokes_of_each_pen()], pens.colours)
    if not canvas.periodic:
        grids = grids + margin
    if pool > 1:
        ink = box_filter(ink, pool)
    views = sample_bilinear(ink, grids / pool, wrap=canvas.periodic)
    # Black ink: the grey picture in all three channels.
    paper = tf.repeat(1.0 - views[..., None], 3, axis=-1) if pens is None else 1.0 - views
    return features.activation(paper)


def penalties(points, canvas, settings):
    """Smoothness (squared second differences of the control points) and length, per window side."""
    loss = tf.constant(0.0)
    if settings.smoothness:
        bend = points[:, 2:] - 2 * points[:, 1:-1] + points[:, :-2]
        loss += (settings.smoothness * tf.reduce_mean(tf.reduce_sum(tf.square(bend), axis=[1, 2]))
                 / canvas.window ** 2)
    if settings.length_penalty:
        pieces = curve_polylines(points)
        pieces = pieces[:, 1:] - pieces[:, :-1]
        # The small constant keeps the gradient finite where a piece has no length.
        length = tf.reduce_sum(tf.sqrt(tf.reduce_sum(tf.square(pieces), axis=2) + TINY), axis=1)
        loss += settings.length_penalty * tf.reduce_mean(length) / canvas.window
    return loss


def keep_on_canvas(points, canvas):
    """Points clipped to the canvas; on a periodic one, each stroke moved by whole sides so it starts on it."""
    if canvas.periodic:
        return points - tf.floor(points[:, :1] / canvas.side) * canvas.side
    return tf.clip_by_value(points, 0.0, float(canvas.side))


def window_origins(rng, count, canvas):
    """Top-left corners of `count` working windows: the canvas itself, or random places on it."""
    if canvas.window >= canvas.side:
        return np.zeros((count, 2), dtype=np.float32)
    return rng.integers(0, canvas.side - canvas.window + 1, size=(count, 2)).astype(np.float32)


class StrokeAdam:
    """Adam on the strokes' control points that leaves alone the strokes a step did not see.

    In the large pass a step sees one window; plain Adam would keep moving every other stroke with its
    stale momentum. Here a stroke's moments and its step count (for the bias correction) advance only
    on the steps whose gradient reaches it, as in "lazy" Adam for sparse gradients.
    """
    BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8

    def __init__(self, variable, learning_rate):
        self.variable = variable
        self.learning_rate = learning_rate
        self.first_moment = tf.Variable(tf.zeros_like(variable), trainable=False)
        self.second_moment = tf.Variable(tf.zeros_like(variable), trainable=False)
        self.steps = tf.Variable(tf.zeros([variable.shape[0], 1, 1]), trainable=False)

    def apply(self, gradient):
        seen = tf.reduce_any(gradient != 0, axis=[1, 2], keepdims=True)
        first = tf.where(seen, self.BETA_1 * self.first_moment + (1 - self.BETA_1) * gradient, self.first_moment)
        second = tf.where(seen, self.BETA_2 * self.second_moment + (1 - self.BETA_2) * tf.square(gradient),
                          self.second_moment)
        steps = self.steps + tf.cast(seen, tf.float32)
        corrected_first = first / (1 - tf.pow(self.BETA_1, tf.maximum(steps, 1.0)))
        corrected_second = second / (1 - tf.pow(self.BETA_2, tf.maximum(steps, 1.0)))
        update = self.learning_rate * corrected_first / (tf.sqrt(corrected_second) + self.EPSILON)
        self.variable.assign_sub(tf.where(seen, update, tf.zeros_like(update)))
        self.first_moment.assign(first)
        self.second_moment.assign(second)
        self.steps.assign(steps)


def make_step(variable, features, canvas, settings, pens=None):
    """A compiled optimisation step on the strokes `variable`: step(window origin, view grids) -> activation.

    `pens` (a `render.Pens`, or None for black strokes) colours the strokes the network sees."""
    widths = tf.fill([variable.shape[0]], tf.constant(settings.stroke_width, tf.float32))
    optimizer = StrokeAdam(variable, settings.learning_rate)
    pool = pool_factor(canvas, features.resolution)

    @tf.function
    def step(origin, grids):
        with tf.GradientTape() as tape:
            activation = tf.reduce_mean(view_activation(variable, widths, origin, canvas, grids, pool, features,
                                                         pens))
            loss = penalties(variable, canvas, settings) - activation
        # Coloured pens gather their strokes, which gives the gradient as slices: made dense here.
        optimizer.apply(tf.convert_to_tensor(tape.gradient(loss, variable)))
        variable.assign(keep_on_canvas(variable, canvas))
        return activation

    return step


def random_step_inputs(rng, canvas, settings, resolution):
    """A step's random window origin and views, as tensors."""
    origin = window_origins(rng, 1, canvas)[0]
    return tf.constant(origin), tf.constant(view_grids(rng, settings.views, canvas, resolution))


def optimise(points, features, canvas, settings, rng, description="optimising", pens=None):
    """Strokes after `settings.steps` Adam steps, and the mean view activation of every step.

    `pens` (a `render.Pens`) draws each stroke in its pen's colour; None: all black."""
    variable = tf.Variable(keep_on_canvas(tf.constant(points, tf.float32), canvas))
    step = make_step(variable, features, canvas, settings, pens)
    history = []
    with tqdm(range(settings.steps), desc=description, unit="step", disable=None) as progress:
        for _ in progress:
            history.append(float(step(*random_step_inputs(rng, canvas, settings, features.resolution))))
            if not np.isfinite(history[-1]):
                raise UserError(f"{description}: the activation became {history[-1]} at step {len(history)}; "
                                "try a lower --lr")
            progress.set_postfix(activation=f"{history[-1]:.4g}")
    return variable.numpy(), np.array(history, dtype=np.float64)


def evaluate(points, features, canvas, stroke_width, seed, pens=None):
    """Mean activation over fixed views (the same for the same `seed`): before/after comparisons."""
    rng = np.random.default_rng([seed, 1])
    points = keep_on_canvas(tf.constant(points, dtype=tf.float32), canvas)
    widths = tf.fill([points.shape[0]], tf.constant(stroke_width, tf.float32))
    pool = pool_factor(canvas, features.resolution)
    windows = 1 if canvas.window >= canvas.side else EVALUATION_WINDOWS
    activations = [view_activation(points, widths, tf.constant(origin), canvas,
                                   tf.constant(view_grids(rng, EVALUATION_VIEWS, canvas, features.resolution)),
                                   pool, features, pens)
                   for origin in window_origins(rng, windows, canvas)]
    return float(tf.reduce_mean(tf.concat(activations, axis=0)))
