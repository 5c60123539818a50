"""Eligible leader replicas (KIP-966) and feature levels: the controller's partition changes
(controller/partition_change.py) and what a learner sees in a cluster."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minikafka import Cluster
from minikafka.controller.election import elect_leader
from minikafka.controller.partition_change import change
from minikafka.metadata.features import defaults
from minikafka.metadata.image import MetadataImage
from minikafka.metadata.records import (ConfigRecord, FeatureLevelRecord, PartitionRecord, RegisterBrokerRecord,
                                        TopicRecord)

ELR_OFF = {"eligible.leader.replicas.version": 0}


def image(elr: int = 1, min_isr: int = 2, unclean: bool = False, replicas=(1, 2, 3)) -> MetadataImage:
    img = MetadataImage()
    recs = [FeatureLevelRecord("eligible.leader.replicas.version", elr), TopicRecord("t"),
            ConfigRecord("t", "min.insync.replicas", min_isr),
            ConfigRecord("t", "unclean.leader.election.enable", unclean),
            PartitionRecord("t", 0, replicas, replicas, replicas[0])]
    recs += [RegisterBrokerRecord(b, 0, fenced=False) for b in replicas]
    for i, r in enumerate(recs):
        img.apply(i, r)
    return img


def fence(img: MetadataImage, broker: int) -> None:
    img.brokers[broker].fenced = True
    st = img.state("t", 0)
    rec = change(img, st, tuple(r for r in st.isr if r != broker), elect_leader, "fence")
    if rec is not None:
        img.apply(img.offset + 1, rec)


def unfence(img: MetadataImage, broker: int) -> None:
    img.brokers[broker].fenced = False
    st = img.state("t", 0)
    rec = change(img, st, st.isr, elect_leader, "unfence")
    if rec is not None:
        img.apply(img.offset + 1, rec)


def test_replicas_leaving_the_isr_below_min_isr_become_eligible_and_the_first_to_leave_does_not():
    """kafka-semantics L.95's example: RF 3, min ISR 2, fence 3, then 2, then 1."""
    img = image()
    fence(img, 3)
    s = img.state("t", 0)
    assert (s.isr, s.elr, s.leader) == ((1, 2), (), 1)
    fence(img, 2)
    s = img.state("t", 0)
    assert (s.isr, s.elr, s.leader) == ((1,), (2,), 1)
    fence(img, 1)
    s = img.state("t", 0)
    assert (s.isr, s.elr, s.leader, s.last_known_elr) == ((), (1, 2), -1, (1,))


def test_an_elr_member_that_returns_first_is_elected_cleanly_and_alone_in_the_isr():
    img = image()
    for b in (3, 2, 1):
        fence(img, b)
    unfence(img, 2)
    s = img.state("t", 0)
    assert (s.leader, s.isr, s.elr, s.last_known_elr) == (2, (2,), (1,), ())


def test_a_replica_that_left_while_the_isr_was_at_min_isr_stays_ineligible():
    img = image()
    for b in (3, 2, 1):
        fence(img, b)
    unfence(img, 3)
    assert img.state("t", 0).leader == -1


def test_without_elr_the_last_isr_member_stays_listed_and_nobody_else_may_lead():
    img = image(elr=0)
    for b in (3, 2, 1):
        fence(img, b)
    s = img.state("t", 0)
    assert (s.isr, s.elr, s.leader) == ((1,), (), -1)
    unfence(img, 2)
    assert img.state("t", 0).leader == -1


def test_an_unclean_restart_is_struck_from_the_elr_and_the_last_known_leader_is_elected_unclean():
    img = image()
    for b in (3, 2, 1):
        fence(img, b)
    for b in (2, 1):          # both restart without a clean-shutdown file
        s = img.state("t", 0)
        rec = change(img, s, tuple(r for r in s.isr if r != b), elect_leader, "unclean shutdown",
                     acceptable=(), unclean_shutdown=b)
        img.apply(img.offset + 1, rec)
    s = img.state("t", 0)
    assert (s.elr, s.last_known_elr) == ((), (1,))
    unfence(img, 2)
    assert img.state("t", 0).leader == -1          # 2 is not the last known leader
    unfence(img, 1)
    s = img.state("t", 0)
    assert (s.leader, s.isr, s.last_known_elr) == (1, (1,), ())


def test_the_isr_back_at_min_isr_clears_the_elr():
    img = image()
    fence(img, 3)
    fence(img, 2)
    assert img.state("t", 0).elr == (2,)
    s = img.state("t", 0)
    img.apply(img.offset + 1, change(img, s, (1, 2), elect_leader, "AlterPartition"))
    assert img.state("t", 0).elr == ()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["fence", "unfence", "unclean"]), st.integers(1, 3)), max_size=14),
       st.integers(1, 3))
def test_elr_invariants_hold_over_any_sequence_of_fences_returns_and_unclean_restarts(steps, min_isr):
    """The ISR and ELR never overlap; an ELR exists only while the ISR is below the effective min
    ISR; a leader is acceptable and in the ISR; with no leader, the last known leader is the
    one the partition had."""
    img = image(min_isr=min_isr)
    for what, b in steps:
        s = img.state("t", 0)
        if what == "fence" and not img.brokers[b].fenced:
            fence(img, b)
        elif what == "unfence" and img.brokers[b].fenced:
            unfence(img, b)
        elif what == "unclean" and img.brokers[b].fenced:
            rec = change(img, s, tuple(r for r in s.isr if r != b), elect_leader, "unclean shutdown",
                         acceptable=tuple(x for x in img.live_brokers() if x != b), unclean_shutdown=b)
            if rec is not None:
                img.apply(img.offset + 1, rec)
        s = img.state("t", 0)
        assert not set(s.isr) & set(s.elr)
        assert not s.elr or len(s.isr) < min(min_isr, 3)
        if s.leader >= 0:
            assert s.leader in s.isr and s.leader in img.live_brokers()
            assert s.last_known_elr == ()


def _stopped_cluster(features=None):
    c = Cluster(brokers=3, seed=1, features=features)
    c.create_topic("t", 1, 3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all", "enable.idempotence": True})
    for i in range(5):
        p.produce("t", key=b"k", value=b"v%d" % i)
    p.flush()
    for b in (3, 2, 1):
        c.stop_broker(b)
        c.run(5_000)
    return c


def test_a_cleanly_stopped_elr_member_brings_the_partition_back_with_every_committed_record():
    c = _stopped_cluster()
    st = c.partition_state("t", 0)
    assert st.offline and st.isr == () and st.elr == (1, 2) and st.last_known_elr == (1,)
    c.restart_broker(2)
    c.run(3_000)
    st = c.partition_state("t", 0)
    assert st.leader == 2 and st.isr == (2,) and st.high_watermark == 5
    last = c.trace.filter(name="leader.elect")[-1].fields
    assert last["from_elr"] and not last["unclean"]
    assert [v for _, _, v in c.log("t", 0)] == [b"v%d" % i for i in range(5)]


def test_in_a_4_0_cluster_the_same_stops_leave_the_partition_offline_until_the_last_leader_returns():
    c = _stopped_cluster(ELR_OFF)
    assert c.partition_state("t", 0).isr == (1,)
    c.restart_broker(2)
    c.run(3_000)
    assert c.partition_state("t", 0).offline
    c.restart_broker(1)
    c.run(3_000)
    assert c.partition_state("t", 0).leader == 1


def test_a_crashed_elr_member_returns_uncleanly_and_may_not_lead():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 1, 3, config={"min.insync.replicas": 2})
    for b in (3, 2, 1):
        c.crash_broker(b)
        c.run(12_000)
    assert c.partition_state("t", 0).elr == (1, 2)
    c.restart_broker(2)
    c.run(3_000)
    st = c.partition_state("t", 0)
    assert st.offline and st.elr == (1,)
    c.restart_broker(1)
    c.run(3_000)
    assert c.partition_state("t", 0).leader == 1
    last = [e.fields for e in c.trace.filter(name="leader.elect") if e.fields["tp"] == "t-0"][-1]
    assert last["isr"] == (1,) and last["unclean"] and last["last_known_leader"]


def test_changing_min_insync_replicas_clears_the_topics_elr():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 1, 3, config={"min.insync.replicas": 3})
    c.crash_broker(c.partition_state("t", 0).isr[-1])
    c.run(12_000)
    assert c.partition_state("t", 0).elr
    c.alter_topic_config("t", {"min.insync.replicas": 2})
    assert c.partition_state("t", 0).elr == ()
    assert c.trace.filter(name="elr.clear")


def test_feature_levels_are_in_the_metadata_log_with_a_4_2_clusters_defaults():
    c = Cluster(brokers=1)
    assert c.controller.image.features == defaults()
    assert c.controller.image.features["metadata.version"] == 29
    assert c.brokers[1].image.features["eligible.leader.replicas.version"] == 1
    assert Cluster(brokers=1, features=ELR_OFF).brokers[1].image.features["eligible.leader.replicas.version"] == 0


@pytest.mark.parametrize("features, says", [
    ({"transaction.version": 3}, "accepted: 0, 1, 2"),
    ({"share.version": 2}, "share groups"),
    ({"streams.version": 1}, "streams group protocol"),
    ({"eligible.leader.replicas.version": 2}, "accepted: 0, 1"),
    ({"eligible.leader.replicas.version": True}, "accepted: 0, 1"),
    ({"metadata.version": 27}, "accepted: 29"),
    ({"no.such.version": 1}, "features: metadata.version"),
])
def test_a_feature_or_level_this_model_does_not_have_is_refused_by_name(features, says):
    with pytest.raises(ValueError, match=says):
        Cluster(brokers=1, features=features)


def test_features_must_be_a_dict():
    with pytest.raises(TypeError, match="features must be a dict"):
        Cluster(brokers=1, features=[("eligible.leader.replicas.version", 1)])


def test_the_chaos_elr_row_elects_from_the_elr_and_loses_nothing():
    """The campaign's "elr" row stops every broker in turn and restarts them in a random order:
    partitions come back through eligible leader replicas, with nothing acknowledged lost."""
    from minikafka.chaos.campaign import MATRICES
    from minikafka.chaos.workload import run_workload
    row = next(r for r in MATRICES["default"] if r.name == "elr")
    elected = 0
    for seed in range(6):
        r = run_workload(seed, nemesis=row.nemesis(seed), **dict(row.workload))
        assert r.verdicts["lost"].ok and r.verdicts["duplicate"].ok, seed
        elected += any(e.fields.get("from_elr") for e in r.cluster.trace.filter(name="leader.elect"))
    assert elected >= 2


@settings(max_examples=200, deadline=None)
@given(st.permutations([1, 2, 3]), st.sets(st.integers(1, 3)), st.sets(st.integers(1, 3)),
       st.sampled_from([-1, 1, 2, 3]), st.sets(st.integers(1, 3)))
def test_exercise_4_4s_reference_is_the_controllers_election(replicas, isr, elr, last, live):
    """lessons.nb04.elr_leader agrees with partition_change.change for a leaderless partition
    (min ISR = 3, so the ELR stands as given; unclean election off)."""
    from minikafka.course.lessons.nb04 import elr_leader
    from minikafka.protocol.metadata import PartitionState
    elr = elr - isr
    last = last if not isr and not elr else -1
    img = image(min_isr=3, replicas=tuple(replicas))
    for b in (1, 2, 3):
        img.brokers[b].fenced = b not in live
    s = PartitionState("t", 0, tuple(replicas), tuple(sorted(isr)), -1, 1, 1, tuple(sorted(elr)),
                       (last,) if last >= 0 else ())
    rec = change(img, s, s.isr, elect_leader, "test")
    got = rec.leader if rec is not None and rec.leader is not None else -1
    assert got == elr_leader(list(replicas), sorted(isr), sorted(elr), last, sorted(live))
