"""Projection: the latent whose generated image is closest to a given drawing (gen/project.py).

The generator has no mapping network, so the latent is the z it takes. For each target:
1. `starts` latents are drawn from N(0, I), the generator's own prior;
2. all of them descend, together, by Adam on the distance from their images to the target, plus a
   penalty keeping each near the sphere of radius sqrt(latent_size) where N(0, I) puts almost all of
   its mass (far from it the generator was never trained and its images drift off the drawings);
3. after the first `explore` of the steps only the closest start goes on (with its Adam state), so
   the remaining steps cost one image each instead of `starts` (at 256 px that is most of the time);
4. the learning rate ramps up over the first steps and follows a cosine down to zero, so the
   latent settles instead of jittering.
The generator's first layer normalises z (pixel norm), so its image depends on z's direction alone:
the penalty only fixes the length, at the typical one, so that the latents interpolate (gen/path.py
keyframes) like the generator's random ones.

The distance sees lines, not just pixels. Pixels are compared at several scales (the image and its
2x, 4x, ... box-filtered halvings, down to `COARSEST_SCALE` px), so a line a pixel off costs little at
the coarse scales instead of counting twice at full size. Features are the activations of a
network's convolutions, each normalised over its channels (what the layer responds to, not how
strongly) and compared per position: the model's own discriminator, which has learned the artist's
strokes, or VGG16 (drawing.plotter.network loads either).
"""
import math
from dataclasses import dataclass

import numpy as np

from drawing.backend import keras, tf

# Pixel scales stop at this side: coarser images say nothing about lines.
COARSEST_SCALE = 8
# Discriminator layers compared: the first convolution of every block down to this resolution (below
# it the blocks see too little of the image to say where a line is; 4 x 4 holds the minibatch layer).
COARSEST_FEATURES = 8
VGG16_FEATURE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3")
# Normalising features divides by their size over the channels; this keeps empty positions finite.
FEATURE_EPSILON = 1e-8
# Fraction of the steps over which the learning rate ramps up from zero.
WARM_UP = 0.05


def pixel_scales(resolution):
    """How many box-filtered halvings the pixel distance uses: from `resolution` down to COARSEST_SCALE."""
    return max(1, int(math.log2(max(resolution // COARSEST_SCALE, 1))) + 1)


def multiscale_pixel_distance(images, target, scales):
    """Mean squared difference per image `[N]`, averaged over `scales` successive 2x box halvings."""
    total = 0.0
    for scale in range(scales):
        if scale:
            images = tf.nn.avg_pool2d(images, 2, 2, "VALID")
            target = tf.nn.avg_pool2d(target, 2, 2, "VALID")
        total += tf.reduce_mean(tf.square(images - target), axis=[1, 2, 3])
    return total / scales


def normalised(features):
    """Each position's feature vector divided by its root mean square over the channels."""
    return features * tf.math.rsqrt(tf.reduce_mean(tf.square(features), axis=-1, keepdims=True) + FEATURE_EPSILON)


def discriminator_feature_layers(model, coarsest=COARSEST_FEATURES):
    """The first convolution of every discriminator block from the finest down to `coarsest` px."""
    resolution = int(model.inputs[0].shape[1])
    names = []
    while resolution >= coarsest:
        names.append(f"conv_{resolution}x{resolution}_1")
        resolution //= 2
    return [name for name in names if any(layer.name == name for layer in model.layers)]


@dataclass
class FeatureNetwork:
    """Images in [0, 1] at the generator's resolution -> a list of feature maps (one per layer)."""
    model: object           # tf-keras Model with one output per layer
    preprocess: object      # images in [0, 1] at the network's resolution -> its input
    resolution: int         # side of the images the network takes
    layers: tuple
    description: str

    def __call__(self, images):
        if images.shape[1] != self.resolution:
            images = tf.image.resize(images, [self.resolution, self.resolution], method="area"
                                     if images.shape[1] > self.resolution else "bilinear")
        outputs = self.model(self.preprocess(images), training=False)
        return [normalised(output) for output in (outputs if isinstance(outputs, list) else [outputs])]


def feature_network(network):
    """The `FeatureNetwork` of a loaded drawing.plotter.network.Network (the discriminator or VGG16)."""
    names = [layer.name for layer in network.model.layers]
    if "block1_conv2" in names:
        layers = VGG16_FEATURE_LAYERS
    else:
        layers = tuple(discriminator_feature_layers(network.model))
    model = keras.Model(network.model.input, [network.model.get_layer(name).output for name in layers])
    return FeatureNetwork(model, network.preprocess, network.resolution, layers, network.description)


def feature_distance(features, target_features):
    """Mean squared difference of normalised features per image `[N]`, averaged over the layers."""
    total = 0.0
    for image_feature, target_feature in zip(features, target_features):
        total += tf.reduce_mean(tf.square(image_feature - target_feature), axis=[1, 2, 3])
    return total / len(features)


def sphere_penalty(latents):
    """(|z| / sqrt(latent_size) - 1)^2 per latent: zero on the sphere where N(0, I) puts its mass."""
    size = tf.cast(tf.shape(latents)[1], tf.float32)
    return tf.square(tf.norm(latents, axis=1) / tf.sqrt(size) - 1.0)


def learning_rate_at(step, steps, peak):
    """A linear ramp up over the first WARM_UP of the steps, then a cosine down to zero."""
    progress = step / max(steps, 1)
    ramp_up = min(1.0, progress / WARM_UP) if WARM_UP > 0 else 1.0
    return peak * ramp_up * 0.5 * (1.0 + math.cos(math.pi * progress))


class Projector:
    """Projects drawings onto the latent space of one generator; see the module docstring.

    `generator` is a drawing.gan.Generator; `features` a FeatureNetwork or None (pixels only); `settings`
    the steps, starts, weights and learning rate (drawing.gen.project_run.Settings, gen/project.py's options).
    """

    # Adam's usual constants.
    BETA_1, BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-8

    def __init__(self, generator, features, settings):
        self.generator = generator
        self.features = features
        self.settings = settings
        self.scales = pixel_scales(generator.resolution)
        # The first dimension is the number of starts still going: all of them, then one.
        shape = [settings.starts, generator.latent_size]
        free = tf.TensorShape([None, generator.latent_size])
        self.latents = tf.Variable(tf.zeros(shape), shape=free)
        self.first_moment = tf.Variable(tf.zeros(shape), shape=free)
        self.second_moment = tf.Variable(tf.zeros(shape), shape=free)
        self._step = tf.function(self._adam_step)
        self._distance = tf.function(self._distances)

    def images(self, latents):
        """The generator's images, clipped to [0, 1] as they are written."""
        return tf.clip_by_value(self.generator.model(latents, training=False), 0.0, 1.0)

    def _distances(self, latents, target):
        """(distance, pixel distance) per latent to the target image `[1, R, R, 3]`."""
        images = self.images(latents)
        pixels = multiscale_pixel_distance(images, target, self.scales)
        distance = self.settings.pixel_weight * pixels
        if self.features is not None and self.settings.feature_weight > 0:
            target_features = self.features(target)
            distance += self.settings.feature_weight * feature_distance(self.features(images), target_features)
        return distance, pixels

    def _adam_step(self, target, learning_rate, step):
        """One Adam step of every latent still going; returns their distances before the step."""
        with tf.GradientTape() as tape:
            distance, _ = self._distances(self.latents, target)
            loss = tf.reduce_sum(distance + self.settings.sphere_weight * sphere_penalty(self.latents))
        gradient = tape.gradient(loss, self.latents)
        self.first_moment.assign(self.BETA_1 * self.first_moment + (1 - self.BETA_1) * gradient)
        self.second_moment.assign(self.BETA_2 * self.second_moment + (1 - self.BETA_2) * tf.square(gradient))
        corrected_first = self.first_moment / (1 - tf.pow(self.BETA_1, step))
        corrected_second = self.second_moment / (1 - tf.pow(self.BETA_2, step))
        self.latents.assign_sub(learning_rate * corrected_first
                                / (tf.sqrt(corrected_second) + self.ADAM_EPSILON))
        return distance

    def keep_only(self, index):
        """Drop every start but `index`, keeping its Adam state."""
        for variable in (self.latents, self.first_moment, self.second_moment):
            variable.assign(variable[index:index + 1])

    def distances(self, latents, target):
        """(distance, pixel distance) as numpy arrays `[N]` from `latents` `[N, latent_size]` to `target`."""
        distance, pixels = self._distance(tf.convert_to_tensor(latents, tf.float32),
                                          tf.convert_to_tensor(target[None], tf.float32))
        return distance.numpy(), pixels.numpy()

    def project(self, target, rng, on_step=None):
        """(latent `[latent_size]` float32, its distance, its pixel distance, the starts' mean distance).

        `target` is float32 `[R, R, 3]` in [0, 1]; `rng` a numpy Generator drawing the starts;
        `on_step()` is called after every step (a progress bar).
        """
        settings = self.settings
        starts = rng.standard_normal((settings.starts, self.generator.latent_size)).astype(np.float32)
        start_distance, _ = self.distances(starts, target)
        self.latents.assign(starts)
        self.first_moment.assign(tf.zeros_like(starts))
        self.second_moment.assign(tf.zeros_like(starts))
        target_tensor = tf.convert_to_tensor(target[None], tf.float32)
        exploring = math.ceil(settings.explore * settings.steps)
        distance = start_distance
        for step in range(settings.steps):
            if step == exploring and settings.starts > 1:
                self.keep_only(int(np.argmin(np.asarray(distance))))
            rate = learning_rate_at(step, settings.steps, settings.learning_rate)
            distance = self._step(target_tensor, tf.constant(rate, tf.float32), tf.constant(step + 1, tf.float32))
            if on_step is not None:
                on_step()
        latents = self.latents.numpy()
        distance, pixels = self.distances(latents, target)
        best = int(np.argmin(distance))
        return latents[best], float(distance[best]), float(pixels[best]), float(np.mean(start_distance))
