"""Output folders and the records that describe them.

A folder of images holds images only, so that the next stage (ours or the original's, which opens every
file it lists) can read it. What describes a folder sits beside it, named after it: `tile/` is described
by `tile.json`. That record says which stage wrote the folder (`"stage"`), with which command
(`"command"`), and whether it finished (`"complete"`): a stage marks its folder complete only at the
end, and a stage that reads a folder refuses an incomplete one, naming the command that finishes it.

The record is also how a stage knows a folder is its own earlier output (to resume or redo it): a
folder that is not empty and has no record of this stage beside it belongs to someone else.

The rerun rule, the same for every stage that keeps its outputs in a folder of its own: a rerun into a
folder holding the stage's earlier outputs must have the same input and settings, and then finishes an
interrupted run or replaces a finished one (an input is the same folder however it is typed); with
another input or other settings it is refused, naming the command that made the folder, so that a folder
never mixes two runs while its record describes one.
A folder holding none of the earlier run's outputs (a run that failed before writing any) is simply
reused with the new settings.

Run folders: a stage that makes a new folder for every run (path.py, svg.py) keeps them under a parent
the user names, each with its record beside it (`start_run`, `finish_run`); the stage chooses the names
(path.py the clock and the seed, svg.py a number and what it draws). A rerun of path.py finishes the
newest run of its settings that did not complete (`unfinished_run`) rather than starting another.
"""
import json
import shlex
import sys
from pathlib import Path

from drawing.errors import UserError
from drawing.files import natural_sorted, write_text_atomic


def record_path(folder, suffix=".json"):
    """`<parent>/<name>.json` for `<parent>/<name>/`; `.` and `..` are named by the folder they are."""
    folder = Path(folder)
    if folder.name in ("", ".", ".."):
        folder = folder.resolve()
    return folder.with_name(folder.name + suffix)


def command_line(argv=None):
    """The command line as a user would retype it in the same folder."""
    argv = sys.argv if argv is None else argv
    return "python " + shlex.join([Path(argv[0]).name, *argv[1:]])


def read_record(folder):
    """The record beside `folder` as a dict, or None where there is none (the original's folders have none)."""
    path = record_path(folder)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error}); it describes {Path(folder).name}/, "
                        "move it away if it is not this project's") from None
    if not isinstance(record, dict):
        raise UserError(f"{path}: expected a JSON object describing {Path(folder).name}/")
    return record


def write_record(folder, record, complete):
    """Write the record beside `folder` atomically, `"complete"` last so it reads as the verdict."""
    record = {key: value for key, value in record.items() if key != "complete"}
    record["complete"] = bool(complete)
    write_text_atomic(record_path(folder), json.dumps(_as_recorded(record), indent=1, allow_nan=False) + "\n")


def _is_within(path, other):
    return path == other or other in path.parents


def check_not_overlapping(output, inputs, option="--dir_out"):
    """Refuse an output path that is, contains or lies inside any input (a file or a folder)."""
    resolved_output = Path(output).resolve()
    for source in inputs:
        resolved_input = Path(source).resolve()
        if _is_within(resolved_output, resolved_input) or _is_within(resolved_input, resolved_output):
            relation = ("is" if resolved_output == resolved_input
                        else "lies inside" if _is_within(resolved_output, resolved_input) else "contains")
            raise UserError(f"{output}: {option} {relation} the input {source}; choose a folder apart from "
                            "the input, so nothing of it is overwritten")


def remove_temporary_files(folder):
    """Remove what killed runs of a stage left half-written: the hidden `.<name>.<...>.tmp` files of
    drawing.files' atomic writes, inside the folder and beside it (its record's). The number removed."""
    folder = Path(folder)
    leftovers = [*folder.rglob(".*.tmp"), *folder.parent.glob(f".{record_path(folder).name}.*.tmp")]
    for leftover in leftovers:
        if leftover.is_file():
            leftover.unlink()
    return len(leftovers)


def holds_files(folder):
    return any(entry.is_file() and not entry.name.startswith(".") for entry in folder.rglob("*"))


def _as_recorded(value):
    """`value` as it reads back from a record (tuples become lists, paths strings)."""
    return json.loads(json.dumps(value, default=str))


def _described(key, earlier, now):
    if all(isinstance(value, (str, int, float, bool, type(None))) for value in (earlier, now)):
        return f"{key} {earlier if earlier is not None else 'none'} there, {now if now is not None else 'none'} now"
    return key


def _same_setting(recorded, now):
    """Whether a recorded setting is this run's. A path (settings hold inputs as `Path`) is the same file
    or folder however it is typed: `scans`, `scans/`, `./scans` or its absolute path."""
    if isinstance(now, Path) and isinstance(recorded, str):
        return Path(recorded).resolve() == now.resolve()
    return recorded == _as_recorded(now)


def check_same_run(path, earlier, settings, option="--dir_out"):
    """The rerun rule (see the module's docstring): refuse to write into `path`, holding the outputs of
    the run `earlier` describes, a run whose `settings` (input and options, as recorded) differ."""
    changed = [_described(key, earlier.get(key), _as_recorded(value)) for key, value in settings.items()
               if not _same_setting(earlier.get(key), value)]
    if changed:
        made_by = earlier.get("command") or f"an earlier {earlier.get('stage', 'run')}"
        raise UserError(f"{path}: holds the output of another run ({'; '.join(changed)}): {made_by}; "
                        f"choose another {option}, rerun that command to finish or redo it, or remove "
                        f"{path} and {record_path(path).name} yourself to start over")


def open_output_folder(path, stage, inputs=(), option="--dir_out", settings=None):
    """Create (or reopen) the output folder of `stage` and return its record so far ({} when new).

    Refuses an output that overlaps an input, a path that is a file, and a folder holding files with
    no record of `stage` beside it. A folder that is this stage's own earlier output is kept as it is,
    less the temporary files of an interrupted run. With `settings` (the record's keys that decide the
    outputs: the input as a `Path` and the options, with this run's values), the rerun rule is applied: other settings
    than the recorded ones are refused where the folder holds files, and a folder holding none is new
    ({} is returned); without, the caller decides. The returned record is not yet written; call
    `write_record(folder, record, complete=False)` once the settings are known.
    """
    path = Path(path)
    check_not_overlapping(path, inputs, option)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: output path exists and is not a folder")
    record = read_record(path) if path.exists() else None
    ours = record is not None and record.get("stage") == stage
    if path.exists() and holds_files(path) and not ours:
        whose = f"the output of {record['stage']}" if record and record.get("stage") else "files this stage did not write"
        raise UserError(f"{path}: output folder already holds {whose} (no {stage} record "
                        f"{record_path(path).name} beside it); choose an empty folder or move them away")
    reopened = ours
    if ours and settings is not None:
        if holds_files(path):
            check_same_run(path, record, settings, option)
        else:
            reopened = False
    path.mkdir(parents=True, exist_ok=True)
    if ours:
        remove_temporary_files(path)
    return dict(record) if reopened else {}


def require_complete(folder, what="input folder"):
    """Refuse a folder whose record says the stage that wrote it did not finish."""
    record = read_record(folder)
    if record is not None and record.get("complete") is False:
        command = record.get("command") or f"the {record.get('stage', 'stage')} command that wrote it"
        raise UserError(f"{folder}: {what} is incomplete ({record.get('stage', 'its stage')} was interrupted); "
                        f"finish it by rerunning: {command}")
    return record



def start_run(parent, names, record):
    """Create a fresh run folder under `parent` and write `record` beside it, not yet complete; the folder.

    `names` are the stage's names for it in order of preference (path.py: the clock and seed, then with
    `_2`, `_3`, ...; svg.py: the next number): the first that is neither a folder nor a record yet is
    taken, so that two runs never share a folder. `finish_run` marks the run complete at its end.
    """
    parent = Path(parent)
    for name in names:
        folder = parent / name
        if folder.exists() or record_path(folder).exists():
            continue
        try:
            folder.mkdir(parents=True)
        except FileExistsError:   # another run took the name meanwhile
            continue
        write_record(folder, record, complete=False)
        return folder
    raise UserError(f"{parent}: cannot find a free run folder name")


def finish_run(folder, record):
    """Mark a run complete, the last thing it does: its record beside it says `"complete": true`."""
    write_record(folder, record, complete=True)


def unfinished_run(parent, stage, settings):
    """The newest run folder under `parent` that `stage` started with `settings` (record keys and their
    values) and did not finish, or None."""
    parent = Path(parent)
    if not parent.is_dir():
        return None
    wanted = _as_recorded(settings)
    for record_file in reversed(natural_sorted(parent.glob("*.json"))):
        folder = record_file.with_suffix("")
        if not folder.is_dir():
            continue
        record = read_record(folder)
        if (record.get("stage") == stage and record.get("complete") is False
                and all(record.get(key) == value for key, value in wanted.items())):
            return folder
    return None
