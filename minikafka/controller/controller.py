"""The controller (KRaft-style, a single node): broker liveness, leader election, ISR changes.

Rules (kafka-semantics.md C.14-C.15, D.22, D.25-D.26):
1. A broker registers (BrokerRegistration) and starts *fenced*; it is unfenced on a heartbeat
   once it has the latest metadata. A registration from a new incarnation of a registered
   broker first fences the old incarnation.
2. A broker whose last heartbeat is older than `broker.session.timeout.ms` is fenced.
3. Fencing a broker removes it from every ISR (never emptying one: the last member stays
   listed) and re-elects the leader of every partition it led.
4. Election: first replica in assignment order that is in the ISR and unfenced; otherwise, if
   the topic allows unclean election, the first unfenced replica, whose ISR becomes itself;
   otherwise the partition is offline (leader -1). Every leader change bumps the leader epoch;
   every change bumps the partition epoch.
5. AlterPartition from a leader is accepted only with the current leader epoch and partition
   epoch, and may add only unfenced brokers.
6. Every change is a new metadata version pushed to all registered brokers (UpdateMetadata);
   a broker that missed a version gets a full snapshot on its next heartbeat.
Simplification: one controller that never fails and commits instantly (no Raft quorum).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.controller.controller_metrics import ControllerMetrics
from minikafka.controller.election import NO_LEADER, elect_leader
from minikafka.errors import KafkaException
from minikafka.sim.network import Network, Node

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace

CONTROLLER = "controller"


@dataclass
class BrokerRecord:
    """The controller's record of one registered broker."""

    incarnation: int
    fenced: bool
    last_heartbeat: int
    caught_up_version: int = 0      # the metadata version it must have seen to be unfenced


class Controller(Node):
    def __init__(self, net: Network, trace: "Trace", broker_config: dict[str, Any]) -> None:
        super().__init__(CONTROLLER, net)
        self.trace = trace
        self.cfg = broker_config
        self.brokers: dict[int, BrokerRecord] = {}
        self.topics: dict[str, list[P.PartitionState]] = {}
        self.topic_configs: dict[str, dict[str, Any]] = {}
        self.version = 0
        self.next_producer_id = 1000
        self.elect_leader = elect_leader        # a seam (seams.py)
        self.metrics = ControllerMetrics()
        self._placement_rng = self.sim.rng("placement")
        self.after(500, self._check_sessions, daemon=True)

    def allocate_producer_id(self) -> int:
        pid = self.next_producer_id
        self.next_producer_id += 1
        return pid

    # -- queries -----------------------------------------------------------
    def live_brokers(self) -> tuple[int, ...]:
        return tuple(b for b, r in sorted(self.brokers.items()) if not r.fenced)

    def state(self, topic: str, partition: int) -> P.PartitionState:
        return self.topics[topic][partition]

    def topic_config(self, topic: str, key: str) -> Any:
        return self.topic_configs[topic][key]

    # -- topics ------------------------------------------------------------
    def create_topic(self, name: str, partitions: int, replication_factor: int,
                     config: dict[str, Any]) -> None:
        if name in self.topics:
            raise KafkaException("TOPIC_ALREADY_EXISTS", f"Topic '{name}' already exists.")
        live = list(self.live_brokers())
        if replication_factor > len(live):
            raise KafkaException("INVALID_REPLICATION_FACTOR",
                                 f"Replication factor: {replication_factor} larger than available brokers: {len(live)}.")
        rng = self._placement_rng
        n = len(live)
        start, shift = rng.randrange(n), rng.randrange(n)
        states = []
        for p in range(partitions):
            if p > 0 and p % n == 0:
                shift += 1
            first = (p + start) % n
            replicas = [live[first]]
            for j in range(replication_factor - 1):
                replicas.append(live[(first + 1 + (shift + j) % (n - 1)) % n])
            states.append(P.PartitionState(name, p, tuple(replicas), tuple(replicas), replicas[0], 0, 0))
        self.topics[name] = states
        self.topic_configs[name] = dict(config)
        self.trace.state(self.sim.now, self.name, "topic.create", topic=name, partitions=partitions,
                         replicas=tuple(tuple(s.replicas) for s in states))
        self._publish(states)

    def add_partitions(self, name: str, total: int) -> None:
        states = self.topics[name]
        rf = len(states[0].replicas)
        live = list(self.live_brokers())
        if rf > len(live):
            raise KafkaException("INVALID_REPLICATION_FACTOR", "not enough live brokers for new partitions")
        new = []
        for p in range(len(states), total):
            first = p % len(live)
            replicas = tuple(live[(first + j) % len(live)] for j in range(rf))
            new.append(P.PartitionState(name, p, replicas, replicas, replicas[0], 0, 0))
        states.extend(new)
        self.trace.state(self.sim.now, self.name, "topic.add_partitions", topic=name, partitions=total)
        self._publish(new)

    # -- messages ----------------------------------------------------------
    def receive(self, src: str, msg: Any) -> None:
        if isinstance(msg, P.BrokerHeartbeat):
            self._on_heartbeat(src, msg)
        elif isinstance(msg, P.AlterPartition):
            self._on_alter_partition(src, msg)
        elif isinstance(msg, P.BrokerRegistration):
            self._on_registration(src, msg)
        elif isinstance(msg, P.CreateTopicsRequest):
            self._on_create_internal_topic(msg)

    def _on_create_internal_topic(self, msg: P.CreateTopicsRequest) -> None:
        """Internal topics are created on first use, with the replication factor capped at the
        number of live brokers (Kafka would refuse until enough brokers are up)."""
        live = len(self.live_brokers())
        if msg.name in self.topics or live == 0:
            return
        from minikafka.config import TOPIC, resolve
        cfg = resolve(TOPIC, {"unclean.leader.election.enable": False, **msg.config})
        self.create_topic(msg.name, msg.partitions, min(msg.replication_factor, live), dict(cfg))

    def _on_registration(self, src: str, msg: P.BrokerRegistration) -> None:
        rec = self.brokers.get(msg.broker_id)
        if rec is not None and rec.incarnation == msg.incarnation:
            self.send(src, self._snapshot())
            return
        if rec is not None and not rec.fenced:
            self._fence(msg.broker_id, "new incarnation")
        self.brokers[msg.broker_id] = BrokerRecord(msg.incarnation, True, self.sim.now, self.version)
        self.trace.state(self.sim.now, self.name, "broker.register", broker=msg.broker_id,
                         incarnation=msg.incarnation)
        self.send(src, self._snapshot())

    def _on_heartbeat(self, src: str, msg: P.BrokerHeartbeat) -> None:
        rec = self.brokers.get(msg.broker_id)
        if rec is None or rec.incarnation != msg.incarnation:
            self.send(src, P.BrokerHeartbeatResponse(fenced=True, registered=False), daemon=True)
            return
        rec.last_heartbeat = self.sim.now
        if msg.metadata_version < self.version:
            self.send(src, self._snapshot())
        if rec.fenced and msg.metadata_version >= rec.caught_up_version:
            self._unfence(msg.broker_id)
        self.send(src, P.BrokerHeartbeatResponse(fenced=rec.fenced, registered=True), daemon=True)

    def _on_alter_partition(self, src: str, msg: P.AlterPartition) -> None:
        topic, p = msg.tp
        states = self.topics.get(topic)
        if states is None or p >= len(states):
            self.send(src, P.AlterPartitionResponse(msg.tp, "UNKNOWN_TOPIC_OR_PART", None))
            return
        st = states[p]
        error = None
        if st.leader != msg.broker_id or st.leader_epoch != msg.leader_epoch:
            error = "FENCED_LEADER_EPOCH"
        elif st.partition_epoch != msg.partition_epoch:
            error = "INVALID_UPDATE_VERSION"
        elif any(r not in st.replicas for r in msg.new_isr) or msg.broker_id not in msg.new_isr:
            error = "INVALID_REQUEST"
        elif any(r not in st.isr and self.brokers[r].fenced for r in msg.new_isr):
            error = "INELIGIBLE_REPLICA"
        if error is not None:
            self.trace.state(self.sim.now, self.name, "isr.reject", tp=f"{topic}-{p}", error=error)
            self.send(src, P.AlterPartitionResponse(msg.tp, error, st))
            return
        new = replace(st, isr=tuple(msg.new_isr), partition_epoch=st.partition_epoch + 1)
        states[p] = new
        change = "isr.shrink" if len(new.isr) < len(st.isr) else "isr.expand"
        self.trace.state(self.sim.now, self.name, change, tp=f"{topic}-{p}", isr=new.isr,
                         before=st.isr)
        self._publish([new])
        self.send(src, P.AlterPartitionResponse(msg.tp, None, new))

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        pass

    # -- liveness ----------------------------------------------------------
    def _check_sessions(self) -> None:
        timeout = self.cfg["broker.session.timeout.ms"]
        for b, rec in sorted(self.brokers.items()):
            if not rec.fenced and self.sim.now - rec.last_heartbeat > timeout:
                self._fence(b, "session timeout")
        self.after(500, self._check_sessions, daemon=True)

    def _fence(self, broker: int, why: str) -> None:
        self.brokers[broker].fenced = True
        self.trace.state(self.sim.now, self.name, "broker.fence", broker=broker, why=why)
        live = self.live_brokers()
        changed = []
        for topic in sorted(self.topics):
            states = self.topics[topic]
            for i, st in enumerate(states):
                if broker not in st.isr and st.leader != broker:
                    continue
                isr = tuple(r for r in st.isr if r != broker) or st.isr
                new = replace(st, isr=isr, partition_epoch=st.partition_epoch + 1)
                if st.leader == broker:
                    new = self._elect(new, live, why)
                states[i] = new
                changed.append(new)
        self._publish(changed, force=True)

    def _unfence(self, broker: int) -> None:
        self.brokers[broker].fenced = False
        self.trace.state(self.sim.now, self.name, "broker.unfence", broker=broker)
        self._elect_offline("broker returned", broker)

    def retry_offline(self) -> None:
        """Try to elect leaders for offline partitions (after a topic config change)."""
        self._elect_offline("config change")

    def _elect_offline(self, why: str, broker: int | None = None) -> None:
        """Elect a leader for every offline partition (those with a replica on `broker`, if
        given) that can have one now; the others stay as they are."""
        live = self.live_brokers()
        changed = []
        for topic in sorted(self.topics):
            states = self.topics[topic]
            for i, st in enumerate(states):
                if st.leader == NO_LEADER and (broker is None or broker in st.replicas):
                    new = self._elect(st, live, why, offline_ok=False)
                    if new is not None:
                        states[i] = new
                        changed.append(new)
        self._publish(changed, force=broker is not None)

    def _elect(self, st: P.PartitionState, live: tuple[int, ...], why: str,
               offline_ok: bool = True) -> P.PartitionState | None:
        """The partition with a newly elected leader (rule 4). With no possible leader: the
        partition offline, or None (nothing changes, nothing recorded) unless `offline_ok`."""
        unclean_ok = bool(self.topic_configs[st.topic]["unclean.leader.election.enable"])
        leader, unclean = self.elect_leader(st.replicas, st.isr, live, unclean_ok)
        if leader == NO_LEADER and not offline_ok:
            return None
        isr = (leader,) if unclean else st.isr
        if unclean:
            self.metrics.unclean_elections.mark()
        new = replace(st, leader=leader, isr=isr, leader_epoch=st.leader_epoch + 1,
                      partition_epoch=st.partition_epoch + 1)
        self.trace.state(self.sim.now, self.name, "leader.elect", tp=f"{st.topic}-{st.partition}",
                         leader=leader, epoch=new.leader_epoch, isr=isr, unclean=unclean, why=why)
        return new

    # -- propagation -------------------------------------------------------
    def _publish(self, changed: list[P.PartitionState], force: bool = False) -> None:
        if not changed and not force:
            return
        self.version += 1
        topics = sorted({s.topic for s in changed})
        msg = P.UpdateMetadata(self.version, tuple(changed), {t: self.topic_configs[t] for t in topics},
                               self.live_brokers())
        for b in sorted(self.brokers):
            self.send(f"b{b}", msg)

    def _snapshot(self) -> P.UpdateMetadata:
        states = tuple(s for t in sorted(self.topics) for s in self.topics[t])
        return P.UpdateMetadata(self.version, states, dict(self.topic_configs), self.live_brokers(), full=True)
