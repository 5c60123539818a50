"""A broker's replica manager: what the broker does with its local replicas. As their leader it
appends produced batches and serves fetches, and it makes a replica leader or follower when the
partition's state changes. Requests that must wait sit in its two purgatories, `delayed`
(acks=all produces) and `parked` (long-poll fetches), delayed_operations.py. Kafka:
`ReplicaManager.scala` (with the leader's ISR changes of `Partition.scala`).

The broker (broker.py) makes a new one each time its process starts; the replicas outlive it (the
logs are on disk). Each replica's own rules are partition.py's.

Rules (kafka-semantics.md C.13, D.19-D.27, E.30):
1. Produce goes to the leader only (else NOT_LEADER_OR_FOLLOWER). acks=all is refused with
   NOT_ENOUGH_REPLICAS, and nothing is written, when the ISR is below the effective min ISR.
2. acks=0: append, no response. acks=1: append, respond. acks=all: append, respond once the HW
   passes the batch (a DelayedProduce, delayed_operations.py rules 1-2).
3. Batches with a producer id pass the idempotence checks of `producer_state.py` first: a duplicate
   is acknowledged with its original offset (after the HW passes it, for acks=all), a gap gets
   OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH.
3b. A transactional batch that needed its coordinator's word (add_partitions_to_txn_manager.py
   rule 1) is appended only with the verification guard still stored for its producer, else
   INVALID_TXN_STATE ("not part of an ongoing transaction"). Markers are checked by epoch
   (producer_state.py rule f); a v2 marker's retry is acknowledged without a second append.
4. Fetch checks the leader epoch (FENCED_LEADER_EPOCH when the requester's is older,
   UNKNOWN_LEADER_EPOCH when newer). A follower's fetch reports its LEO; when its last fetched
   epoch ends earlier on the leader, the response carries `diverging_epoch` and the follower
   truncates (KIP-279). Followers read up to the LEO, consumers up to the HW (read_uncommitted)
   or the LSO (read_committed, with the aborted transactions of the range, transaction_index.py).
   A response holds whole batches up to the fetch's max bytes (capped by the broker's
   `fetch.max.bytes`) and each partition's max bytes (`max.partition.fetch.bytes`, followers
   `replica.fetch.max.bytes`), but the first batch of the first partition with data comes back
   even when it alone is larger (KIP-74: a fetch always makes progress, so `fetch.max.bytes=0`
   still reads one batch at a time); after it the limits are hard, and a partition whose next
   batch does not fit returns nothing (kafka-semantics.md Q.335).
4b. Reading from a follower (KIP-392, replica_selector.py): a consumer's fetch that names its
   rack may go to a follower, which serves it up to its own HW (or LSO); the leader, with
   `replica.selector.class` set, answers such a fetch with the replica to read from instead.
5. A fetch with less than its min bytes to return waits up to its max wait (a ParkedFetch,
   delayed_operations.py rules 3-4); an append (followers) answers it early, and so does an HW
   advance (consumers) once it is answerable (its min bytes readable, an error, a new leader).
5b. Tiered storage: an offset from the log start up to the local log start is read from the
   remote tier (a consumer's, answered later) or answered OFFSET_MOVED_TO_TIERED_STORAGE (a
   follower's); remote_log_manager.py rules 5-6.
6. Only the broker itself writes to an internal topic (`__consumer_offsets`, `__transaction_state`):
   its coordinators' records and the transaction markers. A client's Produce to one is refused
   with INVALID_TOPIC_EXCEPTION, before the leader check (kafka-semantics.md 341; Kafka:
   appendToLocalLog with internalTopicsAllowed false); the producer fails the batch with it (a
   delivery report with that error), as it is not retriable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import INTERNAL_TOPICS
from minikafka.server.delayed_operations import DelayedProduce, ParkedFetch, fetch_answerable
from minikafka.server.log_validator import ProduceValidation
from minikafka.server.partition import Replica
from minikafka.server.replica_selector import select_read_replica
from minikafka.storage.producer_state import DUPLICATE_MARKER

if TYPE_CHECKING:
    from minikafka.server.broker import Broker


class ReplicaManager:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.replicas: dict[tuple, Replica] = broker.replicas   # the broker's, the same dict
        self.parked: dict[tuple, list[ParkedFetch]] = {}         # the fetch purgatory
        self.delayed: dict[tuple, list[DelayedProduce]] = {}     # the produce purgatory
        self.proposals: dict[tuple, str] = {}                    # tp -> the ISR meter its proposal moves

    def startup(self) -> None:
        """Start the periodic ISR check (Kafka: the isr-expiration task), every
        `replica.lag.time.max.ms` / 2 and at least every 1 virtual ms, so that time moves on
        (with `replica.lag.time.max.ms` = 1 Kafka's scheduler would run it once only)."""
        b = self.broker
        b.after(max(b.cfg["replica.lag.time.max.ms"] // 2, 1), self._check_isr, daemon=True)

    # -- leader or follower ------------------------------------------------
    def apply_partition_state(self, st: P.PartitionState) -> Replica | None:
        """The controller's state of a partition this broker hosts: make the local replica its
        leader or a follower (Kafka: applyDelta). None when `st` is older than the replica's."""
        b = self.broker
        r = self.replicas.get(st.tp)
        new = r is None
        if new:
            r = self.replicas[st.tp] = Replica(b.id, st.topic, st.partition)
            r.hw_rule = b.hw_rule
        r.config = b.topic_configs[st.topic]
        b.log_manager.configure(r, new)
        if st.partition_epoch < r.partition_epoch and st.leader_epoch <= r.leader_epoch:
            return None
        was_leader, old_leader, old_epoch = r.is_leader, r.leader, r.leader_epoch
        r.partition_epoch = st.partition_epoch
        now = b.sim.now
        if st.leader == b.id:
            if not was_leader or st.leader_epoch != old_epoch:
                r.become_leader(st.leader_epoch, st.isr, st.replicas, now)
                b.trace.state(now, b.name, "become.leader", tp=_n(st.tp), epoch=st.leader_epoch,
                              leo=r.leo, hw=r.hw, isr=st.isr)
            else:
                r.isr = st.isr
                if r.pending_isr is not None and r.pending_isr == st.isr:
                    r.pending_isr = None
                    self.isr_committed(r.tp)
            if r.maybe_advance_hw():
                self._on_hw_advance(r)
        else:
            r.become_follower(st.leader, st.leader_epoch, st.isr, st.replicas)
            if was_leader:
                self._fail_delayed(r.tp)
            if old_leader != st.leader or old_epoch != st.leader_epoch:
                b.trace.state(now, b.name, "become.follower", tp=_n(st.tp), leader=st.leader,
                              epoch=st.leader_epoch, leo=r.leo, hw=r.hw)
            self.wake_parked(r.tp, hw_changed=True)
        return r

    def delete_topic(self, topic: str) -> None:
        """The topic was deleted (a RemoveTopicRecord): its local replicas go, with their logs;
        waiting produces answer NOT_LEADER_OR_FOLLOWER, parked fetches UNKNOWN_TOPIC_OR_PART."""
        b = self.broker
        for tp in sorted(tp for tp in self.replicas if tp[0] == topic):
            del self.replicas[tp]
            self._fail_delayed(tp)
            self.wake_parked(tp, hw_changed=True)
            b.trace.state(b.sim.now, b.name, "replica.delete", tp=_n(tp))

    # -- produce -----------------------------------------------------------
    def append_records(self, batches: list, acks: int, timeout_ms: int, respond: Any, *,
                       internal_topics_allowed: bool, guards: dict | None = None, txn_v2: bool = False,
                       marker_v2: bool = False) -> None:
        """Rules 1-3 and 6 for client batches; also the path of transaction markers (control
        batches, checked by epoch only) and coordinator writes, the two callers that may write
        to internal topics. `respond(results)` gets [(tp, error or None, base offset)], at once
        or when the HW passes (acks=all); never for acks=0. A client batch passes the leader's
        validation (log_validator.py: sizes, keys, timestamps) after the min-ISR check."""
        b = self.broker
        now = b.sim.now
        validation = None if internal_topics_allowed else ProduceValidation(b)
        results: dict[tuple, tuple[str | None, int]] = {}
        waiting: dict[tuple, tuple[int, int]] = {}
        meters = b.metrics.meters
        meters["TotalProduceRequestsPerSec"].count += len(batches)
        for tp, batch in batches:
            if tp[0] in INTERNAL_TOPICS and not internal_topics_allowed:
                results[tp] = ("INVALID_TOPIC_EXCEPTION", -1)
                b.trace.state(now, b.name, "produce.reject", tp=_n(tp), error="INVALID_TOPIC_EXCEPTION",
                              why="a client cannot write to an internal topic")
                continue
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                err = "NOT_LEADER_OR_FOLLOWER" if tp[0] in b.metadata else "UNKNOWN_TOPIC_OR_PART"
                results[tp] = (err, -1)
                continue
            if acks == -1 and r.under_min_isr:
                results[tp] = ("NOT_ENOUGH_REPLICAS", -1)
                b.trace.state(now, b.name, "produce.reject", tp=_n(tp), error="NOT_ENOUGH_REPLICAS",
                              isr=r.isr)
                continue
            if validation is not None:
                batch, err = validation.check(r, batch)
                if err is not None:
                    results[tp] = (err, -1)
                    continue
            if batch.transactional and not batch.control and b.txn_verifier.required(r, batch, txn_v2) \
                    and (guards is None or r.producer_state.guards.get(batch.producer_id) is not guards.get(tp)):
                results[tp] = ("INVALID_TXN_STATE", -1)
                b.trace.state(now, b.name, "produce.reject", tp=_n(tp), error="INVALID_TXN_STATE", pid=batch.producer_id,
                              why="not part of an ongoing transaction (no verification)")
                continue
            verdict = self.check_producer(r, batch, marker_v2)
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
            meters["MessagesInPerSec"].count += len(stored.records)
            meters["BytesInPerSec"].count += stored.size
            if stored.control:
                b.trace.state(now, b.name, "marker", tp=_n(tp), offset=stored.base_offset,
                              type=stored.control_type, pid=stored.producer_id, epoch=stored.producer_epoch)
            elif b.trace.enabled:
                fields = {"pid": stored.producer_id, "seq": stored.base_sequence} if stored.producer_id >= 0 else {}
                if stored.transactional:
                    fields["txn"] = True
                b.trace.state(now, b.name, "append", tp=_n(tp),
                              offsets=(stored.base_offset, stored.last_offset), epoch=r.leader_epoch,
                              leo=r.leo, **fields)
            if acks == -1:
                waiting[tp] = (stored.next_offset, stored.base_offset)
            else:
                results[tp] = (None, stored.base_offset)
            self.wake_parked(tp, hw_changed=False)
            if r.maybe_advance_hw():
                self._on_hw_advance(r)
        b.metrics.produce_failed(err for err, _ in results.values())
        if acks == 0:
            return
        d = DelayedProduce(respond if validation is None else validation.respond(respond), results, waiting)
        if waiting:
            for tp in waiting:
                self.delayed.setdefault(tp, []).append(d)
            d.timer = b.after(timeout_ms, d.expire)
            d.try_complete(self.replicas)
        else:
            d.complete()

    def check_producer(self, r: Replica, batch: Any, marker_v2: bool = False) -> tuple[str | None, int] | None:
        """Producer-state checks before an append (idempotence); None: append it."""
        if batch.producer_id < 0:
            return None
        if batch.control or batch.base_sequence < 0:     # markers, transactional offset commits
            err = r.producer_state.check_marker(batch.producer_id, batch.producer_epoch, marker_v2 and batch.control,
                                                batch.producer_id in r.txn.ongoing)
            if err == DUPLICATE_MARKER:
                return (None, -1)
            return None if err is None else (err, -1)
        err, dup_offset = r.producer_state.check(batch.producer_id, batch.producer_epoch,
                                                 batch.base_sequence, batch.last_sequence)
        if err is not None or dup_offset >= 0:
            b = self.broker
            b.trace.state(b.sim.now, b.name, "produce.duplicate" if err is None else "produce.reject",
                          tp=_n(r.tp), pid=batch.producer_id, epoch=batch.producer_epoch,
                          seq=batch.base_sequence, **({"error": err} if err else {"offset": dup_offset}))
            return (err, dup_offset)
        return None

    def _fail_delayed(self, tp: tuple) -> None:
        """Leadership moved: waiting acks=all produces answer NOT_LEADER_OR_FOLLOWER."""
        for d in self.delayed.pop(tp, []):
            if not d.done and tp in d.waiting:
                d.try_complete(self.replicas)

    def _on_hw_advance(self, r: Replica) -> None:
        b = self.broker
        if b.trace.enabled:
            b.trace.state(b.sim.now, b.name, "hw", tp=_n(r.tp), hw=r.hw)
        pending = self.delayed.get(r.tp)
        if pending:
            for d in list(pending):
                if not d.done:
                    d.try_complete(self.replicas)
            self.delayed[r.tp] = [d for d in pending if not d.done]
        self.wake_parked(r.tp, hw_changed=True)
        b.on_hw_advance(r)

    # -- fetch (leader side) -----------------------------------------------
    def fetch_messages(self, src: str, msg: P.FetchRequest) -> None:
        """Rules 4 and 5: answer the fetch, or park it."""
        b = self.broker
        b.metrics.meters["TotalFetchRequestsPerSec"].count += len(msg.partitions)
        if msg.replica_id < 0:
            b.metrics.arrived[msg] = b.sim.now
        in_line: set[tuple] = set()     # follower partitions found not diverging (rule 4)
        if msg.replica_id >= 0:
            for fp in msg.partitions:
                r = self.replicas.get(fp.tp)
                if r is not None and r.is_leader and fp.current_leader_epoch == r.leader_epoch \
                        and self._diverging(r, fp) is None:
                    in_line.add(fp.tp)
                    r.update_follower(msg.replica_id, fp.fetch_offset, b.sim.now)
                    r.followers[msg.replica_id].log_start = fp.log_start_offset
                    new_isr = r.isr_expansion(msg.replica_id)
                    if new_isr is not None:
                        self._alter_isr(r, new_isr)
                    if r.maybe_advance_hw():
                        self._on_hw_advance(r)
            b.delete_records.on_follower_fetch()
        remote: list = []
        results, nbytes = self._fetch_results(msg, in_line, remote)
        if msg.max_wait_ms == 0 or fetch_answerable(results, nbytes, msg.min_bytes, remote):
            self._respond_fetch(src, msg, results, nbytes, remote)
            return
        pf = ParkedFetch(src, msg)
        for fp in msg.partitions:
            self.parked.setdefault(fp.tp, []).append(pf)
        pf.timer = b.after(msg.max_wait_ms, self._complete_parked, pf, daemon=True)

    def _diverging(self, r: Replica, fp: P.FetchPartition) -> tuple[int, int] | None:
        if fp.last_fetched_epoch < 0:
            return None
        epoch, end = self._epoch_end(r, fp.last_fetched_epoch)
        if epoch != fp.last_fetched_epoch or end < fp.fetch_offset:
            return (epoch, end)
        return None

    @staticmethod
    def _epoch_end(r: Replica, epoch: int) -> tuple[int, int]:
        """OffsetsForLeaderEpoch: the largest epoch <= `epoch` and where it ends. For an epoch
        older than every cached one (retention trimmed the cache, or the leader never had it),
        the epoch asked for, ending where the first cached epoch starts (Kafka's
        LeaderEpochFileCache.endOffsetFor); with no cached epoch, (-1, the log start)."""
        found, end = r.log.end_offset_for_epoch(epoch)
        if found < 0:
            return (epoch, r.log.epochs[0][1]) if r.log.epochs else (-1, r.log.log_start_offset)
        return (found, end)

    def last_offset_for_leader_epoch(self, partitions: Any) -> list[tuple]:
        """OffsetsForLeaderEpoch's results: (tp, error or None, epoch, end offset) per
        (tp, requester's current leader epoch, epoch) asked."""
        results = []
        for tp, current, epoch in partitions:
            r = self.replicas.get(tp)
            if r is None or not r.is_leader:
                results.append((tp, "NOT_LEADER_OR_FOLLOWER", -1, -1))
            elif current >= 0 and current != r.leader_epoch:
                err = "FENCED_LEADER_EPOCH" if current < r.leader_epoch else "UNKNOWN_LEADER_EPOCH"
                results.append((tp, err, -1, -1))
            else:
                results.append((tp, None, *self._epoch_end(r, epoch)))
        return results

    def _fetch_results(self, msg: P.FetchRequest, in_line: set[tuple] | frozenset = frozenset(),
                       remote: list | None = None) -> tuple[list[P.FetchPartitionResult], int]:
        """The response's partitions and their total size; `remote` gets the remote read the
        response must wait for (rule 5b). `in_line`: follower partitions this
        event already found not diverging (a leader's log only grows meanwhile, so they still
        are not), whose check is not repeated."""
        b = self.broker
        follower = msg.replica_id >= 0
        committed = msg.isolation == "read_committed"
        replicas, Result = self.replicas, P.FetchPartitionResult
        per_partition = b.cfg["replica.fetch.max.bytes"] if follower else None
        selector = b.cfg["replica.selector.class"]
        results = []
        total = 0
        remote = [] if remote is None else remote
        budget = min(msg.max_bytes, b.cfg["fetch.max.bytes"])                   # the broker's cap
        for fp in msg.partitions:
            tp = fp.tp
            r = replicas.get(tp)
            if r is None or (r.leader != r.broker_id                    # not r.is_leader, and not a
                             and (follower or msg.rack_id is None or r.leader < 0)):     # follower read (KIP-392)
                err = "NOT_LEADER_OR_FOLLOWER" if tp[0] in b.metadata else "UNKNOWN_TOPIC_OR_PART"
                results.append(Result(tp, err))
                continue
            current = fp.current_leader_epoch
            if current >= 0 and current != r.leader_epoch:
                err = "FENCED_LEADER_EPOCH" if current < r.leader_epoch else "UNKNOWN_LEADER_EPOCH"
                results.append(Result(tp, err))
                continue
            log, hw, txn = r.log, r.hw, r.txn
            lso = txn.lso(hw) if txn.ongoing or txn.unreplicated else hw          # the LSO is the HW with none open
            if follower:
                div = None if tp in in_line else self._diverging(r, fp)
                if div is not None:
                    results.append(Result(tp, None, hw, lso, log.log_start_offset,
                                          diverging_epoch=div, leader_epoch=r.leader_epoch))
                    continue
                upper = log.log_end_offset
            else:
                upper = lso if committed else hw
                if msg.rack_id and selector and r.leader == r.broker_id:
                    chosen = self._read_replica(r, fp.fetch_offset, msg.rack_id)
                    if chosen != r.broker_id:
                        results.append(Result(tp, None, hw, lso, log.log_start_offset, leader_epoch=r.leader_epoch,
                                              preferred_read_replica=chosen))
                        continue
            offset = fp.fetch_offset
            if offset < log.log_start_offset or offset > log.log_end_offset:
                results.append(Result(tp, "OFFSET_OUT_OF_RANGE", hw, lso, log.log_start_offset,
                                      leader_epoch=r.leader_epoch))
                continue
            if offset < log.local_log_start_offset:                 # rule 5b
                b.remote_log_manager.below_local_log_start(results, r, fp, follower, hw, lso, remote,
                                                           min(budget, fp.partition_max_bytes), total == 0)
                continue
            limit = min(budget, per_partition if follower else fp.partition_max_bytes)
            batches = log.read(offset, upper, limit) if limit > 0 or total == 0 else []
            if total and batches and batches[0].size > limit:     # KIP-74: only the first non-empty
                batches = []                                        # partition may pass the limits
            size = 0
            for x in batches:
                size += x.size
            total += size
            budget -= size
            results.append(Result(tp, None, hw, lso, log.log_start_offset, batches,
                                  None, self.aborted_in(r, batches, msg.isolation) if committed else (),
                                  r.leader_epoch))
        return results, total

    def _read_replica(self, r: Replica, offset: int, rack: str) -> int:
        """replica_selector.py rules 2-3: where a consumer in `rack` should read `r` from."""
        b = self.broker
        regs = b.image.brokers
        candidates = {b.id: (r.log.log_end_offset, b.sim.now)}
        if offset >= r.log.log_start_offset:
            for f in r.isr:
                state, reg = r.followers.get(f), regs.get(f)
                if f != b.id and state is not None and reg is not None and not reg.fenced and state.leo >= offset:
                    candidates[f] = (state.leo, state.last_caught_up_ms)
        return select_read_replica(rack, b.id, candidates, {x: regs[x].rack for x in candidates if x in regs})

    def aborted_in(self, r: Replica, batches: list, isolation: str) -> tuple:
        """Aborted transactions overlapping `batches` (read_committed only)."""
        if isolation != "read_committed" or not batches or not r.txn.aborted:
            return ()
        return r.txn.aborted_between(batches[0].base_offset, batches[-1].next_offset)

    def _respond_fetch(self, src: str, msg: P.FetchRequest, results: list, nbytes: int, remote: Any = ()) -> None:
        b = self.broker
        if remote:                                  # rule 5b: once the remote tier answers
            b.remote_log_manager.read_remote(src, msg, results, nbytes, remote[0])
            return
        b.metrics.fetch_answered(msg, results, nbytes, b.sim.now)
        b.send(src, P.FetchResponse(msg.cid, results), daemon=nbytes == 0)

    def _complete_parked(self, pf: ParkedFetch, found: tuple | None = None) -> None:
        if pf.done:
            return
        pf.done = True
        if pf.timer is not None:
            pf.timer.cancel()
        for fp in pf.msg.partitions:
            lst = self.parked.get(fp.tp)
            if lst and pf in lst:
                lst.remove(pf)
        if found is None:
            remote: list = []
            results, nbytes = self._fetch_results(pf.msg, remote=remote)
        else:
            results, nbytes, remote = found
        self._respond_fetch(pf.src, pf.msg, results, nbytes, remote)

    def wake_parked(self, tp: tuple, hw_changed: bool) -> None:
        """New data (for followers) or a new HW (for consumers, once answerable: rule 5)
        answers parked fetches."""
        for pf in list(self.parked.get(tp, ())):
            r = self.replicas.get(tp)
            if r is None or not r.is_leader or (pf.msg.replica_id >= 0 and not hw_changed):
                self._complete_parked(pf)
            elif pf.msg.replica_id < 0 and hw_changed:
                remote: list = []
                results, nbytes = self._fetch_results(pf.msg, remote=remote)
                if fetch_answerable(results, nbytes, pf.msg.min_bytes, remote):
                    self._complete_parked(pf, (results, nbytes, remote))

    # -- ISR changes (leader side, partition.py rule 5) ----------------------
    def _check_isr(self) -> None:
        b = self.broker
        lag = b.cfg["replica.lag.time.max.ms"]
        now = b.sim.now
        for tp in sorted(self.replicas):
            r = self.replicas[tp]
            if r.is_leader:
                new_isr = r.isr_shrink(now, lag)
                if new_isr is not None:
                    self._alter_isr(r, new_isr)
        b.after(max(lag // 2, 1), self._check_isr, daemon=True)

    def _alter_isr(self, r: Replica, new_isr: tuple[int, ...]) -> None:
        b = self.broker
        if r.pending_isr != new_isr:
            self.proposals[r.tp] = "IsrShrinksPerSec" if len(new_isr) < len(r.isr) else "IsrExpandsPerSec"
        r.pending_isr = new_isr
        r.pending_since = b.sim.now
        sent = b.send_to_controller(P.AlterPartition(b.id, r.tp, r.leader_epoch, r.partition_epoch, new_isr),
                                      daemon=False)
        b.after(5000 if sent else 50, self._retry_alter, r, new_isr, r.leader_epoch, daemon=True)

    def _retry_alter(self, r: Replica, proposal: tuple[int, ...], epoch: int) -> None:
        if r.pending_isr == proposal and r.leader_epoch == epoch and r.is_leader:
            self._alter_isr(r, proposal)

    def on_alter_partition_response(self, msg: P.AlterPartitionResponse) -> None:
        r = self.replicas.get(msg.tp)
        if r is None:
            return
        if msg.error == "NOT_CONTROLLER":       # re-queued to the next active controller (K.89)
            if r.pending_isr is not None:
                self.broker.after(50, self._retry_alter, r, r.pending_isr, r.leader_epoch, daemon=True)
            return
        r.pending_isr = None
        st = msg.state
        if st is not None and st.leader == self.broker.id and st.leader_epoch == r.leader_epoch \
                and st.partition_epoch >= r.partition_epoch:
            self.isr_committed(r.tp)
            r.isr, r.partition_epoch = st.isr, st.partition_epoch
        elif msg.error is not None:
            self.proposals.pop(r.tp, None)
            self.broker.metrics.meters["FailedIsrUpdatesPerSec"].count += 1
        if r.is_leader and r.maybe_advance_hw():
            self._on_hw_advance(r)


    def isr_committed(self, tp: tuple) -> None:
        """The leader learns its ISR proposal was committed (from the AlterPartition answer or
        from the metadata, whichever comes first): the shrink or expansion meter moves once."""
        kind = self.proposals.pop(tp, None)
        if kind is not None:
            self.broker.metrics.meters[kind].count += 1


def _n(tp: tuple) -> str:
    return f"{tp[0]}-{tp[1]}"
