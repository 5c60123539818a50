"""Writing: Produce (record batches to a partition leader) and InitProducerId (a producer id
and epoch for an idempotent or transactional producer) (Kafka: `ProduceRequest.json`,
`InitProducerIdRequest.json`)."""
from __future__ import annotations

from typing import Any

from minikafka.protocol.base import TP, Msg, _tp, message
from minikafka.storage.records import RecordBatch


# -- produce -----------------------------------------------------------------------------
@message
class ProduceRequest(Msg):
    """Batches to append to partitions this broker leads, with the producer's acks."""
    cid: int
    acks: int
    timeout_ms: int
    batches: list[tuple[TP, RecordBatch]]
    transactional_id: str | None = None
    txn_v2: bool = False        # Produce v12+: the leader adds the partition to the transaction


    def summary(self):
        out: dict[str, Any] = {"acks": "all" if self.acks == -1 else self.acks}
        out["batches"] = tuple(f"{_tp(tp)}:{b.count}" + (f"@seq{b.base_sequence}" if b.base_sequence >= 0 else "")
                               for tp, b in self.batches)
        pid = self.batches[0][1].producer_id if self.batches else -1
        if pid >= 0:
            out["pid"] = pid
            out["epoch"] = self.batches[0][1].producer_epoch
        return out


@message
class ProduceResponse(Msg):
    """Per partition: an error, or the base offset its batch got."""
    cid: int
    results: list[tuple[TP, str | None, int]]        # (tp, error name or None, base offset)

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}


# -- producer ids ------------------------------------------------------------------------
@message
class InitProducerIdRequest(Msg):
    """A producer asks for a producer id and epoch (with a transactional id: its coordinator does)."""
    cid: int
    transactional_id: str | None = None
    transaction_timeout_ms: int = -1
    producer_id: int = -1           # KIP-360: the id and epoch the producer has, to bump them
    producer_epoch: int = -1

    def summary(self):
        out: dict[str, Any] = {"txn_id": self.transactional_id} if self.transactional_id else {}
        if self.producer_id >= 0:
            out["pid"], out["epoch"] = self.producer_id, self.producer_epoch
        return out


@message
class InitProducerIdResponse(Msg):
    """An error, or the producer id and epoch."""
    cid: int
    error: str | None
    producer_id: int
    producer_epoch: int

    def summary(self):
        return {"error": self.error or "none", "pid": self.producer_id, "epoch": self.producer_epoch}
