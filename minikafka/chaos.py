"""Chaos campaigns: many seeds x a matrix of configurations, one table of which anomalies
appeared where, and the first failing seed of each cell to replay.

    python -m minikafka.chaos --seeds 20 --matrix default
    python -m minikafka.chaos --replay all-noidem 1        # that run: schedule, history, verdicts

Rules:
1. A run is `run_workload` (workload.py) with one configuration of the matrix and one seed;
   the seed also drives the nemesis (`Nemesis(seed, ...)`), so within a seed every
   configuration meets the same faults at the same virtual times.
2. A cell counts the runs in which at least one anomaly of that kind appeared, and names the
   first (lowest) seed where it did: `--replay CONFIG SEED` replays exactly that run.
3. The output is a function of the arguments only: no wall-clock time unless `--timing`.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .nemesis import KINDS, Nemesis
from .workload import Result, run_workload

ANOMALIES = ("lost", "duplicate", "reorder", "aborted_read", "non_atomic", "committed_invisible", "commit_beyond")
GROUP = {"group.id": "chaos"}


@dataclass(frozen=True)
class Setting:
    """One row of a matrix: a name to replay it by, what it shows, and the workload's settings."""

    name: str
    about: str
    producer_config: tuple[tuple[str, Any], ...]
    consumer_config: tuple[tuple[str, Any], ...] = tuple(GROUP.items())
    min_insync_replicas: int = 2
    unclean: bool = False

    def run(self, seed: int, nemesis: Nemesis | None, records: int) -> Result:
        return run_workload(seed, dict(self.producer_config), dict(self.consumer_config), nemesis=nemesis,
                            records=records, min_insync_replicas=self.min_insync_replicas, unclean=self.unclean)


def _s(name: str, about: str, producer: dict[str, Any], consumer: dict[str, Any] | None = None,
       **kw: Any) -> Setting:
    return Setting(name, about, tuple(producer.items()), tuple({**GROUP, **(consumer or {})}.items()), **kw)


MATRICES: dict[str, tuple[Setting, ...]] = {
    "default": (
        _s("acks1", "acks=1 (idempotence off), min.insync.replicas=2, unclean off", {"acks": 1}),
        _s("acks1-unclean", "acks=1, unclean election on", {"acks": 1}, unclean=True),
        _s("all-noidem", "acks=all, enable.idempotence=false, 5 in flight", {"acks": "all", "enable.idempotence": False}),
        _s("all-idem", "acks=all, idempotent, min.insync.replicas=2, unclean off",
           {"acks": "all", "enable.idempotence": True}),
        _s("all-idem-isr1", "acks=all, idempotent, min.insync.replicas=1",
           {"acks": "all", "enable.idempotence": True}, min_insync_replicas=1),
        _s("all-idem-unclean", "acks=all, idempotent, unclean election on",
           {"acks": "all", "enable.idempotence": True}, unclean=True),
        _s("txn-rc", "transactional producers, read_committed consumers",
           {"transactional.id": "app"}, {"isolation.level": "read_committed"}),
    ),
}
MATRICES["quick"] = tuple(s for s in MATRICES["default"] if s.name in ("acks1", "all-noidem", "all-idem", "txn-rc"))


@dataclass
class Cell:
    runs: int = 0
    first_seed: int | None = None


@dataclass
class Row:
    setting: Setting
    runs: int = 0
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0


def nemesis_for(seed: int, kinds: tuple[str, ...] = KINDS, rate: float = 0.3) -> Nemesis:
    return Nemesis(seed, kinds=kinds, rate=rate)


def campaign(settings: Sequence[Setting], seeds: Sequence[int], kinds: tuple[str, ...] = KINDS, rate: float = 0.3,
             records: int = 120, progress: Callable[[str, int], None] | None = None) -> list[Row]:
    rows = []
    for s in settings:
        row = Row(s, cells={a: Cell() for a in ANOMALIES})
        started = time.perf_counter()
        for seed in seeds:
            result = s.run(seed, nemesis_for(seed, kinds, rate), records)
            row.runs += 1
            for kind in result.anomalies():
                cell = row.cells.setdefault(kind, Cell())
                cell.runs += 1
                if cell.first_seed is None:
                    cell.first_seed = seed
            if progress is not None:
                progress(s.name, seed)
        row.seconds = time.perf_counter() - started
        rows.append(row)
    return rows


def render_table(rows: Sequence[Row], timing: bool = False) -> str:
    kinds = list(ANOMALIES) + sorted({k for r in rows for k in r.cells if k not in ANOMALIES})
    name_w = max([len("config")] + [len(r.setting.name) for r in rows])

    def cell(c: Cell | None) -> str:
        return "-" if c is None or not c.runs else f"{c.runs} (s{c.first_seed})"
    widths = [max(len(k), *(len(cell(r.cells.get(k))) for r in rows)) for k in kinds]
    head = f"{'config':<{name_w}}  {'runs':>4}  " + "  ".join(f"{k:<{w}}" for k, w in zip(kinds, widths, strict=True))
    if timing:
        head += "  seconds"
    lines = [head.rstrip()]
    for r in rows:
        line = f"{r.setting.name:<{name_w}}  {r.runs:>4}  " + "  ".join(
            f"{cell(r.cells.get(k)):<{w}}" for k, w in zip(kinds, widths, strict=True))
        if timing:
            line += f"  {r.seconds:7.1f}"
        lines.append(line.rstrip())
    lines.append("")
    lines.append("cell: runs with at least one such anomaly (first seed); replay: python -m minikafka.chaos "
                 "--replay CONFIG SEED")
    lines += [f"  {r.setting.name:<{name_w}}  {r.setting.about}" for r in rows]
    return "\n".join(lines)


def replay(setting: Setting, seed: int, kinds: tuple[str, ...] = KINDS, rate: float = 0.3, records: int = 120,
           history: bool = False, limit: int = 5) -> str:
    result = setting.run(seed, nemesis_for(seed, kinds, rate), records)
    out = [f"config {setting.name} ({setting.about}), seed {seed}", result.report(limit)]
    if history:
        out += ["== full history", result.history.render()]
    return "\n".join(out)


def _settings(matrix: str) -> tuple[Setting, ...]:
    return MATRICES[matrix]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m minikafka.chaos", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    ap.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    ap.add_argument("--matrix", default="default", choices=sorted(MATRICES), help="which configurations")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"nemesis fault kinds (default {','.join(KINDS)})")
    ap.add_argument("--rate", type=float, default=0.3, help="faults per virtual second (default 0.3)")
    ap.add_argument("--records", type=int, default=120, help="values sent per run (default 120)")
    ap.add_argument("--replay", nargs=2, metavar=("CONFIG", "SEED"), help="print one run in full")
    ap.add_argument("--history", action="store_true", help="with --replay: also print every history entry")
    ap.add_argument("--limit", type=int, default=5, help="with --replay: anomalies shown per checker")
    ap.add_argument("--timing", action="store_true", help="add wall-clock seconds per configuration")
    ap.add_argument("--progress", action="store_true", help="report progress on stderr")
    args = ap.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        ap.error(f"unknown fault kinds {bad}; kinds: {', '.join(KINDS)}")
    every = {s.name: s for m in MATRICES.values() for s in m}
    if args.replay:
        name, seed = args.replay
        if name not in every:
            ap.error(f"unknown config {name!r}; configs: {', '.join(every)}")
        if not seed.lstrip("-").isdigit():
            ap.error(f"SEED must be an integer, got {seed!r}")
        print(replay(every[name], int(seed), kinds, args.rate, args.records, args.history, args.limit))
        return 0
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    settings = _settings(args.matrix)
    progress = (lambda name, seed: print(f"{name} seed {seed}", file=sys.stderr)) if args.progress else None
    print(f"chaos: matrix {args.matrix}, seeds {seeds.start}..{seeds.stop - 1}, {args.records} values per run, "
          f"nemesis kinds {','.join(kinds)} at {args.rate:g} faults/s over 30 s (Nemesis(seed, ...))")
    started = time.perf_counter()
    rows = campaign(settings, seeds, kinds, args.rate, args.records, progress)
    print(render_table(rows, args.timing))
    if args.timing:
        print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
