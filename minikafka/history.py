"""What a workload did and saw: the history the checkers read (checkers.py).

Rules:
1. Every entry gets the next `index` (one counter for the whole history, so entries of
   different kinds can be ordered) and, when the history watches a trace, `trace_seq`: the
   length of the trace when it was recorded, so an entry can be placed among trace events.
2. A send (`Send`) is one `produce()` call. Its value encodes the producer and a
   per-producer sequence number, `b"p0-17"` (`encode`, `decode`). The outcome is "pending"
   until a delivery report says "acked" (with partition and offset) or "failed" (with the
   error name); a send whose report can never come (its producer instance crashed, or the run
   ended first) is "unknown": the record may or may not be in the log.
3. A read (`Read`) is one record returned to one consumer, with its isolation level and its
   group; the final full reads after the run are marked `final`.
4. A commit (`Commit`) is one partition's offset in one commit call, ok or failed.
5. A transaction (`Txn`) is "open" until its end: "committed" (commit returned), "aborted"
   (abort returned, or the application never asked to commit: its instance died or it gave
   up first), or "unknown" (commit was called and raised or never returned: it may have been
   decided either way).
6. Rendering is deterministic text: `render()` lists every entry in index order,
   `summary()` counts them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from .trace import Trace

SEND_OUTCOMES = ("pending", "acked", "failed", "unknown")
TXN_OUTCOMES = ("open", "committed", "aborted", "unknown")


def encode(producer: str, seq: int) -> bytes:
    return f"{producer}-{seq}".encode()


def decode(value: bytes | None) -> tuple[str, int] | None:
    """(producer, sequence) of a workload value, None for anything else."""
    if not value:
        return None
    producer, _, seq = value.decode(errors="replace").rpartition("-")
    return (producer, int(seq)) if producer and seq.isdigit() else None


def _v(value: bytes | None) -> str:
    return "None" if value is None else value.decode(errors="replace")


@dataclass
class Send:
    index: int
    producer: str           # the application's producer slot, stable across instances
    instance: str           # the client instance (its name in the cluster)
    seq: int
    value: bytes
    topic: str
    partition: int          # asked for (-1: the partitioner chose); the acked one once acked
    time: int
    trace_seq: int = -1
    txn: int | None = None
    outcome: str = "pending"
    offset: int = -1
    error: str | None = None
    done_time: int = -1
    done_trace_seq: int = -1
    note: str = ""

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    def __str__(self) -> str:
        where = f"{self.topic}-{self.partition}" + (f"@{self.offset}" if self.offset >= 0 else "")
        txn = f" txn {self.txn}" if self.txn is not None else ""
        what = {"acked": "acked", "failed": f"failed {self.error}",
                "unknown": f"unknown ({self.note})" if self.note else "unknown"}.get(self.outcome, self.outcome)
        return f"#{self.index} t={self.time} send {_v(self.value)} by {self.instance}{txn} -> {where} {what}"


@dataclass
class Read:
    index: int
    consumer: str
    topic: str
    partition: int
    offset: int
    value: bytes | None
    isolation: str
    time: int
    trace_seq: int = -1
    final: bool = False
    leader_epoch: int | None = None
    group: str | None = None            # the consumer's group.id, if it has one

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    def __str__(self) -> str:
        final = " (final read)" if self.final else f" (group {self.group})" if self.group else ""
        return (f"#{self.index} t={self.time} read {_v(self.value)} at {self.topic}-{self.partition}@{self.offset} "
                f"by {self.consumer} {self.isolation}{final}")


@dataclass
class Commit:
    index: int
    consumer: str
    group: str
    topic: str
    partition: int
    offset: int
    ok: bool
    time: int
    trace_seq: int = -1
    error: str | None = None
    isolation: str = "read_uncommitted"     # the committing consumer's

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    def __str__(self) -> str:
        result = "ok" if self.ok else f"failed {self.error}"
        return (f"#{self.index} t={self.time} commit {self.group} {self.topic}-{self.partition}={self.offset} "
                f"by {self.consumer} ({self.isolation}) {result}")


@dataclass
class Txn:
    index: int
    id: int
    producer: str
    instance: str
    time: int
    trace_seq: int = -1
    producer_id: int = -1
    epoch: int = -1
    values: list[bytes] = field(default_factory=list)
    outcome: str = "open"
    error: str | None = None
    done_time: int = -1
    done_trace_seq: int = -1

    def __str__(self) -> str:
        err = f" ({self.error})" if self.error else ""
        return (f"#{self.index} t={self.time} txn {self.id} by {self.instance} (pid {self.producer_id} epoch "
                f"{self.epoch}): {len(self.values)} values, {self.outcome}{err}")


Entry = Send | Read | Commit | Txn


class History:
    """The recorder (rules 1-5) and the recorded history."""

    def __init__(self, trace: "Trace | None" = None) -> None:
        self.trace = trace
        self.sends: list[Send] = []
        self.reads: list[Read] = []
        self.commits: list[Commit] = []
        self.txns: list[Txn] = []
        self._next = 0
        self._by_value: dict[bytes, Send] = {}

    def _index(self) -> tuple[int, int]:
        i = self._next
        self._next += 1
        return i, self._pos()

    def _pos(self) -> int:
        return len(self.trace) if self.trace is not None else -1

    # -- recording ---------------------------------------------------------------------
    def send(self, producer: str, instance: str, seq: int, topic: str, time: int, partition: int = -1,
             txn: Txn | None = None) -> Send:
        i, ts = self._index()
        s = Send(i, producer, instance, seq, encode(producer, seq), topic, partition, time, ts,
                 txn.id if txn is not None else None)
        self.sends.append(s)
        self._by_value[s.value] = s
        if txn is not None:
            txn.values.append(s.value)
        return s

    def on_delivery(self, send: Send, clock: Callable[[], int]) -> Callable[[Any, Any], None]:
        """A delivery callback for `produce(..., on_delivery=...)` that records the report."""
        def report(err: Any, msg: Any) -> None:
            self.delivered(send, None if err is None else err.name(), msg.partition(), msg.offset(), clock())
        return report

    def delivered(self, send: Send, error: str | None, partition: int, offset: int, time: int) -> None:
        if send.outcome not in ("pending", "unknown"):
            return
        send.outcome = "acked" if error is None else "failed"
        send.error = error
        if error is None:
            send.partition, send.offset = partition, offset
        send.done_time = time
        send.done_trace_seq = self._pos()
        send.note = ""

    def unknown(self, sends: Iterable[Send], note: str, time: int) -> None:
        for s in sends:
            if s.outcome == "pending":
                s.outcome, s.note, s.done_time = "unknown", note, time

    def pending(self, instance: str | None = None) -> list[Send]:
        return [s for s in self.sends if s.outcome == "pending" and (instance is None or s.instance == instance)]

    def read(self, consumer: str, msg: Any, isolation: str, time: int, final: bool = False,
             group: str | None = None) -> Read:
        i, ts = self._index()
        r = Read(i, consumer, msg.topic(), msg.partition(), msg.offset(), msg.value(), isolation, time, ts, final,
                 msg.leader_epoch(), group)
        self.reads.append(r)
        return r

    def commit(self, consumer: str, group: str, topic: str, partition: int, offset: int, ok: bool, time: int,
               error: str | None = None, isolation: str = "read_uncommitted") -> Commit:
        i, ts = self._index()
        c = Commit(i, consumer, group, topic, partition, offset, ok, time, ts, error, isolation)
        self.commits.append(c)
        return c

    def begin_txn(self, producer: str, instance: str, time: int, producer_id: int = -1, epoch: int = -1) -> Txn:
        i, ts = self._index()
        t = Txn(i, len(self.txns), producer, instance, time, ts, producer_id, epoch)
        self.txns.append(t)
        return t

    def end_txn(self, txn: Txn, outcome: str, time: int, error: str | None = None) -> None:
        if outcome not in TXN_OUTCOMES[1:]:
            raise ValueError(f"a transaction ends committed, aborted or unknown, not {outcome!r}")
        txn.outcome, txn.error, txn.done_time = outcome, error, time
        txn.done_trace_seq = self._pos()

    def close(self, time: int) -> None:
        """The run is over: sends still pending are unknown; open transactions never committed."""
        self.unknown(self.sends, "no delivery report by the end of the run", time)
        for t in self.txns:
            if t.outcome == "open":
                self.end_txn(t, "aborted", time, "never committed")

    # -- queries ---------------------------------------------------------------------------
    def by_value(self, value: bytes | None) -> Send | None:
        return self._by_value.get(value) if value is not None else None

    def txn(self, txn_id: int | None) -> Txn | None:
        return self.txns[txn_id] if txn_id is not None and 0 <= txn_id < len(self.txns) else None

    def final_reads(self, isolation: str = "read_uncommitted") -> list[Read]:
        return [r for r in self.reads if r.final and r.isolation == isolation]

    def entries(self) -> list[Entry]:
        out: list[Entry] = [*self.sends, *self.reads, *self.commits, *self.txns]
        return sorted(out, key=lambda e: e.index)

    def render(self) -> str:
        return "\n".join(str(e) for e in self.entries())

    def summary(self) -> str:
        def count(items: Iterable[Any], attr: str, values: tuple[str, ...]) -> str:
            items = list(items)
            return ", ".join(f"{sum(1 for x in items if getattr(x, attr) == v)} {v}" for v in values
                             if any(getattr(x, attr) == v for x in items)) or "none"
        run = [r for r in self.reads if not r.final]
        lines = [f"sends: {len(self.sends)} ({count(self.sends, 'outcome', SEND_OUTCOMES)})",
                 f"reads during the run: {len(run)} by {len({r.consumer for r in run})} consumer(s)",
                 (f"final reads: {len(self.final_reads('read_uncommitted'))} read_uncommitted, "
                  f"{len(self.final_reads('read_committed'))} read_committed"),
                 f"commits: {len(self.commits)} ({sum(1 for c in self.commits if c.ok)} ok)",
                 f"transactions: {len(self.txns)} ({count(self.txns, 'outcome', TXN_OUTCOMES)})"]
        errors: dict[str, int] = {}
        for s in self.sends:
            if s.error:
                errors[s.error] = errors.get(s.error, 0) + 1
        if errors:
            lines.append("send errors: " + ", ".join(f"{n} {e}" for e, n in sorted(errors.items())))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<History: {len(self.sends)} sends, {len(self.reads)} reads, {len(self.commits)} commits, "
                f"{len(self.txns)} transactions>")
