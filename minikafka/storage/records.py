"""Records and record batches: what a partition log stores.

Rules (kafka-semantics.md A.1-A.4):
- A record is (key, value, headers, timestamp); it has no offset of its own: its offset is
  the batch's base offset plus its index.
- The batch (RecordBatch v2) is the unit of storage and replication. Its header carries the
  base offset, the leader epoch of the append, the producer id, epoch and base sequence, and
  the transactional and control flags, and the timestamp type (attribute bit 3: CreateTime, or
  LogAppendTime when the leader stamped the batch). The broker fills in only the offset and the
  epoch (and, on a LogAppendTime topic, the timestamps: server/log_validator.py rule 6).
- A control batch holds one control record (key COMMIT or ABORT, value the coordinator's epoch)
  that takes an offset but is never returned to an application.
- Batches are immutable once appended; replicas share the same record list.
"""
from __future__ import annotations

from typing import Any, NamedTuple

RECORD_OVERHEAD = 21          # bytes per record beyond key and value (varints, attributes)
BATCH_OVERHEAD = 61           # RecordBatch v2 header

NO_PRODUCER_ID = -1
NO_SEQUENCE = -1


class Record(NamedTuple):
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] | None
    timestamp: int


def record_size(key: bytes | None, value: bytes | None, headers: Any = None) -> int:
    size = RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
    if headers:
        size += sum(len(k) + (len(v) if v else 0) + 2 for k, v in headers)
    return size


class RecordBatch:
    """A batch as stored in a log (offsets assigned) or as sent by a producer (base_offset -1)."""

    __slots__ = ("base_offset", "leader_epoch", "records", "size", "producer_id", "producer_epoch",
                 "base_sequence", "transactional", "control", "max_timestamp", "log_append_time")

    def __init__(self, records: list[Record], size: int, base_offset: int = -1, leader_epoch: int = -1,
                 producer_id: int = NO_PRODUCER_ID, producer_epoch: int = -1,
                 base_sequence: int = NO_SEQUENCE, transactional: bool = False,
                 control: bool = False, max_timestamp: int = -1, log_append_time: bool = False) -> None:
        self.records = records
        self.size = size
        self.base_offset = base_offset
        self.leader_epoch = leader_epoch
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.transactional = transactional
        self.control = control
        self.max_timestamp = max_timestamp
        self.log_append_time = log_append_time      # the timestamp type: True for LogAppendTime

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def last_offset(self) -> int:
        return self.base_offset + len(self.records) - 1

    @property
    def next_offset(self) -> int:
        return self.base_offset + len(self.records)

    @property
    def last_sequence(self) -> int:
        if self.base_sequence < 0:
            return NO_SEQUENCE
        return (self.base_sequence + len(self.records) - 1) % (2**31)

    @property
    def control_type(self) -> str | None:
        """'COMMIT' or 'ABORT' for a control batch, else None (the control record's key)."""
        return self.records[0].key.decode() if self.control else None

    @property
    def coordinator_epoch(self) -> int:
        """A marker's coordinator epoch (the control record's value), -1 for other batches."""
        return int(self.records[0].value) if self.control else -1

    def stored(self, base_offset: int, leader_epoch: int) -> "RecordBatch":
        """The copy a leader appends: same records, offsets and epoch filled in."""
        return RecordBatch(self.records, self.size, base_offset, leader_epoch, self.producer_id,
                           self.producer_epoch, self.base_sequence, self.transactional, self.control,
                           self.max_timestamp, self.log_append_time)

    def head(self, count: int) -> "RecordBatch":
        """The first `count` records of this batch (used when truncating inside a batch)."""
        recs = self.records[:count]
        size = BATCH_OVERHEAD + sum(record_size(r.key, r.value, r.headers) for r in recs)
        return RecordBatch(recs, size, self.base_offset, self.leader_epoch, self.producer_id,
                           self.producer_epoch, self.base_sequence, self.transactional, self.control,
                           self.max_timestamp, self.log_append_time)

    def __repr__(self) -> str:
        flags = "control " if self.control else ("txn " if self.transactional else "")
        pid = f" pid={self.producer_id} epoch={self.producer_epoch} seq={self.base_sequence}" \
            if self.producer_id >= 0 else ""
        return (f"RecordBatch({flags}offsets={self.base_offset}..{self.last_offset} "
                f"leader_epoch={self.leader_epoch}{pid})")


def control_batch(kind: str, producer_id: int, producer_epoch: int, timestamp: int,
                  coordinator_epoch: int = 0) -> RecordBatch:
    """A transaction marker: one control record, its key the type (COMMIT or ABORT) and its value
    the epoch of the coordinator that wrote it (Kafka: `ControlRecordType`, `EndTransactionMarker`)."""
    rec = Record(kind.encode(), str(coordinator_epoch).encode(), None, timestamp)
    return RecordBatch([rec], BATCH_OVERHEAD + RECORD_OVERHEAD + len(kind), producer_id=producer_id,
                       producer_epoch=producer_epoch, transactional=True, control=True,
                       max_timestamp=timestamp)
