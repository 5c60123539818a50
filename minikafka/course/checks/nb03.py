"""Checks of notebook 03, brokers and the controller."""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.controller.election import elect_leader
from minikafka.course.checks import run
from minikafka.course.lessons.nb03 import election_winner, fenced, offline_scenario


def ex3_1(fn: Callable[..., tuple[int, bool]]) -> None:
    """elect_leader(replicas, isr, live, unclean) against the controller's rule. The ISR is
    listed in a shuffled order in some cases: the assignment order decides, not the ISR's."""
    rng = random.Random("ex3_1")
    cases = []

    def add(replicas: tuple[int, ...], isr: tuple[int, ...], live: tuple[int, ...], unclean: bool) -> None:
        cases.append(((replicas, isr, live, unclean),
                      f"replicas={list(replicas)}, isr={list(isr)}, live={list(live)}, unclean={unclean}"))

    add((1, 2, 3), (3, 2, 1), (1, 2, 3), False)        # the preferred replica leads
    add((1, 2, 3), (3, 2), (2, 3), False)              # assignment order, not ISR order
    add((1, 2, 3), (1,), (2, 3), False)                # no live ISR member: offline
    add((1, 2, 3), (1,), (3, 2), True)                 # unclean: the first live replica
    add((1, 2, 3), (2,), (1, 2), True)                 # a live ISR member wins even when unclean
    add((2, 1), (2,), (), True)                        # nobody is live
    for _ in range(34):
        replicas = tuple(rng.sample([1, 2, 3, 4, 5], rng.randrange(1, 5)))
        isr = [r for r in replicas if rng.random() < 0.6]
        if rng.random() < 0.5:
            rng.shuffle(isr)
        live = tuple(sorted(r for r in (1, 2, 3, 4, 5) if rng.random() < 0.6))
        add(replicas, tuple(isr), live, rng.random() < 0.3)
    run("3_1", fn, elect_leader, cases)


def _scenarios() -> list[tuple[tuple[Any, ...], str, list[str]]]:
    """Seeded crash scenarios run in the simulator (lessons.nb03.offline_scenario): the
    arguments the learner gets, how to show them, and what the controller reported."""
    rng = random.Random("ex3_2")
    out = []
    fixed = [(3, {"audit": (2, 1), "clicks": (2, 2), "orders": (2, 3)}, [], [1, 2], []),
             (3, {"ledger": (1, 2)}, [2], [1], [2]),        # back, but out of the ISR: offline
             (3, {"orders": (3, 3)}, [], [1, 2, 3], [])]
    while len(fixed) + len(out) < 25:
        n = rng.randrange(3, 6)
        topics = {t: (rng.randrange(1, 4), rng.randrange(1, 4))
                  for t in rng.sample(["orders", "clicks", "audit"], rng.randrange(1, 4))}
        first = sorted(rng.sample(range(1, n + 1), rng.randrange(0, 2)))
        rest = [b for b in range(1, n + 1) if b not in first]
        then = sorted(rng.sample(rest, rng.randrange(1, len(rest) + 1)))
        fixed.append((n, topics, first, then, [b for b in first if rng.random() < 0.5]))
    for scenario in fixed:
        assignments, isr, live, offline = offline_scenario(*scenario)
        shown = " ".join(f"{tp}:{','.join(map(str, members))}" for tp, members in isr.items())
        out.append(((assignments, isr, live), f"live={live}, isr {shown}", offline))
    return out


def ex3_2(fn: Callable[..., list[str]]) -> None:
    """offline_partitions(assignments, isr, live): the learner's prediction against the
    partitions the simulator's controller reports offline after the crashes."""
    scenarios = _scenarios()
    answers = {repr(args): offline for args, _, offline in scenarios}

    def simulated(*args: Any) -> list[str]:
        return answers[repr(args)]

    run("3_2", fn, simulated, [(args, shown) for args, shown, _ in scenarios])


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


def ex3_4(fn: Callable[..., int | None]) -> None:
    """election_winner(voters, logs, order) against the quorum's rules (lessons.nb03 rule 5)."""
    rng = random.Random("ex3_4")
    cases = []

    def add(voters: int, logs: dict[int, tuple[int, int]], order: list[int]) -> None:
        cases.append(((voters, logs, order), f"voters={voters}, logs={logs}, order={order}"))

    add(3, {2: (4, 120), 3: (4, 118)}, [3, 2])            # the first to ask is behind: 2 wins
    add(3, {2: (4, 120), 3: (4, 118)}, [2, 3])
    add(3, {1: (3, 200), 2: (5, 90)}, [1, 2])              # the later epoch wins though shorter
    add(3, {1: (5, 90), 3: (5, 90)}, [3, 1])               # equal logs: the first to ask wins
    add(3, {2: (4, 100)}, [2])                             # one of three alive: nobody
    add(5, {1: (2, 50), 2: (2, 60), 4: (2, 55)}, [1, 4, 2])
    add(5, {1: (2, 50), 2: (2, 60), 4: (2, 55)}, [2, 4, 1])
    add(5, {3: (7, 10), 5: (6, 900)}, [5, 3])              # two of five: no majority
    add(1, {1: (0, 0)}, [1])
    while len(cases) < 30:
        voters = rng.choice([3, 3, 5])
        live = sorted(rng.sample(range(1, voters + 1), rng.randrange(voters // 2 + 1, voters + 1)))
        logs = {v: (rng.randrange(3, 6), rng.randrange(80, 120)) for v in live}
        order = rng.sample(live, len(live))
        add(voters, logs, order)
    run("3_4", fn, election_winner, cases)
