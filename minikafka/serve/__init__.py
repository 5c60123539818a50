"""The wire front end: real Kafka clients (confluent-kafka, kafka-python, Kafka's command-line
tools) against a simulated cluster, on loopback, while the simulation shows what happens.

    srv = c.serve()                 # or: python -m minikafka.serve --brokers 3 --seed 1
    srv.bootstrap_servers           # "127.0.0.1:PORT,..."
    c.crash_broker(2)               # faults under running clients
    srv.stop()

It needs the `wire` extra (kafka-python, for Kafka's message schemas and record batches):
`pip install 'minikafka[wire]'`. A served cluster runs in real time and is not deterministic
(socket_server.py rule 2). frames.py reads frames, codec.py encodes and decodes, kafka_apis.py
turns requests into the simulation's, socket_server.py listens and drives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.serve.socket_server import Server


def serve(cluster: "Cluster", ports: dict[int, int] | None = None) -> "Server":
    from minikafka.serve.socket_server import Server
    return Server(cluster, ports)
