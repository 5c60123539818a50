"""Isolation levels: one topic's logs as a consumer of each isolation level reads them.

What it shows (one strip per partition, the leader's log):
- the records, batches and transaction markers as in the log strip (`log_figure`): records of
  an aborted transaction greyed, records of a still-open transaction orange, COMMIT / ABORT
  markers;
- which records a consumer with `isolation_level` would return reading from offset 0, outlined
  in green, and which it skips, crossed out: read_uncommitted returns every record below the
  high watermark (HW), aborted and open ones included; read_committed returns records below
  the last stable offset (LSO), leaving out aborted transactions (the fetch response's
  aborted-transaction list), and stops at the LSO: an open transaction holds back everything
  after its first record, committed or not;
- where that consumer stops (the LSO or the HW) and both markers under each strip.

The rule is the broker's and consumer's (txn_index rules 3-4, fetcher.Fetcher.buffer_records); the
picture computes it from the leader's log and transaction index without fetching anything.
`isolation_view` gathers the data once; `isolation_table` and `isolation_figure` draw from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka.cluster_args import check_int, check_str, check_topic
from minikafka.viz._style import PALETTE, hang, new_figure, patch, table, text_twin
from minikafka.viz.logs import Cell, Strip, _batches, _draw_cell, _draw_markers, _strip_text, log_view

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

LEVELS = ("read_uncommitted", "read_committed")


@dataclass(frozen=True)
class ReadStrip:
    partition: int
    strip: Strip | None             # the leader's log, None while the partition has no leader
    returned: tuple[Cell, ...]      # the records a consumer of this level returns, in order
    stop: int                       # where it stops: the HW or the LSO (-1: no leader)


@dataclass(frozen=True)
class IsolationView:
    topic: str
    isolation_level: str
    strips: tuple[ReadStrip, ...]
    start: int                      # first offset drawn (the same for every strip)
    end: int
    hidden: int                     # partitions beyond `max_partitions`, not shown

    @property
    def count(self) -> int:
        return sum(len(s.returned) for s in self.strips)


def _check(level: str) -> None:
    check_str("isolation_level", level, LEVELS)


def returned_cells(strip: Strip, isolation_level: str) -> tuple[Cell, ...]:
    """The records a consumer of `isolation_level` reading from the log start returns."""
    _check(isolation_level)
    stop = strip.lso if isolation_level == "read_committed" else strip.hw
    skip = ("aborted",) if isolation_level == "read_committed" else ()
    return tuple(c for c in strip.cells
                 if c.kind not in ("commit", "abort") and c.offset < stop and c.kind not in skip)


def isolation_view(cluster: "Cluster", topic: str, isolation_level: str = "read_committed",
                   max_cells: int = 24, max_partitions: int = 8) -> IsolationView:
    """What the isolation picture and its table show, read from `cluster` (nothing changes):
    the first `max_partitions` partitions, the last `max_cells` offsets."""
    _check(isolation_level)
    check_topic(topic, cluster.controller.topics)
    check_int("max_cells", max_cells, 1)
    check_int("max_partitions", max_partitions, 1)
    total = len(cluster.controller.topics[topic])
    views = [log_view(cluster, topic, p, max_cells=max_cells) for p in range(min(total, max_partitions))]
    start = min((v.start for v in views), default=0)
    end = max((v.end for v in views), default=0)
    if end - start > max_cells:
        start = end - max_cells
    strips = []
    for p, v in enumerate(views):
        if v.start > start:                       # drawn from the same offset in every strip
            v = log_view(cluster, topic, p, max_cells=v.end - start)
        leader = next((s for s in v.strips if s.role == "leader"), None)
        if leader is None:
            strips.append(ReadStrip(p, None, (), -1))
            continue
        leader = Strip(leader.broker, leader.role, leader.in_isr, leader.leo, leader.hw, leader.lso,
                       tuple(c for c in leader.cells if c.offset >= start))
        stop = leader.lso if isolation_level == "read_committed" else leader.hw
        strips.append(ReadStrip(p, leader, returned_cells(leader, isolation_level), stop))
    return IsolationView(topic, isolation_level, tuple(strips), start, end, total - len(strips))


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def _returns_text(cells: tuple[Cell, ...]) -> str:
    return " ".join(f"{c.offset}" + (f":{c.key}" if c.key else "") for c in cells) or "(nothing)"


def isolation_table(cluster: "Cluster", topic: str, isolation_level: str = "read_committed",
                    max_cells: int = 24, max_partitions: int = 8, width: int = 100) -> str:
    """The isolation picture as text: per partition the HW, the LSO, the leader's log (as in
    `log_table`: `x` aborted, `~` open transaction) and what a consumer of `isolation_level`
    returns from the log start (`offset:key`) and where it stops; then both levels' totals.
    When a row would pass `width` columns, what it returns goes on its own line under the row,
    and a long log wraps after a `|`."""
    check_int("width", width, 60)
    v = isolation_view(cluster, topic, isolation_level, max_cells, max_partitions)
    other = isolation_view(cluster, topic, LEVELS[1 - LEVELS.index(isolation_level)], max_cells, max_partitions)
    stop_name = "LSO" if isolation_level == "read_committed" else "HW"
    hidden = v.start > 0
    rows = []
    for s in v.strips:
        if s.strip is None:
            rows.append([f"{topic}-{s.partition}", "-", "-", "(no leader)", "(nothing: offline)"])
            continue
        rows.append([f"{topic}-{s.partition}", str(s.strip.hw), str(s.strip.lso), _strip_text(s.strip, hidden),
                     f"{_returns_text(s.returned)}  (stops at {stop_name} {s.stop})"])
    lines = [f"{topic} as a {isolation_level} consumer reads it from the start:"]
    wide = table(["partition", "HW", "LSO", "log (leader)", "returns"], rows, right={1, 2})
    if max(len(x) for x in wide) <= width:
        lines += wide
    else:                       # each row's "returns" on its own line(s) under the row
        narrow = table(["partition", "HW", "LSO", "log (leader)"], [r[:4] for r in rows], right={1, 2}, width=width)
        lines.append(narrow[0])
        starts = [i for i in range(1, len(narrow)) if not narrow[i].startswith(" ")] + [len(narrow)]
        for row, a, b in zip(rows, starts, starts[1:]):
            lines += narrow[a:b] + hang("  returns: ", row[4], width)
    if hidden:
        lines.append(f"(offsets before {v.start} not shown)")
    if v.hidden:
        lines.append(f"({v.hidden} more partitions not shown)")
    kinds = {c.kind for s in v.strips if s.strip for c in s.strip.cells}
    notes = [text for kind, text in (("aborted", "x = aborted"), ("open", "~ = in an open transaction"))
             if kind in kinds]
    if notes:
        lines.append("(" + ", ".join(notes) + ")")
    lines.append(f"{isolation_level}: {_records(v.count)}; {other.isolation_level}: {_records(other.count)}")
    return "\n".join(lines)


_ROW = 1.4          # room under each strip for its markers and above it for the "stops here" arrow
_H = 0.5


@text_twin(isolation_table)
def isolation_figure(cluster: "Cluster", topic: str, isolation_level: str = "read_committed",
                     max_cells: int = 24, max_partitions: int = 8) -> Any:
    """The isolation picture as a matplotlib Figure (see the module docstring)."""
    from matplotlib.patches import Rectangle

    v = isolation_view(cluster, topic, isolation_level, max_cells, max_partitions)
    n = max(len(v.strips), 1)
    width = max(v.end - v.start, 8)
    small = width > 20
    fig = new_figure(1.5 + 1.2 * n)
    ax = fig.add_subplot()
    stop_name = "LSO" if isolation_level == "read_committed" else "HW"
    for i, rs in enumerate(v.strips):
        y = -i * _ROW
        ax.add_patch(Rectangle((v.start, y), width, _H, facecolor="none", edgecolor=PALETTE["faint"],
                               linestyle=":", linewidth=0.8))
        s = rs.strip
        if s is None:
            ax.text(v.start + width / 2, y + _H / 2, "no leader: nothing can be read", ha="center", va="center",
                    fontsize=8, style="italic", color=PALETTE["broker_down"])
            continue
        if not s.cells:
            ax.text(v.start + width / 2, y + _H / 2, "empty log" if s.leo == 0 else "earlier offsets only",
                    ha="center", va="center", fontsize=8, style="italic", color=PALETTE["note"])
        returned = {c.offset for c in rs.returned}
        for c in s.cells:
            _draw_cell(ax, c, y, s.hw, False, small)
            if c.kind in ("commit", "abort"):
                continue
            if c.offset in returned:
                ax.add_patch(Rectangle((c.offset + 0.06, y + 0.03), 0.88, _H - 0.06, facecolor="none",
                                       edgecolor=PALETTE["returned"], linewidth=2.2, zorder=4))
            else:
                ax.plot([c.offset + 0.12, c.offset + 0.88], [y + 0.06, y + _H - 0.06], color=PALETTE["skipped"],
                        linewidth=1.2, zorder=4)
        for first, last in _batches(s.cells):
            ax.add_patch(Rectangle((first, y), last + 1 - first, _H, facecolor="none",
                                   edgecolor=PALETTE["edge"], linewidth=1.8))
        _draw_markers(ax, s, y, v.start)
        if rs.stop >= v.start:
            ax.annotate("", xy=(rs.stop, y + _H + 0.02), xytext=(rs.stop, y + _H + 0.3),
                        arrowprops=dict(arrowstyle="-|>", color=PALETTE["returned"], linewidth=1.4,
                                        mutation_scale=9))
        ax.text(v.start + width + 0.3, y + _H / 2, f"returns {len(rs.returned)}\nstops at {stop_name} {rs.stop}",
                ha="left", va="center", fontsize=8.5, color=PALETTE["returned"], fontweight="bold")
    ax.set_xlim(v.start - 0.3, v.start + width + 2.6)
    ax.set_ylim(-(n - 1) * _ROW - 0.55, _H + 0.4)
    ax.set_yticks([-i * _ROW + _H / 2 for i in range(len(v.strips))],
                  [f"{topic}-{rs.partition}\n" + (f"leader b{rs.strip.broker}" if rs.strip else "OFFLINE")
                   for rs in v.strips], fontsize=9)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    title = (f"{topic} as a {isolation_level} consumer reads it: {_records(v.count)}"
             + (f"   (offsets before {v.start} not shown)" if v.start > 0 else "")
             + (f"   ({v.hidden} more partitions not shown)" if v.hidden else ""))
    ax.set_title(title, fontsize=10, loc="left")
    kinds = {c.kind for rs in v.strips if rs.strip for c in rs.strip.cells}
    handles = [patch("white", "returned", edgecolor=PALETTE["returned"], linewidth=2),
               patch("white", "skipped (crossed out)", edgecolor=PALETTE["skipped"], hatch="/"),
               patch(PALETTE["committed"], "below HW")]
    extra = [("open", PALETTE["open_txn"], "open transaction"), ("aborted", PALETTE["aborted"], "aborted"),
             ("commit", PALETTE["commit_marker"], "C = COMMIT marker"),
             ("abort", PALETTE["abort_marker"], "A = ABORT marker")]
    handles += [patch(colour, label) for kind, colour, label in extra if kind in kinds]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return fig
