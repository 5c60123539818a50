"""Reference for notebook 00, welcome: the warm-up exercise."""
from __future__ import annotations


def partition_name(topic: str, partition: int) -> str:
    """How Kafka names one partition of a topic: the topic, a dash, the partition number
    ("orders", 0 -> "orders-0"). It is the name of the partition's log directory on a broker,
    and the name the simulator prints everywhere."""
    return f"{topic}-{partition}"
