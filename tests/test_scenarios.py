"""Fault scenarios of kafka-semantics.md section 3, each arising from the mechanism: a crash, a
cut link, a lost message. No test scripts an outcome; each checks what the cluster did."""
from __future__ import annotations

from helpers import Deliveries, leader_and_followers, lose_third_of_five_requests, read_all, values

from minikafka import Cluster, TopicPartition


def three_brokers(seed: int, **topic_config) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2, **topic_config})
    return c


# -- scenario 1 ----------------------------------------------------------------------------
def test_acks_1_leader_crash_before_follower_fetch_loses_acknowledged_record():
    c = three_brokers(seed=1)
    leader, followers = leader_and_followers(c)
    d = Deliveries()
    p = c.producer({"acks": 1, "linger.ms": 0})
    p.produce("t", value=b"m0", on_delivery=d)
    p.flush()
    c.run(1000)                                  # followers have m0
    for f in followers:                          # the followers cannot fetch any more
        c.cut(leader, f)
    p.produce("t", value=b"m1", on_delivery=d)
    p.flush()
    assert d.ok == {b"m0": 0, b"m1": 1}          # both acknowledged by the leader alone
    c.crash_broker(leader)
    c.run(10_000)                                # fenced after broker.session.timeout.ms
    st = c.partition_state("t", 0)
    assert st.leader in followers and st.leader_epoch == 1
    for f in followers:
        c.heal(leader, f)
    p.produce("t", value=b"m2", on_delivery=d)
    p.flush()
    assert d.ok[b"m2"] == 1                      # offset 1 is reused by the next write
    assert values(c) == [b"m0", b"m2"]           # m1 is lost although it was acknowledged


def test_old_leader_truncates_to_new_leaders_epoch_end_on_return():
    c = three_brokers(seed=1)
    leader, followers = leader_and_followers(c)
    p = c.producer({"acks": 1, "linger.ms": 0})
    p.produce("t", value=b"m0")
    p.flush()
    c.run(1000)
    for f in followers:
        c.cut(leader, f)
    p.produce("t", value=b"m1")
    p.flush()
    c.crash_broker(leader)
    c.run(10_000)
    for f in followers:
        c.heal(leader, f)
    p.produce("t", value=b"m2")
    p.flush()
    assert values(c, broker=leader) == [b"m0", b"m1"]     # on disk while it was down
    c.restart_broker(leader)
    c.run(5000)
    truncations = c.trace.filter(name="truncate", node=f"b{leader}")
    assert [(e.fields["to"], e.fields["removed"]) for e in truncations] == [(1, 1)]
    assert values(c, broker=leader) == [b"m0", b"m2"]      # diverging m1 gone, m2 re-fetched
    assert leader in c.partition_state("t", 0).isr          # caught up, back in the ISR


def test_acks_all_same_crash_loses_nothing_acknowledged():
    c = three_brokers(seed=1)
    leader, followers = leader_and_followers(c)
    d = Deliveries()
    p = c.producer({"acks": "all", "linger.ms": 0, "enable.idempotence": False, "delivery.timeout.ms": 200_000})
    p.produce("t", value=b"m0", on_delivery=d)
    p.flush()
    for f in followers:
        c.cut(leader, f)
    p.produce("t", value=b"m1", on_delivery=d)
    c.run(2000)
    assert b"m1" not in d.ok                     # acks=all waits for the ISR
    c.crash_broker(leader)
    c.run(10_000)
    for f in followers:
        c.heal(leader, f)
    p.flush()
    assert set(d.ok) == {b"m0", b"m1"}
    assert values(c) == [b"m0", b"m1"]           # retried to the new leader, nothing lost


# -- scenario 2 ----------------------------------------------------------------------------
def test_isr_shrinks_when_a_follower_is_fenced_and_acks_all_keeps_working():
    c = three_brokers(seed=2)
    _, (f1, _) = leader_and_followers(c)
    c.crash_broker(f1)
    c.run(11_500)                   # fenced > 9 s after its last heartbeat, checked every 1,125 ms
    assert f1 not in c.partition_state("t", 0).isr
    d = Deliveries()
    p = c.producer({"acks": "all", "linger.ms": 0})
    p.produce("t", value=b"a", on_delivery=d)
    p.flush()
    assert d.ok == {b"a": 0}


def _both_followers_fenced() -> tuple[Cluster, int, int]:
    """Scenario 2's second step: the ISR is the leader alone, below min.insync.replicas=2."""
    c = three_brokers(seed=2)
    leader, (f1, f2) = leader_and_followers(c)
    c.crash_broker(f1)
    c.crash_broker(f2)
    c.run(11_500)                   # fenced > 9 s after their last heartbeats, checked every 1,125 ms
    assert c.partition_state("t", 0).isr == (leader,)
    return c, leader, f1


def test_isr_below_min_insync_gives_not_enough_replicas_until_delivery_timeout():
    c, _, _ = _both_followers_fenced()
    d = Deliveries()
    p = c.producer({"acks": "all", "linger.ms": 0})
    start = c.now
    p.produce("t", value=b"a", on_delivery=d)
    p.flush()
    assert d.failed == {b"a": "_MSG_TIMED_OUT"}
    assert 120_000 <= c.now - start < 125_000                      # delivery.timeout.ms
    rejects = c.trace.filter(name="produce.reject")
    assert rejects and all(e.fields["error"] == "NOT_ENOUGH_REPLICAS" for e in rejects)
    assert c.partition_state("t", 0).high_watermark == 0           # nothing was written


def test_acks_1_writes_under_min_isr_are_appended_but_invisible_until_isr_recovers():
    c, leader, f1 = _both_followers_fenced()
    d = Deliveries()
    p = c.producer({"acks": 1, "linger.ms": 0})
    p.produce("t", value=b"one", on_delivery=d)
    p.flush()
    assert d.ok == {b"one": 0}                   # acknowledged by the leader
    st = c.partition_state("t", 0)
    assert st.replica(leader).leo == 1 and st.high_watermark == 0   # HW frozen (Kafka 3.7+)
    assert read_all(c, timeout=1.0) == []
    c.restart_broker(f1)
    c.run(5000)
    assert f1 in c.partition_state("t", 0).isr
    assert read_all(c) == [b"one"]


# -- scenario 3 ----------------------------------------------------------------------------
def _committed_while_b2_down(unclean: bool):
    """RF=2, min.insync=1: with B2 stopped, five acks=all records are committed on B1 alone."""
    c = Cluster(brokers=2, seed=3)
    c.create_topic("t", partitions=1, replication_factor=2,
                   config={"min.insync.replicas": 1, "unclean.leader.election.enable": unclean})
    b1, (b2,) = leader_and_followers(c)
    c.crash_broker(b2)
    c.run(10_000)
    p = c.producer({"acks": "all", "linger.ms": 0})
    for i in range(5):
        p.produce("t", value=b"v%d" % i)
    p.flush()
    assert p.delivered == 5
    return c, p, b1, b2


def _kill_b1_start_b2(c: Cluster, b1: int, b2: int) -> None:
    c.crash_broker(b1)
    c.restart_broker(b2)
    c.run(10_000)


def test_unclean_election_off_keeps_partition_offline_until_isr_member_returns():
    c, _, b1, b2 = _committed_while_b2_down(unclean=False)
    assert read_all(c) == [b"v%d" % i for i in range(5)]          # committed and consumed
    _kill_b1_start_b2(c, b1, b2)
    st = c.partition_state("t", 0)
    assert st.offline and st.isr == () and st.elr == (b1,)      # the ISR emptied; b1 is eligible (ELR)
    c.crash_broker(b2)                           # B2 (out of sync) returns while it is offline:
    c.restart_broker(b2)                         # nobody may lead, so no election is recorded
    c.run(10_000)
    last = c.trace.filter(name="leader.elect")[-1].fields
    assert (last["leader"], last["why"]) == (-1, "session timeout")
    assert c.partition_state("t", 0).offline
    c.restart_broker(b1)
    c.run(10_000)
    assert c.partition_state("t", 0).leader == b1
    assert read_all(c) == [b"v%d" % i for i in range(5)]


def test_unclean_election_on_loses_committed_records():
    c, _, b1, b2 = _committed_while_b2_down(unclean=True)
    assert read_all(c) == [b"v%d" % i for i in range(5)]
    _kill_b1_start_b2(c, b1, b2)
    st = c.partition_state("t", 0)
    assert st.leader == b2 and st.isr == (b2,)
    elections = c.trace.filter(name="leader.elect")
    assert elections[-1].fields["unclean"] is True
    assert read_all(c, timeout=1.0) == []        # the five committed records are gone
    c.restart_broker(b1)
    c.run(10_000)
    assert values(c, broker=b1) == []            # the old leader truncated to match


def test_consumer_past_the_new_log_end_rewinds_and_reads_the_new_leaders_records():
    c, p, b1, b2 = _committed_while_b2_down(unclean=True)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    assert len(k.consume(10, 1.0)) == 5
    _kill_b1_start_b2(c, b1, b2)
    p.produce("t", value=b"new")
    p.flush()
    assert [m.value() for m in k.consume(10, 5.0)] == [b"new"]
    # KIP-320 validation usually sees it first; a fetch past the end would say OFFSET_OUT_OF_RANGE
    assert c.trace.filter(name=("log.truncation", "offset.out_of_range"), node=k.name)


# -- scenario 5 (idempotence off) and scenario 4's non-idempotent half ----------------------
def _producer(c: Cluster, **cfg):
    return c.producer({"acks": "all", "linger.ms": 0, "enable.idempotence": False,
                       "max.in.flight.requests.per.connection": 5, **cfg})


def test_lost_produce_request_breaks_the_connection_and_retries_reorder_the_partition():
    """Scenario 5 without idempotence: the three requests failed by the broken connection are
    re-queued at the front one after the other (Kafka's reenqueue), so they go out reversed."""
    c = three_brokers(seed=5)
    p = _producer(c)
    lose_third_of_five_requests(c, p)
    assert values(c) == [b"m0", b"m1", b"m4", b"m3", b"m2"]
    retries = c.trace.filter(name="produce.retry", node=p.name)
    assert [e.fields["error"] for e in retries] == ["NETWORK_EXCEPTION"] * 3
    assert [e.fields["why"] for e in c.trace.filter(kind="drop", name="ProduceRequest")] == ["rule", "reset", "reset"]


def test_transient_not_leader_or_follower_retries_reorder_partition():
    c = three_brokers(seed=5)
    p = _producer(c)
    p.produce("t", value=b"first")
    p.flush()
    leader = c.partition_state("t", 0).leader
    c.cut(leader, "c1")                  # fenced; another broker becomes leader
    c.run(10_000)
    c.heal(leader, "c1")                 # it learns it is a follower now
    c.run(3000)
    assert c.partition_state("t", 0).leader != leader
    for i in range(5):                           # the producer's metadata is stale
        p.produce("t", value=b"m%d" % i)
        c.run(1)
    p.flush()
    retries = c.trace.filter(name="produce.retry", node=p.name)
    assert retries and {e.fields["error"] for e in retries} == {"NOT_LEADER_OR_FOLLOWER"}
    log = values(c)
    assert sorted(log) == sorted([b"first"] + [b"m%d" % i for i in range(5)])
    assert log != [b"first"] + [b"m%d" % i for i in range(5)]      # order broken


def test_max_in_flight_1_keeps_order_through_the_same_lost_request():
    c = three_brokers(seed=5)
    p = _producer(c, **{"max.in.flight.requests.per.connection": 1})
    c.drop("ProduceRequest", count=1)
    for i in range(5):
        p.produce("t", value=b"m%d" % i)
        c.run(1)
    p.flush()
    assert values(c) == [b"m0", b"m1", b"m2", b"m3", b"m4"]


def test_lost_produce_response_without_idempotence_writes_two_copies():
    c = three_brokers(seed=4)
    p = _producer(c)
    d = Deliveries()
    c.drop("ProduceResponse", count=1)
    p.produce("t", value=b"m", on_delivery=d)
    p.flush()
    assert values(c) == [b"m", b"m"]
    assert d.ok == {b"m": 1}                     # the retry's offset is reported


def test_retries_0_turns_the_same_loss_into_a_failed_send():
    c = three_brokers(seed=5)
    p = _producer(c, retries=0)
    d = Deliveries()
    c.drop("ProduceRequest", count=1)
    p.produce("t", value=b"m0", on_delivery=d)
    p.flush()
    assert d.failed == {b"m0": "NETWORK_EXCEPTION"} and values(c) == []


def test_consumer_inside_the_new_log_detects_truncation_and_rewinds_to_the_divergence_point():
    """KIP-320: after an unclean election the new leader's log diverges below the consumer's
    position; the consumer validates its position by leader epoch and rewinds, rather than
    silently skipping the new leader's records."""
    c, p, b1, b2 = _committed_while_b2_down(unclean=True)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    assert len(k.consume(10, 1.0)) == 5                      # position 5, epoch 0
    _kill_b1_start_b2(c, b1, b2)
    for i in range(8):                                       # the new leader's log grows past 5
        p.produce("t", value=b"n%d" % i)
    p.flush()
    got = [m.value() for m in k.consume(20, 5.0)]
    assert got == [b"n%d" % i for i in range(8)]
    detected = c.trace.filter(name="log.truncation", node=k.name)
    assert detected and detected[0].fields["position"] == 5 and detected[0].fields["to"] == 0


def test_consumer_without_reset_policy_raises_log_truncation():
    c, p, b1, b2 = _committed_while_b2_down(unclean=True)
    k = c.consumer({"auto.offset.reset": "none"})
    k.assign([TopicPartition("t", 0, 0)])
    assert len(k.consume(10, 1.0)) == 5
    _kill_b1_start_b2(c, b1, b2)
    for i in range(8):
        p.produce("t", value=b"n%d" % i)
    p.flush()
    import pytest

    from minikafka import KafkaException
    with pytest.raises(KafkaException, match="_LOG_TRUNCATION"):
        k.consume(20, 5.0)
