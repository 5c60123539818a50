"""A partition leader asks a transaction's coordinator before the transaction's first write to
that partition (Kafka: `AddPartitionsToTxnManager.scala`, `ReplicaManager.handleProduceAppend`,
`UnifiedLog.maybeStartTransactionVerification`; kafka-semantics.md S.203-S.206).

Rules:
1. A transactional data batch needs the coordinator's word when its producer has no open
   transaction on the partition at the batch's epoch (Kafka: `hasOngoingTransaction(id, epoch)`;
   under v2 the next transaction has the next epoch, so its first write waits until the previous
   one's marker is in) and either `transaction.partition.verification.enable` is true
   (KIP-890 part 1, the default) or the Produce is a transactions-v2 one (v12+, part 2, whatever
   the config says). Later batches of the same open transaction are appended without asking.
2. Before asking, the leader stores a fresh verification guard for the producer id in the
   replica's producer state. The batch is appended only if it still presents that very guard
   (replica_manager.py rule 3b); the first append or a marker for that producer drops it, so an
   answer that raced with a marker cannot let a write in afterwards.
3. The leader sends AddPartitionsToTxn (broker-only, v4+) to the coordinator: `verify_only` for
   part 1 (is the partition in the transaction?), an add for part 2 (put it in). The whole
   Produce request waits for the answer; a partition it refuses is answered with the error and
   not appended, the others are appended.
4. Errors, as the leader passes them on: PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH;
   NETWORK_EXCEPTION (a lost connection or no answer within `request.timeout.ms`),
   COORDINATOR_NOT_AVAILABLE (no leader for the coordinator's partition), NOT_COORDINATOR and
   COORDINATOR_LOAD_IN_PROGRESS become NOT_ENOUGH_REPLICAS (retriable, no metadata refresh);
   CONCURRENT_TRANSACTIONS too, except for a v2 add, which the leader itself retries every
   `add.partitions.to.txn.retry.backoff.ms` for up to `add.partitions.to.txn.retry.backoff.max.ms`
   before returning it as it is. TRANSACTION_ABORTABLE (partition not in the transaction),
   INVALID_PRODUCER_ID_MAPPING and the rest pass through.
5. Metrics: VerificationTimeMs (a histogram of the round trip) and VerificationFailureRate.
Simplifications: one AddPartitionsToTxn per Produce request (Kafka batches the requests of one
coordinator node in one inter-broker send thread, with one waiting entry per transactional id).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import TRANSACTION_STATE, partition_for

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica

TO_NOT_ENOUGH_REPLICAS = frozenset({"NETWORK_EXCEPTION", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR",
                                    "COORDINATOR_LOAD_IN_PROGRESS"})


def has_ongoing_transaction(r: "Replica", pid: int, epoch: int) -> bool:
    entry = r.producer_state.producers.get(pid)
    return pid in r.txn.ongoing and entry is not None and entry.epoch == epoch


class Verification:
    """One AddPartitionsToTxn in flight (rule 3)."""

    __slots__ = ("msg", "node", "incarnation", "then", "timer", "started", "retry_until")

    def __init__(self, msg: P.AddPartitionsToTxnRequest, then: Callable[[dict], None], started: int) -> None:
        self.msg, self.then, self.started = msg, then, started
        self.node, self.incarnation, self.timer = "", 0, None
        self.retry_until = -1


class AddPartitionsToTxnManager:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.flying: dict[int, Verification] = {}
        self._cid = 0

    def required(self, r: "Replica", batch: Any, txn_v2: bool) -> bool:
        """Rule 1 for a batch."""
        return (batch.transactional and not batch.control and batch.producer_id >= 0
                and self.needs_check(r, batch.producer_id, batch.producer_epoch, txn_v2))

    def needs_check(self, r: "Replica", pid: int, epoch: int, txn_v2: bool) -> bool:
        """Rule 1 for a transactional write of (pid, epoch) to `r`, a leader's or the group
        coordinator's (group_coordinator.py rule 5)."""
        return (not has_ongoing_transaction(r, pid, epoch)
                and (txn_v2 or self.broker.cfg["transaction.partition.verification.enable"]))

    def verify(self, txn_id: str, pid: int, epoch: int, tps: tuple, add: bool,
               then: Callable[[dict], None]) -> None:
        """Rule 3: `then({tp: error or None})` once the coordinator answered (or could not)."""
        self._cid += 1
        msg = P.AddPartitionsToTxnRequest(self._cid, txn_id, pid, epoch, tps, verify_only=not add, from_broker=True)
        v = Verification(msg, then, self.broker.sim.now)
        if add:
            v.retry_until = self.broker.sim.now + min(self.broker.cfg["add.partitions.to.txn.retry.backoff.max.ms"],
                                                      self.broker.cfg["request.timeout.ms"])
        self._send(v)

    def _send(self, v: Verification) -> None:
        b = self.broker
        parts = b.metadata.get(TRANSACTION_STATE)
        leader = parts[partition_for(v.msg.transactional_id, len(parts))].leader if parts else -1
        if leader < 0:
            self._finish(v, {tp: "COORDINATOR_NOT_AVAILABLE" for tp in v.msg.partitions})
            return
        v.node = f"b{leader}"
        v.incarnation = b.net.nodes[v.node].incarnation
        self.flying[v.msg.cid] = v
        v.timer = b.after(b.cfg["request.timeout.ms"], self._timed_out, v.msg.cid)
        b.send(v.node, v.msg)

    def _timed_out(self, cid: int) -> None:
        v = self.flying.pop(cid, None)
        if v is not None:
            self.broker.net.close(self.broker.name, v.node)
            self._finish(v, {tp: "NETWORK_EXCEPTION" for tp in v.msg.partitions})

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        for cid in sorted(self.flying):
            v = self.flying[cid]
            if v.node == peer and v.incarnation == incarnation:
                del self.flying[cid]
                v.timer.cancel()
                self._finish(v, {tp: "NETWORK_EXCEPTION" for tp in v.msg.partitions})

    def on_response(self, msg: P.AddPartitionsToTxnResponse) -> None:
        v = self.flying.pop(msg.cid, None)
        if v is None:
            return
        v.timer.cancel()
        errors = dict(msg.results)
        b = self.broker
        if "CONCURRENT_TRANSACTIONS" in errors.values() and b.sim.now < v.retry_until:      # rule 4, v2 adds
            b.after(b.cfg["add.partitions.to.txn.retry.backoff.ms"], self._send, v)
            return
        self._finish(v, errors)

    def _finish(self, v: Verification, errors: dict) -> None:
        """Rule 4, then the produce goes on."""
        b = self.broker
        add = not v.msg.verify_only
        out = {}
        for tp in v.msg.partitions:
            err = errors.get(tp, "NETWORK_EXCEPTION")
            if err == "PRODUCER_FENCED":
                err = "INVALID_PRODUCER_EPOCH"
            elif err in TO_NOT_ENOUGH_REPLICAS or (err == "CONCURRENT_TRANSACTIONS" and not add):
                err = "NOT_ENOUGH_REPLICAS"
            out[tp] = err
        failed = any(e is not None for e in out.values())
        b.metrics.verification(b.sim.now - v.started, failed)
        b.trace.state(b.sim.now, b.name, "txn.verify", txn_id=v.msg.transactional_id, pid=v.msg.producer_id,
                      epoch=v.msg.producer_epoch, add=add,
                      result=tuple(f"{t}-{p}:{e or 'ok'}" for (t, p), e in sorted(out.items())))
        v.then(out)

    def produce(self, msg: P.ProduceRequest, respond: Callable[[list], None]) -> None:
        """Rules 1-3 for a Produce request: ask first if any of its batches needs it, then append."""
        b = self.broker
        need = []
        if msg.transactional_id is not None:
            for tp, batch in msg.batches:
                r = b.replicas.get(tp)
                if r is not None and r.is_leader and self.required(r, batch, msg.txn_v2):
                    need.append((tp, batch))
        append = b.replica_manager.append_records
        if not need:
            append(msg.batches, msg.acks, msg.timeout_ms, respond, internal_topics_allowed=False, txn_v2=msg.txn_v2)
            return
        guards = {tp: b.replicas[tp].producer_state.start_verification(batch.producer_id) for tp, batch in need}
        first = need[0][1]

        def verified(errors: dict) -> None:
            failed = [(tp, err, -1) for tp, err in sorted(errors.items()) if err is not None]
            b.metrics.produce_failed(err for _, err, _ in failed)
            rest = [(tp, batch) for tp, batch in msg.batches if errors.get(tp) is None]
            append(rest, msg.acks, msg.timeout_ms, lambda results: respond(results + failed),
                   internal_topics_allowed=False, guards=guards, txn_v2=msg.txn_v2)
        self.verify(msg.transactional_id, first.producer_id, first.producer_epoch, tuple(tp for tp, _ in need),
                    msg.txn_v2, verified)
