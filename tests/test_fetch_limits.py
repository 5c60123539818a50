"""The fetch path's limits (kafka-semantics.md Q.335-337): max.partition.fetch.bytes and fetch.max.bytes
with KIP-74's first-batch rule, replica.fetch.max.bytes, long polls and max.poll.records."""
from __future__ import annotations

import pytest

from minikafka import Cluster, TopicPartition
from minikafka import protocol as P

from test_limits import cluster, sends, value_for


# -- fetch byte limits (Q.335) ----------------------------------------------------------------------
def fetch_cluster(config: dict | None = None) -> Cluster:
    """t-0 and t-1 each hold four one-record batches of 300 bytes."""
    c = Cluster(brokers=1, seed=4, config=config)
    c.create_topic("t", 2, 1)
    p = c.producer({"linger.ms": 0})
    for i in range(8):
        p.produce("t", value=value_for(300), partition=i % 2)
        p.flush()
    return c


def fetch(c: Cluster, max_bytes: int, *parts: tuple[int, int, int], replica: int = -1) -> list[int]:
    """Batches returned per partition for (partition, fetch offset, partition max bytes)."""
    fps = [P.FetchPartition(("t", part), off, -1, partition_max_bytes=pmax) for part, off, pmax in parts]
    req = P.FetchRequest(0, replica, 0, 1, max_bytes, fps)
    results, _ = c.broker(1).replica_manager._fetch_results(req)
    return [len(res.batches) for res in results]


def test_the_consumers_max_partition_fetch_bytes_travels_in_each_fetch_partition():
    c = fetch_cluster()
    k = c.consumer({"auto.offset.reset": "earliest", "max.partition.fetch.bytes": 12345})
    asked: list[P.FetchRequest] = []
    request = k.request

    def recording(broker, msg, *args, **kwargs):
        if isinstance(msg, P.FetchRequest):
            asked.append(msg)
        return request(broker, msg, *args, **kwargs)
    k.request = recording
    k.assign([TopicPartition("t", 0), TopicPartition("t", 1)])
    k.consume(1, 1.0)
    assert asked and {fp.partition_max_bytes for req in asked for fp in req.partitions} == {12345}


@pytest.mark.parametrize("pmax, batches", [(600, 2), (599, 1), (899, 2)])
def test_each_partition_returns_the_batches_that_fit_its_limit(pmax, batches):
    c = fetch_cluster()
    assert fetch(c, 10**6, (0, 0, pmax), (1, 0, pmax)) == [batches, batches]


def test_only_the_first_non_empty_partition_may_return_a_batch_over_the_limits():
    c = fetch_cluster()
    assert fetch(c, 10**6, (0, 0, 100), (1, 0, 100)) == [1, 0]
    assert fetch(c, 10**6, (0, 8, 100), (1, 0, 100)) == [0, 1]          # t-0 has nothing past offset 4
    assert fetch(c, 0, (0, 0, 10**6), (1, 0, 10**6)) == [1, 0]          # fetch.max.bytes 0 (KIP-74)


@pytest.mark.parametrize("max_bytes, batches", [(1200, [2, 2]), (1199, [2, 1]), (899, [2, 0])])
def test_the_response_limit_is_hard_after_the_first_batch(max_bytes, batches):
    c = fetch_cluster()
    assert fetch(c, max_bytes, (0, 0, 600), (1, 0, 600)) == batches


def test_the_brokers_fetch_max_bytes_caps_what_a_consumer_asks_for():
    c = fetch_cluster({"fetch.max.bytes": 1024})
    assert fetch(c, 10**8, (0, 0, 10**6), (1, 0, 10**6)) == [3, 0]


def test_followers_follow_the_same_rule_with_replica_fetch_max_bytes():
    c = fetch_cluster({"replica.fetch.max.bytes": 600})
    assert fetch(c, 10**6, (0, 0, 1), (1, 0, 1), replica=2) == [2, 2]
    c2 = fetch_cluster({"replica.fetch.max.bytes": 100})
    assert fetch(c2, 10**6, (0, 0, 1), (1, 0, 1), replica=2) == [1, 0]


def test_a_consumer_with_a_small_partition_limit_still_reads_everything():
    c = fetch_cluster()
    k = c.consumer({"auto.offset.reset": "earliest", "max.partition.fetch.bytes": 1})
    k.assign([TopicPartition("t", 0), TopicPartition("t", 1)])
    got = []
    for _ in range(20):
        got += k.consume(100, 0.5)
    assert sorted((m.partition(), m.offset()) for m in got) == [(p, o) for p in (0, 1) for o in range(4)]


# -- long polls and max.poll.records (Q.336-337) ----------------------------------------------------
def test_a_parked_fetch_answers_when_data_arrives_or_after_fetch_max_wait_ms():
    c = cluster()
    k = c.consumer({"auto.offset.reset": "earliest", "fetch.max.wait.ms": 3000})
    k.assign([TopicPartition("t", 0)])
    assert k.consume(1, 10.0) == []
    asked = [e.time for e in sends(c, "FetchRequest") if e.node == k.name]
    assert len(asked) >= 3 and all(b - a >= 3000 for a, b in zip(asked, asked[1:]))   # each held 3 s
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"v")
    start = c.now
    assert [m.value() for m in k.consume(1, 10.0)] == [b"v"] and c.now - start < 100


def test_a_parked_fetch_waits_for_fetch_min_bytes():
    c = cluster()
    k = c.consumer({"auto.offset.reset": "earliest", "fetch.min.bytes": 5000, "fetch.max.wait.ms": 3000})
    k.assign([TopicPartition("t", 0)])
    k.consume(1, 0.5)
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"x" * 100)
    p.flush()
    start = c.now
    assert k.consume(1, 10.0) and c.now - start >= 2000             # 100 bytes < 5000: the wait runs out


def test_a_parked_read_committed_fetch_is_not_woken_by_a_high_watermark_it_cannot_read():
    c = cluster()
    t = c.producer({"transactional.id": "tx", "linger.ms": 0})
    t.init_transactions()
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": "read_committed",
                    "fetch.max.wait.ms": 5000})
    k.assign([TopicPartition("t", 0)])
    k.consume(1, 0.2)                           # its fetch is now parked at the leader, for 5 s
    asked = len([e for e in sends(c, "FetchRequest") if e.node == k.name])
    t.begin_transaction()
    t.produce("t", value=b"open")
    t.flush()                                   # the HW moves; the LSO stays before the open record
    c.run(1000)
    assert len([e for e in sends(c, "FetchRequest") if e.node == k.name]) == asked   # still parked
    t.commit_transaction()
    assert [m.value() for m in k.consume(1, 2.0)] == [b"open"]


def test_max_poll_records_caps_a_poll_and_the_rest_is_served_from_the_buffer():
    c = cluster()
    p = c.producer({"linger.ms": 10})
    for i in range(20):
        p.produce("t", value=b"%d" % i)
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest", "max.poll.records": 6})
    k.assign([TopicPartition("t", 0)])
    first = k.consume(100, 2.0)
    fetches = len(sends(c, "FetchRequest"))
    rest = [m for _ in range(3) for m in k.consume(100, 0)]
    assert len(first) == 6 and [len(first), len(rest)] == [6, 14]
    assert len(sends(c, "FetchRequest")) - fetches <= 1                  # a new fetch only once drained
    assert [m.offset() for m in first + rest] == list(range(20))
