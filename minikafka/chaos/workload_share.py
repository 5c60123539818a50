"""The workload's share consumers (KIP-932, queues): members of one share group that acquire
records, process them and accept each one (workload.py drives the ticks; the rules keep
workload.py's numbers).

Rules:
11. `share_consumers` share consumers ("s0", ...) join the share group `share_group` with
   subscribe() on every input topic, in explicit acknowledgement mode with max.poll.records
   `SHARE_BATCH` (so one fetch acquires no more than a batch per partition, and the records do
   not wait in the consumer's buffer while their locks run out), plus `share_config`. Before
   any of them starts, the group's `share.auto.offset.reset` is set to earliest (a group
   config: `Cluster.alter_group_config`) and the history declares the group, its topics and the
   brokers' `group.share.delivery.count.limit` (history.py rule 8).
12. A slot is an application: when idle it calls consume(SHARE_BATCH, 0); every record returned
   is recorded (a `ShareDelivery`, with its delivery count) and the batch is processed for
   `process_ms`, not polling meanwhile; then each record is recorded processed and acknowledged
   ACCEPT, and commit_async() sends the acknowledgements. The slot then waits, not polling, for
   each partition's outcome in the consumer's `results` (the slot clears a partition's entry
   before sending, so the next entry is this request's answer): None is "ok"; an error in
   `UNKNOWN` is "unknown": the answer never came (REQUEST_TIMED_OUT, NETWORK_EXCEPTION), or the
   leader could not persist the new state (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE: the share
   coordinator's write may still be committed and loaded by the next leader); any other error
   is "failed" (the share-partition refused it and changed nothing). Every acknowledgement of an
   instance that crashed before the answer, or still unanswered after `ACK_WAIT_MS`, is unknown.
   Acknowledgements of a partition whose leader the consumer does not know stay queued in it;
   the slot calls commit_async() again once the consumer knows a leader.
13. A crashed instance (the nemesis's crash_client: slot "share#i") is replaced by a new one
   (a new member; the old one stays in the group until its share session times out) after
   INIT_BACKOFF_MS; the records it held come back when their locks expire. A consumer whose
   consume() raises a fatal error is a process that exits: it is crashed and replaced.
   When the applications have drained (workload.py rule 8), the history keeps each input
   partition's share-partition as its leader holds it (`Cluster.group_state`; history.py rule 8).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minikafka.chaos.history import History, ShareDelivery
from minikafka.chaos.workload_producers import INIT_BACKOFF_MS
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.chaos.workload import WorkloadConfig
    from minikafka.clients.consumer.share_consumer import ShareConsumer, ShareMessage

SHARE_BATCH = 5
ACK_WAIT_MS = 35_000                    # past request.timeout.ms (30 s): by then every request has an answer
UNKNOWN = frozenset({"REQUEST_TIMED_OUT", "NETWORK_EXCEPTION", "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE",
                     "COORDINATOR_LOAD_IN_PROGRESS"})
TP = tuple[str, int]


@dataclass
class _ShareSlot:
    name: str
    index: int
    k: "ShareConsumer | None" = None
    retry_at: int = 0
    phase: str = "poll"                                   # poll, processing, acking
    until: int = 0                                        # end of processing / of the wait for outcomes
    batch: list[tuple["ShareMessage", ShareDelivery]] = field(default_factory=list)
    waiting: dict[TP, list[ShareDelivery]] = field(default_factory=dict)    # sent, outcome not known yet
    queued: dict[TP, list[ShareDelivery]] = field(default_factory=dict)     # not sent: no known leader


class ShareRole:
    """The share consumers of a `Workload` (rules 11-13), mixed into it."""

    cfg: WorkloadConfig
    c: Cluster
    h: History
    inputs: list[str]
    shares: list[_ShareSlot]

    def _share_setup(self) -> None:
        """Rule 11: the group's start position and the history's declaration."""
        cfg = self.cfg
        if not cfg.share_consumers:
            return
        self.c.alter_group_config(cfg.share_group, {"share.auto.offset.reset": "earliest"})
        limit = self.c.brokers[min(self.c.brokers)].cfg["group.share.delivery.count.limit"]
        self.h.declare_share(cfg.share_group, self.inputs, limit)

    def _share_final(self) -> None:
        """Rule 13: the share-partitions at the end, as their leaders hold them."""
        if not self.cfg.share_consumers:
            return
        group = self.cfg.share_group
        for topic, partition, start, _, records in self.c.group_state(group).share_partitions:
            self.h.share_final(group, topic, partition, start, ((o, state) for o, state, _, _ in records))

    def _share_consumer(self, s: _ShareSlot) -> "ShareConsumer | None":
        """The slot's live instance, or a new one (None during the back-off, rule 13). A dead
        instance's batch dies with it; its acknowledgements without an answer are unknown."""
        c = self.c
        if s.k is not None and s.k.alive:
            return s.k
        if s.k is not None:
            self._share_forget(s, "its consumer crashed")
        if c.now < s.retry_at:
            return None
        k = c.share_consumer({**dict(self.cfg.share_config), "group.id": self.cfg.share_group,
                              "share.acknowledgement.mode": "explicit", "max.poll.records": SHARE_BATCH})
        try:
            k.subscribe(self.inputs)
        except KafkaException:
            c.crash_client(k.name)                  # no metadata: the process gives up and restarts
            s.retry_at = c.now + INIT_BACKOFF_MS
            return None
        s.k = k
        return k

    def _share_forget(self, s: _ShareSlot, why: str) -> None:
        for ds in [*s.waiting.values(), *s.queued.values()]:
            for d in ds:
                self.h.share_outcome(d, "unknown", self.c.now, note=f"({why})")
        s.k, s.batch, s.waiting, s.queued, s.phase = None, [], {}, {}, "poll"
        s.retry_at = self.c.now + INIT_BACKOFF_MS

    def _share_tick(self, s: _ShareSlot) -> bool:
        """Rule 12's state machine; True if busy."""
        k = self._share_consumer(s)
        if k is None:
            return False
        if s.phase == "processing":
            if self.c.now >= s.until:
                self._share_accept(s, k)
            return True
        if s.phase == "acking":
            self._share_await(s, k)
            return True
        try:
            msgs = k.consume(SHARE_BATCH, 0)
        except KafkaException as e:
            if e.args[0].fatal():                   # the process exits on a fatal error and is restarted
                self.c.crash_client(k.name)
                self._share_forget(s, "its consumer exited: " + e.args[0].name())
            return False
        if not msgs:
            return False
        s.batch = [(m, self.h.share_delivery(k.name, self.cfg.share_group, m, self.c.now)) for m in msgs]
        s.phase, s.until = "processing", self.c.now + self.cfg.process_ms
        return True

    def _share_accept(self, s: _ShareSlot, k: "ShareConsumer") -> None:
        now = self.c.now
        for m, d in s.batch:
            d.processed = now
            k.acknowledge(m, "ACCEPT")
            self.h.share_acked(d, "ACCEPT")
            s.queued.setdefault((d.topic, d.partition), []).append(d)
        s.batch, s.phase, s.until = [], "acking", now + ACK_WAIT_MS
        self._share_send(s, k)

    def _share_send(self, s: _ShareSlot, k: "ShareConsumer") -> None:
        """Send the queued acknowledgements of the partitions with a known leader (rule 12)."""
        ready = [tp for tp in sorted(s.queued) if k.leader_of(tp)[0] >= 0]
        if not ready:
            return
        for tp in ready:
            k.results.pop(tp, None)                 # the next entry is this request's outcome
            s.waiting.setdefault(tp, []).extend(s.queued.pop(tp))
        k.commit_async()

    def _share_await(self, s: _ShareSlot, k: "ShareConsumer") -> None:
        now = self.c.now
        if s.queued:
            self._share_send(s, k)
        for tp in sorted(s.waiting):
            if tp not in k.results:
                continue
            err = k.results[tp]
            outcome = "ok" if err is None else "unknown" if err.name() in UNKNOWN else "failed"
            for d in s.waiting.pop(tp):
                self.h.share_outcome(d, outcome, now, None if err is None else err.name())
        if not s.waiting and not s.queued:
            s.phase = "poll"
        elif now >= s.until:
            for d in [d for ds in [*s.waiting.values(), *s.queued.values()] for d in ds]:
                self.h.share_outcome(d, "unknown", now, note=f"(no answer after {ACK_WAIT_MS} ms)")
            s.waiting, s.queued, s.phase = {}, {}, "poll"
