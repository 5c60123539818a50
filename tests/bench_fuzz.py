"""Fuzz benchmark (a script, not a test): runs the stateful fuzzer of `tests/test_fuzz.py`
(`FuzzMachine`) for 20,000 examples and prints every distinct defect it found, each with its
kind, its signature (what tells it apart), the message, a runnable reproduction of the shrunk
example and the hypothesis steps; or "no defects".

    python tests/bench_fuzz.py                         # 20,000 examples of up to 20 steps
    python tests/bench_fuzz.py --examples 3000 --steps 12 --seed 1

How it finds more than one defect: hypothesis stops at the first failure and shrinks it. The
bench then adds that failure's signature to `test_fuzz.SUPPRESSED` (an example that meets a
suppressed defect goes on past it, or ends quietly if it was a hang or a crash inside the
simulation) and starts a new round with the next seed, until the examples are used up. A
round runs at most `--chunk` examples: within one run hypothesis mostly mutates the examples it
has seen, so many short runs with different seeds explore more than one long one. Each round
is seeded (`--seed` + round number, no database), so the output is a function of the
arguments; the wall times printed are not.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_fuzz
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test


def defects_in(exc: BaseException) -> list[BaseException]:
    """The failures inside what hypothesis raised (one, or an ExceptionGroup of several)."""
    if isinstance(exc, BaseExceptionGroup):
        return [d for e in exc.exceptions for d in defects_in(e)]
    return [exc]


def describe(n: int, exc: BaseException, found_after: int) -> str:
    lines = [f"=== defect {n}: {type(exc).__name__} (found after {found_after:,} examples)"]
    sig = getattr(exc, "signature", None)
    if sig:
        lines.append(f"signature: {' | '.join(s for s in sig if s)}")
    text = str(exc)
    head, _, repro = text.partition("\n\nReproduction:\n")
    lines.append(f"message: {head}")
    if isinstance(exc, test_fuzz.Defect):
        body = repro.removeprefix(test_fuzz.PREAMBLE)
        lines.append("reproduction (after test_fuzz.PREAMBLE: imports, attempt(), check(), cb, on_assign):")
        lines += ["    " + ln for ln in body.strip().splitlines()]
    else:
        import traceback
        lines.append("not a Defect: an error of the fuzzer itself, or of hypothesis:")
        lines += ["    " + ln for ln in "".join(traceback.format_exception(exc)).splitlines()]
    steps = [n for n in getattr(exc, "__notes__", []) if n.startswith(("state.", "state ="))]
    if steps:
        lines.append("hypothesis steps:")
        lines += ["    " + ln for note in steps for ln in note.splitlines()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=20_000, help="examples to generate in all (default 20,000)")
    ap.add_argument("--steps", type=int, default=test_fuzz.STEPS, help="steps per example (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the first round (default 0)")
    ap.add_argument("--chunk", type=int, default=200, help="examples per round at most (default 200)")
    ap.add_argument("--max-defects", type=int, default=100, help="stop after this many distinct defects")
    args = ap.parse_args(argv)

    counter = {"machines": 0, "first_failure": None}
    original_init = test_fuzz.FuzzMachine.__init__
    original_fail = test_fuzz.FuzzMachine.fail

    def counting_init(self: Any) -> None:
        counter["machines"] += 1
        original_init(self)

    def noting_fail(self: Any, kind: str, detail: str, signature: tuple[str, ...], *args: Any, **kwargs: Any) -> None:
        if (kind, *signature) not in test_fuzz.SUPPRESSED and counter["first_failure"] is None:
            counter["first_failure"] = counter["machines"]
        original_fail(self, kind, detail, signature, *args, **kwargs)

    test_fuzz.FuzzMachine.__init__ = counting_init          # type: ignore[method-assign]
    test_fuzz.FuzzMachine.fail = noting_fail                # type: ignore[method-assign]

    started = time.perf_counter()
    remaining, generated, rounds = args.examples, 0, 0
    found: list[str] = []
    while remaining > 0 and len(found) < args.max_defects:
        rounds += 1
        counter["machines"], counter["first_failure"] = 0, None
        s = settings(max_examples=min(remaining, args.chunk), stateful_step_count=args.steps, deadline=None, derandomize=False,
                     database=None, report_multiple_bugs=False, print_blob=False,
                     phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
        seed(args.seed + rounds - 1)(test_fuzz.FuzzMachine)
        t0 = time.perf_counter()
        try:
            run_state_machine_as_test(test_fuzz.FuzzMachine, settings=s)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            used = counter["first_failure"] or counter["machines"]
            generated += used
            remaining -= used
            for d in defects_in(exc):
                sig = getattr(d, "signature", None)
                found.append(describe(len(found) + 1, d, generated))
                print(found[-1], flush=True)
                print(f"    (round {rounds}: {counter['machines']:,} test cases incl. shrinking, "
                      f"{time.perf_counter() - t0:.0f} s)\n", flush=True)
                if sig:
                    test_fuzz.SUPPRESSED.add(sig)
                else:
                    remaining = 0                           # the fuzzer itself broke: stop
        else:
            generated += counter["machines"]
            remaining -= max(counter["machines"], 1)
    wall = time.perf_counter() - started
    print(f"{generated:,} examples of up to {args.steps} steps in {rounds} round(s), {wall:.0f} s wall")
    if found:
        print(f"{len(found)} distinct defect(s) found (listed above)")
    else:
        print("no defects")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
