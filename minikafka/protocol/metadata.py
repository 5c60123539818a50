"""Where things are: Metadata (brokers, partitions, leaders), FindCoordinator (which broker
coordinates a group or a transactional id) and CreateTopics (Kafka: `MetadataRequest.json`,
`FindCoordinatorRequest.json`, `CreateTopicsRequest.json`). `PartitionState` is the controller's
record of one partition, as the brokers learn it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikafka.protocol.base import TP, Msg, message


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
    elr: tuple[int, ...] = ()               # eligible leader replicas (KIP-966)
    last_known_elr: tuple[int, ...] = ()    # the last leader, while the partition has none (KIP-966)

    @property
    def tp(self) -> TP:
        return (self.topic, self.partition)


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
    features: tuple[tuple[str, int], ...] = ()      # finalized feature levels (Kafka: in ApiVersions)

    def summary(self):
        return {"topics": tuple(sorted(self.partitions)), "unknown": self.unknown}


@message
class FindCoordinatorRequest(Msg):
    """Which broker coordinates this group or transactional id?"""
    cid: int
    key: str
    key_type: str              # "transaction", "group" or "share"

    def summary(self):
        return {"key": self.key, "type": self.key_type}


@message
class FindCoordinatorResponse(Msg):
    """An error, or the coordinator's broker id."""
    cid: int
    error: str | None
    node_id: int
    features: tuple[tuple[str, int], ...] = ()      # finalized feature levels (Kafka: in ApiVersions)

    def summary(self):
        return {"error": self.error or "none", "node": self.node_id}


@message
class CreateTopicsRequest(Msg):
    """Create a topic: from an admin client (forwarded by a broker, protocol/admin.py), or from a
    broker for an internal topic on first use (`cid` -1: no answer expected)."""
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, Any]
    cid: int = -1

    def summary(self):
        return {"topic": self.name, "partitions": self.partitions, "rf": self.replication_factor}
