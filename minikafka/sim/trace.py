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
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator, NamedTuple


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


class Trace:
    """An append-only list of TraceEvents with a few views."""

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.enabled = True

    def add(self, time: int, kind: str, node: str, peer: str | None, name: str, fields: dict[str, Any]) -> None:
        if self.enabled:
            ev = self.events
            ev.append(_new_event(TraceEvent, (len(ev), time, kind, node, peer, name, fields)))

    def state(self, time: int, node: str, name: str, /, **fields: Any) -> None:
        if self.enabled:
            ev = self.events
            ev.append(_new_event(TraceEvent, (len(ev), time, "state", node, None, name, fields)))

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __getitem__(self, i: int) -> TraceEvent:
        return self.events[i]

    def filter(self, name: str | tuple[str, ...] | None = None, node: str | None = None,
               kind: str | None = None, since: int = 0) -> list[TraceEvent]:
        """Events matching every given criterion; `node` matches either end of a message;
        `name` may end in '*' to match a prefix; `since` is a virtual time."""
        names = (name,) if isinstance(name, str) else name

        def match_name(n: str) -> bool:
            return any(n.startswith(x[:-1]) if x.endswith("*") else n == x for x in names)

        return [e for e in self.events
                if e.time >= since
                and (names is None or match_name(e.name))
                and (node is None or e.node == node or e.peer == node)
                and (kind is None or e.kind == kind)]

    def dumps(self, events: list[TraceEvent] | None = None) -> str:
        return "\n".join(e.line() for e in (self.events if events is None else events))

    def tail(self, n: int = 20) -> str:
        return self.dumps(self.events[-n:])

    def __repr__(self) -> str:
        return f"<Trace: {len(self.events)} events>"
