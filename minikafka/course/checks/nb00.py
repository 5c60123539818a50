"""Checks of notebook 00, welcome."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb00 import partition_name


def ex0_1(fn: Callable[[str, int], str]) -> None:
    """partition_name(topic, partition) against Kafka's naming of partitions."""
    rng = random.Random("ex0_1")
    topics = ["orders", "payments", "clicks", "my.topic", "web_logs-v2"]
    cases = [(("orders", 0), "topic='orders', partition=0")]
    for _ in range(11):
        topic, partition = rng.choice(topics), rng.randrange(0, 60)
        cases.append(((topic, partition), f"topic={topic!r}, partition={partition}"))
    run("0_1", fn, partition_name, cases)
