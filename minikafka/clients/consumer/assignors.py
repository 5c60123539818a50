"""Consumer-group partition assignors as pure functions with one signature, so an exercise can
swap in a learner's own (kafka-semantics.md I.63-I.66).

An assignor takes `partitions_per_topic` (topic -> partition count) and the members'
`Subscription`s and returns member id -> list of (topic, partition), sorted. Every member
appears, possibly with []. A subscribed topic missing from `partitions_per_topic` is ignored:
it is not in the metadata yet. Results depend only on the inputs, never on member order.

1. range (I.63), per topic: sort the topic's subscribers, static members (group.instance.id)
   first by instance id, then the rest by member id. With P partitions and C subscribers the
   first P % C get P // C + 1 and the rest P // C, each a contiguous range, so co-partitioned
   topics line up.
2. roundrobin (I.64): all subscribed partitions, sorted by (topic, partition), are dealt around
   a circle of members sorted as range sorts them (static members first, by instance id; then
   the rest by member id: Kafka's MemberInfo order); each goes to the next member that
   subscribes to its topic.
3. sticky (I.65): balance first, then keep partitions with their previous owners. Kafka's
   properties are emulated; its tie-breaking is followed where Kafka's own tests pin it down.
   a. A member's `owned` partition counts only if it still exists and the member still
      subscribes to its topic. When members claim one partition, the highest `generation`
      wins; if two or more claim it in that generation, nobody keeps it (Kafka invalidates it).
   b. Every member keeps what it owned. The other partitions are dealt one at a time, the most
      constrained (fewest eligible members) first, to the least-loaded eligible member (ties:
      smaller member id).
   c. While some member could take a partition from a member holding 2+ more, one partition
      moves: from the most-loaded member (ties: smaller member id; partitions it did not own
      before first, then the highest by (partition, topic), as Kafka keeps an owner's lowest
      partition numbers) to the least-loaded eligible member. With identical subscriptions
      this ends with counts that differ by at most 1 and every member keeping as many of its
      partitions as that allows.
   d. With identical subscriptions (Kafka's constrained path), each member's final count from
      c stands, but the partitions that end up with a member other than their previous owner
      are dealt again, sorted by (topic, partition), as Kafka deals its unassigned partitions:
      round robin over the members (by member id) below the smallest count, a member leaving
      the circle when it reaches it; then one each, in the order they reached it, to those
      whose count is one more.
4. cooperative-sticky (I.66, KIP-429): the sticky assignment, then an adjustment. A partition
   given to a member that did not own it, while another member of the group lists it in
   `owned`, is removed from the result. This round the old owner revokes it; the follow-up
   rebalance hands it to the new owner. A partition never has two owners at once. Under EAGER
   members send no owned partitions, so the adjustment does nothing.
5. Protocol (I.66, KIP-429/KIP-726): `choose_protocol` picks the highest protocol that every
   configured assignor supports (COOPERATIVE > EAGER). The default [range, cooperative-sticky]
   therefore runs EAGER.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

TP = tuple[str, int]            # (topic, partition)
PROTOCOLS = ("COOPERATIVE", "EAGER")   # highest first


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class Subscription:
    """What one member brings to an assignment: the topics it wants and what it owned."""

    member_id: str
    topics: tuple[str, ...]
    owned: tuple[TP, ...] = ()             # partitions this member owned before this rebalance
    group_instance_id: str | None = None   # static membership (KIP-345), sorts first in range
    generation: int = -1                   # generation in which `owned` was assigned

    def __post_init__(self) -> None:
        m = self.member_id
        if not isinstance(m, str):
            raise TypeError(f"member_id must be a str, got {m!r}")
        if isinstance(self.topics, str):
            raise TypeError(f"member {m!r}: topics must be a tuple of topic names, got the str "
                            f"{self.topics!r}; write ({self.topics!r},)")
        object.__setattr__(self, "topics", tuple(self.topics))
        for t in self.topics:
            if not isinstance(t, str):
                raise TypeError(f"member {m!r}: topic names must be str, got {t!r} in {self.topics!r}")
        owned = tuple(tuple(tp) if isinstance(tp, list) else tp for tp in self.owned)
        for tp in owned:
            if not isinstance(tp, tuple) or len(tp) != 2 or not isinstance(tp[0], str) or not _is_int(tp[1]):
                raise TypeError(f"member {m!r}: owned entries must be (topic: str, partition: int), got {tp!r}")
        object.__setattr__(self, "owned", owned)
        if self.group_instance_id is not None and not isinstance(self.group_instance_id, str):
            raise TypeError(f"member {m!r}: group_instance_id must be a str or None, "
                            f"got {self.group_instance_id!r}")
        if not _is_int(self.generation):
            raise TypeError(f"member {m!r}: generation must be an int, got {self.generation!r}")


Assignor = Callable[[Mapping[str, int], Sequence[Subscription]], dict[str, list[TP]]]


def _validate(partitions_per_topic: Mapping[str, int],
              subscriptions: Iterable[Subscription]) -> list[Subscription]:
    """The subscriptions sorted by member id, after checking both inputs."""
    if not isinstance(partitions_per_topic, Mapping):
        raise TypeError(f"partitions_per_topic must map topic -> partition count, got "
                        f"{type(partitions_per_topic).__name__}")
    for topic, count in partitions_per_topic.items():
        if not isinstance(topic, str):
            raise TypeError(f"partitions_per_topic keys must be topic names (str), got {topic!r}")
        if not _is_int(count):
            raise TypeError(f"topic {topic!r}: partition count must be an int, got {count!r}")
        if count < 0:
            raise ValueError(f"topic {topic!r}: partition count must be >= 0, got {count}")
    if isinstance(subscriptions, (str, Mapping)):
        raise TypeError("subscriptions must be a sequence of Subscription, got "
                        f"{type(subscriptions).__name__}")
    subs = list(subscriptions)
    ids: set[str] = set()
    instances: set[str] = set()
    for s in subs:
        if not isinstance(s, Subscription):
            raise TypeError(f"subscriptions must hold Subscription objects, got {s!r}")
        if s.member_id in ids:
            raise ValueError(f"duplicate member id {s.member_id!r}: each member id must appear once")
        if s.group_instance_id in instances:
            raise ValueError(f"duplicate group_instance_id {s.group_instance_id!r}: "
                             "each static member needs its own")
        ids.add(s.member_id)
        if s.group_instance_id is not None:
            instances.add(s.group_instance_id)
    return sorted(subs, key=lambda s: s.member_id)


def _subscribed_partitions(partitions_per_topic: Mapping[str, int], subs: Sequence[Subscription]) -> list[TP]:
    """Every existing partition of a topic someone subscribes to, sorted."""
    topics = sorted({t for s in subs for t in s.topics if t in partitions_per_topic})
    return [(t, p) for t in topics for p in range(partitions_per_topic[t])]


def _exists(partitions_per_topic: Mapping[str, int], tp: TP) -> bool:
    return tp[0] in partitions_per_topic and 0 <= tp[1] < partitions_per_topic[tp[0]]


def _name(tp: TP) -> str:
    return f"{tp[0]}-{tp[1]}"


def _owners(subs: Sequence[Subscription]) -> dict[TP, list[str]]:
    """Partition -> every member that lists it in `owned`, whatever its generation."""
    owners: dict[TP, list[str]] = {}
    for s in subs:
        for tp in s.owned:
            owners.setdefault(tp, []).append(s.member_id)
    return owners


def _range_order(s: Subscription) -> tuple[int, str, str]:
    if s.group_instance_id is not None:
        return (0, s.group_instance_id, s.member_id)
    return (1, s.member_id, "")


def range_assignor(partitions_per_topic: Mapping[str, int],
                   subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    subs = _validate(partitions_per_topic, subscriptions)
    out: dict[str, list[TP]] = {s.member_id: [] for s in subs}
    for topic in sorted({t for s in subs for t in s.topics if t in partitions_per_topic}):
        members = sorted((s for s in subs if topic in s.topics), key=_range_order)
        n, extra = divmod(partitions_per_topic[topic], len(members))
        start = 0
        for i, s in enumerate(members):
            size = n + 1 if i < extra else n
            out[s.member_id].extend((topic, p) for p in range(start, start + size))
            start += size
    return {m: sorted(tps) for m, tps in out.items()}


def roundrobin_assignor(partitions_per_topic: Mapping[str, int],
                        subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    subs = _validate(partitions_per_topic, subscriptions)
    out: dict[str, list[TP]] = {s.member_id: [] for s in subs}
    subs = sorted(subs, key=_range_order)
    i = 0
    for tp in _subscribed_partitions(partitions_per_topic, subs):
        while tp[0] not in subs[i].topics:   # someone subscribes, so this stops
            i = (i + 1) % len(subs)
        out[subs[i].member_id].append(tp)
        i = (i + 1) % len(subs)
    return out


def _previous_owners(partitions_per_topic: Mapping[str, int], subs: Sequence[Subscription]) -> dict[TP, str]:
    """Partition -> the member whose claim on it stands (rule 3a)."""
    best: dict[TP, Subscription] = {}
    tied: set[TP] = set()                # claimed twice in the highest generation: nobody keeps it
    for s in subs:
        for tp in s.owned:
            if not _exists(partitions_per_topic, tp) or tp[0] not in s.topics:
                continue
            if tp not in best or s.generation > best[tp].generation:
                best[tp] = s
                tied.discard(tp)
            elif s.generation == best[tp].generation:
                tied.add(tp)
    return {tp: s.member_id for tp, s in best.items() if tp not in tied}


def _next_move(held: dict[str, list[TP]], eligible: dict[TP, list[str]],
               prev: dict[TP, str]) -> tuple[TP, str, str] | None:
    """(partition, giver, taker) for one balancing move (rule 3c), or None when balanced."""
    for giver in sorted(held, key=lambda m: (-len(held[m]), m)):
        limit = len(held[giver]) - 2
        # partitions it did not own before go first, then the highest (partition, topic)
        for tp in sorted(held[giver], key=lambda tp: (prev.get(tp) != giver, tp[1], tp[0]), reverse=True):
            takers = [m for m in eligible[tp] if len(held[m]) <= limit]
            if takers:
                return tp, giver, min(takers, key=lambda m: (len(held[m]), m))
    return None


def _sticky(partitions_per_topic: Mapping[str, int], subs: Sequence[Subscription]) -> dict[str, list[TP]]:
    eligible = {tp: [s.member_id for s in subs if tp[0] in s.topics]
                for tp in _subscribed_partitions(partitions_per_topic, subs)}
    prev = _previous_owners(partitions_per_topic, subs)
    held: dict[str, list[TP]] = {s.member_id: [] for s in subs}
    for tp in sorted(prev):
        held[prev[tp]].append(tp)
    for tp in sorted((tp for tp in eligible if tp not in prev), key=lambda tp: (len(eligible[tp]), tp)):
        held[min(eligible[tp], key=lambda m: (len(held[m]), m))].append(tp)
    while (move := _next_move(held, eligible, prev)) is not None:
        tp, giver, taker = move
        held[giver].remove(tp)
        held[taker].append(tp)
    if len({frozenset(s.topics) for s in subs}) == 1:    # rule 3d
        target = {m: len(tps) for m, tps in held.items()}
        held = {m: [tp for tp in tps if prev.get(tp) == m] for m, tps in held.items()}
        kept = {tp for tps in held.values() for tp in tps}
        low = min(target.values())
        under = [m for m in sorted(held) if len(held[m]) < low]
        extra = [m for m in sorted(held) if len(held[m]) == low < target[m]]
        i = 0
        for tp in sorted(tp for tp in eligible if tp not in kept):
            m = under[i] if under else extra.pop(0)
            held[m].append(tp)
            if under and len(held[m]) == low:
                under.pop(i)
                if target[m] > low:
                    extra.append(m)
            elif under:
                i += 1
            i = i if i < len(under) else 0
    return {m: sorted(tps) for m, tps in held.items()}


def sticky_assignor(partitions_per_topic: Mapping[str, int],
                    subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    return _sticky(partitions_per_topic, _validate(partitions_per_topic, subscriptions))


def cooperative_sticky_assignor(partitions_per_topic: Mapping[str, int],
                                subscriptions: Sequence[Subscription]) -> dict[str, list[TP]]:
    subs = _validate(partitions_per_topic, subscriptions)
    owners = _owners(subs)
    # rule 4: keep what nobody else owned, or what this member owned too
    return {m: [tp for tp in tps if tp not in owners or m in owners[tp]]
            for m, tps in _sticky(partitions_per_topic, subs).items()}


def revoked_partitions(owned: Sequence[TP], assigned: Sequence[TP]) -> list[TP]:
    """What a member gives up: owned but not assigned, sorted."""
    keep = set(assigned)
    return sorted({tp for tp in owned if tp not in keep})


def check_assignment(partitions_per_topic: Mapping[str, int], subscriptions: Sequence[Subscription],
                     assignment: object, *, protocol: str = "EAGER") -> list[str]:
    """Every problem with an assignor's result, as a sentence; [] means valid.

    Under protocol="COOPERATIVE" a partition may also be left unassigned while a member that
    owned it revokes it, and must not go to a new owner while another member still owns it."""
    subs = _validate(partitions_per_topic, subscriptions)
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if not isinstance(assignment, Mapping):
        return [f"the assignor returned a {type(assignment).__name__}, not a dict of member id -> "
                "list of (topic, partition)"]
    by_id = {s.member_id: s for s in subs}
    owners = _owners(subs)
    problems = [f"member {m!r} is missing from the result (a member that gets nothing needs [])"
                for m in by_id if m not in assignment]
    holder: dict[TP, str] = {}
    for m, tps in assignment.items():
        if m not in by_id:
            problems.append(f"member {m!r} is in the result but not in the group (members: {sorted(by_id)})")
            continue
        if isinstance(tps, (str, bytes)) or not isinstance(tps, Sequence):
            problems.append(f"member {m!r}: expected a list of (topic, partition), got {tps!r}")
            continue
        for tp in tps:
            if not (isinstance(tp, tuple) and len(tp) == 2 and isinstance(tp[0], str) and _is_int(tp[1])):
                problems.append(f"member {m!r}: {tp!r} is not a (topic, partition) tuple")
                continue
            if not _exists(partitions_per_topic, tp):
                known = (f"{tp[0]!r} has {partitions_per_topic[tp[0]]} partitions" if tp[0] in partitions_per_topic
                         else f"{tp[0]!r} is not in the metadata")
                problems.append(f"member {m!r} got {_name(tp)}, which does not exist ({known})")
                continue
            if tp[0] not in by_id[m].topics:
                problems.append(f"member {m!r} got {_name(tp)} but does not subscribe to {tp[0]!r} "
                                f"(it subscribes to {sorted(set(by_id[m].topics))})")
            if tp in holder:
                problems.append(f"partition {_name(tp)} is assigned twice: to {holder[tp]!r} and {m!r}")
            else:
                holder[tp] = m
            others = [o for o in owners.get(tp, []) if o != m]
            if protocol == "COOPERATIVE" and others and m not in owners[tp]:
                problems.append(f"partition {_name(tp)} is assigned to {m!r} while {others[0]!r} still owns it; "
                                "under COOPERATIVE it must be revoked first and handed over next rebalance")
    for tp in _subscribed_partitions(partitions_per_topic, subs):
        if tp in holder or (protocol == "COOPERATIVE" and tp in owners):
            continue   # under COOPERATIVE an owned, unassigned partition is being revoked
        subscribers = [s.member_id for s in subs if tp[0] in s.topics]
        problems.append(f"partition {_name(tp)} is left unassigned although {subscribers} subscribe to {tp[0]!r}")
    return problems


@dataclass(frozen=True)
class AssignorSpec:
    """An assignor by its protocol name: the function and the rebalance protocols it supports."""

    name: str                   # Kafka's protocol name
    assign: Assignor
    protocols: tuple[str, ...]  # supported rebalance protocols


ASSIGNORS: dict[str, AssignorSpec] = {
    spec.name: spec for spec in (
        AssignorSpec("range", range_assignor, ("EAGER",)),
        AssignorSpec("roundrobin", roundrobin_assignor, ("EAGER",)),
        AssignorSpec("sticky", sticky_assignor, ("EAGER",)),
        AssignorSpec("cooperative-sticky", cooperative_sticky_assignor, ("COOPERATIVE", "EAGER")),
    )
}


def register_assignor(name: str, assign: Assignor, protocols: tuple[str, ...] = ("EAGER",)) -> AssignorSpec:
    """Make `assign` usable as `partition.assignment.strategy` = name (an exercise's own
    assignor, say). Kafka's own names cannot be replaced."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"assignor name must be a non-empty str, got {name!r}")
    if name in ("range", "roundrobin", "sticky", "cooperative-sticky"):
        raise ValueError(f"{name!r} is one of Kafka's assignors; register yours under another name")
    if not callable(assign):
        raise TypeError("assign must be a function (partitions_per_topic, subscriptions) -> {member: [tp]}")
    spec = AssignorSpec(name, assign, tuple(protocols))
    choose_protocol([spec])          # validates the protocol names
    ASSIGNORS[name] = spec
    return spec


def choose_protocol(specs: Sequence[AssignorSpec]) -> str:
    """The highest rebalance protocol every assignor supports (rule 5)."""
    if not specs:
        raise ValueError("choose_protocol needs at least one assignor")
    for spec in specs:
        if not isinstance(spec, AssignorSpec):
            raise TypeError(f"expected AssignorSpec objects, got {spec!r}")
        unknown = [p for p in spec.protocols if p not in PROTOCOLS]
        if unknown:
            raise ValueError(f"assignor {spec.name!r} lists unknown protocols {unknown}; accepted: {PROTOCOLS}")
    for protocol in PROTOCOLS:
        if all(protocol in spec.protocols for spec in specs):
            return protocol
    supports = "; ".join(f"{s.name} supports {', '.join(s.protocols) or 'nothing'}" for s in specs)
    raise ValueError(f"no rebalance protocol is common to every assignor ({supports})")
