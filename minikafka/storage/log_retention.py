"""Retention: which whole segments a retention pass deletes (Kafka: `UnifiedLog.deleteOldSegments`).

Rules (kafka-semantics.md P.304-307):
1. A pass has three steps, in order: segments wholly below the log start offset; then, with
   `delete` in `cleanup.policy`, size retention; then time retention. A log without `delete`
   runs the first step only.
2. Each step walks from the oldest segment and stops at the first segment that fails its test.
   A segment is a candidate only if its upper bound (the next segment's base offset, or the
   LEO for the active segment) is at or below the HW, so the log start never passes the HW.
   A last segment that is empty is never deleted.
3. Log start: a segment goes when the next segment's base offset is at or below the log start.
4. Size (`retention.bytes` >= 0): excess = log size - `retention.bytes`; a segment goes while
   excess - its size >= 0, and the excess shrinks by it. The partition stays at or above
   `retention.bytes`, never below it.
5. Time (`retention.ms` >= 0): a segment goes when now - its largest timestamp > `retention.ms`
   (strictly). The active segment is a candidate too (once the HW reaches the LEO): one old
   record in a quiet partition is deleted with its segment.
6. When a step deletes every segment, an empty active segment is rolled at the LEO first: a
   log always has one. The log start moves to the first segment kept.
7. A tiered log (`remote_log_enabled`, kafka-semantics.md T.326, T.328) keeps its local disk by
   the local pair instead: the first step deletes segments below the local log start, size and
   time use `local.retention.bytes` / `local.retention.ms` (their -2: `retention.*`), and they
   run with an empty `cleanup.policy` too (Kafka 4.2). A segment passing a test is deleted only
   if it is already uploaded (its last offset <= the highest offset this replica knows is in
   remote storage) or lies wholly below the log start; else the walk stops. Deleting moves the
   local log start only: the log start is the remote tier's (RLMExpirationTask).
8. When a tiered log's non-empty active segment passes a test (with the HW at the LEO), the
   pass rolls it, so that the next copy can upload it and a later pass delete it.
"""
from __future__ import annotations

from typing import Callable

from minikafka.storage.log import PartitionLog
from minikafka.storage.log_config import LogConfig
from minikafka.storage.log_segment import LogSegment

Test = Callable[[LogSegment, "LogSegment | None"], bool]


def deletable(log: PartitionLog, hw: int, test: Test) -> int:
    """Rule 2: how many of the oldest segments pass `test`, walking until the first that fails."""
    return walk(log, hw, test)[0]


def walk(log: PartitionLog, hw: int, test: Test) -> tuple[int, bool]:
    """Rules 2, 7 and 8: (how many of the oldest segments go, whether to roll the active one)."""
    segs = log.segments
    tiered = log.remote_log_enabled
    n = 0
    roll = False
    for i, seg in enumerate(segs):
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        if nxt is None and seg.size == 0:
            break
        upper = nxt.base_offset if nxt is not None else log.log_end_offset
        if hw < upper or not test(seg, nxt):
            break
        if tiered:
            roll = roll or nxt is None
            if upper - 1 > log.highest_offset_in_remote_storage \
                    and (nxt is None or nxt.base_offset > log.log_start_offset):
                break                                           # not uploaded yet
        n += 1
    return n, roll


def delete_segments(log: PartitionLog, n: int, now: int) -> list[int]:
    """Rule 6: delete the `n` oldest segments; their base offsets."""
    if n <= 0:
        return []
    if n == len(log.segments):
        log.roll(log.log_end_offset, now)
    gone = [s.base_offset for s in log.segments[:n]]
    log.delete_oldest_segments(n)
    return gone


def delete_old_segments(log: PartitionLog, hw: int, now: int, cfg: LogConfig) -> list[tuple[str, list[int]]]:
    """Rule 1: one retention pass. Returns (reason, deleted base offsets) per step that deleted."""
    out: list[tuple[str, list[int]]] = []

    tiered = log.remote_log_enabled
    local = "local." if tiered else ""

    def step(reason: str, test: Test) -> None:
        n, roll = walk(log, hw, test)
        if roll and n < len(log.segments):
            log.roll(log.log_end_offset, now)                   # rule 8
        gone = delete_segments(log, n, now)
        if gone:
            out.append((reason, gone))

    step("local-log-start" if tiered else "log-start",
         lambda seg, nxt: nxt is not None and nxt.base_offset <= log.local_log_start_offset)
    if not cfg.delete and not tiered:
        return out
    limit = cfg.local_retention_bytes if tiered else cfg.retention_bytes
    if limit >= 0:
        excess = [log.size_in_bytes() - limit]
        if excess[0] >= 0:
            def over_size(seg: LogSegment, nxt: LogSegment | None) -> bool:
                if excess[0] - seg.size < 0:
                    return False
                excess[0] -= seg.size
                return True
            step(local + "retention.bytes", over_size)
    limit_ms = cfg.local_retention_ms if tiered else cfg.retention_ms
    if limit_ms >= 0:
        step(local + "retention.ms", lambda seg, nxt: now - seg.timestamp_for_retention() > limit_ms)
    return out
