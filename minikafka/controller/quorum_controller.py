"""A controller: a voter of the metadata quorum that, while it leads, is the active controller
(Kafka: `QuorumController`, with `ClusterControlManager` and `BrokerHeartbeatManager` for
brokers, `ProducerIdControlManager`, `FeatureControlManager`; kafka-semantics.md C.14-C.15,
K.81-K.85, K.88-K.92). Partition changes are replication_control.py's; the log is raft/'s.

Rules:
1. Every controller applies committed metadata records in offset order to its image
   (metadata/image.py). Only the active controller (the quorum leader, once it has applied
   everything committed before its epoch: raft_client.py rule 9) answers broker requests;
   the others answer NOT_CONTROLLER.
2. Write path: the active controller turns a request into records, applies them to its image at
   once, appends them to the log, and answers only when they are committed. A controller that
   stops leading drops what it had not committed: its image goes back to the committed records,
   and the requests waiting on them get NOT_CONTROLLER (brokers retry with the new leader).
3. Brokers: a registration writes a RegisterBrokerRecord (fenced); its offset is the broker
   epoch. A registration from a new incarnation of a broker whose old incarnation is still
   unfenced (its session has not expired) is refused: DUPLICATE_BROKER_REGISTRATION. A heartbeat from a fenced broker whose metadata offset has reached its own
   registration unfences it. A broker with no heartbeat for more than `broker.session.timeout.ms`
   is fenced (checked every session timeout / 8, one broker per check, the next 10 ms later).
   A controller that becomes active gives every registered broker a fresh session. A new
   incarnation whose `previous_broker_epoch` is not the epoch registered for it shut down
   uncleanly: it leaves every ISR and ELR first (replication_control rule 6).
4. Producer ids: AllocateProducerIds leases the next block of 1000 to a broker
   (ProducerIdsRecord).
5. The first active controller of an empty log writes the bootstrap records: the feature levels
   (metadata/features.py).
6. With nothing else written for `metadata.max.idle.interval.ms`, the active controller writes a
   NoOpRecord, so that every node sees the log move.
7. The controller that leads the quorum records in the trace what each committed record changed
   (topic.create, isr.shrink, isr.expand, leader.elect, broker.register, broker.fence,
   broker.unfence, topic.config, ...), at the time it commits.
8. Controlled shutdown (a heartbeat with WantShutDown): the broker is marked in controlled
   shutdown and removed from every ISR, with new leaders where it led (never elected again
   meanwhile); once it leads nothing and every other active broker's metadata offset has passed
   those records, it is fenced and told ShouldShutDown. A broker that leads nothing is let go at
   once.
9. A changed `min.insync.replicas` clears the topic's ELR (ClearElrRecord): who was eligible
   was judged against the old minimum.
10. Periodic tasks of the active controller, each first one period after it became active:
   unclean elections for leaderless partitions whose topic allows them, every
   `unclean.leader.election.interval.ms` (so turning unclean election on for an offline
   partition takes effect then, or at the next fence or unfence); with
   `auto.leader.rebalance.enable`, preferred elections every
   `leader.imbalance.check.interval.seconds` (up to 1000 a run, the next run 10 ms later if
   more remain).
11. Admin requests arrive forwarded by a broker (EnvelopeRequest): CreateTopics,
   CreatePartitions, DeleteTopics, IncrementalAlterConfigs, ElectLeaders. Refused ones are
   answered at once with Kafka's error; the others when their records commit (NOT_CONTROLLER
   if this controller stops leading first).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.controller import replication_control as RC
from minikafka.controller.controller_metrics import ControllerMetrics
from minikafka.controller.record_events import describe
from minikafka.controller.election import elect_leader
from minikafka.controller.placement import place
from minikafka.errors import KafkaException
from minikafka.metadata.features import defaults as feature_defaults
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import (BrokerRegistrationChangeRecord, ClearElrRecord, ConfigRecord, GroupConfigRecord,
                                        FeatureLevelRecord,
                                        NoOpRecord, PartitionChangeRecord, ProducerIdsRecord,
                                        RegisterBrokerRecord, RemoveTopicRecord)
from minikafka.raft.quorum_state import LEADER
from minikafka.raft.raft_client import RaftClient, RaftStorage
from minikafka.sim.network import Network, Node

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace

PRODUCER_ID_BLOCK = 1000
MAX_ELECTIONS_PER_IMBALANCE = 1000


def controller_name(controller_id: int) -> str:
    return f"c{controller_id}"


class QuorumController(Node):
    def __init__(self, controller_id: int, voters: tuple[str, ...], net: Network, trace: "Trace",
                 config: dict[str, Any], features: dict[str, int] | None = None) -> None:
        super().__init__(controller_name(controller_id), net)
        self.id = controller_id
        self.trace = trace
        self.cfg = config
        self.bootstrap_features = features if features is not None else feature_defaults()
        self.storage = RaftStorage()                    # survives restarts (on disk)
        self.elect_leader = elect_leader                # a seam (seams.py)
        self.metrics = ControllerMetrics()
        self.past_metrics: list[ControllerMetrics] = []
        self._placement_rng = self.sim.rng("placement")            # one stream, whichever controller is active
        self.raft = RaftClient(self, voters, self.storage, config, trace)
        self.raft.on_commit = self._on_commit
        self.raft.on_active = self._on_active
        self.raft.on_leader = self._on_leader
        self.start()

    def start(self) -> None:
        self.image = MetadataImage()
        self.active = False
        self.waiting: list[tuple[int, Callable[[str | None], None]]] = []    # (offset, reply) (rule 2)
        self.events: dict[int, list[tuple[str, dict[str, Any]]]] = {}          # offset -> trace events (rule 7)
        self.sessions: dict[int, int] = {}                                       # broker -> last contact
        self.broker_offsets: dict[int, int] = {}                                 # broker -> metadata offset
        self.shutdown_offsets: dict[int, int] = {}       # broker -> offset of its shutdown records (rule 8)
        self.last_write = self.sim.now
        self.raft.start()

    def crash(self) -> None:
        self.alive = False
        self.trace.state(self.sim.now, self.name, "controller.crash")
        self.net.process_crashed(self.name)

    def restart(self) -> None:
        if self.alive:
            raise RuntimeError(f"controller {self.id} is running; crash it first")
        self.alive = self.powered = True
        self.incarnation += 1
        self.past_metrics.append(self.metrics)
        self.metrics = ControllerMetrics()
        self.trace.state(self.sim.now, self.name, "controller.restart", incarnation=self.incarnation)
        self.start()

    # -- the log (rules 1, 2, 7) ------------------------------------------------------------
    def _on_commit(self, batch: Any) -> None:
        if batch.control:
            return
        leading = self.raft.quorum.role == LEADER
        for i, rec in enumerate(batch.records):
            offset = batch.base_offset + i
            if offset > self.image.offset:
                events = self._apply(offset, rec.value)
                if leading:
                    self._emit(events)
            elif leading:
                self._emit(self.events.pop(offset, []))
        done = batch.next_offset - 1
        while self.waiting and self.waiting[0][0] <= done:
            self.waiting.pop(0)[1](None)

    def _emit(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for name, fields in events:
            if name == "leader.elect" and fields["unclean"]:
                self.metrics.unclean_elections.mark()       # controller_metrics rule 2
            self.trace.state(self.sim.now, self.name, name, **fields)

    def _apply(self, offset: int, rec: Any) -> list[tuple[str, dict[str, Any]]]:
        """Apply one record; the trace events it makes (rule 7)."""
        before = None
        if type(rec) is PartitionChangeRecord:
            before = self.image.state(rec.topic, rec.partition)
        self.image.apply(offset, rec)
        return describe(self.image, rec, before)

    def write(self, records: list[Any], reply: Callable[[str | None], None] | None = None) -> bool:
        """Rule 2: False when this controller is not active."""
        if not self.active or not records:
            return False
        last = self.raft.append(records)
        if last is None:
            return False
        first = last - len(records) + 1
        for i, rec in enumerate(records):
            self.events[first + i] = self._apply(first + i, rec)
        self.last_write = self.sim.now
        if reply is not None:
            self.waiting.append((last, reply))
        return True

    def _on_leader(self, leader: str | None, epoch: int) -> None:
        if self.active and leader != self.name:
            self._renounce()

    def _renounce(self) -> None:
        """Rule 2: back to what is committed; waiting requests fail."""
        self.active = False
        self.trace.state(self.sim.now, self.name, "controller.renounce")
        waiting, self.waiting, self.events = self.waiting, [], {}
        image = MetadataImage()
        log = self.storage.log
        for b in log.batches:
            if b.base_offset >= self.raft.hw:
                break
            if not b.control:
                for i, rec in enumerate(b.records):
                    image.apply(b.base_offset + i, rec.value)
        self.image = image
        for _, reply in waiting:
            reply("NOT_CONTROLLER")

    def _on_active(self, epoch: int) -> None:
        self.active = True
        self.metrics.new_active.mark()
        self.trace.state(self.sim.now, self.name, "controller.active", epoch=epoch)
        now = self.sim.now
        self.sessions = {b: now for b in self.image.brokers}            # rule 3: fresh sessions
        if not self.image.features:                                      # rule 5
            self.write([FeatureLevelRecord(k, v) for k, v in self.bootstrap_features.items()])
        session = self.cfg["broker.session.timeout.ms"]
        self.after(max(session // 8, 1), self._check_sessions, epoch, daemon=True)
        idle = self.cfg["metadata.max.idle.interval.ms"]
        if idle > 0:
            self.after(idle, self._maybe_noop, epoch, daemon=True)
        self.after(self.cfg["unclean.leader.election.interval.ms"], self._elect_unclean, epoch, daemon=True)
        if self.cfg["auto.leader.rebalance.enable"]:
            self.after(self.cfg["leader.imbalance.check.interval.seconds"] * 1000, self._balance_leaders, epoch,
                       daemon=True)

    def _elect_unclean(self, epoch: int) -> None:
        """Rule 10: leaderless partitions whose topic now allows unclean election get a leader."""
        if not self._still_active(epoch):
            return
        self.write(RC.offline_records(self.image, self.elect_leader, "periodic unclean election check"))
        self.after(self.cfg["unclean.leader.election.interval.ms"], self._elect_unclean, epoch, daemon=True)

    def _balance_leaders(self, epoch: int) -> None:
        """Rule 10: leadership back to preferred replicas (replication_control rule 7)."""
        if not self._still_active(epoch):
            return
        records, more = RC.imbalanced_records(self.image, self.elect_leader, MAX_ELECTIONS_PER_IMBALANCE)
        self.write(records)
        self.after(10 if more else self.cfg["leader.imbalance.check.interval.seconds"] * 1000,
                   self._balance_leaders, epoch, daemon=True)

    def _still_active(self, epoch: int) -> bool:
        return self.active and self.raft.quorum.epoch == epoch

    def _maybe_noop(self, epoch: int) -> None:
        """Rule 6."""
        if not self._still_active(epoch):
            return
        idle = self.cfg["metadata.max.idle.interval.ms"]
        if self.sim.now - self.last_write >= idle:
            self.write([NoOpRecord()])
        self.after(self.last_write + idle - self.sim.now, self._maybe_noop, epoch, daemon=True)

    # -- requests (rule 1) -----------------------------------------------------------------------
    def receive(self, src: str, msg: Any) -> None:
        if self.raft.receive(src, msg):
            return
        kind = msg.kind
        if not self.active:
            if kind in _ANSWERS:
                self.send(src, _ANSWERS[kind](msg), daemon=True)
            return
        if kind == "BrokerHeartbeat":
            self._on_heartbeat(src, msg)
        elif kind == "BrokerRegistration":
            self._on_registration(src, msg)
        elif kind == "AlterPartition":
            self._on_alter_partition(src, msg)
        elif kind == "AllocateProducerIdsRequest":
            self._on_allocate_producer_ids(src, msg)
        elif kind == "CreateTopicsRequest":
            self._on_create_internal_topic(msg)
        elif kind == "EnvelopeRequest":
            self._on_envelope(src, msg)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self.raft.on_disconnect(peer)

    # -- brokers (rule 3) -------------------------------------------------------------------------
    def _on_registration(self, src: str, msg: P.BrokerRegistration) -> None:
        reg = self.image.brokers.get(msg.broker_id)

        def reply(err: str | None) -> None:
            r = self.image.brokers.get(msg.broker_id)
            self.send(src, P.BrokerRegistrationResponse(err, r.epoch if err is None and r else -1), daemon=True)
        if reg is not None and reg.incarnation == msg.incarnation:
            reply(None)
            return
        if reg is not None and reg.incarnation != msg.incarnation and not reg.fenced:   # its old session is valid
            self.send(src, P.BrokerRegistrationResponse("DUPLICATE_BROKER_REGISTRATION", -1), daemon=True)
            return
        self.sessions[msg.broker_id] = self.sim.now
        if reg is not None and msg.previous_broker_epoch != reg.epoch:
            self.write(RC.unclean_shutdown_records(self.image, msg.broker_id, self.elect_leader))
        self.write([RegisterBrokerRecord(msg.broker_id, msg.incarnation, msg.rack)], reply)

    def _on_heartbeat(self, src: str, msg: P.BrokerHeartbeat) -> None:
        reg = self.image.brokers.get(msg.broker_id)
        if reg is None or reg.epoch != msg.broker_epoch:
            self.send(src, P.BrokerHeartbeatResponse("STALE_BROKER_EPOCH", True, False), daemon=True)
            return
        self.sessions[msg.broker_id] = self.sim.now
        self.broker_offsets[msg.broker_id] = msg.metadata_offset
        caught_up = msg.metadata_offset >= reg.epoch
        if msg.want_shutdown and not reg.fenced:
            self._controlled_shutdown(src, msg.broker_id, caught_up)
            return

        def reply(err: str | None) -> None:
            r = self.image.brokers[msg.broker_id]
            self.send(src, P.BrokerHeartbeatResponse(err, r.fenced, caught_up), daemon=True)
        if reg.fenced and caught_up:
            self.write(self._unfence(msg.broker_id), reply)
            return
        reply(None)

    def _controlled_shutdown(self, src: str, broker: int, caught_up: bool) -> None:
        """Rule 8: move the broker's leaderships and ISR places away; let it go once it leads
        nothing and every other active broker has applied that."""
        reg = self.image.brokers[broker]
        if not reg.in_controlled_shutdown:
            self.write(self._with_moves(
                BrokerRegistrationChangeRecord(broker, reg.epoch, in_controlled_shutdown=True),
                lambda: RC.fence_records(self.image, broker, self.elect_leader, "controlled shutdown")))
            self.shutdown_offsets[broker] = self.image.offset
        leads = any(st.leader == broker for parts in self.image.topics.values() for st in parts)
        need = self.shutdown_offsets.get(broker, -1)
        others = [b for b, r in self.image.brokers.items() if b != broker and not r.fenced]
        applied = all(self.broker_offsets.get(b, -1) >= need for b in others)
        if leads or not applied:
            self.send(src, P.BrokerHeartbeatResponse(None, False, caught_up), daemon=True)
            return
        fence = BrokerRegistrationChangeRecord(broker, reg.epoch, fenced=True, why="controlled shutdown")
        self.write([fence], lambda err: self.send(src, P.BrokerHeartbeatResponse(err, True, caught_up,
                                                                                 should_shutdown=err is None),
                                                   daemon=True))

    def _with_moves(self, change: BrokerRegistrationChangeRecord,
                    moves: Callable[[], list[PartitionChangeRecord]]) -> list[Any]:
        """`change` and the partition changes it makes (replication_control rules 3, 5), the
        latter computed on the image as `change` leaves the broker, which is put back after: the
        write applies both."""
        reg = self.image.brokers[change.broker_id]
        was = (reg.fenced, reg.in_controlled_shutdown)
        if change.fenced is not None:
            reg.fenced = change.fenced
        if change.in_controlled_shutdown is not None:
            reg.in_controlled_shutdown = change.in_controlled_shutdown
        try:
            return [change, *moves()]
        finally:
            reg.fenced, reg.in_controlled_shutdown = was

    def _unfence(self, broker: int) -> list[Any]:
        """Unfence `broker` and elect leaders for the offline partitions it can lead."""
        return self._with_moves(BrokerRegistrationChangeRecord(broker, self.image.brokers[broker].epoch, fenced=False),
                                lambda: RC.offline_records(self.image, self.elect_leader, "broker returned", broker))

    def _check_sessions(self, epoch: int) -> None:
        if not self._still_active(epoch):
            return
        timeout, now = self.cfg["broker.session.timeout.ms"], self.sim.now
        stale = [b for b, reg in sorted(self.image.brokers.items())
                 if not reg.fenced and now - self.sessions.get(b, now) > timeout]
        if stale:
            self.write(self._fence(stale[0], "session timeout"))
        self.after(10 if len(stale) > 1 else max(timeout // 8, 1), self._check_sessions, epoch, daemon=True)

    def _fence(self, broker: int, why: str) -> list[Any]:
        """Fence `broker` and move its partitions (replication_control rule 3)."""
        return self._with_moves(BrokerRegistrationChangeRecord(broker, self.image.brokers[broker].epoch, fenced=True,
                                                               why=why),
                                lambda: RC.fence_records(self.image, broker, self.elect_leader, why))

    # -- partitions --------------------------------------------------------------------------------
    def _on_alter_partition(self, src: str, msg: P.AlterPartition) -> None:
        error = RC.check_alter_partition(self.image, msg.broker_id, msg.tp, msg.leader_epoch, msg.partition_epoch,
                                         tuple(msg.new_isr))
        states = self.image.topics.get(msg.tp[0])
        if error is not None:
            st = states[msg.tp[1]] if states and msg.tp[1] < len(states) else None
            self.trace.state(self.sim.now, self.name, "isr.reject", tp=f"{msg.tp[0]}-{msg.tp[1]}", error=error)
            self.send(src, P.AlterPartitionResponse(msg.tp, error, st), daemon=True)
            return

        def reply(err: str | None) -> None:
            st = self.image.state(*msg.tp)
            self.send(src, P.AlterPartitionResponse(msg.tp, err, None if err else st), daemon=True)
        self.write([RC.alter_partition_record(self.image, msg.tp, tuple(msg.new_isr), self.elect_leader)], reply)

    def create_topic(self, name: str, partitions: int, replication_factor: int, config: dict[str, Any],
                     reply: Callable[[str | None], None] | None = None) -> None:
        """CreateTopics, as the active controller runs it (Kafka's errors, before any record)."""
        if name in self.image.topics:
            raise KafkaException("TOPIC_ALREADY_EXISTS", f"Topic '{name}' already exists.")
        assignment = place(RC.usable_brokers(self.image), partitions, replication_factor, self._placement_rng)
        self.write(RC.create_topic_records(self.image, name, assignment, config), reply)

    def add_partitions(self, name: str, total: int, reply: Callable[[str | None], None] | None = None) -> None:
        states = self._topic_states(name)
        if total <= len(states):
            raise KafkaException("INVALID_PARTITIONS", f"Topic currently has {len(states)} partitions, which is "
                                                       f"higher than the requested {total}.")
        assignment = place(RC.usable_brokers(self.image), total - len(states), len(states[0].replicas),
                           self._placement_rng)
        self.write(RC.add_partition_records(self.image, name, len(states), assignment), reply)

    def delete_topic(self, name: str, reply: Callable[[str | None], None] | None = None) -> None:
        """DeleteTopics: one RemoveTopicRecord (Kafka's errors, before any record)."""
        self._topic_states(name)
        self.write([RemoveTopicRecord(name)], reply)

    def _topic_states(self, name: str) -> list[P.PartitionState]:
        if name not in self.image.topics:
            raise KafkaException("UNKNOWN_TOPIC_OR_PART", f"This server does not host this topic-partition: {name}")
        return self.image.topics[name]

    def alter_topic_config(self, topic: str, changes: dict[str, Any],
                           reply: Callable[[str | None], None] | None = None) -> None:
        """ConfigRecords (a new `min.insync.replicas` clears the topic's ELR: rule 9). Turning
        unclean election on elects nobody at once: the periodic check does (rule 10)."""
        self._topic_states(topic)
        records: list[Any] = [ConfigRecord(topic, k, v) for k, v in sorted(changes.items())]
        if "min.insync.replicas" in changes and any(st.elr or st.last_known_elr for st in self.image.topics[topic]):
            records.append(ClearElrRecord(topic))
        self.write(records, reply)

    def _on_envelope(self, src: str, msg: P.EnvelopeRequest) -> None:
        """Rule 11: a forwarded admin request, answered when its records commit (or at once
        with Kafka's error, before any record)."""
        req = msg.request
        api = req.kind.removesuffix("Request")

        def answer(err: str | None, text: str = "", results: tuple = ()) -> None:
            self.send(src, P.EnvelopeResponse(msg.fid, P.AdminResponse(req.cid, api, err, text, results)), daemon=True)
        try:
            if api == "CreateTopics":
                self.create_topic(req.name, req.partitions, req.replication_factor, req.config, answer)
            elif api == "CreatePartitions":
                self.add_partitions(req.name, req.total, answer)
            elif api == "DeleteTopics":
                self.delete_topic(req.name, answer)
            elif api == "IncrementalAlterConfigs" and req.resource_type == "group":
                self.write([GroupConfigRecord(req.topic, k, v) for k, v in sorted(req.changes.items())], answer)
            elif api == "IncrementalAlterConfigs":
                self.alter_topic_config(req.topic, req.changes, answer)
            else:                                        # ElectLeaders (replication_control rule 8)
                records, results = RC.elect_leader_records(self.image, list(req.partitions), req.election_type,
                                                           self.elect_leader)
                done = tuple(sorted(results.items()))
                if not self.write(records, lambda err: answer(err, "", done)):
                    answer(None, "", done)
        except KafkaException as e:
            answer(e.error.name(), e.error.str())

    def _on_create_internal_topic(self, msg: P.CreateTopicsRequest) -> None:
        """Internal topics are created on first use, with the replication factor capped at the
        number of live brokers (Kafka would refuse until enough brokers are up)."""
        live = len(self.image.live_brokers())
        if msg.name in self.image.topics or live == 0:
            return
        from minikafka.config import TOPIC, resolve
        cfg = resolve(TOPIC, {"unclean.leader.election.enable": False, **msg.config})
        cfg = {k: cfg[k] for k in sorted({"min.insync.replicas", "unclean.leader.election.enable", *msg.config})}
        self.create_topic(msg.name, msg.partitions, min(msg.replication_factor, live), cfg)

    # -- producer ids (rule 4) ------------------------------------------------------------------------
    def _on_allocate_producer_ids(self, src: str, msg: P.AllocateProducerIdsRequest) -> None:
        reg = self.image.brokers.get(msg.broker_id)
        if reg is None or reg.epoch != msg.broker_epoch:
            self.send(src, P.AllocateProducerIdsResponse("STALE_BROKER_EPOCH", -1, 0), daemon=True)
            return
        first = self.image.next_producer_id

        def reply(err: str | None) -> None:
            self.send(src, P.AllocateProducerIdsResponse(err, first if err is None else -1,
                                                         PRODUCER_ID_BLOCK if err is None else 0), daemon=True)
        self.write([ProducerIdsRecord(msg.broker_id, reg.epoch, first + PRODUCER_ID_BLOCK)], reply)

    # -- views ---------------------------------------------------------------------------------------
    def last_heartbeat(self, broker: int) -> int:
        """When this (active) controller last heard from `broker` (a registration or heartbeat);
        -1 if never. Sessions live in the active controller's memory, not in the log."""
        return self.sessions.get(broker, -1)

    def live_brokers(self) -> tuple[int, ...]:
        return self.image.live_brokers()

    @property
    def topics(self) -> dict[str, list[P.PartitionState]]:
        return self.image.topics

    @property
    def topic_configs(self) -> dict[str, dict[str, Any]]:
        return self.image.topic_configs

    @property
    def brokers(self) -> dict[int, Any]:
        return self.image.brokers


_ANSWERS: dict[str, Callable[[Any], Any]] = {
    "BrokerHeartbeat": lambda m: P.BrokerHeartbeatResponse("NOT_CONTROLLER", True, False),
    "BrokerRegistration": lambda m: P.BrokerRegistrationResponse("NOT_CONTROLLER", -1),
    "AlterPartition": lambda m: P.AlterPartitionResponse(m.tp, "NOT_CONTROLLER", None),
    "AllocateProducerIdsRequest": lambda m: P.AllocateProducerIdsResponse("NOT_CONTROLLER", -1, 0),
    "EnvelopeRequest": lambda m: P.EnvelopeResponse(m.fid, P.admin_error(m.request, "NOT_CONTROLLER",
                                                                         "not the active controller")),
}
