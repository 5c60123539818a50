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
    """Per partition: an error, or the base offset its batch got. Beside them, by partition:
    the leader's log-append time of a batch appended to a LogAppendTime topic, and the error
    message of a batch the leader's validation refused (server/log_validator.py).

    The replica manager hands its results on as (tp, error, base offset) or, with those two,
    (tp, error, base offset, log-append time or -1, error message or None); the response keeps
    the plain triples in `results` and moves the rest to the two dicts."""
    cid: int
    results: list[tuple[TP, str | None, int]]        # (tp, error name or None, base offset)
    log_append_times: dict[TP, int] | None = None
    error_messages: dict[TP, str] | None = None

    def __post_init__(self) -> None:
        if not any(len(r) > 3 for r in self.results):
            return
        plain, times, texts = [], {}, {}
        for tp, err, off, *more in self.results:
            plain.append((tp, err, off))
            if more:
                if more[0] >= 0:
                    times[tp] = more[0]
                if more[1] is not None:
                    texts[tp] = more[1]
        self.results = plain
        self.log_append_times = times or self.log_append_times
        self.error_messages = texts or self.error_messages

    def summary(self):
        out: dict[str, Any] = {"results": tuple(f"{_tp(tp)}:{err or 'ok'}@{off}" for tp, err, off in self.results)}
        if self.log_append_times:
            out["log_append_time"] = tuple(f"{_tp(tp)}:{ts}" for tp, ts in self.log_append_times.items())
        return out


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
