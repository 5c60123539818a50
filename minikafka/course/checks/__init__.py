"""Exercise checks: the learner's function against the reference on seeded cases.

Rules:
1. A check prints a few lines and returns None (a return value would add an Out[] line):
   "[todo] ex2_1: ..." while the function still raises NotImplementedError,
   "[ok] ex2_1: 40/40 cases match the reference" when every case matches,
   "[fail] ex2_1 key=b'k7', num_partitions=5: expected 3, got 1" for the first mismatches
   (at most 3, then how many more).
2. Any other exception from the learner's function is a [fail] naming its type and message.
3. With MINIKAFKA_STRICT=1, [todo] and [fail] raise AssertionError after printing, so CI can
   prove that the reference passes every check.
4. Cases are seeded: the same cases in every run, process and PYTHONHASHSEED.
5. Every printed line fits `WIDTH` (100) columns: a longer one is wrapped at spaces, its
   continuation indented by 4, so JupyterLab never breaks a line inside a word. [fail] output
   stays within `MAX_LINES` lines: fewer failures are shown when they wrap.
The checks of notebook NN live in `checks/nbNN.py`; `checks.ex2_1` finds `nb02.ex2_1`.
"""
from __future__ import annotations

import importlib
import os
import textwrap
from typing import Any, Callable, Iterable

Case = tuple[tuple[Any, ...], str]          # (arguments, how to show them)
WIDTH = 100
MAX_LINES = 4               # of [fail] output, wrapped lines included


def run(exercise: str, fn: Callable[..., Any], reference: Callable[..., Any], cases: Iterable[Case]) -> None:
    """Rules 1-3."""
    name = getattr(fn, "__name__", "your function")
    cases = list(cases)
    failures: list[str] = []
    for args, shown in cases:
        expected = reference(*args)
        try:
            got = fn(*args)
        except NotImplementedError as e:
            _report(f"[todo] ex{exercise}: {name}() is not implemented yet ({e})" if str(e) else
                    f"[todo] ex{exercise}: {name}() is not implemented yet", strict_fails=True)
            return
        except Exception as e:      # the learner's bug, shown as a failed case
            got = f"{type(e).__name__}: {e}"
        if got != expected:
            failures.append(f"[fail] ex{exercise} {shown}: expected {expected!r}, got {got!r}")
    if not failures:
        _report(f"[ok] ex{exercise}: {len(cases)}/{len(cases)} cases match the reference", strict_fails=False)
        return
    _report("\n".join(_fail_lines(exercise, failures, len(cases))), strict_fails=True)


def _fail_lines(exercise: str, failures: list[str], cases: int) -> list[str]:
    """Rules 1 and 5: the first failures, wrapped, in at most `MAX_LINES` lines with the count of
    the rest (the first failure is always shown)."""
    shown: list[str] = []
    used = 0
    for i, failure in enumerate(failures[:3]):
        text = wrap_report(failure)
        n = text.count("\n") + 1
        if i and used + n + (1 if len(failures) > i + 1 else 0) > MAX_LINES:
            break
        shown.append(text)
        used += n
    rest = len(failures) - len(shown)
    if rest and used + 1 > MAX_LINES:       # one long failure: the count ends its text instead
        shown[-1] = wrap_report(f"{failures[len(shown) - 1]}  ({rest} more of {cases} cases differ)")
    elif rest:
        shown.append(f"[fail] ex{exercise}: {rest} more of {cases} cases differ")
    return shown


def wrap_report(text: str, width: int = WIDTH) -> str:
    """Rule 5: each line wrapped at spaces to `width` columns (a word longer than that stays
    whole on its own line), continuations indented by 4."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ", break_long_words=False,
                                    break_on_hyphens=False) if len(line) > width else line
                      for line in text.split("\n"))


def _report(text: str, strict_fails: bool) -> None:
    print(wrap_report(text))
    if strict_fails and os.environ.get("MINIKAFKA_STRICT") == "1":
        raise AssertionError(text)




def __getattr__(name: str) -> Any:
    """checks.exN_M -> checks.nb0N.exN_M (each notebook's checks in their own module)."""
    if name.startswith("ex") and "_" in name and name[2:].split("_")[0].isdigit():
        module = importlib.import_module(f"{__name__}.nb{int(name[2:].split('_')[0]):02d}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def progress(notebook: str) -> None:
    """A notebook's closing cell: the learner's progress on its exercises (see course.progress_report)."""
    from minikafka.course.progress_report import show
    show(notebook)
