"""Checks of notebook 04, replication."""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb04 import elr_leader, truncation_cases
from minikafka.server.replication import high_watermark, is_lagging


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


def _truncation_cases() -> list[tuple[int, ...]]:
    """Seeded histories run in the simulator (lessons.nb04.truncation_cases): 20 returns where
    the returning replica truncated and 10 where it kept its log, each with where it really
    truncated to. Returns whose logs begin in different epochs (possible only after an unclean
    election) are left out."""
    cut, kept, seen = [], [], set()
    seed = 0
    while len(cut) < 20 or len(kept) < 10:
        for case in truncation_cases(seed):
            if repr(case) in seen or case[0][0][0] != case[2][0][0]:
                continue
            seen.add(repr(case))
            (cut if case[4] < case[3] else kept).append(case)
        seed += 1
    return cut[:20] + kept[:10]


def ex4_2(fn: Callable[..., int]) -> None:
    """truncation_offset(leader_epochs, leader_leo, follower_epochs, follower_leo): the
    learner's prediction against where the returning replica truncated in the simulator."""
    cases = _truncation_cases()
    truncated_to = {repr(c[:4]): c[4] for c in cases}

    def simulated(*args: Any) -> int:
        return truncated_to[repr(args)]

    run("4_2", fn, simulated,
        [(c[:4], f"leader_epochs={c[0]}, leader_leo={c[1]}, follower_epochs={c[2]}, follower_leo={c[3]}")
         for c in cases])


def ex4_3(fn: Callable[..., bool]) -> None:
    """is_lagging(now_ms, last_caught_up_ms, replica_lag_time_max_ms) against the leader's ISR rule."""
    rng = random.Random("ex4_3")
    cases = [(45_000, 15_000, 30_000), (45_000, 14_999, 30_000), (45_000, 15_001, 30_000),
             (30_000, 0, 30_000), (30_001, 0, 30_000), (1_000, 1_000, 30_000), (20_000, 9_000, 10_000)]
    for _ in range(25):
        lag_max = rng.choice([10_000, 30_000, 500])
        now = rng.randrange(0, 120_000)
        caught_up = max(now - rng.choice([rng.randrange(0, 2 * lag_max), lag_max, lag_max + 1]), 0)
        cases.append((now, caught_up, lag_max))
    run("4_3", fn, is_lagging, [(c, f"now_ms={c[0]}, last_caught_up_ms={c[1]}, replica_lag_time_max_ms={c[2]}")
                                for c in cases])


def ex4_4(fn: Callable[..., int]) -> None:
    """elr_leader(replicas, isr, elr, last_known_leader, live) against the controller's election
    with eligible leader replicas (lessons.nb04 rule 6)."""
    rng = random.Random("ex4_4")
    cases = []

    def add(replicas: list[int], isr: list[int], elr: list[int], last: int, live: list[int]) -> None:
        cases.append(((replicas, isr, elr, last, live),
                      f"replicas={replicas}, isr={isr}, elr={elr}, last_known_leader={last}, live={live}"))

    add([1, 2, 3], [1], [2], -1, [2, 3])          # the ISR member is down; its ISR is not empty
    add([1, 2, 3], [], [1, 2], 1, [2, 3])          # an ELR member returned first
    add([3, 1, 2], [], [1, 3], 3, [1, 3])          # assignment order, not the ELR's order
    add([1, 2, 3], [], [1, 2], 1, [3])             # 3 left while the ISR was still at min ISR
    add([1, 2, 3], [], [], 1, [1, 2, 3])           # both struck out: the last known leader
    add([1, 2, 3], [], [], 1, [2, 3])              # the last known leader is not back
    add([1, 2, 3], [], [2], 1, [1, 3])             # an ELR member is left: not the last known leader
    add([2, 3], [3, 2], [], -1, [2, 3])
    while len(cases) < 36:
        replicas = rng.sample([1, 2, 3, 4, 5], rng.randrange(2, 5))
        isr = [r for r in replicas if rng.random() < 0.25]
        elr = sorted(r for r in replicas if r not in isr and rng.random() < 0.5) if not isr or rng.random() < 0.3 else []
        last = rng.choice(replicas) if not isr and rng.random() < 0.6 else -1
        live = sorted(r for r in replicas if rng.random() < 0.5)
        add(replicas, rng.sample(isr, len(isr)), elr, last, live)
    run("4_4", fn, elr_leader, cases)

