"""Deleting a topic (DeleteTopics, RemoveTopicRecord): the controller's record, every broker's
replicas gone, and what clients see."""
from __future__ import annotations

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.errors import KafkaException


def _cluster_with_orders():
    c = Cluster(brokers=3, seed=2)
    c.create_topic("orders", partitions=2, replication_factor=3)
    p = c.producer({"acks": "all"})
    for i in range(6):
        p.produce("orders", value=b"v%d" % i, partition=i % 2)
    p.flush()
    return c


def test_a_deleted_topic_is_one_record_in_the_metadata_log_and_leaves_no_replica():
    c = _cluster_with_orders()
    c.delete_topic("orders")
    assert "orders" not in c.topics()
    assert all(tp[0] != "orders" for b in c.brokers.values() for tp in b.replicas)
    assert [e.fields["topic"] for e in c.trace.filter(name="topic.delete")] == ["orders"]
    assert sum(1 for e in c.trace.filter(name="replica.delete")) == 6          # 2 partitions x 3 replicas
    kinds = [type(r.value).__name__ for b in c.controller.storage.log.batches for r in b.records]
    assert kinds.count("RemoveTopicRecord") == 1


def test_a_topic_created_again_with_the_same_name_starts_empty():
    c = _cluster_with_orders()
    c.delete_topic("orders")
    c.create_topic("orders", partitions=1, replication_factor=3)
    assert c.partition_state("orders", 0).high_watermark == 0
    assert c.log("orders", 0) == []


def test_clients_get_unknown_topic_after_deletion():
    c = _cluster_with_orders()
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("orders", 0)])
    assert len(k.consume(10, 1.0)) == 3
    c.delete_topic("orders")
    p = c.producer({"acks": "all"})
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        p.produce("orders", value=b"late")


def test_a_broker_down_during_the_deletion_deletes_its_replicas_when_it_returns():
    c = _cluster_with_orders()
    c.crash_broker(3)
    c.delete_topic("orders")
    assert any(tp[0] == "orders" for tp in c.brokers[3].replicas)       # still on its disk
    c.restart_broker(3)
    c.run(15_000)                        # it registers once its crashed incarnation is fenced
    assert not any(tp[0] == "orders" for tp in c.brokers[3].replicas)


def test_deleting_a_topic_that_does_not_exist_or_an_internal_one_is_refused():
    c = _cluster_with_orders()
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        c.delete_topic("nope")
    with pytest.raises(ValueError, match="internal topic"):
        c.delete_topic("__consumer_offsets")
