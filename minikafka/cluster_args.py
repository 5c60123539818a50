"""Argument checks for the public entry points: the cluster facade (cluster.py) and the tools
above it (viz, experiments, the nemesis, the chaos command line).

Rules:
1. A check runs before anything changes, so a refused call leaves everything as it was.
2. A value of the wrong type raises TypeError, a value of the right type but out of range
   ValueError; both name the argument, the value and what is accepted. Where Kafka has an
   error for the case (a topic name, a partition count) the caller raises Kafka's instead.
3. `bool` is not an integer here: `True` would otherwise be broker 1 or one millisecond.
4. Topic names follow Kafka's `Topic.validate` (1-249 characters from a-z A-Z 0-9 . _ -, not
   "." or "..") and the controller's collision rule: a name that differs from an existing one
   only by '.' against '_' is refused (INVALID_TOPIC_EXCEPTION, Kafka's wording). The name of
   KRaft's metadata log, `__cluster_metadata`, is refused (INVALID_REQUEST); the coordinators'
   internal topics may be created by hand, as in Kafka.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from minikafka.clients.message import is_int
from minikafka.errors import KafkaException

CLUSTER_METADATA = "__cluster_metadata"      # KRaft's metadata log: no topic may take its name

MAX_TOPIC_NAME = 249
MAX_RECORDS_PER_USER_OP = 10_000        # Kafka's QuorumController: records one operation may write
SIZES = {"partitions": ("INVALID_PARTITIONS", 2**31 - 1,
                        "Number of partitions was set to an invalid non-positive value."),
         "replication_factor": ("INVALID_REPLICATION_FACTOR", 32767,
                                "Replication factor must be larger than 0, or -1 to use the default value.")}
EMPTY: Mapping[str, Any] = MappingProxyType({})
_LEGAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _int_range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"an integer from {lo} to {hi}"
    if lo is not None:
        return f"an integer >= {lo}"
    if hi is not None:
        return f"an integer <= {hi}"
    return "an integer"


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None, unit: str = "") -> int:
    """`value` as an int within [lo, hi] (rule 2); `unit` is said after the range ("ms")."""
    accepted = _int_range(lo, hi) + (f" ({unit})" if unit else "")
    if not is_int(value):
        raise TypeError(f"{name} must be {accepted}, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    return value


def check_count(name: str, value: Any) -> int | None:
    """None (no limit) or an integer >= 1."""
    if value is None:
        return None
    if not is_int(value):
        raise TypeError(f"{name} must be an integer >= 1 or None (no limit), got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1 or None (no limit), got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a probability, a number from 0 to 1, got {value!r}")
    if not 0.0 <= value <= 1.0:        # also refuses NaN
        raise ValueError(f"{name} must be a probability, a number from 0 to 1, got {value!r}")
    return float(value)


def check_str(name: str, value: Any, choices: Collection[str] | None = None) -> str:
    if choices is not None:
        accepted = "one of " + ", ".join(repr(c) for c in choices)
        if not isinstance(value, str):
            raise TypeError(f"{name} must be {accepted}, got {value!r}")
        if value not in choices:
            raise ValueError(f"{name} must be {accepted}, got {value!r}")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}")
    return value


def check_range(name: str, value: Any, lo: int = 0) -> tuple[int, int]:
    """A (low, high) pair of integers with lo <= low <= high."""
    accepted = f"a pair (low, high) of integers with {lo} <= low <= high"
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) for v in value):
        raise TypeError(f"{name} must be {accepted}, got {value!r}")
    low, high = value
    if not lo <= low <= high:
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    return (low, high)


def check_names(name: str, value: Any, known: Iterable[str], what: str = "topic") -> list[str]:
    """A list (or tuple) of strings, each one of `known`; an unknown one is UNKNOWN_TOPIC_OR_PART
    when `what` is "topic", else ValueError."""
    known = list(known)
    if isinstance(value, str) or not isinstance(value, (list, tuple)) \
            or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a list of {what} names, got {value!r}")
    unknown = [v for v in value if v not in known]
    if unknown:
        text = f"unknown {what} {unknown[0]!r} in {name}; {what}s: {', '.join(known) or 'none'}"
        if what == "topic":
            raise KafkaException("UNKNOWN_TOPIC_OR_PART", text)
        raise ValueError(text)
    return list(value)


def topic_name_error(name: Any) -> str | None:
    """Why Kafka's `Topic.validate` refuses `name`, in its words; None when it is valid."""
    if not isinstance(name, str):
        return f"a topic name is a string, got {name!r}"
    if name == "":
        return "the empty string is not allowed"
    if name in (".", ".."):
        return f"'{name}' is not allowed"
    if len(name) > MAX_TOPIC_NAME:
        return f"the length of '{name}' is longer than the max allowed length {MAX_TOPIC_NAME}"
    if not set(name) <= _LEGAL:
        return f"'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
    return None


def check_new_topic_name(name: Any, existing: Iterable[str]) -> str:
    """Rule 4: Kafka's name rules, the metadata log's name reserved (Kafka's ControllerApis),
    then its collision rule (TOPIC_ALREADY_EXISTS is the controller's, for the exact name)."""
    why = topic_name_error(name)
    if why is not None:
        raise KafkaException("INVALID_TOPIC_EXCEPTION", f"Topic name is invalid: {why}")
    if name == CLUSTER_METADATA:
        raise KafkaException("INVALID_REQUEST", f"Creation of internal topic {CLUSTER_METADATA} is prohibited. "
                             "(The other internal topics, __consumer_offsets and __transaction_state, may be "
                             "created by hand, as in Kafka; their coordinators then use their partition count.)")
    if "." in name or "_" in name:
        unified = name.replace(".", "_")
        colliding = sorted(t for t in existing if t != name and t.replace(".", "_") == unified)
        if colliding:
            raise KafkaException("INVALID_TOPIC_EXCEPTION",
                                 f"Topic '{name}' collides with existing topic: {colliding[0]}")
    return name


def check_mapping(name: str, value: Any, default: Mapping[str, Any] | None = EMPTY) -> Mapping[str, Any]:
    """A dict of config names; None gives `default` (None as the default: None is refused)."""
    if value is None and default is not None:
        return default
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict of Kafka config names to values, got {value!r}")
    return value


def check_size(name: str, value: Any, broker_config: Mapping[str, Any], default_key: str) -> int:
    """A new topic's partition count or replication factor, as Kafka's CreateTopics takes them:
    None or -1 is the brokers' `default_key`."""
    if value is None or (is_int(value) and value == -1):
        return broker_config[default_key]
    error, most, why = SIZES[name]
    if not is_int(value):
        raise TypeError(f"{name} must be an integer from 1 to {most}, or -1 or None for {default_key}, got {value!r}")
    if not 1 <= value <= most:
        raise KafkaException(error, f"{why} Got {value!r}; accepted: 1 to {most}, or -1 for {default_key}")
    return value


def check_batch(records: int) -> None:
    """Kafka's controller writes one metadata record per new partition (plus the topic's and
    one per config it sets) and refuses an operation of more than 10,000 records."""
    if records > MAX_RECORDS_PER_USER_OP:
        raise KafkaException("POLICY_VIOLATION", f"Unable to perform excessively large batch operation: "
                             f"{records} metadata records, at most {MAX_RECORDS_PER_USER_OP}")


def message_kinds() -> tuple[str, ...]:
    """Every message kind of the protocol (what drop and delay rules may name)."""
    from minikafka import protocol
    return tuple(sorted(n for n, v in vars(protocol).items() if isinstance(v, type) and v is not protocol.Msg
                        and issubclass(v, protocol.Msg) and v.kind == n))


def check_kind(kind: Any) -> str:
    """A message kind of a drop or delay rule: "*" (any) or one of `message_kinds()`."""
    kinds = message_kinds()
    if kind != "*" and check_str("kind", kind) not in kinds:
        raise ValueError(f"unknown message kind {kind!r}; kinds: '*' (any), {', '.join(kinds)}")
    return kind


def check_new_total(topic: str, have: int, total: Any) -> int:
    """CreatePartitions: the new total must be larger than the `have` partitions (Kafka's words)."""
    if not is_int(total):
        raise TypeError(f"total must be an integer > {have} (topic '{topic}' has {have} partitions), got {total!r}")
    if total == have:
        raise KafkaException("INVALID_PARTITIONS", f"Topic already has {have} partition(s).")
    if not have < total < 2**31:
        why = "would not be an increase" if total < have else f"is over the maximum, {2**31 - 1}"
        raise KafkaException("INVALID_PARTITIONS", f"The topic {topic} currently has {have} partition(s); {total} {why}.")
    return total


def check_partition(topic: str, partition: Any, count: int) -> int:
    """A partition number of a topic of `count` partitions (_UNKNOWN_PARTITION when out of range)."""
    if not is_int(partition):
        raise TypeError(f"partition must be an integer, a partition of '{topic}' (0..{count - 1}), got {partition!r}")
    if not 0 <= partition < count:
        raise KafkaException("_UNKNOWN_PARTITION",
                             f"Partition {partition!r} does not exist: topic '{topic}' has partitions 0..{count - 1}")
    return partition


def check_ints(name: str, value: Any) -> list[int]:
    """A list or tuple (or range) of integers."""
    if not isinstance(value, (list, tuple, range)) or not all(is_int(v) for v in value):
        raise TypeError(f"{name} must be a list of integers, got {value!r}")
    return list(value)


def check_topic(value: Any, known: Iterable[str]) -> str:
    """The name of an existing topic (UNKNOWN_TOPIC_OR_PART, as the cluster's own calls say)."""
    known = sorted(known)
    if check_str("topic", value) not in known:
        raise KafkaException("UNKNOWN_TOPIC_OR_PART", f"Unknown topic '{value}'; topics: {', '.join(known) or 'none'}")
    return value


def check_racks(racks: Any, brokers: int) -> dict[int, str]:
    """`Cluster(racks=...)`: broker id -> rack name (`broker.rack`); brokers left out have none."""
    if racks is None:
        return {}
    if not isinstance(racks, Mapping):
        raise TypeError(f"racks must be a dict of broker id -> rack name (broker.rack), got {racks!r}")
    for b, rack in racks.items():
        if not is_int(b) or not 1 <= b <= brokers:
            raise ValueError(f"racks names broker {b!r}; brokers are 1..{brokers}")
        if not isinstance(rack, str) or not rack:
            raise TypeError(f"racks[{b}] must be a non-empty rack name (broker.rack), got {rack!r}")
    return dict(sorted(racks.items()))
