"""Checks of notebook 03, brokers and the controller."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.controller.election import elect_leader
from minikafka.course.checks import run
from minikafka.course.lessons.nb03 import fenced, offline_partitions


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


def ex3_2(fn: Callable[..., list[str]]) -> None:
    """offline_partitions(assignments, isr, live) against clean election on every partition."""
    rng = random.Random("ex3_2")
    cases = []

    def add(assignments: dict[str, list[int]], isr: dict[str, list[int]], live: list[int]) -> None:
        cases.append(((assignments, isr, live), f"assignments={assignments}, isr={isr}, live={live}"))

    add({"a-0": [1, 2], "b-0": [3]}, {"a-0": [1], "b-0": [3]}, [2, 3])    # b2 is out of the ISR
    add({"t-0": [1, 2, 3]}, {"t-0": [1, 2, 3]}, [])                         # every broker down
    add({"t-0": [1, 2, 3]}, {"t-0": [1, 2, 3]}, [3])                        # one ISR member is enough
    for _ in range(22):
        brokers = list(range(1, rng.randrange(3, 6) + 1))
        assignments, isr = {}, {}
        for t in rng.sample(["orders", "clicks", "audit"], rng.randrange(1, 3)):
            rf = rng.randrange(1, min(3, len(brokers)) + 1)
            for p in range(rng.randrange(1, 4)):
                replicas = rng.sample(brokers, rf)
                in_sync = [r for r in replicas if rng.random() < 0.7] or [replicas[0]]
                assignments[f"{t}-{p}"], isr[f"{t}-{p}"] = replicas, in_sync
        live = sorted(rng.sample(brokers, rng.randrange(0, len(brokers) + 1)))
        add(assignments, isr, live)
    run("3_2", fn, offline_partitions, cases)


def ex3_3(fn: Callable[..., list[int]]) -> None:
    """fenced(last_heartbeat_by_broker, now, session_timeout_ms) against the controller's
    session check (more than the timeout: fenced; exactly the timeout: still in time)."""
    rng = random.Random("ex3_3")
    cases = []

    def add(last: dict[int, int], now: int, timeout: int) -> None:
        cases.append(((last, now, timeout),
                      f"last_heartbeat_by_broker={last}, now={now}, session_timeout_ms={timeout}"))

    add({1: 10_000, 2: 500, 3: 1_000}, 10_000, 9_000)      # 3 is exactly 9000 ms old: still in time
    add({1: 0, 2: 0, 3: 0}, 9_001, 9_000)
    add({3: 0, 1: 0, 2: 12_000}, 12_000, 9_000)               # answer in id order
    add({}, 5_000, 9_000)
    for _ in range(21):
        now = rng.randrange(10_000, 60_000)
        timeout = rng.choice([9_000, 9_000, 6_000, 18_000])
        last = {b: now - rng.choice([rng.randrange(0, 2 * timeout), timeout, timeout + 1])
                for b in rng.sample(range(1, 8), rng.randrange(1, 6))}
        add(last, now, timeout)
    run("3_3", fn, fenced, cases)
