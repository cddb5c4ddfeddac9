#!/usr/bin/env bash
# The whole pipeline on generated sample scans, run stage by stage from each stage's folder exactly as
# the README shows the commands. `make demo` runs it inside the project's virtual environment.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
OUT="$ROOT/demo_out"

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
# Sample scans (2 letter spec pages, 2 small blob pages), then the spec tiles, their grid previews, and
# the tiles turned eight ways (the seven new variants written beside each tile, as the original does).
(cd "$ROOT/data" && python sample_scans.py "$SCANS_SPEC" --style spec --dpi 300 --pages 2 --seed "$DEMO_SEED")
(cd "$ROOT/data" && python sample_scans.py "$SCANS_BLOB" --style blob --dpi 300 --pages 2 --seed "$DEMO_SEED" \
    --width_in 8 --height_in 6)
(cd "$ROOT/data" && python spec_tile.py "$SCANS_SPEC" 256 --dir_out="$TILES_SPEC" --dir_out_grid="$GRID_SPEC")
(cd "$ROOT/data" && python spec_rotateflip.py "$TILES_SPEC")
# ---- END data-spec ----

# ---- BEGIN data-blob ----
# Blob pages: grid previews (adjustment.json kept beside the results), about 1,000 tiles at
# DEMO_RESOLUTION, shuffled into several small shards, and a pixel-for-pixel check of the shards.
BLOB_GRID=(--rows=5 --cols=7 --adjustment="$OUT/adjustment.json")
(cd "$ROOT/data" && python blob_grid.py "$SCANS_BLOB" 300 --dir_out="$GRID_BLOB" "${BLOB_GRID[@]}")
(cd "$ROOT/data" && python blob_tile.py "$SCANS_BLOB" 300 "$DEMO_RESOLUTION" --dir_out="$TILES_BLOB" "${BLOB_GRID[@]}" \
    --steps=4 --seed="$DEMO_SEED")
(cd "$ROOT/data" && python tfrecord.py "$TILES_BLOB" --dir_out="$SHARDS" --size=2MB --shuffle --seed="$DEMO_SEED")
(cd "$ROOT/data" && python tfrecord_reverse.py "$SHARDS" --dir_out="$OUT/shards_png" --verify="$TILES_BLOB")
# ---- END data-blob ----

# ---- BEGIN train ----
# A CPU-sized GAN (channel_scale 1/16) on the blob tiles: 4 epochs of 512 images, a checkpoint, a fakes
# grid and the SWD metric after each, 1-2 minutes on 2 cores, to show the trainer at work. Two minutes
# of training only make blurs (a recipe that draws lines needs about 40 minutes here, demo/model/README.md
# tells how it was found), so the stages after this one use the shipped model in demo/model, trained
# longer with these same scripts. No augmentation: on this data it did not help, the discriminator
# wins either way in so short a run; the short moving-average half-life suits a run of 2,048 images.
mkdir -p "$RUN"
cat > "$RUN/options.json" <<EOF
{
  "dataset_file_pattern": "$SHARDS/*.tfrecord",
  "resolution": $DEMO_RESOLUTION,
  "replica_batch_size": 8,
  "epoch_sample_count": 512,
  "total_sample_count": 2048,
  "latent_size": 64,
  "channel_scale": 0.0625,
  "seed": $DEMO_SEED,
  "ema_kimg": 2,
  "metrics": ["swd"],
  "metrics_images": 512,
  "keep_checkpoints": 2
}
EOF
(cd "$ROOT/train" && python main.py "$RUN")
(cd "$ROOT/train" && python metrics.py "$RUN" --newest)
MODEL="$ROOT/demo/model"   # the shipped model: black-on-white line drawings (demo/model/README.md)
# ---- END train ----

# ---- BEGIN gen ----
# From the shipped model: a seamless bezier loop (4 segments of 24 frames) and its mp4; the same loop made
# transparent in navy and laid over a sample scan, as mp4, and kept transparent, as WebM; a 3 x 3 grid
# of phase loops and its mp4; and 16 random images for the fill section, rendered with 8-bit weights
# (--int8, the fast CPU mode for long renders).
newest_run() { local runs=("$1"/*/); local newest="${runs[-1]}"; echo "${newest%/}"; }
(cd "$ROOT/gen" && python path.py "$MODEL" bezier --dir_out="$FRAMES" --segments=4 --frames=24 --seed="$DEMO_SEED")
LOOP="$(newest_run "$FRAMES/bezier_s4_f24")"
(cd "$ROOT/gen" && python mp4.py "$LOOP")
(cd "$ROOT/gen" && python rgba.py "$LOOP" --color=navy)
(cd "$ROOT/gen" && python mp4.py "${LOOP}_rgba_navy" --background="$SCANS_BLOB/1.png")
(cd "$ROOT/gen" && python mp4.py "${LOOP}_rgba_navy" --out="${LOOP}_rgba_navy.webm")
(cd "$ROOT/gen" && python path.py "$MODEL" phase --dir_out="$FRAMES" --seconds=2 --fps=16 --grid=3x3 --seed="$DEMO_SEED")
GRID="$(newest_run "$FRAMES/phase_s2_grid3x3")"
(cd "$ROOT/gen" && python mp4.py "$GRID")
(cd "$ROOT/gen" && python path.py "$MODEL" random --dir_out="$FRAMES" --count=16 --seed="$DEMO_SEED" --int8)
RANDOM_IMAGES="$(newest_run "$FRAMES/random_c16")"
echo "random images: $RANDOM_IMAGES"
# ---- END gen ----

# ---- BEGIN svg ----
# A small pen-plotter drawing from the shipped model's discriminator: 60 strokes optimised for 40 steps at
# 128 px, repeated 2 x 2 and fine-tuned for 10 steps; drawing.svg (A4), preview.png, progress.png,
# stats.json in a numbered folder of "$DRAWINGS".
(cd "$ROOT/gen" && python svg.py "$MODEL" --dir_out="$DRAWINGS" --strokes=60 --size=128 --steps=40 \
    --large=2 --large-steps=10 --seed="$DEMO_SEED")
# ---- END svg ----

# ---- BEGIN fill ----
# Colour the generated drawings into new datasets: blob fill with the shipped palette (random colours,
# then by location with --overlay), spec fill with its built-in palette on the spec tiles of page 0 (it
# colours closed shapes inside a specimen, which the blob model's drawings have none of), and blend.py
# on the blob fill (the CUDA kernel where fill/blend.so and a GPU exist, else the CPU).
(cd "$ROOT/fill" && python blob_fill.py "$RANDOM_IMAGES" palette.png --dir_out="$FILLED/blob" --seed="$DEMO_SEED")
(cd "$ROOT/fill" && python blob_fill.py "$RANDOM_IMAGES" palette.png --dir_out="$FILLED/overlay" --overlay --blend)
(cd "$ROOT/fill" && python spec_fill.py "$TILES_SPEC/p0" --dir_out="$FILLED/spec" --blend --seed="$DEMO_SEED")
(cd "$ROOT/fill" && python blend.py "$FILLED/blob" --dir_out="$FILLED/blob_blend")
# ---- END fill ----

cat <<SUMMARY

Demo finished. Results are in $OUT. The animation, the fills and the plotter drawing come from the
shipped model $MODEL; the training run shows the trainer at work. Open first:
  the looping latent-space animation:        $LOOP.mp4 (evenly paced; its rhythm: ${LOOP}_motion.png)
  the same, transparent over a sample scan:  ${LOOP}_rgba_navy.mp4 (and with its alpha, .webm)
  nine loops at once:                        $GRID.mp4
  the short training run (blurs, 2 minutes): $RUN/fakes/ (reals.png beside it), $RUN/stats.jsonl (swd)
  the model the rest comes from:             $MODEL/fakes/67.png beside $MODEL/reals.png (trained 42 minutes)
  how the scans were cut into tiles:         $GRID_SPEC/ and $GRID_BLOB/
  generated images coloured by fill/:        $FILLED/
  the pen-plotter drawing:                   $(ls -d "$DRAWINGS"/*/ | tail -n 1)preview.png (drawing.svg beside it)
Then explore the model in your browser: cd gen && ../.venv/bin/python explore.py ../demo/model
SUMMARY
