"""Checks of notebook 08, transactions."""
from __future__ import annotations

import random
from typing import Callable, Sequence

from minikafka.coordinator.internal_topics import partition_for
from minikafka.course.checks import run
from minikafka.course.lessons.nb08 import Batch, describe, last_stable_offset, random_log, read_committed, simulated_log


def ex8_1(fn: Callable[..., list[str]]) -> None:
    """read_committed(batches, aborted): for logs written by a real cluster, what its
    read_committed consumer returned; for hand-made and random logs, the reference."""
    rng = random.Random("ex8_1")
    logs: list[tuple[list[Batch], list[tuple[int, int]]]] = []
    consumed: dict[int, list[str]] = {}          # id(batches) -> what the real consumer returned
    for seed in (1, 3, 4, 8, 11, 12):
        batches, aborted, seen = simulated_log(seed)
        consumed[id(batches)] = seen
        logs.append((batches, aborted))
    logs += [
        ([], []),
        ([Batch(0, -1, ("x", "y"))], []),                                          # no transactions
        ([Batch(0, 7, ("a",), True), Batch(1, 7, (), True, "COMMIT")], []),
        ([Batch(0, 7, ("a",), True), Batch(1, 7, (), True, "ABORT")], [(7, 0)]),
        ([Batch(0, 7, ("a",), True), Batch(1, 8, ("b",), True), Batch(2, 7, (), True, "ABORT"),
          Batch(3, 8, (), True, "COMMIT")], [(7, 0)]),                             # only 7's are aborted
        ([Batch(0, 7, ("a0",), True), Batch(1, 7, (), True, "ABORT"), Batch(2, 7, ("a2",), True),
          Batch(3, 7, (), True, "COMMIT")], [(7, 0)]),                             # 7's next one commits
        ([Batch(0, 7, ("a0", "a1"), True), Batch(2, -1, ("p2",)), Batch(3, 7, ("a3",), True),
          Batch(4, 7, (), True, "ABORT")], [(7, 0)]),                              # plain records stay
    ]
    while len(logs) < 40:
        logs.append(random_log(rng))

    def oracle(batches: Sequence[Batch], aborted: Sequence[tuple[int, int]]) -> list[str]:
        return consumed[id(batches)] if id(batches) in consumed else read_committed(batches, aborted)

    run("8_1", fn, oracle, [((b, a), f"log {describe(b)}; aborted={a}") for b, a in logs])


def ex8_2(fn: Callable[..., int]) -> None:
    """last_stable_offset(high_watermark, open_first_offsets, decided) against the simulator's
    transaction index (txn_index rule 3)."""
    rng = random.Random("ex8_2")
    cases: list[tuple[int, tuple[int, ...], tuple[tuple[int, int], ...]]] = [
        (5, (), ()),                    # no transactions: LSO = HW
        (21, (10,), ()),                # scenario 8: an open transaction at offset 10
        (21, (10, 4), ()),              # the earliest open one counts
        (3, (10,), ()),                 # open, but not yet below the HW
        (22, (), ((10, 21),)),          # decided, marker below the HW: no longer holds it back
        (21, (), ((10, 21),)),          # decided, marker not yet below the HW
        (30, (25,), ((10, 21),)),
        (9, (12,), ((3, 9),)),
        (0, (), ()),
    ]
    while len(cases) < 40:
        hw = rng.randrange(0, 40)
        open_ = tuple(rng.randrange(0, 45) for _ in range(rng.randrange(0, 3)))
        decided = []
        for _ in range(rng.randrange(0, 3)):
            first = rng.randrange(0, 40)
            decided.append((first, first + rng.randrange(1, 10)))
        cases.append((hw, open_, tuple(decided)))
    run("8_2", fn, last_stable_offset,
        [((hw, list(o), list(d)), f"high_watermark={hw}, open_first_offsets={list(o)}, decided={list(d)}")
         for hw, o, d in cases])


def ex8_3(fn: Callable[[str, int], int]) -> None:
    """coordinator_partition(key, partitions) against coordinator.partition_for (Kafka's
    Utils.abs(transactionalId.hashCode()) % partitions)."""
    rng = random.Random("ex8_3")
    keys = ["payments-app", "", "a", "hello", "Aa", "BB", "polygenelubricants", "orders-etl-0",
            "zürich-app", "T"]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
    keys += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(30)]
    cases = [((k, 50), f"key={k!r}, partitions=50") for k in keys]
    cases += [((k, n), f"key={k!r}, partitions={n}") for k, n in (("payments-app", 7), ("hello", 1),
                                                                   ("polygenelubricants", 3), ("orders", 12))]
    run("8_3", fn, partition_for, cases)
