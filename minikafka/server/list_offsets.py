"""ListOffsets on a partition leader: offsets by spec and by timestamp (Kafka: `Partition.fetchOffsetForTimestamp`,
`UnifiedLog.fetchOffsetByTimestamp`).

Rules (kafka-semantics.md P.311-312):
1. Only the leader answers (else NOT_LEADER_OR_FOLLOWER, or UNKNOWN_TOPIC_OR_PART for a topic
   the broker does not know).
2. EARLIEST (-2): the log start offset (remote tier included). LATEST (-1): the HW, or the LSO
   for read_committed. EARLIEST_LOCAL (-4): the local log start, the first offset still on local
   disk (the log start, without tiered storage). LATEST_TIERED (-5): the highest offset this
   leader knows is copied to the remote tier, -1 if none or untiered (kafka-semantics.md T.326).
3. A timestamp T >= 0: the earliest record, in offset order, with timestamp >= T, searched in the
   first segment whose largest timestamp is >= T, from the log start on: for a tiered log the
   remote segments below the local log start first (KIP-1075; here without the remote read's
   latency), then the local ones. Under CreateTime, timestamps need not grow with offsets, so
   "earliest" is by offset, not by time.
4. MAX_TIMESTAMP (-3): the record with the largest timestamp; the first one if tied.
5. A lookup by timestamp or MAX_TIMESTAMP that finds nothing, or finds a record at or above the
   HW (LSO for read_committed), answers offset -1 and timestamp -1 (the client's null).
6. Just after an election, while the new leader's HW is below the offset where its epoch
   started (its LEO when it became leader: the followers have not fetched from it yet), it
   cannot say where the end is: LATEST, and a timestamp or MAX_TIMESTAMP lookup that rule 5
   would answer with -1, fail with OFFSET_NOT_AVAILABLE (retriable: clients retry). EARLIEST,
   EARLIEST_LOCAL and LATEST_TIERED answer as usual. (Kafka raises it for client requests only;
   the one ListOffsets a broker sends here, a follower's EARLIEST_LOCAL, is never refused.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from minikafka import protocol as P

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica

EARLIEST, LATEST, MAX_TIMESTAMP, EARLIEST_LOCAL, LATEST_TIERED = -2, -1, -3, -4, -5
SPECS = (EARLIEST, LATEST, MAX_TIMESTAMP, EARLIEST_LOCAL, LATEST_TIERED)


def handle(b: "Broker", msg: P.ListOffsetsRequest) -> P.ListOffsetsResponse:
    results: list[tuple[Any, str | None, int]] = []
    stamps: list[int] = []
    for tp, spec in msg.partitions:
        r = b.replicas.get(tp)
        if r is None or not r.is_leader:
            results.append((tp, "NOT_LEADER_OR_FOLLOWER", -1))
            stamps.append(-1)
            continue
        remote = b.remote_storage.segments(tp) if r.log.remote_log_enabled and spec >= 0 else ()
        offset, ts = lookup(r, spec, msg.isolation == "read_committed", remote)
        lagging = r.epoch_start_offset > r.hw
        if lagging and (spec == LATEST or offset < 0 and spec not in (EARLIEST, EARLIEST_LOCAL, LATEST_TIERED)):
            results.append((tp, "OFFSET_NOT_AVAILABLE", -1))         # rule 6
            stamps.append(-1)
            continue
        results.append((tp, None, offset))
        stamps.append(ts)
    return P.ListOffsetsResponse(msg.cid, results, tuple(stamps) if any(t >= 0 for t in stamps) else ())


def lookup(r: "Replica", spec: int, committed: bool, remote: Sequence[Any] = ()) -> tuple[int, int]:
    """(offset, timestamp) for one partition (rules 2-5); `remote`: its remote segments (rule 3)."""
    log = r.log
    if spec == EARLIEST:
        return (log.log_start_offset, -1)
    fetchable = r.lso if committed else r.hw
    if spec == LATEST:
        return (fetchable, -1)
    if spec == EARLIEST_LOCAL:
        return (local_log_start(r), -1)
    if spec == LATEST_TIERED:
        return (highest_remote_offset(r), -1)
    found = max_timestamp(r) if spec == MAX_TIMESTAMP else by_timestamp(r, spec, remote)
    if found[0] < 0 or found[0] >= fetchable:
        return (-1, -1)
    return found


def local_log_start(r: "Replica") -> int:
    return r.log.local_log_start_offset


def highest_remote_offset(r: "Replica") -> int:
    return r.log.highest_offset_in_remote_storage if r.log.remote_log_enabled else -1


def by_timestamp(r: "Replica", target: int, remote: Sequence[Any] = ()) -> tuple[int, int]:
    """Rule 3: over `remote` (the tiered log's remote segments, storage/remote_storage.py),
    then over the local segments."""
    log = r.log
    start, local_start = log.log_start_offset, log.local_log_start_offset
    for seg in remote:
        if seg.end_offset < start or seg.base_offset >= local_start or seg.max_timestamp < target:
            continue
        found = _first_at_or_after(seg.batches, target, start)
        if found[0] >= 0:
            return found
    for i, seg in enumerate(log.segments):
        if seg.largest_timestamp < target:
            continue
        return _first_at_or_after(log.segment_batches(i), target, start)
    return (-1, -1)


def _first_at_or_after(batches: Iterable[Any], target: int, start: int) -> tuple[int, int]:
    for batch in batches:
        if batch.control or batch.max_timestamp < target or batch.next_offset <= start:
            continue
        for k, rec in enumerate(batch.records):
            offset = batch.base_offset + k
            if offset >= start and rec.timestamp >= target:
                return (offset, rec.timestamp)
    return (-1, -1)


def max_timestamp(r: "Replica") -> tuple[int, int]:
    """Rule 4."""
    log = r.log
    start = log.log_start_offset
    best = (-1, -1)
    for batch in log.batches:
        if batch.control or batch.max_timestamp <= best[1]:
            continue
        for k, rec in enumerate(batch.records):
            offset = batch.base_offset + k
            if offset >= start and rec.timestamp > best[1]:
                best = (offset, rec.timestamp)
    return best
