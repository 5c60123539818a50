"""Replica placement with racks, leader balance, ElectLeaders, the ISR's caught-up rule, the
periodic unclean election, and reading from a follower (KIP-392)."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minikafka import Cluster
from minikafka.config import RACK_AWARE_SELECTOR
from minikafka.controller.placement import place
from minikafka.errors import ConfigException, KafkaException
from minikafka.server.replica_selector import select_read_replica

RACKS = {1: "a", 2: "a", 3: "b", 4: "b", 5: "c", 6: "c"}
SELECTOR = {"replica.selector.class": RACK_AWARE_SELECTOR}


# -- placement (controller/placement.py) ------------------------------------------------------
def test_with_three_racks_every_partition_has_one_replica_in_each_rack():
    usable = [(b, r, False) for b, r in RACKS.items()]
    for replicas in place(usable, 12, 3, random.Random(1)):
        assert sorted(RACKS[b] for b in replicas) == ["a", "b", "c"]


def test_leaders_are_spread_evenly_over_the_brokers():
    usable = [(b, None, False) for b in range(1, 7)]
    leaders = Counter(p[0] for p in place(usable, 60, 3, random.Random(2)))
    assert set(leaders.values()) == {10}


def test_a_fenced_broker_may_hold_a_follower_but_never_the_first_replica():
    usable = [(1, None, False), (2, None, True), (3, None, False)]
    out = place(usable, 20, 3, random.Random(3))
    assert all(p[0] != 2 for p in out) and all(2 in p for p in out)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 8), st.integers(1, 4), st.integers(1, 30), st.integers(0, 2**16))
def test_placement_never_repeats_a_broker_in_a_partition(brokers, rf, partitions, seed):
    rf = min(rf, brokers)
    rng = random.Random(seed)
    usable = [(b, rng.choice([None, "x", "y"]), False) for b in range(1, brokers + 1)]
    for replicas in place(usable, partitions, rf, random.Random(seed)):
        assert len(set(replicas)) == rf


@pytest.mark.parametrize("usable, rf, says", [
    ([(1, None, False)], 0, "must be positive"),
    ([(1, None, False), (2, None, False)], 3, "only 2 broker"),
    ([(1, None, True), (2, None, True)], 1, "All brokers are currently fenced"),
])
def test_placement_refuses_what_kafka_refuses(usable, rf, says):
    with pytest.raises(KafkaException, match=says):
        place(usable, 1, rf, random.Random(0))


def test_a_cluster_with_racks_places_replicas_across_them():
    c = Cluster(brokers=6, seed=4, racks=RACKS)
    c.create_topic("t", 6, 3)
    for p in range(6):
        assert len({RACKS[b] for b in c.controller.topics["t"][p].replicas}) == 3


@pytest.mark.parametrize("racks, error", [
    ({9: "a"}, ValueError), ({1: ""}, TypeError), ({1: 7}, TypeError), ([1, 2], TypeError)])
def test_bad_racks_are_refused_before_anything_starts(racks, error):
    with pytest.raises(error):
        Cluster(brokers=3, racks=racks)


def test_a_topic_may_be_created_with_a_fenced_broker_which_starts_out_of_the_isr():
    c = Cluster(brokers=3, seed=1)
    c.crash_broker(3)
    c.run(12_000)
    c.create_topic("t", 3, 3)
    for s in c.controller.topics["t"]:
        assert 3 in s.replicas and 3 not in s.isr and s.leader != 3


# -- leader balance and ElectLeaders ----------------------------------------------------------
def _moved_leader(config=None):
    c = Cluster(brokers=3, seed=1, config=config)
    c.create_topic("t", 3, 3)
    preferred = c.controller.topics["t"][0].replicas[0]
    c.crash_broker(preferred)
    c.run(12_000)
    c.restart_broker(preferred)
    c.run(5_000)
    assert c.controller.topics["t"][0].leader != preferred
    return c, preferred


def test_auto_leader_rebalance_moves_leadership_back_at_the_next_check():
    c, preferred = _moved_leader()
    c.run(300_000)
    assert c.controller.topics["t"][0].leader == preferred
    assert any(e.fields["why"] == "preferred leader" for e in c.trace.filter(name="leader.elect"))


def test_without_auto_rebalance_leadership_stays_until_a_preferred_election():
    c, preferred = _moved_leader({"auto.leader.rebalance.enable": False})
    c.run(300_000)
    assert c.controller.topics["t"][0].leader != preferred
    assert c.elect_leaders("preferred", [("t", 0)]) == {("t", 0): None}
    assert c.controller.topics["t"][0].leader == preferred
    assert c.elect_leaders("preferred", [("t", 0)]) == {("t", 0): "ELECTION_NOT_NEEDED"}


def test_elect_leaders_checks_its_arguments():
    c = Cluster(brokers=1)
    c.create_topic("t", 1, 1)
    with pytest.raises(ValueError, match="'preferred' or 'unclean'"):
        c.elect_leaders("clean")
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        c.elect_leaders("preferred", [("t", 5)])


# -- unclean election turned on while a partition is offline -----------------------------------
def _offline_with_a_stale_replica():
    c = Cluster(brokers=2, seed=3, features={"eligible.leader.replicas.version": 0})
    c.create_topic("t", 1, 2, config={"min.insync.replicas": 1})
    leader = c.partition_state("t", 0).leader
    other = 3 - leader
    c.crash_broker(other)
    c.run(12_000)
    c.crash_broker(leader)
    c.restart_broker(other)
    c.run(12_000)
    assert c.partition_state("t", 0).offline
    return c, other


def test_turning_unclean_election_on_takes_effect_at_the_controllers_periodic_check():
    c, other = _offline_with_a_stale_replica()
    c.alter_topic_config("t", {"unclean.leader.election.enable": True})
    c.run(1_000)
    assert c.partition_state("t", 0).offline            # not at once
    c.run(300_000)
    assert c.partition_state("t", 0).leader == other
    last = c.trace.filter(name="leader.elect")[-1].fields
    assert last["unclean"] and last["why"].startswith("periodic unclean election check")


def test_an_unclean_elect_leaders_call_forces_it_at_once():
    c, other = _offline_with_a_stale_replica()
    assert c.elect_leaders("unclean", [("t", 0)]) == {("t", 0): None}
    assert c.partition_state("t", 0).leader == other


# -- the ISR's caught-up rule (partition.py rule 5) --------------------------------------------
def test_a_follower_at_the_leaders_log_end_stays_in_sync_however_long_it_is_cut_off():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 1, 3)
    c.run(1_000)                                         # every follower has fetched: at the log end
    st0 = c.partition_state("t", 0)
    follower = st0.isr[-1]
    c.cut(st0.leader, follower)                          # the idle leader hears nothing from it
    c.run(120_000)
    assert follower in c.partition_state("t", 0).isr


def test_a_follower_cut_off_while_the_leader_takes_writes_leaves_the_isr():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 1, 3)
    st0 = c.partition_state("t", 0)
    follower = st0.isr[-1]
    c.cut(st0.leader, follower)
    p = c.producer({"acks": 1})
    p.produce("t", value=b"x")
    p.flush()
    c.run(50_000)
    assert follower not in c.partition_state("t", 0).isr


# -- reading from a follower (KIP-392) -----------------------------------------------------------
def test_the_rack_aware_selector_prefers_the_leader_then_the_most_caught_up_local_replica():
    racks = {1: "a", 2: "b", 3: "b", 4: "c"}
    cands = {1: (10, 0), 2: (9, 5), 3: (10, 3), 4: (10, 9)}
    assert select_read_replica("", 1, cands, racks) == 1
    assert select_read_replica("z", 1, cands, racks) == 1
    assert select_read_replica("a", 1, cands, racks) == 1
    assert select_read_replica("b", 1, cands, racks) == 3
    assert select_read_replica("b", 1, {**cands, 2: (10, 4)}, racks) == 2
    assert select_read_replica("b", 1, {**cands, 2: (10, 3)}, racks) == 3


def _rack_cluster(selector=True):
    c = Cluster(brokers=3, seed=1, racks={1: "a", 2: "b", 3: "c"}, config=SELECTOR if selector else None)
    c.create_topic("t", 1, 3)
    p = c.producer({"acks": "all"})
    for i in range(10):
        p.produce("t", value=b"v%d" % i)
    p.flush()
    leader = c.partition_state("t", 0).leader
    local = next(b for b in (1, 2, 3) if b != leader)
    return c, leader, local


def _read(c, rack, n=10):
    k = c.consumer({"group.id": "g", "client.rack": rack, "auto.offset.reset": "earliest"})
    k.subscribe(["t"])
    got = []
    for _ in range(40):
        m = k.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value())
        if len(got) == n:
            break
    return k, got


def fetched_from(c, consumer):
    return {e.peer for e in c.trace.events if e.kind == "send" and e.node == consumer.name
            and e.name == "FetchRequest"}


def test_a_consumer_reads_every_record_from_the_follower_in_its_rack():
    c, leader, local = _rack_cluster()
    k, got = _read(c, c.racks[local])
    assert got == [b"v%d" % i for i in range(10)]
    assert f"b{local}" in fetched_from(c, k)
    assert [e.fields["replica"] for e in c.trace.filter(name="fetch.read_replica")] == [local]


def test_without_a_selector_on_the_brokers_consumers_read_from_the_leader():
    c, leader, local = _rack_cluster(selector=False)
    k, got = _read(c, c.racks[local])
    assert len(got) == 10 and fetched_from(c, k) == {f"b{leader}"}


def test_a_consumer_whose_read_replica_crashes_goes_back_to_the_leader():
    c, leader, local = _rack_cluster()
    k, got = _read(c, c.racks[local])
    c.crash_broker(local)
    p = c.producer({"acks": 1})
    p.produce("t", value=b"after")
    p.flush()
    more = []
    for _ in range(40):
        m = k.poll(0.5)
        if m is not None and m.error() is None:
            more.append(m.value())
        if more:
            break
    assert more == [b"after"]


def test_client_rack_and_the_selector_are_checked_like_any_config():
    c = Cluster(brokers=1)
    with pytest.raises(ConfigException, match="replica.selector.class"):
        Cluster(brokers=1, config={"replica.selector.class": "RackAware"})
    with pytest.raises(ConfigException, match="client.rack"):
        c.consumer({"client.rack": 3})
