"""Replication rules as pure functions: the seams the broker, the controller and the
exercises share (kafka-semantics.md D.20-D.26).

1. High watermark: the minimum LEO over the ISR (leader included); it never moves back on a
   leader, and (Kafka 3.7+) it does not advance while the ISR is smaller than the effective
   `min.insync.replicas` = min(min.insync.replicas, replication factor).
2. A follower is caught up while its LEO equals the leader's; it leaves the ISR when it has not
   been caught up for `replica.lag.time.max.ms`.
3. A follower joins the ISR when its LEO >= the leader's HW and >= the start offset of the
   leader's current epoch.
4. Clean election: the first replica in assignment order that is in the ISR and live. Unclean
   election (only when enabled): the first live replica in assignment order. Otherwise none.
"""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

NO_LEADER = -1


def effective_min_isr(min_insync_replicas: int, replication_factor: int) -> int:
    return min(min_insync_replicas, replication_factor)


def high_watermark(leo_by_replica: Mapping[int, int], isr: Sequence[int], current_hw: int,
                   min_isr: int = 1) -> int:
    """The leader's new high watermark. `leo_by_replica` maps broker id to LEO (-1: unknown)."""
    if len(isr) < min_isr:
        return current_hw
    lowest = min([leo_by_replica.get(r, -1) for r in isr])
    return max(current_hw, lowest)


def is_lagging(now_ms: int, last_caught_up_ms: int, replica_lag_time_max_ms: int) -> bool:
    return now_ms - last_caught_up_ms > replica_lag_time_max_ms


def can_join_isr(follower_leo: int, leader_hw: int, leader_epoch_start_offset: int) -> bool:
    return follower_leo >= leader_hw and follower_leo >= leader_epoch_start_offset


def elect_leader(replicas: Sequence[int], isr: Collection[int], live: Collection[int],
                 unclean: bool = False) -> tuple[int, bool]:
    """(new leader, whether the election was unclean); NO_LEADER when nobody may lead."""
    for r in replicas:
        if r in isr and r in live:
            return r, False
    if unclean:
        for r in replicas:
            if r in live:
                return r, True
    return NO_LEADER, False
