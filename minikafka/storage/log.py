"""A replica's log: batches in segments, the log start offset, the leader-epoch cache, truncation.

Rules (kafka-semantics.md A.1, A.3, D.27, P.300-310):
- Offsets only grow: a batch appended at the log end gets `base_offset = log_end_offset`,
  and the log end offset (LEO) moves past its last record. Nothing is ever inserted before it.
  Offsets are dense as written; compaction (log_cleaner.py) removes records and leaves gaps,
  and a follower copies a leader's gaps as they are.
- The batches are kept in segments (log_segment.py): each append first asks the active
  segment whether to roll (`segment.bytes`, `segment.ms` and its jitter), on the leader and on
  every follower alike, so replicas segment their logs independently. There is always at
  least one segment.
- The log start offset only moves forward: `increment_log_start` (retention, DeleteRecords, a
  follower adopting its leader's) and `delete_oldest_segments`. Offsets below it are not
  readable even while the segment holding them still exists (a log start inside a segment).
- `read(offset)` returns whole batches from the batch holding `offset`, or the next batch when
  compaction removed it.
- The leader-epoch cache maps each leader epoch to the first offset written in it. The end
  offset of epoch e is the start offset of the next epoch in the cache, or the LEO.
- `end_offset_for_epoch(e)` answers OffsetsForLeaderEpoch: the largest cached epoch <= e and
  its end offset; (-1, -1) when there is none. This is what KIP-101/279 truncation uses.
- `truncate_to(offset)` removes every record at or after `offset` (splitting a batch if needed)
  and forgets epochs that started at or after it (or at the LEO, when nothing is removed).
- Durability: `flushed` is how far the OS has written the page cache to disk. A power loss
  keeps only that prefix (`lose_unflushed`); a process crash keeps everything.
- Tiered storage (kafka-semantics.md T.326, T.328, T.331): a log with `remote_log_enabled` has two
  start offsets. `log_start_offset` is what clients see (remote segments included);
  `local_log_start_offset` is the first offset still on local disk, never below the log start.
  Deleting local segments of such a log moves only the local log start; moving the log start
  past the local one lifts it too. Without tiering the two are the same offset.
  `highest_offset_in_remote_storage` is what this replica knows was uploaded (-1: nothing).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Callable

from minikafka.storage.log_segment import LogSegment
from minikafka.storage.records import RecordBatch

DEFAULT_SEGMENT_BYTES = 1073741824      # segment.bytes / log.segment.bytes
DEFAULT_SEGMENT_MS = 604800000          # segment.ms / log.roll.ms (7 days)


class PartitionLog:
    __slots__ = ("_bases", "batches", "epochs", "flushed", "log_end_offset", "log_start_offset", "segments",
                 "segment_bytes", "segment_ms", "jitter", "retained_headers", "cleaner_checkpoint",
                 "_local_log_start", "remote_log_enabled", "highest_offset_in_remote_storage")

    def __init__(self) -> None:
        self.batches: list[RecordBatch] = []
        self._bases: list[int] = []            # base offsets, for bisect
        self.log_start_offset = 0
        self.log_end_offset = 0                # LEO: the next offset to assign
        self.epochs: list[tuple[int, int]] = []   # (leader_epoch, start_offset), ascending
        self.flushed = 0                       # offsets below this survive a power loss
        self.segments: list[LogSegment] = [LogSegment(0)]
        self.segment_bytes = DEFAULT_SEGMENT_BYTES
        self.segment_ms = DEFAULT_SEGMENT_MS
        self.jitter: Callable[[], int] | None = None   # draws a new segment's jitter (None: 0)
        self.retained_headers: dict[int, RecordBatch] = {}   # pid -> its last batch, emptied by compaction
        self.cleaner_checkpoint = 0            # the first dirty offset (Kafka: cleaner-offset-checkpoint, on disk)
        self._local_log_start = 0              # moved by tiered local deletion only (local_log_start_offset)
        self.remote_log_enabled = False        # tiered storage, set by the log manager
        self.highest_offset_in_remote_storage = -1

    # -- appends -----------------------------------------------------------
    def append_as_leader(self, batch: RecordBatch, leader_epoch: int, now: int = 0) -> RecordBatch:
        stored = batch.stored(self.log_end_offset, leader_epoch)
        self._append(stored, now)
        return stored

    def append_as_follower(self, batch: RecordBatch, now: int = 0) -> None:
        if batch.base_offset < self.log_end_offset:
            raise AssertionError(f"follower append at {batch.base_offset}, log end is {self.log_end_offset}")
        self._append(batch, now)

    def _append(self, batch: RecordBatch, now: int) -> None:
        if not self.epochs or batch.leader_epoch > self.epochs[-1][0]:
            self.epochs.append((batch.leader_epoch, batch.base_offset))
        seg = self.segments[-1]
        if seg.size and seg.should_roll(batch.size, batch.max_timestamp, now, self.segment_bytes, self.segment_ms):
            seg = self.roll(batch.base_offset, now)
        seg.add(batch.size, batch.max_timestamp)
        self.batches.append(batch)
        self._bases.append(batch.base_offset)
        self.log_end_offset = batch.base_offset + len(batch.records)

    def roll(self, base_offset: int, now: int) -> LogSegment:
        """Start a new active segment at `base_offset` (the LEO, or a follower's next batch)."""
        jitter = 0
        if self.jitter is not None:
            jitter = self.jitter()
        seg = LogSegment(base_offset, now, jitter)
        if self.segments[-1].size == 0 and self.segments[-1].base_offset == base_offset:
            self.segments[-1] = seg             # an empty active segment at the same offset is replaced
        else:
            self.segments.append(seg)
        return seg

    # -- segments and the log start offset -----------------------------------
    def segment_end(self, i: int) -> int:
        """The offset after segment i: the next segment's base, or the LEO for the active one."""
        segs = self.segments
        return segs[i + 1].base_offset if i + 1 < len(segs) else self.log_end_offset

    def segment_batches(self, i: int) -> list[RecordBatch]:
        segs = self.segments
        lo = bisect_left(self._bases, segs[i].base_offset)
        hi = bisect_left(self._bases, segs[i + 1].base_offset) if i + 1 < len(segs) else len(self.batches)
        return self.batches[lo:hi]

    def state_batches(self) -> list[RecordBatch]:
        """What a replica rebuilds its producer state and transaction index from: the batches,
        with the retained header of each producer whose batches retention or compaction removed,
        in offset order."""
        if not self.retained_headers:
            return self.batches
        return sorted([*self.retained_headers.values(), *self.batches], key=lambda b: b.base_offset)

    def size_in_bytes(self) -> int:
        return sum(s.size for s in self.segments)

    @property
    def local_log_start_offset(self) -> int:
        """The first offset on local disk: the log start, or above it for a tiered log."""
        return max(self.log_start_offset, self._local_log_start)

    def increment_log_start(self, offset: int) -> bool:
        """Move the log start offset forward to `offset` (never back); True when it moved. The
        caller keeps it at or below the HW. The epoch cache forgets what lies wholly below it."""
        if offset <= self.log_start_offset:
            return False
        self.log_start_offset = offset
        keep = [(e, s) for e, s in self.epochs if s >= offset]
        below = [(e, s) for e, s in self.epochs if s < offset]
        if below and (not keep or keep[0][1] > offset):
            keep.insert(0, (below[-1][0], offset))
        self.epochs = keep
        return True

    def delete_oldest_segments(self, n: int) -> None:
        """Delete the `n` oldest segments, never all of them: the log start moves to the base of
        the first one kept (a retention pass rolls an empty active segment first, if it must);
        for a tiered log only the local log start moves."""
        segs = self.segments
        if not 0 < n < len(segs):
            raise AssertionError(f"cannot delete {n} of {len(segs)} segments")
        upto = segs[n].base_offset
        idx = bisect_left(self._bases, upto)
        headers = self.retained_headers
        for b in self.batches[:idx]:
            if b.producer_id >= 0:
                kept = headers.get(b.producer_id)
                if kept is None or kept.base_offset < b.base_offset:
                    headers[b.producer_id] = b
        del self.batches[:idx]
        del self._bases[:idx]
        del segs[:n]
        if self.remote_log_enabled:
            self._local_log_start = max(self._local_log_start, upto)
        else:
            self.increment_log_start(upto)
        self.flushed = max(self.flushed, min(upto, self.log_end_offset))

    def replace_batches(self, first_segment: int, last_segment: int, segments: list[tuple[LogSegment, list]]) -> None:
        """Compaction: segments [first, last] are replaced by `segments`, each a new segment with
        its batches (offsets preserved, so only records and sizes change)."""
        segs = self.segments
        lo = bisect_left(self._bases, segs[first_segment].base_offset)
        hi = (bisect_left(self._bases, segs[last_segment + 1].base_offset) if last_segment + 1 < len(segs)
              else len(self.batches))
        new_batches = [b for _, batches in segments for b in batches]
        self.batches[lo:hi] = new_batches
        self._bases[lo:hi] = [b.base_offset for b in new_batches]
        segs[first_segment:last_segment + 1] = [s for s, _ in segments]

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
            last = batches[-1]
            return [last] if offset < last.base_offset + len(last.records) else []
        i = max(bisect_right(self._bases, offset) - 1, 0)
        if i < len(batches) and batches[i].base_offset + len(batches[i].records) <= offset:
            i += 1                                             # compaction removed `offset`: the next batch
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
        self.retained_headers = {p: h for p, h in self.retained_headers.items() if h.base_offset < offset}
        self.cleaner_checkpoint = min(self.cleaner_checkpoint, offset)
        self._resegment_after_truncation(offset)
        return removed

    def _resegment_after_truncation(self, offset: int) -> None:
        """Segments above `offset` go; the one holding offset - 1 recounts its bytes and
        timestamps. Truncating to or below the first segment's base starts the log afresh at
        `offset` (Kafka: truncateFullyAndStartAt); the log start never stays above the LEO."""
        segs = self.segments
        if offset <= segs[0].base_offset:
            self.segments = [LogSegment(offset, segs[0].created_ms, segs[0].jitter_ms)]
            self.log_start_offset = min(self.log_start_offset, offset) if self.remote_log_enabled else offset
            self._local_log_start = offset
            return
        while segs[-1].base_offset >= offset:
            segs.pop()
        last = segs[-1]
        last.size, last.largest_timestamp, last.rolling_base_timestamp = 0, -1, -1
        for b in self.segment_batches(len(segs) - 1):
            last.add(b.size, b.max_timestamp)
        self.log_start_offset = min(self.log_start_offset, offset)
        self._local_log_start = min(self._local_log_start, offset)

    def truncate_fully_and_start_at(self, offset: int, now: int = 0, log_start_offset: int | None = None) -> None:
        """Empty the log and start it again at `offset`: log start = LEO = offset, or, for a
        follower of a tiered log (T.331), local log start = LEO = offset and the log start given."""
        self.batches, self._bases = [], []
        self.segments = [LogSegment(offset, now)]
        self.log_start_offset = self.log_end_offset = self.flushed = self._local_log_start = offset
        if log_start_offset is not None:
            self.log_start_offset = min(log_start_offset, offset)
        self.epochs = []
        self.retained_headers = {}
        self.cleaner_checkpoint = offset

    def flush(self) -> None:
        self.flushed = self.log_end_offset

    def lose_unflushed(self) -> int:
        return self.truncate_to(self.flushed)

    def __len__(self) -> int:
        return self.log_end_offset - self.log_start_offset

    def __repr__(self) -> str:
        return (f"PartitionLog(start={self.log_start_offset}, end={self.log_end_offset}, batches={len(self.batches)}, "
                f"segments={len(self.segments)})")
