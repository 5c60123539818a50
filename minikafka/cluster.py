"""The cluster: the one object a learner holds. It owns the simulation, the network, the
controller and the brokers, creates topics and clients, and injects faults.

Rules:
- `Cluster(brokers=3, seed=7)` starts brokers 1..N and a quorum of `controllers` controllers
  c1..cM (KRaft: they elect a leader, the active controller, and keep the metadata log that the
  brokers replicate); construction runs the simulation until every broker is registered and
  unfenced (a few virtual ms with one controller; an election first, about 1-2 s, with more).
  The default is one controller: the data plane behaves the same with any number, one keeps
  every trace and picture about what it shows, and it is how Kafka's quickstart starts; a
  quorum of three (notebook 03) is what survives a controller failure.
- Metadata changes (topics, partitions, configs, deletions, elections) are requests from an
  admin client (node "admin", clients/admin/) to a broker, which forwards them to the active
  controller; they take effect when committed. These methods wait (virtual time) for that,
  and raise REQUEST_TIMED_OUT after `default.api.timeout.ms` (60 virtual seconds) without an
  answer (no active controller: the quorum has no majority).
- Nothing happens between calls unless a call runs the simulation: `run(ms)`, `step()`,
  `run_until_idle()`, or a blocking client call (`flush`, `poll`).
- Faults: `crash_broker(id)` stops the process (the log survives, in the page cache);
  `stop_broker(id)` is a controlled shutdown: leaderships move away first;
  `crash_broker(id, power_loss=True)` also loses what the OS had not yet written to disk.
  Either way the controller fences the broker after `broker.session.timeout.ms`.
  `cut(a, b)` / `heal(a, b)` break and mend links; `drop(kind, ...)` and `delay(kind, ...)`
  lose or slow chosen messages with a probability, seeded.
- `features={"eligible.leader.replicas.version": 0, ...}` sets the cluster's feature levels,
  written to the metadata log at its start; the defaults are a new Kafka 4.2 cluster's
  (metadata/features.py says which levels this model has).
- `racks={1: "a", 2: "b", 3: "c"}` gives brokers their `broker.rack`: new partitions' replicas
  are spread over racks (controller/placement.py), and consumers with `client.rack` may read
  from a replica in their rack (server/replica_selector.py).
- Nodes are named "b1".."bN", "c1".."cM" (controllers), and the clients' names
  ("producer-1", ...); where a broker is meant, its integer id works too.
- `impl={"partitioner": f, ...}` runs a learner's version of a pure rule in this cluster only
  (seams.py).
- `trace=False` records no trace (`c.trace` stays empty); the cluster behaves exactly the same,
  faster. For experiments that only count outcomes. `trace_limit` (a positive int, or None for
  every event) is how many events the trace keeps, the last ones (sim/trace.py).
- Every argument of every public method is checked before anything changes (cluster_args.py):
  a refused call leaves the cluster as it was; the error names the argument, the value and
  what is accepted (Kafka's error where Kafka has one: INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS,
  UNKNOWN_TOPIC_OR_PART, ...; else TypeError or ValueError). Durations are integer virtual ms.
- Time always moves on: a message takes at least 1 virtual ms (`latency_ms` and `set_latency`
  >= 1), so no request and response can loop at one instant (a consumer with
  `fetch.max.wait.ms=0` still lets time pass), and the OS flushes at most every 1 ms
  (`page_cache_flush_ms` >= 1).
- `remote_storage_latency_ms` (an int >= 0, default 100): the latency of the tiered-storage object
  store all brokers share, which Kafka leaves to the store (cluster_storage.py rule 4).
Simplifications the learner is told about: perfect disks below the page cache; storage as the
storage modules state (segments by bytes and time, retention, compaction, tiered storage, with
no index files); topics are never auto-created; no metadata snapshots.
"""
from __future__ import annotations

from typing import Any

from minikafka import cluster_metrics, seams
from minikafka.clients.admin.admin_client import AdminClient
from minikafka.clients.consumer.consumer import Consumer
from minikafka.clients.consumer.share_consumer import ShareConsumer
from minikafka.clients.producer.producer import Producer
from minikafka.cluster_args import (
    check_bool,
    check_count,
    check_int,
    check_kind,
    check_partition,
    check_probability,
    check_racks,
    check_str,
    is_int,
)
from minikafka.cluster_views import (
    group_view,
    GroupView,
    LagRow,
    PartitionView,
    ProducerView,
    ReplicaView,
)
from minikafka.config import BROKER, check_broker, resolve
from minikafka.controller.election import NO_LEADER
from minikafka.cluster_quorum import ControllerQuorum
from minikafka.cluster_storage import StorageViews
from minikafka.cluster_topics import TopicAdmin
from minikafka.controller.quorum_controller import QuorumController, controller_name
from minikafka.errors import KafkaException
from minikafka.metadata.features import resolve as resolve_features
from minikafka.metrics.snapshot import MetricsSnapshot
from minikafka.server.broker import Broker, broker_name
from minikafka.sim.kernel import Simulation
from minikafka.sim.network import Network, Rule
from minikafka.sim.trace import DEFAULT_LIMIT, Trace, check_limit
from minikafka.storage.remote_storage import RemoteStorage


class Cluster(TopicAdmin, ControllerQuorum, StorageViews):
    def __init__(self, brokers: int = 3, seed: int = 0, *, controllers: int = 1,
                 config: dict[str, Any] | None = None, features: dict[str, int] | None = None,
                 racks: dict[int, str] | None = None,
                 latency_ms: int = 1, page_cache_flush_ms: int = 5000, remote_storage_latency_ms: int = 100,
                 impl: dict[str, Any] | None = None, trace: bool = True,
                 trace_limit: int | None = DEFAULT_LIMIT) -> None:
        check_int("brokers", brokers, 1, 64)
        check_int("controllers", controllers, 1, 9)
        check_int("seed", seed)
        check_bool("trace", trace)
        check_limit(trace_limit)
        check_int("latency_ms", latency_ms, 1, unit="a message takes at least 1 virtual ms")
        check_int("page_cache_flush_ms", page_cache_flush_ms, 1, unit="virtual ms between the OS's writes to disk")
        check_int("remote_storage_latency_ms", remote_storage_latency_ms, 0, unit="virtual ms per remote-tier read")
        self.seed = seed
        broker_config = resolve(BROKER, config, check_broker)
        self.features = resolve_features(features)
        self.racks = check_racks(racks, brokers)
        self.impl, self.impl_notes = seams.resolve(impl)
        for note in self.impl_notes:
            print(note)
        self.sim = Simulation(seed)
        self.trace = Trace(trace_limit)
        self.trace.enabled = trace          # False: record nothing (nothing in the cluster reads it)
        self.net = Network(self.sim, self.trace, latency_ms)
        self.config = broker_config
        self._blocking = False
        self._admin: AdminClient | None = None
        self._clients = 0
        self.clients: dict[str, Any] = {}
        voters = tuple(controller_name(i) for i in range(1, controllers + 1))
        self.controllers: dict[int, QuorumController] = {}
        for i in range(1, controllers + 1):
            self.controllers[i] = QuorumController(i, voters, self.net, self.trace, self.config, self.features)
            self.controllers[i].elect_leader = self.impl["elect_leader"]
        self.brokers: dict[int, Broker] = {}
        self.remote_storage = RemoteStorage(remote_storage_latency_ms)
        for i in range(1, brokers + 1):
            self.brokers[i] = Broker(i, self.net, self.trace, self.config, page_cache_flush_ms, voters,
                                     self.racks.get(i), self.remote_storage)
            self.brokers[i].hw_rule = self.impl["high_watermark"]
        self.sim.run_until(lambda: self._settled(lambda ctl: len(ctl.live_brokers()) == brokers),
                           self.sim.now + 30_000)

    # -- time -------------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Virtual time in milliseconds."""
        return self.sim.now

    def run(self, ms: int) -> None:
        """Advance virtual time by `ms` milliseconds (an integer >= 0), running everything due."""
        self._guard("run")
        self.sim.run(check_int("ms", ms, 0))

    def metrics(self) -> MetricsSnapshot:
        """Every metric now, with Kafka's names (cluster_metrics.py; metrics/catalog.py says
        what each counts): `snap["UnderReplicatedPartitions"]`, `snap.broker(1)`,
        `snap.client("producer-1")`. Kept with the trace off."""
        return cluster_metrics.snapshot(self)

    def step(self) -> bool:
        """Run exactly one event (a message delivery or a timer). False when nothing is queued."""
        self._guard("step")
        return self.sim.step()

    def run_until_idle(self, max_ms: int = 3_600_000) -> bool:
        """Run until only background activity (heartbeats, empty long polls) remains."""
        self._guard("run_until_idle")
        return self.sim.run_until_idle(check_int("max_ms", max_ms, 0))

    def _guard(self, what: str) -> None:
        if self._blocking:
            raise RuntimeError(f"cannot call {what}() while the simulation is running")

    # -- topics (cluster_topics.py) -------------------------------------------------------
    def admin(self) -> AdminClient:
        """The cluster's admin client (node "admin"), shaped like confluent-kafka's `AdminClient`:
        its calls return futures (clients/admin/). Made on first use; the administration methods
        here are built on it."""
        if self._admin is None or not self._admin.alive:
            self._admin = AdminClient(self)
        return self._admin

    def serve(self, ports: dict[int, int] | None = None) -> Any:
        """Real Kafka clients against this cluster: one listener per broker on 127.0.0.1, and the
        simulation in real time until `stop()` (minikafka/serve/; needs the `wire` extra).
        Returns the server: `bootstrap_servers`, `stop()`."""
        from minikafka.serve import serve
        return serve(self, ports)

    # -- clients ------------------------------------------------------------------------
    def producer(self, config: dict[str, Any] | None = None) -> Producer:
        return self._client(Producer, config, "producer")

    def consumer(self, config: dict[str, Any] | None = None) -> Consumer:
        return self._client(Consumer, config, "consumer")

    def share_consumer(self, config: dict[str, Any] | None = None) -> ShareConsumer:
        """A member of a share group (KIP-932): records shared among members, acknowledged one by one."""
        return self._client(ShareConsumer, config, "share-consumer")

    def _client(self, cls: type, config: dict[str, Any] | None, kind: str) -> Any:
        n = sum(1 for c in self.clients.values() if c.role == kind) + 1
        while f"{kind}-{n}" in self.net.nodes:          # taken by a client named by its client.id
            n += 1
        client = cls(self, config, f"{kind}-{n}")
        self.clients[client.name] = client
        return client

    # -- faults -------------------------------------------------------------------------
    def broker(self, broker_id: int) -> Broker:
        if not is_int(broker_id) or broker_id not in self.brokers:
            raise ValueError(f"no broker {broker_id!r}; brokers are {sorted(self.brokers)}")
        return self.brokers[broker_id]

    def crash_broker(self, broker_id: int, power_loss: bool = False) -> None:
        check_bool("power_loss", power_loss)
        b = self.broker(broker_id)
        if not b.alive:
            raise RuntimeError(f"broker {broker_id} is already down")
        b.crash(power_loss)

    def stop_broker(self, broker_id: int) -> None:
        """Controlled shutdown (Kafka's `kafka-server-stop`): unlike a crash, the broker first asks
        the controller to move its leaderships and ISR places to other brokers, and stops only
        once they have moved (broker.py rule 6); this call waits for that (virtual time). A
        broker that is not running yet, or gets no answer within 5 minutes, stops at once."""
        b = self.broker(broker_id)
        if not b.alive:
            raise RuntimeError(f"broker {broker_id} is already down")
        b.begin_shutdown()
        self.sim.run_until(lambda: not b.alive, self.sim.now + 300_001)

    def restart_broker(self, broker_id: int) -> None:
        self.broker(broker_id).restart()

    def crash_client(self, name: str) -> None:
        """Kill a producer's or consumer's process: whatever it had not sent is gone, and its
        requests in flight get no answer. A new client instance is a new session."""
        client = self.clients.get(name) if isinstance(name, str) else None
        if client is None:
            raise ValueError(f"unknown client {name!r}; clients are {', '.join(sorted(self.clients)) or 'none'}")
        if not client.alive:
            raise RuntimeError(f"client {name} is already down")
        client.alive = False
        client.closed = True
        self.trace.state(self.now, name, "client.crash")

    def _node(self, n: int | str) -> str:
        if is_int(n):
            return broker_name(self.broker(n).id)
        if isinstance(n, str) and n in self.net.nodes:
            return n
        raise ValueError(f"unknown node {n!r}; nodes are {', '.join(sorted(self.net.nodes))} "
                         f"(or a broker id: {sorted(self.brokers)})")

    def cut(self, a: int | str, b: int | str) -> None:
        """Cut the link between two nodes, both directions (a network partition). Nothing is
        delivered across it until `heal`; like TCP, messages are held, not lost, and arrive in
        order after the heal unless the sender gave up on them (a request timeout closes the
        connection). `a` and `b` must be two different nodes."""
        self.net.cut(*self._link(a, b))

    def heal(self, a: int | str, b: int | str) -> None:
        self.net.heal(*self._link(a, b))

    def heal_all(self) -> None:
        self.net.heal_all()

    def set_latency(self, a: int | str, b: int | str, ms: int) -> None:
        """One-way latency of the link a->b and b->a, in virtual ms >= 1 (default: `latency_ms`)."""
        check_int("ms", ms, 1, unit="a message takes at least 1 virtual ms")
        x, y = self._link(a, b)
        self.net.latency[(x, y)] = self.net.latency[(y, x)] = ms

    def set_loss(self, a: int | str, b: int | str, probability: float) -> None:
        """Each message on the link a<->b is lost with `probability` (seeded)."""
        p = check_probability("probability", probability)
        x, y = self._link(a, b)
        self.net.loss[(x, y)] = self.net.loss[(y, x)] = p

    def isolate(self, node: int | str) -> None:
        """Cut every link of one node."""
        name = self._node(node)
        for other in sorted(self.net.nodes):
            if other != name:
                self.net.cut(name, other)

    def drop(self, kind: str = "*", probability: float = 1.0, count: int | None = None,
             src: int | str = "*", dst: int | str = "*") -> Rule:
        """Drop messages of `kind` (e.g. "ProduceResponse") with `probability`, at most `count`
        times (an integer >= 1; None: no limit)."""
        p, count = check_probability("probability", probability), check_count("count", count)
        return self._rule(Rule(check_kind(kind), self._end(src), self._end(dst), drop=p, count=count))

    def delay(self, kind: str = "*", ms: int = 100, count: int | None = None,
              src: int | str = "*", dst: int | str = "*") -> Rule:
        """Delay messages of `kind` by `ms` >= 0 (FIFO per link: later messages wait behind them),
        at most `count` times (an integer >= 1; None: no limit)."""
        ms, count = check_int("ms", ms, 0), check_count("count", count)
        return self._rule(Rule(check_kind(kind), self._end(src), self._end(dst), delay_ms=ms, count=count))

    def _rule(self, rule: Rule) -> Rule:
        self.net.rules.append(rule)
        return rule

    def _end(self, n: int | str) -> str:
        return "*" if n == "*" else self._node(n)

    def _link(self, a: int | str, b: int | str) -> tuple[str, str]:
        x, y = self._node(a), self._node(b)
        if x == y:
            raise ValueError(f"a link joins two different nodes, got {a!r} and {b!r} (both {x})")
        return x, y

    def clear_rules(self) -> None:
        self.net.rules.clear()

    def remove_rule(self, rule: Rule) -> None:
        """Stop one drop or delay rule (what `drop()` or `delay()` returned)."""
        for i, active in enumerate(self.net.rules):
            if active is rule:                  # that rule, not an equal one
                del self.net.rules[i]
                return
        raise ValueError(f"{rule!r} is not active; active rules: {self.net.rules!r}")

    # -- views ------------------------------------------------------------------------
    def partition_state(self, topic: str, partition: int) -> PartitionView:
        self._topic(topic)
        states = self.controller.topics[topic]
        st = states[check_partition(topic, partition, len(states))]
        views = []
        source = None                   # whose producer state to show: the leader's, else any live one
        for b in st.replicas:
            broker = self.brokers[b]
            r = broker.replicas.get(st.tp)
            if r is None:
                views.append(ReplicaView(b, "none", 0, 0, b in st.isr))
                continue
            role = "offline" if not broker.alive else ("leader" if r.is_leader else
                                                       "follower" if r.leader != NO_LEADER else "none")
            views.append(ReplicaView(b, role, r.leo, r.hw, b in st.isr, r.lso, r.log.log_start_offset))
            if broker.alive and (source is None or r.is_leader):
                source = r
        producers: tuple[ProducerView, ...] = ()
        aborted: tuple[tuple[int, int, int], ...] = ()
        if source is not None:
            producers = tuple(ProducerView(pid, e.epoch, e.last_sequence, source.txn.ongoing.get(pid, -1))
                              for pid, e in sorted(source.producer_state.producers.items()))
            aborted = tuple(tuple(a) for a in source.txn.aborted)
        return PartitionView(topic, partition, st.leader, st.leader_epoch, st.isr, tuple(views), producers,
                             aborted, st.elr, st.last_known_elr)

    def log(self, topic: str, partition: int, broker: int | None = None) -> list[tuple[int, Any, Any]]:
        """(offset, key, value) of every record in one replica's log (the leader's by default)."""
        st = self.partition_state(topic, partition)
        if broker is not None:
            self.broker(broker)
        b = broker if broker is not None else st.leader
        if b == NO_LEADER:
            raise KafkaException("LEADER_NOT_AVAILABLE", f"{topic}-{partition} has no leader; name a broker")
        r = self.broker(b).replicas.get((topic, partition))
        if r is None:
            raise ValueError(f"broker {b} holds no replica of {topic}-{partition}")
        return [(batch.base_offset + i, rec.key, rec.value)
                for batch in r.log.batches if not batch.control
                for i, rec in enumerate(batch.records)]

    def group_state(self, group_id: str) -> GroupView:
        """The group as its coordinator sees it (state, generation or group epoch, members and
        assignments, committed offsets; a share group's share-partitions from their leaders)."""
        check_str("group_id", group_id)
        return group_view(self, group_id)

    def group_lag(self, group_id: str, isolation_level: str = "read_uncommitted") -> list[LagRow]:
        """Per partition of the topics the group owns or committed: end offset (HW, or LSO with
        read_committed) minus the committed offset. A share group has no committed offsets: its
        "committed" is the SPSO and its lag the records from there to the end not yet
        acknowledged or archived (Kafka's share group lag)."""
        check_str("isolation_level", isolation_level, ("read_uncommitted", "read_committed"))
        view = self.group_state(group_id)
        if view.group_type == "share":
            return [LagRow(t, p, spso, (end := self.partition_state(t, p).high_watermark),
                           sum(1 for o, state, _, _ in records if o < end and state in ("Available", "Acquired"))
                           + max(end - nxt, 0), None)
                    for t, p, spso, nxt, records in view.share_partitions]
        committed = dict(view.committed)
        topics = sorted({t for t, _ in committed} | {t for _, tps in view.members for t, _ in tps})
        rows = []
        for topic in topics:
            for part in range(len(self.controller.topics.get(topic, ()))):
                pv = self.partition_state(topic, part)
                end = pv.last_stable_offset if isolation_level == "read_committed" else pv.high_watermark
                off = committed.get((topic, part), -1)
                start = 0
                lag = max(end - (off if off >= 0 else start), 0) if end >= 0 else -1
                rows.append(LagRow(topic, part, off, end, lag, view.owner(topic, part)))
        return rows

    def __repr__(self) -> str:
        live = self.controller.live_brokers()
        return (f"Cluster(brokers={len(self.brokers)}, live={list(live)}, topics={self.topics()}, "
                f"seed={self.seed}, now={self.now}ms)")

