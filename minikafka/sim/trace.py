"""The trace: a structured history of every protocol message and state change.

Rules:
- One `TraceEvent` per happening, in execution order: `seq` (position), `time` (virtual ms),
  `kind` ("send", "recv", "drop", or "state"), `node` (who acted), `peer` (the other end of a
  message, else None), `name` (message kind such as "ProduceRequest", or a state change such
  as "isr.shrink"), and `fields` (a dict of plain values: ints, strings, tuples).
- Messages have ids: a "send" and its "recv" or "drop" share `fields["id"]`.
- Fields hold summaries (offsets, counts, epochs), never record lists. For messages they are
  computed from the message only when first read (`MessageFields`), so recording is cheap;
  messages are never changed after they are sent, so the summary is the same either way.
- `dumps()` is a canonical text form: the same seed gives byte-identical dumps in any process.
- Nothing in the simulated cluster reads the trace: a cluster made with `trace=False` records
  nothing and behaves exactly the same. Experiments that only count outcomes run that way.
- The trace is a ring: it keeps the last `limit` events (`Cluster(trace_limit=...)`, default
  `DEFAULT_LIMIT`; None keeps every event) and drops the oldest. Events keep their `seq`, so
  positions stay meaningful: `len(trace)` counts every event recorded (the next event's seq),
  `trace.dropped` how many of the first were dropped, `trace.kept` how many remain.
- Reading: iteration gives the kept events; `trace[seq]` is the event with that seq and raises
  `TraceDropped` (naming the limit) for a dropped one; a slice `trace[a:b]` gives the kept events
  with a <= seq < b (like a list slice it never fails); `events_from(seq, reader)` gives every
  event from seq on and raises `TraceDropped` when some were dropped (for readers that must not
  miss one); `filter` searches the kept events and warns (`TraceDroppedWarning`) when its window
  reaches back past them. `repr`, `dumps()` and `tail()` show a marker line with how many
  earlier events were dropped (`dumps(events)` of chosen events shows none). `trace.events` is
  the trace itself.
"""
from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any, Iterator, NamedTuple

DEFAULT_LIMIT = 150_000     # events kept by default: see `check_limit`


class MessageFields(Mapping):
    """A message's summary plus its id, computed on first use."""

    __slots__ = ("_msg", "_id", "_d")

    def __init__(self, msg: Any, mid: int) -> None:
        self._msg, self._id, self._d = msg, mid, None

    def _dict(self) -> dict[str, Any]:
        d = self._d
        if d is None:
            d = self._d = self._msg.summary()
            d["id"] = self._id
            self._msg = None
        return d

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self._id
        return self._dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return repr(self._dict())


class TraceEvent(NamedTuple):
    seq: int
    time: int
    kind: str
    node: str
    peer: str | None
    name: str
    fields: dict[str, Any]

    def line(self) -> str:
        where = f"{self.node}->{self.peer}" if self.kind == "send" else (
            f"{self.peer}->{self.node}" if self.kind in ("recv", "drop") else self.node)
        body = " ".join(f"{k}={_fmt(v)}" for k, v in sorted(self.fields.items()))
        return f"{self.time:>8} {self.kind:<5} {where:<24} {self.name} {body}".rstrip()


def _fmt(v: Any) -> str:
    if isinstance(v, bytes):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return str(v)


_new_event = tuple.__new__     # builds a TraceEvent from a tuple without NamedTuple's Python-level __new__


class TraceDropped(LookupError):
    """A reader needs trace events that the trace's ring already dropped."""


class TraceDroppedWarning(UserWarning):
    """A search of the trace could only look at the events it still keeps."""


def check_limit(limit: Any, name: str = "trace_limit") -> int | None:
    """`limit` as the trace's limit: a positive int, or None (keep every event).

    The default, DEFAULT_LIMIT (150,000 events), keeps every event of every seeded history the
    tests, the notebooks and tests/fingerprint.py make (the longest has about 29,000), and bounds
    a long run: an event costs about 1.2 KB (a message's event holds the message until its
    summary is read), so a full ring is about 180 MB, and 24 virtual hours of a producer and a
    group consumer stay under 300 MB (tests/bench_scale.py)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"{name} must be a positive int (the number of trace events kept) or None "
                        f"(keep every event), got {limit!r}")
    if limit < 1:
        raise ValueError(f"{name} must be a positive int (the number of trace events kept) or None "
                         f"(keep every event), got {limit!r}")
    return limit


class Trace:
    """A ring of TraceEvents (the last `limit`) with a few views."""

    def __init__(self, limit: int | None = DEFAULT_LIMIT) -> None:
        self._limit = check_limit(limit)
        self.enabled = True
        self._ev: list[Any] = []          # _ev[_off:] are the kept events; dropped slots hold None
        self._off = 0                     # index in _ev of the oldest kept event
        self._base = 0                    # seq of _ev[0]
        self._hi = sys.maxsize if limit is None else limit     # len(_ev) above this: drop the oldest

    # -- recording ------------------------------------------------------------------------
    def add(self, time: int, kind: str, node: str, peer: str | None, name: str, fields: dict[str, Any]) -> None:
        if self.enabled:
            ev = self._ev
            ev.append(_new_event(TraceEvent, (self._base + len(ev), time, kind, node, peer, name, fields)))
            if len(ev) > self._hi:
                self._drop_oldest()

    def state(self, time: int, node: str, name: str, /, **fields: Any) -> None:
        if self.enabled:
            ev = self._ev
            ev.append(_new_event(TraceEvent, (self._base + len(ev), time, "state", node, None, name, fields)))
            if len(ev) > self._hi:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        ev = self._ev
        ev[self._off] = None              # released now
        self._off += 1
        if self._off >= 4096 and self._off * 2 >= len(ev):     # compact: amortised O(1) per event
            del ev[:self._off]
            self._base += self._off
            self._off = 0
        self._hi = self._off + self._limit  # type: ignore[operator]

    # -- reading -------------------------------------------------------------------------
    @property
    def limit(self) -> int | None:
        """How many events are kept (None: every one); fixed when the trace is made."""
        return self._limit

    @property
    def dropped(self) -> int:
        """How many of the first events were dropped (the seq of the oldest kept one)."""
        return self._base + self._off

    @property
    def kept(self) -> int:
        return len(self._ev) - self._off

    @property
    def events(self) -> "Trace":
        """The trace itself (a sequence indexed by seq); kept for code that read `trace.events`
        when it was a list."""
        return self

    def __len__(self) -> int:
        """Every event recorded, dropped ones included: the seq the next event gets."""
        return self._base + len(self._ev)

    def __iter__(self) -> Iterator[TraceEvent]:
        if self._limit is None:
            return iter(self._ev)
        return iter(self._ev[self._off:])

    def __getitem__(self, i: int | slice) -> Any:
        n = len(self)
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            first = self.dropped
            if step != 1:
                return [self._ev[j - self._base] for j in range(start, stop, step) if j >= first]
            return self._ev[max(start, first) - self._base:max(stop - self._base, 0)]
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"trace indices are event seqs (int) or slices, not {type(i).__name__}")
        seq = i + n if i < 0 else i
        if not 0 <= seq < n:
            raise IndexError(f"trace index {i} out of range: {n} events recorded")
        if seq < self.dropped:
            raise TraceDropped(self.dropped_note(f"trace event #{seq} was dropped"))
        return self._ev[seq - self._base]

    def events_from(self, seq: int, reader: str = "this reader") -> list[TraceEvent]:
        """Every event from `seq` on; raises TraceDropped when some of them were dropped."""
        if seq < self.dropped:
            raise TraceDropped(self.dropped_note(f"{reader} needs the trace events from #{seq} on, but "
                                                 f"{self.dropped - seq:,} of them were dropped"))
        return self._ev[max(seq, 0) - self._base:]

    def dropped_note(self, what: str = "events were dropped") -> str:
        """`what` (something dropped), why, and how to keep more."""
        return (f"{what}: the trace keeps only the last {self.limit:,} events "
                f"(#{self.dropped:,} on, of {len(self):,} recorded). Make the cluster with a larger "
                f"Cluster(trace_limit=...), or trace_limit=None to keep every event")

    def marker(self) -> str:
        """The line that stands for the dropped events ("" when none were)."""
        d = self.dropped
        if not d:
            return ""
        return (f"... {d:,} earlier events (#0 to #{d - 1:,}) dropped: the trace keeps the last "
                f"{self.limit:,} (Cluster(trace_limit=...))")

    def filter(self, name: str | tuple[str, ...] | None = None, node: str | None = None,
               kind: str | None = None, since: int = 0) -> list[TraceEvent]:
        """Events matching every given criterion; `node` matches either end of a message;
        `name` may end in '*' to match a prefix; `since` is a virtual time. Only kept events
        are searched: a warning says so when the window starts before the oldest of them."""
        names = (name,) if isinstance(name, str) else name

        def match_name(n: str) -> bool:
            return any(n.startswith(x[:-1]) if x.endswith("*") else n == x for x in names)

        out = [e for e in self
               if e.time >= since
               and (names is None or match_name(e.name))
               and (node is None or e.node == node or e.peer == node)
               and (kind is None or e.kind == kind)]
        if self.dropped and since <= self._ev[self._off].time:
            warnings.warn(f"trace.filter searched only the kept events, from t={self._ev[self._off].time} ms: "
                          + self.dropped_note(f"{self.dropped:,} earlier events were dropped"), TraceDroppedWarning,
                          stacklevel=2)
        return out

    def dumps(self, events: list[TraceEvent] | None = None) -> str:
        if events is None:
            body = "\n".join(e.line() for e in self)
            mark = self.marker()
            return f"{mark}\n{body}" if mark else body
        return "\n".join(e.line() for e in events)

    def tail(self, n: int = 20) -> str:
        text = self.dumps(self[-n:])
        if n > self.kept and self.dropped:
            return f"{self.marker()}\n{text}" if text else self.marker()
        return text

    def __repr__(self) -> str:
        if self.dropped:
            return (f"<Trace: {len(self)} events, the first {self.dropped} dropped, {self.kept} kept "
                    f"(trace_limit={self.limit})>")
        return f"<Trace: {len(self)} events>"
