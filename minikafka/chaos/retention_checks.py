"""Retention checkers: what a slow consumer read of a log that retention deletes from, told
apart from what it lost. Each is `check(history, cluster=None) -> Report` (report.py); they read
the sends, the reads and the consumers' position resets (history.py rules 3, 10, 11).

Kafka deletes whole segments whose newest record is older than `retention.ms` (kafka-semantics.md
#304, #305), whether or not anyone read them; a consumer whose position falls below the log start
gets OFFSET_OUT_OF_RANGE and, with `auto.offset.reset=earliest`, jumps to the log start that
ListOffsets answered (#311, #313), also from a stale committed offset (#314). So a record can be
acknowledged and never read, and that is not a loss. These checkers keep the two apart, knowing
only what a client knows: its acknowledgements, the records its polls returned, and where its
resets took it.

Definitions. A reader is either the application's consumers (every instance, reads not `final`)
or the final reader (history.py rule 3). A reset with policy earliest that moves a consumer
forward, from `position` (0 when it had none) to the log start `offset`, jumps over the offsets
in between: whatever was there had been deleted when the broker answered. A reader has reached,
on a partition, the highest offset after a record it returned or a reset it made.

Rules (numbered on from checkers.py's 1-13; workload_retention.py runs these checkers):
14. expired: an acknowledged record that no consumer of the application returned, and whose
   offset one of their earliest-resets jumped over: it expired before it was read. Kafka allows
   it; each such reset is one anomaly (with how many records and which offsets), and the report
   stays ok.
15. lost: an acknowledged record that a reader should have returned and did not: the final
   reader did not return it and none of its resets jumped over it; or the application's
   consumers reached past its offset on its partition, did not return it, and none of their
   resets jumped over it (a skip, rule 18). Explained by truncations, elections and power losses
   of its partition (durability_checks.py rule 1).
16. early_expiry: for a topic declared deleted by time only (history.py rule 11), a record a reset
   jumped over less than `retention.ms` after it was sent. Retention deletes a segment only when
   now - its largest timestamp > `retention.ms`, and a record's timestamp is at least its send
   time, so the reset's answer cannot come before send time + `retention.ms` (#305).
17. inconsistent_offsets: two different values at one position (topic, partition, offset) among
   the acknowledgements and every read.
18. nonmonotonic_poll and poll_skip: one consumer instance returns each partition's records in
   increasing offset order, each right after the previous one, except across a reset: a record
   below its position (the offset after its previous record, or where its last reset put it) is
   nonmonotonic_poll; a record above it, with an offset in between known to hold a record (an
   acknowledgement or any read there), is poll_skip.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from minikafka.chaos.durability_checks import explain_loss
from minikafka.chaos.history import Entry, History, Read, Reset, Send
from minikafka.chaos.report import Anomaly, Report, _events, _report, _text, _tp

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent

TP = tuple[str, int]
POSITION_EVENTS = ("offset.out_of_range", "offset.reset", "offset.committed", "log.truncation")


@dataclass(frozen=True)
class Jump:
    """An earliest-reset that moved a consumer forward over [lo, hi)."""
    reset: Reset
    lo: int
    hi: int

    def covers(self, offset: int) -> bool:
        return self.lo <= offset < self.hi


def jumps(resets: Iterable[Reset]) -> dict[TP, list[Jump]]:
    """Per partition, the resets that jumped over offsets, in history order."""
    out: dict[TP, list[Jump]] = {}
    for r in sorted(resets, key=lambda x: x.index):
        if r.policy != "earliest" or r.kind not in ("out_of_range", "no_offset"):
            continue
        lo = max(r.position, 0) if r.kind == "out_of_range" else 0
        if r.offset > lo:
            out.setdefault(r.tp, []).append(Jump(r, lo, r.offset))
    return out


def _jumped(js: dict[TP, list[Jump]], s: Send) -> Jump | None:
    return next((j for j in js.get(s.tp, ()) if j.covers(s.offset)), None)


@dataclass
class _Reader:
    """What one reader (the application's consumers, or the final reader) returned and jumped over."""
    values: set[bytes]
    jumps: dict[TP, list[Jump]]
    reached: dict[TP, int]

    @classmethod
    def of(cls, history: History, final: bool) -> "_Reader":
        reads = [r for r in history.reads if r.final == final]
        resets = [r for r in history.resets if r.final == final]
        reached: dict[TP, int] = {}
        for tp, offset in [*((r.tp, r.offset + 1) for r in reads), *((r.tp, r.offset) for r in resets)]:
            reached[tp] = max(reached.get(tp, 0), offset)
        return cls({r.value for r in reads if r.value is not None}, jumps(resets), reached)

    @property
    def ran(self) -> bool:
        return bool(self.values or self.jumps or self.reached)


def _acked(history: History) -> list[Send]:
    return [s for s in history.sends if s.outcome == "acked"]


def _segment_deletes(cluster: "Cluster | None", tp: str, start: int, end: int, above: int) -> tuple[int, ...]:
    """The retention passes that moved `tp`'s log start above `above` between two trace positions."""
    def match(e: "TraceEvent") -> bool:
        return e.name == "segment.delete" and e.fields.get("tp") == tp and e.fields.get("log_start", -1) > above
    return _events(cluster, start, end, match)


def _spans(offsets: list[int]) -> str:
    """"3-5, 9" for sorted offsets."""
    runs: list[list[int]] = []
    for o in offsets:
        if runs and runs[-1][1] == o - 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def _by_jump(pairs: Iterable[tuple[Jump, Send]]) -> Iterator[tuple[Jump, list[Send]]]:
    """The sends grouped by the jump over them, in the jumps' history order."""
    groups: dict[int, tuple[Jump, list[Send]]] = {}
    for j, s in pairs:
        groups.setdefault(j.reset.index, (j, []))[1].append(s)
    for index in sorted(groups):
        j, sends = groups[index]
        yield j, sorted(sends, key=lambda s: s.offset)


def _ends(sends: list[Send]) -> tuple[Entry, ...]:
    return tuple(sends[:1] + sends[-1:]) if len(sends) > 1 else tuple(sends)


# -- the checkers --------------------------------------------------------------------------------
def expired(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 14: reported, never a failure."""
    app = _Reader.of(history, final=False)
    pairs = []
    for s in _acked(history):
        j = _jumped(app.jumps, s) if s.value not in app.values else None
        if j is not None:
            pairs.append((j, s))
    out = []
    for j, sends in _by_jump(pairs):
        r = j.reset
        desc = (f"{len(sends)} acknowledged records of {_tp(*r.tp)} (offsets {_spans([s.offset for s in sends])}) "
                f"expired before {r.consumer} read them: it was at {j.lo} and reset to the log start {j.hi} "
                f"(t={r.time}; the oldest was sent at t={min(s.time for s in sends)})")
        start = min(s.trace_seq for s in sends)
        out.append(Anomaly("expired", desc, (r, *_ends(sends)),
                           _segment_deletes(cluster, _tp(*r.tp), start, r.trace_seq, j.lo)))
    checked = (f"{len(pairs)} of {len(_acked(history))} acknowledged records expired before they were read, in "
               f"{len(out)} resets to the log start: allowed, retention does not wait for consumers (#305, #313)")
    return Report("expired", True, out, checked)


def lost(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 15."""
    app, final = _Reader.of(history, final=False), _Reader.of(history, final=True)
    acked = _acked(history)
    out = []
    for s in acked:
        why = []
        if final.ran and s.value not in final.values and _jumped(final.jumps, s) is None:
            why.append("the final read from the log start missed it")
        if s.value not in app.values and _jumped(app.jumps, s) is None and s.offset < app.reached.get(s.tp, 0):
            why.append(f"the consumers read past offset {s.offset} without it and no reset jumped over it")
        if why:
            desc = (f"{s.value.decode(errors='replace')} was acknowledged at {_tp(*s.tp)}@{s.offset} "
                    f"(t={s.done_time}) but " + "; and ".join(why))
            out.append(Anomaly("lost", desc, (s,), explain_loss(cluster, s)))
    unseen = sum(1 for s in acked if s.value not in app.values and _jumped(app.jumps, s) is None
                 and s.offset >= app.reached.get(s.tp, 0))
    checked = f"{len(acked)} acknowledged sends against {len(app.values)} values the consumers read"
    checked += f" and {len(final.values)} the final read returned" if final.ran else " (no final read)"
    if unseen:
        checked += f"; {unseen} beyond where the consumers got to"
    return _report("lost", out, checked)


def early_expiry(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 16."""
    pairs = []
    js = jumps(history.resets)
    for s in _acked(history):
        ms = history.retention.get(s.topic)
        if ms is None:
            continue
        for j in js.get(s.tp, ()):
            if j.covers(s.offset) and j.reset.time <= s.time + ms:
                pairs.append((j, s))
    out = []
    for j, sends in _by_jump(pairs):
        r, ms = j.reset, history.retention[j.reset.topic]
        desc = (f"{r.consumer} was reset to the log start {j.hi} of {_tp(*r.tp)} at t={r.time}, past "
                f"{len(sends)} records sent less than retention.ms={ms} earlier (offsets "
                f"{_spans([s.offset for s in sends])}, the newest sent at t={max(s.time for s in sends)})")
        out.append(Anomaly("early_expiry", desc, (r, *_ends(sends)),
                           _segment_deletes(cluster, _tp(*r.tp), min(s.trace_seq for s in sends), r.trace_seq,
                                            j.lo)))
    checked = (f"{sum(len(v) for v in js.values())} resets to the log start against retention.ms of "
               + (", ".join(f"{t}={ms}" for t, ms in sorted(history.retention.items())) or "no topic"))
    return _report("early_expiry", out, checked)


def inconsistent_offsets(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 17."""
    at: dict[tuple[str, int, int], dict[bytes | None, Send | Read]] = {}
    for e in [*_acked(history), *history.reads]:
        at.setdefault((e.topic, e.partition, e.offset), {}).setdefault(e.value, e)
    out = []
    for (topic, partition, offset), seen in sorted(at.items(), key=lambda kv: kv[0]):
        if len(seen) < 2:
            continue
        entries = sorted(seen.values(), key=lambda e: e.index)
        values = ", ".join(_text(e.value) for e in entries)
        desc = f"{_tp(topic, partition)}@{offset} holds {len(seen)} different values: {values}"
        sends = [e for e in entries if isinstance(e, Send)]
        out.append(Anomaly("inconsistent_offsets", desc, tuple(entries),
                           explain_loss(cluster, sends[0]) if sends else ()))
    return _report("inconsistent_offsets", out, f"{len(at)} positions acknowledged or read")


def _polls(history: History) -> dict[tuple[str, str, int], list[Read | Reset]]:
    """Per (consumer, topic, partition): its reads and resets in history order."""
    out: dict[tuple[str, str, int], list[Read | Reset]] = {}
    for e in sorted([*history.reads, *history.resets], key=lambda x: x.index):
        out.setdefault((e.consumer, e.topic, e.partition), []).append(e)
    return out


def _position_events(cluster: "Cluster | None", consumer: str, tp: str, a: Entry, b: Entry) -> tuple[int, ...]:
    def match(e: "TraceEvent") -> bool:
        return e.node == consumer and e.name in POSITION_EVENTS and e.fields.get("tp") == tp
    return _events(cluster, a.trace_seq, b.trace_seq, match)


def _order(history: History, cluster: "Cluster | None", kind: str,
           bad: Callable[[int, int, TP], list[int] | None]) -> list[Anomaly]:
    """Rule 18's walk: `bad(position, offset, tp)` says what is wrong with a read at `offset`."""
    out = []
    for (consumer, topic, partition), entries in sorted(_polls(history).items(), key=lambda kv: kv[0]):
        position: int | None = None
        prev: Read | Reset | None = None
        for e in entries:
            if isinstance(e, Reset):
                position, prev = e.offset, e
                continue
            if position is not None and prev is not None:
                what = bad(position, e.offset, e.tp)
                if what is not None:
                    since = f"its previous record at {position - 1}" if isinstance(prev, Read) else \
                        f"its reset to {position}"
                    desc = (f"{consumer} returned {_text(e.value)} at {_tp(topic, partition)}@{e.offset} after {since}"
                            + (f", skipping records at {_spans(what)}" if what else ""))
                    out.append(Anomaly(kind, desc, (prev, e),
                                       _position_events(cluster, consumer, _tp(topic, partition), prev, e)))
            position, prev = e.offset + 1, e
    return out


def nonmonotonic_poll(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 18: a record below the position."""
    out = _order(history, cluster, "nonmonotonic_poll", lambda position, offset, tp: [] if offset < position else None)
    return _report("nonmonotonic_poll", out, f"{len(history.reads)} reads and {len(history.resets)} resets in order")


def poll_skip(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 18: a record above the position, past offsets known to hold records."""
    known: dict[TP, set[int]] = {}
    for e in [*_acked(history), *history.reads]:
        known.setdefault(e.tp, set()).add(e.offset)

    def bad(position: int, offset: int, tp: TP) -> list[int] | None:
        if offset <= position:
            return None
        gap = sorted(o for o in known.get(tp, ()) if position <= o < offset)
        return gap or None
    out = _order(history, cluster, "poll_skip", bad)
    return _report("poll_skip", out, f"{len(history.reads)} reads and {len(history.resets)} resets in order")


RETENTION_CHECKERS: dict[str, Callable[[History, Any], Report]] = {
    "lost": lost,
    "inconsistent_offsets": inconsistent_offsets,
    "nonmonotonic_poll": nonmonotonic_poll,
    "poll_skip": poll_skip,
    "early_expiry": early_expiry,
    "expired": expired,
}
# every anomaly kind these checkers report; all but "expired" are guarantees
RETENTION_KINDS = tuple(RETENTION_CHECKERS)


def check_retention(history: History, cluster: "Cluster | None" = None) -> dict[str, Report]:
    """Every checker of `RETENTION_CHECKERS`, in order."""
    return {name: check(history, cluster) for name, check in RETENTION_CHECKERS.items()}
