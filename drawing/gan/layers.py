"""The building blocks of both networks: resampling filters, normalisations and equalised-lr layers.

Equalised learning rate (ProGAN): every kernel is drawn from N(0, 1) and multiplied at run time by a
non-trainable scalar weight `scale` = 1/sqrt(fan_in), so Adam sees every weight at the same scale.
Every weighted layer holds exactly [kernel, bias, scale], in that order: the original's checkpoints are
plain lists of arrays, so the order of weights is part of the file format.

Tensors are NHWC. Images inside the networks are in [-1, 1]; at the models' edges they are in [0, 1].
"""
import math

import numpy as np

from drawing.backend import keras, tf

LEAKY_RELU_SLOPE = 0.2
ACTIVATION_GAIN = math.sqrt(2.0)
PIXEL_NORM_EPSILON = 1e-7
STDDEV_EPSILON = 1e-7
MINIBATCH_GROUP_SIZE = 4
RESIDUAL_SCALE = 1.0 / math.sqrt(2.0)


def blur_filter():
    """The [1, 3, 3, 1] binomial filter as a 4x4 array summing to one."""
    taps = np.array([1.0, 3.0, 3.0, 1.0])
    return np.outer(taps, taps) / 64.0


def blur(x, strides=1):
    """Depthwise blur of every channel; with `strides=2`, the blurred image sampled every other pixel.

    'SAME' padding, as TensorFlow places it (one pixel before, two after at stride 1), as the original does.
    """
    channel_count = x.shape[-1]
    kernel = tf.constant(blur_filter(), dtype=x.dtype)[:, :, tf.newaxis, tf.newaxis]
    kernel = tf.tile(kernel, [1, 1, channel_count, 1])
    return tf.nn.depthwise_conv2d(x, kernel, strides=[1, strides, strides, 1], padding="SAME")


def pooled_blur(x):
    """`blur(x)` at stride 1 as three 2x2 box averages ([1, 1] convolved with itself twice is
    [1, 3, 3, 1]), padded as `blur` pads. Same result to float rounding, with no kernel: the TensorFlow
    Lite converter would store a depthwise kernel in 8 bits and run it on a slow path (gen/'s --int8)."""
    x = tf.pad(x, [[0, 0], [1, 2], [1, 2], [0, 0]])
    for _ in range(3):
        x = tf.nn.avg_pool2d(x, 2, strides=1, padding="VALID")
    return x


def upsample(x):
    """Double the height and width: zeros between the pixels, times 4 to keep the mean, then blur."""
    height, width, channel_count = x.shape[1], x.shape[2], x.shape[3]
    # Zeros after every pixel of a row, then a zero row after every row; 4-D throughout so that the
    # TensorFlow Lite converter (gen/'s --int8) takes it as well.
    x = tf.reshape(x * 4.0, [-1, width, 1, channel_count])
    x = tf.pad(x, [[0, 0], [0, 0], [0, 1], [0, 0]])
    x = tf.reshape(x, [-1, height, 1, width * 2 * channel_count])
    x = tf.pad(x, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return blur(tf.reshape(x, [-1, height * 2, width * 2, channel_count]))


def downsample(x):
    """Halve the height and width: blur, keeping every other pixel."""
    return blur(x, strides=2)


def pixel_norm(x, epsilon=PIXEL_NORM_EPSILON):
    """Each vector scaled to unit root-mean-square over its last axis (computed in float32)."""
    original_dtype = x.dtype
    x = tf.cast(x, tf.float32)
    x = x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=-1, keepdims=True) + epsilon)
    return tf.cast(x, original_dtype)


def minibatch_stddev(x, group_size=MINIBATCH_GROUP_SIZE, epsilon=STDDEV_EPSILON):
    """Append one channel: the standard deviation over each group of samples, averaged over everything.

    Groups are consecutive samples (0-3, 4-7, ...) of min(group_size, batch) each; the batch must divide
    into them. This tells the discriminator how varied a batch is, which discourages mode collapse.
    """
    original_dtype = x.dtype
    shape = tf.shape(x)
    group_size = tf.minimum(group_size, shape[0])
    tf.debugging.assert_equal(shape[0] % group_size, 0,
                              message="minibatch stddev: the batch size must divide into groups of 4")
    grouped = tf.cast(tf.reshape(x, tf.concat([[-1, group_size], shape[1:]], 0)), tf.float32)
    mean = tf.reduce_mean(grouped, axis=1, keepdims=True)
    stddev = tf.sqrt(tf.reduce_mean(tf.square(grouped - mean), axis=1, keepdims=True) + epsilon)
    per_group = tf.reduce_mean(stddev, axis=[2, 3, 4], keepdims=True)
    feature = tf.broadcast_to(per_group, tf.concat([tf.shape(grouped)[:-1], [1]], 0))
    grouped = tf.concat([grouped, feature], axis=-1)
    return tf.cast(tf.reshape(grouped, tf.concat([[-1], shape[1:3], [x.shape[-1] + 1]], 0)), original_dtype)


class PixelNorm(keras.layers.Layer):
    def call(self, x):
        return pixel_norm(x)


class Upsample(keras.layers.Layer):
    def call(self, x):
        return upsample(x)


class Downsample(keras.layers.Layer):
    def call(self, x):
        return downsample(x)


class MinibatchStddev(keras.layers.Layer):
    def call(self, x):
        return minibatch_stddev(x)


class ScaledLeakyRelu(keras.layers.Layer):
    """Leaky ReLU (slope 0.2) times sqrt(2), which keeps the signal's variance through the layer."""

    def call(self, x):
        # The gain goes in first (the same for a positive factor): a converter can then fold it into
        # the convolution before, and Grappler's remapper does not fuse Conv2D + BiasAdd + LeakyRelu into
        # one op, whose LeakyReluGrad would still read the BiasAdd it removed ("remapper failed: ...
        # fanout ... exist for missing node .../BiasAdd" in the discriminator's gradient graph). So fusion
        # stays on everywhere (tests/test_gan_training.py checks that no such error is logged).
        return tf.nn.leaky_relu(x * ACTIVATION_GAIN, LEAKY_RELU_SLOPE)


class ImageRange(keras.layers.Layer):
    """Images from [0, 1] to the networks' [-1, 1] (`to_model=True`) or back."""

    def __init__(self, to_model, **kwargs):
        super().__init__(**kwargs)
        self.to_model = to_model

    def call(self, image):
        return image * 2.0 - 1.0 if self.to_model else image * 0.5 + 0.5

    def get_config(self):
        return {**super().get_config(), "to_model": self.to_model}


class ScaledAdd(keras.layers.Layer):
    """(a + b) times a non-trainable weight 1/sqrt(2): the residual join of the discriminator."""

    def build(self, input_shapes):
        self.scale = self.add_weight(name="scale", shape=(), trainable=False,
                                     initializer=keras.initializers.Constant(RESIDUAL_SCALE))

    def call(self, inputs):
        return (inputs[0] + inputs[1]) * self.scale


def _add_equalised_weights(layer, kernel_shape, channel_count, fan_in):
    layer.kernel = layer.add_weight(name="kernel", shape=kernel_shape, trainable=True,
                                    initializer=keras.initializers.RandomNormal(0.0, 1.0))
    layer.bias = layer.add_weight(name="bias", shape=(channel_count,), trainable=True,
                                  initializer=keras.initializers.Zeros())
    layer.scale = layer.add_weight(name="scale", shape=(), trainable=False,
                                   initializer=keras.initializers.Constant(1.0 / math.sqrt(fan_in)))


class ScaledDense(keras.layers.Layer):
    """Dense layer with equalised learning rate; fan_in = inputs."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        inputs = int(input_shape[-1])
        _add_equalised_weights(self, (inputs, self.units), self.units, inputs)

    def call(self, x):
        return tf.nn.bias_add(tf.matmul(x, self.kernel * self.scale), self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ScaledConv2d(keras.layers.Layer):
    """Convolution with equalised learning rate; fan_in = kh * kw * in. `pre_blur` blurs the input first
    (with `strides=2` that makes a properly filtered downsampling convolution)."""

    def __init__(self, channel_count, kernel_size, strides=1, padding="same", pre_blur=False, **kwargs):
        super().__init__(**kwargs)
        self.channel_count = channel_count
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.pre_blur = pre_blur

    def build(self, input_shape):
        inputs = int(input_shape[-1])
        shape = (self.kernel_size, self.kernel_size, inputs, self.channel_count)
        _add_equalised_weights(self, shape, self.channel_count, self.kernel_size ** 2 * inputs)

    def call(self, x):
        if self.pre_blur:
            x = blur(x)
        x = tf.nn.conv2d(x, self.kernel * self.scale, strides=self.strides, padding=self.padding.upper())
        return tf.nn.bias_add(x, self.bias)

    def get_config(self):
        return {**super().get_config(), "channel_count": self.channel_count,
                "kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "pre_blur": self.pre_blur}


class UpsampleConv2d(keras.layers.Layer):
    """Transposed 3x3 convolution with stride 2, plus bias, then blur: doubles the resolution.

    The kernel is stored as (3, 3, out, in), as `conv2d_transpose` takes it; fan_in = 3 * 3 * in.
    `blur_by_pooling` blurs with `pooled_blur` (for TensorFlow Lite; slower in TensorFlow itself).
    """

    def __init__(self, channel_count, blur_by_pooling=False, **kwargs):
        super().__init__(**kwargs)
        self.channel_count = channel_count
        self.blur_by_pooling = blur_by_pooling

    def build(self, input_shape):
        inputs = int(input_shape[-1])
        _add_equalised_weights(self, (3, 3, self.channel_count, inputs), self.channel_count, 9 * inputs)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        return tf.TensorShape([shape[0], shape[1] * 2, shape[2] * 2, self.channel_count])

    def call(self, x):
        height, width = x.shape[1], x.shape[2]
        output_shape = tf.stack([tf.shape(x)[0], height * 2, width * 2, self.channel_count])
        x = tf.nn.conv2d_transpose(x, self.kernel * self.scale, output_shape, strides=2, padding="SAME")
        x = tf.ensure_shape(x, [None, height * 2, width * 2, self.channel_count])
        x = tf.nn.bias_add(x, self.bias)
        return pooled_blur(x) if self.blur_by_pooling else blur(x)

    def get_config(self):
        return {**super().get_config(), "channel_count": self.channel_count,
                "blur_by_pooling": self.blur_by_pooling}
