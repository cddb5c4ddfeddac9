"""Run every stage but training with fixed seeds and list each output file's checksum, to show that a
change to the code keeps what the scripts write byte for byte.

    python tools/compare_outputs.py run /tmp/before --checkout=/tmp/old_checkout
    python tools/compare_outputs.py run /tmp/after
    python tools/compare_outputs.py compare /tmp/before /tmp/after

`run` makes sample scans, cuts spec and blob tiles, packs and unpacks shards, renders every path style
(a grid and --int8 among them) from the shipped demo/model, makes frames transparent, encodes mp4, WebM
and GIF, fills and blends, and draws a small plotter SVG, each script started from its own folder of
`--checkout` (default: this repository) as a user types it; then it writes `<out>/manifest.json`. Run
folders named by the clock are listed by their place instead, and records are compared without their
`created` time (and svg.py's `seconds`) and with the paths of the output folder and the checkout
replaced, and WebM videos by their decoded frames (each file has a random segment id), so two runs at
different times and places compare equal when the files are. `compare` prints every difference and exits 1 if there is one.
Training is left out: it is not bit-reproducible.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = "3"
# Fields of records that say when or how long, not what.
CLOCK_FIELDS = ("created", "seconds")
# path.py's run folders are named by the clock: `20261121-093000_seed7` (and `_2` for a second in one second).
CLOCK_NAME = re.compile(r"\d{8}-\d{6}_seed(\d+)(?:_\d+)?")


def commands(out, model):
    """(stage folder, arguments) of every run, in order; paths absolute so that each runs from its folder."""
    scans_spec, scans_blob = out / "scans_spec", out / "scans_blob"
    tiles_spec, tiles_blob, shards, frames = out / "tiles_spec", out / "tiles_blob", out / "shards", out / "frames"
    blob_grid = ["--rows=4", "--cols=6", f"--adjustment={out / 'adjustment.json'}"]
    return [
        ("data", ["sample_scans.py", scans_spec, "--style", "spec", "--dpi", "300", "--pages", "2", "--seed", SEED]),
        ("data", ["sample_scans.py", scans_blob, "--style", "blob", "--dpi", "300", "--pages", "2", "--seed", SEED,
                  "--width_in", "6", "--height_in", "4"]),
        ("data", ["spec_tile.py", scans_spec, "256", f"--dir_out={tiles_spec}", f"--dir_out_grid={out / 'grid_spec'}"]),
        ("data", ["spec_rotateflip.py", tiles_spec]),
        ("data", ["blob_grid.py", scans_blob, "300", f"--dir_out={out / 'grid_blob'}", *blob_grid]),
        ("data", ["blob_tile.py", scans_blob, "300", "64", f"--dir_out={tiles_blob}", *blob_grid, "--steps=2",
                  f"--seed={SEED}"]),
        ("data", ["tfrecord.py", tiles_blob, f"--dir_out={shards}", "--size=200KB", "--shuffle", f"--seed={SEED}"]),
        ("data", ["tfrecord_reverse.py", shards, f"--dir_out={out / 'shards_png'}"]),
        ("gen", ["path.py", model, "random", f"--dir_out={frames}", "--count=8", f"--seed={SEED}"]),
        ("gen", ["path.py", model, "random", f"--dir_out={frames / 'int8'}", "--count=4", f"--seed={SEED}", "--int8"]),
        ("gen", ["path.py", model, "bezier", f"--dir_out={frames}", "--segments=3", "--frames=8", f"--seed={SEED}"]),
        ("gen", ["path.py", model, "bitloop", f"--dir_out={frames}", "--bitloop=0110", "--loop_frames=16",
                 f"--seed={SEED}"]),
        ("gen", ["path.py", model, "period", f"--dir_out={frames}", "--seconds=2", "--fps=12", f"--seed={SEED}"]),
        ("gen", ["path.py", model, "phase", f"--dir_out={frames}", "--seconds=1", "--fps=12", "--grid=2x2",
                 f"--seed={SEED}"]),
        ("gen", ["path.py", model, "keyframes", f"--dir_out={frames}", "--keyframes={random}", "--pick=1,4,6",
                 "--frames=6", "--truncation=0.8", f"--seed={SEED}"]),
        ("gen", ["rgba.py", "{bezier}", "--color=navy"]),
        ("gen", ["mp4.py", "{bezier}"]),
        ("gen", ["mp4.py", "{bezier}_rgba_navy", f"--background={scans_blob / '1.png'}"]),
        ("gen", ["mp4.py", "{bezier}_rgba_navy", f"--out={out / 'loop.webm'}"]),
        ("gen", ["mp4.py", "{bezier}_rgba_navy", f"--out={out / 'loop.gif'}"]),
        ("gen", ["svg.py", model, f"--dir_out={out / 'svg'}", "--strokes=20", "--size=64", "--steps=6", "--large=2",
                 "--large-steps=2", f"--seed={SEED}"]),
        ("fill", ["blob_fill.py", "{random}", "palette.png", f"--dir_out={out / 'filled_blob'}", f"--seed={SEED}"]),
        ("fill", ["blob_fill.py", "{random}", "palette.png", f"--dir_out={out / 'filled_overlay'}", "--overlay",
                  "--blend", f"--seed={SEED}"]),
        ("fill", ["spec_fill.py", tiles_spec / "p0", f"--dir_out={out / 'filled_spec'}", "--blend", f"--seed={SEED}"]),
        ("fill", ["blend.py", out / "filled_blob", f"--dir_out={out / 'filled_blob_blend'}"]),
    ]


def only_run_folder(style_folder):
    runs = [path for path in style_folder.iterdir() if path.is_dir() and CLOCK_NAME.fullmatch(path.name)]
    if len(runs) != 1:
        raise SystemExit(f"{style_folder}: expected one run folder, found {len(runs)}")
    return runs[0]


def run_all(out, checkout):
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(checkout), TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    # As a user types it from gen/: the model's path is written into drawings and plots, and this one is
    # the same whatever the checkout.
    model = Path("../demo/model")
    for folder, arguments in commands(out, model):
        places = {}
        if (out / "frames" / "random_c8").is_dir():
            places["random"] = str(only_run_folder(out / "frames" / "random_c8"))
        if (out / "frames" / "bezier_s3_f8").is_dir():
            places["bezier"] = str(only_run_folder(out / "frames" / "bezier_s3_f8"))
        argv = [str(argument).format(**places) for argument in arguments]
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, *argv], cwd=checkout / folder, env=env, capture_output=True,
                                   text=True)
        print(f"{time.perf_counter() - started:6.1f} s  {folder}/{' '.join(argv)}", flush=True)
        if completed.returncode != 0:
            raise SystemExit(f"{folder}/{argv[0]} failed ({completed.returncode}):\n{completed.stderr}")
    manifest = {place: digest for place, digest in sorted(checksums(out, checkout).items())}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest)} files listed in {out / 'manifest.json'}")


def place_of(relative):
    """A file's path with clock-named run folders replaced by their seed, the same in any run."""
    return CLOCK_NAME.sub(lambda match: f"<run seed{match.group(1)}>", relative)


def normalised_json(data, out, checkout):
    """A record's text with its `created` time left out and the paths of the output folder and the
    checkout replaced."""
    def clean(value):
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items() if key not in CLOCK_FIELDS}
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, str):
            return place_of(value.replace(str(out), "<out>").replace(str(checkout), "<checkout>"))
        return value
    return json.dumps(clean(json.loads(data)), sort_keys=True).encode()


def decoded_frames(path):
    """A WebM's frames as raw RGBA bytes: the Matroska muxer writes a random segment id into every file,
    so two encodings of the same frames differ in those bytes alone."""
    import imageio_ffmpeg
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-c:v", "libvpx-vp9", "-i", str(path),
                           "-f", "rawvideo", "-pix_fmt", "rgba", "-"], capture_output=True, check=True).stdout


def checksums(out, checkout):
    listed = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name == "manifest.json":
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            data = normalised_json(data, out, checkout)
        elif path.suffix == ".webm":
            data = decoded_frames(path)
        listed[place_of(str(path.relative_to(out)))] = hashlib.sha256(data).hexdigest()
    return listed


def compare(before, after):
    first = json.loads((before / "manifest.json").read_text())
    second = json.loads((after / "manifest.json").read_text())
    differences = [f"only in {before}: {place}" for place in sorted(set(first) - set(second))]
    differences += [f"only in {after}: {place}" for place in sorted(set(second) - set(first))]
    differences += [f"differs: {place}" for place in sorted(set(first) & set(second)) if first[place] != second[place]]
    for line in differences:
        print(line)
    same = len(set(first) & set(second)) - sum(line.startswith("differs") for line in differences)
    print(f"{same} of {len(set(first) | set(second))} files byte for byte the same")
    return 1 if differences else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands_parser = parser.add_subparsers(dest="command", required=True)
    run_parser = commands_parser.add_parser("run", help="run the stages into a folder and list checksums")
    run_parser.add_argument("out", type=Path, help="output folder (emptied first), e.g. /tmp/before")
    run_parser.add_argument("--checkout", type=Path, default=REPO,
                            help="the checkout whose scripts run (default: this repository)")
    compare_parser = commands_parser.add_parser("compare", help="compare two folders' checksums")
    compare_parser.add_argument("before", type=Path)
    compare_parser.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run_all(args.out, args.checkout.resolve())
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
