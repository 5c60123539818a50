"""Exercises 4.1-4.3 (notebook 04, replication): the high watermark, truncation by leader
epoch, and when a follower falls out of the ISR."""
from __future__ import annotations

from typing import Mapping, Sequence

from . import exercise


@exercise("4.1", reference="minikafka.server.replication:high_watermark")
def high_watermark(leo_by_replica: Mapping[int, int], isr: Sequence[int], current_hw: int,
                   min_isr: int = 1) -> int:
    """The leader's new high watermark.

    leo_by_replica: broker id -> log end offset as the leader knows it (-1: not known yet).
    isr: the in-sync replicas, leader included. current_hw: the HW now.
    min_isr: the effective min.insync.replicas.

    The HW is the smallest LEO among the ISR members. It never moves backwards on a leader, and
    (Kafka 3.7+) it does not move at all while the ISR has fewer than min_isr members.
    """
    raise NotImplementedError("Exercise 4.1: high_watermark (exercises/ex04_replication.py)")


@exercise("4.2", reference="minikafka.course.lessons.nb04:truncation_offset")
def truncation_offset(leader_epochs: Sequence[tuple[int, int]], leader_leo: int,
                      follower_epochs: Sequence[tuple[int, int]], follower_leo: int) -> int:
    """Where a returning follower (for example the old leader) truncates its log before it
    copies the leader again (KIP-101, refined by KIP-279).

    leader_epochs, follower_epochs: each replica's leader-epoch cache, a list of
    (leader_epoch, start_offset) pairs in ascending order. Epoch e covers the offsets from its
    start offset up to the next entry's start offset, or up to the log end offset (LEO) for the
    last entry. leader_leo, follower_leo: the two LEOs. Both logs begin with the same epoch-0
    records, so both lists start with (0, 0).

    The protocol, one round:
    1. The follower asks the leader about E, the last epoch in its own cache.
    2. The leader answers with E', the largest epoch <= E in its cache, and where E' ends on
       the leader.
    3. The follower truncates to the smaller of that end and where E' ends in its own log (its
       own largest epoch <= E' and that epoch's end), and forgets the cache entries that start
       at or after the new LEO.
    Rounds repeat, with the follower's new last epoch, until a round removes nothing.
    Return the follower's LEO after the last round (its LEO now if nothing is removed).

    >>> truncation_offset([(0, 0), (1, 1)], 2, [(0, 0)], 2)   # scenario 1: the old leader
    1
    """
    raise NotImplementedError("Exercise 4.2: truncation_offset (exercises/ex04_replication.py)")


@exercise("4.3", reference="minikafka.server.replication:is_lagging")
def is_lagging(now_ms: int, last_caught_up_ms: int, replica_lag_time_max_ms: int) -> bool:
    """Whether the leader drops a follower from the ISR at time now_ms (virtual milliseconds).

    last_caught_up_ms: the last time the follower was fully caught up (its fetch reached the
    leader's LEO). replica_lag_time_max_ms: the broker setting (default 30000).

    A follower lags when it has not been caught up for MORE than replica.lag.time.max.ms.
    """
    raise NotImplementedError("Exercise 4.3: is_lagging (exercises/ex04_replication.py)")
