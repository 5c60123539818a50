"""Exercise 4.1 (notebook 04, replication): the leader's high watermark."""
from __future__ import annotations

from typing import Mapping, Sequence

from . import exercise


@exercise("4.1", reference="minikafka.replication:high_watermark")
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
