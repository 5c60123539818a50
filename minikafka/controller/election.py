"""Leader election: which replica of a partition the controller makes leader
(kafka-semantics.md D.25-D.26; Kafka: `PartitionChangeBuilder` in the controller).

Rules:
1. Clean election: the first replica in assignment order that is in the ISR and live.
2. Unclean election (only when `unclean.leader.election.enable`): the first live replica in
   assignment order, in or out of the ISR; what it lacks of the old leader's log is lost.
3. Otherwise no leader (NO_LEADER): the partition is offline until an ISR member returns.
This is the rule over one pool of candidates; the controller applies it to the ISR, or to the
eligible leader replicas when the ISR is empty, before the last known leader and unclean
election (partition_change.py).
"""
from __future__ import annotations

from typing import Collection, Sequence

NO_LEADER = -1


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
