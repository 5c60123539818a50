"""A seeded workload: producers, consumers and pipelines on a fresh cluster while a nemesis
strikes, a recorded history, and the checkers' verdicts (nemesis.py, history.py, checkers.py).

This module holds the configuration, the driver loop and the end of a run. The roles the
workload plays are mixed into `Workload` from modules of their own, each stating its rules; the
rules keep one numbering, cited as "workload.py rule N":
- 1, 6, 7, 8, 10: below;
- 2, the producers: workload_producers.py;
- 3, 4 and 9, the consumers, their processing and group membership: workload_consumers.py;
- 5, the consume-transform-produce pipelines: workload_pipelines.py;
- 11-13, the share consumers (KIP-932): workload_share.py.

Rules:
1. `Cluster(brokers, seed, controllers, features)` with `broker_config`; each topic gets `partitions` partitions, replication factor
   `replication_factor`, `min.insync.replicas` and `unclean.leader.election.enable` as
   configured. The internal topics get `internal_partitions` partitions (Kafka's default is
   50): it only makes runs faster. With `pipelines` the cluster also has the output topic
   "out", configured like "t".
6. A crashed client (the nemesis's crash_client: slots "producer#i", "consumer#i",
   "pipeline#i", the last naming both clients of the process, "share#i") is replaced by a new instance
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
10. Nothing is scripted: whatever the checkers find follows from the faults and the
   mechanisms. Same config, same seed, same history, byte for byte.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Mapping

from minikafka.chaos.checkers import Report, check_all, render_verdicts
from minikafka.chaos.faults import Schedule
from minikafka.chaos.history import History
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.nemesis_run import NemesisRun
from minikafka.chaos.workload_consumers import ConsumerRole, _ConsumerSlot
from minikafka.chaos.workload_pipelines import OUTPUT, PIPELINE_TXN_TIMEOUT_MS, PipelineRole, _PipelineSlot
from minikafka.chaos.workload_producers import TXN_CALL_TIMEOUT_S, ProducerRole, _ProducerSlot
from minikafka.chaos.workload_share import ShareRole, _ShareSlot
from minikafka.clients.message import TopicPartition
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

PROCESSING = ("commit-then-process", "process-then-commit")
SETTLE_TICK_MS = 100
DRAIN_QUIET_MS = 15_000
DRAIN_MAX_MS = 120_000


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
    controllers: int = 1
    features: Mapping[str, int] | None = None           # Cluster(features=...); None: a new 4.2 cluster's
    broker_config: Mapping[str, Any] | None = None      # more broker configs (Cluster(config=...))
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
    share_consumers: int = 0
    share_group: str = "jobs"
    share_config: Mapping[str, Any] = field(default_factory=dict)
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


class Workload(ProducerRole, ConsumerRole, PipelineRole, ShareRole):
    """One seeded run: the cluster (rule 1), the roles' slots, the driver loop (rules 6, 7) and the
    end (rule 8)."""

    def __init__(self, config: WorkloadConfig) -> None:
        self.cfg = config
        self.c = Cluster(brokers=config.brokers, seed=config.seed, controllers=config.controllers,
                         features=dict(config.features) if config.features is not None else None,
                         config={"offsets.topic.num.partitions": config.internal_partitions,
                                 "transaction.state.log.num.partitions": config.internal_partitions,
                                 **dict(config.broker_config or {})})
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
        self.shares = [_ShareSlot(f"s{i}", i) for i in range(config.share_consumers)]
        self._seen = 0                              # trace events harvested so far
        self._consumer_names: set[str] = set()      # every instance of a consumer slot
        self._members: dict[str, str] = {}          # consumer instance in a group -> its group
        self._stable: dict[tuple[str, int], dict[str, str]] = {}   # (group, generation) -> consumer -> member
        self._member_names: dict[str, str] = {}     # member id -> the consumer it was given to
        self._instance_proc: dict[str, str] = {}    # group.instance.id -> its slot's current consumer
        self._commit_outcomes: dict[str, list[bool]] = {}
        if config.processing and self.group:
            self.h.declare_processing(self.group, self.read_topics)
        if config.pipelines:
            self.h.declare_pipeline(config.pipeline_group, self.inputs, OUTPUT)
        self._share_setup()

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

    def _apps_tick(self) -> bool:
        """One tick of every consumer, pipeline and share consumer; True if any of them did something."""
        busy = False
        for cs in self.consumers:
            busy = self._consumer_tick(cs) or busy
        for ps in self.pipelines:
            busy = self._pipeline_tick(ps) or busy
        for ss in self.shares:
            busy = self._share_tick(ss) or busy
        return busy

    def _client(self, role: str, index: int) -> str | tuple[str, ...] | None:
        """The nemesis's client slots (nemesis_run.py rule 3) -> the live instance's name(s)."""
        slots: list[Any] = {"producer": self.producers, "consumer": self.consumers,
                            "pipeline": self.pipelines, "share": self.shares}.get(role, [])
        if not slots:
            return None
        slot = slots[index % len(slots)]
        if role == "pipeline":
            return tuple(x.name for x in (slot.k, slot.p) if x is not None and x.alive) or None
        client = slot.p if role == "producer" else slot.k
        return client.name if client is not None and client.alive else None

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
        self._share_final()
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


def run_workload(seed: int = 0, producer_config: Mapping[str, Any] | None = None,
                 consumer_config: Mapping[str, Any] | None = None, nemesis: Nemesis | Schedule | None = None,
                 records: int = 120, topics: Mapping[str, TopicSpec] | None = None, **config: Any) -> Result:
    """Build a `WorkloadConfig` from the arguments (the rest are its fields) and run it."""
    if producer_config is not None:
        config["producer_config"] = dict(producer_config)
    if consumer_config is not None:
        config["consumer_config"] = dict(consumer_config)
    return Workload(WorkloadConfig(seed=seed, records=records, topics=topics, nemesis=nemesis, **config)).run()
