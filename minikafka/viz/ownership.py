"""Who owned each partition when, from the consumers' own events: the same picture for both group
protocols, so the classic barrier and KIP-848's incremental reconciliation can be put side by
side.

`ownership_view(trace, group)` reads, for the consumers of `group`, their "group.assigned"
(the partitions they own from then on), "group.revoked" and "group.lost" (partitions given up),
and their "client.close" / "client.crash" (a closed consumer owns nothing; a crashed one is
drawn as owning nothing too, though its coordinator still counts it until its session ends).
Each partition becomes a list of spans: (start ms, end ms or None while it lasts, owner or None).
A span with no owner is time in which no consumer read the partition.

`ownership_table` prints the spans per partition and the total time each partition had no
owner; `ownership_figure` draws one bar row per partition over time, one colour per consumer
(`member_colour`, as in every group picture), hatched where nobody owned it. The bars start at
the first assignment; the time before it is not counted as a gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minikafka.cluster_args import check_str
from minikafka.viz._style import PALETTE, member_colour, new_figure, patch, table, text_twin

if TYPE_CHECKING:
    from minikafka.sim.trace import Trace

Span = tuple[int, "int | None", "str | None"]


@dataclass
class OwnershipView:
    group: str
    end: int                                             # the trace's last time
    spans: dict[str, list[Span]] = field(default_factory=dict)     # "topic-p" -> spans in time order

    def unowned_ms(self, partition: str) -> int:
        return sum((self.end if e is None else e) - s for s, e, who in self.spans.get(partition, []) if who is None)


def _key(name: str) -> tuple[str, int]:
    topic, _, p = name.rpartition("-")
    return topic, int(p)


def ownership_view(trace: "Trace", group: str) -> OwnershipView:
    check_str("group", group)
    owners: dict[str, str | None] = {}
    spans: dict[str, list[Span]] = {}
    members: dict[str, set[str]] = {}
    end = 0

    def move(part: str, who: str | None, at: int) -> None:
        if owners.get(part, "?") == who:
            return
        owners[part] = who
        mine = spans.setdefault(part, [])
        if mine and mine[-1][0] == at:              # a span of no time: drop it
            mine.pop()
            if mine and mine[-1][2] == who:
                mine[-1] = (mine[-1][0], None, who)
                return
        if mine:
            mine[-1] = (mine[-1][0], at, mine[-1][2])
        mine.append((at, None, who))
    for e in trace.events:
        end = max(end, e.time)
        if e.kind != "state":
            continue
        f = e.fields
        if e.name == "group.assigned" and f.get("group") == group:
            now = set(f["partitions"])
            for part in sorted(members.get(e.node, set()) - now):
                move(part, None, e.time)
            for part in sorted(now):
                move(part, e.node, e.time)
            members[e.node] = now
        elif e.name in ("group.revoked", "group.lost") and f.get("group") == group:
            for part in f["partitions"]:
                if owners.get(part) == e.node:
                    move(part, None, e.time)
            members[e.node] = members.get(e.node, set()) - set(f["partitions"])
        elif e.name in ("client.close", "client.crash") and e.node in members:
            for part in sorted(members.pop(e.node)):
                if owners.get(part) == e.node:
                    move(part, None, e.time)
    return OwnershipView(group, end, {p: spans[p] for p in sorted(spans, key=_key)})


def ownership_table(trace: "Trace", group: str) -> str:
    v = ownership_view(trace, group)
    if not v.spans:
        return f"group {group}: no consumer has been assigned a partition yet"
    rows = []
    for part, spans in v.spans.items():
        text = ", ".join(f"{who or 'NOBODY'} {s}-{'' if e is None else e}" for s, e, who in spans)
        rows.append([part, f"{v.unowned_ms(part)} ms", text])
    return "\n".join([f"group {group}: owners over time (virtual ms; a span without an end lasts)"]
                     + table(["partition", "unowned", "owner from-to"], rows, right=(1,), width=100))


@text_twin(ownership_table)
def ownership_figure(trace: "Trace", group: str, title: str = "") -> Any:
    """The view as bars over time (see the module docstring)."""
    v = ownership_view(trace, group)
    parts = list(v.spans)
    fig = new_figure(1.4 + 0.34 * max(len(parts), 1))
    ax = fig.subplots()
    start = min((spans[0][0] for spans in v.spans.values()), default=0)
    for j, part in enumerate(parts):
        for s, e, who in v.spans[part]:
            stop = v.end if e is None else e
            ax.barh(j, (stop - s) / 1000, left=s / 1000, height=0.7,
                    color=member_colour(who) if who else "white",
                    edgecolor=PALETTE["edge"] if who else PALETTE["crashed"],
                    hatch=None if who else "///", linewidth=0.6)
    ax.set_yticks(range(len(parts)), parts, fontsize=9)
    ax.set_ylim(len(parts) - 0.4, -0.6)
    ax.set_xlim(start / 1000, max(v.end, start + 1) / 1000)
    ax.set_xlabel("virtual time (s)", fontsize=9)
    ax.set_title(title or f"group {group}: who owned each partition (hatched: nobody)", fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    owners = sorted({who for spans in v.spans.values() for _, _, who in spans if who}, key=lambda c: (len(c), c))
    handles = [patch(member_colour(c), c) for c in owners] + [patch("white", "nobody", hatch="///")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 7), fontsize=9, frameon=False)
    return fig
