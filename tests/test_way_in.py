"""A newcomer's way in: the mistakes a new user makes get one line that says what to do.

Options take either spelling (`--dir_out`, `--dir-out`) and help shows one.
"""
import ast

import pytest
from conftest import REPO, run_script

from drawing.cli import ArgumentParser

STAGES = ("data", "train", "gen", "fill")
SCRIPTS = sorted(path.relative_to(REPO) for stage in STAGES for path in (REPO / stage).glob("[a-z]*.py"))


# ---- both spellings of every option ----

def spelling_parser():
    parser = ArgumentParser(prog="script.py")
    parser.add_argument("--dir_out", default="out")
    parser.add_argument("--close-gaps", type=int, default=2)
    parser.add_argument("--color", dest="colour", hidden_aliases=["--colour"])
    parser.add_argument("--cols", "--columns", dest="cols", type=int)
    parser.add_argument("--page")
    return parser


@pytest.mark.parametrize("argv", [
    ["--dir_out=a", "--close_gaps=3", "--color=navy", "--cols=4"],
    ["--dir-out=a", "--close-gaps=3", "--colour=navy", "--columns=4"],
    ["--dir-out", "a", "--close-gaps", "3", "--colour", "navy", "--cols", "4"],
    ["--dir-o=a", "--close-g=3", "--color", "navy", "--colu=4"],
])
def test_an_option_takes_either_spelling(argv):
    options = spelling_parser().parse_args(argv)
    assert (options.dir_out, options.close_gaps, options.colour, options.cols) == ("a", 3, "navy", 4)


def test_values_and_what_follows_a_bare_double_dash_are_left_as_typed():
    parser = spelling_parser()
    parser.add_argument("rest", nargs="*")
    options = parser.parse_args(["--page=300x300-mm", "--", "--dir-out"])
    assert options.page == "300x300-mm" and options.rest == ["--dir-out"]


def test_help_and_messages_show_the_underscores_only(capsys):
    parser = spelling_parser()
    parser.print_help()
    shown = capsys.readouterr().out
    assert "--close_gaps" in shown and "--close-gaps" not in shown
    assert "--color" in shown and "--colour" not in shown
    with pytest.raises(SystemExit):
        parser.parse_args(["--close-gaps=x"])
    assert "argument --close_gaps: invalid int value: 'x'" in capsys.readouterr().err


def test_every_script_parses_with_the_parser_that_takes_both_spellings():
    for script in SCRIPTS:
        calls = [node for node in ast.walk(ast.parse((REPO / script).read_text())) if isinstance(node, ast.Call)
                 and ast.unparse(node.func) in ("ArgumentParser", "argparse.ArgumentParser")]
        assert [ast.unparse(call.func) for call in calls] == ["ArgumentParser"], script


def test_a_script_run_with_hyphens_writes_what_it_writes_with_underscores(tmp_path):
    pages = {}
    for spelling in ("_", "-"):
        out = tmp_path / f"scans{spelling}"
        run_script("data", "sample_scans.py", out, "--style=blob", "--pages=1", "--seed=2",
                   f"--width{spelling}in=2", f"--height{spelling}in=2")
        pages[spelling] = (out / "0.png").read_bytes()
    assert pages["_"] == pages["-"]
