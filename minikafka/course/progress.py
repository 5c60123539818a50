"""Progress: the status of every exercise in a checkout of the course, and resetting one to its stub.

Rules:
1. The course folder is the first of the current folder and its parents that holds
   `exercises/__init__.py` (a notebook's kernel starts in notebooks/, a terminal at the top);
   failing that, the folder of the `exercises` package that `import exercises` finds (the one
   the notebook's own cells import, when the course is installed).
2. An exercise is a function in `exercises/exNN_*.py` decorated `@exercise("N.M", reference=...)`.
   They are found by reading the files (not by importing them), so they are found whatever
   `MINIKAFKA_USE_REFERENCE` says, and in a file the learner left with a syntax error. They are listed by notebook, then by number (2.10 after 2.9).
3. An exercise's status is what its check prints for the learner's function: `todo` while it
   raises NotImplementedError, `ok` when every case matches the reference, `fail` otherwise,
   with the check's first line as the detail (the first failing case, unwrapped). A file that
   does not import, a function that is missing, or a check that crashes is `fail`, saying so.
   Strict mode (`MINIKAFKA_STRICT=1`) does not stop the report: the status is read from what
   the check printed before it raised.
4. Reset puts the stub's body back: the decorator, the signature and the docstring stay as they
   are in the file, everything else in the function becomes
   `raise NotImplementedError("Exercise N.M (exercises/exNN_*.py)")`. Nothing else in the file
   changes: the learner's other functions and imports stay.
5. "Assigned" exercises, for strict grading: every exercise, or a list of numbers where `2.1` is
   one exercise and `2` every exercise of notebook 02. An unknown number is an error naming the
   exercises that exist, before anything runs.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("ok", "fail", "todo")
_FALLBACK = re.compile(r'^@exercise\(\s*"(\d+\.\d+)".*?^def (\w+)', re.M | re.S)
_LINE = re.compile(r"^\[(ok|todo|fail)\] ex(\d+)_(\d+)(?::| )\s*(.*)$")


@dataclass(frozen=True)
class Exercise:
    number: str         # "2.1"
    function: str       # the stub's name in its file
    file: str           # "exercises/ex02_partitions.py", relative to the course folder
    notebook: str       # "02"

    @property
    def key(self) -> tuple[int, int]:
        major, minor = self.number.split(".")
        return int(major), int(minor)

    @property
    def module(self) -> str:
        return "exercises." + Path(self.file).stem


@dataclass(frozen=True)
class Status:
    exercise: Exercise
    status: str         # one of STATUSES
    detail: str


def find_root(start: Path | str | None = None) -> Path:
    """Rule 1."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises" / "__init__.py").is_file():
            return folder
    spec = importlib.util.find_spec("exercises") if start is None else None
    if spec is not None and spec.origin and Path(spec.origin).name == "__init__.py":
        return Path(spec.origin).resolve().parent.parent      # the exercises that `import exercises` finds
    raise FileNotFoundError(f"no course folder here: neither {here} nor a folder above it has exercises/__init__.py "
                            f"(run this in the course's top folder, or pass --root)")


def _decorated(node: ast.FunctionDef) -> str | None:
    """The exercise number of a function decorated @exercise("N.M", ...), else None."""
    for deco in node.decorator_list:
        if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id == "exercise"
                and deco.args and isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str)):
            return deco.args[0].value
    return None


def discover(root: Path) -> list[Exercise]:
    """Rule 2."""
    found = []
    for path in sorted((root / "exercises").glob("ex*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, filename=str(path))
            named = [(n, node.name) for node in tree.body
                     if isinstance(node, ast.FunctionDef) and (n := _decorated(node)) is not None]
        except SyntaxError:         # the learner's unfinished edit: found by their decorators (reported as fail)
            named = _FALLBACK.findall(text)
        for number, name in named:
            found.append(Exercise(number, name, f"exercises/{path.name}", f"{int(number.split('.')[0]):02d}"))
    return sorted(found, key=lambda e: e.key)


def select(exercises: list[Exercise], assigned: str | None) -> list[Exercise]:
    """Rule 5: `assigned` is None (all) or "2.1,4,13.2"."""
    if assigned is None or not assigned.strip():
        return exercises
    wanted = [w.strip() for w in assigned.split(",") if w.strip()]
    known = {e.number for e in exercises}
    notebooks = {e.key[0] for e in exercises}

    def picks(token: str) -> set[str]:
        if "." in token:
            return {token} & known
        if not token.isdigit() or int(token) not in notebooks:
            return set()
        return {e.number for e in exercises if e.key[0] == int(token)}

    bad = [w for w in wanted if not picks(w)]
    if bad:
        raise ValueError(f"unknown exercise(s) {', '.join(bad)} in the assigned list; the exercises are "
                         f"{', '.join(e.number for e in exercises)} (a notebook number, such as 2, takes all of its own)")
    chosen = set().union(*(picks(w) for w in wanted))
    return [e for e in exercises if e.number in chosen]


def _import_path(root: Path) -> None:
    """Make `import exercises` find this course folder's exercises, before any other."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    loaded = sys.modules.get("exercises")
    if loaded is not None and Path(loaded.__file__ or "").resolve().parent != root / "exercises":
        for name in [n for n in sys.modules if n == "exercises" or n.startswith("exercises.")]:
            del sys.modules[name]


def parse(output: str) -> tuple[str, str]:
    """Rule 3: (status, detail) from what a check printed."""
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("    ") and lines:
            lines[-1] += " " + line.strip()          # a wrapped line's continuation
        else:
            lines.append(line)
    found = [(m.group(1), m.group(4)) for m in map(_LINE.match, lines) if m]
    for status in ("fail", "todo", "ok"):
        for got, detail in found:
            if got == status:
                return status, detail
    return "fail", "the check printed no status: " + (output.strip().splitlines() or ["(nothing)"])[0]


def status_of(exercise: Exercise, root: Path) -> Status:
    """Rule 3: run the exercise's check on the learner's function, quietly."""
    from minikafka.course import checks

    _import_path(root)
    try:
        module = importlib.import_module(exercise.module)
    except Exception as e:      # the learner's file does not import
        return Status(exercise, "fail", f"{exercise.file} does not import: {type(e).__name__}: {e}")
    fn = getattr(module, exercise.function, None)
    if not callable(fn):
        return Status(exercise, "fail", f"{exercise.file} has no function {exercise.function}()")
    check = getattr(checks, "ex" + exercise.number.replace(".", "_"))
    out = io.StringIO()
    crashed = None
    with contextlib.redirect_stdout(out):
        try:
            check(fn)
        except AssertionError:  # strict mode: the status was printed first
            pass
        except Exception as e:
            crashed = f"the check stopped: {type(e).__name__}: {e}"
    if crashed and not _LINE.search(out.getvalue()):
        return Status(exercise, "fail", crashed)
    return Status(exercise, *parse(out.getvalue()))


def report(root: Path | None = None, notebook: str | None = None) -> list[Status]:
    """The status of every exercise (or of one notebook's)."""
    root = find_root() if root is None else Path(root).resolve()
    exercises = discover(root)
    if notebook is not None:
        exercises = [e for e in exercises if e.notebook == f"{int(notebook):02d}"]
    return [status_of(e, root) for e in exercises]


def stub_body(exercise: Exercise) -> str:
    return f'raise NotImplementedError("Exercise {exercise.number} ({exercise.file})")'


def reset(root: Path, exercise: Exercise) -> bool:
    """Rule 4. Returns False when the function already was its stub."""
    path = root / exercise.file
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise ValueError(f"{exercise.file} does not parse (line {e.lineno}: {e.msg}): fix that line first, "
                         f"or restore the whole file with `git checkout -- {exercise.file}`") from None
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == exercise.function)
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    keep_to = first.end_lineno if has_doc else node.body[0].lineno - 1   # 1-based, inclusive
    indent = re.match(r"\s*", lines[node.body[0].lineno - 1]).group(0) if has_doc else " " * (node.col_offset + 4)
    if not has_doc and node.body[0].lineno == node.lineno:     # `def f(): return 1` on one line
        raise ValueError(f"{exercise.file}: {exercise.function}() has its body on the def line; "
                         f"put it on its own lines, or restore the file with git")
    end = node.end_lineno
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    new = lines[:keep_to] + [indent + stub_body(exercise) + newline] + lines[end:]
    if new == lines:
        return False
    path.write_text("".join(new), encoding="utf-8")
    sys.modules.pop(exercise.module, None)
    return True
