"""A broker: the process that hosts replicas and answers requests. It dispatches each request
(Kafka: `KafkaApis`), runs its lifecycle (registration, heartbeats, crash and restart; Kafka:
`BrokerServer`, `BrokerLifecycleManager`), applies the controller's metadata, writes transaction
markers, and hosts the coordinators of the partitions of internal topics it leads. What it does
with its local replicas, Produce and Fetch with the requests that wait for them, is its replica
manager's (replica_manager.py, delayed_operations.py); its follower side is replica_fetcher.py.

Rules (with replica_manager.py's, kafka-semantics.md C.13, D.19-D.27, E.30, K.84-K.86):
1. The broker is an observer of the metadata quorum: it replicates the metadata log
   (raft/raft_client.py) and applies each committed record in offset order to its image
   (metadata/image.py); the partitions a delivery changed are then made leader or follower,
   each once, in its latest state. On restart it replays its log from the start, but acts on
   partitions only once the controller has first unfenced it (Kafka's RUNNING state: a
   starting broker leads nothing, so a broker back from a crash never leads on what its old
   log said; by then the controller has fenced its old incarnation and moved its leaderships).
   A deleted topic's replicas are deleted with their logs (unless the topic was created again
   in the same delivery).
1b. It registers with the active controller (the quorum leader it learns from its fetches),
   then heartbeats with the metadata offset it has applied: every 10 ms until it is first
   unfenced, then every `broker.heartbeat.interval.ms`. A refused registration is retried after
   an exponential back-off (100 ms, doubling, at most `broker.session.timeout.ms`, 2% seeded
   jitter): DUPLICATE_BROKER_REGISTRATION keeps a broker back from a crash waiting until the
   controller has fenced its old incarnation. A refused heartbeat (NOT_CONTROLLER, no
   controller known, a lost connection) is retried after 100 ms; STALE_BROKER_EPOCH registers
   again. Controller requests (AlterPartition, AllocateProducerIds, CreateTopics) go to the
   active controller it knows.
2. The OS writes the page cache to disk every `page_cache_flush_ms`; a power loss keeps only
   that; a process crash keeps the whole log.
3. InitProducerId without a transactional id returns a fresh producer id with epoch 0 from the
   broker's block of ids, leased from the controller (AllocateProducerIds, 1000 at a time; the
   next block is asked for when 90% are used); with no id left it answers
   COORDINATOR_LOAD_IN_PROGRESS (retriable). With a transactional id, the transaction coordinator
   answers.
4. WriteTxnMarkers: the leader appends one COMMIT or ABORT control batch per partition, refused
   with INVALID_PRODUCER_EPOCH if the producer already has a newer epoch there, and answers once
   the HW passes it (acks=all). Markers in `__consumer_offsets` complete transactional offset
   commits.
5. When it becomes leader of a partition of `__transaction_state`, `__consumer_offsets` or
   `__share_group_state` it loads that partition's coordinator state; when it stops leading, it drops it (internal_topics.py).
6. Controlled shutdown (`Cluster.stop_broker`): the broker heartbeats at once with WantShutDown,
   again 50 ms after the first answer, then every interval, and stops when the controller says
   ShouldShutDown (quorum_controller.py rule 8), flushing its logs. A broker not yet running
   stops at once; without an answer within 5 minutes it stops anyway (Kafka's shutdown deadline).
7. Admin requests (CreateTopics, CreatePartitions, DeleteTopics, IncrementalAlterConfigs,
   ElectLeaders) are forwarded to the active controller in an EnvelopeRequest (KIP-590), and
   its answer passed back; with no active controller known the answer is NOT_CONTROLLER (the
   admin client retries). A request lost with a crashed controller gets no answer: the client's
   request times out. One whose tiered-storage settings are invalid is answered INVALID_CONFIG at
   once (server/remote_log_manager.py rule 7; the remote tier's tasks are that module's too).
6b. A stop (not a crash) leaves a clean-shutdown file holding the broker epoch; the next start
   reads it (and removes it) and registers with it as `previous_broker_epoch`, -1 after a crash.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.controller.election import NO_LEADER
from minikafka.coordinator.group import consumer_group_heartbeat, share_group
from minikafka.coordinator.group.group_admin import REQUESTS as GROUP_ADMIN
from minikafka.coordinator.group.group_coordinator import GroupCoordinator
from minikafka.server.share.share_partition_manager import SharePartitionManager
from minikafka.coordinator.internal_topics import (CONSUMER_OFFSETS, SHARE_GROUP_STATE, TRANSACTION_STATE,
                                                   find_coordinator)
from minikafka.coordinator.share.share_coordinator import ShareCoordinator
from minikafka.coordinator.transaction.transaction_coordinator import TransactionCoordinator
from minikafka.coordinator.transaction.transaction_listing import describe_transactions, list_transactions
from minikafka.server.add_partitions_to_txn_manager import AddPartitionsToTxnManager
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import ConfigRecord, RemoveTopicRecord
from minikafka.raft.raft_client import RaftClient, RaftStorage
from minikafka.server.broker_lifecycle import BrokerLifecycle
from minikafka.server.broker_metrics import BrokerMetrics
from minikafka.server import config_helper, list_offsets
from minikafka.server.delete_records import DeleteRecordsManager
from minikafka.server.describe_producers import describe_producers
from minikafka.server.log_manager import LogManager
from minikafka.server.remote_log_manager import RemoteLogManager, config_error
from minikafka.server.replica_fetcher import ReplicaFetcher
from minikafka.server.replica_manager import ReplicaManager
from minikafka.server.replication import high_watermark
from minikafka.sim.network import Network, Node
from minikafka.storage.records import control_batch
from minikafka.storage.remote_storage import RemoteStorage

if TYPE_CHECKING:
    from minikafka.server.partition import Replica
    from minikafka.sim.trace import Trace


FORWARDED = frozenset({"CreateTopicsRequest", "CreatePartitionsRequest", "DeleteTopicsRequest",
                       "IncrementalAlterConfigsRequest", "ElectLeadersRequest"})       # rule 7


def broker_name(broker_id: int) -> str:
    return f"b{broker_id}"


class Broker(BrokerLifecycle, Node):
    def __init__(self, broker_id: int, net: Network, trace: "Trace", config: dict[str, Any],
                 page_cache_flush_ms: int = 5000, voters: tuple[str, ...] = ("c1",), rack: str | None = None,
                 remote_storage: RemoteStorage | None = None) -> None:
        super().__init__(broker_name(broker_id), net)
        self.id = broker_id
        self.rack = rack                            # broker.rack
        self.trace = trace
        self.cfg = config
        self.flush_ms = page_cache_flush_ms
        self.replicas: dict[tuple, Replica] = {}       # survives restarts (the logs are on disk)
        self.metadata_storage = RaftStorage()           # the metadata log, on disk too
        self.raft = RaftClient(self, voters, self.metadata_storage, config, trace)
        self.raft.on_commit = self._on_metadata_commit
        self.raft.on_delivered = self._on_metadata_delivered
        self.raft.on_leader = self._on_quorum_leader
        self.member_rng = self.sim.rng(f"member-ids/{broker_id}")     # survives restarts: ids stay unique
        self.lifecycle_rng = self.sim.rng(f"lifecycle/{broker_id}")    # registration back-off jitter
        self.hw_rule = high_watermark                                  # a seam (seams.py)
        self.past_metrics: list[BrokerMetrics] = []                    # earlier processes' (broker_metrics rule 1)
        self.clean_shutdown_epoch = -1              # the clean-shutdown file, on disk (rule 6b)
        self.remote_storage = remote_storage if remote_storage is not None else RemoteStorage()   # the cluster's
        self._volatile()
        self.start()

    def _volatile(self) -> None:
        self.image = MetadataImage()
        self.changed: dict[tuple, P.PartitionState] = {}   # partitions a delivery changed (rule 1)
        self.deleted: list[str] = []                        # topics a delivery deleted (rule 1)
        self.forwarded: dict[int, str] = {}                 # envelope id -> the client (rule 7)
        self._fid = 0
        self.controller: str | None = None          # the active controller, as the quorum says
        self.broker_epoch = -1                      # -1: not registered
        self.registration_failures = 0
        self.previous_epoch = -1                    # read from the clean-shutdown file at start (rule 6b)
        self.unfenced_once = False                  # RUNNING: acts on partitions (rule 1)
        self.want_shutdown = False                  # controlled shutdown asked for (rule 6)
        self.shutdown_answers = 0
        self.lifecycle_in_flight = False
        self.lifecycle_sent: Any = None
        self.lifecycle_timer: Any = None
        self.lifecycle_timeout: Any = None
        self.pids: tuple[int, int] = (0, 0)        # producer ids [next, end) of this broker's block
        self.next_block: tuple[int, int] | None = None
        self.pids_asked = False
        self.fetcher = ReplicaFetcher(self)
        self.log_manager = LogManager(self)
        self.remote_log_manager = RemoteLogManager(self)
        self.delete_records = DeleteRecordsManager(self)
        self.replica_manager = ReplicaManager(self)     # its purgatories die with the process
        self.txn_verifier = AddPartitionsToTxnManager(self)
        for r in getattr(self, "replicas", {}).values():
            r.producer_state.guards.clear()              # verification guards are in memory only
        self._cid = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.metrics = BrokerMetrics()
        self.past_metrics.append(self.metrics)
        self.create_requested: dict[str, int] = {}
        self.txn_coordinator = TransactionCoordinator(self)
        self.group_coordinator = GroupCoordinator(self)
        self.share_partitions = SharePartitionManager(self)
        self.share_coordinator = ShareCoordinator(self)
        self.coordinators = {TRANSACTION_STATE: self.txn_coordinator, CONSUMER_OFFSETS: self.group_coordinator,
                             SHARE_GROUP_STATE: self.share_coordinator}
        self.raft.start()
        self.after(self.flush_ms, self._flush_page_cache, daemon=True)
        self.replica_manager.startup()
        self.log_manager.startup()

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

    def stop(self, controlled: bool) -> None:
        """The process exits after a shutdown (the logs are flushed on the way out)."""
        self.alive = False
        for r in self.replicas.values():
            r.log.flush()
        self.clean_shutdown_epoch = self.broker_epoch
        self.trace.state(self.sim.now, self.name, "broker.stop", controlled=controlled)
        self._volatile()
        self.net.process_crashed(self.name)

    def restart(self) -> None:
        if self.alive:
            raise RuntimeError(f"broker {self.id} is running; crash it first")
        self.alive = self.powered = True
        self.incarnation += 1
        for r in self.replicas.values():
            r.reset_after_restart()
        self.previous_epoch, self.clean_shutdown_epoch = self.clean_shutdown_epoch, -1
        self.trace.state(self.sim.now, self.name, "broker.restart", incarnation=self.incarnation)
        self.start()

    # -- the metadata log and the active controller (rules 1, 1b) ---------------------------
    @property
    def metadata(self) -> dict[str, list[P.PartitionState]]:
        return self.image.topics

    @property
    def topic_configs(self) -> dict[str, dict[str, Any]]:
        return self.image.topic_configs

    @property
    def live_brokers(self) -> tuple[int, ...]:
        return self.image.live_brokers()

    def _on_metadata_commit(self, batch: Any) -> None:
        if batch.control:
            return
        changed, image = self.changed, self.image
        for i, rec in enumerate(batch.records):
            if type(rec.value) is ConfigRecord:
                image.apply(batch.base_offset + i, rec.value)
                self.log_manager.on_config_change(rec.value.topic)
                continue
            if type(rec.value) is RemoveTopicRecord:
                self.deleted.append(rec.value.name)
                for tp in [tp for tp in changed if tp[0] == rec.value.name]:
                    del changed[tp]
            for st in image.apply(batch.base_offset + i, rec.value):
                if self.id in st.replicas:
                    changed[st.tp] = st

    def _on_metadata_delivered(self) -> None:
        if not self.unfenced_once:
            return                                  # still starting: keep what changed (rule 1)
        changed, self.changed = self.changed, {}
        deleted, self.deleted = self.deleted, []
        for topic in deleted:
            if topic not in self.image.topics:              # not created again meanwhile
                self.replica_manager.delete_topic(topic)
                self.remote_log_manager.on_topic_deleted(topic)
        for st in changed.values():
            self._apply(st)

    def _on_quorum_leader(self, leader: str | None, epoch: int) -> None:
        if leader != self.controller:
            self.controller = leader
            if leader is not None and not self.lifecycle_in_flight:
                self._schedule_lifecycle(0)

    def send_to_controller(self, msg: Any, daemon: bool = True) -> bool:
        """Send to the active controller this broker knows; False if it knows none."""
        if self.controller is None:
            return False
        self.send(self.controller, msg, daemon=daemon)
        return True

    def _flush_page_cache(self) -> None:
        for r in self.replicas.values():
            r.log.flush()
        self.after(self.flush_ms, self._flush_page_cache, daemon=True)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self.txn_coordinator.on_disconnect(peer, incarnation)
        self.txn_verifier.on_disconnect(peer, incarnation)
        self.fetcher.on_disconnect(peer, incarnation)
        self.raft.on_disconnect(peer)
        if peer == self.controller and self.lifecycle_in_flight:
            self._lifecycle_answered()
            self._schedule_lifecycle(100)
        if peer == self.controller and self.pids_asked:
            self.pids_asked = False

    # -- dispatch ----------------------------------------------------------
    def receive(self, src: str, msg: Any) -> None:
        kind = msg.kind
        if kind == "FetchRequest":
            self.replica_manager.fetch_messages(src, msg)
        elif kind == "FetchResponse":
            self.fetcher.on_fetch_response(src, msg)
        elif kind == "ProduceRequest":
            self._on_produce(src, msg)
        elif kind == "MetadataRequest":
            self._on_metadata_request(src, msg)
        elif kind == "ListOffsetsRequest":
            self.send(src, list_offsets.handle(self, msg))
        elif kind == "ListOffsetsResponse":
            self.fetcher.on_list_offsets_response(src, msg)
        elif kind == "DeleteRecordsRequest":
            self.delete_records.handle(src, msg)
        elif kind == "InitProducerIdRequest":
            self._on_init_producer_id(src, msg)
        elif kind == "OffsetsForLeaderEpochRequest":
            self._on_offsets_for_leader_epoch(src, msg)
        elif kind == "AlterPartitionResponse":
            self.replica_manager.on_alter_partition_response(msg)
        elif kind == "BrokerHeartbeatResponse":
            self._on_heartbeat_response(msg)
        elif kind == "BrokerRegistrationResponse":
            self._on_registration_response(msg)
        elif kind == "AllocateProducerIdsResponse":
            self._on_producer_ids(msg)
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
        elif kind == "AddPartitionsToTxnResponse":
            self.txn_verifier.on_response(msg)
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
        elif kind == "ConsumerGroupHeartbeatRequest":
            consumer_group_heartbeat.handle(self.group_coordinator, src, msg)
        elif kind == "ShareGroupHeartbeatRequest":
            share_group.handle(self.group_coordinator, src, msg)
        elif kind == "ShareFetchRequest":
            self.share_partitions.on_fetch(src, msg)
        elif kind == "ShareAcknowledgeRequest":
            self.share_partitions.on_acknowledge(src, msg)
        elif kind in ("ReadShareGroupStateResponse", "WriteShareGroupStateResponse"):
            self.share_partitions.on_state_response(msg)
        elif kind == "ReadShareGroupStateRequest":
            self.share_coordinator.on_read(src, msg)
        elif kind == "WriteShareGroupStateRequest":
            self.share_coordinator.on_write(src, msg)
        elif kind == "ListTransactionsRequest":
            self.send(src, list_transactions(self.txn_coordinator, msg))
        elif kind == "DescribeTransactionsRequest":
            self.send(src, describe_transactions(self.txn_coordinator, msg))
        elif kind == "DescribeProducersRequest":
            self.send(src, describe_producers(self, msg))
        elif kind == "DescribeConfigsRequest":
            self.send(src, config_helper.describe(self, msg))
        elif kind in GROUP_ADMIN:
            GROUP_ADMIN[kind](self.group_coordinator, src, msg)
        elif kind in FORWARDED:
            self._forward(src, msg)
        elif kind == "EnvelopeResponse":
            client = self.forwarded.pop(msg.fid, None)
            if client is not None:
                self.send(client, msg.response)
        elif not self.raft.receive(src, msg):
            self.on_other(src, msg)

    def _forward(self, src: str, msg: Any) -> None:
        """Rule 7: an admin request goes to the active controller in an envelope."""
        error = config_error(self, msg)
        if error is not None:
            self.send(src, P.admin_error(msg, "INVALID_CONFIG", error))
            return
        self._fid += 1
        if self.send_to_controller(P.EnvelopeRequest(self._fid, msg), daemon=False):
            self.forwarded[self._fid] = src
        else:
            self.send(src, P.admin_error(msg, "NOT_CONTROLLER", "this broker knows no active controller"))

    def on_other(self, src: str, msg: Any) -> None:
        raise TypeError(f"broker {self.id} cannot handle {msg.kind}")

    # -- metadata ----------------------------------------------------------
    def _apply(self, st: P.PartitionState) -> None:
        """The local replica becomes leader or follower (replica_manager.py); then the
        coordinator of an internal topic's partition learns it (rule 5), and a follower fetches
        from its leader (replica_fetcher.py)."""
        r = self.replica_manager.apply_partition_state(st)
        if r is None:
            return
        if st.topic in self.coordinators:
            self.coordinators[st.topic].on_role_change(r)
        self.remote_log_manager.on_partition_state(r)
        if st.leader != self.id and st.leader != NO_LEADER:
            self.fetcher.fetch_from(st.leader)

    def on_hw_advance(self, r: Replica) -> None:
        """Hook after the HW moved (transactions complete markers, the LSO moves); the replica
        manager calls it."""

    def _on_metadata_request(self, src: str, msg: P.MetadataRequest) -> None:
        topics = msg.topics if msg.topics is not None else tuple(sorted(self.metadata))
        found = {t: tuple(self.metadata[t]) for t in topics if t in self.metadata}
        unknown = tuple(t for t in topics if t not in self.metadata)
        self.send(src, P.MetadataResponse(msg.cid, self.live_brokers, found, unknown, self.finalized_features()),
                  daemon=True)

    def finalized_features(self) -> tuple[tuple[str, int], ...]:
        """The feature levels this broker's metadata has finalized, which clients learn from its
        answers (Kafka: ApiVersionsResponse's FinalizedFeatures; minikafka has no ApiVersions, so
        Metadata and FindCoordinator answers carry them)."""
        return tuple(sorted(self.image.features.items()))

    # -- produce and OffsetsForLeaderEpoch (the replica manager's) ----------------
    def _on_produce(self, src: str, msg: P.ProduceRequest) -> None:
        arrived, times = self.sim.now, self.metrics.times["Produce"]

        def respond(results: list) -> None:
            times.update(self.sim.now - arrived)
            self.send(src, P.ProduceResponse(msg.cid, results))
        self.txn_verifier.produce(msg, respond)

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
        if pid is None:
            self.send(src, P.InitProducerIdResponse(msg.cid, "COORDINATOR_LOAD_IN_PROGRESS", -1, -1))
            return
        self.trace.state(self.sim.now, self.name, "producer_id.allocate", pid=pid, client=src)
        self.send(src, P.InitProducerIdResponse(msg.cid, None, pid, 0))

    def allocate_producer_id(self) -> int | None:
        """The next id of this broker's block (rule 3), or None when it has none left."""
        nxt, end = self.pids
        if nxt >= end and self.next_block is not None:
            (nxt, end), self.next_block = self.next_block, None
        if nxt >= end:
            self._maybe_ask_producer_ids()
            return None
        self.pids = (nxt + 1, end)
        self._maybe_ask_producer_ids()
        return nxt

    def _maybe_ask_producer_ids(self) -> None:
        """Ask for the next block once at most 100 ids are left (90% of a block of 1000 used)."""
        if not self.pids_asked and self.next_block is None and self.broker_epoch >= 0 \
                and self.pids[1] - self.pids[0] <= 100:
            self.pids_asked = self.send_to_controller(P.AllocateProducerIdsRequest(self.id, self.broker_epoch))

    def _on_producer_ids(self, msg: P.AllocateProducerIdsResponse) -> None:
        self.pids_asked = False
        if msg.error is not None:
            self.after(100, self._maybe_ask_producer_ids, daemon=True)
            return
        block = (msg.first, msg.first + msg.count)
        if self.pids[0] >= self.pids[1]:
            self.pids = block
        else:
            self.next_block = block

    # -- transaction markers (partition leader side) -----------------------------------------
    def _on_write_txn_markers(self, src: str, msg: P.WriteTxnMarkersRequest) -> None:
        """Append a COMMIT/ABORT control batch to each partition (acks=all), answer per partition."""
        kind = "COMMIT" if msg.committed else "ABORT"
        batches = [(tp, control_batch(kind, msg.producer_id, msg.producer_epoch, self.sim.now, msg.coordinator_epoch))
                   for tp in msg.partitions]

        def respond(results: list) -> None:
            self.send(src, P.WriteTxnMarkersResponse(msg.cid, tuple((tp, err) for tp, err, _ in results)))
            self.on_markers_written(msg, results)
        self.replica_manager.append_records(batches, -1, self.cfg["request.timeout.ms"], respond,
                                            internal_topics_allowed=True, marker_v2=msg.v2)

    def on_markers_written(self, msg: P.WriteTxnMarkersRequest, results: list) -> None:
        """The group coordinator completes transactional offset commits."""
        for tp, err, _ in results:
            if err is None and tp[0] == CONSUMER_OFFSETS:
                self.group_coordinator.on_marker(tp[1], msg.producer_id, msg.committed)
