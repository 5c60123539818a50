"""What every protocol message shares (Kafka: `AbstractRequest`/`AbstractResponse` and the
JSON message schemas in `clients/src/main/resources/common/message/`).

Rules:
- Every message has a `kind` (its class name, as in the trace) and `summary()`: the plain
  fields the trace records. Summaries carry offsets and counts, never record contents.
- Requests from clients carry a correlation id `cid`; the response echoes it.
- A topic-partition travels as a (topic, partition) tuple.
- Messages (`@message`) are slotted dataclasses: fixed fields and no per-instance dict, so the
  many messages a run keeps (the trace holds each until its summary is read) stay small. They
  compare by identity. Each has a docstring (which also spares `dataclass` from computing one
  at import).
- Two response shapes recur: an error alone (`ErrorResponse`) and one error per partition
  (`PartitionResults`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TP = tuple  # (topic, partition)


def _tp(tp: TP) -> str:
    return f"{tp[0]}-{tp[1]}"


class Msg:
    """What every message has: a `kind` and a trace summary."""

    __slots__ = ()
    kind = "Msg"

    def summary(self) -> dict[str, Any]:
        return {}


def message(cls: type) -> type:
    """Class decorator: `cls` is a protocol message, a slotted dataclass whose `kind` is its
    class name. Messages compare by identity (eq=False): each send is a message of its own, as
    each Kafka request is, and no rule compares two messages' contents."""
    cls.kind = cls.__name__
    return dataclass(cls, slots=True, eq=False)


@dataclass(slots=True, eq=False)
class ErrorResponse(Msg):
    """A response that carries only an error (or None)."""
    cid: int
    error: str | None

    def summary(self):
        return {"error": self.error or "none"}


@dataclass(slots=True, eq=False)
class PartitionResults(Msg):
    """A response with one error (or None) per partition."""
    cid: int
    results: tuple[tuple[TP, str | None], ...]

    def summary(self):
        return {"results": tuple(f"{_tp(tp)}:{err or 'ok'}" for tp, err in self.results)}
