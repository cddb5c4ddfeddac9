"""The GAN of train/: networks, checkpoints, options, data pipeline, augmentation and training loop.

This is the API that gen/ (latent-space animations) and gen/svg.py (pen-plotter drawings from the
discriminator) use; its signatures are stable:

    from drawing.gan import load_generator, load_discriminator, save_untrained_checkpoint
    g = load_generator("run/")        # a checkpoint file (ours or the original's pickle) or a run folder
                                      # (its newest checkpoint); the moving-average generator if present
    g.latent_size, g.resolution       # ints
    images = g(latents)               # float32 [N, latent_size] -> tf.Tensor float32 [N, R, R, 3] in [0, 1]
    g.model                           # the tf_keras.Model
    d = load_discriminator("run/")    # d.resolution, d.model (images [N, R, R, 3] in [0, 1] -> logits)
    save_untrained_checkpoint("0.checkpoint", resolution=16, latent_size=8, channel_scale=1/16, seed=0)

Problems with the file (missing, truncated, not a checkpoint, a pickle with foreign code) raise
`drawing.errors.UserError` naming the file. Modules: `layers` and `networks` (the models), `checkpoint`
(our file format, docs/checkpoint.md), `legacy` (the original's pickles, read and written), `options`
(options.json, docs/options.md), `dataset`, `augment`, `loss` (the step maths), `devices` (where training
runs), `run_folder` (a run's files), `metrics` (SWD, KID, FID), `evaluation` (a run's checkpoints
measured, for train/metrics.py), `training` (the loop train/main.py runs), `int8` (the generator with
8-bit weights under TensorFlow Lite, for gen/path.py --int8), `projection` (the latents of given
drawings, for gen/project.py).

The API loads TensorFlow on first use, not on `import drawing.gan`: the modules that need none (options,
checkpoint, legacy, ...) answer before it has loaded, so a script checks its options.json first.
"""
import importlib

__all__ = ["Discriminator", "Generator", "load_discriminator", "load_generator", "save_untrained_checkpoint"]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module("drawing.gan.models"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
