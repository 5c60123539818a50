"""Consumer groups: committed offsets (OffsetCommit, OffsetFetch) and the classic group
protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) (Kafka: `OffsetCommitRequest.json`,
`JoinGroupRequest.json`, `SyncGroupRequest.json`, `HeartbeatRequest.json`,
`LeaveGroupRequest.json`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikafka.protocol.base import TP, ErrorResponse, Msg, PartitionResults, _tp, message


# -- committed offsets ------------------------------------------------------------------------
@message
class OffsetCommitRequest(Msg):
    """A consumer commits offsets for its group."""
    cid: int
    group_id: str
    generation: int
    member_id: str
    offsets: tuple[tuple[TP, int], ...]
    group_instance_id: str | None = None

    def summary(self):
        return {"group": self.group_id, "generation": self.generation,
                "offsets": tuple(f"{_tp(tp)}:{o}" for tp, o in self.offsets)}


@message
class OffsetCommitResponse(PartitionResults):
    """Also the answer to TxnOffsetCommit."""


@message
class OffsetFetchRequest(Msg):
    """A consumer (or an admin client) asks for its group's committed offsets; partitions None:
    every partition the group has an offset for (Kafka: Topics null)."""
    cid: int
    group_id: str
    partitions: tuple[TP, ...] | None
    require_stable: bool = True

    def summary(self):
        return {"group": self.group_id,
                "parts": "all" if self.partitions is None else tuple(_tp(tp) for tp in self.partitions)}


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
    user_data: bytes = b""          # an assignor's own bytes (real clients over the wire: serve/group_apis.py)


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
    group_instance_id: str | None = None            # a static member (KIP-345)

    def summary(self):
        out: dict[str, Any] = {"group": self.group_id, "member": self.member_id or "new",
                               "protocols": tuple(p.name for p in self.protocols),
                               "topics": self.protocols[0].topics if self.protocols else ()}
        if self.group_instance_id is not None:
            out["instance"] = self.group_instance_id
        return out


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
    instances: tuple[tuple[str, str], ...] = ()             # leader only: (member id, group.instance.id)
    skip_assignment: bool = False       # KIP-814: a static leader rejoined a stable group, no new assignment

    def summary(self):
        out: dict[str, Any] = {"error": self.error or "none"}
        if self.error is None:
            out.update(generation=self.generation, protocol=self.protocol, leader=self.leader,
                       member=self.member_id)
            if self.members:
                out["members"] = tuple(m for m, _ in self.members)
            if self.skip_assignment:
                out["skip_assignment"] = True
        return out


@message
class SyncGroupRequest(Msg):
    """A member asks for its assignment; the leader brings every member's."""
    cid: int
    group_id: str
    generation: int
    member_id: str
    assignments: tuple[tuple[str, tuple[TP, ...]], ...] = ()   # from the leader only
    group_instance_id: str | None = None

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
    group_instance_id: str | None = None

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
    group_instance_id: str | None = None

    def summary(self):
        return {"group": self.group_id, "member": self.member_id}


@message
class LeaveGroupResponse(ErrorResponse):
    """None, or an error."""
