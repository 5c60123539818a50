"""Exercises 13.1-13.3 (notebook 13, storage): which segments a retention pass deletes, what
survives a compaction, and when retention overtakes a slow consumer."""
from __future__ import annotations

from typing import Sequence

from . import exercise


@exercise("13.1", reference="minikafka.course.lessons.nb13:retention_deletes")
def retention_deletes(segments: Sequence[tuple[int, int, int]], log_end: int, now: int, retention_ms: int,
                      retention_bytes: int = -1, hw: int | None = None) -> list[int]:
    """Which segments does one retention pass at `now` delete?

    `segments` lists a partition's segments, oldest first, each as (base offset, size in bytes,
    timestamp of its newest record); the last one is the active segment, which ends at
    `log_end`. A segment ends where the next one begins. `retention_ms` and `retention_bytes`
    are the topic's (-1: no limit); `hw` is the high watermark (None: equal to `log_end`).
    Return the base offsets of the segments the pass deletes, oldest first.

    >>> retention_deletes([(0, 1000, 10_000), (10, 1000, 20_000), (20, 500, 25_000)], 25, 40_000, 15_000)   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 13.1 (exercises/ex13_storage.py)")


@exercise("13.2", reference="minikafka.course.lessons.nb13:compaction_survivors")
def compaction_survivors(records: Sequence[tuple[str | None, str | None]], active_from: int,
                         tombstones_expired: bool = False) -> list[int]:
    """What survives one compaction of a partition?

    `records` are the records of a compacted partition, written at offsets 0, 1, 2, ... in
    that order, each as (key, value): a value of None is a tombstone (a delete of the key), a
    key of None a keyless record. Nothing has been cleaned yet. The records at offsets
    `active_from` and above are in the active segment (0 <= active_from <= len(records);
    active_from == len(records): the active segment is empty).

    The log cleaner then runs one pass over everything below `active_from`:
    - every record at or above `active_from` stays, untouched (the active segment is never
      cleaned, duplicates and all);
    - below `active_from`, a record stays only if it has a key and no later record below
      `active_from` has the same key (records in the active segment do not count here);
      keyless records below it go;
    - a tombstone that stays by that rule is kept by this pass (consumers must get to see the
      delete). With `tombstones_expired=True`, those tombstones had been kept long enough
      (delete.retention.ms has passed since a pass kept them): they go too.

    Return the offsets that are left, ascending. Offsets never change: a record keeps the
    offset it was written at, so the answer has gaps.

    >>> compaction_survivors([("a", "1"), ("b", "1"), ("a", "2"), ("b", None), ("a", "3")], 4)   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 13.2 (exercises/ex13_storage.py)")


@exercise("13.3", reference="minikafka.course.lessons.nb13:overtaken")
def overtaken(per_segment: int, retention_ms: int, check_interval_ms: int, reads_per_minute: int,
              policy: str = "earliest", horizon_ms: int = 3_600_000) -> tuple[int | None, int | None]:
    """When does retention overtake a slow consumer, and where does it resume?

    A producer writes offset i at i seconds (0, 1, 2, ...). Each segment holds `per_segment`
    records, so segment k holds offsets k*per_segment .. (k+1)*per_segment - 1 and its newest
    record was written at ((k+1)*per_segment - 1) seconds. Retention passes run at
    check_interval_ms, 2*check_interval_ms, ... and delete, oldest first, each segment but the
    active one (the one the producer writes to) whose newest record is more than `retention_ms`
    old at that instant. A consumer starts at offset 0 at time 0; at t ms its position is
    t * reads_per_minute // 60000.

    Return (the time in ms of the first pass after which the position is below the log start,
    the offset the consumer resumes at): with policy "earliest" the log start after that pass,
    with "latest" the next offset the producer writes. (None, None) if no pass up to
    `horizon_ms` overtakes it.

    >>> overtaken(10, 60_000, 30_000, 30)   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 13.3 (exercises/ex13_storage.py)")
