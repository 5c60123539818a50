"""Static membership (KIP-345, kafka-semantics.md I.67; classic_group.py rule 8, consumer_coordinator.py
M11): a restart within the session timeout is not a rebalance, a duplicate instance is fenced, and
the assignors order static members by instance id."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaException
from minikafka.clients.consumer.assignors import Subscription, range_assignor, roundrobin_assignor
from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, partition_for

SESSION = 10_000


def cluster(seed: int = 4) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=4, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer()
    for i in range(40):
        p.produce("t", value=b"%d" % i, partition=i % 4)
    p.flush()
    return c


def member(c: Cluster, instance: str | None, **cfg):
    config = {"group.id": "g", "auto.offset.reset": "earliest", "session.timeout.ms": SESSION, **cfg}
    if instance is not None:
        config["group.instance.id"] = instance
    k = c.consumer(config)
    k.subscribe(["t"])
    return k


def settle(*consumers, rounds: int = 20) -> None:
    """Poll in turn until the group is Stable and every consumer has its partitions."""
    c = consumers[0].cluster
    for _ in range(rounds):
        for k in consumers:
            k.consume(100, 0.5)
        if c.group_state("g").state == "Stable" and all(k.assignment() for k in consumers):
            return
    raise AssertionError(f"the group did not settle: {c.group_state('g')}")


def owned(k) -> list[int]:
    return sorted(tp.partition for tp in k.assignment())


@pytest.mark.parametrize("static", [True, False])
def test_a_member_restarted_within_the_session_timeout_rebalances_only_if_dynamic(static):
    c = cluster()
    a, b = member(c, "worker-a" if static else None), member(c, "worker-b" if static else None)
    settle(a, b)
    before = c.group_state("g").generation
    a_parts = owned(a)
    c.crash_client(a.name)
    c.run(2_000)
    a2 = member(c, "worker-a" if static else None)
    settle(a2, b)
    after = c.group_state("g").generation
    if static:
        assert after == before and owned(a2) == a_parts          # its old place, no rebalance
        rejoin = c.trace.filter(name="group.static_rejoin")[-1]
        assert rejoin.fields["instance"] == "worker-a" and rejoin.fields["state"] == "Stable"
        assert not [e for e in c.trace.filter(name="group.rebalance") if e.time >= rejoin.time]
    else:
        assert after > before                                    # a new member: a rebalance


def test_a_static_member_away_longer_than_its_session_timeout_is_removed_and_the_group_rebalances():
    c = cluster()
    a, b = member(c, "worker-a"), member(c, "worker-b")
    settle(a, b)
    c.crash_client(a.name)
    before = c.group_state("g").generation
    for _ in range(8):
        b.consume(100, 2.0)
    removed = [e for e in c.trace.filter(name="group.member_removed") if e.fields["why"] == "session timeout"]
    assert removed and c.group_state("g").generation > before and owned(b) == [0, 1, 2, 3]


def test_closing_a_static_member_sends_no_leave_group():
    c = cluster()
    a, b = member(c, "worker-a"), member(c, "worker-b")
    settle(a, b)
    start = c.now
    a.close()
    c.run(1_000)
    assert not c.trace.filter(name="LeaveGroupRequest", kind="send", since=start)
    assert not c.trace.filter(name="group.rebalance", since=start)          # until the session times out


def test_a_second_process_with_the_same_instance_id_fences_the_first():
    c = cluster()
    a, b = member(c, "worker-a"), member(c, "worker-b")
    settle(a, b)
    twin = member(c, "worker-a")                              # a duplicate deployment
    settle(twin, b)
    with pytest.raises(KafkaException) as e:
        for _ in range(10):
            a.consume(100, 1.0)
    assert e.value.args[0].name() == "FENCED_INSTANCE_ID" and e.value.args[0].fatal()
    with pytest.raises(KafkaException) as again:              # and it stays fenced
        a.consume(1, 0.1)
    assert again.value.args[0].name() == "FENCED_INSTANCE_ID"
    assert sorted(owned(twin) + owned(b)) == [0, 1, 2, 3]


def test_a_static_leader_back_in_a_stable_group_skips_the_assignment():
    c = cluster()
    a, b = member(c, "worker-a"), member(c, "worker-b")
    settle(a, b)
    leader = c.group_state("g").leader
    first = a if leader.startswith("worker-a") else b
    c.crash_client(first.name)
    again = member(c, "worker-a" if first is a else "worker-b")
    others = [b] if first is a else [a]
    start = c.now
    settle(again, *others)
    answers = [e for e in c.trace.filter(name="JoinGroupResponse", kind="send", since=start)]
    assert answers and answers[0].fields.get("skip_assignment") is True
    assert not c.trace.filter(name="group.assign", since=start)          # the leader did not assign again
    assert c.group_state("g").leader.startswith(again.cfg["group.instance.id"])


def test_a_new_coordinator_knows_the_static_members_from_the_group_record():
    c = cluster()
    a, b = member(c, "worker-a"), member(c, "worker-b")
    settle(a, b)
    coordinator = c.partition_state(CONSUMER_OFFSETS, partition_for("g", 50)).leader
    before = c.group_state("g").generation
    c.crash_client(a.name)
    c.crash_broker(coordinator)
    c.run(5_000)
    a2 = member(c, "worker-a")
    settle(a2, b)
    assert c.trace.filter(name="group.static_rejoin")
    assert c.group_state("g").generation == before


def test_range_and_roundrobin_put_static_members_first_by_instance_id():
    """Kafka's assignor tests: static members are ordered by group.instance.id whatever their
    member ids, so a restarted static member (a new member id) gets the same partitions."""
    counts = {"t": 4}
    for ids in (("z-1", "a-1"), ("a-2", "z-2")):                    # member ids change on restart
        subs = [Subscription(ids[0], ("t",), group_instance_id="i1"),
                Subscription(ids[1], ("t",), group_instance_id="i2")]
        rr = roundrobin_assignor(counts, subs)
        rg = range_assignor(counts, subs)
        assert rr[ids[0]] == [("t", 0), ("t", 2)] and rr[ids[1]] == [("t", 1), ("t", 3)]
        assert rg[ids[0]] == [("t", 0), ("t", 1)] and rg[ids[1]] == [("t", 2), ("t", 3)]


def test_a_static_member_rejoins_without_a_rebalance_after_the_group_has_rebalanced_before():
    """The new process sends its subscription without the partitions it owned and without a
    generation; the coordinator compares the selected protocol only, as Kafka does."""
    c = Cluster(brokers=1, seed=3, config={"group.initial.rebalance.delay.ms": 0})
    c.create_topic("t", partitions=4, replication_factor=1)
    a = member(c, "worker-a")
    settle(a)
    b = member(c, "worker-b")                                 # generation 2: a rebalance a went through
    settle(a, b)
    before = c.group_state("g").generation
    a.close()
    c.run(2_000)
    a2 = member(c, "worker-a")
    settle(a2, b)
    assert c.group_state("g").generation == before == 2


def test_a_dynamic_member_gets_its_id_from_member_id_required_and_joins_again_with_it():
    c = cluster()
    k = member(c, None)
    settle(k)
    events = [(e.name, e.fields.get("member")) for e in c.trace.events if e.kind == "state"
              and e.name in ("group.member_id_required", "group.join")]
    given = events[0][1]
    assert events[0][0] == "group.member_id_required" and events[1] == ("group.join", given)
    assert c.group_state("g").members[0][0] == given


def test_a_static_member_needs_no_member_id_round_trip():
    c = cluster()
    k = member(c, "worker-a")
    settle(k)
    assert not [e for e in c.trace.events if e.kind == "state" and e.name == "group.member_id_required"]
