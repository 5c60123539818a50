"""Protocol messages, named after Kafka's requests.

Rules:
- Every message has a `kind` (its class name, as in the trace) and `summary()`: the plain
  fields the trace records. Summaries carry offsets and counts, never record contents.
- Requests from clients carry a correlation id `cid`; the response echoes it.
- A topic-partition travels as a (topic, partition) tuple.
- Messages are slotted dataclasses (`slots=True`): fixed fields and no per-instance dict, so
  the many messages a run keeps (the trace holds each until its summary is read) stay small.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import RecordBatch

TP = tuple  # (topic, partition)


def _tp(tp: TP) -> str:
    return f"{tp[0]}-{tp[1]}"


@dataclass(frozen=True, slots=True)
class PartitionState:
    """The controller's record of one partition."""

    topic: str
    partition: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int
    leader_epoch: int
    partition_epoch: int

    @property
    def tp(self) -> TP:
        return (self.topic, self.partition)


class Msg:
    __slots__ = ()
    kind = "Msg"

    def summary(self) -> dict[str, Any]:
        return {}


def _kind(cls):
    cls.kind = cls.__name__
    return cls


# -- metadata ----------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class MetadataRequest(Msg):
    cid: int
    topics: tuple[str, ...] | None

    def summary(self):
        return {"topics": self.topics or "all"}


@_kind
@dataclass(slots=True)
class MetadataResponse(Msg):
    cid: int
    brokers: tuple[int, ...]
    partitions: dict[str, tuple[PartitionState, ...]]
    unknown: tuple[str, ...]

    def summary(self):
        return {"topics": tuple(sorted(self.partitions)), "unknown": self.unknown}


# -- produce -----------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class ProduceRequest(Msg):
    cid: int
    acks: int
    timeout_ms: int
    batches: list[tuple[TP, RecordBatch]]
    transactional_id: str | None = None

    def summary(self):
        out: dict[str, Any] = {"acks": "all" if self.acks == -1 else self.acks}
        out["batches"] = tuple(f"{_tp(tp)}:{b.count}" + (f"@seq{b.base_sequence}" if b.base_sequence >= 0 else "")
                               for tp, b in self.batches)
        pid = self.batches[0][1].producer_id if self.batches else -1
        if pid >= 0:
            out["pid"] = pid
            out["epoch"] = self.batches[0][1].producer_epoch
        return out


@_kind
@dataclass(slots=True)
class ProduceResponse(Msg):
    cid: int
    results: list[tuple[TP, str | None, int]]        # (tp, error name or None, base offset)

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}


# -- fetch -------------------------------------------------------------------------------
@dataclass(slots=True)
class FetchPartition:
    tp: TP
    fetch_offset: int
    current_leader_epoch: int
    last_fetched_epoch: int = -1


@dataclass(slots=True)
class FetchPartitionResult:
    tp: TP
    error: str | None
    high_watermark: int = -1
    last_stable_offset: int = -1
    log_start_offset: int = 0
    batches: list[RecordBatch] = field(default_factory=list)
    diverging_epoch: tuple[int, int] | None = None      # (epoch, end offset) per KIP-279
    aborted: tuple[tuple[int, int], ...] = ()           # (producer id, first offset)
    leader_epoch: int = -1


@_kind
@dataclass(slots=True)
class FetchRequest(Msg):
    cid: int
    replica_id: int                 # broker id of a follower, -1 for a consumer
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    partitions: list[FetchPartition]
    isolation: str = "read_uncommitted"

    def summary(self):
        """Internal topics' partitions are counted, not listed (there are 50 of each)."""
        out: dict[str, Any] = {"replica": self.replica_id,
                               "parts": tuple(f"{_tp(p.tp)}@{p.fetch_offset}" for p in self.partitions
                                              if not p.tp[0].startswith("__"))}
        internal = sum(1 for p in self.partitions if p.tp[0].startswith("__"))
        if internal:
            out["internal"] = internal
        return out


@_kind
@dataclass(slots=True)
class FetchResponse(Msg):
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


@_kind
@dataclass(slots=True)
class ListOffsetsRequest(Msg):
    cid: int
    partitions: list[tuple[TP, int]]          # (tp, -2 earliest | -1 latest)
    isolation: str = "read_uncommitted"

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:{'earliest' if ts == -2 else 'latest'}" for tp, ts in self.partitions)}


@_kind
@dataclass(slots=True)
class ListOffsetsResponse(Msg):
    cid: int
    results: list[tuple[TP, str | None, int]]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}


# -- controller --------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class BrokerRegistration(Msg):
    broker_id: int
    incarnation: int

    def summary(self):
        return {"broker": self.broker_id, "incarnation": self.incarnation}


@_kind
@dataclass(slots=True)
class BrokerHeartbeat(Msg):
    broker_id: int
    incarnation: int
    metadata_version: int

    def summary(self):
        return {"broker": self.broker_id, "version": self.metadata_version}


@_kind
@dataclass(slots=True)
class BrokerHeartbeatResponse(Msg):
    fenced: bool
    registered: bool

    def summary(self):
        return {"fenced": self.fenced}


@_kind
@dataclass(slots=True)
class UpdateMetadata(Msg):
    """A metadata delta (or, with `full`, a snapshot) pushed by the controller."""

    version: int
    partitions: tuple[PartitionState, ...]
    topic_configs: dict[str, dict[str, Any]]
    live_brokers: tuple[int, ...]
    full: bool = False
    deleted: tuple[str, ...] = ()

    def summary(self):
        out: dict[str, Any] = {"version": self.version, "live": self.live_brokers}
        if self.full:
            out["full"] = True
        out["parts"] = tuple(f"{_tp(s.tp)}:L{s.leader}e{s.leader_epoch} isr={list(s.isr)}"
                             for s in self.partitions[:6])
        if len(self.partitions) > 6:
            out["more"] = len(self.partitions) - 6
        return out


@_kind
@dataclass(slots=True)
class AlterPartition(Msg):
    broker_id: int
    tp: TP
    leader_epoch: int
    partition_epoch: int
    new_isr: tuple[int, ...]

    def summary(self):
        return {"tp": _tp(self.tp), "isr": self.new_isr, "leader_epoch": self.leader_epoch}


@_kind
@dataclass(slots=True)
class AlterPartitionResponse(Msg):
    tp: TP
    error: str | None
    state: PartitionState | None

    def summary(self):
        out: dict[str, Any] = {"tp": _tp(self.tp), "error": self.error or "none"}
        if self.state:
            out["isr"] = self.state.isr
        return out


# -- producer ids ------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class InitProducerIdRequest(Msg):
    cid: int
    transactional_id: str | None = None
    transaction_timeout_ms: int = -1

    def summary(self):
        return {"txn_id": self.transactional_id} if self.transactional_id else {}


@_kind
@dataclass(slots=True)
class InitProducerIdResponse(Msg):
    cid: int
    error: str | None
    producer_id: int
    producer_epoch: int

    def summary(self):
        return {"error": self.error or "none", "pid": self.producer_id, "epoch": self.producer_epoch}


# -- consumer position validation (KIP-320) ---------------------------------------------------
@_kind
@dataclass(slots=True)
class OffsetsForLeaderEpochRequest(Msg):
    cid: int
    partitions: list[tuple[TP, int, int]]      # (tp, current leader epoch, epoch to look up)

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:epoch{e}" for tp, _, e in self.partitions)}


@_kind
@dataclass(slots=True)
class OffsetsForLeaderEpochResponse(Msg):
    cid: int
    results: list[tuple[TP, str | None, int, int]]    # (tp, error, epoch, end offset)

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'} epoch{e}@{off}" for tp, err, e, off in self.results)}


# -- coordinators (transactions and groups) --------------------------------------------------
@dataclass(slots=True)
class ErrorResponse(Msg):
    """A response that carries only an error (or None)."""
    cid: int
    error: str | None

    def summary(self):
        return {"error": self.error or "none"}


@dataclass(slots=True)
class PartitionResults(Msg):
    """A response with one error (or None) per partition."""
    cid: int
    results: tuple[tuple[TP, str | None], ...]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}" for tp, err in self.results)}



@_kind
@dataclass(slots=True)
class FindCoordinatorRequest(Msg):
    cid: int
    key: str
    key_type: str              # "transaction" or "group"

    def summary(self):
        return {"key": self.key, "type": self.key_type}


@_kind
@dataclass(slots=True)
class FindCoordinatorResponse(Msg):
    cid: int
    error: str | None
    node_id: int

    def summary(self):
        return {"error": self.error or "none", "node": self.node_id}


@_kind
@dataclass(slots=True)
class CreateTopicsRequest(Msg):
    """A broker asks the controller for an internal topic (auto-created on first use)."""
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, Any]

    def summary(self):
        return {"topic": self.name, "partitions": self.partitions, "rf": self.replication_factor}


# -- transactions ---------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class AddPartitionsToTxnRequest(Msg):
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    partitions: tuple[TP, ...]

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "parts": tuple(_tp(tp) for tp in self.partitions)}


@_kind
@dataclass(slots=True)
class AddPartitionsToTxnResponse(PartitionResults):
    pass


@_kind
@dataclass(slots=True)
class AddOffsetsToTxnRequest(Msg):
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    group_id: str

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "group": self.group_id}


@_kind
@dataclass(slots=True)
class AddOffsetsToTxnResponse(ErrorResponse):
    pass


@_kind
@dataclass(slots=True)
class EndTxnRequest(Msg):
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    committed: bool

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "result": "COMMIT" if self.committed else "ABORT"}


@_kind
@dataclass(slots=True)
class EndTxnResponse(ErrorResponse):
    pass


@_kind
@dataclass(slots=True)
class WriteTxnMarkersRequest(Msg):
    """Coordinator -> partition leader: append a COMMIT or ABORT marker to each partition."""
    cid: int
    producer_id: int
    producer_epoch: int
    committed: bool
    coordinator_epoch: int
    partitions: tuple[TP, ...]

    def summary(self):
        return {"pid": self.producer_id, "epoch": self.producer_epoch,
                "marker": "COMMIT" if self.committed else "ABORT",
                "parts": tuple(_tp(tp) for tp in self.partitions)}


@_kind
@dataclass(slots=True)
class WriteTxnMarkersResponse(PartitionResults):
    pass


# -- committed offsets ------------------------------------------------------------------------
@_kind
@dataclass(slots=True)
class TxnOffsetCommitRequest(Msg):
    cid: int
    transactional_id: str
    group_id: str
    producer_id: int
    producer_epoch: int
    generation: int
    member_id: str
    offsets: tuple[tuple[TP, int], ...]

    def summary(self):
        return {"group": self.group_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "generation": self.generation, "offsets": tuple(f"{_tp(tp)}:{o}" for tp, o in self.offsets)}


@_kind
@dataclass(slots=True)
class OffsetCommitRequest(Msg):
    cid: int
    group_id: str
    generation: int
    member_id: str
    offsets: tuple[tuple[TP, int], ...]

    def summary(self):
        return {"group": self.group_id, "generation": self.generation,
                "offsets": tuple(f"{_tp(tp)}:{o}" for tp, o in self.offsets)}


@_kind
@dataclass(slots=True)
class OffsetCommitResponse(PartitionResults):
    """Also the answer to TxnOffsetCommit."""


@_kind
@dataclass(slots=True)
class OffsetFetchRequest(Msg):
    cid: int
    group_id: str
    partitions: tuple[TP, ...]
    require_stable: bool = True

    def summary(self):
        return {"group": self.group_id, "parts": tuple(_tp(tp) for tp in self.partitions)}


@_kind
@dataclass(slots=True)
class OffsetFetchResponse(Msg):
    cid: int
    error: str | None
    offsets: tuple[tuple[TP, int, str | None], ...]     # (tp, committed offset or -1, error)

    def summary(self):
        return {"error": self.error or "none",
                "offsets": tuple(f"{_tp(tp)}:{o}" + (f"({e})" if e else "") for tp, o, e in self.offsets)}


# -- consumer groups (classic protocol) -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupProtocol:
    """One assignor a member supports, with its subscription metadata."""
    name: str
    topics: tuple[str, ...]
    owned: tuple[TP, ...] = ()
    generation: int = -1


@_kind
@dataclass(slots=True)
class JoinGroupRequest(Msg):
    cid: int
    group_id: str
    member_id: str
    client_id: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocols: tuple[GroupProtocol, ...]

    def summary(self):
        return {"group": self.group_id, "member": self.member_id or "new",
                "protocols": tuple(p.name for p in self.protocols),
                "topics": self.protocols[0].topics if self.protocols else ()}


@_kind
@dataclass(slots=True)
class JoinGroupResponse(Msg):
    cid: int
    error: str | None
    generation: int = -1
    protocol: str = ""
    leader: str = ""
    member_id: str = ""
    members: tuple[tuple[str, GroupProtocol], ...] = ()     # leader only: (member id, its metadata)

    def summary(self):
        out: dict[str, Any] = {"error": self.error or "none"}
        if self.error is None:
            out.update(generation=self.generation, protocol=self.protocol, leader=self.leader,
                       member=self.member_id)
            if self.members:
                out["members"] = tuple(m for m, _ in self.members)
        return out


@_kind
@dataclass(slots=True)
class SyncGroupRequest(Msg):
    cid: int
    group_id: str
    generation: int
    member_id: str
    assignments: tuple[tuple[str, tuple[TP, ...]], ...] = ()   # from the leader only

    def summary(self):
        out: dict[str, Any] = {"group": self.group_id, "generation": self.generation, "member": self.member_id}
        if self.assignments:
            out["assignment"] = tuple(f"{m}:" + "+".join(_tp(tp) for tp in tps) for m, tps in self.assignments)
        return out


@_kind
@dataclass(slots=True)
class SyncGroupResponse(Msg):
    cid: int
    error: str | None
    assignment: tuple[TP, ...] = ()

    def summary(self):
        return {"error": self.error or "none", "assignment": tuple(_tp(tp) for tp in self.assignment)}


@_kind
@dataclass(slots=True)
class HeartbeatRequest(Msg):
    cid: int
    group_id: str
    generation: int
    member_id: str

    def summary(self):
        return {"group": self.group_id, "generation": self.generation, "member": self.member_id}


@_kind
@dataclass(slots=True)
class HeartbeatResponse(ErrorResponse):
    pass


@_kind
@dataclass(slots=True)
class LeaveGroupRequest(Msg):
    cid: int
    group_id: str
    member_id: str

    def summary(self):
        return {"group": self.group_id, "member": self.member_id}


@_kind
@dataclass(slots=True)
class LeaveGroupResponse(ErrorResponse):
    pass
