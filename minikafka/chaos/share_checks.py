"""Share-group checkers (KIP-932, queues): what the members of a share group accepted and how
often they got each record. Each is `check(history, cluster=None) -> Report` (report.py); they
read the share deliveries and the share groups a history declares (history.py rules 8, 8b).

Rules (numbered as in checkers.py):
11. share_unaccepted: a workload value in the final read_uncommitted read of a topic a share
   group must consume (history.py rule 8) that the group neither accepted nor archived. It is
   accepted when one of its deliveries (same partition, offset and value) was acknowledged
   ACCEPT with outcome "ok", or when an ACCEPT of it has outcome "unknown" and the leader
   applied one after all: the share-partition's final state (history.py rule 8) holds the record
   Acknowledged or below its start offset (a terminal record with an ACCEPT sent for it was
   accepted, unless archived at the limit); without a final state of that partition, when the
   last delivery's ACCEPT is the unknown one (had the leader not applied it, the record would
   have come back when its lock expired: the workload consumes until the group is quiet). It is
   archived at the delivery limit when a delivery had a count >= the group's `delivery_limit`
   (the last one allowed: released, expired or failed over, it is archived), or, with a
   cluster, when the broker's trace shows it acquired with that count ("share.acquire": a
   consumer may never have seen that delivery, if the answer was lost or the consumer crashed
   with it in its buffer); and the final state, if known, holds it Archived or below the start.
12. share_accepted_twice: two ACCEPTs of one record both acknowledged "ok". A share-partition
   only lets the member holding a record's lock acknowledge it, and an acknowledged record is
   terminal and persisted before the answer, so at most one ACCEPT of a record ever succeeds.
13. share_redelivered: a record a share group delivered more than once: a delivery with a count
   above 1, or two deliveries of it to the group's consumers (after a failover the count may
   start again, as acquisitions are not persisted). Kafka allows it (at-least-once): after a
   lock expiry (a crashed, paused or slow consumer), a release, or a failover.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from minikafka.chaos.history import History, Read, ShareDelivery, ShareFinal
from minikafka.chaos.report import Anomaly, Report, _events, _report, _text, _tp

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.trace import TraceEvent

Key = tuple[str, str, int, int]             # (group, topic, partition, offset)


def _deliveries(history: History) -> dict[Key, list[ShareDelivery]]:
    out: dict[Key, list[ShareDelivery]] = {}
    for d in history.share_deliveries:
        out.setdefault((d.group, d.topic, d.partition, d.offset), []).append(d)
    return out


def _accepted(ds: list[ShareDelivery], final: ShareFinal | None) -> bool:
    """Rule 11: an ACCEPT known to be applied, or one whose outcome is unknown, applied after all."""
    if any(d.ack == "ACCEPT" and d.outcome == "ok" for d in ds):
        return True
    if final is None:
        return bool(ds) and ds[-1].ack == "ACCEPT" and ds[-1].outcome == "unknown"
    return any(d.ack == "ACCEPT" and d.outcome == "unknown" for d in ds) and \
        final.state(ds[0].offset) in ("Terminal", "Acknowledged")


def _acquired_at_limit(cluster: "Cluster | None", group: str, r: Read, limit: int) -> tuple[int, ...]:
    """Rule 11: the broker's share.acquire events that may have delivered `r` for the last time."""
    tp = _tp(r.topic, r.partition)

    def match(e: "TraceEvent") -> bool:
        if e.kind != "state" or e.name != "share.acquire" or e.fields.get("group") != group \
                or e.fields.get("tp") != tp or max(e.fields.get("counts", ()), default=0) < limit:
            return False
        return _covers(e, r.offset)
    return _events(cluster, 0, None, match, limit=1)


def _covers(e: "TraceEvent", offset: int) -> bool:
    """Does a share.acquire event's range "a..b" hold `offset`?"""
    first, _, last = str(e.fields.get("offsets", "")).partition("..")
    return first.isdigit() and last.isdigit() and int(first) <= offset <= int(last)


def share_unaccepted(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 11."""
    final = history.final_reads("read_uncommitted")
    if not final and history.shares:
        return _report("share_unaccepted", [], "nothing checked: the history has no final read_uncommitted read")
    by_key = _deliveries(history)
    out = []
    checked = archived = 0
    for group, decl in sorted(history.shares.items()):
        for r in final:
            if r.topic not in decl.topics or history.by_value(r.value) is None:
                continue
            checked += 1
            ds = [d for d in by_key.get((group, r.topic, r.partition, r.offset), []) if d.value == r.value]
            end = history.share_states.get((group, r.topic, r.partition))
            if _accepted(ds, end):
                continue
            if (end is None or end.state(r.offset) in ("Terminal", "Archived")) and (
                    any(d.delivery_count >= decl.delivery_limit for d in ds)
                    or _acquired_at_limit(cluster, group, r, decl.delivery_limit)):
                archived += 1
                continue
            out.append(_unaccepted_anomaly(cluster, group, r, ds, end))
    extra = f", {archived} archived at the delivery limit" if archived else ""
    return _report("share_unaccepted", out, f"{checked} records the share groups had to accept{extra}")


def _unaccepted_anomaly(cluster: "Cluster | None", group: str, r: Read, ds: list[ShareDelivery],
                        final: ShareFinal | None) -> Anomaly:
    desc = f"share group {group} never accepted {_text(r.value)} at {r.topic}-{r.partition}@{r.offset}"
    if ds:
        acks = [f"{d.ack} {d.outcome}" + (f" {d.error}" if d.error else "") for d in ds if d.ack is not None]
        desc += (f": delivered {len(ds)} time(s) (counts {', '.join(str(d.delivery_count) for d in ds)}) to "
                 f"{', '.join(sorted({d.consumer for d in ds}))}, processed {sum(1 for d in ds if d.processed >= 0)}"
                 f" time(s); acknowledgements: {', '.join(acks) or 'none'}")
    else:
        desc += ": never delivered to its consumers"
    if final is None:
        desc += "; at the end no leader held its share-partition"
    else:
        desc += f"; at the end its share-partition (start {final.start}) holds it {final.state(r.offset) or 'not yet'}"
    return Anomaly("share_unaccepted", desc, (r, *ds[-4:]),
                   _events(cluster, ds[0].trace_seq if ds else 0, None, _about(group, r.topic, r.partition, r.offset, ds)))


def _about(group: str, topic: str, partition: int, offset: int,
           ds: list[ShareDelivery]) -> Callable[["TraceEvent"], bool]:
    """Trace events that explain a record's fate: its acquisitions, lock expiries, the
    share-partition's loads (failovers), and the assignments of its partition to and the crashes
    of the consumers it went to (to any consumer, if it went to none)."""
    tp, names = _tp(topic, partition), {d.consumer for d in ds}

    def match(e: "TraceEvent") -> bool:
        if e.kind != "state":
            return False
        if e.name in ("client.crash", "client.close"):
            return e.node in names
        if e.name == "share.assigned":
            return tp in e.fields.get("partitions", ()) and (not names or e.node in names)
        if not e.name.startswith("share.") or e.fields.get("group") != group or e.fields.get("tp") != tp:
            return False
        if e.name == "share.lock_expired":
            return offset in e.fields.get("offsets", ())
        if e.name == "share.acquire":
            return _covers(e, offset)
        return e.name == "share.load"
    return match


def share_accepted_twice(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 12."""
    out = []
    oks = 0
    for (group, topic, partition, offset), ds in sorted(_deliveries(history).items()):
        ok = [d for d in ds if d.ack == "ACCEPT" and d.outcome == "ok"]
        oks += len(ok)
        if len(ok) < 2:
            continue
        desc = (f"share group {group}: {len(ok)} ACCEPTs of {_text(ok[0].value)} at {topic}-{partition}@{offset} "
                f"succeeded (by {', '.join(d.consumer for d in ok)}, delivery counts "
                f"{', '.join(str(d.delivery_count) for d in ok)})")
        out.append(Anomaly("share_accepted_twice", desc, tuple(ok[:4]), _events(
            cluster, 0, ok[1].done_trace_seq, _about(group, topic, partition, offset, ds))))
    return _report("share_accepted_twice", out, f"{oks} successful ACCEPTs")


def share_redelivered(history: History, cluster: "Cluster | None" = None) -> Report:
    """Rule 13."""
    out = []
    by_key = _deliveries(history)
    for (group, topic, partition, offset), ds in sorted(by_key.items()):
        if len(ds) < 2 and all(d.delivery_count <= 1 for d in ds):
            continue
        done = sum(1 for d in ds if d.processed >= 0)
        desc = (f"share group {group} delivered {_text(ds[-1].value)} at {topic}-{partition}@{offset} again: "
                f"{len(ds)} deliveries seen (counts {', '.join(str(d.delivery_count) for d in ds)}) to "
                f"{', '.join(sorted({d.consumer for d in ds}))}, processed {done} time(s)")
        out.append(Anomaly("share_redelivered", desc, tuple(ds[:4]), _events(
            cluster, 0, ds[-1].trace_seq + 1,
            _about(group, topic, partition, offset, ds))))
    return _report("share_redelivered", out, f"{len(history.share_deliveries)} share deliveries of "
                                             f"{len(by_key)} records")
