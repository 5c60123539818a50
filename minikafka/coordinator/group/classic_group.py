"""A consumer group on its coordinator: the classic rebalance protocol (kafka-semantics.md
I.58-I.62). The coordinator (group_coordinator.py) owns the groups and does the I/O.

States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and back to
PreparingRebalance whenever the membership must change.

Rules:
1. A JoinGroup without a member id is a new member: it gets one (its client id, "-", and 8
   seeded hex digits). A new member, or a member whose subscription changed, starts a
   rebalance (PreparingRebalance). A JoinGroup from a known member with an unchanged
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
Simplifications: no MEMBER_ID_REQUIRED round trip, no static membership (group.instance.id),
and a session timeout outside [group.min.session.timeout.ms, group.max.session.timeout.ms]
gets INVALID_SESSION_TIMEOUT as in Kafka.
"""
from __future__ import annotations

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
