"""Protocol messages, named after Kafka's requests.

Rules:
- Every message has a `kind` (its class name, as in the trace) and `summary()`: the plain
  fields the trace records. Summaries carry offsets and counts, never record contents.
- Requests from clients carry a correlation id `cid`; the response echoes it.
- A topic-partition travels as a (topic, partition) tuple.
- Messages (`@message`) are slotted dataclasses: fixed fields and no per-instance dict, so the
  many messages a run keeps (the trace holds each until its summary is read) stay small. They
  compare by identity. Each has a docstring (which also spares `dataclass` from computing one
  at import).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minikafka.storage.records import RecordBatch

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
    """What every message has: a `kind` and a trace summary."""

    __slots__ = ()
    kind = "Msg"

    def summary(self) -> dict[str, Any]:
        return {}


def message(cls: type) -> type:
    """Class decorator: `cls` is a protocol message, a slotted dataclass whose `kind` is its
    class name. Messages compare by identity (eq=False): each send is a message of its own, as
    each Kafka request is, and no rule compares two messages' contents."""
    cls.kind = cls.__name__
    return dataclass(cls, slots=True, eq=False)


# -- metadata ----------------------------------------------------------------------------
@message
class MetadataRequest(Msg):
    """Which brokers are live and who leads each partition of `topics` (None: every topic)."""
    cid: int
    topics: tuple[str, ...] | None

    def summary(self):
        return {"topics": self.topics or "all"}


@message
class MetadataResponse(Msg):
    """The live brokers, the partitions of each topic asked for, and the topics the broker does not know."""
    cid: int
    brokers: tuple[int, ...]
    partitions: dict[str, tuple[PartitionState, ...]]
    unknown: tuple[str, ...]

    def summary(self):
        return {"topics": tuple(sorted(self.partitions)), "unknown": self.unknown}


# -- produce -----------------------------------------------------------------------------
@message
class ProduceRequest(Msg):
    """Batches to append to partitions this broker leads, with the producer's acks."""
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


@message
class ProduceResponse(Msg):
    """Per partition: an error, or the base offset its batch got."""
    cid: int
    results: list[tuple[TP, str | None, int]]        # (tp, error name or None, base offset)

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}


# -- fetch -------------------------------------------------------------------------------
@dataclass(slots=True)
class FetchPartition:
    """One partition of a Fetch: the offset to read from and the epochs that fence stale readers."""
    tp: TP
    fetch_offset: int
    current_leader_epoch: int
    last_fetched_epoch: int = -1


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


@message
class FetchRequest(Msg):
    """Read partitions this broker leads, as a follower (replica_id >= 0) or a consumer (-1)."""
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
    """The earliest (-2) or latest (-1) offset of each partition."""
    cid: int
    partitions: list[tuple[TP, int]]          # (tp, -2 earliest | -1 latest)
    isolation: str = "read_uncommitted"

    def summary(self):
        return {"parts": tuple(f"{_tp(tp)}:{'earliest' if ts == -2 else 'latest'}" for tp, ts in self.partitions)}


@message
class ListOffsetsResponse(Msg):
    """Per partition: an error, or the offset asked for."""
    cid: int
    results: list[tuple[TP, str | None, int]]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}


# -- controller --------------------------------------------------------------------------
@message
class BrokerRegistration(Msg):
    """A starting broker registers with the controller."""
    broker_id: int
    incarnation: int

    def summary(self):
        return {"broker": self.broker_id, "incarnation": self.incarnation}


@message
class BrokerHeartbeat(Msg):
    """A broker's periodic sign of life to the controller, with the metadata version it has applied."""
    broker_id: int
    incarnation: int
    metadata_version: int

    def summary(self):
        return {"broker": self.broker_id, "version": self.metadata_version}


@message
class BrokerHeartbeatResponse(Msg):
    """The controller's answer to a heartbeat: is the broker fenced, is it registered."""
    fenced: bool
    registered: bool

    def summary(self):
        return {"fenced": self.fenced}


@message
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


@message
class AlterPartition(Msg):
    """A partition leader asks the controller to commit a new ISR."""
    broker_id: int
    tp: TP
    leader_epoch: int
    partition_epoch: int
    new_isr: tuple[int, ...]

    def summary(self):
        return {"tp": _tp(self.tp), "isr": self.new_isr, "leader_epoch": self.leader_epoch}


@message
class AlterPartitionResponse(Msg):
    """The controller's answer to AlterPartition: an error, or the partition's new state."""
    tp: TP
    error: str | None
    state: PartitionState | None

    def summary(self):
        out: dict[str, Any] = {"tp": _tp(self.tp), "error": self.error or "none"}
        if self.state:
            out["isr"] = self.state.isr
        return out


# -- producer ids ------------------------------------------------------------------------
@message
class InitProducerIdRequest(Msg):
    """A producer asks for a producer id and epoch (with a transactional id: its coordinator does)."""
    cid: int
    transactional_id: str | None = None
    transaction_timeout_ms: int = -1

    def summary(self):
        return {"txn_id": self.transactional_id} if self.transactional_id else {}


@message
class InitProducerIdResponse(Msg):
    """An error, or the producer id and epoch."""
    cid: int
    error: str | None
    producer_id: int
    producer_epoch: int

    def summary(self):
        return {"error": self.error or "none", "pid": self.producer_id, "epoch": self.producer_epoch}


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


# -- coordinators (transactions and groups) --------------------------------------------------
@dataclass(slots=True, eq=False)
class ErrorResponse(Msg):
    """A response that carries only an error (or None)."""
    cid: int
    error: str | None

    def summary(self):
        return {"error": self.error or "none"}


@dataclass(slots=True, eq=False)
class PartitionResults(Msg):
    """A response with one error (or None) per partition."""
    cid: int
    results: tuple[tuple[TP, str | None], ...]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}" for tp, err in self.results)}



@message
class FindCoordinatorRequest(Msg):
    """Which broker coordinates this group or transactional id?"""
    cid: int
    key: str
    key_type: str              # "transaction" or "group"

    def summary(self):
        return {"key": self.key, "type": self.key_type}


@message
class FindCoordinatorResponse(Msg):
    """An error, or the coordinator's broker id."""
    cid: int
    error: str | None
    node_id: int

    def summary(self):
        return {"error": self.error or "none", "node": self.node_id}


@message
class CreateTopicsRequest(Msg):
    """A broker asks the controller for an internal topic (auto-created on first use)."""
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, Any]

    def summary(self):
        return {"topic": self.name, "partitions": self.partitions, "rf": self.replication_factor}


# -- transactions ---------------------------------------------------------------------------
@message
class AddPartitionsToTxnRequest(Msg):
    """A transactional producer adds partitions to its ongoing transaction."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    partitions: tuple[TP, ...]

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "parts": tuple(_tp(tp) for tp in self.partitions)}


@message
class AddPartitionsToTxnResponse(PartitionResults):
    """Per partition: an error, or None when added."""


@message
class AddOffsetsToTxnRequest(Msg):
    """A transactional producer adds a group's offset commit to its transaction."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    group_id: str

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "group": self.group_id}


@message
class AddOffsetsToTxnResponse(ErrorResponse):
    """None, or an error."""


@message
class EndTxnRequest(Msg):
    """Commit or abort the producer's ongoing transaction."""
    cid: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    committed: bool

    def summary(self):
        return {"txn_id": self.transactional_id, "pid": self.producer_id, "epoch": self.producer_epoch,
                "result": "COMMIT" if self.committed else "ABORT"}


@message
class EndTxnResponse(ErrorResponse):
    """None, or an error."""


@message
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


@message
class WriteTxnMarkersResponse(PartitionResults):
    """Per partition: an error, or None when the marker is written."""


# -- committed offsets ------------------------------------------------------------------------
@message
class TxnOffsetCommitRequest(Msg):
    """Offsets a transactional producer commits for a group, inside its transaction."""
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


@message
class OffsetCommitRequest(Msg):
    """A consumer commits offsets for its group."""
    cid: int
    group_id: str
    generation: int
    member_id: str
    offsets: tuple[tuple[TP, int], ...]

    def summary(self):
        return {"group": self.group_id, "generation": self.generation,
                "offsets": tuple(f"{_tp(tp)}:{o}" for tp, o in self.offsets)}


@message
class OffsetCommitResponse(PartitionResults):
    """Also the answer to TxnOffsetCommit."""


@message
class OffsetFetchRequest(Msg):
    """A consumer asks for its group's committed offsets."""
    cid: int
    group_id: str
    partitions: tuple[TP, ...]
    require_stable: bool = True

    def summary(self):
        return {"group": self.group_id, "parts": tuple(_tp(tp) for tp in self.partitions)}


@message
class OffsetFetchResponse(Msg):
    """An error, or the committed offsets."""
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


@message
class JoinGroupRequest(Msg):
    """A consumer joins (or rejoins) a group, with the protocols (assignors) it supports."""
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


@message
class JoinGroupResponse(Msg):
    """The new generation, the chosen protocol, the leader, and (for the leader) the members."""
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


@message
class SyncGroupRequest(Msg):
    """A member asks for its assignment; the leader brings every member's."""
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


@message
class SyncGroupResponse(Msg):
    """An error, or this member's assignment."""
    cid: int
    error: str | None
    assignment: tuple[TP, ...] = ()

    def summary(self):
        return {"error": self.error or "none", "assignment": tuple(_tp(tp) for tp in self.assignment)}


@message
class HeartbeatRequest(Msg):
    """A member tells its coordinator it is alive in this generation."""
    cid: int
    group_id: str
    generation: int
    member_id: str

    def summary(self):
        return {"group": self.group_id, "generation": self.generation, "member": self.member_id}


@message
class HeartbeatResponse(ErrorResponse):
    """None, or an error (REBALANCE_IN_PROGRESS: rejoin)."""


@message
class LeaveGroupRequest(Msg):
    """A member leaves its group."""
    cid: int
    group_id: str
    member_id: str

    def summary(self):
        return {"group": self.group_id, "member": self.member_id}


@message
class LeaveGroupResponse(ErrorResponse):
    """None, or an error."""
