"""`ShareStepper`: step one share-partition (KIP-932, queues) through its life, with no cluster:
two consumers poll, accept, release and reject records, one crashes, locks expire.

Rules:
- Everything is decided by `share_step(state, action) -> (state, message)`, a pure function over
  a `StepperState`: it never changes the state it is given and returns a new one (or the same
  one, unchanged, when the action is not possible now, with a message saying why). The widget
  only shows the state and passes the clicked button's label to it.
- A poll acquires up to `max_records` records for that consumer (Available ones first, lowest
  offset first, then offsets never delivered) under one new acquisition lock that expires
  `lock_ms` later. A consumer acknowledges everything it holds before it polls again (explicit
  acknowledgement), so a poll while it still holds records is refused.
- Accept, release and reject act on what the consumer holds: accept and release on all of it,
  "rejects one" on the lowest offset. A record released (or whose lock expires) with a delivery
  count at the delivery limit is archived instead of made available again.
- A crash drops what the consumer holds without a word: the records stay Acquired, under the
  crashed process's lock, until that lock expires. The consumer can poll again at once, as a new
  process that holds nothing.
- "wait" advances the clock by `lock_ms` and expires every lock whose deadline has passed; a
  consumer still alive loses the records of an expired lock (it took too long).
- "produce" adds records at the end of the log (the end offset grows); "reset" starts afresh.
- A button whose action is not possible now is marked unavailable (`step_buttons`), its tooltip
  saying why.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from minikafka import viz
from minikafka.protocol.share_groups import ACCEPT, ACQUIRED, AVAILABLE, REJECT, RELEASE, STATE_NAMES
from minikafka.server.share.share_partition import COUNT, LOCK, MEMBER, STATE, SharePartition
from minikafka.viz._style import hang
from minikafka.viz.share_partition import share_partition_figure, share_partition_table
from minikafka.widgets._base import _guarded, _pre, _View, _w, set_buttons

VERBS = ("polls", "accepts", "releases", "rejects one", "crashes")


@dataclass
class StepperState:
    """Everything the lab knows: the share-partition and what the consumers and the clock add to it."""

    sp: SharePartition
    end_offset: int                 # the high watermark: offsets below it have been produced
    consumers: tuple[str, ...] = ("A", "B")
    held: dict[str, list[int]] = field(default_factory=dict)    # what each consumer's process holds
    now: int = 0                    # the clock, ms
    next_lock: int = 1              # the id of the next acquisition lock
    deadlines: dict[int, int] = field(default_factory=dict)     # lock id -> ms it expires at
    crashed_locks: set[int] = field(default_factory=set)        # locks of a process that crashed
    max_records: int = 3
    lock_ms: int = 30_000
    produce_n: int = 3
    records: int = 8                # produced at the start (what reset goes back to)


def new_state(records: int = 8, delivery_limit: int = 5, max_records: int = 3, lock_ms: int = 30_000,
              consumers: tuple[str, ...] = ("A", "B"), max_record_locks: int = 200,
              produce_n: int = 3) -> StepperState:
    """A fresh share-partition: `records` records produced, none delivered."""
    return StepperState(SharePartition(0, delivery_limit, max_record_locks), records, tuple(consumers),
                        {c: [] for c in consumers}, max_records=max_records, lock_ms=lock_ms,
                        produce_n=produce_n, records=records)


def actions(state: StepperState) -> list[str]:
    """Every action's label, in the order of the buttons."""
    return ([f"{c} {verb}" for c in state.consumers for verb in VERBS]
            + [f"wait {state.lock_ms // 1000} s", f"produce {state.produce_n}", "reset"])


def span(offsets: list[int]) -> str:
    """Offsets as runs: [0, 1, 2, 5] -> "0-2, 5"."""
    runs: list[list[int]] = []
    for o in sorted(offsets):
        if runs and runs[-1][1] == o - 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def offsets_word(offsets: list[int]) -> str:
    return ("offset " if len(offsets) == 1 else "offsets ") + span(offsets)


def _counts(pairs: list[tuple[int, int]]) -> str:
    """(offset, delivery count) pairs grouped by count: "offsets 0-2 (delivery count 1)"."""
    by_count: dict[int, list[int]] = {}
    for offset, count in pairs:
        by_count.setdefault(count, []).append(offset)
    groups = sorted(by_count.items(), key=lambda item: item[1][0])
    return ", ".join(f"{offsets_word(offs)} (delivery count {c})" for c, offs in groups)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _locked(sp: SharePartition) -> set[int]:
    """The locks some record is still Acquired under."""
    return {rec[LOCK] for rec in sp.records.values() if rec[STATE] == ACQUIRED}


def _to_acquire(s: StepperState) -> int:
    """How many records a poll could get now (at most max_records)."""
    sp = s.sp
    available = sum(1 for o in range(sp.spso, min(sp.next_offset, s.end_offset))
                    if sp.records[o][STATE] == AVAILABLE)
    new = max(0, min(s.end_offset, sp.spso + sp.max_record_locks) - sp.next_offset)
    return min(available + new, s.max_records)


def _nothing_to_acquire(s: StepperState) -> str:
    sp = s.sp
    if sp.next_offset >= s.end_offset:
        waiting = " or wait for a lock to expire" if _locked(sp) else ""
        return (f"nothing to acquire: every produced record is held or done; produce more{waiting}")
    return (f"nothing to acquire: the window is full ({sp.max_record_locks} records in flight after the "
            f"SPSO); acknowledge some first")


def _limit_note(archived: list[int], limit: int) -> str:
    if not archived:
        return ""
    verb = "reached" if len(archived) == 1 else "all reached"
    return (f"; {offsets_word(archived)} {verb} the delivery limit ({limit}) and "
            f"{'was' if len(archived) == 1 else 'were'} archived instead of made available again")


def _spso_note(before: int, s: StepperState, always: bool = False) -> str:
    """Where the SPSO went; with `always`, also why it did not move."""
    sp = s.sp
    if sp.spso != before:
        return f"; the SPSO moved from {before} to {sp.spso}"
    if always and sp.spso < sp.next_offset:
        rec = sp.records[sp.spso]
        state = STATE_NAMES[rec[STATE]] + (f" by {rec[MEMBER]}" if rec[MEMBER] else "")
        return f"; the SPSO stays at {sp.spso} (offset {sp.spso} is still {state})"
    return ""


def step_buttons(s: StepperState) -> dict[str, tuple[bool, str]]:
    """Each action's button: (possible now, tooltip saying what it does or why not)."""
    out: dict[str, tuple[bool, str]] = {}
    can_get = _to_acquire(s)
    for c in s.consumers:
        held = s.held[c]
        nothing = f"consumer {c} holds nothing: {c} polls first"
        if held:
            out[f"{c} polls"] = (False, f"consumer {c} still holds {offsets_word(held)}: accept, release or "
                                        f"reject them before its next poll")
        else:
            out[f"{c} polls"] = (can_get > 0, f"acquire up to {s.max_records} records for {c}, locked for "
                                              f"{_seconds(s.lock_ms)}" if can_get else _nothing_to_acquire(s))
        out[f"{c} accepts"] = (bool(held), f"{c} accepts {offsets_word(held)}: done" if held else nothing)
        out[f"{c} releases"] = (bool(held), f"{c} gives {offsets_word(held)} back for another delivery"
                                if held else nothing)
        out[f"{c} rejects one"] = (bool(held), f"{c} rejects offset {min(held)}: archived, never delivered "
                                               f"again" if held else nothing)
        out[f"{c} crashes"] = (bool(held), f"{c}'s process dies holding {offsets_word(held)}" if held else
                               f"consumer {c} holds nothing: a crash now would change nothing")
    waiting = bool(_locked(s.sp))
    out[f"wait {s.lock_ms // 1000} s"] = (waiting, f"advance the clock {_seconds(s.lock_ms)}: locks whose "
                                                   f"time is up expire" if waiting else
                                          "no record is locked: waiting would change nothing")
    out[f"produce {s.produce_n}"] = (True, f"produce {s.produce_n} more records")
    out["reset"] = (True, f"start again: {s.records} records, none delivered")
    return out


def share_step(state: StepperState, action: str) -> tuple[StepperState, str]:
    """Apply one action (a button's label, see `actions`) and say what it did, in the learner's
    words. `state` is never changed: the result is a new state, or `state` itself when the action
    is not possible now (the message says why)."""
    words = action.split()
    if not words:
        raise ValueError(f"unknown action {action!r}; expected one of {actions(state)}")
    if words[0] == "reset":
        s = new_state(state.records, state.sp.delivery_limit, state.max_records, state.lock_ms, state.consumers,
                      state.sp.max_record_locks, state.produce_n)
        return s, f"reset: {s.records} records produced (offsets 0-{s.records - 1}), none delivered yet"
    if words[0] == "produce":
        s = copy.deepcopy(state)
        first = s.end_offset
        s.end_offset += s.produce_n
        return s, (f"{s.produce_n} records produced: {offsets_word(list(range(first, s.end_offset)))}; "
                   f"the end offset is now {s.end_offset}")
    if words[0] == "wait":
        return _wait(state)
    consumer, verb = words[0], " ".join(words[1:])
    if consumer not in state.consumers or verb not in VERBS:
        raise ValueError(f"unknown action {action!r}; expected one of {actions(state)}")
    held = state.held[consumer]
    if verb == "polls":
        return _poll(state, consumer)
    if not held:
        what = {"accepts": "accept", "releases": "release", "rejects one": "reject", "crashes": "lose"}[verb]
        return state, f"consumer {consumer} has nothing to {what}: it holds no records (it polls first)"
    if verb == "crashes":
        s = copy.deepcopy(state)
        locks = {s.sp.records[o][LOCK] for o in held}
        s.crashed_locks |= locks
        s.held[consumer] = []
        until = ", ".join(_seconds(s.deadlines[lock]) for lock in sorted(locks))
        return s, (f"consumer {consumer} crashed holding {offsets_word(held)}: they stay Acquired until "
                   f"the lock expires at t={until}; a new {consumer} process can poll now")
    return _acknowledge(state, consumer, verb)


def _poll(state: StepperState, consumer: str) -> tuple[StepperState, str]:
    held = state.held[consumer]
    if held:
        return state, (f"consumer {consumer} still holds {offsets_word(held)}: it accepts, releases or "
                       f"rejects them before it polls again")
    if not _to_acquire(state):
        return state, f"consumer {consumer} got nothing: {_nothing_to_acquire(state)}"
    s = copy.deepcopy(state)
    lock = s.next_lock
    s.next_lock += 1
    got = s.sp.acquire(consumer, s.max_records, s.end_offset, lambda _: True, lock)
    s.held[consumer] = [o for o, _ in got]
    s.deadlines[lock] = s.now + s.lock_ms
    return s, (f"consumer {consumer} acquired {_counts(got)}; they are locked for {_seconds(s.lock_ms)} "
               f"(until t={_seconds(s.deadlines[lock])})")


def _acknowledge(state: StepperState, consumer: str, verb: str) -> tuple[StepperState, str]:
    s = copy.deepcopy(state)
    sp, held = s.sp, s.held[consumer]
    chosen = [min(held)] if verb == "rejects one" else list(held)
    ack_type = {"accepts": ACCEPT, "releases": RELEASE, "rejects one": REJECT}[verb]
    archived = [o for o in chosen if sp.records[o][COUNT] >= sp.delivery_limit] if ack_type == RELEASE else []
    before = sp.spso
    error = sp.acknowledge(consumer, [(o, o, ack_type) for o in chosen])
    if error is not None:           # cannot happen: a consumer holds only what it acquired
        raise RuntimeError(f"{consumer} could not acknowledge {span(chosen)}: {error}")
    s.held[consumer] = [o for o in held if o not in chosen]
    s.deadlines = {lock: t for lock, t in s.deadlines.items() if lock in _locked(sp)}
    s.crashed_locks &= set(s.deadlines)
    if verb == "accepts":
        text = f"consumer {consumer} accepted {offsets_word(chosen)}: Acknowledged, done"
    elif verb == "rejects one":
        rest = s.held[consumer]
        text = (f"consumer {consumer} rejected offset {chosen[0]}: Archived, never delivered again"
                + (f"; it still holds {offsets_word(rest)}" if rest else ""))
    else:
        back = [o for o in chosen if o not in archived]
        text = f"consumer {consumer} released {offsets_word(chosen)}"
        if back:
            text += f": {offsets_word(back)} Available again for any consumer (the delivery count stays)"
        text += _limit_note(archived, sp.delivery_limit)
    return s, text + _spso_note(before, s, always=verb != "releases")


def _wait(state: StepperState) -> tuple[StepperState, str]:
    s = copy.deepcopy(state)
    sp = s.sp
    s.now += s.lock_ms
    due = sorted(lock for lock, t in s.deadlines.items() if t <= s.now)
    before = sp.spso
    parts = []
    for lock in due:
        holder = next((rec[MEMBER] for rec in sp.records.values() if rec[LOCK] == lock), None)
        offsets = [o for o in range(sp.spso, sp.next_offset) if sp.records[o][LOCK] == lock]
        archived = [o for o in offsets if sp.records[o][COUNT] >= sp.delivery_limit]
        sp.expire_lock(lock)
        del s.deadlines[lock]
        if not offsets:
            continue
        alive = lock not in s.crashed_locks
        s.crashed_locks.discard(lock)
        if alive and holder is not None:
            s.held[holder] = [o for o in s.held[holder] if o not in offsets]
        who = f"consumer {holder}" + ("" if alive else " (crashed)")
        back = [o for o in offsets if o not in archived]
        text = f"the lock of {who} on {offsets_word(offsets)} expired"
        if back:
            text += f": {offsets_word(back)} Available again"
        if alive:
            text += f" ({holder} took too long and can no longer acknowledge them)"
        parts.append(text + _limit_note(archived, sp.delivery_limit))
    head = f"{_seconds(s.lock_ms)} passed (now t={_seconds(s.now)})"
    if not parts:
        pending = sorted(s.deadlines.values())
        return s, head + (f"; no lock expired yet (the next one at t={_seconds(pending[0])})" if pending
                          else "; no record was locked, nothing changed")
    return s, head + "; " + "; ".join(parts) + _spso_note(before, s)


class ShareStepper(_View):
    """One share-partition and two consumers, stepped by hand: poll, accept, release, reject,
    crash, wait for locks to expire, produce more; see every offset's state and delivery count."""

    def __init__(self, records: int = 8, delivery_limit: int = 5, max_records: int = 3, lock_ms: int = 30_000,
                 consumers: tuple[str, ...] = ("A", "B")) -> None:
        W = _w()
        self.state = new_state(records, delivery_limit, max_records, lock_ms, consumers)
        self.last = f"{records} records produced (offsets 0-{records - 1}); nobody has polled yet"
        self.buttons: dict[str, Any] = {}
        styles = {"polls": "primary", "accepts": "success", "crashes": "danger", "rejects one": "warning"}
        self.styles = {label: styles.get(label.split(" ", 1)[-1], "") for label in actions(self.state)}
        for label in actions(self.state):
            self.buttons[label] = b = W.Button(description=label, layout=W.Layout(width="130px"))
            b.on_click(self._click)
        for c in self.state.consumers:          # lab.a_poll, lab.b_accept, ...
            for verb, name in zip(VERBS, ("poll", "accept", "release", "reject", "crash"), strict=True):
                setattr(self, f"{c.lower()}_{name}", self.buttons[f"{c} {verb}"])
        self.wait, self.produce, self.reset = (self.buttons[label] for label in actions(self.state)[-3:])
        self.status = W.HTML()
        self.picture = self._image()
        self.text = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="120px", overflow="auto"))
        rows = [W.HBox([self.buttons[f"{c} {verb}"] for verb in VERBS]) for c in self.state.consumers]
        self.box = W.VBox(rows + [W.HBox([self.wait, self.produce, self.reset]), self.status, self.picture,
                                  W.Accordion([self.text], titles=("as text",)), self.out])
        self.refresh()

    @_guarded
    def _click(self, button: Any) -> None:
        self.act(button.description)

    def act(self, action: str) -> str:
        """Apply `action` (a button's label) as a click would, and return what it did."""
        self.state, self.last = share_step(self.state, action)
        self.say(f"t={_seconds(self.state.now)}: {self.last}")
        self.refresh()
        return self.last

    def refresh(self) -> None:
        s = self.state
        holds = "; ".join(f"{c} holds {span(s.held[c]) or 'nothing'}" for c in s.consumers)
        lines = [f"clock {_seconds(s.now)}; {holds}"] + hang("last: ", self.last, self.width)
        self.status.value = _pre("\n".join(lines))
        self.picture.value = viz.png_bytes(share_partition_figure(s.sp, s.end_offset, first=0, deadlines=s.deadlines,
                                                                  crashed_locks=s.crashed_locks))
        self.text.value = _pre(share_partition_table(s.sp, s.end_offset, first=0, deadlines=s.deadlines,
                                                     crashed_locks=s.crashed_locks))
        set_buttons(self.buttons, step_buttons(s))
        for label, b in self.buttons.items():       # grey text on a coloured button would not read as unavailable
            b.button_style = "" if b.unavailable else self.styles[label]
