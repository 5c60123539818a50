"""The transaction coordinator: one per transactional id, on the leader of its
`__transaction_state` partition (kafka-semantics.md G.40-G.48, S.200-S.210).

State per transactional id (TxnMetadata): producer id, epoch, timeout, state, the partitions
in the transaction, when it started, whether it runs protocol v2, the epoch before the last
bump, and the producer ids of a rotation. Every change is a record in `__transaction_state`
(key: the transactional id; value: readable `state=... pid=... epoch=...`), written and
replicated before it takes effect (internal_topics.py rule 4), so a new coordinator resumes from
the log after a failover.

States: Empty -> Ongoing -> PrepareCommit | PrepareAbort -> CompleteCommit | CompleteAbort,
and a completed transaction goes back to Ongoing when a partition is added again.

Rules:
1. InitProducerId(txn id): an unknown id gets a new producer id with epoch 0. Otherwise the
   epoch is bumped, which fences every older instance (an exhausted epoch gets a new producer
   id). If the old epoch left a transaction Ongoing, it is aborted first: the coordinator bumps
   the epoch, writes PrepareAbort, and answers CONCURRENT_TRANSACTIONS; the client retries and
   gets the epoch bumped once more (scenario 7). While a transaction is being prepared or
   completed, the answer is CONCURRENT_TRANSACTIONS.
1b. KIP-360: a producer that already has an id sends it with its epoch. Another id (unless the
   one this id replaced, with an exhausted epoch) or an epoch that is neither the current one nor
   the one before the last bump gets PRODUCER_FENCED; the epoch before the last bump is a retry,
   answered with the current epoch and no second bump.
2. A v1 client's request names (producer id, epoch). A producer id that is not the current one
   gets INVALID_PRODUCER_ID_MAPPING; an older epoch gets PRODUCER_FENCED (the zombie).
3. AddPartitionsToTxn / AddOffsetsToTxn (v1: the client's; the group's `__consumer_offsets`
   partition) write Ongoing with the union of partitions; the first one starts the
   transaction's clock. AddPartitionsToTxn with a partition of an unknown topic (or of an
   internal topic: TOPIC_AUTHORIZATION_FAILED, internal_topics.py rule 5) adds none of them:
   that partition gets the error, the others OPERATION_NOT_ATTEMPTED.
3b. A leader's verify-only AddPartitionsToTxn (KIP-890 part 1): INVALID_PRODUCER_ID_MAPPING for
   an unknown id or another producer id, PRODUCER_FENCED for another epoch,
   CONCURRENT_TRANSACTIONS while the transaction ends, else per partition NONE if the Ongoing
   transaction has it and TRANSACTION_ABORTABLE if not. Nothing is written.
3c. A leader's add for a v2 producer (part 2; also the group coordinator's, for offsets) works
   as rule 3 with the current epoch required (else PRODUCER_FENCED) and marks the transaction v2.
4. EndTxn(commit|abort) follows end_txn_rules.py. A prepare writes PrepareCommit/PrepareAbort
   (the commit point) and then answers. The markers are written afterwards: WriteTxnMarkers to
   the leader of every partition, retried until each is written; then CompleteCommit or
   CompleteAbort.
4b. v2 (EndTxn v5+): the Prepare record carries the epoch bumped by one, the answer returns the
   producer id and epoch to use next, and the markers carry the new epoch, so a late write of the
   finished transaction is refused at the partition. At an exhausted epoch (32766 or more) a new
   producer id is allocated: the markers still go out under the old id (epoch 32767), the answer
   already names (new id, 0), and Complete switches to it.
5. Every `transaction.abort.timed.out.transaction.cleanup.interval.ms`, an Ongoing transaction
   older than its `transaction.timeout.ms` is aborted with the epoch bumped, which fences its
   producer: under v1 its next request gets PRODUCER_FENCED and its next produce
   INVALID_PRODUCER_EPOCH; under v2 its EndTxn(abort) is a retry that succeeds, its commit
   INVALID_TXN_STATE.
6. A coordinator that loads a partition resumes every Prepare* transaction's markers; a record it
   cannot parse is skipped (internal_topics.py rule 6).
Simplifications: `transactional.id.expiration.ms` is not modelled.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import (CONSUMER_OFFSETS, INTERNAL_TOPICS, TRANSACTION_STATE,
                                                   Coordinator, ensure_topic, int_field, parse_value, partition_for,
                                                   record_key, record_value)
from minikafka.coordinator.transaction.end_txn_rules import (COMPLETE_ABORT, COMPLETE_COMMIT, EMPTY, ONGOING,
                                                             PREPARE_ABORT, PREPARE_COMMIT, STATES, end_txn)

if TYPE_CHECKING:
    from minikafka.server.broker import Broker

MAX_EPOCH = 32767
EXHAUSTED = MAX_EPOCH - 1            # an epoch at or above this cannot be bumped twice more
RETRY_MS = 100


@dataclass(frozen=True)
class TxnMetadata:
    txn_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: str
    partitions: tuple[tuple[str, int], ...] = ()
    start_ms: int = -1
    v2: bool = False                # the transaction runs protocol v2 (its client's transaction version)
    last_epoch: int = -1            # the epoch before the last bump (a retried call's epoch)
    next_pid: int = -1              # epoch exhausted: the producer id that takes over at Complete
    prev_pid: int = -1              # the producer id before the last rotation

    def value(self) -> bytes:
        parts = ",".join(f"{t}:{p}" for t, p in self.partitions)
        fields = {"state": self.state, "pid": self.producer_id, "epoch": self.producer_epoch,
                  "timeout_ms": self.timeout_ms, "start_ms": self.start_ms, "partitions": parts}
        if self.v2:
            fields["tv"] = 2
        for name, value in (("last_epoch", self.last_epoch), ("next_pid", self.next_pid), ("prev_pid", self.prev_pid)):
            if value >= 0:
                fields[name] = value
        return record_value(fields)

    @staticmethod
    def parse(txn_id: str, value: bytes | None) -> "TxnMetadata":
        """ValueError when `value` is not a transaction's state (internal_topics.py rule 6)."""
        f = parse_value(value)
        if f.get("state") not in STATES:
            raise ValueError(f"unknown transaction state {f.get('state')!r}")
        if "partitions" not in f:
            raise ValueError("no 'partitions' field")
        parts = []
        for x in f["partitions"].split(","):
            if x:
                t, sep, p = x.rpartition(":")
                if not sep:
                    raise ValueError(f"{x!r} is not topic:partition")
                parts.append((t, int(p)))
        optional = {name: int(f.get(name, "-1")) for name in ("tv", "last_epoch", "next_pid", "prev_pid")}
        return TxnMetadata(txn_id, int_field(f, "pid"), int_field(f, "epoch"), int_field(f, "timeout_ms"),
                           f["state"], tuple(parts), int_field(f, "start_ms"), optional["tv"] == 2,
                           optional["last_epoch"], optional["next_pid"], optional["prev_pid"])


class MarkerJob:
    """Rule 4: markers of one decided transaction still to be written."""

    __slots__ = ("meta", "remaining", "flying", "partition", "coordinator_epoch", "retry")

    def __init__(self, meta: TxnMetadata, partition: int, coordinator_epoch: int) -> None:
        self.meta = meta
        self.remaining = list(meta.partitions)
        self.flying: dict[int, tuple[str, int, tuple, Any]] = {}   # cid -> (node, incarnation, tps, timer)
        self.partition = partition
        self.coordinator_epoch = coordinator_epoch
        self.retry = None


class TransactionCoordinator(Coordinator):
    topic = TRANSACTION_STATE

    def __init__(self, broker: "Broker") -> None:
        super().__init__(broker)
        self.txns: dict[str, TxnMetadata] = {}
        self.pending: dict[str, str] = {}              # txn id -> state being written
        self.jobs: dict[str, MarkerJob] = {}
        self._cid = 0
        interval = broker.cfg["transaction.abort.timed.out.transaction.cleanup.interval.ms"]
        broker.after(interval, self._abort_timed_out, daemon=True)

    # -- loading (internal_topics.py rule 3, rule 6) -------------------------------------------
    def load(self, partition: int, batches: list) -> None:
        for b in batches:
            for i, rec in enumerate(b.records):
                try:
                    txn_id = record_key(rec)
                    self.txns[txn_id] = TxnMetadata.parse(txn_id, rec.value)
                except ValueError as e:
                    self.skip_record(partition, b.base_offset + i, e)
        for txn_id in sorted(self.txns):
            meta = self.txns[txn_id]
            if self.partition_of(txn_id) == partition and meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
                self._start_markers(meta)

    def unload(self, partition: int) -> None:
        for txn_id in sorted(self.txns):
            if self.partition_of(txn_id) == partition:
                del self.txns[txn_id]
                self.pending.pop(txn_id, None)
                job = self.jobs.pop(txn_id, None)
                if job is not None:
                    for timer in [job.retry] + [f[3] for f in job.flying.values()]:
                        if timer is not None:
                            timer.cancel()

    # -- writes ------------------------------------------------------------------------
    def _transition(self, new: TxnMetadata, then: Any) -> None:
        """Write `new` to the log; it becomes the state only once replicated."""
        txn_id = new.txn_id
        self.pending[txn_id] = new.state

        def done(err: str | None) -> None:
            if self.pending.get(txn_id) == new.state:
                del self.pending[txn_id]
            if err is None:
                old = self.txns.get(txn_id)
                self.txns[txn_id] = new
                self.trace.state(self.sim.now, self.broker.name, "txn.state", txn_id=txn_id, pid=new.producer_id,
                                 epoch=new.producer_epoch, state=new.state,
                                 was=old.state if old is not None else "none",
                                 partitions=tuple(f"{t}-{p}" for t, p in new.partitions))
            then(err)
        self.write(self.partition_of(txn_id), [(txn_id, new.value())], done)

    def _check(self, txn_id: str, pid: int, epoch: int, v2: bool = False) -> tuple[str | None, TxnMetadata | None]:
        """Ownership, then rule 2 (a v1 client's request) or rule 3c (a leader's add for a v2
        producer: a transaction being ended comes first, then any other epoch is fenced)."""
        err = self.owner_error(txn_id)
        if err is not None:
            return err, None
        meta = self.txns.get(txn_id)
        if meta is None or meta.producer_id != pid:
            return "INVALID_PRODUCER_ID_MAPPING", None
        ending = txn_id in self.pending or meta.state in (PREPARE_COMMIT, PREPARE_ABORT)
        if v2 and ending:
            return "CONCURRENT_TRANSACTIONS", None
        if epoch < meta.producer_epoch or (v2 and epoch != meta.producer_epoch):
            return "PRODUCER_FENCED", None
        if epoch > meta.producer_epoch:
            return "INVALID_PRODUCER_EPOCH", None
        if ending:
            return "CONCURRENT_TRANSACTIONS", None
        return None, meta

    # -- rule 1 ------------------------------------------------------------------------
    def on_init_producer_id(self, src: str, msg: P.InitProducerIdRequest) -> None:
        txn_id = msg.transactional_id

        def answer(err: str | None, pid: int = -1, epoch: int = -1) -> None:
            self.broker.send(src, P.InitProducerIdResponse(msg.cid, err, pid, epoch))
        err = self.owner_error(txn_id)
        if err is not None:
            return answer(err)
        if not 0 < msg.transaction_timeout_ms <= self.broker.cfg["transaction.max.timeout.ms"]:
            return answer("INVALID_TRANSACTION_TIMEOUT")
        meta = self.txns.get(txn_id)
        if txn_id in self.pending or (meta is not None and meta.state in (PREPARE_COMMIT, PREPARE_ABORT)):
            return answer("CONCURRENT_TRANSACTIONS")
        claimed = msg.producer_id >= 0                  # rule 1b (KIP-360)
        if meta is not None and claimed and meta.producer_epoch >= 0 and msg.producer_id != meta.producer_id \
                and not (msg.producer_id == meta.prev_pid and msg.producer_epoch >= EXHAUSTED):
            return answer("PRODUCER_FENCED")
        if meta is not None and claimed and msg.producer_id == meta.producer_id \
                and msg.producer_epoch not in (meta.producer_epoch, meta.last_epoch):
            return answer("PRODUCER_FENCED")
        if meta is not None and meta.state == ONGOING:
            self._abort(meta, bump=True, why="fenced by InitProducerId")
            return answer("CONCURRENT_TRANSACTIONS")
        if meta is not None and claimed and msg.producer_id == meta.producer_id \
                and msg.producer_epoch == meta.last_epoch != meta.producer_epoch:
            return answer(None, meta.producer_id, meta.producer_epoch)      # a retry: already bumped
        if meta is None or meta.producer_epoch >= EXHAUSTED:
            pid, epoch = self.broker.allocate_producer_id(), 0
            if pid is None:                     # no producer id block yet (broker.py rule 3)
                return answer("COORDINATOR_LOAD_IN_PROGRESS")
            prev, last = (meta.producer_id, -1) if meta is not None else (-1, -1)
        else:
            pid, epoch, prev, last = meta.producer_id, meta.producer_epoch + 1, meta.prev_pid, meta.producer_epoch
        new = TxnMetadata(txn_id, pid, epoch, msg.transaction_timeout_ms, EMPTY, last_epoch=last, prev_pid=prev)
        self._transition(new, lambda e: answer(e) if e else answer(None, pid, epoch))

    # -- rule 3 ------------------------------------------------------------------------
    def on_add_partitions(self, src: str, msg: P.AddPartitionsToTxnRequest) -> None:
        def answer(err: str | None, per_tp: dict | None = None) -> None:
            results = tuple((tp, (per_tp or {}).get(tp, err)) for tp in msg.partitions)
            self.broker.send(src, P.AddPartitionsToTxnResponse(msg.cid, results))
        if msg.verify_only:
            return self._verify(msg, answer)
        err, meta = self._check(msg.transactional_id, msg.producer_id, msg.producer_epoch, v2=msg.from_broker)
        if err is not None:
            return answer(err)
        unknown = {tp: "TOPIC_AUTHORIZATION_FAILED" if tp[0] in INTERNAL_TOPICS else "UNKNOWN_TOPIC_OR_PART"
                   for tp in msg.partitions if (tp[0] in INTERNAL_TOPICS and not msg.from_broker)
                   or not self._exists(tp)}
        if unknown:
            return answer("OPERATION_NOT_ATTEMPTED", unknown)
        self._add(meta, msg.partitions, answer, v2=msg.from_broker)

    def _verify(self, msg: P.AddPartitionsToTxnRequest, answer: Any) -> None:
        """Rule 3b: a leader asks whether its partitions are in the transaction (KIP-890 part 1)."""
        txn_id = msg.transactional_id
        err = self.owner_error(txn_id)
        meta = self.txns.get(txn_id)
        if err is None and (meta is None or meta.producer_id != msg.producer_id):
            err = "INVALID_PRODUCER_ID_MAPPING"
        elif err is None and meta.producer_epoch != msg.producer_epoch:
            err = "PRODUCER_FENCED"
        elif err is None and (txn_id in self.pending or meta.state in (PREPARE_COMMIT, PREPARE_ABORT)):
            err = "CONCURRENT_TRANSACTIONS"
        if err is not None:
            return answer(err)
        answer(None, {tp: None if meta.state == ONGOING and tp in meta.partitions else "TRANSACTION_ABORTABLE"
                      for tp in msg.partitions})

    def on_add_offsets(self, src: str, msg: P.AddOffsetsToTxnRequest) -> None:
        def answer(err: str | None) -> None:
            self.broker.send(src, P.AddOffsetsToTxnResponse(msg.cid, err))
        err, meta = self._check(msg.transactional_id, msg.producer_id, msg.producer_epoch)
        if err is not None:
            return answer(err)
        parts = self.broker.metadata.get(CONSUMER_OFFSETS)
        if parts is None:
            ensure_topic(self.broker, CONSUMER_OFFSETS)
            return answer("COORDINATOR_NOT_AVAILABLE")
        self._add(meta, ((CONSUMER_OFFSETS, partition_for(msg.group_id, len(parts))),), answer)

    def _add(self, meta: TxnMetadata, partitions: tuple, answer: Any, v2: bool = False) -> None:
        merged = tuple(sorted(set(meta.partitions) | set(partitions)))
        if meta.state == ONGOING and merged == meta.partitions:
            return answer(None)
        start = meta.start_ms if meta.state == ONGOING else self.sim.now
        v2 = v2 or (meta.v2 and meta.state == ONGOING)
        self._transition(replace(meta, state=ONGOING, partitions=merged, start_ms=start, v2=v2), answer)

    def _exists(self, tp: tuple[str, int]) -> bool:
        parts = self.broker.metadata.get(tp[0])
        return parts is not None and 0 <= tp[1] < len(parts)

    # -- rule 4 ------------------------------------------------------------------------
    def on_end_txn(self, src: str, msg: P.EndTxnRequest) -> None:
        def answer(err: str | None, pid: int = -1, epoch: int = -1) -> None:
            self.broker.send(src, P.EndTxnResponse(msg.cid, err, pid, epoch))
        txn_id = msg.transactional_id
        err = self.owner_error(txn_id)
        if err is not None:
            return answer(err)
        meta = self.txns.get(txn_id)
        overflow_retry = meta is not None and msg.v2 and msg.producer_id == meta.prev_pid \
            and msg.producer_epoch >= EXHAUSTED
        if meta is None or (meta.producer_id != msg.producer_id and not overflow_retry):
            return answer("INVALID_PRODUCER_ID_MAPPING")
        if txn_id in self.pending:
            return answer("CONCURRENT_TRANSACTIONS")
        verdict, error = end_txn(2 if msg.v2 else 1, meta.state, meta.producer_epoch, msg.producer_epoch,
                                 msg.committed, overflow_retry)
        current = (meta.producer_id, meta.producer_epoch) if msg.v2 else (-1, -1)
        if verdict == "error":
            return answer(error)
        if verdict == "done":
            return answer(None, *current)
        committed = msg.committed and verdict == "prepare"
        new = replace(meta, state=PREPARE_COMMIT if committed else PREPARE_ABORT,
                      partitions=meta.partitions if verdict == "prepare" else ())
        if msg.v2:
            new = self._bumped(new)
            if new is None:
                return answer("COORDINATOR_LOAD_IN_PROGRESS")
        nxt = ((new.next_pid, 0) if new.next_pid >= 0 else (new.producer_id, new.producer_epoch)) if msg.v2 \
            else (-1, -1)

        def prepared(err: str | None) -> None:
            if err is None:
                answer(None, *nxt)
                self._start_markers(new)
            else:
                answer(err)
        self._transition(new, prepared)

    def _bumped(self, meta: TxnMetadata) -> TxnMetadata | None:
        """Rule 4b (v2): the epoch goes up by one; an exhausted epoch also takes a new producer id
        for after the markers (None: no producer id to take yet)."""
        new = replace(meta, producer_epoch=meta.producer_epoch + 1, last_epoch=meta.producer_epoch, v2=True)
        if meta.producer_epoch >= EXHAUSTED:
            pid = self.broker.allocate_producer_id()
            if pid is None:
                return None
            new = replace(new, next_pid=pid)
        return new

    def _abort(self, meta: TxnMetadata, bump: bool, why: str) -> None:
        """Rules 1 and 5: abort an Ongoing transaction, fencing its producer by an epoch bump."""
        new = replace(meta, state=PREPARE_ABORT, producer_epoch=meta.producer_epoch + (1 if bump else 0),
                      last_epoch=meta.producer_epoch if bump else meta.last_epoch)
        self.trace.state(self.sim.now, self.broker.name, "txn.abort", txn_id=meta.txn_id, pid=meta.producer_id,
                         epoch=new.producer_epoch, why=why)

        def prepared(err: str | None) -> None:
            if err is None:
                self._start_markers(new)
        self._transition(new, prepared)

    def _abort_timed_out(self) -> None:
        now = self.sim.now
        for txn_id in sorted(self.txns):
            meta = self.txns[txn_id]
            if meta.state == ONGOING and txn_id not in self.pending and now - meta.start_ms > meta.timeout_ms:
                self._abort(meta, bump=True, why=f"transaction.timeout.ms={meta.timeout_ms} expired")
        self.broker.after(self.broker.cfg["transaction.abort.timed.out.transaction.cleanup.interval.ms"],
                          self._abort_timed_out, daemon=True)

    # -- markers (rule 4) ----------------------------------------------------------------
    def _start_markers(self, meta: TxnMetadata) -> None:
        partition = self.partition_of(meta.txn_id)
        epoch = self.epochs.get(partition)
        if epoch is None:
            return
        job = MarkerJob(meta, partition, epoch)
        self.jobs[meta.txn_id] = job
        self._send_markers(job)

    def _send_markers(self, job: MarkerJob) -> None:
        job.retry = None
        if self.jobs.get(job.meta.txn_id) is not job:
            return
        if not job.remaining and not job.flying:
            self._complete(job)
            return
        flying = {tp for _, _, tps, _ in job.flying.values() for tp in tps}
        by_leader: dict[int, list] = {}
        unknown = False
        for tp in job.remaining:
            if tp in flying:
                continue
            parts = self.broker.metadata.get(tp[0])
            leader = parts[tp[1]].leader if parts is not None and tp[1] < len(parts) else -1
            if leader < 0:
                unknown = True
            else:
                by_leader.setdefault(leader, []).append(tp)
        meta = job.meta
        for leader in sorted(by_leader):
            self._cid += 1
            node = f"b{leader}"
            tps = tuple(by_leader[leader])
            timer = self.broker.after(self.broker.cfg["request.timeout.ms"], self._marker_timeout, job, self._cid)
            job.flying[self._cid] = (node, self.broker.net.nodes[node].incarnation, tps, timer)
            self.broker.send(node, P.WriteTxnMarkersRequest(self._cid, meta.producer_id, meta.producer_epoch,
                                                            meta.state == PREPARE_COMMIT, job.coordinator_epoch, tps,
                                                            v2=meta.v2))
        if unknown:
            self._retry(job)

    def _retry(self, job: MarkerJob) -> None:
        if job.retry is None:
            job.retry = self.broker.after(RETRY_MS, self._send_markers, job)

    def _marker_timeout(self, job: MarkerJob, cid: int) -> None:
        flying = job.flying.pop(cid, None)
        if flying is not None:
            self.broker.net.close(self.broker.name, flying[0])      # as a client's timeout does
            self._retry(job)

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        for txn_id in sorted(self.jobs):
            job = self.jobs[txn_id]
            for cid in sorted(job.flying):
                node, inc, _, timer = job.flying[cid]
                if node == peer and inc == incarnation:
                    del job.flying[cid]
                    timer.cancel()
                    self._retry(job)

    def on_markers_response(self, src: str, msg: P.WriteTxnMarkersResponse) -> None:
        for txn_id in sorted(self.jobs):
            job = self.jobs[txn_id]
            if msg.cid in job.flying:
                job.flying.pop(msg.cid)[3].cancel()
                for tp, err in msg.results:
                    # written, or superseded by a marker with a newer epoch: done with it. Anything
                    # else (not leader, a restarted broker that does not know the topic yet) retries.
                    if err in (None, "INVALID_PRODUCER_EPOCH") and tp in job.remaining:
                        job.remaining.remove(tp)
                if job.remaining:
                    self._retry(job)
                elif not job.flying:
                    self._complete(job)
                return

    def _complete(self, job: MarkerJob) -> None:
        meta = job.meta
        done = COMPLETE_COMMIT if meta.state == PREPARE_COMMIT else COMPLETE_ABORT
        new = replace(meta, state=done, partitions=())
        if meta.next_pid >= 0:                      # rule 4b: the exhausted producer id is retired
            new = replace(new, producer_id=meta.next_pid, producer_epoch=0, next_pid=-1, last_epoch=-1,
                          prev_pid=meta.producer_id)

        def written(err: str | None) -> None:
            if err is None:
                if self.jobs.get(meta.txn_id) is job:
                    del self.jobs[meta.txn_id]
            elif err == "COORDINATOR_NOT_AVAILABLE" and self.jobs.get(meta.txn_id) is job:
                self.broker.after(RETRY_MS, self._complete, job)
        self._transition(new, written)
