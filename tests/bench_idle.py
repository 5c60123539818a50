"""Idle-time benchmark (a script, not a test): what an idle cluster costs per virtual hour.

    python tests/bench_idle.py                 # 1 virtual hour, trace off, then 1 hour at the default trace limit
    python tests/bench_idle.py --hours 24      # the storage issue's figure: 24 idle virtual hours
    python tests/bench_idle.py --trace-only    # only the run with the trace at its default limit

The scenario: a 3-broker cluster (one controller), topic "events" (1 partition, replication
factor 3), one producer that writes 10 records and then stays idle, and one consumer in group
"g" that reads them and is then left alone (a learner's `c.run(7 * 24 * 3600_000)` after a
few cells). Nothing happens for the rest of the run but what Kafka itself does while idle:
broker heartbeats, the metadata log's NoOp records, followers' empty long polls, the consumer's
empty long polls, group heartbeats and auto-commits, the periodic tasks.

It prints the wall time, the virtual hours per wall second, the events the kernel ran and the
peak RSS (resource.getrusage ru_maxrss; each run in its own process, so each peak is its own).
Target (storage issue): 24 idle virtual hours in <= 2 s wall with the trace off, and <= 300 MB
peak RSS with the default trace limit. Times are wall-clock and move with the machine's load;
the events counted are deterministic (seeded).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from minikafka import Cluster
from minikafka.sim.trace import DEFAULT_LIMIT

HOUR = 3_600_000


def scenario(trace: bool) -> Cluster:
    c = Cluster(brokers=3, seed=7, trace=trace)
    c.create_topic("events", 1, 3)
    p = c.producer({"linger.ms": 0})
    for i in range(10):
        p.produce("events", key=b"k%d" % i, value=b"v%d" % i)
    p.flush()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k.subscribe(["events"])
    got = 0
    while got < 10:
        got += len(k.consume(10, timeout=1))
    return c


def one(hours: int, trace: bool) -> None:
    c = scenario(trace)
    events = c.sim.events_run
    start = time.perf_counter()
    c.run(hours * HOUR)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = f"trace {'at its default limit (' + format(DEFAULT_LIMIT, ',') + ')' if trace else 'off'}"
    print(f"{hours} idle virtual hour(s), {what}: {wall:.2f} s wall ({hours / wall:.2f} virtual h/s), "
          f"{c.sim.events_run - events:,} events, peak RSS {rss:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, default=1)
    ap.add_argument("--trace-only", action="store_true")
    ap.add_argument("--one", choices=("on", "off"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.hours, args.one == "on")
        return
    for mode in (("on",) if args.trace_only else ("off", "on")):
        subprocess.run([sys.executable, __file__, "--hours", str(args.hours), "--one", mode], check=True)


if __name__ == "__main__":
    main()
