"""The consumer: assignment, positions, resets, polling in virtual time."""
from __future__ import annotations

import pytest

from minikafka import OFFSET_BEGINNING, OFFSET_END, Cluster, KafkaException, TopicPartition


@pytest.fixture
def c() -> Cluster:
    c = Cluster(brokers=3, seed=4)
    c.create_topic("t", partitions=2, replication_factor=3)
    p = c.producer()
    for i in range(10):
        p.produce("t", value=b"v%d" % i, partition=0)
    p.flush()
    return c


def test_earliest_reads_from_the_start_in_offset_order(c):
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    msgs = k.consume(100, 1.0)
    assert [m.offset() for m in msgs] == list(range(10))
    assert msgs[3].value() == b"v3" and msgs[3].topic() == "t" and msgs[3].partition() == 0
    assert k.position([TopicPartition("t", 0)])[0].offset == 10


def test_latest_skips_earlier_records_and_sees_new_ones(c):
    k = c.consumer()                              # auto.offset.reset defaults to latest
    k.assign([TopicPartition("t", 0)])
    assert k.poll(0.5) is None
    p = c.producer()
    p.produce("t", value=b"new", partition=0)
    p.flush()
    assert k.poll(1.0).value() == b"new"


def test_auto_offset_reset_none_raises_when_there_is_no_position(c):
    k = c.consumer({"auto.offset.reset": "none"})
    k.assign([TopicPartition("t", 0)])
    with pytest.raises(KafkaException) as e:
        k.poll(0.5)
    assert e.value.args[0].name() == "_AUTO_OFFSET_RESET"


def test_assign_with_offsets_and_seek_replay(c):
    k = c.consumer()
    k.assign([TopicPartition("t", 0, 7)])
    assert [m.offset() for m in k.consume(10, 1.0)] == [7, 8, 9]
    k.seek(TopicPartition("t", 0, 2))
    assert k.poll(1.0).offset() == 2
    k.seek(TopicPartition("t", 0, OFFSET_BEGINNING))
    assert k.poll(1.0).offset() == 0
    k.seek(TopicPartition("t", 0, OFFSET_END))
    assert k.poll(0.2) is None


def test_poll_timeout_is_virtual_seconds(c):
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 1)])
    start = c.now
    assert k.poll(2.5) is None
    assert c.now - start == 2500


def test_records_above_the_high_watermark_are_not_returned():
    c = Cluster(brokers=3, seed=4)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    leader = c.partition_state("t", 0).leader
    for b in c.brokers:
        if b != leader:
            c.cut(leader, b)
    p = c.producer({"acks": 1, "linger.ms": 0, "enable.idempotence": False})
    p.produce("t", value=b"uncommitted")
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    assert k.poll(1.0) is None
    c.heal_all()                                  # followers retry after replica.socket.timeout.ms
    assert k.poll(35.0).value() == b"uncommitted"


def test_get_watermark_offsets_gives_log_start_and_high_watermark(c):
    k = c.consumer()
    assert k.get_watermark_offsets(TopicPartition("t", 0)) == (0, 10)


def test_assigning_an_unknown_partition_or_topic_raises(c):
    k = c.consumer()
    with pytest.raises(KafkaException, match="_UNKNOWN_PARTITION"):
        k.assign([TopicPartition("t", 5)])
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        k.assign([TopicPartition("missing", 0)])


def test_subscribe_needs_a_group_id_and_excludes_manual_assignment(c):
    with pytest.raises(KafkaException, match="group.id"):
        c.consumer().subscribe(["t"])
    k = c.consumer({"group.id": "g"})
    k.assign([TopicPartition("t", 0)])
    with pytest.raises(KafkaException, match="mutually exclusive"):
        k.subscribe(["t"])
    k2 = c.consumer({"group.id": "g"})
    k2.subscribe(["t"])
    with pytest.raises(KafkaException, match="mutually exclusive"):
        k2.assign([TopicPartition("t", 0)])
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        k2.subscribe(["missing"])


def test_closed_consumer_raises_state_error(c):
    k = c.consumer()
    k.close()
    with pytest.raises(KafkaException, match="_STATE"):
        k.poll(0)


def test_position_beyond_the_log_end_gets_offset_out_of_range_and_resets(c):
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0, 50)])
    assert k.poll(1.0).offset() == 0
    assert c.trace.filter(name="offset.out_of_range", node=k.name)


def test_enable_partition_eof_reports_the_end_once_each_time_it_is_reached(c):
    p = c.producer()
    p.produce("t", value=b"a", partition=1)
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest", "enable.partition.eof": True})
    k.assign([TopicPartition("t", 1)])
    first, eof = k.poll(1.0), k.poll(1.0)
    assert first.value() == b"a" and eof.error().name() == "_PARTITION_EOF" and eof.offset() == 1
    assert k.poll(0.5) is None and k.position([TopicPartition("t", 1)])[0].offset == 1
    p.produce("t", value=b"b", partition=1)
    p.flush()
    assert k.poll(1.0).value() == b"b" and k.poll(1.0).error().name() == "_PARTITION_EOF"
    plain = c.consumer({"auto.offset.reset": "earliest"})
    plain.assign([TopicPartition("t", 1)])
    assert [m.value() for m in plain.consume(10, 1.0)] == [b"a", b"b"]


def test_a_position_validation_waiting_for_an_unknown_leader_asks_for_metadata():
    """KIP-320: the epoch changed, then the partition went offline before the validation was
    sent. The consumer must look for the new leader, not wait for metadata.max.age.ms (5 min)."""
    c = Cluster(brokers=3, seed=2)
    c.create_topic("t", partitions=1, replication_factor=2)
    p = c.producer()
    p.produce("t", value=b"a")
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    assert [m.value() for m in k.consume(10, 1.0)] == [b"a"]
    first = c.partition_state("t", 0).leader
    second = next(r.broker for r in c.partition_state("t", 0).replicas if r.broker != first)
    c.crash_broker(first)
    c.run(12_000)
    k.consume(1, 0.5)                               # sees epoch 1: its position needs validating
    c.crash_broker(second)
    c.run(12_000)
    k.consume(1, 2.0)
    assert c.partition_state("t", 0).leader == -1 and ("t", 0) in k.subscriptions.validating
    c.restart_broker(second)
    c.restart_broker(first)
    c.run(15_000)
    p.produce("t", value=b"b")
    p.flush(60)
    start = c.now
    assert [m.value() for m in k.consume(1, 60.0)] == [b"b"]
    assert c.now - start < 5_000


def test_fetch_max_bytes_zero_still_returns_one_batch_at_a_time_as_kip_74_requires():
    """A fetch always makes progress: the first batch comes back even past fetch.max.bytes."""
    from minikafka import Cluster, TopicPartition
    c = Cluster(brokers=1, seed=3)
    c.create_topic("t", partitions=1, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for i in range(3):
        p.produce("t", value=b"v%d" % i)
        p.flush()
    k = c.consumer({"auto.offset.reset": "earliest", "fetch.max.bytes": 0})
    k.assign([TopicPartition("t", 0)])
    got = [m.value() for _ in range(3) for m in k.consume(1, 2.0)]
    assert got == [b"v0", b"v1", b"v2"]
