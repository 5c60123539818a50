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
   epoch (the coordinator bumped it to fence the producer, or transactions v2 bumped it at the
   transaction's end) replaces the entry, so the old epoch now gets INVALID_PRODUCER_EPOCH.
   `check_marker`: a transactions-v1 marker older than the stored epoch is refused with
   INVALID_PRODUCER_EPOCH; a v2 marker must be newer than the stored epoch (KIP-1228), except
   the coordinator's retry of the marker already written, which is acknowledged and not
   written again (`DUPLICATE_MARKER`).
g. Verification guards (KIP-890 part 1, server/add_partitions_to_txn_manager.py): a fresh guard
   object per producer id, stored before the leader asks the coordinator; a transactional batch
   that needs one is appended only if it presents the stored guard. The first append or a
   marker for that producer drops it. Guards live in memory only.
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
    last_timestamp: int = -1            # the max timestamp of its last batch or marker
    coordinator_epoch: int = -1         # of the last marker written for it

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


DUPLICATE_MARKER = "DUPLICATE_MARKER"


class VerificationGuard:
    """Rule g: compared by identity only."""

    __slots__ = ()


class ProducerStateManager:
    """Producer state of one replica, rebuilt from its log whenever the log is cut."""

    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}
        self.guards: dict[int, VerificationGuard] = {}

    def check(self, pid: int, epoch: int, first: int, last: int) -> tuple[str | None, int]:
        return check_sequence(self.producers.get(pid), epoch, first, last)

    def check_marker(self, pid: int, epoch: int, v2: bool = False, open_txn: bool = True) -> str | None:
        """Rule f. `open_txn`: the producer has a transaction open on this partition."""
        entry = self.producers.get(pid)
        if entry is None or epoch > entry.epoch:
            return None
        if not v2:
            return "INVALID_PRODUCER_EPOCH" if epoch < entry.epoch else None
        if epoch == entry.epoch and not open_txn and entry.coordinator_epoch >= 0:
            return DUPLICATE_MARKER
        return "INVALID_PRODUCER_EPOCH"

    def start_verification(self, pid: int) -> VerificationGuard:
        guard = self.guards[pid] = VerificationGuard()
        return guard

    def update(self, batch) -> None:
        pid = batch.producer_id
        if pid < 0:
            return
        if self.guards:
            self.guards.pop(pid, None)
        entry = self.producers.get(pid)
        if entry is None or batch.producer_epoch > entry.epoch:
            old = entry
            entry = self.producers[pid] = ProducerEntry(batch.producer_epoch)
            if old is not None:
                entry.coordinator_epoch = old.coordinator_epoch
        entry.last_timestamp = batch.max_timestamp
        if batch.control:
            entry.coordinator_epoch = batch.coordinator_epoch
            return
        if batch.base_sequence < 0:
            return
        entry.batches.append((batch.base_sequence, batch.last_sequence, batch.base_offset, batch.last_offset))

    def rebuild(self, batches) -> None:
        self.producers = {}
        for b in batches:
            self.update(b)
