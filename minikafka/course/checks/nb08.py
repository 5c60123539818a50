"""Checks of notebook 08, transactions."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.coordinator.internal_topics import partition_for
from minikafka.course.checks import run
from minikafka.course.lessons.nb08 import (last_stable_offset, random_steps, simulated_late_write_hangs,
                                           simulated_steps_after)

FIXED_STEPS: list[list[str]] = [
    [],
    ["P:p0", "P:p1"],
    ["A:begin", "A:a0", "A:commit"],
    ["A:begin", "A:a0", "A:abort", "P:p1"],                      # aborted records are skipped
    ["A:begin", "A:a0", "P:p1"],                                 # an open transaction holds back P
    ["A:begin", "P:p0", "A:a1", "P:p2"],                         # begin alone holds back nothing
    ["A:begin", "A:a0", "A:restart", "P:p1"],                    # a new instance aborts A's transaction
    ["A:begin", "A:a0", "A:commit", "A:restart", "P:p1"],        # nothing open to abort
    ["A:begin", "A:a0", "B:begin", "B:b1", "B:commit", "A:commit"],   # log order, not commit order
    ["A:begin", "A:a0", "A:abort", "A:begin", "A:a1", "A:commit"],    # A's next transaction commits
    ["B:begin", "B:b0", "A:begin", "A:a1", "A:commit", "P:p2"],       # B open: A's commit waits too
    ["A:begin", "A:a0", "B:begin", "B:b1", "A:abort", "P:p2", "B:commit"],
    ["A:restart", "A:begin", "A:a0", "A:restart", "A:begin", "A:a1", "A:commit"],
]


def ex8_1(fn: Callable[..., list[str]]) -> None:
    """read_committed(steps): the learner's prediction against what a real read_committed
    consumer returns after the steps run in a cluster (lessons.nb08.run_steps)."""
    rng = random.Random("ex8_1")
    cases = [list(s) for s in FIXED_STEPS]
    while len(cases) < 30:
        steps = random_steps(rng, rng.randrange(3, 10))
        if steps not in cases:
            cases.append(steps)
    run("8_1", fn, simulated_steps_after, [((list(s),), "steps=" + (" ".join(s) or "(none)")) for s in cases])


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


def ex8_4(fn: Callable[[int, bool, int], bool]) -> None:
    """late_write_hangs(transaction_version, verification, delay_ms): the learner's prediction
    against the cluster (lessons.nb08.run_late_write: is the LSO stuck below the HW?), under
    v1 without and with partition verification, and v2 (with the broker config either way)."""
    modes = [(1, False), (1, True), (2, True), (2, False)]
    delays = [35_000, 5_000, 50_000]                # past request.timeout.ms, answered in time, far past
    cases = [((tv, verify, d), f"transaction_version={tv}, verification={verify}, delay_ms={d}")
             for d in delays for tv, verify in modes]
    run("8_4", fn, simulated_late_write_hangs, cases)
