"""Exercise 0.1 (notebook 00, welcome): a warm-up to practise the exercise loop."""
from __future__ import annotations

from . import exercise


@exercise("0.1", reference="minikafka.course.lessons.nb00:partition_name")
def partition_name(topic: str, partition: int) -> str:
    """The name Kafka gives partition number `partition` of the topic `topic`.

    Return it as a str, spelled exactly as Kafka spells it: the name Kafka prints for a
    partition in its logs and errors (`TopicPartition.toString()` in Kafka's clients) and gives
    the partition's directory on a broker's disk (`LocalLog.logDirName`). Every table of the
    tour above prints it in its `partition` column.

    >>> partition_name("orders", 0)
    'orders-0'
    """
    raise NotImplementedError("Exercise 0.1 (exercises/ex00_welcome.py)")
