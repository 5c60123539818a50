"""What applications hold: `TopicPartition` and `Message`, shaped like confluent-kafka's.

Rules:
- A Message is what a consumer returns or a delivery report carries: accessor methods
  `topic()`, `partition()`, `offset()`, `key()`, `value()`, `headers()`, `timestamp()`
  (a `(type, ms)` pair: TIMESTAMP_CREATE_TIME, or TIMESTAMP_LOG_APPEND_TIME for a record the
  leader stamped, server/log_validator.py rule 6, both in the delivery report and when consumed;
  (TIMESTAMP_NOT_AVAILABLE, -1) without one), `error()` and `leader_epoch()`.
- Reprs are deterministic (no addresses), so notebook outputs reproduce.
- `TopicPartition(topic, partition, offset)` refuses a topic that is not a str and a partition
  or an offset that is not an int (a bool is refused too) with TypeError, as confluent-kafka's
  does. Its fields can be changed later, so every call that takes TopicPartitions checks them
  again (`check_topic_partitions`): a plain tuple, a partition < 0 or an offset that is not a
  position the call accepts is refused before anything changes, naming the call and the value.
"""
from __future__ import annotations

from typing import Any

from minikafka.errors import KafkaError, KafkaException

OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_STORED = -1000
OFFSET_INVALID = -1001

TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2


class TopicPartition:
    """A topic, a partition and optionally an offset (confluent-kafka's TopicPartition)."""

    __slots__ = ("topic", "partition", "offset", "error", "leader_epoch", "metadata")

    def __init__(self, topic: str, partition: int = -1, offset: int = OFFSET_INVALID,
                 metadata: str | None = None, leader_epoch: int | None = None) -> None:
        if not isinstance(topic, str):
            raise TypeError(f"TopicPartition: topic must be a str, got {type(topic).__name__} {topic!r}")
        for name, v in (("partition", partition), ("offset", offset)):
            if not is_int(v):
                raise TypeError(f"TopicPartition: {name} must be an int, got {type(v).__name__} {v!r}")
        if metadata is not None and not isinstance(metadata, str):
            raise TypeError(f"TopicPartition: metadata must be a str or None, got {type(metadata).__name__}")
        if leader_epoch is not None and not is_int(leader_epoch):
            raise TypeError(f"TopicPartition: leader_epoch must be an int or None, got {leader_epoch!r}")
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
        self.leader_epoch = leader_epoch
        self.error: KafkaError | None = None

    def _key(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopicPartition):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: "TopicPartition") -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        off = "" if self.offset == OFFSET_INVALID else f",offset={self.offset}"
        err = "" if self.error is None else f",error={self.error.name()}"
        return f"TopicPartition{{topic={self.topic},partition={self.partition}{off}{err}}}"


class Message:
    __slots__ = ("_topic", "_partition", "_offset", "_key", "_value", "_headers", "_timestamp",
                 "_error", "_leader_epoch", "_tstype")

    def __init__(self, topic: str | None, partition: int | None, offset: int | None, key: Any, value: Any,
                 headers: Any = None, timestamp: int = -1, error: KafkaError | None = None,
                 leader_epoch: int | None = None, tstype: int = TIMESTAMP_CREATE_TIME) -> None:
        self._topic = topic
        self._partition = partition
        self._offset = offset
        self._key = key
        self._value = value
        self._headers = headers
        self._timestamp = timestamp
        self._error = error
        self._leader_epoch = leader_epoch
        self._tstype = tstype

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def key(self) -> Any:
        return self._key

    def value(self) -> Any:
        return self._value

    def headers(self) -> list[tuple[str, bytes]] | None:
        return list(self._headers) if self._headers else None

    def timestamp(self) -> tuple[int, int]:
        if self._timestamp < 0:
            return (TIMESTAMP_NOT_AVAILABLE, -1)
        return (self._tstype, self._timestamp)

    def error(self) -> KafkaError | None:
        return self._error

    def leader_epoch(self) -> int | None:
        return self._leader_epoch

    def __len__(self) -> int:
        return len(self._value) if self._value else 0

    def __repr__(self) -> str:
        if self._error is not None:
            return f"Message(error={self._error.name()}, topic={self._topic!r}, partition={self._partition})"
        return (f"Message(topic={self._topic!r}, partition={self._partition}, offset={self._offset}, "
                f"key={self._key!r}, value={self._value!r})")


class GroupMetadata:
    """What `consumer.consumer_group_metadata()` returns, for `send_offsets_to_transaction`: the
    group id and the member's generation and member id, so the group coordinator can fence a
    zombie consumer's offsets (KIP-447). Without group membership (assign()), the generation
    is -1 and the member id empty."""

    __slots__ = ("group_id", "generation_id", "member_id", "group_instance_id")

    def __init__(self, group_id: str, generation_id: int = -1, member_id: str = "",
                 group_instance_id: str | None = None) -> None:
        self.group_id = group_id
        self.generation_id = generation_id
        self.member_id = member_id
        self.group_instance_id = group_instance_id

    def __repr__(self) -> str:
        return (f"GroupMetadata(group_id={self.group_id!r}, generation_id={self.generation_id}, "
                f"member_id={self.member_id!r})")


def is_int(v: Any) -> bool:
    """An int that is not a bool (`True` is an int in Python, and never a partition or offset)."""
    return isinstance(v, int) and not isinstance(v, bool)


# which offsets a call accepts besides positions (>= 0), and how its errors say so
_OFFSETS: dict[str, tuple[tuple[int, ...], str]] = {
    "start": ((OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED, OFFSET_INVALID),
              "an offset >= 0, OFFSET_BEGINNING (-2), OFFSET_END (-1), OFFSET_STORED (-1000) or none "
              "(OFFSET_INVALID, -1001: start from the committed offset or auto.offset.reset)"),
    "seek": ((OFFSET_BEGINNING, OFFSET_END), "an offset >= 0, OFFSET_BEGINNING (-2) or OFFSET_END (-1)"),
    "position": ((), "a position: the offset of the next record to read (>= 0); set "
                     "TopicPartition(topic, partition, offset)"),
}


def check_topic(topic: Any, call: str) -> str:
    """A topic name given to `call`: a str (else TypeError), not empty (else
    INVALID_TOPIC_EXCEPTION)."""
    if not isinstance(topic, str):
        raise TypeError(f"{call}: a topic name must be a str, got {type(topic).__name__} {topic!r}")
    if not topic:
        raise KafkaException("INVALID_TOPIC_EXCEPTION", f"{call}: the topic name is empty")
    return topic


def check_topic_partition(tp: Any, call: str, offsets: str | None = None) -> tuple[str, int]:
    """(topic, partition) of a TopicPartition given to `call`: a TopicPartition (not a plain
    tuple) with a non-empty topic and a partition >= 0, and when `offsets` names a rule of
    _OFFSETS, an offset that rule accepts. Wrong types raise TypeError; wrong values
    KafkaException(_INVALID_ARG)."""
    if not isinstance(tp, TopicPartition):
        hint = ""
        if isinstance(tp, tuple) and tp and isinstance(tp[0], str):
            hint = f"; a plain tuple is not one: write TopicPartition({', '.join(repr(x) for x in tp)})"
        raise TypeError(f"{call} takes TopicPartition objects, got {type(tp).__name__} {tp!r}{hint}")
    topic, part, off = tp.topic, tp.partition, tp.offset
    check_topic(topic, call)
    if not is_int(part):
        raise TypeError(f"{call}: the partition of topic '{topic}' must be an int >= 0, "
                        f"got {type(part).__name__} {part!r}")
    if part < 0:
        raise KafkaException("_INVALID_ARG", f"{call}: partition {part} of topic '{topic}' is not a partition; "
                                             "partitions are numbered from 0")
    if offsets is not None:
        allowed, accepted = _OFFSETS[offsets]
        if not is_int(off):
            raise TypeError(f"{call}: the offset of {topic}-{part} must be an int, got {type(off).__name__} {off!r}; "
                            f"accepted: {accepted}")
        if off < 0 and off not in allowed:
            raise KafkaException("_INVALID_ARG", f"{call}: {topic}-{part} has offset {off}, which {call} does not "
                                                 f"accept; accepted: {accepted}")
    return (topic, part)


def check_topic_partitions(partitions: Any, call: str, offsets: str | None = None) -> list[tuple[str, int]]:
    """check_topic_partition for each of a list (or tuple) of TopicPartitions, all of them
    before the caller changes anything."""
    if isinstance(partitions, tuple) and partitions and isinstance(partitions[0], str):
        check_topic_partition(partitions, call)          # ("t", 0): says how to write it
    if not isinstance(partitions, (list, tuple)):
        raise TypeError(f"{call} takes a list of TopicPartition, got {type(partitions).__name__} {partitions!r}")
    return [check_topic_partition(tp, call, offsets) for tp in partitions]


def offsets_to_wire(offsets: Any, call: str) -> tuple[tuple[tuple[str, int], int], ...]:
    """((topic, partition), offset) for a list of TopicPartitions that must carry a position
    (commit, send_offsets_to_transaction): the offset of the next record to read, >= 0."""
    keys = check_topic_partitions(offsets, call, "position")
    return tuple((key, tp.offset) for key, tp in zip(keys, offsets))
