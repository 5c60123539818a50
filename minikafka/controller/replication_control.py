"""Partitions as the active controller changes them: placement, elections, fencing effects and
AlterPartition (Kafka: `ReplicationControlManager`, `PartitionChangeBuilder`,
`StripedReplicaPlacer`; kafka-semantics.md C.14-C.15, D.22, D.25-D.26, K.88-K.89, L.97, M.101).
Each function reads the metadata image and returns the records to write; nothing here changes
state (the records do, when applied: metadata/image.py).

Rules:
1. Placement: placement.py (Kafka's striped placer, rack-aware), over the registered brokers
   not in controlled shutdown. A new partition's ISR is its replicas on active brokers
   (unfenced, not shutting down) and its leader the first of them, at leader and partition
   epoch 0.
2. Election and the eligible leader replicas: partition_change.py.
3. Fencing a broker removes it from every ISR (without ELR never emptying one: the last member
   stays listed) and elects a new leader wherever it led; it stays in the ELR. Unfencing elects
   leaders only for offline partitions with a replica on it (leadership does not move back by
   itself).
4. AlterPartition is accepted only from the current leader with the current leader epoch and
   partition epoch (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION), for an ISR within the
   replicas that keeps the leader (INVALID_REQUEST) and adds only unfenced brokers that are not
   shutting down (INELIGIBLE_REPLICA).
5. Controlled shutdown moves a broker's partitions as fencing does (rule 3), while it still runs.
6. A broker that registers again after an unclean shutdown (no clean-shutdown file naming the
   broker epoch the controller has for it: a crash) leaves every ISR and every ELR: its log may
   have lost what the OS had not written (KIP-966). A clean stop keeps its ELR places.
7. Leader balance: a partition whose leader is not its preferred replica gets a preferred
   election when the preferred replica is unfenced and in the ISR (up to 1000 per run).
8. ElectLeaders: "preferred" (ELECTION_NOT_NEEDED if the preferred replica leads,
   PREFERRED_LEADER_NOT_AVAILABLE if it may not) or "unclean" (ELECTION_NOT_NEEDED if there
   is a leader; unclean election allowed whatever the topic says;
   ELIGIBLE_LEADERS_NOT_AVAILABLE if no replica is acceptable).
"""
from __future__ import annotations

from typing import Any, Callable

from minikafka.controller.election import NO_LEADER
from minikafka.controller.partition_change import ElectFn, change
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import ConfigRecord, PartitionChangeRecord, PartitionRecord, TopicRecord
from minikafka.protocol.metadata import PartitionState


def usable_brokers(image: MetadataImage) -> list[tuple[int, str | None, bool]]:
    """Rule 1: the brokers placement may use, as (id, rack, fenced)."""
    return [(b, r.rack, r.fenced) for b, r in sorted(image.brokers.items()) if not r.in_controlled_shutdown]


def _partition(image: MetadataImage, name: str, p: int, replicas: tuple[int, ...]) -> PartitionRecord:
    """Rule 1: the ISR is the replicas on active brokers, the first of them leads."""
    live = image.live_brokers()
    isr = tuple(r for r in replicas if r in live)
    return PartitionRecord(name, p, replicas, isr, isr[0])


def create_topic_records(image: MetadataImage, name: str, assignment: list[tuple[int, ...]],
                         config: dict[str, Any]) -> list[Any]:
    records: list[Any] = [TopicRecord(name)]
    records += [ConfigRecord(name, k, v) for k, v in sorted(config.items())]
    records += [_partition(image, name, p, replicas) for p, replicas in enumerate(assignment)]
    return records


def add_partition_records(image: MetadataImage, name: str, first: int, assignment: list[tuple[int, ...]]) -> list[Any]:
    return [_partition(image, name, first + i, replicas) for i, replicas in enumerate(assignment)]


def _changes(image: MetadataImage, wanted: Callable[[PartitionState], bool],
             make: Callable[[PartitionState], PartitionChangeRecord | None],
             elections_only: bool = False) -> list[PartitionChangeRecord]:
    """`make(st)` for every partition `wanted` picks, in topic order; the records that change
    something (and, with `elections_only`, elect a leader)."""
    out = []
    for topic in sorted(image.topics):
        for st in image.topics[topic]:
            if wanted(st):
                rec = make(st)
                if rec is not None and (not elections_only or rec.leader is not None):
                    out.append(rec)
    return out


def _without(isr: tuple[int, ...], broker: int) -> tuple[int, ...]:
    return tuple(r for r in isr if r != broker)


def fence_records(image: MetadataImage, broker: int, elect_leader: ElectFn, why: str) -> list[PartitionChangeRecord]:
    """Rule 3, fencing: `image` must already show `broker` fenced."""
    return _changes(image, lambda st: broker in st.isr or st.leader == broker,
                    lambda st: change(image, st, _without(st.isr, broker), elect_leader, why))


def offline_records(image: MetadataImage, elect_leader: ElectFn, why: str,
                    broker: int | None = None) -> list[PartitionChangeRecord]:
    """Rule 3, unfencing (or a retry): a leader for each offline partition (with a replica on
    `broker`, if given) that can have one now."""
    return _changes(image, lambda st: st.leader == NO_LEADER and (broker is None or broker in st.replicas),
                    lambda st: change(image, st, st.isr, elect_leader, why), elections_only=True)


def unclean_shutdown_records(image: MetadataImage, broker: int, elect_leader: ElectFn) -> list[PartitionChangeRecord]:
    """Rule 6: a broker back from an unclean shutdown leaves every ISR and ELR."""
    acceptable = tuple(b for b in image.live_brokers() if b != broker)
    return _changes(image, lambda st: broker in st.isr or broker in st.elr,
                    lambda st: change(image, st, _without(st.isr, broker), elect_leader, "unclean shutdown",
                                      acceptable=acceptable, unclean_shutdown=broker))


def alter_partition_record(image: MetadataImage, tp: tuple[str, int], new_isr: tuple[int, ...],
                           elect_leader: ElectFn) -> PartitionChangeRecord:
    """Rule 4, accepted: the new ISR (and the ELR it implies)."""
    st = image.state(*tp)
    rec = change(image, st, new_isr, elect_leader, "AlterPartition")
    return rec if rec is not None else PartitionChangeRecord(tp[0], tp[1], None, None, "AlterPartition")


def imbalanced_records(image: MetadataImage, elect_leader: ElectFn, limit: int) -> tuple[list[PartitionChangeRecord], bool]:
    """Rule 7: preferred elections for up to `limit` partitions led by another replica than
    their preferred one; and whether more may remain."""
    out: list[PartitionChangeRecord] = []
    for topic in sorted(image.topics):
        for st in image.topics[topic]:
            if st.leader == st.replicas[0]:
                continue
            if len(out) >= limit:
                return out, True
            rec = change(image, st, st.isr, elect_leader, "preferred leader", preferred=True)
            if rec is not None and rec.leader is not None:
                out.append(rec)
    return out, False


def elect_leader_records(image: MetadataImage, tps: list[tuple[str, int]], election_type: str,
                         elect_leader: ElectFn) -> tuple[list[PartitionChangeRecord], dict[tuple[str, int], str | None]]:
    """Rule 8, ElectLeaders: the records, and each partition's error (None: elected)."""
    records, results = [], {}
    for tp in tps:
        st = image.state(*tp)
        if (election_type == "preferred" and st.leader == st.replicas[0]) or \
                (election_type == "unclean" and st.leader != NO_LEADER):
            results[tp] = "ELECTION_NOT_NEEDED"
            continue
        why = "ElectLeaders" + (" (preferred)" if election_type == "preferred" else "")
        rec = change(image, st, st.isr, elect_leader, why, preferred=election_type == "preferred",
                     unclean_ok=True if election_type == "unclean" else None)
        if rec is None or rec.leader is None or rec.leader == NO_LEADER:
            results[tp] = "PREFERRED_LEADER_NOT_AVAILABLE" if election_type == "preferred" else \
                "ELIGIBLE_LEADERS_NOT_AVAILABLE"
            continue
        records.append(rec)
        results[tp] = None
    return records, results


def check_alter_partition(image: MetadataImage, broker: int, tp: tuple[str, int], leader_epoch: int,
                          partition_epoch: int, new_isr: tuple[int, ...]) -> str | None:
    """Rule 4: the error, or None."""
    topic, p = tp
    states = image.topics.get(topic)
    if states is None or p >= len(states):
        return "UNKNOWN_TOPIC_OR_PART"
    st = states[p]
    if st.leader != broker or st.leader_epoch != leader_epoch:
        return "FENCED_LEADER_EPOCH"
    if st.partition_epoch != partition_epoch:
        return "INVALID_UPDATE_VERSION"
    if any(r not in st.replicas for r in new_isr) or broker not in new_isr:
        return "INVALID_REQUEST"
    if any(r not in st.isr and (r not in image.brokers or r not in image.live_brokers()) for r in new_isr):
        return "INELIGIBLE_REPLICA"
    return None
