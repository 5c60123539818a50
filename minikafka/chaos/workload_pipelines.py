"""The workload's consume-transform-produce pipelines (workload.py drives the ticks; the rule
keeps workload.py's number).

Rules:
5. `pipelines` consume-transform-produce instances ("x0", ...; J.71) each run one consumer
   in group `pipeline_group` (read_committed, subscribed to the input topics) and one
   transactional producer (`<pipeline_group>-<i>`) in one process: per polled batch, begin,
   produce one output to "out" per input (same partition; the output's history entry names
   its input); `process_ms` later, send_offsets_to_transaction with the consumer's group
   metadata, and commit. An abortable error aborts and rewinds the consumer to the group's
   committed offsets; any other error, or either client dying, restarts the whole process
   (both clients, same ids: the new producer's init_transactions aborts what was open).
   With `pipeline_transactions=False` the same loop runs without a transaction, as most
   applications written before exactly-once did: an idempotent producer produces the outputs,
   `process_ms` later flush() waits for them, then the consumer commits the input offsets
   (synchronously). Any error, or either client dying, restarts the process, which resumes at
   the group's committed offsets: a crash between the outputs and the commit writes them again.

A dead process is restarted as workload.py rule 6 says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minikafka.chaos.history import History, Read, Send, Txn
from minikafka.chaos.workload_consumers import GROUP_DEFAULTS, _ends
from minikafka.chaos.workload_producers import INIT_BACKOFF_MS, TXN_CALL_TIMEOUT_S
from minikafka.clients.message import OFFSET_BEGINNING, TopicPartition
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.chaos.workload import WorkloadConfig
    from minikafka.clients.consumer.consumer import Consumer
    from minikafka.clients.producer.producer import Producer

OUTPUT = "out"
PIPELINE_BATCH = 50
PIPELINE_TXN_TIMEOUT_MS = 20_000


@dataclass
class _PipelineSlot:
    name: str
    index: int
    k: "Consumer | None" = None
    p: "Producer | None" = None
    seq: int = 0
    retry_at: int = 0
    txn: Txn | None = None                                # open while transforming (transactions)
    busy: bool = False                                    # a batch is being transformed
    ends: dict[tuple[str, int], int] = field(default_factory=dict)   # its input offsets
    until: int = 0                                        # end of the transforming
    outputs: list[Send] = field(default_factory=list)     # the batch's outputs


class PipelineRole:
    """The pipelines of a `Workload` (rule 5), mixed into it with the producer and consumer roles."""

    cfg: WorkloadConfig
    c: Cluster
    h: History
    inputs: list[str]
    pipelines: list[_PipelineSlot]

    if TYPE_CHECKING:
        def _init_transactions(self, p: Producer) -> bool: ...                    # ProducerRole

        def _join(self, k: Consumer, group: str, topics: list[str]) -> None: ...   # ConsumerRole

    def _pipeline_tick(self, ps: _PipelineSlot) -> bool:
        """Poll a batch and start its transaction; `process_ms` later, finish it (rule 5)."""
        if not self._pipeline_up(ps):
            return False
        if ps.busy:
            if self.c.now >= ps.until:
                self._finish_transform(ps)
            return True
        assert ps.k is not None
        try:
            msgs = [m for m in ps.k.consume(PIPELINE_BATCH, 0) if m.error() is None]
        except KafkaException:
            return False
        if msgs:
            self._start_transform(ps, msgs)
        return bool(msgs)

    def _pipeline_up(self, ps: _PipelineSlot) -> bool:
        """The process runs with both clients, or is (re)started; False while it cannot be."""
        if ps.k is not None and ps.p is not None and ps.k.alive and ps.p.alive:
            return True
        if ps.k is not None or ps.p is not None:
            self._stop_pipeline(ps, "one of its clients died")
        c = self.c
        if c.now < ps.retry_at:
            return False
        group = self.cfg.pipeline_group
        if self.cfg.pipeline_transactions:
            p = c.producer({"transactional.id": f"{group}-{ps.index}",
                            "transaction.timeout.ms": PIPELINE_TXN_TIMEOUT_MS})
            if not self._init_transactions(p):
                ps.retry_at = c.now + INIT_BACKOFF_MS
                return False
        else:
            p = c.producer({"acks": "all"})                 # idempotent by default
        k = c.consumer({**GROUP_DEFAULTS, "group.id": group, "isolation.level": "read_committed",
                        "auto.offset.reset": "earliest", "enable.auto.commit": False})
        try:
            self._join(k, group, self.inputs)
        except KafkaException:
            c.crash_client(k.name)
            c.crash_client(p.name)
            ps.retry_at = c.now + INIT_BACKOFF_MS
            return False
        ps.k, ps.p = k, p
        return True

    def _start_transform(self, ps: _PipelineSlot, msgs: list[Any]) -> None:
        """Begin a transaction and produce an output per input."""
        c, h, k, p = self.c, self.h, ps.k, ps.p
        assert k is not None and p is not None
        reads = [h.read(k.name, m, "read_committed", c.now, group=self.cfg.pipeline_group) for m in msgs]
        ps.busy = True
        ps.outputs = []
        try:
            if self.cfg.pipeline_transactions:
                p.begin_transaction()
                ps.txn = h.begin_txn(ps.name, p.name, c.now, p.producer_id, p.producer_epoch)
            for r in reads:
                self._emit(ps, ps.txn, r)
        except (KafkaException, BufferError) as e:
            self._pipeline_failed(ps, "produce", e)
            return
        ps.ends, ps.until = _ends(reads), c.now + self.cfg.process_ms

    def _finish_transform(self, ps: _PipelineSlot) -> None:
        """Send the input offsets with the group's metadata, and commit."""
        c, h, k, p = self.c, self.h, ps.k, ps.p
        assert k is not None and p is not None
        offsets = [TopicPartition(t, q, o) for (t, q), o in sorted(ps.ends.items())]
        if not self.cfg.pipeline_transactions:
            self._finish_plain(ps, offsets)
            return
        assert ps.txn is not None
        stage = "offsets"
        try:
            p.send_offsets_to_transaction(offsets, k.consumer_group_metadata(), TXN_CALL_TIMEOUT_S)
            stage = "commit"
            p.commit_transaction(TXN_CALL_TIMEOUT_S)
            h.end_txn(ps.txn, "committed", c.now)
            ps.txn, ps.busy = None, False
        except (KafkaException, BufferError) as e:
            self._pipeline_failed(ps, stage, e)

    def _finish_plain(self, ps: _PipelineSlot, offsets: list[TopicPartition]) -> None:
        """Without a transaction: wait for the outputs, then commit the inputs (rule 5)."""
        k, p = ps.k, ps.p
        assert k is not None and p is not None
        try:
            if p.flush(TXN_CALL_TIMEOUT_S) or any(s.outcome != "acked" for s in ps.outputs):
                failed = next((s.error for s in ps.outputs if s.outcome == "failed"), None)
                raise KafkaException(failed or "_TIMED_OUT", "an output was not acknowledged")
            k.commit(offsets=offsets, asynchronous=False)
            ps.busy = False
        except KafkaException as e:
            self._pipeline_failed(ps, "commit", e)

    def _emit(self, ps: _PipelineSlot, txn: Txn, r: Read) -> None:
        c, h, p = self.c, self.h, ps.p
        assert p is not None
        s = h.send(ps.name, p.name, ps.seq, OUTPUT, c.now, r.partition, txn, source=r.value)
        ps.seq += 1
        ps.outputs.append(s)
        try:
            p.produce(OUTPUT, value=s.value, partition=r.partition, on_delivery=h.on_delivery(s, lambda: c.now))
        except (KafkaException, BufferError) as e:
            h.delivered(s, e.args[0].name() if isinstance(e, KafkaException) else "_QUEUE_FULL", r.partition, -1,
                        c.now)
            raise

    def _pipeline_failed(self, ps: _PipelineSlot, stage: str, e: Exception) -> None:
        """Abort and rewind after an abortable error; restart the process after any other."""
        c, h, p, txn = self.c, self.h, ps.p, ps.txn
        assert p is not None
        err = e.args[0] if isinstance(e, KafkaException) else None
        name = err.name() if err is not None else "_QUEUE_FULL"
        if txn is not None and p.alive and (err is None or err.txn_requires_abort()):
            try:
                p.abort_transaction(TXN_CALL_TIMEOUT_S)
                h.end_txn(txn, "aborted", c.now, name)
                ps.txn, ps.busy = None, False
                self._rewind(ps)
                return
            except KafkaException:
                pass
        if txn is not None and txn.outcome == "open":
            h.end_txn(txn, "unknown" if stage == "commit" else "aborted", c.now,
                      name if p.alive else f"{p.name} crashed")
        self._stop_pipeline(ps, name)

    def _rewind(self, ps: _PipelineSlot) -> None:
        """Back to the group's committed offsets (the aborted batch is read again)."""
        k = ps.k
        assert k is not None
        try:
            for tp in k.committed(k.assignment(), TXN_CALL_TIMEOUT_S):
                k.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
        except KafkaException as e:
            self._stop_pipeline(ps, e.args[0].name())

    def _stop_pipeline(self, ps: _PipelineSlot, why: str) -> None:
        """The process dies (workload.py rule 6): both clients go, a new process starts next tick."""
        c = self.c
        for client in (ps.p, ps.k):
            if client is not None and client.alive:
                c.crash_client(client.name)
        if ps.p is not None:
            self.h.unknown(self.h.pending(ps.p.name), f"{ps.p.name} stopped: {why}", c.now)
        if ps.txn is not None and ps.txn.outcome == "open":
            self.h.end_txn(ps.txn, "aborted", c.now, f"stopped before commit: {why}")
        ps.k = ps.p = ps.txn = None
        ps.busy = False
        ps.retry_at = c.now
