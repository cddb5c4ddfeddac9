"""The benchmarks keep up with the code they time: the quick ones run at their smallest settings, every
call a benchmark makes into the project's code fits that code's signature, and `make bench`'s arguments
are ones the benchmarks take."""
import argparse
import ast
import importlib
import inspect
import re
import shlex
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_script

BENCH = REPO / "bench"
BENCHES = sorted(path.name for path in BENCH.glob("bench_*.py"))

# The benchmarks that take seconds at their smallest settings (about 2-15 s each on 2 cores). The others
# are checked by their calls alone: bench_project compiles a 256 px full-width model (about 30 s),
# bench_svg orders 2,400 strokes (about 20 s) and bench_train trains in separate processes.
QUICK_RUNS = {
    "bench_spec_tile.py": ["--pages=1"],
    "bench_blob_tile.py": ["--pages=1", "--steps=1", "--resolution=64"],
    "bench_tfrecord.py": ["--tiles=8", "--resolution=16"],
    "bench_fill.py": ["--drawings=1", "--gap_drawings=1", "--gap_widths=2"],
    "bench_gen.py": ["--frames=2", "--batch=1", "--int8_batch=0", "--no_original"],
    "bench_pace.py": ["--styles=bezier", "--segments=1", "--frames=8"],
    "bench_scale.py": ["--quick"],
}


@pytest.fixture(autouse=True, scope="module")
def bench_importable():
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


def import_bench(name):
    return importlib.import_module(name.removesuffix(".py"))


@pytest.mark.parametrize("name", sorted(QUICK_RUNS))
def test_quick_benchmark_runs(name):
    completed = run_script("bench", name, *QUICK_RUNS[name], timeout=120)
    assert completed.stdout.strip()


# ---- every call into the project's code binds to its signature ----------------------------------------

def dotted_name(node):
    """'a.b.c' for the callee `a.b.c`, None for anything else (a call's result, a subscript)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def known_names(module, tree):
    """What the benchmark's names are: its globals, the imports inside its functions, and the stage
    scripts it loads into local names (`blob_tile = load_stage_script("data/blob_tile.py")`)."""
    names = dict(vars(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            imported = importlib.import_module(node.module)
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(imported, alias.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and dotted_name(node.value.func) == "load_stage_script" and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = module.load_stage_script(node.value.args[0].value)
    return names


def is_project_code(value):
    """Defined in this repository (drawing/, a stage script or the benchmark itself), not in a library."""
    try:
        source = inspect.getsourcefile(value)
    except TypeError:
        return False
    return source is not None and REPO in Path(source).resolve().parents and ".venv" not in Path(source).parts


def unpacked_positional(arguments):
    """A call's positional arguments with `*x[:n]` counted as n of them; None where a count is unknown."""
    positional = []
    for argument in arguments:
        if not isinstance(argument, ast.Starred):
            positional.append(argument)
            continue
        part = argument.value
        if not (isinstance(part, ast.Subscript) and isinstance(part.slice, ast.Slice) and part.slice.step is None
                and isinstance(part.slice.upper, ast.Constant)
                and (part.slice.lower is None or isinstance(part.slice.lower, ast.Constant))):
            return None
        lower = part.slice.lower.value if part.slice.lower else 0
        positional += [argument] * (part.slice.upper.value - lower)
    return positional


def call_problems(name):
    """'line: problem' for each call of the benchmark that names missing project code or does not fit
    the signature of the function or class it calls; and how many calls were checked."""
    module = import_bench(name)
    tree = ast.parse((BENCH / name).read_text())
    names = known_names(module, tree)
    problems, checked = [], 0
    for node in ast.walk(tree):
        callee = dotted_name(node.func) if isinstance(node, ast.Call) else None
        if callee is None or callee.split(".")[0] not in names:
            continue
        value = names[callee.split(".")[0]]
        for attribute in callee.split(".")[1:]:
            if not hasattr(value, attribute):
                if (inspect.ismodule(value) or inspect.isclass(value)) and is_project_code(value):
                    problems.append(f"{node.lineno}: {callee}: {value.__name__} has no {attribute}")
                value = None
                break
            value = getattr(value, attribute)
        if value is None or not callable(value) or not is_project_code(value):
            continue
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):
            continue
        checked += 1
        positional = unpacked_positional(node.args)
        if positional is None or any(keyword.arg is None for keyword in node.keywords):
            missing = [keyword.arg for keyword in node.keywords
                       if keyword.arg and keyword.arg not in signature.parameters
                       and inspect.Parameter.VAR_KEYWORD not in [p.kind for p in signature.parameters.values()]]
            problems += [f"{node.lineno}: {callee}{signature} has no argument {arg}" for arg in missing]
            continue
        try:
            signature.bind(*positional, **{keyword.arg: keyword.value for keyword in node.keywords})
        except TypeError as problem:
            problems.append(f"{node.lineno}: {callee}{signature} called with {ast.unparse(node)}: {problem}")
    return problems, checked


@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_calls_fit_the_code(name):
    problems, checked = call_problems(name)
    assert checked > 0, f"{name}: no call into the project's code was found to check"
    assert not problems, f"bench/{name}:\n" + "\n".join(problems)


def test_the_check_catches_a_call_with_the_old_arguments(tmp_path, monkeypatch):
    """page_grid(page_height, page_width, rows, cols, unit), as the blob benchmarks called it before it
    took (rows, cols, unit, corner), does not bind."""
    (tmp_path / "bench_old.py").write_text("from drawing.data.blob import page_grid\n\n"
                                           "def grid(page):\n    return page_grid(*page.shape[:2], 12, 18, 256)\n")
    monkeypatch.setattr(sys.modules[__name__], "BENCH", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    problems, checked = call_problems("bench_old.py")
    assert checked == 1 and "page_grid" in problems[0]


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
    monkeypatch.setattr(sys, "argv", [bench, *arguments])
    with pytest.raises(Parsed):
        import_bench(bench).main()


def test_make_bench_runs_every_benchmark():
    assert sorted(bench for bench, _ in run_all_commands()) == BENCHES
