"""One partition's change, as the active controller computes it (Kafka: `PartitionChangeBuilder`;
kafka-semantics.md D.25-D.26, L.94-L.96, L.99). Pure: it reads a partition's state and returns
the PartitionChangeRecord to write, or None when nothing would change.

Rules, in the order they apply (ELR rules only when the feature
`eligible.leader.replicas.version` is 1):
1. The target ISR is given (a fenced broker removed, an AlterPartition's ISR, ...).
2. ELR: when the target ISR has at least the effective min ISR (min(`min.insync.replicas`,
   replication factor)), the ELR is emptied. Otherwise the ELR becomes (old ISR + old ELR) minus
   the target ISR, minus a broker that just restarted uncleanly: the replicas that left the ISR
   while the high watermark could not advance (strict min ISR), so they hold every committed
   record.
3. Election, only if the current leader is no longer valid: valid means acceptable (unfenced,
   not shutting down) and in the target ISR, or, when that is empty, in the ELR. Then:
   a. the first valid replica in assignment order (the `elect_leader` rule, over the ISR, or
      the ELR when the ISR is empty); a replica taken from the ELR becomes the ISR alone and
      leaves the ELR: a clean election;
   b. else, with ELR, an empty ISR and an empty ELR: the last known leader, if acceptable
      (flagged unclean, ISR := it; `unclean.leader.election.enable` is not consulted);
   c. else, if the topic allows it, unclean: the first acceptable replica, ISR := it;
   d. else no leader (-1): the partition is offline.
   After an unclean election the ELR and last known leader are emptied, and the record marks
   the leader RECOVERING (Kafka's leader recovery state, KIP-704).
4. Without ELR the ISR never becomes empty: removing its last member leaves it listed.
5. Last known leader (with ELR): when the ISR becomes empty it records the leader the
   partition had; once the partition has a leader again it is emptied.
6. A preferred election first tries the preferred replica (the first in assignment order),
   valid as in rule 3; then rule 3 as usual.
"""
from __future__ import annotations

from typing import Callable, Collection

from minikafka.controller.election import NO_LEADER
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import PartitionChangeRecord
from minikafka.protocol.metadata import PartitionState

ElectFn = Callable[..., tuple[int, bool]]
ELR_FEATURE = "eligible.leader.replicas.version"


def elr_enabled(image: MetadataImage) -> bool:
    return image.features.get(ELR_FEATURE, 0) >= 1


def effective_min_isr(image: MetadataImage, st: PartitionState) -> int:
    return min(int(image.topic_configs.get(st.topic, {}).get("min.insync.replicas", 1)), len(st.replicas))


def change(image: MetadataImage, st: PartitionState, target_isr: tuple[int, ...], elect_leader: ElectFn, why: str,
           *, acceptable: Collection[int] | None = None, unclean_ok: bool | None = None,
           unclean_shutdown: int | None = None, preferred: bool = False) -> PartitionChangeRecord | None:
    """The record that takes `st` to `target_isr` (rules 1-6); None if nothing changes."""
    elr_on = elr_enabled(image)
    live = image.live_brokers() if acceptable is None else tuple(acceptable)
    if unclean_ok is None:
        unclean_ok = bool(image.topic_configs.get(st.topic, {}).get("unclean.leader.election.enable", False))
    elr = st.elr
    if elr_on:                                                              # rule 2
        if len(target_isr) >= effective_min_isr(image, st):
            elr = ()
        else:
            was = set(st.isr) | set(st.elr)
            elr = tuple(sorted(r for r in was if r not in target_isr and r != unclean_shutdown))
    leader, unclean, isr = st.leader, False, target_isr
    pool = target_isr if (target_isr or not elr_on) else elr

    def valid(r: int) -> bool:
        return r in live and r in pool
    if preferred and valid(st.replicas[0]):                                 # rule 6
        leader = st.replicas[0]
        if leader not in target_isr:
            isr, elr = (leader,), tuple(r for r in elr if r != leader)
    elif not valid(leader):                                                 # rule 3
        leader, _ = elect_leader(st.replicas, pool, live, False)
        if leader != NO_LEADER and leader not in target_isr:               # 3a, from the ELR
            isr, elr = (leader,), tuple(r for r in elr if r != leader)
        elif leader == NO_LEADER:
            lkl = st.last_known_elr
            if elr_on and not target_isr and not elr and len(lkl) == 1 and lkl[0] in live:     # 3b
                leader, unclean = lkl[0], True
            elif unclean_ok:                                                # 3c
                leader, unclean = elect_leader(st.replicas, pool, live, True)
            if unclean and leader != NO_LEADER:
                isr = (leader,)
    if unclean or not elr_on:
        elr = () if elr_on else st.elr
    new_isr = isr if (isr != st.isr and (isr or elr_on)) else None         # rule 4
    lkl = st.last_known_elr
    if elr_on:                                                              # rule 5
        if new_isr == () and st.leader != NO_LEADER and lkl != (st.leader,):
            lkl = (st.leader,)
        elif leader != NO_LEADER and lkl:
            lkl = ()
    rec = PartitionChangeRecord(st.topic, st.partition, new_isr, leader if leader != st.leader else None,
                                why + (" (unclean)" if unclean else ""),
                                elr if elr != st.elr else None, lkl if lkl != st.last_known_elr else None,
                                "RECOVERING" if unclean else None)
    if rec.isr is None and rec.leader is None and rec.elr is None and rec.last_known_elr is None:
        return None
    return rec

