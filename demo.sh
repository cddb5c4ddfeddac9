#!/usr/bin/env bash
# The whole pipeline on generated sample scans, run stage by stage from each stage's folder exactly as
# the README shows the commands. `make demo` runs it inside the project's virtual environment.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
OUT="$ROOT/demo_out"
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2

# Shared names between the stages (every section below reads and writes only these).
SCANS_SPEC="$OUT/scans/spec"      # generated spec pages (PNG, 300 DPI)
SCANS_BLOB="$OUT/scans/blob"      # generated blob pages (PNG, 300 DPI)
TILES_SPEC="$OUT/tiles/spec"      # spec_tile.py output, one folder per page
GRID_SPEC="$OUT/grids/spec"       # spec_tile.py grid previews
GRID_BLOB="$OUT/grids/blob"       # blob_grid.py grid previews
TILES_BLOB="$OUT/tiles/blob"      # blob_tile.py output at DEMO_RESOLUTION, the training set
SHARDS="$OUT/shards"              # tfrecord.py output
RUN="$OUT/run"                    # training run folder (options.json, checkpoints, fakes/)
FRAMES="$OUT/frames"              # path.py output
FILLED="$OUT/filled"              # fill/ output
DRAWINGS="$OUT/svg"               # gen/svg.py output
DEMO_RESOLUTION=64
DEMO_SEED=1
rm -rf "$OUT"
mkdir -p "$OUT"

# ---- BEGIN data-spec ----
# ---- END data-spec ----

# ---- BEGIN data-blob ----
# ---- END data-blob ----

# ---- BEGIN train ----
# ---- END train ----

# ---- BEGIN gen ----
# ---- END gen ----

# ---- BEGIN svg ----
# ---- END svg ----

# ---- BEGIN fill ----
# ---- END fill ----

echo
echo "Demo finished. Results are in $OUT"
