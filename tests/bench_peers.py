"""Side-by-side throughput (not a test): the same workload (N records of 100 bytes, 3
partitions, produced then read back) on minikafka's full protocol, on a pure-Python floor
(append tuples to per-partition lists and read them back), and, where installed, on
mockafka-py and on confluent-kafka against librdkafka's mock cluster (test.mock.num.brokers).
Prints records/s and the ratio to the floor for each; peers that are not installed say so.

    python tests/bench_peers.py [--records N]
"""
from __future__ import annotations

import argparse
import importlib.util
import time

VALUE = b"x" * 100


def floor(n: int) -> tuple[float, float]:
    parts: list[list[tuple[int, bytes]]] = [[], [], []]
    t0 = time.perf_counter()
    for i in range(n):
        p = parts[i % 3]
        p.append((len(p), VALUE))
    t1 = time.perf_counter()
    got = sum(1 for p in parts for _ in p)
    t2 = time.perf_counter()
    assert got == n
    return n / (t1 - t0), n / (t2 - t1)


def minikafka(n: int) -> tuple[float, float]:
    from minikafka import Cluster
    c = Cluster(brokers=3, seed=1)
    c.create_topic("bench", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all"})
    t0 = time.perf_counter()
    for _ in range(n):
        p.produce("bench", value=VALUE)
    p.flush()
    t1 = time.perf_counter()
    k = c.consumer({"auto.offset.reset": "earliest", "group.id": "bench"})
    k.subscribe(["bench"])
    got = 0
    t2 = time.perf_counter()
    while got < n:
        got += len(k.consume(10_000, 5.0))
    t3 = time.perf_counter()
    return n / (t1 - t0), n / (t3 - t2)


def mockafka(n: int) -> tuple[float, float]:
    from mockafka import FakeConsumer, FakeProducer
    from mockafka.admin_client import FakeAdminClientImpl, NewTopic
    FakeAdminClientImpl().create_topics([NewTopic(topic="bench", num_partitions=3)])
    p = FakeProducer()
    t0 = time.perf_counter()
    for i in range(n):
        p.produce(topic="bench", value=VALUE, partition=i % 3)
    t1 = time.perf_counter()
    k = FakeConsumer({"group.id": "bench", "auto.offset.reset": "earliest"})
    k.subscribe(["bench"])
    got = 0
    t2 = time.perf_counter()
    while got < n:
        if k.poll() is None:
            break
        got += 1
    t3 = time.perf_counter()
    return n / (t1 - t0), got / (t3 - t2)


def confluent_mock(n: int) -> tuple[float, float]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    p = Producer({"test.mock.num.brokers": 3})
    t0 = time.perf_counter()
    for i in range(n):
        while True:
            try:
                p.produce("bench", value=VALUE, partition=i % 3)
                break
            except BufferError:
                p.poll(0.01)
    p.flush()
    t1 = time.perf_counter()
    bootstrap = p.list_topics().orig_broker_name.split("/")[0]
    k = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False})
    # assign(), not subscribe(): a group join would add the broker's rebalance delay (seconds)
    k.assign([TopicPartition("bench", i, OFFSET_BEGINNING) for i in range(3)])
    got = 0
    t2 = time.perf_counter()
    while got < n:
        msgs = k.consume(min(10_000, n - got), 5.0)     # consume() waits for all it asks for
        if not msgs:
            break
        got += len(msgs)
    t3 = time.perf_counter()
    k.close()                       # before the producer (and its mock cluster) goes away
    return n / (t1 - t0), got / (t3 - t2)


PEERS = [("python floor (lists)", None, floor), ("minikafka (full protocol)", "minikafka", minikafka),
         ("mockafka-py", "mockafka", mockafka), ("confluent-kafka mock cluster", "confluent_kafka", confluent_mock)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    args = ap.parse_args()
    base = None
    for name, module, fn in PEERS:
        if module is not None and importlib.util.find_spec(module) is None:
            print(f"peers: {name:<30} not installed")
            continue
        produce, consume = fn(args.records)
        if base is None:
            base = (produce, consume)
        print(f"peers: {name:<30} produce {produce:>12,.0f} rec/s ({produce / base[0]:.4f} of floor)  "
              f"consume {consume:>12,.0f} rec/s ({consume / base[1]:.4f} of floor)  records={args.records}")


if __name__ == "__main__":
    main()
