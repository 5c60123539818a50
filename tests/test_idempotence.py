"""The idempotent producer (kafka-semantics.md F.35-F.39, scenarios 4-6)."""
from __future__ import annotations

import pytest
from helpers import Deliveries, lose_third_of_five_requests, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minikafka import Cluster, ConfigException
from minikafka.storage.producer_state import ProducerEntry, check_sequence


def three_brokers(seed: int) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    return c


# -- the broker's sequence check ------------------------------------------------------------
def test_sequence_check_accepts_next_flags_duplicate_gap_and_old_epoch():
    e = ProducerEntry(epoch=2)
    e.batches.extend([(0, 4, 100, 104), (5, 9, 105, 109)])
    assert check_sequence(e, 2, 10, 14) == (None, -1)                      # next: append
    assert check_sequence(e, 2, 5, 9) == (None, 105)                       # duplicate: original offset
    assert check_sequence(e, 2, 12, 14) == ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)
    assert check_sequence(e, 1, 10, 14) == ("INVALID_PRODUCER_EPOCH", -1)
    assert check_sequence(e, 3, 0, 4) == (None, -1)                        # new epoch starts at 0
    assert check_sequence(e, 3, 10, 14) == ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)
    assert check_sequence(None, 0, 77, 80) == (None, -1)                   # no state: accepted


def test_only_the_last_five_batches_are_remembered():
    e = ProducerEntry(epoch=0)
    for i in range(7):
        e.batches.append((i, i, i, i))
    assert check_sequence(e, 0, 2, 2) == (None, 2)
    assert check_sequence(e, 0, 1, 1) == ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)


# -- configuration (E.34) ---------------------------------------------------------------------
def test_idempotence_is_on_by_default():
    c = Cluster(brokers=1, seed=1)
    assert c.producer().idempotent


@pytest.mark.parametrize("config", [{"acks": 1}, {"acks": 0}, {"retries": 0}])
def test_idempotence_left_unset_is_silently_disabled_by_conflicting_settings(config):
    c = Cluster(brokers=1, seed=1)
    assert not c.producer(config).idempotent


@pytest.mark.parametrize("config, key", [({"acks": 1}, "acks"), ({"acks": "0"}, "acks"), ({"retries": 0}, "retries")])
def test_explicit_idempotence_with_conflicting_settings_raises_naming_the_key(config, key):
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(ConfigException, match=key):
        c.producer({"enable.idempotence": True, **config})


def test_more_than_5_in_flight_with_idempotence_raises_kafka_4_rule():
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(ConfigException, match="max.in.flight.requests.per.connection"):
        c.producer({"max.in.flight.requests.per.connection": 6})
    assert not c.producer({"max.in.flight.requests.per.connection": 6, "enable.idempotence": False}).idempotent


def test_transactional_id_without_idempotence_raises():
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(ConfigException, match="transactional.id"):
        c.producer({"transactional.id": "t1", "acks": 1})


# -- scenarios ------------------------------------------------------------------------------
def test_lost_produce_response_with_idempotence_keeps_one_copy_at_the_original_offset():
    c = three_brokers(seed=4)
    p = c.producer({"linger.ms": 0})
    d = Deliveries()
    c.drop("ProduceResponse", count=1)
    p.produce("t", value=b"m", on_delivery=d)
    p.flush()
    assert values(c) == [b"m"]
    assert d.ok == {b"m": 0}
    assert c.trace.filter(name="produce.duplicate")


def test_lost_produce_request_with_idempotence_keeps_order():
    """Scenario 5 with idempotence: the same loss; retries re-enter the queue in sequence order."""
    c = three_brokers(seed=5)
    p = c.producer({"linger.ms": 0})
    lose_third_of_five_requests(c, p)
    assert values(c) == [b"m%d" % i for i in range(5)]
    assert c.trace.filter(name="produce.retry", node=p.name)


def test_transient_not_leader_or_follower_with_idempotence_keeps_order():
    c = three_brokers(seed=5)
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"first")
    p.flush()
    leader = c.partition_state("t", 0).leader
    c.cut(leader, "c1")
    c.run(10_000)
    c.heal(leader, "c1")
    c.run(3000)
    for i in range(5):
        p.produce("t", value=b"m%d" % i)
        c.run(1)
    p.flush()
    assert c.trace.filter(name="produce.retry", node=p.name)
    assert values(c) == [b"first"] + [b"m%d" % i for i in range(5)]


def test_restarted_plain_idempotent_producer_gets_a_new_pid_and_duplicates():
    c = three_brokers(seed=6)
    p1 = c.producer({"linger.ms": 0})
    c.drop("ProduceResponse", count=1)           # the broker appends m; the ack never arrives
    p1.produce("t", value=b"m")
    c.run(50)
    c.crash_client(p1.name)
    p2 = c.producer({"linger.ms": 0})            # the application re-sends m from a new session
    p2.produce("t", value=b"m")
    p2.flush()
    assert values(c) == [b"m", b"m"]
    pids = [e.fields["pid"] for e in c.trace.filter(name="producer_id")]
    assert len(set(pids)) == 2


def test_lost_acknowledged_batch_under_acks_all_bumps_epoch_after_unresolvable_sequence():
    """The broker lost the producer's sequence (unclean election): the next batch cannot be
    placed, fails with OUT_OF_ORDER_SEQUENCE_NUMBER, and the producer bumps its epoch (KIP-360)."""
    c = Cluster(brokers=2, seed=3)
    c.create_topic("t", partitions=1, replication_factor=2,
                   config={"min.insync.replicas": 1, "unclean.leader.election.enable": True})
    st = c.partition_state("t", 0)
    b1, b2 = st.leader, [r.broker for r in st.replicas if r.broker != st.leader][0]
    p = c.producer({"linger.ms": 0})
    d = Deliveries()
    p.produce("t", value=b"before")
    p.flush()
    c.crash_broker(b2)
    c.run(10_000)
    p.produce("t", value=b"only-on-b1", on_delivery=d)
    p.flush()
    c.crash_broker(b1)
    c.restart_broker(b2)
    c.run(10_000)                                # unclean: b2 leads without "only-on-b1"
    p.produce("t", value=b"after", on_delivery=d)
    p.flush()
    assert d.ok[b"only-on-b1"] == 1 and b"only-on-b1" not in values(c)
    bumps = c.trace.filter(name="producer.epoch_bump")
    assert bumps and b"after" in values(c)


def test_stale_request_refused_by_a_restarted_broker_does_not_fail_requests_to_its_new_process():
    """Found by hypothesis: a reset for the old process's connection used to fail a request the
    new process had appended, whose retry then duplicated it under a bumped epoch."""
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"linger.ms": 1, "delivery.timeout.ms": 300_000})
    sent = 0
    for step in ("crash1", "crash3", "delay", "delay", "run", "crash2"):
        for _ in range(5):
            p.produce("t", key=b"k%d" % (sent % 2), value=b"%d" % sent)
            sent += 1
        if step.startswith("crash"):
            c.crash_broker(int(step[-1]))
        elif step == "delay":
            c.delay("ProduceRequest", ms=5, count=3)
        else:
            c.run(1)
    c.clear_rules()
    for b in (1, 2, 3):
        c.restart_broker(b)
    p.flush()
    c.run(5000)
    logged = [int(v) for part in (0, 1) for v in values(c, partition=part)]
    assert len(logged) == len(set(logged))


# -- property -------------------------------------------------------------------------------
fault = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(["ProduceRequest", "ProduceResponse", "FetchResponse"]),
              st.sampled_from([0.1, 0.3])),
    st.tuples(st.just("crash"), st.sampled_from([1, 2, 3])),
    st.tuples(st.just("restart"), st.sampled_from([1, 2, 3])),
    st.tuples(st.just("delay"), st.sampled_from(["ProduceRequest", "ProduceResponse"]), st.sampled_from([5, 200])),
    st.tuples(st.just("run"), st.sampled_from([1, 10, 500, 12_000])),
    st.tuples(st.just("calm")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), faults=st.lists(fault, max_size=12))
def test_idempotent_acks_all_producer_never_duplicates_or_reorders_a_partition(seed, faults):
    """Once each partition's leader holds the producer's state (its first batch was
    acknowledged), no fault schedule duplicates or reorders its records. Before that the broker
    accepts any sequence from an unknown producer id (F.37e), as the next test shows."""
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"linger.ms": 1, "delivery.timeout.ms": 300_000})
    for part in (0, 1):
        p.produce("t", value=b"-1", partition=part)
    p.flush()
    sent = 0
    for f in faults:
        for _ in range(5):
            p.produce("t", key=b"k%d" % (sent % 2), value=b"%d" % sent)
            sent += 1
        if f[0] == "drop":
            c.drop(f[1], probability=f[2])
        elif f[0] == "delay":
            c.delay(f[1], ms=f[2], count=3)
        elif f[0] == "crash" and c.brokers[f[1]].alive:
            c.crash_broker(f[1])
        elif f[0] == "restart" and not c.brokers[f[1]].alive:
            c.restart_broker(f[1])
        elif f[0] == "run":
            c.run(f[1])
        elif f[0] == "calm":
            c.clear_rules()
    c.clear_rules()
    for b in (1, 2, 3):
        if not c.brokers[b].alive:
            c.restart_broker(b)
    p.flush()
    c.run(5000)
    for part in (0, 1):
        logged = [int(v) for v in values(c, partition=part)]
        assert len(logged) == len(set(logged)), "duplicate"
        assert logged == sorted(logged), "reordered"


def test_producer_started_while_a_broker_is_down_gets_its_id_from_a_live_broker_promptly():
    """A refused request moves the client on to the next broker, and it stays with one that
    answers (a per-call rotation once locked InitProducerId onto the dead broker forever)."""
    c = Cluster(brokers=2, seed=3)
    c.create_topic("t", partitions=1, replication_factor=2, config={"min.insync.replicas": 1})
    c.crash_broker(2)
    c.run(10_000)
    start = c.now
    p = c.producer({"linger.ms": 0})
    c.run(1000)
    assert p.producer_id >= 0
    assert len(c.trace.filter(name="InitProducerIdRequest", kind="send", since=start)) <= 2
    p.produce("t", value=b"x")
    p.flush(timeout=5.0)
    assert p.delivered == 1
