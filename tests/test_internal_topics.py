"""Internal topics belong to the broker: clients cannot write them, and a coordinator that meets a
record it cannot parse skips it (internal_topics.py rules 5-6, replica_manager.py rule 6)."""
from __future__ import annotations

import pytest
from helpers import Deliveries

from minikafka import Cluster, KafkaException, TopicPartition
from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, TRANSACTION_STATE, partition_for
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size


def cluster(seed: int = 1, tv: int = 2) -> Cluster:
    c = Cluster(brokers=3, seed=seed, features={"transaction.version": tv})
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def committed(c: Cluster, group: str = "g") -> int:
    return c.consumer({"group.id": group}).committed([TopicPartition("t", 0)])[0].offset


def plant(c: Cluster, topic: str, partition: int, records: list[tuple[bytes | None, bytes | None]]) -> None:
    """Append `records` straight to the leader's log, past every check of the produce path (as a
    bug or a disk would), and let the followers copy them."""
    r = c.brokers[c.partition_state(topic, partition).leader].replicas[(topic, partition)]
    recs = [Record(k, v, None, c.now) for k, v in records]
    batch = RecordBatch(recs, BATCH_OVERHEAD + sum(record_size(k, v) for k, v in records), max_timestamp=c.now)
    r.on_appended(r.log.append_as_leader(batch, r.leader_epoch))
    c.run(2000)


def fail_over(c: Cluster, topic: str, partition: int) -> None:
    c.crash_broker(c.partition_state(topic, partition).leader)
    c.run(10_000)


def test_a_client_write_to_consumer_offsets_cannot_roll_back_a_committed_offset_at_failover():
    """The issue's reproduction: before, the next coordinator's load raised ValueError out of
    run() and the group's committed offset went back from 7 to 3."""
    c = cluster()
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.commit(offsets=[TopicPartition("t", 0, 3)], asynchronous=False)
    p = c.producer()
    p.produce(CONSUMER_OFFSETS, b"junk", key=b"junk", partition=partition_for("g", 50))
    p.flush()
    k.commit(offsets=[TopicPartition("t", 0, 7)], asynchronous=False)
    old = c.group_state("g").coordinator
    c.crash_broker(old)
    c.run(10_000)
    c.run(10_000)
    assert c.group_state("g").coordinator != old
    assert k.committed([TopicPartition("t", 0)])[0].offset == 7


@pytest.mark.parametrize("topic", [CONSUMER_OFFSETS, TRANSACTION_STATE])
def test_a_produce_to_an_internal_topic_is_refused_with_invalid_topic_exception(topic):
    c = cluster()
    c.consumer({"group.id": "g"}).committed([TopicPartition("t", 0)])       # creates __consumer_offsets
    c.producer({"transactional.id": "tx"}).init_transactions()             # creates __transaction_state
    before = c.log(topic, 0)
    p, d = c.producer(), Deliveries()
    p.produce(topic, b"junk", key=b"junk", partition=0, on_delivery=d)
    p.flush()
    assert d.failed == {b"junk": "INVALID_TOPIC_EXCEPTION"} and not d.ok
    assert c.log(topic, 0) == before                                       # nothing was written
    reject = c.trace.filter(name="produce.reject")[-1]
    assert (reject.fields["tp"], reject.fields["error"]) == (f"{topic}-0", "INVALID_TOPIC_EXCEPTION")


@pytest.mark.parametrize("tv", [1, 2])
def test_a_transactional_producer_cannot_add_an_internal_topic_to_its_transaction(tv):
    """v1: the coordinator refuses to add it; v2: nothing adds it and the leader refuses the write."""
    c = cluster(tv=tv)
    c.consumer({"group.id": "g"}).committed([TopicPartition("t", 0)])
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    p.begin_transaction()
    p.produce(CONSUMER_OFFSETS, b"junk", key=b"junk", partition=0)
    with pytest.raises(KafkaException) as e:
        p.commit_transaction()
    expected = "TOPIC_AUTHORIZATION_FAILED" if tv == 1 else "INVALID_TOPIC_EXCEPTION"
    assert e.value.args[0].name() == expected and e.value.args[0].txn_requires_abort()
    p.abort_transaction()
    assert not [e for e in c.trace.filter(name="marker") if e.fields["tp"].startswith(CONSUMER_OFFSETS)]


def test_coordinators_still_write_their_own_records():
    c = cluster()
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.commit(offsets=[TopicPartition("t", 0, 4)], asynchronous=False)
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    assert committed(c) == 4
    assert c.log(CONSUMER_OFFSETS, partition_for("g", 50)) and c.log(TRANSACTION_STATE, partition_for("tx", 50))
    assert not c.trace.filter(name="produce.reject")


JUNK = [
    (None, b"offset=1"),                                      # no key
    (b"junk", b"junk"),                                       # a key of no known type
    (b"offset/g/t/x", b"offset=1"),                           # a partition that is not a number
    (b"offset/g/x", None),                                    # a tombstone whose key names nothing
    (b"offset/g/t/0", b"offset=seven"),                       # not an offset
    (b"offset/g/t/0", b"\xff\xfe"),                           # not UTF-8
    (b"group/g", b"{not json"),                               # a group that is not JSON
    (b"group/g", b'{"generation": 1}'),                       # a group without its fields
    (b"group/g", b'{"generation": "1", "protocol": "", "leader": "", "members": []}'),
]


def test_records_the_group_coordinator_cannot_parse_are_skipped_at_load_and_traced():
    c = cluster()
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.commit(offsets=[TopicPartition("t", 0, 3)], asynchronous=False)
    part = partition_for("g", 50)
    plant(c, CONSUMER_OFFSETS, part, JUNK)
    k.commit(offsets=[TopicPartition("t", 0, 7)], asynchronous=False)
    fail_over(c, CONSUMER_OFFSETS, part)
    assert committed(c) == 7
    new = f"b{c.partition_state(CONSUMER_OFFSETS, part).leader}"
    skipped = c.trace.filter(name="coordinator.skip_record", node=new)
    assert len(skipped) == len(JUNK)
    assert {e.fields["topic"] for e in skipped} == {CONSUMER_OFFSETS}
    assert [e.fields["offset"] for e in skipped] == sorted(e.fields["offset"] for e in skipped)


def test_records_the_transaction_coordinator_cannot_parse_are_skipped_at_load_and_traced():
    c = cluster()
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    part = partition_for("tx", 50)
    plant(c, TRANSACTION_STATE, part, [(None, b"state=Ongoing"), (b"tx", b"junk"), (b"tx", None),
                                       (b"tx", b"state=Nowhere pid=1 epoch=0 timeout_ms=1 start_ms=0 partitions=")])
    p.begin_transaction()
    p.produce("t", value=b"a")
    p.commit_transaction()
    fail_over(c, TRANSACTION_STATE, part)
    new = c.partition_state(TRANSACTION_STATE, part).leader
    assert len(c.trace.filter(name="coordinator.skip_record", node=f"b{new}")) == 4
    p.begin_transaction()                             # the loaded state still knows the producer
    p.produce("t", value=b"b")
    p.commit_transaction()
    c.run(100)                                        # the markers follow the commit
    assert [e.fields["state"] for e in c.trace.filter(name="txn.state", node=f"b{new}")][-1] == "CompleteCommit"
