"""Exercise 11.1 (notebook 11, beyond minikafka): port a client configuration to a real
cluster reached through confluent-kafka (librdkafka)."""
from __future__ import annotations

from typing import Any, Mapping

# the three tables the rules below refer to (print them to see them)
from minikafka.course.lessons.nb11 import JAVA_DEFAULTS, NOT_IN_LIBRDKAFKA, RENAMED  # noqa: F401

from . import exercise


@exercise("11.1", reference="minikafka.course.lessons.nb11:port_config")
def port_config(config: Mapping[str, Any], role: str, bootstrap_servers: str = "localhost:9092") -> dict[str, Any]:
    """Turn a minikafka client config (Java client names, Kafka 4.x defaults) into a
    confluent-kafka config that behaves the same on a real cluster.

    config: the dict you would pass to c.producer(...) or c.consumer(...). role: "producer"
    or "consumer". bootstrap_servers: the real cluster's address.

    Return a new dict (do not change `config`):
    1. Every key of `config` with its value, except the keys in NOT_IN_LIBRDKAFKA[role]
       (librdkafka has no such setting: leave them out) and "bootstrap.servers".
    2. A key in RENAMED gets librdkafka's name. A list or tuple value becomes a
       comma-separated string (["range", "roundrobin"] -> "range,roundrobin").
       "auto.offset.reset": "none" becomes "error" (librdkafka's name for it).
    3. Every key of JAVA_DEFAULTS[role] that `config` does not set, with that value:
       librdkafka's own default differs from the Java client's there.
    4. For a producer, "enable.idempotence": the config's value if it sets one; otherwise
       True, unless acks is "0" or "1" (or 0, 1) or retries is 0, which turn it off in the
       Java client (notebook 07). librdkafka's default is False, so always write it out.
    5. "bootstrap.servers": bootstrap_servers.

    >>> port_config({"acks": "1"}, "producer")["enable.idempotence"]
    False
    """
    raise NotImplementedError("Exercise 11.1 (exercises/ex11_beyond.py)")
