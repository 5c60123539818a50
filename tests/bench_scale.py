"""Scale benchmark (a script, not a test): memory of a long run at the default trace limit, and
the cost of the consumer's fetch path when it is assigned thousands of partitions.

    python tests/bench_scale.py               # (a) for 2 virtual hours, then (b): 35 s (2 min loaded)
    python tests/bench_scale.py --hours 24    # (a) for the issue's full 24 virtual hours (~13 min)
    python tests/bench_scale.py --part fetch  # (b) only

(a) memory: a 3-broker cluster (topic "t", 1 partition, replication factor 3), one producer
    writing one record per virtual second, and one consumer in group "g" polling; the trace at
    its default limit (sim/trace.py DEFAULT_LIMIT). It prints, every virtual hour, the events
    recorded and kept and the peak RSS so far (resource.getrusage ru_maxrss), then the peak.
    Target (issue 15): <= 300 MB for 24 hours. The ring fills in under an hour, after which the
    trace stops growing (what still grows, about 2 MB a virtual hour, is the cluster's own state:
    logs without retention), so the default 2 hours already shows the plateau; --hours 24 is the
    full figure (measured: 247 MB).
(b) fetch scale: one consumer assigned 400 topics x 10 partitions, one record in each, read
    with poll() one record at a time; side by side with one consumer of a 1-partition topic
    holding as many records, one batch each (the same records and batches, one partition).
    Per-record cost is the time from the first poll() to the last record, divided by the
    records: every Fetch request and response is inside it. The positions are given to
    assign() (offset 0), so neither case starts with a lookup; the cost of looking them up
    (one ListOffsets per partition, a per-partition start-up cost, not a per-record one) is
    printed apart. Also printed: the partitions the fetcher looked at per Fetch request.
    Each case runs 9 times, alternating, and the fastest run of each is compared.
    Target (issue 15): per-record cost within 2x of the 1-partition case.
    (An earlier version timed from the first record on: that left the 1-partition case's only
    Fetch outside the timing, so it compared fetching against popping a buffer.)

Each part runs in its own process, so each peak RSS is that part's own. Times are wall-clock
and vary with the machine's load; every other figure is deterministic (seeded).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from typing import Any

from minikafka import Cluster, TopicPartition
from minikafka.sim.trace import DEFAULT_LIMIT

HOUR_MS = 3_600_000
REPEATS = 9
RSS_TARGET_MB = 300


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024          # ru_maxrss is KB on Linux


# -- (a) memory ----------------------------------------------------------------------------------
def memory(hours: float) -> None:
    start_rss = peak_mb()
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", partitions=1, replication_factor=3)
    p = c.producer({"linger.ms": 5})
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k.subscribe(["t"])
    print(f"(a) memory: 3 brokers, 1 producer (1 record per virtual second), 1 group consumer, "
          f"trace_limit={DEFAULT_LIMIT:,} (the default), {hours:g} virtual hours")
    print(f"    peak RSS before the cluster existed: {start_rss:.0f} MB")
    print(f"    {'virtual h':>9} {'events recorded':>16} {'kept':>9} {'dropped':>11} {'peak RSS MB':>12} "
          f"{'wall s':>7}")
    t0 = time.perf_counter()
    sent = got = 0
    seconds = int(hours * 3600)
    for s in range(seconds):
        p.produce("t", value=b"r%d" % s)
        sent += 1
        end = c.now + 1000
        while c.now < end:
            got += len(k.consume(100, (end - c.now) / 1000))
        if (s + 1) % 3600 == 0 or s + 1 == seconds:
            tr = c.trace
            print(f"    {c.now / HOUR_MS:>9.2f} {len(tr):>16,} {tr.kept:>9,} {tr.dropped:>11,} "
                  f"{peak_mb():>12.0f} {time.perf_counter() - t0:>7.0f}", flush=True)
    peak = peak_mb()
    print(f"    records produced {sent:,}, consumed {got:,}; trace: {c.trace!r}")
    print(f"    peak RSS for {hours:g} virtual hours: {peak:.0f} MB (target <= {RSS_TARGET_MB} MB for 24 h: "
          f"{'met' if peak <= RSS_TARGET_MB else 'MISSED'})")


# -- (b) fetch scale ------------------------------------------------------------------------------
def consume_all(topics: int, partitions: int, per_partition: int, positions_given: bool = True) -> dict[str, Any]:
    """Produce `per_partition` records, one batch each, into every partition; read them all
    with one assigned consumer, one poll() per record. With `positions_given`, assign() names
    offset 0; else the consumer looks each position up (auto.offset.reset=earliest)."""
    c = Cluster(brokers=3, seed=1)
    names = [f"t{i:03d}" for i in range(topics)]
    for t in names:
        c.create_topic(t, partitions=partitions, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for j in range(per_partition):
        for t in names:
            for q in range(partitions):
                p.produce(t, value=b"v%d" % j, partition=q)
        p.flush()                                 # one batch per partition per round
    total = topics * partitions * per_partition
    k = c.consumer({"auto.offset.reset": "earliest"})
    looked = [0]
    send_fetches = k.fetcher.send_fetches

    def counting() -> None:                       # the partitions this call looks at (fetcher.py rule 7)
        looked[0] += len(k.subscriptions.to_fetch)
        send_fetches()
    k.fetcher.send_fetches = counting             # type: ignore[method-assign]
    offset = 0 if positions_given else -1001      # -1001: OFFSET_INVALID, look it up
    k.assign([TopicPartition(t, q, offset) for t in names for q in range(partitions)])
    got, t_first = 0, 0.0
    t0 = time.perf_counter()
    while got < total:
        m = k.poll(10)
        if m is None:
            break
        if got == 0:
            t_first = time.perf_counter()
        got += 1
    t_end = time.perf_counter()
    fetches = len(c.trace.filter(name="FetchRequest", node=k.name, kind="send"))
    return {"got": got, "total": total, "first": t_first - t0, "per_record": (t_end - t0) / max(got, 1),
            "fetches": fetches, "looked": looked[0]}


def fetch_scale() -> None:
    print("(b) fetch scale: one consumer, assign() at offset 0, then poll() one record at a time, one batch per record")
    runs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for _ in range(REPEATS):                      # alternated, so both see the same machine load
        runs.append((consume_all(400, 10, 1), consume_all(1, 1, 4000)))
    fastest = [min((r[i] for r in runs), key=lambda r: r["per_record"]) for i in (0, 1)]
    cases = [("400 topics x 10 partitions, 1 record each", fastest[0]),
             ("1 partition, 4,000 records", fastest[1])]
    print(f"    each case run {REPEATS} times, alternating; the fastest run of each is shown "
          f"(the other runs only add the machine's noise)")
    for name, r in cases:
        print(f"    {name}: read {r['got']:,} of {r['total']:,}")
        print(f"        per record, first poll() to last record (fetches included): {r['per_record'] * 1e6:.1f} us")
        print(f"        Fetch requests sent: {r['fetches']:,}; partitions looked at by the fetcher: {r['looked']:,} "
              f"({r['looked'] / max(r['fetches'], 1):.1f} per Fetch request, "
              f"{r['looked'] / max(r['got'], 1):.2f} per record)")
    many, one = cases[0][1], cases[1][1]
    ratio = many["per_record"] / one["per_record"]
    print(f"    per-record cost, 4,000 partitions / 1 partition: {ratio:.2f}x "
          f"(target <= 2x: {'met' if ratio <= 2 else 'MISSED'})")
    look = consume_all(400, 10, 1, positions_given=False)
    print(f"    start-up when the positions are looked up (one ListOffsets per partition), 4,000 partitions: "
          f"{look['first']:.3f} s to the first record, then {look['per_record'] * 1e6:.1f} us per record "
          f"all in; peak RSS of this part: {peak_mb():.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, default=2.0, help="virtual hours for (a); 24 is the issue's figure")
    ap.add_argument("--part", choices=("both", "memory", "fetch"), default="both")
    args = ap.parse_args()
    if args.hours <= 0:
        ap.error(f"--hours must be > 0, got {args.hours}")
    if args.part == "memory":
        memory(args.hours)
    elif args.part == "fetch":
        fetch_scale()
    else:                                         # each part in its own process: its own peak RSS
        for part in ("memory", "fetch"):
            rc = subprocess.run([sys.executable, __file__, "--part", part, "--hours", str(args.hours)]).returncode
            if rc:
                sys.exit(rc)


if __name__ == "__main__":
    main()
