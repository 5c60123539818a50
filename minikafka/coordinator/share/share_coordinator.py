"""The share coordinator (KIP-932), on the leader of a share-partition's `__share_group_state`
partition: it keeps the state of each share-partition (its start offset, state epoch and
in-flight batches) for the partition leader that delivers its records (kafka-semantics.md O.240;
Kafka: `ShareCoordinatorShard`, one per partition, behind `ShareCoordinatorService`).

Rules:
1. A share-partition (group, topic, partition) is the key "group:topic:partition" (`share_key`;
   Kafka uses the topic id, we use the name). Its coordinator is the leader of partition
   partition_for(key, N) of `__share_group_state`, found with FindCoordinator key_type "share"
   (internal_topics.py rules 1-3). A request for a key this broker does not coordinate gets
   NOT_COORDINATOR.
2. ReadShareGroupState (a partition leader initializing a share-partition) answers the stored
   state; a share-partition never written reads as start offset -1, state epoch 0, no batches.
3. WriteShareGroupState whose state epoch is below the stored one gets FENCED_STATE_EPOCH.
   Otherwise the state is one record, key "share/<group>:<topic>:<partition>", value JSON
   {"epoch": E, "start": S, "batches": [[first, last, state, count], ...]}, appended with
   acks=all: it replaces the stored state, and the write is answered, only once the high
   watermark passed it (internal_topics.py rule 4; a failed write changes nothing and answers
   NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE).
4. Loading replays the partition's log: the last record per key wins, a tombstone (a record with
   no value, as Kafka's DeleteShareGroupState writes) removes the key, and a record it cannot
   parse is skipped and traced (internal_topics.py rule 6). Unloading forgets the partition's keys.
Simplifications: Kafka writes a `ShareSnapshot` record when the state epoch grows (and after
`share.coordinator.snapshot.update.records.per.snapshot` updates) and, in between, `ShareUpdate`
records that carry only the changed batches; we write one snapshot-like record of the whole
state per write (the request carries the whole in-flight window). A write is checked against the
replicated state only (Kafka's runtime also sees writes not yet replicated), and Kafka's leader
epoch check (FENCED_LEADER_EPOCH) is left out: our requests carry no leader epoch.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import SHARE_GROUP_STATE, Coordinator, record_key
from minikafka.protocol.share_groups import StateBatch

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.storage.records import Record, RecordBatch

PREFIX = "share/"
State = tuple[int, int, tuple[StateBatch, ...]]        # (state epoch, start offset, batches)
UNKNOWN: State = (0, -1, ())                            # rule 2: never written


def share_key(group_id: str, tp: tuple[str, int]) -> str:
    """Rule 1: a share-partition's coordinator key, "group:topic:partition"."""
    return f"{group_id}:{tp[0]}:{tp[1]}"


def parse_key(key: str) -> str:
    """The share key of a record key "share/<group>:<topic>:<partition>"; ValueError if not one."""
    parts = key[len(PREFIX):].rsplit(":", 2)
    if not key.startswith(PREFIX) or len(parts) != 3 or not (parts[2].isascii() and parts[2].isdigit()):
        raise ValueError(f"unknown record key {key!r}")
    return key[len(PREFIX):]


def encode_state(state: State) -> bytes:
    """Rule 3: the record value of a state."""
    epoch, start, batches = state
    return json.dumps({"epoch": epoch, "start": start, "batches": [list(b) for b in batches]},
                      separators=(",", ":")).encode()


def decode_state(value: bytes) -> State:
    """The state in a record value; ValueError when it is not one (rule 4)."""
    try:
        fields: Any = json.loads(value)             # JSONDecodeError, UnicodeDecodeError: ValueErrors
        epoch, start = fields["epoch"], fields["start"]
        batches: Any = tuple(tuple(b) for b in fields["batches"])
    except (KeyError, TypeError) as e:
        raise ValueError(f"not a share-partition state: {e!r}") from None
    numbers = (epoch, start, *(n for b in batches for n in b))
    if any(len(b) != 4 for b in batches) or not all(type(n) is int for n in numbers):
        raise ValueError("not a share-partition state: fields must be integers, batches 4 of them")
    return epoch, start, batches


class ShareCoordinator(Coordinator):
    topic = SHARE_GROUP_STATE
    write_timeout = "request.timeout.ms"

    def __init__(self, broker: "Broker") -> None:
        super().__init__(broker)
        self.states: dict[str, State] = {}          # share key -> (state epoch, start offset, batches)

    # -- loading (rule 4) ------------------------------------------------------------------
    def load(self, partition: int, batches: list["RecordBatch"]) -> None:
        for b in batches:
            if b.control:
                continue
            for i, rec in enumerate(b.records):
                try:
                    self._replay(rec)
                except ValueError as e:             # internal_topics.py rule 6
                    self.skip_record(partition, b.base_offset + i, e)

    def _replay(self, rec: "Record") -> None:
        key = parse_key(record_key(rec))
        if rec.value is None:
            self.states.pop(key, None)
        else:
            self.states[key] = decode_state(rec.value)

    def unload(self, partition: int) -> None:
        for key in sorted(self.states):
            if self.partition_of(key) == partition:
                del self.states[key]

    # -- requests (rules 1-3) ----------------------------------------------------------------
    def on_read(self, src: str, msg: P.ReadShareGroupStateRequest) -> None:
        key = share_key(msg.group_id, msg.tp)
        err = self.owner_error(key)
        if err is not None:
            self.broker.send(src, P.ReadShareGroupStateResponse(msg.cid, err))
            return
        epoch, start, batches = self.states.get(key, UNKNOWN)
        self.broker.send(src, P.ReadShareGroupStateResponse(msg.cid, None, epoch, start, batches))

    def on_write(self, src: str, msg: P.WriteShareGroupStateRequest) -> None:
        key = share_key(msg.group_id, msg.tp)

        def reply(error: str | None) -> None:
            self.broker.send(src, P.WriteShareGroupStateResponse(msg.cid, error))
        err = self.owner_error(key)
        if err is None and msg.state_epoch < self.states.get(key, UNKNOWN)[0]:
            err = "FENCED_STATE_EPOCH"
        if err is not None:
            return reply(err)
        state: State = (msg.state_epoch, msg.start_offset, tuple(tuple(b) for b in msg.batches))

        def written(error: str | None) -> None:
            if error is None:                       # replicated: it takes effect now (rule 3)
                self.states[key] = state
                self.trace.state(self.sim.now, self.broker.name, "share.state_written", group=msg.group_id,
                                 tp=f"{msg.tp[0]}-{msg.tp[1]}", spso=msg.start_offset, batches=len(state[2]))
            reply(error)
        self.write(self.partition_of(key), [(PREFIX + key, encode_state(state))], written)
