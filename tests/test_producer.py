"""The producer: partitioning, batching, acks, delivery reports and errors."""
from __future__ import annotations

import pytest
from helpers import Deliveries, values

from minikafka import Cluster, KafkaError, KafkaException, partition_for_key


@pytest.fixture
def c() -> Cluster:
    c = Cluster(brokers=3, seed=9)
    c.create_topic("t", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def test_keyed_records_go_to_the_murmur2_partition(c):
    got = []
    p = c.producer()
    for key in (b"alice", b"bob", b"21", b"carol"):
        p.produce("t", key=key, value=b"v", on_delivery=lambda e, m: got.append((m.key(), m.partition())))
    p.flush()
    assert sorted(got) == sorted((k, partition_for_key(k, 3)) for k in (b"alice", b"bob", b"21", b"carol"))


def test_explicit_partition_wins_over_the_key(c):
    got = []
    p = c.producer()
    p.produce("t", key=b"alice", value=b"v", partition=2, on_delivery=lambda e, m: got.append(m.partition()))
    p.flush()
    assert got == [2]


def test_null_keys_stick_to_one_partition_for_a_batch_then_move(c):
    parts = []
    p = c.producer({"batch.size": 1000, "linger.ms": 1000})
    for _ in range(40):
        p.produce("t", value=b"x" * 100, on_delivery=lambda e, m: parts.append(m.partition()))
    p.flush()
    runs = [parts[0]]
    for q in parts[1:]:
        if q != runs[-1]:
            runs.append(q)
    assert len(parts) == 40 and 3 <= len(runs) <= 8       # ~8 records (1000 bytes) per stick


def test_records_wait_for_linger_ms_then_go_in_one_batch(c):
    p = c.producer({"linger.ms": 50})
    for i in range(10):
        p.produce("t", value=b"%d" % i, partition=0)
    c.run(49)
    assert c.trace.filter(name="ProduceRequest", kind="send") == []
    c.run(2)
    sends = c.trace.filter(name="ProduceRequest", kind="send")
    assert len(sends) == 1 and [b.split("@")[0] for b in sends[0].fields["batches"]] == ["t-0:10"]


def test_a_full_batch_is_sent_before_linger_expires(c):
    p = c.producer({"linger.ms": 10_000, "batch.size": 500})
    for _ in range(20):
        p.produce("t", value=b"y" * 50, partition=0)
    c.run(5)
    assert c.trace.filter(name="ProduceRequest", kind="send")


def test_delivery_reports_arrive_only_through_poll_or_flush(c):
    d = Deliveries()
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"a", partition=1, on_delivery=d)
    c.run(100)
    assert d.ok == {} and len(p.reports) == 1
    assert p.poll(0) == 1
    assert d.ok == {b"a": 0}


def test_acks_0_reports_offset_minus_1_without_waiting_for_a_response(c):
    d = Deliveries()
    p = c.producer({"acks": 0, "enable.idempotence": False, "linger.ms": 0})
    p.produce("t", value=b"a", partition=0, on_delivery=d)
    p.flush()
    assert d.ok == {b"a": -1}
    assert c.trace.filter(name="ProduceResponse") == []
    c.run(100)
    assert values(c, "t", 0) == [b"a"]


def test_len_counts_records_not_yet_delivered(c):
    p = c.producer({"linger.ms": 100})
    p.produce("t", value=b"a")
    p.produce("t", value=b"b")
    assert len(p) == 2
    assert p.flush() == 0 and len(p) == 0


def test_unknown_topic_raises_unknown_topic_or_part(c):
    p = c.producer()
    with pytest.raises(KafkaException) as e:
        p.produce("nope", value=b"a")
    assert e.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    assert "nope" in str(e.value)


def test_partition_out_of_range_raises_unknown_partition(c):
    p = c.producer()
    with pytest.raises(KafkaException) as e:
        p.produce("t", value=b"a", partition=3)
    assert e.value.args[0].name() == "_UNKNOWN_PARTITION" and "0..2" in str(e.value)


def test_values_must_be_bytes_str_or_none(c):
    p = c.producer()
    with pytest.raises(TypeError, match="value must be bytes"):
        p.produce("t", value=123)


def test_calls_on_a_closed_producer_raise_state_error(c):
    p = c.producer()
    p.close()
    with pytest.raises(KafkaException) as e:
        p.produce("t", value=b"a")
    assert e.value.args[0].name() == "_STATE"


def test_unset_delivery_timeout_is_raised_to_linger_plus_request_timeout(c):
    p = c.producer({"linger.ms": 100_000})
    assert p.cfg["delivery.timeout.ms"] == 130_000


def test_request_timeout_fails_every_request_in_flight_to_that_broker(c):
    p = c.producer({"linger.ms": 0, "enable.idempotence": False, "retries": 0})
    leader = c.partition_state("t", 0).leader
    d = Deliveries()
    c.cut(p.name, leader)
    for i in range(3):
        p.produce("t", value=b"%d" % i, partition=0, on_delivery=d)
        c.run(1)
    p.flush()
    assert d.failed == {b"0": "REQUEST_TIMED_OUT", b"1": "REQUEST_TIMED_OUT", b"2": "REQUEST_TIMED_OUT"}
    assert len([e for e in c.trace.filter(name="request.timeout") if e.fields["request"] == "ProduceRequest"]) == 1


def test_a_request_held_by_a_cut_is_not_overtaken_by_a_later_one_after_the_heal():
    """A cut is a partition, not a loss: TCP delivers the held ProduceRequest first after the heal,
    so even without idempotence the log keeps the send order (it was A, B, A when a cut dropped)."""
    c = Cluster(brokers=3, seed=5)
    c.create_topic("t", partitions=1, replication_factor=3)
    p = c.producer({"enable.idempotence": False, "acks": "all"})
    p.produce("t", value=b"warm")
    p.flush()
    leader = c.partition_state("t", 0).leader
    c.cut(p.name, leader)
    p.produce("t", value=b"A")
    c.run(2000)
    c.heal(p.name, leader)
    p.produce("t", value=b"B")
    p.flush(60)
    assert [v for _, _, v in c.log("t", 0)] == [b"warm", b"A", b"B"]


def test_a_request_timeout_closes_the_connection_so_the_held_request_is_never_delivered():
    c = Cluster(brokers=3, seed=5)
    c.create_topic("t", partitions=1, replication_factor=3)
    p = c.producer({"enable.idempotence": False, "acks": "all", "retries": 0})
    p.produce("t", value=b"warm")
    p.flush()
    leader = c.partition_state("t", 0).leader
    c.cut(p.name, leader)
    errors = []
    p.produce("t", value=b"A", on_delivery=lambda err, m: errors.append(err and err.name()))
    p.flush(40)                                      # request.timeout.ms is 30 s
    c.heal(p.name, leader)
    c.run(1000)
    assert errors == ["REQUEST_TIMED_OUT"]
    assert [v for _, _, v in c.log("t", 0)] == [b"warm"]
    assert [e.fields["why"] for e in c.trace.filter(kind="drop") if e.peer == p.name] == ["reset"]


def test_a_client_that_crashes_inside_flush_raises_state_at_once_instead_of_waiting_out_the_timeout():
    c = Cluster(brokers=3, seed=5)
    c.create_topic("t", partitions=1, replication_factor=3)
    p = c.producer()
    c.cut(p.name, c.partition_state("t", 0).leader)
    p.produce("t", value=b"A")
    start = c.now
    c.sim.schedule(1000, c.crash_client, p.name)     # a fault fires while the application waits
    with pytest.raises(KafkaException) as e:
        p.flush(60)
    assert e.value.args[0].name() == "_STATE" and "crashed during" in str(e.value)
    assert c.now - start == 1000
    with pytest.raises(KafkaException, match="crashed; a crashed client cannot be used"):
        p.produce("t", value=b"B")


def _retry_waits(config: dict) -> list[int]:
    """The backoffs of one record retried for 60 s against NOT_ENOUGH_REPLICAS."""
    c = Cluster(brokers=3, seed=3)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 3})
    st = c.partition_state("t", 0)
    c.crash_broker(next(r.broker for r in st.replicas if r.broker != st.leader))
    c.run(15_000)                                    # the follower leaves the ISR
    p = c.producer(config)
    p.produce("t", value=b"A")
    p.flush(60)
    return [e.fields["backoff"] for e in c.trace.filter(name="produce.retry")]


def test_retry_backoff_is_jittered_then_capped_so_it_never_exceeds_retry_backoff_max_ms():
    """Kafka's ExponentialBackoff: 100 ms doubling, +-20% jitter, then the cap (issue 15: the cap
    came before the jitter, and a wait of 1,199 ms was seen)."""
    waits = _retry_waits({"retry.backoff.ms": 100, "retry.backoff.max.ms": 1000})
    assert len(waits) > 20 and max(waits) <= 1000
    assert 80 <= waits[0] < 120 and min(waits[-10:]) >= 800   # jittered around 100, then around the cap


def test_retry_backoff_max_ms_at_or_below_retry_backoff_ms_is_every_wait_exactly():
    """ExponentialBackoff with maxInterval <= initialInterval: a constant maxInterval, no jitter."""
    waits = _retry_waits({"retry.backoff.ms": 500, "retry.backoff.max.ms": 200})
    assert len(waits) > 20 and set(waits) == {200}
