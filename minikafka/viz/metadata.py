"""The metadata log as a table: the records the active controller wrote to `__cluster_metadata`,
the log every controller and broker applies (KRaft; controller/quorum_controller.py).

Rules:
- One line per record: its offset, the leader epoch it was written in, and what it says, in
  Kafka's record names (RegisterBrokerRecord, PartitionChangeRecord, ...). The control record a
  new quorum leader writes first (LeaderChange) is shown too: it is what commits an election.
- `last` records from the end (the log grows by a NoOpRecord every
  `metadata.max.idle.interval.ms`; `noops=False` leaves them out); a marker counts those not shown.
- The log is the active controller's, or the named controller's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka.cluster_args import check_bool, check_int

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
