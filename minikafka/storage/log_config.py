"""A partition log's effective configuration (Kafka: `LogConfig`): each topic key, or its broker synonym.

Rules (kafka-semantics.md P.300, P.304-306, P2.315):
- A topic key the topic did not set takes the broker's synonym (`segment.bytes` from
  `log.segment.bytes`, `retention.ms` from `log.retention.ms`, ...), as Kafka's dynamic
  defaults do; the metadata log stores only the keys a topic set (ConfigRecords).
- `cleanup.policy` is a list of `delete` and `compact`: `delete` turns on time and size
  retention, `compact` the log cleaner; an empty list (Kafka 4.2, KIP-1161) keeps everything.
- `retention.ms` and `retention.bytes` of -1 mean no limit.
- The leader's checks of a produced batch (server/log_validator.py; Q.334, Q.338-339) read
  `max.message.bytes` (broker `message.max.bytes`), `message.timestamp.type` and the timestamp
  window `message.timestamp.before.max.ms` / `message.timestamp.after.max.ms` (broker: `log.`
  before each). A mapping without them (a test's hand-made config) gets the topic defaults.
- The log cleaner (server/log_cleaner.py; P2.317-321) reads `delete.retention.ms`,
  `min.compaction.lag.ms`, `max.compaction.lag.ms` and `min.cleanable.dirty.ratio` (broker:
  `log.cleaner.` + `delete.retention.ms`, `min.compaction.lag.ms`, `max.compaction.lag.ms`,
  `min.cleanable.ratio`); a mapping without them gets the topic defaults too.
- Tiered storage (T.325-326): `remote.storage.enable` (no broker synonym) and
  `local.retention.ms` / `local.retention.bytes` (broker: `log.local.retention.*`), whose -2
  means the same value as `retention.ms` / `retention.bytes`. A mapping without them is untiered.
- `remote_storage_error` runs Kafka's checks of a topic's tiered settings (Kafka:
  `LogConfig.validateTopicLogConfigValues`, on the controller), each with Kafka's message:
  1. turning a topic on while the broker switch `remote.log.storage.system.enable` is off;
  2. a `cleanup.policy` other than `delete` or empty (Kafka 4.2's wording);
  3. `local.retention.bytes` of -1 while `retention.bytes` is finite, or above it;
  4. `local.retention.ms` of -1 while `retention.ms` is finite, or above it;
  5. turning it off again: Kafka requires `remote.log.delete.on.disable=true` (or a read-only
     tier with `remote.log.copy.disable=true`), neither of which is modelled, so it is refused.
  Internal topics are not refused: they are simply never tiered (log_manager.py).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

# topic key -> broker synonym (every one of them has its default in config.BROKER)
SYNONYMS = {
    "segment.bytes": "log.segment.bytes",
    "segment.ms": "log.roll.ms",
    "segment.jitter.ms": "log.roll.jitter.ms",
    "retention.ms": "log.retention.ms",
    "retention.bytes": "log.retention.bytes",
    "cleanup.policy": "log.cleanup.policy",
    "max.message.bytes": "message.max.bytes",
    "message.timestamp.type": "log.message.timestamp.type",
    "message.timestamp.before.max.ms": "log.message.timestamp.before.max.ms",
    "message.timestamp.after.max.ms": "log.message.timestamp.after.max.ms",
    "delete.retention.ms": "log.cleaner.delete.retention.ms",
    "min.compaction.lag.ms": "log.cleaner.min.compaction.lag.ms",
    "max.compaction.lag.ms": "log.cleaner.max.compaction.lag.ms",
    "min.cleanable.dirty.ratio": "log.cleaner.min.cleanable.ratio",
    "local.retention.ms": "log.local.retention.ms",
    "local.retention.bytes": "log.local.retention.bytes",
}


class LogConfig:
    __slots__ = ("segment_bytes", "segment_ms", "segment_jitter_ms", "retention_ms", "retention_bytes",
                 "delete", "compact", "max_message_bytes", "log_append_time", "timestamp_before_max_ms",
                 "timestamp_after_max_ms", "delete_retention_ms", "min_compaction_lag_ms", "max_compaction_lag_ms",
                 "min_cleanable_dirty_ratio", "remote_storage_enable", "local_retention_ms", "local_retention_bytes")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.segment_bytes: int = values["segment.bytes"]
        self.segment_ms: int = values["segment.ms"]
        self.segment_jitter_ms: int = values["segment.jitter.ms"]
        self.retention_ms: int = values["retention.ms"]
        self.retention_bytes: int = values["retention.bytes"]
        policy = tuple(values["cleanup.policy"])
        self.delete = "delete" in policy
        self.compact = "compact" in policy
        limit = _or_default(values)
        self.max_message_bytes: int = limit("max.message.bytes")
        self.log_append_time: bool = limit("message.timestamp.type") == "LogAppendTime"
        self.timestamp_before_max_ms: int = limit("message.timestamp.before.max.ms")
        self.timestamp_after_max_ms: int = limit("message.timestamp.after.max.ms")
        cleaner = {**CLEANER_DEFAULTS, **{k: values[k] for k in CLEANER_DEFAULTS if k in values}}
        self.delete_retention_ms: int = cleaner["delete.retention.ms"]
        self.min_compaction_lag_ms: int = cleaner["min.compaction.lag.ms"]
        self.max_compaction_lag_ms: int = cleaner["max.compaction.lag.ms"]
        self.min_cleanable_dirty_ratio: float = cleaner["min.cleanable.dirty.ratio"]
        self.remote_storage_enable: bool = values.get("remote.storage.enable", False)
        local_ms, local_bytes = values.get("local.retention.ms", -2), values.get("local.retention.bytes", -2)
        self.local_retention_ms: int = self.retention_ms if local_ms == -2 else local_ms
        self.local_retention_bytes: int = self.retention_bytes if local_bytes == -2 else local_bytes

    def __repr__(self) -> str:
        return " ".join(f"{k}={getattr(self, k)}" for k in self.__slots__)


def effective(topic_config: Mapping[str, Any], broker_config: Mapping[str, Any]) -> dict[str, Any]:
    """Every log key of a topic: its own value, else the broker's synonym."""
    return {key: topic_config[key] if key in topic_config else broker_config[synonym]
            for key, synonym in SYNONYMS.items()}


def log_config(topic_config: Mapping[str, Any], broker_config: Mapping[str, Any]) -> LogConfig:
    return LogConfig({**effective(topic_config, broker_config),
                      "remote.storage.enable": topic_config.get("remote.storage.enable", False)})


def remote_storage_error(new_config: Mapping[str, Any], existing: Mapping[str, Any],
                         broker_config: Mapping[str, Any]) -> str | None:
    """The tiered-storage checks of a topic's config (rules 1-5 above): Kafka's message, or
    None. `new_config` is the topic's own keys after the change, `existing` before it."""
    if not new_config.get("remote.storage.enable", False):
        if existing.get("remote.storage.enable", False):
            return ("It is invalid to disable remote storage without deleting remote data. If you want to keep the "
                    "remote data and turn to read only, please set `remote.storage.enable=true,"
                    "remote.log.copy.disable=true`. If you want to disable remote storage and delete all remote data, "
                    "please set `remote.storage.enable=false,remote.log.delete.on.disable=true`. (Neither "
                    "remote.log.copy.disable nor remote.log.delete.on.disable is modelled by minikafka.)")
        return None
    if not broker_config.get("remote.log.storage.system.enable", False):
        return ("Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote "
                "log storage. (Set the broker's remote.log.storage.system.enable=true: Cluster(config={...}).)")
    values = effective(new_config, broker_config)
    if tuple(values["cleanup.policy"]) not in ((), ("delete",)):
        return ("Remote log storage only supports topics with cleanup.policy=delete or cleanup.policy being an "
                f"empty list. (Got cleanup.policy={','.join(values['cleanup.policy'])}.)")
    return local_retention_error(values, "retention.bytes", "local.retention.bytes", unlimited_when=lambda v: v <= -1) \
        or local_retention_error(values, "retention.ms", "local.retention.ms", unlimited_when=lambda v: v == -1)


def local_retention_error(values: Mapping[str, Any], total_key: str, local_key: str,
                          unlimited_when: Callable[[int], bool]) -> str | None:
    """Rules 3-4 (Kafka: `validateRemoteStorageRetentionSize/Time`); the broker's startup check
    uses them too, with its `log.` names."""
    total, local = values[total_key], values[local_key]
    if unlimited_when(total) or local == -2:
        return None
    if local == -1:
        return f"Invalid value -1 for configuration {local_key}: Value must not be -1 as {total_key} value is set as {total}."
    if local > total:
        return (f"Invalid value {local} for configuration {local_key}: Value must not be more than {total_key} "
                f"property value: {total}")
    return None


# the limit keys' topic defaults (config.TOPIC's), for a mapping that lacks them
LIMIT_DEFAULTS = {
    "max.message.bytes": 1048588,
    "message.timestamp.type": "CreateTime",
    "message.timestamp.before.max.ms": 2**63 - 1,
    "message.timestamp.after.max.ms": 3600000,
}

# the log cleaner's keys' topic defaults (config.TOPIC's), for a mapping that lacks them
CLEANER_DEFAULTS = {
    "delete.retention.ms": 86400000,
    "min.compaction.lag.ms": 0,
    "max.compaction.lag.ms": 2**63 - 1,
    "min.cleanable.dirty.ratio": 0.5,
}


def _or_default(values: Mapping[str, Any]) -> Callable[[str], Any]:
    return lambda key: values[key] if key in values else LIMIT_DEFAULTS[key]
