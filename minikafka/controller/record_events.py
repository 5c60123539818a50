"""What each committed metadata record changed, as the trace shows it (quorum_controller.py rule
7): the controller leading the quorum emits these events when a record commits.

Rules:
1. A PartitionChangeRecord that names a leader is `leader.elect` (with `unclean`, and
   `from_elr` or `last_known_leader` when the new leader came from the ELR or was the last
   known leader); one that only changes the ISR is `isr.shrink` or `isr.expand`; one that only
   changes the ELR is `elr.change`. The ELR is shown when the partition has or had one.
2. Topics, configs, brokers and producer ids: `topic.create`, `topic.delete`, `topic.config`, `elr.clear`,
   `broker.register`, `broker.controlled_shutdown`, `broker.fence`, `broker.unfence`,
   `producer_ids.allocate`. Other records (feature levels, NoOps) make no event.
"""
from __future__ import annotations

from typing import Any

from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import (BrokerRegistrationChangeRecord, ClearElrRecord, ConfigRecord, GroupConfigRecord,
                                        PartitionChangeRecord, ProducerIdsRecord, RegisterBrokerRecord,
                                        RemoveTopicRecord, TopicRecord)
from minikafka.protocol.metadata import PartitionState


def describe(image: MetadataImage, rec: Any, before: PartitionState | None) -> list[tuple[str, dict[str, Any]]]:
    """The trace events of one applied record."""
    kind = type(rec)
    if kind is PartitionChangeRecord:
        st = image.state(rec.topic, rec.partition)
        tp = f"{rec.topic}-{rec.partition}"
        out: list[tuple[str, dict[str, Any]]] = []
        elr = {"elr": st.elr} if st.elr or (before is not None and before.elr) else {}
        if rec.leader is not None:
            unclean = rec.leader_recovery_state == "RECOVERING"
            how = {}
            if before is not None and rec.leader >= 0 and rec.leader not in before.isr:
                if rec.leader in before.elr:
                    how = {"from_elr": True}
                elif unclean and before.last_known_elr == (rec.leader,):
                    how = {"last_known_leader": True}
            out.append(("leader.elect", {"tp": tp, "leader": st.leader, "epoch": st.leader_epoch, "isr": st.isr,
                                         "unclean": unclean, "why": rec.why, **elr, **how}))
        elif rec.isr is not None and before is not None:
            name = "isr.shrink" if len(st.isr) < len(before.isr) else "isr.expand"
            out.append((name, {"tp": tp, "isr": st.isr, "before": before.isr, **elr}))
        elif rec.elr is not None:
            out.append(("elr.change", {"tp": tp, "elr": st.elr, "why": rec.why}))
        return out
    if kind is TopicRecord:
        return [("topic.create", {"topic": rec.name})]
    if kind is RemoveTopicRecord:
        return [("topic.delete", {"topic": rec.name})]
    if kind is ClearElrRecord:
        return [("elr.clear", {"topic": rec.topic})]
    if kind is RegisterBrokerRecord:
        return [("broker.register", {"broker": rec.broker_id, "incarnation": rec.incarnation})]
    if kind is BrokerRegistrationChangeRecord and rec.in_controlled_shutdown:
        return [("broker.controlled_shutdown", {"broker": rec.broker_id})]
    if kind is BrokerRegistrationChangeRecord and rec.fenced is not None:
        if rec.fenced:
            return [("broker.fence", {"broker": rec.broker_id, "why": rec.why})]
        return [("broker.unfence", {"broker": rec.broker_id})]
    if kind is ConfigRecord:
        return [("topic.config", {"topic": rec.topic, "changed": (f"{rec.key}={rec.value}",)})]
    if kind is GroupConfigRecord:
        return [("group.config", {"group": rec.group, "changed": (f"{rec.key}={rec.value}",)})]
    if kind is ProducerIdsRecord:
        return [("producer_ids.allocate", {"broker": rec.broker_id, "next": rec.next_producer_id})]
    return []
