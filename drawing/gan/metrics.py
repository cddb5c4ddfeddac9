"""Numbers for a generator's quality, from its images and the training images.

- `swd`: ProGAN's sliced Wasserstein distance (Karras et al. 2018, section 5 and appendix D). Each image
  becomes a Laplacian pyramid, from its full resolution down to 16 px; from every level, 128 random 7 x 7
  neighbourhoods per image, each a descriptor of 7 x 7 x 3 values. Each set's descriptors are
  normalised per colour channel (its own mean and standard deviation), then projected on 512 random unit
  directions (4 repeats of 128); the distance between the sorted projections of the two sets, averaged
  over directions and levels, is the SWD. Reported x 1000, as ProGAN's tables. It needs no pretrained
  network, so it always works, offline too. Small when the two sets have the same local structure at
  every scale (lines as thick, edges as sharp, blobs as big).
- `fid`, `kid`: Fréchet and kernel Inception distances between InceptionV3 pool features (2048 values
  per image, from the ImageNet weights Keras downloads or a local .h5). FID is biased upwards at small
  image counts, KID is not (the unbiased MMD estimate with a cubic polynomial kernel over subsets).
- `ppl`, `jumps`: how smoothly the generator animates, of the generator alone (no training images),
  both with the change measure of drawing/change.py (blurred luma, mean absolute difference, 0-255):
  `ppl` is StyleGAN's perceptual path length (Karras et al. 2019, section 3.2) with that measure in
  place of LPIPS: `ppl_pairs` pairs of latents, a random point t of the spherical interpolation
  between each pair, the change from t to t + 1e-4 (float images, unrounded) over 1e-4 squared, the
  mean of the values from the 1st to the 99th percentile. `jumps` walks `jumps_loops` closed bezier
  loops of 4 segments (path.py's bezier style), `jumps_frames` frames each at the latent pace, and
  gives the share of a loop's change that falls in its largest 5 % of steps (a fractional step
  counted in part), averaged over the loops: 0.05 is perfectly even, 1 all change in one jump.
"""
import math
from pathlib import Path

import numpy as np

from drawing.change import ChangeMeter, blurred_grey, change_between
from drawing.errors import UserError
from drawing.gen import latent_paths

METRIC_NAMES = ("swd", "kid", "fid", "ppl", "jumps")
INCEPTION_METRICS = ("kid", "fid")
REAL_METRICS = ("swd", "kid", "fid")     # against the training images
PATH_METRICS = ("ppl", "jumps")          # of the generator alone

SWD_MIN_RESOLUTION = 16        # the smallest pyramid level (the whole image when it is smaller)
SWD_PATCH_SIZE = 7             # 7 x 7 neighbourhoods
SWD_PATCHES_PER_IMAGE = 128    # per image and level
SWD_DIRECTIONS_PER_REPEAT = 128
SWD_REPEATS = 4                # 512 directions in all, 128 at a time (bounded memory)
SWD_SCALE = 1e3                # as ProGAN reports it
# Random streams of an evaluation, each folded with its seed.
REAL_PATCHES, FAKE_PATCHES, DIRECTIONS, LATENTS, KID_SUBSETS_DRAW, PPL_DRAW, JUMPS_DRAW = range(7)
# 5-tap binomial filter of the Gaussian pyramid (Burt and Adelson), separable.
BINOMIAL = np.array([1, 4, 6, 4, 1], np.float32) / 16


# ---- SWD --------------------------------------------------------------------------------------------

def _blur(images):
    """[N, H, W, C] images convolved with the binomial filter along H and W, edges mirrored."""
    height, width = images.shape[1:3]
    padded = np.pad(images, [(0, 0), (2, 2), (0, 0), (0, 0)], mode="reflect")
    rows = sum(weight * padded[:, tap:tap + height] for tap, weight in enumerate(BINOMIAL))
    padded = np.pad(rows, [(0, 0), (0, 0), (2, 2), (0, 0)], mode="reflect")
    return sum(weight * padded[:, :, tap:tap + width] for tap, weight in enumerate(BINOMIAL))


def pyramid_down(images):
    return _blur(images)[:, ::2, ::2]


def pyramid_up(images):
    """Twice the size: zeros between the samples, blurred, times 4 to keep the brightness."""
    count, height, width, channels = images.shape
    upsampled = np.zeros((count, height * 2, width * 2, channels), np.float32)
    upsampled[:, ::2, ::2] = images
    return _blur(upsampled) * 4


def laplacian_pyramid(images, min_resolution=SWD_MIN_RESOLUTION):
    """float [N, R, R, C] -> [the band-pass level at R, at R/2, ..., the Gaussian level at `min_resolution`]
    (a single level when R is at most `min_resolution`)."""
    levels = []
    current = np.asarray(images, np.float32)
    while current.shape[1] > min_resolution:
        smaller = pyramid_down(current)
        levels.append(current - pyramid_up(smaller))
        current = smaller
    levels.append(current)
    return levels


def patch_descriptors(level, rng, per_image=SWD_PATCHES_PER_IMAGE, size=SWD_PATCH_SIZE):
    """[N * per_image, size * size * C] neighbourhoods at random places of each image of one level."""
    count, height, width, channels = level.shape
    size = min(size, height, width)
    ys = rng.integers(0, height - size + 1, (count, per_image))
    xs = rng.integers(0, width - size + 1, (count, per_image))
    offsets = np.arange(size)
    rows = (ys[..., None] + offsets)[..., :, None]                 # [N, P, size, 1]
    columns = (xs[..., None] + offsets)[..., None, :]              # [N, P, 1, size]
    patches = level[np.arange(count)[:, None, None, None], rows, columns]   # [N, P, size, size, C]
    return patches.reshape(count * per_image, size * size * channels)


def normalise_descriptors(descriptors, channels=3):
    """Per colour channel: minus the set's mean, over the set's standard deviation."""
    normalised = np.empty(descriptors.shape, np.float32)
    for channel in range(channels):
        values = np.ascontiguousarray(descriptors[:, channel::channels])   # fast reductions
        normalised[:, channel::channels] = (values - values.mean()) / max(float(values.std()), 1e-8)
    return normalised


def sliced_wasserstein(a, b, rng, repeats=SWD_REPEATS, directions=SWD_DIRECTIONS_PER_REPEAT):
    """Mean over random unit directions of the 1-D Wasserstein distance between the projected sets (of
    equal size)."""
    distances = []
    for _ in range(repeats):
        axes = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        axes /= np.linalg.norm(axes, axis=0, keepdims=True)
        # One row per direction, contiguous: sorting along rows is several times faster than across.
        projected_a = np.sort(axes.T @ a.T, axis=1)
        projected_b = np.sort(axes.T @ b.T, axis=1)
        distances.append(np.abs(projected_a - projected_b).mean())
    return float(np.mean(distances))


def swd_descriptors(images, seed):
    """The normalised patch descriptors of each pyramid level of float [N, R, R, 3] images in [0, 1]."""
    rng = np.random.default_rng(seed)
    return [normalise_descriptors(patch_descriptors(level, rng)) for level in laplacian_pyramid(images)]


def swd(reference, images, seed=0):
    """SWD x 1000 between two sets of float [N, R, R, 3] images in [0, 1] (or the first's descriptors)."""
    if isinstance(reference, np.ndarray):
        reference = swd_descriptors(reference, [seed, REAL_PATCHES])
    levels = swd_descriptors(images, [seed, FAKE_PATCHES])
    rng = np.random.default_rng([seed, DIRECTIONS])
    per_level = [sliced_wasserstein(a, b, rng) for a, b in zip(reference, levels)]
    return float(np.mean(per_level)) * SWD_SCALE


# ---- Inception features, FID and KID ----------------------------------------------------------------

INCEPTION_SIZE = 299           # InceptionV3's input size
INCEPTION_BATCH = 32
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"   # what Keras downloads
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000


def inception_model(weights="imagenet"):
    """InceptionV3 up to its 2048-value average pool. `weights`: "imagenet" (Keras downloads them on first
    use, ~90 MB, to ~/.keras/models), a local .h5 file of them, or None (random: for tests only).
    A one-line UserError when neither works, so a run can say so before it trains."""
    from drawing.backend import keras
    build = keras.applications.InceptionV3
    shape = (INCEPTION_SIZE, INCEPTION_SIZE, 3)
    if weights in ("imagenet", None):
        try:
            return build(include_top=False, weights=weights, pooling="avg", input_shape=shape)
        except Exception as error:   # no network, a proxy, a full disk: all say the same to the user
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UserError(f"InceptionV3's ImageNet weights (for kid and fid) could not be downloaded "
                            f"({reason}); on a machine that is online, get {INCEPTION_WEIGHTS_FILE} (Keras "
                            "puts it in ~/.keras/models) and name it in options.json's inception_weights, "
                            'or measure "swd" only') from None
    if not Path(weights).is_file():
        raise UserError(f"{weights}: not found (the InceptionV3 weights of inception_weights)")
    model = build(include_top=False, weights=None, pooling="avg", input_shape=shape)
    try:
        model.load_weights(str(weights))
    except Exception as error:   # h5py and Keras raise OSError, ValueError, KeyError, ... for a bad file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"{weights}: not InceptionV3 weights without the top layers "
                        f"({INCEPTION_WEIGHTS_FILE}) ({reason})") from None
    return model


def inception_features(model, images, batch_size=INCEPTION_BATCH):
    """float [N, R, R, 3] images in [0, 1] -> float64 [N, 2048] pool features (resized to 299 px)."""
    from drawing.backend import tf

    @tf.function
    def features(batch):
        resized = tf.image.resize(batch, [INCEPTION_SIZE, INCEPTION_SIZE], method="bilinear")
        return model(resized * 2.0 - 1.0, training=False)   # InceptionV3 expects [-1, 1]

    return np.concatenate([features(tf.constant(images[start:start + batch_size], tf.float32)).numpy()
                           for start in range(0, len(images), batch_size)]).astype(np.float64)


def frechet_distance(a, b):
    """FID between two feature sets: |mean_a - mean_b|^2 + Tr(C_a) + Tr(C_b) - 2 Tr((C_a C_b)^(1/2)).

    With X the centred features, C_a C_b's eigenvalues are the squared singular values of
    X_a X_b^T / sqrt((n_a - 1)(n_b - 1)), so the last trace is their sum: exact, and stable even when
    there are fewer images than features (where the covariances are singular and sqrtm struggles)."""
    centred_a, centred_b = a - a.mean(axis=0), b - b.mean(axis=0)
    scale_a, scale_b = len(a) - 1, len(b) - 1
    root_trace = np.linalg.svd(centred_a @ centred_b.T, compute_uv=False).sum() / math.sqrt(scale_a * scale_b)
    return float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2) + np.sum(centred_a ** 2) / scale_a
                 + np.sum(centred_b ** 2) / scale_b - 2 * root_trace)


def kernel_distance(a, b, rng, subsets=KID_SUBSETS, subset_size=KID_SUBSET_SIZE):
    """KID: the unbiased squared MMD with the kernel (x.y / d + 1)^3, averaged over random subsets."""
    dimensions = a.shape[1]
    size = min(len(a), len(b), subset_size)
    total = 0.0
    for _ in range(subsets):
        x = a[rng.choice(len(a), size, replace=False)]
        y = b[rng.choice(len(b), size, replace=False)]
        kxx = (x @ x.T / dimensions + 1) ** 3
        kyy = (y @ y.T / dimensions + 1) ** 3
        kxy = (x @ y.T / dimensions + 1) ** 3
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (size * (size - 1))
        total += within - 2 * kxy.mean()
    return float(total / subsets)


# ---- smoothness: ppl and jumps -----------------------------------------------------------------------

PPL_EPSILON = 1e-4
PPL_PERCENTILES = (1, 99)      # the values kept, as StyleGAN does: outliers of a few pairs skew the mean
PPL_PAIRS = 256
JUMPS_SEGMENTS = 4
JUMPS_LOOPS = 4
JUMPS_FRAMES = 80
JUMPS_TOP_SHARE = 0.05


def in_chunks(generator, latents):
    """float images [N, R, R, 3] of `latents`, a bounded number of them at a time."""
    from drawing.gan.models import images_per_chunk
    chunk = images_per_chunk(generator.resolution)
    for start in range(0, len(latents), chunk):
        yield np.asarray(generator(latents[start:start + chunk]))


def path_length(generator, pairs=PPL_PAIRS, seed=0):
    """`ppl` (see the module's docstring) of a generator with `latent_size` and `resolution`."""
    rng = np.random.default_rng([seed, PPL_DRAW])
    starts = rng.standard_normal((pairs, generator.latent_size))
    ends = rng.standard_normal((pairs, generator.latent_size))
    points = rng.uniform(0.0, 1.0, pairs)
    # each pair's two latents one after the other: [a_0, b_0, a_1, b_1, ...]
    latents = np.concatenate([latent_paths.slerp(start, end, [point, point + PPL_EPSILON])
                              for start, end, point in zip(starts, ends, points)]).astype(np.float32)
    grey = np.concatenate([blurred_grey(images) for images in in_chunks(generator, latents)])
    values = change_between(grey[0::2], grey[1::2]) / PPL_EPSILON ** 2
    low, high = np.percentile(values, PPL_PERCENTILES)
    return float(values[(values >= low) & (values <= high)].mean())


def top_share(changes, share=JUMPS_TOP_SHARE):
    """The share of the total change in the largest `share` of the steps (a fractional step in part)."""
    ordered = np.sort(np.asarray(changes, dtype=np.float64))[::-1]
    if ordered.sum() <= 0:
        return share     # nothing moves: no step is larger than another
    count = share * len(ordered)
    whole = int(count)
    partial = (count - whole) * ordered[whole] if whole < len(ordered) else 0.0
    return float((ordered[:whole].sum() + partial) / ordered.sum())


def jumps(generator, loops=JUMPS_LOOPS, frames=JUMPS_FRAMES, seed=0):
    """`jumps` (see the module's docstring) of a generator with `latent_size` and `resolution`."""
    rng = np.random.default_rng([seed, JUMPS_DRAW])
    shares = []
    for _ in range(loops):
        anchors = latent_paths.bezier_anchors(rng, JUMPS_SEGMENTS, generator.latent_size)
        loop = latent_paths.bezier_loop_path(latent_paths.bezier_control_points(anchors), frames / JUMPS_SEGMENTS)
        meter = ChangeMeter()
        for images in in_chunks(generator, loop.latents()):
            meter.add(images)
        shares.append(top_share(meter.changes(closed=True)))
    return float(np.mean(shares))


# ---- colour and ink ---------------------------------------------------------------------------------

SATURATED = 0.25      # HSV saturation above which a pixel counts as coloured
DARK = 100 / 255      # luma (ITU-R 601) below which a pixel counts as ink


def tone_shares(images):
    """(share of coloured pixels, share of dark pixels) of float [N, R, R, 3] images in [0, 1]: a line
    drawing is nearly colourless, and its ink covers about the same share of the page as the reals' does."""
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    brightest, darkest = images.max(axis=-1), images.min(axis=-1)
    saturation = np.where(brightest > 0, (brightest - darkest) / np.maximum(brightest, 1e-8), 0.0)
    luma = images @ np.array([0.299, 0.587, 0.114], np.float32)
    return float((saturation > SATURATED).mean()), float((luma < DARK).mean())


# ---- a generator against the training images --------------------------------------------------------

METRICS_DATA = 2   # offset of the run's seed for the real images' order (training uses 0, reals.png 1)


def metric_reals(files, resolution, count, seed, shuffle_buffer=1000):
    """`count` float [R, R, 3] training images from the shards, in an order of their own; the same for a
    run's training-time metrics and for train/metrics.py on its checkpoints (both use the run's seed).
    A dataset smaller than `count` is repeated."""
    from drawing.gan.dataset import make_dataset
    reals = make_dataset(files, resolution, count, {0: 1}, seed=seed + METRICS_DATA, shuffle_buffer=shuffle_buffer)
    return next(iter(reals)).numpy()


def check_metric_names(names):
    unknown = [name for name in names if name not in METRIC_NAMES]
    if unknown:
        raise UserError(f"unknown metric {unknown[0]!r} (choose from {', '.join(METRIC_NAMES)})")


class Metrics:
    """The chosen metrics of generators, against one set of real images whose side is computed once.

    `reals`: float [N, R, R, 3] in [0, 1] (needed for swd, kid and fid only); `inception`: an
    `inception_model` where kid or fid is asked; `ppl_pairs`, `jumps_loops`, `jumps_frames`: the counts
    of ppl and jumps. Every evaluation draws its fakes, its pairs and its loops from the same latents,
    so two generators are compared on equal terms.
    """

    def __init__(self, names, reals=None, inception=None, seed=0, ppl_pairs=PPL_PAIRS, jumps_loops=JUMPS_LOOPS,
                 jumps_frames=JUMPS_FRAMES):
        check_metric_names(names)
        self.names, self.seed = tuple(names), seed
        self.count = 0 if reals is None else len(reals)
        self.inception = inception
        self.ppl_pairs, self.jumps_loops, self.jumps_frames = ppl_pairs, jumps_loops, jumps_frames
        if any(name in REAL_METRICS for name in names) and reals is None:
            raise ValueError("swd, kid and fid need real images")
        if "swd" in names:
            # float16 halves the memory of the real descriptors kept for the whole run (~230 MB at 64 px).
            descriptors = swd_descriptors(reals, [seed, REAL_PATCHES])
            self.real_descriptors = [level.astype(np.float16) for level in descriptors]
        if any(name in INCEPTION_METRICS for name in names):
            if inception is None:
                raise ValueError("kid and fid need an InceptionV3 model")
            self.real_features = inception_features(inception, reals)

    def latents(self, latent_size):
        rng = np.random.default_rng([self.seed, LATENTS])
        return rng.standard_normal((self.count, latent_size)).astype(np.float32)

    def __call__(self, generator):
        """{name: value} for a `drawing.gan.Generator` (images from the same latents every time)."""
        fakes = None
        if any(name in REAL_METRICS for name in self.names):
            fakes = np.asarray(generator(self.latents(generator.latent_size)))
        return self.measure(generator, fakes)

    def measure(self, generator, fakes=None):
        """{name: value}, in the order of the names: swd, kid and fid of `fakes` (the generator's images
        of `latents()`), ppl and jumps of the generator itself."""
        values = self.of_images(fakes) if fakes is not None else {}
        if "ppl" in self.names:
            values["ppl"] = path_length(generator, self.ppl_pairs, self.seed)
        if "jumps" in self.names:
            values["jumps"] = jumps(generator, self.jumps_loops, self.jumps_frames, self.seed)
        return {name: values[name] for name in self.names}

    def of_images(self, fakes):
        """{name: value} of swd, kid and fid (those chosen) of the generator's images of `latents()`."""
        values = {}
        if "swd" in self.names:
            values["swd"] = swd([d.astype(np.float32) for d in self.real_descriptors], fakes, self.seed)
        if any(name in INCEPTION_METRICS for name in self.names):
            features = inception_features(self.inception, fakes)
            if "kid" in self.names:
                subsets = np.random.default_rng([self.seed, KID_SUBSETS_DRAW])
                values["kid"] = kernel_distance(self.real_features, features, subsets)
            if "fid" in self.names:
                values["fid"] = frechet_distance(self.real_features, features)
        return values
