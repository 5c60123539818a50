"""Seams: the pure rules a learner may replace in one cluster, so the simulator (and its
widgets) run the learner's code: `Cluster(seed=7, impl={"partitioner": my_partition})`.

Rules:
1. Each seam has one signature, the reference function's:
   - "partitioner": (key: bytes, num_partitions: int) -> int
   - "high_watermark": (leo_by_replica: dict[int, int], isr: tuple[int, ...], current_hw: int,
     min_isr: int = 1) -> int
   - "elect_leader": (replicas, isr, live, unclean=False) -> (leader or -1, unclean: bool)
2. An unknown seam name or a value that is not callable is refused, naming the seams.
3. A replacement that still raises NotImplementedError (an unfinished exercise stub) is
   replaced by the reference, and `Cluster.impl_notes` says so in one line per seam.
4. The replacement applies to this cluster only; other clusters keep the reference.
"""
from __future__ import annotations

from typing import Any, Callable

from minikafka.clients.producer.partitioner import partition_for_key
from minikafka.controller.election import elect_leader
from minikafka.server.replication import high_watermark

REFERENCE: dict[str, Callable[..., Any]] = {
    "partitioner": partition_for_key,
    "high_watermark": high_watermark,
    "elect_leader": elect_leader,
}
PROBES: dict[str, tuple] = {           # arguments that tell a finished function from a stub
    "partitioner": (b"probe", 3),
    "high_watermark": ({1: 5, 2: 3, 3: 4}, (1, 2, 3), 0),
    "elect_leader": ((1, 2, 3), (2, 3), (1, 2, 3)),
}


def resolve(impl: dict[str, Callable[..., Any]] | None) -> tuple[dict[str, Callable[..., Any]], list[str]]:
    """(seam -> function, notes) for one cluster (rules 2 and 3)."""
    out = dict(REFERENCE)
    notes: list[str] = []
    if impl is None:
        return out, notes
    if not isinstance(impl, dict):
        raise TypeError(f"impl must be a dict of seam name -> function; seams: {', '.join(REFERENCE)}")
    for name, fn in impl.items():
        if name not in REFERENCE:
            raise ValueError(f"unknown seam {name!r} in impl; seams: {', '.join(REFERENCE)}")
        if not callable(fn):
            raise TypeError(f"impl[{name!r}] must be a function, got {type(fn).__name__}")
        try:
            fn(*PROBES[name])
        except NotImplementedError as e:
            notes.append(f"[todo] {name}: {e or 'not implemented yet'}; this cluster uses the reference")
            continue
        out[name] = fn
    return out, notes
