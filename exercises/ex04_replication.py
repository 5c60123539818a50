"""Exercises 4.1-4.4 (notebook 04, replication): the high watermark, truncation by leader
epoch, when a follower falls out of the ISR, and which replica leads with eligible leader
replicas."""
from __future__ import annotations

from typing import Mapping, Sequence

from . import exercise


@exercise("4.1", reference="minikafka.server.replication:high_watermark")
def high_watermark(leo_by_replica: Mapping[int, int], isr: Sequence[int], current_hw: int,
                   min_isr: int = 1) -> int:
    """Return the leader's new high watermark.

    leo_by_replica: broker id -> log end offset as the leader knows it (-1: not known yet).
    isr: the in-sync replicas, leader included. current_hw: the HW now.
    min_isr: the effective min.insync.replicas.

    The rule: Kafka's Partition.maybeIncrementLeaderHW. The HW is the smallest LEO among the
    ISR members; it never moves backwards on a leader, and (Kafka 3.7+) it does not move at all
    while the ISR has fewer than min_isr members.
    """
    raise NotImplementedError("Exercise 4.1 (exercises/ex04_replication.py)")


@exercise("4.2", reference="minikafka.course.lessons.nb04:truncation_offset")
def truncation_offset(leader_epochs: Sequence[tuple[int, int]], leader_leo: int,
                      follower_epochs: Sequence[tuple[int, int]], follower_leo: int) -> int:
    """Predict the offset a returning follower (for example the old leader) truncates its log
    to before it copies the leader again; the check replays seeded leader crashes in the
    simulator, and compares with where the returning replica really truncated.

    leader_epochs, follower_epochs: each replica's leader-epoch cache, a list of
    (leader_epoch, start_offset) pairs in ascending order. Epoch e covers the offsets from its
    start offset up to the next entry's start offset, or up to the log end offset (LEO) for the
    last entry. leader_leo, follower_leo: the two LEOs. Both caches begin with the same epoch.

    Return the follower's LEO after the truncation (its LEO now if it removes nothing). The
    rule: KIP-101 (truncation by leader epoch), refined by KIP-279; the section "Truncation by
    leader epoch" shows one exchange.

    >>> truncation_offset([(0, 0), (1, 1)], 2, [(0, 0)], 2)   # scenario 1: the old leader
    1
    """
    raise NotImplementedError("Exercise 4.2 (exercises/ex04_replication.py)")


@exercise("4.3", reference="minikafka.server.replication:is_lagging")
def is_lagging(now_ms: int, last_caught_up_ms: int, replica_lag_time_max_ms: int) -> bool:
    """Return whether the leader counts a follower as out of sync at time now_ms (virtual
    milliseconds), so that its next ISR check drops it.

    last_caught_up_ms: the last time the follower was fully caught up (its fetch reached the
    leader's LEO). replica_lag_time_max_ms: the broker setting (default 30000).

    The rule: replica.lag.time.max.ms, as Kafka's Partition.isFollowerOutOfSync applies it.
    Mind the boundary: the code's comparison, not the documentation's wording, decides.
    """
    raise NotImplementedError("Exercise 4.3 (exercises/ex04_replication.py)")


@exercise("4.4", reference="minikafka.course.lessons.nb04:elr_leader")
def elr_leader(replicas: Sequence[int], isr: Sequence[int], elr: Sequence[int], last_known_leader: int,
               live: Sequence[int]) -> int:
    """Predict which replica the controller makes leader of a partition that has none, in a
    Kafka 4.2 cluster (eligible leader replicas on, unclean leader election off). Return its
    broker id, or -1 when no replica may lead.

    replicas: the assignment, in order. isr: the in-sync replicas, in any order (may be empty).
    elr: the eligible leader replicas, in any order (they left the ISR while it was below
    min.insync.replicas, so they hold every committed record). last_known_leader: the leader
    the partition had when its ISR emptied, or -1. live: the brokers that are up and unfenced.

    The rule: Kafka's PartitionChangeBuilder (electAnyLeader, isValidNewLeader,
    canElectLastKnownLeader); notebook 04's section on eligible leader replicas shows it at work.
    """
    raise NotImplementedError("Exercise 4.4 (exercises/ex04_replication.py)")

