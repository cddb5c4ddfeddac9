"""Walk a path through a trained generator's latent space and write every step as a PNG frame.

    python path.py ../demo_out/run bezier --dir_out=out --segments=4 --frames=64 --seed=7
    python path.py ../demo_out/run phase --seconds=10 --grid=3x3 --seed=7

<model> is a checkpoint file (ours or the original's pickle) or a training run folder (its latest
checkpoint; the EMA generator when there is one). Styles:

- random     `--count` independent normal latents: a synthetic dataset, no path.
- bezier     a closed loop of `--segments` quartic Bezier segments of `--frames` frames each, through
             random anchors, the tangent continuous at every join.
- bitloop    the bitstring `--bitloop` repeated across the latent dimensions: a 1 makes its dimension
             follow one sine period over the loop, a 0 holds it still. The loop is 512 frames, as the
             original's, whatever `--frames` says (the original's bitloop ignored it too); `--loop_frames` sets
             another length.
- period     every dimension a sine around a random centre with a random divisor of 60 as its number
             of cycles, so the whole path loops after `--seconds` at `--fps`.
- phase      every dimension one sine period of `--seconds`, each with a random phase: a steady tumble.
- keyframes  a loop through chosen latents, e.g. frames you liked from a random run
             (`--keyframes out/random_c64/<run id> --pick 3,17,42`, or the `.npy` of gen/project.py),
             `--frames` per step between them, interpolated `--interpolation` linear, spherical or spline.

Every loop is sampled without its end point, so played on repeat no frame is ever shown twice in a row.
A style option the chosen style does not read gets a note on stderr and is ignored, so the original
README's command line with every flag runs and gives the original's result.

`--pace` places the frames on a loop (every style but random; each cell of a grid on its own):
- even (the default): the same loop and frame count, the frames placed so that every step, the seam
  from the last frame to the first included, shows the same change of the picture; said on stderr.
- latent: equal steps along the path itself, the original's timing: the picture jumps where the model
  changes fast and stands nearly still where it changes slowly.
Finding the even places first runs the generator over the loop more densely (2 samples per frame, and
more where the picture changes fast: about 2.5 times the frames in all; with --int8, the exact generator,
as the 8-bit one's flicker would read as change). The measure, and how to read it: docs/pace.md.

`--grid=3x3` makes one animation whose frames are a grid of independent loops of the style, each cell
with its own seed (a run with `--seed=<cell seed>` gives that cell's loop alone), cells of `--cell_size`
px apart by a `--gap` of light grey.

Output: `<dir_out>/<style folder>/<run id>/` with the frames `0000.png` ... (zero-padded to the width of
the last index), e.g. `out/bezier_s4_f64/20261121-093000_seed7/`. Style folders: `random_c<count>`,
`bezier_s<segments>_f<frames>`, `bitloop_b<bits>`, `period_s<seconds>`, `phase_s<seconds>`,
`keyframes_<interpolation>_k<keyframes>_f<frames>`, with `_grid<columns>x<rows>` added for a grid. The
frames folder holds the frames only; beside it, named after it (drawing/folders.py):
- `<run id>.json`: the record: `stage`, `command`, `seed`, `style`, `model`, `latent_size`,
  `resolution`, `frames`, `fps`, `truncation`, `batch`, `int8`, `options` (the style's own settings),
  `grid` and `cell_seeds` for a grid, `created`, `pace` (but for random), at the even pace `times` (each
  frame's time in [0, 1) on the loop; a list per cell for a grid), for keyframes `keyframe_frames` (the
  frame each keyframe lands on), `motion` (the motion summary: median step, p95/median, max/median,
  share of near-still steps), and `complete`, true only once every frame is written.
- `<run id>.npy`: float32 [frames, latent_size] ([frames, cells, latent_size] for a grid), exactly what
  the generator was given (after truncation, so a keyframes run picking from it with `--truncation`
  below 1 scales them once more).
- `<run id>_plot.png`: for models with up to 64 latent dimensions, bitloop, period and phase plot every
  dimension's modulation.
- `<run id>_motion.png`: the change of every step (the motion report; gen/motion.py measures any
  animation the same way).
An interrupted run is finished by rerunning the same command: it finds the incomplete run folder of
the same settings and writes the frames still missing, the same frames an uninterrupted run writes,
at the pace it started with (a run recorded before --pace existed: at the latent pace).

The generator runs in batches of `--batch` in a compiled function while other threads encode and
write the PNGs of the previous batch. `--int8` runs it with 8-bit weights under TensorFlow Lite
(drawing/gan/int8.py): on a CPU about twice as fast, each frame within a few grey levels of the exact
one (half a level on average); the same seed and options give the same int8 frames again.
"""
import argparse
import sys
from dataclasses import asdict

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, non_negative_int, positive_float, positive_int, run
from drawing.folders import command_line
from drawing.gen import latent_paths
from drawing.gen.grid import GRID_MAX_SIDE
from drawing.gen.motion import describe
from drawing.gen.pace import DEFAULT_PACE, PACES
from drawing.gen.path_run import PathSettings, generate_path
from drawing.gen.styles import STYLES, option_default, unused_note


def build_parser():
    parser = ArgumentParser(
        tensorflow=True, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python path.py ../demo_out/run random --count=64 --seed=1\n"
               "  python path.py ../demo_out/run bezier --segments=8 --frames=128\n"
               "  python path.py ../demo_out/run bitloop --bitloop=00110011 --loop_frames=256\n"
               "  python path.py ../demo_out/run period --seconds=60\n"
               "  python path.py ../demo_out/run phase --seconds=20 --fps=24 --grid=3x3\n"
               "  python path.py ../demo_out/run keyframes --keyframes=out/random_c64/<run id> --pick=3,17,42")
    parser.add_argument("model", help="checkpoint file or training run folder, e.g. ../demo_out/run")
    parser.add_argument("style", choices=STYLES, help="path style: " + ", ".join(STYLES))
    parser.add_argument("--dir_out", default=PathSettings.dir_out,
                        help="output folder, e.g. out (default: %(default)s)")
    # The style options default to None, "the style's own default": their help shows those of STYLES.
    parser.add_argument("--count", type=positive_int,
                        help=f"random: number of images, e.g. 1000 (default: {option_default('count')})")
    parser.add_argument("--segments", type=positive_int, help="bezier: number of curve segments in the loop, "
                                                              f"e.g. 8 (default: {option_default('segments')})")
    parser.add_argument("--frames", type=positive_int, help="bezier, keyframes: frames per segment, at least 2 "
                                                            f"(default: {option_default('frames')})")
    parser.add_argument("--loop_frames", type=positive_int,
                        help=f"bitloop: frames in the loop, at least 2 (default: {option_default('loop_frames')}, "
                             "as the original's, which ignored --frames)")
    parser.add_argument("--bitloop", help="bitloop: bits repeated over the dimensions, 1 moves and 0 holds, "
                                          f"e.g. 00110011 (default: {option_default('bitloop')})")
    parser.add_argument("--seconds", type=positive_float, help="period, phase: length of the loop in seconds at "
                                                               f"--fps, e.g. 20 (default: {option_default('seconds')})")
    parser.add_argument("--keyframes", help="keyframes: a folder written by path.py or project.py (the latents "
                                            "are the .npy beside it) or a .npy file of latents, e.g. "
                                            "out/random_c64/20261121-093000_seed1")
    parser.add_argument("--pick", help="keyframes: frame numbers to loop through, in order, e.g. 3,17,42 "
                                       "(default: all of them)")
    parser.add_argument("--interpolation", choices=latent_paths.INTERPOLATIONS,
                        help="keyframes: linear, spherical (great circles) or spline (smooth periodic "
                             f"cubic spline) (default: {option_default('interpolation')})")
    parser.add_argument("--pace", choices=PACES,
                        help=f"where the frames of a loop go: even (each step the same change of the picture) or "
                             f"latent (equal steps of the path, the original's timing) (default: {DEFAULT_PACE}; "
                             "random has no path)")
    parser.add_argument("--grid", help="a grid of independent loops of the style, columns x rows, each cell "
                                       "with its own seed, e.g. 3x3 (default: one loop)")
    parser.add_argument("--cell_size", type=positive_int,
                        help=f"--grid: side of a cell in px, e.g. 128 (default: the model's resolution, "
                             f"smaller where the grid would be over {GRID_MAX_SIDE} px)")
    parser.add_argument("--gap", type=non_negative_int,
                        help="--grid: light grey px between cells, e.g. 0 (default: a 64th of a cell, 2 at least)")
    parser.add_argument("--fps", type=positive_float, default=PathSettings.fps,
                        help="frames per second the animation is meant for; sets the frame count of "
                             "period and phase, and mp4.py reads it, e.g. 24 (default: %(default)s)")
    parser.add_argument("--truncation", type=positive_float, default=PathSettings.truncation,
                        help="scale latents toward the mean: below 1 gives tamer, more typical images, "
                             "e.g. 0.7 (default: %(default)g, no truncation)")
    parser.add_argument("--batch", type=positive_int, default=PathSettings.batch,
                        help="latents per generator call, e.g. 32 (default: %(default)s)")
    parser.add_argument("--int8", action="store_true",
                        help="run the generator with 8-bit weights (TensorFlow Lite, CPU): about twice as fast, "
                             "frames within a few grey levels of the exact ones")
    parser.add_argument("--seed", type=non_negative_int,
                        help="random seed; the same seed and options give the same frames, e.g. 7 "
                             "(default: a fresh one, recorded in <run id>.json)")
    return parser


def main():
    settings = PathSettings(**vars(build_parser().parse_args()))
    note = unused_note(settings.style, asdict(settings))
    if note:
        print(note, file=sys.stderr, flush=True)
    if settings.grid is None and (settings.cell_size is not None or settings.gap is not None):
        print("note: --cell_size and --gap are for --grid; ignored", file=sys.stderr, flush=True)
    path = generate_path(settings, command=command_line())
    placing = f"; placing them took {path.pace_seconds:.1f} s" if path.pace_seconds >= 0.05 else ""
    print(f"{path.frames} frames in {path.folder} ({path.frames / path.seconds:.1f} frames/s{placing})")
    print(f"motion: {describe(path.motion)}")


if __name__ == "__main__":
    run(main)
