"""Reading: Fetch (consumers and followers), ListOffsets (where a log starts and ends) and
OffsetsForLeaderEpoch (KIP-101/320: where an epoch ended, for truncation and position validation)
(Kafka: `FetchRequest.json`, `ListOffsetsRequest.json`, `OffsetForLeaderEpochRequest.json`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message
from minikafka.storage.records import RecordBatch


# -- fetch -------------------------------------------------------------------------------
@dataclass(slots=True)
class FetchPartition:
    """One partition of a Fetch: the offset to read from and the epochs that fence stale readers."""
    tp: TP
    fetch_offset: int
    current_leader_epoch: int
    last_fetched_epoch: int = -1
    log_start_offset: int = -1          # a follower's own log start (the leader's low watermark)
    partition_max_bytes: int = 1048576  # a consumer's max.partition.fetch.bytes (followers: the leader's
                                        # replica.fetch.max.bytes applies)


@dataclass(slots=True)
class FetchPartitionResult:
    """One partition of a FetchResponse: an error, or batches with the leader's offsets."""
    tp: TP
    error: str | None
    high_watermark: int = -1
    last_stable_offset: int = -1
    log_start_offset: int = 0
    batches: list[RecordBatch] = field(default_factory=list)
    diverging_epoch: tuple[int, int] | None = None      # (epoch, end offset) per KIP-279
    aborted: tuple[tuple[int, int], ...] = ()           # (producer id, first offset)
    leader_epoch: int = -1
    preferred_read_replica: int = -1                    # KIP-392: read from this broker instead


@message
class FetchRequest(Msg):
    """Read partitions this broker leads, as a follower (replica_id >= 0) or a consumer (-1); a
    consumer that names its rack may read from a follower (KIP-392)."""
    cid: int
    replica_id: int                 # broker id of a follower, -1 for a consumer
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    partitions: list[FetchPartition]
    isolation: str = "read_uncommitted"
    rack_id: str | None = None      # a consumer's client.rack (KIP-392); None: leaders only

    def summary(self):
        """Internal topics' partitions are counted, not listed (there are 50 of each)."""
        out: dict[str, Any] = {"replica": self.replica_id,
                               "parts": tuple(f"{_tp(p.tp)}@{p.fetch_offset}" for p in self.partitions
                                              if not p.tp[0].startswith("__"))}
        internal = sum(1 for p in self.partitions if p.tp[0].startswith("__"))
        if internal:
            out["internal"] = internal
        return out


@message
class FetchResponse(Msg):
    """The answer to a Fetch: one result per partition asked for."""
    cid: int
    partitions: list[FetchPartitionResult]

    def summary(self):
        """Internal topics' partitions are listed only when they carry data or an error."""
        parts = []
        quiet = 0
        for r in self.partitions:
            if r.error:
                parts.append(f"{_tp(r.tp)}:{r.error}")
            elif r.diverging_epoch:
                parts.append(f"{_tp(r.tp)}:diverging{r.diverging_epoch[0]}@{r.diverging_epoch[1]}")
            elif r.preferred_read_replica >= 0:
                parts.append(f"{_tp(r.tp)}:read from b{r.preferred_read_replica}")
            elif r.tp[0].startswith("__") and not r.batches:
                quiet += 1
            else:
                n = sum(b.count for b in r.batches)
                first = r.batches[0].base_offset if r.batches else -1
                parts.append(f"{_tp(r.tp)}:{n}@{first} hw={r.high_watermark}")
        out: dict[str, Any] = {"parts": tuple(parts)}
        if quiet:
            out["internal_empty"] = quiet
        return out


@message
class ListOffsetsRequest(Msg):
    """Per partition, an offset to look up: a timestamp >= 0 (the first record at or after it),
    or one of the specs EARLIEST (-2), LATEST (-1), MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4) and
    LATEST_TIERED (-5)."""
    cid: int
    partitions: list[tuple[TP, int]]          # (tp, timestamp or spec)
    isolation: str = "read_uncommitted"

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:{SPEC_NAMES.get(ts, f'ts={ts}')}" for tp, ts in self.partitions)}


SPEC_NAMES = {-1: "latest", -2: "earliest", -3: "max_timestamp", -4: "earliest_local", -5: "latest_tiered"}


@message
class ListOffsetsResponse(Msg):
    """Per partition: an error, or the offset found (-1: none); `timestamps` holds the found
    record's timestamp per partition, for timestamp and MAX_TIMESTAMP lookups (else -1)."""
    cid: int
    results: list[tuple[TP, str | None, int]]
    timestamps: tuple[int, ...] = ()

    def summary(self):
        out: dict[str, Any] = {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}
        if any(ts >= 0 for ts in self.timestamps):
            out["timestamps"] = self.timestamps
        return out


# -- DeleteRecords (KIP-107) -----------------------------------------------------------------
@message
class DeleteRecordsRequest(Msg):
    """Move each partition's log start to the offset given (-1: the high watermark), on its leader."""
    cid: int
    partitions: list[tuple[TP, int]]
    timeout_ms: int = 30000

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:before {off}" for tp, off in self.partitions)}


@message
class DeleteRecordsResponse(Msg):
    """Per partition: an error, or the low watermark (the smallest log start of its live replicas)."""
    cid: int
    results: list[tuple[TP, str | None, int]]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'} low_watermark={lw}" for tp, err, lw in self.results)}


# -- consumer position validation (KIP-320) ---------------------------------------------------
@message
class OffsetsForLeaderEpochRequest(Msg):
    """Where each asked leader epoch ends on the leader, per partition."""
    cid: int
    partitions: list[tuple[TP, int, int]]      # (tp, current leader epoch, epoch to look up)

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:epoch{e}" for tp, _, e in self.partitions)}


@message
class OffsetsForLeaderEpochResponse(Msg):
    """Per partition: an error, or the epoch found and where it ends."""
    cid: int
    results: list[tuple[TP, str | None, int, int]]    # (tp, error, epoch, end offset)

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'} epoch{e}@{off}" for tp, err, e, off in self.results)}
