"""A seeded workload: producers and consumers on a fresh cluster while a nemesis strikes, a
recorded history, and the checkers' verdicts (nemesis.py, history.py, checkers.py).

Rules:
1. `Cluster(brokers, seed)`; each topic gets `partitions` partitions, replication factor
   `replication_factor`, `min.insync.replicas` and `unclean.leader.election.enable` as
   configured. The internal topics get `internal_partitions` partitions (Kafka's default is
   50): it only makes runs faster.
2. `producers` application producers ("p0", "p1", ...) each send `records / producers`
   values, evenly spread over the nemesis window, round robin over every partition of every
   topic. Value `b"p0-17"` is p0's 17th send (history.py rule 2). A `transactional.id` in
   `producer_config` makes them transactional: slot i uses `<id>-<i>`; each transaction
   holds `txn_records` values and the application aborts it with `abort_probability`
   (seeded), else commits. With `warm_up`, a new non-transactional instance flushes each of
   its first sends, one per partition, before sending on: until a broker holds state for a
   producer id it accepts any sequence from it (kafka-semantics.md F.37e), so an idempotent
   session whose first request to a partition is lost while later ones land can duplicate
   and reorder; the warm-up closes that hole.
3. `consumers` consumers ("c0", ...) `assign()` every partition (no group membership yet)
   and poll every tick; with a `group.id` in `consumer_config` they commit their positions
   every `commit_interval_ms`, asynchronously (auto-commit off); a commit is recorded when
   its outcome is traced. Everything they return is recorded.
4. A crashed client (the nemesis's crash_client) is replaced by a new instance at the next
   tick. Its sends without a report become unknown; its open transaction never committed
   (or is unknown, if it crashed inside commit). A transactional instance that is fenced,
   stuck, or fails with a fatal error is crashed and replaced as a restarted process would
   be; the new instance's init_transactions fences it.
5. A blocked call (a new instance waiting for metadata, a transactional call) holds up every
   slot, as in a single-threaded application; overdue sends then go out one per tick, after the nemesis
   window if need be (for at most one more window).
6. At the end of the window the schedule heals and restarts everything; producers flush and
   commit what is open; the cluster settles for `settle_ms` (at least the transaction
   timeout plus 15 s when transactional, so undecided transactions end); then one
   read_uncommitted and, when transactions or read_committed consumers were involved, one
   read_committed consumer read every partition from the start: the final reads.
7. Nothing is scripted: whatever the checkers find follows from the faults and the
   mechanisms. Same config, same seed, same history, byte for byte.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping

from .checkers import Report, check_all, render_verdicts
from .cluster import Cluster
from .errors import KafkaException
from .history import History, Txn
from .message import TopicPartition
from .nemesis import Nemesis, NemesisRun, Schedule

if TYPE_CHECKING:
    from .consumer import Consumer
    from .producer import Producer

TXN_CALL_TIMEOUT_S = 15.0
INIT_BACKOFF_MS = 1_000


@dataclass(frozen=True)
class TopicSpec:
    """One topic of `WorkloadConfig.topics`; `config` holds topic configs as (name, value) pairs."""

    partitions: int = 2
    replication_factor: int = 3
    config: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class WorkloadConfig:
    """Everything a run depends on (rules 1-6); `run_workload` builds one from keywords."""

    seed: int = 0
    producer_config: Mapping[str, Any] = field(default_factory=lambda: {"acks": "all"})
    consumer_config: Mapping[str, Any] = field(default_factory=dict)
    records: int = 120
    producers: int = 2
    consumers: int = 1
    topics: Mapping[str, TopicSpec] | None = None       # None: one topic "t" from the fields below
    brokers: int = 3
    partitions: int = 2
    replication_factor: int = 3
    min_insync_replicas: int = 2
    unclean: bool = False
    duration_ms: int = 30_000
    txn_records: int = 4
    abort_probability: float = 0.2
    commit_interval_ms: int = 2_000
    settle_ms: int = 30_000
    tick_ms: int = 10
    internal_partitions: int = 3
    warm_up: bool = False
    nemesis: Nemesis | Schedule | None = None
    checkers: tuple[str, ...] | None = None

    def topic_specs(self) -> dict[str, TopicSpec]:
        if self.topics is not None:
            return dict(self.topics)
        cfg = (("min.insync.replicas", self.min_insync_replicas), ("unclean.leader.election.enable", self.unclean))
        return {"t": TopicSpec(self.partitions, self.replication_factor, cfg)}

    @property
    def transactional(self) -> bool:
        return self.producer_config.get("transactional.id") is not None

    def schedule(self) -> Schedule:
        if isinstance(self.nemesis, Schedule):
            return self.nemesis
        if isinstance(self.nemesis, Nemesis):
            return self.nemesis.schedule()
        return Schedule((), self.duration_ms)


@dataclass
class Result:
    config: WorkloadConfig
    schedule: Schedule
    history: History
    verdicts: dict[str, Report]
    cluster: Cluster
    nemesis: NemesisRun

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.verdicts.values())

    def anomalies(self) -> dict[str, int]:
        """Anomaly kind -> how many, over every report."""
        out: dict[str, int] = {}
        for r in self.verdicts.values():
            for kind, n in r.kinds().items():
                out[kind] = out.get(kind, 0) + n
        return out

    def report(self, limit: int = 5) -> str:
        return "\n".join(["== schedule", self.schedule.table(),
                          "== applied (virtual ms, trace position, fault)", self.nemesis.log() or "nothing",
                          "== history", self.history.summary(),
                          "== verdicts", render_verdicts(self.verdicts, self.cluster, limit)])


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
    warm_left: int = 0          # warm-up sends still to be flushed one by one (rule 2)


@dataclass
class _ConsumerSlot:
    name: str
    index: int
    k: "Consumer | None" = None
    retry_at: int = 0


class Workload:
    def __init__(self, config: WorkloadConfig) -> None:
        self.cfg = config
        self.c = Cluster(brokers=config.brokers, seed=config.seed,
                         config={"offsets.topic.num.partitions": config.internal_partitions,
                                 "transaction.state.log.num.partitions": config.internal_partitions})
        self.h = History(self.c.trace)
        self.rng = random.Random(f"{config.seed}/workload")
        self.tps: list[tuple[str, int]] = []
        for topic, spec in sorted(config.topic_specs().items()):
            self.c.create_topic(topic, spec.partitions, spec.replication_factor, dict(spec.config))
            self.tps += [(topic, p) for p in range(spec.partitions)]
        self.isolation = config.consumer_config.get("isolation.level", "read_uncommitted")
        self.group: str | None = config.consumer_config.get("group.id")
        self.producers: list[_ProducerSlot] = []
        self.consumers = [_ConsumerSlot(f"c{i}", i) for i in range(config.consumers)]
        self._seen = 0                              # trace events harvested so far

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Result:
        cfg, c = self.cfg, self.c
        schedule = cfg.schedule()
        start = c.now
        duration = max(schedule.duration_ms, cfg.duration_ms)
        end = start + duration
        per = cfg.records // cfg.producers if cfg.producers else 0
        window = max(duration - 2_000, cfg.tick_ms)
        interval = max(cfg.tick_ms, window // per) if per else window
        self.producers = [_ProducerSlot(f"p{i}", i, per, start + i * interval // max(cfg.producers, 1), interval)
                          for i in range(cfg.producers)]
        nemesis = schedule.apply(c, at=start, clients=self._client)
        next_commit = start + cfg.commit_interval_ms
        while c.now < end or (c.now < end + duration and any(s.seq < s.quota for s in self.producers)):
            for slot in self.producers:
                self._producer_tick(slot)
            for cs in self.consumers:
                self._consume(cs)
            if self.group and c.now >= next_commit:
                for cs in self.consumers:
                    self._commit(cs)
                next_commit = c.now + cfg.commit_interval_ms
            c.run(cfg.tick_ms)
            if self.group:
                self._harvest()
        self._finish()
        return Result(cfg, schedule, self.h, check_all(self.h, c, cfg.checkers), c, nemesis)

    def _client(self, role: str, index: int) -> str | None:
        """The nemesis's client slots (nemesis.py rule 6) -> the live instance's name."""
        slots: list[Any] = self.producers if role == "producer" else self.consumers if role == "consumer" else []
        if not slots:
            return None
        slot = slots[index % len(slots)]
        client = slot.p if role == "producer" else slot.k
        return client.name if client is not None and client.alive else None

    # -- producers ---------------------------------------------------------------------------
    def _producer_tick(self, slot: _ProducerSlot) -> None:
        c = self.c
        self._check_alive(slot)
        if slot.seq < slot.quota and c.now >= slot.next_at and self._producer(slot) is not None:
            self._send(slot)
            slot.next_at += slot.interval
        if slot.p is not None and slot.p.alive:
            slot.p.poll(0)

    def _check_alive(self, slot: _ProducerSlot) -> None:
        p = slot.p
        if p is None or p.alive:
            return
        now = self.c.now
        self.h.unknown(self.h.pending(p.name), f"{p.name} crashed before the report", now)
        if slot.txn is not None:
            self.h.end_txn(slot.txn, "unknown" if slot.committing else "aborted", now, f"{p.name} crashed")
        slot.p, slot.txn, slot.committing = None, None, False

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
        if self.cfg.transactional:
            try:
                p.init_transactions(TXN_CALL_TIMEOUT_S)
            except KafkaException:
                if p.alive:
                    c.crash_client(p.name)          # the process gives up and restarts
                slot.retry_at = c.now + INIT_BACKOFF_MS
                return None
            if not p.alive:
                slot.retry_at = c.now + INIT_BACKOFF_MS
                return None
        slot.p = p
        slot.warm_left = len(self.tps) if self.cfg.warm_up and not self.cfg.transactional else 0
        return p

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
        topic, partition = self.tps[slot.seq % len(self.tps)]
        s = h.send(slot.name, p.name, slot.seq, topic, c.now, partition, slot.txn)
        slot.seq += 1
        try:
            p.produce(topic, value=s.value, partition=partition, on_delivery=h.on_delivery(s, lambda: c.now))
        except (KafkaException, BufferError) as e:
            name = e.args[0].name() if isinstance(e, KafkaException) else "_QUEUE_FULL"
            h.delivered(s, name, partition, -1, c.now)
            if slot.txn is not None:
                self._end_txn(slot, commit=False)
            return
        if slot.txn is not None and len(slot.txn.values) >= self.cfg.txn_records:
            self._end_txn(slot, commit=self.rng.random() >= self.cfg.abort_probability)
        elif slot.warm_left > 0:
            slot.warm_left -= 1
            p.flush(TXN_CALL_TIMEOUT_S)

    def _end_txn(self, slot: _ProducerSlot, commit: bool) -> None:
        """Commit or abort the slot's transaction (rule 4 when it goes wrong)."""
        c, h, p, txn = self.c, self.h, slot.p, slot.txn
        assert p is not None and txn is not None
        slot.committing = commit
        try:
            if commit:
                p.commit_transaction(TXN_CALL_TIMEOUT_S)
            else:
                p.abort_transaction(TXN_CALL_TIMEOUT_S)
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

    # -- consumers -----------------------------------------------------------------------------
    def _consumer(self, cs: _ConsumerSlot) -> "Consumer | None":
        """The slot's live instance, or a new one (None while a new one cannot start)."""
        c = self.c
        if cs.k is not None and cs.k.alive:
            return cs.k
        if c.now < cs.retry_at:
            return None
        config = {"auto.offset.reset": "earliest", **self.cfg.consumer_config, "enable.auto.commit": False}
        k = c.consumer(config)
        try:
            k.assign([TopicPartition(t, p) for t, p in self.tps])
        except KafkaException:
            c.crash_client(k.name)                  # no metadata: the process gives up and restarts
            cs.k, cs.retry_at = None, c.now + INIT_BACKOFF_MS
            return None
        cs.k = k
        return k

    def _consume(self, cs: _ConsumerSlot, timeout: float = 0) -> int:
        k = self._consumer(cs)
        if k is None:
            return 0
        try:
            msgs = k.consume(500, timeout)
        except KafkaException:
            return 0
        for m in msgs:
            if m.error() is None:
                self.h.read(k.name, m, self.isolation, self.c.now, group=self.group)
        return len(msgs)

    def _commit(self, cs: _ConsumerSlot) -> None:
        """Commit the positions asynchronously: a synchronous commit would hold up every slot for
        as long as the coordinator is unreachable. Outcomes come from the trace (`_harvest`)."""
        k = cs.k
        if k is None or not k.alive or self.group is None:
            return
        positions = [tp for tp in k.position(k.assignment()) if tp.offset >= 0]
        if positions:
            try:
                k.commit(offsets=positions, asynchronous=True)
            except KafkaException:
                pass

    def _harvest(self) -> None:
        """Record the commits that completed since the last call: the consumers' `commit` trace
        events (group, error, offsets "topic-partition=offset")."""
        events = self.c.trace.events
        mine = {cs.k.name for cs in self.consumers if cs.k is not None}
        for e in events[self._seen:]:
            if e.name == "commit" and e.kind == "state" and e.node in mine:
                error = e.fields.get("error", "none")
                for item in e.fields.get("offsets", ()):
                    tp, _, offset = str(item).rpartition("=")
                    topic, _, part = tp.rpartition("-")
                    self.h.commit(e.node, e.fields.get("group", self.group or ""), topic, int(part), int(offset),
                                  error == "none", e.time, None if error == "none" else error, self.isolation)
        self._seen = len(events)

    # -- the end (rule 5) --------------------------------------------------------------------------
    def _finish(self) -> None:
        c, cfg = self.c, self.cfg
        c.run(1)                                    # the schedule's last faults are due now
        for slot in self.producers:
            self._check_alive(slot)
            if slot.txn is not None and slot.p is not None:
                self._end_txn(slot, commit=True)
            if slot.p is not None and slot.p.alive:
                slot.p.flush(TXN_CALL_TIMEOUT_S * 10)
        settle = cfg.settle_ms
        if cfg.transactional:
            timeout = cfg.producer_config.get("transaction.timeout.ms", 60_000)
            settle = max(settle, int(timeout) + 15_000)
        c.run(settle)
        for slot in self.producers:
            if slot.p is not None and slot.p.alive:
                slot.p.poll(0)
        for cs in self.consumers:
            while self._consume(cs, 1.0):
                pass
            self._commit(cs)
        c.run(5_000)
        self._harvest()
        self._final_read("read_uncommitted")
        if cfg.transactional or self.isolation == "read_committed":
            self._final_read("read_committed")
        self.h.close(c.now)

    def _final_read(self, isolation: str) -> None:
        k = self.c.consumer({"auto.offset.reset": "earliest", "isolation.level": isolation,
                             "enable.auto.commit": False})
        k.assign([TopicPartition(t, p) for t, p in self.tps])
        empty = 0
        while empty < 2:
            try:
                got = k.consume(1000, 2.0)
            except KafkaException:
                got = []
            empty = 0 if got else empty + 1
            for m in got:
                if m.error() is None:
                    self.h.read(k.name, m, isolation, self.c.now, final=True)
        k.close()


def run_workload(seed: int = 0, producer_config: Mapping[str, Any] | None = None,
                 consumer_config: Mapping[str, Any] | None = None, nemesis: Nemesis | Schedule | None = None,
                 records: int = 120, topics: Mapping[str, TopicSpec] | None = None, **config: Any) -> Result:
    """Build a `WorkloadConfig` from the arguments (the rest are its fields) and run it."""
    base = WorkloadConfig(seed=seed, records=records, topics=topics, nemesis=nemesis, **config)
    if producer_config is not None:
        base = replace(base, producer_config=dict(producer_config))
    if consumer_config is not None:
        base = replace(base, consumer_config=dict(consumer_config))
    return Workload(base).run()
