"""What a transaction coordinator does with an EndTxn, as a pure function of the transaction's
state (Kafka: the state table above `TransactionCoordinator.endTransaction`, and
`endTransactionWithTV1`; kafka-semantics.md G.45, S.207-S.209).

`end_txn(version, state, stored_epoch, request_epoch, committed, overflow_retry)` returns one of:
  ("prepare", None)   write PrepareCommit/PrepareAbort (v2: with the epoch bumped) and answer NONE;
  ("empty_abort", None)  v2 only: an abort with nothing to abort, still with the epoch bumped;
  ("done", None)      a retry of an EndTxn that already completed: answer NONE, write nothing;
  ("error", NAME)     answer that error, write nothing.

Transactions v1 (EndTxn v4 or lower): the epoch must equal the stored one (older:
PRODUCER_FENCED, newer: INVALID_PRODUCER_EPOCH). Ongoing -> prepare; the same result again once
prepared -> CONCURRENT_TRANSACTIONS, once complete -> done; the opposite result, or no
transaction (Empty) -> INVALID_TXN_STATE.

Transactions v2 (EndTxn v5+), request epoch E against stored epoch S:
  Ongoing: E == S -> prepare.               Empty: E == S -> abort: empty_abort, commit: INVALID_TXN_STATE.
  PrepareCommit/PrepareAbort: E + 1 == S (a retry) -> CONCURRENT_TRANSACTIONS.
  CompleteCommit/CompleteAbort: a retry (E + 1 == S, or the overflow retry of a rotated producer
    id) -> done if the same result, INVALID_TXN_STATE if the opposite; E == S -> abort:
    empty_abort, commit: INVALID_TXN_STATE.
  Any other epoch -> PRODUCER_FENCED.
So a producer whose transaction the coordinator aborted on timeout (S = E + 1) can still abort
(done, and carry on with the returned epoch), but its commit fails with INVALID_TXN_STATE.
"""
from __future__ import annotations

EMPTY, ONGOING = "Empty", "Ongoing"
PREPARE_COMMIT, PREPARE_ABORT = "PrepareCommit", "PrepareAbort"
COMPLETE_COMMIT, COMPLETE_ABORT = "CompleteCommit", "CompleteAbort"
STATES = (EMPTY, ONGOING, PREPARE_COMMIT, PREPARE_ABORT, COMPLETE_COMMIT, COMPLETE_ABORT)


def end_txn(version: int, state: str, stored_epoch: int, request_epoch: int, committed: bool,
            overflow_retry: bool = False) -> tuple[str, str | None]:
    if state not in STATES:
        raise ValueError(f"unknown transaction state {state!r}; states: {', '.join(STATES)}")
    if version not in (1, 2):
        raise ValueError(f"transactions version is 1 or 2, got {version!r}")
    same_done = COMPLETE_COMMIT if committed else COMPLETE_ABORT
    other_done = COMPLETE_ABORT if committed else COMPLETE_COMMIT
    if version == 1:
        if request_epoch < stored_epoch:
            return ("error", "PRODUCER_FENCED")
        if request_epoch > stored_epoch:
            return ("error", "INVALID_PRODUCER_EPOCH")
        if state == ONGOING:
            return ("prepare", None)
        if state in (PREPARE_COMMIT, PREPARE_ABORT):
            preparing = PREPARE_COMMIT if committed else PREPARE_ABORT
            return ("error", "CONCURRENT_TRANSACTIONS" if state == preparing else "INVALID_TXN_STATE")
        if state == same_done:
            return ("done", None)
        return ("error", "INVALID_TXN_STATE")
    retry = request_epoch + 1 == stored_epoch or overflow_retry
    current = request_epoch == stored_epoch
    if state in (ONGOING, EMPTY):
        if not current:
            return ("error", "PRODUCER_FENCED")
        if state == ONGOING:
            return ("prepare", None)
        return ("error", "INVALID_TXN_STATE") if committed else ("empty_abort", None)
    if state in (PREPARE_COMMIT, PREPARE_ABORT):
        return ("error", "CONCURRENT_TRANSACTIONS") if retry else ("error", "PRODUCER_FENCED")
    if retry:
        return ("done", None) if state == same_done else ("error", "INVALID_TXN_STATE")
    if current:
        return ("error", "INVALID_TXN_STATE") if committed else ("empty_abort", None)
    assert state == other_done or state == same_done
    return ("error", "PRODUCER_FENCED")
