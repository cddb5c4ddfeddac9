"""data/ at the original author's scale: blob pages at 300 and 1200 DPI, spec tiles by the thousand, shards.

    python bench/bench_scale.py                    # about 40 min on 2 cores and 15 GB in a temporary folder
    python bench/bench_scale.py --original=../original --original_python=../original_venv/bin/python
    python bench/bench_scale.py --quick            # small pages, one run each: checks that it all works

Makes blob pages with data/sample_scans.py (2 pages of 16 x 11 in at 300 DPI, 1 at 1200 DPI) and 1,800 spec
tiles (25 page folders of 72, cut from sample spec pages), then runs each stage as a user does, from its
folder, on fresh outputs:
- blob_tile.py at 300 DPI, 256 px, --rows 11 --cols 17 --steps 16 (77,000 tiles), --resample bilinear and nearest;
- blob_tile.py at 1200 DPI, 1024 px, --rows 11 --cols 17 --steps 2 (640 tiles), both settings;
- spec_rotateflip.py on the spec tiles, in place (1,800 -> 14,400 images);
- tfrecord.py on the 300 DPI tiles of each setting.
For each it prints tiles (or images) per second, bytes per tile, and the peak memory of the largest
process of the run, workers included; each the median of --repeats runs. With --original, the original
scripts run on the same pages (blob_tile with the same grid, through its adjustment.json) in their own
Python (--original_python, a virtual environment with tensorflow), each from a scratch folder, and the
ratios are printed: speed ours/original, bytes ours/original. The machine's load average is printed
before and after: other work on the machine slows every side.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from drawing.data.blob import centred_adjustment, grid_unit
from drawing.data.samples import spec_page
from drawing.data.spec import tile_page
from drawing.images import image_size, write_png
from drawing.parallel import default_workers

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scale:
    """The sizes of one benchmark: the author's (full) or a small one that runs in seconds (quick)."""
    width_in: float
    height_in: float
    rows: int
    cols: int
    steps_300: int
    steps_1200: int
    resolution_300: int
    spec_pages: int
    tiles_per_spec_page: int


FULL = Scale(16, 11, 11, 17, 16, 2, 256, 25, 72)
QUICK = Scale(3, 2, 2, 2, 2, 1, 64, 2, 8)


@dataclass
class Measure:
    seconds: float
    peak_bytes: int
    items: int
    bytes: int

    @property
    def per_second(self):
        return self.items / self.seconds

    @property
    def bytes_per_item(self):
        return self.bytes / max(self.items, 1)


# Each command is started by a small Python of its own that reports its children's peak: a process's peak
# starts at its parent's, and this benchmark holds far more than that launcher.
LAUNCHER = ("import resource, subprocess, sys\n"
            "code = subprocess.call(sys.argv[2:])\n"
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
            "sys.exit(code)\n")


def timed(command, cwd, env):
    """Run a command to its end; (wall seconds, peak resident bytes of its largest process, workers included)."""
    with tempfile.TemporaryDirectory() as scratch:
        errors, peak = Path(scratch) / "stderr", Path(scratch) / "peak"
        with open(errors, "wb") as stderr:
            start = time.perf_counter()
            completed = subprocess.run([sys.executable, "-c", LAUNCHER, peak, *map(str, command)], cwd=cwd, env=env,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
            seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, command))} failed ({completed.returncode}):\n"
                             f"{errors.read_text(errors='replace')[-3000:]}")
        return seconds, int(peak.read_text()) * 1024


def files(folder, suffix):
    """(how many, bytes) of the files under `folder` ending in `suffix`."""
    paths = [path for path in Path(folder).rglob(f"*{suffix}") if path.is_file()]
    return len(paths), sum(path.stat().st_size for path in paths)


def remove(folder):
    shutil.rmtree(folder, ignore_errors=True)
    Path(f"{folder}.json").unlink(missing_ok=True)


def measure(command, cwd, env, output, repeats, count, prepare=None):
    """The median of `repeats` runs of `command` into a fresh `output` (`prepare(output)` makes it, else it is
    removed); `count(output)` gives (items, bytes) of the last run, which is kept."""
    runs = []
    for _ in range(repeats):
        remove(output)
        if prepare:
            prepare(output)
        runs.append(timed(command, cwd, env))
    items, size = count(output)
    return Measure(statistics.median(seconds for seconds, _ in runs), int(statistics.median(peak for _, peak in runs)),
                   items, size)


def make_pages(work, scale, dpi, pages):
    """Blob pages from data/sample_scans.py, and an adjustment.json centring each page's grid (for both sides)."""
    folder = work / f"scans{dpi}"
    subprocess.run([sys.executable, "sample_scans.py", folder, "--style", "blob", "--dpi", str(dpi), "--pages",
                    str(pages), "--width_in", str(scale.width_in), "--height_in", str(scale.height_in)],
                   cwd=REPO / "data", env=ours_env(), check=True, capture_output=True)
    original_cwd = work / f"original{dpi}"
    original_cwd.mkdir()
    sizes = [image_size(folder / f"{number}.png") for number in range(pages)]
    adjustment = centred_adjustment(sizes, scale.rows, scale.cols, grid_unit(dpi))
    (original_cwd / "adjustment.json").write_text(json.dumps(adjustment))
    return folder, original_cwd


def make_spec_tiles(folder, scale):
    """Page folders p0, p1, ... of tiles p<k>_t00.png, ... as spec_tile.py cuts them from sample spec pages."""
    tiles = []
    seed = 0
    while len(tiles) < scale.tiles_per_spec_page:
        tiles += tile_page(spec_page(dpi=300, seed=seed)[0], 256)[0]
        seed += 1
    for page in range(scale.spec_pages):
        for number, tile in enumerate(tiles[:scale.tiles_per_spec_page]):
            write_png(folder / f"p{page}" / f"p{page}_t{number:02d}.png", tile)


def ours_env():
    return dict(os.environ, PYTHONPATH=str(REPO))


def original_env():
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return dict(env, TF_CPP_MIN_LOG_LEVEL="2")


def blob_tile_runs(work, options, scale, dpi, pages):
    """{side: Measure} of blob_tile.py at `dpi`; the tile folders stay in `work` for tfrecord.py."""
    scans, original_cwd = make_pages(work, scale, dpi, pages)
    resolution = scale.resolution_300 * dpi // 300
    steps = scale.steps_300 if dpi == 300 else scale.steps_1200
    grid = [f"--rows={scale.rows}", f"--cols={scale.cols}", f"--steps={steps}"]
    results = {}
    for resample in ("bilinear", "nearest"):
        output = work / f"tiles{dpi}_{resample}"
        command = [sys.executable, "blob_tile.py", scans, dpi, resolution, f"--dir_out={output}", *grid,
                   f"--resample={resample}", f"--adjustment={original_cwd / 'adjustment.json'}"]
        results[resample] = measure(command, REPO / "data", ours_env(), output, options.repeats,
                                    lambda folder: files(folder, ".png"))
    if options.original:
        output = work / f"tiles{dpi}_original"
        command = [options.original_python, options.original / "data" / "blob_tile.py", scans, dpi, resolution,
                   f"--dir_out={output}", *grid]
        results["original"] = measure(command, original_cwd, original_env(), output, options.repeats,
                                      lambda folder: files(folder, ".png"))
    return f"blob_tile {dpi} DPI, {pages} page(s), {resolution} px, steps {steps}", results


def rotateflip_runs(work, options, scale):
    source = work / "spec_tiles"
    make_spec_tiles(source, scale)
    results = {}
    sides = {"ours": ([sys.executable, "spec_rotateflip.py"], REPO / "data", ours_env())}
    if options.original:
        sides["original"] = ([options.original_python, options.original / "data" / "spec_rotateflip.py"],
                             work, original_env())
    for side, (program, cwd, env) in sides.items():
        output = work / f"spec_{side}"
        results[side] = measure([*program, output], cwd, env, output, options.repeats,
                                lambda folder: files(folder, ".png"), prepare=lambda folder: shutil.copytree(source, folder))
    tiles = scale.spec_pages * scale.tiles_per_spec_page
    return f"spec_rotateflip, {scale.spec_pages} pages x {scale.tiles_per_spec_page} tiles ({tiles} -> {8 * tiles})", results


def tfrecord_runs(work, options):
    results = {}
    sides = {resample: (f"tiles300_{resample}", [sys.executable, "tfrecord.py"], REPO / "data", ours_env())
             for resample in (("nearest",) if options.quick else ("bilinear", "nearest"))}
    if options.original:
        sides["original"] = ("tiles300_original", [options.original_python, options.original / "data" / "tfrecord.py"],
                             work, original_env())
    for side, (tiles, program, cwd, env) in sides.items():
        output = work / f"shards_{side}"
        tile_count, _ = files(work / tiles, ".png")
        results[side] = measure([*program, work / tiles, f"--dir_out={output}"], cwd, env, output, options.repeats,
                                lambda folder: (tile_count, files(folder, ".tfrecord")[1]))
    return f"tfrecord, the 300 DPI tiles of each side ({tile_count})", results


def report(title, results):
    print(f"{title}:")
    for side, result in results.items():
        print(f"  {side:<9} {result.items:>7} in {result.seconds:7.1f} s = {result.per_second:7.0f}/s, "
              f"{result.bytes_per_item / 1e3:7.1f} KB each, {result.bytes / 1e6:7.0f} MB in all, "
              f"peak {result.peak_bytes / 1e6:6.0f} MB")
    original = results.get("original")
    if original:
        for side, result in results.items():
            if side != "original":
                print(f"  {side} / original: {result.per_second / original.per_second:.2f}x the speed, "
                      f"{result.bytes / original.bytes:.2f}x the bytes")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--original", type=Path, default=None,
                        help="a checkout of the original scripts (its data/ folder is run), e.g. ../original")
    parser.add_argument("--original_python", default="python3",
                        help="the Python of the original's own environment, with tensorflow (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command; the median counts "
                                                               "(default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="small pages and one run each, in seconds")
    parser.add_argument("--steps_300", type=int, default=FULL.steps_300,
                        help="blob_tile.py --steps at 300 DPI: fewer for a shorter run on a busy machine "
                             "(default: %(default)s)")
    parser.add_argument("--spec_pages", type=int, default=FULL.spec_pages,
                        help="page folders of spec tiles (default: %(default)s)")
    parser.add_argument("--stages", default="blob300,blob1200,spec,tfrecord",
                        help="which to run, comma-separated; tfrecord packs blob300's tiles (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the pages, tiles and shards (default: a temporary folder, removed after)")
    options = parser.parse_args()
    scale = QUICK if options.quick else replace(FULL, steps_300=options.steps_300, spec_pages=options.spec_pages)
    if options.quick:
        options.repeats = 1
    if options.original:
        options.original = options.original.resolve()
    stages = set(options.stages.split(","))
    if "tfrecord" in stages and "blob300" not in stages:
        parser.error("--stages: tfrecord packs the tiles of blob300; give both")

    print(f"{default_workers()} cores; load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_scale_", dir=options.work) as work:
        work = Path(work)
        if "blob300" in stages:
            report(*blob_tile_runs(work, options, scale, 300, 2 if not options.quick else 1))
        if "blob1200" in stages:
            report(*blob_tile_runs(work, options, scale, 1200, 1))
        if "spec" in stages:
            report(*rotateflip_runs(work, options, scale))
        if "tfrecord" in stages:
            report(*tfrecord_runs(work, options))
    print(f"load average {os.getloadavg()[0]:.2f} at the end (1 min; {os.getloadavg()[1]:.2f} over 5 min)")


if __name__ == "__main__":
    main()
