"""Replication rules as pure functions: the high watermark and the ISR, which the leader
replica, the seams and the exercises share (kafka-semantics.md D.20-D.24; Kafka:
`Partition.scala`). Leader election is the controller's (`controller/election.py`).

1. High watermark: the minimum LEO over the ISR (leader included); it never moves back on a
   leader, and (Kafka 3.7+) it does not advance while the ISR is smaller than the effective
   `min.insync.replicas` = min(min.insync.replicas, replication factor).
2. A follower is caught up while its LEO equals the leader's; it leaves the ISR when it has not
   been caught up for `replica.lag.time.max.ms`.
3. A follower joins the ISR when its LEO >= the leader's HW and >= the start offset of the
   leader's current epoch.
"""
from __future__ import annotations

from typing import Mapping, Sequence


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
