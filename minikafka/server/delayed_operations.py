"""Requests that wait, in a replica manager's two purgatories (replica_manager.py): an acks=all
produce waiting for the high watermark, and a fetch waiting for data. Kafka:
`DelayedProduce.scala`, `DelayedFetch.scala`.

Rules:
1. A DelayedProduce (acks=all, replica_manager.py rule 2) waits until the HW passes its batch in
   every partition it wrote to. A partition whose HW passed answers NOT_ENOUGH_REPLICAS_AFTER_APPEND
   if the ISR fell below the effective min ISR meanwhile, else its base offset; a partition this
   broker no longer leads answers NOT_LEADER_OR_FOLLOWER; after the request's timeout, every
   partition still waiting answers REQUEST_TIMED_OUT.
2. It answers once, with every partition's result together, and then its timeout is cancelled.
3. A ParkedFetch (replica_manager.py rule 5) waits in the list of every partition it asks for,
   until its max wait or until one of them wakes it; the replica manager then reads the logs
   again and answers it, once.
4. A fetch can be answered (`fetch_answerable`, Kafka's DelayedFetch.tryComplete) when what it
   would return reaches its min bytes, when a partition answers an error, a diverging epoch or
   a replica to read from instead, or when it must wait for the remote tier anyway.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minikafka import protocol as P
    from minikafka.server.partition import Replica


class DelayedProduce:
    """An acks=all append waiting for the HW to pass its batches."""

    __slots__ = ("respond", "results", "waiting", "timer", "done")

    def __init__(self, respond: Any, results: dict, waiting: dict) -> None:
        self.respond = respond
        self.results: dict[tuple, tuple[str | None, int]] = results   # tp -> (error, base offset)
        self.waiting: dict[tuple, tuple[int, int]] = waiting           # tp -> (required HW, base)
        self.timer = None
        self.done = False

    def try_complete(self, replicas: dict[tuple, "Replica"]) -> None:
        """Rule 1: settle the partitions whose HW passed or whose leadership moved; answer when
        none is left waiting."""
        for tp in list(self.waiting):
            required, base = self.waiting[tp]
            r = replicas.get(tp)
            if r is None or not r.is_leader:
                self.results[tp] = ("NOT_LEADER_OR_FOLLOWER", -1)
            elif r.hw >= required:
                self.results[tp] = ("NOT_ENOUGH_REPLICAS_AFTER_APPEND", -1) if r.under_min_isr else (None, base)
            else:
                continue
            del self.waiting[tp]
        if not self.waiting:
            self.complete()

    def expire(self) -> None:
        """Rule 1: the request's timeout passed."""
        for tp in self.waiting:
            self.results[tp] = ("REQUEST_TIMED_OUT", -1)
        self.waiting = {}
        self.complete()

    def complete(self) -> None:
        """Rule 2."""
        if self.done:
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        self.respond([(tp, err, off) for tp, (err, off) in self.results.items()])


def fetch_answerable(results: list, nbytes: int, min_bytes: int, remote: list) -> bool:
    """Rule 4."""
    return bool(remote) or nbytes >= min_bytes or any(
        r.error or r.diverging_epoch or r.preferred_read_replica >= 0 for r in results)


class ParkedFetch:
    """A fetch with nothing to return yet (rule 3)."""

    __slots__ = ("src", "msg", "timer", "done")

    def __init__(self, src: str, msg: "P.FetchRequest") -> None:
        self.src, self.msg, self.timer, self.done = src, msg, None, False
