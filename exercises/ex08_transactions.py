"""Exercises 8.1-8.4 (notebook 08, transactions): what a read_committed consumer returns after
a sequence of steps, the last stable offset, which partition of __transaction_state
coordinates a transactional id, and which late write hangs a partition."""
from __future__ import annotations

from typing import Sequence

from . import exercise


@exercise("8.1", reference="minikafka.course.lessons.nb08:steps_after")
def read_committed(steps: Sequence[str]) -> list[str]:
    """Predict what a read_committed consumer returns after these steps; the check runs them.

    One broker, topic "t" with one partition. Each step is "who:what":
    - "P:p3": the plain producer (no transactional.id) writes a record with value "p3";
    - "A:begin", "A:commit", "A:abort": the producer whose transactional.id is "A" begins,
      commits or aborts a transaction ("B" likewise);
    - "A:a4": A writes a record with value "a4" inside its open transaction;
    - "A:restart": a new instance of "A" starts and calls init_transactions(); the old
      instance is never used again.
    Every record is flushed (in the log) before the next step. Transactions still open after
    the last step stay open.

    Return the values a read_committed consumer returns when it then reads the partition from
    offset 0, in the order it returns them. The Kafka rules to look up: the last stable offset
    (KIP-98), what happens to an open transaction when a new instance of its transactional.id
    starts, and when a transaction starts on a partition.

    >>> read_committed(["A:begin", "A:a0", "P:p1", "A:commit"])
    ['a0', 'p1']
    """
    raise NotImplementedError("Exercise 8.1 (exercises/ex08_transactions.py)")


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

    >>> last_stable_offset(21, [10])      # an open transaction from offset 10
    10
    """
    raise NotImplementedError("Exercise 8.2 (exercises/ex08_transactions.py)")


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
    raise NotImplementedError("Exercise 8.3 (exercises/ex08_transactions.py)")


@exercise("8.4", reference="minikafka.course.lessons.nb08:late_write_hangs")
def late_write_hangs(transaction_version: int, verification: bool, delay_ms: int) -> bool:
    """Predict whether this late write hangs the partition; the check builds it in a cluster.

    A transactional producer (request.timeout.ms 30000, the default) writes "first" to a
    partition in a transaction. Its next ProduceRequest, "late", is delayed `delay_ms` in the
    network, and the application calls abort_transaction(). The cluster runs with feature
    transaction.version = `transaction_version` (1 or 2) and broker config
    transaction.partition.verification.enable = `verification`.

    Return True if, 60 s later, the partition holds a transaction that no coordinator will
    ever finish: its last stable offset stuck below its high watermark, read_committed
    consumers stalled. The Kafka rules to look up: what abort_transaction() waits for before
    it sends EndTxn, KIP-890 (partition verification, transactions v2) and the hanging
    transaction.

    >>> late_write_hangs(2, False, 35_000)
    False
    """
    raise NotImplementedError("Exercise 8.4 (exercises/ex08_transactions.py)")
