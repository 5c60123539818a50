"""A seeded workload: producers, consumers and pipelines on a fresh cluster while a nemesis
strikes, a recorded history, and the checkers' verdicts (nemesis.py, history.py, checkers.py).

Rules:
1. `Cluster(brokers, seed)`; each topic gets `partitions` partitions, replication factor
   `replication_factor`, `min.insync.replicas` and `unclean.leader.election.enable` as
   configured. The internal topics get `internal_partitions` partitions (Kafka's default is
   50): it only makes runs faster. With `pipelines` the cluster also has the output topic
   "out", configured like "t".
2. `producers` application producers ("p0", "p1", ...) each send `records / producers`
   values, evenly spread over the nemesis window, round robin over every partition of every
   input topic (all topics but "out"). Value `b"p0-17"` is p0's 17th send (history.py rule 2).
   A `transactional.id` in `producer_config` makes them transactional: slot i uses `<id>-<i>`;
   each transaction holds `txn_records` values and the application aborts it with
   `abort_probability` (seeded), else commits. With `warm_up`, a new non-transactional
   instance waits for the acknowledgement of its first send to each partition before sending
   on (a failed one does not count): until a broker holds state for a producer id it accepts
   any sequence from it (F.37e). With
   `resend_unacked`, a non-transactional application whose producer crashed sends again,
   from its new instance, every value it had not seen acknowledged (F.39: idempotence does
   not cover restarts).
3. `consumers` consumers ("c0", ...) read every topic ("out" only when there are pipelines):
   with `subscribe` they join the `group.id` of `consumer_config` with subscribe(), else they
   `assign()` every partition. They poll every tick. Everything they return is recorded.
   Without `processing`, a consumer with a `group.id` commits its positions every
   `commit_interval_ms`, asynchronously (auto-commit off); a commit is recorded when its
   outcome is traced.
4. `processing` makes the consumers an application that processes each polled batch for
   `process_ms`, not polling meanwhile: "commit-then-process" commits the batch's offsets
   first and processes once the commit succeeded (at-most-once, J.69); "process-then-commit"
   processes first and commits the processed offsets every `commit_interval_ms`
   (at-least-once, J.70). Commits are asynchronous and awaited through their traced outcome
   (at most `COMMIT_WAIT_MS`). A crash between the two steps is what each mode is about. The
   history declares that the group must process every topic it reads (history.py rule 8).
5. `pipelines` consume-transform-produce instances ("x0", ...; J.71) each run one consumer
   in group `pipeline_group` (read_committed, subscribed to the input topics) and one
   transactional producer (`<pipeline_group>-<i>`) in one process: per polled batch, begin,
   produce one output to "out" per input (same partition; the output's history entry names
   its input); `process_ms` later, send_offsets_to_transaction with the consumer's group
   metadata, and commit. An abortable error aborts and rewinds the consumer to the group's
   committed offsets; any other error, or either client dying, restarts the whole process
   (both clients, same ids: the new producer's init_transactions aborts what was open).
   With `pipeline_transactions=False` the same loop runs without a transaction, as most
   applications written before exactly-once did: an idempotent producer produces the outputs,
   `process_ms` later flush() waits for them, then the consumer commits the input offsets
   (synchronously). Any error, or either client dying, restarts the process, which resumes at
   the group's committed offsets: a crash between the outputs and the commit writes them again.
6. A crashed client (the nemesis's crash_client: slots "producer#i", "consumer#i",
   "pipeline#i", the last naming both clients of the process) is replaced by a new instance
   at the next tick. Its sends without a report become unknown; its open transaction never
   committed (or is unknown, if it crashed inside commit). A transactional instance that is
   fenced, stuck, or fails with a fatal error is crashed and replaced as a restarted process
   would be; the new instance's init_transactions fences it.
7. A blocked call (a new instance waiting for metadata, a transactional call) holds up every
   slot, as in a single-threaded application; overdue sends then go out one per tick, after
   the nemesis window if need be (for at most one more window).
8. At the end of the window the schedule heals and restarts everything; producers flush and
   commit what is open; the applications keep running (ticks of `SETTLE_TICK_MS`) while the
   cluster settles for `settle_ms` (at least the longest transaction timeout plus 15 s when
   transactions are involved, so undecided transactions end), then until nothing has been
   read, processed or transformed for `DRAIN_QUIET_MS`; then one read_uncommitted and, when
   transactions or read_committed consumers were involved, one read_committed consumer read
   every partition from the start: the final reads.
9. Group membership is recorded from the trace (history.py rule 7): the consumers' assigned,
   revoked and lost events, their crashes and closes, and the coordinator's member removals;
   "assigned" carries the member id the coordinator's stable assignment gave that consumer.
10. Nothing is scripted: whatever the checkers find follows from the faults and the
   mechanisms. Same config, same seed, same history, byte for byte.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from minikafka.chaos.checkers import Report, check_all, render_verdicts
from minikafka.chaos.history import History, Read, Send, Txn
from minikafka.chaos.nemesis import Nemesis, NemesisRun, Schedule
from minikafka.clients.message import OFFSET_BEGINNING, TopicPartition
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.clients.consumer.consumer import Consumer
    from minikafka.clients.producer.producer import Producer
    from minikafka.sim.trace import TraceEvent

TXN_CALL_TIMEOUT_S = 15.0
INIT_BACKOFF_MS = 1_000
OUTPUT = "out"
PROCESSING = ("commit-then-process", "process-then-commit")
COMMIT_WAIT_MS = 30_000
PIPELINE_BATCH = 50
SETTLE_TICK_MS = 100
DRAIN_QUIET_MS = 15_000
DRAIN_MAX_MS = 120_000
GROUP_DEFAULTS = {"session.timeout.ms": 10_000}          # members of groups this workload starts
PIPELINE_TXN_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class TopicSpec:
    """One topic of `WorkloadConfig.topics`; `config` holds topic configs as (name, value) pairs."""

    partitions: int = 2
    replication_factor: int = 3
    config: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class WorkloadConfig:
    """Everything a run depends on (rules 1-8); `run_workload` builds one from keywords."""

    seed: int = 0
    producer_config: Mapping[str, Any] = field(default_factory=lambda: {"acks": "all"})
    consumer_config: Mapping[str, Any] = field(default_factory=dict)
    records: int = 120
    producers: int = 2
    consumers: int = 1
    topics: Mapping[str, TopicSpec] | None = None       # None: topic "t" (and "out") from the fields below
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
    resend_unacked: bool = False
    subscribe: bool = False
    processing: str | None = None
    process_ms: int = 200
    pipelines: int = 0
    pipeline_group: str = "eos"
    pipeline_transactions: bool = True
    nemesis: Nemesis | Schedule | None = None
    checkers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.processing is not None and self.processing not in PROCESSING:
            raise ValueError(f"processing is one of {', '.join(PROCESSING)} (or None), not {self.processing!r}")
        if self.processing is not None and not self.consumer_config.get("group.id"):
            raise ValueError("processing consumers commit offsets: set group.id in consumer_config")

    def topic_specs(self) -> dict[str, TopicSpec]:
        if self.topics is not None:
            return dict(self.topics)
        cfg = (("min.insync.replicas", self.min_insync_replicas), ("unclean.leader.election.enable", self.unclean))
        spec = TopicSpec(self.partitions, self.replication_factor, cfg)
        return {"t": spec, OUTPUT: spec} if self.pipelines else {"t": spec}

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
    cold: set[tuple[str, int]] = field(default_factory=set)   # partitions not warmed up yet (rule 2)
    warming: Send | None = None                               # the warm-up send being waited for
    resend: list[Send] = field(default_factory=list)      # to send again (rule 2)

    @property
    def has_work(self) -> bool:
        return self.seq < self.quota or bool(self.resend)


@dataclass
class _ConsumerSlot:
    name: str
    index: int
    k: "Consumer | None" = None
    retry_at: int = 0
    batch: list[Read] = field(default_factory=list)       # being committed or processed (rule 4)
    phase: str = "poll"                                   # poll, committing, processing
    until: int = 0                                        # end of processing / of the commit wait
    commit_no: int = 0                                    # the awaited commit: this instance's n-th outcome
    uncommitted: dict[tuple[str, int], int] = field(default_factory=dict)   # processed, to commit
    next_commit: int = 0


@dataclass
class _PipelineSlot:
    name: str
    index: int
    k: "Consumer | None" = None
    p: "Producer | None" = None
    seq: int = 0
    retry_at: int = 0
    txn: Txn | None = None                                # open while transforming (transactions)
    busy: bool = False                                    # a batch is being transformed
    ends: dict[tuple[str, int], int] = field(default_factory=dict)   # its input offsets
    until: int = 0                                        # end of the transforming
    outputs: list[Send] = field(default_factory=list)     # the batch's outputs


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
        self.inputs = sorted({t for t, _ in self.tps if t != OUTPUT})
        self.input_tps = [tp for tp in self.tps if tp[0] != OUTPUT]
        self.read_topics = [OUTPUT] if config.pipelines else sorted({t for t, _ in self.tps})
        self.isolation = config.consumer_config.get("isolation.level", "read_uncommitted")
        self.group: str | None = config.consumer_config.get("group.id")
        self.producers: list[_ProducerSlot] = []
        self.consumers = [_ConsumerSlot(f"c{i}", i) for i in range(config.consumers)]
        self.pipelines = [_PipelineSlot(f"x{i}", i) for i in range(config.pipelines)]
        self._seen = 0                              # trace events harvested so far
        self._consumer_names: set[str] = set()      # every instance of a consumer slot
        self._members: dict[str, str] = {}          # consumer instance in a group -> its group
        self._stable: dict[tuple[str, int], dict[str, str]] = {}   # (group, generation) -> consumer -> member
        self._commit_outcomes: dict[str, list[bool]] = {}
        if config.processing and self.group:
            self.h.declare_processing(self.group, self.read_topics)
        if config.pipelines:
            self.h.declare_pipeline(config.pipeline_group, self.inputs, OUTPUT)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Result:
        cfg, c = self.cfg, self.c
        schedule = cfg.schedule()
        start = c.now
        duration = max(schedule.duration_ms, cfg.duration_ms)
        end = start + duration
        self.producers = self._producer_slots(start, duration)
        nemesis = schedule.apply(c, at=start, clients=self._client)
        next_commit = start + cfg.commit_interval_ms
        while c.now < end or (c.now < end + duration and any(s.has_work for s in self.producers)):
            for slot in self.producers:
                self._producer_tick(slot)
            self._apps_tick()
            if self.group and not cfg.processing and c.now >= next_commit:
                for cs in self.consumers:
                    self._commit(cs)
                next_commit = c.now + cfg.commit_interval_ms
            c.run(cfg.tick_ms)
            self._harvest()
        self._finish()
        return Result(cfg, schedule, self.h, check_all(self.h, c, cfg.checkers), c, nemesis)

    def _producer_slots(self, start: int, duration: int) -> list[_ProducerSlot]:
        cfg = self.cfg
        per = cfg.records // cfg.producers if cfg.producers else 0
        window = max(duration - 2_000, cfg.tick_ms)
        interval = max(cfg.tick_ms, window // per) if per else window
        return [_ProducerSlot(f"p{i}", i, per, start + i * interval // max(cfg.producers, 1), interval)
                for i in range(cfg.producers)]

    def _apps_tick(self) -> bool:
        """One tick of every consumer and pipeline; True if any of them did something."""
        busy = False
        for cs in self.consumers:
            busy = self._consumer_tick(cs) or busy
        for ps in self.pipelines:
            busy = self._pipeline_tick(ps) or busy
        return busy

    def _client(self, role: str, index: int) -> str | tuple[str, ...] | None:
        """The nemesis's client slots (nemesis.py rule 6) -> the live instance's name(s)."""
        slots: list[Any] = {"producer": self.producers, "consumer": self.consumers,
                            "pipeline": self.pipelines}.get(role, [])
        if not slots:
            return None
        slot = slots[index % len(slots)]
        if role == "pipeline":
            return tuple(x.name for x in (slot.k, slot.p) if x is not None and x.alive) or None
        client = slot.p if role == "producer" else slot.k
        return client.name if client is not None and client.alive else None

    # -- producers ---------------------------------------------------------------------------
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
        try:
            p.produce(s.topic, value=s.value, partition=s.partition, on_delivery=h.on_delivery(s, lambda: c.now))
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

    def _end_txn(self, slot: _ProducerSlot, commit: bool) -> None:
        """Commit or abort the slot's transaction (rule 6 when it goes wrong)."""
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

    # -- consumers (rules 3, 4) ----------------------------------------------------------------
    def _consumer(self, cs: _ConsumerSlot) -> "Consumer | None":
        """The slot's live instance, or a new one (None while a new one cannot start). A dead
        instance's batch dies with it."""
        c = self.c
        if cs.k is not None and cs.k.alive:
            return cs.k
        cs.batch, cs.phase, cs.uncommitted = [], "poll", {}
        if c.now < cs.retry_at:
            return None
        extra = GROUP_DEFAULTS if self.cfg.subscribe else {}
        config = {"auto.offset.reset": "earliest", **extra, **self.cfg.consumer_config, "enable.auto.commit": False}
        k = c.consumer(config)
        self._consumer_names.add(k.name)
        try:
            if self.cfg.subscribe:
                self._join(k, self.group or "", self.read_topics)
            else:
                k.assign([TopicPartition(t, p) for t, p in self.tps if t in self.read_topics])
        except KafkaException:
            c.crash_client(k.name)                  # no metadata: the process gives up and restarts
            cs.k, cs.retry_at = None, c.now + INIT_BACKOFF_MS
            return None
        cs.k, cs.commit_no = k, 0
        return k

    def _join(self, k: "Consumer", group: str, topics: list[str]) -> None:
        k.subscribe(topics)
        self._members[k.name] = group

    def _consume(self, cs: _ConsumerSlot, timeout: float = 0) -> list[Read]:
        k = self._consumer(cs)
        if k is None:
            return []
        try:
            msgs = k.consume(500, timeout)
        except KafkaException:
            return []
        return [self.h.read(k.name, m, self.isolation, self.c.now, group=self.group) for m in msgs
                if m.error() is None]

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

    def _consumer_tick(self, cs: _ConsumerSlot) -> bool:
        """Rule 4's state machine (or just a poll without `processing`); True if busy."""
        if self._consumer(cs) is None:
            return False
        if cs.phase == "committing":
            self._await_commit(cs)
            return True
        if cs.phase == "processing":
            if self.c.now >= cs.until:
                self._processed(cs)
            return True
        reads = self._consume(cs)
        if reads and self.cfg.processing:
            cs.batch = reads
            if self.cfg.processing == "commit-then-process":
                self._commit_offsets(cs, _ends(reads))
            else:
                cs.phase, cs.until = "processing", self.c.now + self.cfg.process_ms
        elif cs.uncommitted and self.c.now >= cs.next_commit:
            self._commit_offsets(cs, cs.uncommitted)
            return True
        return bool(reads) or bool(cs.uncommitted)

    def _commit_offsets(self, cs: _ConsumerSlot, ends: dict[tuple[str, int], int]) -> None:
        """Commit these offsets asynchronously; `_await_commit` waits for the outcome."""
        k = cs.k
        assert k is not None
        cs.uncommitted = {}
        cs.next_commit = self.c.now + self.cfg.commit_interval_ms
        try:
            k.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())], asynchronous=True)
        except KafkaException:
            cs.batch, cs.phase = [], "poll"
            return
        cs.commit_no += 1
        cs.phase, cs.until = "committing", self.c.now + COMMIT_WAIT_MS

    def _await_commit(self, cs: _ConsumerSlot) -> None:
        assert cs.k is not None
        outcomes = self._commit_outcomes.get(cs.k.name, [])
        if len(outcomes) < cs.commit_no and self.c.now < cs.until:
            return
        ok = len(outcomes) >= cs.commit_no and outcomes[cs.commit_no - 1]
        if self.cfg.processing == "commit-then-process" and ok:
            cs.phase, cs.until = "processing", self.c.now + self.cfg.process_ms
        else:
            cs.batch, cs.phase = [], "poll"         # committed after processing, or not processed at all

    def _processed(self, cs: _ConsumerSlot) -> None:
        assert cs.k is not None and self.group is not None
        for r in cs.batch:
            self.h.process(cs.k.name, self.group, r, self.c.now)
        if self.cfg.processing == "process-then-commit":
            cs.uncommitted = _ends(cs.batch, cs.uncommitted)
        cs.batch, cs.phase = [], "poll"
        if cs.uncommitted and self.c.now >= cs.next_commit:
            self._commit_offsets(cs, cs.uncommitted)

    # -- pipelines (rule 5) -----------------------------------------------------------------------
    def _pipeline_tick(self, ps: _PipelineSlot) -> bool:
        """Poll a batch and start its transaction; `process_ms` later, finish it (rule 5)."""
        if not self._pipeline_up(ps):
            return False
        if ps.busy:
            if self.c.now >= ps.until:
                self._finish_transform(ps)
            return True
        assert ps.k is not None
        try:
            msgs = [m for m in ps.k.consume(PIPELINE_BATCH, 0) if m.error() is None]
        except KafkaException:
            return False
        if msgs:
            self._start_transform(ps, msgs)
        return bool(msgs)

    def _pipeline_up(self, ps: _PipelineSlot) -> bool:
        """The process runs with both clients, or is (re)started; False while it cannot be."""
        if ps.k is not None and ps.p is not None and ps.k.alive and ps.p.alive:
            return True
        if ps.k is not None or ps.p is not None:
            self._stop_pipeline(ps, "one of its clients died")
        c = self.c
        if c.now < ps.retry_at:
            return False
        group = self.cfg.pipeline_group
        if self.cfg.pipeline_transactions:
            p = c.producer({"transactional.id": f"{group}-{ps.index}",
                            "transaction.timeout.ms": PIPELINE_TXN_TIMEOUT_MS})
            if not self._init_transactions(p):
                ps.retry_at = c.now + INIT_BACKOFF_MS
                return False
        else:
            p = c.producer({"acks": "all"})                 # idempotent by default
        k = c.consumer({**GROUP_DEFAULTS, "group.id": group, "isolation.level": "read_committed",
                        "auto.offset.reset": "earliest", "enable.auto.commit": False})
        try:
            self._join(k, group, self.inputs)
        except KafkaException:
            c.crash_client(k.name)
            c.crash_client(p.name)
            ps.retry_at = c.now + INIT_BACKOFF_MS
            return False
        ps.k, ps.p = k, p
        return True

    def _start_transform(self, ps: _PipelineSlot, msgs: list[Any]) -> None:
        """Begin a transaction and produce an output per input."""
        c, h, k, p = self.c, self.h, ps.k, ps.p
        assert k is not None and p is not None
        reads = [h.read(k.name, m, "read_committed", c.now, group=self.cfg.pipeline_group) for m in msgs]
        ps.busy = True
        ps.outputs = []
        try:
            if self.cfg.pipeline_transactions:
                p.begin_transaction()
                ps.txn = h.begin_txn(ps.name, p.name, c.now, p.producer_id, p.producer_epoch)
            for r in reads:
                self._emit(ps, ps.txn, r)
        except (KafkaException, BufferError) as e:
            self._pipeline_failed(ps, "produce", e)
            return
        ps.ends, ps.until = _ends(reads), c.now + self.cfg.process_ms

    def _finish_transform(self, ps: _PipelineSlot) -> None:
        """Send the input offsets with the group's metadata, and commit."""
        c, h, k, p = self.c, self.h, ps.k, ps.p
        assert k is not None and p is not None
        offsets = [TopicPartition(t, q, o) for (t, q), o in sorted(ps.ends.items())]
        if not self.cfg.pipeline_transactions:
            self._finish_plain(ps, offsets)
            return
        assert ps.txn is not None
        stage = "offsets"
        try:
            p.send_offsets_to_transaction(offsets, k.consumer_group_metadata(), TXN_CALL_TIMEOUT_S)
            stage = "commit"
            p.commit_transaction(TXN_CALL_TIMEOUT_S)
            h.end_txn(ps.txn, "committed", c.now)
            ps.txn, ps.busy = None, False
        except (KafkaException, BufferError) as e:
            self._pipeline_failed(ps, stage, e)

    def _finish_plain(self, ps: _PipelineSlot, offsets: list[TopicPartition]) -> None:
        """Without a transaction: wait for the outputs, then commit the inputs (rule 5)."""
        k, p = ps.k, ps.p
        assert k is not None and p is not None
        try:
            if p.flush(TXN_CALL_TIMEOUT_S) or any(s.outcome != "acked" for s in ps.outputs):
                failed = next((s.error for s in ps.outputs if s.outcome == "failed"), None)
                raise KafkaException(failed or "_TIMED_OUT", "an output was not acknowledged")
            k.commit(offsets=offsets, asynchronous=False)
            ps.busy = False
        except KafkaException as e:
            self._pipeline_failed(ps, "commit", e)

    def _emit(self, ps: _PipelineSlot, txn: Txn, r: Read) -> None:
        c, h, p = self.c, self.h, ps.p
        assert p is not None
        s = h.send(ps.name, p.name, ps.seq, OUTPUT, c.now, r.partition, txn, source=r.value)
        ps.seq += 1
        ps.outputs.append(s)
        try:
            p.produce(OUTPUT, value=s.value, partition=r.partition, on_delivery=h.on_delivery(s, lambda: c.now))
        except (KafkaException, BufferError) as e:
            h.delivered(s, e.args[0].name() if isinstance(e, KafkaException) else "_QUEUE_FULL", r.partition, -1,
                        c.now)
            raise

    def _pipeline_failed(self, ps: _PipelineSlot, stage: str, e: Exception) -> None:
        """Abort and rewind after an abortable error; restart the process after any other."""
        c, h, p, txn = self.c, self.h, ps.p, ps.txn
        assert p is not None
        err = e.args[0] if isinstance(e, KafkaException) else None
        name = err.name() if err is not None else "_QUEUE_FULL"
        if txn is not None and p.alive and (err is None or err.txn_requires_abort()):
            try:
                p.abort_transaction(TXN_CALL_TIMEOUT_S)
                h.end_txn(txn, "aborted", c.now, name)
                ps.txn, ps.busy = None, False
                self._rewind(ps)
                return
            except KafkaException:
                pass
        if txn is not None and txn.outcome == "open":
            h.end_txn(txn, "unknown" if stage == "commit" else "aborted", c.now,
                      name if p.alive else f"{p.name} crashed")
        self._stop_pipeline(ps, name)

    def _rewind(self, ps: _PipelineSlot) -> None:
        """Back to the group's committed offsets (the aborted batch is read again)."""
        k = ps.k
        assert k is not None
        try:
            for tp in k.committed(k.assignment(), TXN_CALL_TIMEOUT_S):
                k.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
        except KafkaException as e:
            self._stop_pipeline(ps, e.args[0].name())

    def _stop_pipeline(self, ps: _PipelineSlot, why: str) -> None:
        """The process dies (rule 6): both clients go, a new process starts next tick."""
        c = self.c
        for client in (ps.p, ps.k):
            if client is not None and client.alive:
                c.crash_client(client.name)
        if ps.p is not None:
            self.h.unknown(self.h.pending(ps.p.name), f"{ps.p.name} stopped: {why}", c.now)
        if ps.txn is not None and ps.txn.outcome == "open":
            self.h.end_txn(ps.txn, "aborted", c.now, f"stopped before commit: {why}")
        ps.k = ps.p = ps.txn = None
        ps.busy = False
        ps.retry_at = c.now

    # -- the trace (rules 3, 9) -------------------------------------------------------------------
    def _harvest(self) -> None:
        """Record what completed since the last call: the consumers' commits (group, error,
        offsets "topic-partition=offset") and group membership (rule 9)."""
        events = self.c.trace.events
        for e in events[self._seen:]:
            if e.kind != "state":
                continue
            if e.name == "commit" and e.node in self._consumer_names:
                self._harvest_commit(e)
            elif e.name.startswith("group.") or e.name in ("client.crash", "client.close"):
                self._harvest_group(e)
        self._seen = len(events)

    def _harvest_commit(self, e: "TraceEvent") -> None:
        error = e.fields.get("error", "none")
        self._commit_outcomes.setdefault(e.node, []).append(error == "none")
        for item in e.fields.get("offsets", ()):
            tp, _, offset = str(item).rpartition("=")
            topic, _, part = tp.rpartition("-")
            self.h.commit(e.node, e.fields.get("group", self.group or ""), topic, int(part), int(offset),
                          error == "none", e.time, None if error == "none" else error, self.isolation)

    def _harvest_group(self, e: "TraceEvent") -> None:
        f, h = e.fields, self.h
        groups = set(self._members.values())
        if e.name == "group.stable" and f.get("group") in groups:
            members = {m.rpartition(":")[0].rpartition("-")[0]: m.rpartition(":")[0] for m in f["assignment"]}
            self._stable[(f["group"], f["generation"])] = members
        elif e.name == "group.member_removed" and f.get("group") in groups:
            ge = h.group_event(f["member"].rpartition("-")[0], f["group"], "removed", e.time, member=f["member"])
            ge.trace_seq = e.seq
        elif e.node in self._members:
            ge = self._member_event(e)
            if ge is not None:
                ge.trace_seq = e.seq

    def _member_event(self, e: "TraceEvent") -> Any:
        f, h, group = e.fields, self.h, self._members[e.node]
        if e.name == "group.assigned":
            member = self._stable.get((group, f["generation"]), {}).get(e.node)
            return h.group_event(e.node, group, "assigned", e.time, f["partitions"], f["generation"], member)
        if e.name in ("group.revoked", "group.lost"):
            return h.group_event(e.node, group, e.name[6:], e.time, f["partitions"])
        if e.name in ("client.crash", "client.close"):
            return h.group_event(e.node, group, "crashed" if e.name == "client.crash" else "closed", e.time)
        return None

    # -- the end (rule 8) --------------------------------------------------------------------------
    def _finish(self) -> None:
        c, cfg = self.c, self.cfg
        c.run(1)                                    # the schedule's last faults are due now
        for slot in self.producers:
            self._check_alive(slot)
            if slot.txn is not None and slot.p is not None:
                self._end_txn(slot, commit=True)
            if slot.p is not None and slot.p.alive:
                slot.p.flush(TXN_CALL_TIMEOUT_S * 10)
        self._keep_running(c.now + self._settle_ms())
        self._drain()
        if self.group and not cfg.processing:
            for cs in self.consumers:
                self._commit(cs)
            c.run(5_000)
            self._harvest()
        self._final_read("read_uncommitted")
        if cfg.transactional or cfg.pipelines or self.isolation == "read_committed":
            self._final_read("read_committed")
        self.h.close(c.now)

    def _settle_ms(self) -> int:
        cfg = self.cfg
        timeouts = [int(cfg.producer_config.get("transaction.timeout.ms", 60_000))] if cfg.transactional else []
        timeouts += [PIPELINE_TXN_TIMEOUT_MS] if cfg.pipelines else []
        return max([cfg.settle_ms] + [t + 15_000 for t in timeouts])

    def _keep_running(self, until: int) -> bool:
        """The applications run (coarse ticks) until `until`; True if any was busy."""
        c = self.c
        busy = False
        while c.now < until:
            for slot in self.producers:
                if slot.p is not None and slot.p.alive:
                    slot.p.poll(0)
            busy = self._apps_tick() or busy
            c.run(SETTLE_TICK_MS)
            self._harvest()
        return busy

    def _drain(self) -> None:
        c = self.c
        deadline = c.now + DRAIN_MAX_MS
        quiet_since = c.now
        while c.now - quiet_since < DRAIN_QUIET_MS and c.now < deadline:
            if self._keep_running(c.now + SETTLE_TICK_MS):
                quiet_since = c.now

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


def _ends(reads: list[Read], base: dict[tuple[str, int], int] | None = None) -> dict[tuple[str, int], int]:
    """The offsets to commit after these reads: per partition, the last offset + 1."""
    ends = dict(base or {})
    for r in reads:
        ends[r.tp] = max(ends.get(r.tp, 0), r.offset + 1)
    return ends


def run_workload(seed: int = 0, producer_config: Mapping[str, Any] | None = None,
                 consumer_config: Mapping[str, Any] | None = None, nemesis: Nemesis | Schedule | None = None,
                 records: int = 120, topics: Mapping[str, TopicSpec] | None = None, **config: Any) -> Result:
    """Build a `WorkloadConfig` from the arguments (the rest are its fields) and run it."""
    if producer_config is not None:
        config["producer_config"] = dict(producer_config)
    if consumer_config is not None:
        config["consumer_config"] = dict(consumer_config)
    return Workload(WorkloadConfig(seed=seed, records=records, topics=topics, nemesis=nemesis, **config)).run()
