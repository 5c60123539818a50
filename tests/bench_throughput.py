"""Throughput benchmark (not a test): 200,000 records of 100 bytes, 3 partitions, RF=3,
acks=all, idempotent, produced and replicated, then consumed by a consumer group (one member,
subscribe). Prints one line with the rates and the machine-independent context (records,
events, virtual time).

    python tests/bench_throughput.py [--records N]
"""
from __future__ import annotations

import argparse
import time

from minikafka import Cluster


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--no-idempotence", action="store_true", help="enable.idempotence=false")
    args = ap.parse_args()
    n = args.records
    value = b"x" * 100
    c = Cluster(brokers=3, seed=1)
    c.create_topic("bench", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all", "enable.idempotence": not args.no_idempotence})
    events0 = c.sim.events_run
    t0 = time.perf_counter()
    for _ in range(n):
        p.produce("bench", value=value)
    p.flush()
    c.run_until_idle()
    t1 = time.perf_counter()
    assert p.delivered == n, (p.delivered, p.failed)
    states = [c.partition_state("bench", i) for i in range(3)]
    replicated = sum(st.high_watermark for st in states) == n and all(
        st.replica(b).leo == st.high_watermark for st in states for b in st.isr)
    produce_events = c.sim.events_run - events0
    k = c.consumer({"auto.offset.reset": "earliest", "group.id": "bench"})
    k.subscribe(["bench"])
    t2 = time.perf_counter()
    got = 0
    while got < n:
        got += len(k.consume(10_000, 5.0))
    t3 = time.perf_counter()
    print(f"throughput: produce+replicate {n / (t1 - t0):,.0f} records/s ({t1 - t0:.2f} s), "
          f"consume {n / (t3 - t2):,.0f} records/s ({t3 - t2:.2f} s); "
          f"records={n} bytes/record=100 partitions=3 rf=3 acks=all idempotent={not args.no_idempotence} "
          f"replicated={replicated} "
          f"events={produce_events} virtual_ms={c.now}")


if __name__ == "__main__":
    main()
