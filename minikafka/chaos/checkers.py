"""Checkers: read a history (history.py) and report which guarantees it violates, with the
offending records and the trace events that explain them (kafka-semantics.md E-J).

Each checker is `check(history, cluster=None) -> Report`; with a cluster, anomalies carry the
`seq` of trace events that explain them. The rules:
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
4. aborted_read: a read_committed consumer returned a value of a transaction that did not
   commit: aborted, or never asked to commit. A transaction whose outcome is unknown counts as
   committed when any of its values is in the final read_committed read, else as aborted.
4b. uncommitted_read: the same, for read_uncommitted consumers during the run (the final
   reads are left out): not a violation, what read_uncommitted means (H.52).
5. non_atomic: in the final read_committed read, a committed (or unknown) transaction is
   partly visible; `committed_invisible`: a committed transaction with nothing visible.
6. commit_beyond: a group committed offset N for a partition while the records its consumers
   (the reads marked with the group, and every consumer that committed for it) had been
   returned there, or its previous commit, reach only M + 1 < N, and some offset in
   [M + 1, N) holds a record the committing consumer should have returned: one in the final
   read_uncommitted read, not from a transaction that did not commit when the consumer reads
   read_committed. Control records (transaction markers) are skipped legitimately. Without a
   final read, every commit beyond M + 1 counts.
7. single_owner: within a group, a partition owned by two consumers at once, from the
   consumers' own events (history.py rule 7). A consumer owns what its last "assigned" gave
   it until it is revoked or lost, until it closes, or until the coordinator removes the
   member id that assignment was made to; a crash frees nothing by itself (the member stays
   in the group until the coordinator removes it).
8. exactly_once (pipelines, history.py rule 8): every input value (a workload value in the
   final read_uncommitted read of an input topic) has exactly one output in the final
   read_committed read of the output topic: "eos_missing" for none, "eos_duplicate" for more.
9. unprocessed: a group that must process some topics (history.py rule 8) never processed a
   workload value that is in the final read_uncommitted read of one of them.
10. processed_twice: a group processed one record (topic, partition, offset, value) twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from minikafka.chaos.history import Commit, Entry, GroupEvent, History, Pipeline, Processed, Read, Send, Txn

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent

MAX_EXPLAIN = 8


@dataclass(frozen=True)
class Anomaly:
    kind: str
    description: str
    records: tuple[Entry, ...] = ()
    trace_seq: tuple[int, ...] = ()

    def render(self, cluster: "Cluster | None" = None) -> str:
        lines = [f"{self.kind}: {self.description}"]
        lines += [f"    {r}" for r in self.records]
        if self.trace_seq:
            if cluster is not None:
                lines += [f"    trace #{seq}: {cluster.trace[seq].line().strip()}" for seq in self.trace_seq]
            else:
                lines.append("    trace events: " + ", ".join(f"#{s}" for s in self.trace_seq))
        return "\n".join(lines)


@dataclass
class Report:
    name: str
    ok: bool
    anomalies: list[Anomaly] = field(default_factory=list)
    checked: str = ""               # what was examined, e.g. "120 acknowledged sends"

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.anomalies:
            out[a.kind] = out.get(a.kind, 0) + 1
        return out

    def render(self, cluster: "Cluster | None" = None, limit: int = 5) -> str:
        head = f"{self.name}: " + ("ok" if self.ok else f"FAIL, {len(self.anomalies)} anomalies")
        if self.checked:
            head += f" ({self.checked})"
        lines = [head]
        for a in self.anomalies[:limit]:
            lines += ["  " + line for line in a.render(cluster).split("\n")]
        if len(self.anomalies) > limit:
            lines.append(f"  ... and {len(self.anomalies) - limit} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _report(name: str, anomalies: list[Anomaly], checked: str) -> Report:
    return Report(name, not anomalies, anomalies, checked)


# -- trace explanations ----------------------------------------------------------------------
def _events(cluster: "Cluster | None", start: int, end: int | None,
            match: Callable[["TraceEvent"], bool], limit: int = MAX_EXPLAIN) -> tuple[int, ...]:
    if cluster is None:
        return ()
    events = cluster.trace.events
    stop = len(events) if end is None or end < 0 else min(end, len(events))
    out = []
    for e in events[max(start, 0):stop]:
        if match(e):
            out.append(e.seq)
            if len(out) >= limit:
                break
    return tuple(out)


def _tp(topic: str, partition: int) -> str:
    return f"{topic}-{partition}"


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


def explain_txn(cluster: "Cluster | None", t: Txn, tp: tuple[str, int] | None = None) -> tuple[int, ...]:
    """Rules 4 and 5: the transaction's markers (on `tp` if given) and coordinator aborts."""
    name = _tp(*tp) if tp is not None else None

    def match(e: "TraceEvent") -> bool:
        f = e.fields
        if e.name == "marker":
            return f.get("pid") == t.producer_id and (name is None or f.get("tp") == name)
        if e.name in ("txn.abort", "txn.fatal_error", "txn.abortable_error"):
            return f.get("pid") == t.producer_id
        return False
    return _events(cluster, t.trace_seq, None, match)


def explain_commit(cluster: "Cluster | None", c: Commit, since: int) -> tuple[int, ...]:
    """Rule 6: what moved the consumer's position: resets, truncation, out of range."""
    tp = _tp(c.topic, c.partition)

    def match(e: "TraceEvent") -> bool:
        return (e.node == c.consumer and e.name in ("offset.reset", "offset.out_of_range", "log.truncation",
                                                     "offset.committed")
                and e.fields.get("tp") == tp)
    return _events(cluster, since, c.trace_seq + 1 if c.trace_seq >= 0 else None, match)


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


def _txn_fates(history: History) -> dict[int, str]:
    """Rule 4: each transaction's fate, "committed" or "aborted"; unknown ones resolved by the
    final read_committed read, or left "unknown" without one."""
    visible = {r.value for r in history.final_reads("read_committed")}
    has_final = bool(history.final_reads("read_committed")) or not any(s.outcome == "acked" for s in history.sends)
    fates = {}
    for t in history.txns:
        if t.outcome in ("committed", "aborted"):
            fates[t.id] = t.outcome
        elif has_final:
            fates[t.id] = "committed" if any(v in visible for v in t.values) else "aborted"
        else:
            fates[t.id] = "unknown"
    return fates


def _reads_of_undecided(history: History, cluster: "Cluster | None", isolation: str, kind: str) -> Report:
    """Rules 4 and 4b: reads at `isolation` (during the run for read_uncommitted) of values from
    transactions that did not commit."""
    fates = _txn_fates(history)
    out = []
    checked = 0
    for r in history.reads:
        if r.isolation != isolation or (isolation == "read_uncommitted" and r.final):
            continue
        checked += 1
        s = history.by_value(r.value)
        if s is None or s.txn is None or fates.get(s.txn) != "aborted":
            continue
        t = history.txns[s.txn]
        why = "was aborted" if t.outcome == "aborted" and t.error is None else (
            f"never committed ({t.error})" if t.outcome == "aborted" else "did not commit")
        desc = (f"{r.consumer} ({isolation}) read {r.value.decode()} at {r.topic}-{r.partition}@{r.offset}, "
                f"from transaction {t.id} which {why}")
        out.append(Anomaly(kind, desc, (r, s, t), explain_txn(cluster, t, r.tp)))
    return _report(kind, out, f"{checked} {isolation} reads")


def read_committed_reads(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 4."""
    return _reads_of_undecided(history, cluster, "read_committed", "aborted_read")


def uncommitted_reads(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 4b."""
    return _reads_of_undecided(history, cluster, "read_uncommitted", "uncommitted_read")


def atomic_transactions(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 5."""
    final = history.final_reads("read_committed")
    if not final and history.txns:
        return _report("non_atomic", [], "nothing checked: the history has no final read_committed read")
    visible = {r.value: r for r in final}
    out = []
    checked = 0
    for t in history.txns:
        if t.outcome not in ("committed", "unknown") or not t.values:
            continue
        checked += 1
        shown = [visible[v] for v in t.values if v in visible]
        if 0 < len(shown) < len(t.values):
            missing = [v.decode() for v in t.values if v not in visible]
            desc = (f"transaction {t.id} ({t.outcome}) is partly visible to read_committed: {len(shown)} of "
                    f"{len(t.values)} values; missing {', '.join(missing)}")
            out.append(Anomaly("non_atomic", desc, (t, *shown), explain_txn(cluster, t)))
        elif not shown and t.outcome == "committed":
            desc = f"transaction {t.id} committed {len(t.values)} values and none is visible to read_committed"
            out.append(Anomaly("committed_invisible", desc, (t,), explain_txn(cluster, t)))
    return _report("non_atomic", out, f"{checked} committed or unknown transactions")


def commits_beyond_processed(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 6."""
    final_ru = history.final_reads("read_uncommitted")
    data_at: dict[tuple[str, int, int], Read] = {(r.topic, r.partition, r.offset): r for r in final_ru}
    fates = _txn_fates(history)
    members: dict[str, set[str]] = {}              # group -> consumers known to be in it
    for c in history.commits:
        members.setdefault(c.group, set()).add(c.consumer)
    for r in history.reads:
        if r.group is not None:
            members.setdefault(r.group, set()).add(r.consumer)
    returned: dict[tuple[str, str, int], int] = {}      # (group, topic, partition) -> highest offset returned
    committed: dict[tuple[str, str, int], int] = {}
    since: dict[str, int] = {}
    events = sorted([*((r.index, r) for r in history.reads if not r.final), *((c.index, c) for c in history.commits)],
                    key=lambda x: x[0])
    out = []
    checked = 0
    for _, e in events:
        if isinstance(e, Read):
            since.setdefault(e.consumer, e.trace_seq)
            for group, who in members.items():
                if e.consumer in who:
                    key = (group, e.topic, e.partition)
                    returned[key] = max(returned.get(key, -1), e.offset)
            continue
        if not e.ok:
            continue
        checked += 1
        key = (e.group, e.topic, e.partition)
        base = max(returned.get(key, -1) + 1, committed.get(key, 0))
        committed[key] = max(committed.get(key, 0), e.offset)
        if e.offset <= base:
            continue
        if final_ru:
            rc = e.isolation == "read_committed"
            skipped = [data_at[(e.topic, e.partition, o)] for o in range(base, e.offset)
                       if (e.topic, e.partition, o) in data_at]
            if rc:
                skipped = [r for r in skipped if not _uncommitted(history, fates, r)]
            if not skipped:
                continue
        else:
            skipped = []
        desc = (f"group {e.group} committed {e.topic}-{e.partition}={e.offset} (by {e.consumer}) but had processed "
                f"that partition only up to offset {base - 1} (records returned to its consumers, or its last commit)")
        if skipped:
            desc += f"; never returned: {', '.join(f'@{r.offset}' for r in skipped[:5])}" + (
                " ..." if len(skipped) > 5 else "")
        out.append(Anomaly("commit_beyond", desc, (e, *skipped[:5]),
                           explain_commit(cluster, e, since.get(e.consumer, 0))))
    return _report("commit_beyond", out, f"{checked} successful commits")


def _uncommitted(history: History, fates: dict[int, str], r: Read) -> bool:
    s = history.by_value(r.value)
    return s is not None and s.txn is not None and fates.get(s.txn) != "committed"


# -- groups (rules 7, 9, 10) ------------------------------------------------------------------
@dataclass
class _Holding:
    event: GroupEvent                       # the "assigned" that gave it
    partitions: set[str]


def single_owner_per_generation(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 7."""
    holdings: dict[tuple[str, str], _Holding] = {}          # (group, consumer) -> what it owns
    out = []
    for e in history.group_events:
        key = (e.group, e.consumer)
        held = holdings.get(key)
        if e.kind == "assigned":
            out += _clashes(holdings, e)
            holdings[key] = _Holding(e, set(e.partitions))
        elif held is None:
            continue
        elif e.kind in ("revoked", "lost"):
            held.partitions.difference_update(e.partitions)
        elif e.kind == "closed" or (e.kind == "removed" and held.event.member in (None, e.member)):
            del holdings[key]
    return _report("single_owner", out, f"{len(history.group_events)} group events")


def _clashes(holdings: dict[tuple[str, str], _Holding], e: GroupEvent) -> list[Anomaly]:
    out = []
    for (group, consumer), held in sorted(holdings.items()):
        both = sorted(held.partitions & set(e.partitions))
        if group != e.group or consumer == e.consumer or not both:
            continue
        prev = held.event
        desc = (f"group {group}: {e.consumer} was assigned {', '.join(both)} in generation {e.generation} while "
                f"{consumer} still owned {'it' if len(both) == 1 else 'them'} (assigned in generation "
                f"{prev.generation}, never revoked, lost, closed or removed)")
        out.append(Anomaly("single_owner", desc, (prev, e)))
    return out


def _processed_by_group(history: History) -> dict[str, dict[bytes | None, list[Processed]]]:
    out: dict[str, dict[bytes | None, list[Processed]]] = {}
    for p in history.processed:
        out.setdefault(p.group, {}).setdefault(p.value, []).append(p)
    return out


def unprocessed(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 9."""
    final = history.final_reads("read_uncommitted")
    if not final and history.processing:
        return _report("unprocessed", [], "nothing checked: the history has no final read_uncommitted read")
    done = _processed_by_group(history)
    out = []
    checked = 0
    for group, topics in sorted(history.processing.items()):
        for r in final:
            if r.topic not in topics or history.by_value(r.value) is None:
                continue
            checked += 1
            if r.value in done.get(group, {}):
                continue
            out.append(_unprocessed_anomaly(history, cluster, group, r))
    return _report("unprocessed", out, f"{checked} records the groups had to process")


def _unprocessed_anomaly(history: History, cluster: "Cluster | None", group: str, r: Read) -> Anomaly:
    reads = [x for x in history.reads if not x.final and x.group == group and x.value == r.value]
    commits = [c for c in history.commits if c.ok and c.group == group and c.tp == r.tp and c.offset > r.offset]
    readers = sorted({x.consumer for x in reads})
    desc = f"group {group} never processed {_text(r.value)} at {r.topic}-{r.partition}@{r.offset}"
    if readers:
        desc += f" (returned to {', '.join(readers)})"
    if commits:
        desc += f"; its offset was committed past it ({commits[0].topic}-{commits[0].partition}={commits[0].offset})"
    trace = _events(cluster, reads[0].trace_seq if reads else 0, None,
                    lambda e: e.name in ("client.crash", "client.close") and e.node in readers)
    return Anomaly("unprocessed", desc, (r, *reads[:3], *commits[:1]), trace)


def processed_twice(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 10."""
    out = []
    for group, by_value in sorted(_processed_by_group(history).items()):
        for value, done in by_value.items():
            per_record: dict[tuple[str, int, int], list[Processed]] = {}
            for p in done:
                per_record.setdefault((p.topic, p.partition, p.offset), []).append(p)
            for (topic, partition, offset), ps in sorted(per_record.items()):
                if len(ps) < 2:
                    continue
                who = ", ".join(p.consumer for p in ps)
                desc = (f"group {group} processed {_text(value)} at {topic}-{partition}@{offset} {len(ps)} times "
                        f"(by {who})")
                out.append(Anomaly("processed_twice", desc, tuple(ps[:4]),
                                   _events(cluster, ps[0].trace_seq, ps[1].trace_seq, _rebalancing(ps))))
    return _report("processed_twice", out, f"{len(history.processed)} records processed")


def _rebalancing(ps: list[Processed]) -> Callable[["TraceEvent"], bool]:
    names = {p.consumer for p in ps}
    return lambda e: (e.node in names and e.name in ("client.crash", "group.revoked", "group.lost", "commit")) or (
        e.name == "group.member_removed")


def _text(value: bytes | None) -> str:
    return "None" if value is None else value.decode(errors="replace")


# -- pipelines (rule 8) ------------------------------------------------------------------------
def exactly_once(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 8."""
    if not history.pipelines:
        return _report("exactly_once", [], "no pipeline declared")
    final_ru = history.final_reads("read_uncommitted")
    final_rc = history.final_reads("read_committed")
    if not final_ru or not final_rc:
        return _report("exactly_once", [], "nothing checked: the history lacks a final read of both isolations")
    out = []
    checked = 0
    for pl in history.pipelines:
        outputs: dict[bytes, list[Read]] = {}
        for r in final_rc:
            s = history.by_value(r.value) if r.topic == pl.output else None
            if s is not None and s.source is not None:
                outputs.setdefault(s.source, []).append(r)
        inputs = list(dict.fromkeys(r.value for r in final_ru if r.topic in pl.inputs and history.by_value(r.value)))
        checked += len(inputs)
        for v in inputs:
            made = outputs.get(v, [])
            if len(made) != 1:
                out.append(_eos_anomaly(history, cluster, pl, v, made))
    return _report("exactly_once", out, f"{checked} input records against their committed outputs")


def _eos_anomaly(history: History, cluster: "Cluster | None", pl: Pipeline, value: bytes,
                 made: list[Read]) -> Anomaly:
    src = history.by_value(value)
    sends = [history.by_value(r.value) for r in made]
    txns = [history.txn(s.txn) for s in sends if s is not None and s.txn is not None]
    output = pl.output
    if not made:
        reads = sum(1 for r in history.reads if r.group == pl.group and r.value == value and not r.final)
        desc = f"input {_text(value)} has no output in the committed {output}; " + (
            f"the pipelines read it {reads} times" if reads else "no pipeline ever read it (the group made no progress)")
        kind = "eos_missing"
    else:
        where = ", ".join(f"{_text(r.value)} at {r.topic}-{r.partition}@{r.offset}" for r in made)
        desc = f"input {_text(value)} has {len(made)} committed outputs in {output}: {where}"
        kind = "eos_duplicate"
    trace = tuple(seq for t in txns[:2] if t is not None for seq in explain_txn(cluster, t)[:4])
    writers = [s for s in sends if s is not None]
    if writers and not txns:
        # no transaction to explain it: what happened to the writers between the two writes
        names = {s.instance for s in writers}
        trace = _events(cluster, writers[0].trace_seq, writers[-1].trace_seq + 1,
                        lambda e: e.name in ("client.crash", "commit") and e.node in names
                        or e.name == "group.assigned")
    recs: tuple[Entry, ...] = ((src,) if src is not None else ()) + tuple(writers) + tuple(made) + tuple(
        t for t in txns if t)
    return Anomaly(kind, desc, recs, trace)


CHECKERS: dict[str, Callable[[History, Any], Report]] = {
    "lost": lost_writes,
    "duplicate": duplicates,
    "reorder": reordering,
    "aborted_read": read_committed_reads,
    "uncommitted_read": uncommitted_reads,
    "non_atomic": atomic_transactions,
    "commit_beyond": commits_beyond_processed,
    "single_owner": single_owner_per_generation,
    "exactly_once": exactly_once,
    "unprocessed": unprocessed,
    "processed_twice": processed_twice,
}
# every anomaly kind the checkers report, in table order
KINDS = ("lost", "duplicate", "reorder", "aborted_read", "uncommitted_read", "non_atomic", "committed_invisible",
         "commit_beyond", "single_owner", "eos_missing", "eos_duplicate", "unprocessed", "processed_twice")


def check_all(history: History, cluster: "Cluster | None" = None,
              names: Iterable[str] | None = None) -> dict[str, Report]:
    """Run the named checkers (all of `CHECKERS` by default), in `CHECKERS` order."""
    wanted = list(CHECKERS) if names is None else list(names)
    for n in wanted:
        if n not in CHECKERS:
            raise ValueError(f"unknown checker {n!r}; checkers: {', '.join(CHECKERS)}")
    return {n: CHECKERS[n](history, cluster) for n in CHECKERS if n in wanted}


def render_verdicts(verdicts: dict[str, Report], cluster: "Cluster | None" = None, limit: int = 5) -> str:
    return "\n".join(r.render(cluster, limit) for r in verdicts.values())
