"""Committed offsets on the group coordinator: OffsetCommit, TxnOffsetCommit and OffsetFetch
(Kafka: `OffsetMetadataManager`; the rules are group_coordinator.py's rules 1-5, and for a
consumer-protocol group rule 6 here; kafka-semantics.md H.56, I.57, G.49, N.226).

Rule 6 (a consumer-protocol group, consumer_group.py): a commit that names a member (member id,
or a generation >= 0) needs a member the group knows (else UNKNOWN_MEMBER_ID) and its current
member epoch in the generation field, exactly (else STALE_MEMBER_EPOCH; ILLEGAL_GENERATION for a
TxnOffsetCommit, as in Kafka 4.0-4.2). A commit without one (generation -1, no member id) is
accepted only while the group has no members (else UNKNOWN_MEMBER_ID).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import record_value

if TYPE_CHECKING:
    from minikafka.coordinator.group.consumer_group import ConsumerGroup
    from minikafka.coordinator.group.group_coordinator import GroupCoordinator


def offset_key(group: str, tp: tuple[str, int]) -> str:
    return f"offset/{group}/{tp[0]}/{tp[1]}"


def validate_consumer_group_commit(g: "ConsumerGroup", member_id: str, generation: int,
                                   transactional: bool) -> str | None:
    """Rule 6."""
    if generation < 0 and not member_id:
        return None if not g.members else "UNKNOWN_MEMBER_ID"
    m = g.members.get(member_id)
    if m is None:
        return "UNKNOWN_MEMBER_ID"
    if generation != m.epoch:
        return "ILLEGAL_GENERATION" if transactional else "STALE_MEMBER_EPOCH"
    return None


def commit(gc: "GroupCoordinator", src: str, cid: int, group: str, offsets: tuple,
           producer: tuple[int, int] | None, member_id: str = "", generation: int = -1,
           txn: tuple[str, bool] | None = None, instance: str | None = None) -> None:
    def answer(err: str | None, per_tp: dict | None = None) -> None:
        results = tuple((tp, (per_tp or {}).get(tp, err)) for tp, _ in offsets)
        gc.broker.send(src, P.OffsetCommitResponse(cid, results))
    err = gc.owner_error(group)
    if err is None and group in gc.cgroups:
        err = validate_consumer_group_commit(gc.cgroups[group], member_id, generation, producer is not None)
    elif err is None and group in gc.groups and gc.groups[group].fenced(member_id, instance):
        err = "FENCED_INSTANCE_ID"
    elif err is None and group in gc.groups:
        err = gc.groups[group].validate_commit(member_id, generation, producer is not None)
    elif err is None and generation >= 0:      # a member of a group this coordinator does not know
        err = "ILLEGAL_GENERATION"
    if err is not None:
        if err in ("ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "STALE_MEMBER_EPOCH"):
            gc.trace.state(gc.sim.now, gc.broker.name, "offsets.commit_rejected", group=group,
                         member=member_id or "none", generation=generation, error=err)
        return answer(err)
    unknown = {tp: "UNKNOWN_TOPIC_OR_PART" for tp, _ in offsets if not gc._exists(tp)}
    known = tuple((tp, off) for tp, off in offsets if tp not in unknown)
    if not known:
        return answer(None, unknown)
    partition = gc.partition_of(group)
    records = [(offset_key(group, tp), record_value({"offset": off})) for tp, off in known]

    def written(err: str | None) -> None:
        if err is None:
            if producer is None:
                gc.offsets.setdefault(group, {}).update(dict(known))
            else:
                gc.pending.setdefault((partition, producer[0]), []).extend(
                    (group, tp, off) for tp, off in known)
            gc.trace.state(gc.sim.now, gc.broker.name,
                         "offsets.commit" if producer is None else "offsets.txn_pending", group=group,
                         offsets=tuple(f"{t}-{p}={o}" for (t, p), o in known),
                         **({"pid": producer[0]} if producer else {}))
        answer(err, unknown)
    if txn is None:
        return gc.write(partition, records, written, producer)
    b = gc.broker
    tp = (gc.topic, partition)
    r = b.replicas.get(tp)
    if r is None or not r.is_leader or not b.txn_verifier.needs_check(r, producer[0], producer[1], txn[1]):
        return gc.write(partition, records, written, producer)
    guard = r.producer_state.start_verification(producer[0])    # rule 5: as a leader's produce

    def verified(errors: dict) -> None:
        err = errors.get(tp)
        if err is None:
            gc.write(partition, records, written, producer, {tp: guard}, txn[1])
        else:
            answer("COORDINATOR_NOT_AVAILABLE" if err == "NOT_ENOUGH_REPLICAS" else err)
    b.txn_verifier.verify(txn[0], producer[0], producer[1], (tp,), txn[1], verified)

def offset_fetch(gc: "GroupCoordinator", src: str, msg: P.OffsetFetchRequest) -> None:
    err = gc.owner_error(msg.group_id)
    if err is not None:
        gc.broker.send(src, P.OffsetFetchResponse(msg.cid, err, ()))
        return
    committed = gc.offsets.get(msg.group_id, {})
    partition = gc.partition_of(msg.group_id)
    unstable = {tp for (part, _), items in gc.pending.items() if part == partition
                for g, tp, _ in items if g == msg.group_id}
    asked = msg.partitions if msg.partitions is not None else sorted(set(committed) | unstable)
    out = tuple((tp, committed.get(tp, -1),
                 "UNSTABLE_OFFSET_COMMIT" if msg.require_stable and tp in unstable else None) for tp in asked)
    gc.broker.send(src, P.OffsetFetchResponse(msg.cid, None, out))
