"""The metadata image: what a controller or a broker knows after applying the metadata log up
to some offset (Kafka: `MetadataImage`, `TopicsImage`, `ClusterImage`, `FeaturesImage`, and the
`replay` methods of the controller's managers; kafka-semantics.md K.81).

Rules:
1. The image is a pure function of the records applied, in offset order: two nodes that applied
   the same prefix of the log have the same image.
2. `apply` returns the partitions whose state changed, for the node to act on (a broker makes
   its replica leader or follower).
3. A PartitionChangeRecord bumps the partition epoch by one; when it names a leader, the leader
   epoch too (even if the leader is the same broker: a new term).
4. A broker's epoch is the offset of its latest RegisterBrokerRecord.
5. A ClearElrRecord empties the ELR and last known leader of its topic's partitions, bumping
   the partition epoch of those it changes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from minikafka.metadata.records import (BrokerRegistrationChangeRecord, ClearElrRecord, ConfigRecord, FeatureLevelRecord,
                                        GroupConfigRecord, NoOpRecord,
                                        PartitionChangeRecord, PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord,
                                        RemoveTopicRecord, TopicRecord)
from minikafka.protocol.metadata import PartitionState


@dataclass
class BrokerRegistration:
    """One broker as the metadata log has it."""

    broker_id: int
    incarnation: int
    epoch: int                          # offset of its RegisterBrokerRecord (rule 4)
    fenced: bool = True
    in_controlled_shutdown: bool = False
    rack: str | None = None


class MetadataImage:
    def __init__(self) -> None:
        self.offset = -1                                   # the last record applied
        self.topics: dict[str, list[PartitionState]] = {}
        self.topic_configs: dict[str, dict[str, Any]] = {}
        self.group_configs: dict[str, dict[str, Any]] = {}
        self.brokers: dict[int, BrokerRegistration] = {}
        self.features: dict[str, int] = {}
        self.next_producer_id = 0

    # -- queries ---------------------------------------------------------------------------
    def live_brokers(self) -> tuple[int, ...]:
        """The brokers that may hold leaderships: unfenced and not shutting down."""
        return tuple(b for b, r in sorted(self.brokers.items()) if not r.fenced and not r.in_controlled_shutdown)

    def state(self, topic: str, partition: int) -> PartitionState:
        return self.topics[topic][partition]

    def topic_config(self, topic: str, key: str) -> Any:
        return self.topic_configs[topic][key]

    # -- replay (rules 1-4) ----------------------------------------------------------------
    def apply(self, offset: int, record: Any) -> list[PartitionState]:
        self.offset = offset
        kind = type(record)
        if kind is PartitionChangeRecord:
            return [self._change(record)]
        if kind is PartitionRecord:
            st = PartitionState(record.topic, record.partition, record.replicas, record.isr, record.leader,
                                record.leader_epoch, record.partition_epoch)
            parts = self.topics.setdefault(record.topic, [])
            while len(parts) <= record.partition:
                parts.append(None)          # type: ignore[arg-type]
            parts[record.partition] = st
            return [st]
        if kind is TopicRecord:
            self.topics.setdefault(record.name, [])
            self.topic_configs.setdefault(record.name, {})
        elif kind is ConfigRecord:
            cfg = self.topic_configs.setdefault(record.topic, {})
            if record.value is None:
                cfg.pop(record.key, None)
            else:
                cfg[record.key] = record.value
        elif kind is GroupConfigRecord:
            gcfg = self.group_configs.setdefault(record.group, {})
            if record.value is None:
                gcfg.pop(record.key, None)
            else:
                gcfg[record.key] = record.value
        elif kind is RegisterBrokerRecord:
            self.brokers[record.broker_id] = BrokerRegistration(record.broker_id, record.incarnation, offset,
                                                                record.fenced, False, record.rack)
        elif kind is BrokerRegistrationChangeRecord:
            reg = self.brokers[record.broker_id]
            if record.fenced is not None:
                reg.fenced = record.fenced
            if record.in_controlled_shutdown is not None:
                reg.in_controlled_shutdown = record.in_controlled_shutdown
        elif kind is ProducerIdsRecord:
            self.next_producer_id = record.next_producer_id
        elif kind is FeatureLevelRecord:
            self.features[record.name] = record.level
        elif kind is ClearElrRecord:
            return self._clear_elr(record.topic)
        elif kind is RemoveTopicRecord:
            self.topics.pop(record.name, None)
            self.topic_configs.pop(record.name, None)
        elif kind is not NoOpRecord:
            raise TypeError(f"not a metadata record: {record!r}")
        return []

    def _change(self, rec: PartitionChangeRecord) -> PartitionState:
        parts = self.topics[rec.topic]
        st = parts[rec.partition]
        new = replace(st, partition_epoch=st.partition_epoch + 1)
        if rec.isr is not None:
            new = replace(new, isr=rec.isr)
        if rec.leader is not None:
            new = replace(new, leader=rec.leader, leader_epoch=st.leader_epoch + 1)
        if rec.elr is not None:
            new = replace(new, elr=rec.elr)
        if rec.last_known_elr is not None:
            new = replace(new, last_known_elr=rec.last_known_elr)
        parts[rec.partition] = new
        return new

    def _clear_elr(self, topic: str) -> list[PartitionState]:
        parts = self.topics.get(topic, [])
        out = []
        for i, st in enumerate(parts):
            if st.elr or st.last_known_elr:
                parts[i] = replace(st, elr=(), last_known_elr=(), partition_epoch=st.partition_epoch + 1)
                out.append(parts[i])
        return out
