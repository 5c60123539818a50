"""Course benchmark (not a test): every notebook under strict nbval, as CI runs it, in seconds,
with the number of cells checked.

    python tests/bench_course.py
"""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    cmd = [sys.executable, "-m", "pytest", "--nbval", "notebooks", "--nbval-current-env",
           "--nbval-sanitize-with", "tests/nbval-sanitize.cfg", "--nbval-cell-timeout=120",
           "-p", "no:cacheprovider", "-q"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    summary = re.findall(r"(\d+) passed", out.stdout)
    notebooks = len(list((ROOT / "notebooks").glob("*.ipynb")))
    print(f"course: {notebooks} notebooks under nbval in {dt:.1f} s (wall, incl. kernel starts); "
          f"cells checked={summary[-1] if summary else 0} exit={out.returncode}")


if __name__ == "__main__":
    main()
