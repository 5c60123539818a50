"""The operator's view of a run: metrics before and after, and over time.

Rules:
1. `metrics_table(before, after)` lists each metric with was / now / delta, and for a meter
   (a `...PerSec` Count) also the rate: the delta per virtual second between the two
   snapshots. By default it shows the cluster-wide metrics of metrics/catalog.py whose value
   changed, then says how many were unchanged; `names=` picks the rows, `everything=True`
   shows every cluster-wide metric; `client=` shows that client's metrics instead.
2. `metrics_figure(snapshots, names)` draws each named metric against virtual seconds, one
   panel per metric, from snapshots taken during a run (`sample(cluster, ms, every_ms)`).
3. Text fits 100 columns; NaN (nothing recorded yet) shows as "-".
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from minikafka.cluster_args import check_int
from minikafka.metrics.catalog import BY_NAME
from minikafka.metrics.snapshot import MetricsSnapshot
from minikafka.viz._style import PALETTE, new_figure, text_twin

DEFAULT_FIGURE = ("UnderReplicatedPartitions", "OfflinePartitionsCount", "MessagesInPerSec")


def _fmt(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}"


def _is_meter(name: str) -> bool:
    """A `...PerSec` Count (catalog kind "meter"): its delta has a rate."""
    metric = BY_NAME.get(name)
    return metric is not None and metric.kind == "meter"


def _check_snapshot(name: str, value: Any) -> MetricsSnapshot:
    if not isinstance(value, MetricsSnapshot):
        raise TypeError(f"{name} must be a snapshot from cluster.metrics(), got {type(value).__name__}")
    return value


def metrics_table(before: MetricsSnapshot, after: MetricsSnapshot, names: Sequence[str] | None = None,
                  everything: bool = False, client: str | None = None) -> str:
    """Rules 1 and 3."""
    before, after = _check_snapshot("before", before), _check_snapshot("after", after)
    if after.now < before.now:
        raise ValueError(f"after (at {after.now} ms) is older than before (at {before.now} ms)")
    was, now = (before.client(client), after.client(client)) if client is not None else (before, after)
    known = list(now)
    if names is not None:
        unknown = [n for n in names if n not in now]
        if unknown:
            raise KeyError(f"unknown metric(s) {unknown}; known: {', '.join(known)}")
        rows = list(names)
    elif everything:
        rows = known
    else:
        rows = [n for n in known if not _same(was.get(n), now[n])]
    seconds = (after.now - before.now) / 1000
    lines = [f"metrics{f' of {client}' if client else ''}: was at {before.now:,} ms, now at {after.now:,} ms "
             f"({seconds:g} virtual s later)",
             f"{'metric':<34} {'was':>12} {'now':>12} {'delta':>12} {'per s':>9}"]
    for n in rows:
        old, new = was.get(n, math.nan), now[n]
        delta = new - old if not (math.isnan(old) or math.isnan(new)) else math.nan
        rate = _fmt(delta / seconds) if _is_meter(n) and seconds > 0 and not math.isnan(delta) else ""
        shown_delta = ("+" if delta > 0 else "") + _fmt(delta) if not math.isnan(delta) else "-"
        lines.append(f"{n[:34]:<34} {_fmt(old):>12} {_fmt(new):>12} {shown_delta:>12} {rate:>9}")
    if names is None and not everything:
        unchanged = len(known) - len(rows)
        lines.append(f"({unchanged} other metric{'s' if unchanged != 1 else ''} unchanged)" if rows
                     else f"(all {unchanged} metrics unchanged)")
    return "\n".join(lines)


def _same(a: float | None, b: float) -> bool:
    if a is None:
        return False
    return (math.isnan(a) and math.isnan(b)) or a == b


def sample(cluster: Any, ms: int, every_ms: int = 1000) -> list[MetricsSnapshot]:
    """Run `cluster` for `ms` virtual ms, taking a snapshot now and every `every_ms` (rule 2).
    This one advances time: it is the recorder `metrics_figure` draws from."""
    ms, every_ms = check_int("ms", ms, 0), check_int("every_ms", every_ms, 1)
    out = [cluster.metrics()]
    end = cluster.now + ms
    while cluster.now < end:
        cluster.run(min(every_ms, end - cluster.now))
        out.append(cluster.metrics())
    return out


def _metrics_twin(snapshots: Sequence[MetricsSnapshot], names: Sequence[str] = DEFAULT_FIGURE) -> str:
    """metrics_figure's text twin: the first snapshot against the last, for the same metrics."""
    return metrics_table(snapshots[0], snapshots[-1], names=names)


@text_twin(_metrics_twin)
def metrics_figure(snapshots: Sequence[MetricsSnapshot], names: Sequence[str] = DEFAULT_FIGURE) -> Any:
    """Rule 2."""
    if not snapshots:
        raise ValueError("metrics_figure needs at least one snapshot (see viz.metrics.sample)")
    for i, s in enumerate(snapshots):
        _check_snapshot(f"snapshots[{i}]", s)
    unknown = [n for n in names if n not in snapshots[-1]]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {', '.join(snapshots[-1])}")
    fig = new_figure(1.6 * len(names) + 0.6)
    xs = [s.now / 1000 for s in snapshots]
    for i, n in enumerate(names):
        ax = fig.add_subplot(len(names), 1, i + 1)
        ys = [s[n] for s in snapshots]
        ax.step(xs, ys, where="post", color=PALETTE["dark_text"], linewidth=1.5)
        ax.set_title(f"{n} ({'count so far' if _is_meter(n) else 'value'})", fontsize=11, loc="left")
        ax.tick_params(labelsize=10)
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if i == len(names) - 1:
            ax.set_xlabel("virtual seconds", fontsize=10)
    return fig


PANEL = ("UnderReplicatedPartitions", "UnderMinIsrPartitionCount", "AtMinIsrPartitionCount", "OfflinePartitionsCount",
         "LeaderCount", "ActiveBrokerCount", "FencedBrokerCount", "IsrShrinksPerSec", "IsrExpandsPerSec",
         "UncleanLeaderElectionsPerSec", "MessagesInPerSec", "FailedProduceRequestsPerSec", "TotalTimeMs.Produce.p99")


def panel_table(before: MetricsSnapshot | None, after: MetricsSnapshot, names: Sequence[str] = PANEL) -> str:
    """The cluster explorer's narrow panel (50 columns): each metric now and its change since
    `before` (the previous action); a change that is not a number shows as '*'."""
    after = _check_snapshot("after", after)
    lines = [f"{'metric':<30} {'now':>8} {'change':>8}"]
    for n in names:
        new = after[n]
        old = before.get(n, math.nan) if before is not None else math.nan
        changed = not math.isnan(old) and not _same(old, new)
        delta = new - old if changed and not math.isnan(new) else math.nan
        shown = ("+" if delta > 0 else "") + _fmt(delta) if not math.isnan(delta) else ("*" if changed else "")
        lines.append(f"{n[:30]:<30} {_fmt(new):>8} {shown:>8}")
    return "\n".join(lines)
