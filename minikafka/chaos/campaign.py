"""Chaos campaigns: many seeds x a matrix of configurations, one table of which anomalies
appeared where, checked against what Kafka promises, and the first seed of each cell to replay.

    python -m minikafka.chaos --seeds 20                 # the default matrix
    python -m minikafka.chaos --replay no-idempotence 1  # that run: schedule, history, verdicts

Rules:
1. A row (`Setting`) is a workload configuration (workload.py), a nemesis profile
   (`PROFILES`), and what Kafka says about that configuration under that fault model:
   `guarantees`, anomaly kinds that must never appear, and `anomalies`, kinds that Kafka
   really has and that the mechanism must produce in some runs.
2. Fault models are honest. Kafka's durability promise (acks=all, min.insync.replicas=2,
   RF=3, no unclean election) holds while at most RF-1 replicas lose their data; it does not
   survive every in-sync replica losing power at once, because Kafka does not fsync. So the
   guarantee rows run the "faults" profile: process crashes (one broker, or the whole cluster
   in an `outage`), cuts, isolation, pauses, dropped and delayed messages, client crashes, and
   no power loss; the "blackout" profile, where every broker loses power at once, only backs
   an anomaly row. The KRaft rows add controller faults to the same mix, with three
   controllers: the active controller crashing ("controller-faults"), or a majority of the
   quorum at once ("quorum-loss", metadata frozen while it lasts); Kafka's durability promise
   is the same under both. The "elr" row stops every broker in turn and restarts them in a
   random order ("shutdown"): a partition comes back when a replica that may lead returns
   (an ISR member, or an eligible leader replica, KIP-966), and nothing acknowledged is lost.
   The transaction rows run transactions v2 (a new 4.x cluster) and v1 with partition
   verification; the "late-writes" profile only delays produce requests (up to 35 s, past a
   request's timeout and the transaction's abort), and shows the hanging transaction and the
   write that leaks into the next transaction under v1 without verification, and 0 of each with
   verification or under v2 (KIP-890). The "share-groups" row runs share consumers (KIP-932,
   slots "share#i") in the same "faults" mix, with records locked 5 s so that what a crashed or
   paused consumer held comes back within a run. The "retention" row (workload_retention.py) runs
   a consumer too slow for its topic's retention.ms in the same "faults" mix: records expire
   before it reads them (kafka-semantics.md #305, #313), which Kafka allows and the row must show,
   while nothing acknowledged may be lost otherwise (retention_checks.py). The "tiered" row is the
   same workload with tiered storage (#325-#330): old records are read from the remote tier,
   and the same checkers hold. The "compaction" row (workload_compaction.py) writes keyed
   updates and tombstones to a compacted topic whose cleaner runs often: each key's last
   acknowledged write survives, no deleted key comes back (#315-#321, compaction_checks.py).
2b. Idempotent producers warm up (workload_producers.py rule 2): each new instance waits for the
   acknowledgement of its first send to each partition before sending more. A minikafka
   network cut drops messages silently while later ones on the same connection still arrive,
   which TCP never does (it delivers in order or breaks the connection); a broker that holds
   no state for a new producer id then accepts its second batch before its first (F.37e) and
   the session duplicates and reorders. The warm-up removes that artefact, not a Kafka
   behaviour; other consequences of the silent cut remain (see the benchmark's notes).
3. A run is `run_workload` with the row's settings and one seed; the seed also drives the
   nemesis (`Nemesis(seed, **profile)`, with the workload's client slots), so within a seed
   the rows of one profile and the same clients meet the same faults at the same virtual times.
4. A cell counts the runs in which at least one anomaly of that kind appeared and names the
   first (lowest) seed where it did: `--replay ROW SEED` replays exactly that run. A cell is
   "0" where the row guarantees the kind and it never appeared, "." where the row makes no
   claim and it never appeared; "!" marks a cell that contradicts the row's claim, and the
   seeds of every contradicted guarantee are listed under the table.
5. A row's verdict is "ok" when all its guarantee cells are 0 and all its anomaly cells are
   nonzero, else the kinds that broke the claim.
6. The output is a function of the arguments only: no wall-clock time unless `--timing`;
   `--jobs N` spreads the runs over N processes without changing a byte of the table; where
   there are no processes (Pyodide, `sys.platform == "emscripten"`) the runs stay in this one.
7. Every option is checked before anything runs (exit status 2 and a usage message naming it):
   `--seeds`, `--records` and `--jobs` are integers >= 1, `--limit` >= 0, `--rate` a number
   > 0, `--first-seed` and the replay's SEED integers.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from minikafka.chaos.checkers import KINDS as ANOMALIES
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.compaction_checks import COMPACTION_KINDS
from minikafka.chaos.workload import Result, run_workload
from minikafka.chaos.workload_compaction import CONSUMER as COMPACTION_CONSUMER
from minikafka.chaos.workload_compaction import PRODUCER as COMPACTION_PRODUCER
from minikafka.chaos.workload_compaction import WORKLOAD as COMPACTION_WORKLOAD
from minikafka.chaos.workload_compaction import run_compaction
from minikafka.chaos.workload_retention import PRODUCER as RETENTION_PRODUCER
from minikafka.chaos.workload_retention import SLOW_CONSUMER, run_retention
from minikafka.chaos.workload_retention import TIERED_WORKLOAD
from minikafka.chaos.workload_retention import WORKLOAD as RETENTION_WORKLOAD

RATE = 0.5                                     # faults per virtual second
KEEP_SEEDS = 10                                # seeds a cell remembers (to list contradictions)
# a kind listed twice is drawn twice as often (nemesis.py rule 1)
NO_POWER_LOSS = ("crash", "outage", "outage", "cut", "cut", "isolate", "pause", "drop", "delay", "crash_client",
                 "crash_client", "crash_client")
PROFILES: dict[str, dict[str, Any]] = {
    "faults": {"kinds": NO_POWER_LOSS},
    "blackout": {"kinds": ("blackout", "blackout") + NO_POWER_LOSS},
    "controller-faults": {"kinds": ("crash_controller", "crash_controller") + NO_POWER_LOSS},
    "quorum-loss": {"kinds": ("quorum_loss", "quorum_loss") + NO_POWER_LOSS},
    "shutdown": {"kinds": ("shutdown", "shutdown") + NO_POWER_LOSS},
    "late-writes": {"kinds": ("delay",), "messages": ("ProduceRequest",)},
}
IDEMPOTENT = {"acks": "all", "enable.idempotence": True}
TRANSACTIONAL = {"transactional.id": "app", "transaction.timeout.ms": 20_000}     # as Kafka Streams: short
GROUP = {"group.id": "chaos"}
READ_COMMITTED = {**GROUP, "isolation.level": "read_committed"}


@dataclass(frozen=True)
class Setting:
    """One row of a matrix (rule 1). `workload` holds `run_workload` keywords as pairs."""

    name: str
    about: str
    workload: tuple[tuple[str, Any], ...]
    guarantees: tuple[str, ...] = ()
    anomalies: tuple[str, ...] = ()
    profile: str = "faults"

    @property
    def section(self) -> str:
        return "anomalies" if self.anomalies else "guarantees"

    def nemesis(self, seed: int, rate: float = RATE) -> Nemesis:
        """The profile's nemesis, with client slots as many as the workload's clients."""
        w = dict(self.workload)
        slots = (("producer", w.get("producers", 2)), ("consumer", w.get("consumers", 1)),
                 ("pipeline", w.get("pipelines", 0)), ("share", w.get("share_consumers", 0)))
        return Nemesis(seed, rate=rate, clients=tuple((r, n) for r, n in slots if n),
                       controllers=w.get("controllers", 1), **PROFILES[self.profile])

    def run(self, seed: int, records: int = 120, rate: float = RATE) -> Result:
        return run_workload(seed, nemesis=self.nemesis(seed, rate), records=records, **dict(self.workload))


def _row(name: str, about: str, producer: dict[str, Any], consumer: dict[str, Any] | None = None,
         guarantees: Iterable[str] = (), anomalies: Iterable[str] = (), profile: str = "faults",
         **workload: Any) -> Setting:
    kw = {"producer_config": producer, "consumer_config": consumer or GROUP, **workload}
    if producer is IDEMPOTENT:
        kw.setdefault("warm_up", True)           # rule 2b
    return Setting(name, about, tuple(kw.items()), tuple(guarantees), tuple(anomalies), profile)


@dataclass(frozen=True)
class RetentionSetting(Setting):
    """A row whose runs are workload_retention.py's: `run_retention` instead of `run_workload`."""

    def run(self, seed: int, records: int = 120, rate: float = RATE) -> Result:
        return run_retention(seed, nemesis=self.nemesis(seed, rate), records=records, **dict(self.workload))


@dataclass(frozen=True)
class CompactionSetting(Setting):
    """A row whose runs are workload_compaction.py's: `run_compaction` instead of `run_workload`."""

    def run(self, seed: int, records: int = 120, rate: float = RATE) -> Result:
        return run_compaction(seed, nemesis=self.nemesis(seed, rate), records=records, **dict(self.workload))


DURABLE = ("lost", "duplicate", "reorder", "commit_beyond")
TXN = ("lost", "aborted_read", "non_atomic", "committed_invisible", "hanging", "commit_beyond")
TV1 = {"transaction.version": 1}
UNVERIFIED = {"transaction.partition.verification.enable": False}
EOS = ("lost", "aborted_read", "non_atomic", "committed_invisible", "hanging", "single_owner", "eos_missing",
       "eos_duplicate")
GROUPS = ("lost", "single_owner")
# the consumer protocol's liveness is set on the brokers: the same 10 s session as the classic rows
CONSUMER_PROTOCOL_BROKER = {"group.consumer.session.timeout.ms": 10_000, "group.consumer.min.session.timeout.ms": 10_000,
                            "group.consumer.heartbeat.interval.ms": 3_000,
                            "group.consumer.min.heartbeat.interval.ms": 3_000}
# share groups: records locked 5 s (so a crashed consumer's come back within a run), the same 10 s
# session and 3 s heartbeats as the consumer-protocol rows, and 3 partitions of __share_group_state
# like the other internal topics (workload.py rule 1: it only makes runs faster)
SHARE_BROKER = {"group.share.record.lock.duration.ms": 5_000, "group.share.session.timeout.ms": 10_000,
                "group.share.min.session.timeout.ms": 10_000, "group.share.heartbeat.interval.ms": 3_000,
                "group.share.min.heartbeat.interval.ms": 3_000, "share.coordinator.state.topic.num.partitions": 3}
SHARE = ("lost", "share_unaccepted", "share_accepted_twice")
RETENTION = ("lost", "duplicate", "inconsistent_offsets", "nonmonotonic_poll", "poll_skip", "early_expiry")
COMPACTION = ("duplicate",) + COMPACTION_KINDS

MATRICES: dict[str, tuple[Setting, ...]] = {
    "default": (
        _row("idempotent", "acks=all, idempotent, RF=3, min.insync.replicas=2, unclean off", IDEMPOTENT,
             guarantees=DURABLE),
        _row("kraft-failover", "acks=all, idempotent, 3 controllers; the active controller crashes", IDEMPOTENT,
             guarantees=DURABLE, profile="controller-faults", controllers=3),
        _row("quorum-loss", "acks=all, idempotent, 3 controllers; a majority of them crash at once", IDEMPOTENT,
             guarantees=DURABLE, profile="quorum-loss", controllers=3),
        _row("elr", "acks=all, idempotent, min.insync=2, unclean off; every broker stopped one by one, "
             "then restarted in a random order (eligible leader replicas)", IDEMPOTENT,
             guarantees=DURABLE, profile="shutdown"),
        _row("transactions", "transactional producers (20% aborted by the app), read_committed consumers; "
             "transactions v2 (a new 4.x cluster)", TRANSACTIONAL, READ_COMMITTED, guarantees=TXN),
        _row("transactions-v1", "the same with transaction.version=1: partitions added by the client, one epoch "
             "for all transactions, leaders verify a transaction's first write", TRANSACTIONAL, READ_COMMITTED,
             guarantees=TXN, features=TV1),
        _row("v1-unverified", "transaction.version=1 and transaction.partition.verification.enable=false (Kafka "
             "before 3.6); transaction.timeout.ms 60 s: a produce delayed past its transaction's abort opens a "
             "transaction no coordinator knows (hanging), or joins the producer's next transaction on that "
             "partition (aborted_read); half the transactions aborted, produces delayed up to 35 s",
             {"transactional.id": "app"}, READ_COMMITTED, guarantees=("lost",), anomalies=("hanging", "aborted_read"),
             profile="late-writes", features=TV1, broker_config=UNVERIFIED, abort_probability=0.5),
        _row("v1-verified-late", "the same late writes with verification on (3.6+): 0 hanging",
             {"transactional.id": "app"}, READ_COMMITTED, guarantees=TXN, profile="late-writes", features=TV1,
             abort_probability=0.5),
        _row("v2-late", "the same late writes under transactions v2: 0 hanging", {"transactional.id": "app"},
             READ_COMMITTED, guarantees=TXN, profile="late-writes", abort_probability=0.5),
        _row("eos-pipeline", "consume-transform-produce: 2 pipelines (group, transactions, "
             "send_offsets_to_transaction), read_committed downstream", IDEMPOTENT, READ_COMMITTED,
             guarantees=EOS, pipelines=2),
        _row("plain-pipeline", "the same 2 pipelines without transactions: produce, flush, then commit the "
             "input offsets", IDEMPOTENT, READ_COMMITTED, guarantees=("lost", "single_owner", "eos_missing"),
             anomalies=("eos_duplicate",), pipelines=2, pipeline_transactions=False),
        _row("acks1", "acks=1 (idempotence off): the leader acknowledges alone", {"acks": 1},
             anomalies=("lost",)),
        _row("unclean", "acks=all, idempotent, unclean.leader.election.enable=true", IDEMPOTENT,
             anomalies=("lost",), unclean=True),
        _row("power-loss", "acks=all, idempotent, min.insync=2; every broker loses power at once (blackout)",
             IDEMPOTENT, anomalies=("lost",), profile="blackout"),
        _row("no-idempotence", "acks=all, enable.idempotence=false, retries, 5 in flight",
             {"acks": "all", "enable.idempotence": False}, guarantees=("lost",), anomalies=("reorder",)),
        _row("idempotent-restart", "idempotent producer; after a crash the app re-sends what was not acked",
             IDEMPOTENT, guarantees=("lost",), anomalies=("duplicate",), resend_unacked=True),
        _row("read-uncommitted", "transactional producers, read_uncommitted consumers",
             TRANSACTIONAL, anomalies=("uncommitted_read",), guarantees=("lost",)),
        _row("at-most-once", "group consumers commit, then process (1 s a batch); consumers crash",
             IDEMPOTENT, guarantees=GROUPS + ("processed_twice",), anomalies=("unprocessed",), consumers=2,
             subscribe=True, processing="commit-then-process", process_ms=1_000),
        _row("at-least-once", "group consumers process (1 s a batch), then commit (every 5 s); consumers crash",
             IDEMPOTENT, guarantees=GROUPS + ("unprocessed",), anomalies=("processed_twice",), consumers=2,
             subscribe=True, processing="process-then-commit", process_ms=1_000, commit_interval_ms=5_000),
        _row("static-members", "the same at-least-once consumers as static members (group.instance.id): a crashed "
             "one comes back in its old place without a rebalance", IDEMPOTENT, {**GROUP, "group.instance.id": "worker"},
             guarantees=GROUPS + ("unprocessed",), anomalies=("processed_twice",), consumers=2, subscribe=True,
             processing="process-then-commit", process_ms=1_000, commit_interval_ms=5_000),
        _row("consumer-protocol", "the same at-least-once consumers under the KIP-848 consumer protocol "
             "(group.protocol=consumer): the coordinator assigns, a member revokes before another gets the "
             "partition", IDEMPOTENT, {**GROUP, "group.protocol": "consumer"}, guarantees=GROUPS + ("unprocessed",),
             anomalies=("processed_twice",), consumers=2, subscribe=True, processing="process-then-commit",
             process_ms=1_000, commit_interval_ms=5_000, broker_config=CONSUMER_PROTOCOL_BROKER),
        _row("consumer-protocol-static", "the same as static members: a crashed one leaves nothing (no epoch -2) "
             "and comes back after the session timeout, or is refused while its old member lives",
             IDEMPOTENT, {**GROUP, "group.protocol": "consumer", "group.instance.id": "worker"},
             guarantees=GROUPS + ("unprocessed",), anomalies=("processed_twice",), consumers=2, subscribe=True,
             processing="process-then-commit", process_ms=1_000, commit_interval_ms=5_000,
             broker_config=CONSUMER_PROTOCOL_BROKER),
        _row("share-groups", "share consumers (KIP-932): 2 share consumers in explicit mode, each record processed "
             "(1 s a batch) then accepted; consumers crash, brokers fail", IDEMPOTENT, guarantees=SHARE,
             anomalies=("share_redelivered",), consumers=0, share_consumers=2, process_ms=1_000,
             broker_config=SHARE_BROKER),
        RetentionSetting("retention", "acks=all, idempotent; a consumer that processes 1 record every 2 s, "
                         "retention.ms 60 s on 512-byte segments checked every 1 s: records expire before it reads "
                         "them (OFFSET_OUT_OF_RANGE, reset to the log start)",
                         tuple({"producer_config": RETENTION_PRODUCER, "consumer_config": SLOW_CONSUMER,
                                **RETENTION_WORKLOAD}.items()), RETENTION, ("expired",)),
        CompactionSetting("compaction", "acks=all, idempotent; keyed updates over 8 keys, 20% tombstones, on a "
                          "compacted topic (512-byte segments, min.cleanable.dirty.ratio 0.01, delete.retention.ms "
                          "5 s, cleaner backoff 1 s): each key's last acknowledged write survives compaction",
                          tuple({"producer_config": COMPACTION_PRODUCER, "consumer_config": COMPACTION_CONSUMER,
                                 **COMPACTION_WORKLOAD}.items()), COMPACTION),
        RetentionSetting("tiered", "the retention row with tiered storage: local.retention.ms 5 s, retention.ms "
                         "60 s, remote tasks every 1 s; the slow consumer reads old records from the remote tier "
                         "(expired records allowed, not required)",
                         tuple({"producer_config": RETENTION_PRODUCER, "consumer_config": SLOW_CONSUMER,
                                **TIERED_WORKLOAD}.items()), RETENTION),
    ),
}
MATRICES["quick"] = tuple(s for s in MATRICES["default"]
                          if s.name in ("idempotent", "acks1", "no-idempotence", "at-most-once", "eos-pipeline"))


@dataclass
class Cell:
    runs: int = 0
    first_seed: int | None = None
    seeds: list[int] = field(default_factory=list)        # the first `KEEP_SEEDS` seeds, ascending

    def note(self, seeds: Iterable[int], runs: int) -> None:
        self.runs += runs
        self.seeds = sorted({*self.seeds, *seeds})[:KEEP_SEEDS]
        self.first_seed = self.seeds[0] if self.seeds else None


@dataclass
class Row:
    setting: Setting
    runs: int = 0
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, seed: int, kinds: Iterable[str], seconds: float = 0.0) -> None:
        self.runs += 1
        self.seconds += seconds
        for kind in kinds:
            self.cells.setdefault(kind, Cell()).note([seed], 1)

    def merge(self, other: "Row") -> None:
        """Add another campaign's runs of the same setting (chunks of one campaign)."""
        self.runs += other.runs
        self.seconds += other.seconds
        for kind, c in other.cells.items():
            self.cells.setdefault(kind, Cell()).note(c.seeds, c.runs)

    def count(self, kind: str) -> int:
        cell = self.cells.get(kind)
        return cell.runs if cell is not None else 0

    def broken(self) -> list[str]:
        """Rule 5: the kinds that contradict the row's claims."""
        s = self.setting
        return [k for k in s.guarantees if self.count(k)] + [k for k in s.anomalies if not self.count(k)]

    def verdict(self) -> str:
        broken = self.broken()
        return "ok" if not broken else "BROKEN: " + ", ".join(broken)


# -- running -------------------------------------------------------------------------------------
def _one(job: tuple[Setting, int, int, float]) -> tuple[list[str], float]:
    setting, seed, records, rate = job
    started = time.perf_counter()
    kinds = sorted(setting.run(seed, records, rate).anomalies())
    return kinds, time.perf_counter() - started


def campaign(settings: Sequence[Setting], seeds: Sequence[int], records: int = 120, rate: float = RATE,
             progress: Callable[[str, int], None] | None = None, jobs: int = 1) -> list[Row]:
    """Every setting x every seed (rules 3, 4); `jobs` > 1 runs them in that many processes,
    except under Pyodide, which has none (rule 6: the table is the same)."""
    rows = [Row(s) for s in settings]
    work = [(row, seed) for row in rows for seed in seeds]
    args = [(row.setting, seed, records, rate) for row, seed in work]
    if jobs > 1 and sys.platform != "emscripten":
        with ProcessPoolExecutor(jobs) as pool:
            results: Iterable[tuple[list[str], float]] = pool.map(_one, args, chunksize=4)
            _collect(work, results, progress)
    else:
        _collect(work, map(_one, args), progress)
    return rows


def _collect(work: list[tuple[Row, int]], results: Iterable[tuple[list[str], float]],
             progress: Callable[[str, int], None] | None) -> None:
    for (row, seed), (kinds, seconds) in zip(work, results, strict=True):
        row.add(seed, kinds, seconds)
        if progress is not None:
            progress(row.setting.name, seed)


# -- the table -----------------------------------------------------------------------------------
def _cell(row: Row, kind: str) -> str:
    s, n = row.setting, row.count(kind)
    if n:
        return f"{n} (s{row.cells[kind].first_seed})" + ("!" if kind in s.guarantees else "")
    if kind in s.anomalies:
        return "0!"
    return "0" if kind in s.guarantees else "."


def render_table(rows: Sequence[Row], timing: bool = False) -> str:
    claimed = {k for r in rows for k in r.setting.guarantees + r.setting.anomalies}
    kinds = [k for k in ANOMALIES if k in claimed or any(r.count(k) for r in rows)]
    kinds += sorted({k for r in rows for k in (*r.cells, *r.setting.guarantees, *r.setting.anomalies)
                     if k not in ANOMALIES})          # kinds checkers.py does not list (retention_checks.py)
    name_w = max([len("config")] + [len(r.setting.name) + 2 for r in rows])
    widths = [max(len(k), *(len(_cell(r, k)) for r in rows)) for k in kinds]
    head = f"{'config':<{name_w}}  {'runs':>5}  " + "  ".join(f"{k:<{w}}" for k, w in zip(kinds, widths, strict=True))
    lines = [head + "  verdict" + ("  seconds" if timing else "")]
    for section, title in (("guarantees", "guarantees (Kafka promises 0)"),
                           ("anomalies", "anomalies Kafka really has (must appear)")):
        members = [r for r in rows if r.setting.section == section]
        if not members:
            continue
        lines.append(title)
        for r in members:
            cells = "  ".join(f"{_cell(r, k):<{w}}" for k, w in zip(kinds, widths, strict=True))
            line = f"  {r.setting.name:<{name_w - 2}}  {r.runs:>5}  {cells}  {r.verdict()}"
            lines.append(line + (f"  {r.seconds:7.1f}" if timing else ""))
    lines += ["", "cell: runs with at least one such anomaly (first seed); 0: guaranteed and never seen; "
              ".: no claim; !: contradicts the claim", "replay one: python -m minikafka.chaos --replay CONFIG SEED"]
    lines += [f"  {r.setting.name:<{name_w}}  {r.setting.about} [nemesis: {r.setting.profile}]" for r in rows]
    return "\n".join(lines + _contradictions(rows))


def _contradictions(rows: Sequence[Row]) -> list[str]:
    """The seeds of every guarantee cell that is not 0 (rule 4), to replay them."""
    out = []
    for r in rows:
        for kind in r.setting.guarantees:
            cell = r.cells.get(kind)
            if cell is not None and cell.runs:
                more = f" (first {KEEP_SEEDS})" if cell.runs > len(cell.seeds) else ""
                out.append(f"  {r.setting.name} {kind}: seeds {', '.join(map(str, cell.seeds))}{more}")
    return ["contradicted guarantees:"] + out if out else []


def replay(setting: Setting, seed: int, records: int = 120, rate: float = RATE, history: bool = False,
           limit: int = 5) -> str:
    result = setting.run(seed, records, rate)
    out = [f"config {setting.name} ({setting.about}), seed {seed}", result.report(limit)]
    if history:
        out += ["== full history", result.history.render()]
    return "\n".join(out)


# -- the command line ------------------------------------------------------------------------------
def every_setting() -> dict[str, Setting]:
    return {s.name: s for m in MATRICES.values() for s in m}


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m minikafka.chaos", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=_at_least(1), default=20, help="how many seeds, >= 1 (default 20)")
    ap.add_argument("--first-seed", type=_at_least(None), default=0, help="the first seed (default 0)")
    ap.add_argument("--matrix", default="default", choices=sorted(MATRICES), help="which configurations")
    ap.add_argument("--only", default="", help="comma-separated row names of the matrix to run")
    ap.add_argument("--rate", type=_rate, default=RATE, help=f"faults per virtual second, > 0 (default {RATE:g})")
    ap.add_argument("--records", type=_at_least(1), default=120, help="values sent per run, >= 1 (default 120)")
    ap.add_argument("--replay", nargs=2, metavar=("CONFIG", "SEED"), help="print one run in full")
    ap.add_argument("--history", action="store_true", help="with --replay: also print every history entry")
    ap.add_argument("--limit", type=_at_least(0), default=5, help="with --replay: anomalies shown per checker")
    ap.add_argument("--timing", action="store_true", help="add wall-clock seconds per configuration")
    ap.add_argument("--progress", action="store_true", help="report progress on stderr")
    ap.add_argument("--jobs", type=_at_least(1), default=1, help="worker processes, >= 1 (default 1)")
    return ap


def _at_least(lo: int | None) -> Callable[[str], int]:
    """Rule 7: an argparse type for an integer >= `lo` (None: any integer)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {text!r}")
        return value
    return parse


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of faults per virtual second, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of faults per virtual second > 0, got {text!r}")
    return value


def _chosen(ap: argparse.ArgumentParser, matrix: str, only: str) -> tuple[Setting, ...]:
    settings = MATRICES[matrix]
    if not only:
        return settings
    names = [n for n in only.split(",") if n]
    unknown = [n for n in names if n not in {s.name for s in settings}]
    if unknown or not names:
        what = f"unknown rows {unknown}" if unknown else f"--only names no row, got {only!r}"
        ap.error(f"{what}; rows of {matrix}: {', '.join(s.name for s in settings)}")
    return tuple(s for s in settings if s.name in names)


def main(argv: Sequence[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.replay:
        name, seed = args.replay
        every = every_setting()
        if name not in every:
            ap.error(f"unknown config {name!r}; configs: {', '.join(every)}")
        try:
            seed = _at_least(None)(seed)
        except argparse.ArgumentTypeError:
            ap.error(f"SEED must be an integer, got {seed!r}")
        print(replay(every[name], seed, args.records, args.rate, args.history, args.limit))
        return 0
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    settings = _chosen(ap, args.matrix, args.only)
    progress = (lambda name, seed: print(f"{name} seed {seed}", file=sys.stderr)) if args.progress else None
    print(f"chaos: matrix {args.matrix}, seeds {seeds.start}..{seeds.stop - 1}, {args.records} values per run, "
          f"{args.rate:g} faults/s over 30 s (Nemesis(seed, rate, **PROFILES[profile]))")
    started = time.perf_counter()
    rows = campaign(settings, seeds, args.records, args.rate, progress, args.jobs)
    print(render_table(rows, args.timing))
    if args.timing:
        print(f"total {time.perf_counter() - started:.1f} s wall, {len(rows) * len(seeds)} runs")
    return 0
