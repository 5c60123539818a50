"""The group coordinator's side of the KIP-848 consumer protocol: ConsumerGroupHeartbeat
(kafka-semantics.md N.214-N.223, N.229; Kafka: `GroupMetadataManager.consumerGroupHeartbeat`,
`consumerGroupLeave`, `consumerGroupFenceMember`, the session and rebalance timeouts). The
group's state and the reconciliation rules are consumer_group.py's; the coordinator
(group_coordinator.py) owns the groups and the writes.

Rules:
1. Refused before anything changes: UNSUPPORTED_VERSION when `group.version` is 0 or
   `group.coordinator.rebalance.protocols` leaves out "consumer"; INVALID_REQUEST for an empty
   member id (v1: the client makes it), group id, instance id or rack, a join (epoch 0) without
   a rebalance timeout or subscription or with owned partitions, epoch -2 without an instance
   id, an epoch below -2; UNSUPPORTED_ASSIGNOR for an assignor not in
   `group.consumer.assignors`; GROUP_MAX_SIZE_REACHED when a new member would exceed
   `group.consumer.max.size`.
2. Joining (epoch 0) creates the member; a non-zero epoch from an unknown member (or for a group
   this coordinator does not know) is UNKNOWN_MEMBER_ID; otherwise the epoch is checked
   (consumer_group.py rule 5). An empty classic group becomes a consumer group when a member of
   this protocol joins; a classic group with members refuses it with GROUP_ID_NOT_FOUND, as
   Kafka does under `group.consumer.migration.policy=disabled` (Kafka's default, bidirectional,
   converts a live group; minikafka does not model that migration).
3. The group epoch is bumped when the member is new or changed its subscription or assignor, or
   a subscribed topic's partition count changed (consumer_group.py rule 1). When the group epoch
   is past the target's, the preferred assignor (server_assignors.py rule 1) computes a new
   target for the whole group at once, at the group epoch.
4. Then this member alone is reconciled (consumer_group.py rule 4), and its session timer
   (`group.consumer.session.timeout.ms`) restarts. A member that enters UNREVOKED_PARTITIONS
   must leave it within its rebalance timeout (the client's `max.poll.interval.ms`), or it is
   removed.
5. The answer carries the member id, its epoch, `group.consumer.heartbeat.interval.ms`, and the
   assignment when the request was full (epoch 0, or every field sent) or the assignment
   changed. A heartbeat that changed the group is answered once its record is written and
   replicated (Kafka's coordinator runtime answers after the commit); a failed write answers its
   error and puts the group back as last written (Kafka reverts to the last committed state).
6. Leaving: epoch -1 removes the member at once (its partitions are free, the group epoch is
   bumped); a static member's epoch -2 keeps it, at epoch -2 with its assignment, until its
   session times out. A join with an instance id held by a member that is not at -2 is
   UNRELEASED_INSTANCE_ID; held by one at -2, the newcomer takes its place, assignment and
   target, at epoch 0, with no epoch bump if its subscription is the same. A request from a
   replaced member id is FENCED_INSTANCE_ID; leaving with -1 under another member's instance id
   too, and with an unknown instance id UNKNOWN_MEMBER_ID.
7. A member whose session times out, or that overstays its rebalance timeout, is removed as by
   rule 6's -1.
INVALID_REGULAR_EXPRESSION for a SubscribedTopicRegex that does not compile; resolution is
consumer_group.py rule 7. Not modelled: rack-aware assignment.
"""
from __future__ import annotations

from dataclasses import replace
import re
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.group.consumer_group import (LEAVE_EPOCH, STATIC_LEAVE_EPOCH, UNREVOKED, ConsumerGroup,
                                                       ConsumerMember, epoch_error, reconcile)
from minikafka.coordinator.group.server_assignors import SERVER_ASSIGNORS, MemberSpec, preferred
from minikafka.coordinator.internal_topics import INTERNAL_TOPICS
from minikafka.coordinator.group.modern_groups import Refused

if TYPE_CHECKING:
    from minikafka.coordinator.group.group_coordinator import GroupCoordinator

TP = tuple[str, int]


def handle(gc: "GroupCoordinator", src: str, msg: P.ConsumerGroupHeartbeatRequest) -> None:
    def reply(err: str | None, m: ConsumerMember | None = None, assignment: bool = False, text: str = "") -> None:
        interval = gc.broker.cfg["group.consumer.heartbeat.interval.ms"]
        if err is not None or m is None:
            resp = P.ConsumerGroupHeartbeatResponse(msg.cid, err, error_message=text)
        else:
            resp = P.ConsumerGroupHeartbeatResponse(msg.cid, None, m.member_id, m.epoch, interval,
                                                    m.assigned if assignment else None)
        gc.broker.send(src, resp, daemon=True)
    try:
        g, before, after, full = _apply(gc, msg)
    except Refused as r:
        return reply(r.error, text=r.message)
    if g is None:                                   # a -1 leave: echo the member id and epoch
        return _persist(gc, msg.group_id, lambda err: gc.broker.send(src, P.ConsumerGroupHeartbeatResponse(
            msg.cid, err, msg.member_id, msg.member_epoch), daemon=True))
    changed = before is None or before.assigned != after.assigned
    if gc.consumer_groups.unchanged(g):
        return reply(None, after, full or changed)
    _persist(gc, g.group_id, lambda err: reply(err, after, full or changed))


def _validate(gc: "GroupCoordinator", msg: P.ConsumerGroupHeartbeatRequest) -> None:
    """Rule 1."""
    cfg = gc.broker.cfg
    if gc.broker.image.features.get("group.version", 0) < 1 or "consumer" not in cfg[
            "group.coordinator.rebalance.protocols"]:
        raise Refused("UNSUPPORTED_VERSION", "the consumer group protocol is not enabled on this cluster "
                                             "(group.version, group.coordinator.rebalance.protocols)")
    e = msg.member_epoch
    problems = [
        (not msg.group_id, "GroupId can't be empty"),
        (not msg.member_id, "MemberId can't be empty"),
        (msg.instance_id == "", "InstanceId can't be empty"),
        (msg.rack_id == "", "RackId can't be empty"),
        (e == 0 and msg.rebalance_timeout_ms == -1, "RebalanceTimeoutMs must be provided in first request"),
        (e == 0 and bool(msg.owned), "TopicPartitions must be empty when (re-)joining"),
        (e == 0 and msg.topics is None and msg.regex is None, "SubscribedTopicNames must be set in first request"),
        (e == STATIC_LEAVE_EPOCH and msg.instance_id is None, "InstanceId can't be null for epoch -2"),
        (e < STATIC_LEAVE_EPOCH, f"MemberEpoch is {e}, it must be >= -2"),
    ]
    for bad, text in problems:
        if bad:
            raise Refused("INVALID_REQUEST", text)
    if msg.regex:
        try:
            re.compile(msg.regex)
        except re.error as e:
            raise Refused("INVALID_REGULAR_EXPRESSION", f"SubscribedTopicRegex {msg.regex!r} is not a valid "
                                                        f"regular expression: {e}")
    if msg.assignor is not None and msg.assignor not in cfg["group.consumer.assignors"]:
        raise Refused("UNSUPPORTED_ASSIGNOR", f"ServerAssignor {msg.assignor} is not supported; supported: "
                                              + ", ".join(cfg["group.consumer.assignors"]))


def _group(gc: "GroupCoordinator", msg: P.ConsumerGroupHeartbeatRequest) -> ConsumerGroup | None:
    """Rule 2: the group; a new one (not yet registered) when a member joins a group that does not
    exist or is an empty classic group."""
    gid = msg.group_id
    if gid in gc.sgroups:
        raise Refused("GROUP_ID_NOT_FOUND", f"Group {gid} is a share group")
    classic = gc.groups.get(gid)
    if classic is not None:
        if classic.members:
            raise Refused("GROUP_ID_NOT_FOUND", f"Group {gid} is not a consumer group (a classic group with "
                                                "members; online migration is not modelled)")
        if msg.member_epoch != 0:
            raise Refused("UNKNOWN_MEMBER_ID", f"Group {gid} is a classic group")
    g = gc.cgroups.get(gid)
    if g is None and msg.member_epoch == 0:
        return ConsumerGroup(gid)
    return g


def _register(gc: "GroupCoordinator", g: ConsumerGroup) -> None:
    if gc.cgroups.get(g.group_id) is g:
        return
    if g.group_id in gc.groups:
        gc.drop_group(g.group_id)
        gc.trace.state(gc.sim.now, gc.broker.name, "group.converted", group=g.group_id, to="consumer")
    gc.cgroups[g.group_id] = g


def _apply(gc: "GroupCoordinator", msg: P.ConsumerGroupHeartbeatRequest) -> tuple:
    """Rules 2-4 and 6: (group, member before, member after, full request); (None, ...) for a -1 leave."""
    err = gc.owner_error(msg.group_id)
    if err is not None:
        raise Refused(err)
    _validate(gc, msg)
    cfg = gc.broker.cfg
    g = _group(gc, msg)
    if g is None:
        raise Refused("UNKNOWN_MEMBER_ID", f"Group {msg.group_id} does not exist here")
    if msg.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
        return _leave(gc, g, msg)
    if len(g.members) >= cfg["group.consumer.max.size"] and msg.member_id not in g.members and not (
            msg.instance_id is not None and msg.instance_id in g.static_members):
        raise Refused("GROUP_MAX_SIZE_REACHED", f"The consumer group has reached its maximum capacity of "
                                                f"{cfg['group.consumer.max.size']} members")
    old, replaced = _member(g, msg)
    _register(gc, g)
    new = replace(old, client_id=msg.client_id or old.client_id,
                  instance_id=msg.instance_id if msg.instance_id is not None else old.instance_id,
                  rack=msg.rack_id if msg.rack_id is not None else old.rack,
                  rebalance_timeout_ms=old.rebalance_timeout_ms if msg.rebalance_timeout_ms == -1
                  else msg.rebalance_timeout_ms,
                  topics=tuple(sorted(msg.topics)) if msg.topics is not None else old.topics,
                  regex=(msg.regex or None) if msg.regex is not None else old.regex,
                  assignor=msg.assignor if msg.assignor is not None else old.assignor)
    is_new = msg.member_id not in g.members and replaced is None
    bump = is_new or g.epoch == 0 or new.topics != old.topics or new.regex != old.regex or new.assignor != old.assignor
    if replaced is not None:
        _replace_static(gc, g, replaced, new)
    g.update_member(None if is_new else g.members.get(new.member_id), new)
    resolved = _resolve(gc, g)
    counts = _counts(gc, g, resolved)
    if counts != g.subscribed_counts or resolved != g.resolved:
        g.subscribed_counts, g.resolved = counts, resolved
        bump = True
    if bump:
        g.epoch += 1
        gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.epoch", group=g.group_id, epoch=g.epoch,
                       why="joined" if is_new else "subscription" if replaced is None else "replaced")
    if g.epoch > g.assignment_epoch:
        _new_target(gc, g)
    after = _reconcile(gc, g, g.members[new.member_id], msg.owned)
    _touch(gc, g, after)
    full = msg.member_epoch == 0 or (msg.rebalance_timeout_ms != -1 and msg.topics is not None
                                     and msg.owned is not None)
    return g, (None if is_new or replaced is not None else old), after, full


def _member(g: ConsumerGroup, msg: P.ConsumerGroupHeartbeatRequest) -> tuple[ConsumerMember, ConsumerMember | None]:
    """(the member as it stands, the static member it replaces or None)."""
    joining = msg.member_epoch == 0
    if msg.instance_id is None:
        m = g.members.get(msg.member_id)
        if m is None:
            if not joining:
                raise Refused("UNKNOWN_MEMBER_ID", f"Member {msg.member_id} is not a member of group {g.group_id}")
            return ConsumerMember(msg.member_id), None
        _check_epoch(m, msg)
        return m, None
    held_by = g.static_members.get(msg.instance_id)
    held = g.members.get(held_by) if held_by is not None else None
    if joining:
        if held is None:
            return g.members.get(msg.member_id) or ConsumerMember(msg.member_id), None
        if held.epoch != STATIC_LEAVE_EPOCH:
            raise Refused("UNRELEASED_INSTANCE_ID", f"Static member {msg.member_id} with instance id "
                                                    f"{msg.instance_id} cannot join the group because the instance "
                                                    f"id is owned by {held.member_id} member")
        return replace(held, member_id=msg.member_id, epoch=0, previous_epoch=0, session_timer=None,
                       rebalance_timer=None), held
    if held is None:
        raise Refused("UNKNOWN_MEMBER_ID", f"Instance id {msg.instance_id} is unknown")
    if held.member_id != msg.member_id:
        raise Refused("FENCED_INSTANCE_ID", f"Static member {msg.member_id} with instance id {msg.instance_id} "
                                            f"was fenced by member {held.member_id}")
    _check_epoch(held, msg)
    return held, None


def _check_epoch(m: ConsumerMember, msg: P.ConsumerGroupHeartbeatRequest) -> None:
    err = epoch_error(m, msg.member_epoch, msg.owned)
    if err is not None:
        raise Refused(err, f"The member's epoch {msg.member_epoch} is not the coordinator's {m.epoch}; the member "
                           "must abandon all its partitions and rejoin")


def _replace_static(gc: "GroupCoordinator", g: ConsumerGroup, old: ConsumerMember, new: ConsumerMember) -> None:
    """Rule 6: the newcomer inherits the departed static member's place and target."""
    _cancel(old)
    g.remove_member(old.member_id)
    g.target[new.member_id] = g.target.get(old.member_id, old.assigned)
    g.target.pop(old.member_id, None)
    gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.static_replaced", group=g.group_id,
                   instance=new.instance_id, member=new.member_id, replaces=old.member_id)


def _resolve(gc: "GroupCoordinator", g: ConsumerGroup) -> dict[str, tuple[str, ...]]:
    """consumer_group.py rule 7: each member's regular expression against the topics."""
    names = sorted(t for t in gc.broker.metadata if t not in INTERNAL_TOPICS)
    return {r: tuple(t for t in names if re.fullmatch(r, t)) for r in sorted({m.regex for m in g.members.values()
                                                                                if m.regex})}


def _counts(gc: "GroupCoordinator", g: ConsumerGroup, resolved: dict[str, tuple[str, ...]]) -> dict[str, int]:
    topics = sorted({t for m in g.members.values() for t in m.topics}
                    | {t for m in g.members.values() if m.regex for t in resolved.get(m.regex, ())})
    meta = gc.broker.metadata
    return {t: len(meta[t]) for t in topics if t in meta}


def _new_target(gc: "GroupCoordinator", g: ConsumerGroup) -> None:
    """Rule 3."""
    offered = gc.broker.cfg["group.consumer.assignors"]
    g.assignor = preferred([m.assignor for m in g.members.values()], offered)
    counts = g.subscribed_counts
    specs = [MemberSpec(m.member_id, tuple(t for t in g.topics_of(m) if t in counts), g.target.get(m.member_id, ()),
                        m.instance_id) for m in g.members.values()]
    g.target = SERVER_ASSIGNORS[g.assignor](specs, counts)
    g.assignment_epoch = g.epoch
    gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.target", group=g.group_id, epoch=g.epoch,
                   assignor=g.assignor, assignment=tuple(f"{mid}:" + "+".join(f"{t}-{p}" for t, p in tps)
                                                         for mid, tps in sorted(g.target.items())))


def _reconcile(gc: "GroupCoordinator", g: ConsumerGroup, m: ConsumerMember, owned: tuple[TP, ...] | None
               ) -> ConsumerMember:
    """Rule 4."""
    held = {tp: e for tp, e in g.partition_epochs.items() if tp not in m.holds()}
    after = reconcile(m, g.assignment_epoch, g.target.get(m.member_id, ()), held, owned)
    if after is m:
        return m
    g.update_member(m, after)
    gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.reconcile", group=g.group_id, member=m.member_id,
                   epoch=after.epoch, state=after.state, assigned=tuple(f"{t}-{p}" for t, p in after.assigned),
                   revoking=tuple(f"{t}-{p}" for t, p in after.revoking))
    if after.state == UNREVOKED:
        if after.rebalance_timer is not None:
            after.rebalance_timer.cancel()
        after.rebalance_timer = gc.broker.after(after.rebalance_timeout_ms, _rebalance_timeout, gc, g,
                                                after.member_id, after.epoch, daemon=True)
    elif after.rebalance_timer is not None:
        after.rebalance_timer.cancel()
        after.rebalance_timer = None
    return after


# -- timers and removal (rules 4, 6, 7) -----------------------------------------------------------
def _touch(gc: "GroupCoordinator", g: ConsumerGroup, m: ConsumerMember) -> None:
    if m.session_timer is not None:
        m.session_timer.cancel()
    m.session_timer = gc.broker.after(gc.broker.cfg["group.consumer.session.timeout.ms"], _expire, gc, g,
                                      m.member_id, daemon=True)


def _cancel(m: ConsumerMember) -> None:
    for t in (m.session_timer, m.rebalance_timer):
        if t is not None:
            t.cancel()
    m.session_timer = m.rebalance_timer = None


def _expire(gc: "GroupCoordinator", g: ConsumerGroup, member_id: str) -> None:
    if gc.cgroups.get(g.group_id) is g and member_id in g.members:
        fence(gc, g, member_id, "session timeout")
        _persist(gc, g.group_id, lambda err: None)


def _rebalance_timeout(gc: "GroupCoordinator", g: ConsumerGroup, member_id: str, epoch: int) -> None:
    m = g.members.get(member_id)
    if gc.cgroups.get(g.group_id) is g and m is not None and m.epoch == epoch and m.state == UNREVOKED:
        fence(gc, g, member_id, f"did not revoke its partitions within its rebalance timeout "
                                f"({m.rebalance_timeout_ms} ms)")
        _persist(gc, g.group_id, lambda err: None)


def fence(gc: "GroupCoordinator", g: ConsumerGroup, member_id: str, why: str) -> None:
    """Remove a member; its partitions are free and the group epoch is bumped."""
    m = g.remove_member(member_id)
    _cancel(m)
    g.epoch += 1
    gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.member_removed", group=g.group_id, member=member_id,
                   why=why, epoch=g.epoch)


def _leave(gc: "GroupCoordinator", g: ConsumerGroup, msg: P.ConsumerGroupHeartbeatRequest) -> tuple:
    """Rule 6."""
    if msg.instance_id is None:
        if msg.member_id not in g.members:
            raise Refused("UNKNOWN_MEMBER_ID", f"Member {msg.member_id} is not a member of group {g.group_id}")
        fence(gc, g, msg.member_id, "left the group")
        return None, None, None, False
    held_by = g.static_members.get(msg.instance_id)
    if held_by is None:
        raise Refused("UNKNOWN_MEMBER_ID", f"Instance id {msg.instance_id} is unknown")
    if held_by != msg.member_id:
        raise Refused("FENCED_INSTANCE_ID", f"Static member {msg.member_id} with instance id {msg.instance_id} "
                                            f"was fenced by member {held_by}")
    if msg.member_epoch == LEAVE_EPOCH:
        fence(gc, g, msg.member_id, "left the group")
        return None, None, None, False
    m = g.members[held_by]
    after = replace(m, epoch=STATIC_LEAVE_EPOCH, previous_epoch=m.epoch)
    g.update_member(m, after)
    gc.trace.state(gc.sim.now, gc.broker.name, "cgroup.static_leave", group=g.group_id, member=m.member_id,
                   instance=m.instance_id)
    return g, m, after, False


# -- persistence (consumer_group.py rule 6; rule 5: modern_groups.py) ------------------------------
def _persist(gc: "GroupCoordinator", group_id: str, then: Any) -> None:
    gc.consumer_groups.persist(group_id, then)


def load(gc: "GroupCoordinator", group_id: str, value: bytes | None) -> None:
    """A "cgroup/<group>" record (None: a tombstone) into the coordinator's state."""
    gc.consumer_groups.load(group_id, value)


def start_timers(gc: "GroupCoordinator", g: ConsumerGroup) -> None:
    for m in g.members.values():
        _touch(gc, g, m)


def stop_timers(g: ConsumerGroup) -> None:
    for m in g.members.values():
        _cancel(m)
