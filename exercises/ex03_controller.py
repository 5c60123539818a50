"""Exercises 3.1-3.4 (notebook 03, brokers and the controller): leader election, which
partitions go offline, which brokers the controller fences, and which controller wins an
election of the controller quorum."""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from . import exercise


@exercise("3.1", reference="minikafka.controller.election:elect_leader")
def elect_leader(replicas: Sequence[int], isr: Collection[int], live: Collection[int],
                 unclean: bool = False) -> tuple[int, bool]:
    """Return the controller's choice of a leader for one partition, as
    (leader, unclean_election): the broker id and whether the choice was an unclean election,
    or (-1, False) when no replica may lead (the partition is offline).

    replicas: the assignment, in order (the first is the preferred leader).
    isr: the in-sync replicas, in any order. live: the brokers that are up (unfenced).
    unclean: the topic's unclean.leader.election.enable.

    The rule: Kafka's PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection (the
    KRaft controller's election); notebook sections 5 and 7 show it at work.
    """
    raise NotImplementedError("Exercise 3.1 (exercises/ex03_controller.py)")


@exercise("3.2", reference="minikafka.course.lessons.nb03:offline_partitions")
def offline_partitions(assignments: Mapping[str, Sequence[int]], isr: Mapping[str, Collection[int]],
                       live: Collection[int]) -> list[str]:
    """Predict which partitions go offline when only the brokers in `live` are left; the check
    runs seeded crash scenarios in the simulator and compares with what its controller reports.

    assignments: partition name (e.g. "orders-0") -> its replicas, in assignment order.
    isr: partition name -> its in-sync replicas just before the brokers died (never empty: a
    partition whose last in-sync replica died shows that replica, its eligible leader).
    live: the brokers still up (some may have just come back from an earlier crash).

    Unclean leader election is off (the default). Return the names of the partitions left
    without a leader, in the order of `assignments`. The rule is the controller's election
    (exercise 3.1).

    >>> offline_partitions({"a-0": [1, 2], "b-0": [3]}, {"a-0": [1], "b-0": [3]}, live=[2, 3])
    ['a-0']
    """
    raise NotImplementedError("Exercise 3.2 (exercises/ex03_controller.py)")


@exercise("3.3", reference="minikafka.course.lessons.nb03:fenced")
def fenced(last_heartbeat_by_broker: Mapping[int, int], now: int, session_timeout_ms: int) -> list[int]:
    """Return the ids of the brokers whose session has expired at virtual time `now`, in
    increasing order: the brokers the controller fences.

    last_heartbeat_by_broker: broker id -> virtual time (ms) of its last heartbeat the
    controller received. session_timeout_ms: broker.session.timeout.ms (9000 by default).

    The rule: broker.session.timeout.ms (KIP-631; Kafka's BrokerHeartbeatManager). A heartbeat
    exactly session_timeout_ms old is still in time.

    >>> fenced({1: 10_000, 2: 500, 3: 1_000}, 10_000, 9_000)
    [2]
    """
    raise NotImplementedError("Exercise 3.3 (exercises/ex03_controller.py)")


@exercise("3.4", reference="minikafka.course.lessons.nb03:election_winner")
def election_winner(voters: int, logs: Mapping[int, tuple[int, int]], order: Sequence[int]) -> int | None:
    """Predict which controller of the quorum becomes the leader (the active controller) after
    the old one crashed; the check compares with the quorum's rules.

    voters: how many controllers the quorum has (dead ones included). logs: each LIVE
    controller -> (last epoch, end offset) of its metadata log. order: the live controllers in
    the order their election timers expire (randomized in Kafka: who asks first is luck).
    Return the controller id that wins, or None if none can.

    The rules (Raft as KRaft runs it, KIP-595/996): the first controller whose timer expires
    asks the others for their vote; a controller grants its vote only if the candidate's log is
    at least as up to date as its own, comparing the last epoch first and only then the end
    offset; the candidate votes for itself. It wins with a majority of ALL the voters. If it
    cannot get one, the next controller in `order` tries.

    >>> election_winner(3, {2: (4, 120), 3: (4, 118)}, [3, 2])
    2
    """
    raise NotImplementedError("Exercise 3.4 (exercises/ex03_controller.py)")
