"""DeleteRecords on a partition leader (KIP-107; Kafka: `Partition.deleteRecordsOnLeader`,
`ReplicaManager.deleteRecords`, `DelayedDeleteRecords`).

Rules (kafka-semantics.md P.307-309):
1. Only the leader accepts it (else NOT_LEADER_OR_FOLLOWER). A topic without `delete` in its
   `cleanup.policy` refuses it with POLICY_VIOLATION.
2. The offset -1 means the current HW. An offset above the HW, or negative other than -1,
   gets OFFSET_OUT_OF_RANGE. An offset at or below the log start is a successful no-op.
3. Otherwise the leader moves its log start to the offset at once: reads below it fail from now
   on, even where the segment holding them survives until a retention pass finds the next
   segment's base offset at or below the log start.
4. The answer carries the low watermark, the smallest log start among the leader and its
   followers on live brokers (followers report theirs in each Fetch and adopt the leader's from
   each Fetch answer). It waits until the low watermark reaches the offset, or answers
   REQUEST_TIMED_OUT after the request's timeout.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica


class DelayedDeleteRecords:
    __slots__ = ("src", "cid", "wanted", "results", "timer", "done")

    def __init__(self, src: str, cid: int, wanted: dict, results: dict) -> None:
        self.src, self.cid, self.wanted, self.results = src, cid, wanted, results
        self.timer: Any = None
        self.done = False


class DeleteRecordsManager:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.waiting: list[DelayedDeleteRecords] = []

    def handle(self, src: str, msg: P.DeleteRecordsRequest) -> None:
        b = self.broker
        results: dict[Any, tuple[str | None, int]] = {}
        wanted: dict[Any, int] = {}
        for tp, offset in msg.partitions:
            r = b.replicas.get(tp)
            if r is None or not r.is_leader:
                err = "NOT_LEADER_OR_FOLLOWER" if tp[0] in b.metadata else "UNKNOWN_TOPIC_OR_PART"
                results[tp] = (err, -1)
                continue
            if not r.log_config.delete:
                results[tp] = ("POLICY_VIOLATION", -1)
                continue
            target = r.hw if offset == -1 else offset
            if target < 0 or target > r.hw:
                results[tp] = ("OFFSET_OUT_OF_RANGE", -1)
                continue
            if r.log.increment_log_start(target):
                b.log_manager.on_log_start_moved(r)
                b.trace.state(b.sim.now, b.name, "log_start", tp=f"{tp[0]}-{tp[1]}", offset=target,
                              why="DeleteRecords")
            wanted[tp] = target
        d = DelayedDeleteRecords(src, msg.cid, wanted, results)
        if not self._try_complete(d):
            self.waiting.append(d)
            d.timer = b.after(msg.timeout_ms, self._expire, d)

    def on_follower_fetch(self) -> None:
        """A follower reported its log start: answer what now may be answered."""
        if self.waiting:
            self.waiting = [d for d in self.waiting if not self._try_complete(d)]

    def _try_complete(self, d: DelayedDeleteRecords) -> bool:
        b = self.broker
        for tp, target in d.wanted.items():
            if tp in d.results:
                continue
            r = b.replicas.get(tp)
            if r is None or not r.is_leader:
                d.results[tp] = ("NOT_LEADER_OR_FOLLOWER", -1)
                continue
            low = low_watermark(b, r)
            if low >= target:
                d.results[tp] = (None, low)
        if any(tp not in d.results for tp in d.wanted):
            return False
        self._answer(d)
        return True

    def _expire(self, d: DelayedDeleteRecords) -> None:
        if d.done:
            return
        for tp in d.wanted:
            d.results.setdefault(tp, ("REQUEST_TIMED_OUT", -1))
        self.waiting = [x for x in self.waiting if x is not d]
        self._answer(d)

    def _answer(self, d: DelayedDeleteRecords) -> None:
        d.done = True
        if d.timer is not None:
            d.timer.cancel()
        self.broker.send(d.src, P.DeleteRecordsResponse(d.cid, [(tp, *d.results[tp]) for tp in sorted(d.results)]))


def low_watermark(b: "Broker", r: "Replica") -> int:
    """Rule 4: the smallest log start of the leader and its followers on live (unfenced) brokers;
    a follower that has not fetched yet counts as unknown (0)."""
    low = r.log.log_start_offset
    regs = b.image.brokers
    for f in r.replicas:
        if f == b.id:
            continue
        reg = regs.get(f)
        if reg is None or reg.fenced:
            continue
        state = r.followers.get(f)
        low = min(low, state.log_start if state is not None and state.log_start >= 0 else 0)
    return low
