"""The configuration keys every client accepts (Kafka: `CommonClientConfigs.java`), with
Kafka 4.x defaults. The rules of keys and values are `minikafka/config.py`'s.

`retry.backoff.max.ms` is common in Kafka but only the producer's batch retries back off
exponentially here, so only the producer's schema has it; the consumer refuses it as a key
minikafka does not model (its retries wait a constant `retry.backoff.ms`)."""
from __future__ import annotations

from minikafka.config import int_key, str_key

COMMON_CLIENT = (
    str_key("bootstrap.servers", None, "accepted for portability; the simulated cluster is the only one"),
    str_key("client.id", None, "node name in the trace; default producer-N / consumer-N"),
    int_key("request.timeout.ms", 30000, 1),
    int_key("retry.backoff.ms", 100, 0),
    int_key("metadata.max.age.ms", 300000, 0, doc="0: refresh as often as retry.backoff.ms allows "
                                                  "(at least 1 ms apart: virtual time moves on)"),
)
