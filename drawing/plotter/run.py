"""A run of gen/svg.py: strokes optimised to excite a layer of a network, written as a pen-plotter drawing.

`make_drawing(DrawingSettings(...), dir_out, arguments)` loads the network's layer, optimises the strokes
on the small canvas and then, repeated `large` x `large` times, on the large one (`draw`), and writes a
new run folder `<dir_out>/<number>-<layer>[-c<channel>]-seed<seed>/` (numbered after the runs there)
holding drawing.svg, preview.png, progress.png and stats.json; beside it its record `<run>.json`
(drawing/folders.py), complete once every file is written.
"""
import dataclasses
import itertools
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from drawing.errors import UserError
from drawing.files import atomic_path, check_writable_folder, write_errors_reported, write_text_atomic
from drawing.folders import command_line, finish_run, start_run
from drawing.plotter import ordering, strokes, svgfile

log = logging.getLogger(__name__)

STAGE = "svg.py"
RUN_NAME = re.compile(r"^(\d+)-")
MAX_SEGMENTS = 3
MIN_SIZE = 32
DEFAULT_COLOUR = "black"
# The random stream of the pens' assignment, apart from the strokes' and views' (`--seed`'s first stream),
# so a drawing without pens is the same as before pens existed.
PEN_STREAM = 2
TRAVEL = ("pen_down_mm", "pen_up_mm_before_ordering", "pen_up_mm_after_ordering")


@dataclass(frozen=True)
class DrawingSettings:
    """What svg.py is asked to draw; the defaults are svg.py's. Sizes in canvas px, page and pen in mm."""
    network: str = "discriminator"   # the discriminator of `model`, or "vgg16" with `weights`
    model: str = None                # a checkpoint file or training run folder
    weights: str = None              # VGG16's local weights file
    layer: str = None                # None: the network's default layer
    channel: int = None              # None: the whole layer
    strokes: int = 150
    segments: int = 3
    size: int = 256
    steps: int = 300
    large: int = 4
    large_steps: int = 200
    lr: float = 1.0
    views: int = 4
    stroke_width: float = 2.0
    smoothness: float = 0.0
    length_penalty: float = 0.0
    seed: int = 0
    page: str = "A4"
    margin: float = 15.0
    pen_width: float = 0.5
    colour: str = None               # None: DEFAULT_COLOUR, unless `pens` are given
    pens: str = None                 # e.g. "black,#1a2b8c,#c03020"


def check_settings(settings):
    """Refuse settings that cannot make a drawing, before the network is loaded; the settings with the
    colour of a one-pen drawing filled in."""
    if settings.segments > MAX_SEGMENTS:
        raise UserError(f"--segments {settings.segments}: strokes have 1 to {MAX_SEGMENTS} segments")
    if settings.size < MIN_SIZE:
        raise UserError(f"--size {settings.size}: the canvas must be at least {MIN_SIZE} px")
    if settings.pens is not None:
        if settings.colour is not None:
            raise UserError("--color and --pens: give one; with --pens each layer has its pen's colour")
        pens = svgfile.parse_pens(settings.pens)
        if len(pens) > settings.strokes:
            raise UserError(f"--pens {settings.pens}: {len(pens)} pens need at least as many --strokes "
                            f"(not {settings.strokes})")
    elif settings.colour is None:
        settings = dataclasses.replace(settings, colour=DEFAULT_COLOUR)
    if settings.network == "vgg16" and settings.model is not None:
        raise UserError(f"{settings.model}: --network vgg16 takes no checkpoint (its weights come from --weights)")
    if settings.network != "vgg16" and settings.weights is not None:
        raise UserError("--weights is for --network vgg16; the discriminator's weights are in the checkpoint")
    if settings.network == "discriminator":
        from drawing.gan.layers import MINIBATCH_GROUP_SIZE
        if settings.views > MINIBATCH_GROUP_SIZE and settings.views % MINIBATCH_GROUP_SIZE:
            raise UserError(f"--views {settings.views}: the discriminator's minibatch layer takes 1 to "
                            f"{MINIBATCH_GROUP_SIZE} views or a multiple of {MINIBATCH_GROUP_SIZE}")
    return settings


# ---- the network ----

def load_network(settings):
    from drawing.plotter import network
    return network.load_network(settings.network, settings.model, settings.weights)


def layer_listing(settings):
    """The network's layers with their channel counts, as `--list_layers` shows them."""
    return load_network(settings).layer_listing()


def load_features(settings):
    """The chosen layer (or channel) of the network, as a `Features`."""
    return load_network(settings).features(settings.layer, settings.channel)


# ---- the two passes ----

def assign_pens(pens, settings):
    """The `render.Pens` of the small canvas's strokes: a seeded, even share of the strokes for every pen."""
    from drawing.plotter.render import Pens
    rng = np.random.default_rng([settings.seed, PEN_STREAM])
    pen_of_stroke = strokes.assign_pens(rng, settings.strokes, len(pens))
    return Pens(pen_of_stroke, np.array([pen.rgb for pen in pens], dtype=np.float32) / 255)


def draw(features, settings, pens=None):
    """(final strokes, canvas side, activation history per pass, activations measured on fixed views,
    final strokes' `render.Pens` or None).

    When the drawing is to be repeated, the small canvas is a periodic tile, so the repetition is seamless.
    `pens` (the small canvas's `render.Pens`) colours the strokes; every copy of a stroke keeps its pen.
    """
    from drawing.plotter import optimise
    rng = np.random.default_rng(settings.seed)
    passes = optimise.Settings(steps=settings.steps, learning_rate=settings.lr, views=settings.views,
                               stroke_width=settings.stroke_width, smoothness=settings.smoothness,
                               length_penalty=settings.length_penalty)

    def measure(points, canvas):
        return optimise.evaluate(points, features, canvas, settings.stroke_width, settings.seed, pens)

    size, large_copies = settings.size, settings.large
    small = optimise.Canvas(size, size, periodic=large_copies > 1)
    points = strokes.random_strokes(rng, settings.strokes, settings.segments, size)
    measured = {"start": measure(points, small)}
    points, small_history = optimise.optimise(points, features, small, passes, rng,
                                              description=f"{size} px", pens=pens)
    measured["small_pass"] = measure(points, small)
    histories = {"small_pass": small_history}
    if large_copies == 1:
        return points, small.side, histories, measured, pens

    large = optimise.Canvas(size * large_copies, size)
    points = np.clip(strokes.replicate(points, large_copies, size), 0, large.side)
    if pens is not None:
        # The copies follow one another, each in the strokes' order (strokes.replicate).
        pens = dataclasses.replace(pens, pen_of_stroke=np.tile(pens.pen_of_stroke, large_copies ** 2))
    measured["replicated"] = measure(points, large)
    points, histories["large_pass"] = optimise.optimise(
        points, features, large, dataclasses.replace(passes, steps=settings.large_steps), rng,
        description=f"{large.side} px", pens=pens)
    measured["large_pass"] = measure(points, large)
    return points, large.side, histories, measured, pens


# ---- the outputs ----

def check_dir_out(dir_out):
    """Fail before the long work, not after it, if the output folder cannot be one or cannot be written."""
    dir_out = Path(dir_out)
    if dir_out.exists() and not dir_out.is_dir():
        raise UserError(f"{dir_out}: output path exists and is not a folder")
    return check_writable_folder(dir_out)


def start_drawing_run(dir_out, layer, channel, seed, record):
    """A new run folder in `dir_out`, numbered after those there and named after what it draws
    (`00008-conv_8x8_1-c7-seed3`), with `record` beside it, not yet complete."""
    dir_out = check_dir_out(dir_out)
    numbers = [int(match[1]) for path in (dir_out.iterdir() if dir_out.exists() else [])
               if (match := RUN_NAME.match(path.name))]
    channel_part = "" if channel is None else f"-c{channel}"
    names = (f"{number:05d}-{layer}{channel_part}-seed{seed}"
             for number in itertools.count(max(numbers, default=-1) + 1))
    return start_run(dir_out, names, record)


def travel(on_page, ordered):
    """Pen-down and pen-up lengths (mm) of strokes as given and as ordered, named as `TRAVEL`."""
    return dict(zip(TRAVEL, (float(strokes.stroke_lengths(ordered).sum()), ordering.pen_up_travel(on_page),
                             ordering.pen_up_travel(ordered))))


def write_svg(path, points, canvas, page, margin, pen_width, colour, title):
    """Write the SVG in one colour; return the travel statistics."""
    on_page = svgfile.to_page(points, canvas, page, margin)
    ordered = ordering.order_strokes(on_page)
    write_text_atomic(path, svgfile.svg_document(ordered, page, pen_width, colour, title))
    return travel(on_page, ordered)


def write_pens_svg(path, points, canvas, page, margin, pen_width, title, pens, stroke_pens):
    """Write the SVG with one layer per pen, each ordered on its own (the plotter goes home between pens);
    return the travel statistics summed over the pens, and per pen under "pens"."""
    on_page = svgfile.to_page(points, canvas, page, margin)
    layers, per_pen = [], []
    for number, (pen, pen_strokes) in enumerate(zip(pens, stroke_pens.strokes_of_each_pen()), start=1):
        ordered = ordering.order_strokes(on_page[pen_strokes])
        layers.append(svgfile.Layer(f"{number} {pen.name}", pen.hex, ordered))
        per_pen.append({"layer": number, "colour": pen.name, "rgb": pen.hex, "strokes": len(ordered),
                        **travel(on_page[pen_strokes], ordered)})
    write_text_atomic(path, svgfile.layered_document(layers, page, pen_width, title))
    totals = {key: sum(pen[key] for pen in per_pen) for key in TRAVEL}
    return {**totals, "pens": per_pen}


def write_preview(path, points, canvas, stroke_width, pens=None):
    """The final render: grey, or in the pens' colours (RGB)."""
    from drawing.images import write_png
    from drawing.plotter.render import coloured_image, paper_image, render_image
    if pens is None:
        write_png(path, paper_image(render_image(points, stroke_width, canvas)))
    else:
        write_png(path, coloured_image(points, stroke_width, canvas, pens))


def write_progress_plot(path, histories, title):
    """The activation of every step, both passes one after the other, with a running mean."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot()
    first_step = 0
    for name, history in histories.items():
        if not len(history):
            continue
        steps = np.arange(first_step, first_step + len(history))
        window = max(1, len(history) // 20)
        running = np.convolve(history, np.ones(window) / window, mode="valid")
        line, = axes.plot(steps[window - 1:], running, label=name.replace("_", " "), linewidth=1.6)
        axes.plot(steps, history, color=line.get_color(), alpha=0.3, linewidth=0.8)
        first_step += len(history)
    axes.set_xlabel("step")
    axes.set_ylabel("mean activation of the views")
    axes.set_title(title, fontsize=9)
    axes.legend()
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")


# ---- the stage ----

def make_drawing(settings, dir_out, arguments, command=None):
    """Everything svg.py does but list layers, for settings `check_settings` returned: (the run folder,
    its statistics as stats.json holds them). `arguments`: the options to record in stats.json as the
    user gave them; `command`: the command line to record (default: this process's)."""
    page = svgfile.parse_page(settings.page)
    svgfile.placement(settings.size * settings.large, page, settings.margin)
    check_dir_out(dir_out)
    started = time.perf_counter()
    features = load_features(settings)
    target = features.layer + ("" if features.channel is None else f", channel {features.channel}")
    pens = svgfile.parse_pens(settings.pens) if settings.pens is not None else None
    log.info(f"drawing {target} of {features.description}"
             + ("" if pens is None else f" with {len(pens)} pens: {', '.join(pen.name for pen in pens)}"))

    small_pens = None if pens is None else assign_pens(pens, settings)
    points, canvas, histories, measured, stroke_pens = draw(features, settings, small_pens)

    # A full disk or a file-size limit shows up only now, after the long work: said in one line.
    with write_errors_reported(dir_out):
        record = {"stage": STAGE, "command": command or command_line(), "network": features.description,
                  "layer": features.layer, "channel": features.channel, "seed": settings.seed,
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        run_dir = start_drawing_run(dir_out, features.layer, features.channel, settings.seed, record)
        title = f"{target} of {features.description}, seed {settings.seed}"
        if pens is None:
            lengths = write_svg(run_dir / "drawing.svg", points, canvas, page, settings.margin, settings.pen_width,
                                settings.colour or DEFAULT_COLOUR, title)
        else:
            lengths = write_pens_svg(run_dir / "drawing.svg", points, canvas, page, settings.margin,
                                     settings.pen_width, title, pens, stroke_pens)
            # Stroke i of the small canvas, and each of its copies on the large one, is drawn by this pen.
            lengths["pen_of_stroke"] = [int(pen) + 1 for pen in small_pens.pen_of_stroke]
        write_preview(run_dir / "preview.png", points, canvas, settings.stroke_width, stroke_pens)
        write_progress_plot(run_dir / "progress.png", histories, title)
        scale, _ = svgfile.placement(canvas, page, settings.margin)
        stats = {
            "strokes": len(points),
            "segments_per_stroke": settings.segments,
            "canvas_px": canvas,
            "page_mm": list(page),
            "drawing_mm": canvas * scale,
            "pen_width_mm": settings.pen_width,
            "pen_width_px": settings.pen_width / scale,
            **lengths,
            "activation": measured,
            "network": features.description,
            "layer": features.layer,
            "channel": features.channel,
            "seed": settings.seed,
            "seconds": round(time.perf_counter() - started, 1),
            "arguments": arguments,
        }
        write_text_atomic(run_dir / "stats.json", json.dumps(stats, indent=2) + "\n")
        finish_run(run_dir, record)
    return run_dir, stats
