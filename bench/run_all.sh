#!/usr/bin/env bash
# Every benchmark with the arguments behind the README's performance numbers. Run from the repository
# root inside the project's environment (`make bench` does both). Each prints its own numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in \
    "bench_spec_tile.py --pages 4" \
    "bench_blob_tile.py" \
    "bench_tfrecord.py" \
    "bench_scale.py" \
    "bench_fill.py --drawings 16" \
    "bench_gen.py --frames 128" \
    "bench_explore.py" \
    "bench_pace.py" \
    "bench_svg.py" \
    "bench_project.py --timed-steps 2" \
    "bench_train.py --repeats 3"; do
  echo "=== python bench/$bench"
  python bench/$bench
  echo
done
