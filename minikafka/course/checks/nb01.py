"""Checks of notebook 01, the log."""
from __future__ import annotations

import functools
import random
from typing import Any, Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb01 import read, simulated_offsets, starting_position
from minikafka.errors import KafkaException


def ex1_1(fn: Callable[..., list[list[int]]]) -> None:
    """assign_offsets(log_end_offset, batch_sizes): the learner's prediction against the
    offsets a real partition gives the batches (lessons.nb01.simulated_offsets)."""
    rng = random.Random("ex1_1")
    cases = [((0, [3]), "log_end_offset=0, batch_sizes=[3]"), ((5, [2, 3]), "log_end_offset=5, batch_sizes=[2, 3]"),
             ((7, []), "log_end_offset=7, batch_sizes=[]"), ((0, [1, 1, 1]), "log_end_offset=0, batch_sizes=[1, 1, 1]")]
    for _ in range(16):
        leo = rng.choice([0, rng.randrange(1, 20), rng.randrange(100, 300)])
        sizes = [rng.randrange(1, 6) for _ in range(rng.randrange(1, 5))]
        cases.append(((leo, sizes), f"log_end_offset={leo}, batch_sizes={sizes}"))
    run("1_1", fn, simulated_offsets, cases)


def ex1_2(fn: Callable[..., tuple[list[int], int]]) -> None:
    """read(records_by_offset, position, max_records) against a poll of one partition."""
    rng = random.Random("ex1_2")
    cases = []

    def add(log: dict[int, bytes], position: int, max_records: int) -> None:
        shown = "{" + ", ".join(f"{o}: {v!r}" for o, v in log.items()) + "}"
        cases.append(((log, position, max_records),
                      f"records_by_offset={shown}, position={position}, max_records={max_records}"))

    add({0: b"coffee", 1: b"tea", 2: b"cake"}, 0, 500)
    add({0: b"coffee", 1: b"tea", 2: b"cake"}, 1, 500)
    add({0: b"coffee", 1: b"tea", 2: b"cake"}, 3, 500)          # at the log end: nothing yet
    add({0: b"coffee", 1: b"tea", 2: b"cake"}, 0, 2)            # max.poll.records
    add({0: b"a", 1: b"b", 3: b"c", 4: b"d"}, 2, 500)           # a gap (a marker at offset 2)
    for _ in range(25):
        start, end = rng.randrange(0, 5), rng.randrange(5, 14)
        offsets = [o for o in range(start, end) if rng.random() < 0.85]
        log = {o: f"v{o}".encode() for o in offsets}
        position = rng.randrange(start, end + 1)
        add(log, position, rng.choice([1, 2, 3, 500]))
    run("1_2", fn, read, cases)


def _outcome(f: Callable[..., Any]) -> Callable[..., Any]:
    """f's return value, or which error it raised: 'raises KafkaException(_AUTO_OFFSET_RESET)'.
    NotImplementedError (a stub) goes through, so the check can say [todo]."""
    @functools.wraps(f)
    def call(*args: Any) -> Any:
        try:
            return f(*args)
        except NotImplementedError:
            raise
        except KafkaException as e:
            return f"raises KafkaException({e.error.name()})"
        except Exception as e:          # the learner's bug, shown as the error it is
            return f"raises {type(e).__name__}: {e}"
    return call


def ex1_3(fn: Callable[..., int]) -> None:
    """starting_position(position, policy, log_start, log_end) against auto.offset.reset."""
    rng = random.Random("ex1_3")
    cases = []

    def add(position: int | None, policy: str, log_start: int, log_end: int) -> None:
        cases.append(((position, policy, log_start, log_end),
                      f"position={position}, policy={policy!r}, log_start={log_start}, log_end={log_end}"))

    for policy in ("earliest", "latest", "none"):
        add(None, policy, 0, 7)         # a new consumer
        add(3, policy, 0, 7)            # a valid position is kept
        add(7, policy, 0, 7)            # at the log end: valid (waits for the next record)
        add(2, policy, 4, 9)            # below the log start (deleted by retention)
        add(12, policy, 4, 9)           # beyond the log end
    for _ in range(25):
        log_start = rng.randrange(0, 20)
        log_end = log_start + rng.randrange(0, 20)
        position = rng.choice([None, rng.randrange(0, log_end + 6)])
        add(position, rng.choice(["earliest", "latest", "none"]), log_start, log_end)
    run("1_3", _outcome(fn), _outcome(starting_position), cases)
