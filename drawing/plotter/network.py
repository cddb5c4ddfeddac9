"""What the strokes are optimised for: one layer (or one channel of it) of a network.

By default the network is the discriminator of one of our checkpoints (ours or the original's format),
which has learned the artist's own strokes; `vgg16` is Keras' VGG16 with weights from a local `.h5`
file (Keras' `vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5`, or `save_weights` of a VGG16).
Nothing is downloaded. Either way the result is a `Features`: images `[N, R, R, 3]` in [0, 1]
(black ink on white paper) in, the mean activation of the chosen layer or channel per image out.
"""
from dataclasses import dataclass

from drawing.backend import keras, tf
from drawing.errors import UserError

VGG16_LAYER = "block3_conv3"
# VGG16 sees views at the size it was trained at.
VGG16_RESOLUTION = 224


@dataclass
class Features:
    """A layer of a network as a function of images; `resolution` is the side of the images it takes."""
    model: object          # tf-keras Model: images [N, R, R, 3] in the network's own range -> layer output
    preprocess: object     # images in [0, 1] -> the network's input
    resolution: int
    layer: str
    channel: object        # int, or None for the whole layer
    description: str

    def activation(self, images):
        """Mean activation `[N]` of the layer (or the channel) over its positions, per image."""
        output = self.model(self.preprocess(images))
        if self.channel is not None:
            output = output[..., self.channel]
        return tf.reduce_mean(tf.reshape(output, [tf.shape(output)[0], -1]), axis=1)


@dataclass
class Network:
    """A loaded network: its model, the side of the images it takes, and the layer used by default."""
    model: object          # tf-keras Model taking images [N, R, R, 3] in its own range
    resolution: int
    description: str       # for messages: "the discriminator of run/", "VGG16 (file.h5)"
    preprocess: object     # images in [0, 1] -> the model's input
    default_layer: str

    def features(self, layer=None, channel=None):
        """The `Features` of `layer` (the default one if None) and `channel` (None: the whole layer)."""
        layer = layer or self.default_layer
        extractor = select_layer(self.model, layer, channel, self.description)
        return Features(extractor, self.preprocess, self.resolution, layer, channel, self.description)

    def layer_listing(self):
        """The layers as `--list_layers` prints them: name, channel count, output shape."""
        lines = [f"{self.description}: layers (name, channels, output shape)"]
        lines += [f"  {name:24s} {channels:5d}   {'x'.join(map(str, shape))}"
                  for name, channels, shape in layer_table(self.model)]
        return "\n".join(lines)


def layer_table(model):
    """(name, channels, output shape without the batch) of every layer holding weights, input first."""
    return [(layer.name, layer.output.shape[-1], tuple(layer.output.shape[1:]))
            for layer in model.layers if layer.weights]


# The discriminator's verdict: strokes it takes for the artist's. Its convolutions ask for textures,
# and mostly for more ink.
DISCRIMINATOR_LAYER = "to_classification"


def select_layer(model, layer, channel, description):
    """The sub-model up to `layer`; a UserError listing the valid choices if it or `channel` does not exist."""
    table = layer_table(model)
    names = [name for name, _, _ in table]
    if layer not in names:
        raise UserError(f"--layer {layer}: {description} has no such layer; valid layers: {', '.join(names)}")
    channel_count = dict((name, channels) for name, channels, _ in table)[layer]
    if channel is not None and not 0 <= channel < channel_count:
        raise UserError(f"--channel {channel}: layer {layer} of {description} has {channel_count} "
                        f"channel{'s' if channel_count != 1 else ''}, numbered 0 to {channel_count - 1}")
    return keras.Model(model.input, model.get_layer(layer).output)


def discriminator_network(checkpoint):
    """The discriminator of a checkpoint file or run folder (our format or the original's)."""
    from drawing.gan import load_discriminator
    from drawing.gan.models import NoDiscriminator
    if checkpoint is None:
        raise UserError("give a checkpoint file or run folder (or --network vgg16 --weights <file.h5>)")
    try:
        discriminator = load_discriminator(checkpoint)
    except NoDiscriminator as error:
        raise UserError(f"{error}; svg.py needs the training run's checkpoint, or use --network vgg16 "
                        "--weights <file.h5>") from None
    return Network(discriminator.model, discriminator.resolution, f"the discriminator of {checkpoint}",
                   tf.identity, DISCRIMINATOR_LAYER)


def check_vgg16_weights(path, model):
    """A UserError unless `path` is an HDF5 weights file holding every convolution of VGG16 `model`."""
    import h5py
    try:
        with h5py.File(path, "r") as weights:
            group = weights["model_weights"] if "model_weights" in weights else weights
            stored = {}
            for name in group.attrs.get("layer_names", []):
                name = name.decode() if isinstance(name, bytes) else name
                layer = group[name]
                kernels = [layer[weight].shape for weight in layer.attrs.get("weight_names", [])]
                if kernels:
                    stored[name] = tuple(kernels[0])
    except FileNotFoundError:
        raise UserError(f"{path}: weights file not found") from None
    except (OSError, KeyError) as error:
        raise UserError(f"{path}: not a Keras HDF5 weights file ({error})") from None
    for layer in model.layers:
        if not layer.weights:
            continue
        name, shape = layer.name, tuple(layer.kernel.shape)
        if name not in stored:
            raise UserError(f"{path}: does not match VGG16 (no weights for layer {name})")
        if stored[name] != shape:
            raise UserError(f"{path}: does not match VGG16 (layer {name} has a kernel of shape "
                            f"{stored[name]}, VGG16's is {shape})")


def vgg16_preprocess(images):
    """[0, 1] RGB to the caffe-style BGR with the ImageNet mean removed that VGG16 was trained on."""
    return keras.applications.vgg16.preprocess_input(images * 255.0)


def vgg16_network(weights):
    """Keras' VGG16 (its convolutional part) with weights from a local file."""
    if weights is None:
        raise UserError("--network vgg16 needs --weights: a local VGG16 .h5 weights file "
                        "(nothing is downloaded)")
    model = keras.applications.VGG16(weights=None, include_top=False,
                                     input_shape=(VGG16_RESOLUTION, VGG16_RESOLUTION, 3))
    check_vgg16_weights(weights, model)
    model.load_weights(weights, by_name=True)
    return Network(model, VGG16_RESOLUTION, f"VGG16 ({weights})", vgg16_preprocess, VGG16_LAYER)


def load_network(network, checkpoint, weights):
    """The `Network` that `--network` names: `discriminator` (of `checkpoint`) or `vgg16` (`weights`)."""
    return vgg16_network(weights) if network == "vgg16" else discriminator_network(checkpoint)
