"""Checks of notebook 04, replication."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb04 import truncation_offset
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


def _cache(epochs_by_offset: list[int]) -> list[tuple[int, int]]:
    """(epoch, start offset) for each epoch that has records, in order."""
    out: list[tuple[int, int]] = []
    for offset, epoch in enumerate(epochs_by_offset):
        if not out or out[-1][0] != epoch:
            out.append((epoch, offset))
    return out


def _history(rng: random.Random) -> tuple[list[tuple[int, int]], int, list[tuple[int, int]], int]:
    """Two replicas A and B take turns leading; the other follows (and copies part of what the
    leader writes) or is down. Both start with the same epoch-0 records; A leads at the end."""
    first = [0] * rng.randrange(1, 3)
    logs = {"A": list(first), "B": list(first)}
    epoch = 1
    for _ in range(rng.randrange(1, 5)):
        lead = rng.choice("AB")
        other = "B" if lead == "A" else "A"
        follows = rng.random() < 0.6
        if follows:
            logs[other] = list(logs[lead])
        n = rng.randrange(0, 4)
        logs[lead] += [epoch] * n
        if follows:
            logs[other] = logs[lead][:len(logs[lead]) - rng.randrange(0, n + 1)]
        epoch += rng.choice([1, 1, 2])
    start = len(logs["A"])
    n = rng.randrange(0, 3)
    logs["A"] += [epoch] * n
    leader = _cache(logs["A"]) + ([(epoch, start)] if n == 0 else [])   # its current epoch, maybe empty
    return leader, len(logs["A"]), _cache(logs["B"]), len(logs["B"])


def ex4_2(fn: Callable[..., int]) -> None:
    """truncation_offset(leader_epochs, leader_leo, follower_epochs, follower_leo) against KIP-279."""
    rng = random.Random("ex4_2")
    cases = [
        ([(0, 0), (1, 1)], 2, [(0, 0)], 2),                   # scenario 1: the old leader's acks=1 record
        ([(0, 0), (1, 1)], 3, [(0, 0)], 1),                   # behind, nothing diverged
        ([(0, 0), (1, 3)], 5, [(0, 0), (1, 3)], 4),           # the same epoch, just behind
        ([(0, 0), (2, 4)], 4, [(0, 0), (1, 2)], 5),           # led epoch 1 alone: all of it goes
        ([(0, 0), (2, 2), (4, 5)], 6, [(0, 0), (1, 2), (3, 3)], 5),   # two rounds
        ([(0, 0), (3, 6)], 6, [(0, 0)], 9),                   # the leader's own epoch, still empty
    ]
    while len(cases) < 30:
        case = _history(rng)
        if case[3] > 0:
            cases.append(case)
    shown = [(c, f"leader_epochs={c[0]}, leader_leo={c[1]}, follower_epochs={c[2]}, follower_leo={c[3]}")
             for c in cases]
    run("4_2", fn, truncation_offset, shown)


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
