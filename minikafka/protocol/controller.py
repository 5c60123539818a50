"""Between brokers and the active controller: registration and heartbeats (liveness and
fencing), AlterPartition (a leader asks to change the ISR) and AllocateProducerIds (Kafka:
`BrokerRegistrationRequest.json`, `BrokerHeartbeatRequest.json`, `AlterPartitionRequest.json`,
`AllocateProducerIdsRequest.json`). Brokers learn metadata by replicating the metadata log
(protocol/raft.py), not from pushed messages: KRaft has no UpdateMetadata."""
from __future__ import annotations

from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message
from minikafka.protocol.metadata import PartitionState


# -- controller ---------------------------------------------------------------------------
@message
class BrokerRegistration(Msg):
    """A starting broker registers with the active controller. `previous_broker_epoch` comes
    from the clean-shutdown file: the epoch it had when it last stopped cleanly, -1 after a
    crash."""
    broker_id: int
    incarnation: int
    previous_broker_epoch: int = -1
    rack: str | None = None

    def summary(self):
        return {"broker": self.broker_id, "incarnation": self.incarnation}


@message
class BrokerRegistrationResponse(Msg):
    """The broker's epoch (the offset of its RegisterBrokerRecord), or an error."""
    error: str | None
    broker_epoch: int

    def summary(self):
        return {"error": self.error or "none", "broker_epoch": self.broker_epoch}


@message
class BrokerHeartbeat(Msg):
    """A broker's periodic sign of life to the active controller, with the metadata offset it
    has applied."""
    broker_id: int
    broker_epoch: int
    metadata_offset: int
    want_shutdown: bool = False

    def summary(self):
        out: dict[str, Any] = {"broker": self.broker_id, "offset": self.metadata_offset}
        if self.want_shutdown:
            out["want_shutdown"] = True
        return out


@message
class BrokerHeartbeatResponse(Msg):
    """The controller's answer to a heartbeat: is the broker fenced, has it caught up, may it
    shut down now (controlled shutdown)."""
    error: str | None
    fenced: bool
    caught_up: bool
    should_shutdown: bool = False

    def summary(self):
        out: dict[str, Any] = {"fenced": self.fenced}
        if self.should_shutdown:
            out["should_shutdown"] = True
        if self.error:
            out["error"] = self.error
        return out


@message
class AllocateProducerIdsRequest(Msg):
    """A broker asks the active controller for its next block of producer ids."""
    broker_id: int
    broker_epoch: int

    def summary(self):
        return {"broker": self.broker_id}


@message
class AllocateProducerIdsResponse(Msg):
    """A block of producer ids: `count` ids from `first`, or an error."""
    error: str | None
    first: int
    count: int

    def summary(self):
        return {"error": self.error or "none", "first": self.first, "count": self.count}


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
