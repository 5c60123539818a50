"""Configuration: Kafka's names, Kafka 4.x defaults, refused at once when wrong.

Rules:
- A schema lists every key a component accepts, with its type, default and accepted range.
- `resolve(schema, user)` returns a `Config` holding every key (user value or default),
  normalised (acks "all" and "-1" become -1; "true" becomes True), and remembers which keys
  the user set explicitly (Kafka's idempotence rules depend on that).
- An unknown key, a value of the wrong type or out of range raises `ConfigException`
  naming the key, the value, what is accepted and the closest known key. A real Kafka key
  that minikafka does not model is refused with a message saying so: nothing is ignored.
- A key is in a schema only if something reads it and it has its effect; a real Kafka key
  without one is in the schema's `unmodelled` list (refused as "not modelled").
- A topic's log keys (`segment.bytes`, `retention.ms`, `cleanup.policy`, ...) default to their
  broker synonyms (`log.segment.bytes`, `log.retention.ms`, ...; storage/log_config.py): a
  topic stores only what it set.
- Tiered storage (kafka-semantics.md T.325-326): the broker switch `remote.log.storage.system.enable`
  and the topic switch `remote.storage.enable`. A topic's tiered settings are checked by the
  broker a CreateTopics or IncrementalAlterConfigs reaches (storage/log_config.py
  `remote_storage_error`: INVALID_CONFIG with Kafka's message, before any metadata record);
  with the broker switch on, `check_broker` refuses `log.local.retention.*` above (or -1 below a
  finite) `log.retention.*`, as Kafka's broker does at startup.

The schemas live with their roles, as Kafka's do: the topic's and the broker's here (Kafka:
`TopicConfig`/`LogConfig` and `KafkaConfig`), the clients' in `clients/config.py`,
`clients/producer/config.py` and `clients/consumer/config.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from minikafka.errors import ConfigException
from minikafka.storage.log_config import local_retention_error

MAX_INT = 2**31 - 1
RACK_AWARE_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default, bounds or choices, and what it does."""

    name: str
    kind: str                       # "int" | "float" | "bool" | "str" | "choice" | "acks" | "list"
    default: Any
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()     # a callable: looked up when used
    doc: str = ""
    empty_ok: bool = False          # a "list" that may be empty

    def allowed(self) -> tuple[str, ...]:
        return self.choices() if callable(self.choices) else self.choices

    def accepted(self) -> str:
        if self.kind == "int":
            hi = "" if self.hi is None else f" and <= {self.hi}"
            return f"an integer >= {self.lo}{hi}"
        if self.kind == "float":
            hi = "" if self.hi is None else f" and <= {self.hi}"
            return f"a number >= {self.lo}{hi}"
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("choice", "list"):
            sep = "a comma-separated list of " if self.kind == "list" else "one of "
            return sep + ", ".join(repr(c) for c in self.allowed())
        if self.kind == "acks":
            return "'all', -1, 0 or 1"
        return "a string"

    def normalise(self, value: Any) -> Any:
        bad = ConfigException(
            f"Invalid value {value!r} for configuration '{self.name}': expected {self.accepted()}")
        if self.kind == "int":
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                try:
                    value = int(value.strip())
                except ValueError:
                    raise bad from None
            if not isinstance(value, int):
                raise bad
            if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
                raise bad
            return value
        if self.kind == "float":
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                try:
                    value = float(value.strip())
                except ValueError:
                    raise bad from None
            if not isinstance(value, (int, float)) or value != value:      # value != value: NaN
                raise bad
            if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
                raise bad
            return float(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise bad
        if self.kind == "acks":
            text = str(value).strip().lower() if not isinstance(value, bool) else "?"
            table = {"all": -1, "-1": -1, "0": 0, "1": 1}
            if text not in table:
                raise bad
            return table[text]
        if self.kind == "choice":
            if value is None and self.default is None:
                return None
            if not isinstance(value, str) or value not in self.allowed():
                raise bad
            return value
        if self.kind == "list":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)) or (not items and not self.empty_ok):
                raise bad
            items = [str(i).strip() for i in items]
            if self.empty_ok and items == [""]:
                items = []
            if any(i not in self.allowed() for i in items):
                raise bad
            return tuple(items)
        if value is not None and not isinstance(value, str):
            raise bad
        return value


class Schema:
    """The keys one kind of component accepts."""

    def __init__(self, what: str, keys: Iterable[Key], unmodelled: Iterable[str] = ()) -> None:
        self.what = what
        self.keys = {k.name: k for k in keys}
        self.unmodelled = tuple(unmodelled)

    def defaults(self) -> dict[str, Any]:
        return {name: k.default for name, k in self.keys.items()}


class Config(dict):
    """Every key of a schema with its value; `explicit` holds the keys the user set."""

    explicit: frozenset[str]

    def is_set(self, key: str) -> bool:
        return key in self.explicit


def resolve(schema: Schema, user: Mapping[str, Any] | None,
            check: Callable[[Config], None] | None = None) -> Config:
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        raise ConfigException(f"{schema.what} configuration must be a dict of Kafka config names, got {type(user).__name__}")
    cfg = Config(schema.defaults())
    for name in user:
        if not isinstance(name, str):
            raise ConfigException(f"configuration keys are strings, got {name!r}")
        if name not in schema.keys:
            raise ConfigException(unknown_key_message(schema, name))
        cfg[name] = schema.keys[name].normalise(user[name])
    cfg.explicit = frozenset(user)
    if check is not None:
        check(cfg)
    return cfg


def unknown_key_message(schema: Schema, name: str) -> str:
    if name in schema.unmodelled:
        return (f"'{name}' is a real Kafka {schema.what} setting, not modelled: minikafka does not model it "
                f"yet, so it is refused rather than ignored; remove it (accepted keys: {', '.join(sorted(schema.keys))})")
    import difflib  # only on this error path: not loaded by `import minikafka`
    close = difflib.get_close_matches(name, list(schema.keys), n=1, cutoff=0.5)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (f"Unknown {schema.what} configuration '{name}'.{hint} "
            f"Accepted keys: {', '.join(sorted(schema.keys))}")


def int_key(name: str, default: int, lo: int = 0, hi: int | None = None, doc: str = "") -> Key:
    return Key(name, "int", default, lo, hi, doc=doc)


def float_key(name: str, default: float, lo: int | None = None, hi: int | None = None, doc: str = "") -> Key:
    return Key(name, "float", default, lo, hi, doc=doc)


def bool_key(name: str, default: bool, doc: str = "") -> Key:
    return Key(name, "bool", default, doc=doc)


def str_key(name: str, default: str | None, doc: str = "") -> Key:
    return Key(name, "str", default, doc=doc)


def choice_key(name: str, default: str, choices: tuple[str, ...], doc: str = "") -> Key:
    return Key(name, "choice", default, choices=choices, doc=doc)


SEGMENT_BYTES_DOC = ("the size at which a segment rolls. Kafka 4.1+ refuses less than 1 MiB (1048576) for a "
                     "topic and keeps smaller segments to a test-only setting; minikafka accepts down to 14 "
                     "bytes so that a lesson can watch segments roll")
CLEANUP_POLICIES = ("delete", "compact")
MAX_LONG = 2**63 - 1
TIMESTAMP_TYPES = ("CreateTime", "LogAppendTime")
MAX_MESSAGE_BYTES_DOC = ("the largest record batch a leader accepts from a producer (MSG_SIZE_TOO_LARGE above it; "
                         "server/log_validator.py)")
TIMESTAMP_TYPE_DOC = "CreateTime: records keep the producer's timestamps; LogAppendTime: the leader stamps its clock"
BEFORE_MAX_DOC = "CreateTime: a record older than this (leader clock) rejects its batch with INVALID_TIMESTAMP"
AFTER_MAX_DOC = "CreateTime: a record further ahead of the leader clock rejects its batch with INVALID_TIMESTAMP"
DELETE_RETENTION_DOC = ("compacted topics: a tombstone (or a finished transaction's marker) stays this long after "
                        "the first cleaning pass that keeps it")
MIN_LAG_DOC = "compacted topics: a segment whose newest record is younger than this is not compacted yet"
MAX_LAG_DOC = ("compacted topics: a dirty segment whose first record is older than this is compacted whatever the "
               "dirty ratio; it also caps segment.ms")
DIRTY_RATIO_DOC = "compacted topics: a log is compacted once its uncompacted bytes exceed this share of its bytes"
REMOTE_STORAGE_DOC = ("tiered storage (KIP-405): leaders copy rolled segments to the remote tier and local disk keeps "
                      "only local.retention.*; needs the broker's remote.log.storage.system.enable")
LOCAL_MS_DOC = ("tiered topics: uploaded segments whose newest record is older are deleted from local disk "
                "(-2: the same as retention.ms)")
LOCAL_BYTES_DOC = ("tiered topics: uploaded segments are deleted from local disk while the local log stays above "
                   "this (-2: the same as retention.bytes)")

TOPIC = Schema("topic", (
    int_key("min.insync.replicas", 1, 1),
    bool_key("unclean.leader.election.enable", False),
    int_key("segment.bytes", 1073741824, 14, 2**31 - 1, doc=SEGMENT_BYTES_DOC),
    int_key("segment.ms", 604800000, 1, doc="a segment rolls at an append this long (record time) after its first"),
    int_key("segment.jitter.ms", 0, 0, doc="each segment rolls up to this much earlier (drawn once per segment)"),
    int_key("retention.ms", 604800000, -1, doc="segments whose newest record is older are deleted (-1: no limit)"),
    int_key("retention.bytes", -1, -1, doc="oldest segments are deleted while the partition stays above this (-1: no limit)"),
    Key("cleanup.policy", "list", ("delete",), choices=CLEANUP_POLICIES, empty_ok=True,
        doc="delete (retention), compact (the log cleaner), both, or empty (keep everything, Kafka 4.2)"),
    int_key("max.message.bytes", 1048588, 0, MAX_INT, doc=MAX_MESSAGE_BYTES_DOC),
    choice_key("message.timestamp.type", "CreateTime", TIMESTAMP_TYPES, doc=TIMESTAMP_TYPE_DOC),
    int_key("message.timestamp.before.max.ms", MAX_LONG, 0, MAX_LONG, doc=BEFORE_MAX_DOC),
    int_key("message.timestamp.after.max.ms", 3600000, 0, MAX_LONG, doc=AFTER_MAX_DOC),
    int_key("delete.retention.ms", 86400000, 0, MAX_LONG, doc=DELETE_RETENTION_DOC),
    int_key("min.compaction.lag.ms", 0, 0, MAX_LONG, doc=MIN_LAG_DOC),
    int_key("max.compaction.lag.ms", MAX_LONG, 1, MAX_LONG, doc=MAX_LAG_DOC),
    float_key("min.cleanable.dirty.ratio", 0.5, 0, 1, doc=DIRTY_RATIO_DOC),
    bool_key("remote.storage.enable", False, doc=REMOTE_STORAGE_DOC),
    int_key("local.retention.ms", -2, -2, doc=LOCAL_MS_DOC),
    int_key("local.retention.bytes", -2, -2, doc=LOCAL_BYTES_DOC),
), unmodelled=("segment.index.bytes", "index.interval.bytes", "file.delete.delay.ms", "compression.type",
               "remote.log.copy.disable", "remote.log.delete.on.disable"))

GROUP = Schema("group", (
    choice_key("share.auto.offset.reset", "latest", ("earliest", "latest"),
               doc="where a share group starts reading a partition it has no state for"),
    choice_key("share.isolation.level", "read_uncommitted", ("read_uncommitted", "read_committed"),
               doc="read_committed: a share group delivers only committed transactional records, up to the LSO"),
), unmodelled=("consumer.heartbeat.interval.ms", "consumer.session.timeout.ms", "share.heartbeat.interval.ms",
               "share.session.timeout.ms", "share.record.lock.duration.ms"))

BROKER = Schema("broker", (
    int_key("broker.heartbeat.interval.ms", 2000, 1),
    int_key("broker.session.timeout.ms", 9000, 1),
    int_key("metadata.max.idle.interval.ms", 500, 0, doc="the active controller writes a NoOpRecord after this "
                                                        "long without a write (0: never)"),
    int_key("controller.quorum.election.timeout.ms", 1000, 1),
    int_key("controller.quorum.fetch.timeout.ms", 2000, 2),
    int_key("controller.quorum.election.backoff.max.ms", 1000, 1),
    int_key("controller.quorum.request.timeout.ms", 2000, 1),
    int_key("controller.quorum.retry.backoff.ms", 20, 1),
    int_key("controller.quorum.append.linger.ms", 25, 0),
    int_key("replica.lag.time.max.ms", 30000, 1),
    int_key("replica.fetch.wait.max.ms", 500, 0),
    int_key("replica.fetch.backoff.ms", 1000, 0),
    int_key("replica.fetch.max.bytes", 1048576, 1),
    int_key("replica.socket.timeout.ms", 30000, 1),
    int_key("default.replication.factor", 1, 1),
    int_key("num.partitions", 1, 1),
    int_key("min.insync.replicas", 1, 1),
    bool_key("unclean.leader.election.enable", False),
    int_key("unclean.leader.election.interval.ms", 300000, 1, doc="how often the active controller elects "
                                                                  "unclean leaders where a topic now allows it"),
    bool_key("auto.leader.rebalance.enable", True),
    int_key("leader.imbalance.check.interval.seconds", 300, 1),
    Key("replica.selector.class", "choice", None, choices=(RACK_AWARE_SELECTOR,),
        doc="null (consumers read from leaders) or the rack-aware selector (KIP-392)"),
    int_key("request.timeout.ms", 30000, 1, doc="inter-broker requests (transaction markers)"),
    int_key("transaction.state.log.num.partitions", 50, 1),
    int_key("transaction.state.log.replication.factor", 3, 1),
    int_key("transaction.state.log.min.isr", 2, 1),
    int_key("transaction.max.timeout.ms", 900000, 1),
    int_key("transaction.abort.timed.out.transaction.cleanup.interval.ms", 10000, 1),
    bool_key("transaction.partition.verification.enable", True,
             doc="leaders check a transaction's first write to a partition with its coordinator (KIP-890 part 1)"),
    int_key("add.partitions.to.txn.retry.backoff.ms", 20, 1),
    int_key("add.partitions.to.txn.retry.backoff.max.ms", 100, 1),
    int_key("offsets.topic.num.partitions", 50, 1),
    int_key("offsets.topic.replication.factor", 3, 1),
    int_key("offsets.commit.timeout.ms", 5000, 1, doc="how long a group coordinator write (offsets, group state) "
                                                 "may wait for the replicas"),
    int_key("group.initial.rebalance.delay.ms", 3000, 0),
    int_key("group.min.session.timeout.ms", 6000, 1),
    int_key("group.max.session.timeout.ms", 1800000, 1),
    Key("group.coordinator.rebalance.protocols", "list", ("classic", "consumer"), choices=("classic", "consumer"),
        doc="the group protocols the coordinators serve (Kafka 4.2 also lists streams, which is not modelled)"),
    Key("group.consumer.assignors", "list", ("uniform", "range"), choices=("uniform", "range"),
        doc="the consumer protocol's server-side assignors; the first is the default"),
    int_key("group.consumer.heartbeat.interval.ms", 5000, 1),
    int_key("group.consumer.min.heartbeat.interval.ms", 5000, 1),
    int_key("group.consumer.max.heartbeat.interval.ms", 15000, 1),
    int_key("group.consumer.session.timeout.ms", 45000, 1),
    int_key("group.consumer.min.session.timeout.ms", 45000, 1),
    int_key("group.consumer.max.session.timeout.ms", 60000, 1),
    int_key("group.consumer.max.size", 2147483647, 1),
    int_key("group.share.heartbeat.interval.ms", 5000, 1),
    int_key("group.share.min.heartbeat.interval.ms", 5000, 1),
    int_key("group.share.max.heartbeat.interval.ms", 15000, 1),
    int_key("group.share.session.timeout.ms", 45000, 1),
    int_key("group.share.min.session.timeout.ms", 45000, 1),
    int_key("group.share.max.session.timeout.ms", 60000, 1),
    int_key("group.share.max.size", 200, 1, 1000),
    int_key("group.share.record.lock.duration.ms", 30000, 1000, 3600000,
            doc="how long a share consumer holds the records it acquired before they become available again"),
    int_key("group.share.delivery.count.limit", 5, 2, 10,
            doc="a record delivered this many times is archived instead of made available again"),
    int_key("group.share.partition.max.record.locks", 2000, 100, 10000,
            doc="the most in-flight records of one share-partition"),
    int_key("share.coordinator.state.topic.num.partitions", 50, 1),
    int_key("share.coordinator.state.topic.replication.factor", 3, 1),
    int_key("share.coordinator.state.topic.min.isr", 2, 1),
    int_key("log.segment.bytes", 1073741824, 14, 2**31 - 1, doc=SEGMENT_BYTES_DOC),
    int_key("offsets.topic.segment.bytes", 104857600, 1, 2**31 - 1),
    int_key("transaction.state.log.segment.bytes", 104857600, 1, 2**31 - 1),
    int_key("share.coordinator.state.topic.segment.bytes", 104857600, 1, 2**31 - 1),
    int_key("log.roll.ms", 604800000, 1),
    int_key("log.roll.jitter.ms", 0, 0),
    int_key("log.retention.ms", 604800000, -1),
    int_key("log.retention.bytes", -1, -1),
    Key("log.cleanup.policy", "list", ("delete",), choices=CLEANUP_POLICIES, empty_ok=True),
    int_key("log.retention.check.interval.ms", 300000, 1, doc="how often each broker deletes expired segments"),
    int_key("log.initial.task.delay.ms", 30000, 0, doc="when a broker's first retention pass runs (Kafka: internal)"),
    int_key("message.max.bytes", 1048588, 0, MAX_INT, doc=MAX_MESSAGE_BYTES_DOC),
    choice_key("log.message.timestamp.type", "CreateTime", TIMESTAMP_TYPES, doc=TIMESTAMP_TYPE_DOC),
    int_key("log.message.timestamp.before.max.ms", MAX_LONG, 0, MAX_LONG, doc=BEFORE_MAX_DOC),
    int_key("log.message.timestamp.after.max.ms", 3600000, 0, MAX_LONG, doc=AFTER_MAX_DOC),
    int_key("fetch.max.bytes", 57671680, 1024, MAX_INT, doc="the most one fetch response carries: a fetch asking "
                                                            "for more is capped to this"),
    bool_key("log.cleaner.enable", True, doc="each broker compacts and trims its compacted logs (false: neither)"),
    int_key("log.cleaner.backoff.ms", 15000, 1, doc="how long the log cleaner sleeps when no log is eligible (Kafka "
                                                    "accepts 0, a busy loop that would stop virtual time)"),
    int_key("log.cleaner.delete.retention.ms", 86400000, 0, MAX_LONG, doc=DELETE_RETENTION_DOC),
    int_key("log.cleaner.min.compaction.lag.ms", 0, 0, MAX_LONG, doc=MIN_LAG_DOC),
    int_key("log.cleaner.max.compaction.lag.ms", MAX_LONG, 1, MAX_LONG, doc=MAX_LAG_DOC),
    float_key("log.cleaner.min.cleanable.ratio", 0.5, 0, 1, doc=DIRTY_RATIO_DOC),
    bool_key("remote.log.storage.system.enable", False, doc="the broker switch of tiered storage (KIP-405): "
                                                            "topics may then set remote.storage.enable"),
    int_key("remote.log.manager.task.interval.ms", 30000, 1, doc="how often each broker copies, expires and (as a "
                                                                 "follower) learns each tiered partition's remote data"),
    int_key("remote.fetch.max.wait.ms", 500, 1, doc="a consumer fetch reading the remote tier answers by then, the "
                                                    "remote partition empty if the object store has not answered"),
    int_key("log.local.retention.ms", -2, -2, doc=LOCAL_MS_DOC),
    int_key("log.local.retention.bytes", -2, -2, doc=LOCAL_BYTES_DOC),
), unmodelled=("auto.create.topics.enable", "log.dirs", "process.roles", "node.id", "log.retention.hours",
               "log.retention.minutes", "log.roll.hours", "log.roll.jitter.hours",
               "log.cleaner.threads", "remote.log.manager.copy.max.bytes.per.second", "remote.log.reader.threads",
               "remote.log.storage.manager.class.name", "remote.log.metadata.manager.class.name"))


def check_broker(cfg: Config) -> None:
    """The group coordinator's startup checks (Kafka's GroupCoordinatorConfig): each consumer- and
    share-group interval within its min and max, and the heartbeat interval below the session timeout."""
    for kind in ("consumer", "share"):
        for what in ("heartbeat.interval.ms", "session.timeout.ms"):
            lo, value, hi = (cfg[f"group.{kind}.{p}{what}"] for p in ("min.", "", "max."))
            if not lo <= value <= hi:
                raise ConfigException(f"group.{kind}.{what}={value} must be between group.{kind}.min.{what}={lo} "
                                      f"and group.{kind}.max.{what}={hi}")
        if cfg[f"group.{kind}.heartbeat.interval.ms"] >= cfg[f"group.{kind}.session.timeout.ms"]:
            raise ConfigException(f"group.{kind}.heartbeat.interval.ms must be less than "
                                  f"group.{kind}.session.timeout.ms")
    if cfg["remote.log.storage.system.enable"]:          # Kafka: LogConfig.validateBrokerLogConfigValues
        error = local_retention_error(cfg, "log.retention.bytes", "log.local.retention.bytes", lambda v: v <= -1) \
            or local_retention_error(cfg, "log.retention.ms", "log.local.retention.ms", lambda v: v == -1)
        if error is not None:
            raise ConfigException(error)
