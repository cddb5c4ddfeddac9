"""Explore a model in the browser and choose the keyframes of a loop: a local page, no internet needed.

    python explore.py ../demo/model
    python explore.py ../demo/model --latents=out/random_c64/20261121-093000_seed1 projected.npy --seed=7

<model> is what path.py takes: a checkpoint file or a training run folder. The page shows drawings of
seeded latents (drawing i of seed S is frame i of `path.py random --seed=S`), and the latents of path.py
or project.py runs named with `--latents` or uploaded through the page; a click adds a drawing to the
keyframe strip, where it can be moved or removed, and the loop through the keyframes plays beside it
with path.py's interpolations and paces (the even pace once placed, in a few seconds: until then, the
latent one). Save writes `<name>.npy` (the keyframes' latents, before truncation) and
`<name>.json` (model, sources, settings, seed) in --dir_out and shows the path.py and mp4.py command
lines that render the loop at full quality. The server listens on 127.0.0.1 only, unless --host says
otherwise; Ctrl-C stops it. See docs/explore.md.
"""
import argparse
import os
import secrets
import sys
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_int, positive_float, positive_int, run
from drawing.console import warn
from drawing.errors import UserError
from drawing.folders import command_line
from drawing.gen.explore import app, loop, sources

GEN = Path(__file__).resolve().parent
EXIT_INTERRUPTED = 130    # as every script of this project stopped by Ctrl-C


def build_parser():
    parser = ArgumentParser(tensorflow=True, description=__doc__.split("\n\n")[0],
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="examples:\n"
                                            "  python explore.py ../demo/model\n"
                                            "  python explore.py ../demo_out/run --latents=projected.npy --port=8001")
    parser.add_argument("model", help="checkpoint file or training run folder, e.g. ../demo/model")
    parser.add_argument("--dir_out", default="out", help="where saved loops go, e.g. loops (default: %(default)s)")
    parser.add_argument("--latents", nargs="+", action="extend", default=[], metavar="RUN_OR_NPY",
                        help="latent files to pick keyframes from too: path.py or project.py run folders "
                             "(their .npy beside them) or .npy files, e.g. out/random_c64/20261121-093000_seed1")
    parser.add_argument("--port", type=non_negative_int, default=8000,
                        help="port to listen on, e.g. 8001 (default: %(default)s)")
    parser.add_argument("--host", default=app.LOCAL_HOST,
                        help="address to listen on; another than this machine's own lets other machines "
                             "open the page and save files (default: %(default)s)")
    parser.add_argument("--seed", type=non_negative_int,
                        help="the first page's random seed, e.g. 7 (default: a fresh one, shown on the page)")
    parser.add_argument("--truncation", type=positive_float, default=1.0,
                        help="the truncation the page starts with, as path.py's (default: %(default)s)")
    parser.add_argument("--frames", type=positive_int, default=64,
                        help="frames per step between keyframes the page starts with (default: %(default)s)")
    parser.add_argument("--fps", type=positive_float, default=loop.DEFAULT_FPS,
                        help="frames per second of the loop (default: %(default)s)")
    parser.add_argument("--interpolation", choices=loop.INTERPOLATIONS, default=loop.DEFAULT_INTERPOLATION,
                        help="the interpolation the page starts with (default: %(default)s)")
    parser.add_argument("--pace", choices=loop.PACES, default=loop.DEFAULT_PACE,
                        help="the pace the page starts with, as path.py's: even (each step the same change of "
                             "the picture) or latent (the original's timing) (default: %(default)s)")
    return parser


def scripts_folder():
    """gen/ as a path from the current folder, "" when it is the current folder."""
    relative = os.path.relpath(GEN)
    return "" if relative == "." else relative


def main():
    args = build_parser().parse_args()
    if not loop.MIN_FRAMES <= args.frames <= loop.MAX_FRAMES:
        raise UserError(f"--frames {args.frames}: give {loop.MIN_FRAMES} to {loop.MAX_FRAMES} frames per step")
    if not app.is_local(args.host):
        warn(f"--host {args.host}: other machines that reach this address can open the explorer and save "
             f"loops into {args.dir_out}; use it only on a network you trust")
    if args.seed is not None and args.seed > sources.MAX_SEED:
        raise UserError(f"--seed {args.seed}: at most {sources.MAX_SEED} (the largest the page holds exactly)")
    seed = args.seed if args.seed is not None else secrets.randbelow(2 ** 31)
    settings = app.Settings(model=args.model, seed=seed, truncation=args.truncation,
                            frames=args.frames, fps=args.fps,
                            interpolation=args.interpolation, pace=args.pace, command=command_line(sys.argv))
    commands = app.Commands(cwd=os.getcwd(), scripts=scripts_folder(), model=args.model, dir_out=args.dir_out)
    started = app.start(args.model, settings, commands, latent_files=args.latents, host=args.host, port=args.port)
    print(f"explore: open {started.url} in a browser (seed {seed}; loops are saved in {args.dir_out}); "
          "Ctrl-C stops it", flush=True)
    started.server.serve_forever()   # until Ctrl-C, which Werkzeug's server takes as its signal to stop
    started.explorer.close()
    print("explore: stopped", flush=True)
    return EXIT_INTERRUPTED


if __name__ == "__main__":
    run(main)
