"""The pipeline checker: a consume-transform-produce pipeline made exactly one committed output
of every input. `exactly_once(history, cluster=None) -> Report` (report.py).

Rule (numbered as in checkers.py):
8. exactly_once (pipelines, history.py rule 8): every input value (a workload value in the
   final read_uncommitted read of an input topic) has exactly one output in the final
   read_committed read of the output topic: "eos_missing" for none, "eos_duplicate" for more.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.chaos.history import Entry, History, Pipeline, Read
from minikafka.chaos.report import Anomaly, Report, _events, _report, _text
from minikafka.chaos.transaction_checks import explain_txn

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


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
