"""The records of the metadata log, `__cluster_metadata` (Kafka: the `*Record.json` schemas in
`metadata/src/main/resources/common/metadata/`; kafka-semantics.md K.81).

Rules:
1. Everything that changes metadata is one of these records, written by the active controller
   and applied by every controller and broker in offset order once committed; nothing else
   changes metadata.
2. A PartitionRecord carries a new partition's whole state; a PartitionChangeRecord only what
   changes (a field left at None is unchanged). On replay a change always bumps the partition
   epoch, and the leader epoch too when it names a leader (image.py).
3. A RegisterBrokerRecord's offset in the log is the broker's epoch; a registration starts fenced.
4. `len(record)` is its size in bytes on the wire (an estimate), as `len()` of a record value is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MetadataRecord:
    """What every record shares: a size (rule 4)."""

    __slots__ = ()
    SIZE = 16

    def __len__(self) -> int:
        return self.SIZE


@dataclass(frozen=True, slots=True)
class RegisterBrokerRecord(MetadataRecord):
    """A broker process registered (rule 3); `rack` is its `broker.rack`."""
    broker_id: int
    incarnation: int
    rack: str | None = None
    fenced: bool = True


@dataclass(frozen=True, slots=True)
class BrokerRegistrationChangeRecord(MetadataRecord):
    """A broker fenced or unfenced, or entering controlled shutdown (None: unchanged)."""
    broker_id: int
    broker_epoch: int
    fenced: bool | None = None
    in_controlled_shutdown: bool | None = None
    why: str = ""


@dataclass(frozen=True, slots=True)
class TopicRecord(MetadataRecord):
    """A new topic; its partitions follow as PartitionRecords."""
    name: str


@dataclass(frozen=True, slots=True)
class PartitionRecord(MetadataRecord):
    """A new partition's whole state (rule 2)."""
    topic: str
    partition: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0

    SIZE = 48


@dataclass(frozen=True, slots=True)
class PartitionChangeRecord(MetadataRecord):
    """What changes in one partition (rule 2): a new ISR, a new leader, new eligible leader
    replicas (ELR) or a new last known leader, in any combination."""
    topic: str
    partition: int
    isr: tuple[int, ...] | None = None
    leader: int | None = None
    why: str = ""
    elr: tuple[int, ...] | None = None
    last_known_elr: tuple[int, ...] | None = None
    leader_recovery_state: str | None = None       # "RECOVERING" after an unclean election (KIP-704)

    SIZE = 40


@dataclass(frozen=True, slots=True)
class ClearElrRecord(MetadataRecord):
    """The ELR and last known leader of every partition of `topic` emptied (its
    `min.insync.replicas` changed, so who was eligible is no longer known)."""
    topic: str


@dataclass(frozen=True, slots=True)
class RemoveTopicRecord(MetadataRecord):
    """A topic deleted."""
    name: str


@dataclass(frozen=True, slots=True)
class ConfigRecord(MetadataRecord):
    """One config key of a resource (here, a topic) set; value None removes it."""
    topic: str
    key: str
    value: Any

    SIZE = 32


@dataclass(frozen=True, slots=True)
class GroupConfigRecord(MetadataRecord):
    """One config key of a group set (Kafka: a ConfigRecord of resource type GROUP); value None
    removes it."""
    group: str
    key: str
    value: Any

    SIZE = 32


@dataclass(frozen=True, slots=True)
class FeatureLevelRecord(MetadataRecord):
    """A feature's finalized level (`metadata.version`, `transaction.version`, ...)."""
    name: str
    level: int


@dataclass(frozen=True, slots=True)
class ProducerIdsRecord(MetadataRecord):
    """A block of producer ids leased to a broker: ids below `next_producer_id` are taken."""
    broker_id: int
    broker_epoch: int
    next_producer_id: int


@dataclass(frozen=True, slots=True)
class NoOpRecord(MetadataRecord):
    """Written when nothing else was for `metadata.max.idle.interval.ms`, so that every node sees
    the log move (and how far behind it is)."""
