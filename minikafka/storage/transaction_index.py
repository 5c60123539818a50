"""Transactions as one partition replica sees them: open transactions, the last stable offset
(LSO) and the aborted-transactions index (kafka-semantics.md G.44, G.46, G.47, H.52).

Rules:
1. A transactional data batch from producer p, when p has no open transaction on this
   partition, opens one at the batch's base offset.
2. A control batch (a COMMIT or ABORT marker) from p closes p's open transaction. Until the
   high watermark passes the marker, the transaction still holds the LSO back. An ABORT adds
   (p, first offset, marker offset) to the aborted index. A marker with no open transaction
   behind it (a retried marker) closes nothing.
3. LSO = min(HW, first offset of every open transaction, first offset of every closed one
   whose marker is not yet below the HW).
4. A read_committed fetch of offsets [start, end) carries (p, first offset) of every aborted
   transaction with marker >= start and first offset < end; the consumer drops p's batches from
   the first offset up to p's ABORT marker.
5. All of it is a function of the log: followers build it as they append, and a replica
   rebuilds it from its log after a truncation or a restart (Kafka keeps it in the producer
   snapshot and the .txnindex files, which are rebuilt from the log the same way).
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Iterable, NamedTuple

from minikafka.storage.records import RecordBatch


class AbortedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int        # the offset of the ABORT marker


class TxnIndex:
    __slots__ = ("_aborted_ends", "aborted", "ongoing", "unreplicated")

    def __init__(self) -> None:
        self.ongoing: dict[int, int] = {}                   # producer id -> first offset
        self.unreplicated: list[tuple[int, int]] = []       # (first offset, marker offset)
        self.aborted: list[AbortedTxn] = []                 # ascending marker offset
        self._aborted_ends: list[int] = []

    def on_batch(self, batch: RecordBatch) -> None:
        if not batch.transactional:
            return
        pid = batch.producer_id
        if not batch.control:
            if pid not in self.ongoing:
                self.ongoing[pid] = batch.base_offset
            return
        first = self.ongoing.pop(pid, None)
        if first is None:
            return
        marker = batch.base_offset
        self.unreplicated.append((first, marker))
        if batch.control_type == "ABORT":
            self.aborted.append(AbortedTxn(pid, first, marker))
            self._aborted_ends.append(marker)

    def on_log_start(self, offset: int) -> None:
        """The log start moved to `offset`: no transaction holds the LSO below it."""
        for pid, first in self.ongoing.items():
            if first < offset:
                self.ongoing[pid] = offset
        self.unreplicated = [(max(f, offset), m) for f, m in self.unreplicated]

    def lso(self, hw: int) -> int:
        """Rule 3 (a pure view; `prune` forgets what the HW has passed)."""
        if not self.ongoing and not self.unreplicated:
            return hw
        lso = hw
        for first in self.ongoing.values():
            if first < lso:
                lso = first
        for first, marker in self.unreplicated:
            if marker >= hw and first < lso:
                lso = first
        return lso

    def prune(self, hw: int) -> None:
        """Closed transactions whose marker is below the HW no longer hold the LSO back."""
        if self.unreplicated:
            self.unreplicated = [u for u in self.unreplicated if u[1] >= hw]

    def aborted_between(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Rule 4: (producer id, first offset) of aborted transactions overlapping [start, end)."""
        i = bisect_left(self._aborted_ends, start)
        return tuple((a.producer_id, a.first_offset) for a in self.aborted[i:] if a.first_offset < end)

    def first_open_offset(self) -> int | None:
        return min(self.ongoing.values()) if self.ongoing else None

    def rebuild(self, batches: Iterable[RecordBatch]) -> None:
        self.__init__()
        for b in batches:
            self.on_batch(b)
