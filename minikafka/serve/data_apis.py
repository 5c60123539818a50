"""Real producers and consumers reading and writing (Kafka: `KafkaApis`' handleProduceRequest,
handleFetchRequest, handleListOffsetRequest, handleInitProducerIdRequest; kafka_apis.py rule 4).

Rules:
1. Produce: each partition's records must be exactly one uncompressed record batch v2 (else
   INVALID_RECORD, UNSUPPORTED_COMPRESSION_TYPE for that partition); acks other than -1, 0 and
   1 is INVALID_REQUIRED_ACKS; a negative timeout is 0. Produce with acks=0 gets no answer, as
   in Kafka.
2. Fetch: a full fetch every time (no KIP-227 fetch sessions: the answer's session id is 0,
   which tells the client so); a negative wait or size is 0. ListOffsets: the specs and
   timestamps of minikafka's.
3. Record and ListOffsets timestamps move by the connection's `clock` (kafka_apis.py rule 4).
"""
from __future__ import annotations

from typing import Any

from minikafka import protocol as P
from minikafka.serve import codec


class DataApis:
    """The data calls of `WireConnection` (kafka_apis.py), which provides the rest."""

    clock: int
    refused: dict[tuple[str, int], str]
    code: Any
    _send: Any
    _answer: Any
    _next: Any
    next_cid: Any
    _cid: int
    busy: Any

    # -- InitProducerId --------------------------------------------------------------------------
    def _on_initproducerid(self, req: Any, version: int) -> None:
        self._send(P.InitProducerIdRequest(self.next_cid(), req.transactional_id, req.transaction_timeout_ms,
                                           getattr(req, "producer_id", -1), getattr(req, "producer_epoch", -1)))

    def _initproducerid_answer(self, msg: P.InitProducerIdResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "producer_id": msg.producer_id,
                "producer_epoch": msg.producer_epoch}

    # -- Produce (rule 1) ------------------------------------------------------------------------
    def _on_produce(self, req: Any, version: int) -> None:
        batches, refused = [], {}
        for t in req.topic_data:
            for p in t.partition_data:
                tp = (t.name, p.index)
                try:
                    got = codec.to_batches(p.records, self.clock)
                except codec.UnsupportedCompression:
                    refused[tp] = "UNSUPPORTED_COMPRESSION_TYPE"
                    continue
                if len(got) != 1:
                    refused[tp] = "INVALID_RECORD"
                    continue
                batches.append((tp, got[0]))
        if req.acks not in (-1, 0, 1):
            refused.update({tp: "INVALID_REQUIRED_ACKS" for tp, _ in batches})
            batches = []
        self.refused = refused
        if batches:
            self._send(P.ProduceRequest(self.next_cid(), req.acks, max(0, req.timeout_ms), batches,
                                        req.transactional_id))
        if req.acks == 0:
            self.busy = None
            self._next()
        elif not batches:
            self._answer(self._produce_answer(P.ProduceResponse(self._cid, []), req, version))

    def _produce_answer(self, resp: P.ProduceResponse, req: Any, version: int) -> dict[str, Any]:
        results = {tp: (err, off) for tp, err, off in resp.results}
        results.update({tp: (err, -1) for tp, err in self.refused.items()})
        times = resp.log_append_times or {}
        out = []
        for t in req.topic_data:
            parts = []
            for p in t.partition_data:
                tp = (t.name, p.index)
                err, off = results.get(tp, ("UNKNOWN_SERVER_ERROR", -1))
                parts.append({"index": p.index, "error_code": self.code(err), "base_offset": off,
                              "log_append_time_ms": times[tp] + self.clock if tp in times else -1})
            out.append({"name": t.name, "partition_responses": parts})
        return {"responses": out, "throttle_time_ms": 0}

    # -- Fetch (rule 2) --------------------------------------------------------------------------
    def _on_fetch(self, req: Any, version: int) -> None:
        parts = [P.FetchPartition((t.topic, p.partition), p.fetch_offset,
                                  getattr(p, "current_leader_epoch", -1), getattr(p, "last_fetched_epoch", -1),
                                  partition_max_bytes=max(0, p.partition_max_bytes))
                 for t in req.topics for p in t.partitions]
        self._send(P.FetchRequest(self.next_cid(), -1, max(0, req.max_wait_ms), max(0, req.min_bytes),
                                  max(0, getattr(req, "max_bytes", 52428800)), parts, _isolation(req),
                                  getattr(req, "rack_id", None) or None))

    def _fetch_answer(self, resp: P.FetchResponse, req: Any, version: int) -> dict[str, Any]:
        topics: dict[str, list] = {}
        for r in resp.partitions:
            topics.setdefault(r.tp[0], []).append({
                "partition_index": r.tp[1], "error_code": self.code(r.error), "high_watermark": r.high_watermark,
                "last_stable_offset": r.last_stable_offset, "log_start_offset": r.log_start_offset,
                "aborted_transactions": [{"producer_id": pid, "first_offset": off} for pid, off in r.aborted],
                "preferred_read_replica": r.preferred_read_replica,
                "records": codec.from_batches(r.batches, self.clock)})
        return {"throttle_time_ms": 0, "error_code": 0, "session_id": 0,
                "responses": [{"topic": t, "partitions": ps} for t, ps in topics.items()]}

    # -- ListOffsets (rule 2) --------------------------------------------------------------------
    def _on_listoffsets(self, req: Any, version: int) -> None:
        asked = [((t.name, p.partition_index), p.timestamp - self.clock if p.timestamp >= 0 else p.timestamp)
                 for t in req.topics for p in t.partitions]
        self._send(P.ListOffsetsRequest(self.next_cid(), asked, _isolation(req)))

    def _listoffsets_answer(self, resp: P.ListOffsetsResponse, req: Any, version: int) -> dict[str, Any]:
        topics: dict[str, list] = {}
        for i, (tp, err, off) in enumerate(resp.results):
            ts = resp.timestamps[i] if resp.timestamps else -1
            topics.setdefault(tp[0], []).append({"partition_index": tp[1], "error_code": self.code(err),
                                                 "timestamp": ts + self.clock if ts >= 0 else -1,
                                                 "offset": off, "leader_epoch": -1})
        return {"throttle_time_ms": 0, "topics": [{"name": t, "partitions": ps} for t, ps in topics.items()]}


def _isolation(req: Any) -> str:
    """The request's isolation level (1: read_committed) as minikafka names it."""
    return "read_committed" if getattr(req, "isolation_level", 0) == 1 else "read_uncommitted"
