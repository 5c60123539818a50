"""Trials benchmark (not a test): N seeded fault trials of a 100-record acks experiment, as the
durability lab runs them. Each trial: 3 brokers, RF=3, min.insync.replicas=2; produce 100
records while the leader crashes at a seeded moment; count acknowledged records that are lost.
Prints one line: total seconds, and the machine-independent context (trials, events, losses).
Like the durability lab (experiments.acks_trial), the clusters record no trace by default:
the trials only count outcomes, and `--trace` shows what recording one costs (the events and
losses are the same either way).

    python tests/bench_trials.py [--trials N] [--acks 1|all] [--trace]
"""
from __future__ import annotations

import argparse
import random
import time

from minikafka import Cluster, TopicPartition


def trial(seed: int, acks: str, trace: bool = False) -> tuple[int, int]:
    """(acknowledged records lost, events run) for one seeded trial."""
    c = Cluster(brokers=3, seed=seed, trace=trace)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    rng = random.Random(seed)
    acked: set[bytes] = set()
    p = c.producer({"acks": acks, "linger.ms": 0})
    crash_at = rng.randrange(100)
    leader = c.partition_state("t", 0).leader
    for i in range(100):
        p.produce("t", value=b"%d" % i, on_delivery=lambda e, m: e is None and acked.add(m.value()))
        c.run(1)
        if i == crash_at:
            c.crash_broker(leader)
    p.flush()
    c.restart_broker(leader)
    c.run(3000)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    seen = {m.value() for m in k.consume(1000, 1.0)}
    return len(acked - seen), c.sim.events_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--trace", action="store_true", help="record each cluster's trace")
    args = ap.parse_args()
    t0 = time.perf_counter()
    lost = events = runs_with_loss = 0
    for seed in range(args.trials):
        n, ev = trial(seed, args.acks, args.trace)
        lost += n
        events += ev
        runs_with_loss += n > 0
    dt = time.perf_counter() - t0
    print(f"trials: {args.trials} trials in {dt:.2f} s ({dt / args.trials * 1000:.1f} ms each); "
          f"acks={args.acks} records/trial=100 trace={'on' if args.trace else 'off'} events={events} "
          f"trials_with_loss={runs_with_loss} "
          f"acknowledged_lost={lost}")


if __name__ == "__main__":
    main()
