"""The group coordinator's answers to the operator's group requests (protocol/group_admin.py):
ListGroups, DescribeGroups, OffsetDelete and DeleteGroups (OffsetFetch of every partition is
group_coordinator.py's, with no partitions named) (Kafka: `GroupMetadataManager.listGroups`/
`describeGroups`/`validateDeleteGroup`, `OffsetMetadataManager.deleteOffsets`/`deleteAllOffsets`,
`ClassicGroup.isSubscribedToTopic`). The coordinator (group_coordinator.py) owns the state;
these functions read it and write through `GroupCoordinator.write`.

Rules:
1. ListGroups: each broker lists the groups of the `__consumer_offsets` partitions it leads: every
   classic group it holds (protocol type "consumer"), every consumer-protocol group (KIP-848,
   type "consumer") and every group known only by committed offsets (state Empty, protocol
   type "": Kafka's simple consumer group). Filters: `states` (names, exact) and `types`
   ("classic", "consumer", "share"; a share group's protocol type is "share").
2. DescribeGroups: a group this broker does not coordinate gets NOT_COORDINATOR; an unknown group
   GROUP_ID_NOT_FOUND (DescribeGroups v6, KIP-1043, Kafka 4.0+; v0-v5 answered state "Dead" with
   no error). Members are listed in join order; the selected protocol (assignor) and the
   members' assignments only while Stable, as Kafka's group summary does. A consumer-protocol
   group answers here too (Kafka's ConsumerGroupDescribe): its state, its assignor as the
   protocol, and each member's current assignment.
3. (OffsetFetch with no partitions named, Kafka's Topics null, answers every partition with a
   committed or pending transactional offset, sorted: group_coordinator.py.)
4. OffsetDelete: an unknown group gets GROUP_ID_NOT_FOUND. In a group that is not Empty, a
   partition whose topic the group subscribes to gets GROUP_SUBSCRIBED_TO_TOPIC (the topics of
   the members' selected protocol; before one is selected, every topic any member names);
   a partition of an unknown topic UNKNOWN_TOPIC_OR_PART. The others are deleted: a tombstone
   (the offset key, no value) for each that has a committed offset, all in one write; they are
   dropped from memory once it is replicated (internal_topics.py rule 4).
5. DeleteGroups: per group, NOT_COORDINATOR, GROUP_ID_NOT_FOUND, or NON_EMPTY_GROUP unless the
   group is Empty. A deletable group's tombstones (each committed offset, then its group record)
   are one write; once replicated the group and its offsets are gone (it lists no more and
   describes as GROUP_ID_NOT_FOUND). A member that joins while that write is in flight keeps
   its new group (the check is not repeated). Offsets pending in an open transaction are left
   to that transaction's marker.
6. Loading (group_coordinator.py rule 1): a tombstone removes what its key names, the offset
   or the whole group, so deletions survive a change of coordinator.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from minikafka import protocol as P
from minikafka.coordinator.group.classic_group import EMPTY, STABLE, ClassicGroup
from minikafka.coordinator.group.group_coordinator import parse_offset_key
from minikafka.coordinator.group.offset_metadata_manager import offset_key

if TYPE_CHECKING:
    from minikafka.coordinator.group.group_coordinator import GroupCoordinator

TP = tuple[str, int]
CONSUMER = "consumer"           # the classic consumer's protocol type
GROUP_TYPES = ("classic", "consumer", "share")


def _state(gc: "GroupCoordinator", group_id: str) -> tuple[str, str] | None:
    """(state, protocol type) of a group this broker holds; None if it holds none."""
    g = gc.groups.get(group_id)
    if g is not None:
        return g.state, CONSUMER
    cg = gc.cgroups.get(group_id)
    if cg is not None:
        return cg.state(), CONSUMER
    sg = gc.sgroups.get(group_id)
    if sg is not None:
        return sg.state(), "share"
    if gc.offsets.get(group_id):
        return EMPTY, ""
    return None


def _held(gc: "GroupCoordinator") -> list[str]:
    """The groups of the partitions this broker coordinates now, sorted."""
    ids = set(gc.groups) | set(gc.cgroups) | set(gc.sgroups) | {g for g, offs in gc.offsets.items() if offs}
    return sorted(g for g in ids if gc.owner_error(g) is None)


# -- rule 1 -----------------------------------------------------------------------------------------
def list_groups(gc: "GroupCoordinator", msg: P.ListGroupsRequest) -> P.ListGroupsResponse:
    if msg.types and not set(msg.types) & set(GROUP_TYPES):
        return P.ListGroupsResponse(msg.cid, None, ())
    out = []
    for group_id in _held(gc):
        found = _state(gc, group_id)
        kind = "consumer" if group_id in gc.cgroups else "share" if group_id in gc.sgroups else "classic"
        if found is not None and (not msg.states or found[0] in msg.states) and (not msg.types or kind in msg.types):
            out.append(P.ListedGroup(group_id, found[1], found[0], kind))
    return P.ListGroupsResponse(msg.cid, None, tuple(out))


# -- rule 2 -----------------------------------------------------------------------------------------
def describe_groups(gc: "GroupCoordinator", msg: P.DescribeGroupsRequest) -> P.DescribeGroupsResponse:
    return P.DescribeGroupsResponse(msg.cid, tuple(_describe(gc, g) for g in msg.groups))


def _describe(gc: "GroupCoordinator", group_id: str) -> P.DescribedGroup:
    err = gc.owner_error(group_id)
    if err is not None:
        return P.DescribedGroup(group_id, err)
    found = _state(gc, group_id)
    if found is None:
        return P.DescribedGroup(group_id, "GROUP_ID_NOT_FOUND")
    cg = gc.cgroups.get(group_id)
    if cg is not None:                  # Kafka describes these with ConsumerGroupDescribe; one API here
        return P.DescribedGroup(group_id, None, cg.state(), CONSUMER, cg.assignor, tuple(
            P.DescribedMember(m.member_id, m.instance_id, m.client_id, m.assigned) for m in cg.members.values()),
            "consumer")
    sg = gc.sgroups.get(group_id)
    if sg is not None:                  # Kafka: ShareGroupDescribe
        return P.DescribedGroup(group_id, None, sg.state(), "share", "simple", tuple(
            P.DescribedMember(m.member_id, None, m.client_id, m.assigned) for m in sg.members.values()), "share")
    g = gc.groups.get(group_id)
    if g is None:
        return P.DescribedGroup(group_id, None, EMPTY, "")
    stable = g.state == STABLE
    members = tuple(P.DescribedMember(m.member_id, m.instance_id, m.client_id, m.assignment if stable else ())
                    for m in g.members.values())
    return P.DescribedGroup(group_id, None, g.state, CONSUMER, g.protocol if stable else "", members)


# -- rule 4 -----------------------------------------------------------------------------------------
def subscribed_topics(g: ClassicGroup) -> set[str]:
    """The topics a group with members subscribes to (Kafka's `ClassicGroup.subscribedTopics`)."""
    if g.protocol:
        return {t for m in g.members.values() for p in m.protocols if p.name == g.protocol for t in p.topics}
    return {t for m in g.members.values() for p in m.protocols for t in p.topics}


def delete_offsets(gc: "GroupCoordinator", src: str, msg: P.OffsetDeleteRequest) -> None:
    def answer(err: str | None, results: tuple = ()) -> None:
        gc.broker.send(src, P.OffsetDeleteResponse(msg.cid, err, results))
    group_id = msg.group_id
    err = gc.owner_error(group_id)
    if err is None and _state(gc, group_id) is None:
        err = "GROUP_ID_NOT_FOUND"
    if err is not None:
        return answer(err)
    g, cg = gc.groups.get(group_id), gc.cgroups.get(group_id)
    busy = subscribed_topics(g) if g is not None and g.state != EMPTY else set()
    if cg is not None:
        busy = {t for m in cg.members.values() for t in cg.topics_of(m)}
    errors: dict[TP, str | None] = {}
    for tp in msg.partitions:
        if not gc._exists(tp):
            errors[tp] = "UNKNOWN_TOPIC_OR_PART"
        elif tp[0] in busy:
            errors[tp] = "GROUP_SUBSCRIBED_TO_TOPIC"
        else:
            errors[tp] = None
    committed = gc.offsets.get(group_id, {})
    doomed = sorted(tp for tp, e in errors.items() if e is None and tp in committed)
    results = tuple((tp, errors[tp]) for tp in msg.partitions)
    if not doomed:
        return answer(None, results)

    def written(werr: str | None) -> None:
        if werr is not None:
            return answer(werr)
        _drop_offsets(gc, group_id, doomed)
        gc.trace.state(gc.sim.now, gc.broker.name, "offsets.delete", group=group_id,
                       parts=tuple(f"{t}-{p}" for t, p in doomed))
        answer(None, results)
    gc.write(gc.partition_of(group_id), [(offset_key(group_id, tp), None) for tp in doomed], written)


def _drop_offsets(gc: "GroupCoordinator", group_id: str, tps: list[TP]) -> None:
    committed = gc.offsets.get(group_id)
    if committed is None:
        return
    for tp in tps:
        committed.pop(tp, None)
    if not committed:
        del gc.offsets[group_id]


# -- rule 5 -----------------------------------------------------------------------------------------
def delete_groups(gc: "GroupCoordinator", src: str, msg: P.DeleteGroupsRequest) -> None:
    results: dict[str, str | None] = {}
    waiting: list[str] = []

    def finish(group_id: str | None = None, err: str | None = None) -> None:
        if group_id is not None:
            results[group_id] = err
        if len(results) == len(set(msg.groups)):
            gc.broker.send(src, P.DeleteGroupsResponse(msg.cid, tuple((g, results[g]) for g in msg.groups)))
    for group_id in sorted(set(msg.groups)):
        err = gc.owner_error(group_id)
        found = _state(gc, group_id) if err is None else None
        if err is None and found is None:
            err = "GROUP_ID_NOT_FOUND"
        elif err is None and found[0] != EMPTY:
            err = "NON_EMPTY_GROUP"
        if err is not None:
            results[group_id] = err
        else:
            waiting.append(group_id)
    if not waiting:
        return finish()
    for group_id in waiting:
        _delete_group(gc, group_id, lambda err, group_id=group_id: finish(group_id, err))


def _delete_group(gc: "GroupCoordinator", group_id: str, then: Callable[[str | None], None]) -> None:
    tps = sorted(gc.offsets.get(group_id, {}))
    g = gc.groups.get(group_id)
    records: list[tuple[str, bytes | None]] = [(offset_key(group_id, tp), None) for tp in tps]
    prefix = "cgroup" if group_id in gc.cgroups else "sgroup" if group_id in gc.sgroups else "group"
    records.append((f"{prefix}/{group_id}", None))
    cg = gc.cgroups.get(group_id) or gc.sgroups.get(group_id)

    def written(err: str | None) -> None:
        if err is None:
            _drop_offsets(gc, group_id, tps)
            if g is not None and gc.groups.get(group_id) is g and g.state == EMPTY and not g.members:
                gc.drop_group(group_id)
            store = gc.consumer_groups if prefix == "cgroup" else gc.share_groups
            if cg is not None and store.groups.get(group_id) is cg and not cg.members:
                store.load(group_id, None)
            gc.trace.state(gc.sim.now, gc.broker.name, "group.delete", group=group_id, offsets=len(tps))
        then(err)
    gc.write(gc.partition_of(group_id), records, written)


# -- rule 6 -----------------------------------------------------------------------------------------
def replay_tombstone(gc: "GroupCoordinator", key: str) -> None:
    """A record with no value, while loading: forget what its key names (ValueError: not our key)."""
    if key.startswith("group/"):
        gc.drop_group(key[len("group/"):])
        return
    if key.startswith("cgroup/"):
        gc.consumer_groups.load(key[len("cgroup/"):], None)
        return
    if key.startswith("sgroup/"):
        gc.share_groups.load(key[len("sgroup/"):], None)
        return
    group_id, tp = parse_offset_key(key)
    _drop_offsets(gc, group_id, [tp])


def _answer(make: Callable[["GroupCoordinator", object], object]) -> Callable[["GroupCoordinator", str, object], None]:
    return lambda gc, src, msg: gc.broker.send(src, make(gc, msg))


# the broker's dispatch (server/broker.py): request kind -> handler(coordinator, source, request)
REQUESTS: dict[str, Callable[["GroupCoordinator", str, object], None]] = {
    "ListGroupsRequest": _answer(list_groups),
    "DescribeGroupsRequest": _answer(describe_groups),
    "OffsetDeleteRequest": delete_offsets,
    "DeleteGroupsRequest": delete_groups,
}
