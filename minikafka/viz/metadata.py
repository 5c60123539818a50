"""The metadata log as a table and as a picture: the records the active controller wrote to
`__cluster_metadata`, the log every controller and broker replicates and applies (KRaft;
controller/quorum_controller.py, raft/).

Rules:
- One line per record: its offset, the leader epoch it was written in, and what it says, in
  Kafka's record names (RegisterBrokerRecord, PartitionChangeRecord, ...). The control record a
  new quorum leader writes first (LeaderChange) is shown too: it is what commits an election.
- `last` records from the end (the log grows by a NoOpRecord every
  `metadata.max.idle.interval.ms`; `noops=False` leaves them out); a marker counts those not shown.
- The log is the active controller's, or the named controller's.
- The picture (`metadata_log_figure`) has one row per node: the voters (c1..cM, with their role)
  and the brokers (observers). A voter's row holds the records in its log, with its high
  watermark; a broker's row holds what it has fetched, the records it has applied filled in,
  the rest pale. Cells are coloured by what the record is about (brokers, topics and
  partitions, the quorum's own control records, NoOps, the rest), over the last `last`
  offsets; `metadata_log_view` gathers the same data for tests and the text twin.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka.cluster_args import check_bool, check_int
from minikafka.viz._style import PALETTE, new_figure, patch, text_twin

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


def _describe(value: Any) -> str:
    kind = type(value).__name__
    fields = getattr(value, "__dataclass_fields__", None)
    if not fields:
        return kind
    shown = []
    for name in fields:
        v = getattr(value, name)
        if v is None or v == "" or (name == "voters"):
            continue
        shown.append(f"{name}={list(v) if isinstance(v, tuple) else v}")
    return f"{kind} " + " ".join(shown)


def metadata_log_table(cluster: "Cluster", last: int = 12, controller: int | None = None,
                       noops: bool = True, width: int = 100) -> str:
    """The last `last` records of the metadata log, one per line."""
    check_int("last", last, 1)
    check_bool("noops", noops)
    ctl = cluster.controller if controller is None else cluster._controller_by_id(controller)
    rows = []
    for batch in ctl.storage.log.batches:
        for i, rec in enumerate(batch.records):
            text = _describe(rec.value)
            if not noops and text == "NoOpRecord":
                continue
            rows.append((batch.base_offset + i, batch.leader_epoch, text))
    hidden = max(len(rows) - last, 0)
    lines = [f"metadata log of {ctl.name} (high watermark {ctl.raft.hw}):", f"{'offset':>6} {'epoch':>5}  record"]
    if hidden:
        lines.append(f"{'':>6} {'':>5}  ({hidden} earlier records not shown)")
    for offset, epoch, text in rows[hidden:]:
        line = f"{offset:>6} {epoch:>5}  {text}"
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            if cut <= 14:
                break
            lines.append(line[:cut])
            line = " " * 14 + line[cut + 1:]
        lines.append(line)
    return "\n".join(lines)


# -- the picture --------------------------------------------------------------------------------
KINDS = {"RegisterBrokerRecord": ("broker", "Reg"), "BrokerRegistrationChangeRecord": ("broker", "Brk"),
         "TopicRecord": ("topic", "Top"), "PartitionRecord": ("topic", "Part"),
         "PartitionChangeRecord": ("topic", "PChg"), "ConfigRecord": ("topic", "Cfg"),
         "ClearElrRecord": ("topic", "Elr"), "RemoveTopicRecord": ("topic", "Rm"),
         "NoOpRecord": ("noop", "NoOp"), "FeatureLevelRecord": ("other", "Feat"),
         "ProducerIdsRecord": ("other", "PIDs"), "GroupConfigRecord": ("other", "GCfg")}
FILL = {"broker": PALETTE["broker_up"], "topic": PALETTE["leader"], "control": PALETTE["controller"],
        "noop": PALETTE["faint"], "other": PALETTE["follower"]}


@dataclass(frozen=True)
class MetadataRow:
    node: str               # "c1", "b2"
    label: str              # "c1 leader (active)", "b2 applied 37"
    alive: bool
    cells: tuple[tuple[int, str, str], ...]     # (offset, kind, short name) of the records it holds
    end: int                # one past its last record
    mark: int               # a voter's high watermark; a broker's last applied offset + 1


def metadata_log_view(cluster: "Cluster", last: int = 30) -> tuple[int, int, tuple[MetadataRow, ...]]:
    """(first offset shown, one past the last, one row per controller then per broker)."""
    check_int("last", last, 1)
    nodes = [(f"c{i}", ctl, ctl.storage.log) for i, ctl in sorted(cluster.controllers.items())]
    nodes += [(f"b{i}", b, b.metadata_storage.log) for i, b in sorted(cluster.brokers.items())]
    end = max(log.log_end_offset for _, _, log in nodes)
    start = max(end - last, 0)
    rows = []
    for name, node, log in nodes:
        cells = []
        for batch in log.batches:
            if batch.next_offset <= start:
                continue
            for i, rec in enumerate(batch.records):
                offset = batch.base_offset + i
                if offset >= start:
                    kind, short = ("control", "LC") if batch.control else KINDS.get(type(rec.value).__name__,
                                                                                    ("other", "?"))
                    cells.append((offset, kind, short))
        if name.startswith("c"):
            role = node.raft.quorum.role if node.alive else "DOWN"
            mark = node.raft.hw
            label = f"{name} {role}" + (" (active)" if node.alive and node.active else "")
        else:
            mark = node.image.offset + 1
            label = f"{name} applied {node.image.offset}" if node.alive else f"{name} DOWN"
        rows.append(MetadataRow(name, label, node.alive, tuple(cells), log.log_end_offset, mark))
    return start, end, tuple(rows)


@text_twin(metadata_log_table)
def metadata_log_figure(cluster: "Cluster", last: int = 30) -> Any:
    """The metadata log of every node as a matplotlib Figure (see the module docstring)."""
    from matplotlib.patches import Rectangle

    start, end, rows = metadata_log_view(cluster, last)
    width = max(end - start, 8)
    fig = new_figure(1.2 + 0.42 * len(rows))
    ax = fig.add_subplot()
    for j, r in enumerate(rows):
        y = -j * 0.7
        ax.add_patch(Rectangle((start, y), width, 0.5, facecolor="none", edgecolor=PALETTE["faint"],
                               linestyle=":", linewidth=0.8))
        for offset, kind, short in r.cells:
            applied = offset < r.mark
            fill = FILL[kind] if applied and r.alive else PALETTE["uncommitted"] if r.alive else PALETTE["offline"]
            ax.add_patch(Rectangle((offset, y), 1, 0.5, facecolor=fill, edgecolor=PALETTE["edge"], linewidth=0.4))
            if width <= 40:
                ax.text(offset + 0.5, y + 0.25, short, ha="center", va="center", fontsize=5.5,
                        color="white" if applied and kind in ("broker", "topic", "control") else "black")
        if start <= r.mark <= start + width:
            ax.plot([r.mark, r.mark], [y - 0.08, y + 0.58], color=PALETTE["hw"], linewidth=2)
    ax.set_xlim(start - 0.3, start + width + 0.5)
    ax.set_ylim(-(len(rows) - 1) * 0.7 - 0.3, 0.75)
    ax.set_yticks([-j * 0.7 + 0.25 for j in range(len(rows))], [r.label for r in rows], fontsize=8.5)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    shown = f"offsets {start} to {end - 1}" if end > start else "empty"
    ax.set_title(f"__cluster_metadata, {shown}: blue line = a voter's high watermark, a broker's applied end",
                 fontsize=9.5, loc="left")
    fig.legend(handles=[patch(FILL["broker"], "brokers"), patch(FILL["topic"], "topics and partitions"),
                        patch(FILL["control"], "quorum control (LeaderChange)"), patch(FILL["noop"], "NoOp"),
                        patch(FILL["other"], "features, producer ids"),
                        patch(PALETTE["uncommitted"], "not yet committed / applied")],
               loc="outside lower center", ncol=6, fontsize=7.5, frameon=False)
    return fig

