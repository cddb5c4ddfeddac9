"""Draw what the trained network sees: Bezier strokes optimised to excite one of its layers, as a pen-plotter SVG.

    python svg.py ../demo_out/run --layer=conv_16x16_1 --channel=7 --dir_out=drawings
    python svg.py ../demo_out/run --list-layers
    python svg.py --network=vgg16 --weights=vgg16_notop.h5 --layer=block3_conv3 --channel=37

`--strokes` random strokes of `--segments` cubic Bezier segments are drawn on a `--size` px canvas by
a differentiable renderer and moved by Adam, `--steps` times, so that the chosen layer (or channel)
of the network fires on random crops, perspectives and jitters of the drawing. The large pass then
repeats the strokes `--large` x `--large` times on a canvas that much larger and fine-tunes them for
`--large-steps` on random windows of it (the small canvas is then optimised as a periodic tile, so
the repetition has no seams). The network is the discriminator of a checkpoint (a file or
a run folder, whose latest checkpoint is used), which has learned the artist's strokes; by default
its verdict `to_classification` ("drawn by the artist") is raised. Or Keras' VGG16 with weights from
a local file. `--list-layers` shows the layers to choose from.

`--pens=black,#1a2b8c,#c03020` draws with a few coloured pens: each stroke gets one pen (a seeded
shuffle, the pens used equally), the network sees the colour picture of the inks on white paper, and
the SVG has one layer per pen, to plot one at a time with a pen change in between.

Each run writes a new folder `<dir_out>/<number>-<layer>[-c<channel>]-seed<seed>/` holding
- drawing.svg   the page (`--page`, `--margin`) with one path per stroke in an AxiDraw/Inkscape layer,
                strokes ordered to shorten the pen-up travel, stroke width `--pen-width` mm;
                with `--pens`, one layer per pen in its colour, each ordered on its own (plot them one by one);
- preview.png   the final render, one pixel per canvas pixel (in colour with `--pens`);
- progress.png  the activation over the steps of both passes;
- stats.json    strokes, pen-down and pen-up lengths (mm, before and after ordering), activations,
                the seed and every argument.
"""
import argparse
import dataclasses
import json
import re
import time
from pathlib import Path

import numpy as np

from drawing.cli import non_negative_float, non_negative_int, positive_float, positive_int, run
from drawing.errors import UserError
from drawing.files import (
    atomic_path,
    check_writable_folder,
    prepare_output_dir,
    write_errors_reported,
    write_text_atomic,
)
from drawing.plotter import ordering, strokes, svgfile

OUTPUT_FILES = ("drawing.svg", "preview.png", "progress.png", "stats.json")
RUN_NAME = re.compile(r"^(\d+)-")
MAX_SEGMENTS = 3
MIN_SIZE = 32
DEFAULT_COLOUR = "black"
# The random stream of the pens' assignment, apart from the strokes' and views' (`--seed`'s first stream),
# so a drawing without pens is the same as before pens existed.
PEN_STREAM = 2
TRAVEL = ("pen_down_mm", "pen_up_mm_before_ordering", "pen_up_mm_after_ordering")


# ---- the network ----

def load_network(args):
    from drawing.plotter import network
    return network.load_network(args.network, args.model, args.weights)


def list_layers(args):
    """Print the network's layers with their channel counts (--list-layers)."""
    print(load_network(args).layer_listing())


def load_features(args):
    """The chosen layer (or channel) of the network, as a `Features`."""
    return load_network(args).features(args.layer, args.channel)


# ---- the two passes ----

def assign_pens(pens, args):
    """The `render.Pens` of the small canvas's strokes: a seeded, even share of the strokes for every pen."""
    from drawing.plotter.render import Pens
    pen_of_stroke = strokes.assign_pens(np.random.default_rng([args.seed, PEN_STREAM]), args.strokes, len(pens))
    return Pens(pen_of_stroke, np.array([pen.rgb for pen in pens], dtype=np.float32) / 255)


def draw(features, args, pens=None):
    """(final strokes, canvas side, activation history per pass, activations measured on fixed views,
    final strokes' `render.Pens` or None).

    When the drawing is to be repeated, the small canvas is a periodic tile, so the repetition is seamless.
    `pens` (the small canvas's `render.Pens`) colours the strokes; every copy of a stroke keeps its pen.
    """
    from drawing.plotter import optimise
    rng = np.random.default_rng(args.seed)
    settings = optimise.Settings(steps=args.steps, learning_rate=args.lr, views=args.views,
                                 stroke_width=args.stroke_width, smoothness=args.smoothness,
                                 length_penalty=args.length_penalty)

    def measure(points, canvas):
        return optimise.evaluate(points, features, canvas, args.stroke_width, args.seed, pens)

    small = optimise.Canvas(args.size, args.size, periodic=args.large > 1)
    points = strokes.random_strokes(rng, args.strokes, args.segments, args.size)
    measured = {"start": measure(points, small)}
    points, small_history = optimise.optimise(points, features, small, settings, rng,
                                              description=f"{args.size} px", pens=pens)
    measured["small_pass"] = measure(points, small)
    histories = {"small_pass": small_history}
    if args.large == 1:
        return points, small.side, histories, measured, pens

    large = optimise.Canvas(args.size * args.large, args.size)
    points = np.clip(strokes.replicate(points, args.large, args.size), 0, large.side)
    if pens is not None:
        # The copies follow one another, each in the strokes' order (strokes.replicate).
        pens = dataclasses.replace(pens, pen_of_stroke=np.tile(pens.pen_of_stroke, args.large ** 2))
    measured["replicated"] = measure(points, large)
    points, histories["large_pass"] = optimise.optimise(
        points, features, large, dataclasses.replace(settings, steps=args.large_steps), rng,
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


def new_run_dir(dir_out, layer, channel, seed):
    """A new numbered folder in `dir_out`, named after what it draws."""
    dir_out = check_dir_out(dir_out)
    numbers = [int(match[1]) for path in (dir_out.iterdir() if dir_out.exists() else [])
               if (match := RUN_NAME.match(path.name))]
    channel_part = "" if channel is None else f"-c{channel}"
    name = f"{max(numbers, default=-1) + 1:05d}-{layer}{channel_part}-seed{seed}"
    return prepare_output_dir(dir_out / name, owns=lambda relative: str(relative) in OUTPUT_FILES)


def travel(on_page, ordered):
    """Pen-down and pen-up lengths (mm) of strokes as given and as ordered, named as `TRAVEL`."""
    return dict(zip(TRAVEL, (float(strokes.stroke_lengths(ordered).sum()), ordering.pen_up_travel(on_page),
                             ordering.pen_up_travel(ordered))))


def write_svg(path, points, canvas, args, page, title):
    """Write the SVG in one colour; return the travel statistics."""
    on_page = svgfile.to_page(points, canvas, page, args.margin)
    ordered = ordering.order_strokes(on_page)
    write_text_atomic(path, svgfile.svg_document(ordered, page, args.pen_width, args.colour or DEFAULT_COLOUR,
                                                 title))
    return travel(on_page, ordered)


def write_pens_svg(path, points, canvas, args, page, title, pens, stroke_pens):
    """Write the SVG with one layer per pen, each ordered on its own (the plotter goes home between pens);
    return the travel statistics summed over the pens, and per pen under "pens"."""
    on_page = svgfile.to_page(points, canvas, page, args.margin)
    layers, per_pen = [], []
    for number, (pen, pen_strokes) in enumerate(zip(pens, stroke_pens.strokes_of_each_pen()), start=1):
        ordered = ordering.order_strokes(on_page[pen_strokes])
        layers.append(svgfile.Layer(f"{number} {pen.name}", pen.hex, ordered))
        per_pen.append({"layer": number, "colour": pen.name, "rgb": pen.hex, "strokes": len(ordered),
                        **travel(on_page[pen_strokes], ordered)})
    write_text_atomic(path, svgfile.layered_document(layers, page, args.pen_width, title))
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

def make_drawing(args):
    page = svgfile.parse_page(args.page)
    svgfile.placement(args.size * args.large, page, args.margin)
    check_dir_out(args.dir_out)
    started = time.perf_counter()
    features = load_features(args)
    target = features.layer + ("" if features.channel is None else f", channel {features.channel}")
    pens = svgfile.parse_pens(args.pens) if args.pens is not None else None
    print(f"drawing {target} of {features.description}"
          + ("" if pens is None else f" with {len(pens)} pens: {', '.join(pen.name for pen in pens)}"))

    small_pens = None if pens is None else assign_pens(pens, args)
    points, canvas, histories, measured, stroke_pens = draw(features, args, small_pens)

    # A full disk or a file-size limit shows up only now, after the long work: said in one line.
    with write_errors_reported(args.dir_out):
        run_dir = new_run_dir(args.dir_out, features.layer, features.channel, args.seed)
        title = f"{target} of {features.description}, seed {args.seed}"
        if pens is None:
            lengths = write_svg(run_dir / "drawing.svg", points, canvas, args, page, title)
        else:
            lengths = write_pens_svg(run_dir / "drawing.svg", points, canvas, args, page, title, pens, stroke_pens)
            # Stroke i of the small canvas, and each of its copies on the large one, is drawn by this pen.
            lengths["pen_of_stroke"] = [int(pen) + 1 for pen in small_pens.pen_of_stroke]
        write_preview(run_dir / "preview.png", points, canvas, args.stroke_width, stroke_pens)
        write_progress_plot(run_dir / "progress.png", histories, title)
        scale, _ = svgfile.placement(canvas, page, args.margin)
        stats = {
            "strokes": len(points),
            "segments_per_stroke": args.segments,
            "canvas_px": canvas,
            "page_mm": list(page),
            "drawing_mm": canvas * scale,
            "pen_width_mm": args.pen_width,
            "pen_width_px": args.pen_width / scale,
            **lengths,
            "activation": measured,
            "network": features.description,
            "layer": features.layer,
            "channel": features.channel,
            "seed": args.seed,
            "seconds": round(time.perf_counter() - started, 1),
            "arguments": vars(args),
        }
        write_text_atomic(run_dir / "stats.json", json.dumps(stats, indent=2) + "\n")
    print(f"{len(points)} strokes, activation {measured['start']:.4g} -> {list(measured.values())[-1]:.4g}; "
          f"pen-up travel {lengths['pen_up_mm_before_ordering'] / 1000:.2f} m -> "
          f"{lengths['pen_up_mm_after_ordering'] / 1000:.2f} m")
    for pen in lengths.get("pens", []):
        print(f"  layer {pen['layer']} {pen['colour']}: {pen['strokes']} strokes, pen-up travel "
              f"{pen['pen_up_mm_before_ordering'] / 1000:.2f} m -> {pen['pen_up_mm_after_ordering'] / 1000:.2f} m")
    print(f"wrote {run_dir}/drawing.svg, preview.png, progress.png, stats.json")
    return run_dir


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python svg.py ../demo_out/run --list-layers\n"
               "  python svg.py ../demo_out/run --layer=conv_16x16_1 --channel=7 --page=A3 --pen-width=0.3\n"
               "  python svg.py ../demo_out/run --strokes=60 --steps=40 --large=2 --large-steps=10  (quick)\n"
               "  python svg.py --network=vgg16 --weights=vgg16_notop.h5 --layer=block3_conv3 --channel=37")
    parser.add_argument("model", nargs="?",
                        help="checkpoint file or training run folder (its latest checkpoint), "
                             "e.g. ../demo_out/run; not used with --network vgg16")
    parser.add_argument("--dir_out", default="drawings",
                        help="folder for the run folders, e.g. drawings (default: drawings)")
    parser.add_argument("--network", choices=("discriminator", "vgg16"), default="discriminator",
                        help="the checkpoint's discriminator, or Keras' VGG16 from --weights "
                             "(default: discriminator)")
    parser.add_argument("--weights", help="--network vgg16: local VGG16 weights, e.g. "
                                          "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    parser.add_argument("--list-layers", action="store_true",
                        help="print the network's layers with their channel counts, and stop")
    parser.add_argument("--layer", help="layer to excite, e.g. conv_16x16_1 (default: to_classification, the "
                                        "discriminator's verdict 'drawn by the artist'; block3_conv3 for vgg16)")
    parser.add_argument("--channel", type=non_negative_int,
                        help="one channel of the layer, e.g. 7 (default: the whole layer)")
    parser.add_argument("--strokes", type=positive_int, default=150,
                        help="strokes on the small canvas, e.g. 150 (default: 150)")
    parser.add_argument("--segments", type=positive_int, default=3,
                        help=f"cubic Bezier segments per stroke, 1 to {MAX_SEGMENTS}, e.g. 3 (default: 3)")
    parser.add_argument("--size", type=positive_int, default=256,
                        help="side of the small canvas in pixels, e.g. 256 (default: 256)")
    parser.add_argument("--steps", type=non_negative_int, default=300,
                        help="optimisation steps on the small canvas, e.g. 300 (default: 300)")
    parser.add_argument("--large", type=positive_int, default=4,
                        help="repeat the small drawing N x N times and fine-tune it; 1 skips the large "
                             "pass, e.g. 4 for 1024 px from 256 (default: 4)")
    parser.add_argument("--large-steps", type=non_negative_int, default=200,
                        help="fine-tuning steps on the large canvas, e.g. 200 (default: 200)")
    parser.add_argument("--lr", type=positive_float, default=1.0,
                        help="Adam learning rate, roughly the pixels a point moves per step, e.g. 1.0 "
                             "(default: 1.0)")
    parser.add_argument("--views", type=positive_int, default=4,
                        help="augmented views (crop, perspective, jitter) per step, e.g. 4 (default: 4)")
    parser.add_argument("--stroke-width", type=positive_float, default=2.0,
                        help="width of the strokes on the canvas in pixels, as the network sees them, "
                             "e.g. 2 (default: 2)")
    parser.add_argument("--smoothness", type=non_negative_float, default=0.0,
                        help="weight of a penalty on bent control polygons, e.g. 0.1 (default: 0, none)")
    parser.add_argument("--length-penalty", type=non_negative_float, default=0.0,
                        help="weight of a penalty on the strokes' mean length per canvas side, "
                             "e.g. 0.1 (default: 0, none)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed of the strokes and views; the same seed and options give the "
                             "same drawing, e.g. 7 (default: 0)")
    parser.add_argument("--page", default="A4",
                        help="page size: A4, A3, letter or WIDTHxHEIGHTmm, e.g. 300x300mm (default: A4)")
    parser.add_argument("--margin", type=float, default=15.0,
                        help="empty border around the drawing in mm, e.g. 20 (default: 15)")
    parser.add_argument("--pen-width", type=positive_float, default=0.5,
                        help="the pen's line width in mm, the SVG's stroke width, e.g. 0.3 (default: 0.5)")
    parser.add_argument("--colour",
                        help="stroke colour in the SVG (what saxi and Inkscape show), e.g. navy "
                             f"(default: {DEFAULT_COLOUR})")
    parser.add_argument("--pens",
                        help=f"draw with 1 to {svgfile.MAX_PENS} coloured pens, one SVG layer each, the network "
                             "seeing the colours: their colours separated by commas, e.g. black,#1a2b8c,#c03020 "
                             "(default: none, one black pen as --colour)")
    return parser


def check_arguments(args):
    if args.segments > MAX_SEGMENTS:
        raise UserError(f"--segments {args.segments}: strokes have 1 to {MAX_SEGMENTS} segments")
    if args.size < MIN_SIZE:
        raise UserError(f"--size {args.size}: the canvas must be at least {MIN_SIZE} px")
    if args.pens is not None:
        if args.colour is not None:
            raise UserError("--colour and --pens: give one; with --pens each layer has its pen's colour")
        pens = svgfile.parse_pens(args.pens)
        if len(pens) > args.strokes:
            raise UserError(f"--pens {args.pens}: {len(pens)} pens need at least as many --strokes "
                            f"(not {args.strokes})")
    elif args.colour is None:
        args.colour = DEFAULT_COLOUR
    if args.network == "vgg16" and args.model is not None:
        raise UserError(f"{args.model}: --network vgg16 takes no checkpoint (its weights come from --weights)")
    if args.network != "vgg16" and args.weights is not None:
        raise UserError("--weights is for --network vgg16; the discriminator's weights are in the checkpoint")
    if args.network == "discriminator":
        from drawing.gan.layers import MINIBATCH_GROUP_SIZE
        if args.views > MINIBATCH_GROUP_SIZE and args.views % MINIBATCH_GROUP_SIZE:
            raise UserError(f"--views {args.views}: the discriminator's minibatch layer takes 1 to "
                            f"{MINIBATCH_GROUP_SIZE} views or a multiple of {MINIBATCH_GROUP_SIZE}")


def main():
    args = build_parser().parse_args()
    check_arguments(args)
    if args.list_layers:
        list_layers(args)
    else:
        make_drawing(args)


if __name__ == "__main__":
    run(main)
