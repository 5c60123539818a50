"""Admin calls about a partition's records: ListOffsets and DeleteRecords, sent to each partition's
leader (broker_calls.py; broker side in server/list_offsets.py and server/delete_records.py).

| method | returns | sends | Kafka |
|---|---|---|---|
| `list_offsets` | {partition: future of `ListOffsetsResultInfo`} | Metadata, then ListOffsets per partition to its leader | `Admin.listOffsets`, `kafka-get-offsets.sh` |
| `delete_records` | {partition: future of `DeletedRecords`} | Metadata, then DeleteRecords per partition to its leader | `Admin.deleteRecords`, `kafka-delete-records.sh` |

Rules:
1. Arguments are checked before anything is sent: a partition is a (topic, partition) pair or a
   TopicPartition (the result's keys are the partitions as given); an offset spec is an
   `OffsetSpec` (`OffsetSpec.earliest()`, `.latest()`, `.max_timestamp()`, `.for_timestamp(ms)`,
   as confluent-kafka's) or one of "earliest", "latest", "max_timestamp", "earliest_local",
   "latest_tiered" or a timestamp in ms >= 0; a DeleteRecords offset is an offset >= 0 or -1
   (the high watermark), as the offset of a TopicPartition (confluent-kafka's form) or in a
   mapping {partition: offset}.
2. NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PART look the leader up again (leadership moved);
   LEADER_NOT_AVAILABLE and OFFSET_NOT_AVAILABLE retry; another error is the partition's answer
   and that partition's future raises it.
3. `list_offsets`: each future's value is ListOffsetsResultInfo(offset, timestamp); a timestamp
   lookup that finds nothing answers offset -1 (Kafka's client: null).
4. `delete_records`: each future's value is DeletedRecords(low_watermark), once every replica on
   a live broker has moved its log start there (server/delete_records.py rule 4).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikafka import protocol as P
from minikafka.clients.admin.arguments import check_items, check_partition
from minikafka.clients.admin.broker_calls import (DONE, FAIL, LOOKUP, RETRY, Call, Key, Verdict, leader_lookup)
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.clients.message import is_int
from minikafka.errors import KafkaException

TP = tuple[str, int]
SPECS = {"earliest": -2, "latest": -1, "max_timestamp": -3, "earliest_local": -4, "latest_tiered": -5}


@dataclass(frozen=True)
class ListOffsetsResultInfo:
    """Kafka's `ListOffsetsResult.ListOffsetsResultInfo`: the offset found and its record's timestamp."""

    offset: int
    timestamp: int


@dataclass(frozen=True)
class DeletedRecords:
    """confluent-kafka's `DeletedRecords`: the partition's low watermark after the deletion."""

    low_watermark: int


class OffsetSpec:
    """confluent-kafka's (and Kafka's) `OffsetSpec`: what ListOffsets looks for."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    @classmethod
    def earliest(cls) -> "OffsetSpec":
        return cls(SPECS["earliest"])

    @classmethod
    def latest(cls) -> "OffsetSpec":
        return cls(SPECS["latest"])

    @classmethod
    def max_timestamp(cls) -> "OffsetSpec":
        return cls(SPECS["max_timestamp"])

    @classmethod
    def for_timestamp(cls, timestamp: int) -> "OffsetSpec":
        if not is_int(timestamp) or timestamp < 0:
            raise ValueError(f"OffsetSpec.for_timestamp: timestamp must be ms >= 0, got {timestamp!r}")
        return cls(timestamp)

    def __repr__(self) -> str:
        names = {v: k for k, v in SPECS.items()}
        return f"OffsetSpec({names.get(self.value, self.value)!r})"


def check_spec(what: str, value: Any) -> int:
    if isinstance(value, OffsetSpec):
        return value.value
    if isinstance(value, str) and value in SPECS:
        return SPECS[value]
    if is_int(value) and value >= 0:
        return value
    raise ValueError(f"{what}: an offset spec is an OffsetSpec, one of {', '.join(repr(s) for s in SPECS)} or "
                     f"a timestamp in ms >= 0, got {value!r}")


def _verdict(err: str | None, what: str, tp: TP) -> Verdict | None:
    if err is None:
        return None
    if err in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART"):
        return (LOOKUP, err)
    if err in ("LEADER_NOT_AVAILABLE", "OFFSET_NOT_AVAILABLE"):
        return (RETRY, err)
    return (FAIL, KafkaException(err, f"{what}: {tp[0]}-{tp[1]}: {err}"))


class RecordTools:
    """The ListOffsets and DeleteRecords calls of `AdminClient` (admin_client.py)."""

    launch: Callable[[Call, str], KafkaFuture]
    ask: Callable[..., Call]
    api_deadline: Callable[[], int]

    def list_offsets(self, topic_partition_offsets: Mapping[Any, Any], isolation_level: str = "read_uncommitted"
                     ) -> dict[Any, KafkaFuture]:
        """Rule 3: `topic_partition_offsets` maps partitions to an offset spec (rule 1)."""
        what = "list_offsets"
        if not isinstance(topic_partition_offsets, Mapping):
            raise TypeError(f"{what}: topic_partition_offsets must be a dict of partition -> offset spec, got "
                            f"{type(topic_partition_offsets).__name__}")
        if isolation_level not in ("read_uncommitted", "read_committed"):
            raise ValueError(f"{what}: isolation_level must be 'read_uncommitted' or 'read_committed', "
                             f"got {isolation_level!r}")
        wanted = {given: (check_partition(what, given), check_spec(what, spec))
                  for given, spec in topic_partition_offsets.items()}
        if not wanted:
            raise ValueError(f"{what}: topic_partition_offsets must name at least one partition")

        def answer(resp: P.ListOffsetsResponse, i: int) -> ListOffsetsResultInfo:
            return ListOffsetsResultInfo(resp.results[i][2], resp.timestamps[i] if resp.timestamps else -1)
        return {given: self.launch(self._to_leader(what, tp, lambda cid, tp=tp, spec=spec: P.ListOffsetsRequest(
                    cid, [(tp, spec)], isolation_level), answer), f"{what}({tp[0]}-{tp[1]})")
                for given, (tp, spec) in _sorted(wanted)}

    def delete_records(self, topic_partition_offsets: Any, timeout_ms: int = 30000) -> dict[Any, KafkaFuture]:
        """Rule 4: TopicPartitions carrying the offset before which records go (-1: the HW), or a
        mapping {partition: offset}."""
        what = "delete_records"
        if isinstance(topic_partition_offsets, Mapping):
            pairs = list(topic_partition_offsets.items())
        else:
            pairs = []
            for tp in check_items(what, "topic_partition_offsets", topic_partition_offsets,
                                  "TopicPartitions with offsets, or a mapping"):
                if not hasattr(tp, "offset"):
                    raise TypeError(f"{what}: topic_partition_offsets must be TopicPartitions with offsets or a "
                                    f"mapping {{(topic, partition): offset}}, got {tp!r}")
                pairs.append((tp, tp.offset))
        wanted: dict[Any, tuple[tuple[str, int], int]] = {}
        for given, off in pairs:
            key = check_partition(what, given)
            if not is_int(off) or off < -1:
                raise ValueError(f"{what}: the offset for {key[0]}-{key[1]} must be an offset >= 0 or -1 "
                                 f"(the high watermark), got {off!r}")
            wanted[given] = (key, off)
        if not wanted:
            raise ValueError(f"{what}: topic_partition_offsets must name at least one partition")
        return {given: self.launch(self._to_leader(what, tp, lambda cid, tp=tp, off=off: P.DeleteRecordsRequest(
                    cid, [(tp, off)], timeout_ms), lambda resp, i: DeletedRecords(resp.results[i][2])),
                    f"{what}({tp[0]}-{tp[1]})")
                for given, (tp, off) in _sorted(wanted)}

    def _to_leader(self, what: str, tp: TP, build: Callable[[int], Any], answer: Callable[[Any, int], Any]) -> Call:
        """Rule 2: one request to the partition's leader; `answer(response, i)` reads the value of
        the response's i-th result when it has no error."""
        def handle(resp: Any, broker: int) -> Verdict:
            for i, (t, err, _) in enumerate(resp.results):
                if t == tp:
                    return _verdict(err, what, tp) or (DONE, answer(resp, i))
            return (FAIL, KafkaException("INVALID_REQUEST", f"{what}: no answer for {tp[0]}-{tp[1]}"))
        key = Key(f"{tp[0]}-{tp[1]}", build, handle, lookup=leader_lookup(tp, what))
        return (yield from self.ask(key, what))


def _sorted(wanted: dict[Any, tuple[TP, Any]]) -> list[tuple[Any, tuple[TP, Any]]]:
    """Partitions are asked about in (topic, partition) order, whatever order they were given in."""
    return sorted(wanted.items(), key=lambda item: item[1][0])
