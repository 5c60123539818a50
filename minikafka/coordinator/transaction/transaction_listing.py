"""The transaction coordinator's answers to the operator's tools (KIP-664): ListTransactions and
DescribeTransactions, read from the coordinator's state (`TransactionCoordinator.txns`, what its
`__transaction_state` partitions say). Neither writes anything (kafka-semantics.md S.213).

Rules (Kafka: `TransactionStateManager.listTransactionStates`,
`TransactionCoordinator.handleDescribeTransactions`):
1. ListTransactions: every broker answers for the transactional ids of the partitions it
   coordinates now, in transactional-id order. A transaction is listed when it passes every filter
   given: its state is one of `states` (names this coordinator does not know are returned in
   `unknown_states`, and then a transaction matches only a known name it gives);
   its producer id is one of `producer_ids`; it started more than `duration_filter_ms` ago
   (now - start > duration: a transaction that never started has start -1, so it passes, as in
   Kafka); the whole transactional id matches `pattern` (KIP-1152). A pattern the broker cannot
   compile is answered INVALID_REQUEST (the admin client refuses one before sending).
2. DescribeTransactions, per transactional id: "" -> INVALID_REQUEST; an id whose
   `__transaction_state` partition this broker does not coordinate -> NOT_COORDINATOR; an id it
   has no state for -> TRANSACTIONAL_ID_NOT_FOUND; else its state, producer id and epoch,
   timeout, start time (-1 before its first transaction) and partitions (those of the
   transaction still in progress, none once it is complete).
3. The state reported is the last one written and replicated; a transition still being written
   is not shown (Kafka reports `state`, not `pendingState`).
Simplification: loading a partition is instantaneous (internal_topics.py), so no answer is
COORDINATOR_LOAD_IN_PROGRESS, which the admin client would retry.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from minikafka import protocol as P
from minikafka.coordinator.transaction.transaction_coordinator import STATES

if TYPE_CHECKING:
    from minikafka.coordinator.transaction.transaction_coordinator import TransactionCoordinator, TxnMetadata


def list_transactions(coordinator: "TransactionCoordinator", msg: P.ListTransactionsRequest
                      ) -> P.ListTransactionsResponse:
    """Rule 1."""
    unknown = tuple(s for s in msg.states if s not in STATES)
    known = frozenset(s for s in msg.states if s in STATES)        # membership only
    pids = frozenset(msg.producer_ids)
    try:
        pattern = re.compile(msg.pattern) if msg.pattern else None
    except re.error:
        return P.ListTransactionsResponse(msg.cid, "INVALID_REQUEST", (), unknown)
    now = coordinator.sim.now

    def listed(meta: "TxnMetadata") -> bool:
        if msg.states and meta.state not in known:
            return False
        if pids and meta.producer_id not in pids:
            return False
        if msg.duration_filter_ms >= 0 and now - meta.start_ms <= msg.duration_filter_ms:
            return False
        return pattern is None or pattern.fullmatch(meta.txn_id) is not None
    rows = []
    for txn_id in sorted(coordinator.txns):
        meta = coordinator.txns[txn_id]
        if coordinator.owner_error(txn_id) is None and listed(meta):
            rows.append((txn_id, meta.producer_id, meta.state))
    return P.ListTransactionsResponse(msg.cid, None, tuple(rows), unknown)


def describe_transactions(coordinator: "TransactionCoordinator", msg: P.DescribeTransactionsRequest
                          ) -> P.DescribeTransactionsResponse:
    """Rule 2, one entry per transactional id asked for, in the order asked."""
    out = []
    for txn_id in msg.transactional_ids:
        if not txn_id:
            out.append(P.DescribedTransaction(txn_id, "INVALID_REQUEST"))
            continue
        err = coordinator.owner_error(txn_id)
        meta = coordinator.txns.get(txn_id) if err is None else None
        if err is not None:
            out.append(P.DescribedTransaction(txn_id, err))
        elif meta is None:
            out.append(P.DescribedTransaction(txn_id, "TRANSACTIONAL_ID_NOT_FOUND"))
        else:
            out.append(P.DescribedTransaction(txn_id, None, meta.state, meta.producer_id, meta.producer_epoch,
                                              meta.timeout_ms, meta.start_ms, meta.partitions))
    return P.DescribeTransactionsResponse(msg.cid, tuple(out))
