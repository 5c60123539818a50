"""The transactional producer's side of transactions (Kafka's TransactionManager;
kafka-semantics.md G.40-G.49).

States: UNINITIALIZED -> INITIALIZING -> READY -> IN_TRANSACTION -> COMMITTING_TRANSACTION or
ABORTING_TRANSACTION -> READY, plus ABORTABLE_ERROR and FATAL_ERROR.

Rules:
1. `init_transactions()`: FindCoordinator for the transactional id, then InitProducerId with
   `transaction.timeout.ms`; COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR look the coordinator
   up again, CONCURRENT_TRANSACTIONS (an older instance's transaction being aborted) retries.
   The answer (producer id, epoch) fences every older instance. Then READY.
2. `begin_transaction()` is local: READY -> IN_TRANSACTION.
3. `produce()` is allowed only IN_TRANSACTION. The first record for a partition adds it to the
   transaction (AddPartitionsToTxn, batched while one is in flight; CONCURRENT_TRANSACTIONS, the
   previous transaction's markers still being written, is retried after 20 ms); the sender
   holds that partition's batches until the coordinator has added it. Batches carry the
   transactional bit.
4. `commit_transaction()`: flush; if any send failed, the transaction must be aborted
   (ABORTABLE_ERROR, raised with `txn_requires_abort()`); else EndTxn(commit) (a transaction that
   added nothing completes locally). When it returns, the commit is decided and durable; the
   markers, and so read_committed visibility, follow shortly after (G.45).
5. `abort_transaction()`: queued records fail with _PURGE_QUEUE, requests in flight finish,
   EndTxn(abort). If a sent batch's fate is unknown, the epoch is bumped afterwards through
   InitProducerId (KIP-360), so the next transaction's sequences start clean.
6. `send_offsets_to_transaction(offsets, group_metadata)`: AddOffsetsToTxn to the transaction
   coordinator, then TxnOffsetCommit to the group coordinator; the offsets stay pending there
   until the transaction's marker (G.49). Retriable errors (an unknown topic, a rebalance, the
   coordinator moving) are retried within the call's timeout. If the TxnOffsetCommit has not
   succeeded by then, the transaction must be aborted, as in librdkafka: the call raises the
   group coordinator's last error (or _TIMED_OUT) with `txn_requires_abort()`; commit then
   raises it and abort proceeds. (Java's TransactionManager retries the TxnOffsetCommit ahead of
   EndTxn, so there commit and abort wait until, say, the topic exists.) A call that timed out
   before AddOffsetsToTxn succeeded is resumed by rule 8: the retry's offsets join the pending
   ones (a later offset wins per partition; Java keeps them in one map too) and are sent even if
   the first call finished meanwhile. Commit and abort send EndTxn only once no AddOffsetsToTxn
   or TxnOffsetCommit awaits an answer, so none lands after the transaction's marker.
7. PRODUCER_FENCED (an older epoch), INVALID_PRODUCER_ID_MAPPING or INVALID_TXN_STATE from the
   coordinator are fatal: every later call raises that error with `fatal()` true. A produce
   refused with INVALID_PRODUCER_EPOCH (the partition saw a newer epoch's marker) is abortable
   (KIP-588); the abort then meets PRODUCER_FENCED.
8. A call in the wrong state raises _STATE, naming the transition Kafka refuses. Blocking calls
   wait at most their timeout (seconds of virtual time; default `max.block.ms`); one that
   timed out raises a retriable _TIMED_OUT and resumes when called again (send_offsets: rule 6).
9. Transactions v2 (KIP-890, Kafka's Java producer 4.x): a transaction runs v2 when the cluster's
   finalized `transaction.version` (learned from brokers' answers) is 2 or more at
   `begin_transaction()`; it never switches in the middle. Then no AddPartitionsToTxn or
   AddOffsetsToTxn is sent: Produce v12 and TxnOffsetCommit v5 let the partition leader and the
   group coordinator add the partitions. EndTxn v5 answers with the producer id and epoch to use
   next (the coordinator bumped the epoch): the producer adopts them and restarts every
   partition's sequence at 0, so no InitProducerId follows an abort. A transaction that added
   nothing (v2: sent no produce) ends without an EndTxn, as under v1. A v1 InitProducerId after an abort sends the
   current producer id and epoch (KIP-360).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.message import GroupMetadata, offsets_to_wire
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.clients.producer.accumulator import ProducerBatch
    from minikafka.clients.producer.producer import Producer

UNINITIALIZED, INITIALIZING, READY = "UNINITIALIZED", "INITIALIZING", "READY"
IN_TRANSACTION, COMMITTING, ABORTING = "IN_TRANSACTION", "COMMITTING_TRANSACTION", "ABORTING_TRANSACTION"
ABORTABLE_ERROR, FATAL_ERROR = "ABORTABLE_ERROR", "FATAL_ERROR"

FIND_AGAIN = frozenset({"COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS",
                        "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION"})
RETRY = frozenset({"CONCURRENT_TRANSACTIONS", "UNKNOWN_TOPIC_OR_PART", "REBALANCE_IN_PROGRESS",
                   "UNSTABLE_OFFSET_COMMIT"})
FATAL = frozenset({"PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING",
                   "INVALID_TXN_STATE", "TRANSACTION_COORDINATOR_FENCED", "INVALID_TRANSACTION_TIMEOUT"})


class Op:
    """A blocking call in progress; a later call of the same method resumes it. For
    send_offsets_to_transaction (rule 6) it also holds the group and the offsets: `offsets` not
    yet acknowledged by the group coordinator, `sent` those of the last TxnOffsetCommit, `acked`
    those acknowledged, `last_error` the last retriable error."""

    __slots__ = ("name", "stage", "done", "error", "group", "offsets", "sent", "acked", "last_error")

    def __init__(self, name: str, stage: str) -> None:
        self.name, self.stage, self.done, self.error = name, stage, False, None
        self.group: GroupMetadata | None = None
        self.offsets: dict[tuple[str, int], int] = {}
        self.sent: dict[tuple[str, int], int] = {}
        self.acked: dict[tuple[str, int], int] = {}
        self.last_error: str | None = None


class TransactionManager:
    def __init__(self, producer: "Producer") -> None:
        self.p = producer
        self.txn_id: str = producer.cfg["transactional.id"]
        self.timeout_ms: int = producer.cfg["transaction.timeout.ms"]
        self.state = UNINITIALIZED
        self.error: KafkaError | None = None
        self.partitions: dict[tuple[str, int], bool] = {}     # in this transaction -> added yet
        self.to_add: list[tuple[str, int]] = []
        self.adding: tuple[tuple[str, int], ...] = ()
        self.offsets_added = False
        self.offsets_inflight = False       # an AddOffsetsToTxn/TxnOffsetCommit still awaits its answer
        self.bump_required = False
        self.v2 = False                     # this transaction runs protocol v2 (rule 9)
        self.started = False                # v2: a produce of this transaction was sent (rule 9)
        self.op: Op | None = None

    # -- the application's calls -------------------------------------------------------
    def init_transactions(self, timeout: float | None) -> None:
        self.p.timeout_ms(timeout, "init_transactions()")   # refused before any state changes
        op = self._resume("init_transactions") or self._start("init_transactions", (UNINITIALIZED,), INITIALIZING,
                                                               "init")
        if op.stage == "init":
            op.stage = "waiting"
            self._init_producer_id(op)
        self._wait(op, timeout)

    def begin_transaction(self) -> None:
        self._check_usable()
        if self.state != READY:
            raise self._transition_error(IN_TRANSACTION)
        self.state = IN_TRANSACTION
        self.partitions, self.to_add, self.offsets_added = {}, [], False
        self.v2 = self.p.features.get("transaction.version", 0) >= 2
        self.started = False
        self._trace("txn.begin", **({"v2": True} if self.v2 else {}))

    def commit_transaction(self, timeout: float | None) -> None:
        self.p.timeout_ms(timeout, "commit_transaction()")   # refused before any state changes
        op = self._resume("commit_transaction") or self._start("commit_transaction", (IN_TRANSACTION,), COMMITTING,
                                                               "flush")
        self._wait(op, timeout)

    def abort_transaction(self, timeout: float | None) -> None:
        self.p.timeout_ms(timeout, "abort_transaction()")   # refused before any state changes
        op = self._resume("abort_transaction")
        if op is None:
            op = self._start("abort_transaction", (IN_TRANSACTION, ABORTABLE_ERROR), ABORTING, "flush")
            self.to_add = []
            self.p.purge_queued(KafkaError("_PURGE_QUEUE", "Purged in queue: the transaction was aborted"))
        self._wait(op, timeout)

    def send_offsets_to_transaction(self, offsets: Any, group_metadata: Any, timeout: float | None) -> None:
        self.p.timeout_ms(timeout, "send_offsets_to_transaction()")   # refused before any state changes
        if not isinstance(group_metadata, GroupMetadata):
            raise TypeError("group_metadata must come from consumer.consumer_group_metadata(), "
                            f"got {type(group_metadata).__name__}")
        wire = offsets_to_wire(offsets, "send_offsets_to_transaction")
        op = self._resume("send_offsets_to_transaction")
        if op is None:
            op = self._start("send_offsets_to_transaction", (IN_TRANSACTION,), IN_TRANSACTION, "add")
            op.group, op.offsets = group_metadata, dict(wire)
            if not wire:
                op.done = True
            elif self.v2:                   # rule 9: no AddOffsetsToTxn
                op.stage = "commit"
                self.offsets_inflight = True
                self._commit_offsets(op)
            else:
                self._add_offsets(op)
        elif op.error is None:                          # rule 6: a retry adds its offsets
            if op.group is not None and group_metadata.group_id != op.group.group_id:
                raise KafkaException("_STATE", f"Conflicting send_offsets_to_transaction call in progress for group "
                                               f"'{op.group.group_id}': call it again for that group to finish it")
            op.group = group_metadata
            op.offsets.update((tp, off) for tp, off in wire if op.acked.get(tp) != off)
            if op.done and op.offsets:                  # it finished meanwhile: send what is new
                if self.state != IN_TRANSACTION:        # unless the transaction failed meanwhile
                    self.op = None
                    self._check_usable()
                op.done, op.stage = False, "commit"
                self.offsets_inflight = True
                self._commit_offsets(op)
        self._wait(op, timeout)

    # -- produce path (called by the producer) --------------------------------------------
    def check_produce(self) -> None:
        self._check_usable()
        if self.state != IN_TRANSACTION:
            raise KafkaException("_STATE", f"Cannot produce in state {self.state}: a transactional producer "
                                           "sends only inside a transaction (call begin_transaction() first)")

    def on_record(self, tp: tuple[str, int]) -> None:
        if tp not in self.partitions:
            if self.v2:                     # rule 9: the leader adds it
                self.partitions[tp] = True
                return
            self.partitions[tp] = False
            self.to_add.append(tp)
            self._send_add()

    def may_send(self, tp: tuple[str, int]) -> bool:
        return self.partitions.get(tp, False) and self.state in (IN_TRANSACTION, COMMITTING, ABORTING)

    def on_batch_failed(self, b: "ProducerBatch", err: KafkaError) -> None:
        if b.base_sequence >= 0:
            self.bump_required = True           # it may or may not have been written
        self.on_send_failed(err)

    def on_send_failed(self, err: KafkaError) -> None:
        """A record of this transaction failed (a batch, or a record refused before batching):
        the transaction must be aborted."""
        if self.state in (IN_TRANSACTION, COMMITTING) and err.name() != "_PURGE_QUEUE":
            self._abortable(err)

    def aborting(self) -> bool:
        return self.state == ABORTING

    def busy(self) -> bool:
        return self.op is not None or bool(self.adding) or self.offsets_inflight

    # -- AddPartitionsToTxn (rule 3) ----------------------------------------------------
    def _send_add(self) -> None:
        if self.adding or not self.to_add or self.state not in (IN_TRANSACTION, COMMITTING):
            return
        tps = tuple(sorted(self.to_add))
        self.to_add = []
        self.adding = tps
        p = self.p

        def handle(resp: P.AddPartitionsToTxnResponse) -> str | None:
            errors = [err for _, err in resp.results if err is not None]
            if not errors:
                for tp in tps:
                    self.partitions[tp] = True
                self.adding = ()
                p._wake(0)
                self._send_add()
                return None
            verdict = self._classify(errors[0] if errors[0] != "OPERATION_NOT_ATTEMPTED" else errors[-1])
            if verdict in ("retry", "refind") and self.state in (IN_TRANSACTION, COMMITTING):
                return "retry-soon" if errors[0] == "CONCURRENT_TRANSACTIONS" else verdict
            self.adding = ()
            if verdict not in ("retry", "refind"):
                self._fail_with(verdict, errors[0] if errors[0] != "OPERATION_NOT_ATTEMPTED" else errors[-1])
            return None
        p.coordinator_call("transaction", self.txn_id,
                           lambda cid: P.AddPartitionsToTxnRequest(cid, self.txn_id, p.producer_id, p.producer_epoch,
                                                                   tps), handle)

    # -- stages of the blocking calls -----------------------------------------------------
    def _progress(self, op: Op) -> bool:
        """Drive commit/abort: once every record is delivered or failed, end the transaction."""
        if op.done:
            return True
        p = self.p
        if op.stage == "flush":
            op.stage = "flushing"
            p.flushing = True
            p._wake(0)
        if op.stage == "flushing" and p.in_queue == 0 and not self.adding and not self.offsets_inflight:
            if self.state == ABORTABLE_ERROR:      # a send failed while committing
                op.error = KafkaError(self.error.name(), f"Unable to commit: {self.error.str()}; the transaction "
                                      "must be aborted", txn_requires_abort=True)
                op.done = True
                return True
            committed = self.state == COMMITTING
            if (self.started if self.v2 else any(self.partitions.values())) or self.offsets_added:
                op.stage = "end"
                self._end_txn(op, committed)
            else:
                self._ended(op)
        return op.done

    def _end_txn(self, op: Op, committed: bool) -> None:
        p = self.p

        v2 = self.v2

        def handle(resp: P.EndTxnResponse) -> str | None:
            if resp.error is None:
                if v2 and resp.producer_id >= 0:        # rule 9: the bumped epoch, sequences from 0
                    p.set_producer_id(resp.producer_id, resp.producer_epoch)
                    self.bump_required = False
                self._ended(op)
                return None
            return self._op_error(op, resp.error)
        p.coordinator_call("transaction", self.txn_id,
                           lambda cid: P.EndTxnRequest(cid, self.txn_id, p.producer_id, p.producer_epoch, committed,
                                                       v2), handle)

    def _ended(self, op: Op) -> None:
        committed = self.state == COMMITTING
        self._trace("txn.commit" if committed else "txn.abort", partitions=tuple(
            f"{t}-{n}" for t, n in sorted(self.partitions)))
        self.partitions, self.offsets_added, self.error = {}, False, None
        self.p.flushing = False
        if not committed and self.bump_required:
            self.state = INITIALIZING
            op.stage = "bump"
            self._init_producer_id(op)
            return
        self.state = READY
        op.done = True

    def _init_producer_id(self, op: Op) -> None:
        p = self.p

        def handle(resp: P.InitProducerIdResponse) -> str | None:
            if resp.error is None:
                p.set_producer_id(resp.producer_id, resp.producer_epoch)
                self.bump_required = False
                self.state = READY
                op.done = True
                self._trace("txn.init")
                return None
            return self._op_error(op, resp.error)
        pid, epoch = p.producer_id, p.producer_epoch            # KIP-360: the epoch to bump, if any
        p.coordinator_call("transaction", self.txn_id,
                           lambda cid: P.InitProducerIdRequest(cid, self.txn_id, self.timeout_ms, pid, epoch), handle)

    def _add_offsets(self, op: Op) -> None:
        """Rule 6, first AddOffsetsToTxn, then TxnOffsetCommit (`_commit_offsets`)."""
        p = self.p
        group_id = op.group.group_id
        self.offsets_inflight = True

        def added(resp: P.AddOffsetsToTxnResponse) -> str | None:
            if resp.error is None:
                self.offsets_added = True           # the coordinator has the group's partition
                if op.done:                         # ended meanwhile by another request's error
                    self.offsets_inflight = False
                    return None
                op.stage = "commit"
                self._commit_offsets(op)
                return None
            return self._offsets_error(op, resp.error)
        p.coordinator_call("transaction", self.txn_id, lambda cid: P.AddOffsetsToTxnRequest(
            cid, self.txn_id, p.producer_id, p.producer_epoch, group_id), added)

    def _commit_offsets(self, op: Op) -> None:
        """TxnOffsetCommit of the offsets not yet acknowledged, until none is left (rule 6)."""
        p = self.p
        pid, epoch = p.producer_id, p.producer_epoch
        op.last_error = None                        # from now on: the group coordinator's answers

        def build(cid: int) -> P.TxnOffsetCommitRequest:
            op.sent = dict(op.offsets)
            if self.v2:                             # the group coordinator adds its partition, even if
                self.offsets_added = True           # the commit then fails: EndTxn must follow
            g = op.group
            return P.TxnOffsetCommitRequest(cid, self.txn_id, g.group_id, pid, epoch, g.generation_id, g.member_id,
                                            tuple(op.sent.items()), self.v2, g.group_instance_id)

        def committed(resp: P.OffsetCommitResponse) -> str | None:
            if op.done:                             # given up at its call's timeout, or ended by an error
                self.offsets_inflight = False
                return None
            for tp, err in resp.results:
                if err is None and tp in op.offsets and op.offsets[tp] == op.sent.get(tp):
                    op.acked[tp] = op.offsets.pop(tp)
            errors = [err for _, err in resp.results if err is not None]
            if errors:
                return self._offsets_error(op, errors[0])
            if op.offsets:                          # a retried call added offsets meanwhile
                return "retry"
            op.done = True
            self.offsets_inflight = False
            return None
        p.coordinator_call("group", op.group.group_id, build, committed)

    def _offsets_error(self, op: Op, error: str) -> str | None:
        if op.done:
            self.offsets_inflight = False
            return None
        verdict = self._classify(error)
        if verdict in ("retry", "refind"):
            op.last_error = error
            return verdict
        self.offsets_inflight = False
        self._fail_with(verdict, error)
        return None

    def _give_up_offsets(self, op: Op, ms: int) -> None:
        """Rule 6: the TxnOffsetCommit did not succeed within the call's timeout; the
        transaction must be aborted (librdkafka). Its request may still be out: commit and
        abort wait for its answer (`offsets_inflight`) before they end the transaction."""
        error = op.last_error or "_TIMED_OUT"
        why = (f"the group coordinator answered {error}, retried until then" if op.last_error is not None
               else "no answer from the group coordinator")
        self._abortable(KafkaError(error, f"Failed to commit offsets to the transaction within {ms} ms: {why}"),
                        retriable=False)
        op.error, op.done = self.error, True

    def _op_error(self, op: Op, error: str) -> str | None:
        verdict = self._classify(error)
        if verdict in ("retry", "refind"):
            return verdict
        self._fail_with(verdict, error)
        return None

    # -- errors (rules 7, 8) ---------------------------------------------------------------
    @staticmethod
    def _classify(error: str) -> str:
        if error in FIND_AGAIN:
            return "refind"
        if error in RETRY:
            return "retry"
        return "fatal" if error in FATAL else "abortable"

    def _fail_with(self, verdict: str, error: str) -> None:
        if verdict == "fatal":
            self._fatal(error)
        else:
            self._abortable(KafkaError(error))
        op = self.op
        if op is not None and not op.done:
            op.error = self.error
            op.done = True

    def _abortable(self, err: KafkaError, retriable: bool | None = None) -> None:
        if self.state == FATAL_ERROR:
            return
        self.error = KafkaError(err.name(), err.str(), txn_requires_abort=True, retriable=retriable)
        self.state = ABORTABLE_ERROR
        self._trace("txn.abortable_error", error=err.name())

    def _fatal(self, error: str) -> None:
        p = self.p
        if error == "PRODUCER_FENCED" or error == "INVALID_PRODUCER_EPOCH":
            reason = (f"There is a newer producer with the same transactional.id '{self.txn_id}' which fences "
                      f"this one (producer id {p.producer_id}, epoch {p.producer_epoch})")
            error = "PRODUCER_FENCED"
        elif error == "INVALID_TRANSACTION_TIMEOUT":
            reason = (f"transaction.timeout.ms={self.timeout_ms} is larger than the broker's "
                      "transaction.max.timeout.ms (900000 by default)")
        else:
            reason = f"Fatal transactional error {error} for transactional.id '{self.txn_id}'"
        self.error = KafkaError(error, reason, fatal=True)
        self.state = FATAL_ERROR
        self._trace("txn.fatal_error", error=error)
        p.purge_queued(self.error)

    def _check_usable(self) -> None:
        self.p.check_open()
        if self.state == FATAL_ERROR:
            raise KafkaException(self.error)
        if self.state == ABORTABLE_ERROR:
            raise KafkaException(KafkaError(self.error.name(), f"{self.error.str()} (an earlier transactional request "
                                            "failed: call abort_transaction())", txn_requires_abort=True,
                                            retriable=self.error.retriable()))

    def _transition_error(self, target: str) -> KafkaException:
        return KafkaException("_STATE", f"TransactionalId {self.txn_id}: Invalid transition attempted from state "
                                        f"{self.state} to state {target}")

    def _resume(self, name: str) -> Op | None:
        op = self.op
        if op is None:
            return None
        if op.name != name:
            raise KafkaException("_STATE", f"Conflicting {op.name} call in progress: call {op.name}() again "
                                           f"to finish it before {name}()")
        return op

    def _start(self, name: str, allowed: tuple[str, ...], target: str, stage: str) -> Op:
        if self.state == ABORTABLE_ERROR and ABORTABLE_ERROR not in allowed:
            self._check_usable()
        if self.state == FATAL_ERROR:
            self._check_usable()
        self.p.check_open()
        if self.state not in allowed:
            raise self._transition_error(target)
        self.state = target
        self.op = Op(name, stage)
        return self.op

    def _wait(self, op: Op, timeout: float | None) -> None:
        p = self.p
        ms = p.timeout_ms(timeout)
        if ms is None:
            ms = p.cfg["max.block.ms"]
        p.block_until(lambda: self._progress(op), ms, op.name)
        if not op.done and op.name == "send_offsets_to_transaction" and op.stage == "commit":
            self._give_up_offsets(op, ms)
        if op.name in ("commit_transaction", "abort_transaction"):
            p._serve_reports()              # they flush, and flush serves delivery reports
        if not op.done:
            raise KafkaException(KafkaError("_TIMED_OUT", f"{op.name} timed out after {ms} ms; call {op.name}() "
                                            "again to resume it", retriable=True))
        self.op = None
        p.flushing = False
        if op.error is not None:
            raise KafkaException(op.error)

    def _trace(self, name: str, **fields: Any) -> None:
        p = self.p
        p.trace.state(p.sim.now, p.name, name, txn_id=self.txn_id, pid=p.producer_id, epoch=p.producer_epoch,
                      **fields)

