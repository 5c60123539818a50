"""Exercises 8.1-8.3 (notebook 08, transactions): what a read_committed consumer returns, the
last stable offset, and which partition of __transaction_state coordinates a transactional id."""
from __future__ import annotations

from typing import Sequence

from minikafka.course.lessons.nb08 import Batch  # the batches of exercise 8.1

from . import exercise


@exercise("8.1", reference="minikafka.course.lessons.nb08:read_committed")
def read_committed(batches: Sequence[Batch], aborted: Sequence[tuple[int, int]]) -> list[str]:
    """The values a read_committed consumer returns when it reads this log from offset 0.

    batches: the partition's log, in offset order, as `Batch` tuples:
      Batch(offset, producer_id, values, transactional, marker)
    - a data batch: `values` holds its records' values (one offset each, from `offset` on);
      `transactional` says whether it was written inside a transaction; `marker` is None.
    - a control batch: `marker` is "COMMIT" or "ABORT" (it ends producer_id's transaction),
      `values` is (), and it takes one offset.
    aborted: the aborted-transactions index, as a read_committed fetch response carries it:
    (producer id, first offset) of every aborted transaction in the log.
    Every transaction in the log is decided (the LSO is at the end of the log).

    Return the values in offset order, leaving out:
    - every marker (no consumer ever sees one);
    - the transactional batches of producer p from the first offset of an aborted transaction
      of p up to p's ABORT marker that ends it. (p's later transactions may commit.)
    Non-transactional batches are always returned.

    >>> read_committed([Batch(0, 7, ("a",), True), Batch(1, -1, ("p",)), Batch(2, 7, (), True, "ABORT")],
    ...                [(7, 0)])
    ['p']
    """
    raise NotImplementedError("Exercise 8.1: read_committed (exercises/ex08_transactions.py)")


@exercise("8.2", reference="minikafka.course.lessons.nb08:last_stable_offset")
def last_stable_offset(high_watermark: int, open_first_offsets: Sequence[int],
                       decided: Sequence[tuple[int, int]] = ()) -> int:
    """The partition's last stable offset (LSO): where a read_committed consumer stops.

    high_watermark: the partition's HW. open_first_offsets: the first offset of every
    transaction still open on this partition (no marker yet). decided: (first offset, marker
    offset) of every transaction whose COMMIT or ABORT marker has been written.

    The LSO is the smallest of: the HW; the first offset of every open transaction; the first
    offset of every decided transaction whose marker is not yet below the HW (marker >= HW:
    the marker is not committed yet, so the transaction still counts as undecided).

    >>> last_stable_offset(21, [10])      # scenario 8: an open transaction from offset 10
    10
    """
    raise NotImplementedError("Exercise 8.2: last_stable_offset (exercises/ex08_transactions.py)")


@exercise("8.3", reference="minikafka.coordinator.internal_topics:partition_for")
def coordinator_partition(key: str, partitions: int) -> int:
    """The partition of __transaction_state whose leader coordinates the transactional id
    `key` (the same rule places a group.id in __consumer_offsets); `partitions` is 50 by
    default (transaction.state.log.num.partitions).

    Kafka computes Utils.abs(key.hashCode()) % partitions, with Java's String.hashCode:
        h = 0; for each character c: h = 31 * h + c   (c as its UTF-16 code, ord(c) for the
        ids here), wrapping around as a signed 32-bit int.
    Utils.abs(x) is x for x >= 0, -x for x < 0, and 0 for -2**31 (whose -x is not an int).

    >>> coordinator_partition("hello", 50)   # "hello".hashCode() == 99162322
    22
    """
    raise NotImplementedError("Exercise 8.3: coordinator_partition (exercises/ex08_transactions.py)")
