"""References and helpers for notebook 09, consumer groups: consumer lag, the properties a
sticky assignor must have, plugging a learner's assignor into a live group, and when a restart
rebalances.

Rules (Kafka's OffsetAndMetadata and ConsumerGroupCommand for lag; the sticky assignors' KIP-54
and KIP-429; KIP-345 for static membership):
1. A committed offset N means "resume at N": the next record to read, not the last one read.
   A partition's lag is its end offset (the HW; the LSO for read_committed) minus the
   group's committed offset. With nothing committed the group would start at the log start
   offset (0 here), so the lag is the end offset. A lag is never negative.
2. A sticky assignment (identical subscriptions) is valid (every partition of the subscribed
   topics owned by exactly one member, every member present), balanced (member counts differ
   by at most 1), and as sticky as balance allows: with P partitions and C members, at most
   P // C or P // C + 1 partitions per member, so member i can keep min(owned_i, P // C) of its
   partitions, and P % C of the members that owned more than P // C keep one more.
3. The range assignor itself is `assignors.range_assignor`, the sticky one
   `assignors.sticky_assignor`.
4. Static membership (KIP-345, classic protocol): a dynamic member's restart always rebalances
   the group (its close sends a LeaveGroup, the new process joins as a new member). A static
   member (`group.instance.id`) sends no LeaveGroup; back within `session.timeout.ms` it takes
   its old place with no rebalance, away longer it is removed by the session timeout and the
   group rebalances. The coordinator counts the session from the last heartbeat (every
   `heartbeat.interval.ms`, 3 s), so near the boundary it depends on when that was.
5. The consumer protocol (KIP-848): what the coordinator answers a member's heartbeat is
   `coordinator/group/consumer_group.py`'s reconciliation (its rule 4), wrapped by
   `after_heartbeat` for exercise 9.5.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping, Sequence

from minikafka.clients.consumer.assignors import TP, Subscription, check_assignment, register_assignor
from minikafka.course.checks import wrap_report


# -- rule 1: lag -------------------------------------------------------------------------------
def partition_lag(end_offsets: Mapping[TP, int], committed: Mapping[TP, int]) -> dict[TP, int]:
    """Lag per partition of `end_offsets` (rule 1): end offset minus committed offset, 0 at
    least; the whole end offset where the group committed nothing."""
    return {tp: max(end - committed.get(tp, 0), 0) for tp, end in sorted(end_offsets.items())}


# -- rule 2: the properties of a sticky assignment ----------------------------------------------
def most_kept(partitions_per_topic: Mapping[str, int], subscriptions: Sequence[Subscription]) -> int:
    """How many previously owned partitions a balanced assignment can leave with their owners
    (rule 2; identical subscriptions, each partition owned by at most one member)."""
    if not subscriptions:
        return 0
    topics = subscriptions[0].topics
    total = sum(partitions_per_topic.get(t, 0) for t in set(topics))
    quota, extra = divmod(total, len(subscriptions))
    owned = [len(s.owned) for s in subscriptions]
    return sum(min(n, quota) for n in owned) + min(extra, sum(1 for n in owned if n > quota))


def sticky_verdict(partitions_per_topic: Mapping[str, int], subscriptions: Sequence[Subscription],
                   assignment: Any) -> str:
    """One sentence on `assignment` as a sticky assignment of this group (rule 2)."""
    problems = check_assignment(partitions_per_topic, subscriptions, assignment)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        return f"invalid: {problems[0]}{more}"
    counts = sorted(len(assignment[s.member_id]) for s in subscriptions)
    if counts and counts[-1] - counts[0] > 1:
        return f"unbalanced: members hold from {counts[0]} to {counts[-1]} partitions"
    best = most_kept(partitions_per_topic, subscriptions)
    kept = sum(len(set(s.owned) & set(assignment[s.member_id])) for s in subscriptions)
    if kept < best:
        return f"not sticky enough: {_partitions(kept)} with their previous owner, {best} could"
    return f"valid, balanced, and {_partitions(best)} with their previous owner (the most possible)"


def _partitions(n: int) -> str:
    return f"{n} partition stays" if n == 1 else f"{n} partitions stay"


def moves(before: Mapping[str, Sequence[TP]], after: Mapping[str, Sequence[TP]]) -> list[str]:
    """The partitions whose owner changed from `before` to `after`, as "t-0: a -> b"."""
    old = {tp: m for m, tps in before.items() for tp in tps}
    new = {tp: m for m, tps in after.items() for tp in tps}
    return [f"{tp[0]}-{tp[1]}: {old.get(tp, '-')} -> {new.get(tp, '-')}"
            for tp in sorted(set(old) | set(new)) if old.get(tp) != new.get(tp)]


def show_group(partitions_per_topic: Mapping[str, int], subscriptions: Sequence[Subscription]) -> str:
    """A group's input in one line: `t:3; a->[t] owns t-0,t-1; b(static i1)->[t]`."""
    topics = " ".join(f"{t}:{n}" for t, n in partitions_per_topic.items())
    members = []
    for s in subscriptions:
        text = s.member_id + (f"(static {s.group_instance_id})" if s.group_instance_id else "")
        text += "->[" + ",".join(s.topics) + "]"
        if s.owned:
            text += " owns " + ",".join(f"{t}-{p}" for t, p in s.owned)
        members.append(text)
    return f"{topics or '(no topics)'}; " + ("; ".join(members) or "(no members)")


# -- a learner's assignor in a live group --------------------------------------------------------
PROBE = ({"t": 3}, [Subscription("a", ("t",)), Subscription("b", ("t",))])


def use_assignor(name: str, fn: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """Register `fn` as partition.assignment.strategy `name`; while it is an unfinished stub,
    register `reference` instead and say so in one line."""
    try:
        fn(*PROBE)
    except NotImplementedError as e:
        print(wrap_report(f"[todo] {name}: {e or 'not implemented yet'}; the group uses the reference instead"))
        fn = reference
    register_assignor(name, fn)


# -- rule 4: static membership, a restart and a rebalance ----------------------------------------
def rebalances(static: bool, away_ms: int, session_timeout_ms: int) -> bool:
    """Rule 4: does the group rebalance when a member's process is closed and started again
    `away_ms` later? A dynamic member always (its LeaveGroup, then a new member's JoinGroup); a
    static one only if it was away longer than its session timeout."""
    return not static or away_ms > session_timeout_ms


def run_restart(static: bool, away_ms: int, session_timeout_ms: int, seed: int = 5) -> tuple[Any, int, int]:
    """Build rule 4 by its mechanism: two members of group "g" start together and share 4
    partitions (static ones with group.instance.id worker-a and worker-b); worker-a is closed,
    the other keeps polling for `away_ms`, then a new process with worker-a's config joins.
    Returns (cluster, the generation before the close, the generation once the group is
    settled again)."""
    from minikafka.cluster import Cluster
    c = Cluster(brokers=1, seed=seed)        # both members join in the initial delay: generation 1
    c.create_topic("t", partitions=4, replication_factor=1)

    def member(instance: str) -> Any:
        cfg: dict[str, Any] = {"group.id": "g", "auto.offset.reset": "earliest",
                               "session.timeout.ms": session_timeout_ms}
        if static:
            cfg["group.instance.id"] = instance
        k = c.consumer(cfg)
        k.subscribe(["t"])
        return k

    def settle(*consumers: Any) -> None:
        for _ in range(40):
            for k in consumers:
                k.consume(100, 0.5)
            if c.group_state("g").state == "Stable" and all(k.assignment() for k in consumers):
                return
        raise RuntimeError(f"the group did not settle: {c.group_state('g')}")

    a, b = member("worker-a"), member("worker-b")
    settle(a, b)
    before = c.group_state("g").generation
    a.close()
    back = c.now + away_ms
    while c.now < back:
        b.consume(100, min(500, back - c.now) / 1000)
    settle(member("worker-a"), b)
    return c, before, c.group_state("g").generation


@functools.cache
def simulated_rebalances(static: bool, away_ms: int, session_timeout_ms: int) -> bool:
    """What the cluster does in `run_restart` (the oracle of exercise 9.4): did the generation
    move?"""
    _c, before, after = run_restart(static, away_ms, session_timeout_ms)
    return after != before


# -- rule 5: the consumer protocol's reconciliation ----------------------------------------------------
def after_heartbeat(owned: Sequence[TP], target: Sequence[TP], held_by_others: Sequence[TP]) -> tuple[str, list[TP]]:
    """Exercise 9.5's reference: the member owns (and reports) `owned`, is Stable at the old
    epoch, and the coordinator has a new target for it; `held_by_others` are partitions other
    members still own. Returns (member state, the partitions the answer tells it to own)."""
    from minikafka.coordinator.group.consumer_group import ConsumerMember, reconcile
    m = ConsumerMember("m", epoch=1, previous_epoch=0, assigned=tuple(sorted(set(owned))))
    held = {tp: 7 for tp in held_by_others if tp not in owned}
    after = reconcile(m, 2, tuple(sorted(set(target))), held, m.assigned)
    return after.state, sorted(after.assigned)
