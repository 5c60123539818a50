"""References for notebook 01, the log: offsets, a consumer's read, auto.offset.reset.

Rules (Kafka's UnifiedLog.append, the consumer's Fetcher and SubscriptionState, and the
auto.offset.reset documentation):
1. A partition is an append-only log. The leader gives each record of an appended batch the
   next offset: the first record gets the log end offset (LEO), the next LEO + 1, and so on;
   the LEO moves past the last one. Producers never choose offsets.
2. A consumer's position is the offset of the next record it will read. `poll` returns the
   records at or after the position, in offset order, at most `max.poll.records` of them, and
   moves the position to one past the last record returned. An offset may have no record for
   the application (a transaction marker, notebook 08): it is skipped.
3. A consumer with no position, or with one outside [log start, log end], starts where
   `auto.offset.reset` says: earliest = the log start, latest = the log end (the high watermark,
   notebook 04), none = an error.
4. Exercise 1.1 is judged by the simulator: `simulated_offsets` appends the batches to a real
   partition and reads the offsets from the delivery reports.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from minikafka.cluster import Cluster
from minikafka.errors import KafkaException


def assign_offsets(log_end_offset: int, batch_sizes: Sequence[int]) -> list[list[int]]:
    """The offsets the leader gives the records of batches appended, in this order, to a log
    whose end offset is `log_end_offset` (rule 1): one list of offsets per batch."""
    out = []
    next_offset = log_end_offset
    for size in batch_sizes:
        out.append(list(range(next_offset, next_offset + size)))
        next_offset += size
    return out


def simulated_offsets(log_end_offset: int, batch_sizes: Sequence[int]) -> list[list[int]]:
    """What the simulator does (rule 4): a partition is filled up to `log_end_offset`, then one
    producer sends each batch (one flush each); the offsets its delivery reports give, per batch."""
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=1, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for _ in range(log_end_offset):
        p.produce("t", value=b"earlier")
    p.flush()
    out = []
    for size in batch_sizes:
        got: list[int] = []
        for _ in range(size):
            p.produce("t", value=b"new", on_delivery=lambda err, msg, got=got: got.append(msg.offset()))
        p.flush()
        out.append(sorted(got))
    return out


def read(records_by_offset: Mapping[int, bytes], position: int, max_records: int) -> tuple[list[int], int]:
    """What one poll returns from a partition (rule 2): (the offsets of the records returned,
    the consumer's next position)."""
    offsets = sorted(o for o in records_by_offset if o >= position)[:max_records]
    return offsets, (offsets[-1] + 1 if offsets else position)


def starting_position(position: int | None, policy: str, log_start: int, log_end: int) -> int:
    """Where a consumer reads next in a partition (rule 3): its position if it has a valid one,
    else the offset auto.offset.reset `policy` gives; raises KafkaException(_AUTO_OFFSET_RESET)
    for the policy "none"."""
    if position is not None and log_start <= position <= log_end:
        return position
    if policy == "earliest":
        return log_start
    if policy == "latest":
        return log_end
    if policy == "none":
        why = "no position" if position is None else f"position {position} is out of range [{log_start}, {log_end}]"
        raise KafkaException("_AUTO_OFFSET_RESET", f"{why} and auto.offset.reset=none")
    raise ValueError(f"auto.offset.reset must be earliest, latest or none, got {policy!r}")
