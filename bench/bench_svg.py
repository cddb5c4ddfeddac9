"""How fast gen/svg.py renders, optimises and orders strokes, and how much memory the renderer takes.

Times, on the CPU (TensorFlow uses every core):
- the renderer: 150 three-segment strokes at 256 px, forward alone and forward + backward (the
  gradient of every control point), as one optimisation step runs it (a compiled tf.function);
- the same at 1024 px with the 4 x 4 replication (2,400 strokes), forward + backward, and the peak
  memory the process reached;
- one optimisation step (render, views, discriminator forward and backward, Adam) of the small pass
  (periodic canvas) and of the large pass (a window of the large canvas), with an untrained
  discriminator of --resolution px and channel scale 1/16, like the demo's;
- the pen-up ordering of the 2,400 strokes: greedy alone, then with 2-opt and or-opt.
Target: the 256 px forward + backward well under a second on a 2-core CPU.

Example:
    python bench/bench_svg.py --repeats 10 --resolution 64
"""
import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np  # noqa: E402

from drawing.backend import tf
from drawing.gan import save_untrained_checkpoint  # noqa: E402
from drawing.plotter import network, optimise, ordering, strokes  # noqa: E402
from drawing.plotter.render import render  # noqa: E402

SIZE = 256
STROKES = 150
SEGMENTS = 3
COPIES = 4
STROKE_WIDTH = 2.0


def seconds(function, repeats):
    """'median s (best s)' of `repeats` calls after one warm-up call (which compiles)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return f"{np.median(times):.3f} s (best {np.min(times):.3f} s)"


def renderer_functions(points, size):
    """(forward, forward + backward) of the renderer on a whole `size` px canvas, compiled."""
    variable = tf.Variable(points)
    widths = tf.fill([len(points)], STROKE_WIDTH)
    weights = tf.random.stateless_uniform([size, size], [0, 1])

    @tf.function
    def forward():
        return tf.reduce_sum(weights * render(variable, widths, (0.0, 0.0), size, size))

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = forward()
        return tape.gradient(loss, variable)

    return forward, forward_backward


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def optimisation_step_seconds(features, points, canvas, repeats):
    """'median s (best s)' of one optimisation step (render, views, network, Adam), compiled."""
    settings = optimise.Settings(steps=1, learning_rate=1.0, views=4, stroke_width=STROKE_WIDTH)
    step = optimise.make_step(tf.Variable(points), features, canvas, settings)
    rng = np.random.default_rng(0)
    return seconds(lambda: float(step(*optimise.random_step_inputs(rng, canvas, settings, features.resolution))),
                   repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per figure, e.g. 10 (default: 10)")
    parser.add_argument("--resolution", type=int, default=64,
                        help="the discriminator's resolution, e.g. 64 as in the demo (default: 64)")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, {tf.config.threading.get_inter_op_parallelism_threads() or 'all'} "
          f"inter-op threads, CPU")

    small = strokes.random_strokes(np.random.default_rng(0), STROKES, SEGMENTS, SIZE)
    forward, forward_backward = renderer_functions(small, SIZE)
    print(f"render {STROKES} strokes x {SEGMENTS} segments at {SIZE} px, forward:            "
          f"{seconds(forward, args.repeats)}")
    print(f"render {STROKES} strokes x {SEGMENTS} segments at {SIZE} px, forward + backward: "
          f"{seconds(forward_backward, args.repeats)}")

    large = strokes.replicate(small, COPIES, SIZE)
    _, large_forward_backward = renderer_functions(large, SIZE * COPIES)
    before = peak_memory_mb()
    timing = seconds(large_forward_backward, max(1, args.repeats // 3))
    print(f"render {len(large)} strokes at {SIZE * COPIES} px, forward + backward:       {timing}, "
          f"peak memory {peak_memory_mb():.0f} MB (before: {before:.0f} MB)")

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = save_untrained_checkpoint(Path(folder) / "0.checkpoint", resolution=args.resolution,
                                               latent_size=8, channel_scale=1 / 16, seed=0)
        features = network.load_network("discriminator", checkpoint, None).features()
    small_step = optimisation_step_seconds(features, small, optimise.Canvas(SIZE, SIZE, periodic=True),
                                           args.repeats)
    large_step = optimisation_step_seconds(features, large, optimise.Canvas(SIZE * COPIES, SIZE), args.repeats)
    print(f"optimisation step, {features.layer} of a {args.resolution} px D, 4 views, small pass: {small_step}")
    print(f"optimisation step, {features.layer} of a {args.resolution} px D, 4 views, large pass: {large_step}")

    on_page = large * (180 / (SIZE * COPIES))
    start = time.perf_counter()
    greedy = ordering.order_strokes(on_page, seconds=0)
    greedy_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ordered = ordering.order_strokes(on_page)
    print(f"order {len(large)} strokes: greedy {greedy_seconds:.3f} s, with 2-opt and or-opt "
          f"{time.perf_counter() - start:.1f} s; pen-up travel {ordering.pen_up_travel(on_page) / 1000:.1f} m -> "
          f"{ordering.pen_up_travel(greedy) / 1000:.2f} m (greedy) -> {ordering.pen_up_travel(ordered) / 1000:.2f} m")

if __name__ == "__main__":
    main()
