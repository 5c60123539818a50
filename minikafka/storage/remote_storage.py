"""The remote tier of tiered storage: one simulated object store per cluster, shared by every
broker (Kafka: a `RemoteStorageManager` plugin holding the segment data, and a
`RemoteLogMetadataManager` holding what is where; kafka-semantics.md T.325-332).

Rules:
1. The store holds, per topic-partition, the segments leaders copied to it, oldest first: each
   with its base offset, its end offset (inclusive, the next local segment's base offset - 1),
   its size in bytes, its largest record timestamp, the leader epochs it spans, its batches and
   the aborted transactions overlapping it (Kafka uploads the segment's transaction index).
2. Only leaders write it (RLMCopyTask, RLMExpirationTask, server/remote_log_manager.py); any
   broker reads it: a consumer fetch below the local log start (T.330), a follower task
   learning the highest uploaded offset (T.328), a follower rebuilding its leader-epoch cache
   and producer state before it starts at the leader's local log start (T.331).
3. The highest offset copied only grows: it is the end offset of the last segment a leader
   uploaded (-1: none yet), even after expiration deleted that segment (ListOffsets -5, T.311).
4. A read returns whole batches of the one segment holding the offset (the batch holding it,
   or the next one), at least one batch when `min_one`, then more while they fit in the byte
   limit; a read of an offset no segment holds answers None (the consumer gets
   OFFSET_OUT_OF_RANGE, as Kafka's remote read does).
5. The store lives outside every broker: a broker crash, even with a power loss, loses nothing
   in it. Deleting a topic deletes its remote data.

Simplifications:
- The object store's latency is one fixed number (`Cluster(remote_storage_latency_ms=100)`),
  the same for every read, with no throughput limit; copies and deletions take no virtual time.
- There is no `__remote_log_metadata` topic: the store's segment list is its own metadata, and
  followers read it at their task interval instead of consuming that topic.
- A segment is copied and deleted in one step (Kafka's COPY_SEGMENT_STARTED/FINISHED and
  DELETE_SEGMENT_STARTED/FINISHED states are not modelled), and never fails.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable

from minikafka.storage.records import RecordBatch
from minikafka.storage.transaction_index import AbortedTxn

TP = tuple[str, int]


@dataclass(frozen=True)
class RemoteLogSegment:
    """One segment in the remote tier (Kafka: `RemoteLogSegmentMetadata` and its data)."""

    base_offset: int
    end_offset: int                             # inclusive
    size: int                                   # bytes
    max_timestamp: int                          # the largest record timestamp (retention, T.329)
    leader_epochs: tuple[tuple[int, int], ...]  # (epoch, start offset) within the segment
    batches: tuple[RecordBatch, ...]
    aborted: tuple[AbortedTxn, ...]             # aborted transactions overlapping the segment
    broker_id: int                              # the leader that copied it
    copied_ms: int


class RemoteStorage:
    """Rules 1-5."""

    def __init__(self, latency_ms: int = 100) -> None:
        self.latency_ms = latency_ms
        self._segments: dict[TP, list[RemoteLogSegment]] = {}
        self._highest: dict[TP, int] = {}          # rule 3

    # -- writes (leaders) -----------------------------------------------------------------
    def copy(self, tp: TP, segment: RemoteLogSegment) -> None:
        segs = self._segments.setdefault(tp, [])
        segs.append(segment)
        segs.sort(key=lambda s: (s.base_offset, s.end_offset))
        self._highest[tp] = max(self._highest.get(tp, -1), segment.end_offset)

    def delete(self, tp: TP, segment: RemoteLogSegment) -> None:
        segs = self._segments.get(tp, [])
        for i, s in enumerate(segs):
            if s is segment:
                del segs[i]
                return

    def delete_topic(self, topic: str) -> None:
        """Rule 5."""
        for tp in sorted(tp for tp in self._segments if tp[0] == topic):
            del self._segments[tp]
            self._highest.pop(tp, None)

    # -- reads ----------------------------------------------------------------------------
    def segments(self, tp: TP) -> list[RemoteLogSegment]:
        """The partition's remote segments, oldest first (a copy)."""
        return list(self._segments.get(tp, ()))

    def highest_offset(self, tp: TP) -> int:
        """Rule 3."""
        return self._highest.get(tp, -1)

    def size_in_bytes(self, tp: TP) -> int:
        return sum(s.size for s in self._segments.get(tp, ()))

    def read(self, tp: TP, offset: int, max_bytes: int, min_one: bool
             ) -> tuple[list[RecordBatch], tuple[AbortedTxn, ...]] | None:
        """Rule 4: (batches, the segment's aborted transactions), or None."""
        for seg in self._segments.get(tp, ()):
            if seg.base_offset <= offset <= seg.end_offset:
                break
        else:
            return None
        batches = seg.batches
        i = max(bisect_right([b.base_offset for b in batches], offset) - 1, 0)
        if i < len(batches) and batches[i].next_offset <= offset:
            i += 1
        out: list[RecordBatch] = []
        total = 0
        for b in batches[i:]:
            if total + b.size > max_bytes and (out or not min_one):
                break
            out.append(b)
            total += b.size
        return out, seg.aborted

    def aux_state(self, tp: TP, offset: int, log_start: int
                  ) -> tuple[list[tuple[int, int]], dict[int, RecordBatch]]:
        """What a follower starting at `offset` rebuilds from remote metadata (T.331): the
        leader-epoch entries below `offset` (trimmed to `log_start`), and each producer's last
        batch below `offset` (Kafka: the producer snapshot uploaded with the segment)."""
        epochs: list[tuple[int, int]] = []
        headers: dict[int, RecordBatch] = {}
        for seg in self._segments.get(tp, ()):
            if seg.base_offset >= offset:
                break
            for epoch, start in seg.leader_epochs:
                if start < offset and (not epochs or epoch > epochs[-1][0]):
                    epochs.append((epoch, start))
            for b in _below(seg.batches, offset):
                kept = headers.get(b.producer_id)
                if b.producer_id >= 0 and (kept is None or kept.base_offset < b.base_offset):
                    headers[b.producer_id] = b
        below = [(e, s) for e, s in epochs if s < log_start]
        epochs = [(e, s) for e, s in epochs if s >= log_start]
        if below and (not epochs or epochs[0][1] > log_start):
            epochs.insert(0, (below[-1][0], log_start))
        return epochs, headers

    def __repr__(self) -> str:
        parts = ", ".join(f"{t}-{p}: {len(s)} segments" for (t, p), s in sorted(self._segments.items()))
        return f"RemoteStorage(latency_ms={self.latency_ms}, {parts or 'empty'})"


def _below(batches: Iterable[RecordBatch], offset: int) -> Iterable[RecordBatch]:
    for b in batches:
        if b.base_offset >= offset:
            return
        yield b
