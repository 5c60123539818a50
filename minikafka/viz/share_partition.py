"""A share-partition (KIP-932, queues): the in-flight records one partition leader keeps for one
share group, offset by offset (`minikafka.server.share.share_partition`).

What the picture shows:
1. One cell per offset in a row, from `first` (default the SPSO) to the end offset - 1 (the
   high watermark: what has been produced). Each cell is coloured by the record's state:
   Available (pale blue: waiting for a consumer), Acquired (the holder's colour, the same
   `member_colour` as in the group pictures), Acknowledged (blue: done), Archived (grey: given
   up, never delivered again), not yet delivered (white, dashed: produced but never acquired,
   at or past the next offset to acquire). Cells left of the SPSO (when `first` is below it)
   are faint: those records are done and the leader no longer tracks them.
2. The delivery count is written in each delivered cell ("x2": acquired twice); it is bold and
   red on white once it has reached the delivery limit (`group.share.delivery.count.limit`), because
   the next release or lock expiry archives that record instead of making it Available.
3. A record held under the lock of a consumer that crashed is hatched: it stays Acquired until
   its lock expires (`crashed_locks`); with `deadlines` (lock id -> ms) each Acquired cell says
   when its lock expires.
4. Markers: the SPSO (share-partition start offset: every record before it is done) above the
   row, the next offset to acquire below it; the title names the delivery limit.
5. At most `max_cells` offsets are drawn: from `first`, or from the SPSO when the row is longer;
   the offsets after the last one drawn are counted in a note.

`share_partition_view` gathers the data once; `share_partition_table` (the text twin: one line
per offset) and `share_partition_figure` draw from it. Nothing here changes the share-partition.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Mapping

from minikafka.cluster_args import check_int
from minikafka.protocol.share_groups import STATE_NAMES
from minikafka.server.share.share_partition import COUNT, LOCK, MEMBER, STATE, SharePartition
from minikafka.viz._style import PALETTE, hang, member_colour, new_figure, patch, table, text_twin

NOT_DELIVERED = "not yet delivered"
DONE = "done (below the SPSO)"
WIDTH = 100

FILL = {"Available": PALETTE["uncommitted"], "Acknowledged": PALETTE["committed"],
        "Archived": PALETTE["aborted"], NOT_DELIVERED: PALETTE["unassigned"], DONE: PALETTE["panel"]}


@dataclass(frozen=True)
class ShareRow:
    offset: int
    state: str                      # a state name, NOT_DELIVERED or DONE
    count: int                      # delivery count (0: never delivered, or unknown below the SPSO)
    holder: str | None              # the member holding an Acquired record
    crashed: bool                   # held under the lock of a consumer that crashed
    deadline: int | None            # ms at which its lock expires, when known


@dataclass(frozen=True)
class ShareView:
    spso: int
    next_offset: int                # the first offset never acquired
    end_offset: int
    delivery_limit: int
    rows: tuple[ShareRow, ...]      # from `first`, at most `max_cells`
    hidden: int                     # offsets after the last row, not shown

    @property
    def holders(self) -> tuple[str, ...]:
        return tuple(sorted({r.holder for r in self.rows if r.holder}))


def share_partition_view(sp: SharePartition, end_offset: int, first: int | None = None,
                         deadlines: Mapping[int, int] | None = None, crashed_locks: Collection[int] = (),
                         max_cells: int = 32) -> ShareView:
    """What the picture and the table show, read from `sp` (nothing changes): offsets from `first`
    (default the SPSO) to `end_offset` - 1."""
    check_int("end_offset", end_offset, 0)
    check_int("max_cells", max_cells, 1)
    start = sp.spso if first is None else check_int("first", first, 0, sp.spso)
    deadlines = deadlines or {}
    stop = max(end_offset, sp.next_offset)
    start = max(start, min(sp.spso, stop - max_cells))        # a long row keeps the SPSO in view
    rows = []
    for offset in range(start, min(stop, start + max_cells)):
        rec = sp.records.get(offset)
        if offset < sp.spso:
            rows.append(ShareRow(offset, DONE, 0, None, False, None))
        elif rec is None:
            rows.append(ShareRow(offset, NOT_DELIVERED, 0, None, False, None))
        else:
            acquired = rec[MEMBER] is not None
            rows.append(ShareRow(offset, STATE_NAMES[rec[STATE]], rec[COUNT], rec[MEMBER],
                                 acquired and rec[LOCK] in crashed_locks,
                                 deadlines.get(rec[LOCK]) if acquired else None))
    shown_end = rows[-1].offset + 1 if rows else start
    return ShareView(sp.spso, sp.next_offset, end_offset, sp.delivery_limit, tuple(rows), stop - shown_end)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _heading(v: ShareView) -> str:
    return (f"share-partition: SPSO {v.spso}, next offset to acquire {v.next_offset}, "
            f"delivery limit {v.delivery_limit}, end offset {v.end_offset}")


def _holder_text(r: ShareRow) -> str:
    if r.holder is None:
        return "-"
    text = r.holder + (" (crashed)" if r.crashed else "")
    return text + (f", lock expires at t={_seconds(r.deadline)}" if r.deadline is not None else "")


def share_partition_table(sp: SharePartition, end_offset: int, width: int = WIDTH, first: int | None = None,
                          deadlines: Mapping[int, int] | None = None, crashed_locks: Collection[int] = (),
                          max_cells: int = 32) -> str:
    """The picture as text: a header (SPSO, next offset to acquire, delivery limit, end offset),
    then one line per offset: its state, delivery count (`-`: never delivered) and who holds it."""
    check_int("width", width, 60)
    v = share_partition_view(sp, end_offset, first, deadlines, crashed_locks, max_cells)
    lines = hang("", _heading(v), width)
    done = [r for r in v.rows if r.state == DONE]
    if done:
        span = f"offsets {done[0].offset}-{done[-1].offset} are" if len(done) > 1 else f"offset {done[0].offset} is"
        lines += hang("", f"({span} below the SPSO: done, no longer tracked)", width)
    rows = [[str(r.offset), r.state, str(r.count) if r.count else "-", _holder_text(r)]
            for r in v.rows if r.state != DONE]
    if rows:
        lines += table(["offset", "state", "delivery count", "held by"], rows, right={0, 2}, width=width)
    else:
        lines.append("(no records: nothing produced after the SPSO)")
    if v.hidden:
        lines.append(f"({v.hidden} more offsets not shown)")
    if any(r.state == "Available" and r.offset < v.next_offset for r in v.rows):
        lines += hang("", "(a poll takes the Available records first, lowest offset first, then new ones from the next offset)", width)
    return "\n".join(lines)


_H = 0.62           # cell height


@text_twin(share_partition_table)
def share_partition_figure(sp: SharePartition, end_offset: int, title: str = "", first: int | None = None,
                           deadlines: Mapping[int, int] | None = None, crashed_locks: Collection[int] = (),
                           max_cells: int = 32) -> Any:
    """The share-partition as a matplotlib Figure (see the module docstring)."""
    from matplotlib.patches import Rectangle

    v = share_partition_view(sp, end_offset, first, deadlines, crashed_locks, max_cells)
    start = v.rows[0].offset if v.rows else v.spso
    n = max(len(v.rows), 8)
    small = n > 22
    fig = new_figure(2.7)
    ax = fig.add_subplot()
    for r in v.rows:
        x = r.offset
        fill = member_colour(r.holder) if r.holder else FILL.get(r.state, PALETTE["unassigned"])
        dashed = r.state in (NOT_DELIVERED, DONE)
        ax.add_patch(Rectangle((x + 0.04, 0), 0.92, _H, facecolor=fill, linewidth=1.5 if r.crashed else 0.8,
                               edgecolor=PALETTE["faint" if dashed else "edge"], linestyle="--" if dashed else "-",
                               hatch="///" if r.crashed else None))
        if r.count:
            at_limit = r.count >= v.delivery_limit
            colour = PALETTE["loss"] if at_limit else "white" if r.holder else PALETTE["dark_text"]
            back = "white" if at_limit else fill if r.crashed else None     # readable on any fill or hatch
            ax.text(x + 0.5, _H / 2, f"x{r.count}", ha="center", va="center", fontsize=8.5 if small else 10,
                    color=colour, fontweight="bold" if at_limit or r.holder else "normal",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor=back, edgecolor="none") if back else None)
        if r.holder and not small:
            ax.text(x + 0.5, _H + 0.05, r.holder, ha="center", va="bottom", fontsize=8.5, fontweight="bold",
                    color=member_colour(r.holder))
        if r.deadline is not None and not small:
            ax.text(x + 0.5, -0.05, f"until\nt={_seconds(r.deadline)}", ha="center", va="top", fontsize=8.5,
                    color=PALETTE["note"], linespacing=1.0)
    stop = start + n
    ax.annotate("SPSO", xy=(v.spso + 0.04, _H + 0.02), xytext=(v.spso + 0.04, _H + 0.55), ha="center",
                fontsize=9, color=PALETTE["group"], fontweight="bold",
                arrowprops=dict(arrowstyle="-|>", color=PALETTE["group"], linewidth=1.4, mutation_scale=9))
    ax.annotate("next offset\nto acquire", xy=(v.next_offset + 0.04, -0.02),
                xytext=(v.next_offset + 0.04, -0.8), ha="center", va="top", fontsize=9, color=PALETTE["lso"],
                arrowprops=dict(arrowstyle="-|>", color=PALETTE["lso"], linewidth=1.4, mutation_scale=9))
    ax.set_xlim(start - 0.4, stop + 0.4)
    ax.set_ylim(-1.3, _H + 0.85)
    ticks = [r.offset for r in v.rows]
    ax.set_xticks([t + 0.5 for t in ticks], [str(t) for t in ticks], fontsize=8.5 if small else 9)
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0, pad=1, colors=PALETTE["note"])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if not v.rows:
        ax.text(start + n / 2, _H / 2, "no records: nothing produced after the SPSO", ha="center", va="center",
                fontsize=9, style="italic", color=PALETTE["note"])
    heading = f"SPSO {v.spso}, next offset to acquire {v.next_offset}, delivery limit {v.delivery_limit}"
    heading += f"   ({v.hidden} more offsets not shown)" if v.hidden else ""
    ax.set_title(f"{title}: {heading}" if title else heading, fontsize=10, loc="left", pad=18)
    states = {r.state for r in v.rows}
    handles = [patch(FILL["Available"], "Available")]
    handles += [patch(member_colour(h), f"Acquired by {h}") for h in v.holders]
    handles += [patch(FILL["Acknowledged"], "Acknowledged"), patch(FILL["Archived"], "Archived"),
                patch(FILL[NOT_DELIVERED], NOT_DELIVERED, edgecolor=PALETTE["frame"], linestyle="--")]
    if any(r.crashed for r in v.rows):
        handles.append(patch("white", "held by a crashed consumer", hatch="///"))
    if DONE in states:
        handles.append(patch(FILL[DONE], "done, no longer tracked", edgecolor=PALETTE["frame"], linestyle="--"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles) if len(handles) <= 6
               else (len(handles) + 1) // 2, fontsize=8.5,
               frameon=False, title=f"x2 = delivered twice; red = at the delivery limit ({v.delivery_limit})",
               title_fontsize=8.5)
    return fig
