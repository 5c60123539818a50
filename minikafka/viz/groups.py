"""Consumer groups: who owns which partition now, how far each partition's consumers got, and
how ownership moved from one generation to the next.

`group_figure(cluster, group)` (the group map) shows:
- one row per member (in the coordinator's order, which is join order), one column per
  partition of the topics the group owns or committed: a filled cell where that member owns
  the partition, in the member's colour (`member_colour`, the same in every picture);
- the leader marked, a member with no partition labelled idle, a member whose process has
  crashed but whose session has not yet expired labelled CRASHED (the coordinator still counts
  it: its partitions are read by nobody until session.timeout.ms passes);
- under each column a bar from offset 0 to the partition's end offset (the HW, or the LSO for
  `isolation_level="read_committed"`), filled up to the committed offset, with the lag;
- the state, generation, protocol and coordinator in the title.

`rebalance_figure(trace, group)` (the rebalance timeline) shows one column per generation that
became Stable (from the coordinator's "group.stable" events), one row per partition: its owner
in that generation, an edge where the owner changed since the previous generation, an empty
cell where nobody owned it (cooperative rebalancing revokes in one generation and assigns in
the next), the idle members of each generation, and why each rebalance started. When the
trace's ring dropped its oldest events (sim/trace.py), a note says so: earlier generations, and
the first shown one's reasons, may be missing.

Members are named by their consumer (`consumer-2`); a member id is the consumer's name plus 8
hex digits chosen by the coordinator (`consumer-2-db851b83`), shown in the text tables.
`group_view` / `rebalance_view` gather the data once; tables and figures draw from them.
Text tables fit `width` columns (100): a long cell or reason wraps between fields. Figure text
is at least 8.5 pt (about 12 px in a notebook).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from minikafka.cluster_args import check_int, check_names, check_str
from minikafka.viz._style import PALETTE, hang, member_colour, new_figure, patch, table, text_twin, wrap_fields
from minikafka.viz.sequence import dropped_note

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import Trace

_MEMBER_ID = re.compile(r"(.+)-[0-9a-f]{8}")
WIDTH = 100
LAG_IN = 2.4            # inches for the lag chart under the group map


def client_of(member_id: str) -> str:
    """The consumer a member id belongs to: `consumer-2-db851b83` -> `consumer-2`."""
    m = _MEMBER_ID.fullmatch(member_id)
    return m.group(1) if m else member_id


def short_ids(text: str) -> str:
    """Member ids in a sentence replaced by their consumer's name."""
    return re.sub(r"([A-Za-z0-9._-]+?)-[0-9a-f]{8}\b", r"\1", text)


def _tp_key(name: str) -> tuple[str, int]:
    topic, _, p = name.rpartition("-")
    return (topic, int(p)) if p.isdigit() else (name, -1)


# -- the group now ------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberRow:
    member_id: str
    client: str                     # the consumer's name
    leader: bool
    alive: bool                     # the consumer's process runs (False: crashed, session not expired)
    partitions: tuple[str, ...]     # "topic-p", in the assignment's order


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    owner: str | None               # the owning member's consumer, None if nobody owns it
    committed: int                  # -1: nothing committed
    end: int                        # HW (read_uncommitted) or LSO (read_committed); -1 if offline
    lag: int

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True)
class GroupMap:
    group_id: str
    coordinator: int
    state: str
    generation: int
    protocol: str
    leader: str                     # member id
    members: tuple[MemberRow, ...]
    partitions: tuple[PartitionLag, ...]
    isolation_level: str


def group_view(cluster: "Cluster", group: str, topics: Iterable[str] = (),
               isolation_level: str = "read_uncommitted") -> GroupMap:
    """What the group map and its table show, read from `cluster` (nothing is changed).
    Columns are the partitions of the topics the group owns or committed, plus `topics`."""
    topics = check_names("topics", sorted(topics) if isinstance(topics, (set, frozenset)) else topics,
                         cluster.topics())
    gv = cluster.group_state(group)
    rows = cluster.group_lag(group, isolation_level)
    members = []
    for member_id, tps in gv.members:
        client = client_of(member_id)
        proc = cluster.clients.get(client)
        alive = proc is None or bool(proc.alive)
        members.append(MemberRow(member_id, client, member_id == gv.leader, alive,
                                 tuple(f"{t}-{p}" for t, p in tps)))
    lags = [PartitionLag(r.topic, r.partition, client_of(r.owner) if r.owner else None, r.committed, r.end, r.lag)
            for r in rows]
    shown = {r.topic for r in rows}
    for topic in sorted(set(topics) - shown):
        for p in range(len(cluster.controller.topics.get(topic, ()))):
            pv = cluster.partition_state(topic, p)
            end = pv.last_stable_offset if isolation_level == "read_committed" else pv.high_watermark
            lags.append(PartitionLag(topic, p, None, -1, end, max(end, 0)))
    lags.sort(key=lambda r: (r.topic, r.partition))
    return GroupMap(group, gv.coordinator, gv.state, gv.generation, gv.protocol, gv.leader, tuple(members),
                    tuple(lags), isolation_level)


def _heading(v: GroupMap) -> str:
    coordinator = f"b{v.coordinator}" if v.coordinator >= 0 else "none"
    return (f"group {v.group_id}: {v.state}, generation {v.generation}, protocol {v.protocol or '-'}, "
            f"coordinator {coordinator}")


def group_table(cluster: "Cluster", group: str, topics: Iterable[str] = (),
                isolation_level: str = "read_uncommitted", width: int = WIDTH) -> str:
    """The group map as text: the members and their partitions (`(idle)`: none), then one
    line per partition with its owner, committed offset (`-`: none), end offset and lag."""
    check_int("width", width, 60)
    v = group_view(cluster, group, topics, isolation_level)
    lines = hang("", _heading(v), width)
    if v.members:
        rows = [[m.member_id + (" (leader)" if m.leader else "") + ("" if m.alive else " (CRASHED)"),
                 ", ".join(m.partitions) or "(idle)"] for m in v.members]
        lines += table(["member", "partitions"], rows, width=width)
    else:
        lines.append("(no members)")
    if v.partitions:
        end = "LSO" if isolation_level == "read_committed" else "HW"
        lines.append("")
        rows = [[r.name, r.owner or "-", str(r.committed) if r.committed >= 0 else "-",
                 str(r.end), str(r.lag)] for r in v.partitions]
        lines += table(["partition", "owner", "committed", f"end ({end})", "lag"], rows, right={2, 3, 4})
    crashed = [m.client for m in v.members if not m.alive]
    if crashed:
        lines += hang("", f"(CRASHED: {', '.join(crashed)} still counts as a member until its session times out)",
                      width)
    return "\n".join(lines)


@text_twin(group_table)
def group_figure(cluster: "Cluster", group: str, topics: Iterable[str] = (),
                 isolation_level: str = "read_uncommitted") -> Any:
    """The group map as a matplotlib Figure (see the module docstring)."""
    from matplotlib.patches import Rectangle

    v = group_view(cluster, group, topics, isolation_level)
    nm, npart = max(len(v.members), 1), max(len(v.partitions), 1)
    fig = new_figure(1.9 + 0.42 * nm + LAG_IN)
    grid, bars = fig.subplots(2, 1, sharex=True, height_ratios=[0.42 * nm + 0.35, LAG_IN])
    col = {r.name: i for i, r in enumerate(v.partitions)}
    for j, m in enumerate(v.members):
        colour = member_colour(m.client)
        for i in range(len(v.partitions)):
            grid.add_patch(Rectangle((i - 0.45, j - 0.4), 0.9, 0.8, facecolor=PALETTE["unassigned"],
                                     edgecolor=PALETTE["faint"], linewidth=0.8))
        for name in m.partitions:
            if name in col:
                i = col[name]
                grid.add_patch(Rectangle((i - 0.45, j - 0.4), 0.9, 0.8, facecolor=colour,
                                         edgecolor=PALETTE["edge"], linewidth=0.8,
                                         hatch="//" if not m.alive else None))
                grid.text(i, j, "owns", ha="center", va="center", fontsize=9, color="white", fontweight="bold")
        if not m.partitions:
            grid.text((len(v.partitions) - 1) / 2, j, "idle: no partition", ha="center", va="center",
                      fontsize=9, style="italic", color=PALETTE["note"],
                      bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none"))
    for i, r in enumerate(v.partitions):
        if r.owner is None and v.members:
            grid.text(i, len(v.members) - 0.4, "nobody", ha="center", va="bottom", fontsize=8.5,
                      color=PALETTE["crashed"], style="italic")
    labels = []
    for m in v.members:
        tag = " (leader)" if m.leader else ""
        labels.append(f"{m.client}{tag}\n{m.member_id[len(m.client) + 1:]}" if m.alive
                      else f"{m.client}  CRASHED\nstill a member")
    grid.set_yticks(range(len(v.members)), labels, fontsize=9)
    for tick, m in zip(grid.get_yticklabels(), v.members, strict=True):
        tick.set_color(PALETTE["crashed"] if not m.alive else member_colour(m.client))
        tick.set_fontweight("bold")
    grid.set_ylim(nm - 0.5 + (0.25 if any(r.owner is None for r in v.partitions) else 0), -0.6)
    grid.tick_params(axis="both", length=0)
    grid.xaxis.set_tick_params(labelbottom=False)
    for side in ("top", "right", "bottom", "left"):
        grid.spines[side].set_visible(False)
    if not v.members:
        grid.text(0.5, 0.5, "no members", transform=grid.transAxes, ha="center", va="center",
                  fontsize=9, style="italic", color=PALETTE["note"])
    grid.set_title(_heading(v), fontsize=10, loc="left")
    _draw_lag(bars, v)
    bars.set_xlim(-0.6, npart - 0.4)
    bars.set_xticks(range(len(v.partitions)), [r.name for r in v.partitions], fontsize=9)
    handles = [patch(member_colour(m.client), m.client) for m in v.members]
    handles += [patch(PALETTE["committed"], "committed (read by the group)"),
                patch("white", "lag", edgecolor=PALETTE["lag"], hatch="////")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), fontsize=9, frameon=False)
    return fig


def _draw_lag(ax: Any, v: GroupMap) -> None:
    from matplotlib.ticker import MaxNLocator

    top = max([r.end for r in v.partitions] + [1])
    for i, r in enumerate(v.partitions):
        done = max(r.committed, 0)
        end = max(r.end, 0)
        ax.bar([i], [done], width=0.6, color=PALETTE["committed"], edgecolor=PALETTE["edge"], linewidth=0.5)
        if end > done:
            ax.bar([i], [end - done], bottom=[done], width=0.6, color="white", edgecolor=PALETTE["lag"],
                   linewidth=0.8, hatch="////")
        note = f"lag {r.lag}" + ("" if r.committed >= 0 else "\n(nothing committed)")
        ax.text(i, max(end, done) + top * 0.04, note, ha="center", va="bottom", fontsize=9,
                color=PALETTE["lag"] if r.lag else PALETTE["note"], fontweight="bold" if r.lag else "normal")
    ax.set_ylim(0, top * 1.35)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    end = "LSO" if v.isolation_level == "read_committed" else "HW"
    ax.set_ylabel(f"offset\n(bar = 0..{end})", fontsize=9)
    ax.tick_params(axis="y", labelsize=8.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not v.partitions:
        ax.text(0.5, 0.5, "no partitions owned or committed yet", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, style="italic", color=PALETTE["note"])


# -- generations over time -------------------------------------------------------------------
@dataclass(frozen=True)
class Generation:
    generation: int
    time: int                               # when the coordinator declared it Stable
    protocol: str
    owners: tuple[tuple[str, str], ...]     # (partition, consumer) for every owned partition
    members: tuple[str, ...]                # consumers in the generation, assignment order
    why: tuple[str, ...]                    # why the rebalances before it started

    def owner(self, partition: str) -> str | None:
        for p, c in self.owners:
            if p == partition:
                return c
        return None

    @property
    def idle(self) -> tuple[str, ...]:
        owning = {c for _, c in self.owners}
        return tuple(m for m in self.members if m not in owning)


@dataclass(frozen=True)
class RebalanceView:
    group: str
    partitions: tuple[str, ...]             # every partition owned in any generation shown
    generations: tuple[Generation, ...]
    hidden: int                             # earlier generations not shown
    dropped_note: str = ""                  # the trace dropped its oldest events: some may be missing


def rebalance_view(trace: "Trace", group: str, max_generations: int = 8) -> RebalanceView:
    """What the rebalance timeline and its table show, read from `trace`: one entry per
    "group.stable" event of `group` (the last `max_generations`)."""
    check_str("group", group)
    check_int("max_generations", max_generations, 0)
    gens: list[Generation] = []
    why: list[tuple[int, str]] = []
    protocol = {}
    for e in trace:
        if e.fields.get("group") != group:
            continue
        if e.name == "group.rebalance":
            text = short_ids(str(e.fields.get("why", "?")))
            # a join or removal that starts this rebalance is already said by it
            why = [w for w in why if not (w[0] == e.time and w[1].split(" ")[0] == text.split(" ")[0])]
            why.append((e.time, text))
        elif e.name == "group.join" and e.fields.get("new"):
            why.append((e.time, f"{client_of(str(e.fields.get('member', '?')))} joined"))
        elif e.name == "group.member_removed":
            why.append((e.time, f"{client_of(str(e.fields.get('member', '?')))} removed "
                                f"({e.fields.get('why', '?')})"))
        elif e.name == "group.generation":
            protocol[e.fields.get("generation")] = str(e.fields.get("protocol", ""))
        elif e.name == "group.stable":
            owners, members = [], []
            for entry in e.fields.get("assignment", ()):
                member, _, parts = str(entry).rpartition(":")
                client = client_of(member)
                members.append(client)
                owners += [(p, client) for p in parts.split("+") if p]
            gen = int(e.fields.get("generation", -1))
            owners.sort(key=lambda o: _tp_key(o[0]))
            gens.append(Generation(gen, e.time, protocol.get(gen, ""), tuple(owners), tuple(members),
                                   tuple(w for _, w in why)))
            why = []
    shown = gens[-max_generations:] if max_generations > 0 else []
    parts = sorted({p for g in shown for p, _ in g.owners}, key=_tp_key)
    return RebalanceView(group, tuple(parts), tuple(shown), len(gens) - len(shown), dropped_note(trace))


def _why(g: Generation) -> str:
    return "; ".join(g.why) or "-"


def _moved(v: RebalanceView) -> set[tuple[int, str]]:
    """(index of a generation, partition) where the owner differs from the generation before."""
    out = set()
    for k in range(1, len(v.generations)):
        before, now = v.generations[k - 1], v.generations[k]
        for p in v.partitions:
            if before.owner(p) != now.owner(p):
                out.add((k, p))
    return out


def rebalance_table(trace: "Trace", group: str, max_generations: int = 8, width: int = WIDTH) -> str:
    """The rebalance timeline as text: one column per Stable generation, one row per
    partition with its owner (`-`: nobody; `*`: a different owner than the generation before),
    then per generation its time, members, idle members and why it started (wrapped between
    fields to `width` columns)."""
    check_int("width", width, 60)
    v = rebalance_view(trace, group, max_generations)
    if not v.generations:
        return f"group {group}: no generation has become Stable yet" + (
            f" in the events the trace kept ({v.dropped_note})" if v.dropped_note else "")
    moved = _moved(v)
    header = ["partition"] + [f"gen {g.generation}" for g in v.generations]
    rows = []
    for p in v.partitions:
        cells = [p]
        for k, g in enumerate(v.generations):
            cells.append((g.owner(p) or "-") + (" *" if (k, p) in moved else ""))
        rows.append(cells)
    n = len(v.generations)
    lines = [f"group {group}: {n} generation{'' if n == 1 else 's'}"
             + (f" (and {v.hidden} earlier ones not shown)" if v.hidden else "")]
    lines += [f"({v.dropped_note}: earlier generations may be missing)"] if v.dropped_note else []
    lines += table(header, rows)
    for g in v.generations:
        idle = f", idle: {', '.join(g.idle)}" if g.idle else ""
        members = f"{len(g.members)} member{'' if len(g.members) == 1 else 's'}"
        lines += hang(f"gen {g.generation} at {g.time} ms, ", f"{g.protocol or '-'}, {members}{idle}; "
                      f"why: {_why(g)}", width)
    if moved:
        lines.append("(* = owner changed since the generation before, - = nobody)")
    return "\n".join(lines)


FOOT_PT = 9.5          # the footnote: why each rebalance started (13 px)
FOOT_COLUMNS = 105     # characters per footnote line at FOOT_PT across a 9-inch figure
FOOT_LINE_IN = 0.2     # inches per footnote line


@text_twin(rebalance_table)
def rebalance_figure(trace: "Trace", group: str, max_generations: int = 8) -> Any:
    """The rebalance timeline as a matplotlib Figure (see the module docstring)."""
    from matplotlib.patches import Rectangle

    v = rebalance_view(trace, group, max_generations)
    ng, npart = max(len(v.generations), 1), max(len(v.partitions), 1)
    lines = [line for g in v.generations for line in hang(f"gen {g.generation}: ", _why(g), FOOT_COLUMNS)]
    lines += [f"({v.dropped_note}: earlier generations may be missing)"] if v.dropped_note else []
    notes = len(lines) + 1
    fig = new_figure(1.5 + 0.34 * (npart + 1) + FOOT_LINE_IN * notes)
    ax, foot = fig.subplots(2, 1, height_ratios=[0.34 * (npart + 1) + 0.3, FOOT_LINE_IN * notes + 0.1])
    moved = _moved(v)
    for k, g in enumerate(v.generations):
        for j, p in enumerate(v.partitions):
            owner = g.owner(p)
            changed = (k, p) in moved
            fill = member_colour(owner) if owner else PALETTE["unassigned"]
            ax.add_patch(Rectangle((k - 0.44, j - 0.38), 0.88, 0.76, facecolor=fill,
                                   edgecolor=PALETTE["moved"] if changed else PALETTE["edge"],
                                   linewidth=2.6 if changed else 0.6, linestyle="-" if owner else "--"))
            ax.text(k, j, owner or ("revoked" if changed else "nobody"), ha="center", va="center", fontsize=8.5,
                    color="white" if owner else PALETTE["crashed"], fontweight="bold" if owner else "normal",
                    style="normal" if owner else "italic")
        ax.text(k, npart - 0.35, "\n".join(wrap_fields("idle: " + (", ".join(g.idle) if g.idle else "none"), 14)),
                ha="center", va="top", fontsize=8.5, color=PALETTE["note"], style="italic")
    ax.set_xticks(range(len(v.generations)),
                  [f"gen {g.generation}\n{g.time / 1000:.1f} s" for g in v.generations], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(v.partitions)), list(v.partitions), fontsize=9)
    ax.set_xlim(-0.55, max(ng, 4) - 0.45)            # a lone generation stays a narrow column
    ax.set_ylim(npart + 0.1, -0.55)
    ax.tick_params(axis="both", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    protocols = sorted({g.protocol for g in v.generations if g.protocol})
    ax.set_title(f"group {group}: owners per generation" + (f" ({', '.join(protocols)})" if protocols else "")
                 + (f", {v.hidden} earlier generations not shown" if v.hidden else ""), fontsize=10, loc="left")
    if not v.generations:
        ax.text(0.5, 0.5, "no generation has become Stable yet", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, style="italic", color=PALETTE["note"])
    foot.set_axis_off()
    foot.text(0.0, 1.0, "why each rebalance started:\n" + "\n".join(lines) if lines else "", ha="left", va="top",
              fontsize=FOOT_PT, color=PALETTE["dark_text"], transform=foot.transAxes, linespacing=1.3)
    clients = sorted({c for g in v.generations for c in g.members},
                     key=lambda c: (len(c), c))
    handles = [patch(member_colour(c), c) for c in clients]
    if moved:
        handles.append(patch("white", "owner changed", edgecolor=PALETTE["moved"], linewidth=2))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 7), fontsize=9,
                   frameon=False)
    return fig
