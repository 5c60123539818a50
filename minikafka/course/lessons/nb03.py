"""References for notebook 03, brokers and the controller: fencing and offline partitions.

Rules (kafka-semantics.md C.15, D.22, D.25, D.26):
1. A broker heartbeats to the controller every `broker.heartbeat.interval.ms` (2000). The
   controller fences a broker whose last heartbeat is more than `broker.session.timeout.ms`
   (9000) old; exactly 9000 ms is still in time.
2. Fencing removes the broker from every ISR, but never empties an ISR: the last member stays
   listed. The controller then elects a new leader where the fenced broker led.
3. A partition has a leader only if some ISR member is live (clean election; unclean election
   is off by default). With none, the partition is offline: leader -1, no reads, no writes.
"""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from minikafka.controller.election import NO_LEADER, elect_leader


def offline_partitions(assignments: Mapping[str, Sequence[int]], isr: Mapping[str, Collection[int]],
                       live: Collection[int]) -> list[str]:
    """The partitions left without a leader when only the brokers in `live` are up, with
    unclean election off (rule 3), in the order of `assignments`."""
    return [tp for tp, replicas in assignments.items() if elect_leader(replicas, isr[tp], live)[0] == NO_LEADER]


def fenced(last_heartbeat_by_broker: Mapping[int, int], now: int, session_timeout_ms: int) -> list[int]:
    """The brokers whose session has expired at virtual time `now` (rule 1), in id order."""
    return sorted(b for b, last in last_heartbeat_by_broker.items() if now - last > session_timeout_ms)
