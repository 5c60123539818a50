"""Exercises 1.1-1.3 (notebook 01, the log): offsets, a consumer's read, auto.offset.reset."""
from __future__ import annotations

from typing import Mapping, Sequence

from minikafka import KafkaException  # noqa: F401  (exercise 1.3 raises it)

from . import exercise


@exercise("1.1", reference="minikafka.course.lessons.nb01:assign_offsets")
def assign_offsets(log_end_offset: int, batch_sizes: Sequence[int]) -> list[list[int]]:
    """Predict the offsets a partition's leader gives to the records of batches it appends;
    the check appends the same batches to a partition in the simulator and compares.

    log_end_offset: the log end offset (LEO) before the appends, i.e. the offset the next
    record will get. batch_sizes: how many records each batch holds, in the order the batches
    are appended.

    Return one list per batch with the offsets of its records. The rule: the leader alone
    assigns offsets as it appends to the log (Kafka's UnifiedLog.append); the section "The
    append-only log and its offsets" shows it.

    >>> assign_offsets(5, [2, 3])
    [[5, 6], [7, 8, 9]]
    """
    raise NotImplementedError("Exercise 1.1 (exercises/ex01_the_log.py)")


@exercise("1.2", reference="minikafka.course.lessons.nb01:read")
def read(records_by_offset: Mapping[int, bytes], position: int, max_records: int) -> tuple[list[int], int]:
    """What one poll returns from a partition, and where the consumer's position goes.

    records_by_offset: offset -> value of every record the consumer may read (offsets can have
    gaps: an offset taken by a transaction marker has no record, notebook 08).
    position: the offset of the next record this consumer wants. max_records: at most this many
    records per poll (max.poll.records, default 500).

    Return (offsets, next_position): the offsets of the records returned, in offset order (the
    records at or after `position`, at most `max_records`), and the position after this poll:
    one past the last record returned, or `position` unchanged when nothing is returned.

    >>> read({0: b"coffee", 1: b"tea", 2: b"cake"}, 1, 500)
    ([1, 2], 3)
    """
    raise NotImplementedError("Exercise 1.2 (exercises/ex01_the_log.py)")


@exercise("1.3", reference="minikafka.course.lessons.nb01:starting_position")
def starting_position(position: int | None, policy: str, log_start: int, log_end: int) -> int:
    """Where a consumer reads next in a partition: auto.offset.reset.

    position: the consumer's position, or None if it has none (a new consumer without a
    committed offset). policy: the consumer's auto.offset.reset, "earliest", "latest" or "none".
    log_start, log_end: the first offset still in the log and the log end offset. (Notebook 04
    shows that "latest" really means the high watermark, the end of what consumers may read.)

    A position from log_start to log_end (both included) is kept. With no position, or one
    outside that range (the records were deleted by retention, say), the policy decides:
    "earliest" -> log_start, "latest" -> log_end, "none" -> raise
    KafkaException("_AUTO_OFFSET_RESET", "<a reason of your choice>").

    >>> starting_position(None, "latest", 0, 7)
    7
    """
    raise NotImplementedError("Exercise 1.3 (exercises/ex01_the_log.py)")
