"""The consumer's fetch path costs in proportion to the partitions with something to fetch, not
to the assignment (fetcher.py rule 7), and builds the same Fetch requests as when it looked at
every assigned partition on every call (issue 15).

The cost is counted, never timed: every partition the fetcher looks at is one read of its fetch
offset, so a dict that counts its `get` calls counts the partitions looked at."""
from __future__ import annotations

import hashlib
from typing import Any

from minikafka import Cluster, TopicPartition
from minikafka.clients.message import OFFSET_BEGINNING
from minikafka.protocol import FetchRequest


class _CountingDict(dict):
    gets = 0

    def get(self, *args: Any) -> Any:
        _CountingDict.gets += 1
        return super().get(*args)


def _count_lookups(k: Any) -> None:
    k.subscriptions.fetch_offsets = _CountingDict(k.subscriptions.fetch_offsets)
    _CountingDict.gets = 0


def test_reading_one_record_from_each_of_many_partitions_looks_at_a_few_partitions_per_record() -> None:
    c = Cluster(brokers=3, seed=3)
    topics = [f"t{i}" for i in range(20)]
    for t in topics:
        c.create_topic(t, partitions=10, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for t in topics:
        for q in range(10):
            p.produce(t, value=b"v", partition=q)
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition(t, q) for t in topics for q in range(10)])
    _count_lookups(k)
    for _ in range(200):
        m = k.poll(10)
        assert m is not None and m.error() is None
    # 6 per record; looking at all 200 assigned partitions whenever one's buffer empties was 413
    assert _CountingDict.gets <= 10 * 200


def test_idle_assigned_partitions_are_looked_at_only_when_their_leader_is_fetched_from() -> None:
    c = Cluster(brokers=3, seed=3)
    c.create_topic("busy", partitions=1, replication_factor=1)
    idle = [f"idle{i}" for i in range(10)]
    for t in idle:
        c.create_topic(t, partitions=30, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("busy", 0)] + [TopicPartition(t, q) for t in idle for q in range(30)])
    assert k.poll(1) is None
    _count_lookups(k)
    start = len(c.trace)
    for i in range(40):
        p.produce("busy", value=b"%d" % i)
        p.flush()
        m = k.poll(5)
        assert m is not None and m.value() == b"%d" % i
    sent = [e for e in c.trace[start:] if e.kind == "send" and e.name == "FetchRequest" and e.node == k.name]
    listed = sum(len(e.fields["parts"]) for e in sent)
    # each Fetch lists its leader's partitions (no fetch sessions): those are looked at, plus a
    # few per record (16,059 for 15,939 listed); looking at all 301 on every call was 71,678
    assert listed < _CountingDict.gets <= listed + 5 * 40


def _fetch_requests_of_a_seeded_scenario() -> list[str]:
    """Every FetchRequest three consumers send, in full: a group of two that rebalances, a seek,
    the crash of a leader they read from (fetch errors, new metadata, KIP-320 validation), and a
    read_committed consumer assigned with OFFSET_BEGINNING, an offset and no offset."""
    c = Cluster(brokers=3, seed=5)
    c.create_topic("a", partitions=3, replication_factor=3)
    c.create_topic("b", partitions=2, replication_factor=2)
    log: list[str] = []

    def consumer(config: dict[str, Any]) -> Any:
        k = c.consumer(config)
        request = k.request

        def recording(broker: int, msg: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(msg, FetchRequest):
                log.append(f"{c.now} {k.name} b{broker} {msg!r}")
            return request(broker, msg, *args, **kwargs)
        k.request = recording
        return k

    p = c.producer({"linger.ms": 2})
    for i in range(30):
        p.produce("a" if i % 3 else "b", key=b"k%d" % (i % 7), value=b"v%d" % i)
    p.flush()
    k1 = consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k1.subscribe(["a", "b"])
    for _ in range(10):
        k1.poll(0.5)
    k2 = consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k2.subscribe(["a", "b"])
    for _ in range(20):
        k1.poll(0.3)
        k2.poll(0.3)
    for i in range(9):
        p.produce("a", value=b"w%d" % i, partition=i % 3)
    p.flush()
    read_by_k1 = []
    for _ in range(10):
        m = k1.poll(0.3)
        if m is not None and m.error() is None:
            read_by_k1.append((m.topic(), m.partition()))
        k2.poll(0.3)
    first = sorted((tp.topic, tp.partition) for tp in k1.assignment())[0]
    k1.seek(TopicPartition(first[0], first[1], 1))
    leader = c.partition_state(*read_by_k1[-1]).leader
    c.crash_broker(leader)
    for _ in range(40):
        k1.poll(0.5)
        k2.poll(0.5)
    p2 = c.producer({"linger.ms": 2})             # fresh metadata: no retries, whatever their backoff
    for i in range(10):
        p2.produce("a", key=b"x%d" % i, value=b"after%d" % i)
    p2.flush()
    c.restart_broker(leader)
    for _ in range(20):
        k1.poll(0.5)
        k2.poll(0.5)
    k3 = consumer({"isolation.level": "read_committed", "auto.offset.reset": "latest"})
    k3.assign([TopicPartition("a", 1, OFFSET_BEGINNING), TopicPartition("b", 0, 3), TopicPartition("a", 2)])
    for _ in range(15):
        k3.poll(0.4)
    assert len(c.trace.filter(name="OffsetsForLeaderEpochRequest", kind="send")) >= 1      # validation ran
    return log


def test_the_fetch_requests_are_the_same_as_when_every_assigned_partition_was_looked_at() -> None:
    """The digest was first taken with the fetcher that looked at every assigned partition on
    every call (before fetcher.py rule 7), and matched it; it was taken again when the metadata
    log replaced pushed metadata (KRaft), which moved every history's timing, not the fetcher,
    and again when Kafka's striped replica placement and eligible leader replicas moved which
    broker leads what (and requests gained the consumer's rack, KIP-392), and once more when
    administration became requests over the network and a restarted broker waited out its old
    session (DUPLICATE_BROKER_REGISTRATION), and when every classic join gained the
    MEMBER_ID_REQUIRED round trip (KIP-394), which moved the consumer's timing. Its last change:
    each partition of a Fetch gained two fields, the log start (a follower's; -1 from a consumer)
    and the consumer's `max.partition.fetch.bytes`; with them left out of the text the digest
    was the one before, so the requests were the same.
    tests/fingerprint.py checks 450 more scenarios."""
    log = _fetch_requests_of_a_seeded_scenario()
    assert len(log) == 407
    assert hashlib.sha256("\n".join(log).encode()).hexdigest() == \
        "75414a9b6b32ccca265d079571bbb0ab8a060ffabd433feb079b65c5ae6305a2"
