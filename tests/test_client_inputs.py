"""The clients' public calls refuse bad arguments and configs clearly, before anything changes
(issue 15): the error names the call, the argument and the value, with Kafka's error code
where Kafka has one (KafkaException, ConfigException), else TypeError or ValueError."""
from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

import pytest

from minikafka import Cluster, ConfigException, KafkaError, KafkaException, TopicPartition
from minikafka.clients.message import OFFSET_INVALID


@pytest.fixture
def c() -> Cluster:
    c = Cluster(brokers=3, seed=5)
    c.create_topic("t", partitions=2, replication_factor=3)
    return c


@contextmanager
def within_seconds(seconds: float) -> Iterator[None]:
    """Fail instead of hanging when virtual time stops moving (an endless loop at one instant)."""
    def stuck(*_: object) -> None:
        raise AssertionError(f"still running after {seconds} s of wall time: the simulation is stuck")
    old = signal.signal(signal.SIGALRM, stuck)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def sends(c: Cluster, name: str) -> int:
    return len(c.trace.filter(name=name, kind="send"))


def fed(c: Cluster, n: int = 30) -> None:
    p = c.producer()
    for i in range(n):
        p.produce("t", b"%d" % i, partition=0)
    p.flush()


# -- TopicPartition ------------------------------------------------------------------------------
@pytest.mark.parametrize("args, name", [
    (("t", 0, "5"), "offset"),
    (("t", 0.5), "partition"),
    (("t", "0", 10), "partition"),
    (("t", True), "partition"),
    (("t", 0, False), "offset"),
    ((b"t", 0), "topic"),
])
def test_topic_partition_refuses_fields_of_the_wrong_type(args, name):
    with pytest.raises(TypeError, match=f"TopicPartition: {name} must be"):
        TopicPartition(*args)


# -- Producer ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"partition": True}, "partition must be an int"),
    ({"partition": 1.0}, "partition must be an int"),
    ({"partition": "1"}, "partition must be an int"),
    ({"timestamp": "x"}, "timestamp must be an int"),
    ({"timestamp": 1.5}, "timestamp must be an int"),
    ({"headers": 5}, "headers must be"),
    ({"headers": "ab"}, "headers must be"),
    ({"headers": [("a",)]}, "not a \\(name, value\\) pair"),
    ({"headers": [["a", b"x"]]}, "not a \\(name, value\\) pair"),
    ({"on_delivery": 5}, "on_delivery must be callable"),
    ({"callback": "f"}, "callback must be callable"),
])
def test_produce_refuses_wrong_types_before_fetching_metadata(c, kwargs, match):
    p = c.producer()
    now = c.now
    with pytest.raises(TypeError, match=match):
        p.produce("t", b"v", **kwargs)
    assert c.now == now and len(p) == 0 and sends(c, "MetadataRequest") == 0


@pytest.mark.parametrize("kwargs, code", [({"partition": -2}, KafkaError._UNKNOWN_PARTITION),
                                          ({"timestamp": -5}, KafkaError._INVALID_ARG)])
def test_produce_refuses_negative_partitions_and_timestamps(c, kwargs, code):
    p = c.producer()
    with pytest.raises(KafkaException) as exc:
        p.produce("t", b"v", **kwargs)
    assert exc.value.args[0].code() == code and len(p) == 0


def test_produce_takes_none_or_minus_one_as_any_partition_and_none_as_now(c):
    got = []
    p = c.producer()
    p.produce("t", b"a", partition=None, timestamp=None, on_delivery=lambda e, m: got.append(m))
    p.produce("t", b"b", partition=-1, headers={"h": "x"}, on_delivery=lambda e, m: got.append(m))
    p.flush()
    assert [m.error() for m in got] == [None, None] and got[0].timestamp()[1] >= 0
    assert got[1].headers() == [("h", b"x")]


@pytest.mark.parametrize("call", ["poll", "flush"])
@pytest.mark.parametrize("timeout", ["x", True, float("nan")])
def test_producer_poll_and_flush_refuse_a_timeout_that_is_not_seconds(c, call, timeout):
    p = c.producer()
    p.produce("t", b"v", partition=0)
    with pytest.raises(TypeError, match=f"{call}\\(\\): timeout must be a number of seconds"):
        getattr(p, call)(timeout)
    assert len(p) == 1 and not p.flushing


def test_an_infinite_timeout_means_no_limit(c):
    p = c.producer()
    p.produce("t", b"v", partition=0)
    assert p.flush(float("inf")) == 0


def test_a_client_id_already_in_use_is_refused_naming_client_id(c):
    c.producer({"client.id": "app"})
    with pytest.raises(ConfigException, match="client.id 'app' is already the name"):
        c.consumer({"client.id": "app"})
    with pytest.raises(ConfigException, match="client.id 'b1'"):
        c.producer({"client.id": "b1"})


# -- Consumer: assignment and positions ------------------------------------------------------------
def test_seek_refuses_a_plain_tuple_and_says_how_to_write_it(c):
    k = c.consumer()
    k.assign([TopicPartition("t", 0)])
    with pytest.raises(TypeError, match=r"seek\(\) takes TopicPartition.*TopicPartition\('t', 0\)"):
        k.seek(("t", 0))


@pytest.mark.parametrize("call", ["position", "committed"])
def test_position_and_committed_refuse_plain_tuples(c, call):
    k = c.consumer({"group.id": "g"})
    with pytest.raises(TypeError, match=f"{call}\\(\\) takes TopicPartition"):
        getattr(k, call)([("t", 0)])
    with pytest.raises(TypeError, match=f"{call}\\(\\) takes a list of TopicPartition"):
        getattr(k, call)(TopicPartition("t", 0))


def test_assign_checks_the_whole_list_before_replacing_the_assignment(c):
    k = c.consumer()
    k.assign([TopicPartition("t", 0)])
    bad = TopicPartition("t", 1)
    bad.offset = "5"                    # fields can be changed after the constructor checked them
    with pytest.raises(TypeError, match="assign\\(\\): the offset of t-1 must be an int"):
        k.assign([TopicPartition("t", 1), bad])
    assert k.assignment() == [TopicPartition("t", 0)]


@pytest.mark.parametrize("partition", [0.5, True, "0"])
def test_assign_refuses_a_partition_that_is_not_an_int(c, partition):
    k = c.consumer()
    tp = TopicPartition("t", 0)
    tp.partition = partition
    with pytest.raises(TypeError, match="assign\\(\\): the partition of topic 't' must be an int"):
        k.assign([tp])
    assert k.assignment() == []


def test_assign_refuses_a_partition_listed_twice_and_unknown_offsets(c):
    k = c.consumer()
    with pytest.raises(KafkaException, match="t-0 appears twice"):
        k.assign([TopicPartition("t", 0), TopicPartition("t", 0, 3)])
    with pytest.raises(KafkaException, match="offset -7, which assign\\(\\) does not accept"):
        k.assign([TopicPartition("t", 0, -7)])
    with pytest.raises(KafkaException, match="partition -1 of topic 't'"):
        k.assign([TopicPartition("t")])
    assert k.assignment() == []


def test_get_watermark_offsets_of_a_missing_partition_is_unknown_partition(c):
    k = c.consumer()
    now = c.now
    with pytest.raises(KafkaException) as exc:
        k.get_watermark_offsets(TopicPartition("t", 7), timeout=10.0)
    assert exc.value.args[0].code() == KafkaError._UNKNOWN_PARTITION and c.now - now < 1000


# -- Consumer: polling and commits -------------------------------------------------------------------
@pytest.mark.parametrize("n", [True, 0, 2.0])
def test_consume_refuses_a_count_that_is_not_a_positive_int(c, n):
    k = c.consumer()
    with pytest.raises(ValueError, match="consume\\(\\): num_messages must be an int >= 1"):
        k.consume(n, 0.1)


def test_consumer_poll_refuses_a_timeout_that_is_not_seconds(c):
    k = c.consumer()
    with pytest.raises(TypeError, match="poll\\(\\): timeout must be a number of seconds"):
        k.poll("1")


def test_consume_returns_at_most_max_poll_records_and_keeps_the_rest(c):
    fed(c, 30)
    k = c.consumer({"auto.offset.reset": "earliest", "max.poll.records": 12})
    k.assign([TopicPartition("t", 0)])
    first = k.consume(100, 2.0)
    assert [m.offset() for m in first] == list(range(12))
    assert k.position([TopicPartition("t", 0)])[0].offset == 12
    rest = k.consume(100, 2.0) + k.consume(100, 2.0)
    assert [m.offset() for m in rest] == list(range(12, 30))


def test_commit_refuses_a_partition_that_is_not_an_int_before_sending(c):
    k = c.consumer({"group.id": "g"})
    tp = TopicPartition("t", 0, 10)
    tp.partition = "0"
    with pytest.raises(TypeError, match="commit\\(\\): the partition of topic 't' must be an int"):
        k.commit(offsets=[tp], asynchronous=False)
    assert sends(c, "OffsetCommitRequest") == 0
    c.run(1000)                          # nothing broke inside the simulation


def test_commit_refuses_a_message_that_is_not_a_record(c):
    fed(c, 3)
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "enable.partition.eof": True,
                    "enable.auto.commit": False})
    k.assign([TopicPartition("t", 0)])
    msgs = k.consume(10, 2.0)
    eof = msgs[-1]
    assert eof.error() is not None and eof.error().code() == KafkaError._PARTITION_EOF
    with pytest.raises(KafkaException, match="carries an error"):
        k.commit(message=eof, asynchronous=False)
    with pytest.raises(TypeError, match="commit\\(\\): message must be a Message"):
        k.commit(message=TopicPartition("t", 0, 3))
    assert sends(c, "OffsetCommitRequest") == 0


def test_subscribe_refuses_what_is_not_a_list_of_topic_names(c):
    k = c.consumer({"group.id": "g"})
    for topics in (None, "t"):
        with pytest.raises(TypeError, match="subscribe\\(\\) takes a list of topic names"):
            k.subscribe(topics)
    with pytest.raises(TypeError, match="subscribe\\(\\): a topic name must be a str, got int 1"):
        k.subscribe(["t", 1])
    with pytest.raises(KafkaException, match="INVALID_TOPIC_EXCEPTION: subscribe\\(\\): the topic name is empty"):
        k.subscribe(["t", ""])
    assert k.coordinator.subscription is None


def test_produce_refuses_an_empty_or_non_str_topic(c):
    p = c.producer()
    now = c.now
    with pytest.raises(TypeError, match="produce\\(\\): a topic name must be a str"):
        p.produce(b"t", b"v")
    with pytest.raises(KafkaException, match="INVALID_TOPIC_EXCEPTION: produce\\(\\): the topic name is empty"):
        p.produce("", b"v")
    assert c.now == now and sends(c, "MetadataRequest") == 0


def test_subscribe_refuses_an_empty_list_and_a_topic_listed_twice_as_librdkafka_does(c):
    k = c.consumer({"group.id": "g"})
    k.subscribe(["t"])
    with pytest.raises(KafkaException, match="_INVALID_ARG: subscribe\\(\\): the list of topics is empty .*unsubscribe"):
        k.subscribe([])
    with pytest.raises(KafkaException, match="_INVALID_ARG: subscribe\\(\\): topic\\(s\\) listed more than once: t"):
        k.subscribe(["t", "t"])
    assert k.coordinator.subscription == ("t",)        # refused calls changed nothing


# -- Consumer configs -----------------------------------------------------------------------------------
def test_heartbeat_interval_not_below_session_timeout_is_refused(c):
    for hb in (6000, 7000):
        with pytest.raises(ConfigException, match="Heartbeat must be set lower than the session timeout"):
            c.consumer({"group.id": "g", "session.timeout.ms": 6000, "heartbeat.interval.ms": hb})
    c.consumer({"session.timeout.ms": 6000, "heartbeat.interval.ms": 7000})      # no group: no heartbeats
    c.consumer({"group.id": "g", "session.timeout.ms": 6000, "heartbeat.interval.ms": 5999})


def test_a_session_timeout_the_broker_refuses_is_raised_from_poll(c):
    fed(c, 3)
    k = c.consumer({"group.id": "g", "session.timeout.ms": 1000, "heartbeat.interval.ms": 300})
    k.subscribe(["t"])
    for _ in range(2):                   # raised by every poll that joins, not once then None forever
        with pytest.raises(KafkaException) as exc:
            k.poll(5.0)
        assert exc.value.args[0].code() == KafkaError.INVALID_SESSION_TIMEOUT
        assert "session.timeout.ms=1000" in str(exc.value)


def test_a_group_protocol_no_member_shares_is_raised_from_poll(c):
    a = c.consumer({"group.id": "g", "partition.assignment.strategy": "range"})
    b = c.consumer({"group.id": "g", "partition.assignment.strategy": "roundrobin"})
    a.subscribe(["t"])
    a.poll(5.0)
    b.subscribe(["t"])
    with pytest.raises(KafkaException) as exc:
        b.poll(5.0)
    assert exc.value.args[0].code() == KafkaError.INCONSISTENT_GROUP_PROTOCOL


@pytest.mark.parametrize("key, value", [("check.crcs", True), ("retry.backoff.max.ms", 500)])
def test_consumer_keys_without_an_effect_are_refused_as_not_modelled(c, key, value):
    with pytest.raises(ConfigException, match=f"'{key}' is a real Kafka consumer setting.*not model"):
        c.consumer({key: value})


@pytest.mark.parametrize("key, value", [("partitioner.adaptive.partitioning.enable", False),
                                        ("partitioner.availability.timeout.ms", 100)])
def test_adaptive_partitioning_keys_are_refused_as_not_modelled(c, key, value):
    with pytest.raises(ConfigException, match=f"'{key}' is a real Kafka producer setting.*not model"):
        c.producer({key: value})


def test_metadata_max_age_zero_still_lets_time_move(c):
    p = c.producer({"metadata.max.age.ms": 0, "retry.backoff.ms": 0})
    with within_seconds(20):
        p.produce("t", b"v", partition=0)
        assert p.flush(5.0) == 0
        c.run(500)
    k = c.consumer({"metadata.max.age.ms": 0, "auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    with within_seconds(20):
        assert [m.value() for m in k.consume(5, 1.0)] == [b"v"]
    assert k.position([TopicPartition("t", 1)])[0].offset == OFFSET_INVALID


def test_commit_refuses_a_non_bool_asynchronous_before_committing_anything():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=1, replication_factor=1)
    k = c.consumer({"group.id": "g"})
    k.assign([TopicPartition("t", 0)])
    with pytest.raises(TypeError, match="asynchronous"):
        k.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous="no")
    assert k.committed([TopicPartition("t", 0)], 5.0)[0].offset < 0


@pytest.mark.parametrize("call", ["init_transactions", "commit_transaction", "abort_transaction"])
def test_a_transactional_call_with_a_bad_timeout_changes_no_state(call):
    c = Cluster(brokers=1, seed=1)
    p = c.producer({"transactional.id": "tx"})
    before = p.txn.state
    with pytest.raises(TypeError, match="timeout|seconds"):
        getattr(p, call)("1")
    assert p.txn.state == before


def test_assign_inside_an_eager_on_assign_sets_the_starting_offsets_as_in_librdkafka():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=2, replication_factor=1)
    p = c.producer()
    for i in range(10):
        p.produce("t", value=b"%d" % i, partition=i % 2)
    p.flush()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})

    def on_assign(consumer, partitions):
        for tp in partitions:
            tp.offset = 3
        consumer.assign(partitions)
    k.subscribe(["t"], on_assign=on_assign)
    got = k.consume(20, 5)
    assert sorted((m.partition(), m.offset()) for m in got) == [(0, 3), (0, 4), (1, 3), (1, 4)]
    with pytest.raises(KafkaException, match="_STATE: assign\\(\\): this consumer is subscribed"):
        k.assign([TopicPartition("t", 0)])             # outside the callback: still refused


def test_assign_inside_a_cooperative_on_assign_is_refused_naming_incremental_assign():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=2, replication_factor=1)
    k = c.consumer({"group.id": "g", "partition.assignment.strategy": "cooperative-sticky"})
    k.subscribe(["t"], on_assign=lambda consumer, partitions: consumer.assign(partitions))
    with pytest.raises(KafkaException, match="_STATE: .*COOPERATIVE.*incremental_assign"):
        k.poll(5)
