"""Fingerprint of seeded histories (a script, not a test): proof that a refactor or a speed-up
changed nothing a learner or a checker can see.

It runs 456 seeded scenarios and hashes what each produced: the full trace (every message and
state change, with virtual times), the logs' contents, the consumers' reads and the outcomes:
- 200 durability trials (experiments.acks_trial: acks 1 and all, 100 seeds each), outcomes;
- 100 crash trials with the trace on (the durability benchmark's scenario), trace and outcome;
- 60 ordering trials (experiments.ordering_trial, with and without idempotence), trace and outcome;
- 20 transaction, 20 consumer-group and 4 mixed-fault scenarios, trace and reads;
- every chaos row at 2 seeds: the schedule, the history, the verdicts and the trace.

    python tests/fingerprint.py            # prints one digest per family, then the total
    python tests/fingerprint.py --verbose  # and one digest per scenario
    python tests/fingerprint.py --check    # exit 1 unless the total is EXPECTED

A change that moves histories on purpose regenerates the digest below and says why in its commit.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sys
from typing import Callable, Iterator

from minikafka import Cluster, TopicPartition
from minikafka.chaos.campaign import every_setting
from minikafka.course.experiments import acks_trial, ordering_trial

EXPECTED = "acc49e53539af26b35f50436868b4a2391101cb1e61205c5f232372a822cfae7"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _trace(c: Cluster) -> str:
    return _sha(c.trace.dumps())


def durability_trials() -> Iterator[tuple[str, str]]:
    for acks in ("1", "all"):
        for seed in range(100):
            r = acks_trial(seed, acks=acks)
            yield f"acks_trial acks={acks} seed={seed}", repr(r)


def crash_trials() -> Iterator[tuple[str, str]]:
    for seed in range(100):
        c = Cluster(brokers=3, seed=seed)
        c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
        rng = random.Random(seed)
        acked: list[bytes] = []
        p = c.producer({"acks": "all" if seed % 2 else 1, "linger.ms": 0})
        crash_at = rng.randrange(100)
        leader = c.partition_state("t", 0).leader
        for i in range(100):
            p.produce("t", value=b"%d" % i, on_delivery=lambda e, m: e is None and acked.append(m.value()))
            c.run(1)
            if i == crash_at:
                c.crash_broker(leader)
        p.flush()
        c.restart_broker(leader)
        c.run(3000)
        k = c.consumer({"auto.offset.reset": "earliest"})
        k.assign([TopicPartition("t", 0)])
        seen = [m.value() for m in k.consume(1000, 1.0)]
        yield f"crash_trial seed={seed}", f"{acked} {seen} {c.sim.events_run} {_trace(c)}"


def ordering_trials() -> Iterator[tuple[str, str]]:
    for idempotent in (False, True):
        for seed in range(30):
            r = ordering_trial(seed, idempotent=idempotent)
            yield f"ordering_trial idempotent={idempotent} seed={seed}", repr(r)


def transaction_scenarios() -> Iterator[tuple[str, str]]:
    for seed in range(20):
        c = Cluster(brokers=3, seed=seed)
        c.create_topic("in", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
        c.create_topic("out", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
        c.drop("ProduceResponse", probability=0.1)
        t = c.producer({"transactional.id": f"app-{seed % 3}", "transaction.timeout.ms": 20_000})
        t.init_transactions()
        for i in range(6):
            t.begin_transaction()
            t.produce("out", key=b"k%d" % (i % 4), value=b"v%d" % i)
            t.produce("in", value=b"i%d" % i)
            if i == 3 and seed % 4 == 0:
                c.crash_broker(1 + seed % 3)
            if i % 3 == 2:
                t.abort_transaction()
            else:
                t.commit_transaction()
        c.run(5_000)
        reads = []
        for iso in ("read_committed", "read_uncommitted"):
            k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": iso})
            k.assign([TopicPartition("out", 0), TopicPartition("out", 1)])
            reads.append(sorted((m.partition(), m.offset(), m.value()) for m in k.consume(100, 2.0)))
        yield f"transactions seed={seed}", f"{reads} {_trace(c)}"


def group_scenarios() -> Iterator[tuple[str, str]]:
    strategies = ("range", "roundrobin", "sticky", "cooperative-sticky")
    for seed in range(20):
        c = Cluster(brokers=3, seed=seed)
        c.create_topic("clicks", partitions=4, replication_factor=3)
        p = c.producer({"acks": "all"})
        for i in range(40):
            p.produce("clicks", key=b"u%d" % (i % 9), value=b"c%d" % i)
        p.flush()
        conf = {"group.id": "stats", "auto.offset.reset": "earliest",
                "partition.assignment.strategy": strategies[seed % 4]}
        a = c.consumer(conf)
        a.subscribe(["clicks"])
        got = [m.value() for m in a.consume(10, 4.0)]
        b = c.consumer(conf)
        b.subscribe(["clicks"])
        for _ in range(12):
            got += [m.value() for m in a.consume(5, 0.5)]
            got += [m.value() for m in b.consume(5, 0.5)]
        a.commit(asynchronous=False)
        if seed % 2:
            c.crash_client(b.name)
            for _ in range(30):
                a.poll(0.5)
        yield f"groups seed={seed}", f"{got} {c.group_state('stats')} {c.group_lag('stats')} {_trace(c)}"


def mixed_fault_scenarios() -> Iterator[tuple[str, str]]:
    for seed in range(4):
        c = Cluster(brokers=3, seed=seed)
        c.create_topic("orders", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
        c.create_topic("audit", partitions=2, replication_factor=2)
        p = c.producer({"acks": "all", "linger.ms": 3})
        q = c.producer({"acks": 1, "enable.idempotence": False})
        c.drop("ProduceResponse", probability=0.2)
        c.delay("FetchResponse", ms=7, count=20)
        for i in range(200):
            p.produce("orders", key=b"user-%d" % (i % 17), value=b"v%d" % i)
            q.produce("audit", value=b"a%d" % i)
            if i % 50 == 0:
                c.run(40)
        c.crash_broker(2, power_loss=bool(seed % 2))
        c.run(12_000)
        c.restart_broker(2)
        c.cut(1, 3)
        c.run(5_000)
        c.heal_all()
        p.flush()
        q.flush()
        states = [c.partition_state("orders", i) for i in range(3)]
        yield f"mixed seed={seed}", f"{states} {_trace(c)}"


def chaos_rows() -> Iterator[tuple[str, str]]:
    for name, setting in every_setting().items():
        for seed in (0, 1):
            r = setting.run(seed)
            yield (f"chaos {name} seed={seed}",
                   f"{r.report(limit=100)}\n{r.history.render()}\n{_trace(r.cluster)}")


FAMILIES: dict[str, Callable[[], Iterator[tuple[str, str]]]] = {
    "durability_trials": durability_trials,
    "crash_trials": crash_trials,
    "ordering_trials": ordering_trials,
    "transactions": transaction_scenarios,
    "groups": group_scenarios,
    "mixed_faults": mixed_fault_scenarios,
    "chaos_rows": chaos_rows,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", action="store_true", help="one digest per scenario")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the total is EXPECTED")
    args = ap.parse_args(argv)
    total = hashlib.sha256()
    count = 0
    for family, scenarios in FAMILIES.items():
        digest = hashlib.sha256()
        n = 0
        for name, outcome in scenarios():
            line = f"{name}\t{_sha(outcome)}\n"
            if args.verbose:
                print(line, end="")
            digest.update(line.encode())
            n += 1
        count += n
        print(f"{family:18} {n:4} scenarios  {digest.hexdigest()}")
        total.update(digest.hexdigest().encode())
    print(f"{'total':18} {count:4} scenarios  {total.hexdigest()}")
    same = total.hexdigest() == EXPECTED
    print("unchanged: the same histories as EXPECTED" if same else f"CHANGED: EXPECTED is {EXPECTED}")
    return 0 if same or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
