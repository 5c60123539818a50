"""A replica's log: batches with dense offsets, the leader-epoch cache, truncation.

Rules (kafka-semantics.md A.1, A.3, D.27):
- Offsets are dense: a batch appended at the log end gets `base_offset = log_end_offset`,
  and the log end offset (LEO) moves past its last record. Nothing is ever inserted before it.
- The leader-epoch cache maps each leader epoch to the first offset written in it. The end
  offset of epoch e is the start offset of the next epoch in the cache, or the LEO.
- `end_offset_for_epoch(e)` answers OffsetsForLeaderEpoch: the largest cached epoch <= e and
  its end offset; (-1, -1) when there is none. This is what KIP-101/279 truncation uses.
- `truncate_to(offset)` removes every record at or after `offset` (splitting a batch if needed)
  and forgets epochs that started at or after it (or at the LEO, when nothing is removed).
- Durability: `flushed` is how far the OS has written the page cache to disk. A power loss
  keeps only that prefix (`lose_unflushed`); a process crash keeps everything.
"""
from __future__ import annotations

from bisect import bisect_right

from minikafka.storage.records import RecordBatch


class PartitionLog:
    __slots__ = ("_bases", "batches", "epochs", "flushed", "log_end_offset", "log_start_offset")

    def __init__(self) -> None:
        self.batches: list[RecordBatch] = []
        self._bases: list[int] = []            # base offsets, for bisect
        self.log_start_offset = 0
        self.log_end_offset = 0                # LEO: the next offset to assign
        self.epochs: list[tuple[int, int]] = []   # (leader_epoch, start_offset), ascending
        self.flushed = 0                       # offsets below this survive a power loss

    # -- appends -----------------------------------------------------------
    def append_as_leader(self, batch: RecordBatch, leader_epoch: int) -> RecordBatch:
        stored = batch.stored(self.log_end_offset, leader_epoch)
        self._append(stored)
        return stored

    def append_as_follower(self, batch: RecordBatch) -> None:
        if batch.base_offset != self.log_end_offset:
            raise AssertionError(f"follower append at {batch.base_offset}, log end is {self.log_end_offset}")
        self._append(batch)

    def _append(self, batch: RecordBatch) -> None:
        if not self.epochs or batch.leader_epoch > self.epochs[-1][0]:
            self.epochs.append((batch.leader_epoch, batch.base_offset))
        self.batches.append(batch)
        self._bases.append(batch.base_offset)
        self.log_end_offset = batch.base_offset + len(batch.records)

    def start_epoch(self, epoch: int) -> None:
        """A new leader records where its epoch starts, before it appends anything."""
        if not self.epochs or epoch > self.epochs[-1][0]:
            self.epochs.append((epoch, self.log_end_offset))

    # -- reads -------------------------------------------------------------
    def read(self, offset: int, max_offset: int, max_bytes: int) -> list[RecordBatch]:
        """Whole batches holding offsets in [offset, max_offset), at least one batch if any,
        then more while they fit in `max_bytes`."""
        if offset >= max_offset or offset >= self.log_end_offset:
            return []
        batches = self.batches
        if batches and offset >= batches[-1].base_offset:      # at the tail: the last batch only
            return [batches[-1]]
        i = max(bisect_right(self._bases, offset) - 1, 0)
        out: list[RecordBatch] = []
        total = 0
        n = len(batches)
        while i < n:
            b = batches[i]
            if b.base_offset >= max_offset:
                break
            if out and total + b.size > max_bytes:
                break
            out.append(b)
            total += b.size
            i += 1
        return out

    def batch_at(self, offset: int) -> RecordBatch | None:
        i = bisect_right(self._bases, offset) - 1
        if i < 0:
            return None
        b = self.batches[i]
        return b if offset <= b.last_offset else None

    def last_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else -1

    def epoch_start(self, epoch: int) -> int:
        for e, start in self.epochs:
            if e == epoch:
                return start
        return -1

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        found = -1
        for i, (e, _) in enumerate(self.epochs):
            if e <= epoch:
                found = i
            else:
                break
        if found < 0:
            return (-1, -1)
        end = self.epochs[found + 1][1] if found + 1 < len(self.epochs) else self.log_end_offset
        return (self.epochs[found][0], end)

    # -- truncation and durability -----------------------------------------
    def truncate_to(self, offset: int) -> int:
        """Remove offsets >= `offset`. Returns how many records were removed."""
        if offset >= self.log_end_offset:
            # still drop epochs that start at the log end: a former leader may have recorded
            # an epoch in which it wrote nothing, which would make it diverge forever
            self.epochs = [(e, s) for e, s in self.epochs if s < self.log_end_offset]
            return 0
        removed = self.log_end_offset - offset
        i = bisect_right(self._bases, offset) - 1
        if i < 0:
            self.batches, self._bases = [], []
        else:
            b = self.batches[i]
            keep = offset - b.base_offset
            del self.batches[i + 1:]
            del self._bases[i + 1:]
            if keep <= 0:
                self.batches.pop()
                self._bases.pop()
            elif keep < len(b.records):
                self.batches[i] = b.head(keep)
        self.log_end_offset = offset
        self.epochs = [(e, s) for e, s in self.epochs if s < offset]
        self.flushed = min(self.flushed, offset)
        return removed

    def flush(self) -> None:
        self.flushed = self.log_end_offset

    def lose_unflushed(self) -> int:
        return self.truncate_to(self.flushed)

    def __len__(self) -> int:
        return self.log_end_offset - self.log_start_offset

    def __repr__(self) -> str:
        return f"PartitionLog(start={self.log_start_offset}, end={self.log_end_offset}, batches={len(self.batches)})"
