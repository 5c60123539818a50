"""References for notebook 07, the idempotent producer.

Rules (KIP-98, KIP-360, KAFKA-13673 and Kafka's ProducerConfig.postProcessAndValidateIdempotenceConfigs;
the broker's check is `minikafka.storage.producer_state.check_sequence`, after Kafka's
ProducerAppendInfo):
1. Idempotence is on by default (`enable.idempotence`=true since Kafka 3.0) and needs
   acks=all, retries > 0 and at most 5 requests in flight per connection.
2. Set to true explicitly with retries=0, or with acks != all: ConfigException. (Checked in
   this order, as Kafka does: retries first, then acks.)
3. Left unset with acks != all or retries=0: silently turned off (KAFKA-13673).
4. On by default or set to true, with max.in.flight.requests.per.connection > 5:
   ConfigException (Kafka 4.0+, KAFKA-17927). Java checks this before rule 3 turns idempotence
   off, so acks=1 or retries=0 with 6 in flight is refused too; only enable.idempotence=false
   allows more.
5. A transactional.id needs idempotence: set while idempotence is off (explicitly, or
   silently by rule 3), ConfigException.
6. Sequence numbers are kept per (producer id, partition): a batch of n records gets
   first = the partition's next sequence and last = first + n - 1, and the next sequence moves
   on by n. They wrap from 2**31 - 1 to 0 (a batch may straddle the wrap).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from minikafka.config import MAX_INT
from minikafka.errors import ConfigException
from minikafka.storage.producer_state import SEQ_MOD


def idempotence_enabled(config: Mapping[str, Any]) -> bool:
    """Whether a producer with this config is idempotent (rules 1-5), or ConfigException
    naming the key that conflicts. Absent keys take Kafka 4.x defaults."""
    acks = str(config.get("acks", "all")).lower()
    acks = "all" if acks == "-1" else acks
    retries = int(config.get("retries", MAX_INT))
    in_flight = int(config.get("max.in.flight.requests.per.connection", 5))
    explicit = "enable.idempotence" in config
    enabled = str(config["enable.idempotence"]).lower() == "true" if explicit else True
    if explicit and enabled:
        if retries == 0:                    # checked before acks, as Kafka does
            raise ConfigException("retries must be non-zero for the idempotent producer "
                                  "(enable.idempotence=true, retries=0)")
        if acks != "all":
            raise ConfigException(f"acks must be all for the idempotent producer (enable.idempotence=true, "
                                  f"acks={acks})")
    if enabled and in_flight > 5:                # rule 4, before rule 3 may turn it off
        raise ConfigException(f"max.in.flight.requests.per.connection must be at most 5 for the idempotent "
                              f"producer, got {in_flight}")
    if not explicit and (acks != "all" or retries == 0):
        enabled = False
    if config.get("transactional.id") is not None and not enabled:
        raise ConfigException("transactional.id needs the idempotent producer, and idempotence is off here")
    return enabled


def sequence_ranges(batch_sizes: Sequence[int], next_sequence: int = 0) -> list[tuple[int, int]]:
    """(first, last) sequence of each batch, in the order they are drained, for one producer id
    and one partition whose next sequence is `next_sequence` (rule 6)."""
    out = []
    seq = next_sequence
    for n in batch_sizes:
        out.append((seq, (seq + n - 1) % SEQ_MOD))
        seq = (seq + n) % SEQ_MOD
    return out
