"""A log segment: one file of a partition's log, named by its base offset (Kafka: `LogSegment`).

Rules (kafka-semantics.md P.300-302):
- A segment holds the batches whose base offsets lie in [its base offset, the next segment's
  base offset); the last segment is the *active* one and the only one that takes appends.
- It keeps what retention and the roll rule read: its size in bytes, its largest record
  timestamp, and the *rolling base timestamp* (the max timestamp of its first batch). Its
  creation time stands in when its first batch carried no timestamp.
- The roll decision is taken when a batch arrives, before it is written (`should_roll`): a
  non-empty active segment rolls when the batch would take it past `segment.bytes`, or when
  the batch's max timestamp is more than `segment.ms` minus the segment's jitter after the
  rolling base timestamp. Nothing rolls on a timer: an idle partition keeps its active segment
  however old it is, until its next write (or a retention pass that deletes it, log_retention.py).
- The jitter is drawn once per segment, when it is created: a random value below
  min(`segment.jitter.ms`, `segment.ms`), 0 when `segment.jitter.ms` is 0.
- The new segment's base offset is the first offset of the batch that rolled it.
"""
from __future__ import annotations


class LogSegment:
    __slots__ = ("base_offset", "size", "largest_timestamp", "rolling_base_timestamp", "created_ms", "jitter_ms")

    def __init__(self, base_offset: int, created_ms: int = 0, jitter_ms: int = 0) -> None:
        self.base_offset = base_offset
        self.size = 0                       # bytes of the batches it holds
        self.largest_timestamp = -1         # -1: no timestamped record yet (retention uses created_ms)
        self.rolling_base_timestamp = -1    # the first batch's max timestamp
        self.created_ms = created_ms
        self.jitter_ms = jitter_ms

    def add(self, size: int, max_timestamp: int) -> None:
        if self.size == 0:
            self.rolling_base_timestamp = max_timestamp
        self.size += size
        if max_timestamp > self.largest_timestamp:
            self.largest_timestamp = max_timestamp

    def should_roll(self, size: int, max_timestamp: int, now: int, segment_bytes: int, segment_ms: int) -> bool:
        """Before appending a batch of `size` bytes with `max_timestamp`: roll first?"""
        if self.size == 0:
            return False
        if self.size + size > segment_bytes:
            return True
        base = self.rolling_base_timestamp
        waited = max_timestamp - base if base >= 0 and max_timestamp >= 0 else now - self.created_ms
        return waited > segment_ms - self.jitter_ms

    def timestamp_for_retention(self) -> int:
        """Largest record timestamp; the creation time if the segment has none (Kafka: the file's mtime)."""
        return self.largest_timestamp if self.largest_timestamp >= 0 else self.created_ms

    def __repr__(self) -> str:
        return (f"LogSegment(base={self.base_offset}, size={self.size}, "
                f"largest_timestamp={self.largest_timestamp})")
