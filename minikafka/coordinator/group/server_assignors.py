"""The consumer protocol's server-side assignors (KIP-848; kafka-semantics.md N.218; Kafka:
`group-coordinator/.../assignor/UniformAssignor`, `UniformHomogeneousAssignmentBuilder`,
`UniformHeterogeneousAssignmentBuilder`, `RangeAssignor`). The group coordinator runs one over
the whole group whenever the group epoch moves past the target assignment's epoch
(consumer_group_heartbeat.py rule 3); each is a pure function of the members and the partition
counts of the topics they subscribe to.

Rules:
1. `group.consumer.assignors` (broker config) lists the assignors the coordinator offers; the
   first is the default. A member may name one (`group.remote.assignor`); the group uses the one
   named by the most members (ties: the earlier in that list), or the default if none names one.
2. uniform, every member subscribed to the same topics (homogeneous): the partitions are counted;
   each member's quota is total // members, and the first total % members members (in member
   order) get one more. Each member keeps the partitions of its current target assignment that
   are still subscribed, up to its quota (in topic, then partition order); the rest, and every
   partition nobody holds, are handed out in topic-then-partition order to the members with
   room left, in member order, filling each before the next.
3. uniform with different subscriptions (heterogeneous): a partition stays with its holder if
   the holder still subscribes to its topic and holds fewer than its fair share (the topic's
   partitions spread over its subscribers, summed over its topics, rounded up); every other
   partition goes to the subscriber that holds the fewest (ties: member order). Kafka's builder
   also moves partitions between members afterwards to even out counts; this one does not, so
   with mixed subscriptions it can be less even than Kafka's (a simplification).
4. range: per topic, its subscribers in order (static members first, by instance id, then by
   member id) each take a contiguous range of total // n partitions, the first total % n of them
   one more, so co-partitioned topics line up member by member. Not sticky.
Member order is the sorted member id (Kafka iterates a hash map, an order with no meaning).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

TP = tuple[str, int]


@dataclass(frozen=True)
class MemberSpec:
    """What an assignor knows about a member."""
    member_id: str
    topics: tuple[str, ...]                 # subscribed, existing topics
    current: tuple[TP, ...] = ()            # its current target assignment (what stickiness keeps)
    instance_id: str | None = None


Assignor = Callable[[Sequence[MemberSpec], Mapping[str, int]], dict[str, tuple[TP, ...]]]


def uniform(members: Sequence[MemberSpec], counts: Mapping[str, int]) -> dict[str, tuple[TP, ...]]:
    """Rules 2 and 3."""
    order = sorted(members, key=lambda m: m.member_id)
    if not order:
        return {}
    if len({m.topics for m in order}) == 1:
        return _uniform_homogeneous(order, counts)
    return _uniform_heterogeneous(order, counts)


def _uniform_homogeneous(order: list[MemberSpec], counts: Mapping[str, int]) -> dict[str, tuple[TP, ...]]:
    topics = sorted(t for t in order[0].topics if t in counts)
    every = [(t, p) for t in topics for p in range(counts[t])]
    held = {tp for m in order for tp in m.current if tp[0] in counts and tp[1] < counts[tp[0]]}
    free = [tp for tp in every if tp not in held]
    quota, extra = divmod(len(every), len(order))
    out: dict[str, list[TP]] = {}
    room: list[tuple[str, int]] = []
    for m in order:
        q = quota + (1 if extra > 0 else 0)
        extra -= 1
        keep = [tp for tp in sorted(m.current) if tp[0] in topics and tp in held]
        out[m.member_id], over = keep[:q], keep[q:]
        free.extend(over)
        if len(out[m.member_id]) < q:
            room.append((m.member_id, q - len(out[m.member_id])))
    free.sort()
    i = 0
    for member_id, left in room:
        out[member_id].extend(free[i:i + left])
        i += left
    return {mid: tuple(sorted(tps)) for mid, tps in out.items()}


def _uniform_heterogeneous(order: list[MemberSpec], counts: Mapping[str, int]) -> dict[str, tuple[TP, ...]]:
    subscribers = {t: [m.member_id for m in order if t in m.topics] for t in sorted(counts)}
    share = {m.member_id: sum(-(-counts[t] // len(subscribers[t])) for t in m.topics if t in counts) for m in order}
    by_id = {m.member_id: m for m in order}
    owner = {tp: m.member_id for m in order for tp in sorted(m.current)}
    out: dict[str, list[TP]] = {m.member_id: [] for m in order}
    rest: list[TP] = []
    for t in sorted(counts, key=lambda t: (len(subscribers[t]), t)):
        if not subscribers[t]:
            continue
        for p in range(counts[t]):
            holder = owner.get((t, p))
            if holder is not None and t in by_id[holder].topics and len(out[holder]) < share[holder]:
                out[holder].append((t, p))
            else:
                rest.append((t, p))
    for t, p in rest:
        least = min(subscribers[t], key=lambda mid: (len(out[mid]), mid))
        out[least].append((t, p))
    return {mid: tuple(sorted(tps)) for mid, tps in out.items()}


def range_(members: Sequence[MemberSpec], counts: Mapping[str, int]) -> dict[str, tuple[TP, ...]]:
    """Rule 4."""
    order = sorted(members, key=lambda m: (m.instance_id is None, m.instance_id or "", m.member_id))
    out: dict[str, list[TP]] = {m.member_id: [] for m in order}
    for t in sorted(counts):
        subs = [m.member_id for m in order if t in m.topics]
        if not subs:
            continue
        quota, extra = divmod(counts[t], len(subs))
        start = 0
        for i, mid in enumerate(subs):
            n = quota + (1 if i < extra else 0)
            out[mid].extend((t, p) for p in range(start, start + n))
            start += n
    return {mid: tuple(sorted(tps)) for mid, tps in out.items()}


SERVER_ASSIGNORS: dict[str, Assignor] = {"uniform": uniform, "range": range_}


def preferred(named: Sequence[str | None], offered: Sequence[str]) -> str:
    """Rule 1: the assignor the group uses, given what each member named (None: nothing)."""
    votes = {name: 0 for name in offered}
    for name in named:
        if name in votes:
            votes[name] += 1
    best = max(offered, key=lambda n: (votes[n], -offered.index(n)))
    return best if votes[best] > 0 else offered[0]
