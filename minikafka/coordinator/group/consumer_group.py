"""A consumer group under the KIP-848 consumer protocol, on its coordinator: three epochs and
each member's reconciliation (kafka-semantics.md N.217, N.219, N.220; Kafka:
`modern/consumer/ConsumerGroup`, `ConsumerGroupMember`, `CurrentAssignmentBuilder`,
`MemberState`). The requests are consumer_group_heartbeat.py's; this module is the state and
the pure rules.

Rules:
1. Three epochs: the group epoch (bumped when a member joins or leaves, a subscription or the
   preferred assignor changes, or a subscribed topic's partition count changes), the target
   assignment's epoch (the group epoch the target was computed at), and each member's epoch.
   group epoch >= assignment epoch >= every member epoch.
2. Group state: Empty (no members), Assigning (group epoch > assignment epoch), Reconciling
   (some member is not Stable at the assignment epoch), Stable.
3. Partition epochs: a partition a member holds (assigned or pending revocation) carries that
   member's epoch; a free partition has none (Kafka's -1). A partition is handed to a member
   only when free, so no partition ever has two owners.
4. Reconciliation (`reconcile`, Kafka's CurrentAssignmentBuilder), from the member's current
   assignment A towards its target T at the assignment epoch:
   keep = A & T; revoke = A - T; assign = T - A, minus partitions another member still holds.
   - something to revoke that the member still reports owning: UNREVOKED_PARTITIONS, the epoch
     stays, the member is told `keep` (it must give up the rest first);
   - else something to assign: the member moves to the target epoch, takes `keep + assign`,
     STABLE, or UNRELEASED_PARTITIONS if part of its target is still held by others;
   - else: the target epoch, `keep`, UNRELEASED_PARTITIONS if anything is still held, or STABLE.
   From UNREVOKED_PARTITIONS, once the member's report no longer names the revoked partitions,
   it moves to epoch + 1 and is reconciled again (usually straight on to the target).
   From UNRELEASED_PARTITIONS it is reconciled again at every heartbeat, taking partitions as
   their holders release them.
5. Member epoch check (`epoch_error`): an epoch above the member's is FENCED_MEMBER_EPOCH; below
   it, accepted only when it is the member's previous epoch and what it reports owning is within
   its assignment (the answer that moved it on was lost); otherwise FENCED_MEMBER_EPOCH.
6. The group's state is persisted as one record "cgroup/<group>" (JSON) after every change
   (Kafka writes several record types: member metadata, target assignment, current assignment,
   group epoch); a new coordinator loads it and the members carry on.
7. A member may subscribe by regular expression (SubscribedTopicRegex) as well as by name. The
   coordinator resolves each expression against every topic of its metadata (internal topics
   excepted); an expression must match a whole topic name (RE2J's `matches`; minikafka uses
   Python's `re.fullmatch`, the same for the usual patterns), so "orders" does not match
   "orders-1". A resolution that changes (a matching topic created or deleted) bumps the group
   epoch. Kafka resolves on a background thread at most every 10 s; here at every heartbeat.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

TP = tuple[str, int]
STABLE, UNREVOKED, UNRELEASED = "STABLE", "UNREVOKED_PARTITIONS", "UNRELEASED_PARTITIONS"
LEAVE_EPOCH, STATIC_LEAVE_EPOCH = -1, -2


@dataclass
class ConsumerMember:
    member_id: str
    client_id: str = ""
    instance_id: str | None = None
    rack: str | None = None
    rebalance_timeout_ms: int = 300000
    topics: tuple[str, ...] = ()
    regex: str | None = None
    assignor: str | None = None
    epoch: int = 0
    previous_epoch: int = 0
    state: str = STABLE
    assigned: tuple[TP, ...] = ()                 # what the member is told it owns
    revoking: tuple[TP, ...] = ()                 # pending revocation: still owned until reported gone
    session_timer: Any = None
    rebalance_timer: Any = None

    def holds(self) -> tuple[TP, ...]:
        return tuple(sorted(set(self.assigned) | set(self.revoking)))


@dataclass
class ConsumerGroup:
    group_id: str
    epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ConsumerMember] = field(default_factory=dict)
    target: dict[str, tuple[TP, ...]] = field(default_factory=dict)      # member id -> target partitions
    partition_epochs: dict[TP, int] = field(default_factory=dict)        # rule 3
    static_members: dict[str, str] = field(default_factory=dict)         # instance id -> member id
    subscribed_counts: dict[str, int] = field(default_factory=dict)      # topic -> partitions, at the last bump
    assignor: str = ""
    resolved: dict[str, tuple[str, ...]] = field(default_factory=dict)   # regex -> the topics it matched (rule 7)

    def state(self) -> str:
        """Rule 2."""
        if not self.members:
            return "Empty"
        if self.epoch > self.assignment_epoch:
            return "Assigning"
        if any(m.state != STABLE or m.epoch != self.assignment_epoch for m in self.members.values()):
            return "Reconciling"
        return "Stable"

    def topics_of(self, m: ConsumerMember) -> tuple[str, ...]:
        """Rule 7: the topics a member subscribes to, by name and by its regular expression."""
        return tuple(sorted(set(m.topics) | set(self.resolved.get(m.regex, ()) if m.regex else ())))

    def owner(self, tp: TP) -> str | None:
        for m in self.members.values():
            if tp in m.assigned or tp in m.revoking:
                return m.member_id
        return None

    def update_member(self, old: ConsumerMember | None, new: ConsumerMember) -> None:
        """Put `new` in place, moving the partition epochs of what it holds (rule 3)."""
        if old is not None:
            for tp in old.holds():
                if self.partition_epochs.get(tp) == old.epoch:
                    del self.partition_epochs[tp]
        for tp in new.holds():
            self.partition_epochs[tp] = new.epoch
        self.members[new.member_id] = new
        if new.instance_id is not None:
            self.static_members[new.instance_id] = new.member_id

    def remove_member(self, member_id: str) -> ConsumerMember:
        m = self.members.pop(member_id)
        for tp in m.holds():
            self.partition_epochs.pop(tp, None)
        self.target.pop(member_id, None)
        if m.instance_id is not None and self.static_members.get(m.instance_id) == member_id:
            del self.static_members[m.instance_id]
        return m

    def record_value(self) -> bytes:
        """Rule 6."""
        return json.dumps({
            "epoch": self.epoch, "assignment_epoch": self.assignment_epoch, "assignor": self.assignor,
            "counts": self.subscribed_counts,
            "members": [[m.member_id, m.client_id, m.instance_id, m.rebalance_timeout_ms, list(m.topics), m.assignor,
                         m.epoch, m.previous_epoch, m.state, [list(tp) for tp in m.assigned],
                         [list(tp) for tp in m.revoking], [list(tp) for tp in self.target.get(m.member_id, ())]]
                        + ([m.regex] if m.regex is not None else []) for m in self.members.values()],
            **({"resolved": {r: list(t) for r, t in self.resolved.items()}} if self.resolved else {})},
            sort_keys=True).encode()


def parse_consumer_group(group_id: str, value: bytes) -> ConsumerGroup:
    """The group of a "cgroup/<group>" record; ValueError when it is not one."""
    try:
        d = json.loads(value)
        g = ConsumerGroup(group_id, int(d["epoch"]), int(d["assignment_epoch"]), assignor=str(d["assignor"]),
                          subscribed_counts={str(t): int(n) for t, n in d["counts"].items()},
                          resolved={str(r): tuple(t) for r, t in d.get("resolved", {}).items()})
        for (mid, client, instance, rebalance, topics, assignor, epoch, previous, state, assigned, revoking,
             target, *regex) in d["members"]:
            m = ConsumerMember(str(mid), str(client), instance, rack=None, rebalance_timeout_ms=int(rebalance),
                               topics=tuple(topics), regex=regex[0] if regex else None, assignor=assignor,
                               epoch=int(epoch), previous_epoch=int(previous),
                               state=str(state), assigned=tuple((str(t), int(p)) for t, p in assigned),
                               revoking=tuple((str(t), int(p)) for t, p in revoking))
            g.update_member(None, m)
            g.target[m.member_id] = tuple((str(t), int(p)) for t, p in target)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"malformed consumer group record: {e!r}") from e
    return g


def epoch_error(m: ConsumerMember, epoch: int, owned: tuple[TP, ...] | None) -> str | None:
    """Rule 5."""
    if epoch > m.epoch:
        return "FENCED_MEMBER_EPOCH"
    if epoch < m.epoch and (epoch != m.previous_epoch or owned is None or not set(owned) <= set(m.assigned)):
        return "FENCED_MEMBER_EPOCH"
    return None


def reconcile(m: ConsumerMember, target_epoch: int, target: tuple[TP, ...], held: dict[TP, int],
              owned: tuple[TP, ...] | None) -> ConsumerMember:
    """Rule 4: the member's next state. `held` is the group's partition epochs (rule 3) and
    `owned` what the member reported owning (None: not reported in this heartbeat)."""
    if m.state == STABLE and m.epoch == target_epoch:
        return m
    if m.state == UNREVOKED:
        if _still_owns(owned, m.revoking):
            return m
        return _next(m, m.epoch + 1, target_epoch, target, held, owned)
    return _next(m, m.epoch, target_epoch, target, held, owned)


def _still_owns(owned: tuple[TP, ...] | None, revoking: tuple[TP, ...]) -> bool:
    return owned is None or bool(set(owned) & set(revoking))


def _next(m: ConsumerMember, epoch: int, target_epoch: int, target: tuple[TP, ...], held: dict[TP, int],
          owned: tuple[TP, ...] | None) -> ConsumerMember:
    current, goal = set(m.assigned), set(target)
    keep = current & goal
    revoke = current - goal
    assign = {tp for tp in goal - keep if tp not in held}
    unreleased = bool(goal - keep - assign)
    if revoke and _still_owns(owned, tuple(revoke)):
        return _moved(m, UNREVOKED, epoch, keep, revoke)
    return _moved(m, UNRELEASED if unreleased else STABLE, target_epoch, keep | assign, set())


def _moved(m: ConsumerMember, state: str, epoch: int, assigned: set[TP], revoking: set[TP]) -> ConsumerMember:
    return replace(m, state=state, epoch=epoch, previous_epoch=m.epoch, assigned=tuple(sorted(assigned)),
                   revoking=tuple(sorted(revoking)), session_timer=m.session_timer, rebalance_timer=m.rebalance_timer)
