"""The house: the package never leans on the command line, its modules import without cycles, and stage
scripts stay thin, with an example command line in their docstring."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "drawing"
STAGES = ("data", "train", "gen", "fill")
SCRIPT_MAX_LINES = 200


def module_name(path):
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """Every `drawing...` module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from drawing.gan import legacy` imports the module drawing.gan.legacy
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "drawing"}


def package_graph():
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {other for other in imported_modules(path) if other in modules and other != name}
            for name, path in modules.items()}


def cycles(graph):
    """The import cycles of `graph` (module -> modules it imports), each as a list of modules."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for other in sorted(graph[node]):
            if state.get(other) == "open":
                found.append(stack[stack.index(other):] + [other])
            elif other not in state:
                visit(other, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_cycles_are_found_where_they_are():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_never_imports_the_command_line():
    leaning = sorted(name for name, imports in package_graph().items() if "drawing.cli" in imports
                     and name != "drawing.cli")
    assert leaning == []


def test_the_package_has_no_import_cycle():
    graph = package_graph()
    # A package's __init__ and its own modules import each other by design (re-exports): not a cycle of concerns.
    for name in graph:
        graph[name] = {other for other in graph[name] if not other.startswith(name + ".")}
    assert cycles(graph) == []


# `_venv.py` beside the scripts is their first import, not a script.
SCRIPTS = sorted(path for stage in STAGES for path in (REPO / stage).glob("*.py") if not path.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_stage_script_is_thin_and_shows_how_to_call_it(script):
    lines = script.read_text().splitlines()
    assert len(lines) < SCRIPT_MAX_LINES, f"{script.name}: {len(lines)} lines; move library code into drawing/"
    docstring = ast.get_docstring(ast.parse(script.read_text())) or ""
    assert f"python {script.name}" in docstring, f"{script.name}: its docstring shows no example command line"
