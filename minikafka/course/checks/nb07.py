"""Checks of notebook 07, the idempotent producer."""
from __future__ import annotations

import functools
import random
from typing import Any, Callable

from minikafka.clients.producer.config import PRODUCER
from minikafka.clients.producer.producer import Producer
from minikafka.config import MAX_INT, resolve
from minikafka.course.checks import run
from minikafka.course.lessons.nb07 import sequence_ranges
from minikafka.errors import ConfigException
from minikafka.storage.producer_state import SEQ_MOD, ProducerEntry, check_sequence

TOP = SEQ_MOD - 1            # the largest sequence number, 2**31 - 1


def _entry(epoch: int, batches: list[tuple[int, int, int, int]]) -> ProducerEntry:
    e = ProducerEntry(epoch)
    e.batches.extend(batches)
    return e


def _chain(first_seq: int, sizes: list[int], first_offset: int) -> list[tuple[int, int, int, int]]:
    """Consecutive batches of `sizes` records from `first_seq` at `first_offset`; the cache
    keeps the last 5."""
    out = []
    seq, off = first_seq, first_offset
    for n in sizes:
        out.append((seq, (seq + n - 1) % SEQ_MOD, off, off + n - 1))
        seq, off = (seq + n) % SEQ_MOD, off + n
    return out[-5:]


def ex7_1(fn: Callable[..., tuple[str | None, int]]) -> None:
    """check_sequence(entry, epoch, first, last) against the broker's rules (producer_state.py).
    Every case gets a fresh entry, so a function that changes it cannot affect the next."""
    two = _chain(0, [5, 5], 100)                         # (0,4)@100, (5,9)@105
    seven = _chain(0, [1] * 7, 0)                        # only sequences 2..6 are remembered
    wrap = _chain(TOP - 4, [5], 40)                      # (2**31-5, 2**31-1)@40
    fixed: list[tuple[int | None, list, int, int, int]] = [
        (None, [], 0, 77, 80), (2, two, 2, 10, 14), (2, two, 2, 5, 9), (2, two, 2, 0, 4),
        (2, two, 2, 12, 14), (2, two, 1, 10, 14), (2, two, 3, 0, 4), (2, two, 3, 10, 14),
        (2, two, 2, 10, 10), (2, two, 2, 6, 9), (0, seven, 0, 2, 2), (0, seven, 0, 1, 1), (0, seven, 0, 7, 7),
        (0, wrap, 0, 0, 3), (0, wrap, 0, TOP - 4, TOP), (0, wrap, 0, 1, 3), (1, [], 1, 0, 0), (1, [], 1, 3, 4),
        (1, [], 0, 0, 0),
    ]
    rng = random.Random("ex7_1")
    while len(fixed) < 45:
        epoch = rng.randrange(0, 3)
        start = rng.choice([0, 0, 10, TOP - 6])
        batches = _chain(start, [rng.randrange(1, 4) for _ in range(rng.randrange(0, 7))], rng.randrange(0, 50))
        nxt = (batches[-1][1] + 1) % SEQ_MOD if batches else 0
        pick = rng.random()
        if batches and pick < 0.3:                         # a remembered batch again
            first, last = rng.choice(batches)[:2]
        elif pick < 0.6:                                   # the next one
            first = nxt
            last = (first + rng.randrange(0, 3)) % SEQ_MOD
        else:                                              # a gap, or something older
            first = (nxt + rng.choice([1, 2, -1, -3, 5])) % SEQ_MOD
            last = (first + rng.randrange(0, 3)) % SEQ_MOD
        fixed.append((epoch, batches, rng.choice([epoch, epoch, epoch, max(epoch - 1, 0), epoch + 1]), first, last))

    def shown(stored: int | None, batches: list, epoch: int, first: int, last: int) -> str:
        if stored is None:
            state = "entry=None"
        else:
            kept = ", ".join(f"({f},{lt})@{o}" for f, lt, o, _ in batches) or "none"
            state = f"entry: epoch {stored}, batches {kept}"
        return f"{state}; batch epoch={epoch}, first={first}, last={last}"

    def fresh(case: tuple[int | None, list, int, int, int]) -> tuple[Any, ...]:
        stored, batches, epoch, first, last = case
        return (None if stored is None else _entry(stored, batches), epoch, first, last)

    @functools.wraps(fn)
    def learner(*case: Any) -> Any:
        return fn(*fresh(case))

    run("7_1", learner, lambda *case: check_sequence(*fresh(case)), [(c, shown(*c)) for c in fixed])


KEYS = ("acks", "retries", "max.in.flight.requests.per.connection", "transactional.id")


def named_key(message: str) -> str:
    """The key an error message names first, of the keys that can conflict with idempotence."""
    found = sorted((message.find(k), k) for k in KEYS if k in message)
    return found[0][1] if found else "none of " + ", ".join(KEYS)


def _outcome(fn: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> str:
    try:
        result = fn(dict(config))
    except ConfigException as e:
        return f"ConfigException naming {named_key(str(e))}"
    if result is True or result is False:
        return f"idempotence {'on' if result else 'off'}"
    return f"returned {result!r}"


def simulated_idempotence(config: dict[str, Any]) -> str:
    """What the simulator's producer makes of `config` (producer.check_idempotence_config)."""
    return _outcome(lambda cfg: resolve(PRODUCER, cfg, Producer.check_config)["enable.idempotence"], config)


def ex7_2(fn: Callable[..., bool]) -> None:
    """idempotence_enabled(config): the learner's outcome (on, off, or which key a
    ConfigException names) against what the simulator's producer does with the config."""
    fixed: list[dict[str, Any]] = [
        {}, {"acks": "1"}, {"acks": "0"}, {"retries": 0}, {"enable.idempotence": True, "acks": "1"},
        {"enable.idempotence": True, "retries": 0}, {"enable.idempotence": True, "acks": "0", "retries": 0},
        {"enable.idempotence": False}, {"enable.idempotence": False, "acks": "1"},
        {"max.in.flight.requests.per.connection": 6},
        {"max.in.flight.requests.per.connection": 6, "enable.idempotence": False},
        {"max.in.flight.requests.per.connection": 6, "acks": "1"}, {"acks": "-1"}, {"acks": "all", "retries": 3},
        {"transactional.id": "payments"}, {"transactional.id": "payments", "acks": "1"},
        {"transactional.id": "payments", "enable.idempotence": False},
        {"enable.idempotence": True, "max.in.flight.requests.per.connection": 10, "acks": "1"},
    ]
    rng = random.Random("ex7_2")
    cases = list(fixed)
    while len(cases) < 45:
        config: dict[str, Any] = {}
        for key, values in (("acks", ["all", "-1", "1", "0"]), ("retries", [0, 2, MAX_INT]),
                            ("max.in.flight.requests.per.connection", [1, 5, 6]),
                            ("enable.idempotence", [True, False]), ("transactional.id", ["t1"])):
            if rng.random() < 0.45:
                config[key] = rng.choice(values)
        if config not in cases:
            cases.append(config)

    @functools.wraps(fn)
    def learner(config: dict[str, Any]) -> str:
        return _outcome(fn, config)

    run("7_2", learner, simulated_idempotence, [((c,), f"config={c!r}") for c in cases])


def ex7_3(fn: Callable[..., list[tuple[int, int]]]) -> None:
    """sequence_ranges(batch_sizes, next_sequence) against the producer's numbering."""
    fixed = [([], 0), ([1], 0), ([5, 1, 3], 0), ([3, 3], 10), ([1, 1, 1], TOP - 1), ([4, 2], TOP - 1),
             ([2], TOP), ([5], TOP - 4)]
    rng = random.Random("ex7_3")
    cases = list(fixed)
    while len(cases) < 30:
        sizes = [rng.randrange(1, 8) for _ in range(rng.randrange(1, 6))]
        cases.append((sizes, rng.choice([0, rng.randrange(1, 100), TOP - rng.randrange(0, 12)])))
    run("7_3", fn, sequence_ranges, [((list(s), n), f"batch_sizes={s}, next_sequence={n}") for s, n in cases])
