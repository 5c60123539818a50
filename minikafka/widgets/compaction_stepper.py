"""`CompactionStepper`: step one compacted partition log through log compaction by hand, with no
cluster: update and delete keys, roll segments, run the real log cleaner one pass at a time, let
tombstones' delete horizons pass.

Rules (kafka-semantics.md P.300-301, P2.317-323):
1. Everything is decided by `compaction_step(state, action) -> (state, message)`, a pure function
   over a `CompactionState`: it never changes the state it is given and returns a new one (or
   the same one, unchanged, when the action is not possible now, with a message saying why).
   The widget only shows the state and passes the clicked button's label to it.
2. The state is one real partition log (storage/log.py `PartitionLog`, each record its own
   batch, timestamped with the clock) and a virtual clock. "update a key" appends a record for
   the next key of a fixed cycle (k1, k2, k3, k4, k1, ...) with a new value (v1, v2, ...);
   "delete a key" appends a tombstone (value None) for the next key of the cycle that has a
   value now (none has: refused).
3. "roll" closes the active segment: the next record starts a new one at the log end offset.
   In Kafka a segment rolls only when an append would take it past `segment.bytes`, or when
   the appended record is more than `segment.ms` newer than the segment's first (P.301): the
   button stands in for that append-time rule, so that you choose where segments end. The
   append rule itself still applies (segment.bytes is `segment_bytes`, 1024 B by default, about
   11 records here, a test-size setting; segment.ms 7 days, Kafka's default), and a message
   says when it rolled a segment. An empty active segment cannot roll.
4. "clean" runs ONE pass of the broker's log cleaner (storage/log_cleaner.py) over this log,
   whatever its dirty ratio: the cleanable range is [cleaner point, active segment's base); every
   rolled segment is rewritten, in groups of at most `segment_bytes`. A record goes when a later
   record of its key lies in the cleanable range (superseded), when it is a tombstone whose
   delete horizon has passed, or when it has no key; a tombstone that stays is stamped with
   horizon = now + `delete.retention.ms`. Offsets never change, so the log has gaps. The active
   segment is never cleaned; with no rolled segment, "clean" is refused.
5. "wait" advances the clock by `delete.retention.ms`, so that a tombstone stamped by an earlier
   pass goes at the next pass. A tombstone's time starts at the first pass that keeps it, not
   when it was written (P2.321).
6. The view shows the dirty ratio (bytes of the dirty rolled segments / bytes of all rolled
   segments, storage/log_cleaner_manager.py) and whether Kafka's cleaner would choose this log
   now: only when the ratio is above `min.cleanable.dirty.ratio` (0.5), strictly (P2.318). A
   passed horizon alone never makes Kafka clean a log.
7. A button whose action is not possible now is marked unavailable (`step_buttons`), its
   tooltip saying why. "reset" starts again with an empty log at t=0.

`compaction_table(state)` is the view as deterministic text, `compaction_figure(state)` the
picture (segments as coloured bands, one cell per offset).
"""
from __future__ import annotations

import copy
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from minikafka import viz
from minikafka.storage.log import PartitionLog
from minikafka.storage.log_cleaner import build_offset_map, clean, delete_horizon
from minikafka.storage.log_cleaner_manager import LogToClean, log_to_clean
from minikafka.storage.log_config import LogConfig
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size
from minikafka.viz._style import PALETTE, hang, new_figure, patch, table, text_twin
from minikafka.widgets._base import _guarded, _pre, _View, _w, set_buttons

TP = ("compacted", 0)
KEYS = ("k1", "k2", "k3", "k4")


class Gone(NamedTuple):
    """An offset a pass removed: what it held, which pass, and why."""

    key: str
    value: str
    clean_pass: int
    why: str


@dataclass
class CompactionState:
    """Everything the lab knows: the log, the clock, and what earlier passes removed."""

    log: PartitionLog
    keys: tuple[str, ...] = KEYS
    segment_bytes: int = 1024               # segment.bytes (appends roll by it; passes regroup by it)
    delete_retention_ms: int = 86_400_000   # delete.retention.ms (Kafka's default, 24 h)
    min_cleanable_ratio: float = 0.5        # min.cleanable.dirty.ratio
    now: int = 0                            # the clock, ms
    next_key: int = 0                       # index of the next key "update" writes
    next_delete: int = 0                    # where "delete" starts looking for a key with a value
    written: int = 0                        # values written so far: the next one is v{written + 1}
    passes: int = 0                         # cleaning passes run
    gone: dict[int, Gone] = field(default_factory=dict)     # offset -> what a pass removed


def new_state(keys: tuple[str, ...] = KEYS, segment_bytes: int = 1024, delete_retention_ms: int = 86_400_000,
              min_cleanable_ratio: float = 0.5) -> CompactionState:
    """An empty compacted log at t=0."""
    log = PartitionLog()
    log.segment_bytes = segment_bytes
    return CompactionState(log, tuple(keys), segment_bytes, delete_retention_ms, min_cleanable_ratio)


def duration(ms: int) -> str:
    """ms in the largest whole unit: 86400000 -> "24 h", 90000 -> "90 s", 0 -> "0 s"."""
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms % size == 0 and (ms or unit == "s"):
            return f"{ms // size} {unit}"
    return f"{ms} ms"


def actions(state: CompactionState) -> list[str]:
    """Every action's label, in the order of the buttons."""
    return ["update a key", "delete a key", "roll", "clean", f"wait {duration(state.delete_retention_ms)}", "reset"]


def config(s: CompactionState) -> LogConfig:
    return LogConfig({"segment.bytes": s.segment_bytes, "segment.ms": s.log.segment_ms, "segment.jitter.ms": 0,
                      "retention.ms": -1, "retention.bytes": -1, "cleanup.policy": ("compact",),
                      "delete.retention.ms": s.delete_retention_ms,
                      "min.cleanable.dirty.ratio": s.min_cleanable_ratio})


def to_clean(s: CompactionState) -> LogToClean:
    """What Kafka's cleaner manager sees in this log now (the LSO is the log end: no transactions)."""
    return log_to_clean(TP, s.log, s.log.log_end_offset, s.now, config(s))


def records(log: PartitionLog) -> list[tuple[int, str, str | None, int]]:
    """(offset, key, value or None for a tombstone, delete horizon or -1) of every record."""
    return [(b.base_offset + i, _text(r.key), None if r.value is None else _text(r.value), delete_horizon(b))
            for b in log.batches for i, r in enumerate(b.records)]


def _text(x: bytes | None) -> str:
    return "-" if x is None else x.decode()


def live_keys(log: PartitionLog) -> list[str]:
    """Keys whose latest record is a value (not a tombstone)."""
    latest: dict[str, str | None] = {}
    for _, key, value, _ in records(log):
        latest[key] = value
    return [k for k, v in latest.items() if v is not None]


def segment_tag(s: CompactionState, i: int) -> str:
    """active, clean (wholly below the cleaner point) or dirty."""
    segs = s.log.segments
    if i == len(segs) - 1:
        return "active"
    return "clean" if s.log.segment_end(i) <= s.log.cleaner_checkpoint else "dirty"


def segment_of(log: PartitionLog, offset: int) -> int:
    return max(bisect_right([seg.base_offset for seg in log.segments], offset) - 1, 0)


def offsets_word(offsets: list[int]) -> str:
    return ("offset " if len(offsets) == 1 else "offsets ") + ", ".join(str(o) for o in offsets)


def kafka_verdict(s: CompactionState) -> str:
    """The dirty ratio and whether Kafka's cleaner would choose this log now (rule 6)."""
    ltc = to_clean(s)
    m = f"{s.min_cleanable_ratio:g}"
    if ltc.total_bytes <= 0:
        return ("dirty ratio -: no rolled segment yet (the active segment never counts); "
                "Kafka's cleaner would not choose this log")
    head = (f"dirty ratio {ltc.cleanable_ratio:.2f} ({ltc.cleanable_bytes} B dirty of {ltc.total_bytes} B in "
            f"rolled segments)")
    if ltc.eligible:
        return f"{head}: above min.cleanable.dirty.ratio {m}, Kafka's cleaner would choose this log now"
    return f"{head}: not above min.cleanable.dirty.ratio {m}, Kafka's cleaner would not choose this log yet"


def short_verdict(s: CompactionState) -> str:
    """Rule 6 in one short line (the figure's)."""
    ltc = to_clean(s)
    if ltc.total_bytes <= 0:
        return "no rolled segment yet: nothing Kafka's cleaner could clean"
    would = "would choose this log now" if ltc.eligible else "would not choose this log yet"
    return (f"dirty ratio {ltc.cleanable_ratio:.2f}: Kafka's cleaner {would} "
            f"(it needs more than {s.min_cleanable_ratio:g})")


# -- the step function ---------------------------------------------------------------------------
def step_buttons(s: CompactionState) -> dict[str, tuple[bool, str]]:
    """Each action's button: (possible now, tooltip saying what it does or why not)."""
    log = s.log
    key, value = s.keys[s.next_key], f"v{s.written + 1}"
    victim = _next_victim(s)
    active = log.segments[-1]
    wait = actions(s)[4]
    return {
        "update a key": (True, f"append {key} = {value} at offset {log.log_end_offset}"),
        "delete a key": (victim is not None, f"append a tombstone for {victim} (value None) at offset "
                         f"{log.log_end_offset}" if victim is not None else
                         "no key has a value now: update a key first"),
        "roll": (active.size > 0, f"close the active segment {active.base_offset}: a new one starts at offset "
                 f"{log.log_end_offset}" if active.size else
                 f"the active segment (from offset {active.base_offset}) is empty: append a record first"),
        "clean": (len(log.segments) > 1, "run one pass of the log cleaner now, whatever the dirty ratio"
                  if len(log.segments) > 1 else "every record is in the active segment, which is never "
                  "cleaned: roll first"),
        wait: (True, f"advance the clock by delete.retention.ms ({duration(s.delete_retention_ms)})"),
        "reset": (True, "start again: an empty log at t=0"),
    }


def _next_victim(s: CompactionState) -> str | None:
    live = set(live_keys(s.log))
    n = len(s.keys)
    return next((s.keys[(s.next_delete + i) % n] for i in range(n) if s.keys[(s.next_delete + i) % n] in live), None)


def compaction_step(state: CompactionState, action: str) -> tuple[CompactionState, str]:
    """Apply one action (a button's label, see `actions`) and say what it did, in the learner's
    words. `state` is never changed: the result is a new state, or `state` itself when the action
    is not possible now (the message says why)."""
    if action == "reset":
        s = new_state(state.keys, state.segment_bytes, state.delete_retention_ms, state.min_cleanable_ratio)
        return s, "reset: an empty log at t=0 s"
    if action not in actions(state):
        raise ValueError(f"unknown action {action!r}; expected one of {actions(state)}")
    possible, why = step_buttons(state)[action]
    if not possible:
        return state, f"not possible now: {why}"
    s = copy.deepcopy(state)
    if action == "update a key":
        key = s.keys[s.next_key]
        s.next_key = (s.next_key + 1) % len(s.keys)
        s.written += 1
        return s, _append(s, key, f"v{s.written}")
    if action == "delete a key":
        key = _next_victim(s)
        assert key is not None
        s.next_delete = (s.keys.index(key) + 1) % len(s.keys)
        return s, _append(s, key, None)
    if action == "roll":
        active, end = s.log.segments[-1].base_offset, s.log.log_end_offset
        s.log.roll(end, s.now)
        return s, (f"rolled: segment {active} (offsets {active}-{end - 1}) is closed and dirty, so the cleaner "
                   f"may clean it; the active segment now starts at offset {end}")
    if action == "clean":
        return _clean(s)
    s.now += s.delete_retention_ms
    due = sorted(o for o, _, v, h in records(s.log) if v is None and 0 <= h <= s.now)
    head = f"{duration(s.delete_retention_ms)} passed (now t={duration(s.now)})"
    one = len(due) == 1
    if due:
        return s, (f"{head}; the delete horizon of the {'tombstone' if one else 'tombstones'} at "
                   f"{offsets_word(due)} has passed: the next pass removes {'it' if one else 'them'} (but "
                   f"Kafka's cleaner cleans this log only when its dirty ratio says so)")
    pending = sorted(h for _, _, v, h in records(s.log) if v is None and h > s.now)
    if pending:
        return s, f"{head}; no delete horizon has passed yet (the next one is at t={duration(pending[0])})"
    return s, (f"{head}; no tombstone has a delete horizon yet: a tombstone's time starts at the first pass "
               f"that keeps it, not when it was written")


def _append(s: CompactionState, key: str, value: str | None) -> str:
    log = s.log
    rec = Record(key.encode(), None if value is None else value.encode(), None, s.now)
    batch = RecordBatch([rec], BATCH_OVERHEAD + record_size(rec.key, rec.value), max_timestamp=s.now)
    before = len(log.segments)
    active = log.segments[-1]
    fits = active.size + batch.size <= s.segment_bytes
    offset = log.log_end_offset
    log.append_as_leader(batch, 0, now=s.now)
    what = f"{key} = {value}" if value is not None else f"a tombstone for {key} (value None: it deletes {key})"
    text = f"appended {what} at offset {offset}"
    if len(log.segments) > before:
        rule = (f"segment.ms ({duration(log.segment_ms)})" if fits else f"segment.bytes ({s.segment_bytes} B)")
        text += (f"; the append would have taken segment {active.base_offset} past {rule}, so it rolled first: "
                 f"a new active segment starts at offset {offset}")
    return text


def _clean(s: CompactionState) -> tuple[CompactionState, str]:
    log = s.log
    ltc = to_clean(s)
    verdict = ("Kafka's cleaner would have chosen this log too" if ltc.eligible else
               "Kafka's cleaner would not have chosen this log yet; this button cleans anyway")
    latest = build_offset_map(log, ltc.first_dirty_offset, ltc.first_uncleanable_offset, [])
    before = records(log)
    bases = [seg.base_offset for seg in log.segments[:-1]]
    result = clean(log, ltc, s.now, s.delete_retention_ms, s.segment_bytes, [], {})
    s.passes += 1
    after = {o: (v, h) for o, _, v, h in records(log)}
    removed: list[str] = []
    for o, key, value, _ in before:
        if o in after:
            continue
        if key == "-":
            why = "keyless"
        elif value is None and o >= latest.get(key.encode(), -1):
            why = "tombstone past its delete horizon"
        else:
            why = f"superseded by offset {latest[key.encode()]}"
        s.gone[o] = Gone(key, "tombstone" if value is None else value, s.passes, why)
        removed.append(f"{o} ({key}, {why})")
    stamped = [o for o, _, v, h in before if v is None and h < 0 and o in after and after[o][1] >= 0]
    parts = [f"pass {s.passes} at t={duration(s.now)} over offsets [{ltc.first_dirty_offset}, "
             f"{ltc.first_uncleanable_offset}) ({verdict}): "
             + ("removed " + ", ".join(removed) if removed else "removed nothing")]
    if stamped:
        parts.append(f"kept the tombstone at {offsets_word(stamped)} and stamped it with delete horizon "
                     f"t={duration(s.now + s.delete_retention_ms)}")
    if result.segments_after < result.segments_before:
        new = [seg.base_offset for seg in log.segments[:result.segments_after]]
        parts.append(f"segments {', '.join(map(str, bases))} were rewritten as "
                     f"{'segment' if len(new) == 1 else 'segments'} {', '.join(map(str, new))}")
    parts.append(f"the cleaner point is now {log.cleaner_checkpoint}")
    return s, "; ".join(parts)


def _fate(s: CompactionState, present: dict[int, tuple[str, str | None, int]], o: int) -> str:
    """What the next pass does to the record at `o`, when it is not simply kept (rule 4)."""
    active = s.log.segments[-1].base_offset
    key, value, horizon = present[o]
    later = [x for x, (k, _, _) in present.items() if k == key and x > o]
    cleanable = [x for x in later if x < active]
    if o < active and cleanable:
        return f"  (superseded by offset {cleanable[-1]}: the next pass removes it)"
    if later:
        return f"  (superseded by offset {later[-1]}, in the active segment: kept for now)"
    if value is not None or horizon < 0:
        return ""
    if horizon <= s.now:
        return "  (passed: the next pass removes it)"
    return "  (kept until a pass at or after it)"


# -- the views -------------------------------------------------------------------------------------
def compaction_table(s: CompactionState, width: int = 100) -> str:
    """The log as text: a heading (clock, segments, cleaner point), Kafka's verdict, then one row
    per offset from 0 to the log end (removed ones say which pass removed them and why), with
    lines at the cleaner point, at the active segment's start and at the log end."""
    log = s.log
    segs = ", ".join(f"{seg.base_offset} {segment_tag(s, i)}" for i, seg in enumerate(log.segments))
    lines = hang("", f"t={duration(s.now)}: log end offset {log.log_end_offset}; segments: {segs}; "
                     f"cleaner point {log.cleaner_checkpoint}", width)
    lines += hang("", kafka_verdict(s), width)
    present = {o: (k, v, h) for o, k, v, h in records(log)}
    rows: list[list[str]] = []
    for o in range(log.log_end_offset):
        i = segment_of(log, o)
        seg = f"{log.segments[i].base_offset} {segment_tag(s, i)}"
        if o in present:
            k, v, h = present[o]
            shown = v if v is not None else "tombstone" + (f", delete horizon t={duration(h)}" if h >= 0 else "")
            rows.append([str(o), seg, k, shown + _fate(s, present, o)])
        else:
            g = s.gone[o]
            rows.append([str(o), seg, g.key, f"removed by pass {g.clean_pass}: {g.value}, {g.why}"])
    body = table(["offset", "segment", "key", "value"], rows, right={0})
    col = body[0].index("value")
    body = [body[0]] + ["\n".join(hang(line[:col], line[col:], width)) for line in body[1:]]
    marks: dict[int, list[str]] = {}
    marks.setdefault(log.cleaner_checkpoint, []).append(f"cleaner point {log.cleaner_checkpoint}")
    marks.setdefault(log.segments[-1].base_offset, []).append(
        f"active segment from {log.segments[-1].base_offset} (never cleaned)")
    marks.setdefault(log.log_end_offset, []).append(f"log end offset {log.log_end_offset}")
    out = lines + body[:1]
    for o in range(log.log_end_offset + 1):
        out += [f"  -- {'; '.join(marks[o])}"] if o in marks else []
        out += body[1 + o:2 + o]
    return "\n".join(out)


@text_twin(compaction_table)
def compaction_figure(s: CompactionState, title: str = "") -> Any:
    """The log as a matplotlib Figure: its segments as coloured bands (clean, dirty, active), one
    cell per offset (the latest value of its key, a superseded one, a tombstone, a tombstone with a
    delete horizon, or a gap a pass left), the cleaner point and the log end under the strip."""
    from matplotlib.patches import Rectangle

    log = s.log
    end = log.log_end_offset
    x0, x1 = -0.4, max(end, 10) + 0.6
    ppu = 560 / (x1 - x0)                       # points per offset, about, at the notebook's width
    fig = new_figure(2.7)
    ax = fig.add_subplot()
    fills = {"clean": PALETTE["segment_clean"], "dirty": PALETTE["segment_rolled"], "active": PALETTE["segment_active"]}
    for i, seg in enumerate(log.segments):
        tag, lo, hi = segment_tag(s, i), seg.base_offset, log.segment_end(i)
        w = max(hi - lo, 0.35)
        ax.add_patch(Rectangle((lo, 0), w, 1, facecolor=fills[tag], edgecolor=PALETTE["edge"], linewidth=1.0))
        label = f"segment {lo}: {tag}" if w * ppu >= 80 else tag if w * ppu >= 28 else ""
        ax.text(lo + w / 2, 1.08, label, ha="center", va="bottom", fontsize=8, color=PALETTE["dark_text"])
    present = {o: (k, v, h) for o, k, v, h in records(log)}
    latest = {k: o for o, (k, _, _) in present.items()}
    size = 8 if ppu >= 26 else 6.5 if ppu >= 16 else 0
    for o in range(end):
        if o not in present:
            ax.add_patch(Rectangle((o + 0.1, 0.15), 0.8, 0.7, facecolor="none", edgecolor=PALETTE["frame"],
                                   linestyle=":", linewidth=0.9))
            if size:
                ax.text(o + 0.5, 0.5, "gap", ha="center", va="center", fontsize=size - 1, color=PALETTE["note"],
                        style="italic")
            continue
        k, v, h = present[o]
        kind = "tombstone" if v is None else "latest" if latest[k] == o else "superseded"
        face = {"tombstone": PALETTE["abort_marker"], "latest": PALETTE["panel_up"], "superseded": PALETTE["aborted"]}
        ax.add_patch(Rectangle((o + 0.1, 0.15), 0.8, 0.7, facecolor=face[kind], edgecolor=PALETTE["edge"],
                               linewidth=0.7, hatch="////" if h >= 0 else None))
        colour = "white" if kind == "tombstone" else PALETTE["aborted_text"] if kind == "superseded" else "black"
        back = dict(boxstyle="round,pad=0.1", facecolor=face[kind], edgecolor="none") if h >= 0 else None
        if size:
            ax.text(o + 0.5, 0.62, k, ha="center", va="center", fontsize=size, fontweight="bold", color=colour,
                    bbox=back)
            ax.text(o + 0.5, 0.33, "null" if v is None else v, ha="center", va="center", fontsize=size - 1,
                    color=colour, bbox=back)
    step = 1 if ppu >= 12 else 5
    for o in range(0, end, step):
        ax.text(o + 0.5, -0.04, str(o), ha="center", va="top", fontsize=7, color=PALETTE["note"])
    point = log.cleaner_checkpoint
    marks = [(point, f"cleaner point {point}", PALETTE["cleaner"], 0),
             (end, f"log end {end}", PALETTE["leo"], 1 if abs(point - end) * ppu < 90 else 0)]
    for x, text, colour, row in marks:
        ax.plot([x, x], [-0.06, 1.04], color=colour, linewidth=2.2, solid_capstyle="butt", zorder=5)
        ha = "left" if (x - x0) * ppu < 45 else "right" if (x1 - x) * ppu < 45 else "center"
        ax.text(x, -0.26 - 0.22 * row, text, ha=ha, va="top", fontsize=8, fontweight="bold", color=colour)
    ax.set_xlim(x0, x1)
    ax.set_ylim(-0.7, 1.3)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    if not end:
        ax.text((x0 + x1) / 2, 0.5, "empty log: update a key", ha="center", va="center", fontsize=9,
                style="italic", color=PALETTE["note"])
    ax.set_title((title or f"one compacted partition log at t={duration(s.now)}, after {s.passes} cleaning "
                  f"pass{'' if s.passes == 1 else 'es'}") + "\n" + short_verdict(s), fontsize=9, loc="left")
    handles = [patch(fills["clean"], "clean segment"), patch(fills["dirty"], "dirty segment"),
               patch(fills["active"], "active segment"), patch(PALETTE["panel_up"], "latest value of its key"),
               patch(PALETTE["aborted"], "superseded value"), patch(PALETTE["abort_marker"], "tombstone"),
               patch(PALETTE["abort_marker"], "tombstone with a delete horizon", hatch="////"),
               patch("none", "gap (removed by a pass)", linestyle=":")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return fig


# -- the widget ------------------------------------------------------------------------------------
class CompactionStepper(_View):
    """One compacted partition log, stepped by hand: update and delete keys, roll the active
    segment, run one pass of the real log cleaner, wait for tombstones' delete horizons.

    Build it with `CompactionStepper()` (optional: `keys`, `segment_bytes`,
    `delete_retention_ms`, `min_cleanable_dirty_ratio`) and display it. Buttons (attributes):
    `update`, `delete`, `roll`, `clean`, `wait`, `reset`; `act(label)` does what a click does.
    Views: `status` (the clock, Kafka's verdict, the last message), `picture` (the figure),
    `text` (the table, under "as text"), `out` (one line per click). `state` is the current
    `CompactionState`, `last` the last message, `table()` the text view as a string."""

    def __init__(self, keys: tuple[str, ...] = KEYS, segment_bytes: int = 1024, delete_retention_ms: int = 86_400_000,
                 min_cleanable_dirty_ratio: float = 0.5) -> None:
        W = _w()
        self.state = new_state(keys, segment_bytes, delete_retention_ms, min_cleanable_dirty_ratio)
        self.last = "an empty compacted log: update a key to append its first record"
        labels = actions(self.state)
        styles = {"update a key": "primary", "delete a key": "danger", "clean": "success"}
        self.styles = {label: styles.get(label, "") for label in labels}
        self.buttons: dict[str, Any] = {}
        for label in labels:
            self.buttons[label] = b = W.Button(description=label, layout=W.Layout(width="120px"))
            b.on_click(self._click)
        self.update, self.delete, self.roll, self.clean, self.wait, self.reset = (self.buttons[x] for x in labels)
        self.status = W.HTML()
        self.picture = self._image()
        self.text = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="120px", overflow="auto"))
        self.box = W.VBox([W.HBox([self.buttons[x] for x in labels]), self.status, self.picture,
                           W.Accordion([self.text], titles=("as text",)), self.out])
        self.refresh()

    @_guarded
    def _click(self, button: Any) -> None:
        self.act(button.description)

    def act(self, action: str) -> str:
        """Apply `action` (a button's label) as a click would, and return what it did."""
        self.state, self.last = compaction_step(self.state, action)
        self.say(f"t={duration(self.state.now)}: {self.last}")
        self.refresh()
        return self.last

    def table(self) -> str:
        """The text view (what a notebook prints in the cell after the widget)."""
        return compaction_table(self.state, self.width)

    def refresh(self) -> None:
        s = self.state
        lines = hang("", f"clock t={duration(s.now)}; {kafka_verdict(s)}", self.width)
        self.status.value = _pre("\n".join(lines + hang("last: ", self.last, self.width)))
        self.picture.value = viz.png_bytes(compaction_figure(s))
        self.text.value = _pre(self.table())
        set_buttons(self.buttons, step_buttons(s))
        for label, b in self.buttons.items():       # grey text on a coloured button would not read as unavailable
            b.button_style = "" if b.unavailable else self.styles[label]
