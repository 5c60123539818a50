"""Checks of notebook 05, acks and durability."""
from __future__ import annotations

import functools
import random
from typing import Any, Callable

from minikafka.course.checks import run
from minikafka.course.experiments import acks_experiment
from minikafka.course.lessons.nb05 import (config_problem, produce_outcome, simulated_acked_then_lost,
                                           trial_setting, writes_with_one_broker_down)


def ex5_1(fn: Callable[..., tuple[str, bool]]) -> None:
    """produce_outcome(acks, isr_size, min_insync, replication_factor) against rules 1-3."""
    rng = random.Random("ex5_1")
    cases = [("all", 3, 2, 3), ("all", 2, 2, 3), ("all", 1, 2, 3), ("1", 1, 2, 3), ("0", 1, 2, 3),
             ("1", 3, 2, 3), ("0", 3, 1, 3), ("-1", 1, 1, 3), ("all", 2, 3, 2), ("all", 1, 3, 2),
             ("1", 2, 3, 3)]
    while len(cases) < 40:
        rf = rng.choice([1, 2, 3, 3, 5])
        cases.append((rng.choice(["0", "1", "all", "-1"]), rng.randrange(1, rf + 1), rng.randrange(1, 5), rf))
    run("5_1", fn, produce_outcome,
        [(c, f"acks={c[0]!r}, isr_size={c[1]}, min_insync={c[2]}, replication_factor={c[3]}") for c in cases])


def ex5_2(fn: Callable[..., list[int]]) -> None:
    """acked_then_lost(acks, records, fetched): the learner's prediction against what the
    simulator does when it runs the schedule (lessons.nb05.crash_schedule)."""
    cases = [("1", 5, (2, 4)), ("all", 5, (2, 4)), ("0", 5, (2, 4)), ("1", 5, (4, 2)), ("1", 4, (0, 3)),
             ("all", 4, (0, 3)), ("1", 4, (4, 4)), ("1", 6, (3, 3)), ("all", 6, (1, 5)), ("0", 3, (3, 0))]
    run("5_2", fn, simulated_acked_then_lost,
        [(c, f"acks={c[0]!r}, records={c[1]}, fetched={c[2]}") for c in cases])


REQUIREMENTS = {
    "config": "a dict of acks, min.insync.replicas, unclean.leader.election.enable",
    "durability": "no acknowledged record lost in 10 seeded crash trials",
    "availability": "5/5 writes acknowledged with one broker down",
}


def _verdict(requirement: str, config: Any) -> str:
    problem = config_problem(config)
    if requirement == "config":
        return problem or REQUIREMENTS["config"]
    if problem:
        return "not run: the config is not usable"
    if requirement == "durability":
        if str(config["acks"]) == "0":
            return "acks=0: the producer never waits for an answer, so nothing it sends is confirmed"
        row, = acks_experiment([trial_setting(config)], range(10), records=40)
        if not any(row.lost):
            return REQUIREMENTS["durability"]
        return f"{sum(row.lost)} acknowledged records lost in {row.trials_with_loss} of 10 crash trials"
    acked, error = writes_with_one_broker_down(config)
    if acked == 5:
        return REQUIREMENTS["availability"]
    return f"{acked}/5 writes acknowledged with one broker down" + (f" ({error})" if error else "")


def ex5_3(fn: Callable[[], dict[str, Any]]) -> None:
    """durable_config(): the learner's config, run through seeded crash trials (durability)
    and writes with one broker down (availability)."""
    @functools.wraps(fn)
    def judged(requirement: str) -> str:
        return _verdict(requirement, fn())

    run("5_3", judged, REQUIREMENTS.__getitem__,
        [((name,), f"requirement {name!r}") for name in REQUIREMENTS])
