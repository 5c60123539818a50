"""Exercises 12.1-12.2 (notebook 12, queues: share groups): what happens to a record after an
acknowledgement or a lock expiry, and which members fetch from which partitions."""
from __future__ import annotations

from typing import Sequence

from . import exercise


@exercise("12.1", reference="minikafka.course.lessons.nb12:next_state")
def next_state(delivery_count: int, action: str, delivery_limit: int = 5) -> str:
    """Predict a record's state after one action.

    The record is Acquired by a share consumer and has been delivered `delivery_count` times
    (1 on its first delivery). `action` is what happens next: "ACCEPT", "RELEASE" or "REJECT"
    (the consumer's acknowledgement), or "LOCK_EXPIRED" (the consumer never answered and its
    acquisition lock ran out). `delivery_limit` is the broker's
    `group.share.delivery.count.limit`. Return the record's new state: "Acknowledged",
    "Available" or "Archived".

    >>> next_state(1, "RELEASE")   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 12.1 (exercises/ex12_share_groups.py)")


@exercise("12.2", reference="minikafka.course.lessons.nb12:share_assignment")
def share_assignment(members: Sequence[str], partitions: int) -> dict[str, list[int]]:
    """Which partitions of one topic each member of a share group fetches from (the broker's
    `simple` assignor, as this course models it).

    Sort the member ids and number the partitions 0 .. partitions-1. With at least as many
    members as partitions, the i-th member (in sorted order) fetches from partition
    i % partitions, so several members share a partition. With fewer members, partition j goes
    to the member j % len(members). Return member id -> sorted list of partitions, every member
    present ([] when there are no partitions).

    >>> share_assignment(["a", "b", "c"], 2)   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 12.2 (exercises/ex12_share_groups.py)")
