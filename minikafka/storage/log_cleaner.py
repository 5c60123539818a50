"""One cleaning pass over one compacted log (Kafka: `Cleaner.doClean`, `buildOffsetMap`,
`cleanSegments`, `cleanInto`, `groupSegmentsBySize`, `CleanedTransactionMetadata`, and
`MemoryRecords.filterTo`).

Rules (kafka-semantics.md P2.319-322, P.300):
1. The offset map covers the dirty range [first dirty offset, first uncleanable offset)
   (log_cleaner_manager.py): each key's latest offset there. Keyless records, control batches
   and the batches of aborted transactions are not mapped. The map's end is the first
   uncleanable offset, a segment's base offset: every segment below it is rewritten, none above.
2. Every segment from the log's first one up to the map's end is rewritten, the clean head
   included, in groups: a group takes the next segments while their sizes before this pass add
   up to at most `segment.bytes` and its offsets span less than 2**31. Each group becomes one
   segment with its first member's base offset, so the segment count falls pass after pass.
3. A data record is kept when it has a key, its offset >= the map's offset for that key (a key
   the map lacks keeps its records), and it has a value or is a tombstone whose batch has no
   delete horizon or a horizon later than the pass time. Keyless records are dropped. Offsets
   never change, so reading from 0 meets gaps.
4. Tombstones: a batch that keeps a tombstone and has no horizon is stamped with horizon =
   pass time + `delete.retention.ms`; a pass at or after the horizon drops its tombstones.
   The horizon is counted from the first pass that cleans the tombstone, not from its write.
5. Transactions (aborted ones read from the transaction index): the batches of an aborted
   transaction are dropped by the first pass that covers them. An ABORT marker is removable when
   the pass saw no batch of its transaction; a COMMIT marker when the pass saw no transactional
   batch of that producer since its previous marker. A removable marker is stamped with a horizon
   like a tombstone and dropped by a pass at or after it. Nothing at or above the LSO is touched
   (rule 1), so open transactions are untouched.
6. Producer state: the batch holding a producer's last record (its last data offset, or its
   last marker when its epoch was bumped after its last data batch, as the replica's producer
   state says) keeps that record's offset and sequence: when it loses its last record, that
   record goes to the log's `retained_headers`, newest per producer id, so that a replica
   rebuilding its state from the log after a restart still knows the producer's last sequence
   and epoch. A retained header counts as a batch of its transaction for rule 5, and goes at the
   first pass that finds another batch holding its producer's last record.
7. The log's cleaner checkpoint becomes the map's end.

Simplifications:
- Batches are immutable and shared between replicas, so a cleaned batch is a new batch. Offsets
  are dense in a batch (offset = base offset + index), so a batch that loses records becomes
  one batch per run of consecutive kept offsets (same producer id, epoch and flags, its base
  sequence shifted with its base offset, its size recounted). Kafka keeps one batch whose
  records carry offset deltas. Consumers read the same records at the same offsets.
- A batch header emptied by compaction is not kept in the log (Kafka keeps it, with no records,
  for a producer's last sequence and for the last batch of a round): the producer's last record
  goes to `retained_headers` (rule 6), and the log's end offset is a field of the log.
- The offset map has no size limit (`log.cleaner.dedupe.buffer.size` is not modelled), so a pass
  always covers the whole dirty range; keys are compared whole (Kafka: MD5 hashes, collisions
  not modelled).
- A rewritten segment's file time (used by retention when it holds no timestamp) is the newest
  time of its group (Kafka: the last segment's last-modified time).
- A pass takes no virtual time.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Mapping

from minikafka.storage.log import PartitionLog
from minikafka.storage.log_cleaner_manager import LogToClean, segments_between
from minikafka.storage.log_segment import LogSegment
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size
from minikafka.storage.transaction_index import AbortedTxn

MAX_INT = 2**31 - 1
SEQ_MOD = 2**31
NO_HORIZON = -1


class CleanedBatch(RecordBatch):
    """A batch written by the cleaner: a RecordBatch with its delete horizon (rule 4; Kafka keeps
    it in the batch's base timestamp, with an attribute flag)."""

    __slots__ = ("delete_horizon",)

    def __init__(self, records: list[Record], size: int, base_offset: int, leader_epoch: int, producer_id: int,
                 producer_epoch: int, base_sequence: int, transactional: bool, control: bool, max_timestamp: int,
                 delete_horizon: int = NO_HORIZON, log_append_time: bool = False) -> None:
        super().__init__(records, size, base_offset, leader_epoch, producer_id, producer_epoch, base_sequence,
                         transactional, control, max_timestamp, log_append_time)
        self.delete_horizon = delete_horizon


def delete_horizon(batch: RecordBatch) -> int:
    """A batch's delete horizon in ms, -1 when it has none."""
    return getattr(batch, "delete_horizon", NO_HORIZON)


def records_between(batch: RecordBatch, start: int, end: int, horizon: int) -> CleanedBatch:
    """Records [start, end) of `batch` (indexes) as a new batch, with `horizon`."""
    recs = batch.records[start:end]
    seq = (batch.base_sequence + start) % SEQ_MOD if batch.base_sequence >= 0 else batch.base_sequence
    if start == 0 and end == len(batch.records):        # the whole batch, stamped with a horizon
        size, max_ts = batch.size, batch.max_timestamp
    else:
        size = BATCH_OVERHEAD + sum(record_size(r.key, r.value, r.headers) for r in recs)
        max_ts = max(r.timestamp for r in recs)
    return CleanedBatch(recs, size, batch.base_offset + start, batch.leader_epoch, batch.producer_id,
                        batch.producer_epoch, seq, batch.transactional, batch.control, max_ts, horizon,
                        batch.log_append_time)


def last_record(batch: RecordBatch) -> RecordBatch:
    """Rule 6: a batch's last record, at its last offset and last sequence."""
    if len(batch.records) == 1:
        return batch
    return records_between(batch, len(batch.records) - 1, len(batch.records), delete_horizon(batch))


@dataclass(frozen=True)
class CleanResult:
    """What one pass did (for the trace and for tests)."""

    tp: tuple[str, int]
    first_dirty_offset: int
    end_offset: int                 # the new checkpoint
    segments_before: int            # segments rewritten ...
    segments_after: int             # ... and what replaced them
    bytes_before: int
    bytes_after: int
    records_read: int               # data records in the rewritten segments
    records_kept: int
    tombstones_removed: int
    aborted_removed: int
    markers_removed: int

    @property
    def records_removed(self) -> int:
        return self.records_read - self.records_kept


class CleanedTransactions:
    """Rule 5 along one pass, in offset order (Kafka: `CleanedTransactionMetadata`)."""

    def __init__(self, aborted: Iterable[AbortedTxn]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {}
        for a in aborted:
            spans.setdefault(a.producer_id, []).append((a.last_offset, a.first_offset))
        for v in spans.values():
            v.sort()
        self._aborted = spans                       # producer id -> (marker offset, first offset), ascending
        self._seen: set[tuple[int, int]] = set()    # (producer id, marker offset) of aborted txns seen
        self._committed: set[int] = set()           # producers with a transactional batch since their marker

    def _aborted_marker(self, batch: RecordBatch) -> int:
        """The ABORT marker's offset of the aborted transaction holding `batch`, or -1."""
        spans = self._aborted.get(batch.producer_id)
        if not spans:
            return -1
        i = bisect_right(spans, (batch.base_offset, MAX_INT * MAX_INT))
        if i < len(spans) and spans[i][1] <= batch.last_offset:
            return spans[i][0]
        return -1

    def on_data(self, batch: RecordBatch) -> bool:
        """A data batch (or a retained header) read: True when it belongs to an aborted transaction."""
        if not batch.transactional:
            return False
        marker = self._aborted_marker(batch)
        if marker >= 0:
            self._seen.add((batch.producer_id, marker))
            return True
        self._committed.add(batch.producer_id)
        return False

    def on_marker(self, batch: RecordBatch) -> bool:
        """A transaction marker read: True when it may go (through its horizon)."""
        pid = batch.producer_id
        if batch.control_type == "ABORT":
            seen = (pid, batch.base_offset) in self._seen
            self._seen.discard((pid, batch.base_offset))
            return not seen
        seen = pid in self._committed
        self._committed.discard(pid)
        return not seen


def build_offset_map(log: PartitionLog, start: int, end: int, aborted: Iterable[AbortedTxn]) -> dict[bytes, int]:
    """Rule 1: key -> its latest offset in [start, end)."""
    txns = CleanedTransactions(aborted)
    offsets: dict[bytes, int] = {}
    for i in segments_between(log, start, end):
        for batch in log.segment_batches(i):
            if batch.control or txns.on_data(batch):
                continue
            base = batch.base_offset
            for j, rec in enumerate(batch.records):
                if rec.key is not None and base + j >= start:
                    offsets[rec.key] = base + j
    return offsets


def group_segments_by_size(log: PartitionLog, count: int, max_size: int, end: int) -> list[list[int]]:
    """Rule 2: the first `count` segments (indexes) in groups."""
    segs = log.segments
    groups: list[list[int]] = []
    i = 0
    while i < count:
        group, size = [i], segs[i].size
        i += 1
        while i < count and size + segs[i].size <= max_size:
            last = segs[i + 1].base_offset - 1 if i + 1 < count else end - 1
            if segs[i].size and last - segs[group[0]].base_offset > MAX_INT:
                break
            group.append(i)
            size += segs[i].size
            i += 1
        groups.append(group)
    return groups


class _Pass:
    """The state of one pass: the map, the transactions read so far, the counts."""

    def __init__(self, log: PartitionLog, offsets: dict[bytes, int], now: int, delete_retention_ms: int,
                 aborted: Iterable[AbortedTxn], last_records: Mapping[int, tuple[int, int]]) -> None:
        self.log, self.offsets, self.now = log, offsets, now
        self.delete_retention_ms = delete_retention_ms
        self.txns = CleanedTransactions(aborted)
        self.last_records = last_records
        self.read = self.kept = self.tombstones = self.aborted = self.markers = 0

    def holds_last_record(self, batch: RecordBatch) -> bool:
        """Rule 6: `batch` holds its producer's last record (Kafka: `isBatchLastRecordOfProducer`)."""
        last = self.last_records.get(batch.producer_id)
        if last is None:
            return False
        last_data_offset, epoch = last
        if last_data_offset >= 0:
            return not batch.control and batch.last_offset == last_data_offset
        return batch.control and batch.producer_epoch == epoch

    def retain_header(self, batch: RecordBatch) -> None:
        headers = self.log.retained_headers
        old = headers.get(batch.producer_id)
        if old is None or old.base_offset <= batch.last_offset:
            headers[batch.producer_id] = last_record(batch)

    def on_header(self, header: RecordBatch) -> None:
        """A retained header met in offset order: it counts for rule 5, and stays only while it
        holds its producer's last record (rule 6)."""
        if not header.control:
            self.txns.on_data(header)
        headers = self.log.retained_headers
        if header.producer_id in self.last_records and not self.holds_last_record(header) \
                and headers.get(header.producer_id) is header:
            del headers[header.producer_id]

    def clean_batch(self, batch: RecordBatch) -> list[RecordBatch]:
        """Rules 3-6 for one batch: what replaces it."""
        if batch.control:
            return self.clean_marker(batch)
        n = len(batch.records)
        self.read += n
        horizon = delete_horizon(batch)
        if self.txns.on_data(batch):
            self.aborted += n
            keep = [False] * n
        else:
            now, offsets, base = self.now, self.offsets, batch.base_offset
            keep = []
            for j, rec in enumerate(batch.records):
                ok = rec.key is not None and base + j >= offsets.get(rec.key, -1)
                if ok and rec.value is None and 0 <= horizon <= now:
                    ok = False
                    self.tombstones += 1
                keep.append(ok)
        kept = sum(keep)
        self.kept += kept
        new_horizon = horizon
        if horizon < 0 and any(k and r.value is None for k, r in zip(keep, batch.records)):
            new_horizon = self.now + self.delete_retention_ms
        if not keep[-1] and batch.producer_id >= 0 and self.holds_last_record(batch):
            self.retain_header(batch)
        if kept == n and new_horizon == horizon:
            return [batch]
        out: list[RecordBatch] = []
        j = 0
        while j < n:
            if not keep[j]:
                j += 1
                continue
            k = j
            while k < n and keep[k]:
                k += 1
            out.append(records_between(batch, j, k, new_horizon))
            j = k
        return out

    def clean_marker(self, batch: RecordBatch) -> list[RecordBatch]:
        if not self.txns.on_marker(batch):
            return [batch]
        horizon = delete_horizon(batch)
        if horizon < 0:
            return [records_between(batch, 0, len(batch.records), self.now + self.delete_retention_ms)]
        if self.now < horizon:
            return [batch]
        self.markers += 1
        if self.holds_last_record(batch):
            self.retain_header(batch)
        return []


def clean(log: PartitionLog, ltc: LogToClean, now: int, delete_retention_ms: int, segment_bytes: int,
          aborted: Iterable[AbortedTxn], last_records: Mapping[int, tuple[int, int]]) -> CleanResult:
    """One pass (rules 1-7). `aborted`: the replica's aborted transactions; `last_records`:
    producer id -> (its last data offset or -1, its epoch), from the replica's producer state."""
    aborted = list(aborted)
    start, end = ltc.first_dirty_offset, ltc.first_uncleanable_offset
    offsets = build_offset_map(log, start, end, aborted)
    count = sum(1 for s in log.segments[:-1] if s.base_offset < end)
    p = _Pass(log, offsets, now, delete_retention_ms, aborted, last_records)
    headers = sorted((h for h in log.retained_headers.values() if h.base_offset < end), key=lambda h: h.base_offset)
    h = 0
    segs = log.segments
    replaced: list[tuple[LogSegment, list[RecordBatch]]] = []
    for group in group_segments_by_size(log, count, segment_bytes, end):
        first = segs[group[0]]
        seg = LogSegment(first.base_offset, max(segs[i].timestamp_for_retention() for i in group), first.jitter_ms)
        out: list[RecordBatch] = []
        for i in group:
            for batch in log.segment_batches(i):
                while h < len(headers) and headers[h].base_offset < batch.base_offset:
                    p.on_header(headers[h])
                    h += 1
                out.extend(p.clean_batch(batch))
        for b in out:
            seg.add(b.size, b.max_timestamp)
        replaced.append((seg, out))
    for header in headers[h:]:
        p.on_header(header)
    before = sum(segs[i].size for i in range(count))
    if count:
        log.replace_batches(0, count - 1, replaced)
    log.cleaner_checkpoint = end
    return CleanResult(ltc.tp, start, end, count, len(replaced), before, sum(s.size for s, _ in replaced),
                       p.read, p.kept, p.tombstones, p.aborted, p.markers)
