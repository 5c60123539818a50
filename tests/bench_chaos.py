"""Chaos benchmark (a script, not a test): the full campaign of `python -m minikafka.chaos`,
at least 10,000 seeded schedules across the default matrix, run in chunks of seeds; prints the
table and the wall time at the end, and a progress line per chunk on stderr.

    python tests/bench_chaos.py                      # ceil(10,000 / rows) seeds per row
    python tests/bench_chaos.py --seeds 300 --jobs 2 --chunk 25

The table is a function of the arguments (the seeds, records and rate), never of --jobs or
--chunk; the wall time is not.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from minikafka.chaos.campaign import MATRICES, RATE, Row, campaign, render_table

TARGET = 10_000


def main(argv: list[str] | None = None) -> int:
    rows_of = MATRICES["default"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=math.ceil(TARGET / len(rows_of)),
                    help=f"seeds per row (default: enough for {TARGET:,} schedules)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=50, help="seeds per chunk (default 50)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--records", type=int, default=120)
    ap.add_argument("--rate", type=float, default=RATE)
    args = ap.parse_args(argv)
    total = [Row(s) for s in rows_of]
    started = time.perf_counter()
    end = args.first_seed + args.seeds
    for lo in range(args.first_seed, end, args.chunk):
        seeds = range(lo, min(lo + args.chunk, end))
        for row, part in zip(total, campaign(rows_of, seeds, args.records, args.rate, jobs=args.jobs), strict=True):
            row.merge(part)
        done = sum(r.runs for r in total)
        broken = [r.setting.name for r in total if r.broken()]
        print(f"[{time.perf_counter() - started:7.0f} s] seeds {args.first_seed}..{seeds.stop - 1}: {done} runs; "
              f"claims not (yet) met: {', '.join(broken) or 'none'}", file=sys.stderr, flush=True)
    wall = time.perf_counter() - started
    runs = sum(r.runs for r in total)
    print(f"chaos benchmark: {runs:,} schedules ({args.seeds} seeds x {len(total)} rows, seeds "
          f"{args.first_seed}..{end - 1}), {args.records} values per run, {args.rate:g} faults/s")
    print(render_table(total, timing=True))
    print(f"wall time {wall:.0f} s ({wall / max(runs, 1) * 1000:.0f} ms per schedule, {args.jobs} process(es))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
