"""Find the latents of real drawings: for each one, the latent whose generated image is closest to it.

    python project.py ../demo_out/run ../demo_out/tiles/blob/1 --dir_out=projected --steps=200 --seed=7
    python path.py ../demo_out/run keyframes --keyframes=projected.npy     (a loop through them)

<model> is a checkpoint file (ours or the original's pickle) or a training run folder (its latest
checkpoint; the moving-average generator when there is one). <images> are PNG files or folders of
them, any size: each is laid on a white square (the longer side kept) and resized to the model's
resolution. An image of one colour (blank paper, an empty frame) is not a drawing: refused when named,
skipped with a warning in a folder.

1. For each drawing, `--starts` latents from N(0, I) descend together by Adam on the distance from
   their images to the drawing, plus a penalty (`--sphere`) keeping them near the sphere of radius
   sqrt(latent_size) where the generator's latents live; after `--explore` of the `--steps` only the
   closest start goes on.
2. The distance sees lines: pixels at several scales (`--pixel_weight`) plus the normalised features
   of the convolutions of the model's own discriminator (`--feature_weight`), or of VGG16 from a local
   weights file (`--network vgg16 --weights vgg16_notop.h5`), or none (`--network none`).
3. `<dir_out>/` gets the reconstructions as they are found, `0000_<name>.png` ... in the order of the
   inputs (files as given, folders in natural order); at the end, beside it, `<dir_out>.npy`, the
   latents, float32 [count, latent_size], row i for image i, and `<dir_out>.json`: the command,
   settings, seed and per image its source, distance, pixel distance and the distance of random
   latents for comparison. The record says complete only at the end; rerunning the same command
   redoes an interrupted run.
"""
import argparse
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_float, non_negative_int, positive_float, positive_int, run
from drawing.folders import record_path
from drawing.gen.project_run import Settings, check_options, project_drawings


def build_parser():
    parser = ArgumentParser(
        tensorflow=True, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python project.py ../demo_out/run drawing.png --dir_out=projected\n"
               "  python project.py ../demo_out/run tiles/ --dir_out=projected --steps=400 --starts=16\n"
               "  python project.py run/ tiles/ --network=vgg16 --weights=vgg16_notop.h5 --dir_out=projected")
    parser.add_argument("model", help="checkpoint file or training run folder (its latest checkpoint), "
                                      "e.g. ../demo_out/run")
    parser.add_argument("images", nargs="+", help="PNG drawings or folders of them, any size, e.g. tiles/")
    parser.add_argument("--dir_out", default="projected",
                        help="folder for the reconstructions; <dir_out>.npy and <dir_out>.json go beside it "
                             "(default: %(default)s)")
    parser.add_argument("--steps", type=non_negative_int, default=Settings.steps,
                        help="Adam steps per drawing, e.g. 200 (default: %(default)s)")
    parser.add_argument("--starts", type=positive_int, default=Settings.starts,
                        help="starting latents per drawing, optimised together; the closest is kept "
                             "(default: %(default)s)")
    parser.add_argument("--explore", type=non_negative_float, default=Settings.explore,
                        help="fraction of the steps that every start takes; then only the closest goes on, "
                             "e.g. 1 to run all starts to the end (default: %(default)s)")
    parser.add_argument("--lr", type=positive_float, default=Settings.learning_rate,
                        help="Adam's peak learning rate, in latent units, e.g. 0.1 (default: %(default)s)")
    parser.add_argument("--network", choices=("discriminator", "vgg16", "none"), default="discriminator",
                        help="features for the distance: the checkpoint's discriminator, Keras' VGG16 from "
                             "--weights, or none (pixels only) (default: %(default)s)")
    parser.add_argument("--weights", help="--network vgg16: local VGG16 weights, e.g. "
                                          "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    parser.add_argument("--pixel_weight", type=non_negative_float, default=Settings.pixel_weight,
                        help="weight of the multi-scale pixel distance (default: %(default)g)")
    parser.add_argument("--feature_weight", type=non_negative_float, default=Settings.feature_weight,
                        help="weight of the feature distance (default: %(default)s)")
    parser.add_argument("--sphere", type=non_negative_float, default=Settings.sphere_weight,
                        help="weight of the penalty on a latent's distance from the sphere of radius "
                             "sqrt(latent_size) (default: %(default)s)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed of the starting latents, e.g. 7 (default: %(default)s)")
    return parser


def main():
    args = build_parser().parse_args()
    settings = Settings(steps=args.steps, starts=args.starts, explore=args.explore, learning_rate=args.lr,
                        pixel_weight=args.pixel_weight, feature_weight=args.feature_weight,
                        sphere_weight=args.sphere)
    check_options(settings, args.network, args.weights)
    results = project_drawings(args.model, args.images, args.dir_out, settings, args.network, args.weights,
                               args.seed)
    dir_out = Path(args.dir_out)
    print(f"wrote {dir_out}/ ({len(results)} reconstructions), {record_path(dir_out, '.npy')}, "
          f"{record_path(dir_out)}")


if __name__ == "__main__":
    run(main)
