"""Import benchmark (not a test): the time `import minikafka` takes in a fresh interpreter, the
best of N runs, and whether it stayed stdlib-only (no matplotlib, ipywidgets or numpy loaded).

    python tests/bench_import.py [--runs N]
"""
from __future__ import annotations

import argparse
import subprocess
import sys

CODE = ("import sys, time; t = time.perf_counter(); import minikafka; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('matplotlib', 'ipywidgets', 'numpy') if m in sys.modules]; "
        "print(f'{dt * 1000:.1f} {len(sys.modules)} {\",\".join(heavy) or \"none\"}')")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    results = [subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.split()
               for _ in range(args.runs)]
    best = min(float(r[0]) for r in results)
    print(f"import: import minikafka {best:.1f} ms (best of {args.runs}); modules loaded={results[0][1]} "
          f"heavy modules={results[0][2]}")


if __name__ == "__main__":
    main()
