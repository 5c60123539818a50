"""The cluster map: which broker holds which replica, who leads, who is in the ISR.

What it shows:
- the controller, with the brokers it considers live (registered and not fenced); with more
  than one controller, each voter of the quorum and its role (the leader is the active
  controller);
- one column per broker: its process up or down, and whether the controller has fenced it;
- one row per partition (topics in name order, internal topics left out unless named): each
  replica in its broker's column, the leader filled dark, ISR followers filled light, followers
  outside the ISR white with a dashed edge, replicas on a down broker grey; a partition without
  a leader marked OFFLINE.

`cluster_view` gathers the data once; `cluster_table` and `cluster_figure` both draw from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka.cluster_args import check_int, check_names
from minikafka.controller.election import NO_LEADER
from minikafka.viz._style import PALETTE, new_figure, patch, table, text_twin

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


@dataclass(frozen=True)
class BrokerView:
    id: int
    alive: bool             # the process runs
    fenced: bool            # the controller does not count it as live


@dataclass(frozen=True)
class ReplicaCell:
    broker: int
    leader: bool            # the controller's leader (even if its broker just went down)
    in_isr: bool
    alive: bool             # its broker's process runs
    in_elr: bool = False    # an eligible leader replica (KIP-966)


@dataclass(frozen=True)
class PartitionRow:
    topic: str
    partition: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    replicas: tuple[ReplicaCell, ...]      # assignment order
    elr: tuple[int, ...] = ()

    @property
    def offline(self) -> bool:
        return self.leader == NO_LEADER

    def cell(self, broker: int) -> ReplicaCell | None:
        for r in self.replicas:
            if r.broker == broker:
                return r
        return None


@dataclass(frozen=True)
class ClusterView:
    brokers: tuple[BrokerView, ...]
    live: tuple[int, ...]                  # the controller's live brokers
    partitions: tuple[PartitionRow, ...]
    hidden: int                            # partitions beyond `max_partitions`
    internal: tuple[str, ...]              # internal topics left out
    quorum: tuple[str, ...] = ()           # with more than one controller: "c2 leader (active, epoch 3)", ...


def cluster_view(cluster: "Cluster", topics: list[str] | None = None, max_partitions: int = 24) -> ClusterView:
    """What the cluster map and its table show, read from `cluster` (nothing is changed).
    By default every topic except internal ones (`__transaction_state`, `__consumer_offsets`)."""
    everything = sorted(cluster.controller.topics)
    check_int("max_partitions", max_partitions, 1)
    if topics is not None:
        topics = check_names("topics", topics, everything)
    internal = tuple(t for t in everything if t.startswith("__")) if topics is None else ()
    topics = [t for t in everything if t not in internal] if topics is None else topics
    records = cluster.controller.brokers
    brokers = tuple(BrokerView(b, cluster.brokers[b].alive, b not in records or records[b].fenced)
                    for b in sorted(cluster.brokers))
    rows = []
    for topic in topics:
        for st in cluster.controller.topics[topic]:
            cells = tuple(ReplicaCell(b, b == st.leader, b in st.isr, cluster.brokers[b].alive, b in st.elr)
                          for b in st.replicas)
            rows.append(PartitionRow(topic, st.partition, st.leader, st.leader_epoch, tuple(st.isr), cells,
                                     tuple(st.elr)))
    quorum: tuple[str, ...] = ()
    if len(cluster.controllers) > 1:
        quorum = tuple(f"c{v.controller} " + (("leader" + (f" (active, epoch {v.epoch})" if v.active else ""))
                                             if v.role == "leader" else v.role if v.alive else "DOWN")
                       for v in cluster.controller_state().voters)
    return ClusterView(brokers, tuple(cluster.controller.live_brokers()), tuple(rows[:max_partitions]),
                       max(len(rows) - max_partitions, 0), internal, quorum)


# -- text ------------------------------------------------------------------------------
def _cell_text(c: ReplicaCell | None) -> str:
    if c is None:
        return "."
    role = "leader" if c.leader else ("follower" if c.alive else "replica")
    return role + (" (ISR)" if c.in_isr else " (ELR)" if c.in_elr else "") + ("" if c.alive else ", DOWN")


def _short_cell(c: ReplicaCell | None) -> str:
    if c is None:
        return "."
    return ("d" if not c.alive else "L" if c.leader else "F") + ("*" if c.in_isr else "e" if c.in_elr else "")


SHORT_LEGEND = "(L: leader, F: follower, d: replica on a broker that is DOWN, *: in the ISR, .: no replica)"
ELR_LEGEND = "(e: an eligible leader replica, ELR)"


def cluster_table(cluster: "Cluster", topics: list[str] | None = None, max_partitions: int = 24,
                  width: int = 100) -> str:
    """The cluster map as text: the brokers' state, then one line per partition with its
    leader, leader epoch, ISR and the role of the replica in each broker's column
    (`.`: no replica there; `(ISR)`: in the ISR; `(ELR)`: an eligible leader replica; `DOWN`:
    the broker's process is down), with an ELR column when some partition has one. When
    the partition lines would be wider than `width` columns (many brokers), each role is a
    letter instead, with a legend."""
    v = cluster_view(cluster, topics, max_partitions)
    lines = [f"controller: live brokers {list(v.live)}"]
    if v.quorum:
        lines.append("quorum: " + ", ".join(v.quorum))
    lines += table(["broker", "process", "controller"],
                   [[f"b{b.id}", "up" if b.alive else "DOWN", "fenced" if b.fenced else "unfenced"]
                    for b in v.brokers])
    lines.append("")
    elr = any(r.elr for r in v.partitions)            # the ELR column only when some partition has one
    header = ["partition", "leader", "epoch", "ISR", *(["ELR"] if elr else []), *(f"b{b.id}" for b in v.brokers), ""]
    for cell_text in (_cell_text, _short_cell):
        rows = [[f"{r.topic}-{r.partition}", "OFFLINE" if r.offline else str(r.leader), str(r.leader_epoch),
                 str(list(r.isr))] + ([str(list(r.elr))] if elr else []) + [cell_text(r.cell(b.id)) for b in v.brokers]
                + [""] for r in v.partitions]
        part_lines = table(header, rows, right={2})
        if max(map(len, part_lines)) <= width:
            break
    lines += part_lines
    if cell_text is _short_cell:
        lines.append(SHORT_LEGEND)
        if elr:
            lines.append(ELR_LEGEND)
    if v.hidden:
        lines.append(f"({v.hidden} more partitions not shown)")
    if v.internal:
        lines.append(f"(internal topics not shown: {', '.join(v.internal)})")
    return "\n".join(lines)


# -- figure ------------------------------------------------------------------------------
@text_twin(cluster_table)
def cluster_figure(cluster: "Cluster", topics: list[str] | None = None, max_partitions: int = 24) -> Any:
    """The cluster map as a matplotlib Figure (see the module docstring for what it shows)."""
    from matplotlib.patches import FancyBboxPatch, Rectangle

    v = cluster_view(cluster, topics, max_partitions)
    nb, nr = len(v.brokers), max(len(v.partitions), 1)
    fig = new_figure(1.9 + 0.34 * nr)
    ax = fig.add_subplot()
    ax.set_axis_off()
    top = 0.0                                  # rows go down from here
    ax.add_patch(FancyBboxPatch((-0.45, 1.45), nb - 0.1, 0.55, boxstyle="round,pad=0.02",
                                facecolor=PALETTE["panel"], edgecolor=PALETTE["controller"]))
    live = f"live brokers: {', '.join(f'b{b}' for b in v.live) or 'none'}"
    ax.text((nb - 1) / 2, 1.72, f"quorum: {' · '.join(v.quorum)}   ({live})" if v.quorum else f"controller   ({live})",
            ha="center", va="center", fontsize=9 if not v.quorum else 8, color=PALETTE["controller"])
    for i, b in enumerate(v.brokers):
        colour = PALETTE["broker_up"] if b.alive else PALETTE["broker_down"]
        state = ("up" if b.alive else "DOWN") + (", fenced" if b.fenced else "")
        ax.add_patch(FancyBboxPatch((i - 0.42, -nr * 0.8 - 0.1), 0.84, nr * 0.8 + 1.25,
                                    boxstyle="round,pad=0.02", facecolor=PALETTE["panel_up" if b.alive else "panel_down"],
                                    edgecolor=colour, linewidth=1.5))
        ax.text(i, 0.85, f"b{b.id}", ha="center", va="center", fontsize=11, fontweight="bold", color=colour)
        ax.text(i, 0.45, state, ha="center", va="center", fontsize=8, color=colour)
    for j, r in enumerate(v.partitions):
        y = top - j * 0.8 - 0.4
        label = f"{r.topic}-{r.partition}" + ("  OFFLINE" if r.offline else f"  epoch {r.leader_epoch}")
        ax.text(-0.52, y, label, ha="right", va="center", fontsize=8.5,
                color=PALETTE["broker_down"] if r.offline else "black",
                fontweight="bold" if r.offline else "normal")
        for i, b in enumerate(v.brokers):
            c = r.cell(b.id)
            if c is None:
                continue
            fill, edge, style, text, tcol = _replica_style(c)
            ax.add_patch(Rectangle((i - 0.34, y - 0.28), 0.68, 0.56, facecolor=fill, edgecolor=edge,
                                   linestyle=style, linewidth=1.3 if r.offline else 1.0))
            ax.text(i, y, text, ha="center", va="center", fontsize=8, color=tcol,
                    fontweight="bold" if c.leader and c.alive else "normal")
    notes = ([f"{v.hidden} more partitions not shown"] if v.hidden else []) + \
        ([f"internal topics not shown: {', '.join(v.internal)}"] if v.internal else [])
    if notes:
        ax.text((nb - 1) / 2, top - nr * 0.8 - 0.2, "; ".join(notes), ha="center", va="top", fontsize=8,
                style="italic", color=PALETTE["note"])
    ax.set_xlim(-1.6, nb - 0.4)
    ax.set_ylim(top - nr * 0.8 - 0.6, 2.1)
    fig.legend(handles=[patch(PALETTE["leader"], "leader"), patch(PALETTE["follower"], "follower in ISR"),
                        patch(PALETTE["out_of_isr"], "follower not in ISR", linestyle="--"),
                        patch(PALETTE["offline"], "replica on a down broker")],
               loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return fig


def _replica_style(c: ReplicaCell) -> tuple[str, str, str, str, str]:
    """(fill, edge colour, edge style, label, label colour) of one replica box."""
    if not c.alive:
        return PALETTE["offline"], PALETTE["edge"], "-" if c.in_isr else "--", \
            ("leader" if c.leader else "ELR" if c.in_elr else "replica") + " (down)", PALETTE["dark_text"]
    if c.leader:
        return PALETTE["leader"], PALETTE["edge"], "-", "leader", "white"
    if c.in_isr:
        return PALETTE["follower"], PALETTE["edge"], "-", "follower", "black"
    return PALETTE["out_of_isr"], PALETTE["edge"], "--", "ELR" if c.in_elr else "not in ISR", "black"
