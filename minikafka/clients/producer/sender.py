"""The producer's sender (Kafka's Sender): drains ready batches into ProduceRequests, limits the
requests in flight, and settles every batch from its answer: delivered, retried or failed. It
also keeps the idempotent producer's producer id and sequences, which Kafka's Java producer keeps
in its TransactionManager.

The rules keep the producer's numbering (producer.py lists where each one lives).

Rules (kafka-semantics.md E.30-E.33):
3. The sender drains at most one batch per partition into one ProduceRequest per leader, and
   keeps at most `max.in.flight.requests.per.connection` requests in flight per broker. With 1,
   a partition with a batch in flight is muted, which keeps order.
4. acks=0: a batch counts as delivered once sent (offset -1), no response is awaited.
   acks=1 / all: the broker's response decides.
5. A retriable error retries the batch after an exponential backoff (`retry_backoff`:
   `retry.backoff.ms` doubling, +-20% jitter, then capped: a wait never exceeds
   `retry.backoff.max.ms`) while attempts <= `retries` and the batch is younger
   than `delivery.timeout.ms`; the retried batch goes back to the *front* of its queue. A
   non-retriable error, or running out of retries or time, fails the batch. A batch still
   queued `delivery.timeout.ms` after it was opened fails too (_MSG_TIMED_OUT). While its
   transaction is being aborted, a batch is not retried: it fails with its error (Kafka's
   sender aborts the batches it would re-queue).
6. A request timeout or disconnect fails every request in flight to that broker, in send order,
   and each batch is retried or failed by rule 5. Without idempotence, re-queueing at the front
   in that order is how a retry overtakes a later batch: reordering.
8. Idempotence (default on; `check_idempotence_config` in producer.py has Kafka's rules): the
   producer gets a producer id (InitProducerId) before sending; each partition's sequence
   advances by the record count when a batch is first drained; at most 5 batches per partition
   fly, and a retried batch goes only when no lower sequence is in flight; retries re-enter the
   queue in sequence order. OUT_OF_ORDER_SEQUENCE_NUMBER is retried; when no earlier batch can
   fill the gap, the epoch is bumped and sequences restart at 0 (KIP-360).
9. MSG_SIZE_TOO_LARGE (Kafka's MESSAGE_TOO_LARGE) for a batch of more than one record splits it
   (accumulator.py rule 9) and re-queues the parts at the front of the queue, without using a
   retry; a single-record batch fails, and so does any batch while its transaction is being
   aborted. With idempotence the parts keep the batch's producer id and epoch and share out its
   sequences in order (the first part starts at the batch's base sequence), as Kafka's
   ProducerBatch.split does; they re-enter the queue in sequence order (rule 5), unless the epoch
   moved meanwhile, when they are sequenced afresh.

A delivered batch's reports carry the broker's log-append time, with TIMESTAMP_LOG_APPEND_TIME,
when the topic uses LogAppendTime (server/log_validator.py rule 6), and a failed batch's error
carries the broker's message when it sent one.

A settled batch queues one delivery report per record that asked for one; the producer's
`poll()` and `flush()` serve them (rule 7).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.message import TIMESTAMP_LOG_APPEND_TIME, Message
from minikafka.clients.producer.accumulator import ProducerBatch, RecordAccumulator
from minikafka.errors import KafkaError
from minikafka.storage.records import Record, RecordBatch

if TYPE_CHECKING:
    import random

    from minikafka.clients.producer.producer import Producer
    from minikafka.sim.kernel import Event

RETRIABLE_METADATA = frozenset({"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE",
                                "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "NETWORK_EXCEPTION",
                                "REQUEST_TIMED_OUT"})


class Sender:
    """The producer's background sender: it runs when woken (`wakeup(delay)`), as a timer."""

    def __init__(self, producer: "Producer", accumulator: RecordAccumulator) -> None:
        cfg = producer.cfg
        self.client = producer          # the network client: metadata, requests, timers
        self.accumulator = accumulator
        self.cfg = cfg
        self.sim = producer.sim
        self.trace = producer.trace
        self.name = producer.name
        self.txn = producer.txn
        self.reports = producer.reports
        self.acks: int = cfg["acks"]
        self.max_in_flight: int = cfg["max.in.flight.requests.per.connection"]
        self.idempotent: bool = cfg["enable.idempotence"]
        self._rng = self.sim.rng(f"producer/{self.name}")
        self._wakeup: Event | None = None
        self._wakeup_at = -1
        self.delivered = 0
        self.failed = 0
        self.producer_id = -1
        self.producer_epoch = -1
        self._pid_cid = 0
        self.next_sequence: dict[tuple[str, int], int] = {}
        self.last_acked: dict[tuple[str, int], int] = {}      # highest sequence acknowledged
        self.in_flight: dict[tuple[str, int], list[ProducerBatch]] = {}   # idempotent: by sequence

    def wakeup(self, delay: int) -> None:
        """Run the sender in `delay` ms, unless it is due to run by then anyway."""
        at = self.sim.now + delay
        if self._wakeup is not None and not self._wakeup.cancelled and self._wakeup_at <= at:
            return
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup_at = at
        self._wakeup = self.client.after(delay, self.run_once)

    # -- one pass: expire, pick what is ready, drain (rules 2, 3, 5) --------------------------
    def run_once(self) -> None:
        self._wakeup = None
        if self.idempotent and self.producer_id < 0:
            if self.txn is None:
                self.init_producer_id()
            return
        acc = self.accumulator
        now = self.sim.now
        timeout = self.cfg["delivery.timeout.ms"]
        next_at: int | None = None
        by_leader: dict[int, list[tuple[str, int]]] = {}
        need_metadata = False
        for tp in sorted(acc.batches):
            for b in acc.expired_batches(tp, now, timeout):
                self._fail(b, KafkaError("_MSG_TIMED_OUT", f"Expiring {len(b.records)} record(s) for "
                                         f"{tp[0]}-{tp[1]}: {now - b.created} ms has passed since batch creation"))
            dq = acc.batches[tp]
            if not dq:
                continue
            b = dq[0]
            at = acc.ready_at(b, now)
            if at is not None:
                next_at = _earliest(next_at, at)
                continue
            if tp in acc.muted or not self.may_send(tp, b):
                continue
            leader, _ = self.client.leader_of(tp)
            if leader < 0:
                need_metadata = True
                continue
            by_leader.setdefault(leader, []).append(tp)
        if need_metadata:
            self.client.request_metadata()
            next_at = _earliest(next_at, now + self.cfg["retry.backoff.ms"])
        for leader in sorted(by_leader):
            self._drain(leader, by_leader[leader])
        if next_at is not None:
            self.wakeup(max(next_at - now, 0))

    def may_send(self, tp: tuple[str, int], batch: ProducerBatch) -> bool:
        """Idempotence keeps order: a retried batch goes only when no batch with a lower
        sequence is in flight, and at most 5 batches per partition are in flight."""
        if not self.idempotent:
            return True
        if self.txn is not None and not self.txn.may_send(tp):
            return False
        flying = self.in_flight.get(tp)
        if not flying:
            return True
        if batch.base_sequence >= 0:
            return all(b.base_sequence > batch.base_sequence for b in flying)
        return len(flying) < 5

    # -- the producer id (rule 8) ---------------------------------------------------------
    def init_producer_id(self) -> None:
        if self._pid_cid:
            return
        broker = self.client.next_broker()
        msg = P.InitProducerIdRequest(self.client.next_cid())
        self._pid_cid = msg.cid
        self.client.request(broker, msg, self._on_producer_id, self._on_producer_id_error)

    def _on_producer_id(self, resp: P.InitProducerIdResponse) -> None:
        self._pid_cid = 0
        if resp.error is not None:
            self.client.after(self.cfg["retry.backoff.ms"], self.wakeup, 0)
            return
        self.producer_id, self.producer_epoch = resp.producer_id, resp.producer_epoch
        self.trace.state(self.sim.now, self.name, "producer_id", pid=self.producer_id, epoch=self.producer_epoch)
        self.wakeup(0)

    def _on_producer_id_error(self, err: KafkaError) -> None:
        self._pid_cid = 0
        self.client.after(self.cfg["retry.backoff.ms"], self.wakeup, 0)

    def _bump_epoch(self, why: str) -> None:
        """KIP-360: an unresolvable sequence bumps the epoch locally and restarts every
        partition's sequences at 0; queued batches are re-sequenced when drained."""
        self.producer_epoch += 1
        self.next_sequence = {}
        self.last_acked = {}
        self.accumulator.reset_sequences()
        self.trace.state(self.sim.now, self.name, "producer.epoch_bump", pid=self.producer_id,
                         epoch=self.producer_epoch, why=why)

    def set_producer_id(self, pid: int, epoch: int) -> None:
        """A new producer id or epoch: every partition's sequences restart at 0."""
        self.producer_id, self.producer_epoch = pid, epoch
        self.next_sequence = {}
        self.last_acked = {}
        self.accumulator.reset_sequences()
        self.trace.state(self.sim.now, self.name, "producer_id", pid=pid, epoch=epoch)
        self.wakeup(0)

    # -- ProduceRequests (rules 3, 4, 8) --------------------------------------------------------
    def _drain(self, leader: int, tps: list[tuple[str, int]]) -> None:
        node = f"b{leader}"
        max_request = self.cfg["max.request.size"]
        while tps and (self.acks == 0 or self.client.inflight_to(node) < self.max_in_flight):
            batches, tps = self.accumulator.drain(tps, max_request, self.max_in_flight > 1)
            self._send_batches(leader, batches)

    def _send_batches(self, leader: int, batches: list[ProducerBatch]) -> None:
        wire = []
        for b in batches:
            b.closed = True
            self.assign_sequence(b)
            wire.append((b.tp, RecordBatch(b.records, b.size, producer_id=b.producer_id,
                                           producer_epoch=b.producer_epoch, base_sequence=b.base_sequence,
                                           transactional=self.txn is not None,
                                           max_timestamp=b.records[-1].timestamp)))
            if self.max_in_flight == 1:
                self.accumulator.mute(b.tp)
        if self.txn is not None:
            self.txn.started = True
        msg = P.ProduceRequest(self.client.next_cid(), self.acks, self.cfg["request.timeout.ms"], wire,
                               self.txn.txn_id if self.txn is not None else None,
                               self.txn is not None and self.txn.v2)
        metrics = self.client.metrics
        for b in batches:
            metrics.sent.record(len(b.records))
        sent = self.sim.now
        if self.acks == 0:
            self.client.request(leader, msg, _ignore, _ignore, expect_response=False)
            for b in batches:
                self._complete(b, -1)
            return
        self.client.request(leader, msg, lambda resp: self._on_response(batches, resp, sent),
                            lambda err: self._on_request_failed(batches, err))

    def assign_sequence(self, batch: ProducerBatch) -> None:
        """Sequence numbers are assigned when a batch is first drained, not at produce()."""
        if not self.idempotent:
            return
        if batch.base_sequence < 0:
            seq = self.next_sequence.get(batch.tp, 0)
            batch.base_sequence = seq
            batch.producer_id, batch.producer_epoch = self.producer_id, self.producer_epoch
            self.next_sequence[batch.tp] = (seq + len(batch.records)) % (2**31)
        flying = self.in_flight.setdefault(batch.tp, [])
        flying.append(batch)
        flying.sort(key=lambda b: b.base_sequence)

    # -- answers: delivered, retried or failed (rules 4, 5, 6, 8) ----------------------------
    def _on_response(self, batches: list[ProducerBatch], resp: P.ProduceResponse, sent: int) -> None:
        self.client.metrics.latency.record(self.sim.now - sent)
        by_tp = {tp: (err, off) for tp, err, off in resp.results}
        times, texts = resp.log_append_times or {}, resp.error_messages or {}
        for b in batches:
            err, off = by_tp.get(b.tp, ("NETWORK_EXCEPTION", -1))
            self.accumulator.unmute(b.tp)
            if err is None:
                self._finish(b, off, None, times.get(b.tp, -1))
            else:
                self._handle_error(b, KafkaError(err, texts.get(b.tp)))
        self.wakeup(0)

    def _on_request_failed(self, batches: list[ProducerBatch], err: KafkaError) -> None:
        for b in batches:
            self.accumulator.unmute(b.tp)
            self._handle_error(b, err)
        self.wakeup(0)

    def _landed(self, b: ProducerBatch) -> None:
        flying = self.in_flight.get(b.tp)
        if flying and b in flying:
            flying.remove(b)

    def _handle_error(self, b: ProducerBatch, err: KafkaError) -> None:
        now = self.sim.now
        self._landed(b)
        if err.name() == "MSG_SIZE_TOO_LARGE" and len(b.records) > 1 and not b.done \
                and not (self.txn is not None and self.txn.aborting()):
            self._split(b)
            return
        if err.name() in RETRIABLE_METADATA:
            self.client.request_metadata()
        retriable = err.retriable()
        if self.idempotent and err.name() == "OUT_OF_ORDER_SEQUENCE_NUMBER":
            # always retried (TransactionManager.canRetry). Only when this batch is the next
            # sequence after the last acknowledged one did the broker lose our sequence: bump the
            # epoch and re-sequence from 0 (KIP-360). Otherwise an earlier batch may still fill
            # the gap, or this batch retries until it expires.
            retriable = True
            expected = (self.last_acked.get(b.tp, -1) + 1) % (2**31)
            if b.producer_epoch == self.producer_epoch and b.base_sequence == expected:
                if self.txn is not None:      # only the coordinator can bump a transactional epoch
                    retriable = False
                else:
                    self._bump_epoch(f"unresolved sequence {b.base_sequence} on {b.tp[0]}-{b.tp[1]}")
        if retriable and self.txn is not None and self.txn.aborting():
            retriable = False
        if retriable and b.attempts < self.cfg["retries"] \
                and now - b.created < self.cfg["delivery.timeout.ms"]:
            b.attempts += 1
            backoff = retry_backoff(b.attempts, self.cfg["retry.backoff.ms"], self.cfg["retry.backoff.max.ms"],
                                    self._rng)
            b.next_try = now + backoff
            self.trace.state(now, self.name, "produce.retry", tp=f"{b.tp[0]}-{b.tp[1]}", error=err.name(),
                             attempt=b.attempts, backoff=backoff, records=len(b.records))
            self.client.metrics.retried.record(len(b.records))
            self.requeue(b)
        else:
            if retriable and now - b.created >= self.cfg["delivery.timeout.ms"]:
                err = KafkaError("_MSG_TIMED_OUT", f"Expiring {len(b.records)} record(s) for {b.tp[0]}-{b.tp[1]}: "
                                 f"{now - b.created} ms has passed since batch creation (last error {err.name()})")
            self._fail(b, err)

    def _split(self, b: ProducerBatch) -> None:
        """Rule 9: `b` goes back as smaller batches, its sequences shared out among them."""
        b.done = True
        parts = self.accumulator.split(b)
        if b.base_sequence >= 0:
            seq = b.base_sequence
            for part in parts:
                part.base_sequence, part.producer_id, part.producer_epoch = seq, b.producer_id, b.producer_epoch
                seq = (seq + len(part.records)) % (2**31)
        for part in reversed(parts):
            self.requeue(part)
        self.trace.state(self.sim.now, self.name, "produce.split", tp=f"{b.tp[0]}-{b.tp[1]}",
                         records=len(b.records), batches=tuple(len(p.records) for p in parts))

    def fail_record(self, tp: tuple[str, int], rec: Record, cb: Any, err: KafkaError) -> None:
        """producer.py rule 1b: a record refused before batching fails at once; in a
        transaction the transaction must then be aborted."""
        self.client.metrics.failed.record(1)
        self.failed += 1
        if self.txn is not None:
            self.txn.on_send_failed(err)
        if cb is not None:
            self.reports.append((cb, err, Message(tp[0], tp[1], -1, rec.key, rec.value, rec.headers, rec.timestamp,
                                                  error=err)))
        self.trace.state(self.sim.now, self.name, "delivery.failed", tp=f"{tp[0]}-{tp[1]}", error=err.name(),
                         records=1)

    def requeue(self, b: ProducerBatch) -> None:
        """Put a batch back at the front of its queue (Kafka's reenqueue: addFirst), or with
        idempotence in sequence order among the batches that already have sequences."""
        in_sequence_order = self.idempotent and b.base_sequence >= 0 and b.producer_epoch == self.producer_epoch
        if self.idempotent and not in_sequence_order:
            b.base_sequence = -1               # re-sequenced under the current epoch
        self.accumulator.reenqueue(b, in_sequence_order)

    def _complete(self, b: ProducerBatch, base_offset: int) -> None:
        self._finish(b, base_offset, None)

    def _fail(self, b: ProducerBatch, err: KafkaError) -> None:
        self.client.metrics.failed.record(len(b.records))
        self._finish(b, -1, err)

    def _finish(self, b: ProducerBatch, base_offset: int, err: KafkaError | None, log_append_time: int = -1) -> None:
        """The batch is delivered at `base_offset` (-1 for acks=0) or failed with `err`:
        queue one delivery report per record that asked for one. `log_append_time` >= 0: the
        broker stamped the batch (LogAppendTime), and each report carries that time."""
        self._landed(b)
        if b.done:
            return
        b.done = True
        if self.txn is not None and err is not None:
            self.txn.on_batch_failed(b, err)
        elif self.idempotent and b.base_sequence >= 0 and b.producer_epoch == self.producer_epoch:
            if err is None:
                last = b.base_sequence + len(b.records) - 1
                if last > self.last_acked.get(b.tp, -1):
                    self.last_acked[b.tp] = last
            else:   # a sequence that may or may not have landed: later ones could never fit
                self._bump_epoch(f"batch with sequence {b.base_sequence} on {b.tp[0]}-{b.tp[1]} failed")
        n = len(b.records)
        self.accumulator.deallocate(b)
        if err is None:
            self.delivered += n
        else:
            self.failed += n
        cbs = b.callbacks
        if cbs is not None:
            topic, part = b.tp
            for i, cb in enumerate(cbs):
                if cb is not None:
                    r = b.records[i]
                    off = base_offset + i if base_offset >= 0 else -1
                    if log_append_time >= 0:
                        msg = Message(topic, part, off, r.key, r.value, r.headers, log_append_time,
                                      tstype=TIMESTAMP_LOG_APPEND_TIME)
                    else:
                        msg = Message(topic, part, off, r.key, r.value, r.headers, r.timestamp, error=err)
                    self.reports.append((cb, err, msg))
        if err is None:
            if self.trace.enabled:
                self.trace.state(self.sim.now, self.name, "delivered", tp=f"{b.tp[0]}-{b.tp[1]}",
                                 offset=base_offset, records=n)
        else:
            self.trace.state(self.sim.now, self.name, "delivery.failed", tp=f"{b.tp[0]}-{b.tp[1]}",
                             error=err.name(), records=n)

    def purge_queued(self, err: KafkaError) -> None:
        """Fail every batch not yet sent (abort_transaction, a fatal error)."""
        acc = self.accumulator
        for tp in sorted(acc.batches):
            for b in list(acc.batches[tp]):
                self._fail(b, err)
        acc.clear()


def retry_backoff(attempt: int, backoff_ms: int, max_ms: int, rng: random.Random) -> int:
    """The wait before retry number `attempt` (1, 2, ...), as Kafka's ExponentialBackoff
    (multiplier 2, jitter 0.2): `backoff_ms` doubled per earlier retry up to `max_ms`, times a
    random factor in [0.8, 1.2), and only then capped, so a wait never exceeds `max_ms`. With
    `max_ms` <= `backoff_ms` every wait is exactly `max_ms` (no jitter, no random draw)."""
    if max_ms <= backoff_ms:
        return max_ms
    term = min(backoff_ms * 2 ** min(attempt - 1, 62), max_ms)     # the exponent stays small
    return min(int(term * (0.8 + 0.4 * rng.random())), max_ms)


def _earliest(a: int | None, b: int) -> int:
    return b if a is None or b < a else a


def _ignore(*_: Any) -> None:
    pass
