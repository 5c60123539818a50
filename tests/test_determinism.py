"""Same seed, same history: byte for byte, in any process, under any PYTHONHASHSEED."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

SCRIPT = r"""
import hashlib
from minikafka import Cluster, TopicPartition
c = Cluster(brokers=3, seed=11)
c.create_topic("orders", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
c.create_topic("audit", partitions=2, replication_factor=2)
p = c.producer({"acks": "all", "linger.ms": 3})
q = c.producer({"acks": 1, "enable.idempotence": False})
c.drop("ProduceResponse", probability=0.2)
c.delay("FetchResponse", ms=7, count=20)
for i in range(300):
    p.produce("orders", key=b"user-%d" % (i % 17), value=b"v%d" % i)
    q.produce("audit", value=b"a%d" % i)
    if i % 50 == 0:
        c.run(40)
c.crash_broker(2)
c.run(12_000)
c.restart_broker(2)
c.cut(1, 3)
c.run(5_000)
c.heal_all()
p.flush(); q.flush()
t = c.producer({"transactional.id": "pay-%d" % 3})
t.init_transactions()
for i in range(4):
    t.begin_transaction()
    t.produce("orders", key=b"user-%d" % i, value=b"t%d" % i)
    t.produce("audit", value=b"t%d" % i)
    t.commit_transaction() if i % 2 else t.abort_transaction()
k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": "read_committed", "group.id": "g"})
k.assign([TopicPartition("orders", i) for i in range(3)])
got = k.consume(1000, 3.0)
k.commit(asynchronous=False)
print(len(c.trace), len(got))
print(hashlib.sha256(c.trace.dumps().encode()).hexdigest())
"""


def run(hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def test_same_seed_gives_byte_identical_trace_under_different_hash_seeds():
    first, second = run("1"), run("4242")
    assert first == second
    events, consumed = map(int, first.split()[:2])
    assert events > 1000 and consumed > 0


def test_different_seeds_give_different_histories():
    from minikafka import Cluster
    dumps = []
    for seed in (1, 2):
        c = Cluster(brokers=3, seed=seed)
        c.create_topic("t", partitions=3, replication_factor=3)
        c.drop("FetchResponse", probability=0.3)
        p = c.producer({"acks": "all"})
        for i in range(50):
            p.produce("t", value=b"%d" % i)
        p.flush()
        dumps.append(hashlib.sha256(c.trace.dumps().encode()).hexdigest())
    assert dumps[0] != dumps[1]


def test_a_cluster_without_a_trace_behaves_exactly_like_one_with_it():
    """trace=False only stops recording: the same seed runs the same events to the same logs."""
    from minikafka import Cluster

    def scenario(trace: bool) -> tuple:
        c = Cluster(brokers=3, seed=11, trace=trace)
        c.create_topic("t", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
        c.drop("ProduceResponse", probability=0.2)
        p = c.producer({"acks": "all"})
        for i in range(100):
            p.produce("t", value=b"v%d" % i)
            if i == 40:
                c.crash_broker(c.partition_state("t", 0).leader, power_loss=True)
            c.run(3)
        p.flush(60)
        t = c.producer({"transactional.id": "x"})
        t.init_transactions()
        t.begin_transaction()
        t.produce("t", value=b"txn")
        t.commit_transaction()
        k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
        k.subscribe(["t"])
        got = [(m.partition(), m.offset(), m.value()) for m in k.consume(1000, 8.0)]
        return c.now, c.sim.events_run, got, [c.log("t", q) for q in range(2)], len(c.trace)

    on, off = scenario(True), scenario(False)
    assert on[:4] == off[:4] and on[4] > 1000 and off[4] == 0
