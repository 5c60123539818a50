"""The producer: partitioner, accumulator, sender, retries and delivery reports.

Rules (kafka-semantics.md B, E.30-E.33):
1. `produce()` picks the partition (explicit, murmur2 of the key, or sticky for null keys) and
   appends the record to that partition's open batch, or opens a new one.
2. A batch is ready when it is full (`batch.size`), when `linger.ms` has passed since it was
   opened, during `flush()`, or when a retry's backoff has passed.
3. The sender drains at most one batch per partition into one ProduceRequest per leader, and
   keeps at most `max.in.flight.requests.per.connection` requests in flight per broker. With 1,
   a partition with a batch in flight is muted, which keeps order.
4. acks=0: a batch counts as delivered once sent (offset -1), no response is awaited.
   acks=1 / all: the broker's response decides.
5. A retriable error retries the batch after an exponential backoff (`retry.backoff.ms` up to
   `retry.backoff.max.ms`, +-20% jitter) while attempts <= `retries` and the batch is younger
   than `delivery.timeout.ms`; the retried batch goes back to the *front* of its queue. A
   non-retriable error, or running out of retries or time, fails the batch.
6. A request timeout or disconnect fails every request in flight to that broker, in send order,
   and each batch is retried or failed by rule 5. Without idempotence, re-queueing at the front
   in that order is how a retry overtakes a later batch: reordering.
7. Delivery reports (`on_delivery(err, msg)`) are served by `poll()` and `flush()`.
8. Idempotence (default on; `check_idempotence_config` has Kafka's rules): the producer gets a
   producer id (InitProducerId) before sending; each partition's sequence advances by the record
   count when a batch is first drained; at most 5 batches per partition fly, and a retried batch
   goes only when no lower sequence is in flight; retries re-enter the queue in sequence order.
   OUT_OF_ORDER_SEQUENCE_NUMBER is retried; when no earlier batch can fill the gap, the epoch is
   bumped and sequences restart at 0 (KIP-360).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.client import Client
from minikafka.clients.message import Message
from minikafka.clients.producer.config import PRODUCER
from minikafka.clients.producer.partitioner import StickyPartitioner
from minikafka.config import Config, resolve
from minikafka.errors import ConfigException, KafkaError, KafkaException
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size

if TYPE_CHECKING:
    from minikafka.clients.producer.transaction_manager import TransactionManager
    from minikafka.cluster import Cluster

RETRIABLE_METADATA = frozenset({"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE",
                                "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "NETWORK_EXCEPTION",
                                "REQUEST_TIMED_OUT"})


class ProducerBatch:
    """A batch being built or delivered by the producer."""

    __slots__ = ("tp", "records", "callbacks", "size", "created", "attempts", "next_try", "closed",
                 "base_sequence", "producer_id", "producer_epoch", "done")

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

    def __repr__(self) -> str:
        return f"ProducerBatch({self.tp[0]}-{self.tp[1]}, {len(self.records)} records, attempts={self.attempts})"


def check_producer_config(cfg: Config) -> None:
    if cfg["delivery.timeout.ms"] < cfg["linger.ms"] + cfg["request.timeout.ms"]:
        if cfg.is_set("delivery.timeout.ms"):
            raise ConfigException(
                f"delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms "
                f"({cfg['linger.ms']} + {cfg['request.timeout.ms']}), got {cfg['delivery.timeout.ms']}")
        cfg["delivery.timeout.ms"] = cfg["linger.ms"] + cfg["request.timeout.ms"]


def check_idempotence_config(cfg: Config) -> None:
    """Kafka 4.x rules (kafka-semantics.md E.34): idempotence defaults to true, is silently
    turned off when left unset with acks != all or retries = 0, and conflicting settings with an
    explicit true (or more than 5 requests in flight while enabled) raise ConfigException."""
    explicit = cfg.is_set("enable.idempotence") and cfg["enable.idempotence"]
    if explicit and cfg["retries"] == 0:           # checked before acks, as Java and librdkafka do
        raise ConfigException("Must set retries to non-zero when using the idempotent producer "
                              "(enable.idempotence=true, retries=0)")
    if explicit and cfg["acks"] != -1:
        raise ConfigException("Must set acks to all in order to use the idempotent producer "
                              "(enable.idempotence=true, acks=%s)" % cfg["acks"])
    if not cfg.is_set("enable.idempotence") and (cfg["acks"] != -1 or cfg["retries"] == 0):
        cfg["enable.idempotence"] = False
    if cfg["enable.idempotence"] and cfg["max.in.flight.requests.per.connection"] > 5:
        raise ConfigException("max.in.flight.requests.per.connection must be at most 5 to use the "
                              "idempotent producer (got %d); set enable.idempotence=false to allow more"
                              % cfg["max.in.flight.requests.per.connection"])
    if cfg["transactional.id"] is not None and not cfg["enable.idempotence"]:
        raise ConfigException("Cannot set a transactional.id without also enabling idempotence "
                              "(enable.idempotence is false here)")


class Producer(Client):
    role = "producer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        cfg = resolve(PRODUCER, config, self.check_config)
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.acks: int = cfg["acks"]
        self.batch_size: int = cfg["batch.size"]
        self.linger: int = cfg["linger.ms"]
        self.max_in_flight: int = cfg["max.in.flight.requests.per.connection"]
        self.acc: dict[tuple[str, int], deque[ProducerBatch]] = {}
        self.sticky = StickyPartitioner(self.sim.rng(f"partitioner/{self.name}"), self.batch_size)
        self._rng = self.sim.rng(f"producer/{self.name}")
        self.reports: deque[tuple[Callable, KafkaError | None, Message]] = deque()
        self.in_queue = 0               # records produced and not yet delivered or failed
        self.buffered = 0               # bytes in the accumulator
        self.muted: set[tuple[str, int]] = set()
        self.flushing = False
        self._wakeup = None
        self._wakeup_at = -1
        self.delivered = 0
        self.failed = 0
        self.idempotent: bool = cfg["enable.idempotence"]
        self.producer_id = -1
        self.producer_epoch = -1
        self._pid_cid = 0
        self.next_sequence: dict[tuple[str, int], int] = {}
        self.last_acked: dict[tuple[str, int], int] = {}      # highest sequence acknowledged
        self.in_flight: dict[tuple[str, int], list[ProducerBatch]] = {}   # idempotent: by sequence
        self.txn: TransactionManager | None = None
        if cfg["transactional.id"] is not None:
            from minikafka.clients.producer.transaction_manager import (
                TransactionManager,  # loaded by the first transactional producer
            )
            self.txn = TransactionManager(self)
        if self.idempotent and self.txn is None:
            self.after(0, self._init_producer_id)      # the sender asks at once, as Java's does

    @staticmethod
    def check_config(cfg: Config) -> None:
        check_producer_config(cfg)
        check_idempotence_config(cfg)
        txn_id = cfg["transactional.id"]
        if txn_id is not None and (not isinstance(txn_id, str) or not txn_id):
            raise ConfigException(f"transactional.id must be a non-empty string, got {txn_id!r}")

    # -- the application's calls ------------------------------------------------------
    def produce(self, topic: str, value: Any = None, key: Any = None, partition: int = -1,
                on_delivery: Callable | None = None, timestamp: int = 0, headers: Any = None,
                callback: Callable | None = None) -> None:
        """Queue one record; returns at once. Delivery is reported to `on_delivery(err, msg)`
        by a later `poll()` or `flush()`."""
        self.check_open()
        if self.txn is not None:
            self.txn.check_produce()
        if not isinstance(topic, str):
            raise TypeError(f"topic must be a str, got {type(topic).__name__}")
        value, key = _to_bytes(value, "value"), _to_bytes(key, "key")
        cb = on_delivery or callback
        if cb is not None and not callable(cb):
            raise TypeError("on_delivery must be callable: on_delivery(err, msg)")
        hdrs = _headers(headers)
        parts = self.partitions_of(topic)
        n = len(parts)
        if partition is None or partition < 0:
            if key is not None and not self.cfg["partitioner.ignore.keys"]:
                partition = self.cluster.impl["partitioner"](key, n)
                sticky = False
            else:
                available = self._available(parts)
                partition = self.sticky.partition(topic, available, n)
                sticky = True
        else:
            if not isinstance(partition, int) or partition >= n:
                raise KafkaException("_UNKNOWN_PARTITION",
                                     f"Partition {partition} does not exist: topic '{topic}' has partitions 0..{n - 1}")
            sticky = False
        size = record_size(key, value, hdrs)
        if self.buffered + size > self.cfg["buffer.memory"]:
            self.block_until(lambda: self.buffered + size <= self.cfg["buffer.memory"],
                             self.cfg["max.block.ms"], "waiting for buffer.memory")
            if self.buffered + size > self.cfg["buffer.memory"]:
                raise BufferError("Local: Queue full (buffer.memory exhausted after max.block.ms)")
        ts = timestamp if timestamp else self.sim.now
        tp = (topic, partition)
        if self.txn is not None:
            self.txn.on_record(tp)
        batch = self._append(tp, Record(key, value, hdrs, ts), size, cb)
        if sticky:
            self.sticky.on_append(topic, size, batch.closed or batch.size >= self.batch_size, available, n)

    def poll(self, timeout: float | None = 0) -> int:
        """Serve delivery reports; wait up to `timeout` seconds (virtual) for one to arrive."""
        self.check_open()
        if not self.reports:
            ms = self.timeout_ms(timeout)
            if ms != 0:
                self.block_until(lambda: bool(self.reports), ms, "poll")
        return self._serve_reports()

    def flush(self, timeout: float | None = None) -> int:
        """Send everything queued and wait (virtual time) until it is delivered or failed.
        Returns how many records are still queued (0 unless the timeout ran out)."""
        self.check_open()
        self.flushing = True
        try:
            self._wake(0)
            self.block_until(lambda: self.in_queue == 0, self.timeout_ms(timeout), "flush")
        finally:
            self.flushing = False
        self._serve_reports()
        return self.in_queue

    def close(self, timeout: float | None = None) -> None:
        if not self.closed:
            self.flush(timeout)
            self.closed = True
            self.trace.state(self.sim.now, self.name, "client.close")

    def __len__(self) -> int:
        return self.in_queue

    def _serve_reports(self) -> int:
        n = 0
        reports = self.reports
        while reports:
            cb, err, msg = reports.popleft()
            cb(err, msg)
            n += 1
        return n

    # -- accumulator ------------------------------------------------------------------
    def _available(self, parts: tuple[P.PartitionState, ...]) -> list[int]:
        return [p.partition for p in parts if p.leader >= 0]

    def _append(self, tp: tuple[str, int], rec: Record, size: int, cb: Callable | None) -> ProducerBatch:
        dq = self.acc.get(tp)
        if dq is None:
            dq = self.acc[tp] = deque()
        batch = dq[-1] if dq else None
        if batch is None or batch.closed or batch.attempts or (batch.records and batch.size + size > self.batch_size):
            if batch is not None:
                batch.closed = True
            batch = ProducerBatch(tp, self.sim.now)
            dq.append(batch)
            self._wake(self.linger)
            if len(dq) > 1:
                self._wake(0)
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
            self._wake(0)
        return batch

    def _wake(self, delay: int) -> None:
        at = self.sim.now + delay
        if self._wakeup is not None and not self._wakeup.cancelled and self._wakeup_at <= at:
            return
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup_at = at
        self._wakeup = self.after(delay, self._run_sender)

    # -- sender -------------------------------------------------------------------------
    def _run_sender(self) -> None:
        self._wakeup = None
        if self.idempotent and self.producer_id < 0:
            if self.txn is None:
                self._init_producer_id()
            return
        now = self.sim.now
        linger = self.linger
        timeout = self.cfg["delivery.timeout.ms"]
        next_at: int | None = None
        by_leader: dict[int, list[tuple[str, int]]] = {}
        need_metadata = False
        for tp in sorted(self.acc):
            dq = self.acc[tp]
            while dq and now - dq[0].created >= timeout:
                b = dq.popleft()
                self._fail(b, KafkaError("_MSG_TIMED_OUT", f"Expiring {len(b.records)} record(s) for "
                                         f"{tp[0]}-{tp[1]}: {now - b.created} ms has passed since batch creation"))
            if not dq:
                continue
            b = dq[0]
            if b.attempts and b.next_try > now:
                next_at = _earliest(next_at, b.next_try)
                continue
            if not (b.closed or self.flushing or b.attempts or now - b.created >= linger):
                next_at = _earliest(next_at, b.created + linger)
                continue
            if tp in self.muted or not self.may_send(tp, b):
                continue
            leader, _ = self.leader_of(tp)
            if leader < 0:
                need_metadata = True
                continue
            by_leader.setdefault(leader, []).append(tp)
        if need_metadata:
            self.request_metadata()
            next_at = _earliest(next_at, now + self.cfg["retry.backoff.ms"])
        for leader in sorted(by_leader):
            self._drain(leader, by_leader[leader])
        if next_at is not None:
            self._wake(max(next_at - now, 0))

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

    # -- idempotence ----------------------------------------------------------------------
    def _init_producer_id(self) -> None:
        if self._pid_cid:
            return
        broker = self.next_broker()
        msg = P.InitProducerIdRequest(self.next_cid())
        self._pid_cid = msg.cid
        self.request(broker, msg, self._on_producer_id, self._on_producer_id_error)

    def _on_producer_id(self, resp: P.InitProducerIdResponse) -> None:
        self._pid_cid = 0
        if resp.error is not None:
            self.after(self.cfg["retry.backoff.ms"], self._wake, 0)
            return
        self.producer_id, self.producer_epoch = resp.producer_id, resp.producer_epoch
        self.trace.state(self.sim.now, self.name, "producer_id", pid=self.producer_id, epoch=self.producer_epoch)
        self._wake(0)

    def _on_producer_id_error(self, err: KafkaError) -> None:
        self._pid_cid = 0
        self.after(self.cfg["retry.backoff.ms"], self._wake, 0)

    def _bump_epoch(self, why: str) -> None:
        """KIP-360: an unresolvable sequence bumps the epoch locally and restarts every
        partition's sequences at 0; queued batches are re-sequenced when drained."""
        self.producer_epoch += 1
        self.next_sequence = {}
        self.last_acked = {}
        for dq in self.acc.values():
            for b in dq:
                b.base_sequence = -1
        self.trace.state(self.sim.now, self.name, "producer.epoch_bump", pid=self.producer_id,
                         epoch=self.producer_epoch, why=why)

    def _drain(self, leader: int, tps: list[tuple[str, int]]) -> None:
        node = f"b{leader}"
        max_request = self.cfg["max.request.size"]
        while tps and (self.acks == 0 or self.inflight_to(node) < self.max_in_flight):
            batches: list[ProducerBatch] = []
            size = 0
            remaining = []
            for tp in tps:
                dq = self.acc[tp]
                b = dq[0]
                if batches and size + b.size > max_request:
                    remaining.append(tp)
                    continue
                dq.popleft()
                if not dq:
                    del self.acc[tp]
                batches.append(b)
                size += b.size
                nxt = dq[0] if dq else None
                if nxt is not None and (nxt.closed or self.flushing) and not nxt.attempts \
                        and self.max_in_flight > 1:
                    remaining.append(tp)
            self._send_batches(leader, batches)
            tps = remaining

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
                self.muted.add(b.tp)
        msg = P.ProduceRequest(self.next_cid(), self.acks, self.cfg["request.timeout.ms"], wire,
                               self.txn.txn_id if self.txn is not None else None)
        if self.acks == 0:
            self.request(leader, msg, _ignore, _ignore, expect_response=False)
            for b in batches:
                self._complete(b, -1)
            return
        self.request(leader, msg, lambda resp: self._on_response(batches, resp),
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

    def _on_response(self, batches: list[ProducerBatch], resp: P.ProduceResponse) -> None:
        by_tp = {tp: (err, off) for tp, err, off in resp.results}
        for b in batches:
            err, off = by_tp.get(b.tp, ("NETWORK_EXCEPTION", -1))
            self.muted.discard(b.tp)
            if err is None:
                self._complete(b, off)
            else:
                self._handle_error(b, KafkaError(err))
        self._wake(0)

    def _on_request_failed(self, batches: list[ProducerBatch], err: KafkaError) -> None:
        for b in batches:
            self.muted.discard(b.tp)
            self._handle_error(b, err)
        self._wake(0)

    def _landed(self, b: ProducerBatch) -> None:
        flying = self.in_flight.get(b.tp)
        if flying and b in flying:
            flying.remove(b)

    def _handle_error(self, b: ProducerBatch, err: KafkaError) -> None:
        now = self.sim.now
        self._landed(b)
        if err.name() in RETRIABLE_METADATA:
            self.request_metadata()
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
        if retriable and b.attempts < self.cfg["retries"] \
                and now - b.created < self.cfg["delivery.timeout.ms"]:
            b.attempts += 1
            base = self.cfg["retry.backoff.ms"] * (2 ** (b.attempts - 1))
            backoff = min(base, self.cfg["retry.backoff.max.ms"])
            backoff = int(backoff * (0.8 + 0.4 * self._rng.random()))
            b.next_try = now + backoff
            self.trace.state(now, self.name, "produce.retry", tp=f"{b.tp[0]}-{b.tp[1]}", error=err.name(),
                             attempt=b.attempts, backoff=backoff, records=len(b.records))
            self.requeue(b)
        else:
            if retriable and now - b.created >= self.cfg["delivery.timeout.ms"]:
                err = KafkaError("_MSG_TIMED_OUT", f"Expiring {len(b.records)} record(s) for {b.tp[0]}-{b.tp[1]}: "
                                 f"{now - b.created} ms has passed since batch creation (last error {err.name()})")
            self._fail(b, err)

    def requeue(self, b: ProducerBatch) -> None:
        """Put a batch back at the front of its queue (Kafka's reenqueue: addFirst), or with
        idempotence in sequence order among the batches that already have sequences."""
        dq = self.acc.get(b.tp)
        if dq is None:
            dq = self.acc[b.tp] = deque()
        if self.idempotent and b.base_sequence >= 0 and b.producer_epoch == self.producer_epoch:
            i = 0
            while i < len(dq) and 0 <= dq[i].base_sequence < b.base_sequence:
                i += 1
            dq.insert(i, b)
        else:
            if self.idempotent:
                b.base_sequence = -1               # re-sequenced under the current epoch
            dq.appendleft(b)

    def _complete(self, b: ProducerBatch, base_offset: int) -> None:
        self._finish(b, base_offset, None)

    def _fail(self, b: ProducerBatch, err: KafkaError) -> None:
        self._finish(b, -1, err)

    def _finish(self, b: ProducerBatch, base_offset: int, err: KafkaError | None) -> None:
        """The batch is delivered at `base_offset` (-1 for acks=0) or failed with `err`:
        queue one delivery report per record that asked for one."""
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
        self.in_queue -= n
        self.buffered -= b.size - BATCH_OVERHEAD
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
                    self.reports.append((cb, err, Message(topic, part, off, r.key, r.value, r.headers,
                                                          r.timestamp, error=err)))
        if err is None:
            if self.trace.enabled:
                self.trace.state(self.sim.now, self.name, "delivered", tp=f"{b.tp[0]}-{b.tp[1]}",
                                 offset=base_offset, records=n)
        else:
            self.trace.state(self.sim.now, self.name, "delivery.failed", tp=f"{b.tp[0]}-{b.tp[1]}",
                             error=err.name(), records=n)

    def busy(self) -> bool:
        return self.in_queue > 0 or (self.txn is not None and self.txn.busy())

    # -- transactions (transaction_manager.py) -------------------------------------------
    def init_transactions(self, timeout: float | None = None) -> None:
        """Get this transactional.id's producer id and a new epoch, fencing older instances
        and aborting a transaction they left open."""
        self._txn("init_transactions").init_transactions(timeout)

    def begin_transaction(self) -> None:
        self._txn("begin_transaction").begin_transaction()

    def commit_transaction(self, timeout: float | None = None) -> None:
        self._txn("commit_transaction").commit_transaction(timeout)

    def abort_transaction(self, timeout: float | None = None) -> None:
        self._txn("abort_transaction").abort_transaction(timeout)

    def send_offsets_to_transaction(self, positions: Any, group_metadata: Any, timeout: float | None = None) -> None:
        """Commit a consumer group's positions as part of this transaction (consume-transform-produce)."""
        self._txn("send_offsets_to_transaction").send_offsets_to_transaction(positions, group_metadata, timeout)

    def _txn(self, call: str) -> TransactionManager:
        if self.txn is None:
            raise KafkaException("_NOT_CONFIGURED",
                                 f"{call}() needs a transactional producer: set transactional.id in its config")
        return self.txn

    def set_producer_id(self, pid: int, epoch: int) -> None:
        """A new producer id or epoch: every partition's sequences restart at 0."""
        self.producer_id, self.producer_epoch = pid, epoch
        self.next_sequence = {}
        self.last_acked = {}
        for dq in self.acc.values():
            for b in dq:
                b.base_sequence = -1
        self.trace.state(self.sim.now, self.name, "producer_id", pid=pid, epoch=epoch)
        self._wake(0)

    def purge_queued(self, err: KafkaError) -> None:
        """Fail every batch not yet sent (abort_transaction, a fatal error)."""
        for tp in sorted(self.acc):
            for b in list(self.acc[tp]):
                self._fail(b, err)
        self.acc = {}

    def on_metadata(self) -> None:
        if self.acc:
            self._wake(0)


def _earliest(a: int | None, b: int) -> int:
    return b if a is None or b < a else a


def _ignore(*_: Any) -> None:
    pass


def _to_bytes(v: Any, what: str) -> bytes | None:
    if v is None or isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"{what} must be bytes, str or None, got {type(v).__name__} (serialize it first)")


def _headers(h: Any) -> tuple[tuple[str, bytes], ...] | None:
    if not h:
        return None
    items = h.items() if isinstance(h, dict) else h
    out = []
    for k, v in items:
        if not isinstance(k, str):
            raise TypeError(f"header names must be str, got {k!r}")
        out.append((k, _to_bytes(v, f"header {k!r}")))
    return tuple(out)
