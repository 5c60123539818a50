"""What applications hold: `TopicPartition` and `Message`, shaped like confluent-kafka's.

Rules:
- A Message is what a consumer returns or a delivery report carries: accessor methods
  `topic()`, `partition()`, `offset()`, `key()`, `value()`, `headers()`, `timestamp()`
  (a `(TIMESTAMP_CREATE_TIME, ms)` pair), `error()` and `leader_epoch()`.
- Reprs are deterministic (no addresses), so notebook outputs reproduce.
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
            raise TypeError(f"topic must be a str, got {type(topic).__name__}")
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


def offsets_to_wire(offsets: Any, call: str) -> tuple[tuple[tuple[str, int], int], ...]:
    """((topic, partition), offset) for a list of TopicPartitions that must carry a position
    (commit, send_offsets_to_transaction): the offset of the next record to read, >= 0."""
    if not isinstance(offsets, (list, tuple)):
        raise TypeError(f"{call}: offsets must be a list of TopicPartition, got {type(offsets).__name__}")
    out = []
    for tp in offsets:
        if not isinstance(tp, TopicPartition):
            raise TypeError(f"{call}: offsets must be TopicPartition objects, got {tp!r}")
        if tp.offset < 0:
            raise KafkaException("_INVALID_ARG", f"{call}: {tp.topic}-{tp.partition} has offset {tp.offset}, which is "
                                                 "not a position; set TopicPartition(topic, partition, offset) to the "
                                                 "offset of the next record to read (>= 0)")
        out.append(((tp.topic, tp.partition), tp.offset))
    return tuple(out)
