"""The KIP-848 consumer group protocol: one request, ConsumerGroupHeartbeat (API 68, v1)
(Kafka: `ConsumerGroupHeartbeatRequest.json`, `ConsumerGroupHeartbeatResponse.json`;
kafka-semantics.md N.215).

A field that is None in the request means "unchanged since my last heartbeat"; a member sends
every field when it joins (epoch 0) and after an error. The response carries the assignment
only when the request was full or the member's assignment changed (None otherwise)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message


@message
class ConsumerGroupHeartbeatRequest(Msg):
    cid: int
    group_id: str
    member_id: str                      # made by the client (v1), kept across rejoins
    member_epoch: int                   # 0 join, -1 leave, -2 a static member's temporary leave
    instance_id: str | None = None
    rack_id: str | None = None
    rebalance_timeout_ms: int = -1      # -1: unchanged
    topics: tuple[str, ...] | None = None
    regex: str | None = None
    assignor: str | None = None
    owned: tuple[TP, ...] | None = None
    client_id: str = ""

    def summary(self):
        out: dict[str, Any] = {"group": self.group_id, "member": self.member_id, "epoch": self.member_epoch}
        if self.instance_id is not None:
            out["instance"] = self.instance_id
        if self.topics is not None:
            out["topics"] = self.topics
        if self.owned is not None:
            out["owned"] = tuple(_tp(tp) for tp in self.owned)
        return out


@dataclass(slots=True, eq=False)
class GroupHeartbeatAnswer(Msg):
    """What a consumer- or share-group heartbeat is answered with (the two responses share it)."""
    cid: int
    error: str | None
    member_id: str = ""
    member_epoch: int = -1
    heartbeat_interval_ms: int = 0
    assignment: tuple[TP, ...] | None = None
    error_message: str = ""

    def summary(self):
        out: dict[str, Any] = {"error": self.error or "none"}
        if self.error is None:
            out.update(member=self.member_id, epoch=self.member_epoch)
            if self.assignment is not None:
                out["assignment"] = tuple(_tp(tp) for tp in self.assignment)
        return out


@message
class ConsumerGroupHeartbeatResponse(GroupHeartbeatAnswer):
    """The member's id and epoch, the heartbeat interval, and its assignment (None: unchanged)."""
