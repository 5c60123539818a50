"""References for notebook 08, transactions: what a read_committed consumer returns, the last
stable offset, and (in internal_topics.py, `partition_for`) where a transactional id's coordinator
lives.

Rules (KIP-98; Kafka's CompletedFetch for what read_committed returns, and ProducerStateManager
for the last stable offset):
1. A partition's log is a list of batches in offset order. A data batch holds records of one
   producer id, transactional or not. A control batch holds one transaction marker (COMMIT or
   ABORT) of one producer id and takes one offset. Control batches are never returned to the
   application, at either isolation level: consumers see gaps in the offsets.
2. The aborted index (what a read_committed fetch response carries) lists (producer id, first
   offset) for every aborted transaction. A read_committed consumer drops producer p's
   transactional batches from that first offset up to p's ABORT marker; everything else it
   returns, in offset order (Kafka's CompletedFetch). Aborted records stay in the log:
   read_uncommitted consumers return them.
3. LSO = min(HW, the first offset of every open transaction, the first offset of every decided
   transaction whose marker is not yet below the HW). read_committed consumers read up to the
   LSO, read_uncommitted ones up to the HW.
4. A transaction starts on a partition with its first record there, not at begin_transaction().
   A new instance of a transactional.id (init_transactions) aborts the open transaction of the
   old instance. `steps_after` predicts, by rules 1-4, what a read_committed consumer returns
   after a sequence of steps; `run_steps` runs the steps in a cluster.
5. A Produce delayed in the network past its transaction's ABORT marker opens a transaction on
   its partition that no coordinator knows (a hanging transaction: the LSO stays below the HW
   for good), unless the leader checks with the coordinator before the write: partition
   verification under transaction.version=1, always under transaction.version=2 (KIP-890).
   `late_write_hangs` predicts it; `run_late_write` builds it by its mechanism.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

from minikafka.storage.transaction_index import TxnIndex

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


class Batch(NamedTuple):
    """One batch of a partition's log, as exercise 8.1 sees it."""

    offset: int                     # base offset: the offset of its first record
    producer_id: int                # -1: a producer without a producer id
    values: tuple[str, ...]         # the records' values, one offset each; () for a marker
    transactional: bool = False
    marker: str | None = None       # "COMMIT" or "ABORT" for a control batch (one offset), else None


# -- rules 1-2: what read_committed returns ----------------------------------------------------
def read_committed(batches: Sequence[Batch], aborted: Sequence[tuple[int, int]]) -> list[str]:
    """The values a read_committed consumer returns when it reads this whole log from offset 0
    (every transaction in it decided and the LSO at its end), in offset order (rules 1-2)."""
    index = sorted(aborted, key=lambda a: a[1])
    aborting: set[int] = set()
    i = 0
    out: list[str] = []
    for b in batches:
        last = b.offset + max(len(b.values), 1) - 1
        while i < len(index) and index[i][1] <= last:       # aborted transactions that began by now
            aborting.add(index[i][0])
            i += 1
        if b.marker is not None:
            if b.marker == "ABORT":
                aborting.discard(b.producer_id)             # its aborted transaction ends here
            continue
        if b.transactional and b.producer_id in aborting:
            continue
        out.extend(b.values)
    return out


def read_uncommitted(batches: Sequence[Batch]) -> list[str]:
    """The values a read_uncommitted consumer returns from the same log: every record (rule 1)."""
    return [v for b in batches if b.marker is None for v in b.values]


def log_batches(cluster: "Cluster", topic: str, partition: int = 0) -> tuple[list[Batch], list[tuple[int, int]]]:
    """(batches, aborted index) of the leader's log of one partition, below its high watermark:
    the arguments `read_committed` takes for that partition."""
    st = cluster.partition_state(topic, partition)
    r = cluster.broker(st.leader).replicas[(topic, partition)]
    batches = []
    for b in r.log.batches:
        if b.base_offset >= r.hw:
            break
        if b.control:
            batches.append(Batch(b.base_offset, b.producer_id, (), True, b.control_type))
        else:
            values = tuple(rec.value.decode() if rec.value is not None else "" for rec in b.records)
            batches.append(Batch(b.base_offset, b.producer_id, values, b.transactional))
    aborted = [(a.producer_id, a.first_offset) for a in r.txn.aborted if a.last_offset < r.hw]
    return batches, aborted


def describe(batches: Sequence[Batch]) -> str:
    """A log in one line: `0-1:[a,b] txn pid 7 | 2:ABORT pid 7 | 3:[c]`."""
    parts = []
    for b in batches:
        if b.marker is not None:
            parts.append(f"{b.offset}:{b.marker} pid {b.producer_id}")
            continue
        where = f"{b.offset}" if len(b.values) == 1 else f"{b.offset}-{b.offset + len(b.values) - 1}"
        who = (" txn" if b.transactional else "") + (f" pid {b.producer_id}" if b.producer_id >= 0 else "")
        parts.append(f"{where}:[{','.join(b.values)}]{who}")
    return " | ".join(parts) or "(empty)"


def random_log(rng: random.Random) -> tuple[list[Batch], list[tuple[int, int]]]:
    """A random decided log as a partition could hold it: plain batches and the transactions
    of up to three producers (7, 8, 9), interleaved, each ended by its marker; and its aborted
    index."""
    batches: list[Batch] = []
    aborted: list[tuple[int, int]] = []
    open_from: dict[int, int] = {}
    offset = 0
    n = 0
    for _ in range(rng.randrange(1, 12)):
        pid = rng.choice([-1, 7, 8, 9])
        if pid in open_from and rng.random() < 0.45:
            kind = rng.choice(["COMMIT", "ABORT"])
            batches.append(Batch(offset, pid, (), True, kind))
            if kind == "ABORT":
                aborted.append((pid, open_from[pid]))
            del open_from[pid]
            offset += 1
            continue
        values = tuple(f"{'p' if pid < 0 else 'abc'[pid - 7]}{n + i}" for i in range(rng.randrange(1, 4)))
        n += len(values)
        if pid >= 0 and pid not in open_from:
            open_from[pid] = offset
        batches.append(Batch(offset, pid, values, pid >= 0))
        offset += len(values)
    for pid in sorted(open_from):                       # decide what is still open
        kind = rng.choice(["COMMIT", "ABORT"])
        batches.append(Batch(offset, pid, (), True, kind))
        if kind == "ABORT":
            aborted.append((pid, open_from[pid]))
        offset += 1
    return batches, aborted


def simulated_log(seed: int) -> tuple[list[Batch], list[tuple[int, int]], list[str]]:
    """Run a small random transactional workload in a real cluster and return the partition's
    log as (batches, aborted index) and what a real read_committed consumer returned from it."""
    from minikafka.clients.message import TopicPartition
    from minikafka.cluster import Cluster
    rng = random.Random(f"nb08-log-{seed}")
    c = Cluster(brokers=1, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=1)
    plain = c.producer({"linger.ms": 0})
    txn = {name: c.producer({"transactional.id": name, "linger.ms": 0}) for name in ("a", "b")}
    for p in txn.values():
        p.init_transactions()
    open_: set[str] = set()
    n = 0
    for _ in range(rng.randrange(3, 9)):
        name = rng.choice(["plain", "a", "b"])
        if name in open_ and rng.random() < 0.4:
            _end(txn[name], rng)
            open_.discard(name)
            continue
        if name != "plain" and name not in open_:
            txn[name].begin_transaction()
            open_.add(name)
        p = plain if name == "plain" else txn[name]
        for _ in range(rng.randrange(1, 3)):
            p.produce("t", value=f"{name[0]}{n}")
            n += 1
        p.flush()
    for name in sorted(open_):
        _end(txn[name], rng)
    c.run(50)
    k = c.consumer({"isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    seen = [m.value().decode() for m in k.consume(1000, 0.5)]
    batches, aborted = log_batches(c, "t", 0)
    return batches, aborted, seen


def _end(producer: Any, rng: random.Random) -> None:
    if rng.random() < 0.5:
        producer.commit_transaction()
    else:
        producer.abort_transaction()


# -- rule 3: the last stable offset ------------------------------------------------------------
def last_stable_offset(high_watermark: int, open_first_offsets: Sequence[int],
                       decided: Sequence[tuple[int, int]] = ()) -> int:
    """Rule 3, computed by the simulator's own transaction index (txn_index.TxnIndex.lso).

    open_first_offsets: the first offset of each open transaction. decided: (first offset,
    marker offset) of each transaction whose marker is written."""
    index = TxnIndex()
    index.ongoing = {pid: first for pid, first in enumerate(open_first_offsets)}
    index.unreplicated = [(first, marker) for first, marker in decided]
    return index.lso(high_watermark)


# -- rule 4: predict, then run (exercise 8.1) --------------------------------------------------
PLAIN = "P"                                     # the one producer outside any transaction
ACTIONS = ("begin", "commit", "abort", "restart")


def parse_step(step: str) -> tuple[str, str]:
    """"A:begin" -> ("A", "begin"); "P:p1" -> ("P", "p1") (a record with value p1)."""
    who, _, what = step.partition(":")
    if not who or not what:
        raise ValueError(f"a step is 'who:what', got {step!r}")
    return who, what


def steps_after(steps: Sequence[str]) -> list[str]:
    """The values a read_committed consumer returns, from offset 0, after `steps` (rules 1-4):
    committed and plain records in log order, up to the first record of a transaction still
    open; aborted transactions' records left out."""
    log: list[tuple[str, int | None]] = []        # (value, transaction number or None)
    fate: dict[int, str] = {}                     # transaction number -> open, commit, abort
    current: dict[str, int] = {}                  # who -> its open transaction's number
    for step in steps:
        who, what = parse_step(step)
        if what == "begin":
            current[who] = len(fate)
            fate[current[who]] = "open"
        elif what in ("commit", "abort"):
            fate[current.pop(who)] = what
        elif what == "restart":
            if who in current:
                fate[current.pop(who)] = "abort"
        else:
            log.append((what, current.get(who) if who != PLAIN else None))
    out: list[str] = []
    for value, txn in log:
        if txn is not None and fate[txn] == "open":
            break                                 # the LSO: the first record of an open transaction
        if txn is None or fate[txn] == "commit":
            out.append(value)
    return out


def run_steps(steps: Sequence[str], seed: int = 1) -> tuple["Cluster", list[str]]:
    """Run `steps` in a 1-broker cluster, topic "t" with one partition: "P:v" is a plain
    producer's record v; "A:v" a record v of the producer whose transactional.id is "A", inside
    its open transaction; "A:begin", "A:commit", "A:abort"; "A:restart" starts a new instance of
    "A" (init_transactions), the old one is never used again. Each record is flushed before the
    next step. Returns the cluster and what a read_committed consumer returns from offset 0."""
    from minikafka.clients.message import TopicPartition
    from minikafka.cluster import Cluster
    c = Cluster(brokers=1, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=1)
    plain = c.producer({"linger.ms": 0})
    producers: dict[str, Any] = {}
    for step in steps:
        who, what = parse_step(step)
        if who != PLAIN and (who not in producers or what == "restart"):
            producers[who] = c.producer({"transactional.id": who, "linger.ms": 0})
            producers[who].init_transactions()
        p = plain if who == PLAIN else producers[who]
        if what == "begin":
            p.begin_transaction()
        elif what == "commit":
            p.commit_transaction()
        elif what == "abort":
            p.abort_transaction()
        elif what != "restart":
            p.produce("t", value=what)
            p.flush()
    c.run(50)
    k = c.consumer({"isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    seen = [m.value().decode() for m in k.consume(1000, 0.5)]
    k.close()
    return c, seen


def simulated_steps_after(steps: Sequence[str]) -> list[str]:
    """What a real read_committed consumer returns after `run_steps(steps)` (the oracle of
    exercise 8.1)."""
    return run_steps(steps)[1]


def random_steps(rng: random.Random, length: int) -> list[str]:
    """A valid random sequence of `length` steps for producers P (plain), A and B."""
    steps: list[str] = []
    open_: set[str] = set()
    n = 0
    while len(steps) < length:
        who = rng.choice([PLAIN, "A", "A", "B", "B"])
        if who == PLAIN:
            steps.append(f"P:p{n}")
            n += 1
        elif who not in open_:
            what = "restart" if rng.random() < 0.1 else "begin"
            steps.append(f"{who}:{what}")
            if what == "begin":
                open_.add(who)
        else:
            roll = rng.random()
            if roll < 0.55:
                steps.append(f"{who}:{who.lower()}{n}")
                n += 1
            else:
                steps.append(f"{who}:" + ("commit" if roll < 0.75 else "abort" if roll < 0.92 else "restart"))
                open_.discard(who)
    return steps


# -- rule 5: a late write, the hanging transaction (exercise 8.4) ------------------------------
REQUEST_TIMEOUT_MS = 30_000                     # the producer's request.timeout.ms (default)


def late_write_hangs(transaction_version: int, verification: bool, delay_ms: int) -> bool:
    """Rule 5 (KIP-890; kafka-semantics.md S.202): does one Produce of an open transaction,
    delayed `delay_ms` in the network before the abort, leave the partition with a transaction
    no coordinator knows (LSO stuck below the HW)?

    The abort waits for the produce's answer, or for its request.timeout.ms: a write answered
    in time lands before the ABORT marker. One delayed past the timeout arrives after the marker
    and opens a new transaction, unless the leader checks with the coordinator first: under v1
    only with transaction.partition.verification.enable, under v2 always (the leader adds the
    partition, and the old epoch is refused)."""
    late = delay_ms > REQUEST_TIMEOUT_MS
    return late and transaction_version == 1 and not verification


def run_late_write(transaction_version: int, verification: bool, delay_ms: int,
                   seed: int = 3) -> tuple["Cluster", Any, int]:
    """Build it by its mechanism: a transaction writes to partition p of "t" (a partition whose
    leader is not the coordinator), its next ProduceRequest is delayed `delay_ms` in the network,
    the application aborts, and the cluster runs 60 s. Returns (cluster, producer, p)."""
    from minikafka.cluster import Cluster
    from minikafka.coordinator.internal_topics import TRANSACTION_STATE, partition_for
    c = Cluster(brokers=3, seed=seed, features={"transaction.version": transaction_version},
                config={"transaction.partition.verification.enable": verification})
    c.create_topic("t", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    coordinator = c.partition_state(TRANSACTION_STATE, partition_for("tx", 50)).leader
    part = next(q for q in range(3) if c.partition_state("t", q).leader != coordinator)
    p.begin_transaction()
    p.produce("t", value="first", partition=part)
    p.flush()
    c.delay("ProduceRequest", ms=delay_ms, count=1, src=p.name, dst=c.partition_state("t", part).leader)
    p.produce("t", value="late", partition=part)
    p.poll(0.01)
    p.abort_transaction()
    c.run(60_000)
    return c, p, part


def simulated_late_write_hangs(transaction_version: int, verification: bool, delay_ms: int) -> bool:
    """What the cluster does after `run_late_write` (the oracle of exercise 8.4): is the LSO of
    the partition stuck below its high watermark?"""
    c, _p, part = run_late_write(transaction_version, verification, delay_ms)
    state = c.partition_state("t", part)
    return state.last_stable_offset < state.high_watermark
