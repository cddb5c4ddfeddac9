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
2. The distance sees lines: pixels at several scales (`--pixel-weight`) plus the normalised features
   of the convolutions of the model's own discriminator (`--feature-weight`), or of VGG16 from a local
   weights file (`--network vgg16 --weights vgg16_notop.h5`), or none (`--network none`).
3. `<dir_out>/` gets the reconstructions as they are found, `0000_<name>.png` ... in the order of the
   inputs (files as given, folders in natural order); at the end, beside it, `<dir_out>.npy`, the
   latents, float32 [count, latent_size], row i for image i, and `<dir_out>.json`: the command,
   settings, seed and per image its source, distance, pixel distance and the distance of random
   latents for comparison. The record says complete only at the end; rerunning the same command
   redoes an interrupted run.
"""
import argparse
import io
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.cli import non_negative_float, non_negative_int, positive_float, positive_int, run
from drawing.console import warn
from drawing.errors import UserError
from drawing.files import list_images, write_bytes_atomic, write_errors_reported
from drawing.folders import command_line, open_output_folder, record_path, require_complete, write_record
from drawing.images import open_image, to_array, to_uint8, write_png

STAGE = "project.py"
# Random streams, each with its own name: the starting latents of image i come from [seed, STARTS, i].
STARTS_STREAM = 1
# An image whose grey levels span less than this (of 255) is blank paper or one flat colour.
BLANK_RANGE = 8


# ---- the drawings ----

def list_inputs(sources):
    """(image path, named by the user) for `sources`: files as given, folders' PNGs in natural order."""
    inputs = []
    for source in map(Path, sources):
        if source.is_dir():
            require_complete(source, "images folder")
            inputs += [(path, False) for path in list_images(source, what="images folder")]
        elif source.exists():
            inputs.append((source, True))
        else:
            raise UserError(f"{source}: no such image or folder")
    return inputs


def is_blank(pixels):
    """Whether an RGB image is blank paper or one flat colour: its darkest channel spans under BLANK_RANGE."""
    grey = pixels.min(axis=2)
    return int(grey.max()) - int(grey.min()) < BLANK_RANGE


def read_drawings(inputs):
    """{path: PIL RGB image} of the drawings; a blank image is refused if named, skipped if in a folder."""
    from PIL import Image
    drawings = {}
    for path, named in inputs:
        pixels = to_array(open_image(path), "RGB")
        if not is_blank(pixels):
            drawings[path] = Image.fromarray(pixels)
        elif named:
            raise UserError(f"{path}: the image is all one colour (grey level {int(pixels.mean())}), not a "
                            "drawing; give images with lines on them")
        else:
            warn(f"{path}: all one colour, not a drawing; skipped")
    if not drawings:
        folders = sorted({str(path.parent) for path, _ in inputs})
        raise UserError(f"{', '.join(folders)}: no drawings here, only images of one colour")
    return drawings


def square_on_paper(image):
    """A PIL RGB image centred on a white square as wide as its longer side (nothing cut, nothing stretched)."""
    from PIL import Image
    side = max(image.size)
    paper = Image.new("RGB", (side, side), (255, 255, 255))
    paper.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return paper


def as_target(drawing, resolution):
    """Float32 [R, R, 3] in [0, 1]: the drawing on a white square at the model's resolution."""
    from PIL import Image
    square = square_on_paper(drawing).resize((resolution, resolution), Image.LANCZOS)
    return np.asarray(square, dtype=np.float32) / 255.0


# ---- the model ----

def load_projector(args):
    """The Projector of the model's generator with the chosen distance."""
    from drawing.gan import load_generator
    from drawing.gan.projection import Projector, Settings, feature_network
    generator = load_generator(args.model)
    features = None
    if args.network != "none" and args.feature_weight > 0:
        from drawing.plotter.network import load_network
        features = feature_network(load_network(args.network, args.model, args.weights))
    settings = Settings(steps=args.steps, starts=args.starts, explore=args.explore, learning_rate=args.lr,
                        pixel_weight=args.pixel_weight, feature_weight=args.feature_weight,
                        sphere_weight=args.sphere)
    return Projector(generator, features, settings)


# ---- the run ----

def output_name(index, path, count):
    width = max(4, len(str(count - 1)))
    return f"{index:0{width}d}_{Path(path).stem}.png"


def write_latents(dir_out, latents):
    """`<dir_out>.npy`: float32 [count, latent_size], written atomically."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(latents, dtype=np.float32).reshape(len(latents), -1), allow_pickle=False)
    write_bytes_atomic(record_path(dir_out, ".npy"), buffer.getvalue())


def remove_earlier_reconstructions(dir_out):
    """A rerun replaces this stage's own earlier output (its record says so): none of its PNGs stay."""
    for path in dir_out.glob("*.png"):
        path.unlink()


def project_all(args):
    drawings = read_drawings(list_inputs(args.images))
    projector = load_projector(args)
    generator = projector.generator
    paths = list(drawings)
    targets = [as_target(drawing, generator.resolution) for drawing in drawings.values()]
    dir_out = Path(args.dir_out)
    with write_errors_reported(dir_out):
        if open_output_folder(dir_out, STAGE, inputs=[*args.images, args.model]):
            remove_earlier_reconstructions(dir_out)
    features = projector.features.description if projector.features else "none (pixels only)"
    record = {"stage": STAGE, "command": command_line(), "model": str(args.model),
              "images": [str(path) for path in paths], "latents": record_path(dir_out, ".npy").name,
              "latent_size": generator.latent_size, "resolution": generator.resolution,
              "features": features, "settings": asdict(projector.settings), "seed": args.seed}
    with write_errors_reported(dir_out):
        write_record(dir_out, record, complete=False)
    print(f"projecting {len(paths)} drawing{'s' if len(paths) != 1 else ''} onto {args.model} "
          f"({generator.resolution} px, {generator.latent_size} latents; features: {features})")

    latents, results = [], []
    for index, (path, target) in enumerate(zip(paths, targets)):
        rng = np.random.default_rng([args.seed, STARTS_STREAM, index])
        started = time.perf_counter()
        with tqdm(total=args.steps, desc=Path(path).name, unit="step", dynamic_ncols=True, disable=None,
                  file=sys.stderr) as bar:
            latent, distance, pixel_distance, start_distance = projector.project(target, rng, bar.update)
        name = output_name(index, path, len(paths))
        with write_errors_reported(dir_out):
            write_png(dir_out / name, to_uint8(projector.images(latent[None]).numpy()[0]))
        latents.append(latent)
        results.append({"image": str(path), "output": name, "distance": distance,
                        "pixel_distance": pixel_distance, "random_latent_distance": start_distance,
                        "seconds": round(time.perf_counter() - started, 2)})
        print(f"{name}: distance {distance:.4g} (random latents {start_distance:.4g}), "
              f"pixels {pixel_distance:.4g}")
    with write_errors_reported(dir_out):
        write_latents(dir_out, latents)
        write_record(dir_out, {**record, "projections": results,
                               "mean_distance": float(np.mean([r["distance"] for r in results]))},
                     complete=True)
    print(f"wrote {dir_out}/ ({len(results)} reconstructions), {record_path(dir_out, '.npy')}, "
          f"{record_path(dir_out)}")
    return results


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
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
                             "(default: projected)")
    parser.add_argument("--steps", type=non_negative_int, default=200,
                        help="Adam steps per drawing, e.g. 200 (default: 200)")
    parser.add_argument("--starts", type=positive_int, default=8,
                        help="starting latents per drawing, optimised together; the closest is kept "
                             "(default: 8)")
    parser.add_argument("--explore", type=non_negative_float, default=0.2,
                        help="fraction of the steps that every start takes; then only the closest goes on, "
                             "e.g. 1 to run all starts to the end (default: 0.2)")
    parser.add_argument("--lr", type=positive_float, default=0.1,
                        help="Adam's peak learning rate, in latent units, e.g. 0.1 (default: 0.1)")
    parser.add_argument("--network", choices=("discriminator", "vgg16", "none"), default="discriminator",
                        help="features for the distance: the checkpoint's discriminator, Keras' VGG16 from "
                             "--weights, or none (pixels only) (default: discriminator)")
    parser.add_argument("--weights", help="--network vgg16: local VGG16 weights, e.g. "
                                          "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    parser.add_argument("--pixel-weight", type=non_negative_float, default=1.0,
                        help="weight of the multi-scale pixel distance (default: 1)")
    parser.add_argument("--feature-weight", type=non_negative_float, default=0.1,
                        help="weight of the feature distance (default: 0.1)")
    parser.add_argument("--sphere", type=non_negative_float, default=0.1,
                        help="weight of the penalty on a latent's distance from the sphere of radius "
                             "sqrt(latent_size) (default: 0.1)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed of the starting latents, e.g. 7 (default: 0)")
    return parser


def check_arguments(args):
    if args.network == "vgg16" and args.weights is None:
        raise UserError("--network vgg16 needs --weights: a local VGG16 .h5 weights file (nothing is downloaded)")
    if args.network != "vgg16" and args.weights is not None:
        raise UserError("--weights is for --network vgg16")
    if args.pixel_weight == 0 and (args.feature_weight == 0 or args.network == "none"):
        raise UserError("--pixel-weight 0 with no features leaves nothing to compare")
    if not math.isfinite(args.pixel_weight + args.feature_weight + args.sphere + args.lr):
        raise UserError("weights and --lr must be finite numbers")


def main():
    args = build_parser().parse_args()
    check_arguments(args)
    project_all(args)


if __name__ == "__main__":
    run(main)
