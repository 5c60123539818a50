"""Share groups (KIP-932, queues): membership (ShareGroupHeartbeat, API 76), records acquired and
acknowledged on partition leaders (ShareFetch 78, ShareAcknowledge 79), and the share-partition
state the share coordinator keeps in `__share_group_state` (ReadShareGroupState 84,
WriteShareGroupState 85) (Kafka: `ShareGroupHeartbeatRequest.json`, `ShareFetchRequest.json`,
`ShareAcknowledgeRequest.json`, `ReadShareGroupStateRequest.json`,
`WriteShareGroupStateRequest.json`; kafka-semantics.md O.231-O.240).

Simplifications: partitions are named by (topic, partition), not topic ids; there are no share
sessions (ShareSessionEpoch, the incremental fetch sessions); a ShareFetch carries its
acknowledgements and the partitions to fetch in full every time.

A state batch is (first offset, last offset, delivery state, delivery count) with Kafka's state
codes: 0 Available, 1 Acquired, 2 Acknowledged, 4 Archived. An acknowledgement is (first offset,
last offset, type) with Kafka's type codes: 1 Accept, 2 Release, 3 Reject (0 Gap is not used).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message
from minikafka.protocol.consumer_groups import GroupHeartbeatAnswer

AVAILABLE, ACQUIRED, ACKNOWLEDGED, ARCHIVED = 0, 1, 2, 4
ACCEPT, RELEASE, REJECT = 1, 2, 3
STATE_NAMES = {AVAILABLE: "Available", ACQUIRED: "Acquired", ACKNOWLEDGED: "Acknowledged", ARCHIVED: "Archived"}
ACK_NAMES = {ACCEPT: "ACCEPT", RELEASE: "RELEASE", REJECT: "REJECT"}

StateBatch = tuple[int, int, int, int]          # (first offset, last offset, state, delivery count)
Ack = tuple[int, int, int]                      # (first offset, last offset, acknowledge type)


@message
class ShareGroupHeartbeatRequest(Msg):
    cid: int
    group_id: str
    member_id: str                      # made by the client, never empty
    member_epoch: int                   # 0 join, -1 leave
    topics: tuple[str, ...] | None = None       # None: unchanged
    client_id: str = ""
    rack_id: str | None = None

    def summary(self):
        out: dict[str, Any] = {"group": self.group_id, "member": self.member_id, "epoch": self.member_epoch}
        if self.topics is not None:
            out["topics"] = self.topics
        return out


@message
class ShareGroupHeartbeatResponse(GroupHeartbeatAnswer):
    """The member's id and epoch, the heartbeat interval, and the partitions it fetches from."""


@message
class ShareFetchRequest(Msg):
    """Acquire records of these partitions (this broker leads them) for a member, after applying
    its acknowledgements."""
    cid: int
    group_id: str
    member_id: str
    partitions: tuple[TP, ...]
    acks: tuple[tuple[TP, tuple[Ack, ...]], ...] = ()
    max_records: int = 500
    max_wait_ms: int = 500

    def summary(self):
        out: dict[str, Any] = {"group": self.group_id, "member": self.member_id,
                               "parts": tuple(_tp(tp) for tp in self.partitions)}
        if self.acks:
            out["acks"] = tuple(f"{_tp(tp)}:" + "+".join(f"{a}-{b}:{ACK_NAMES.get(t, t)}" for a, b, t in acks)
                                for tp, acks in self.acks)
        return out


@dataclass(frozen=True, slots=True)
class ShareFetchPartition:
    """One partition of a ShareFetch answer: acquired records are (offset, delivery count, record,
    LogAppendTime?), the last their batch's timestamp type (Kafka sends the batches themselves)."""
    tp: TP
    error: str | None
    ack_error: str | None = None
    acquired: tuple[tuple[int, int, Any, bool], ...] = ()


@message
class ShareFetchResponse(Msg):
    cid: int
    error: str | None
    lock_timeout_ms: int = 0
    partitions: tuple[ShareFetchPartition, ...] = ()

    def summary(self):
        out: dict[str, Any] = {"error": self.error or "none"}
        parts = []
        for p in self.partitions:
            text = _tp(p.tp)
            if p.error or p.ack_error:
                text += f"({p.error or p.ack_error})"
            if p.acquired:
                text += f":{p.acquired[0][0]}..{p.acquired[-1][0]}"
            parts.append(text)
        out["parts"] = tuple(parts)
        return out


@message
class ShareAcknowledgeRequest(Msg):
    """Acknowledgements only (commit_sync, commit_async, close); `close` also releases every
    record this member still has acquired on these partitions."""
    cid: int
    group_id: str
    member_id: str
    acks: tuple[tuple[TP, tuple[Ack, ...]], ...]
    close: bool = False

    def summary(self):
        return {"group": self.group_id, "member": self.member_id, "close": self.close,
                "acks": tuple(f"{_tp(tp)}:" + "+".join(f"{a}-{b}:{ACK_NAMES.get(t, t)}" for a, b, t in acks)
                              for tp, acks in self.acks)}


@message
class ShareAcknowledgeResponse(Msg):
    cid: int
    error: str | None
    results: tuple[tuple[TP, str | None], ...] = ()

    def summary(self):
        return {"error": self.error or "none", "results": tuple(f"{_tp(tp)}:{e or 'ok'}" for tp, e in self.results)}


@message
class ReadShareGroupStateRequest(Msg):
    """A partition leader asks the share coordinator for a share-partition's state."""
    cid: int
    group_id: str
    tp: TP

    def summary(self):
        return {"group": self.group_id, "tp": _tp(self.tp)}


@message
class ReadShareGroupStateResponse(Msg):
    """The state: start offset (-1: never set), state epoch, and the in-flight state batches."""
    cid: int
    error: str | None
    state_epoch: int = 0
    start_offset: int = -1
    batches: tuple[StateBatch, ...] = ()

    def summary(self):
        return {"error": self.error or "none", "spso": self.start_offset, "batches": len(self.batches)}


@message
class WriteShareGroupStateRequest(Msg):
    """A partition leader persists a share-partition's state (the whole in-flight window)."""
    cid: int
    group_id: str
    tp: TP
    state_epoch: int
    start_offset: int
    batches: tuple[StateBatch, ...]

    def summary(self):
        return {"group": self.group_id, "tp": _tp(self.tp), "spso": self.start_offset,
                "batches": len(self.batches)}


@message
class WriteShareGroupStateResponse(Msg):
    cid: int
    error: str | None

    def summary(self):
        return {"error": self.error or "none"}
