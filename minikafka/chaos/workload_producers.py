"""The workload's producers: application producers that send, and send again, spread over the
nemesis window (workload.py drives the ticks; the rules keep workload.py's numbers).

Rules:
2. `producers` application producers ("p0", "p1", ...) each send `records / producers`
   values, evenly spread over the nemesis window, round robin over every partition of every
   input topic (all topics but "out"). Value `b"p0-17"` is p0's 17th send (history.py rule 2).
   A `transactional.id` in `producer_config` makes them transactional: slot i uses `<id>-<i>`;
   each transaction holds `txn_records` values and the application aborts it with
   `abort_probability` (seeded), else commits; a commit or abort that timed out (a retriable
   _TIMED_OUT, say while a request waits out its timeout) is called again, up to 4 calls. With `warm_up`, a new non-transactional
   instance waits for the acknowledgement of its first send to each partition before sending
   on (a failed one does not count): until a broker holds state for a producer id it accepts
   any sequence from it (F.37e). With
   `resend_unacked`, a non-transactional application whose producer crashed sends again,
   from its new instance, every value it had not seen acknowledged (F.39: idempotence does
   not cover restarts).

A crashed or failed instance is replaced as workload.py rule 6 says; a blocked call holds up
every slot and overdue sends go out one per tick (workload.py rule 7).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minikafka.chaos.history import History, Send, Txn
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.chaos.workload import WorkloadConfig
    from minikafka.clients.producer.producer import Producer

TXN_CALL_TIMEOUT_S = 15.0
TXN_CALL_ATTEMPTS = 4                   # a commit or abort that timed out is called again, up to 60 s
INIT_BACKOFF_MS = 1_000         # a process that could not start tries again this much later


@dataclass
class _ProducerSlot:
    name: str
    index: int
    quota: int
    next_at: int
    interval: int
    seq: int = 0
    p: "Producer | None" = None
    txn: Txn | None = None
    committing: bool = False
    retry_at: int = 0
    cold: set[tuple[str, int]] = field(default_factory=set)   # partitions not warmed up yet (rule 2)
    warming: Send | None = None                               # the warm-up send being waited for
    resend: list[Send] = field(default_factory=list)      # to send again (rule 2)

    @property
    def has_work(self) -> bool:
        return self.seq < self.quota or bool(self.resend)


class ProducerRole:
    """The producers of a `Workload` (rule 2), mixed into it: the slots and their ticks."""

    cfg: WorkloadConfig
    c: Cluster
    h: History
    rng: random.Random
    input_tps: list[tuple[str, int]]
    producers: list[_ProducerSlot]

    def _producer_slots(self, start: int, duration: int) -> list[_ProducerSlot]:
        cfg = self.cfg
        per = cfg.records // cfg.producers if cfg.producers else 0
        window = max(duration - 2_000, cfg.tick_ms)
        interval = max(cfg.tick_ms, window // per) if per else window
        return [_ProducerSlot(f"p{i}", i, per, start + i * interval // max(cfg.producers, 1), interval)
                for i in range(cfg.producers)]

    def _producer_tick(self, slot: _ProducerSlot) -> None:
        c = self.c
        self._check_alive(slot)
        if slot.has_work and c.now >= slot.next_at and self._warm(slot) and self._producer(slot) is not None:
            self._send(slot)
            slot.next_at += slot.interval
        if slot.p is not None and slot.p.alive:
            slot.p.poll(0)

    @staticmethod
    def _warm(slot: _ProducerSlot) -> bool:
        """Rule 2: False while a warm-up send waits for its report; acknowledged, it warms its partition."""
        s = slot.warming
        if s is None:
            return True
        if s.outcome == "pending":
            return False
        if s.outcome == "acked":
            slot.cold.discard((s.topic, s.partition))
        slot.warming = None
        return True

    def _check_alive(self, slot: _ProducerSlot) -> None:
        p = slot.p
        if p is None or p.alive:
            return
        now = self.c.now
        pending = self.h.pending(p.name)
        self.h.unknown(pending, f"{p.name} crashed before the report", now)
        if self.cfg.resend_unacked and not self.cfg.transactional:
            slot.resend = sorted(slot.resend + pending, key=lambda x: x.seq)     # in the original order
        if slot.txn is not None:
            self.h.end_txn(slot.txn, "unknown" if slot.committing else "aborted", now, f"{p.name} crashed")
        slot.p, slot.txn, slot.committing, slot.warming = None, None, False, None

    def _producer(self, slot: _ProducerSlot) -> "Producer | None":
        """The slot's live instance, or a new one (None while a new one cannot start)."""
        c = self.c
        if slot.p is not None:
            return slot.p
        if c.now < slot.retry_at:
            return None
        config = dict(self.cfg.producer_config)
        if self.cfg.transactional:
            config["transactional.id"] = f"{config['transactional.id']}-{slot.index}"
        p = c.producer(config)
        if self.cfg.transactional and not self._init_transactions(p):
            slot.retry_at = c.now + INIT_BACKOFF_MS
            return None
        slot.p = p
        slot.cold = set(self.input_tps) if self.cfg.warm_up and not self.cfg.transactional else set()
        slot.warming = None
        return p

    def _init_transactions(self, p: "Producer") -> bool:
        """init_transactions, or the process gives up (crashes) to restart later."""
        try:
            p.init_transactions(TXN_CALL_TIMEOUT_S)
        except KafkaException:
            if p.alive:
                self.c.crash_client(p.name)
            return False
        return p.alive

    def _send(self, slot: _ProducerSlot) -> None:
        c, h, p = self.c, self.h, slot.p
        assert p is not None
        if self.cfg.transactional and slot.txn is None:
            try:
                p.begin_transaction()
            except KafkaException:
                self._restart(slot)
                return
            slot.txn = h.begin_txn(slot.name, p.name, c.now, p.producer_id, p.producer_epoch)
        if slot.resend:
            old = slot.resend.pop(0)
            s = h.send(slot.name, p.name, old.seq, old.topic, c.now, old.tp[1], slot.txn, resend_of=old)
        else:
            topic, partition = self.input_tps[slot.seq % len(self.input_tps)]
            s = h.send(slot.name, p.name, slot.seq, topic, c.now, partition, slot.txn)
            slot.seq += 1
        self._shape(s, slot)
        try:
            p.produce(s.topic, value=s.written, key=s.key, partition=s.partition,
                      on_delivery=h.on_delivery(s, lambda: c.now))
        except (KafkaException, BufferError) as e:
            name = e.args[0].name() if isinstance(e, KafkaException) else "_QUEUE_FULL"
            h.delivered(s, name, s.partition, -1, c.now)
            if slot.txn is not None:
                self._end_txn(slot, commit=False)
            return
        if slot.txn is not None and len(slot.txn.values) >= self.cfg.txn_records:
            self._end_txn(slot, commit=self.rng.random() >= self.cfg.abort_probability)
        elif s.tp in slot.cold:
            slot.warming = s

    def _shape(self, send: Send, slot: _ProducerSlot) -> None:
        """A hook for workloads whose records have keys (history.py rule 12): set `send.key` and
        `send.tombstone` before it is produced. Here records are keyless."""

    def _end_txn(self, slot: _ProducerSlot, commit: bool) -> None:
        """Commit or abort the slot's transaction (workload.py rule 6 when it goes wrong)."""
        c, h, p, txn = self.c, self.h, slot.p, slot.txn
        assert p is not None and txn is not None
        slot.committing = commit
        try:
            call = p.commit_transaction if commit else p.abort_transaction
            for attempt in range(TXN_CALL_ATTEMPTS):
                try:
                    call(TXN_CALL_TIMEOUT_S)
                    break
                except KafkaException as e:     # a timed-out call resumes when called again
                    if not (e.args[0].name() == "_TIMED_OUT" and p.alive) or attempt == TXN_CALL_ATTEMPTS - 1:
                        raise
            h.end_txn(txn, "committed" if commit else "aborted", c.now)
        except KafkaException as e:
            err = e.args[0]
            if p.alive and err.txn_requires_abort():
                # the commit was refused before EndTxn: the transaction cannot have committed
                try:
                    p.abort_transaction(TXN_CALL_TIMEOUT_S)
                    h.end_txn(txn, "aborted", c.now, err.name())
                except KafkaException:
                    h.end_txn(txn, "aborted", c.now, err.name())
                    self._restart(slot)
            else:
                h.end_txn(txn, "unknown" if commit else "aborted", c.now,
                          err.name() if p.alive else f"{p.name} crashed")
                self._restart(slot)
        finally:
            slot.txn, slot.committing = None, False

    def _restart(self, slot: _ProducerSlot) -> None:
        """The application's process dies and is started again: a fresh instance next tick."""
        p = slot.p
        if p is not None and p.alive:
            self.c.crash_client(p.name)
        self._check_alive(slot)
