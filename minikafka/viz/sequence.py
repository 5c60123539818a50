"""The message sequence diagram: who sent what to whom, in event order, from the trace.

What it shows:
- one lifeline per node (clients first, then brokers, controllers, the rest); every trace
  event gets its own row, in the order the events happened, so messages sent in the same
  millisecond stay apart. Rows are event order, not a time scale: the left axis gives each
  row's virtual time, and a dashed line marks a jump of 100 ms or more between two rows;
- an arrow per message from its send to its receipt; a dropped message ends in an X with the
  reason (rule, loss, cut, down, refused, reset); a message still in flight ends in a dotted stub;
- state changes (`leader.elect`, `hw`, `isr.shrink`, ...) as dots on their node's lifeline;
- what each row is, in a column of text beside the lifelines, level with its row and in the
  arrow's colour: never drawn over an arrow, never cut short (a long one wraps at field
  boundaries onto more lines, and its row grows).

Record names: given the `cluster` the trace came from, a produce request is named after the
records it wrote (their values, read from the partition's log: `[m4]`, `[m2..m5]` for a batch),
and so is its response; a request that wrote nothing (lost, refused) has no name, since the
trace keeps summaries, not records. This is how a reordering shows: the retries go out as
`[m4]`, `[m3]`, `[m2]`.

Filters: `nodes` (names, or broker ids), `names` (message kinds or state names; a trailing
`*` matches a prefix), a time window `since`..`until` (by send time), and `states` to leave
state changes out. Without `names`, broker heartbeats are left out. At most `max_arrows`
messages are drawn, the first ones in the window, and a note says how many more were not.
When the trace's ring dropped its oldest events (sim/trace.py) and the window reaches back
before the oldest kept event, a note says so (with the limit); the rest is drawn from what is kept.
`sequence_view` gathers the data once; `sequence_table` (one line per message, wrapped at
field boundaries to `width` columns) and `sequence_figure` draw from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Iterable

from minikafka.cluster_args import check_bool, check_int, is_int
from minikafka.viz._style import GROUP_MESSAGES, PALETTE, clip, fmt_fields, hang, new_figure, text_twin, wrap_fields

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import Trace

HIDDEN_BY_DEFAULT = ("BrokerHeartbeat", "BrokerHeartbeatResponse")
FIELDS_LIMIT = 240          # characters of a message's fields shown (a safety cap; lines wrap)
WIDTH = 100                 # columns of the text table


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
    tags: tuple[tuple[int, str], ...] = ()  # (send seq, the records a produce message carried)

    def tag(self, arrow: "Arrow") -> str:
        """`[m4]` when the message carried known records, else ""."""
        for seq, tag in self.tags:
            if seq == arrow.send_seq:
                return f"[{tag}]"
        return ""

    def what(self, arrow: "Arrow") -> str:
        """The message's name, record tag and fields, as one text."""
        return " ".join(x for x in (arrow.name, self.tag(arrow), arrow.fields) if x)


def _matcher(names: Iterable[str] | None):
    if names is None:
        return lambda n: n not in HIDDEN_BY_DEFAULT
    pats = (names,) if isinstance(names, str) else tuple(names)
    return lambda n: any(n.startswith(p[:-1]) if p.endswith("*") else n == p for p in pats)


def node_order(name: str) -> tuple[int, int, str]:
    """Producers, brokers by id, controllers by id, consumers, then anything else."""
    if name.startswith("producer"):
        return (0, 0, name)
    if name[:1] == "b" and name[1:].isdigit():
        return (1, int(name[1:]), name)
    if name[:1] == "c" and name[1:].isdigit():             # a controller
        return (2, int(name[1:]), name)
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
                  max_arrows: int = 30, cluster: "Cluster | None" = None) -> SequenceView:
    """What the sequence diagram and its table show, read from `trace` (and, with `cluster`,
    the records each produce message carried: see the module docstring)."""
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
    sends = {it.send_seq for it in shown if isinstance(it, Arrow)}
    tags = () if cluster is None else tuple(sorted((s, t) for s, t in record_tags(trace, cluster).items()
                                                   if s in sends))
    return SequenceView(tuple(order), tuple(shown), sum(isinstance(it, Arrow) for it in rest),
                        sum(isinstance(it, Note) for it in rest), dropped_note(trace, since), tags)


# -- record names ------------------------------------------------------------------------------
def record_tags(trace: "Trace", cluster: "Cluster") -> dict[int, str]:
    """Send seq of each ProduceRequest that wrote records, and of each ProduceResponse that
    acknowledged them -> the records' values (`m4`, `m2..m5`; batches to several partitions
    joined by ", "). A request's writes are the leader's `append` events right after it
    received the request (same broker, same ms, one of the request's partitions); the values
    come from the log batch with that base offset and leader epoch, on any replica. A resent
    batch the broker recognises as a duplicate (`produce.duplicate`) gets its first write's name."""
    sent: dict[int, tuple[int, set[str]]] = {}          # message id -> (send seq, its partitions)
    wrote: dict[tuple[str, int], str] = {}              # (tp, base offset) -> tag
    tags: dict[int, str] = {}
    reading: tuple[str, int, int, set[str]] | None = None     # (broker, time, send seq, partitions)
    for e in trace:
        if e.kind == "send" and e.name == "ProduceRequest":
            batches = e.fields.get("batches", ())
            sent[e.fields["id"]] = (e.seq, {str(b).rsplit(":", 1)[0] for b in batches})
        elif e.kind == "send" and e.name == "ProduceResponse":
            found = [wrote.get(_result_key(r)) for r in e.fields.get("results", ())]
            if any(found):
                tags[e.seq] = ", ".join(t for t in found if t)
        if e.kind == "recv":
            reading = None
            if e.name == "ProduceRequest" and e.fields["id"] in sent:
                seq, tps = sent[e.fields["id"]]
                reading = (e.node, e.time, seq, set(tps))
        elif (reading and e.kind == "state" and e.name in ("append", "produce.duplicate")
              and e.node == reading[0] and e.time == reading[1] and e.fields.get("tp") in reading[3]):
            tp = e.fields["tp"]
            reading[3].discard(tp)
            if e.name == "append":
                first, last = e.fields["offsets"]
                tag = _batch_tag(cluster, tp, first, last, e.fields.get("epoch", -1))
                wrote[(tp, first)] = tag
            else:                           # a resent batch the broker had written already
                tag = wrote.get((tp, e.fields.get("offset", -1)), "")
            if tag:
                tags[reading[2]] = f"{tags[reading[2]]}, {tag}" if reading[2] in tags else tag
    return tags


def _result_key(result: str) -> tuple[str, int]:
    """`orders-0:ok@2` -> ("orders-0", 2); an error result gets offset -1."""
    tp, _, rest = str(result).rpartition(":")
    status, _, off = rest.partition("@")
    return (tp, int(off)) if status == "ok" and off.lstrip("-").isdigit() else (tp, -1)


def _batch_tag(cluster: "Cluster", tp: str, first: int, last: int, epoch: int) -> str:
    """The values of the batch at `first` written in leader epoch `epoch`, from any replica that
    still has it; "" when none has (truncated, or no readable values)."""
    topic, _, p = tp.rpartition("-")
    if not p.isdigit():
        return ""
    for broker in sorted(cluster.brokers):
        replica = cluster.broker(broker).replicas.get((topic, int(p)))
        batch = replica.log.batch_at(first) if replica is not None else None
        if batch is not None and batch.base_offset == first and batch.leader_epoch == epoch \
                and batch.last_offset == last and not batch.control:
            names = [_value_name(r.value) for r in batch.records]
            return names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}"
    return ""


def _value_name(value: object) -> str:
    """A record value short enough to tag an arrow with: printable text up to 12 characters."""
    if value is None:
        return "null"
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return clip(text, 12) if text.isprintable() else "?"


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
                   since: int = 0, until: int | None = None, states: bool = True, max_arrows: int = 30,
                   cluster: "Cluster | None" = None, width: int = WIDTH) -> str:
    """The sequence diagram as text: one line per message (`sent -> received` times, or
    `drop` with the reason, or `...` while in flight) and per state change (`*`). A line longer
    than `width` columns wraps between fields, indented under the message's text."""
    check_int("width", width, 60)
    v = sequence_view(trace, nodes, names, since, until, states, max_arrows, cluster)
    lines = hang("nodes: ", ", ".join(v.nodes) or "none", width)
    for it in v.items:
        if isinstance(it, Arrow):
            end = "..." if it.end_time is None else str(it.end_time)
            tail = ""
            if it.dropped:
                end, tail = "drop", f"  DROPPED ({it.dropped})"
            lines += hang(f"{it.send_time:>7} -> {end:<7} {it.src + ' -> ' + it.dst:<26} ",
                          clip(v.what(it), FIELDS_LIMIT), width, tail)
        else:
            lines += hang(f"{it.time:>7}            {it.node:<26} * ",
                          clip(f"{it.name} {it.fields}".rstrip(), FIELDS_LIMIT), width)
    more = _more(v, max_arrows)
    for line in more.split("\n") if more else ():
        lines += hang("", line, width)
    return "\n".join(lines)


# -- figure ------------------------------------------------------------------------------
LABEL_PT = 9.0          # the text column and the time axis: 9 pt is 12.5 px at 100 dpi (11.7 px
                        # when JupyterLab fits the 900 px figure to its cell)
_LINE_IN = 0.18         # inches per line of text in the column
_ROW_PAD_IN = 0.07      # inches between two rows
_CHAR_IN = 0.6 * LABEL_PT / 72      # one monospace character
_NODE_IN = 1.05         # inches between two lifelines
_MARGIN_IN = 1.4        # the time axis, its label and the gaps around the two parts


def message_colour(name: str) -> str:
    """The colour of a message kind, by the part of Kafka it belongs to."""
    if name.startswith("Produce"):
        return PALETTE["msg_produce"]
    if name.startswith(("Fetch", "ListOffsets", "OffsetsForLeaderEpoch")):
        return PALETTE["msg_fetch"]
    if name.startswith(("InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
                        "WriteTxnMarkers", "TxnOffsetCommit")):
        return PALETTE["msg_txn"]
    if name.startswith(GROUP_MESSAGES):
        return PALETTE["msg_group"]
    if name.startswith(("Metadata", "Broker", "Alter", "Create", "Allocate", "Vote", "Quorum", "BeginQ", "EndQ")):
        return PALETTE["msg_control"]
    return PALETTE["msg_other"]


@text_twin(sequence_table)
def sequence_figure(trace: "Trace", nodes: Iterable[str | int] | None = None, names: Iterable[str] | None = None,
                    since: int = 0, until: int | None = None, states: bool = True, max_arrows: int = 30,
                    cluster: "Cluster | None" = None) -> Any:
    """The sequence diagram as a matplotlib Figure (see the module docstring): lifelines on the
    left, one row per event in event order, what each row is in a text column on the right."""
    v = sequence_view(trace, nodes, names, since, until, states, max_arrows, cluster)
    layout = figure_layout(v)
    more = _more(v, max_arrows)
    fig = new_figure(layout.height + (0.3 * len(more.split("\n")) if more else 0.0))
    ax, col = fig.subplots(1, 2, sharey=True, width_ratios=[layout.lanes_in, layout.text_in])
    _draw_lanes(ax, v, layout)
    _draw_column(col, v, layout)
    if more:
        fig.supxlabel(more, fontsize=LABEL_PT, style="italic", color=PALETTE["dropped"])
    return fig


@dataclass(frozen=True)
class FigureLayout:
    """Where every row of the figure goes, in inches from the top of the lifelines."""
    rows: tuple[tuple[int, float, float], ...]       # (event seq, top, anchor: where arrows meet it)
    text: tuple[tuple[int, tuple[str, ...]], ...]   # (event seq, its lines in the text column)
    lanes_in: float                                   # width of the lifelines' part
    text_in: float                                    # width of the text column
    columns: int                                      # characters per line in the text column
    height: float                                     # of the whole figure

    def anchor(self, seq: int) -> float:
        for s, _, a in self.rows:
            if s == seq:
                return a
        raise KeyError(seq)


def row_text(v: SequenceView, it: Arrow | Note) -> str:
    """What the text column says for a message (at its send row) or a state change."""
    if isinstance(it, Note):
        return f"{it.node}: {it.name} {it.fields}".rstrip()
    what = v.what(it)
    if it.dropped:
        return f"{what}  DROPPED ({it.dropped})"
    return what + ("  (in flight)" if it.end_seq is None else "")


def figure_layout(v: SequenceView, width: float = 9.0) -> FigureLayout:
    """Rows in event order: a row is as tall as its text's lines (wrapped at field boundaries to
    the column's width); the lifelines get `_NODE_IN` each (less when there are many nodes, so
    the text column keeps at least 3.6 inches)."""
    lanes = min(max(len(v.nodes), 2) * _NODE_IN, width - _MARGIN_IN - 3.6)
    text_in = width - _MARGIN_IN - lanes
    columns = max(int(text_in / _CHAR_IN) - 5, 30)
    lines: dict[int, tuple[str, ...]] = {}
    for it in v.items:
        seq = it.send_seq if isinstance(it, Arrow) else it.seq
        lines[seq] = tuple(wrap_fields(clip(row_text(v, it), FIELDS_LIMIT), columns))
    seqs = sorted({s for it in v.items for s in ((it.send_seq, it.end_seq) if isinstance(it, Arrow)
                                                   else (it.seq,)) if s is not None})
    rows, top = [], 0.0
    for s in seqs:
        n = len(lines.get(s, ("",)))
        rows.append((s, top, top + (_LINE_IN + _ROW_PAD_IN) / 2))
        top += n * _LINE_IN + _ROW_PAD_IN
    height = 1.0 + max(top, 2 * _LINE_IN)
    return FigureLayout(tuple(rows), tuple(sorted(lines.items())), lanes, text_in, columns, height)


def _times(v: SequenceView) -> dict[int, int]:
    times: dict[int, int] = {}
    for it in v.items:
        if isinstance(it, Arrow):
            times[it.send_seq] = it.send_time
            if it.end_seq is not None and it.end_time is not None:
                times[it.end_seq] = it.end_time
        else:
            times[it.seq] = it.time
    return times


def _draw_lanes(ax: Any, v: SequenceView, layout: FigureLayout) -> None:
    """Lifelines, arrows, state dots, the time axis (event order, labelled in virtual ms)."""
    end = layout.rows[-1][1] + _LINE_IN + _ROW_PAD_IN if layout.rows else 2 * _LINE_IN
    x = {node: i for i, node in enumerate(v.nodes)}
    for node, i in x.items():
        ax.plot([i, i], [0, end], color=PALETTE["guide"], linewidth=1, zorder=0)
        ax.text(i, -0.12, node, ha="center", va="bottom", fontsize=9.5, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.3", facecolor=PALETTE["panel"], edgecolor=PALETTE["frame"]))
    _shade_rows([ax], layout)
    for it in v.items:
        if isinstance(it, Arrow):
            _draw_arrow(ax, it, x, layout, end, v.tag(it))
        else:
            ax.plot([x[it.node]], [layout.anchor(it.seq)], marker="o", color=PALETTE["state"], markersize=4)
    times = _times(v)
    ticks, last = [], None
    for seq, _, anchor in layout.rows:
        if times[seq] != last:
            ticks.append((anchor, f"{times[seq]} ms"))
            last = times[seq]
    ax.set_yticks([a for a, _ in ticks], [t for _, t in ticks], fontsize=LABEL_PT)
    _mark_jumps([ax], layout, times)
    ax.set_ylim(end, -0.55)
    ax.set_xlim(-0.5, max(len(v.nodes), 2) - 0.5)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(PALETTE["guide"])
    ax.set_ylabel("event order, not to scale (virtual time)", fontsize=LABEL_PT)
    if not v.items:
        ax.text(0.5, 0.5, "no messages in this window", transform=ax.transAxes, ha="center",
                fontsize=9, style="italic")


def _shade_rows(axes: list[Any], layout: FigureLayout) -> None:
    """Every other row with text lightly shaded, so the eye follows a row from its arrow to its
    text."""
    texts = {seq for seq, _ in layout.text}
    shaded = [r for r in layout.rows if r[0] in texts][1::2]
    for seq, top, _ in shaded:
        lines = dict(layout.text)[seq]
        for ax in axes:
            ax.axhspan(top, top + len(lines) * _LINE_IN + _ROW_PAD_IN, color=PALETTE["row_shade"], zorder=-1,
                       linewidth=0)


def _mark_jumps(axes: list[Any], layout: FigureLayout, times: dict[int, int]) -> None:
    """A dashed line between two rows 100 ms or more apart."""
    for (prev, _, _), (seq, top, _) in pairwise(layout.rows):
        if times[seq] - times[prev] >= 100:
            for ax in axes:
                ax.axhline(top, color=PALETTE["frame"], linewidth=0.8, linestyle=(0, (4, 4)), zorder=0)


def _draw_column(col: Any, v: SequenceView, layout: FigureLayout) -> None:
    """The text of each row, level with it, in its arrow's colour."""
    colours: dict[int, tuple[str, str]] = {}
    for it in v.items:
        if isinstance(it, Arrow):
            colours[it.send_seq] = (PALETTE["dropped"] if it.dropped else message_colour(it.name), "normal")
        else:
            colours[it.seq] = (PALETTE["state"], "italic")
    _shade_rows([col], layout)
    _mark_jumps([col], layout, _times(v))
    for seq, lines in layout.text:
        colour, style = colours[seq]
        y = layout.anchor(seq)
        for k, line in enumerate(lines):
            col.text(0.01, y + k * _LINE_IN, line, ha="left", va="center", fontsize=LABEL_PT, color=colour,
                     style=style, family="monospace", transform=col.get_yaxis_transform())
    col.set_axis_off()


def _draw_arrow(ax: Any, a: Arrow, x: dict[str, int], layout: FigureLayout, end: float, tag: str) -> None:
    x0, x1, y0 = x[a.src], x[a.dst], layout.anchor(a.send_seq)
    colour = PALETTE["dropped"] if a.dropped else message_colour(a.name)
    y1 = layout.anchor(a.end_seq) if a.end_seq is not None else end
    if x0 == x1:                              # to itself (a coordinator writing to a local leader)
        _draw_self(ax, a, x0, y0, y1, colour)
        mid = (x0 + 0.2, (y0 + y1) / 2)
    elif a.dropped:
        # lost on the way (a rule, loss or cut at send) or refused at the receiver
        at_send = a.end_seq == a.send_seq + 1 and a.end_time == a.send_time
        xe = x0 + (x1 - x0) * (0.5 if at_send else 0.85)
        ax.plot([x0, xe], [y0, y1], color=colour, linewidth=1.2, linestyle="--")
        ax.plot([xe], [y1], marker="x", color=colour, markersize=8, markeredgewidth=2)
        mid = ((x0 + xe) / 2, (y0 + y1) / 2)
    elif a.end_seq is None:
        xe = x0 + (x1 - x0) * 0.5
        ax.plot([x0, xe], [y0, y1], color=colour, linewidth=1.2, linestyle=":")
        mid = ((x0 + xe) / 2, (y0 + y1) / 2)
    else:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=1.2, shrinkA=0, shrinkB=0,
                                    mutation_scale=10))
        mid = ((x0 + x1) / 2, (y0 + y1) / 2)
    if tag:                                   # the records it carried, on the arrow itself
        ax.text(*mid, tag.strip("[]"), ha="center", va="center", fontsize=LABEL_PT, color=colour,
                fontweight="bold", zorder=4,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=colour, linewidth=0.6))


def _draw_self(ax: Any, a: Arrow, x: float, y0: float, y1: float, colour: str) -> None:
    style = ":" if a.end_seq is None else "--" if a.dropped else "-"
    ax.plot([x, x + 0.18, x + 0.18], [y0, y0, y1], color=colour, linewidth=1.2, linestyle=style)
    if a.dropped:
        ax.plot([x + 0.18], [y1], marker="x", color=colour, markersize=8, markeredgewidth=2)
    elif a.end_seq is not None:
        ax.annotate("", xy=(x, y1), xytext=(x + 0.18, y1),
                    arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=1.2, shrinkA=0, shrinkB=0,
                                    mutation_scale=10))
