"""Seeded experiments: the trials the labs and notebooks run, as pure functions of their
arguments. The same arguments give the same result, in any process.

Durability (`acks_trial`): 3 brokers, one partition with 3 replicas. A producer writes
`records` records, one per millisecond. The seed picks a fault schedule, the same for every
setting so that settings are compared on the same faults:
1. 0, 1 or 2 followers crash while records flow; the run then pauses long enough
   (`broker.session.timeout.ms`) for the controller to fence them and drop them from the ISR;
2. at a seeded record the leader's machine fails (power loss: it keeps only what the OS had
   written to disk);
3. the followers come back first, then the old leader; then everything settles and a consumer
   reads the partition from the start.
A record is *acknowledged then lost* when the producer reported it delivered and the reader
never sees it. Nothing is scripted: whether a record survives follows from acks, the ISR,
`min.insync.replicas` and the election rules.

Ordering (`ordering_trial`): one producer writes `records` records, one per millisecond,
while the network loses each ProduceRequest and ProduceResponse with `drop_probability`. A
lost request is retried after `request.timeout.ms`, possibly behind later batches
(reordering); a lost response makes the producer resend a batch the broker already wrote (a
duplicate, unless idempotence recognises it). By default the losses start once record 0 is
acknowledged: until a broker holds state for a producer id it accepts any sequence from it
(kafka-semantics.md F.37e), so losses around the very first request can reorder even an
idempotent producer (`warm_up=False` shows it).

Sticky partitioner (`sticky_distribution`): where a real producer puts null-key records.

Every function checks its arguments before it runs anything (cluster_args.py rules 2-3):
a seed is an integer, `records` at least what a trial needs (2 for `acks_trial`, whose fault
schedule picks a record in the second half and followers' crash points before it, 1 for
`ordering_trial`, 0 for `sticky_distribution`), `acks` one of "all", "-1", "0", "1" (or -1,
0, 1), `min_insync` >= 1, flags True or False, `drop_probability` from 0 to 1; an experiment
or sweep checks every setting before its first trial.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from minikafka.clients.message import TopicPartition
from minikafka.cluster import Cluster
from minikafka.cluster_args import check_bool, check_int, check_probability

TOPIC = "t"


@dataclass(frozen=True)
class TrialResult:
    seed: int
    acks: str
    min_insync: int
    unclean: bool
    sent: int
    acked: int               # delivery reports without an error
    failed: int              # delivery reports with an error
    lost: int                # acknowledged, then not in the log
    followers_down: int      # the seed's fault schedule
    crash_at: int            # the record index at which the leader failed


def acks_trial(seed: int, acks: str | int = "all", min_insync: int = 2, unclean: bool = False,
               records: int = 100) -> TrialResult:
    """One seeded durability trial (see the module docstring)."""
    acks = _check_acks_trial(seed, acks, min_insync, unclean, records)
    faults = random.Random(f"acks_trial/{seed}")            # the schedule ignores the settings
    followers_down = faults.choice((0, 1, 2))
    crash_at = faults.randrange(records // 2, records)
    follower_crashes = sorted(faults.randrange(crash_at) for _ in range(followers_down))

    c = Cluster(brokers=3, seed=seed, trace=False)           # only outcomes are counted
    c.create_topic(TOPIC, partitions=1, replication_factor=3,
                   config={"min.insync.replicas": min_insync, "unclean.leader.election.enable": unclean})
    leader = c.partition_state(TOPIC, 0).leader
    followers = [r.broker for r in c.partition_state(TOPIC, 0).replicas if r.broker != leader]
    down = followers[:followers_down]
    acked: set[bytes] = set()
    failed = 0

    def report(err: Any, msg: Any) -> None:
        nonlocal failed
        if err is None:
            acked.add(msg.value())
        else:
            failed += 1

    p = c.producer({"acks": acks, "linger.ms": 0})
    pause = c.config["broker.session.timeout.ms"] + 1000
    for i in range(records):
        p.produce(TOPIC, value=b"%d" % i, on_delivery=report)
        c.run(1)
        for at, b in zip(follower_crashes, down, strict=True):
            if at == i:                 # then long enough for the controller to fence it
                c.crash_broker(b)
                c.run(pause)
        if i == crash_at:
            c.crash_broker(leader, power_loss=True)
    c.run(pause)
    for b in down:
        c.restart_broker(b)
    c.run(pause)
    c.restart_broker(leader)
    p.flush()
    c.run(pause)
    seen = _read_back(c)
    return TrialResult(seed, acks, min_insync, unclean, records, len(acked), failed, len(acked - seen),
                       followers_down, crash_at)


ACKS = ("all", "-1", "0", "1")
ACKS_TRIAL_SETTINGS = ("acks", "min_insync", "unclean")


def _check_acks_trial(seed: Any, acks: Any, min_insync: Any, unclean: Any, records: Any) -> str:
    """The module docstring's checks for `acks_trial`; returns `acks` as its label ("all", "1", ...)."""
    check_int("seed", seed)
    if isinstance(acks, bool) or str(acks) not in ACKS or not isinstance(acks, (str, int)):
        raise ValueError(f"acks must be one of 'all', '-1', '0', '1' (or -1, 0, 1), got {acks!r}")
    check_int("min_insync", min_insync, 1)
    check_bool("unclean", unclean)
    check_int("records", records, 2)
    return str(acks)


def _read_back(c: Cluster) -> set[bytes]:
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition(TOPIC, 0)])
    seen: set[bytes] = set()
    while True:
        got = k.consume(1000, 1.0)
        if not got:
            break
        seen.update(m.value() for m in got if m.error() is None)
    k.close()
    return seen


@dataclass(frozen=True)
class ExperimentRow:
    """One setting over many seeds."""

    label: str
    setting: tuple[tuple[str, Any], ...]     # sorted (name, value) pairs
    seeds: tuple[int, ...]
    lost: tuple[int, ...]                    # acknowledged-then-lost records, per seed
    acked: tuple[int, ...]

    @property
    def trials_with_loss(self) -> int:
        return sum(1 for n in self.lost if n)


def _setting(s: Any) -> dict[str, Any]:
    if not isinstance(s, Mapping):
        raise TypeError(f"a setting is a dict of acks_trial arguments ({', '.join(ACKS_TRIAL_SETTINGS)}), got {s!r}")
    unknown = [k for k in s if k not in ACKS_TRIAL_SETTINGS]
    if unknown:
        raise ValueError(f"unknown acks_trial setting {unknown[0]!r}; settings: {', '.join(ACKS_TRIAL_SETTINGS)}")
    return dict(s)


def setting_label(setting: Mapping[str, Any]) -> str:
    """`acks=1 min.insync=2`, plus `unclean` when unclean election is on."""
    label = f"acks={setting.get('acks', 'all')} min.insync={setting.get('min_insync', 2)}"
    return label + (" unclean" if setting.get("unclean") else "")


def acks_experiment(settings: Iterable[Mapping[str, Any]], seeds: Iterable[int], records: int = 100,
                    on_trial: Callable[[int, int], None] | None = None) -> list[ExperimentRow]:
    """Run `acks_trial` for every setting (keyword arguments of `acks_trial`: acks,
    min_insync, unclean) and every seed. `on_trial(done, total)` is called after each trial
    (a progress bar listens there)."""
    settings, seeds = [_setting(s) for s in settings], list(seeds)
    for s in settings:
        for seed in seeds:
            _check_acks_trial(seed, s.get("acks", "all"), s.get("min_insync", 2), s.get("unclean", False), records)
    total, done = len(settings) * len(seeds), 0
    rows = []
    for s in settings:
        results = []
        for seed in seeds:
            results.append(acks_trial(seed, records=records, **s))
            done += 1
            if on_trial is not None:
                on_trial(done, total)
        rows.append(ExperimentRow(setting_label(s), tuple(sorted(s.items())), tuple(seeds),
                                  tuple(r.lost for r in results), tuple(r.acked for r in results)))
    return rows


# -- ordering ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderingResult:
    seed: int
    max_in_flight: int
    idempotent: bool
    drop_probability: float
    sent: int
    order: tuple[int, ...]          # the record numbers in partition (offset) order
    failed: tuple[int, ...]         # records whose delivery was reported failed
    retries: int

    @property
    def duplicated(self) -> bool:
        return len(set(self.order)) != len(self.order)

    @property
    def reordered(self) -> bool:
        firsts = list(dict.fromkeys(self.order))
        return firsts != sorted(firsts)

    @property
    def missing(self) -> tuple[int, ...]:
        present = set(self.order)
        return tuple(i for i in range(self.sent) if i not in present)

    def __str__(self) -> str:
        flags = [name for name, on in (("REORDERED", self.reordered), ("DUPLICATED", self.duplicated)) if on]
        return (f"max.in.flight={self.max_in_flight} idempotence={self.idempotent} "
                f"drop={self.drop_probability:g} seed={self.seed}: {' '.join(map(str, self.order))}"
                f"  [{', '.join(flags) or 'in order, no duplicates'}]"
                + (f" missing {list(self.missing)}" if self.missing else ""))


def ordering_trial(seed: int, max_in_flight: int = 5, idempotent: bool = False, drop_probability: float = 0.1,
                   records: int = 20, warm_up: bool = True) -> OrderingResult:
    """One seeded ordering trial (see the module docstring). With `warm_up`, the losses start
    once record 0 is acknowledged; without it, they may hit the producer's very first request."""
    _check_ordering_trial(seed, max_in_flight, idempotent, drop_probability, records, warm_up)
    c = Cluster(brokers=3, seed=seed)
    c.create_topic(TOPIC, partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all", "linger.ms": 0, "enable.idempotence": idempotent,
                    "max.in.flight.requests.per.connection": max_in_flight})
    failed: list[int] = []
    for i in range(records):
        p.produce(TOPIC, value=b"%d" % i,
                  on_delivery=lambda err, msg: err is not None and failed.append(int(msg.value())))
        if i == 0 and warm_up:
            p.flush()
        if i == 0 and drop_probability > 0:
            c.drop("ProduceRequest", probability=drop_probability)
            c.drop("ProduceResponse", probability=drop_probability)
        c.run(1)
    p.flush()
    c.clear_rules()
    c.run(1000)
    order = tuple(int(v) for _, _, v in c.log(TOPIC, 0))
    retries = len(c.trace.filter(name="produce.retry", node=p.name))
    return OrderingResult(seed, max_in_flight, idempotent, drop_probability, records, order,
                          tuple(sorted(failed)), retries)


def _check_ordering_trial(seed: Any, max_in_flight: Any = 5, idempotent: Any = False, drop_probability: Any = 0.1,
                          records: Any = 20, warm_up: Any = True) -> None:
    check_int("seed", seed)
    check_int("max_in_flight", max_in_flight, 1)
    check_bool("idempotent", idempotent)
    check_probability("drop_probability", drop_probability)
    check_int("records", records, 1)
    check_bool("warm_up", warm_up)


def ordering_sweep(seeds: Iterable[int], **kw: Any) -> dict[str, int]:
    """How many of `seeds` end reordered, duplicated, or with records missing."""
    out = {"trials": 0, "reordered": 0, "duplicated": 0, "missing": 0}
    seeds = list(seeds)
    for seed in seeds:
        _check_ordering_trial(seed, **kw)
    for seed in seeds:
        r = ordering_trial(seed, **kw)
        out["trials"] += 1
        out["reordered"] += r.reordered
        out["duplicated"] += r.duplicated
        out["missing"] += bool(r.missing)
    return out


def lost_by_setting(rows: Sequence[ExperimentRow]) -> dict[str, tuple[int, ...]]:
    """Plain data for `viz.experiment_figure`: setting label -> lost records per seed."""
    return {r.label: r.lost for r in rows}


# -- the sticky partitioner ------------------------------------------------------------------
def sticky_distribution(seed: int, partitions: int, records: int, batch_size: int = 1024,
                        value_size: int = 100, linger_ms: int = 5) -> list[int]:
    """How many of `records` null-key records a real producer puts on each partition, with
    the uniform sticky partitioner (one broker, one record per millisecond)."""
    check_int("seed", seed)
    check_int("partitions", partitions, 1, 9_999)
    check_int("records", records, 0)
    check_int("value_size", value_size, 0)
    counts = [0] * partitions
    if records <= 0:
        return counts
    c = Cluster(brokers=1, seed=seed)
    c.create_topic(TOPIC, partitions=partitions, replication_factor=1)
    p = c.producer({"batch.size": batch_size, "linger.ms": linger_ms, "acks": "1"})
    value = b"x" * value_size

    def count(err: Any, msg: Any) -> None:
        counts[msg.partition()] += 1

    for _ in range(records):
        p.produce(TOPIC, value=value, on_delivery=count)
        c.run(1)
    p.flush()
    return counts
