"""Exercises 9.1-9.5 (notebook 09, consumer groups): the range assignor, a sticky assignor,
consumer lag, when a restart rebalances, and what the consumer protocol's coordinator answers."""
from __future__ import annotations

from typing import Mapping, Sequence

from minikafka.clients.consumer.assignors import TP, Subscription  # the assignors' input and output

from . import exercise


@exercise("9.1", reference="minikafka.clients.consumer.assignors:range_assignor")
def range_assignor(partitions_per_topic: Mapping[str, int],
                   subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    """Kafka's RangeAssignor: which partitions each member of a group gets.

    partitions_per_topic: topic -> number of partitions (a topic missing here does not exist
    yet: ignore it). subscriptions: one `Subscription` per member, with `member_id`, `topics`
    (the topics it subscribes to) and `group_instance_id` (None, or a static member's id).

    Per topic, on its own:
    1. Sort the members that subscribe to the topic: static members first (group_instance_id
       not None), by group_instance_id; then the others by member_id. Sort as strings:
       "consumer-10-..." comes before "consumer-2-...".
    2. With P partitions and C such members, the first P % C members get P // C + 1
       partitions and the others P // C, each a contiguous range, in that order: the first
       member gets partitions 0, 1, ..., the next one continues where it stopped.

    Return member_id -> sorted list of (topic, partition), with every member present ([]
    for a member that gets nothing).

    >>> range_assignor({"t": 3}, [Subscription("a", ("t",)), Subscription("b", ("t",))])
    {'a': [('t', 0), ('t', 1)], 'b': [('t', 2)]}
    """
    raise NotImplementedError("Exercise 9.1 (exercises/ex09_groups.py)")


@exercise("9.2", reference="minikafka.clients.consumer.assignors:sticky_assignor")
def sticky_assignor(partitions_per_topic: Mapping[str, int],
                    subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    """A sticky assignor: balanced first, then keep partitions where they were.

    Same input and output as `range_assignor` (exercise 9.1); each Subscription also has
    `owned`, the (topic, partition) pairs that member owned before this rebalance. In the
    check every member subscribes to the same topics and each partition is owned by at most
    one member (a partition nobody owns belonged to a member that left, or is new).

    The check does not compare with one right answer; it checks three properties:
    1. valid: every partition of the subscribed topics goes to exactly one member, and every
       member is in the result;
    2. balanced: the members' partition counts differ by at most 1;
    3. sticky: as many partitions as possible stay with the member that owned them. With P
       partitions and C members nobody may hold more than P // C + 1, and only P % C members
       may hold that many.

    >>> sticky_assignor({"t": 4}, [Subscription("a", ("t",), owned=(("t", 0), ("t", 1), ("t", 2), ("t", 3))),
    ...                            Subscription("b", ("t",))])      # b joins: a keeps two of its four
    {'a': [('t', 0), ('t', 1)], 'b': [('t', 2), ('t', 3)]}
    """
    raise NotImplementedError("Exercise 9.2 (exercises/ex09_groups.py)")


@exercise("9.3", reference="minikafka.course.lessons.nb09:partition_lag")
def partition_lag(end_offsets: Mapping[TP, int], committed: Mapping[TP, int]) -> dict[TP, int]:
    """Predict the group's lag on each partition, as the cluster reports it.

    end_offsets: (topic, partition) -> the partition's end offset (its high watermark).
    committed: (topic, partition) -> the group's committed offset; a partition missing here
    has nothing committed, and the group would start at offset 0.

    The check builds live groups that read some records, commit the way programs do
    (`commit(message=m)` after processing m, or `commit(offsets=[...])`, or not at all), and
    then see more records arrive; it gives you the offsets the cluster reports and compares your
    answer with the lag the cluster computes. What does a committed offset point at (look at
    what `commit(message=m)` stores)? Return (topic, partition) -> lag for every partition of
    end_offsets; a lag is never negative.

    >>> partition_lag({("t", 0): 10, ("t", 1): 5}, {("t", 0): 7})   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 9.3 (exercises/ex09_groups.py)")


@exercise("9.4", reference="minikafka.course.lessons.nb09:rebalances")
def rebalances(static: bool, away_ms: int, session_timeout_ms: int) -> bool:
    """Predict: does the group rebalance when one member's process is restarted?

    Two consumers of group "g" share a topic's partitions (classic protocol, eager range). One
    of them is closed with `close()`, stays away `away_ms` milliseconds while the other keeps
    polling, and a new process with the same config subscribes again. static: the consumers
    set `group.instance.id` (True) or not (False); both use `session.timeout.ms` =
    session_timeout_ms. Return True if the group went through a rebalance (a new generation)
    at any point after the close.

    The check runs each case in a live cluster and compares. Heartbeats go every 3 s, and the
    coordinator counts a session from the last one, so no case puts away_ms within a few
    seconds of session_timeout_ms.

    >>> rebalances(static=True, away_ms=2000, session_timeout_ms=10000)   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 9.4 (exercises/ex09_groups.py)")


@exercise("9.5", reference="minikafka.course.lessons.nb09:after_heartbeat")
def after_heartbeat(owned: Sequence[TP], target: Sequence[TP],
                    held_by_others: Sequence[TP]) -> tuple[str, list[TP]]:
    """Predict the coordinator's answer to one heartbeat under the consumer protocol (KIP-848).

    A member of a consumer group owns the partitions `owned`, and its heartbeat reports exactly
    those. The group's assignor has just given it a new target assignment, `target`.
    `held_by_others` are partitions that other members still own (they have not reported them
    gone yet). Return (state, partitions): the member's state after this heartbeat, one of
    "UNREVOKED_PARTITIONS", "UNRELEASED_PARTITIONS" or "STABLE", and the sorted list of
    partitions the answer tells the member to own.

    The rule to find: a member must give up what is no longer its own before it gets anything
    new, and a partition goes to a new owner only once nobody else holds it.

    >>> after_heartbeat([("t", 0), ("t", 1)], [("t", 1), ("t", 2)], [])   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 9.5 (exercises/ex09_groups.py)")
