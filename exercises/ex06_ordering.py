"""Exercises 6.1-6.3 (notebook 06, ordering and retries): a consumer-side reorder buffer, the
log order after a lost request or response, and whether a producer config lets one lost request
reorder the partition."""
from __future__ import annotations

from typing import Any, Hashable, Mapping, Sequence

from minikafka.config import MAX_INT

from . import exercise


@exercise("6.1", reference="minikafka.course.lessons.nb06:reorder")
def reorder(records: Sequence[tuple[Hashable, int, Any]]) -> list[tuple[Hashable, int, Any]]:
    """A consumer-side reorder buffer: release records per key in sequence order.

    records: (key, seq, value) tuples in the order the consumer received them. The producing
    application numbered each key's records 0, 1, 2, ... (the sequence number it put in the
    record, for example in a header).

    Return the records in the order the buffer releases them:
    - a record is released as soon as every lower sequence of its key has been released;
    - a record that arrives early (a lower sequence of its key is missing) waits; when the gap
      fills, the waiting records of that key follow at once, in sequence order;
    - a sequence already released, or already waiting, is a duplicate: drop it;
    - records still waiting at the end are not returned.
    Keys are independent: a gap in one key never holds back another key.

    >>> reorder([("a", 1, "a1"), ("b", 0, "b0"), ("a", 0, "a0"), ("a", 0, "a0"), ("a", 3, "a3")])
    [('b', 0, 'b0'), ('a', 0, 'a0'), ('a', 1, 'a1')]
    """
    raise NotImplementedError("Exercise 6.1 (exercises/ex06_ordering.py)")


@exercise("6.2", reference="minikafka.course.lessons.nb06:log_after_loss")
def log_after_loss(records: int, max_in_flight: int, idempotent: bool, lost: str,
                   retries: int = MAX_INT) -> list[int]:
    """Predict the partition's log after one lost request or response; the check runs it.

    3 brokers, one partition with 3 replicas, min.insync.replicas=2. One producer with acks=all,
    linger.ms=0, enable.idempotence=`idempotent`, max.in.flight.requests.per.connection=
    `max_in_flight` and `retries` (retries=0 only comes with idempotent=False) has written one
    warm-up record (not counted). Then it produces records 0, 1, ..., records-1 at the same
    moment:
    - the first `max_in_flight` of them go out at once, one request each, all in flight
      together on the producer's connection to the leader;
    - the others wait, all in one batch, which goes once no other request is waiting in front
      of it and a request slot is free.
    lost: "none"; "request": the network loses the first request; "response": it loses the
    leader's response to the first request (the leader had written everything in flight).
    Either loss breaks the TCP connection, and every request in flight on it fails.

    Return the record numbers in the partition in offset order (a duplicate appears twice).

    >>> log_after_loss(3, 5, False, "none")
    [0, 1, 2]
    """
    raise NotImplementedError("Exercise 6.2 (exercises/ex06_ordering.py)")


@exercise("6.3", reference="minikafka.course.lessons.nb06:can_reorder")
def can_reorder(config: Mapping[str, Any]) -> bool:
    """Predict whether one lost request reorders the partition with this producer config; the
    check runs it.

    3 brokers, one partition with 3 replicas, min.insync.replicas=2. A producer with linger.ms=0
    and `config` writes records 0 and 1. Then it produces records 2, 3 and 4 at the same moment
    (each goes out at once while a request slot is free), and the network loses the first
    ProduceRequest that leaves after record 1.

    config: a producer config as you would pass it to `c.producer(...)`, with any of the keys
    "acks" ("all", "-1", "1" or "0"), "retries", "max.in.flight.requests.per.connection" and
    "enable.idempotence" (True or False). An absent key takes Kafka 4.x's default: acks=all,
    retries=2147483647, max.in.flight.requests.per.connection=5, and enable.idempotence
    *unset*, which is not the same as set to True. Every config given is one Kafka accepts.

    Return True when the partition ends up holding a record after a later one, else False
    (records missing, or all in send order). The Kafka rules to look up: when idempotence is
    really on, what happens to the requests in flight on a broken connection, and where the
    producer puts a failed batch back.

    >>> can_reorder({"enable.idempotence": False})
    True
    """
    raise NotImplementedError("Exercise 6.3 (exercises/ex06_ordering.py)")
