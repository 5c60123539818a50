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
"""
from __future__ import annotations

import os
import random
from typing import Any, Callable, Iterable

from .partitioner import partition_for_key
from .replication import elect_leader, high_watermark

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


def ex2_1(fn: Callable[[bytes, int], int]) -> None:
    """partition_for_key(key, num_partitions) against Kafka's murmur2 partitioner."""
    rng = random.Random("ex2_1")
    keys = [b"alice", b"bob", b"", b"user-42", b"\xff\x00\x80"] + \
        [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) for _ in range(35)]
    cases = [((k, n), f"key={k!r}, num_partitions={n}") for k, n in zip(keys, [rng.choice([1, 2, 3, 6, 7, 12, 100])
                                                                          for _ in keys], strict=True)]
    run("2_1", fn, partition_for_key, cases)


def ex3_1(fn: Callable[..., tuple[int, bool]]) -> None:
    """elect_leader(replicas, isr, live, unclean) against the controller's rule."""
    rng = random.Random("ex3_1")
    cases = []
    for _ in range(40):
        replicas = tuple(rng.sample([1, 2, 3, 4, 5], rng.randrange(1, 5)))
        isr = tuple(r for r in replicas if rng.random() < 0.6)
        live = tuple(sorted(r for r in (1, 2, 3, 4, 5) if rng.random() < 0.6))
        unclean = rng.random() < 0.3
        cases.append(((replicas, isr, live, unclean),
                      f"replicas={list(replicas)}, isr={list(isr)}, live={list(live)}, unclean={unclean}"))
    run("3_1", fn, elect_leader, cases)


def ex4_1(fn: Callable[..., int]) -> None:
    """high_watermark(leo_by_replica, isr, current_hw, min_isr) against the leader's rule."""
    rng = random.Random("ex4_1")
    cases = []
    for _ in range(40):
        leos = {b: rng.choice([-1, rng.randrange(0, 20)]) for b in (1, 2, 3)}
        isr = tuple(sorted(rng.sample([1, 2, 3], rng.randrange(1, 4))))
        current = rng.randrange(0, 12)
        min_isr = rng.choice([1, 2, 3])
        cases.append(((leos, isr, current, min_isr),
                      f"leos={leos}, isr={list(isr)}, current_hw={current}, min_isr={min_isr}"))
    run("4_1", fn, high_watermark, cases)
