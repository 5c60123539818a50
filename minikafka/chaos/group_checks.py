"""Consumer-group checkers: what a group committed, owned and processed. Each is
`check(history, cluster=None) -> Report` (report.py).

Rules (numbered as in checkers.py; 8 is pipeline_checks.py's):
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
9. unprocessed: a group that must process some topics (history.py rule 8) never processed a
   workload value that is in the final read_uncommitted read of one of them.
10. processed_twice: a group processed one record (topic, partition, offset, value) twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from minikafka.chaos.history import Commit, GroupEvent, History, Processed, Read
from minikafka.chaos.report import Anomaly, Report, _events, _report, _text, _tp
from minikafka.chaos.transaction_checks import _txn_fates

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent


# -- commits (rule 6) -------------------------------------------------------------------------
def explain_commit(cluster: "Cluster | None", c: Commit, since: int) -> tuple[int, ...]:
    """Rule 6: what moved the consumer's position: resets, truncation, out of range."""
    tp = _tp(c.topic, c.partition)

    def match(e: "TraceEvent") -> bool:
        return (e.node == c.consumer and e.name in ("offset.reset", "offset.out_of_range", "log.truncation",
                                                     "offset.committed")
                and e.fields.get("tp") == tp)
    return _events(cluster, since, c.trace_seq + 1 if c.trace_seq >= 0 else None, match)


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


# -- ownership and processing (rules 7, 9, 10) --------------------------------------------------
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
