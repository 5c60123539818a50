"""The broker's producer state: what makes a producer idempotent (kafka-semantics.md F.35-F.38).

State, per partition replica: for each producer id, its current epoch and the metadata of its
last 5 batches (first and last sequence, first and last offset).

Rules for a batch from producer id `pid` with epoch `e` and sequences [first, last]
(`check_sequence`, the broker's ProducerAppendInfo):
  a. e older than the stored epoch -> INVALID_PRODUCER_EPOCH.
  b. e newer than the stored epoch -> first must be 0, else OUT_OF_ORDER_SEQUENCE_NUMBER.
  c. (first, last) equal to one of the 5 cached batches -> a duplicate: acknowledged with the
     original offset, not appended.
  d. otherwise first must be the last stored sequence + 1, else OUT_OF_ORDER_SEQUENCE_NUMBER.
  e. no state for pid -> any sequence is accepted (dedup cannot work without state).
Sequences wrap from 2**31 - 1 to 0. Leaders and followers keep the same state, from the log, so
a new leader deduplicates a retry of a batch the old leader appended.
f. A transaction marker (control batch) carries the producer's epoch: a marker with a newer
   epoch (the coordinator bumped it to fence the producer) replaces the entry, so the old epoch
   now gets INVALID_PRODUCER_EPOCH; a marker older than the stored epoch is refused
   (`check_marker`) with INVALID_PRODUCER_EPOCH.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

BATCHES_TO_RETAIN = 5
SEQ_MOD = 2**31


@dataclass
class ProducerEntry:
    """One producer id's state in a partition: its epoch and its last batches' sequences."""

    epoch: int
    batches: deque = field(default_factory=lambda: deque(maxlen=BATCHES_TO_RETAIN))
    # each: (first_seq, last_seq, first_offset, last_offset)

    @property
    def last_sequence(self) -> int:
        return self.batches[-1][1] if self.batches else -1


def check_sequence(entry: ProducerEntry | None, epoch: int, first: int, last: int) -> tuple[str | None, int]:
    """(error or None, original offset of a duplicate or -1). (None, -1): append it."""
    if entry is None:
        return (None, -1)
    if epoch < entry.epoch:
        return ("INVALID_PRODUCER_EPOCH", -1)
    if epoch > entry.epoch:
        return (None, -1) if first == 0 else ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)
    for f, l, off, _ in entry.batches:
        if f == first and l == last:
            return (None, off)
    if first != (entry.last_sequence + 1) % SEQ_MOD:
        return ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)
    return (None, -1)


class ProducerStateManager:
    """Producer state of one replica, rebuilt from its log whenever the log is cut."""

    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}

    def check(self, pid: int, epoch: int, first: int, last: int) -> tuple[str | None, int]:
        return check_sequence(self.producers.get(pid), epoch, first, last)

    def check_marker(self, pid: int, epoch: int) -> str | None:
        entry = self.producers.get(pid)
        return "INVALID_PRODUCER_EPOCH" if entry is not None and epoch < entry.epoch else None

    def update(self, batch) -> None:
        pid = batch.producer_id
        if pid < 0:
            return
        entry = self.producers.get(pid)
        if entry is None or batch.producer_epoch > entry.epoch:
            entry = self.producers[pid] = ProducerEntry(batch.producer_epoch)
        if batch.control or batch.base_sequence < 0:
            return
        entry.batches.append((batch.base_sequence, batch.last_sequence, batch.base_offset, batch.last_offset))

    def rebuild(self, batches) -> None:
        self.producers = {}
        for b in batches:
            self.update(b)
