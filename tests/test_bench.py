"""The benchmarks keep up with the code they time: each imports (so every name it takes from the package
exists) and shows its help, the quick ones run at their smallest settings, and `make bench`'s arguments
are ones the benchmarks take."""
import argparse
import importlib
import re
import shlex
import sys

import pytest
from helpers import REPO

BENCH = REPO / "bench"
BENCHES = sorted(path.name for path in BENCH.glob("bench_*.py"))

# The benchmarks that take seconds at their smallest settings, run in this process (TensorFlow already
# loaded) with the sizes they fix as constants made smaller too. The others only import and parse:
# bench_project compiles a 256 px full-width model, bench_svg orders 2,400 strokes and bench_train
# trains in separate processes.
QUICK_RUNS = {
    "bench_spec_tile.py": (["--pages=1"], {}),
    "bench_blob_tile.py": (["--pages=1", "--steps=1", "--resolution=64"], {}),
    "bench_tfrecord.py": (["--tiles=8", "--resolution=16"], {}),
    "bench_fill.py": (["--drawings=1", "--gap_drawings=1", "--gap_widths=2"],
                      {"SIZE": 256, "REPEATS": 1, "GAP_COUNT": 50, "GPU_BATCH": 2}),
    "bench_gen.py": (["--frames=2", "--batch=1", "--int8_batch=0", "--no_original"], {"RESOLUTION": 32}),
    "bench_pace.py": (["--styles=bezier", "--segments=1", "--frames=8"], {}),
    "bench_scale.py": (["--quick"], {}),
}


@pytest.fixture(autouse=True, scope="module")
def bench_importable():
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


def import_bench(name):
    return importlib.import_module(name.removesuffix(".py"))


def run_main(bench, arguments, monkeypatch):
    """The benchmark's main() as `python bench/<name> <arguments>` runs it."""
    monkeypatch.setattr(sys, "argv", [bench, *arguments])
    return import_bench(bench).main()


@pytest.mark.parametrize("name", BENCHES)
def test_every_benchmark_imports_and_shows_its_help(name, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit:
        run_main(name, ["--help"], monkeypatch)
    assert exit.value.code == 0 and "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(QUICK_RUNS))
def test_quick_benchmark_runs(name, monkeypatch, capsys):
    arguments, smaller = QUICK_RUNS[name]
    module = import_bench(name)
    for constant, value in smaller.items():
        monkeypatch.setattr(module, constant, value)
    run_main(name, arguments, monkeypatch)
    assert capsys.readouterr().out.strip()


# ---- `make bench` ---------------------------------------------------------------------------------------

def run_all_commands():
    """(benchmark, arguments) of each line of bench/run_all.sh."""
    lines = re.findall(r'^\s*"(bench_\w+\.py)([^"]*)"', (BENCH / "run_all.sh").read_text(), re.MULTILINE)
    return [(bench, shlex.split(arguments)) for bench, arguments in lines]


class Parsed(Exception):
    pass


@pytest.mark.parametrize("bench, arguments", run_all_commands())
def test_make_bench_arguments_are_accepted(bench, arguments, monkeypatch):
    parse_args = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser, args=None, namespace=None):
        parse_args(parser, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    with pytest.raises(Parsed):
        run_main(bench, arguments, monkeypatch)


def test_make_bench_runs_every_benchmark():
    assert sorted(bench for bench, _ in run_all_commands()) == BENCHES
