"""The partition log strip: every replica's log of one partition, side by side.

What it shows (one strip per replica, in assignment order):
- a cell per offset with the offset, and the key when it is short; batch boundaries as thick
  edges; records below the high watermark filled, records at or above it pale;
- control records (transaction markers) as COMMIT / ABORT cells; records of an aborted
  transaction greyed; records of a still-open transaction in orange. Both come from the
  replica's transaction index (`replica.txn.aborted`, `replica.txn.ongoing`);
- markers for the log end offset (LEO), the high watermark (HW) and the last stable offset (LSO)
  below each strip, and committed offsets of consumer groups above the strips;
- a replica whose broker is down keeps its log (logs survive crashes) but is drawn grey.

A long log shows its last `max_cells` offsets and says which earlier ones are not shown.
`log_view` gathers the data once; `log_table` and `log_figure` both draw from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from minikafka.cluster_args import check_int, is_int
from minikafka.controller.election import NO_LEADER
from minikafka.viz._style import PALETTE, hang, new_figure, patch, short_key, table, text_twin

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


@dataclass(frozen=True)
class Cell:
    offset: int
    key: str | None         # short printable key, else None
    kind: str               # "record", "open", "aborted", "commit" or "abort"
    batch: int              # position of its batch in the log: a change marks a boundary


@dataclass(frozen=True)
class Strip:
    """One replica's log as drawn."""

    broker: int
    role: str               # "leader", "follower", "offline" (broker down) or "none"
    in_isr: bool
    leo: int
    hw: int
    lso: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class LogView:
    topic: str
    partition: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    strips: tuple[Strip, ...]
    first: int              # the smallest log start offset
    start: int              # first offset drawn (> first when the log is longer than the window)
    end: int                # one past the last offset drawn (the largest LEO)
    committed: tuple[tuple[str, int], ...]      # (group, offset), sorted
    elr: tuple[int, ...] = ()

    @property
    def offline(self) -> bool:
        return self.leader == NO_LEADER

    @property
    def clipped(self) -> bool:
        return self.start > self.first


def log_view(cluster: "Cluster", topic: str, partition: int,
             committed: Mapping[str, int] | None = None, max_cells: int = 40) -> LogView:
    """What the log strip and its table show, read from `cluster` (nothing is changed)."""
    view = cluster.partition_state(topic, partition)
    check_int("max_cells", max_cells, 1)
    if committed is not None and (not isinstance(committed, Mapping) or not all(
            isinstance(g, str) and is_int(o) for g, o in committed.items())):
        raise TypeError(f"committed must be a dict of group -> offset (an integer), got {committed!r}")
    replicas = [cluster.brokers[rv.broker].replicas.get((topic, partition)) for rv in view.replicas]
    logs = [r.log for r in replicas if r is not None]
    end = max([log.log_end_offset for log in logs] + [0])
    first = min([log.log_start_offset for log in logs] + [end])
    start = max(first, end - max_cells)
    strips = []
    for rv, replica in zip(view.replicas, replicas, strict=True):
        if replica is None:
            strips.append(Strip(rv.broker, rv.role, rv.in_isr, 0, 0, 0, ()))
        else:
            strips.append(Strip(rv.broker, rv.role, rv.in_isr, replica.log.log_end_offset, replica.hw,
                                replica.lso, tuple(_cells(replica, start))))
    return LogView(topic, partition, view.leader, view.leader_epoch, tuple(view.isr), tuple(strips),
                   first, start, end, tuple(sorted((committed or {}).items())), tuple(view.elr))


def _cells(replica: Any, start: int) -> list[Cell]:
    """The cells of offsets >= `start`, reading only the batches that hold them."""
    batches = replica.log.batches
    first = len(batches)
    while first > 0 and batches[first - 1].last_offset >= start:
        first -= 1
    aborted: dict[int, list[tuple[int, int]]] = {}
    for entry in replica.txn.aborted:
        aborted.setdefault(entry.producer_id, []).append((entry.first_offset, entry.last_offset))
    ongoing = replica.txn.ongoing
    cells = []
    for i in range(first, len(batches)):
        batch = batches[i]
        if batch.control:
            cells.append(Cell(batch.base_offset, None, "commit" if batch.control_type == "COMMIT" else "abort", i))
            continue
        for j, rec in enumerate(batch.records):
            offset = batch.base_offset + j
            if offset < start:
                continue
            kind = "record"
            if batch.transactional:
                if any(lo <= offset <= hi for lo, hi in aborted.get(batch.producer_id, ())):
                    kind = "aborted"
                elif offset >= ongoing.get(batch.producer_id, offset + 1):
                    kind = "open"
            cells.append(Cell(offset, short_key(rec.key), kind, i))
    return cells


# -- text ------------------------------------------------------------------------------
def _cell_text(c: Cell) -> str:
    if c.kind in ("commit", "abort"):
        return f"{c.offset}:{c.kind.upper()}"
    flag = {"aborted": "x", "open": "~"}.get(c.kind, "")
    return f"{c.offset}{flag}" + (f":{c.key}" if c.key else "")


def _strip_text(s: Strip, hidden: bool) -> str:
    if not s.cells:
        return "(empty)" if not hidden or s.leo == 0 else "..."
    parts, batch, current = [], None, []
    for c in s.cells:
        if c.batch != batch and current:
            parts.append(" ".join(current))
            current = []
        batch = c.batch
        current.append(_cell_text(c))
    parts.append(" ".join(current))
    return ("... " if hidden else "") + "|" + "|".join(parts) + "|"


def _heading(v: LogView) -> str:
    leader = "none (OFFLINE)" if v.offline else f"broker {v.leader}"
    elr = f", ELR {list(v.elr)}" if v.elr else ""
    return f"{v.topic}-{v.partition}: leader {leader}, leader epoch {v.leader_epoch}, ISR {list(v.isr)}{elr}"


def log_table(cluster: "Cluster", topic: str, partition: int,
              committed: Mapping[str, int] | None = None, max_cells: int = 40, width: int = 100) -> str:
    """The log strip as text: one line per replica with LEO, HW, LSO and its log, batches
    between `|`. Cells are `offset:key`; `x` marks an aborted record, `~` one in an open
    transaction; control records read `offset:COMMIT` or `offset:ABORT`. A log longer than
    `width` columns wraps after a `|`, continued under the log column."""
    check_int("width", width, 60)
    v = log_view(cluster, topic, partition, committed, max_cells)
    hidden = v.clipped
    rows = [[str(s.broker), s.role, "yes" if s.in_isr else "ELR" if s.broker in v.elr else "no", str(s.leo), str(s.hw),
             str(s.lso),
             _strip_text(s, hidden)] for s in v.strips]
    lines = [_heading(v)]
    lines += table(["broker", "role", "ISR", "LEO", "HW", "LSO", "log"], rows, right={0, 3, 4, 5}, width=width)
    if hidden:
        lines.append(f"(offsets before {v.start} not shown)")
    kinds = {c.kind for s in v.strips for c in s.cells}
    notes = [text for kind, text in (("aborted", "x = aborted"), ("open", "~ = in an open transaction"))
             if kind in kinds]
    if notes:
        lines.append("(" + ", ".join(notes) + ")")
    if v.committed:
        lines += hang("committed offsets: ", ", ".join(f"{g}={o}" for g, o in v.committed), width)
    return "\n".join(lines)


# -- figure ------------------------------------------------------------------------------
_FILL = {"open": PALETTE["open_txn"], "aborted": PALETTE["aborted"],
         "commit": PALETTE["commit_marker"], "abort": PALETTE["abort_marker"]}
_ROW = 1.0          # vertical distance between strips (data units)
_H = 0.5            # cell height


@text_twin(log_table)
def log_figure(cluster: "Cluster", topic: str, partition: int,
               committed: Mapping[str, int] | None = None, max_cells: int = 32) -> Any:
    """The log strip as a matplotlib Figure (see the module docstring for what it shows)."""
    from matplotlib.patches import Rectangle

    v = log_view(cluster, topic, partition, committed, max_cells)
    n = len(v.strips)
    width = max(v.end - v.start, 8)
    fig = new_figure(1.3 + 0.85 * n + (0.35 if v.committed else 0.0))
    ax = fig.add_subplot()
    small = width > 20
    for i, s in enumerate(v.strips):
        y = -i * _ROW
        down = s.role == "offline"
        ax.add_patch(Rectangle((v.start, y), width, _H, facecolor="none", edgecolor=PALETTE["faint"],
                               linestyle=":", linewidth=0.8))
        if not s.cells:
            ax.text(v.start + width / 2, y + _H / 2, "empty log" if s.leo == 0 else "earlier offsets only",
                    ha="center", va="center", fontsize=8, style="italic", color=PALETTE["note"])
        for c in s.cells:
            _draw_cell(ax, c, y, s.hw, down, small)
        for first, last in _batches(s.cells):
            ax.add_patch(Rectangle((first, y), last + 1 - first, _H, facecolor="none",
                                   edgecolor=PALETTE["edge"], linewidth=1.8))
        _draw_markers(ax, s, y, v.start)
    if v.committed:
        _draw_committed(ax, v.committed, v.start)
    ax.set_xlim(v.start - 0.3, v.start + width + 0.9)
    ax.set_ylim(-(n - 1) * _ROW - 0.55, _H + (0.75 if v.committed else 0.15))
    ax.set_yticks([-i * _ROW + _H / 2 for i in range(n)], [_row_label(s) for s in v.strips], fontsize=9)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    title = _heading(v) + (f"   (offsets before {v.start} not shown)" if v.clipped else "")
    ax.set_title(title, fontsize=10, loc="left", color=PALETTE["broker_down"] if v.offline else "black")
    fig.legend(handles=_legend(v), loc="outside lower center", ncol=7, fontsize=8, frameon=False)
    return fig


def _batches(cells: tuple[Cell, ...]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    batch = None
    for c in cells:
        if c.batch != batch:
            out.append((c.offset, c.offset))
            batch = c.batch
        else:
            out[-1] = (out[-1][0], c.offset)
    return out


def _draw_cell(ax: Any, c: Cell, y: float, hw: int, down: bool, small: bool) -> None:
    from matplotlib.patches import Rectangle

    fill = _FILL.get(c.kind) or (PALETTE["committed"] if c.offset < hw else PALETTE["uncommitted"])
    if down and c.kind in ("record", "open"):
        fill = PALETTE["offline"]
    ax.add_patch(Rectangle((c.offset, y), 1, _H, facecolor=fill, edgecolor=PALETTE["edge"], linewidth=0.5))
    colour = "white" if c.kind in ("commit", "abort") else (
        PALETTE["aborted_text"] if c.kind == "aborted" else "black")
    label = {"commit": "C", "abort": "A"}.get(c.kind, str(c.offset))
    size = 6.5 if small or len(label) > 3 else 8
    if c.key and not small:
        ax.text(c.offset + 0.5, y + _H * 0.68, label, ha="center", va="center", fontsize=size, color=colour)
        ax.text(c.offset + 0.5, y + _H * 0.27, c.key, ha="center", va="center", fontsize=7, color=colour,
                style="italic")
    else:
        ax.text(c.offset + 0.5, y + _H / 2, label, ha="center", va="center", fontsize=size, color=colour,
                fontweight="bold" if c.kind in ("commit", "abort") else "normal")


def _draw_markers(ax: Any, s: Strip, y: float, start: int) -> None:
    """LEO, HW and LSO as ticks under the strip; markers at the same offset share one label,
    markers left of the window are named with their offsets at its left edge."""
    if s.role == "none":
        return
    markers = [("HW", s.hw), ("LSO", s.lso), ("LEO", s.leo)]
    before = [(name, offset) for name, offset in markers if offset < start]
    if before:
        label = "\u2190 " + ", ".join(f"{name} {offset}" for name, offset in before)
        ax.text(start, y - 0.16, label, ha="left", va="top", fontsize=7, fontweight="bold",
                color=PALETTE[before[0][0].lower()])
    at: dict[int, list[str]] = {}
    for name, offset in markers:
        if offset >= start:
            at.setdefault(offset, []).append(name)
    for offset, names in sorted(at.items()):
        colour = PALETTE[names[0].lower()]
        ax.plot([offset, offset], [y - 0.12, y + _H + 0.05], color=colour, linewidth=1.6,
                solid_capstyle="butt")
        ax.text(offset, y - 0.16, "/".join(names), ha="center", va="top", fontsize=7, color=colour,
                fontweight="bold")


def _draw_committed(ax: Any, committed: tuple[tuple[str, int], ...], start: int) -> None:
    at: dict[int, list[str]] = {}
    for group, offset in committed:
        at.setdefault(max(offset, start), []).append(group)
    for offset, groups in sorted(at.items()):
        ax.plot([offset], [_H + 0.2], marker="v", color=PALETTE["group"], markersize=7)
        ax.text(offset + 0.15, _H + 0.32, ", ".join(groups) + " committed", fontsize=7,
                color=PALETTE["group"], va="bottom")


def _row_label(s: Strip) -> str:
    if s.role == "offline":
        return f"b{s.broker}  OFFLINE\n(broker down)"
    if s.role == "none":
        return f"b{s.broker}  no role yet\n(no metadata)"
    isr = "in ISR" if s.in_isr else "not in ISR"
    return f"b{s.broker}  {s.role}\n{isr}"


def _legend(v: LogView) -> list[Any]:
    kinds = {c.kind for s in v.strips for c in s.cells}
    items = [patch(PALETTE["committed"], "below HW (committed)"),
             patch(PALETTE["uncommitted"], "at/above HW")]
    extra = [("open", PALETTE["open_txn"], "open transaction"), ("aborted", PALETTE["aborted"], "aborted"),
             ("commit", PALETTE["commit_marker"], "C = COMMIT marker"),
             ("abort", PALETTE["abort_marker"], "A = ABORT marker")]
    items += [patch(colour, label) for kind, colour, label in extra if kind in kinds]
    if any(s.role == "offline" for s in v.strips):
        items.append(patch(PALETTE["offline"], "broker down"))
    return items
