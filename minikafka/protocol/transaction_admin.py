"""The operator's view of transactions (KIP-664, `kafka-transactions.sh`): ListTransactions (to
every broker, each answering for the transactions it coordinates), DescribeTransactions (to a
transactional id's coordinator) and DescribeProducers (to a partition's leader, or a replica
the caller names) (Kafka: `ListTransactionsRequest.json`, `DescribeTransactionsRequest.json`,
`DescribeProducersRequest.json`). Aborting a hanging transaction needs no message of its own:
the admin client sends the partition leader a WriteTxnMarkersRequest (protocol/transactions.py).

Rules:
1. ListTransactions filters (all optional, all must hold): `states` (names; a name the broker
   does not know comes back in `unknown_states` and matches nothing), `producer_ids`,
   `duration_filter_ms` (-1: none; else only transactions started more than that long ago,
   KIP-994) and `pattern`, a regular expression the whole transactional id must match ("":
   none; KIP-1152, Kafka 4.1+).
2. Per-item errors travel with their item: a transactional id in DescribeTransactions, a
   partition in DescribeProducers. A ListTransactions answer has one error for the broker.
3. -1 means "none": a transaction start time before any transaction, a producer's coordinator
   epoch before any marker, and `current_txn_start_offset` of a producer with no open
   transaction on that partition.
"""
from __future__ import annotations

from dataclasses import dataclass

from minikafka.protocol.base import TP, Msg, _tp, message


# -- ListTransactions ---------------------------------------------------------------------------
@message
class ListTransactionsRequest(Msg):
    """Which transactions do you coordinate? (rule 1's filters)"""
    cid: int
    states: tuple[str, ...] = ()
    producer_ids: tuple[int, ...] = ()
    duration_filter_ms: int = -1
    pattern: str = ""

    def summary(self):
        out: dict = {}
        if self.states:
            out["states"] = self.states
        if self.producer_ids:
            out["pids"] = self.producer_ids
        if self.duration_filter_ms >= 0:
            out["duration_ms"] = self.duration_filter_ms
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@message
class ListTransactionsResponse(Msg):
    """An error, or (transactional id, producer id, state) of each transaction that passed the filters."""
    cid: int
    error: str | None
    transactions: tuple[tuple[str, int, str], ...] = ()
    unknown_states: tuple[str, ...] = ()

    def summary(self):
        out: dict = {"error": self.error or "none", "txns": tuple(f"{t}:{s}" for t, _, s in self.transactions)}
        if self.unknown_states:
            out["unknown_states"] = self.unknown_states
        return out


# -- DescribeTransactions ---------------------------------------------------------------------
@message
class DescribeTransactionsRequest(Msg):
    """Describe these transactional ids (to their coordinator)."""
    cid: int
    transactional_ids: tuple[str, ...]

    def summary(self):
        return {"txn_ids": self.transactional_ids}


@dataclass(frozen=True, slots=True)
class DescribedTransaction:
    """One transactional id in a DescribeTransactions answer: an error, or its coordinator's state."""

    transactional_id: str
    error: str | None
    state: str = ""
    producer_id: int = -1
    producer_epoch: int = -1
    timeout_ms: int = -1
    start_ms: int = -1
    partitions: tuple[TP, ...] = ()


@message
class DescribeTransactionsResponse(Msg):
    """One entry per transactional id asked for, in the order asked."""
    cid: int
    transactions: tuple[DescribedTransaction, ...]

    def summary(self):
        return {"txns": tuple(f"{d.transactional_id}:{d.error or d.state}" for d in self.transactions)}


# -- DescribeProducers -----------------------------------------------------------------------------
@message
class DescribeProducersRequest(Msg):
    """The active producers of these partitions, from this broker's replicas."""
    cid: int
    partitions: tuple[TP, ...]

    def summary(self):
        return {"parts": tuple(_tp(tp) for tp in self.partitions)}


@dataclass(frozen=True, slots=True)
class ActiveProducer:
    """One producer id's state in one replica (Kafka: `DescribeProducersResponse` ProducerState)."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int
    current_txn_start_offset: int


@dataclass(frozen=True, slots=True)
class PartitionProducers:
    """One partition in a DescribeProducers answer: an error, or its active producers."""

    tp: TP
    error: str | None
    producers: tuple[ActiveProducer, ...] = ()


@message
class DescribeProducersResponse(Msg):
    """One entry per partition asked for, in the order asked."""
    cid: int
    partitions: tuple[PartitionProducers, ...]

    def summary(self):
        def one(p: PartitionProducers) -> str:
            if p.error is not None:
                return f"{_tp(p.tp)}:{p.error}"
            pids = ",".join(f"{a.producer_id}" + (f"@{a.current_txn_start_offset}"
                                                  if a.current_txn_start_offset >= 0 else "") for a in p.producers)
            return f"{_tp(p.tp)}:[{pids}]"
        return {"results": tuple(one(p) for p in self.partitions)}
