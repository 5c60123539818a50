"""Exercises 10.1-10.2 (notebook 10, exactly-once): one iteration of the consume-transform-produce
loop, and the configuration of the pipeline's consumer and producer."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import exercise


@exercise("10.1", reference="minikafka.course.lessons.nb10:process_batch")
def process_batch(consumer: Any, producer: Any, records: Sequence[Any], transform: Callable[[Any], Any]) -> None:
    """One iteration of the exactly-once loop, for a batch the pipeline has just consumed.

    consumer: in a group, `enable.auto.commit=False`, `isolation.level=read_committed`,
      subscribed to the input topic; `records` came from its `consume()`.
    producer: transactional (`init_transactions()` already called).
    transform(value) -> the output value of one input value.

    Write each record's transformed value, with the record's key, to the topic "out"; and make
    those outputs and the consumer's progress (its position on each assigned partition, the
    next offset to read) commit together, in one transaction, or not at all:
      begin the transaction; produce; send the positions to the transaction with the consumer's
      group metadata; commit the transaction.

    >>> process_batch(consumer, producer, consumer.consume(3, 10.0), bytes.upper)  # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 10.1: process_batch (exercises/ex10_exactly_once.py)")


@exercise("10.2", reference="minikafka.course.lessons.nb10:eos_config")
def eos_config(group_id: str, transactional_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(consumer config, producer config) of one instance of an exactly-once pipeline.

    The consumer: in the group `group_id`, commits offsets only through the producer's
    transactions (never by itself), reads only committed records, and starts from the beginning
    of the input when the group has no committed offset yet.
    The producer: transactional, with the id `transactional_id`, the same each time this
    instance restarts. (What does a transactional producer need for `acks`?)

    >>> consumer, producer = eos_config("pipeline", "pipeline-0")
    >>> consumer["isolation.level"]
    'read_committed'
    """
    raise NotImplementedError("Exercise 10.2: eos_config (exercises/ex10_exactly_once.py)")
