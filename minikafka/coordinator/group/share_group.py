"""A share group (KIP-932, queues) on its group coordinator: membership by ShareGroupHeartbeat and
the `simple` assignor (kafka-semantics.md O.231, O.232; Kafka: `modern/share/ShareGroup`,
`ShareGroupMember`, `assignor/SimpleAssignor`, `GroupMetadataManager.shareGroupHeartbeat`). The
records themselves are handed out by the partitions' leaders (server/share/); this module only
decides which members fetch from which partitions.

Rules:
1. Refused before anything changes: UNSUPPORTED_VERSION when `share.version` is 0;
   INVALID_REQUEST for an empty member id or group id, a join (epoch 0) without topics, an
   epoch below -1; GROUP_MAX_SIZE_REACHED beyond `group.share.max.size` (200); GROUP_ID_NOT_FOUND
   when the group id belongs to a classic or consumer group (a group id names one group type).
   A non-zero epoch from an unknown member is UNKNOWN_MEMBER_ID; an epoch above the member's, or
   below it and not its previous one, is FENCED_MEMBER_EPOCH.
2. The group epoch is bumped when a member joins or leaves, changes its topics, or a subscribed
   topic's partition count changes; then the `simple` assignor computes a new target for the
   whole group at that epoch.
3. simple assignor: partitions are shared, not owned. Members sorted by member id, partitions by
   topic then number. With at least as many members as partitions, member i gets partition
   i % P (so every partition has a member, and several members share one); with fewer, partition
   j goes to member j % M. Only a member subscribed to the topic gets its partitions. (Kafka's
   SimpleAssignor also hashes to keep assignments stable; every partition reaching a member, and
   members beyond the partition count still getting work, are the rules kept.)
4. There is no revocation: a member's next heartbeat installs its new target and its epoch
   becomes the group's (state always Stable). The answer carries the assignment when the request
   was a join or named topics, or the assignment changed.
5. Leaving: epoch -1 removes the member at once; `group.share.session.timeout.ms` (45 s) without
   a heartbeat removes it too. Either bumps the group epoch.
6. The group is one record "sgroup/<group>" (modern_groups.py). Simplification: Kafka first
   initializes each share-partition's state with the share coordinator before assigning it; here
   a partition leader initializes it at the first ShareFetch (server/share/).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.group.modern_groups import Refused

if TYPE_CHECKING:
    from minikafka.coordinator.group.group_coordinator import GroupCoordinator

TP = tuple[str, int]


@dataclass
class ShareMember:
    member_id: str
    client_id: str = ""
    topics: tuple[str, ...] = ()
    epoch: int = 0
    previous_epoch: int = 0
    assigned: tuple[TP, ...] = ()
    session_timer: Any = None


@dataclass
class ShareGroup:
    group_id: str
    epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ShareMember] = field(default_factory=dict)
    target: dict[str, tuple[TP, ...]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def state(self) -> str:
        return "Stable" if self.members else "Empty"

    def record_value(self) -> bytes:
        return json.dumps({"epoch": self.epoch, "assignment_epoch": self.assignment_epoch, "counts": self.counts,
                           "members": [[m.member_id, m.client_id, list(m.topics), m.epoch, m.previous_epoch,
                                        [list(tp) for tp in m.assigned],
                                        [list(tp) for tp in self.target.get(m.member_id, ())]]
                                       for m in self.members.values()]}, sort_keys=True).encode()


def parse_share_group(group_id: str, value: bytes) -> ShareGroup:
    try:
        d = json.loads(value)
        g = ShareGroup(group_id, int(d["epoch"]), int(d["assignment_epoch"]),
                       counts={str(t): int(n) for t, n in d["counts"].items()})
        for mid, client, topics, epoch, previous, assigned, target in d["members"]:
            g.members[mid] = ShareMember(str(mid), str(client), tuple(topics), int(epoch), int(previous),
                                         tuple((str(t), int(p)) for t, p in assigned))
            g.target[mid] = tuple((str(t), int(p)) for t, p in target)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"malformed share group record: {e!r}") from e
    return g


def simple_assign(members: list[ShareMember], counts: dict[str, int]) -> dict[str, tuple[TP, ...]]:
    """Rule 3."""
    out: dict[str, list[TP]] = {m.member_id: [] for m in members}
    for topic in sorted(counts):
        subs = sorted(m.member_id for m in members if topic in m.topics)
        parts = [(topic, p) for p in range(counts[topic])]
        if not subs or not parts:
            continue
        if len(subs) >= len(parts):
            for i, mid in enumerate(subs):
                out[mid].append(parts[i % len(parts)])
        else:
            for j, tp in enumerate(parts):
                out[subs[j % len(subs)]].append(tp)
    return {mid: tuple(sorted(tps)) for mid, tps in out.items()}


# -- ShareGroupHeartbeat ------------------------------------------------------------------------------
def handle(gc: "GroupCoordinator", src: str, msg: P.ShareGroupHeartbeatRequest) -> None:
    def reply(err: str | None, m: ShareMember | None = None, assignment: bool = False, text: str = "") -> None:
        if err is not None or m is None:
            resp = P.ShareGroupHeartbeatResponse(msg.cid, err, msg.member_id, msg.member_epoch, error_message=text)
        else:
            resp = P.ShareGroupHeartbeatResponse(msg.cid, None, m.member_id, m.epoch,
                                                 gc.broker.cfg["group.share.heartbeat.interval.ms"],
                                                 m.assigned if assignment else None)
        gc.broker.send(src, resp, daemon=True)
    try:
        g, before, after = _apply(gc, msg)
    except Refused as r:
        return reply(r.error, text=r.message)
    if after is None:                                           # left
        return gc.share_groups.persist(msg.group_id, lambda err: reply(err))
    full = msg.member_epoch == 0 or msg.topics is not None
    changed = before is None or before.assigned != after.assigned
    if gc.share_groups.unchanged(g):
        return reply(None, after, full or changed)
    gc.share_groups.persist(g.group_id, lambda err: reply(err, after, full or changed))


def _apply(gc: "GroupCoordinator", msg: P.ShareGroupHeartbeatRequest) -> tuple:
    err = gc.owner_error(msg.group_id)
    if err is not None:
        raise Refused(err)
    if gc.broker.image.features.get("share.version", 0) < 1:
        raise Refused("UNSUPPORTED_VERSION", "share groups are not enabled on this cluster (share.version=0)")
    e = msg.member_epoch
    for bad, text in ((not msg.group_id, "GroupId can't be empty"), (not msg.member_id, "MemberId can't be empty"),
                      (e == 0 and not msg.topics, "SubscribedTopicNames must be set in first request"),
                      (e < -1, f"MemberEpoch is {e}, it must be >= -1")):
        if bad:
            raise Refused("INVALID_REQUEST", text)
    gid = msg.group_id
    if gid in gc.groups or gid in gc.cgroups:
        raise Refused("GROUP_ID_NOT_FOUND", f"Group {gid} is not a share group")
    g = gc.sgroups.get(gid) or (ShareGroup(gid) if e == 0 else None)
    m = g.members.get(msg.member_id) if g is not None else None
    if m is None and e != 0:
        raise Refused("UNKNOWN_MEMBER_ID", f"Member {msg.member_id} is not a member of share group {gid}")
    if e == -1:
        _remove(gc, g, m.member_id, "left the group")
        return g, m, None
    if m is not None and (e > m.epoch or (e < m.epoch and e != m.previous_epoch)):
        raise Refused("FENCED_MEMBER_EPOCH", f"The member's epoch {e} is not the coordinator's {m.epoch}")
    if m is None and len(g.members) >= gc.broker.cfg["group.share.max.size"]:
        raise Refused("GROUP_MAX_SIZE_REACHED", f"The share group has reached its maximum capacity of "
                                                f"{gc.broker.cfg['group.share.max.size']} members")
    gc.sgroups.setdefault(gid, g)
    before = m
    if m is None:
        m = g.members[msg.member_id] = ShareMember(msg.member_id, msg.client_id)
    bump = before is None or (msg.topics is not None and tuple(sorted(msg.topics)) != m.topics)
    if msg.topics is not None:
        m.topics = tuple(sorted(msg.topics))
    meta = gc.broker.metadata
    counts = {t: len(meta[t]) for t in sorted({t for x in g.members.values() for t in x.topics}) if t in meta}
    if bump or counts != g.counts:
        g.counts = counts
        g.epoch += 1
    if g.epoch > g.assignment_epoch:
        g.target = simple_assign(list(g.members.values()), g.counts)
        g.assignment_epoch = g.epoch
        gc.trace.state(gc.sim.now, gc.broker.name, "sgroup.target", group=gid, epoch=g.epoch, assignment=tuple(
            f"{mid}:" + "+".join(f"{t}-{p}" for t, p in tps) for mid, tps in sorted(g.target.items())))
    old_assigned = m.assigned
    if m.epoch != g.assignment_epoch:                           # rule 4: no revocation step
        m.previous_epoch, m.epoch, m.assigned = m.epoch, g.assignment_epoch, g.target.get(m.member_id, ())
    _touch(gc, g, m)
    snapshot = ShareMember(m.member_id, m.client_id, m.topics, m.epoch, m.previous_epoch, old_assigned)
    return g, (None if before is None else snapshot), m


def _touch(gc: "GroupCoordinator", g: ShareGroup, m: ShareMember) -> None:
    if m.session_timer is not None:
        m.session_timer.cancel()
    m.session_timer = gc.broker.after(gc.broker.cfg["group.share.session.timeout.ms"], _expire, gc, g, m.member_id,
                                      daemon=True)


def _expire(gc: "GroupCoordinator", g: ShareGroup, member_id: str) -> None:
    if gc.sgroups.get(g.group_id) is g and member_id in g.members:
        _remove(gc, g, member_id, "session timeout")
        gc.share_groups.persist(g.group_id, lambda err: None)


def _remove(gc: "GroupCoordinator", g: ShareGroup, member_id: str, why: str) -> None:
    m = g.members.pop(member_id)
    g.target.pop(member_id, None)
    if m.session_timer is not None:
        m.session_timer.cancel()
    g.epoch += 1
    gc.trace.state(gc.sim.now, gc.broker.name, "sgroup.member_removed", group=g.group_id, member=member_id, why=why,
                   epoch=g.epoch)


def start_timers(gc: "GroupCoordinator", g: ShareGroup) -> None:
    for m in g.members.values():
        _touch(gc, g, m)


def stop_timers(g: ShareGroup) -> None:
    for m in g.members.values():
        if m.session_timer is not None:
            m.session_timer.cancel()
