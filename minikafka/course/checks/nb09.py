"""Checks of notebook 09, consumer groups."""
from __future__ import annotations

import functools
import random
from typing import Any, Callable

from minikafka.clients.consumer.assignors import Subscription, range_assignor, sticky_assignor
from minikafka.course.checks import run
from minikafka.course.lessons.nb09 import (after_heartbeat, partition_lag, show_group, simulated_rebalances,
                                           sticky_verdict)


def _member_ids(rng: random.Random, n: int) -> list[str]:
    """Member ids as the coordinator makes them: the client's name and 8 hex digits."""
    numbers = rng.sample(range(1, 13), n)
    return [f"consumer-{i}-{rng.getrandbits(32):08x}" for i in numbers]


def ex9_1(fn: Callable[..., dict[str, list[tuple[str, int]]]]) -> None:
    """range_assignor(partitions_per_topic, subscriptions) against assignors.range_assignor on
    hand-made and seeded random groups."""
    rng = random.Random("ex9_1")
    S = Subscription
    groups: list[tuple[dict[str, int], list[Subscription]]] = [
        ({"t": 3}, [S("a", ("t",)), S("b", ("t",))]),
        ({"t0": 3, "t1": 3}, [S("C1", ("t0", "t1")), S("C0", ("t0", "t1"))]),      # Kafka's javadoc example
        ({"t": 2}, [S("a", ("t",)), S("b", ("t",)), S("c", ("t",))]),              # one member idle
        ({"t": 7}, [S("consumer-2-0a", ("t",)), S("consumer-10-0b", ("t",)), S("consumer-1-0c", ("t",))]),
        ({"t0": 2, "t1": 4}, [S("a", ("t0",)), S("b", ("t0", "t1")), S("c", ("t1",))]),
        ({"t": 4}, [S("a", ("t", "not-yet")), S("b", ("not-yet",))]),             # a topic not in metadata
        ({"t": 5}, [S("a", ("t",)), S("z", ("t",), group_instance_id="i2"), S("y", ("t",), group_instance_id="i1")]),
        ({"t": 0}, [S("a", ("t",))]),
        ({"t": 3}, []),
    ]
    while len(groups) < 35:
        topics = [f"t{i}" for i in range(rng.randrange(1, 4))]
        ppt = {t: rng.randrange(0, 9) for t in topics}
        subs = [S(m, tuple(rng.sample(topics, rng.randrange(1, len(topics) + 1))),
                  group_instance_id=f"i{rng.randrange(10)}-{m[-2:]}" if rng.random() < 0.1 else None)
                for m in _member_ids(rng, rng.randrange(1, 6))]
        groups.append((ppt, subs))
    run("9_1", fn, range_assignor, [((ppt, subs), show_group(ppt, subs)) for ppt, subs in groups])


def _sticky_groups() -> list[tuple[dict[str, int], list[Subscription]]]:
    rng = random.Random("ex9_2")
    S = Subscription
    t = ("t",)
    groups = [
        ({"t": 6}, [S("a", t, tuple(("t", p) for p in range(6)), generation=1), S("b", t)]),    # b joins
        ({"t": 6}, [S("a", t, (("t", 0), ("t", 3)), generation=1), S("b", t, (("t", 1), ("t", 4)), generation=1)]),
        ({"t": 6}, [S("a", t), S("b", t), S("c", t)]),                                          # a new group
        ({"t": 2}, [S("a", t, (("t", 0), ("t", 1)), generation=1), S("b", t), S("c", t)]),     # one stays idle
        ({"t": 7}, [S("a", t, tuple(("t", p) for p in range(5)), generation=1), S("b", t, (("t", 5),), generation=1),
                    S("c", t)]),
        ({"u": 3, "v": 3}, [S("a", ("u", "v"), (("u", 0), ("u", 1), ("u", 2)), generation=1),
                            S("b", ("u", "v"), (("v", 0), ("v", 1), ("v", 2)), generation=1), S("c", ("u", "v"))]),
    ]
    while len(groups) < 30:
        topics = tuple(f"t{i}" for i in range(rng.randrange(1, 3)))
        ppt = {t: rng.randrange(0, 10) for t in topics}
        ids = _member_ids(rng, rng.randrange(1, 6))
        owned: dict[str, list[tuple[str, int]]] = {m: [] for m in ids}
        for tp in [(t, p) for t in topics for p in range(ppt[t])]:
            owner = rng.choice(ids + [None, None])        # None: a member that left owned it
            if owner is not None:
                owned[owner].append(tp)
        subs = [S(m, topics, tuple(owned[m]), generation=1) for m in ids]
        rng.shuffle(subs)
        groups.append((ppt, subs))
    return groups


def ex9_2(fn: Callable[..., dict[str, list[tuple[str, int]]]]) -> None:
    """sticky_assignor(partitions_per_topic, subscriptions): the properties of its result
    (lessons.nb09 rule 2: valid, balanced, as sticky as balance allows), not equality with
    the reference, on hand-made and seeded random groups with identical subscriptions."""
    @functools.wraps(fn)
    def judged(ppt: dict[str, int], subs: list[Subscription]) -> str:
        return sticky_verdict(ppt, subs, fn(ppt, subs))

    def reference(ppt: dict[str, int], subs: list[Subscription]) -> str:
        return sticky_verdict(ppt, subs, sticky_assignor(ppt, subs))

    run("9_2", judged, reference, [((ppt, subs), show_group(ppt, subs)) for ppt, subs in _sticky_groups()])


def _group_case(seed: int) -> tuple[dict[Any, int], dict[Any, int], dict[Any, int], str]:
    """A live group in a seeded cluster: records produced to 1-3 partitions, a consumer that
    reads them all, processes some of each partition and commits the way a program does
    (`commit(message=...)` after the last record processed, `commit(offsets=...)`, or nothing),
    then more records arrive. Returns the end offsets and committed offsets the cluster
    reports, the lag it reports, and the story in words."""
    from minikafka import Cluster, TopicPartition

    rng = random.Random(f"ex9_3/{seed}")
    c = Cluster(brokers=1, seed=seed, config={"group.initial.rebalance.delay.ms": 0})
    parts = rng.randrange(1, 4)
    c.create_topic("orders", partitions=parts, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for part in range(parts):
        for i in range(rng.randrange(0, 9)):
            p.produce("orders", value=f"o{i}", partition=part)
    p.flush()
    k = c.consumer({"group.id": "billing", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    k.subscribe(["orders"])
    got = k.consume(1000, 5.0)
    story = []
    for part in range(parts):
        mine = [m for m in got if m.partition() == part]
        done = rng.randrange(1, len(mine) + 1) if mine else 0
        how = rng.choice(["message", "message", "offsets", "nothing"]) if done else "nothing"
        read = f"processed {'offset 0' if done == 1 else f'offsets 0-{done - 1}'}"
        if how == "message":
            k.commit(message=mine[done - 1], asynchronous=False)
            story.append(f"p{part}: {read}, commit(message=offset {done - 1})")
        elif how == "offsets":
            k.commit(offsets=[TopicPartition("orders", part, done)], asynchronous=False)
            story.append(f"p{part}: {read}, commit(offsets=[... {done}])")
        else:
            story.append(f"p{part}: nothing committed")
    late = rng.randrange(0, 4)
    for _ in range(late):
        p.produce("orders", value="late", partition=rng.randrange(parts))
    p.flush()
    rows = c.group_lag("billing")
    end = {(r.topic, r.partition): r.end for r in rows}
    committed = {(r.topic, r.partition): r.committed for r in rows if r.committed >= 0}
    lag = {(r.topic, r.partition): r.lag for r in rows}
    return end, committed, lag, "; ".join(story) + f"; then {late} more arrive"


def ex9_3(fn: Callable[..., dict[tuple[str, int], int]]) -> None:
    """partition_lag(end_offsets, committed): the learner's prediction against the lag the
    cluster reports (Cluster.group_lag) for live groups that committed in seeded ways, and
    against lessons.nb09.partition_lag on hand-made edge cases."""
    hand: list[tuple[dict[Any, int], dict[Any, int]]] = [
        ({("t", 0): 10}, {("t", 0): 10}),                  # caught up: committed 10 = "resume at 10"
        ({("t", 0): 10, ("t", 1): 5}, {("t", 0): 7}),       # t-1: nothing committed
        ({("t", 0): 3}, {("t", 0): 5}),                     # committed beyond the end: lag 0
        ({}, {}),
    ]
    known: list[tuple[dict[Any, int], dict[Any, int], dict[Any, int]]] = []
    cases = [((e, c), f"end_offsets={e}, committed={c}") for e, c in hand]
    for seed in range(1, 17):
        end, committed, lag, story = _group_case(seed)
        known.append((end, committed, lag))
        cases.append(((end, committed), f"{story} (end_offsets={end}, committed={committed})"))

    def cluster_lag(end: dict[Any, int], committed: dict[Any, int]) -> dict[Any, int]:
        """What the cluster reported for this group, or the rule on a hand-made case."""
        for e, c, lag in known:
            if e == end and c == committed:
                return lag
        return partition_lag(end, committed)
    cluster_lag.__name__ = "partition_lag"
    run("9_3", fn, cluster_lag, cases)


def ex9_4(fn: Callable[[bool, int, int], bool]) -> None:
    """rebalances(static, away_ms, session_timeout_ms): the learner's prediction against the
    cluster (lessons.nb09.run_restart: did the generation move after a member's restart?), for
    dynamic and static members, away well within or well beyond the session timeout."""
    times = [(0, 6000), (2000, 10_000), (5000, 10_000), (9000, 6000), (20_000, 10_000),
             (30_000, 45_000), (60_000, 45_000)]       # never within a heartbeat of the timeout
    cases = [((static, away, session), f"static={static}, away_ms={away}, session_timeout_ms={session}")
             for static in (True, False) for away, session in times]
    run("9_4", fn, simulated_rebalances, cases)


def ex9_5(fn: Callable[..., tuple[str, list[tuple[str, int]]]]) -> None:
    """after_heartbeat(owned, target, held_by_others) against the coordinator's reconciliation
    (coordinator/group/consumer_group.py rule 4) on hand-made and seeded random cases."""
    def tps(*parts: int) -> list[tuple[str, int]]:
        return [("t", p) for p in parts]
    hand = [
        (tps(0, 1, 2, 3), tps(0, 1), tps()),                    # give up two: revoke first
        (tps(), tps(2, 3), tps(2)),                             # a newcomer: 3 is free, 2 is not yet
        (tps(0, 1), tps(0, 1, 4), tps()),                       # gain one, nothing to give up
        (tps(0, 1), tps(1, 2), tps(2)),                         # give up 0, want 2 (still held)
        (tps(0), tps(0), tps(1)),                               # nothing changes
        (tps(), tps(0, 1), tps(0, 1)),                          # everything still held elsewhere
        (tps(0, 1, 2), tps(), tps()),                           # lose everything
    ]
    rng = random.Random("ex9_5")
    while len(hand) < 40:
        parts = range(rng.randrange(1, 9))
        owned = sorted(p for p in parts if rng.random() < 0.4)
        target = sorted(p for p in parts if rng.random() < 0.5)
        held = sorted(p for p in parts if p not in owned and rng.random() < 0.4)
        hand.append((tps(*owned), tps(*target), tps(*held)))
    cases = [((o, t, h), f"owned={o}, target={t}, held_by_others={h}") for o, t, h in hand]
    run("9_5", fn, after_heartbeat, cases)
