"""What a workload did and saw: the history the checkers read (checkers.py).

Rules:
1. Every entry gets the next `index` (one counter for the whole history, so entries of
   different kinds can be ordered) and, when the history watches a trace, `trace_seq`: the
   length of the trace when it was recorded (every event recorded so far, dropped ones
   included: sim/trace.py), so an entry can be placed among trace events.
2. A send (`Send`) is one `produce()` call. Its value encodes the producer and a
   per-producer sequence number, `b"p0-17"` (`encode`, `decode`). The outcome is "pending"
   until a delivery report says "acked" (with partition and offset) or "failed" (with the
   error name); a send whose report can never come (its producer instance crashed, or the run
   ended first) is "unknown": the record may or may not be in the log. An application that
   sends a value again (after a crash) makes a second `Send` with the same value and
   `resend_of` the first's index. A pipeline's output names the input value it was made from
   (`source`).
3. A read (`Read`) is one record returned to one consumer, with its isolation level and its
   group; the final full reads after the run are marked `final`.
4. A commit (`Commit`) is one partition's offset in one commit call, ok or failed.
5. A transaction (`Txn`) is "open" until its end: "committed" (commit returned), "aborted"
   (abort returned, or the application never asked to commit: its instance died or it gave
   up first), or "unknown" (commit was called and raised or never returned: it may have been
   decided either way).
6. A processing (`Processed`) is the application finishing its work on one record it read
   in a group (the side effect at-least-once and at-most-once are about).
7. A group event (`GroupEvent`) is a change of what one consumer owns, as it saw it:
   "assigned" (its whole assignment, with the generation and its member id), "revoked",
   "lost", "closed", "crashed", and "removed" (the coordinator dropped its member id).
8. Declarations say what the checkers should expect: `declare_processing(group, topics)`
   (every record of these topics must be processed by that group),
   `declare_pipeline(group, inputs, output)` (a consume-transform-produce pipeline) and
   `declare_share(group, topics, delivery_limit)` (a share group must accept every record of
   these topics, or archive it after `delivery_limit` deliveries). At the end of a run,
   `share_final(group, topic, partition, start, records)` keeps a share-partition's state as its
   leader holds it: the start offset (the records below it are Acknowledged or Archived) and
   the state name of each in-flight record.
8b. A share delivery (`ShareDelivery`) is one record a share consumer (KIP-932) got from
   consume(), with its delivery count, then what the application did with it: when it finished
   processing it (`processed`, -1 if never), and the acknowledgement it sent (`ack`: ACCEPT,
   RELEASE or REJECT) with its `outcome`: "pending" until known, then "ok" (the partition
   leader applied it), "failed" (the leader refused it and changed nothing, `error`), or
   "unknown" (no answer, or the leader could not persist it: it may have been applied).
9. Rendering is deterministic text: `render()` lists every entry in index order,
   `summary()` counts them.
10. A reset (`Reset`) is a consumer's position on one partition set by something other than
   the records it returned, as the client logs it (kafka-semantics.md #313, #314, H.54):
   "committed" (a new instance starts at its group's committed offset), "out_of_range" (a fetch
   at `position` got OFFSET_OUT_OF_RANGE and `auto.offset.reset` moved it to `offset`; under
   earliest that is the log start ListOffsets answered), "no_offset" (no position and no
   committed offset: the policy chose `offset`) or "truncation" (KIP-320 validation moved it
   back to where the log diverges). `final` marks the final reader's.
11. `declare_retention(topic, retention_ms)` says that the records of that topic are deleted
   only by time retention (no `retention.bytes`, no compaction, no DeleteRecords): none goes
   before `retention_ms` have passed since it was sent (#305).
12. Keys (the compaction workload, workload_compaction.py): a send may carry a `key`, and be a
   `tombstone` (its record's value is None, #321); its `value` still names it, `b"p0-17"`, for
   the history, and `written` is what the log holds. A read keeps the record's key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from minikafka.chaos.history_entries import (ACK_OUTCOMES, RESET_KINDS, Reset, ShareDelivery, ShareFinal, ShareGroup,
                                             _OnPartition, _v)

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace

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


def _runs(states: Iterable[tuple[int, str]]) -> list[str]:
    """"@3-5 Acquired" for consecutive offsets in one state."""
    runs: list[list[Any]] = []
    for o, st in states:
        if runs and runs[-1][1] == o - 1 and runs[-1][2] == st:
            runs[-1][1] = o
        else:
            runs.append([o, o, st])
    return [f"@{a}" + (f"-{b}" if b > a else "") + f" {st}" for a, b, st in runs]


@dataclass
class Send(_OnPartition):
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
    source: bytes | None = None         # a pipeline's output: the input value it was made from
    resend_of: int | None = None        # the index of the send this one repeats
    key: bytes | None = None            # the record's key (rule 12), None for a keyless record
    tombstone: bool = False             # the record's value is None; `value` still names the send (rule 12)

    @property
    def written(self) -> bytes | None:
        """The value the record holds in the log: None for a tombstone (rule 12)."""
        return None if self.tombstone else self.value

    def __str__(self) -> str:
        where = f"{self.topic}-{self.partition}" + (f"@{self.offset}" if self.offset >= 0 else "")
        txn = f" txn {self.txn}" if self.txn is not None else ""
        if self.key is not None:
            txn = f" key {_v(self.key)}" + (" tombstone" if self.tombstone else "") + txn
        what = {"acked": "acked", "failed": f"failed {self.error}",
                "unknown": f"unknown ({self.note})" if self.note else "unknown"}.get(self.outcome, self.outcome)
        extra = (f" (from {_v(self.source)})" if self.source is not None else "") + (
            f" (re-send of #{self.resend_of})" if self.resend_of is not None else "")
        return f"#{self.index} t={self.time} send {_v(self.value)}{extra} by {self.instance}{txn} -> {where} {what}"


@dataclass
class Read(_OnPartition):
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
    key: bytes | None = None            # the record's key (rule 12)

    def __str__(self) -> str:
        final = " (final read)" if self.final else f" (group {self.group})" if self.group else ""
        key = f" key {_v(self.key)}" if self.key is not None else ""
        return (f"#{self.index} t={self.time} read {_v(self.value)}{key} at {self.topic}-{self.partition}@{self.offset} "
                f"by {self.consumer} {self.isolation}{final}")


@dataclass
class Commit(_OnPartition):
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


@dataclass
class Processed(_OnPartition):
    index: int
    consumer: str
    group: str
    topic: str
    partition: int
    offset: int
    value: bytes | None
    time: int
    trace_seq: int = -1

    def __str__(self) -> str:
        return (f"#{self.index} t={self.time} processed {_v(self.value)} from {self.topic}-{self.partition}@"
                f"{self.offset} by {self.consumer} (group {self.group})")


GROUP_EVENTS = ("assigned", "revoked", "lost", "closed", "crashed", "removed")


@dataclass
class GroupEvent:
    index: int
    consumer: str
    group: str
    kind: str                               # one of GROUP_EVENTS (rule 7)
    time: int
    trace_seq: int = -1
    partitions: tuple[str, ...] = ()        # "topic-partition"
    generation: int = -1
    member: str | None = None

    def __str__(self) -> str:
        gen = f" generation {self.generation}" if self.generation >= 0 else ""
        member = f" as {self.member}" if self.member else ""
        parts = f": {', '.join(self.partitions) or 'nothing'}" if self.kind in ("assigned", "revoked", "lost") else ""
        return f"#{self.index} t={self.time} group {self.group} {self.kind}{gen} {self.consumer}{member}{parts}"


@dataclass(frozen=True)
class Pipeline:
    group: str
    inputs: tuple[str, ...]
    output: str


Entry = Send | Read | Commit | Txn | Processed | GroupEvent | ShareDelivery | Reset


class History:
    """The recorder (rules 1-5) and the recorded history."""

    def __init__(self, trace: "Trace | None" = None) -> None:
        self.trace = trace
        self.sends: list[Send] = []
        self.reads: list[Read] = []
        self.commits: list[Commit] = []
        self.txns: list[Txn] = []
        self.processed: list[Processed] = []
        self.group_events: list[GroupEvent] = []
        self.processing: dict[str, tuple[str, ...]] = {}     # group -> topics it must process (rule 8)
        self.pipelines: list[Pipeline] = []
        self.share_deliveries: list[ShareDelivery] = []
        self.shares: dict[str, ShareGroup] = {}             # share group -> its declaration (rule 8)
        self.share_states: dict[tuple[str, str, int], ShareFinal] = {}   # (group, topic, partition) -> the end
        self.resets: list[Reset] = []
        self.retention: dict[str, int] = {}                 # topic -> retention.ms (rule 11)
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
             txn: Txn | None = None, source: bytes | None = None, resend_of: Send | None = None) -> Send:
        i, ts = self._index()
        s = Send(i, producer, instance, seq, encode(producer, seq), topic, partition, time, ts,
                 txn.id if txn is not None else None, source=source,
                 resend_of=resend_of.index if resend_of is not None else None)
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
        key = msg.key() if hasattr(msg, "key") else None
        r = Read(i, consumer, msg.topic(), msg.partition(), msg.offset(), msg.value(), isolation, time, ts, final,
                 msg.leader_epoch(), group, key if isinstance(key, bytes) else None)
        self.reads.append(r)
        return r

    def commit(self, consumer: str, group: str, topic: str, partition: int, offset: int, ok: bool, time: int,
               error: str | None = None, isolation: str = "read_uncommitted") -> Commit:
        i, ts = self._index()
        c = Commit(i, consumer, group, topic, partition, offset, ok, time, ts, error, isolation)
        self.commits.append(c)
        return c

    def process(self, consumer: str, group: str, read: Read, time: int) -> Processed:
        i, ts = self._index()
        p = Processed(i, consumer, group, read.topic, read.partition, read.offset, read.value, time, ts)
        self.processed.append(p)
        return p

    def group_event(self, consumer: str, group: str, kind: str, time: int, partitions: Iterable[str] = (),
                    generation: int = -1, member: str | None = None) -> GroupEvent:
        if kind not in GROUP_EVENTS:
            raise ValueError(f"a group event is one of {', '.join(GROUP_EVENTS)}, not {kind!r}")
        i, ts = self._index()
        e = GroupEvent(i, consumer, group, kind, time, ts, tuple(partitions), generation, member)
        self.group_events.append(e)
        return e

    def reset(self, consumer: str, topic: str, partition: int, kind: str, position: int, offset: int, time: int,
              policy: str | None = None, final: bool = False) -> Reset:
        """Rule 10."""
        if kind not in RESET_KINDS:
            raise ValueError(f"a reset is one of {', '.join(RESET_KINDS)}, not {kind!r}")
        i, ts = self._index()
        r = Reset(i, consumer, topic, partition, kind, position, offset, time, ts, policy, final)
        self.resets.append(r)
        return r

    def declare_retention(self, topic: str, retention_ms: int) -> None:
        """Rule 11."""
        self.retention[topic] = retention_ms

    def declare_processing(self, group: str, topics: Iterable[str]) -> None:
        self.processing[group] = tuple(topics)

    def declare_pipeline(self, group: str, inputs: Iterable[str], output: str) -> None:
        self.pipelines.append(Pipeline(group, tuple(inputs), output))

    def declare_share(self, group: str, topics: Iterable[str], delivery_limit: int) -> None:
        self.shares[group] = ShareGroup(group, tuple(topics), delivery_limit)

    def share_final(self, group: str, topic: str, partition: int, start: int,
                    states: Iterable[tuple[int, str]]) -> None:
        self.share_states[(group, topic, partition)] = ShareFinal(start, tuple(states))

    def share_delivery(self, consumer: str, group: str, msg: Any, time: int) -> ShareDelivery:
        """Rule 8b: `msg` is a ShareMessage that consume() returned."""
        i, ts = self._index()
        d = ShareDelivery(i, consumer, group, msg.topic(), msg.partition(), msg.offset(), msg.value(),
                          msg.delivery_count(), time, ts)
        self.share_deliveries.append(d)
        return d

    def share_acked(self, d: ShareDelivery, ack: str) -> None:
        d.ack, d.outcome = ack, "pending"

    def share_outcome(self, d: ShareDelivery, outcome: str, time: int, error: str | None = None,
                      note: str = "") -> None:
        if d.outcome != "pending":
            return
        if outcome not in ACK_OUTCOMES[1:]:
            raise ValueError(f"an acknowledgement ends ok, failed or unknown, not {outcome!r}")
        d.outcome, d.error, d.note, d.done_time = outcome, error, note, time
        d.done_trace_seq = self._pos()

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
        for d in self.share_deliveries:
            self.share_outcome(d, "unknown", time, note="no answer by the end of the run")
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
        out: list[Entry] = [*self.sends, *self.reads, *self.commits, *self.txns, *self.processed,
                            *self.group_events, *self.share_deliveries, *self.resets]
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
        if self.processed or self.processing:
            lines.append(f"processed: {len(self.processed)} by {len({p.consumer for p in self.processed})} consumer(s)")
        if self.group_events:
            lines.append(f"group events: {count(self.group_events, 'kind', GROUP_EVENTS)}")
        if self.share_deliveries or self.shares:
            ds = self.share_deliveries
            acked = [d for d in ds if d.ack is not None]
            lines.append(f"share deliveries: {len(ds)} to {len({d.consumer for d in ds})} consumer(s), "
                         f"{sum(1 for d in ds if d.processed >= 0)} processed, {len(acked)} acknowledged "
                         f"({count(acked, 'outcome', ACK_OUTCOMES)})")
            for (group, topic, partition), f in sorted(self.share_states.items()):
                lines.append(f"share-partition {group} {topic}-{partition} at the end: start {f.start}, in flight: "
                             + (", ".join(_runs(f.states)) or "nothing"))
        if self.resets or self.retention:
            lines.append(f"positions set: {count(self.resets, 'kind', RESET_KINDS)}" + "".join(
                f"; {topic}: retention.ms={ms}" for topic, ms in sorted(self.retention.items())))
        errors: dict[str, int] = {}
        for s in self.sends:
            if s.error:
                errors[s.error] = errors.get(s.error, 0) + 1
        if errors:
            lines.append("send errors: " + ", ".join(f"{n} {e}" for e, n in sorted(errors.items())))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<History: {len(self.sends)} sends, {len(self.reads)} reads, {len(self.commits)} commits, "
                f"{len(self.txns)} transactions, {len(self.processed)} processed, {len(self.group_events)} group events"
                + (f", {len(self.share_deliveries)} share deliveries" if self.share_deliveries else "") + ">")
