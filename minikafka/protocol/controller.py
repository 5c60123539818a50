"""Between brokers and the controller: registration and heartbeats (liveness and fencing),
UpdateMetadata (the controller pushes partition state) and AlterPartition (a leader asks to
change the ISR) (Kafka: `BrokerRegistrationRequest.json`, `BrokerHeartbeatRequest.json`,
`AlterPartitionRequest.json`; `UpdateMetadata` is the ZooKeeper-era push that KRaft replaced)."""
from __future__ import annotations

from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message
from minikafka.protocol.metadata import PartitionState


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
