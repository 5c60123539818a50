"""What a checker returns: a `Report` of `Anomaly`s, each with the offending history entries
and the trace events that explain it, and the search for those events (the checkers are listed
in checkers.py).

Rules:
- A report is ok when it holds no anomaly. `checked` says what was examined ("120 acknowledged
  sends"), or why nothing was ("nothing checked: the history has no final ... read").
- An anomaly renders as "kind: description", one line per record, then its trace events: each
  event's own line when the cluster is given, else their numbers ("trace events: #3, #9"). A
  report renders its first `limit` anomalies and counts the rest ("... and 4 more").
- An explanation is the `seq` of the trace events from `start` up to `end` (the end of the
  trace when None or negative) that match, in trace order, at most MAX_EXPLAIN of them; there
  is none without a cluster.
- When the trace's ring dropped its oldest events (sim/trace.py), explanations search the events
  it kept, and an anomaly rendered with the cluster says so in a note naming the limit when its
  records or its trace events reach back before the oldest kept event, or it has none to show;
  a dropped event's line is replaced by that note.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from minikafka.chaos.history import Entry

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
                first = cluster.trace.dropped
                lines += [f"    trace #{seq}: {cluster.trace[seq].line().strip()}" if seq >= first
                          else f"    trace #{seq}: dropped" for seq in self.trace_seq]
            else:
                lines.append("    trace events: " + ", ".join(f"#{s}" for s in self.trace_seq))
        if cluster is not None and self._reaches_dropped(cluster.trace.dropped):
            gone = f"the trace events before #{cluster.trace.dropped:,} were dropped"
            lines.append(f"    (this explanation may be incomplete: {cluster.trace.dropped_note(gone)})")
        return "\n".join(lines)

    def _reaches_dropped(self, first: int) -> bool:
        """Could the events that explain this anomaly be among the `first` dropped ones?"""
        if not first:
            return False
        where = [*self.trace_seq, *(getattr(r, "trace_seq", -1) for r in self.records),
                 *(getattr(r, "done_trace_seq", -1) for r in self.records)]
        return not self.trace_seq or min([w for w in where if w >= 0], default=0) < first


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


# -- trace search ------------------------------------------------------------------------------
def _events(cluster: "Cluster | None", start: int, end: int | None,
            match: Callable[["TraceEvent"], bool], limit: int = MAX_EXPLAIN) -> tuple[int, ...]:
    if cluster is None:
        return ()
    events = cluster.trace
    stop = len(events) if end is None or end < 0 else min(end, len(events))
    out = []
    for e in events[max(start, 0):stop]:           # the kept ones (Anomaly.render notes the rest)
        if match(e):
            out.append(e.seq)
            if len(out) >= limit:
                break
    return tuple(out)


def _tp(topic: str, partition: int) -> str:
    return f"{topic}-{partition}"


def _text(value: bytes | None) -> str:
    return "None" if value is None else value.decode(errors="replace")
