"""minikafka: a compact, faithful, deterministic simulator of an Apache Kafka cluster.

    from minikafka import Cluster, TopicPartition
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all"})

Importing minikafka loads only the standard library.
"""
from minikafka.clients.admin.admin_client import AdminClient
from minikafka.clients.admin.groups import ConsumerGroupTopicPartitions
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.clients.admin.records import OffsetSpec
from minikafka.clients.admin.topics import (AlterConfigOpType, ConfigEntry, ConfigResource, ElectionType, NewPartitions,
                                            NewTopic, ResourceType)
from minikafka.clients.consumer.consumer import Consumer
from minikafka.clients.message import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, OFFSET_STORED, Message,
                                       TopicPartition)
from minikafka.clients.producer.partitioner import murmur2, partition_for_key
from minikafka.clients.producer.producer import Producer
from minikafka.cluster import Cluster, PartitionView, ReplicaView
from minikafka.errors import ConfigException, KafkaError, KafkaException

__all__ = ["Cluster", "PartitionView", "ReplicaView", "Consumer", "Producer", "ConfigException",
           "AdminClient", "AlterConfigOpType", "ConfigEntry", "ConfigResource", "ConsumerGroupTopicPartitions",
           "ElectionType", "KafkaFuture", "NewPartitions", "NewTopic", "OffsetSpec", "ResourceType",
           "KafkaError", "KafkaException", "Message", "TopicPartition", "OFFSET_BEGINNING", "OFFSET_END",
           "OFFSET_INVALID", "OFFSET_STORED", "murmur2", "partition_for_key"]
__version__ = "0.1.0"
