"""Named safety properties of a cluster's state, checked by tests and notebooks.

Each function returns a list of violations (strings); an empty list means the property holds.
1. `offsets_dense`: every replica's offsets only grow; without compaction they are dense: each
   batch starts where the previous one ended, the first at or below the local log start, and
   the LEO is the end of the last batch (a compacted log has gaps and ends at or below its LEO).
2. `hw_within_isr`: on every live leader, the HW is <= the LEO of each live replica in its ISR,
   except a replica that lost records in a power loss and has not yet fetched back up to the
   leader's HW (`Replica.lost_tail`). Kafka has that window too: the restarted broker is still
   in the ISR until the controller fences its old incarnation at registration and the leader
   learns the new ISR; were the leader to fail inside it, the controller could elect the
   replica that lost data. Kafka 4's eligible leader replicas and unclean-shutdown handling
   (KIP-966) close it; minikafka does not model them yet.
3. `one_leader_per_epoch`: no two live replicas claim leadership of a partition in the same
   leader epoch.
4. `hw_le_leo`: no live replica's HW is beyond its own LEO. The HW is the state of a running
   process: a crashed broker has none to check. (After a power loss its log may have lost a
   tail its last HW covered; on restart the HW is clamped to the surviving LEO, as Kafka
   clamps the HW it reads from its checkpoint file, so the rule holds again from then on.)
Rule 1 is checked on crashed brokers too: their logs are on disk.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


def offsets_dense(c: "Cluster") -> list[str]:
    """Offsets only grow, and without compaction they are dense: the batches follow one another
    from at or below the local log start (batches below the log start wait for the next
    retention pass) up to the LEO. A compacted log may have gaps, and its batches end at or
    below the LEO."""
    out = []
    for bid, broker in sorted(c.brokers.items()):
        for tp, r in sorted(broker.replicas.items()):
            log = r.log
            compacted = r.log_config is not None and r.log_config.compact
            start = log.local_log_start_offset
            if log.batches and log.batches[0].base_offset > start and not compacted:
                out.append(f"b{bid} {tp[0]}-{tp[1]}: first batch at {log.batches[0].base_offset}, "
                           f"after the local log start {start}")
            expect = None
            for b in log.batches:
                if expect is not None and (b.base_offset < expect or (b.base_offset != expect and not compacted)):
                    out.append(f"b{bid} {tp[0]}-{tp[1]}: batch at {b.base_offset}, expected {expect}")
                expect = b.next_offset
            if expect is not None and (expect > log.log_end_offset
                                       or (expect != log.log_end_offset and not compacted)):
                out.append(f"b{bid} {tp[0]}-{tp[1]}: LEO {log.log_end_offset}, batches end at {expect}")
            if log.log_start_offset > log.log_end_offset:
                out.append(f"b{bid} {tp[0]}-{tp[1]}: log start {log.log_start_offset} above LEO {log.log_end_offset}")
    return out


def hw_within_isr(c: "Cluster") -> list[str]:
    out = []
    for bid, broker in sorted(c.brokers.items()):
        if not broker.alive:
            continue
        for tp, r in sorted(broker.replicas.items()):
            if not r.is_leader:
                continue
            for m in r.isr:
                other = c.brokers[m]
                mine = other.replicas.get(tp)
                if other.alive and mine is not None and mine.leo < r.hw and not mine.lost_tail:
                    out.append(f"{tp[0]}-{tp[1]}: leader b{bid} HW {r.hw} > LEO {mine.leo} of ISR member b{m}")
    return out


def one_leader_per_epoch(c: "Cluster") -> list[str]:
    seen: dict[tuple, int] = {}
    out = []
    for bid, broker in sorted(c.brokers.items()):
        if not broker.alive:
            continue
        for tp, r in sorted(broker.replicas.items()):
            if r.is_leader:
                key = (tp, r.leader_epoch)
                if key in seen:
                    out.append(f"{tp[0]}-{tp[1]}: b{seen[key]} and b{bid} both lead epoch {r.leader_epoch}")
                seen[key] = bid
    return out


def hw_le_leo(c: "Cluster") -> list[str]:
    return [f"b{bid} {tp[0]}-{tp[1]}: HW {r.hw} > LEO {r.leo}"
            for bid, broker in sorted(c.brokers.items()) if broker.alive
            for tp, r in sorted(broker.replicas.items()) if r.hw > r.leo]


ALL = (offsets_dense, hw_within_isr, one_leader_per_epoch, hw_le_leo)


def check_all(c: "Cluster") -> list[str]:
    return [v for f in ALL for v in f(c)]
