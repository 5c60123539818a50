"""The consumer's configuration keys (Kafka: `ConsumerConfig.java`), with Kafka 4.x defaults.
The rules of keys and values are `minikafka/config.py`'s; what each key does is the consumer's."""
from __future__ import annotations

from minikafka.clients.config import COMMON_CLIENT
from minikafka.clients.consumer.assignors import ASSIGNORS
from minikafka.config import Key, Schema, bool_key, choice_key, int_key, str_key

CONSUMER = Schema("consumer", COMMON_CLIENT + (
    str_key("group.id", None),
    str_key("group.instance.id", None),
    choice_key("group.protocol", "classic", ("classic", "consumer"),
               doc="classic: JoinGroup/SyncGroup, the assignment made by a member; consumer: KIP-848, "
                   "ConsumerGroupHeartbeat, the assignment made by the coordinator"),
    str_key("group.remote.assignor", None, doc="group.protocol=consumer: the server-side assignor to ask for "
                                               "(uniform or range; the broker's group.consumer.assignors)"),
    choice_key("auto.offset.reset", "latest", ("earliest", "latest", "none")),
    bool_key("enable.auto.commit", True),
    int_key("auto.commit.interval.ms", 5000, 0),
    choice_key("isolation.level", "read_uncommitted", ("read_uncommitted", "read_committed")),
    int_key("fetch.min.bytes", 1, 0),
    int_key("fetch.max.wait.ms", 500, 0),
    int_key("fetch.max.bytes", 52428800, 0, doc="the most one fetch response carries (the broker caps it at its "
                                                 "own fetch.max.bytes); the first batch comes back even when larger"),
    int_key("max.partition.fetch.bytes", 1048576, 0, doc="the most one partition of a fetch response carries; the "
                                                         "first non-empty partition may pass it by one batch"),
    int_key("max.poll.records", 500, 1, doc="the most records one consume() returns; the rest stay buffered"),
    int_key("session.timeout.ms", 45000, 1),
    int_key("heartbeat.interval.ms", 3000, 1),
    int_key("max.poll.interval.ms", 300000, 1),
    Key("partition.assignment.strategy", "list", ("range", "cooperative-sticky"),
        choices=lambda: tuple(ASSIGNORS), doc="assignors by name; add your own with assignors.register_assignor"),
    bool_key("enable.partition.eof", False),
    str_key("client.rack", "", doc="the consumer's rack: a broker with replica.selector.class set may send "
                                   "it to a follower in that rack (KIP-392)"),
), unmodelled=("key.deserializer", "value.deserializer",
               "security.protocol", "check.crcs",
               # the consumer's retries wait a constant retry.backoff.ms (clients/config.py)
               "retry.backoff.max.ms"))
