"""DescribeConfigs at a broker (Kafka: `ConfigHelper.describeConfigs`, `ConfigSource`): every
config of a topic or a group, from the broker's metadata image, with where its value comes from.

Rules:
1. A topic's configs: every topic key. A key the topic sets is DYNAMIC_TOPIC_CONFIG; a log key it
   does not set takes its broker synonym's value (`log.retention.ms` for `retention.ms`, ...),
   STATIC_BROKER_CONFIG when the cluster's config sets that synonym, else DEFAULT_CONFIG; any
   other key is DEFAULT_CONFIG.
2. A group's configs: every group key; those set (IncrementalAlterConfigs for resource type
   GROUP) are GROUP_CONFIG, the rest DEFAULT_CONFIG.
3. A topic the broker's metadata does not have is UNKNOWN_TOPIC_OR_PART. A group needs no
   existence: its configs are its defaults until set, as in Kafka.
4. Values are Kafka's text: "true"/"false", a list joined with commas, a number in decimal;
   an unset nullable key is None.
5. The answer is the broker's metadata as it has applied it: a change committed a moment ago
   may not be there yet (the broker replicates the metadata log).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.config import GROUP, TOPIC, resolve
from minikafka.storage.log_config import SYNONYMS, effective

if TYPE_CHECKING:
    from minikafka.server.broker import Broker


def text(value: Any) -> str | None:
    """Rule 4."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)


def topic_values(own: Mapping[str, Any], broker_config: Mapping[str, Any]) -> dict[str, Any]:
    """Rule 1's values: every topic key, the topic's own or else its broker synonym's."""
    return {**resolve(TOPIC, own), **effective(own, broker_config)}


def describe(b: "Broker", msg: P.DescribeConfigsRequest) -> P.DescribeConfigsResponse:
    image = b.image
    if msg.resource_type == "group":
        own = image.group_configs.get(msg.name, {})
        cfg = resolve(GROUP, own)
        return P.DescribeConfigsResponse(msg.cid, None, "", tuple(
            (k, text(cfg[k]), "GROUP_CONFIG" if k in own else "DEFAULT_CONFIG") for k in sorted(cfg)))
    if msg.name not in image.topic_configs:
        return P.DescribeConfigsResponse(msg.cid, "UNKNOWN_TOPIC_OR_PART", f"Topic {msg.name} does not exist")
    own = image.topic_configs[msg.name]
    values = topic_values(own, b.cfg)
    entries = []
    for k in sorted(values):
        if k in own:
            source = "DYNAMIC_TOPIC_CONFIG"
        elif k in SYNONYMS and b.cfg.is_set(SYNONYMS[k]):
            source = "STATIC_BROKER_CONFIG"
        else:
            source = "DEFAULT_CONFIG"
        entries.append((k, text(values[k]), source))
    return P.DescribeConfigsResponse(msg.cid, None, "", tuple(entries))
