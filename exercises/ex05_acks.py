"""Exercises 5.1-5.3 (notebook 05, acks and durability): what a produce request gets, which
acknowledged records a crash loses, and a configuration that loses none."""
from __future__ import annotations

from typing import Any, Sequence

from . import exercise

# what the producer sees, for exercise 5.1
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"     # refused: nothing is written
ACK_AFTER_ISR = "ACK_AFTER_ISR"                 # written; acknowledged once every ISR member has it
ACK_ON_APPEND = "ACK_ON_APPEND"                 # written; acknowledged by the leader at once
NO_ACK = "NO_ACK"                               # written; no answer ever comes


@exercise("5.1", reference="minikafka.course.lessons.nb05:produce_outcome")
def produce_outcome(acks: str, isr_size: int, min_insync: int, replication_factor: int = 3) -> tuple[str, bool]:
    """What happens to one record sent to a partition whose leader is up.

    acks: "0", "1", "all" or "-1" (the same as "all"). isr_size: how many replicas are in the
    ISR, the leader included. min_insync: the topic's min.insync.replicas.

    Return (producer_sees, visible):
    - producer_sees, one of the four constants above:
      acks=all: NOT_ENOUGH_REPLICAS when the ISR is smaller than the effective
      min.insync.replicas, which is min(min_insync, replication_factor); else ACK_AFTER_ISR.
      acks=1: ACK_ON_APPEND. acks=0: NO_ACK. (min.insync.replicas refuses only acks=all writes.)
    - visible: whether a consumer can ever read the record while the ISR stays as it is. False
      when nothing was written; also False when the ISR is smaller than the effective minimum,
      because then the high watermark does not advance (Kafka 3.7+).

    >>> produce_outcome("1", 1, 2)     # acknowledged, yet nobody can read it
    ('ACK_ON_APPEND', False)
    """
    raise NotImplementedError("Exercise 5.1 (exercises/ex05_acks.py)")


@exercise("5.2", reference="minikafka.course.lessons.nb05:acked_then_lost")
def acked_then_lost(acks: str, records: int, fetched: Sequence[int]) -> list[int]:
    """Predict which acknowledged records this crash schedule loses; the check runs it.

    3 brokers, one partition with replicas [leader, F1, F2] in assignment order,
    min.insync.replicas=2, unclean.leader.election.enable=false. A producer with `acks`
    sends records 0, 1, ..., records-1, one every 10 ms, retrying what fails.
    - Just before record fetched[0], the link leader-F1 is cut: F1 holds records
      0..fetched[0]-1. Just before record fetched[1], the link leader-F2 is cut.
      (A value >= records means that follower is never cut off.)
    - Then the leader's process crashes. After broker.session.timeout.ms (9 s) the controller
      fences it and elects a new leader: F1 and F2 are both still in the ISR (30 s have not
      passed), so F1, the first in assignment order.
    - The links heal, the old leader restarts and catches up, the producer flushes, and a
      consumer reads the partition.

    Return the records the producer was told were written (delivery report without error;
    with acks=0 every send counts) that the consumer does not see, in ascending order.
    """
    raise NotImplementedError("Exercise 5.2 (exercises/ex05_acks.py)")


@exercise("5.3", reference="minikafka.course.lessons.nb05:durable_config")
def durable_config() -> dict[str, Any]:
    """Choose a configuration for a topic with replication factor 3 and its producer.

    Requirement: no acknowledged record may be lost when brokers crash one at a time (a
    follower's process, or the leader's whole machine losing power), and writes must still be
    acknowledged while any one broker is down.

    Return {"acks": ..., "min.insync.replicas": ..., "unclean.leader.election.enable": ...}.
    The check runs your configuration through 10 seeded crash trials and a write with one
    broker down.
    """
    raise NotImplementedError("Exercise 5.3 (exercises/ex05_acks.py)")
