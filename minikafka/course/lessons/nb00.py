"""Reference for notebook 00, welcome: the warm-up exercise.

Rule: a partition's name is its topic, a dash and its number, as Kafka's
TopicPartition.toString() and LocalLog.logDirName spell it ("orders", 0 -> "orders-0").
"""
from __future__ import annotations


def partition_name(topic: str, partition: int) -> str:
    """The name Kafka gives one partition of a topic: in its logs, its errors, and as the
    partition's log directory on a broker. The simulator prints it everywhere."""
    return f"{topic}-{partition}"
