"""History entries of the queue and retention workloads (a part of history.py, whose rules 7-8 and
10 they follow): share-group deliveries and their end states, and consumer position resets.
history.py re-exports them."""
from __future__ import annotations

from dataclasses import dataclass


def _v(value: bytes | None) -> str:
    return "None" if value is None else value.decode(errors="replace")


class _OnPartition:
    """An entry about one partition: `tp` is (topic, partition)."""

    topic: str
    partition: int

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


ACK_OUTCOMES = ("pending", "ok", "failed", "unknown")


@dataclass
class ShareDelivery(_OnPartition):
    index: int
    consumer: str
    group: str
    topic: str
    partition: int
    offset: int
    value: bytes | None
    delivery_count: int
    time: int
    trace_seq: int = -1
    processed: int = -1                 # when the application finished processing it (-1: never)
    ack: str | None = None              # ACCEPT, RELEASE or REJECT, once acknowledged
    outcome: str = ""                   # one of ACK_OUTCOMES once acknowledged
    error: str | None = None
    done_time: int = -1
    done_trace_seq: int = -1
    note: str = ""

    def __str__(self) -> str:
        done = f"processed t={self.processed}" if self.processed >= 0 else "not processed"
        if self.ack is not None:
            why = self.error or self.note
            done += f", {self.ack} {self.outcome}" + (f" {why}" if why else "") + (
                f" t={self.done_time}" if self.done_time >= 0 else "")
        return (f"#{self.index} t={self.time} share {_v(self.value)} at {self.topic}-{self.partition}@{self.offset} "
                f"delivery {self.delivery_count} to {self.consumer} (group {self.group}): {done}")


@dataclass(frozen=True)
class ShareGroup:
    group: str
    topics: tuple[str, ...]
    delivery_limit: int


@dataclass(frozen=True)
class ShareFinal:
    """A share-partition's state at the end of a run (rule 8)."""
    start: int
    states: tuple[tuple[int, str], ...]         # (offset, state name) of the in-flight records

    def state(self, offset: int) -> str | None:
        """"Terminal" below the start, the in-flight state, or None (never acquired)."""
        return "Terminal" if offset < self.start else dict(self.states).get(offset)


RESET_KINDS = ("committed", "out_of_range", "no_offset", "truncation")


@dataclass
class Reset(_OnPartition):
    """Rule 10."""
    index: int
    consumer: str
    topic: str
    partition: int
    kind: str                           # one of RESET_KINDS
    position: int                       # before (-1: none)
    offset: int                         # after
    time: int
    trace_seq: int = -1
    policy: str | None = None           # auto.offset.reset, for "out_of_range" and "no_offset"
    final: bool = False

    def __str__(self) -> str:
        where = f"{self.topic}-{self.partition}"
        why = {"committed": "the committed offset",
               "out_of_range": f"OFFSET_OUT_OF_RANGE at {self.position}, auto.offset.reset={self.policy}",
               "no_offset": f"no committed offset, auto.offset.reset={self.policy}",
               "truncation": f"log truncation detected at {self.position}"}.get(self.kind, self.kind)
        final = " (final read)" if self.final else ""
        return f"#{self.index} t={self.time} position {where}={self.offset} of {self.consumer}{final}: {why}"
