"""Checks of notebook 11, beyond minikafka."""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.clients.consumer.config import CONSUMER
from minikafka.clients.consumer.consumer import Consumer
from minikafka.clients.producer.config import PRODUCER
from minikafka.clients.producer.producer import Producer
from minikafka.config import resolve
from minikafka.course.checks import run
from minikafka.course.lessons.nb11 import port_config
from minikafka.errors import ConfigException

_CHOICES: dict[str, dict[str, list[Any]]] = {
    "producer": {
        "acks": ["0", "1", "all", "-1", 1, -1],
        "linger.ms": [0, 5, 20],
        "batch.size": [1024, 16384, 65536],
        "retries": [0, 3, 2147483647],
        "enable.idempotence": [True, False],
        "max.in.flight.requests.per.connection": [1, 5],
        "delivery.timeout.ms": [60000, 300000],
        "buffer.memory": [1048576],
        "max.block.ms": [1000],
        "max.request.size": [2097152],
        "partitioner.ignore.keys": [True],
        "transactional.id": ["payments-app"],
        "client.id": ["orders-app"],
        "bootstrap.servers": ["old-host:9092"],
    },
    "consumer": {
        "group.id": ["billing"],
        "auto.offset.reset": ["earliest", "latest", "none"],
        "enable.auto.commit": [True, False],
        "isolation.level": ["read_committed", "read_uncommitted"],
        "fetch.max.wait.ms": [100, 500],
        "max.poll.records": [10, 500],
        "partition.assignment.strategy": [["range"], ["cooperative-sticky"], ("range", "roundrobin"),
                                          "roundrobin"],
        "session.timeout.ms": [10000, 45000],
        "request.timeout.ms": [30000],
        "client.id": ["billing-1"],
    },
}


def _accepted(config: dict[str, Any], role: str) -> bool:
    """Only configurations minikafka itself accepts make a case."""
    schema, check = (PRODUCER, Producer.check_config) if role == "producer" else (CONSUMER, Consumer.check_config)
    try:
        resolve(schema, config, check)
    except ConfigException:
        return False
    return True


def _cases() -> list[tuple[dict[str, Any], str, str]]:
    here, two = "localhost:9092", "kafka-1:9092,kafka-2:9092"
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({}, "producer", here),
        ({}, "consumer", here),
        ({"acks": "all", "linger.ms": 5}, "producer", here),
        ({"acks": "1"}, "producer", here),
        ({"acks": "all", "retries": 0}, "producer", here),
        ({"enable.idempotence": False, "max.in.flight.requests.per.connection": 5}, "producer", two),
        ({"transactional.id": "payments-app", "batch.size": 65536}, "producer", here),
        ({"buffer.memory": 1048576, "max.block.ms": 1000, "max.request.size": 2097152}, "producer", here),
        ({"group.id": "billing", "auto.offset.reset": "earliest", "enable.auto.commit": False}, "consumer", here),
        ({"group.id": "ledger", "isolation.level": "read_committed"}, "consumer", two),
        ({"auto.offset.reset": "none", "fetch.max.wait.ms": 100, "max.poll.records": 10}, "consumer", here),
        ({"partition.assignment.strategy": ["cooperative-sticky"], "request.timeout.ms": 30000}, "consumer", here),
        ({"bootstrap.servers": "old-host:9092", "client.id": "orders-app"}, "producer", two),
    ]
    rng = random.Random("ex11_1")
    while len(cases) < 40:
        role = rng.choice(["producer", "consumer"])
        keys = rng.sample(sorted(_CHOICES[role]), rng.randrange(1, 6))
        config = {k: rng.choice(_CHOICES[role][k]) for k in keys}
        if _accepted(config, role):
            cases.append((config, role, rng.choice([here, two])))
    return cases


def ex11_1(fn: Callable[..., dict[str, Any]]) -> None:
    """port_config(config, role, bootstrap_servers) against lessons.nb11.port_config on
    hand-made and seeded random configurations that minikafka accepts."""
    run("11_1", fn, port_config,
        [((dict(config), role, servers), f"config={config!r}, role={role!r}, bootstrap_servers={servers!r}")
         for config, role, servers in _cases()])
