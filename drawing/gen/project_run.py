"""Projection of drawings (gen/project.py): for each drawing, the latent whose generated image is closest.

The drawings (PNG files, or folders of them; an image of one colour is no drawing) are laid on white
squares at the model's resolution and projected one by one (drawing.gan.projection's `Projector`), the
starting latents of drawing i from the random stream [seed, STARTS_STREAM, i]. The reconstructions go
into the output folder as they are found; the latents `<dir_out>.npy` and the record `<dir_out>.json`
beside it, complete only at the end.
"""
import io
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.errors import UserError
from drawing.files import list_images, write_bytes_atomic, write_errors_reported
from drawing.folders import command_line, open_output_folder, record_path, require_complete, write_record
from drawing.images import open_image, to_array, to_uint8, write_png

log = logging.getLogger(__name__)

STAGE = "project.py"
# Random streams, each with its own name: the starting latents of image i come from [seed, STARTS, i].
STARTS_STREAM = 1
# An image whose grey levels span less than this (of 255) is blank paper or one flat colour.
BLANK_RANGE = 8


@dataclass
class Settings:
    """How each drawing is projected (drawing.gan.projection's `Projector`); defined here, without TensorFlow,
    so that gen/project.py checks its options before TensorFlow loads."""
    steps: int = 200
    starts: int = 8                 # starting latents per drawing; the closest one is kept
    explore: float = 0.2            # fraction of the steps all starts take; then only the closest goes on
    learning_rate: float = 0.1      # Adam's step in latent units at its peak
    pixel_weight: float = 1.0       # weight of the multi-scale pixel distance
    feature_weight: float = 0.1     # weight of the feature distance
    sphere_weight: float = 0.1      # weight of (|z| / sqrt(latent_size) - 1)^2


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
            log.warning(f"{path}: all one colour, not a drawing; skipped")
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

def load_projector(model, network, weights, settings):
    """The Projector of the model's generator with the distance `network` (discriminator, vgg16 or none) sees."""
    from drawing.gan import load_generator
    from drawing.gan.projection import Projector, feature_network
    generator = load_generator(model)
    features = None
    if network != "none" and settings.feature_weight > 0:
        from drawing.plotter.network import load_network
        features = feature_network(load_network(network, model, weights))
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


def check_options(settings, network, weights):
    """Options that cannot make a projection, refused before the model is loaded."""
    if network == "vgg16" and weights is None:
        raise UserError("--network vgg16 needs --weights: a local VGG16 .h5 weights file (nothing is downloaded)")
    if network != "vgg16" and weights is not None:
        raise UserError("--weights is for --network vgg16")
    if settings.pixel_weight == 0 and (settings.feature_weight == 0 or network == "none"):
        raise UserError("--pixel_weight 0 with no features leaves nothing to compare")
    if not math.isfinite(settings.pixel_weight + settings.feature_weight + settings.sphere_weight
                         + settings.learning_rate):
        raise UserError("weights and --lr must be finite numbers")


def project_each(projector, paths, targets, seed, dir_out):
    """Project the drawings one by one, writing each reconstruction as it is found; their latents and the
    record's entries. One bar counts the drawings (with the time left), another the steps of the current one."""
    latents, results = [], []
    with tqdm(total=len(paths), desc="drawings", unit="drawing", dynamic_ncols=True, disable=None,
              file=sys.stderr) as drawings:
        for index, (path, target) in enumerate(zip(paths, targets)):
            rng = np.random.default_rng([seed, STARTS_STREAM, index])
            started = time.perf_counter()
            with tqdm(total=projector.settings.steps, desc=Path(path).name, unit="step", dynamic_ncols=True,
                      disable=None, file=sys.stderr, leave=False) as steps:
                latent, distance, pixel_distance, start_distance = projector.project(target, rng, steps.update)
            name = output_name(index, path, len(paths))
            with write_errors_reported(dir_out):
                write_png(dir_out / name, to_uint8(projector.images(latent[None]).numpy()[0]))
            latents.append(latent)
            results.append({"image": str(path), "output": name, "distance": distance,
                            "pixel_distance": pixel_distance, "random_latent_distance": start_distance,
                            "seconds": round(time.perf_counter() - started, 2)})
            with tqdm.external_write_mode(file=sys.stdout):   # the line above the bars, not through them
                log.info(f"{name}: distance {distance:.4g} (random latents {start_distance:.4g}), "
                         f"pixels {pixel_distance:.4g}")
            drawings.update()
    return latents, results


def project_drawings(model, images, dir_out, settings, network, weights, seed, command=None):
    """Project every drawing of `images` (files and folders) onto `model`'s generator: the reconstructions
    in `dir_out`, the latents and record beside it; the record's "projections" (one entry per drawing).
    `settings`: a `Settings`; `command`: the command line to record (default: this
    process's)."""
    drawings = read_drawings(list_inputs(images))
    projector = load_projector(model, network, weights, settings)
    generator = projector.generator
    paths = list(drawings)
    targets = [as_target(drawing, generator.resolution) for drawing in drawings.values()]
    dir_out = Path(dir_out)
    with write_errors_reported(dir_out):
        if open_output_folder(dir_out, STAGE, inputs=[*images, model]):
            remove_earlier_reconstructions(dir_out)
    features = projector.features.description if projector.features else "none (pixels only)"
    record = {"stage": STAGE, "command": command or command_line(), "model": str(model),
              "images": [str(path) for path in paths], "latents": record_path(dir_out, ".npy").name,
              "latent_size": generator.latent_size, "resolution": generator.resolution,
              "features": features, "settings": asdict(projector.settings), "seed": seed}
    with write_errors_reported(dir_out):
        write_record(dir_out, record, complete=False)
    log.info(f"projecting {len(paths)} drawing{'s' if len(paths) != 1 else ''} onto {model} "
             f"({generator.resolution} px, {generator.latent_size} latents; features: {features})")

    latents, results = project_each(projector, paths, targets, seed, dir_out)
    with write_errors_reported(dir_out):
        write_latents(dir_out, latents)
        write_record(dir_out, {**record, "projections": results,
                               "mean_distance": float(np.mean([r["distance"] for r in results]))},
                     complete=True)
    return results
