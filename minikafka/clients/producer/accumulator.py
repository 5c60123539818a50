"""The producer's record accumulator (Kafka's RecordAccumulator): one queue of batches per
partition, and when a queue's head batch may go.

The rules keep the producer's numbering (producer.py lists where each one lives).

Rules (kafka-semantics.md B, E.30-E.33):
1. `produce()` appends the record to its partition's open batch, or opens a new one: when the
   last batch is closed (full, or already drained) or is a retry, or when the record would push
   a non-empty batch past `batch.size`. Appended bytes count against `buffer.memory` until the
   batch is delivered or failed.
2. A batch is ready when it is full (`batch.size`), when `linger.ms` has passed since it was
   opened, during `flush()`, or when a retry's backoff has passed.
3. Draining for one ProduceRequest takes at most one batch per partition (the head of its
   queue) while the request stays within `max.request.size` (its first batch always goes). A
   partition whose next batch is closed too (or the producer is flushing), and not a retry, stays
   in line for the leader's next request, unless `max.in.flight.requests.per.connection` is 1 (the
   sender's half of rule 3 is in sender.py).
5. A retried batch goes back to the *front* of its queue, or with idempotence (rule 8) in
   sequence order among the batches that already have sequences.
9. Splitting (the sender's half is in sender.py): a batch the broker found too large is cut,
   in record order, into batches of at most `batch.size` bytes; a batch that was itself cut
   from one is cut at the larger of half its size and its largest record (Kafka's producer
   since KAFKA-8350, 2025). The first cut may give the batch back whole, as it was built within
   `batch.size`; each later cut halves it, so splitting ends at single records. Each part
   keeps the first batch's creation time (its delivery timeout runs on), has no attempts, and
   is closed.

The accumulator does not send: it wakes the sender (`wakeup(delay)`) when a batch opens (after
`linger.ms`), when a batch fills and when a second batch queues behind the first (at once).
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterator

from minikafka.storage.records import BATCH_OVERHEAD, Record, record_size


class ProducerBatch:
    """A batch being built or delivered by the producer."""

    __slots__ = ("tp", "records", "callbacks", "size", "created", "attempts", "next_try", "closed",
                 "base_sequence", "producer_id", "producer_epoch", "done", "split")

    def __init__(self, tp: tuple[str, int], created: int) -> None:
        self.tp = tp
        self.records: list[Record] = []
        self.callbacks: list[Callable | None] | None = None
        self.size = BATCH_OVERHEAD
        self.created = created
        self.attempts = 0
        self.next_try = 0
        self.closed = False             # full: no more appends
        self.base_sequence = -1
        self.producer_id = -1
        self.producer_epoch = -1
        self.done = False
        self.split = False              # cut from a batch the broker found too large (rule 9)

    def __repr__(self) -> str:
        return f"ProducerBatch({self.tp[0]}-{self.tp[1]}, {len(self.records)} records, attempts={self.attempts})"


class RecordAccumulator:
    """The batches waiting to be sent, one deque per partition, oldest first."""

    def __init__(self, batch_size: int, linger: int, wakeup: Callable[[int], None]) -> None:
        self.batch_size = batch_size
        self.linger = linger
        self.wakeup = wakeup            # wake the sender in `delay` ms
        self.batches: dict[tuple[str, int], deque[ProducerBatch]] = {}
        self.in_queue = 0               # records produced and not yet delivered or failed
        self.buffered = 0               # bytes in the accumulator
        self.muted: set[tuple[str, int]] = set()
        self.flushing = False

    # -- appending (rule 1) ---------------------------------------------------------------
    def append(self, tp: tuple[str, int], rec: Record, size: int, cb: Callable | None, now: int) -> ProducerBatch:
        """Add one record of `size` bytes to `tp`'s open batch (or a new one); returns the batch."""
        dq = self.batches.get(tp)
        if dq is None:
            dq = self.batches[tp] = deque()
        batch = dq[-1] if dq else None
        if batch is None or batch.closed or batch.attempts or (batch.records and batch.size + size > self.batch_size):
            if batch is not None:
                batch.closed = True
            batch = ProducerBatch(tp, now)
            dq.append(batch)
            self.wakeup(self.linger)
            if len(dq) > 1:
                self.wakeup(0)
        batch.records.append(rec)
        if cb is not None:
            if batch.callbacks is None:
                batch.callbacks = [None] * (len(batch.records) - 1)
            batch.callbacks.append(cb)
        elif batch.callbacks is not None:
            batch.callbacks.append(None)
        batch.size += size
        self.buffered += size
        self.in_queue += 1
        if batch.size >= self.batch_size:
            batch.closed = True
            self.wakeup(0)
        return batch

    # -- what may go (rule 2) -------------------------------------------------------------
    def expired_batches(self, tp: tuple[str, int], now: int, delivery_timeout: int) -> Iterator[ProducerBatch]:
        """Take `tp`'s batches older than `delivery_timeout` off the front of its queue, one at a
        time: each is failed before the next is looked at (a failure may bump the epoch, which
        re-sequences the batches still queued). The queue stays, even when empty."""
        dq = self.batches[tp]
        while dq and now - dq[0].created >= delivery_timeout:
            yield dq.popleft()

    def ready_at(self, batch: ProducerBatch, now: int) -> int | None:
        """None when the head batch `batch` is ready now, else the time it will be."""
        if batch.attempts and batch.next_try > now:
            return batch.next_try                       # a retry waits out its backoff
        if not (batch.closed or self.flushing or batch.attempts or now - batch.created >= self.linger):
            return batch.created + self.linger          # still lingering for more records
        return None

    def mute(self, tp: tuple[str, int]) -> None:
        self.muted.add(tp)

    def unmute(self, tp: tuple[str, int]) -> None:
        self.muted.discard(tp)

    # -- draining (rule 3) ----------------------------------------------------------------
    def drain(self, tps: list[tuple[str, int]], max_request_size: int,
              pipelining: bool) -> tuple[list[ProducerBatch], list[tuple[str, int]]]:
        """(the batches for one ProduceRequest, the partitions left for the next one) from the
        ready partitions `tps` of one leader. `pipelining`: more than one request may be in
        flight, so a partition with another ready batch stays in line."""
        batches: list[ProducerBatch] = []
        size = 0
        remaining = []
        for tp in tps:
            dq = self.batches[tp]
            b = dq[0]
            if batches and size + b.size > max_request_size:
                remaining.append(tp)
                continue
            dq.popleft()
            if not dq:
                del self.batches[tp]
            batches.append(b)
            size += b.size
            nxt = dq[0] if dq else None
            if nxt is not None and (nxt.closed or self.flushing) and not nxt.attempts \
                    and pipelining:
                remaining.append(tp)
        return batches, remaining

    # -- retries and completion (rule 5) --------------------------------------------------
    def reenqueue(self, b: ProducerBatch, in_sequence_order: bool) -> None:
        """Put a batch back at the front of its queue (Kafka's reenqueue: addFirst), or in
        sequence order among the batches that already have sequences."""
        dq = self.batches.get(b.tp)
        if dq is None:
            dq = self.batches[b.tp] = deque()
        if in_sequence_order:
            i = 0
            while i < len(dq) and 0 <= dq[i].base_sequence < b.base_sequence:
                i += 1
            dq.insert(i, b)
        else:
            dq.appendleft(b)

    # -- splitting (rule 9) ---------------------------------------------------------------
    def split(self, big: ProducerBatch) -> list[ProducerBatch]:
        """`big`'s records, in order, in new closed batches of at most the split size each (a
        part always takes its first record)."""
        sizes = [record_size(r.key, r.value, r.headers) for r in big.records]
        target = self.batch_size
        if big.split:
            target = max(BATCH_OVERHEAD + max(sizes), big.size // 2)
        parts: list[ProducerBatch] = []
        part = None
        for i, rec in enumerate(big.records):
            if part is None or part.size + sizes[i] > target:
                part = ProducerBatch(big.tp, big.created)
                part.closed = part.split = True
                if big.callbacks is not None:
                    part.callbacks = []
                parts.append(part)
            part.records.append(rec)
            if part.callbacks is not None:
                part.callbacks.append(big.callbacks[i])
            part.size += sizes[i]
        return parts

    def reset_sequences(self) -> None:
        """A new producer id or epoch: queued batches are re-sequenced when drained."""
        for dq in self.batches.values():
            for b in dq:
                b.base_sequence = -1

    def deallocate(self, b: ProducerBatch) -> None:
        """`b` was delivered or failed: its records leave the queue, its bytes the buffer."""
        self.in_queue -= len(b.records)
        self.buffered -= b.size - BATCH_OVERHEAD

    def clear(self) -> None:
        """Forget every queued batch (the sender has failed them all)."""
        self.batches = {}
