"""Partitions as the active controller changes them: placement, elections, fencing effects and
AlterPartition (Kafka: `ReplicationControlManager`, `PartitionChangeBuilder`,
`StripedReplicaPlacer`; kafka-semantics.md C.14-C.15, D.22, D.25-D.26, K.88-K.89, M.101).
Each function reads the metadata image and returns the records to write; nothing here changes
state (the records do, when applied: metadata/image.py).

Rules:
1. Placement: the first replicas round-robin over the unfenced brokers from a seeded start, the
   others shifted (rack-unaware striping); the first replica is the preferred leader. A new
   partition's ISR is all its replicas and its leader the first, at leader and partition epoch 0.
2. Election: the first replica in assignment order that is in the ISR and unfenced; otherwise,
   if the topic allows unclean election, the first unfenced replica, whose ISR becomes itself;
   otherwise the partition is offline (leader -1).
3. Fencing a broker removes it from every ISR (never emptying one: the last member stays
   listed) and elects a new leader wherever it led. Unfencing elects leaders only for offline
   partitions with a replica on it (leadership does not move back by itself).
4. AlterPartition is accepted only from the current leader with the current leader epoch and
   partition epoch (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION), for an ISR within the
   replicas that keeps the leader (INVALID_REQUEST) and adds only unfenced brokers that are not
   shutting down (INELIGIBLE_REPLICA).
5. Controlled shutdown moves a broker's partitions as fencing does (rule 3), while it still runs.
"""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.controller.election import NO_LEADER
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import ConfigRecord, PartitionChangeRecord, PartitionRecord, TopicRecord
from minikafka.protocol.metadata import PartitionState

ElectFn = Callable[..., tuple[int, bool]]


def place(live: tuple[int, ...], partitions: int, rf: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Rule 1: the replica lists of a new topic's partitions."""
    n = len(live)
    start, shift = rng.randrange(n), rng.randrange(n)
    out = []
    for p in range(partitions):
        if p > 0 and p % n == 0:
            shift += 1
        first = (p + start) % n
        replicas = [live[first]]
        for j in range(rf - 1):
            replicas.append(live[(first + 1 + (shift + j) % (n - 1)) % n])
        out.append(tuple(replicas))
    return out


def place_more(live: tuple[int, ...], have: int, total: int, rf: int) -> list[tuple[int, ...]]:
    """The replica lists of partitions have..total - 1 added to a topic: round-robin."""
    n = len(live)
    return [tuple(live[(p % n + j) % n] for j in range(rf)) for p in range(have, total)]


def create_topic_records(name: str, assignment: list[tuple[int, ...]], config: dict[str, Any]) -> list[Any]:
    records: list[Any] = [TopicRecord(name)]
    records += [ConfigRecord(name, k, v) for k, v in sorted(config.items())]
    records += [PartitionRecord(name, p, replicas, replicas, replicas[0]) for p, replicas in enumerate(assignment)]
    return records


def add_partition_records(name: str, first: int, assignment: list[tuple[int, ...]]) -> list[Any]:
    return [PartitionRecord(name, first + i, replicas, replicas, replicas[0]) for i, replicas in enumerate(assignment)]


def elect(image: MetadataImage, st: PartitionState, isr: tuple[int, ...], elect_leader: ElectFn,
          offline_ok: bool = True) -> tuple[int, tuple[int, ...], bool] | None:
    """Rule 2: (leader, ISR, unclean), or None when nobody may lead and not `offline_ok`."""
    unclean_ok = bool(image.topic_configs[st.topic].get("unclean.leader.election.enable", False))
    leader, unclean = elect_leader(st.replicas, isr, image.live_brokers(), unclean_ok)
    if leader == NO_LEADER and not offline_ok:
        return None
    return leader, ((leader,) if unclean else isr), unclean


def fence_records(image: MetadataImage, broker: int, elect_leader: ElectFn, why: str) -> list[PartitionChangeRecord]:
    """Rule 3, fencing: `image` must already show `broker` fenced."""
    out = []
    for topic in sorted(image.topics):
        for st in image.topics[topic]:
            if broker not in st.isr and st.leader != broker:
                continue
            isr = tuple(r for r in st.isr if r != broker) or st.isr
            if st.leader == broker:
                leader, isr, unclean = elect(image, st, isr, elect_leader)      # type: ignore[misc]
                out.append(PartitionChangeRecord(topic, st.partition, isr, leader,
                                                 why + (" (unclean)" if unclean else "")))
            else:
                out.append(PartitionChangeRecord(topic, st.partition, isr, None, why))
    return out


def offline_records(image: MetadataImage, elect_leader: ElectFn, why: str,
                    broker: int | None = None) -> list[PartitionChangeRecord]:
    """Rule 3, unfencing (or a retry): a leader for each offline partition (with a replica on
    `broker`, if given) that can have one now."""
    out = []
    for topic in sorted(image.topics):
        for st in image.topics[topic]:
            if st.leader == NO_LEADER and (broker is None or broker in st.replicas):
                got = elect(image, st, st.isr, elect_leader, offline_ok=False)
                if got is not None:
                    leader, isr, unclean = got
                    out.append(PartitionChangeRecord(topic, st.partition, isr if isr != st.isr else None, leader,
                                                     why + (" (unclean)" if unclean else "")))
    return out


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
