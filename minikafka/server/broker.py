"""A broker: the process that hosts replicas and answers requests. It dispatches each request
(Kafka: `KafkaApis`), runs its lifecycle (registration, heartbeats, crash and restart; Kafka:
`BrokerServer`, `BrokerLifecycleManager`), applies the controller's metadata, writes transaction
markers, and hosts the coordinators of the partitions of internal topics it leads. What it does
with its local replicas, Produce and Fetch with the requests that wait for them, is its replica
manager's (replica_manager.py, delayed_operations.py); its follower side is replica_fetcher.py.

Rules (with replica_manager.py's, kafka-semantics.md C.13, D.19-D.27, E.30):
1. Every `broker.heartbeat.interval.ms` the broker heartbeats to the controller; metadata
   deltas arrive as UpdateMetadata and apply in version order (a gap waits for a snapshot).
2. The OS writes the page cache to disk every `page_cache_flush_ms`; a power loss keeps only
   that; a process crash keeps the whole log.
3. InitProducerId without a transactional id returns a fresh producer id with epoch 0
   (simplification: ids come from the controller's counter, with no AllocateProducerIds round trip);
   with one, the transaction coordinator answers.
4. WriteTxnMarkers: the leader appends one COMMIT or ABORT control batch per partition, refused
   with INVALID_PRODUCER_EPOCH if the producer already has a newer epoch there, and answers once
   the HW passes it (acks=all). Markers in `__consumer_offsets` complete transactional offset
   commits.
5. When it becomes leader of a partition of `__transaction_state` or `__consumer_offsets` it
   loads that partition's coordinator state; when it stops leading, it drops it (internal_topics.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.controller.controller import CONTROLLER
from minikafka.controller.election import NO_LEADER
from minikafka.coordinator.group.group_coordinator import GroupCoordinator
from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, TRANSACTION_STATE, find_coordinator
from minikafka.coordinator.transaction.transaction_coordinator import TransactionCoordinator
from minikafka.server.broker_metrics import BrokerMetrics
from minikafka.server.replica_fetcher import ReplicaFetcher
from minikafka.server.replica_manager import ReplicaManager
from minikafka.server.replication import high_watermark
from minikafka.sim.network import Network, Node
from minikafka.storage.records import control_batch

if TYPE_CHECKING:
    from minikafka.server.partition import Replica
    from minikafka.sim.trace import Trace


def broker_name(broker_id: int) -> str:
    return f"b{broker_id}"


class Broker(Node):
    def __init__(self, broker_id: int, net: Network, trace: "Trace", config: dict[str, Any],
                 page_cache_flush_ms: int = 5000, allocate_producer_id: Any = None) -> None:
        super().__init__(broker_name(broker_id), net)
        self.id = broker_id
        self.trace = trace
        self.cfg = config
        self.flush_ms = page_cache_flush_ms
        self.replicas: dict[tuple, Replica] = {}       # survives restarts (the logs are on disk)
        self.allocate_producer_id = allocate_producer_id
        self.member_rng = self.sim.rng(f"member-ids/{broker_id}")     # survives restarts: ids stay unique
        self.hw_rule = high_watermark                                  # a seam (seams.py)
        self.past_metrics: list[BrokerMetrics] = []                    # earlier processes' (broker_metrics rule 1)
        self._volatile()
        self.start()

    def _volatile(self) -> None:
        self.metadata: dict[str, list[P.PartitionState]] = {}
        self.topic_configs: dict[str, dict[str, Any]] = {}
        self.live_brokers: tuple[int, ...] = ()
        self.version = 0
        self.registered = False
        self.fetcher = ReplicaFetcher(self)
        self.replica_manager = ReplicaManager(self)     # its purgatories die with the process
        self._cid = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.metrics = BrokerMetrics()
        self.past_metrics.append(self.metrics)
        self.create_requested: dict[str, int] = {}
        self.txn_coordinator = TransactionCoordinator(self)
        self.group_coordinator = GroupCoordinator(self)
        self.coordinators = {TRANSACTION_STATE: self.txn_coordinator, CONSUMER_OFFSETS: self.group_coordinator}
        self._heartbeat()
        self.after(self.flush_ms, self._flush_page_cache, daemon=True)
        self.replica_manager.startup()

    def crash(self, power_loss: bool = False) -> None:
        self.alive = False
        lost = {}
        if power_loss:
            self.powered = False
            for tp in sorted(self.replicas):
                n = self.replicas[tp].log.lose_unflushed()
                if n:
                    lost[f"{tp[0]}-{tp[1]}"] = n
                    self.replicas[tp].lost_tail = True
        self.trace.state(self.sim.now, self.name, "broker.crash", power_loss=power_loss,
                         lost=tuple(f"{k}:{v}" for k, v in lost.items()))
        self._volatile()
        if not power_loss:
            self.net.process_crashed(self.name)

    def restart(self) -> None:
        if self.alive:
            raise RuntimeError(f"broker {self.id} is running; crash it first")
        self.alive = self.powered = True
        self.incarnation += 1
        for r in self.replicas.values():
            r.reset_after_restart()
        self.trace.state(self.sim.now, self.name, "broker.restart", incarnation=self.incarnation)
        self.start()

    def _heartbeat(self) -> None:
        if self.registered:
            self.send(CONTROLLER, P.BrokerHeartbeat(self.id, self.incarnation, self.version), daemon=True)
        else:
            self.send(CONTROLLER, P.BrokerRegistration(self.id, self.incarnation))
        self.after(self.cfg["broker.heartbeat.interval.ms"], self._heartbeat, daemon=True)

    def _flush_page_cache(self) -> None:
        for r in self.replicas.values():
            r.log.flush()
        self.after(self.flush_ms, self._flush_page_cache, daemon=True)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self.txn_coordinator.on_disconnect(peer, incarnation)
        self.fetcher.on_disconnect(peer, incarnation)

    # -- dispatch ----------------------------------------------------------
    def receive(self, src: str, msg: Any) -> None:
        kind = msg.kind
        if kind == "FetchRequest":
            self.replica_manager.fetch_messages(src, msg)
        elif kind == "FetchResponse":
            self.fetcher.on_fetch_response(src, msg)
        elif kind == "ProduceRequest":
            self._on_produce(src, msg)
        elif kind == "UpdateMetadata":
            self._on_metadata(msg)
        elif kind == "MetadataRequest":
            self._on_metadata_request(src, msg)
        elif kind == "ListOffsetsRequest":
            self._on_list_offsets(src, msg)
        elif kind == "InitProducerIdRequest":
            self._on_init_producer_id(src, msg)
        elif kind == "OffsetsForLeaderEpochRequest":
            self._on_offsets_for_leader_epoch(src, msg)
        elif kind == "AlterPartitionResponse":
            self.replica_manager.on_alter_partition_response(msg)
        elif kind == "BrokerHeartbeatResponse":
            if not msg.registered:
                self.registered = False
        elif kind == "FindCoordinatorRequest":
            find_coordinator(self, src, msg)
        elif kind == "AddPartitionsToTxnRequest":
            self.txn_coordinator.on_add_partitions(src, msg)
        elif kind == "AddOffsetsToTxnRequest":
            self.txn_coordinator.on_add_offsets(src, msg)
        elif kind == "EndTxnRequest":
            self.txn_coordinator.on_end_txn(src, msg)
        elif kind == "WriteTxnMarkersRequest":
            self._on_write_txn_markers(src, msg)
        elif kind == "WriteTxnMarkersResponse":
            self.txn_coordinator.on_markers_response(src, msg)
        elif kind == "OffsetCommitRequest":
            self.group_coordinator.on_offset_commit(src, msg)
        elif kind == "TxnOffsetCommitRequest":
            self.group_coordinator.on_txn_offset_commit(src, msg)
        elif kind == "OffsetFetchRequest":
            self.group_coordinator.on_offset_fetch(src, msg)
        elif kind == "JoinGroupRequest":
            self.group_coordinator.on_join_group(src, msg)
        elif kind == "SyncGroupRequest":
            self.group_coordinator.on_sync_group(src, msg)
        elif kind == "HeartbeatRequest":
            self.group_coordinator.on_heartbeat(src, msg)
        elif kind == "LeaveGroupRequest":
            self.group_coordinator.on_leave_group(src, msg)
        else:
            self.on_other(src, msg)

    def on_other(self, src: str, msg: Any) -> None:
        raise TypeError(f"broker {self.id} cannot handle {msg.kind}")

    # -- metadata ----------------------------------------------------------
    def _on_metadata(self, msg: P.UpdateMetadata) -> None:
        if msg.full:
            self.metadata = {}
            self.topic_configs = {}
            if not self.registered:
                self.registered = True
                self.send(CONTROLLER, P.BrokerHeartbeat(self.id, self.incarnation, msg.version), daemon=True)
        elif msg.version != self.version + 1:
            return                      # a gap: the next heartbeat brings a snapshot
        self.version = msg.version
        self.live_brokers = msg.live_brokers
        self.topic_configs.update(msg.topic_configs)
        for st in msg.partitions:
            parts = self.metadata.setdefault(st.topic, [])
            while len(parts) <= st.partition:
                parts.append(None)      # type: ignore[arg-type]
            parts[st.partition] = st
            if self.id in st.replicas:
                self._apply(st)

    def _apply(self, st: P.PartitionState) -> None:
        """The local replica becomes leader or follower (replica_manager.py); then the
        coordinator of an internal topic's partition learns it (rule 5), and a follower fetches
        from its leader (replica_fetcher.py)."""
        r = self.replica_manager.apply_partition_state(st)
        if r is None:
            return
        if st.topic in self.coordinators:
            self.coordinators[st.topic].on_role_change(r)
        if st.leader != self.id and st.leader != NO_LEADER:
            self.fetcher.fetch_from(st.leader)

    def on_hw_advance(self, r: Replica) -> None:
        """Hook after the HW moved (transactions complete markers, the LSO moves); the replica
        manager calls it."""

    def _on_metadata_request(self, src: str, msg: P.MetadataRequest) -> None:
        topics = msg.topics if msg.topics is not None else tuple(sorted(self.metadata))
        found = {t: tuple(self.metadata[t]) for t in topics if t in self.metadata}
        unknown = tuple(t for t in topics if t not in self.metadata)
        self.send(src, P.MetadataResponse(msg.cid, self.live_brokers, found, unknown), daemon=True)

    # -- produce and OffsetsForLeaderEpoch (the replica manager's) ----------------
    def _on_produce(self, src: str, msg: P.ProduceRequest) -> None:
        arrived, times = self.sim.now, self.metrics.times["Produce"]

        def respond(results: list) -> None:
            times.update(self.sim.now - arrived)
            self.send(src, P.ProduceResponse(msg.cid, results))
        self.replica_manager.append_records(msg.batches, msg.acks, msg.timeout_ms, respond,
                                            internal_topics_allowed=False)

    def _on_offsets_for_leader_epoch(self, src: str, msg: P.OffsetsForLeaderEpochRequest) -> None:
        results = self.replica_manager.last_offset_for_leader_epoch(msg.partitions)
        self.send(src, P.OffsetsForLeaderEpochResponse(msg.cid, results))

    # -- producer ids --------------------------------------------------------
    def _on_init_producer_id(self, src: str, msg: P.InitProducerIdRequest) -> None:
        """Without a transactional id: always a fresh producer id, epoch 0 (F.35); with one, the
        transaction coordinator answers."""
        if msg.transactional_id is not None:
            self.txn_coordinator.on_init_producer_id(src, msg)
            return
        pid = self.allocate_producer_id()
        self.trace.state(self.sim.now, self.name, "producer_id.allocate", pid=pid, client=src)
        self.send(src, P.InitProducerIdResponse(msg.cid, None, pid, 0))

    # -- transaction markers (partition leader side) -----------------------------------------
    def _on_write_txn_markers(self, src: str, msg: P.WriteTxnMarkersRequest) -> None:
        """Append a COMMIT/ABORT control batch to each partition (acks=all), answer per partition."""
        kind = "COMMIT" if msg.committed else "ABORT"
        batches = [(tp, control_batch(kind, msg.producer_id, msg.producer_epoch, self.sim.now))
                   for tp in msg.partitions]

        def respond(results: list) -> None:
            self.send(src, P.WriteTxnMarkersResponse(msg.cid, tuple((tp, err) for tp, err, _ in results)))
            self.on_markers_written(msg, results)
        self.replica_manager.append_records(batches, -1, self.cfg["request.timeout.ms"], respond,
                                            internal_topics_allowed=True)

    def on_markers_written(self, msg: P.WriteTxnMarkersRequest, results: list) -> None:
        """The group coordinator completes transactional offset commits."""
        for tp, err, _ in results:
            if err is None and tp[0] == CONSUMER_OFFSETS:
                self.group_coordinator.on_marker(tp[1], msg.producer_id, msg.committed)

    # -- list offsets --------------------------------------------------------
    def _on_list_offsets(self, src: str, msg: P.ListOffsetsRequest) -> None:
        results = []
        for tp, ts in msg.partitions:
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                results.append((tp, "NOT_LEADER_OR_FOLLOWER", -1))
            elif ts == -2:
                results.append((tp, None, r.log.log_start_offset))
            else:
                results.append((tp, None, r.lso if msg.isolation == "read_committed" else r.hw))
        self.send(src, P.ListOffsetsResponse(msg.cid, results))
