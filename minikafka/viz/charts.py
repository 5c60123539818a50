"""Charts from plain data: experiment results, partition distributions, a partition's order.

- `experiment_figure(data)`: for each setting, the acknowledged-then-lost records of every
  trial (a dot per trial, a box over them) and how many trials lost anything. `data` maps a
  setting's label to one number per trial, or is a list of `experiments.ExperimentRow`.
- `distribution_figure(counts)`: records per partition, stacked by series (e.g. keyed records
  placed by murmur2, null-key records placed by the sticky partitioner).
- `order_figure(order)`: the records of one partition in offset order against the order they
  were produced in; a record out of place or written twice stands out. Both axes count
  records, so their ticks are whole numbers; the legend lists only the kinds of point drawn.
Each has a text twin; a text twin's lines fit `width` columns (100), wrapped between fields.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from minikafka.clients.producer.partitioner import murmur2, to_positive
from minikafka.cluster_args import check_int, check_ints
from minikafka.viz._style import PALETTE, hang, new_figure, patch, table, text_twin

WIDTH = 100


def _as_data(data: Any) -> dict[str, tuple[int, ...]]:
    if isinstance(data, Mapping):
        return {str(k): tuple(check_ints(f"data[{k!r}]", v)) for k, v in data.items()}
    if not isinstance(data, (list, tuple)) or not all(hasattr(r, "label") and hasattr(r, "lost") for r in data):
        raise TypeError(f"data must be a dict of label -> numbers per trial, or a list of ExperimentRow, got {data!r}")
    return {row.label: tuple(row.lost) for row in data}


def _check_counts(counts: Any) -> None:
    if not isinstance(counts, Mapping):
        raise TypeError(f"counts must be a dict of series name -> records per partition, got {counts!r}")
    for name, values in counts.items():
        check_ints(f"counts[{name!r}]", values)


# -- experiments --------------------------------------------------------------------------
def experiment_table(data: Any, what: str = "acknowledged then lost") -> str:
    """One line per setting: trials, trials that lost records, total and worst trial."""
    d = _as_data(data)
    rows = [[label, str(len(v)), str(sum(1 for x in v if x)), str(sum(v)), str(max(v, default=0))]
            for label, v in d.items()]
    return "\n".join([f"records {what}, per trial:"] + table(
        ["setting", "trials", "trials with loss", "records lost", "worst trial"], rows, right={1, 2, 3, 4}))


@text_twin(experiment_table)
def experiment_figure(data: Any, title: str = "Acknowledged records lost per trial",
                      ylabel: str = "records acknowledged, then lost") -> Any:
    """A box and the individual trials per setting (see the module docstring)."""
    d = _as_data(data)
    fig = new_figure(3.6 + 0.1 * max((len(k) for k in d), default=0) / 4)
    ax = fig.add_subplot()
    labels = list(d)
    top = max([max(v, default=0) for v in d.values()] + [1])
    for i, label in enumerate(labels):
        values = d[label]
        if not values:
            continue
        losing = sum(1 for x in values if x)
        colour = PALETTE["loss"] if losing else PALETTE["no_loss"]
        ax.boxplot([values], positions=[i], widths=0.5, showfliers=False, patch_artist=True,
                   boxprops=dict(facecolor=colour, alpha=0.25, edgecolor=colour),
                   medianprops=dict(color=colour), whiskerprops=dict(color=colour), capprops=dict(color=colour))
        n = len(values)
        # spread the dots sideways by their index, so equal values stay visible (deterministic)
        xs = [i + 0.3 * ((j % 7) - 3) / 7 for j in range(n)]
        ax.scatter(xs, values, s=12, color=colour, alpha=0.8, zorder=3, linewidths=0)
        ax.text(i, top * 1.08 + 0.3, f"lost data in\n{losing}/{n} trials", ha="center", va="bottom",
                fontsize=9, color=colour, fontweight="bold")
    ax.set_xticks(range(len(labels)), [lb.replace(" ", "\n") for lb in labels], fontsize=9)
    ax.set_xlim(-0.6, max(len(labels), 1) - 0.4)
    ax.set_ylim(-0.05 * top - 0.2, top * 1.35 + 1)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not labels:
        ax.text(0.5, 0.5, "no trials yet", transform=ax.transAxes, ha="center", style="italic")
    return fig


# -- partition distribution ------------------------------------------------------------------
def key_table(keys: Sequence[str | bytes], num_partitions: int) -> str:
    """Each key's murmur2 hash and the partition Kafka's default partitioner gives it:
    `toPositive(murmur2(key)) % num_partitions`."""
    check_int("num_partitions", num_partitions, 1)
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, (str, bytes)) for k in keys):
        raise TypeError(f"keys must be a list of keys (str or bytes), got {keys!r}")
    rows = []
    for k in keys:
        raw = k.encode() if isinstance(k, str) else bytes(k)
        h = murmur2(raw)
        rows.append([raw.decode(errors="replace"), str(h), str(to_positive(h)), str(to_positive(h) % num_partitions)])
    return "\n".join(table(["key", "murmur2", "toPositive", f"% {num_partitions} = partition"], rows,
                           right={1, 2, 3}))


def distribution_table(counts: Mapping[str, Sequence[int]]) -> str:
    """Records per partition, one column per series and a total."""
    _check_counts(counts)
    series = list(counts)
    n = max((len(v) for v in counts.values()), default=0)
    rows = []
    for p in range(n):
        cells = [int(counts[s][p]) if p < len(counts[s]) else 0 for s in series]
        rows.append([str(p)] + [str(c) for c in cells] + [str(sum(cells))])
    return "\n".join(table(["partition"] + series + ["total"], rows, right=set(range(len(series) + 2))))


@text_twin(distribution_table)
def distribution_figure(counts: Mapping[str, Sequence[int]], title: str = "Records per partition") -> Any:
    """Stacked bars: records per partition, one colour per series."""
    _check_counts(counts)
    series = list(counts)
    n = max((len(v) for v in counts.values()), default=0)
    colours = [PALETTE["keyed"], PALETTE["sticky"], PALETTE["msg_fetch"], PALETTE["msg_group"]]
    fig = new_figure(3.2)
    ax = fig.add_subplot()
    bottom = [0] * n
    for k, s in enumerate(series):
        values = [int(counts[s][p]) if p < len(counts[s]) else 0 for p in range(n)]
        ax.bar(range(n), values, bottom=bottom, color=colours[k % len(colours)], label=s, width=0.7,
               edgecolor="white")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for p, total in enumerate(bottom):
        ax.text(p, total, str(total), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(n), [str(p) for p in range(n)])
    ax.set_xlabel("partition", fontsize=9)
    ax.set_ylabel("records", fontsize=9)
    ax.set_ylim(0, max(bottom + [1]) * 1.18)
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))        # record counts are whole
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        ax.legend(fontsize=9, frameon=False, loc="upper right")
    return fig


# -- order in a partition --------------------------------------------------------------------
def _order_kinds(order: Sequence[int]) -> list[str]:
    """For each offset: "in_order", "reordered" (written after a later record) or "duplicate"."""
    check_ints("order", order)
    seen: set[int] = set()
    highest = -1
    kinds = []
    for v in order:
        if v in seen:
            kinds.append("duplicate")
        elif v < highest:
            kinds.append("reordered")
        else:
            kinds.append("in_order")
        seen.add(v)
        highest = max(highest, v)
    return kinds


def order_table(order: Sequence[int], width: int = WIDTH) -> str:
    """The partition's records in offset order, `*` after a record written after a later one,
    `+` after a second copy; wrapped between records to `width` columns."""
    check_int("width", width, 40)
    marks = {"in_order": "", "reordered": "*", "duplicate": "+"}
    kinds = _order_kinds(order)
    cells = [f"{v}{marks[k]}" for v, k in zip(order, kinds, strict=True)]
    legend = [text for kind, text in (("reordered", "* = out of order"), ("duplicate", "+ = duplicate"))
              if kind in kinds]
    lines = hang("offsets 0..: ", " ".join(cells) or "(empty)", width,
                 f"  ({', '.join(legend)})" if legend else "")
    return "\n".join(lines)


ORDER_KINDS = (("in_order", "in order"), ("reordered", "out of order"), ("duplicate", "duplicate"))


def order_legend(order: Sequence[int]) -> list[str]:
    """The legend entries of `order_figure`: only the kinds of point it draws."""
    kinds = set(_order_kinds(order))
    return [label for kind, label in ORDER_KINDS if kind in kinds]


@text_twin(order_table)
def order_figure(order: Sequence[int], title: str = "The partition's records, in offset order") -> Any:
    """Produced order (y) against offset (x): a clean run is a rising staircase."""
    from matplotlib.ticker import MaxNLocator

    kinds = _order_kinds(order)
    fig = new_figure(3.0)
    ax = fig.add_subplot()
    n = len(order)
    ax.plot(range(n), list(range(n)), color=PALETTE["guide"], linewidth=1, linestyle="--", zorder=0)
    ax.plot(range(n), list(order), color=PALETTE["frame"], linewidth=0.8, zorder=1)
    for kind, _ in ORDER_KINDS:
        xs = [i for i, k in enumerate(kinds) if k == kind]
        if xs:
            ax.scatter(xs, [order[i] for i in xs], s=28, color=PALETTE[kind], zorder=3)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))       # offsets and record numbers are whole
    ax.set_xlabel("offset in the partition", fontsize=9)
    ax.set_ylabel("record number (send order)", fontsize=9)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    shown = order_legend(order)
    if shown:
        ax.legend(handles=[patch(PALETTE[k], lb) for k, lb in ORDER_KINDS if lb in shown],
                  fontsize=9, frameon=False, loc="upper left")
    if not n:
        ax.text(0.5, 0.5, "empty partition", transform=ax.transAxes, ha="center", style="italic")
    return fig
