"""Draw what the trained network sees: Bezier strokes optimised to excite one of its layers, as a pen-plotter SVG.

    python svg.py ../demo_out/run --layer=conv_16x16_1 --channel=7 --dir_out=drawings
    python svg.py ../demo_out/run --list_layers
    python svg.py --network=vgg16 --weights=vgg16_notop.h5 --layer=block3_conv3 --channel=37

`--strokes` random strokes of `--segments` cubic Bezier segments are drawn on a `--size` px canvas by
a differentiable renderer and moved by Adam, `--steps` times, so that the chosen layer (or channel)
of the network fires on random crops, perspectives and jitters of the drawing. The large pass then
repeats the strokes `--large` x `--large` times on a canvas that much larger and fine-tunes them for
`--large_steps` on random windows of it (the small canvas is then optimised as a periodic tile, so
the repetition has no seams). The network is the discriminator of a checkpoint (a file or
a run folder, whose latest checkpoint is used), which has learned the artist's strokes; by default
its verdict `to_classification` ("drawn by the artist") is raised. Or Keras' VGG16 with weights from
a local file. `--list_layers` shows the layers to choose from.

`--pens=black,#1a2b8c,#c03020` draws with a few coloured pens: each stroke gets one pen (a seeded
shuffle, the pens used equally), the network sees the colour picture of the inks on white paper, and
the SVG has one layer per pen, to plot one at a time with a pen change in between.

Each run writes a new folder `<dir_out>/<number>-<layer>[-c<channel>]-seed<seed>/` holding
- drawing.svg   the page (`--page`, `--margin`) with one path per stroke in an AxiDraw/Inkscape layer,
                strokes ordered to shorten the pen-up travel, stroke width `--pen_width` mm;
                with `--pens`, one layer per pen in its colour, each ordered on its own (plot them one by one);
- preview.png   the final render, one pixel per canvas pixel (in colour with `--pens`);
- progress.png  the activation over the steps of both passes;
- stats.json    strokes, pen-down and pen-up lengths (mm, before and after ordering), activations,
                the seed and every argument;
and beside it its record `<number>-<layer>[-c<channel>]-seed<seed>.json` (drawing/folders.py): the
command, what was drawn, and `complete`, true once every file is written.
"""
import argparse
import dataclasses

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_float, non_negative_int, positive_float, positive_int, run
from drawing.folders import command_line
from drawing.plotter import svgfile
from drawing.plotter.run import (
    DEFAULT_COLOUR,
    MAX_SEGMENTS,
    DrawingSettings,
    check_settings,
    layer_listing,
    make_drawing,
)

DEFAULTS = DrawingSettings()


def build_parser():
    parser = ArgumentParser(
        tensorflow=True, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python svg.py ../demo_out/run --list_layers\n"
               "  python svg.py ../demo_out/run --layer=conv_16x16_1 --channel=7 --page=A3 --pen_width=0.3\n"
               "  python svg.py ../demo_out/run --strokes=60 --steps=40 --large=2 --large_steps=10  (quick)\n"
               "  python svg.py --network=vgg16 --weights=vgg16_notop.h5 --layer=block3_conv3 --channel=37")
    parser.add_argument("model", nargs="?",
                        help="checkpoint file or training run folder (its latest checkpoint), "
                             "e.g. ../demo_out/run; not used with --network vgg16")
    parser.add_argument("--dir_out", default="drawings",
                        help="folder for the run folders, e.g. drawings (default: %(default)s)")
    parser.add_argument("--network", choices=("discriminator", "vgg16"), default=DEFAULTS.network,
                        help="the checkpoint's discriminator, or Keras' VGG16 from --weights "
                             "(default: %(default)s)")
    parser.add_argument("--weights", help="--network vgg16: local VGG16 weights, e.g. "
                                          "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    parser.add_argument("--list_layers", action="store_true",
                        help="print the network's layers with their channel counts, and stop")
    parser.add_argument("--layer", help="layer to excite, e.g. conv_16x16_1 (default: to_classification, the "
                                        "discriminator's verdict 'drawn by the artist'; block3_conv3 for vgg16)")
    parser.add_argument("--channel", type=non_negative_int,
                        help="one channel of the layer, e.g. 7 (default: the whole layer)")
    parser.add_argument("--strokes", type=positive_int, default=DEFAULTS.strokes,
                        help="strokes on the small canvas, e.g. 150 (default: %(default)s)")
    parser.add_argument("--segments", type=positive_int, default=DEFAULTS.segments,
                        help=f"cubic Bezier segments per stroke, 1 to {MAX_SEGMENTS}, e.g. 3 (default: %(default)s)")
    parser.add_argument("--size", type=positive_int, default=DEFAULTS.size,
                        help="side of the small canvas in pixels, e.g. 256 (default: %(default)s)")
    parser.add_argument("--steps", type=non_negative_int, default=DEFAULTS.steps,
                        help="optimisation steps on the small canvas, e.g. 300 (default: %(default)s)")
    parser.add_argument("--large", type=positive_int, default=DEFAULTS.large,
                        help="repeat the small drawing N x N times and fine-tune it; 1 skips the large "
                             "pass, e.g. 4 for 1024 px from 256 (default: %(default)s)")
    parser.add_argument("--large_steps", type=non_negative_int, default=DEFAULTS.large_steps,
                        help="fine-tuning steps on the large canvas, e.g. 200 (default: %(default)s)")
    parser.add_argument("--lr", type=positive_float, default=DEFAULTS.lr,
                        help="Adam learning rate, roughly the pixels a point moves per step, e.g. 1.0 "
                             "(default: %(default)s)")
    parser.add_argument("--views", type=positive_int, default=DEFAULTS.views,
                        help="augmented views (crop, perspective, jitter) per step, e.g. 4 (default: %(default)s)")
    parser.add_argument("--stroke_width", type=positive_float, default=DEFAULTS.stroke_width,
                        help="width of the strokes on the canvas in pixels, as the network sees them, "
                             "e.g. 2 (default: %(default)g)")
    parser.add_argument("--smoothness", type=non_negative_float, default=DEFAULTS.smoothness,
                        help="weight of a penalty on bent control polygons, e.g. 0.1 (default: %(default)g, none)")
    parser.add_argument("--length_penalty", type=non_negative_float, default=DEFAULTS.length_penalty,
                        help="weight of a penalty on the strokes' mean length per canvas side, "
                             "e.g. 0.1 (default: %(default)g, none)")
    parser.add_argument("--seed", type=non_negative_int, default=DEFAULTS.seed,
                        help="random seed of the strokes and views; the same seed and options give the "
                             "same drawing, e.g. 7 (default: %(default)s)")
    parser.add_argument("--page", default=DEFAULTS.page,
                        help="page size: A4, A3, letter or WIDTHxHEIGHTmm, e.g. 300x300mm (default: %(default)s)")
    parser.add_argument("--margin", type=float, default=DEFAULTS.margin,
                        help="empty border around the drawing in mm, e.g. 20 (default: %(default)g)")
    parser.add_argument("--pen_width", type=positive_float, default=DEFAULTS.pen_width,
                        help="the pen's line width in mm, the SVG's stroke width, e.g. 0.3 (default: %(default)s)")
    parser.add_argument("--color", dest="colour", metavar="COLOR", hidden_aliases=["--colour"],
                        help="stroke colour in the SVG (what saxi and Inkscape show), e.g. navy "
                             f"(default: {DEFAULT_COLOUR})")
    parser.add_argument("--pens",
                        help=f"draw with 1 to {svgfile.MAX_PENS} coloured pens, one SVG layer each, the network "
                             "seeing the colours: their colours separated by commas, e.g. black,#1a2b8c,#c03020 "
                             "(default: none, one black pen as --color)")
    return parser


def main():
    args = build_parser().parse_args()
    settings = check_settings(DrawingSettings(**{field.name: getattr(args, field.name)
                                                 for field in dataclasses.fields(DrawingSettings)}))
    if args.list_layers:
        print(layer_listing(settings))
        return
    arguments = {**vars(args), "colour": settings.colour}   # stats.json records them as the user gave them
    run_dir, stats = make_drawing(settings, args.dir_out, arguments, command=command_line())
    activation = list(stats["activation"].values())
    print(f"{stats['strokes']} strokes, activation {activation[0]:.4g} -> {activation[-1]:.4g}; "
          f"pen-up travel {stats['pen_up_mm_before_ordering'] / 1000:.2f} m -> "
          f"{stats['pen_up_mm_after_ordering'] / 1000:.2f} m")
    for pen in stats.get("pens", []):
        print(f"  layer {pen['layer']} {pen['colour']}: {pen['strokes']} strokes, pen-up travel "
              f"{pen['pen_up_mm_before_ordering'] / 1000:.2f} m -> {pen['pen_up_mm_after_ordering'] / 1000:.2f} m")
    print(f"wrote {run_dir}/drawing.svg, preview.png, progress.png, stats.json")


if __name__ == "__main__":
    run(main)
