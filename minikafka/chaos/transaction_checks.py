"""Transaction checkers: what consumers saw of transactions that did not commit, and whether a
committed transaction is all or nothing. Each is `check(history, cluster=None) -> Report`
(report.py).

Rules (numbered as in checkers.py):
4. aborted_read: a read_committed consumer returned a value of a transaction that did not
   commit: aborted, or never asked to commit. A transaction whose outcome is unknown counts as
   committed when any of its values is in the final read_committed read, else as aborted.
4b. uncommitted_read: the same, for read_uncommitted consumers during the run (the final
   reads are left out): not a violation, what read_uncommitted means (H.52).
5. non_atomic: in the final read_committed read, a committed (or unknown) transaction is
   partly visible; `committed_invisible`: a committed transaction with nothing visible.
5b. hanging: once the run has settled, a partition leader still has a transaction open for a
   producer id whose coordinator has no open transaction including that partition: no marker
   will ever come, the LSO stays where it is and read_committed consumers stall (S.202; a late
   write under transactions v1 without partition verification).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.chaos.history import History, Txn
from minikafka.chaos.report import Anomaly, Report, _events, _report, _tp

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent


# -- trace explanations ----------------------------------------------------------------------
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



# -- the checkers --------------------------------------------------------------------------------
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


def hanging_transactions(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 5b: after the run, a partition leader holds a transaction open for a producer id whose
    coordinator has no such transaction open on that partition (kafka-semantics.md S.202)."""
    if cluster is None:
        return _report("hanging", [], "nothing checked: no cluster")
    open_at_coordinator: set[tuple[int, tuple[str, int]]] = set()
    for bid in sorted(cluster.brokers):
        b = cluster.brokers[bid]
        if not b.alive:
            continue
        for txn_id in sorted(b.txn_coordinator.txns):
            meta = b.txn_coordinator.txns[txn_id]
            if meta.state in ("Ongoing", "PrepareCommit", "PrepareAbort"):
                open_at_coordinator.update((meta.producer_id, tp) for tp in meta.partitions)
    out = []
    checked = 0
    for bid in sorted(cluster.brokers):
        b = cluster.brokers[bid]
        if not b.alive:
            continue
        for tp in sorted(b.replicas):
            r = b.replicas[tp]
            if not r.is_leader:
                continue
            checked += 1
            for pid, first in sorted(r.txn.ongoing.items()):
                if (pid, tp) not in open_at_coordinator:
                    desc = (f"{_tp(*tp)}: producer id {pid} has a transaction open from offset {first} that no "
                            f"coordinator knows; the LSO is stuck at {r.txn.lso(r.hw)} (HW {r.hw})")
                    out.append(Anomaly("hanging", desc, (), _events(
                        cluster, 0, None, lambda e, pid=pid, name=_tp(*tp): e.name in ("append", "marker")
                        and e.fields.get("pid") == pid and e.fields.get("tp") == name)[-3:]))
    return _report("hanging", out, f"{checked} partition leaders")
