"""Exercises 3.1-3.3 (notebook 03, brokers and the controller): leader election, which
partitions go offline, and which brokers the controller fences."""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from . import exercise


@exercise("3.1", reference="minikafka.controller.election:elect_leader")
def elect_leader(replicas: Sequence[int], isr: Collection[int], live: Collection[int],
                 unclean: bool = False) -> tuple[int, bool]:
    """The controller's choice of a new leader for one partition.

    replicas: the assignment, in order (the first is the preferred leader).
    isr: the in-sync replicas. live: the brokers that are up (unfenced).
    unclean: whether unclean.leader.election.enable is true for the topic.

    Return (leader, unclean_election): the first replica in assignment order that is in the ISR
    and live; if there is none and unclean election is allowed, the first live replica (and True);
    otherwise (-1, False): the partition is offline.
    """
    raise NotImplementedError("Exercise 3.1: elect_leader (exercises/ex03_controller.py)")


@exercise("3.2", reference="minikafka.course.lessons.nb03:offline_partitions")
def offline_partitions(assignments: Mapping[str, Sequence[int]], isr: Mapping[str, Collection[int]],
                       live: Collection[int]) -> list[str]:
    """Which partitions go offline when only the brokers in `live` are left.

    assignments: partition name (e.g. "orders-0") -> its replicas, in assignment order.
    isr: partition name -> its in-sync replicas just before the brokers died (never empty).
    live: the brokers still up.

    Unclean leader election is off (the default). Return the names of the partitions that
    cannot get a leader, in the order of `assignments`.

    >>> offline_partitions({"a-0": [1, 2], "b-0": [3]}, {"a-0": [1], "b-0": [3]}, live=[2, 3])
    ['a-0']
    """
    raise NotImplementedError("Exercise 3.2: offline_partitions (exercises/ex03_controller.py)")


@exercise("3.3", reference="minikafka.course.lessons.nb03:fenced")
def fenced(last_heartbeat_by_broker: Mapping[int, int], now: int, session_timeout_ms: int) -> list[int]:
    """Which brokers the controller fences at virtual time `now`.

    last_heartbeat_by_broker: broker id -> virtual time (ms) of its last heartbeat the
    controller received. session_timeout_ms: broker.session.timeout.ms (9000 by default).

    A broker is fenced when its last heartbeat is more than session_timeout_ms old; one exactly
    session_timeout_ms old is still in time. Return the fenced broker ids, in increasing order.

    >>> fenced({1: 10_000, 2: 500, 3: 1_000}, 10_000, 9_000)
    [2]
    """
    raise NotImplementedError("Exercise 3.3: fenced (exercises/ex03_controller.py)")
