"""Checks of notebook 06, ordering and retries."""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.clients.producer.config import PRODUCER
from minikafka.clients.producer.producer import Producer
from minikafka.config import MAX_INT, resolve
from minikafka.course.checks import run
from minikafka.course.lessons.nb06 import reorder, simulated_can_reorder, simulated_log_after_loss
from minikafka.errors import ConfigException


def _shown(records: list[tuple[str, int, str]]) -> str:
    return "records=[" + " ".join(f"{k}{s}" for k, s, _ in records) + "]"


def _stream(rng: random.Random) -> list[tuple[str, int, str]]:
    """Records of 1-3 keys, each numbered from 0, shuffled a little, with a few duplicates and
    sometimes a record that never arrives."""
    out: list[tuple[str, int, str]] = []
    for key in rng.sample("abc", rng.randrange(1, 4)):
        n = rng.randrange(1, 5)
        seqs = [s for s in range(n) if rng.random() > 0.12]
        out += [(key, s, f"{key}{s}") for s in seqs]
    rng.shuffle(out)
    for _ in range(rng.choice([0, 0, 1, 2])):
        if out:
            out.insert(rng.randrange(len(out) + 1), rng.choice(out))
    return out


def ex6_1(fn: Callable[..., list[tuple[Any, int, Any]]]) -> None:
    """reorder(records) against the reference buffer on fixed and seeded arrival orders."""
    fixed = [
        [],
        [("a", 0, "a0"), ("a", 1, "a1"), ("a", 2, "a2")],
        [("a", 2, "a2"), ("a", 1, "a1"), ("a", 0, "a0")],
        [("a", 1, "a1"), ("b", 0, "b0"), ("a", 0, "a0"), ("b", 1, "b1")],
        [("a", 0, "a0"), ("a", 2, "a2"), ("a", 3, "a3")],
        [("a", 0, "a0"), ("a", 0, "a0"), ("a", 1, "a1"), ("a", 0, "a0")],
        [("a", 1, "a1"), ("a", 1, "a1"), ("a", 0, "a0")],
        [("b", 1, "b1"), ("a", 0, "a0"), ("b", 2, "b2"), ("a", 1, "a1"), ("b", 0, "b0")],
    ]
    rng = random.Random("ex6_1")
    cases = fixed + [_stream(rng) for _ in range(32)]
    run("6_1", fn, reorder, [((list(c),), _shown(c)) for c in cases])


def ex6_2(fn: Callable[..., list[int]]) -> None:
    """log_after_loss(records, max_in_flight, idempotent, lost, retries): the learner's
    prediction against what the simulator writes (lessons.nb06.loss_schedule)."""
    cases = [(4, 5, False, "none", MAX_INT), (5, 5, False, "request", MAX_INT), (5, 5, True, "request", MAX_INT),
             (5, 1, False, "request", MAX_INT), (5, 2, False, "request", MAX_INT),
             (5, 5, False, "response", MAX_INT), (5, 5, True, "response", MAX_INT),
             (6, 3, False, "response", MAX_INT), (4, 5, False, "request", 0), (4, 2, False, "response", 0),
             (6, 2, True, "request", MAX_INT), (3, 1, False, "response", MAX_INT)]

    def shown(c: tuple[int, int, bool, str, int]) -> str:
        retries = "" if c[4] == MAX_INT else f", retries={c[4]}"
        return f"records={c[0]}, max_in_flight={c[1]}, idempotent={c[2]}, lost={c[3]!r}{retries}"

    run("6_2", fn, simulated_log_after_loss, [(c, shown(c)) for c in cases])


def _valid(config: dict[str, Any]) -> bool:
    try:
        resolve(PRODUCER, config, Producer.check_config)
    except ConfigException:
        return False
    return True


def ex6_3(fn: Callable[..., bool]) -> None:
    """can_reorder(config): the learner's prediction against what the simulator writes when one
    request of three in flight is lost (lessons.nb06.reorder_schedule), on configs Kafka
    accepts."""
    fixed: list[dict[str, Any]] = [
        {}, {"enable.idempotence": False}, {"enable.idempotence": True},
        {"enable.idempotence": False, "max.in.flight.requests.per.connection": 1},
        {"enable.idempotence": False, "retries": 0}, {"acks": "1"}, {"acks": "0"},
        {"retries": 0}, {"acks": "1", "max.in.flight.requests.per.connection": 1},
        {"acks": "-1"}, {"acks": "all", "enable.idempotence": False, "max.in.flight.requests.per.connection": 2},
        {"acks": "1", "enable.idempotence": False, "retries": 3},
        {"max.in.flight.requests.per.connection": 1},
    ]
    rng = random.Random("ex6_3")
    cases = list(fixed)
    while len(cases) < 40:
        config: dict[str, Any] = {}
        for key, values in (("acks", ["all", "-1", "1", "0"]), ("retries", [0, 1, 5, MAX_INT]),
                            ("max.in.flight.requests.per.connection", [1, 2, 5, 10]),
                            ("enable.idempotence", [True, False])):
            if rng.random() < 0.5:
                config[key] = rng.choice(values)
        if _valid(config) and config not in cases:
            cases.append(config)
    run("6_3", fn, simulated_can_reorder, [((dict(c),), f"config={c!r}") for c in cases])
