"""What the log cleaner may clean, and which log it cleans next (Kafka: `LogCleanerManager`, `LogToClean`).

Rules (kafka-semantics.md P2.316-318, P.300):
1. First dirty offset: the log's cleaner checkpoint (where the last pass ended). It is reset to
   the log start offset when it lies below the log start or above the LEO.
2. First uncleanable offset: the minimum of the LSO (which is at or below the HW), the active
   segment's base offset and, when `min.compaction.lag.ms` > 0, the base offset of the first
   dirty inactive segment whose largest timestamp (its file time when it has none) > now - the
   lag; never below the first dirty offset. So the active segment and anything not yet stable
   are never cleaned.
3. Cleaning works on whole segments: the cleanable range ends at the base offset of the inactive
   segment holding the first uncleanable offset (the active segment's base when none does).
   Cleanable bytes are the sizes of the segments from the one holding the first dirty offset up
   to there; clean bytes those of the segments starting below the first dirty offset. The dirty
   ratio is cleanable / (clean + cleanable).
4. A log with no bytes is skipped. A log is eligible when its dirty ratio >
   `min.cleanable.dirty.ratio` (strictly), or when `max.compaction.lag.ms` forces it: it has
   cleanable bytes and the earliest first-batch timestamp (> 0) of its dirty inactive segments
   is older than now - `max.compaction.lag.ms`.
5. The filthiest eligible log is cleaned next: the highest dirty ratio; a tie goes to the first
   topic-partition in (topic, partition) order.

Simplification: logs are chosen among one broker's logs (Kafka: one cleaner thread, the default
`log.cleaner.threads`=1, over all the broker's log directories); no log is ever marked uncleanable,
since no pass can fail here.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable

from minikafka.storage.log import PartitionLog
from minikafka.storage.log_config import LogConfig


@dataclass(frozen=True)
class LogToClean:
    """A compacted log as the cleaner sees it (rules 1-4)."""

    tp: tuple[str, int]
    first_dirty_offset: int
    first_uncleanable_offset: int       # a segment's base offset (rule 3)
    clean_bytes: int
    cleanable_bytes: int
    needs_compaction_now: bool          # max.compaction.lag.ms forces it (rule 4)
    min_cleanable_ratio: float

    @property
    def name(self) -> str:
        return f"{self.tp[0]}-{self.tp[1]}"

    @property
    def total_bytes(self) -> int:
        return self.clean_bytes + self.cleanable_bytes

    @property
    def cleanable_ratio(self) -> float:
        return self.cleanable_bytes / self.total_bytes if self.total_bytes else 0.0

    @property
    def eligible(self) -> bool:
        """Rule 4."""
        if self.total_bytes <= 0:
            return False
        return (self.needs_compaction_now and self.cleanable_bytes > 0) or \
            self.cleanable_ratio > self.min_cleanable_ratio


def floor_segment(log: PartitionLog, offset: int) -> int:
    """Index of the segment holding `offset` (the first segment for an offset below them all)."""
    bases = [s.base_offset for s in log.segments]
    return max(bisect_right(bases, offset) - 1, 0)


def segments_between(log: PartitionLog, lo: int, hi: int) -> range:
    """Indexes of the segments overlapping [lo, hi): from the one holding `lo` to the last one
    starting below `hi` (Kafka: `logSegments(from, to)`)."""
    if hi <= lo:
        return range(0)
    segs = log.segments
    first = floor_segment(log, lo)
    end = first
    while end < len(segs) and segs[end].base_offset < hi:
        end += 1
    return range(first, end)


def first_dirty_offset(log: PartitionLog) -> int:
    """Rule 1."""
    checkpoint = log.cleaner_checkpoint
    if checkpoint < log.log_start_offset or checkpoint > log.log_end_offset:
        return log.log_start_offset
    return checkpoint


def first_uncleanable_offset(log: PartitionLog, first_dirty: int, lso: int, now: int, min_lag_ms: int) -> int:
    """Rule 2 (an offset, not yet aligned on a segment)."""
    active_base = log.segments[-1].base_offset
    bound = min(lso, active_base)
    if min_lag_ms > 0:
        for i in segments_between(log, first_dirty, active_base):
            seg = log.segments[i]
            if seg.timestamp_for_retention() > now - min_lag_ms:
                bound = min(bound, seg.base_offset)
                break
    return max(first_dirty, bound)


def cleanable_bytes(log: PartitionLog, first_dirty: int, uncleanable: int) -> tuple[int, int]:
    """Rule 3: (the base offset where cleaning stops, the cleanable bytes below it)."""
    segs = log.segments
    active_base = segs[-1].base_offset
    end = segs[floor_segment(log, uncleanable)].base_offset if uncleanable < active_base else active_base
    size = sum(segs[i].size for i in segments_between(log, min(first_dirty, end), end))
    return end, size


def max_compaction_delay(log: PartitionLog, first_dirty: int, now: int, max_lag_ms: int) -> int:
    """Rule 4: how long past `max.compaction.lag.ms` the oldest dirty inactive segment is (0: not)."""
    segs = log.segments
    stamps = [segs[i].rolling_base_timestamp for i in segments_between(log, first_dirty, segs[-1].base_offset)]
    stamps = [t for t in stamps if t > 0]
    if not stamps:
        return 0
    clean_until = now - max(max_lag_ms, 0)
    earliest = min(stamps)
    return clean_until - earliest if earliest < clean_until else 0


def log_to_clean(tp: tuple[str, int], log: PartitionLog, lso: int, now: int, cfg: LogConfig) -> LogToClean:
    """Rules 1-4 for one compacted log."""
    dirty = first_dirty_offset(log)
    uncleanable = first_uncleanable_offset(log, dirty, lso, now, cfg.min_compaction_lag_ms)
    end, dirty_bytes = cleanable_bytes(log, dirty, uncleanable)
    clean = sum(s.size for s in log.segments if s.base_offset < dirty)
    forced = max_compaction_delay(log, dirty, now, cfg.max_compaction_lag_ms) > 0
    return LogToClean(tp, dirty, end, clean, dirty_bytes, forced, cfg.min_cleanable_dirty_ratio)


def filthiest(logs: Iterable[LogToClean]) -> LogToClean | None:
    """Rule 5: the eligible log to clean next, or None."""
    eligible = [ltc for ltc in logs if ltc.eligible]
    if not eligible:
        return None
    return min(eligible, key=lambda ltc: (-ltc.cleanable_ratio, ltc.tp))
