"""A broker: hosts replicas, serves Produce, Fetch, Metadata and ListOffsets, writes transaction
markers, and hosts the coordinators of the partitions of internal topics it leads. Its follower
side is replica_fetcher.py.

Rules (kafka-semantics.md C.13, D.19-D.27, E.30):
1. Produce goes to the leader only (else NOT_LEADER_OR_FOLLOWER). acks=all is refused with
   NOT_ENOUGH_REPLICAS, and nothing is written, when the ISR is below the effective min ISR.
2. acks=0: append, no response. acks=1: append, respond. acks=all: append, respond once the HW
   passes the batch (NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR fell below min meanwhile;
   REQUEST_TIMED_OUT after the request's timeout; NOT_LEADER_OR_FOLLOWER if leadership moves).
3. Fetch checks the leader epoch (FENCED_LEADER_EPOCH when the requester's is older,
   UNKNOWN_LEADER_EPOCH when newer). A follower's fetch reports its LEO; when its last fetched
   epoch ends earlier on the leader, the response carries `diverging_epoch` and the follower
   truncates (KIP-279). Followers read up to the LEO, consumers up to the HW (read_uncommitted)
   or the LSO (read_committed, with the aborted transactions of the range, transaction_index.py).
4. A fetch with nothing to return waits up to its max wait; an append (followers) or an HW
   advance (consumers) answers it early.
5. Every `broker.heartbeat.interval.ms` the broker heartbeats to the controller; metadata
   deltas arrive as UpdateMetadata and apply in version order (a gap waits for a snapshot).
6. The OS writes the page cache to disk every `page_cache_flush_ms`; a power loss keeps only
   that; a process crash keeps the whole log.
7. Batches with a producer id pass the idempotence checks of `producer_state.py` first: a duplicate
   is acknowledged with its original offset (after the HW passes it, for acks=all), a gap gets
   OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH.
8. InitProducerId without a transactional id returns a fresh producer id with epoch 0
   (simplification: ids come from the controller's counter, with no AllocateProducerIds round trip);
   with one, the transaction coordinator answers.
9. WriteTxnMarkers: the leader appends one COMMIT or ABORT control batch per partition, refused
   with INVALID_PRODUCER_EPOCH if the producer already has a newer epoch there, and answers once
   the HW passes it (acks=all). Markers in `__consumer_offsets` complete transactional offset
   commits.
10. When it becomes leader of a partition of `__transaction_state` or `__consumer_offsets` it
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
from minikafka.server.partition import Replica
from minikafka.server.replica_fetcher import ReplicaFetcher
from minikafka.server.replication import high_watermark
from minikafka.sim.network import Network, Node
from minikafka.storage.records import control_batch

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace


def broker_name(broker_id: int) -> str:
    return f"b{broker_id}"


class DelayedProduce:
    """An acks=all append waiting for the HW to pass its batches."""

    __slots__ = ("respond", "results", "waiting", "timer", "done")

    def __init__(self, respond: Any, results: dict, waiting: dict) -> None:
        self.respond = respond
        self.results: dict[tuple, tuple[str | None, int]] = results   # tp -> (error, base offset)
        self.waiting: dict[tuple, tuple[int, int]] = waiting           # tp -> (required HW, base)
        self.timer = None
        self.done = False


class ParkedFetch:
    __slots__ = ("src", "msg", "timer", "done")

    def __init__(self, src: str, msg: P.FetchRequest) -> None:
        self.src, self.msg, self.timer, self.done = src, msg, None, False


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
        self._volatile()
        self.start()

    def _volatile(self) -> None:
        self.metadata: dict[str, list[P.PartitionState]] = {}
        self.topic_configs: dict[str, dict[str, Any]] = {}
        self.live_brokers: tuple[int, ...] = ()
        self.version = 0
        self.registered = False
        self.fetcher = ReplicaFetcher(self)
        self.parked: dict[tuple, list[ParkedFetch]] = {}
        self.delayed: dict[tuple, list[DelayedProduce]] = {}
        self._cid = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.create_requested: dict[str, int] = {}
        self.txn_coordinator = TransactionCoordinator(self)
        self.group_coordinator = GroupCoordinator(self)
        self.coordinators = {TRANSACTION_STATE: self.txn_coordinator, CONSUMER_OFFSETS: self.group_coordinator}
        self._heartbeat()
        self.after(self.flush_ms, self._flush_page_cache, daemon=True)
        self.after(self.cfg["replica.lag.time.max.ms"] // 2, self._check_isr, daemon=True)

    def crash(self, power_loss: bool = False) -> None:
        self.alive = False
        lost = {}
        if power_loss:
            self.powered = False
            for tp in sorted(self.replicas):
                n = self.replicas[tp].log.lose_unflushed()
                if n:
                    lost[f"{tp[0]}-{tp[1]}"] = n
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

    # -- dispatch ----------------------------------------------------------
    def receive(self, src: str, msg: Any) -> None:
        kind = msg.kind
        if kind == "FetchRequest":
            self._on_fetch(src, msg)
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
            self._on_alter_partition_response(msg)
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
        r = self.replicas.get(st.tp)
        if r is None:
            r = self.replicas[st.tp] = Replica(self.id, st.topic, st.partition)
            r.hw_rule = self.hw_rule
        r.config = self.topic_configs[st.topic]
        if st.partition_epoch < r.partition_epoch and st.leader_epoch <= r.leader_epoch:
            return
        was_leader, old_leader, old_epoch = r.is_leader, r.leader, r.leader_epoch
        r.partition_epoch = st.partition_epoch
        now = self.sim.now
        if st.leader == self.id:
            if not was_leader or st.leader_epoch != old_epoch:
                r.become_leader(st.leader_epoch, st.isr, st.replicas, now)
                self.trace.state(now, self.name, "become.leader", tp=_n(st.tp), epoch=st.leader_epoch,
                                 leo=r.leo, hw=r.hw, isr=st.isr)
            else:
                r.isr = st.isr
                if r.pending_isr is not None and r.pending_isr == st.isr:
                    r.pending_isr = None
            self._after_leader_change(r)
            if st.topic in self.coordinators:
                self.coordinators[st.topic].on_role_change(r)
        else:
            r.become_follower(st.leader, st.leader_epoch, st.isr, st.replicas)
            if was_leader:
                self._fail_delayed(r.tp)
            if old_leader != st.leader or old_epoch != st.leader_epoch:
                self.trace.state(now, self.name, "become.follower", tp=_n(st.tp), leader=st.leader,
                                 epoch=st.leader_epoch, leo=r.leo, hw=r.hw)
            self._wake_parked(r.tp, hw_changed=True)
            if st.topic in self.coordinators:
                self.coordinators[st.topic].on_role_change(r)
            if st.leader != NO_LEADER:
                self.fetcher.fetch_from(st.leader)

    def _after_leader_change(self, r: Replica) -> None:
        if r.maybe_advance_hw():
            self._on_hw_advance(r)

    def _on_metadata_request(self, src: str, msg: P.MetadataRequest) -> None:
        topics = msg.topics if msg.topics is not None else tuple(sorted(self.metadata))
        found = {t: tuple(self.metadata[t]) for t in topics if t in self.metadata}
        unknown = tuple(t for t in topics if t not in self.metadata)
        self.send(src, P.MetadataResponse(msg.cid, self.live_brokers, found, unknown), daemon=True)

    # -- produce -----------------------------------------------------------
    def _on_produce(self, src: str, msg: P.ProduceRequest) -> None:
        def respond(results: list) -> None:
            self.send(src, P.ProduceResponse(msg.cid, results))
        self.append_records(msg.batches, msg.acks, msg.timeout_ms, respond)

    def append_records(self, batches: list, acks: int, timeout_ms: int, respond: Any) -> None:
        """Rules 1, 2 and 7 for client batches; also the path of transaction markers (control
        batches, checked by epoch only) and coordinator writes. `respond(results)` gets
        [(tp, error or None, base offset)], at once or when the HW passes (acks=all); never
        for acks=0."""
        now = self.sim.now
        results: dict[tuple, tuple[str | None, int]] = {}
        waiting: dict[tuple, tuple[int, int]] = {}
        for tp, batch in batches:
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                err = "NOT_LEADER_OR_FOLLOWER" if tp[0] in self.metadata else "UNKNOWN_TOPIC_OR_PART"
                results[tp] = (err, -1)
                continue
            if acks == -1 and r.under_min_isr:
                results[tp] = ("NOT_ENOUGH_REPLICAS", -1)
                self.trace.state(now, self.name, "produce.reject", tp=_n(tp), error="NOT_ENOUGH_REPLICAS",
                                 isr=r.isr)
                continue
            verdict = self.check_producer(r, batch)
            if verdict is not None:
                err, off = verdict
                if err is None and acks == -1:      # a duplicate still waits for the HW
                    dup = r.log.batch_at(off)
                    waiting[tp] = (dup.next_offset if dup is not None else off + 1, off)
                else:
                    results[tp] = verdict
                continue
            stored = r.log.append_as_leader(batch, r.leader_epoch)
            r.on_appended(stored)
            if stored.control:
                self.trace.state(now, self.name, "marker", tp=_n(tp), offset=stored.base_offset,
                                 type=stored.control_type, pid=stored.producer_id, epoch=stored.producer_epoch)
            elif self.trace.enabled:
                fields = {"pid": stored.producer_id, "seq": stored.base_sequence} if stored.producer_id >= 0 else {}
                if stored.transactional:
                    fields["txn"] = True
                self.trace.state(now, self.name, "append", tp=_n(tp),
                                 offsets=(stored.base_offset, stored.last_offset), epoch=r.leader_epoch,
                                 leo=r.leo, **fields)
            if acks == -1:
                waiting[tp] = (stored.next_offset, stored.base_offset)
            else:
                results[tp] = (None, stored.base_offset)
            self._wake_parked(tp, hw_changed=False)
            if r.maybe_advance_hw():
                self._on_hw_advance(r)
        if acks == 0:
            return
        d = DelayedProduce(respond, results, waiting)
        if waiting:
            for tp in waiting:
                self.delayed.setdefault(tp, []).append(d)
            d.timer = self.after(timeout_ms, self._expire_produce, d)
            self._try_complete(d)
        else:
            self._respond_produce(d)

    def check_producer(self, r: Replica, batch: Any) -> tuple[str | None, int] | None:
        """Producer-state checks before an append (idempotence); None: append it."""
        if batch.producer_id < 0:
            return None
        if batch.control or batch.base_sequence < 0:     # markers, transactional offset commits
            err = r.producer_state.check_marker(batch.producer_id, batch.producer_epoch)
            return None if err is None else (err, -1)
        err, dup_offset = r.producer_state.check(batch.producer_id, batch.producer_epoch,
                                                 batch.base_sequence, batch.last_sequence)
        if err is not None or dup_offset >= 0:
            self.trace.state(self.sim.now, self.name, "produce.duplicate" if err is None else "produce.reject",
                             tp=_n(r.tp), pid=batch.producer_id, epoch=batch.producer_epoch,
                             seq=batch.base_sequence, **({"error": err} if err else {"offset": dup_offset}))
            return (err, dup_offset)
        return None

    def _try_complete(self, d: DelayedProduce) -> None:
        for tp in list(d.waiting):
            required, base = d.waiting[tp]
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                d.results[tp] = ("NOT_LEADER_OR_FOLLOWER", -1)
            elif r.hw >= required:
                d.results[tp] = ("NOT_ENOUGH_REPLICAS_AFTER_APPEND", -1) if r.under_min_isr else (None, base)
            else:
                continue
            del d.waiting[tp]
        if not d.waiting:
            self._respond_produce(d)

    def _expire_produce(self, d: DelayedProduce) -> None:
        for tp in d.waiting:
            d.results[tp] = ("REQUEST_TIMED_OUT", -1)
        d.waiting = {}
        self._respond_produce(d)

    def _respond_produce(self, d: DelayedProduce) -> None:
        if d.done:
            return
        d.done = True
        if d.timer is not None:
            d.timer.cancel()
        d.respond([(tp, err, off) for tp, (err, off) in d.results.items()])

    def _fail_delayed(self, tp: tuple) -> None:
        """Leadership moved: waiting acks=all produces answer NOT_LEADER_OR_FOLLOWER."""
        for d in self.delayed.pop(tp, []):
            if not d.done and tp in d.waiting:
                self._try_complete(d)

    def _on_hw_advance(self, r: Replica) -> None:
        if self.trace.enabled:
            self.trace.state(self.sim.now, self.name, "hw", tp=_n(r.tp), hw=r.hw)
        pending = self.delayed.get(r.tp)
        if pending:
            for d in list(pending):
                if not d.done:
                    self._try_complete(d)
            self.delayed[r.tp] = [d for d in pending if not d.done]
        self._wake_parked(r.tp, hw_changed=True)
        self.on_hw_advance(r)

    def on_hw_advance(self, r: Replica) -> None:
        """Hook after the HW moved (transactions complete markers, the LSO moves)."""

    # -- fetch (leader side) -----------------------------------------------
    def _on_fetch(self, src: str, msg: P.FetchRequest) -> None:
        in_line: set[tuple] = set()     # follower partitions found not diverging (rule 3)
        if msg.replica_id >= 0:
            for fp in msg.partitions:
                r = self.replicas.get(fp.tp)
                if r is not None and r.is_leader and fp.current_leader_epoch == r.leader_epoch \
                        and self._diverging(r, fp) is None:
                    in_line.add(fp.tp)
                    r.update_follower(msg.replica_id, fp.fetch_offset, self.sim.now)
                    new_isr = r.isr_expansion(msg.replica_id)
                    if new_isr is not None:
                        self._alter_isr(r, new_isr)
                    if r.maybe_advance_hw():
                        self._on_hw_advance(r)
        results, nbytes = self._fetch_results(msg, in_line)
        ready = nbytes >= msg.min_bytes or msg.max_wait_ms == 0 or any(
            res.error or res.diverging_epoch for res in results)
        if ready:
            self._respond_fetch(src, msg, results, nbytes)
            return
        pf = ParkedFetch(src, msg)
        for fp in msg.partitions:
            self.parked.setdefault(fp.tp, []).append(pf)
        pf.timer = self.after(msg.max_wait_ms, self._complete_parked, pf, daemon=True)

    def _diverging(self, r: Replica, fp: P.FetchPartition) -> tuple[int, int] | None:
        if fp.last_fetched_epoch < 0:
            return None
        epoch, end = self._epoch_end(r, fp.last_fetched_epoch)
        if epoch != fp.last_fetched_epoch or end < fp.fetch_offset:
            return (epoch, end)
        return None

    @staticmethod
    def _epoch_end(r: Replica, epoch: int) -> tuple[int, int]:
        """OffsetsForLeaderEpoch: the largest epoch <= `epoch` and where it ends; for an epoch
        older than every cached one, (-1, start offset of the first cached epoch)."""
        found, end = r.log.end_offset_for_epoch(epoch)
        if found < 0:
            return (-1, r.log.epochs[0][1] if r.log.epochs else r.log.log_start_offset)
        return (found, end)

    def _on_offsets_for_leader_epoch(self, src: str, msg: P.OffsetsForLeaderEpochRequest) -> None:
        results = []
        for tp, current, epoch in msg.partitions:
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                results.append((tp, "NOT_LEADER_OR_FOLLOWER", -1, -1))
            elif current >= 0 and current != r.leader_epoch:
                err = "FENCED_LEADER_EPOCH" if current < r.leader_epoch else "UNKNOWN_LEADER_EPOCH"
                results.append((tp, err, -1, -1))
            else:
                results.append((tp, None, *self._epoch_end(r, epoch)))
        self.send(src, P.OffsetsForLeaderEpochResponse(msg.cid, results))

    def _fetch_results(self, msg: P.FetchRequest, in_line: set[tuple] | frozenset = frozenset()
                       ) -> tuple[list[P.FetchPartitionResult], int]:
        """The response's partitions and their total size. `in_line`: follower partitions this
        event already found not diverging (a leader's log only grows meanwhile, so they still
        are not), whose check is not repeated."""
        follower = msg.replica_id >= 0
        results = []
        total = 0
        budget = msg.max_bytes
        for fp in msg.partitions:
            r = self.replicas.get(fp.tp)
            if r is None or not r.is_leader:
                err = "NOT_LEADER_OR_FOLLOWER" if fp.tp[0] in self.metadata else "UNKNOWN_TOPIC_OR_PART"
                results.append(P.FetchPartitionResult(fp.tp, err))
                continue
            if fp.current_leader_epoch >= 0 and fp.current_leader_epoch != r.leader_epoch:
                err = "FENCED_LEADER_EPOCH" if fp.current_leader_epoch < r.leader_epoch else "UNKNOWN_LEADER_EPOCH"
                results.append(P.FetchPartitionResult(fp.tp, err))
                continue
            if follower:
                div = None if fp.tp in in_line else self._diverging(r, fp)
                if div is not None:
                    results.append(P.FetchPartitionResult(fp.tp, None, r.hw, r.lso, r.log.log_start_offset,
                                                          diverging_epoch=div, leader_epoch=r.leader_epoch))
                    continue
                upper = r.leo
            else:
                upper = r.lso if msg.isolation == "read_committed" else r.hw
            if fp.fetch_offset < r.log.log_start_offset or fp.fetch_offset > r.leo:
                results.append(P.FetchPartitionResult(fp.tp, "OFFSET_OUT_OF_RANGE", r.hw, r.lso,
                                                      r.log.log_start_offset, leader_epoch=r.leader_epoch))
                continue
            batches = r.log.read(fp.fetch_offset, upper, min(budget, self.cfg["replica.fetch.max.bytes"]) if follower
                                 else budget) if budget > 0 else []
            size = sum(b.size for b in batches)
            total += size
            budget -= size
            results.append(P.FetchPartitionResult(fp.tp, None, r.hw, r.lso, r.log.log_start_offset, batches,
                                                  aborted=self.aborted_in(r, batches, msg.isolation),
                                                  leader_epoch=r.leader_epoch))
        return results, total

    def aborted_in(self, r: Replica, batches: list, isolation: str) -> tuple:
        """Aborted transactions overlapping `batches` (read_committed only)."""
        if isolation != "read_committed" or not batches or not r.txn.aborted:
            return ()
        return r.txn.aborted_between(batches[0].base_offset, batches[-1].next_offset)

    def _respond_fetch(self, src: str, msg: P.FetchRequest, results: list, nbytes: int) -> None:
        self.send(src, P.FetchResponse(msg.cid, results), daemon=nbytes == 0)

    def _complete_parked(self, pf: ParkedFetch) -> None:
        if pf.done:
            return
        pf.done = True
        if pf.timer is not None:
            pf.timer.cancel()
        for fp in pf.msg.partitions:
            lst = self.parked.get(fp.tp)
            if lst and pf in lst:
                lst.remove(pf)
        results, nbytes = self._fetch_results(pf.msg)
        self._respond_fetch(pf.src, pf.msg, results, nbytes)

    def _wake_parked(self, tp: tuple, hw_changed: bool) -> None:
        """New data (for followers) or a new HW (for consumers) answers parked fetches."""
        lst = self.parked.get(tp)
        if not lst:
            return
        for pf in list(lst):
            if (pf.msg.replica_id >= 0) != hw_changed or not self.replicas[tp].is_leader:
                self._complete_parked(pf)

    # -- ISR changes (leader side) -----------------------------------------
    def _check_isr(self) -> None:
        lag = self.cfg["replica.lag.time.max.ms"]
        now = self.sim.now
        for tp in sorted(self.replicas):
            r = self.replicas[tp]
            if r.is_leader:
                new_isr = r.isr_shrink(now, lag)
                if new_isr is not None:
                    self._alter_isr(r, new_isr)
        self.after(lag // 2, self._check_isr, daemon=True)

    def _alter_isr(self, r: Replica, new_isr: tuple[int, ...]) -> None:
        r.pending_isr = new_isr
        r.pending_since = self.sim.now
        self.send(CONTROLLER, P.AlterPartition(self.id, r.tp, r.leader_epoch, r.partition_epoch, new_isr))
        self.after(5000, self._retry_alter, r, new_isr, r.leader_epoch, daemon=True)

    def _retry_alter(self, r: Replica, proposal: tuple[int, ...], epoch: int) -> None:
        if r.pending_isr == proposal and r.leader_epoch == epoch and r.is_leader:
            self._alter_isr(r, proposal)

    def _on_alter_partition_response(self, msg: P.AlterPartitionResponse) -> None:
        r = self.replicas.get(msg.tp)
        if r is None:
            return
        r.pending_isr = None
        st = msg.state
        if st is not None and st.leader == self.id and st.leader_epoch == r.leader_epoch \
                and st.partition_epoch >= r.partition_epoch:
            r.isr, r.partition_epoch = st.isr, st.partition_epoch
        if r.is_leader and r.maybe_advance_hw():
            self._on_hw_advance(r)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self.txn_coordinator.on_disconnect(peer, incarnation)
        self.fetcher.on_disconnect(peer, incarnation)

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
        self.append_records(batches, -1, self.cfg["request.timeout.ms"], respond)

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


def _n(tp: tuple) -> str:
    return f"{tp[0]}-{tp[1]}"
