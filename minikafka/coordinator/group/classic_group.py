"""A consumer group on its coordinator: the classic rebalance protocol (kafka-semantics.md
I.58-I.62). The coordinator (group_coordinator.py) owns the groups and does the I/O.

States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and back to
PreparingRebalance whenever the membership must change.

Rules:
1. A JoinGroup without a member id from a dynamic member is answered MEMBER_ID_REQUIRED with a
   member id (its client id, "-", and 8 seeded hex digits), remembered as pending for the
   session timeout (KIP-394); the member joins again with it and is then a new member. A static
   member gets its id at once (rule 8). A new member, or a member whose subscription changed,
   starts a rebalance (PreparingRebalance). A JoinGroup from a known member with an unchanged
   subscription while Stable gets the current generation back, without a rebalance.
2. The join phase ends when every member has (re)joined, or when the rebalance timeout (the
   largest `max.poll.interval.ms` among members) expires; members that did not rejoin are
   removed. A group that was Empty first waits `group.initial.rebalance.delay.ms` (3 s), and
   each new member extends the wait by that much, up to the rebalance timeout.
3. Completing the join bumps the generation, picks the protocol (assignor) that every member
   supports with the most first-choice votes (ties: the earlier in the leader's list), keeps
   the leader or makes the first member that joined the leader, and answers every JoinGroup;
   only the leader's answer lists the members and their subscriptions. -> CompletingRebalance.
   If nobody is left, the group becomes Empty.
4. The leader's SyncGroup carries the assignment, which is persisted before every member's
   SyncGroup is answered with its part. -> Stable. A SyncGroup from an unknown member gets
   UNKNOWN_MEMBER_ID, with another generation ILLEGAL_GENERATION, while PreparingRebalance
   REBALANCE_IN_PROGRESS (the member must rejoin).
5. JoinGroup, SyncGroup and Heartbeat keep a member alive for its `session.timeout.ms`; a member
   that goes silent longer is removed and a rebalance starts. A member whose JoinGroup or
   SyncGroup the coordinator is holding stays alive. A Heartbeat gets
   REBALANCE_IN_PROGRESS while PreparingRebalance (rejoin), ILLEGAL_GENERATION with a stale
   generation, UNKNOWN_MEMBER_ID from a removed member.
6. LeaveGroup removes the member and starts a rebalance.
7. Offset commits (I.56, I.62): a member's commit needs its member id (else UNKNOWN_MEMBER_ID)
   and the current generation (else ILLEGAL_GENERATION); a plain OffsetCommit also gets
   REBALANCE_IN_PROGRESS while CompletingRebalance, a TxnOffsetCommit does not (Kafka's
   ClassicGroup.validateOffsetCommit does not enforce the group state for transactional
   commits). A commit without membership (generation -1, no member id) is accepted only while
   the group is Empty, or inside a transaction.
8. Static membership (KIP-345, I.67): a member with a `group.instance.id` is static. The group
   maps each instance id to its current member id. A JoinGroup with that instance id and no
   member id is the same instance back (a restart): it gets a new member id, takes over the old
   member's place, assignment and leadership, and the old member id is fenced. In a Stable group
   whose selected protocol (assignor) its new metadata leaves unchanged there is no rebalance
   (Kafka compares the selected protocol, not the subscription bytes, which a new process sends
   without the partitions it owned): the member gets the current generation (a leader with
   `skip_assignment`, KIP-814, so it does not assign again) and its SyncGroup its old
   assignment; otherwise the group rebalances as for any rejoin. (A subscription changed across
   the restart is then not noticed; Kafka's leader would see it in the metadata KIP-814 gives it.) Any request that names the
   instance id with a member id other than the current one gets FENCED_INSTANCE_ID. A static
   member is removed by its session timeout (or a LeaveGroup naming it), not by closing: its
   client sends no LeaveGroup.
A session timeout outside [group.min.session.timeout.ms, group.max.session.timeout.ms] gets
INVALID_SESSION_TIMEOUT as in Kafka.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from minikafka.protocol import GroupProtocol

EMPTY, PREPARING, COMPLETING, STABLE = "Empty", "PreparingRebalance", "CompletingRebalance", "Stable"
TP = tuple[str, int]


@dataclass
class Member:
    member_id: str
    client_id: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocols: tuple[GroupProtocol, ...]
    assignment: tuple[TP, ...] = ()
    join_reply: Any = None          # pending JoinGroup answer: reply(response fields)
    sync_reply: Any = None
    expiry: Any = None              # session timer
    joined_at: int = 0
    instance_id: str | None = None  # group.instance.id of a static member (rule 8)

    def protocol(self, name: str) -> GroupProtocol | None:
        for p in self.protocols:
            if p.name == name:
                return p
        return None


@dataclass
class ClassicGroup:
    group_id: str
    state: str = EMPTY
    generation: int = 0
    protocol: str = ""
    leader: str = ""
    members: dict[str, Member] = field(default_factory=dict)     # in join order
    join_timer: Any = None
    join_deadline: int = 0
    initial: bool = False               # in the initial delay of a group that was Empty
    new_member_added: bool = False
    static_members: dict[str, str] = field(default_factory=dict)   # instance id -> member id (rule 8)
    pending: dict[str, Any] = field(default_factory=dict)          # rule 1: member ids given, not yet joined

    def fenced(self, member_id: str, instance_id: str | None) -> bool:
        """Rule 8: the instance id is known, with another member id."""
        if instance_id is None:
            return False
        current = self.static_members.get(instance_id)
        return current is not None and current != member_id

    def add(self, m: Member) -> None:
        self.members[m.member_id] = m
        if m.instance_id is not None:
            self.static_members[m.instance_id] = m.member_id

    def discard(self, member_id: str) -> Member:
        m = self.members.pop(member_id)
        if m.instance_id is not None and self.static_members.get(m.instance_id) == member_id:
            del self.static_members[m.instance_id]
        return m

    def replace_static(self, instance_id: str, new_id: str) -> tuple[Member, str]:
        """Rule 8: the instance's member takes `new_id`, in the same place of the join order;
        returns it and its old member id."""
        old_id = self.static_members[instance_id]
        self.members = {(new_id if mid == old_id else mid): m for mid, m in self.members.items()}
        m = self.members[new_id]
        m.member_id = new_id
        self.static_members[instance_id] = new_id
        if self.leader == old_id:
            self.leader = new_id
        return m, old_id

    def instances(self) -> tuple[tuple[str, str], ...]:
        return tuple((mid, m.instance_id) for mid, m in self.members.items() if m.instance_id is not None)

    def record_value(self) -> bytes:
        """Rule 0: the group's record in its `__consumer_offsets` partition."""
        return json.dumps({"generation": self.generation, "protocol": self.protocol, "leader": self.leader,
                           "members": [[m.member_id, m.client_id, m.session_timeout_ms, m.rebalance_timeout_ms,
                                        [[p.name, list(p.topics)] for p in m.protocols],
                                        [list(tp) for tp in m.assignment]]
                                       + ([m.instance_id] if m.instance_id is not None else [])
                                       for m in self.members.values()]}, sort_keys=True).encode()

    def rebalance_timeout(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def all_joined(self) -> bool:
        return all(m.join_reply is not None for m in self.members.values())

    def choose_protocol(self) -> str | None:
        """Rule 3's vote: None when the members share no protocol."""
        members = list(self.members.values())
        common = [p.name for p in members[0].protocols
                  if all(m.protocol(p.name) is not None for m in members[1:])]
        if not common:
            return None
        votes = {name: 0 for name in common}
        for m in members:
            votes[next(p.name for p in m.protocols if p.name in votes)] += 1
        leader = self.members.get(self.leader) or members[0]
        order = [p.name for p in leader.protocols if p.name in votes]
        return max(order, key=lambda n: (votes[n], -order.index(n)))

    def assignment_of(self, member_id: str) -> tuple[TP, ...]:
        m = self.members.get(member_id)
        return m.assignment if m is not None else ()

    def owners(self) -> dict[TP, str]:
        return {tp: m.member_id for m in self.members.values() for tp in m.assignment}

    def validate_commit(self, member_id: str, generation: int, transactional: bool) -> str | None:
        """Rule 7."""
        if generation >= 0 or member_id:
            if member_id not in self.members:
                return "UNKNOWN_MEMBER_ID"
            if generation != self.generation:
                return "ILLEGAL_GENERATION"
            if self.state == COMPLETING and not transactional:
                return "REBALANCE_IN_PROGRESS"
            return None
        if self.state != EMPTY and not transactional:
            return "UNKNOWN_MEMBER_ID"
        return None


def parse_group(group_id: str, value: bytes | None) -> ClassicGroup:
    """The group of a "group/<group>" record (rule 0); ValueError when the value is not one."""
    def of(v: Any, kind: type) -> Any:
        if not isinstance(v, kind) or isinstance(v, bool):
            raise ValueError(f"{v!r} is not {kind.__name__}")
        return v
    try:
        d = json.loads(of(value, bytes))
        g = ClassicGroup(group_id, STABLE if of(d["members"], list) else EMPTY, of(d["generation"], int),
                         of(d["protocol"], str), of(d["leader"], str))
        for mid, client, session, rebalance, protocols, assignment, *static in d["members"]:
            g.add(Member(
                of(mid, str), of(client, str), of(session, int), of(rebalance, int),
                tuple(GroupProtocol(of(name, str), tuple(of(t, str) for t in topics)) for name, topics in protocols),
                tuple((of(t, str), of(p, int)) for t, p in assignment),
                instance_id=of(static[0], str) if static else None))
    except (KeyError, TypeError) as e:          # json's own errors are ValueErrors already
        raise ValueError(f"malformed group record: {e!r}") from e
    return g
