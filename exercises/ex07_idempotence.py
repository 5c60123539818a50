"""Exercises 7.1-7.3 (notebook 07, the idempotent producer): the broker's sequence check, when
a producer is idempotent, and the sequence numbers of a partition's batches."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from minikafka import ConfigException  # noqa: F401  (exercise 7.2 raises it)
from minikafka.storage.producer_state import ProducerEntry

from . import exercise


@exercise("7.1", reference="minikafka.storage.producer_state:check_sequence")
def check_sequence(entry: ProducerEntry | None, epoch: int, first: int, last: int) -> tuple[str | None, int]:
    """The leader's check of one batch from an idempotent producer, for one partition.

    entry: what this partition's replica remembers about the batch's producer id, or None when
    it has no state for it. `entry.epoch` is the producer's epoch it stored;
    `entry.batches` holds the metadata of the producer's last 5 batches (at most), oldest
    first, each a tuple (first_seq, last_seq, first_offset, last_offset);
    `entry.last_sequence` is the last_seq of the newest one, or -1 when `batches` is empty.
    epoch, first, last: the batch's producer epoch and its first and last sequence numbers.

    Return (error, offset):
    - (None, -1): append the batch;
    - (None, original first offset): a duplicate, acknowledged at the offset where the copy
      already is, not appended again;
    - ("INVALID_PRODUCER_EPOCH", -1) or ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1): refused.
    The Kafka rules to look up (notebook 07, "The leader's check"): how Kafka's
    ProducerAppendInfo checks the epoch and the sequence, and how ProducerStateEntry finds a
    duplicate among the batches it keeps. With no state for the producer id, the broker cannot
    tell anything and accepts any sequence. Sequence numbers are 32-bit and never negative:
    the sequence after 2**31 - 1 is 0.

    >>> e = ProducerEntry(epoch=0); e.batches.append((0, 4, 100, 104))
    >>> check_sequence(e, 0, 5, 9), check_sequence(e, 0, 0, 4), check_sequence(e, 0, 7, 9)
    ((None, -1), (None, 100), ('OUT_OF_ORDER_SEQUENCE_NUMBER', -1))
    """
    raise NotImplementedError("Exercise 7.1 (exercises/ex07_idempotence.py)")


@exercise("7.2", reference="minikafka.course.lessons.nb07:idempotence_enabled")
def idempotence_enabled(config: Mapping[str, Any]) -> bool:
    """Is a producer with this config idempotent? Or does Kafka refuse the config?

    config: a producer config as you would pass it to `c.producer(...)`, with any of the keys
    "acks" ("all", "-1", "1" or "0"), "retries", "max.in.flight.requests.per.connection",
    "enable.idempotence" (True or False) and "transactional.id" (a string). An absent key takes
    Kafka 4.x's default: acks=all, retries=2147483647, max.in.flight.requests.per.connection=5,
    no transactional.id, and enable.idempotence *unset*, which is not the same as True.

    Return True or False, or raise ConfigException (imported above) when Kafka 4.x refuses the
    config. Its message must name the offending key before any other of "acks", "retries",
    "max.in.flight.requests.per.connection" and "transactional.id", for example
    `raise ConfigException("acks must be all for the idempotent producer")`. When several keys
    conflict, name the one Kafka checks first. The Kafka rule to look up is
    ProducerConfig.postProcessAndValidateIdempotenceConfigs (notebook 07, section "Defaults, and
    when idempotence is silently off"): it checks retries before acks, both before the in-flight
    limit, and transactional.id last.

    >>> idempotence_enabled({})
    True
    """
    raise NotImplementedError("Exercise 7.2 (exercises/ex07_idempotence.py)")


@exercise("7.3", reference="minikafka.course.lessons.nb07:sequence_ranges")
def sequence_ranges(batch_sizes: Sequence[int], next_sequence: int = 0) -> list[tuple[int, int]]:
    """The (first, last) sequence numbers an idempotent producer gives its batches for one
    partition.

    batch_sizes: the number of records in each batch, in the order the batches are drained
    (sent for the first time). next_sequence: the partition's next sequence before the first of
    them (0 for a new producer id or epoch).

    Sequence numbers count records, not batches: a batch of n records takes n of them. They
    are 32-bit and never negative: after 2**31 - 1 comes 0, and a batch may straddle the wrap.

    >>> sequence_ranges([5, 1, 3])
    [(0, 4), (5, 5), (6, 8)]
    """
    raise NotImplementedError("Exercise 7.3 (exercises/ex07_idempotence.py)")
