"""Durability checkers: what the log kept of the acknowledged sends, and in which order. Each is
`check(history, cluster=None) -> Report` (report.py).

Rules (numbered as in checkers.py):
1. lost: a send acknowledged without error whose value is absent from the final
   read_uncommitted read of the whole log. Explained by truncations of its partition at or
   below its offset, leader elections, and power losses that cost that partition records.
2. duplicate: one value read at two different positions (topic, partition, offset), by any
   consumer. Explained by its producer's retries, request timeouts and the lost produce
   requests or responses of that send, and by the appends at those positions.
3. reorder: in the final read_uncommitted read, within one partition, a value from one
   producer instance (a session) at a higher offset than a value of the same instance with a
   higher sequence number. Only the first copy of a value counts (its duplicates are rule 2's).
   Kafka promises nothing across instances of an application, so neither does this checker.
   A value the application sent twice (a re-send from a new instance) counts for the instance
   of its last send, so an old instance's copy landing late can show here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from minikafka.chaos.history import Entry, History, Read, Send
from minikafka.chaos.report import Anomaly, Report, _events, _report, _tp

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent


# -- trace explanations ----------------------------------------------------------------------
def explain_loss(cluster: "Cluster | None", s: Send) -> tuple[int, ...]:
    """Rule 1's events: after the acknowledgement, what removed the record."""
    tp = _tp(s.topic, s.partition)

    def match(e: "TraceEvent") -> bool:
        f = e.fields
        if e.name == "truncate":
            return f.get("tp") == tp and f.get("to", 0) <= s.offset
        if e.name == "leader.elect":
            return f.get("tp") == tp
        if e.name == "broker.crash":
            return any(str(x).startswith(tp + ":") for x in f.get("lost", ()))
        return False
    return _events(cluster, s.done_trace_seq if s.done_trace_seq >= 0 else s.trace_seq, None, match)


def explain_retries(cluster: "Cluster | None", s: Send, offsets: Iterable[int] = ()) -> tuple[int, ...]:
    """Rules 2 and 3: between the send and its report, its producer's retries, timeouts and lost
    produce messages, and the appends at the given offsets of its partition."""
    tp = _tp(s.topic, s.partition)
    offsets = tuple(offsets)
    me = s.instance

    def match(e: "TraceEvent") -> bool:
        if e.name in ("ProduceRequest", "ProduceResponse") and e.kind == "drop":
            return me in (e.node, e.peer)
        if e.node == me and e.name == "produce.retry":
            return e.fields.get("tp") == tp
        if e.node == me and e.name == "request.timeout":
            return e.fields.get("request") == "ProduceRequest"
        if e.name == "append" and e.fields.get("tp") == tp:
            lo, hi = e.fields.get("offsets", (-1, -1))
            return any(lo <= o <= hi for o in offsets)
        return False
    return _events(cluster, s.trace_seq, None, match)



# -- the checkers --------------------------------------------------------------------------------
def lost_writes(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 1."""
    final = history.final_reads("read_uncommitted")
    acked = [s for s in history.sends if s.outcome == "acked"]
    if not final and acked:
        return _report("lost", [], "nothing checked: the history has no final read_uncommitted read")
    seen = {r.value for r in final}
    at = {(r.topic, r.partition, r.offset): r for r in final}
    out = []
    for s in acked:
        if s.value in seen:
            continue
        now = at.get((s.topic, s.partition, s.offset))
        where = f"{s.topic}-{s.partition}@{s.offset}"
        desc = f"{s.value.decode()} was acknowledged at {where} (t={s.done_time}) but is not in the log"
        if now is not None:
            desc += f"; offset {s.offset} now holds {now.value!r}"
        recs: tuple[Entry, ...] = (s, now) if now is not None else (s,)
        out.append(Anomaly("lost", desc, recs, explain_loss(cluster, s)))
    return _report("lost", out, f"{len(acked)} acknowledged sends against {len(final)} records read back")


def duplicates(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 2."""
    positions: dict[bytes, dict[tuple[str, int, int], Read]] = {}
    for r in history.reads:
        if r.value is not None:
            positions.setdefault(r.value, {}).setdefault((r.topic, r.partition, r.offset), r)
    out = []
    for value, where in positions.items():
        if len(where) < 2:
            continue
        reads = [where[k] for k in sorted(where)]
        s = history.by_value(value)
        text = ", ".join(f"{t}-{p}@{o}" for t, p, o in sorted(where))
        desc = f"{value.decode(errors='replace')} was read at {len(where)} positions: {text}"
        recs: tuple[Entry, ...] = ((s,) if s is not None else ()) + tuple(reads)
        trace = explain_retries(cluster, s, [o for _, _, o in where]) if s is not None else ()
        out.append(Anomaly("duplicate", desc, recs, trace))
    return _report("duplicate", out, f"{len(positions)} distinct values read")


def reordering(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 3."""
    final = sorted(history.final_reads("read_uncommitted"), key=lambda r: (r.topic, r.partition, r.offset))
    if not final and any(s.outcome == "acked" for s in history.sends):
        return _report("reorder", [], "nothing checked: the history has no final read_uncommitted read")
    seen: set[bytes] = set()
    highest: dict[tuple[str, str, int], tuple[Read, Send]] = {}
    out = []
    for r in final:
        s = history.by_value(r.value)
        if s is None or r.value in seen:
            continue
        seen.add(r.value)
        key = (s.instance, r.topic, r.partition)
        prev = highest.get(key)
        if prev is None or prev[1].seq < s.seq:
            highest[key] = (r, s)
            continue
        pr, ps = prev
        desc = (f"{r.value.decode()} (sequence {s.seq}) is at {r.topic}-{r.partition}@{r.offset}, after "
                f"{pr.value.decode()} (sequence {ps.seq}) at offset {pr.offset}; both from {s.instance}")
        out.append(Anomaly("reorder", desc, (s, ps, pr, r), explain_retries(cluster, s, (r.offset, pr.offset))))
    return _report("reorder", out, f"{len(seen)} records in partition order")
