"""Real transactional producers (Kafka: `KafkaApis`' handleAddPartitionsToTxnRequest,
handleAddOffsetsToTxnRequest, handleEndTxnRequest, handleTxnOffsetCommitRequest).

Rules:
1. The versions served are those of the first transaction protocol (a client adds partitions
   with AddPartitionsToTxn, KIP-98): AddPartitionsToTxn 0-3 (one transactional id; KIP-890's
   batches are for brokers), EndTxn 0-3 and Produce up to 9, so a real client never uses
   transactions v2 here; the coordinator runs a transaction with whichever protocol its
   producer speaks.
2. Each becomes minikafka's request to the broker the client asked (its transaction coordinator,
   or a group coordinator for TxnOffsetCommit); errors keep Kafka's codes.
"""
from __future__ import annotations

from typing import Any

from minikafka import protocol as P
from minikafka.serve.group_apis import _by_topic


class TxnApis:
    """The transaction calls of `WireConnection` (kafka_apis.py), which provides the rest."""

    code: Any
    _send: Any
    next_cid: Any

    def _on_addpartitionstotxn(self, req: Any, version: int) -> None:
        tps = tuple((t.name, p) for t in req.v3_and_below_topics for p in t.partitions)
        self._send(P.AddPartitionsToTxnRequest(self.next_cid(), req.v3_and_below_transactional_id,
                                               req.v3_and_below_producer_id, req.v3_and_below_producer_epoch, tps))

    def _addpartitionstotxn_answer(self, msg: P.AddPartitionsToTxnResponse, req: Any, version: int) -> dict[str, Any]:
        topics = _by_topic(msg.results, self.code)
        return {"throttle_time_ms": 0, "results_by_topic_v3_and_below": [
            {"name": t["name"], "results_by_partition": [{"partition_index": p["partition_index"],
                                                          "partition_error_code": p["error_code"]}
                                                         for p in t["partitions"]]} for t in topics]}

    def _on_addoffsetstotxn(self, req: Any, version: int) -> None:
        self._send(P.AddOffsetsToTxnRequest(self.next_cid(), req.transactional_id, req.producer_id,
                                            req.producer_epoch, req.group_id))

    def _addoffsetstotxn_answer(self, msg: P.AddOffsetsToTxnResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error)}

    def _on_endtxn(self, req: Any, version: int) -> None:
        self._send(P.EndTxnRequest(self.next_cid(), req.transactional_id, req.producer_id, req.producer_epoch,
                                   req.committed))

    def _endtxn_answer(self, msg: P.EndTxnResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error)}

    def _on_txnoffsetcommit(self, req: Any, version: int) -> None:
        offsets = tuple(((t.name, p.partition_index), p.committed_offset) for t in req.topics for p in t.partitions)
        self._send(P.TxnOffsetCommitRequest(self.next_cid(), req.transactional_id, req.group_id, req.producer_id,
                                            req.producer_epoch, getattr(req, "generation_id", -1),
                                            getattr(req, "member_id", ""), offsets,
                                            group_instance_id=getattr(req, "group_instance_id", None)))

    def _txnoffsetcommit_answer(self, msg: Any, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "topics": _by_topic(msg.results, self.code)}
