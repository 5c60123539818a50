"""minikafka: a compact, faithful, deterministic simulator of an Apache Kafka cluster.

    from minikafka import Cluster, TopicPartition
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all"})

Importing minikafka loads only the standard library.
"""
from minikafka.clients.consumer.consumer import Consumer
from minikafka.clients.message import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, OFFSET_STORED, Message,
                                       TopicPartition)
from minikafka.clients.producer.partitioner import murmur2, partition_for_key
from minikafka.clients.producer.producer import Producer
from minikafka.cluster import Cluster, PartitionView, ReplicaView
from minikafka.errors import ConfigException, KafkaError, KafkaException

__all__ = ["Cluster", "PartitionView", "ReplicaView", "Consumer", "Producer", "ConfigException",
           "KafkaError", "KafkaException", "Message", "TopicPartition", "OFFSET_BEGINNING", "OFFSET_END",
           "OFFSET_INVALID", "OFFSET_STORED", "murmur2", "partition_for_key"]
__version__ = "0.1.0"
