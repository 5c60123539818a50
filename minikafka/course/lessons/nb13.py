"""References for notebook 13, storage: segments, retention and compaction (kafka-semantics.md P.304-313, P2).

Rules:
1. Which segments one retention pass deletes (`retention_deletes`): the broker's own pass
   (storage/log_retention.py) on a log holding the segments given, each as (base offset,
   size in bytes, newest record's timestamp); the last one is the active segment, which ends at
   the log end offset. Size retention first, then time retention; each walk stops at the first
   segment it keeps, and nothing at or above the high watermark goes.
2. When a slow consumer is overtaken (`overtaken`): a producer writes offset i at i seconds
   (i = 0, 1, 2, ...); every segment holds `per_segment` records (segment k holds offsets
   k*per_segment .. (k+1)*per_segment - 1, its newest record written at ((k+1)*per_segment - 1)
   seconds); retention passes run at every multiple of `check_interval_ms` (from
   `check_interval_ms` on) and delete, oldest first, every segment but the active one whose
   newest record is more than `retention_ms` old at that instant (the producer never stops, so
   the active segment is never complete below the high watermark). A consumer starts at offset
   0 at time 0 and asks for one record at a time, `reads_per_minute` a minute (fewer than the
   producer's 60): at t ms its position is t * reads_per_minute // 60000.
   The answer is the first pass that leaves the consumer's position below the log start, as
   (that pass's time in ms, where the consumer resumes): with `auto.offset.reset=earliest`
   the log start after that pass, with `latest` the log end then (the offset the producer
   writes next). (None, None) if no pass overtakes it within `horizon_ms`.
3. What survives a compaction (`compaction_survivors`, P2.317-321, 323): the records given are
   the offsets 0, 1, 2, ... of a compacted partition, none cleaned before; the offsets from
   `active_from` on are the active segment, the ones below it rolled segments, all dirty. One
   pass of the broker's log cleaner (storage/log_cleaner.py) keeps every record of the active
   segment, untouched, and below `active_from` only a record that has a key and is the last
   record with that key below `active_from` (a later record of the same key in the active
   segment does not count: the offset map covers the cleanable range only). Keyless records
   below it go. A tombstone (value None) that is the last of its key is kept, and its batch
   stamped with a delete horizon (pass time + `delete.retention.ms`). With
   `tombstones_expired`, a second pass runs at that horizon, with nothing written in between
   (its dirty range is empty): it removes exactly those tombstones, and nothing else. The
   answer is the offsets left, ascending, as they were written (compaction leaves gaps, it
   never renumbers).
"""
from __future__ import annotations

from typing import Sequence

from minikafka.storage.log import PartitionLog
from minikafka.storage.log_cleaner import clean
from minikafka.storage.log_cleaner_manager import log_to_clean
from minikafka.storage.log_config import LogConfig
from minikafka.storage.log_retention import delete_old_segments
from minikafka.storage.log_segment import LogSegment
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size


def retention_deletes(segments: Sequence[tuple[int, int, int]], log_end: int, now: int, retention_ms: int,
                      retention_bytes: int = -1, hw: int | None = None) -> list[int]:
    """Rule 1: the base offsets of the segments a pass at `now` deletes (`hw` defaults to the
    log end offset)."""
    log = PartitionLog()
    log.segments = []
    for base, size, newest in segments:
        seg = LogSegment(base)
        seg.size, seg.largest_timestamp, seg.rolling_base_timestamp = size, newest, newest
        log.segments.append(seg)
    log.log_start_offset = segments[0][0] if segments else 0
    log.log_end_offset = log_end
    cfg = LogConfig({"segment.bytes": 2**31 - 1, "segment.ms": 2**62, "segment.jitter.ms": 0,
                     "retention.ms": retention_ms, "retention.bytes": retention_bytes, "cleanup.policy": ("delete",)})
    gone: list[int] = []
    for _, bases in delete_old_segments(log, log_end if hw is None else hw, now, cfg):
        gone += bases
    return gone


def overtaken(per_segment: int, retention_ms: int, check_interval_ms: int, reads_per_minute: int,
              policy: str = "earliest", horizon_ms: int = 3_600_000) -> tuple[int | None, int | None]:
    """Rule 2."""
    log_start = 0
    t = check_interval_ms
    while t <= horizon_ms:
        written = t // 1000 + 1                         # offsets 0 .. t//1000 exist at t ms
        active = (written - 1) // per_segment           # the segment the next write goes to
        k = log_start // per_segment
        while k < active and t - ((k + 1) * per_segment - 1) * 1000 > retention_ms:
            k += 1
        log_start = max(log_start, k * per_segment)
        position = t * reads_per_minute // 60000
        if position < log_start:
            return (t, log_start if policy == "earliest" else written)
        t += check_interval_ms
    return (None, None)


# one compacted log as rule 3 sees it: no roll by size or time (the active segment starts where
# the caller says), cleaned whatever its dirty ratio, delete.retention.ms at its default (24 h)
SURVIVORS_CONFIG = {"segment.bytes": 2**31 - 1, "segment.ms": 2**62, "segment.jitter.ms": 0, "retention.ms": -1,
                    "retention.bytes": -1, "cleanup.policy": ("compact",), "min.cleanable.dirty.ratio": 0.0}


def _raw(x: str | bytes | None) -> bytes | None:
    return x.encode() if isinstance(x, str) else x


def compaction_survivors(records: Sequence[tuple[str | None, str | None]], active_from: int,
                         tombstones_expired: bool = False) -> list[int]:
    """Rule 3: the offsets left after one cleaning pass over `records` (offsets 0, 1, ...), the
    active segment starting at `active_from` (0 <= active_from <= len(records)); with
    `tombstones_expired`, after a second pass at the first pass's delete horizon."""
    if not 0 <= active_from <= len(records):
        raise ValueError(f"active_from must be between 0 and len(records) = {len(records)}, got {active_from}")
    log = PartitionLog()
    for offset, (key, value) in enumerate(records):
        if offset == active_from and offset > 0:
            log.roll(offset, 0)
        rec = Record(_raw(key), _raw(value), None, 0)
        log.append_as_leader(RecordBatch([rec], BATCH_OVERHEAD + record_size(rec.key, rec.value), max_timestamp=0), 0)
    if records and active_from == len(records):
        log.roll(active_from, 0)                # an empty active segment: every record is cleanable
    cfg = LogConfig(SURVIVORS_CONFIG)
    for now in ([0, cfg.delete_retention_ms] if tombstones_expired else [0]):
        ltc = log_to_clean(("compaction_survivors", 0), log, log.log_end_offset, now, cfg)
        clean(log, ltc, now, cfg.delete_retention_ms, cfg.segment_bytes, [], {})
    return [b.base_offset + i for b in log.batches for i in range(len(b.records))]
