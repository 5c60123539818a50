"""References for notebook 11, beyond minikafka: porting a client configuration to a real
cluster reached through confluent-kafka (librdkafka).

minikafka's clients take the Java client's config names and Kafka 4.x defaults. librdkafka,
under confluent-kafka, accepts most of the same names, but not all of them, and several of its
defaults differ exactly where the course's lessons live (librdkafka's CONFIGURATION.md).

Rules for `port_config(config, role, bootstrap_servers)`:
1. Every key the config sets is kept, with its value, except the keys librdkafka does not have
   (NOT_IN_LIBRDKAFKA, per role), which are dropped, and `bootstrap.servers`, which is replaced.
2. Keys librdkafka spells differently are renamed (RENAMED); a list value (an assignor list)
   becomes a comma-separated string; `auto.offset.reset=none` becomes librdkafka's `error`.
3. Where librdkafka's default differs from the Java client's, the Java value is written out
   unless the config sets the key itself (JAVA_DEFAULTS, per role).
4. A producer always gets `enable.idempotence`: the config's own value if it sets one, else
   the value the Java client would use: true, unless acks is 0 or 1 or retries is 0, which
   silently turn it off (notebook 07). librdkafka's default is false.
5. `bootstrap.servers` is the address given.
"""
from __future__ import annotations

from typing import Any, Mapping

# Java client name -> librdkafka name (rule 2)
RENAMED: dict[str, str] = {
    "fetch.max.wait.ms": "fetch.wait.max.ms",
    "max.request.size": "message.max.bytes",
}

# Java client settings that librdkafka does not have (rule 1)
NOT_IN_LIBRDKAFKA: dict[str, tuple[str, ...]] = {
    # buffer.memory: librdkafka bounds its queue with queue.buffering.max.kbytes (KiB) instead;
    # max.block.ms: librdkafka's produce() never blocks, it raises BufferError when full.
    "producer": ("buffer.memory", "max.block.ms", "partitioner.ignore.keys"),
    # max.poll.records: consume(num_messages) says how many; request.timeout.ms is a producer
    # setting in librdkafka (a consumer ignores it with a warning).
    "consumer": ("max.poll.records", "request.timeout.ms"),
}

# The Java client's value where librdkafka's default differs (rule 3), with librdkafka's default.
JAVA_DEFAULTS: dict[str, dict[str, Any]] = {
    "producer": {
        "partitioner": "murmur2_random",                  # librdkafka: consistent_random (CRC32)
        "batch.size": 16384,                              # librdkafka: 1000000
        "delivery.timeout.ms": 120000,                    # librdkafka: 300000
        "max.in.flight.requests.per.connection": 5,       # librdkafka: 1000000
    },
    "consumer": {
        "isolation.level": "read_uncommitted",            # librdkafka: read_committed
    },
}


def idempotence_by_default(config: Mapping[str, Any]) -> bool:
    """What the Java client does with enable.idempotence left unset (rule 4)."""
    acks = str(config.get("acks", "all")).strip().lower()
    retries = int(config.get("retries", 1))
    return acks in ("all", "-1") and retries != 0


def port_config(config: Mapping[str, Any], role: str, bootstrap_servers: str = "localhost:9092") -> dict[str, Any]:
    """A confluent-kafka config that runs `config` (a minikafka/Java client config of a
    "producer" or a "consumer") with the same behaviour on a real cluster (rules 1-5)."""
    if role not in JAVA_DEFAULTS:
        raise ValueError(f"role must be 'producer' or 'consumer', got {role!r}")
    ported: dict[str, Any] = {}
    for key, value in config.items():
        if key in NOT_IN_LIBRDKAFKA[role] or key == "bootstrap.servers":
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if key == "auto.offset.reset" and value == "none":
            value = "error"
        ported[RENAMED.get(key, key)] = value
    for key, value in JAVA_DEFAULTS[role].items():
        if key not in config:
            ported[key] = value
    if role == "producer" and "enable.idempotence" not in config:
        ported["enable.idempotence"] = idempotence_by_default(config)
    ported["bootstrap.servers"] = bootstrap_servers
    return ported
