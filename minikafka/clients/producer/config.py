"""The producer's configuration keys (Kafka: `ProducerConfig.java`), with Kafka 4.x defaults.
The rules of keys and values are `minikafka/config.py`'s; what each key does is the producer's."""
from __future__ import annotations

from minikafka.clients.config import COMMON_CLIENT
from minikafka.config import MAX_INT, Key, Schema, bool_key, int_key, str_key

PRODUCER = Schema("producer", COMMON_CLIENT + (
    int_key("retry.backoff.max.ms", 1000, 0, doc="the cap of a batch retry's exponential backoff (sender.py rule 5)"),
    Key("acks", "acks", -1, doc="0, 1 or all (-1); default all since Kafka 3.0"),
    int_key("linger.ms", 5, 0, doc="5 since Kafka 4.0 (KIP-1030), 0 before"),
    int_key("batch.size", 16384, 0),
    int_key("buffer.memory", 33554432, 0),
    int_key("max.block.ms", 60000, 0),
    int_key("max.request.size", 1048576, 1, doc="caps a ProduceRequest's batches; a record whose single-record "
                                                "batch is larger fails at once (producer.py rule 1b)"),
    int_key("retries", MAX_INT, 0, MAX_INT),
    int_key("delivery.timeout.ms", 120000, 1),
    int_key("max.in.flight.requests.per.connection", 5, 1),
    bool_key("enable.idempotence", True),
    str_key("transactional.id", None),
    int_key("transaction.timeout.ms", 60000, 1),
    bool_key("partitioner.ignore.keys", False),
), unmodelled=("compression.type", "key.serializer", "value.serializer", "partitioner.class",
               "security.protocol", "linger", "queue.buffering.max.ms", "message.max.bytes",
               # adaptive partitioning (Kafka's default): the sticky partitioner here weighs every
               # partition with a leader equally (partitioner.py)
               "partitioner.adaptive.partitioning.enable", "partitioner.availability.timeout.ms"))
