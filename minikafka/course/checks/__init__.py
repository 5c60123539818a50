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
The checks of notebook NN live in `checks/nbNN.py`; `checks.ex2_1` finds `nb02.ex2_1`.
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Callable, Iterable

Case = tuple[tuple[Any, ...], str]          # (arguments, how to show them)


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
    lines = failures[:3]
    if len(failures) > 3:
        lines.append(f"[fail] ex{exercise}: {len(failures) - 3} more of {len(cases)} cases differ")
    _report("\n".join(lines), strict_fails=True)


def _report(text: str, strict_fails: bool) -> None:
    print(text)
    if strict_fails and os.environ.get("MINIKAFKA_STRICT") == "1":
        raise AssertionError(text)




def __getattr__(name: str) -> Any:
    """checks.exN_M -> checks.nb0N.exN_M (each notebook's checks in their own module)."""
    if name.startswith("ex") and "_" in name and name[2:].split("_")[0].isdigit():
        module = importlib.import_module(f"{__name__}.nb{int(name[2:].split('_')[0]):02d}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
