"""Exercises 10.1-10.2 (notebook 10, exactly-once): one iteration of the consume-transform-produce
loop, and choosing the configuration of the pipeline's consumer and producer."""
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
    If a call inside the transaction raises a KafkaException, abort the transaction and
    re-raise: the caller then rewinds the consumer to the group's committed offsets.

    The check runs a pipeline with your function and kills its process right after each of
    your calls on the two clients in turn (a restart takes over), and once makes a call raise
    an abortable error; every input must reach "out" exactly once.

    >>> process_batch(consumer, producer, consumer.consume(3, 10.0), bytes.upper)  # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 10.1 (exercises/ex10_exactly_once.py)")


@exercise("10.2", reference="minikafka.course.lessons.nb10:eos_config")
def eos_config(group_id: str, transactional_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Choose the (consumer config, producer config) of one instance of an exactly-once pipeline.

    The consumer is in the group `group_id`; the producer is transactional, with the id
    `transactional_id` (the same each time this instance restarts). Choose the other settings:
    the check runs the pipeline (this notebook's loop) with your two configs and judges the
    result, not the keys. It writes the inputs before the pipeline starts, lets an upstream
    transaction abort in the input topic, kills the pipeline's process and restarts it, and
    makes a transactional call fail so that the loop aborts and rewinds to the group's
    committed offsets. A read_committed consumer of the output must see every input exactly
    once. Look up, in Kafka's consumer and producer configuration docs: who commits a
    consumer's offsets, what a consumer reads of an aborted transaction, where a group with no
    committed offset starts, and what a transactional producer requires.

    >>> consumer, producer = eos_config("pipeline", "pipeline-0")   # doctest: +SKIP
    """
    raise NotImplementedError("Exercise 10.2 (exercises/ex10_exactly_once.py)")
