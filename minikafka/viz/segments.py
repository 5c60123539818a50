"""A partition's log segments, replica by replica, and its retention over virtual time.

What the segments picture shows (one strip per replica, in assignment order; x axis: offsets):
- a box per segment spanning its offsets [base, end), labelled with its base offset (and its
  size when there is room); the active segment dark, rolled ones pale, segments wholly below
  the cleaner point (compaction) green, segments in the remote tier (tiered storage) hatched;
- offsets below each replica's log start as a grey "deleted" zone, back to offset 0, or as a
  short labelled stub when that zone would take more than half the axis. A segment whose
  records all lie below the log start but which retention has not deleted yet is drawn grey
  with a dashed edge ("below log start"); the part of a segment below the log start is greyed;
- markers under each strip for the log start, the high watermark (HW), the log end offset
  (LEO) and the cleaner point (when the log is compacted); close ones share a label;
- at most `max_segments` segments per replica (the newest): the older ones are counted.

What the retention timeline shows (`retention_timeline` runs the cluster to take it):
- the leader's log start and LEO as step lines over virtual time, the retained offsets shaded
  between them, and the segment count on a second axis.

`segments_view` gathers the data once; `segments_table` and `segments_figure` both draw from it.
`timeline_table` and `timeline_figure` draw from a `Timeline`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from minikafka.cluster_args import check_int
from minikafka.cluster_storage import SegmentView
from minikafka.controller.election import NO_LEADER
from minikafka.viz._style import PALETTE, hang, new_figure, patch, table, text_twin

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

BELOW = "below log start"
MAX_STEPS = 10_000              # retention_timeline: samples at most this many steps


@dataclass(frozen=True)
class ReplicaSegments:
    """One replica's log as its segments."""

    broker: int
    role: str                       # "leader", "follower", "offline" (broker down) or "none"
    in_isr: bool
    log_start: int
    hw: int
    leo: int
    cleaner_point: int | None       # offsets below it are clean (compacted logs only)
    segments: tuple[SegmentView, ...]

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)


@dataclass(frozen=True)
class SegmentsView:
    topic: str
    partition: int
    leader: int
    replicas: tuple[ReplicaSegments, ...]
    now: int = 0                    # virtual time (ms) of the snapshot
    config: str = ""                # the leader's segment and retention settings, as text


def segment_tag(s: SegmentView, r: ReplicaSegments) -> str:
    """remote, active, below log start, clean or rolled (the first that applies)."""
    if s.where == "remote":
        return "remote"
    if s.active:
        return "active"
    if s.end_offset <= r.log_start:
        return BELOW
    if r.cleaner_point is not None and s.end_offset <= r.cleaner_point:
        return "clean"
    return "rolled"


def _config_text(replica: Any) -> str:
    cfg = getattr(replica, "log_config", None)
    if cfg is None:
        return ""
    policy = ",".join(p for p in ("compact", "delete") if getattr(cfg, p, False)) or "none"
    return (f"segment.bytes={cfg.segment_bytes} retention.ms={cfg.retention_ms} "
            f"retention.bytes={cfg.retention_bytes} cleanup.policy={policy}")


def segments_view(cluster: "Cluster", topic: str, partition: int) -> SegmentsView:
    """Every replica's segments, role, log start, HW, LEO and cleaner point, read from
    `cluster` (a snapshot: nothing is changed, time does not move)."""
    state = cluster.partition_state(topic, partition)
    segs = cluster.segments(topic, partition)
    rows = []
    config = ""
    for rv in state.replicas:
        replica = cluster.brokers[rv.broker].replicas.get((topic, partition))
        if replica is None:
            rows.append(ReplicaSegments(rv.broker, rv.role, rv.in_isr, 0, 0, 0, None, ()))
            continue
        rows.append(ReplicaSegments(rv.broker, rv.role, rv.in_isr, rv.log_start, rv.hw, rv.leo,
                                    _cleaner_point(replica), tuple(segs.get(rv.broker, ()))))
        if not config or rv.broker == state.leader:
            config = _config_text(replica)
    return SegmentsView(topic, partition, state.leader, tuple(rows), cluster.now, config)


def _cleaner_point(replica: Any) -> int | None:
    """The cleaner's checkpoint of a compacted log (`cleanup.policy` with compact): offsets
    below it are clean. None for a log that is not compacted (its checkpoint means nothing)."""
    point = getattr(replica.log, "cleaner_checkpoint", None)
    compacted = getattr(getattr(replica, "log_config", None), "compact", False)
    return point if compacted and isinstance(point, int) else None


def _as_view(source: Any, topic: Any, partition: Any) -> SegmentsView:
    if isinstance(source, SegmentsView):
        if topic is not None or partition is not None:
            raise TypeError("topic and partition go with a cluster; a SegmentsView already names them")
        return source
    from minikafka.cluster import Cluster
    if not isinstance(source, Cluster):
        raise TypeError(f"expected a SegmentsView or a Cluster, got {source!r}")
    return segments_view(source, topic, partition)


# -- text ------------------------------------------------------------------------------
def _heading(v: SegmentsView) -> str:
    leader = "none (OFFLINE)" if v.leader == NO_LEADER else f"broker {v.leader}"
    return f"{v.topic}-{v.partition} at t={v.now} ms: leader {leader}"


def _replica_line(r: ReplicaSegments) -> str:
    if r.role == "none" and not r.segments:
        return f"broker {r.broker} ({r.role}): no replica yet"
    isr = "" if r.in_isr else ", not in ISR"
    point = f", cleaner point {r.cleaner_point}" if r.cleaner_point is not None else ""
    return (f"broker {r.broker} ({r.role}{isr}): log start {r.log_start}, HW {r.hw}, LEO {r.leo}{point}; "
            f"{_count(len(r.segments))}, {r.size} B")


def _count(n: int) -> str:
    return f"{n} segment" + ("" if n == 1 else "s")


def _older(hidden: tuple[SegmentView, ...]) -> str:
    return (f"({len(hidden)} older segments [{hidden[0].base_offset}..{hidden[-1].end_offset}), "
            f"{sum(s.size for s in hidden)} B, not shown)")


def segments_table(source: "SegmentsView | Cluster", topic: str | None = None, partition: int | None = None,
                   width: int = 100, max_segments: int = 40) -> str:
    """The segments as text: a heading (time, leader, settings), then per replica its log start,
    HW and LEO and one line per segment: base offset, end offset (exclusive), size in bytes, the
    newest record's timestamp in ms (`-`: none yet) and a tag: active, rolled, remote, clean
    (wholly below the cleaner point) or "below log start" (not readable, waiting for a retention
    pass to delete it). `source` is a SegmentsView, or a Cluster with `topic` and `partition`.
    A replica with more than `max_segments` segments shows its newest ones."""
    check_int("width", width, 60)
    check_int("max_segments", max_segments, 1)
    v = _as_view(source, topic, partition)
    lines = hang("", _heading(v), width) + (hang("settings: ", v.config, width) if v.config else [])
    for r in v.replicas:
        lines += hang("", _replica_line(r), width)
        hidden, shown = r.segments[:-max_segments], r.segments[-max_segments:]
        if hidden:
            lines += hang("  ", _older(hidden), width)
        rows = [[str(s.base_offset), str(s.end_offset), str(s.size),
                 str(s.largest_timestamp) if s.largest_timestamp >= 0 else "-", segment_tag(s, r)] for s in shown]
        if rows:
            lines += ["  " + x for x in table(["base", "end", "bytes", "newest record (ms)", "segment"], rows,
                                              right={0, 1, 2, 3}, width=width - 2)]
    return "\n".join(lines)


# -- figure ------------------------------------------------------------------------------
_ROW = 1.0          # vertical distance between strips (data units)
_H = 0.5            # box height
_AXIS_PT = 520.0    # about how wide the axes are at the notebook width (points)
_CHAR_PT = 4.4      # about how wide a character of a 7 pt bold label is (points)
_FILL = {"active": PALETTE["segment_active"], "rolled": PALETTE["segment_rolled"],
         "clean": PALETTE["segment_clean"], "remote": PALETTE["segment_remote"], BELOW: PALETTE["deleted"]}
_LEGEND = {"rolled": "rolled segment", "active": "active segment (takes appends)",
           "clean": "clean (below the cleaner point)", "remote": "remote tier",
           BELOW: "below log start, not yet deleted"}


@dataclass(frozen=True)
class _Frame:
    x0: float           # left edge of the axis
    x1: float           # right edge
    first: int          # the first offset drawn in full (segments start here)
    stub: str           # "" (the axis starts at 0), "deleted" or "older" (a stub left of `first`)
    ppu: float          # points per offset, about


def _frame(v: SegmentsView, max_segments: int) -> _Frame:
    logs = [r for r in v.replicas if r.segments or r.leo]
    end = max([r.leo for r in logs] + [s.end_offset for r in logs for s in r.segments] + [1])
    shown = [r.segments[-max_segments:] for r in logs if r.segments]
    first = min([s[0].base_offset for s in shown] + [end])
    older = any(len(r.segments) > max_segments for r in logs)
    if not older:
        first = min([first] + [r.log_start for r in logs])
    span = max(end - first, 8)
    if not older and first <= span:
        x0, first, stub = 0.0, 0, ""
        span = max(end, 8)
    else:
        x0, stub = first - 0.14 * span, "older" if older else "deleted"
    x1 = first + span * 1.04
    return _Frame(x0, x1, first, stub, _AXIS_PT / (x1 - x0))


@text_twin(segments_table)
def segments_figure(source: "SegmentsView | Cluster", topic: str | None = None, partition: int | None = None,
                    max_segments: int = 20) -> Any:
    """The segments as a matplotlib Figure (see the module docstring); `source` as for `segments_table`."""
    from matplotlib.ticker import MaxNLocator

    check_int("max_segments", max_segments, 1)
    v = _as_view(source, topic, partition)
    f = _frame(v, max_segments)
    n = len(v.replicas)
    fig = new_figure(1.5 + 0.9 * n)
    ax = fig.add_subplot()
    tags: set[str] = set()
    for i, r in enumerate(v.replicas):
        y = -i * _ROW
        shown = r.segments[-max_segments:]
        _draw_zone(ax, r, y, f, len(r.segments) - len(shown))
        local = [(x.base_offset, x.end_offset) for x in shown if x.where != "remote"]
        for s in shown:
            tag = segment_tag(s, r)
            tags.add(tag)
            if tag == "remote" and any(lo < s.end_offset and s.base_offset < hi for lo, hi in local):
                from matplotlib.patches import Rectangle    # still on local disk too: a band under its box
                ax.add_patch(Rectangle((s.base_offset, y - 0.16), s.end_offset - s.base_offset, 0.12, hatch="///",
                                       facecolor=_FILL["remote"], edgecolor=PALETTE["edge"], linewidth=0.5))
            else:
                _draw_segment(ax, s, tag, r, y, f)
        if not r.segments:
            ax.text((f.first + f.x1) / 2, y + _H / 2, "no replica yet" if r.role == "none" else "no segments",
                    ha="center", va="center", fontsize=8, style="italic", color=PALETTE["note"])
            continue
        if r.leo <= r.log_start:
            ax.text((f.first + f.x1) / 2, y + _H / 2, "empty log" if r.leo == 0 else "no records retained",
                    ha="center", va="center", fontsize=8, style="italic", color=PALETTE["note"], zorder=4)
        _draw_markers(ax, r, y, f)
    ax.set_xlim(f.x0, f.x1)
    ax.set_ylim(-(n - 1) * _ROW - 0.5, _H + 0.12)
    ax.set_yticks([-i * _ROW + _H / 2 for i in range(n)], [_row_label(r) for r in v.replicas], fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    ax.set_xticks([t for t in ax.get_xticks() if t >= max(f.first, 0) and t <= f.x1])
    ax.tick_params(axis="x", labelsize=8, colors=PALETTE["note"])
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("offset", fontsize=8, color=PALETTE["note"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(PALETTE["guide"])
    ax.set_title(f"{v.topic}-{v.partition}: segments of each replica at t={v.now} ms"
                 + (f"\n{v.config}" if v.config else ""), fontsize=10, loc="left",
                 color=PALETTE["broker_down"] if v.leader == NO_LEADER else "black")
    handles = [patch(_FILL[t], _LEGEND[t], hatch="///" if t == "remote" else None,
                     linestyle="--" if t == BELOW else "-") for t in _LEGEND if t in tags]
    if any(r.log_start > 0 for r in v.replicas):
        handles.append(patch(PALETTE["deleted"], "deleted (below log start)", edgecolor="none"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles) if len(handles) <= 4
                   else -(-len(handles) // 2), fontsize=8, frameon=False)
    return fig


def _draw_zone(ax: Any, r: ReplicaSegments, y: float, f: _Frame, hidden: int) -> None:
    """The deleted zone left of the log start, or the stub for older segments not drawn."""
    from matplotlib.patches import Rectangle

    shown_first = r.segments[hidden].base_offset if len(r.segments) > hidden else f.first
    if hidden:
        ax.add_patch(Rectangle((f.x0, y), shown_first - f.x0, _H, facecolor="none", edgecolor=PALETTE["frame"],
                               linestyle=":", linewidth=0.8))
        ax.text((f.x0 + f.first) / 2, y + _H / 2, f"{hidden} older\nnot drawn", ha="center", va="center",
                fontsize=7, color=PALETTE["note"], linespacing=1.0)
    top = r.log_start
    if top <= f.x0 or (hidden and top <= shown_first):
        return
    ax.add_patch(Rectangle((f.x0, y), top - f.x0, _H, facecolor=PALETTE["deleted"], edgecolor="none", zorder=1))
    free = min(top, r.segments[0].base_offset if r.segments else top, f.first if f.stub else top)
    if not hidden and (free - f.x0) * f.ppu >= 40:
        ax.text((f.x0 + free) / 2, y + _H / 2, f"deleted\n0..{top - 1}", ha="center", va="center", fontsize=7,
                color=PALETTE["dark_text"], linespacing=1.0, zorder=4)


def _draw_segment(ax: Any, s: SegmentView, tag: str, r: ReplicaSegments, y: float, f: _Frame) -> None:
    from matplotlib.patches import Rectangle

    width = max(s.end_offset - s.base_offset, 0)
    draw_w = max(width, 2.5 / f.ppu)                 # an empty segment still shows as a sliver
    ax.add_patch(Rectangle((s.base_offset, y), draw_w, _H, facecolor=_FILL[tag], edgecolor=PALETTE["edge"],
                           linewidth=1.6 if tag == "active" else 0.7, linestyle="--" if tag == BELOW else "-",
                           hatch="///" if tag == "remote" else None, zorder=2, gid="segment"))
    if tag not in (BELOW, "remote") and s.base_offset < r.log_start < s.end_offset:
        ax.add_patch(Rectangle((s.base_offset, y), r.log_start - s.base_offset, _H, facecolor=PALETTE["deleted"],
                               edgecolor="none", alpha=0.85, zorder=2.5))
    box_pt = draw_w * f.ppu
    label = str(s.base_offset)
    colour = "white" if tag == "active" else "black"
    back = dict(boxstyle="round,pad=0.1", facecolor=_FILL[tag], edgecolor="none") if tag == "remote" else None
    x = s.base_offset + draw_w / 2
    if box_pt >= len(label) * 4.3 + 4:
        size = f"{s.size} B"
        two = box_pt >= len(size) * 3.8 + 4
        ax.text(x, y + _H * (0.66 if two else 0.5), label, ha="center", va="center", fontsize=7.5, color=colour,
                zorder=4, bbox=back)
        if two:
            ax.text(x, y + _H * 0.28, size, ha="center", va="center", fontsize=6.5, color=colour, zorder=4,
                    bbox=back)
    elif box_pt >= 7:
        ax.text(x, y + _H / 2, label, ha="center", va="center", fontsize=6.5, color=colour, rotation=90,
                zorder=4, bbox=back)


def _draw_markers(ax: Any, r: ReplicaSegments, y: float, f: _Frame) -> None:
    """Log start, HW, LEO and cleaner point as ticks under the strip. Markers at (about) the same
    offset share one label; labels are laid out left to right on two lines so none overlaps;
    markers left of the axis are named at its left edge."""
    markers = [("log start", r.log_start, "log_start"), ("HW", r.hw, "hw"), ("LEO", r.leo, "leo")]
    if r.cleaner_point is not None:
        markers.append(("cleaner", r.cleaner_point, "cleaner"))
    markers.sort(key=lambda m: m[1])
    left = [m for m in markers if m[1] < f.first and f.stub]
    ends = [-99.0, -99.0]               # right end (points from the axis' left edge) of each label line
    if left:
        text = "\u2190 " + ", ".join(f"{name} {off}" for name, off, _ in left)
        ax.text(f.x0, y - 0.13, text, ha="left", va="top", fontsize=7, fontweight="bold",
                color=PALETTE[left[0][2]])
        ends[0] = len(text) * _CHAR_PT
    groups: list[list[tuple[str, int, str]]] = []
    for m in markers:
        if m in left:
            continue
        ax.plot([m[1], m[1]], [y - 0.1, y + _H + 0.06], color=PALETTE[m[2]], linewidth=1.6,
                solid_capstyle="butt", zorder=5)
        if groups and (m[1] - groups[-1][-1][1]) * f.ppu < 6:
            groups[-1].append(m)
        else:
            groups.append([m])
    room = (f.x1 - f.x0) * f.ppu
    for g in groups:
        text = ("/".join(name for name, _, _ in g) + f" {g[0][1]}" if len({off for _, off, _ in g}) == 1
                else ", ".join(f"{name} {off}" for name, off, _ in g))
        w = len(text) * _CHAR_PT
        want = min(max(((g[0][1] + g[-1][1]) / 2 - f.x0) * f.ppu - w / 2, 0.0), room - w)
        line = next((i for i in (0, 1) if max(want, ends[i] + 8) + w <= room + 12), 1)
        start = max(want, ends[line] + 8)
        ends[line] = start + w
        ax.text(f.x0 + start / f.ppu, y - 0.13 - 0.17 * line, text, ha="left", va="top", fontsize=7,
                color=PALETTE[g[0][2]], fontweight="bold")


def _row_label(r: ReplicaSegments) -> str:
    if r.role == "none" and not r.segments:
        return f"b{r.broker}  no replica"
    role = "OFFLINE" if r.role == "offline" else r.role
    return f"b{r.broker}  {role}\n{_count(len(r.segments))}, {r.size} B"


# -- retention over time ------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """The leader's log at one moment (-1 everywhere but the time when there is no leader)."""

    time: int               # virtual ms
    leader: int
    log_start: int
    hw: int
    leo: int
    segments: int
    size: int               # bytes


@dataclass(frozen=True)
class Timeline:
    topic: str
    partition: int
    every_ms: int
    samples: tuple[Sample, ...]


def _sample(cluster: "Cluster", topic: str, partition: int) -> Sample:
    st = cluster.partition_state(topic, partition)
    replica = cluster.brokers[st.leader].replicas.get((topic, partition)) if st.leader != NO_LEADER else None
    if replica is None:
        return Sample(cluster.now, NO_LEADER, -1, -1, -1, 0, 0)
    log = replica.log
    return Sample(cluster.now, st.leader, log.log_start_offset, replica.hw, log.log_end_offset, len(log.segments),
                  log.size_in_bytes())


def retention_timeline(cluster: "Cluster", topic: str, partition: int, duration_ms: int, every_ms: int,
                       each_step: Callable[["Cluster"], Any] | None = None) -> Timeline:
    """RUNS THE CLUSTER (the only function here that does): advances virtual time by
    `duration_ms`, in steps of `every_ms` (the last step shorter when it does not divide), and
    samples the leader's log start, HW, LEO, segment count and size in bytes before the first
    step and after each one. `each_step(cluster)`, when given, runs before each step (to produce
    records while retention deletes old ones). At most 10,000 steps."""
    cluster.partition_state(topic, partition)
    check_int("duration_ms", duration_ms, 0, unit="ms")
    check_int("every_ms", every_ms, 1, unit="ms")
    if -(-duration_ms // every_ms) > MAX_STEPS:
        raise ValueError(f"duration_ms / every_ms must be at most {MAX_STEPS} steps, "
                         f"got {duration_ms} / {every_ms}")
    if each_step is not None and not callable(each_step):
        raise TypeError(f"each_step must be a function of the cluster or None, got {each_step!r}")
    samples = [_sample(cluster, topic, partition)]
    left = duration_ms
    while left > 0:
        if each_step is not None:
            each_step(cluster)
        step = min(every_ms, left)
        cluster.run(step)
        left -= step
        samples.append(_sample(cluster, topic, partition))
    return Timeline(topic, partition, every_ms, tuple(samples))


def _check_timeline(timeline: Any) -> Timeline:
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline (from retention_timeline), got {timeline!r}")
    return timeline


def timeline_table(timeline: Timeline, width: int = 100, max_rows: int = 40) -> str:
    """The timeline as text: one row per sample (time, leader, log start, HW, LEO, records
    retained = LEO - log start, segments, bytes); with more than `max_rows` samples every k-th
    one and the last."""
    tl = _check_timeline(timeline)
    check_int("width", width, 60)
    check_int("max_rows", max_rows, 2)
    s = tl.samples
    k = -(-len(s) // max_rows) if len(s) > max_rows else 1
    picked = [x for i, x in enumerate(s) if i % k == 0 or i == len(s) - 1]
    head = f"{tl.topic}-{tl.partition}: the leader's log every {tl.every_ms} ms"
    if s:
        head += f", t={s[0].time}..{s[-1].time} ms ({len(s)} sample{'' if len(s) == 1 else 's'})"
    lines = hang("", head if s else head + ": no samples", width)
    rows = [[str(x.time), "none" if x.leader == NO_LEADER else str(x.leader)]
            + (["-"] * 6 if x.leader == NO_LEADER else
               [str(x.log_start), str(x.hw), str(x.leo), str(x.leo - x.log_start), str(x.segments), str(x.size)])
            for x in picked]
    if rows:
        lines += table(["t (ms)", "leader", "log start", "HW", "LEO", "retained", "segments", "bytes"], rows,
                       right=set(range(8)), width=width)
    if k > 1:
        lines.append(f"(one sample in {k} shown, and the last)")
    return "\n".join(lines)


@text_twin(timeline_table)
def timeline_figure(timeline: Timeline) -> Any:
    """The timeline as a matplotlib Figure: log start and LEO as step lines over virtual time
    (seconds), the retained offsets shaded between them, the segment count on a second axis."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    tl = _check_timeline(timeline)
    nan = float("nan")
    ok = [x.leader != NO_LEADER for x in tl.samples]
    t = [x.time / 1000 for x in tl.samples]
    start = [x.log_start if good else nan for x, good in zip(tl.samples, ok, strict=True)]
    leo = [x.leo if good else nan for x, good in zip(tl.samples, ok, strict=True)]
    count = [x.segments if good else nan for x, good in zip(tl.samples, ok, strict=True)]
    fig = new_figure(3.6)
    ax = fig.add_subplot()
    ax.fill_between(t, start, leo, step="post", color=PALETTE["segment_rolled"], alpha=0.6, linewidth=0)
    ax.step(t, leo, where="post", color=PALETTE["leo"], linewidth=1.8)
    ax.step(t, start, where="post", color=PALETTE["log_start"], linewidth=1.8)
    ax.set_xlabel("virtual time (s)", fontsize=9)
    ax.set_ylabel("offset", fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", color=PALETTE["faint"], linewidth=0.6)
    ax.set_ylim(bottom=0)
    if t:
        ax.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
    twin = ax.twinx()
    twin.step(t, count, where="post", color=PALETTE["segment_count"], linewidth=1.2, linestyle="--")
    twin.set_ylabel("segments", fontsize=9, color=PALETTE["segment_count"])
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin.set_ylim(0, max([c for c, good in zip(count, ok, strict=True) if good] + [1]) * 1.15 + 0.5)
    twin.tick_params(labelsize=8, colors=PALETTE["segment_count"])
    ax.set_title(f"{tl.topic}-{tl.partition}: the leader's log over virtual time (sampled every {tl.every_ms} ms)",
                 fontsize=10, loc="left")
    handles = [Line2D([], [], color=PALETTE["leo"], linewidth=1.8, label="LEO (log end offset)"),
               Line2D([], [], color=PALETTE["log_start"], linewidth=1.8, label="log start offset"),
               patch(PALETTE["segment_rolled"], "retained offsets", edgecolor="none"),
               Line2D([], [], color=PALETTE["segment_count"], linewidth=1.2, linestyle="--",
                      label="segments (right axis)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return fig
