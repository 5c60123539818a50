"""The message sequence diagram: who sent what to whom, in virtual time, from the trace.

What it shows:
- one lifeline per node (clients first, then brokers, the controller, the rest), time
  running down; every trace event gets its own row, so messages sent in the same millisecond
  stay apart, and the left axis gives the virtual time of each row;
- an arrow per message from its send to its receipt; a dropped message ends in an X with the
  reason (rule, loss, cut, down, refused); a message still in flight ends in a dashed stub;
- state changes (`leader.elect`, `hw`, `isr.shrink`, ...) as small labels on their node's
  lifeline.

Filters: `nodes` (names, or broker ids), `names` (message kinds or state names; a trailing
`*` matches a prefix), a time window `since`..`until` (by send time), and `states` to leave
state changes out. Without `names`, broker heartbeats are left out. At most `max_arrows`
messages are drawn, the first ones in the window, and a note says how many more were not.
When the trace's ring dropped its oldest events (sim/trace.py) and the window reaches back
before the oldest kept one, a note says so (with the limit); the rest is drawn from what is kept.
`sequence_view` gathers the data once; `sequence_table` and `sequence_figure` draw from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Iterable

from minikafka.cluster_args import check_bool, check_int, is_int
from minikafka.viz._style import PALETTE, clip, fmt_fields, new_figure

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace

HIDDEN_BY_DEFAULT = ("BrokerHeartbeat", "BrokerHeartbeatResponse")
FIELDS_LIMIT = 120          # characters of a message's fields the table shows


@dataclass(frozen=True)
class Arrow:
    send_seq: int
    send_time: int
    end_seq: int | None         # its recv or drop event; None while in flight
    end_time: int | None
    src: str
    dst: str
    name: str
    fields: str                 # the send's fields as text, without the id
    dropped: str | None         # why it was dropped, or None


@dataclass(frozen=True)
class Note:
    seq: int
    time: int
    node: str
    name: str
    fields: str


@dataclass(frozen=True)
class SequenceView:
    nodes: tuple[str, ...]
    items: tuple[Arrow | Note, ...]         # in send / event order
    more_messages: int                      # in the window, not shown
    more_states: int
    dropped_note: str = ""                  # the window reaches back past the trace's oldest kept event


def _matcher(names: Iterable[str] | None):
    if names is None:
        return lambda n: n not in HIDDEN_BY_DEFAULT
    pats = (names,) if isinstance(names, str) else tuple(names)
    return lambda n: any(n.startswith(p[:-1]) if p.endswith("*") else n == p for p in pats)


def node_order(name: str) -> tuple[int, int, str]:
    """Producers, brokers by id, the controller, consumers, then anything else."""
    if name.startswith("producer"):
        return (0, 0, name)
    if name[:1] == "b" and name[1:].isdigit():
        return (1, int(name[1:]), name)
    if name == "controller":
        return (2, 0, name)
    if name.startswith("consumer"):
        return (3, 0, name)
    return (4, 0, name)


def _check_args(nodes: Any, names: Any, since: Any, until: Any, states: Any, max_arrows: Any) -> None:
    """Node names or broker ids, message or state names (a trailing * matches a prefix), times."""
    if nodes is not None and (isinstance(nodes, str) or not isinstance(nodes, (list, tuple, set, frozenset, range))
                              or not all(isinstance(n, str) or is_int(n) for n in nodes)):
        raise TypeError(f"nodes must be a list of node names or broker ids (or None: all), got {nodes!r}")
    if names is not None and not isinstance(names, str) and (
            not isinstance(names, (list, tuple, set, frozenset)) or not all(isinstance(n, str) for n in names)):
        raise TypeError(f"names must be a name, a list of names (a trailing * matches a prefix) or None, got {names!r}")
    check_int("since", since, 0, unit="virtual ms")
    if until is not None:
        check_int("until", until, since, unit="virtual ms")
    check_bool("states", states)
    check_int("max_arrows", max_arrows, 0)


def sequence_view(trace: "Trace", nodes: Iterable[str | int] | None = None, names: Iterable[str] | None = None,
                  since: int = 0, until: int | None = None, states: bool = True,
                  max_arrows: int = 30) -> SequenceView:
    """What the sequence diagram and its table show, read from `trace`."""
    _check_args(nodes, names, since, until, states, max_arrows)
    want = None if nodes is None else {f"b{n}" if isinstance(n, int) else n for n in nodes}
    match = _matcher(names)

    def in_window(t: int) -> bool:
        return t >= since and (until is None or t <= until)

    def on_nodes(*ns: str) -> bool:
        return want is None or all(n in want for n in ns)

    items: list[Arrow | Note] = []
    open_at: dict[int, int] = {}            # message id -> index in items
    for e in trace:
        if e.kind == "send":
            if in_window(e.time) and match(e.name) and on_nodes(e.node, e.peer):
                open_at[e.fields.get("id", -1)] = len(items)
                items.append(Arrow(e.seq, e.time, None, None, e.node, e.peer, e.name,
                                   fmt_fields(e.fields), None))
        elif e.kind in ("recv", "drop"):
            i = open_at.pop(e.fields.get("id", -1), None)
            if i is not None:
                a = items[i]
                items[i] = Arrow(a.send_seq, a.send_time, e.seq, e.time, a.src, a.dst, a.name, a.fields,
                                 e.fields.get("why", "?") if e.kind == "drop" else None)
        elif states and in_window(e.time) and match(e.name) and on_nodes(e.node):
            items.append(Note(e.seq, e.time, e.node, e.name, fmt_fields(e.fields)))
    arrows = [i for i, it in enumerate(items) if isinstance(it, Arrow)]
    cut = arrows[max_arrows] if len(arrows) > max_arrows else len(items)
    shown, rest = items[:cut], items[cut:]
    seen = {n for it in shown for n in ((it.src, it.dst) if isinstance(it, Arrow) else (it.node,))}
    order = sorted(want if want is not None else seen, key=node_order)
    return SequenceView(tuple(order), tuple(shown), sum(isinstance(it, Arrow) for it in rest),
                        sum(isinstance(it, Note) for it in rest), dropped_note(trace, since))


def dropped_note(trace: "Trace", since: int = 0) -> str:
    """The trace's marker of dropped events, when a window from `since` reaches back past them."""
    first = getattr(trace, "dropped", 0)
    if not first or trace.kept == 0 or since > trace[first].time:
        return ""
    return f"{trace.marker()}; shown from t={trace[first].time} ms"


def _more(v: SequenceView, max_arrows: int) -> str:
    parts = []
    if v.more_messages:
        parts.append(f"{v.more_messages} more messages")
    if v.more_states:
        parts.append(f"{v.more_states} more state changes")
    more = f"... {' and '.join(parts)} not shown (max_arrows={max_arrows})" if parts else ""
    return "\n".join(x for x in (v.dropped_note, more) if x)


# -- text ------------------------------------------------------------------------------
def sequence_table(trace: "Trace", nodes: Iterable[str | int] | None = None, names: Iterable[str] | None = None,
                   since: int = 0, until: int | None = None, states: bool = True, max_arrows: int = 30) -> str:
    """The sequence diagram as text: one line per message (`sent -> received` times, or
    `drop` with the reason, or `...` while in flight) and per state change (`*`); fields are
    cut at `FIELDS_LIMIT` characters."""
    v = sequence_view(trace, nodes, names, since, until, states, max_arrows)
    lines = [f"nodes: {', '.join(v.nodes) or 'none'}"]
    for it in v.items:
        if isinstance(it, Arrow):
            end = "..." if it.end_time is None else str(it.end_time)
            what = clip(f"{it.name} {it.fields}".rstrip(), FIELDS_LIMIT)
            if it.dropped:
                end, what = "drop", f"{what}  DROPPED ({it.dropped})"
            lines.append(f"{it.send_time:>7} -> {end:<7} {it.src + ' -> ' + it.dst:<26} {what}")
        else:
            lines.append(f"{it.time:>7}            {it.node:<26} * " + clip(f"{it.name} {it.fields}".rstrip(), FIELDS_LIMIT))
    more = _more(v, max_arrows)
    if more:
        lines.append(more)
    return "\n".join(lines)


# -- figure ------------------------------------------------------------------------------
_ROW_IN = 0.19          # inches per row


def message_colour(name: str) -> str:
    """The colour of a message kind, by the part of Kafka it belongs to."""
    if name.startswith("Produce"):
        return PALETTE["msg_produce"]
    if name.startswith(("Fetch", "ListOffsets", "OffsetsForLeaderEpoch")):
        return PALETTE["msg_fetch"]
    if name.startswith(("InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
                        "WriteTxnMarkers", "TxnOffsetCommit")):
        return PALETTE["msg_txn"]
    if name.startswith(("JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch",
                        "FindCoordinator")):
        return PALETTE["msg_group"]
    if name.startswith(("Metadata", "UpdateMetadata", "Broker", "AlterPartition", "CreateTopics")):
        return PALETTE["msg_control"]
    return PALETTE["msg_other"]


def sequence_figure(trace: "Trace", nodes: Iterable[str | int] | None = None, names: Iterable[str] | None = None,
                    since: int = 0, until: int | None = None, states: bool = True, max_arrows: int = 30) -> Any:
    """The sequence diagram as a matplotlib Figure (see the module docstring)."""
    v = sequence_view(trace, nodes, names, since, until, states, max_arrows)
    seqs = sorted({s for it in v.items for s in ((it.send_seq, it.end_seq) if isinstance(it, Arrow)
                                                   else (it.seq,)) if s is not None})
    row = {s: i for i, s in enumerate(seqs)}
    times = {}
    for it in v.items:
        if isinstance(it, Arrow):
            times[it.send_seq] = it.send_time
            if it.end_seq is not None:
                times[it.end_seq] = it.end_time
        else:
            times[it.seq] = it.time
    n = max(len(seqs), 1)
    more = _more(v, max_arrows)
    fig = new_figure(1.2 + _ROW_IN * (n + 1) + (0.25 if more else 0.0))
    ax = fig.add_subplot()
    x = {node: i for i, node in enumerate(v.nodes)}
    for node, i in x.items():
        ax.plot([i, i], [-0.5, n + 0.2], color=PALETTE["guide"], linewidth=1, zorder=0)
        ax.text(i, -0.9, node, ha="center", va="bottom", fontsize=9, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.3", facecolor=PALETTE["panel"], edgecolor=PALETTE["frame"]))
    for it in v.items:
        if isinstance(it, Arrow):
            _draw_arrow(ax, it, x, row, n)
        else:
            _draw_note(ax, it, x, row)
    labelled, last = [], None
    for s in seqs:
        if times[s] != last:
            labelled.append(s)
            last = times[s]
    ax.set_yticks([row[s] for s in labelled], [f"{times[s]} ms" for s in labelled], fontsize=7)
    for prev, s in pairwise(labelled):
        if times[s] - times[prev] >= 100:       # a quiet stretch: mark the jump in time
            ax.axhline(row[s] - 0.5, color=PALETTE["faint"], linewidth=0.8, linestyle=(0, (4, 4)), zorder=0)
    ax.set_ylim(n + 0.3, -1.6)
    ax.set_xlim(-0.6, max(len(v.nodes) - 1, 1) + 0.6)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(PALETTE["guide"])
    ax.set_ylabel("virtual time", fontsize=8)
    if more:
        ax.set_xlabel(more, fontsize=8, style="italic", color=PALETTE["dropped"])
    if not v.items:
        ax.text(0.5, 0.5, "no messages in this window", transform=ax.transAxes, ha="center",
                fontsize=9, style="italic")
    return fig


def _draw_arrow(ax: Any, a: Arrow, x: dict[str, int], row: dict[int, int], n: int) -> None:
    x0, x1, y0 = x[a.src], x[a.dst], row[a.send_seq]
    colour = PALETTE["dropped"] if a.dropped else message_colour(a.name)
    side = 1 if x1 >= x0 else -1
    label = clip(a.name + (f" {a.fields}" if a.fields else ""), 48)
    if x0 == x1:                              # to itself (a coordinator writing to a local leader)
        _draw_self(ax, a, x0, y0, row[a.end_seq] if a.end_seq is not None else n, colour)
        label += f"  DROPPED ({a.dropped})" if a.dropped else "  (in flight)" if a.end_seq is None else ""
    elif a.dropped:
        y1 = row[a.end_seq] if a.end_seq is not None else y0
        # lost on the way (a rule, loss or cut at send) or refused at the receiver
        at_send = a.end_seq == a.send_seq + 1 and a.end_time == a.send_time
        xe = x0 + (x1 - x0) * (0.5 if at_send else 0.85)
        ax.plot([x0, xe], [y0, y1], color=colour, linewidth=1, linestyle="--")
        ax.plot([xe], [y1], marker="x", color=colour, markersize=7, markeredgewidth=2)
        label += f"  DROPPED ({a.dropped})"
    elif a.end_seq is None:
        ax.plot([x0, x0 + (x1 - x0) * 0.5], [y0, n], color=colour, linewidth=1, linestyle=":")
        label += "  (in flight)"
    else:
        ax.annotate("", xy=(x1, row[a.end_seq]), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=1, shrinkA=0, shrinkB=0,
                                    mutation_scale=8))
    ax.text(x0 + 0.04 * side, y0 - 0.12, label, ha="left" if side > 0 else "right", va="bottom",
            fontsize=6.5, color=colour)


def _draw_self(ax: Any, a: Arrow, x: float, y0: float, y1: float, colour: str) -> None:
    style = ":" if a.end_seq is None else "--" if a.dropped else "-"
    ax.plot([x, x + 0.18, x + 0.18], [y0, y0, y1], color=colour, linewidth=1, linestyle=style)
    if a.dropped:
        ax.plot([x + 0.18], [y1], marker="x", color=colour, markersize=7, markeredgewidth=2)
    elif a.end_seq is not None:
        ax.annotate("", xy=(x, y1), xytext=(x + 0.18, y1),
                    arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=1, shrinkA=0, shrinkB=0,
                                    mutation_scale=8))


def _draw_note(ax: Any, note: Note, x: dict[str, int], row: dict[int, int]) -> None:
    i, y = x[note.node], row[note.seq]
    ax.plot([i], [y], marker="o", color=PALETTE["state"], markersize=3.5)
    ax.text(i + 0.05, y, clip(f"{note.name} {note.fields}".rstrip(), 44), ha="left", va="center",
            fontsize=6.5, color=PALETTE["state"], style="italic",
            bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
