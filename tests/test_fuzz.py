"""A stateful property-based fuzzer of minikafka's public API (issue 15).

`FuzzMachine` (a hypothesis `RuleBasedStateMachine`) builds one small seeded cluster (2-3
brokers, its seed and constructor arguments chosen by hypothesis, valid or not) and then drives
random sequences of public calls on it, with valid and invalid arguments: topics (good and bad
names, partition counts, replication factors, configs; create_partitions, alter_topic_config),
producers and consumers with random configs (good keys with good and bad values, unknown and
unmodelled keys, cross-key conflicts), produce with keys, values, partitions, timestamps,
headers and callbacks of every wrong type, poll/flush/consume with odd timeouts,
assign/seek/position/commit/committed/get_watermark_offsets with TopicPartitions of wrong types
and plain tuples, subscribe/unsubscribe/unassign, transactional calls in any order (and on
non-transactional producers), send_offsets_to_transaction, calls on closed and crashed clients,
every fault (crash/restart with and without power loss, crash_client, cut/heal/heal_all/isolate,
drop/delay with odd kinds, counts, probabilities and ends, set_latency/set_loss, clear_rules,
remove_rule), time (run/step/run_until_idle with odd values) and the views (partition_state,
log, group_state, group_lag, topic_config, repr, and viz's text tables).

After every call it checks:
1. Only documented exceptions escape, and only synchronously from the call itself:
   - `KafkaException` (and so `ConfigException`) from any call;
   - `TypeError` / `ValueError` only from a call that was given a bad or doubtful argument;
   - `RuntimeError` only from the fault calls whose state it names (crash_broker of a broker
     that is down, restart_broker of one that runs, crash_client of a crashed client): not in
     the issue's list, but cluster.py raises it on purpose with a clear message, so the fuzzer
     accepts it there and nowhere else;
   - `BufferError` only from `produce` (confluent-kafka's "queue full");
   anything else (AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError, ...)
   is a defect, and so is ANY exception raised inside a simulation event (caught in
   `Simulation._run`: an exception out of `c.run()`, or out of a blocking client call that
   was raised by the simulation rather than by the call's own argument checks).
2. A call given a definitely bad argument (a wrong type, a value outside the documented or
   Kafka range, a closed or crashed client) is refused; a doubtful one ("odd": e.g. a value
   Kafka accepts but minikafka may refuse as not modelled) may go either way.
3. A refused call that ran no simulation event leaves the visible state as it was (topics,
   clients, network cuts and rules, brokers, assignments and positions, producer queues).
4. `c.now` is an int and never goes back; `invariants.check_all(c)` is empty right after the
   call, and again after a short `c.run(100)`, which must move `c.now` by exactly 100.
5. Every Message handed out (delivery reports, poll, consume) answers all its accessors, with
   `timestamp()` a pair of ints; a delivery callback runs at most once, never for a record
   that produce() refused, never without an error for a write to an internal topic, and after
   `flush()` returned 0 every callback of that producer ran.
6. No hang. Deterministically: a call may run at most 20,000 events at one virtual
   millisecond (time stopped), at most 500,000 events in all, and at most 10 virtual minutes
   (no call here waits longer than its documented bound, 2 minutes). A call asked to wait
   with no limit (a producer's `poll(None)`, any call given `inf`) may use its budget up: the
   fuzzer stops it and goes on. A wall-clock SIGALRM of 120 s per call is only a backstop for
   loops that run no events at all, never a timing check.

Decisions where the documentation is unclear (written here as the fuzzer's contract):
- Booleans are not integers: `partition=True`, `run(True)`, `latency_ms=True` are bad.
- Arguments are built inside the call: `TopicPartition("t", 0, "5")` refusing its own offset
  counts as the call refusing it. A TopicPartition's offset is unused by position(),
  committed() and get_watermark_offsets(), so a non-int offset there is doubtful.
- `latency_ms=0` / `set_latency(..., 0)` and `create_topic(partitions=-1)` (Kafka's "broker
  default") are doubtful; an unused argument (a closed producer's close timeout, the timeout
  of `get_watermark_offsets(cached=True)`) is doubtful too.
- A timeout is seconds, None or negative meaning no limit (client.py); `nan`, strings and
  bools are bad, `inf` is doubtful (may mean no limit, or be refused) but may not raise
  OverflowError.
- `power_loss` and `asynchronous` take bools; other strings are bad ("no" is not False),
  0/1/None are doubtful.
- `produce(partition=p)`: an int >= 0 or -1/None (any partition); other negatives are doubtful.
  `timestamp` is an int >= 0 in ms (0: now) or None (doubtful); negatives and other types are
  bad (Kafka refuses a negative timestamp). Header names are str, header values bytes, str or
  None; anything else is bad.
- A client producer's write to `__consumer_offsets` or `__transaction_state` may be refused
  at once or by the broker (Kafka: INVALID_TOPIC_EXCEPTION in the delivery report), but its
  delivery report may never say it succeeded (issue 15). Creating them by hand is doubtful.
- A topic whose name collides with another after '.' -> '_' is bad (Kafka refuses it).
- Broker, client and node ids are ints in 1..N or the existing names; `cut(a, a)` is bad.
- `drop`/`delay`: count None or an int >= 1 (0 is doubtful); probability a number in [0, 1];
  ms an int >= 0; kind a message kind or "*".
- Config keys the issue names as "accepted but not modelled" (retention.ms, max.message.bytes,
  message.timestamp.type, max.partition.fetch.bytes, max.poll.records) and values that hang
  today (metadata.max.age.ms=0, fetch.max.wait.ms=0, page_cache_flush_ms=0,
  replica.lag.time.max.ms=1, ...) are doubtful: refusing them is fine, accepting them means
  they must work (no hang). heartbeat.interval.ms >= session.timeout.ms with a group.id is bad
  (Java's Heartbeat refuses it), and so is max.in.flight.requests.per.connection > 5 unless
  idempotence is explicitly off.
- An explicit client.id that names an existing node may be refused; a client without a
  client.id must always get a name that works.
- A refused call that raised a retriable error (`_TIMED_OUT`) may have begun (a transactional
  call resumes when called again: transaction_manager.py rule 8); rule 3 does not apply.

Failures carry a runnable reproduction: the minikafka calls of the (shrunk) example, in
order, with `check()` standing for the invariant step. Settings: 1,000 examples of up to 20
steps, derandomized and without a database, so CI checks the same examples every run
(`MINIKAFKA_FUZZ_EXAMPLES` and `MINIKAFKA_FUZZ_STEPS` change the size).
`python tests/bench_fuzz.py` runs the same machine for 20,000 examples and lists every
distinct defect it finds.
"""
from __future__ import annotations

import functools
import math
import os
import re
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappush
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import minikafka.cluster as cluster_module
from minikafka import Cluster, KafkaException, TopicPartition, invariants, viz
from minikafka.clients.message import OFFSET_INVALID, Message
from minikafka.sim.kernel import Event, Simulation

# -- guards: hangs and exceptions inside the simulation ---------------------------------------

SAME_MS_EVENTS = 20_000          # events at one virtual ms before we call it a hang
CALL_EVENTS = 500_000            # events one call may run
CALL_VIRTUAL_MS = 10 * 60_000    # virtual time one call may take
WALL_BACKSTOP_S = 120            # wall-clock backstop for loops that run no events


class Hang(BaseException):
    """Raised by the guards (BaseException: no library code may swallow it)."""

    def __init__(self, how: str, where: str) -> None:
        super().__init__(f"{how} (last event: {where})")
        self.how, self.where = how, where


class Interrupted(BaseException):
    """The fuzzer stopped a call that may rightly wait forever (a producer's poll(None))."""


class EventCrash(BaseException):
    """An exception raised inside a simulation event, carried out of the simulation."""

    def __init__(self, exc: Exception, where: str) -> None:
        super().__init__(f"{type(exc).__name__}: {exc} (in event {where})")
        self.exc, self.where = exc, where


def _event_name(ev: Event) -> str:
    fn, args = ev.fn, ev.args or ()
    if getattr(fn, "__name__", "") == "_fire" and len(args) >= 2:    # Node.after: (incarnation, fn, args)
        fn = args[1]
    return getattr(fn, "__qualname__", type(fn).__name__)


class GuardedSimulation(Simulation):
    """The kernel with budgets (see the module docstring, rule 6) and exceptions from events
    wrapped in EventCrash. Only the fuzzer's clusters use it."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.streak = 0
        self.call_events = 0
        self.call_deadline: int | None = None
        self.unbounded = False

    def _run(self, ev: Event) -> None:
        name = _event_name(ev)
        if ev.time == self.now:
            self.streak += 1
            if self.streak > SAME_MS_EVENTS:
                raise Hang(f"virtual time stopped at {self.now} ms: {SAME_MS_EVENTS:,} events in one ms", name)
        else:
            self.streak = 0
        self.call_events += 1
        over = None
        if self.call_events > CALL_EVENTS:
            over = f"one call ran more than {CALL_EVENTS:,} events"
        elif self.call_deadline is not None and ev.time > self.call_deadline:
            over = f"one call ran more than {CALL_VIRTUAL_MS // 60_000} virtual minutes"
        if over is not None:
            if self.unbounded:              # put the event back (it is next, as it was) and stop the call
                heappush(self._heap, (ev.time, -1, ev))
                raise Interrupted()
            raise Hang(over, name)
        try:
            super()._run(ev)
        except (Hang, EventCrash):
            raise
        except Exception as exc:
            raise EventCrash(exc, name) from exc


@contextmanager
def guarded(sim: Simulation | None, unbounded: bool = False) -> Iterator[None]:
    """Budgets for one call, and the wall-clock backstop (main thread only). An `unbounded`
    call (one asked to wait with no limit) that uses up its budget is stopped, not failed."""
    if isinstance(sim, GuardedSimulation):
        sim.call_events = 0
        sim.call_deadline = sim.now + CALL_VIRTUAL_MS
        sim.unbounded = unbounded
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    old: Any = None
    if use_alarm:
        def on_alarm(signum: int, frame: Any) -> None:
            raise Hang(f"no return after {WALL_BACKSTOP_S} s of wall time (a loop that runs no events?)",
                       "-")
        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, WALL_BACKSTOP_S)
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        if isinstance(sim, GuardedSimulation):
            sim.call_deadline = None
            sim.unbounded = False


def make_cluster(**kw: Any) -> Cluster:
    """Cluster(**kw) on a GuardedSimulation (so a constructor that hangs is caught too)."""
    saved = cluster_module.Simulation
    cluster_module.Simulation = GuardedSimulation       # type: ignore[misc]
    try:
        c = Cluster(**kw)
    finally:
        cluster_module.Simulation = saved               # type: ignore[misc]
    if not isinstance(c.sim, GuardedSimulation):         # Cluster changed how it makes its kernel
        c.sim.__class__ = GuardedSimulation
        c.sim.streak = c.sim.call_events = 0            # type: ignore[attr-defined]
        c.sim.call_deadline = None                      # type: ignore[attr-defined]
    return c


# -- failures ----------------------------------------------------------------------------------

class Defect(AssertionError):
    """A finding. `signature` identifies it across examples (bench_fuzz.py dedupes on it)."""

    signature: tuple[str, ...] = ()


_DEFECT_TYPES: dict[str, type[Defect]] = {}


def defect_type(kind: str) -> type[Defect]:
    """One Defect subclass per kind, so hypothesis tells different findings apart."""
    name = "".join(w.capitalize() for w in re.split(r"\W+", kind) if w)
    if name not in _DEFECT_TYPES:
        _DEFECT_TYPES[name] = type(name, (Defect,), {})
    return _DEFECT_TYPES[name]


SUPPRESSED: set[tuple[str, ...]] = set()    # signatures the bench already reported: stop quietly


class _Halt(BaseException):
    """A suppressed finding: the example ends quietly (bench only)."""


def hang_signature(site: str, h: Hang) -> tuple[str, ...]:
    """Time that stopped is told apart by the event that spun; a budget overrun by the call."""
    how = h.how.split(":")[0].split(" at ")[0]
    return (how, h.where) if how.startswith("virtual time stopped") else (site, how)


def origin(exc: BaseException) -> str:
    """Where an exception was raised: the innermost minikafka frame (file:function)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/minikafka/" in f.filename.replace(os.sep, "/")]
    f = (inside or frames or [None])[-1]
    if f is None:
        return "?"
    path = f.filename.replace(os.sep, "/")
    path = path[path.rfind("/minikafka/") + 1:] if "/minikafka/" in path else os.path.basename(path)
    return f"{path}:{f.name}"


# -- argument verdicts ----------------------------------------------------------------------------

GOOD, ODD, BAD = "good", "odd", "bad"


class Verdict:
    """What the call may do: refuse (bad), either (odd), or not raise TypeError/ValueError (good)."""

    def __init__(self) -> None:
        self.bad: list[tuple[str, str]] = []      # (argument, why)
        self.odd: list[tuple[str, str]] = []

    def add(self, level: str, arg: str, why: str) -> Verdict:
        if level == BAD:
            self.bad.append((arg, why))
        elif level == ODD:
            self.odd.append((arg, why))
        return self

    def merge(self, other: Verdict) -> Verdict:
        self.bad += other.bad
        self.odd += other.odd
        return self

    @property
    def good(self) -> bool:
        return not self.bad and not self.odd

    def text(self) -> str:
        return "; ".join(f"{a}: {w}" for a, w in self.bad or self.odd)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def timeout_verdict(t: Any, arg: str = "timeout") -> Verdict:
    v = Verdict()
    if t is None:
        return v
    if not is_num(t):
        return v.add(BAD, arg, f"{t!r} is not a number of seconds")
    if isinstance(t, float) and math.isnan(t):
        return v.add(BAD, arg, "nan")
    if isinstance(t, float) and math.isinf(t):
        return v.add(ODD, arg, "inf")
    return v


def is_inf(t: Any) -> bool:
    return isinstance(t, float) and math.isinf(t)


def no_limit(t: Any) -> bool:
    """A timeout that asks to wait with no limit (client.py): None, negative, or inf."""
    return t is None or is_inf(t) or (is_num(t) and not math.isnan(t) and t < 0)


def boolish_verdict(b: Any, arg: str) -> Verdict:
    v = Verdict()
    if isinstance(b, bool):
        return v
    if b is None or (is_int(b) and b in (0, 1)):
        return v.add(ODD, arg, f"{b!r} is not a bool")
    return v.add(BAD, arg, f"{b!r} is not a bool")


# -- value pools (hypothesis picks; the verdict is computed at call time from the state) ----------

nan, inf = float("nan"), float("inf")


class Opaque:
    """An object of no relevant type."""

    def __repr__(self) -> str:
        return "object()"


OPAQUE = Opaque()


def usual(pool: list[Any], k: int) -> st.SearchStrategy[Any]:
    """A value of `pool`, one of its first `k` (the usual, good ones) at least half the time: a
    call with one bad argument among good ones tells the most (was THAT argument refused?)."""
    return st.one_of(st.sampled_from(pool[:k]), st.sampled_from(pool))


TOPIC_NAMES = ["t", "u", "a.b", "a_b", "nope"]
BAD_TOPIC_NAMES = ["", "bad name", "x" * 250, ".", "..", "__consumer_offsets", "__transaction_state", 5, None, b"t"]
GROUPS = ["g1", "g2"]
PAYLOADS = [None, b"v", "text", b"", bytearray(b"ba"), memoryview(b"mv"), 5, 1.5, ["x"], {"a": 1}, OPAQUE]
PARTITION_ARGS = [-1, 0, 1, None, 2, 5, -2, "0", 0.5, True]
TIMESTAMPS = [0, 1, 10**12, -1, None, "x", 1.5, True]
HEADERS: list[Any] = [None, [], {}, [("h", b"v")], {"h": b"v"}, [("h", "s")], [("h", None)], [("h", b"a"), ("h", b"b")],
                      [(5, b"v")], [("h", 5)], "hdr", [("h",)], 5, [b"x"], [("h", b"v", b"extra")], {"h": 5},
                      {b"h": b"v"}]
TIMEOUTS_BOUNDED: list[Any] = [0, 0.1, 0.5, 1, 2.5, 0.0001, True, "1", nan, inf]
TIMEOUTS_ANY: list[Any] = TIMEOUTS_BOUNDED[:6] + [None, -1] + TIMEOUTS_BOUNDED[6:]
NODES: list[Any] = [1, 2, 3, "b1", "b2", "c1", "producer-1", "consumer-1", 4, 0, "nope", None, True, 1.0, "1"]
KINDS: list[Any] = ["*", "ProduceRequest", "ProduceResponse", "FetchRequest", "FetchResponse", "JoinGroupResponse",
                    "HeartbeatRequest", "EndTxnResponse", "OffsetCommitRequest", "MetadataResponse", "Nope", 5, None]
PROBABILITIES: list[Any] = [1.0, 0.5, 0.0, 1, 0, -0.1, 1.5, "1", True, nan]
COUNTS: list[Any] = [None, 1, 2, 0, -1, "x", 1.5, True]
ENDS: list[Any] = ["*", 1, 2, "c1", "nope", None, True]
DELAYS: list[Any] = [100, 0, 5, 1000, -1, 1.5, "5", True]
RUN_MS: list[Any] = [0, 1, 10, 100, 1000, 5000, 30_000, -1, 0.5, "10", True, None, nan]
CLIENT_NAMES: list[Any] = ["producer-1", "producer-2", "consumer-1", "consumer-2", "app", "nope", None, 5, "b1",
                           "c1"]

# TopicPartition-likes: ("TP", topic, partition, offset) builds a fresh TopicPartition; ("raw", v) is v itself.
TP_SPECS: list[tuple[Any, ...]] = [
    ("TP", "t", 0, OFFSET_INVALID), ("TP", "t", 1, OFFSET_INVALID), ("TP", "t", 0, 0), ("TP", "t", 1, 2),
    ("TP", "t", 0, -2), ("TP", "t", 0, -1), ("TP", "t", 0, 10**6), ("TP", "t", 5, OFFSET_INVALID),  # 7 usual
    ("TP", "nope", 0, OFFSET_INVALID), ("TP", "u", 0, 1), ("TP", "t", -1, OFFSET_INVALID), ("TP", "a.b", 0, 0),
    ("TP", "t", 0, "5"), ("TP", "t", 0.5, OFFSET_INVALID), ("TP", "t", "0", 3), ("TP", "t", True, 1),
    ("TP", "t", None, OFFSET_INVALID), ("TP", "t", 0, 1.5), ("TP", "t", 0, None), ("TP", "t", 0, -5),
    ("TP", "__consumer_offsets", 0, 1),
    ("raw", ("t", 0)), ("raw", ("t", 0, 3)), ("raw", "t"), ("raw", None), ("raw", 0),
]
_TP_LIST = st.lists(usual(TP_SPECS, 7), max_size=3)
TP_LISTS = st.one_of(_TP_LIST, _TP_LIST, _TP_LIST,
                     st.sampled_from([("raw-arg", "t"), ("raw-arg", None), ("raw-arg", 5)]),
                     st.sampled_from(TP_SPECS).map(lambda s: ("single", s)))

PRODUCER_ITEMS: list[tuple[Any, Any, str]] = [
    ("acks", "all", GOOD), ("acks", 0, GOOD), ("acks", 1, GOOD), ("acks", "-1", GOOD), ("acks", 2, BAD),
    ("acks", "none", BAD), ("acks", True, BAD),
    ("linger.ms", 0, GOOD), ("linger.ms", 20, GOOD), ("linger.ms", -1, BAD), ("linger.ms", "x", BAD),
    ("linger.ms", 1.5, BAD),
    ("batch.size", 0, GOOD), ("batch.size", 200, GOOD), ("batch.size", -1, BAD),
    ("enable.idempotence", False, GOOD), ("enable.idempotence", True, GOOD), ("enable.idempotence", "false", GOOD),
    ("enable.idempotence", "yes", BAD), ("enable.idempotence", 1, BAD),
    ("retries", 0, GOOD), ("retries", 3, GOOD), ("retries", -1, BAD),
    ("max.in.flight.requests.per.connection", 1, GOOD), ("max.in.flight.requests.per.connection", 6, GOOD),
    ("max.in.flight.requests.per.connection", 0, BAD),
    ("delivery.timeout.ms", 2000, GOOD), ("delivery.timeout.ms", 0, BAD),
    ("request.timeout.ms", 500, GOOD), ("request.timeout.ms", 0, BAD),
    ("transaction.timeout.ms", 1000, GOOD), ("transaction.timeout.ms", 0, BAD),
    ("metadata.max.age.ms", 0, ODD), ("metadata.max.age.ms", 1000, GOOD), ("metadata.max.age.ms", -1, BAD),
    ("max.block.ms", 0, GOOD), ("max.block.ms", 500, GOOD), ("max.block.ms", -1, BAD),
    ("buffer.memory", 100, GOOD), ("buffer.memory", -1, BAD), ("max.request.size", 100, GOOD),
    ("max.request.size", 0, BAD), ("retry.backoff.ms", 0, GOOD), ("retry.backoff.max.ms", 10, GOOD),
    ("client.id", "app", GOOD), ("client.id", "producer-2", GOOD), ("client.id", "b1", ODD),
    ("client.id", "", ODD), ("client.id", 5, BAD), ("bootstrap.servers", "localhost:9092", GOOD),
    ("transactional.id", "tx1", GOOD), ("transactional.id", "tx2", GOOD), ("transactional.id", "", BAD),
    ("transactional.id", 7, BAD), ("partitioner.ignore.keys", True, GOOD), ("partitioner.ignore.keys", "maybe", BAD),
    ("partitioner.adaptive.partitioning.enable", True, ODD), ("compression.type", "gzip", ODD),
    ("ack", "all", BAD), ("foo.bar", 1, BAD), (5, 1, BAD), ("linger", 5, BAD),
]
CONSUMER_ITEMS: list[tuple[Any, Any, str]] = [
    ("group.id", "g1", GOOD), ("group.id", "g2", GOOD), ("group.id", "", ODD), ("group.id", 5, BAD),
    ("auto.offset.reset", "earliest", GOOD), ("auto.offset.reset", "latest", GOOD), ("auto.offset.reset", "none", GOOD),
    ("auto.offset.reset", "smallest", BAD),
    ("enable.auto.commit", False, GOOD), ("enable.auto.commit", "maybe", BAD),
    ("auto.commit.interval.ms", 0, ODD), ("auto.commit.interval.ms", 100, GOOD), ("auto.commit.interval.ms", -1, BAD),
    ("isolation.level", "read_committed", GOOD), ("isolation.level", "serializable", BAD),
    ("fetch.min.bytes", 0, GOOD), ("fetch.min.bytes", 1000, GOOD), ("fetch.min.bytes", -1, BAD),
    ("fetch.max.wait.ms", 0, ODD), ("fetch.max.wait.ms", 10, GOOD), ("fetch.max.wait.ms", -1, BAD),
    ("fetch.max.bytes", 0, ODD), ("fetch.max.bytes", 1, GOOD), ("max.partition.fetch.bytes", 1, ODD),
    ("max.poll.records", 1, ODD),
    ("session.timeout.ms", 1000, GOOD), ("session.timeout.ms", 10000, GOOD), ("session.timeout.ms", 0, BAD),
    ("heartbeat.interval.ms", 100, GOOD), ("heartbeat.interval.ms", 50_000, GOOD), ("heartbeat.interval.ms", 0, BAD),
    ("max.poll.interval.ms", 1000, GOOD), ("max.poll.interval.ms", 0, BAD),
    ("partition.assignment.strategy", "roundrobin", GOOD), ("partition.assignment.strategy", "sticky", GOOD),
    ("partition.assignment.strategy", "cooperative-sticky", GOOD),
    ("partition.assignment.strategy", "range,roundrobin", GOOD), ("partition.assignment.strategy", ["range"], GOOD),
    ("partition.assignment.strategy", "nope", BAD), ("partition.assignment.strategy", "", BAD),
    ("partition.assignment.strategy", 5, BAD),
    ("enable.partition.eof", True, GOOD), ("enable.partition.eof", "x", BAD), ("group.instance.id", "static-1", ODD),
    ("request.timeout.ms", 500, GOOD), ("retry.backoff.ms", 0, GOOD), ("metadata.max.age.ms", 0, ODD),
    ("client.id", "app", GOOD), ("client.id", "consumer-2", GOOD), ("client.rack", "r1", ODD),
    ("group.protocol", "consumer", ODD), ("foo", 1, BAD), ("auto.offset.rest", "earliest", BAD),
]
TOPIC_ITEMS: list[tuple[Any, Any, str]] = [
    ("min.insync.replicas", 2, GOOD), ("min.insync.replicas", "2", GOOD), ("min.insync.replicas", 0, BAD),
    ("unclean.leader.election.enable", True, GOOD), ("unclean.leader.election.enable", "nah", BAD),
    ("cleanup.policy", "delete", GOOD), ("cleanup.policy", "compact", GOOD), ("cleanup.policy", "forever", BAD),
    ("retention.ms", 1000, ODD), ("retention.bytes", 2000, ODD), ("segment.bytes", 1024, ODD), ("segment.bytes", 1, BAD),
    ("max.message.bytes", 10, ODD), ("message.timestamp.type", "LogAppendTime", ODD),
    ("nope", 1, BAD), (5, 1, BAD),
]
BROKER_ITEMS: list[tuple[Any, Any, str]] = [
    ("replica.lag.time.max.ms", 1, ODD), ("min.insync.replicas", 2, GOOD), ("default.replication.factor", 2, GOOD),
    ("num.partitions", 2, GOOD), ("unclean.leader.election.enable", True, GOOD),
    ("group.initial.rebalance.delay.ms", 0, GOOD), ("offsets.topic.num.partitions", 1, GOOD),
    ("transaction.state.log.num.partitions", 1, GOOD), ("offsets.topic.replication.factor", 1, GOOD),
    ("transaction.state.log.min.isr", 1, GOOD), ("replica.fetch.wait.max.ms", 0, ODD),
    ("broker.heartbeat.interval.ms", 1, ODD), ("replica.fetch.backoff.ms", 0, GOOD),
    ("group.min.session.timeout.ms", 100, GOOD), ("group.max.session.timeout.ms", 10_000, GOOD),
    ("transaction.max.timeout.ms", 1000, GOOD), ("request.timeout.ms", 100, GOOD), ("offsets.commit.timeout.ms", 1, GOOD),
    ("min.insync.replicas", 0, BAD), ("num.partitions", "x", BAD), ("nope", 1, BAD), ("log.dirs", "/tmp", BAD),
]
RAW_BAD_CONFIGS: list[Any] = ["x", [("acks", 1)], 5]


def config_strategy(items: list[tuple[Any, Any, str]], max_size: int = 3) -> st.SearchStrategy[Any]:
    """None, good items only (half the time: most calls should get somewhere), any items, or not a dict."""
    good = [item for item in items if item[2] == GOOD]
    return st.one_of(st.just(None), st.lists(st.sampled_from(good), max_size=max_size),
                     st.lists(st.sampled_from(items), min_size=1, max_size=max_size),
                     st.sampled_from(RAW_BAD_CONFIGS).map(lambda v: ("raw", v)))


def build_config(drawn: Any) -> tuple[Any, Verdict]:
    """The config dict (or raw value) and its verdict, item by item (a later item wins)."""
    v = Verdict()
    if drawn is None:
        return None, v
    if isinstance(drawn, tuple):
        return drawn[1], v.add(BAD, "config", f"{drawn[1]!r} is not a dict")
    cfg: dict[Any, Any] = {}
    levels: dict[Any, str] = {}
    for key, value, level in drawn:
        cfg[key] = value
        levels[key] = level
    for key, level in levels.items():
        v.add(level, f"config[{key!r}]", f"{cfg[key]!r}")
    return cfg, v


def resolved(cfg: Any, key: str, default: Any) -> Any:
    if isinstance(cfg, dict) and key in cfg:
        val = cfg[key]
        if isinstance(val, str) and val.lstrip("-").isdigit():
            return int(val)
        return val
    return default


# -- reproductions -------------------------------------------------------------------------------

PREAMBLE = """\
from minikafka import Cluster, KafkaException, TopicPartition, invariants, viz

def attempt(call):                      # a call that raised (refused, or a known finding)
    try:
        call()
    except Exception as e:
        print("raised:", type(e).__name__, e)

def check():                            # what the fuzzer checks between calls
    assert invariants.check_all(c) == [], invariants.check_all(c)
    before = c.now
    c.run(100)
    assert c.now == before + 100 and invariants.check_all(c) == []

def cb(err, msg):                       # a delivery report: every accessor must work
    msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers(), msg.timestamp(), len(msg)

def on_assign(consumer, partitions):    # a rebalance callback that reads positions
    consumer.position(partitions)
"""


def src(v: Any) -> str:
    """`v` as Python source (deterministic: no addresses)."""
    if isinstance(v, TopicPartition):
        off = "" if v.offset == OFFSET_INVALID else f", {src(v.offset)}"
        return f"TopicPartition({src(v.topic)}, {src(v.partition)}{off})"
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "float('nan')" if math.isnan(v) else "float('inf')"
    if isinstance(v, memoryview):
        return f"memoryview({bytes(v)!r})"
    if isinstance(v, list):
        return "[" + ", ".join(src(x) for x in v) + "]"
    if isinstance(v, tuple):
        return "(" + ", ".join(src(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{src(k)}: {src(x)}" for k, x in v.items()) + "}"
    if isinstance(v, Named):
        return v.name
    if isinstance(v, str) and len(v) > 40:
        return f"{v[:1]!r} * {len(v)}" if v == v[0] * len(v) else repr(v)
    return repr(v)


def kwargs_src(**kw: Any) -> str:
    return ", ".join(f"{k}={src(v)}" for k, v in kw.items())


class Named:
    """A value the reproduction refers to by a name (a callback, a client, a message)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


class DeliveryCb(Named):
    """A delivery callback that checks the message and counts its calls."""

    def __init__(self, machine: FuzzMachine, producer: str, internal: bool = False) -> None:
        super().__init__("cb")
        self.machine, self.producer, self.internal = machine, producer, internal
        self.calls = 0
        self.refused = False

    def __call__(self, err: Any, msg: Any) -> None:
        self.calls += 1
        if self.internal and err is None:
            self.machine.problems.append(("a client write to an internal topic was delivered", repr(msg)))
        if self.calls > 1:
            self.machine.problems.append(("delivery callback called twice", f"{self.calls} calls, err={err}"))
        if self.refused:
            self.machine.problems.append(("delivery callback for a refused produce", f"err={err}"))
        self.machine.check_message(msg, "delivery report")


class RebalanceCb(Named):
    def __init__(self) -> None:
        super().__init__("on_assign")

    def __call__(self, consumer: Any, partitions: Any) -> None:
        consumer.position(partitions)


class Ref(Named):
    """A live object (a client, a message, a rule) with the name the reproduction gives it."""

    def __init__(self, name: str, obj: Any) -> None:
        super().__init__(name)
        self.obj = obj


def halting(method: Callable[..., Any]) -> Callable[..., Any]:
    """Rules and the invariant stop quietly once a suppressed finding ended the example (bench)."""

    @functools.wraps(method)
    def wrapper(self: FuzzMachine, *args: Any, **kwargs: Any) -> None:
        if self.halted:
            return None
        try:
            return method(self, *args, **kwargs)
        except _Halt:
            return None
    return wrapper


# -- the machine ------------------------------------------------------------------------------------

class FuzzMachine(RuleBasedStateMachine):
    """Random public calls on one small cluster; see the module docstring for the checks."""

    def __init__(self) -> None:
        super().__init__()
        self.c: Cluster | None = None
        self.log: list[str] = []
        self.producers: list[Ref] = []
        self.consumers: list[Ref] = []
        self.net_rules: list[Ref] = []
        self.messages: list[Ref] = []
        self.metadata: list[Ref] = []
        self.callbacks: dict[str, list[DeliveryCb]] = {}
        self.problems: list[tuple[str, str]] = []
        self.halted = False
        self.last_now = 0

    # -- the oracle -----------------------------------------------------------------------
    def known(self, kind: str, signature: tuple[str, ...]) -> bool:
        return (kind,) + signature in SUPPRESSED

    def fail(self, kind: str, detail: str, signature: tuple[str, ...], cause: BaseException | None = None,
             fatal: bool = False) -> None:
        """Raise a Defect carrying the reproduction. A finding the bench already reported
        (SUPPRESSED) returns instead, so the example goes on and later steps can find new ones;
        unless `fatal` (a hang, an exception inside an event): then the example ends quietly."""
        if self.known(kind, signature):
            if fatal:
                self.halted = True
                raise _Halt()
            return
        program = PREAMBLE + "\n" + "\n".join(self.log)
        err = defect_type(kind)(f"{kind}: {detail}\n\nReproduction:\n{program}\n")
        err.signature = (kind,) + signature
        if cause is not None:
            raise err from cause
        raise err

    def call(self, text: str, fn: Callable[[], Any], verdict: Verdict, site: str,
             state_errors: tuple[type[BaseException], ...] = (), assign_to: str | None = None,
             unbounded: bool = False) -> tuple[bool, Any]:
        """Run one public call and judge it (rules 1-3). Returns (returned normally, result).
        `unbounded`: the call was asked to wait with no limit, so running out of budget is no hang."""
        c = self.c
        assert c is not None
        before = self.snapshot()
        events = c.sim.events_run
        ok, result = False, None
        # (kind, detail, signature, cause, fatal, note for the reproduction)
        problem: tuple[str, str, tuple[str, ...], BaseException | None, bool, str] | None = None
        try:
            with guarded(c.sim, unbounded):
                result = fn()
            ok = True
        except Interrupted:
            self.log.append(f"{text}   # waits with no limit: the fuzzer stopped it")
            return False, None
        except EventCrash as e:
            problem = ("exception inside the simulation", f"{site}: {e}", (type(e.exc).__name__, origin(e.exc)),
                       e.exc, True, f"{type(e.exc).__name__} raised inside the simulation: {e.exc}")
        except Hang as e:
            problem = ("hang", f"{site}: {e}", hang_signature(site, e), None, True, f"hangs: {e.how}")
        except KafkaException as e:
            if e.args and getattr(e.args[0], "retriable", lambda: False)():
                events = -1         # a retriable error (_TIMED_OUT): the call may have begun (rule 3 exempt)
        except (TypeError, ValueError) as e:
            if verdict.good:
                problem = ("TypeError or ValueError for good arguments", f"{site}: {type(e).__name__}: {e}",
                           (type(e).__name__, origin(e)), e, False, f"{type(e).__name__}: {e}")
        except state_errors:
            pass
        except Exception as e:  # noqa: BLE001 - judging any exception is the point
            problem = ("undocumented exception", f"{site}: {type(e).__name__}: {e}", (type(e).__name__, origin(e)), e,
                       False, f"{type(e).__name__}: {e}")
        if ok and verdict.bad:
            arg, why = verdict.bad[0]
            problem = ("bad argument accepted", f"{site}: {verdict.text()}",
                       (site, re.sub(r"\[.*\]", "[..]", arg), why.split(" ")[0] if arg == "state" else ""), None,
                       False, f"accepted, but {verdict.text()}")
        if not ok and problem is None and c.sim.events_run == events and self.snapshot() != before:
            problem = ("refused call changed state", f"{site}: {self.diff(before, self.snapshot())}", (site,), None,
                       False, "refused, but the state changed")
        plain = f"{assign_to} = {text}" if assign_to else text
        if problem is None:
            self.log.append(plain if ok else f"attempt(lambda: {text})")
        else:
            kind, detail, sig, cause, fatal, note = problem
            if self.known(kind, sig) or kind == "refused call changed state":
                self.log.append(f"attempt(lambda: {text})   # <- {note}" + (" (known)" if self.known(kind, sig) else ""))
            else:
                self.log.append(f"{plain}   # <- {note}")
            self.fail(kind, detail, sig, cause, fatal)
        self.after_call(site)
        return ok, result

    def after_call(self, site: str) -> None:
        if self.problems:
            kind, detail = self.problems[0]
            self.problems.clear()
            self.log[-1] += f"   # <- {kind}"
            self.fail(kind, f"{site}: {detail}", (site,))

    def check_message(self, msg: Any, where: str) -> None:
        """Rule 5: every accessor answers; the timestamp is a pair of ints."""
        if not isinstance(msg, Message):
            self.problems.append((f"{where} is not a Message", repr(type(msg))))
            return
        try:
            msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers(), msg.error()
            msg.leader_epoch(), len(msg), repr(msg)
            ts = msg.timestamp()
        except Exception as e:  # noqa: BLE001 - judging any exception is the point
            self.problems.append((f"a Message accessor raised ({where})", f"{type(e).__name__}: {e}"))
            return
        if not (isinstance(ts, tuple) and len(ts) == 2 and all(is_int(x) for x in ts)):
            self.problems.append((f"Message.timestamp() is not a pair of ints ({where})", repr(ts)))

    def snapshot(self) -> str:
        """What a refused call must not change (rule 3), as text. It reads a few internals; one
        that is renamed reads as "?" on both sides, so the check weakens instead of crashing."""
        c = self.c
        assert c is not None

        def safe(f: Callable[[], Any]) -> Any:
            try:
                return f()
            except (AttributeError, KeyError, TypeError):
                return "?"
        parts: list[Any] = [
            safe(lambda: [(t, len(c.controller.topics[t]), sorted(c.controller.topic_configs[t].items())) for t in
                          sorted(c.controller.topics)]),
            safe(lambda: sorted((n, cl.alive, cl.closed) for n, cl in c.clients.items())),
            safe(lambda: sorted(c.net.nodes)), safe(lambda: sorted(sorted(p) for p in c.net.cuts)),
            safe(lambda: [repr(r) for r in c.net.rules]), safe(lambda: sorted(c.net.latency.items())),
            safe(lambda: sorted(c.net.loss.items())),
            [(b, br.alive, br.powered) for b, br in sorted(c.brokers.items())],
        ]
        for ref in self.consumers:
            k = ref.obj
            parts.append((ref.name, safe(lambda k=k: list(k.subscriptions.assigned)),
                          safe(lambda k=k: sorted(k.subscriptions.positions.items(), key=repr)),
                          safe(lambda k=k: k.coordinator.subscription)))
        for ref in self.producers:
            p = ref.obj
            parts.append((ref.name, safe(lambda p=p: p.in_queue),
                          safe(lambda p=p: p.txn.state if p.txn is not None else None)))
        return repr(parts)

    @staticmethod
    def diff(a: str, b: str) -> str:
        i = next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return f"...{a[max(i - 60, 0):i + 60]}... became ...{b[max(i - 60, 0):i + 60]}..."

    @invariant()
    @halting
    def holds(self) -> None:
        """Rule 4: now is an int and monotonic, invariants hold, a short run works."""
        c = self.c
        if self.halted or c is None:
            return
        self.log.append("check()")
        if type(c.now) is not int:
            self.log[-1] += f"   # <- c.now == {c.now!r}"
            self.fail("now is not an int", f"c.now == {c.now!r}", ())
        if c.now < self.last_now:
            self.log[-1] += f"   # <- c.now went back from {self.last_now} to {c.now}"
            self.fail("time went back", f"{self.last_now} -> {c.now}", ())
        self.check_safety("right after the call")
        before = c.now
        try:
            with guarded(c.sim):
                c.run(100)
        except EventCrash as e:
            self.log[-1] += f"   # <- c.run(100): {type(e.exc).__name__} raised inside the simulation"
            self.fail("exception inside the simulation", f"c.run(100): {e}", (type(e.exc).__name__, origin(e.exc)),
                      e.exc, fatal=True)
        except Hang as e:
            self.log[-1] += f"   # <- c.run(100) hangs: {e.how}"
            self.fail("hang", f"c.run(100): {e}", hang_signature("run", e), fatal=True)
        except Exception as e:  # noqa: BLE001 - judging any exception is the point
            self.log[-1] += f"   # <- c.run(100): {type(e).__name__}: {e}"
            self.fail("c.run(100) raised", f"{type(e).__name__}: {e}", (type(e).__name__, origin(e)), e, fatal=True)
        if type(c.now) is not int or c.now != before + 100:
            self.log[-1] += f"   # <- c.run(100) moved time from {before} to {c.now!r}"
            self.fail("c.run(100) did not move time by 100 ms", f"{before} -> {c.now!r}", ())
        self.check_safety("after c.run(100)")
        self.last_now = c.now

    def check_safety(self, when: str) -> None:
        c = self.c
        for f in invariants.ALL:
            try:
                found = f(c)
            except Exception as e:  # noqa: BLE001 - judging any exception is the point
                self.fail("invariant checker crashed", f"{f.__name__}: {type(e).__name__}: {e}",
                          (f.__name__, type(e).__name__), e)
            if found:
                shape = re.sub(r"\d+", "N", found[0])
                self.log[-1] += f"   # <- {f.__name__} {when}: {found[0]}"
                self.fail(f"invariant {f.__name__} violated", f"{when}: {found}", (f.__name__, shape))

    # -- helpers ----------------------------------------------------------------------------
    def topic_exists(self, t: Any) -> bool:
        return isinstance(t, str) and t in self.c.controller.topics

    def partitions(self, t: Any) -> int:
        return len(self.c.controller.topics[t]) if self.topic_exists(t) else 0

    def client_state(self, ref: Ref) -> Verdict:
        cl = ref.obj
        v = Verdict()
        if not cl.alive:
            v.add(BAD, "state", "crashed client")
        elif cl.closed:
            v.add(BAD, "state", "closed client")
        return v

    def node_verdict(self, n: Any, arg: str) -> Verdict:
        v = Verdict()
        c = self.c
        if is_int(n):
            return v if n in c.brokers else v.add(BAD, arg, f"no broker {n!r}")
        if isinstance(n, str):
            return v if n in c.net.nodes else v.add(BAD, arg, f"no node {n!r}")
        return v.add(BAD, arg, f"{n!r} is not a broker id or node name")

    @staticmethod
    def tp(spec: tuple[Any, ...]) -> Any:
        """Built inside the call: TopicPartition's own checks are part of what is judged."""
        return TopicPartition(spec[1], spec[2], spec[3]) if spec[0] == "TP" else spec[1]

    @staticmethod
    def tp_src(spec: tuple[Any, ...]) -> str:
        if spec[0] != "TP":
            return src(spec[1])
        off = "" if spec[3] == OFFSET_INVALID else f", {src(spec[3])}"
        return f"TopicPartition({src(spec[1])}, {src(spec[2])}{off})"

    def tp_verdict(self, spec: tuple[Any, ...], use: str, arg: str) -> Verdict:
        """Is this TopicPartition-like good for `use`: assign, position, seek, offsets, watermark."""
        v = Verdict()
        if spec[0] != "TP":
            return v.add(BAD, arg, f"{spec[1]!r} is not a TopicPartition")
        _, _topic, part, off = spec
        if not is_int(part):
            return v.add(BAD, arg, f"partition {part!r} is not an int")
        if use in ("position", "watermark"):     # the offset is unused, but TopicPartition may refuse it
            return v if is_int(off) else v.add(ODD, arg, f"offset {off!r} is not an int")
        if not is_int(off):
            if use == "assign" and off is None:
                return v.add(ODD, arg, "offset None")
            return v.add(BAD, arg, f"offset {off!r} is not an int")
        if use == "assign":
            if part < 0 or (off < 0 and off not in (-2, -1, -1000, OFFSET_INVALID)):
                v.add(ODD, arg, f"partition {part} offset {off}")
        elif use == "seek":
            if off < 0 and off not in (-2, -1):
                v.add(BAD, arg, f"offset {off} is not a position")
        elif use == "offsets" and off < 0:
            v.add(BAD, arg, f"offset {off} is not a position")
        return v

    def tp_list(self, drawn: Any, use: str, arg: str) -> tuple[Callable[[], Any], str, Verdict]:
        """(builder, source, verdict) for a list of TopicPartition-likes or a bad non-list."""
        if isinstance(drawn, tuple) and drawn[0] == "raw-arg":
            return (lambda: drawn[1]), src(drawn[1]), Verdict().add(BAD, arg, f"{drawn[1]!r} is not a list")
        if isinstance(drawn, tuple) and drawn[0] == "single":
            return (lambda: self.tp(drawn[1])), self.tp_src(drawn[1]), Verdict().add(BAD, arg, "not a list")
        v = Verdict()
        for spec in drawn:
            v.merge(self.tp_verdict(spec, use, arg))
        return (lambda: [self.tp(spec) for spec in drawn]), "[" + ", ".join(self.tp_src(x) for x in drawn) + "]", v

    # -- the cluster ------------------------------------------------------------------------------
    @initialize(brokers=st.sampled_from([2, 3, 0, "3", True]), seed=st.integers(0, 10_000),
                config=config_strategy(BROKER_ITEMS, 2),
                latency=st.one_of(st.just(1), st.sampled_from([0, 5, -1, 0.5, True, "1"])),
                flush=st.one_of(st.just(5000), st.sampled_from([0, 100, -1, "x", 0.5, None])),
                trace=st.sampled_from([True, False, "yes"]), clients=st.booleans())
    @halting
    def make(self, brokers: Any, seed: int, config: Any, latency: Any, flush: Any, trace: Any, clients: bool) -> None:
        cfg, v = build_config(config)
        if not (is_int(brokers) and 1 <= brokers <= 64):
            v.add(BAD, "brokers", f"{brokers!r}")
        if not (is_int(latency) and latency >= 0):
            v.add(BAD, "latency_ms", f"{latency!r}")
        elif latency == 0:
            v.add(ODD, "latency_ms", "0 (may be refused: a message takes at least 1 ms)")
        if not is_int(flush) or flush < 0:
            v.add(BAD, "page_cache_flush_ms", f"{flush!r}")
        elif flush == 0:
            v.add(ODD, "page_cache_flush_ms", "0")
        if not isinstance(trace, bool):
            v.add(BAD, "trace", f"{trace!r}")
        kw = {"brokers": brokers, "seed": seed, "config": cfg, "latency_ms": latency, "page_cache_flush_ms": flush,
              "trace": trace}
        text = f"Cluster({kwargs_src(**kw)})"
        self.log = []
        try:
            with guarded(None):
                self.c = make_cluster(**kw)
        except EventCrash as e:
            self.log.append(f"c = {text}   # <- {type(e.exc).__name__} raised inside the simulation")
            self.fail("exception inside the simulation", f"Cluster(): {e}", (type(e.exc).__name__, origin(e.exc)), e.exc,
                      fatal=True)
        except Hang as e:
            self.log.append(f"c = {text}   # <- hangs: {e.how}")
            self.fail("hang", f"Cluster(): {e}", hang_signature("Cluster", e), fatal=True)
        except KafkaException:
            pass
        except (TypeError, ValueError) as e:
            if v.good:
                self.log.append(f"c = {text}   # <- {type(e).__name__}: {e}")
                self.fail("TypeError or ValueError for good arguments", f"Cluster(): {e}",
                          (type(e).__name__, origin(e)), e)
        except Exception as e:  # noqa: BLE001 - judging any exception is the point
            self.log.append(f"c = {text}   # <- {type(e).__name__}: {e}")
            self.fail("undocumented exception", f"Cluster(): {type(e).__name__}: {e}", (type(e).__name__, origin(e)), e)
        else:
            if v.bad:
                self.log.append(f"c = {text}   # <- accepted, but {v.text()}")
                self.fail("bad argument accepted", f"Cluster(): {v.text()}", ("Cluster", v.bad[0][0], ""))
            else:
                self.log.append(f"c = {text}")
        if self.c is None:
            if not self.log:
                self.log.append(f"attempt(lambda: {text})")
            n = brokers if is_int(brokers) and 2 <= brokers <= 3 else 2
            self.c = make_cluster(brokers=n, seed=seed)
            self.log.append(f"c = Cluster(brokers={n}, seed={seed})")
        self.last_now = self.c.now
        self.call("c.create_topic('t', partitions=2, replication_factor=2)",
                  lambda: self.c.create_topic("t", partitions=2, replication_factor=2), Verdict(), "create_topic")
        if clients:         # a producer and a group consumer from the start: more steps reach the data path
            self.new_client("producer", None, Verdict(), None)
            self.new_client("consumer", None, Verdict(), {"group.id": "g1", "auto.offset.reset": "earliest"})

    @rule(name=usual(TOPIC_NAMES + BAD_TOPIC_NAMES, 5),
          partitions=usual([None, 1, 2, 3, 0, -1, "2", 2.0, True], 4),
          rf=usual([None, 1, 2, 3, 0, -1, "1", 1.5, True], 3),
          config=st.one_of(st.just(None), st.lists(st.sampled_from(TOPIC_ITEMS), max_size=2),
                           st.sampled_from(RAW_BAD_CONFIGS).map(lambda v: ("raw", v))))
    @halting
    def create_topic(self, name: Any, partitions: Any, rf: Any, config: Any) -> None:
        cfg, v = build_config(config)
        c = self.c
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9._-]{1,249}", name) or name in (".", ".."):
            v.add(BAD, "name", f"{name!r}")
        elif name.startswith("__"):
            v.add(ODD, "name", "internal topic")
        elif name not in c.controller.topics and any(
                t.replace(".", "_") == name.replace(".", "_") for t in c.controller.topics):
            v.add(BAD, "name", f"{name!r} collides with an existing topic")
        for arg, val in (("partitions", partitions), ("replication_factor", rf)):
            if val == -1 and is_int(val):
                v.add(ODD, arg, "-1 (Kafka's CreateTopics: the broker's default)")
            elif val is not None and not (is_int(val) and val >= 1):
                v.add(BAD, arg, f"{val!r}")
        if name in c.controller.topics:
            v.add(BAD, "state", "topic exists")
        text = f"c.create_topic({kwargs_src(name=name, partitions=partitions, replication_factor=rf, config=cfg)})"
        self.call(text, lambda: c.create_topic(name, partitions, rf, cfg), v, "create_topic")

    @rule(topic=usual(TOPIC_NAMES + [5, None], 5), total=usual([1, 2, 3, 4, "3", 0, -1, True, 3.0], 4))
    @halting
    def create_partitions(self, topic: Any, total: Any) -> None:
        v = Verdict()
        if not is_int(total):
            v.add(BAD, "total", f"{total!r}")
        elif self.topic_exists(topic) and total <= self.partitions(topic):
            v.add(BAD, "total", "not larger")
        if not self.topic_exists(topic):
            v.add(BAD, "topic", f"{topic!r} does not exist")
        self.call(f"c.create_partitions({src(topic)}, {src(total)})", lambda: self.c.create_partitions(topic, total), v,
                  "create_partitions")

    @rule(topic=st.sampled_from(TOPIC_NAMES + [5]),
          config=st.one_of(st.just(None), st.lists(st.sampled_from(TOPIC_ITEMS), max_size=2),
                           st.sampled_from(RAW_BAD_CONFIGS).map(lambda v: ("raw", v))))
    @halting
    def alter_topic_config(self, topic: Any, config: Any) -> None:
        cfg, v = build_config(config)
        if cfg is None:
            v.add(ODD, "config", "None")
        if not self.topic_exists(topic):
            v.add(BAD, "topic", f"{topic!r} does not exist")
        self.call(f"c.alter_topic_config({src(topic)}, {src(cfg)})", lambda: self.c.alter_topic_config(topic, cfg), v,
                  "alter_topic_config")

    @rule(what=st.sampled_from(["partition_state", "log", "group_state", "group_lag", "topic_config", "repr",
                                "cluster_table", "log_table", "group_table", "topics"]),
          topic=usual(TOPIC_NAMES + ["__consumer_offsets", 5, None], 5),
          partition=usual([0, 1, 5, -1, "0", 0.5, True, None], 2),
          broker=usual([None, 1, 2, 3, 9, "b1", True], 4),
          group=usual(GROUPS + ["nope", "", None, 5], 3),
          level=st.sampled_from(["read_uncommitted", "read_committed", "x"]))
    @halting
    def view(self, what: str, topic: Any, partition: Any, broker: Any, group: Any, level: str) -> None:
        c = self.c
        v = Verdict()
        tv = Verdict() if self.topic_exists(topic) else Verdict().add(BAD, "topic", f"{topic!r} does not exist")
        pv = Verdict()
        if not is_int(partition):
            pv.add(BAD, "partition", f"{partition!r}")
        elif not 0 <= partition < self.partitions(topic):
            pv.add(BAD, "partition", f"{partition} out of range")
        gv = Verdict() if isinstance(group, str) else Verdict().add(BAD, "group", f"{group!r}")
        if what == "partition_state":
            v.merge(tv).merge(pv)
            self.call(f"str(c.partition_state({src(topic)}, {src(partition)}))",
                      lambda: str(c.partition_state(topic, partition)), v, "partition_state")
        elif what == "log":
            v.merge(tv).merge(pv)
            if broker is not None and not (is_int(broker) and broker in c.brokers):
                v.add(BAD, "broker", f"{broker!r}")
            elif broker is not None:
                v.add(ODD, "broker", "may hold no replica")
            self.call(f"c.log({src(topic)}, {src(partition)}, {src(broker)})", lambda: c.log(topic, partition, broker),
                      v, "log")
        elif what == "group_state":
            self.call(f"str(c.group_state({src(group)}))", lambda: str(c.group_state(group)), gv, "group_state")
        elif what == "group_lag":
            if level == "x":
                gv.add(BAD, "isolation_level", "'x'")
            self.call(f"c.group_lag({src(group)}, {src(level)})", lambda: c.group_lag(group, level), gv, "group_lag")
        elif what == "topic_config":
            self.call(f"c.topic_config({src(topic)})", lambda: c.topic_config(topic), tv, "topic_config")
        elif what == "repr":
            self.call("repr(c)", lambda: repr(c), v, "repr")
        elif what == "topics":
            self.call("c.topics()", lambda: c.topics(), v, "topics")
        elif what == "cluster_table":
            topics = None if topic is None else [topic]
            if topics is not None and not self.topic_exists(topic):
                v.add(BAD, "topics", f"{topics!r}")
            self.call(f"viz.cluster_table(c, topics={src(topics)})", lambda: viz.cluster_table(c, topics=topics), v,
                      "viz.cluster_table")
        elif what == "log_table":
            v.merge(tv).merge(pv)
            self.call(f"viz.log_table(c, {src(topic)}, {src(partition)})", lambda: viz.log_table(c, topic, partition), v,
                      "viz.log_table")
        elif what == "group_table":
            self.call(f"viz.group_table(c, {src(group)})", lambda: viz.group_table(c, group), gv, "viz.group_table")

    # -- time ---------------------------------------------------------------------------------------
    @rule(ms=usual(RUN_MS, 7))
    @halting
    def run(self, ms: Any) -> None:
        v = Verdict()
        if not is_int(ms) or ms < 0:
            v.add(BAD, "ms", f"{ms!r}")
        self.call(f"c.run({src(ms)})", lambda: self.c.run(ms), v, "run")

    @rule(n=st.integers(1, 30))
    @halting
    def step(self, n: int) -> None:
        self.call(f"[c.step() for _ in range({n})]", lambda: [self.c.step() for _ in range(n)], Verdict(), "step")

    @rule(max_ms=st.sampled_from([0, 100, 5000, -1, 0.5, "x"]))
    @halting
    def run_until_idle(self, max_ms: Any) -> None:
        v = Verdict()
        if not is_int(max_ms):
            v.add(BAD, "max_ms", f"{max_ms!r}")
        elif max_ms < 0:
            v.add(ODD, "max_ms", "negative")
        self.call(f"c.run_until_idle({src(max_ms)})", lambda: self.c.run_until_idle(max_ms), v, "run_until_idle")

    # -- broker and client faults -------------------------------------------------------------------
    @rule(broker=usual([1, 2, 3, 0, 9, True, 1.0, "1", None], 3),
          power_loss=usual([False, True, "no", 1, None, 0, "yes"], 2))
    @halting
    def crash_broker(self, broker: Any, power_loss: Any) -> None:
        c = self.c
        v = boolish_verdict(power_loss, "power_loss")
        state: tuple[type[BaseException], ...] = ()
        if not (is_int(broker) and broker in c.brokers):
            v.add(BAD, "broker_id", f"{broker!r}")
        elif not c.brokers[broker].alive:
            v.add(BAD, "state", "broker is down")
            state = (RuntimeError,)
        self.call(f"c.crash_broker({src(broker)}, power_loss={src(power_loss)})",
                  lambda: c.crash_broker(broker, power_loss=power_loss), v, "crash_broker", state)

    @rule(broker=usual([1, 2, 3, 0, 9, True, "1"], 3))
    @halting
    def restart_broker(self, broker: Any) -> None:
        c = self.c
        v = Verdict()
        state: tuple[type[BaseException], ...] = ()
        if not (is_int(broker) and broker in c.brokers):
            v.add(BAD, "broker_id", f"{broker!r}")
        elif c.brokers[broker].alive:
            v.add(BAD, "state", "broker is running")
            state = (RuntimeError,)
        self.call(f"c.restart_broker({src(broker)})", lambda: c.restart_broker(broker), v, "restart_broker", state)

    @rule(name=usual(CLIENT_NAMES, 5), by_object=st.booleans())
    @halting
    def crash_client(self, name: Any, by_object: bool) -> None:
        c = self.c
        v = Verdict()
        state: tuple[type[BaseException], ...] = ()
        arg: Any = name
        text = src(name)
        if by_object and (self.producers or self.consumers):
            ref = (self.producers + self.consumers)[0]
            arg, text = ref.obj, ref.name
            v.add(BAD, "name", "a client object, not its name")
        elif not (isinstance(name, str) and name in c.clients):
            v.add(BAD, "name", f"{name!r} is no client")
        elif not c.clients[name].alive:
            v.add(BAD, "state", "client is down")
            state = (RuntimeError,)
        self.call(f"c.crash_client({text})", lambda: c.crash_client(arg), v, "crash_client", state)

    @rule(op=st.sampled_from(["cut", "heal", "isolate", "heal_all"]), a=usual(NODES, 8), b=usual(NODES, 8))
    @halting
    def network(self, op: str, a: Any, b: Any) -> None:
        c = self.c
        v = Verdict()
        if op == "heal_all":
            self.call("c.heal_all()", lambda: c.heal_all(), v, "heal_all")
            return
        v.merge(self.node_verdict(a, "a"))
        if op == "isolate":
            self.call(f"c.isolate({src(a)})", lambda: c.isolate(a), v, "isolate")
            return
        v.merge(self.node_verdict(b, "b"))
        if v.good and c._node(a) == c._node(b):
            v.add(BAD, "b", "the same node as a")
        fn = c.cut if op == "cut" else c.heal
        self.call(f"c.{op}({src(a)}, {src(b)})", lambda: fn(a, b), v, op)

    @rule(op=st.sampled_from(["drop", "delay"]), kind=usual(KINDS, 10), probability=usual(PROBABILITIES, 5),
          ms=usual(DELAYS, 4), count=usual(COUNTS, 3), src_=usual(ENDS, 4), dst=usual(ENDS, 4))
    @halting
    def rule_(self, op: str, kind: Any, probability: Any, ms: Any, count: Any, src_: Any, dst: Any) -> None:
        c = self.c
        v = Verdict()
        if kind not in KINDS[:10]:
            v.add(BAD, "kind", f"{kind!r}")
        if count is not None and not (is_int(count) and count >= 0):
            v.add(BAD, "count", f"{count!r}")
        elif count == 0:
            v.add(ODD, "count", "0")
        for arg, end in (("src", src_), ("dst", dst)):
            if end != "*":
                v.merge(self.node_verdict(end, arg))
        if op == "drop":
            if not is_num(probability) or not 0 <= probability <= 1:
                v.add(BAD, "probability", f"{probability!r}")
            text = f"c.drop({kwargs_src(kind=kind, probability=probability, count=count, src=src_, dst=dst)})"
            fn: Callable[[], Any] = lambda: c.drop(kind, probability, count, src_, dst)
        else:
            if not is_int(ms) or ms < 0:
                v.add(BAD, "ms", f"{ms!r}")
            text = f"c.delay({kwargs_src(kind=kind, ms=ms, count=count, src=src_, dst=dst)})"
            fn = lambda: c.delay(kind, ms, count, src_, dst)
        name = f"r{len(self.net_rules) + 1}"
        ok, r = self.call(text, fn, v, op, assign_to=name)
        if ok:
            self.net_rules.append(Ref(name, r))

    @rule(i=st.integers(0, 3), how=st.sampled_from(["remove", "clear", "bad"]))
    @halting
    def remove_rule(self, i: int, how: str) -> None:
        c = self.c
        if how == "clear":
            self.call("c.clear_rules()", lambda: c.clear_rules(), Verdict(), "clear_rules")
            return
        if how == "bad" or not self.net_rules:
            self.call("c.remove_rule('r1')", lambda: c.remove_rule("r1"), Verdict().add(BAD, "rule", "a str"),
                      "remove_rule")
            return
        ref = self.net_rules[i % len(self.net_rules)]
        v = Verdict()
        if not any(r is ref.obj for r in c.net.rules):
            v.add(BAD, "state", "rule not active")
        self.call(f"c.remove_rule({ref.name})", lambda: c.remove_rule(ref.obj), v, "remove_rule")

    @rule(op=st.sampled_from(["latency", "loss"]), a=st.sampled_from(NODES[:8]), b=st.sampled_from(NODES[:8]),
          ms=usual([0, 1, 50, -1, 1.5, True], 3), p=usual([0.0, 0.1, 1.0, -0.5, 2, "x"], 3))
    @halting
    def link(self, op: str, a: Any, b: Any, ms: Any, p: Any) -> None:
        c = self.c
        v = self.node_verdict(a, "a").merge(self.node_verdict(b, "b"))
        if v.good and c._node(a) == c._node(b):
            v.add(ODD, "b", "the same node as a")
        if op == "latency":
            if not is_int(ms) or ms < 0:
                v.add(BAD, "ms", f"{ms!r}")
            elif ms == 0:
                v.add(ODD, "ms", "0 (may be refused: a message takes at least 1 ms)")
            self.call(f"c.set_latency({src(a)}, {src(b)}, {src(ms)})", lambda: c.set_latency(a, b, ms), v, "set_latency")
        else:
            if not is_num(p) or not 0 <= p <= 1:
                v.add(BAD, "probability", f"{p!r}")
            self.call(f"c.set_loss({src(a)}, {src(b)}, {src(p)})", lambda: c.set_loss(a, b, p), v, "set_loss")

    # -- producers --------------------------------------------------------------------------------
    def new_client(self, kind: str, config: Any, items_verdict: Verdict, cfg: Any) -> None:
        c = self.c
        v = items_verdict
        if isinstance(cfg, dict) and "client.id" in cfg and isinstance(cfg["client.id"], str) \
                and cfg["client.id"] in c.net.nodes:
            v.add(ODD, "config['client.id']", "names an existing node")
        name = f"{'p' if kind == 'producer' else 'k'}{len(self.producers if kind == 'producer' else self.consumers) + 1}"
        ok, client = self.call(f"c.{kind}({src(cfg)})", lambda: getattr(c, kind)(cfg), v, kind, assign_to=name)
        if ok:
            ref = Ref(name, client)
            (self.producers if kind == "producer" else self.consumers).append(ref)
            self.callbacks[name] = []

    @precondition(lambda self: len(self.producers) < 3)
    @rule(config=config_strategy(PRODUCER_ITEMS))
    @halting
    def new_producer(self, config: Any) -> None:
        cfg, v = build_config(config)
        if isinstance(cfg, dict):
            explicit_off = resolved(cfg, "enable.idempotence", None) in (False, "false")
            inflight = resolved(cfg, "max.in.flight.requests.per.connection", 5)
            if is_int(inflight) and inflight > 5 and not explicit_off:
                v.add(BAD, "config", "max.in.flight.requests.per.connection > 5 with idempotence not explicitly off")
        self.new_client("producer", config, v, cfg)

    @precondition(lambda self: self.producers)
    @rule(i=st.integers(0, 2), topic=usual(TOPIC_NAMES + BAD_TOPIC_NAMES[5:], 4),
          value=usual(PAYLOADS, 6), key=usual(PAYLOADS, 6), partition=usual(PARTITION_ARGS, 4),
          timestamp=usual(TIMESTAMPS, 3), headers=usual(HEADERS, 8),
          cb=usual(["cb", None, "not callable", 5], 2), n=st.sampled_from([1, 1, 1, 3]))
    @halting
    def produce(self, i: int, topic: Any, value: Any, key: Any, partition: Any, timestamp: Any, headers: Any,
                cb: Any, n: int) -> None:
        ref = self.producers[i % len(self.producers)]
        p = ref.obj
        v = self.client_state(ref)
        if not isinstance(topic, str):
            v.add(BAD, "topic", f"{topic!r}")
        elif topic.startswith("__"):     # Kafka refuses it in the produce response: the report must carry an error
            v.add(ODD, "topic", "an internal topic")
        for arg, val in (("value", value), ("key", key)):
            if not (val is None or isinstance(val, (bytes, str, bytearray, memoryview))):
                v.add(BAD, arg, f"{type(val).__name__}")
        if partition is None or (is_int(partition) and partition >= -1):
            pass
        elif is_int(partition):
            v.add(ODD, "partition", f"{partition}")
        else:
            v.add(BAD, "partition", f"{partition!r}")
        if timestamp is None:
            v.add(ODD, "timestamp", "None")
        elif not is_int(timestamp) or timestamp < 0:
            v.add(BAD, "timestamp", f"{timestamp!r}")
        v.merge(self.headers_verdict(headers))
        if cb in ("not callable", 5):
            v.add(BAD, "on_delivery", f"{cb!r}")
        for _ in range(n):
            internal = isinstance(topic, str) and topic.startswith("__")
            callback: Any = DeliveryCb(self, ref.name, internal) if cb == "cb" else cb
            kw = {"value": value, "key": key, "partition": partition, "timestamp": timestamp, "headers": headers,
                  "on_delivery": callback}
            ok, _ = self.call(f"{ref.name}.produce({src(topic)}, {kwargs_src(**kw)})",
                              lambda kw=kw: p.produce(topic, **kw), v, "produce", (BufferError,))
            if isinstance(callback, DeliveryCb):
                if ok:
                    self.callbacks[ref.name].append(callback)
                else:
                    callback.refused = True
            if not ok:
                break

    @precondition(lambda self: self.producers)
    @rule(i=st.integers(0, 2), n=st.integers(1, 6), topic=st.sampled_from(["t", "t", "u", "a.b"]),
          keyed=st.booleans(), timeout=st.sampled_from([0.5, 2.0, None]))
    @halting
    def traffic(self, i: int, n: int, topic: str, keyed: bool, timeout: Any) -> None:
        """Good records and a flush: more examples have data in flight when a fault strikes."""
        ref = self.producers[i % len(self.producers)]
        p = ref.obj
        for r in range(n):
            cb = DeliveryCb(self, ref.name)
            key = f"k{r}".encode() if keyed else None
            value = b"v%d" % r
            ok, _ = self.call(f"{ref.name}.produce({src(topic)}, value={src(value)}, key={src(key)}, on_delivery=cb)",
                              lambda value=value, key=key, cb=cb: p.produce(topic, value=value, key=key, on_delivery=cb),
                              self.client_state(ref), "produce", (BufferError,))
            if not ok:
                cb.refused = True
                return
            self.callbacks[ref.name].append(cb)
        self.producer_call(i, "flush", timeout)

    def headers_verdict(self, h: Any) -> Verdict:
        v = Verdict()
        if h is None:
            return v
        if isinstance(h, dict):
            items = list(h.items())
        elif isinstance(h, list):
            items = h
        else:
            return v.add(BAD, "headers", f"{h!r}")
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2):
                return v.add(BAD, "headers", f"item {item!r}")
            k, val = item
            if not isinstance(k, str):
                v.add(BAD, "headers", f"name {k!r}")
            if not (val is None or isinstance(val, (bytes, str))):
                v.add(BAD, "headers", f"value {val!r}")
        return v

    @precondition(lambda self: self.producers)
    @rule(i=st.integers(0, 2), op=st.sampled_from(["poll", "flush", "flush", "flush", "close", "len"]),
          timeout=usual(TIMEOUTS_ANY, 8))
    @halting
    def producer_call(self, i: int, op: str, timeout: Any) -> None:
        ref = self.producers[i % len(self.producers)]
        p = ref.obj
        if op == "len":
            self.call(f"len({ref.name})", lambda: len(p), Verdict(), "len")
            return
        v = timeout_verdict(timeout)
        if op == "close":
            if p.closed and not v.good:
                v = Verdict().add(ODD, "timeout", f"{timeout!r}, unused by a closed producer")
            self.call(f"{ref.name}.close({src(timeout)})", lambda: p.close(timeout), v, "producer.close",
                      unbounded=is_inf(timeout))
            return
        v.merge(self.client_state(ref))
        unbounded = no_limit(timeout) if op == "poll" else is_inf(timeout)
        ok, left = self.call(f"{ref.name}.{op}({src(timeout)})", lambda: getattr(p, op)(timeout), v, f"producer.{op}",
                             unbounded=unbounded)
        if ok and op == "flush" and left == 0:
            missed = [cb for cb in self.callbacks[ref.name] if cb.calls == 0]
            if missed:
                self.log[-1] += "   # <- returned 0, but delivery callbacks never ran"
                self.fail("flush() returned 0 with delivery reports missing", f"{len(missed)} callbacks never ran",
                          ("flush",))

    @precondition(lambda self: self.producers)
    @rule(i=st.integers(0, 2), op=st.sampled_from(["init_transactions", "begin_transaction", "commit_transaction",
                                                   "abort_transaction"]),
          timeout=usual(TIMEOUTS_ANY, 8))
    @halting
    def transaction(self, i: int, op: str, timeout: Any) -> None:
        ref = self.producers[i % len(self.producers)]
        p = ref.obj
        v = Verdict() if op == "begin_transaction" else timeout_verdict(timeout)
        v.merge(self.client_state(ref))
        if p.txn is None:
            v.add(BAD, "state", "not transactional")
        if op == "begin_transaction":
            self.call(f"{ref.name}.begin_transaction()", lambda: p.begin_transaction(), v, op)
        else:
            self.call(f"{ref.name}.{op}({src(timeout)})", lambda: getattr(p, op)(timeout), v, op,
                      unbounded=is_inf(timeout))

    @precondition(lambda self: self.producers)
    @rule(i=st.integers(0, 2), j=st.integers(0, 2), offsets=st.one_of(st.just("positions"), TP_LISTS),
          meta=st.sampled_from(["consumer", "consumer", "stale", "g1", None]), timeout=usual(TIMEOUTS_ANY, 8))
    @halting
    def send_offsets(self, i: int, j: int, offsets: Any, meta: Any, timeout: Any) -> None:
        ref = self.producers[i % len(self.producers)]
        p = ref.obj
        v = timeout_verdict(timeout).merge(self.client_state(ref))
        if p.txn is None:
            v.add(BAD, "state", "not transactional")
        if offsets == "positions" and self.consumers:
            k = self.consumers[j % len(self.consumers)]
            ok, pos = self.call(f"{k.name}.position({k.name}.assignment())",
                                lambda: k.obj.position(k.obj.assignment()), Verdict(), "position", assign_to="pos")
            if not ok:
                return
            pos_v, pos_src = (lambda: pos), "pos"
            if any(tp.offset < 0 for tp in pos):
                v.add(BAD, "offsets", "a position is not set")
        else:
            if offsets == "positions":
                offsets = []
            pos_v, pos_src, pv = self.tp_list(offsets, "offsets", "offsets")
            v.merge(pv)
        gm: Any = meta
        gm_src = src(meta)
        if meta == "consumer" and self.consumers:
            k = self.consumers[j % len(self.consumers)]
            name = f"gm{len(self.metadata) + 1}"
            ok, gm = self.call(f"{k.name}.consumer_group_metadata()", lambda: k.obj.consumer_group_metadata(),
                               self.client_state(k), "consumer_group_metadata", assign_to=name)
            if not ok:
                return
            self.metadata.append(Ref(name, gm))
            gm_src = name
        elif meta in ("stale", "consumer"):
            if not self.metadata:
                return
            gm, gm_src = self.metadata[0].obj, self.metadata[0].name
        else:
            v.add(BAD, "group_metadata", f"{meta!r}")
        self.call(f"{ref.name}.send_offsets_to_transaction({pos_src}, {gm_src}, {src(timeout)})",
                  lambda: p.send_offsets_to_transaction(pos_v(), gm, timeout), v, "send_offsets_to_transaction",
                  unbounded=is_inf(timeout))

    # -- consumers ------------------------------------------------------------------------------------
    @precondition(lambda self: len(self.consumers) < 3)
    @rule(config=config_strategy(CONSUMER_ITEMS))
    @halting
    def new_consumer(self, config: Any) -> None:
        cfg, v = build_config(config)
        if isinstance(cfg, dict):
            hb = resolved(cfg, "heartbeat.interval.ms", 3000)
            session = resolved(cfg, "session.timeout.ms", 45000)
            group = cfg.get("group.id")
            if is_int(hb) and is_int(session) and 0 < session <= hb and isinstance(group, str) and group:
                v.add(BAD, "config", "heartbeat.interval.ms >= session.timeout.ms")   # Java checks it with a group
        self.new_client("consumer", config, v, cfg)

    def consumer(self, j: int) -> Ref:
        return self.consumers[j % len(self.consumers)]

    @precondition(lambda self: self.consumers)
    @rule(j=st.integers(0, 2), tps=TP_LISTS)
    @halting
    def assign(self, j: int, tps: Any) -> None:
        ref = self.consumer(j)
        build, text, v = self.tp_list(tps, "assign", "partitions")
        v.merge(self.client_state(ref))
        self.call(f"{ref.name}.assign({text})", lambda: ref.obj.assign(build()), v, "assign")

    @precondition(lambda self: self.consumers)
    @rule(j=st.integers(0, 2), topics=usual([["t"], ["t", "u"], ["a.b"], ["nope"], [], "t", [5], None,
                                             ["__consumer_offsets"], ["t", "t"]], 4),
          on_assign=usual([None, "on_assign", "not callable"], 2),
          op=st.sampled_from(["subscribe", "subscribe", "subscribe", "unsubscribe", "unassign", "assignment",
                              "close"]))
    @halting
    def subscribe(self, j: int, topics: Any, on_assign: Any, op: str) -> None:
        ref = self.consumer(j)
        k = ref.obj
        v = self.client_state(ref)
        if op == "close":
            self.call(f"{ref.name}.close()", lambda: k.close(), Verdict(), "consumer.close")
            return
        if op != "subscribe":
            self.call(f"{ref.name}.{op}()", lambda: getattr(k, op)(), v, op)
            return
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            v.add(BAD, "topics", f"{topics!r}")
        elif topics == [] or len(set(topics)) != len(topics):
            v.add(BAD, "topics", f"{topics!r}")             # librdkafka: _INVALID_ARG
        elif "__consumer_offsets" in topics:
            v.add(ODD, "topics", f"{topics!r}")
        cb: Any = RebalanceCb() if on_assign == "on_assign" else on_assign
        if on_assign == "not callable":
            v.add(BAD, "on_assign", "not callable")
        self.call(f"{ref.name}.subscribe({src(topics)}, on_assign={src(cb)})", lambda: k.subscribe(topics, on_assign=cb),
                  v, "subscribe")

    @precondition(lambda self: self.consumers)
    @rule(j=st.integers(0, 2), op=st.sampled_from(["poll", "poll", "consume"]), timeout=usual(TIMEOUTS_BOUNDED, 6),
          n=usual([1, 5, 0, -1, "3", 1.5, True], 2))
    @halting
    def consumer_poll(self, j: int, op: str, timeout: Any, n: Any) -> None:
        ref = self.consumer(j)
        k = ref.obj
        v = timeout_verdict(timeout).merge(self.client_state(ref))
        name = f"m{len(self.messages) + 1}"
        if op == "poll":
            ok, msg = self.call(f"{ref.name}.poll({src(timeout)})", lambda: k.poll(timeout), v, "poll", assign_to=name,
                                unbounded=is_inf(timeout))
            msgs = [msg] if ok and msg is not None else []
        else:
            if not (is_int(n) and n >= 1):
                v.add(BAD, "num_messages", f"{n!r}")
            ok, got = self.call(f"{ref.name}.consume({src(n)}, {src(timeout)})", lambda: k.consume(n, timeout), v,
                                "consume", assign_to=name, unbounded=is_inf(timeout))
            msgs = list(got) if ok else []
            if ok and is_int(n) and len(msgs) > n:
                self.fail("consume() returned too many messages", f"{len(msgs)} > {n}", ("consume",))
            if msgs:
                self.log[-1] = self.log[-1].replace(f"{name} = ", f"{name}s = ", 1) + f"; {name} = {name}s[-1]"
        for m in msgs:
            self.check_message(m, op)
        self.after_call(op)
        if msgs:
            self.messages.append(Ref(name, msgs[-1]))

    @precondition(lambda self: self.consumers)
    @rule(j=st.integers(0, 2), tps=st.one_of(st.just("assignment"), TP_LISTS),
          op=st.sampled_from(["position", "committed", "seek", "watermarks"]),
          timeout=usual(TIMEOUTS_BOUNDED[:6] + [None] + TIMEOUTS_BOUNDED[6:], 7), cached=st.booleans())
    @halting
    def positions(self, j: int, tps: Any, op: str, timeout: Any, cached: bool) -> None:
        ref = self.consumer(j)
        k = ref.obj
        v = self.client_state(ref)
        if op in ("seek", "watermarks"):
            spec = tps[0] if isinstance(tps, list) and tps else (tps[1] if isinstance(tps, tuple) and
                                                                 tps[0] == "single" else ("TP", "t", 0, 0))
            text = self.tp_src(spec)
            v.merge(self.tp_verdict(spec, "seek" if op == "seek" else "watermark", "partition"))
            if op == "seek":
                self.call(f"{ref.name}.seek({text})", lambda: k.seek(self.tp(spec)), v, "seek")
            else:
                tv = timeout_verdict(timeout)
                if cached and not tv.good:
                    tv = Verdict().add(ODD, "timeout", f"{timeout!r}, unused with cached=True")
                v.merge(tv)
                self.call(f"{ref.name}.get_watermark_offsets({text}, {src(timeout)}, cached={cached})",
                          lambda: k.get_watermark_offsets(self.tp(spec), timeout, cached), v, "get_watermark_offsets",
                          unbounded=is_inf(timeout))
            return
        if tps == "assignment":
            ok, parts = self.call(f"{ref.name}.assignment()", lambda: k.assignment(), v, "assignment", assign_to="parts")
            if not ok:
                return
            build, text = (lambda: parts), "parts"
        else:
            build, text, tv = self.tp_list(tps, "position", "partitions")
            v.merge(tv)
        if op == "position":
            self.call(f"{ref.name}.position({text})", lambda: k.position(build()), v, "position")
        else:
            v.merge(timeout_verdict(timeout))
            self.call(f"{ref.name}.committed({text}, {src(timeout)})", lambda: k.committed(build(), timeout), v,
                      "committed", unbounded=is_inf(timeout))

    @precondition(lambda self: self.consumers)
    @rule(j=st.integers(0, 2), mode=st.sampled_from(["positions", "message", "offsets", "both", "bad-message"]),
          offsets=TP_LISTS, asynchronous=usual([False, True, "no", None], 2))
    @halting
    def commit(self, j: int, mode: str, offsets: Any, asynchronous: Any) -> None:
        ref = self.consumer(j)
        k = ref.obj
        v = self.client_state(ref).merge(boolish_verdict(asynchronous, "asynchronous"))
        kw: dict[str, Any] = {}
        parts: list[str] = []
        if mode in ("message", "both"):
            if not self.messages:
                return
            m = self.messages[-1]
            kw["message"] = m.obj
            parts.append(f"message={m.name}")
            if m.obj.error() is not None:
                v.add(ODD, "message", "carries an error")
        if mode == "bad-message":
            kw["message"] = "m"
            parts.append("message='m'")
            v.add(BAD, "message", "'m'")
        if mode in ("offsets", "both"):
            build, text, tv = self.tp_list(offsets, "offsets", "offsets")
            if offsets == ("raw-arg", None):          # commit()'s default: the current positions
                tv = Verdict()
            kw["offsets"] = build
            parts.append(f"offsets={text}")
            v.merge(tv)
        if mode == "both":
            v.add(BAD, "message", "message and offsets together")
        parts.append(f"asynchronous={src(asynchronous)}")
        self.call(f"{ref.name}.commit({', '.join(parts)})", lambda: k.commit(**{a: (x() if a == "offsets" else x) for a, x in kw.items()},
                                          asynchronous=asynchronous), v,
                  "commit")

    def teardown(self) -> None:
        self.c = None


EXAMPLES = int(os.environ.get("MINIKAFKA_FUZZ_EXAMPLES", "1000"))
STEPS = int(os.environ.get("MINIKAFKA_FUZZ_STEPS", "20"))
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True,
                         database=None, print_blob=False,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])

TestFuzz = FuzzMachine.TestCase
TestFuzz.settings = FUZZ_SETTINGS
