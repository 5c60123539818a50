"""Exercise 0.1 (notebook 00, welcome): a warm-up to practise the exercise loop."""
from __future__ import annotations

from . import exercise


@exercise("0.1", reference="minikafka.course.lessons.nb00:partition_name")
def partition_name(topic: str, partition: int) -> str:
    """The name Kafka gives one partition of a topic: the topic, a dash, the partition number.

    It is the name of the partition's directory on a broker, and the simulator prints it
    everywhere (`orders-0` in the cluster map and the log tables).

    >>> partition_name("orders", 0)
    'orders-0'
    """
    raise NotImplementedError("Exercise 0.1: partition_name (exercises/ex00_welcome.py)")
