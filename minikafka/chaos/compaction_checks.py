"""Compaction checkers: what a compacted topic must keep, told apart from what the log cleaner
may remove. Each is `check(history, cluster=None) -> Report` (report.py); they read the keyed
sends and the reads (history.py rules 2, 3, 12).

The log cleaner keeps, per partition, the latest record of each key (kafka-semantics.md #315,
#319, #320) and keeps offsets as they were, leaving gaps (#320); a tombstone that is a key's
latest record stays for about `delete.retention.ms` after the pass that first cleaned it, then
goes (#321); the active segment and anything above the LSO are never cleaned (#317). So a
superseded record may be absent from the final read, and so may a tombstone: neither is a loss.
A key's latest value is a different matter.

Definitions. A key lives on one partition (workload_compaction.py rule 19); everything below is
per (topic, partition, key). A write is a send with that key; it is acknowledged ("acked", with
its offset) or maybe written (outcome "unknown", or "failed": an idempotent producer's expired
batch may still have been appended). The final state of a key is the last record of that key,
in offset order, that the final read_uncommitted read returned, or none.

Rules (numbered on from retention_checks.py's 14-18):
19. lost_update: the key's last acknowledged write (in offset order) is a value, and the final
   state is not it, nor a maybe-written write of the key at a higher offset: either the key is
   absent, or an older record of it survived the newer one (compaction keeps the latest, #320).
   Explained by truncations, elections and power losses of its partition (durability_checks.py
   rule 1) and by the cleaning passes of the partition after the acknowledgement.
20. resurrected: the key's last acknowledged write is a tombstone, yet the final state is a
   value written before it (at a lower offset): the delete was undone. Absent, or a tombstone,
   is what Kafka promises (#321: the tombstone itself may be gone after delete.retention.ms).
21. phantom: a record read (by any reader) whose value was never written with its key on its
   partition: a value that no send of that key carried, or a tombstone (value None) for a key
   that no tombstone was sent for.
22. moved: a record read at an offset other than the one it was acknowledged with, or a record
   read at an acknowledged offset that is not the record acknowledged there (the cleaner keeps
   offsets, #320; nothing else rewrites them).
23. final_order: the final reader returns each partition's records in strictly increasing
   offset order (gaps are allowed: compaction leaves them).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka.chaos.durability_checks import explain_loss
from minikafka.chaos.history import History, Read, Send
from minikafka.chaos.report import Anomaly, Report, _events, _report, _text, _tp

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent

KEY = tuple[str, int, bytes]            # (topic, partition, key)


def _writes(history: History) -> dict[KEY, list[Send]]:
    """Per (topic, partition, key): its sends, in history order."""
    out: dict[KEY, list[Send]] = {}
    for s in history.sends:
        if s.key is not None:
            out.setdefault((s.topic, s.partition, s.key), []).append(s)
    return out


def _final_state(history: History) -> tuple[dict[KEY, Read], bool]:
    """Per key, the last record the final read returned (in offset order); and whether it ran."""
    final = history.final_reads("read_uncommitted")
    out: dict[KEY, Read] = {}
    for r in sorted(final, key=lambda x: (x.topic, x.partition, x.offset, x.index)):
        if r.key is not None:
            out[(r.topic, r.partition, r.key)] = r
    return out, bool(final)


def _is(r: Read, s: Send) -> bool:
    """Is read `r` the record of send `s` (same key and what it wrote)?"""
    return r.key == s.key and (r.value is None if s.tombstone else r.value == s.value)


def _cleanings(cluster: "Cluster | None", s: Send) -> tuple[int, ...]:
    """The cleaning passes of `s`'s partition after its acknowledgement."""
    tp = _tp(s.topic, s.partition)

    def match(e: "TraceEvent") -> bool:
        return e.name == "log.clean" and e.fields.get("tp") == tp
    return _events(cluster, s.done_trace_seq if s.done_trace_seq >= 0 else s.trace_seq, None, match)


def _last_acked(sends: list[Send]) -> Send | None:
    acked = [s for s in sends if s.outcome == "acked"]
    return max(acked, key=lambda s: s.offset) if acked else None


def _updates(history: History, cluster: "Cluster | None", kind: str) -> tuple[list[Anomaly], int, bool]:
    """Rules 19 and 20: the keys whose final state breaks them, as `kind` anomalies."""
    final, ran = _final_state(history)
    out: list[Anomaly] = []
    keys = 0
    for k, sends in sorted(_writes(history).items(), key=lambda kv: kv[0]):
        last = _last_acked(sends)
        if last is None or not ran:
            continue
        keys += 1
        got = final.get(k)
        if got is not None and got.offset >= last.offset:
            continue            # the last acked record itself, or a later write (rules 21, 22 judge it)
        if last.tombstone and (got is None or got.value is None):
            continue            # deleted: absent, or a tombstone
        bad = "resurrected" if last.tombstone else "lost_update"
        if bad != kind:
            continue
        topic, partition, key = k
        now = "is absent" if got is None else f"is {_text(got.value)} at offset {got.offset}"
        what = "a tombstone" if last.tombstone else _text(last.value)
        desc = (f"key {_text(key)} of {_tp(topic, partition)}: its last acknowledged write, {what} at offset "
                f"{last.offset} (t={last.done_time}), is gone and the key {now} in the final read")
        recs = (last,) + ((got,) if got is not None else ())
        out.append(Anomaly(kind, desc, recs, tuple(sorted(set(explain_loss(cluster, last) + _cleanings(cluster, last))))))
    return out, keys, ran


def lost_update(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 19."""
    out, keys, ran = _updates(history, cluster, "lost_update")
    checked = f"the final state of {keys} keys against their last acknowledged writes" if ran else \
        "nothing checked: no final read"
    return _report("lost_update", out, checked)


def resurrected(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 20."""
    out, keys, ran = _updates(history, cluster, "resurrected")
    deleted = sum(1 for sends in _writes(history).values() if (s := _last_acked(sends)) is not None and s.tombstone)
    checked = f"{deleted} keys whose last acknowledged write is a tombstone" if ran else "nothing checked: no final read"
    return _report("resurrected", out, checked)


def phantom(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 21."""
    writes = _writes(history)
    out = []
    for r in history.reads:
        if r.key is None:
            continue
        sends = writes.get((r.topic, r.partition, r.key), [])
        if any(_is(r, s) for s in sends):
            continue
        value = "a tombstone" if r.value is None else _text(r.value)
        desc = (f"{r.consumer} read {value} for key {_text(r.key)} at {_tp(r.topic, r.partition)}@{r.offset}: "
                f"never written with that key there")
        out.append(Anomaly("phantom", desc, (r,)))
    return _report("phantom", out, f"{sum(1 for r in history.reads if r.key is not None)} keyed reads "
                                   f"against {sum(len(v) for v in writes.values())} keyed sends")


def moved(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 22."""
    at: dict[tuple[str, int, int], Send] = {}
    for s in history.sends:
        if s.outcome == "acked" and s.key is not None:
            at[(s.topic, s.partition, s.offset)] = s
    out = []
    for r in history.reads:
        if r.key is None:
            continue
        here = at.get((r.topic, r.partition, r.offset))
        if here is not None:
            if _is(r, here):
                continue
            desc = (f"{r.consumer} read {_text(r.value)} (key {_text(r.key)}) at {_tp(r.topic, r.partition)}"
                    f"@{r.offset}, where {_text(here.written)} (key {_text(here.key)}) was acknowledged")
            out.append(Anomaly("moved", desc, (here, r), explain_loss(cluster, here)))
            continue
        s = history.by_value(r.value)
        if s is not None and s.outcome == "acked" and s.key == r.key and (s.topic, s.partition) == r.tp \
                and not s.tombstone and s.offset != r.offset:
            desc = (f"{r.consumer} read {_text(r.value)} at {_tp(r.topic, r.partition)}@{r.offset}; it was "
                    f"acknowledged at offset {s.offset}")
            out.append(Anomaly("moved", desc, (s, r), explain_loss(cluster, s)))
    return _report("moved", out, f"{len(at)} acknowledged offsets against {len(history.reads)} reads")


def final_order(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 23."""
    out = []
    last: dict[tuple[str, str, int], Read] = {}
    final = sorted(history.final_reads("read_uncommitted"), key=lambda r: r.index)
    for r in final:
        k = (r.consumer, r.topic, r.partition)
        prev = last.get(k)
        if prev is not None and r.offset <= prev.offset:
            desc = (f"{r.consumer} returned offset {r.offset} of {_tp(r.topic, r.partition)} after offset "
                    f"{prev.offset}")
            out.append(Anomaly("final_order", desc, (prev, r)))
        last[k] = r
    return _report("final_order", out, f"{len(final)} records of the final read in order")


COMPACTION_CHECKERS: dict[str, Callable[[History, Any], Report]] = {
    "lost_update": lost_update,
    "resurrected": resurrected,
    "phantom": phantom,
    "moved": moved,
    "final_order": final_order,
}
# every anomaly kind these checkers report: all are guarantees
COMPACTION_KINDS = tuple(COMPACTION_CHECKERS)


def check_compaction(history: History, cluster: "Cluster | None" = None) -> dict[str, Report]:
    """Every checker of `COMPACTION_CHECKERS`, in order."""
    return {name: check(history, cluster) for name, check in COMPACTION_CHECKERS.items()}
