"""References for notebook 10, exactly-once: one iteration of a consume-transform-produce loop
(`process_batch`), its configuration (`eos_config`), a pipeline that runs it in a seeded cluster
and crashes it at a chosen point (`run_pipeline`), a pure checker (`exactly_once`), and the
counts the notebook prints for a chaos workload run (`run_counts`; the verdicts come from
minikafka.chaos.checkers).

Rules (Kafka's KIP-98 and KIP-447; Kafka's TransactionManager and its exactly-once demo):
1. The consumer reads in a group with `enable.auto.commit=False` and
   `isolation.level=read_committed`; the producer has a `transactional.id` that stays the same
   for this instance of the pipeline across restarts (idempotence and acks=all come with it).
2. One iteration: begin_transaction, produce the transformed records, send the consumer's
   positions (the next offsets to read) to the transaction with the group's metadata, then
   commit_transaction. Outputs and input offsets commit together or not at all.
3. A restarted instance with the same transactional.id fences the old one (epoch + 1) and has
   its open transaction aborted; the group resumes from the last committed offsets.
4. A step that raises a KafkaException inside the transaction: the iteration aborts the
   transaction and re-raises; `run_pipeline` then rewinds (a new consumer in the group resumes
   from the committed offsets) and goes on with the same producer; a second error stops the
   pipeline. The process can die right after any client call (`crash_at` a number), and a
   dead process can call nothing.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from minikafka.errors import KafkaError, KafkaException

CRASH_POINTS = ("after consume", "after produce", "after send_offsets", "after commit")
INPUT, OUTPUT, GROUP, TXN_ID = "in", "out", "pipeline", "pipeline-0"


# -- rule 1: the configuration -------------------------------------------------------------------
def eos_config(group_id: str, transactional_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(consumer config, producer config) of an exactly-once pipeline instance (rule 1)."""
    consumer = {"group.id": group_id, "enable.auto.commit": False, "isolation.level": "read_committed",
                "auto.offset.reset": "earliest"}
    producer = {"transactional.id": transactional_id}        # implies enable.idempotence, acks=all
    return consumer, producer


# -- rule 2: one iteration of the loop -----------------------------------------------------------
def process_batch(consumer: Any, producer: Any, records: Sequence[Any], transform: Callable[[Any], Any]) -> None:
    """One iteration: the transformed `records` and the consumer's positions, in one transaction."""
    producer.begin_transaction()
    try:
        for m in records:
            producer.produce(OUTPUT, key=m.key(), value=transform(m.value()))
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                             consumer.consumer_group_metadata())
        producer.commit_transaction()
    except KafkaException:
        producer.abort_transaction()          # rule 4: outputs and offsets are dropped together
        raise


def process_batch_plain(consumer: Any, producer: Any, records: Sequence[Any], transform: Callable[[Any], Any]) -> None:
    """The same iteration without a transaction: produce, flush, then commit the offsets."""
    for m in records:
        producer.produce(OUTPUT, key=m.key(), value=transform(m.value()))
    producer.flush()
    consumer.commit(asynchronous=False)


# -- the checker ---------------------------------------------------------------------------------
class Report(NamedTuple):
    inputs: int
    outputs: int
    missing: tuple[str, ...]          # inputs with no output
    duplicated: tuple[str, ...]       # inputs with more than one output
    unexpected: tuple[str, ...]       # outputs that match no input

    @property
    def violations(self) -> int:
        return len(self.missing) + len(self.duplicated) + len(self.unexpected)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def __str__(self) -> str:
        if self.ok:
            return f"exactly once: {self.inputs} inputs, {self.outputs} outputs"
        parts = [f"{name} {list(vals)}" for name, vals in
                 (("missing", self.missing), ("duplicated", self.duplicated), ("unexpected", self.unexpected)) if vals]
        return f"{self.violations} violations ({self.inputs} inputs, {self.outputs} outputs): " + "; ".join(parts)


def exactly_once(inputs: Sequence[str], outputs: Sequence[str], transform: Callable[[str], str] | None = None) -> Report:
    """Does every input appear exactly once among the outputs? `transform` maps an input to the
    output it should produce (default: the identity). Pure: it looks at the two lists only."""
    f = transform or (lambda v: v)
    want: dict[str, str] = {f(v): v for v in inputs}
    count: dict[str, int] = {}
    unexpected = []
    for o in outputs:
        if o in want:
            count[o] = count.get(o, 0) + 1
        else:
            unexpected.append(o)
    missing = tuple(v for v in inputs if count.get(f(v), 0) == 0)
    duplicated = tuple(v for v in inputs if count.get(f(v), 0) > 1)
    return Report(len(inputs), len(outputs), missing, duplicated, tuple(unexpected))


def shout(value: bytes) -> bytes:
    """The pipeline's transform: upper case."""
    return value.upper()


# -- the pipeline in a cluster -------------------------------------------------------------------
CALLS = ("begin_transaction", "produce", "flush", "send_offsets_to_transaction", "commit_transaction",
         "abort_transaction", "commit", "store_offsets")          # the client calls that change something
NAMED = {"after produce": ("produce", 0), "after send_offsets": ("send_offsets_to_transaction", 1),
         "after commit": ("commit_transaction", 1)}               # method, how many calls (0: one per record)
PLAIN_NAMED = {"after produce": ("produce", 0), "after send_offsets": ("commit", 1), "after commit": ("commit", 1)}


class Crash(Exception):
    """The pipeline's process died (raised by the crash hooks, caught by `run_pipeline`)."""


class _Process:
    """One batch of the pipeline's process, seen through its two clients (rule 4): it records the
    calls in CALLS, dies right after the call that `dies_after(calls)` picks, and makes the first
    call of `fail` raise an abortable error instead of running. A dead process can call nothing."""

    def __init__(self, kill: Callable[[], None], dies_after: Callable[[list[str]], bool], fail: str | None) -> None:
        self.calls: list[str] = []
        self.dead, self._kill, self._dies_after, self._fail = False, kill, dies_after, fail

    def wrap(self, client: Any) -> Any:
        return _Client(client, self)

    def die(self, where: str) -> None:
        self.dead = True
        self._kill()
        raise Crash(where)

    def call(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.dead:
            raise Crash(f"{name} after death")
        if name not in CALLS:
            return method(*args, **kwargs)
        if name == self._fail:
            self._fail = None
            self.calls.append(name + " (failed)")
            raise KafkaException(KafkaError("TRANSACTION_ABORTABLE", txn_requires_abort=True))
        out = method(*args, **kwargs)
        self.calls.append(name)
        if self._dies_after(self.calls):
            self.die(name)
        return out


class _Client:
    """A producer or consumer whose calls go through its `_Process`."""

    def __init__(self, inner: Any, process: _Process) -> None:
        self._inner, self._process = inner, process

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._process.call(name, attr, *args, **kwargs)


def _crash_rule(crash_at: str | int | None, records: int, transactional: bool) -> Callable[[list[str]], bool]:
    """When the process dies, given its calls so far in the crash batch (rule 4)."""
    if crash_at is None or crash_at == "after consume":
        return lambda calls: False
    if isinstance(crash_at, int):
        return lambda calls: len(calls) == crash_at
    method, n = (NAMED if transactional else PLAIN_NAMED)[crash_at]
    n = n or records
    return lambda calls: calls[-1] == method and calls.count(method) == n


class PipelineRun(NamedTuple):
    cluster: Any
    inputs: list[str]
    committed: list[str]      # what a read_committed downstream consumer reads from `out`
    uncommitted: list[str]    # what a read_uncommitted one reads
    emails: int               # side effects done inside the loop ("emails sent")
    crashes: int
    report: Report            # exactly_once(inputs, committed)
    calls: list[list[str]]    # the process's client calls in each batch it ran (CALLS only)
    errors: list[str]         # Kafka's names of the errors the process raised


def run_pipeline(seed: int = 1, crash_at: str | int | None = None, crash_batch: int = 0, records: int = 6,
                 batch: int = 3, transactional: bool = True, process: Callable[..., None] | None = None,
                 configure: Callable[[str, str], tuple[dict[str, Any], dict[str, Any]]] = eos_config,
                 fail_at: str | None = None, aborted_inputs: int = 0,
                 names: tuple[str, str] = (GROUP, TXN_ID)) -> PipelineRun:
    """Produce `records` inputs to `in`, then run the pipeline into `out` in batches of up to
    `batch`; in batch number `crash_batch` (from 0) its process dies at `crash_at` and a new
    instance with the same group.id and transactional.id takes over. `crash_at` is one of
    CRASH_POINTS, None (no crash), or a number n: right after the process's n-th client call
    of that batch (0: right after consume). `fail_at` names a call (in CALLS) that raises an
    abortable error, once, in batch `crash_batch` (rule 4). `process` is one iteration
    (default: `process_batch`, or `process_batch_plain` when not `transactional`);
    `configure(group_id, transactional_id)` gives the configs (default: `eos_config`). For the
    plain pipeline "after send_offsets" and "after commit" both mean after `consumer.commit()`.
    `aborted_inputs` more inputs are written to `in` by an upstream transaction that aborts (a
    read_committed pipeline never sees them); `names` are the group.id and transactional.id
    given to `configure`."""
    from minikafka.cluster import Cluster

    if crash_at is not None and not isinstance(crash_at, int) and crash_at not in CRASH_POINTS:
        raise ValueError(f"crash_at must be one of {CRASH_POINTS}, a number or None, got {crash_at!r}")
    process = process or (process_batch if transactional else process_batch_plain)
    c = Cluster(brokers=3, seed=seed, config={"group.initial.rebalance.delay.ms": 0})   # a quicker first join
    for topic in (INPUT, OUTPUT):
        c.create_topic(topic, partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    src = c.producer()
    inputs = [f"order-{i}" for i in range(records)]
    for v in inputs:
        src.produce(INPUT, value=v)
    src.flush()
    if aborted_inputs:
        upstream = c.producer({"transactional.id": "upstream"})
        upstream.init_transactions()
        upstream.begin_transaction()
        for i in range(aborted_inputs):
            upstream.produce(INPUT, value=f"void-{i}")
        upstream.flush()
        upstream.abort_transaction()
    end_of_input = c.partition_state(INPUT, 0).high_watermark
    emails = 0

    def transform(value: bytes) -> bytes:
        nonlocal emails
        emails += 1                                  # "send an email": a side effect outside Kafka
        return shout(value)

    kcfg, pcfg = (dict(d) for d in configure(*names))
    kcfg["session.timeout.ms"] = 6000                # the dead instance leaves the group sooner
    if not transactional:
        kcfg["isolation.level"], pcfg = "read_uncommitted", {"acks": "all"}
    crashes, done, pending = 0, 0, crash_at is not None or fail_at is not None
    calls: list[list[str]] = []
    errors: list[str] = []

    def new_consumer() -> Any:
        k = c.consumer(dict(kcfg))
        k.subscribe([INPUT])
        return k

    for _instance in range(3):
        p = c.producer(dict(pcfg))
        if transactional:
            p.init_transactions()                    # fences the old instance, aborts its transaction
        k = new_consumer()

        def kill(p: Any = p, k: Any = k) -> None:
            p.flush()                                # what it produced reaches the log, then it dies
            c.crash_client(p.name)
            c.crash_client(k.name)
        try:
            while True:
                msgs = k.consume(batch, 10.0)
                if not msgs:
                    break
                now = pending and done == crash_batch
                if now:
                    pending = False
                    crashes += crash_at is not None
                proc = _Process(kill, _crash_rule(crash_at if now else None, len(msgs), transactional),
                                fail_at if now else None)
                if now and crash_at in ("after consume", 0):
                    proc.die("consume")
                calls.append(proc.calls)
                try:
                    process(proc.wrap(k), proc.wrap(p), msgs, transform)
                except KafkaException as e:          # rule 4: rewind to the committed offsets
                    errors.append(e.error.name())
                    if len(errors) > 1:
                        raise Crash("a second error: the pipeline stops") from e
                    k.close()
                    k = new_consumer()
                    continue
                if proc.dead:                        # it swallowed its own death
                    raise Crash("dead")
                done += 1
                if k.position(k.assignment())[0].offset >= end_of_input:      # the end of `in`: stop
                    break
            break
        except Crash:
            if len(errors) > 1:
                break
            c.run(100)
    c.run(200)
    committed = _read(c, "read_committed")
    uncommitted = _read(c, "read_uncommitted")
    return PipelineRun(c, inputs, committed, uncommitted, emails, crashes,
                       exactly_once(inputs, committed, str.upper), calls, errors)


def _read(c: Any, isolation: str) -> list[str]:
    from minikafka import TopicPartition
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": isolation})
    k.assign([TopicPartition(OUTPUT, 0)])
    out = [m.value().decode() for m in k.consume(1000, 1.0)]
    k.close()
    return out


def crash_table(seeds: Sequence[int] = (1, 2), transactional: bool = True,
                process: Callable[..., None] | None = None) -> list[tuple[str, int, int, int, int, int]]:
    """(crash point, seed, crash batch, outputs read_committed, emails, violations) per run."""
    rows = []
    for point in CRASH_POINTS:
        for seed in seeds:
            b = random.Random(f"{point}/{seed}").randrange(2)
            r = run_pipeline(seed, point, b, transactional=transactional, process=process)
            rows.append((point, seed, b, len(r.committed), r.emails, r.report.violations))
    return rows


# -- the chaos section: what happened in a workload run (minikafka.chaos.workload.Result) ---------------
class RunCounts(NamedTuple):
    faults: int        # faults in the schedule, the three that end it included
    killed: int        # crash_client faults that killed a live client of the role (a pipeline: both clients)
    inputs: int        # distinct workload values in the input topics' log: what had to be processed
    logged: int        # records of "out" in its log: the final read_uncommitted read, aborted ones included
    outputs: int       # records of "out" that the final read_committed read returned
    processed: int     # records the group's application processed (processing workloads)
    committed: int     # transactions committed
    aborted: int       # transactions aborted (or never committed: the process died first)


def run_counts(result: Any, role: str = "pipeline") -> RunCounts:
    """Counts for one row of the notebook's tables, read from a workload `Result`: its schedule,
    the faults the nemesis applied (`killed`: crash_client of a `role` slot, not skipped), and
    its history. No verdict here: those come from the checkers (`result.verdicts`)."""
    h = result.history
    killed = sum(1 for a in result.nemesis.applied
                 if a.fault is not None and a.fault.kind == "crash_client"
                 and str(a.fault.arg("client")).startswith(role + "#") and not a.skipped)
    inputs = {r.value for r in h.final_reads("read_uncommitted") if r.topic != "out" and h.by_value(r.value)}
    logged = sum(1 for r in h.final_reads("read_uncommitted") if r.topic == "out")
    outputs = sum(1 for r in h.final_reads("read_committed") if r.topic == "out")
    return RunCounts(len(result.schedule), killed, len(inputs), logged, outputs, len(h.processed),
                     sum(1 for t in h.txns if t.outcome == "committed"),
                     sum(1 for t in h.txns if t.outcome == "aborted"))
