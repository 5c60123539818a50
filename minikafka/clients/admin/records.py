"""Admin calls about a partition's records: ListOffsets and DeleteRecords, sent to each partition's
leader (broker_calls.py; broker side in server/list_offsets.py and server/delete_records.py).

| method | sends | Kafka |
|---|---|---|
| `list_offsets` | Metadata, then ListOffsets per partition to its leader | `Admin.listOffsets`, `kafka-get-offsets.sh` |
| `delete_records` | Metadata, then DeleteRecords per partition to its leader | `Admin.deleteRecords`, `kafka-delete-records.sh` |

Rules:
1. Arguments are checked before anything is sent: a partition is a (topic, partition) pair or a
   TopicPartition; an offset spec is "earliest", "latest", "max_timestamp", "earliest_local",
   "latest_tiered" or a timestamp in ms >= 0 (Kafka's `OffsetSpec`); a DeleteRecords offset is
   an offset >= 0 or -1 (the high watermark).
2. NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PART look the leader up again (leadership moved);
   LEADER_NOT_AVAILABLE and OFFSET_NOT_AVAILABLE retry; another error is the partition's answer
   and the call raises the first one, in partition order, after the others are done.
3. `list_offsets` returns {partition: ListOffsetsResultInfo(offset, timestamp)}; a timestamp
   lookup that finds nothing answers offset -1 (Kafka's client: null).
4. `delete_records` returns {partition: low watermark} once every replica on a live broker has
   moved its log start there (server/delete_records.py rule 4).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikafka import protocol as P
from minikafka.clients.admin.arguments import check_partition
from minikafka.clients.admin.broker_calls import DONE, FAIL, LOOKUP, RETRY, Key, Verdict, leader_lookup, raise_first
from minikafka.clients.message import is_int
from minikafka.errors import KafkaException

TP = tuple[str, int]
SPECS = {"earliest": -2, "latest": -1, "max_timestamp": -3, "earliest_local": -4, "latest_tiered": -5}


@dataclass(frozen=True)
class ListOffsetsResultInfo:
    """Kafka's `ListOffsetsResult.ListOffsetsResultInfo`: the offset found and its record's timestamp."""

    offset: int
    timestamp: int


def check_spec(what: str, value: Any) -> int:
    if isinstance(value, str) and value in SPECS:
        return SPECS[value]
    if is_int(value) and value >= 0:
        return value
    raise ValueError(f"{what}: an offset spec is one of {', '.join(repr(s) for s in SPECS)} or a timestamp "
                     f"in ms >= 0, got {value!r}")


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

    run_keys: Callable[..., None]
    api_deadline: Callable[[], int]

    def list_offsets(self, specs: Mapping[Any, Any], isolation_level: str = "read_uncommitted"
                     ) -> dict[TP, ListOffsetsResultInfo]:
        """Rule 3: `specs` maps partitions to an offset spec (rule 1)."""
        what = "list_offsets"
        if not isinstance(specs, Mapping):
            raise TypeError(f"{what}: specs must be a dict of partition -> offset spec, got {type(specs).__name__}")
        if isolation_level not in ("read_uncommitted", "read_committed"):
            raise ValueError(f"{what}: isolation_level must be 'read_uncommitted' or 'read_committed', "
                             f"got {isolation_level!r}")
        wanted = {check_partition(what, tp): check_spec(what, spec) for tp, spec in specs.items()}

        def answer(resp: P.ListOffsetsResponse, i: int) -> ListOffsetsResultInfo:
            return ListOffsetsResultInfo(resp.results[i][2], resp.timestamps[i] if resp.timestamps else -1)
        return self._to_leaders(what, wanted, lambda cid, tp: P.ListOffsetsRequest(cid, [(tp, wanted[tp])],
                                                                                   isolation_level), answer)

    def delete_records(self, offsets: Mapping[Any, int], timeout_ms: int = 30000) -> dict[TP, int]:
        """Rule 4: `offsets` maps partitions to the offset before which records go (-1: the HW)."""
        what = "delete_records"
        if not isinstance(offsets, Mapping):
            raise TypeError(f"{what}: offsets must be a dict of partition -> offset, got {type(offsets).__name__}")
        wanted: dict[TP, int] = {}
        for tp, off in offsets.items():
            key = check_partition(what, tp)
            if not is_int(off) or off < -1:
                raise ValueError(f"{what}: the offset for {key[0]}-{key[1]} must be an offset >= 0 or -1 "
                                 f"(the high watermark), got {off!r}")
            wanted[key] = off

        return self._to_leaders(what, wanted, lambda cid, tp: P.DeleteRecordsRequest(cid, [(tp, wanted[tp])],
                                                                                     timeout_ms),
                                lambda resp, i: resp.results[i][2])

    def _to_leaders(self, what: str, wanted: Mapping[TP, Any], build: Callable[[int, TP], Any],
                    answer: Callable[[Any, int], Any]) -> dict[TP, Any]:
        """Rule 2: one request per partition to its leader; `answer(response, i)` reads the value of
        the response's i-th result when it has no error."""
        def handle_for(tp: TP) -> Callable[[Any, int], Verdict]:
            def handle(resp: Any, broker: int) -> Verdict:
                for i, (t, err, _) in enumerate(resp.results):
                    if t == tp:
                        return _verdict(err, what, tp) or (DONE, answer(resp, i))
                return (FAIL, KafkaException("INVALID_REQUEST", f"{what}: no answer for {tp[0]}-{tp[1]}"))
            return handle
        tps = sorted(wanted)
        keys = [Key(f"{tp[0]}-{tp[1]}", lambda cid, tp=tp: build(cid, tp), handle_for(tp), lookup=leader_lookup(tp, what))
                for tp in tps]
        self.run_keys(keys, what, self.api_deadline())
        raise_first(keys)
        return {tp: k.value for tp, k in zip(tps, keys)}
