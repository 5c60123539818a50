"""The nemesis: seeded random fault schedules, and the machinery that applies them to a cluster
as virtual time advances (DESIGN.md "Faults are first-class").

Rules:
1. A fault is data: `Fault(at_ms, kind, args)`, `at_ms` counted from the moment the schedule
   is applied. A `Schedule` is an ordered tuple of faults plus the length of the run. Same
   faults, same text: `str(schedule)` is a deterministic table.
2. `Nemesis(seed, kinds=..., rate=..., duration_ms=...).schedule()` is a pure function of its
   arguments: faults arrive as a Poisson process of `rate` faults per virtual second, each of a
   kind drawn from `kinds`, all from `random.Random(f"nemesis/{seed}")`. The schedule keeps the
   arguments, so it can be regenerated from them alone (`schedule.params`). A kind listed
   twice in `kinds` is drawn twice as often.
3. Every crash gets a matching restart before the end (unless `restart=False`), and every
   cut a matching heal. Episodes (isolate, pause, drop, delay) carry their length and end by
   themselves. A broker takes part in at most one episode at a time, and at most `max_down`
   brokers are crashed at once, except in the two cluster-wide episodes of rule 4b. With
   `settle=True` the schedule ends with `clear_rules`, `heal_all` and `restart_all` at
   `duration_ms`, so the run can settle.
4. Kinds: `crash`/`power_loss` (then `restart`) a broker; `cut`/`heal` the link between two
   nodes; `isolate` a node (cut every link it has, for `ms`, then heal only the links this
   fault cut); `pause` a node; `drop`/`delay` messages of one kind (a network rule that lives
   `ms`); `crash_client` (the workload replaces the instance).
4b. Cluster-wide episodes, drawn only when every broker is up and free, written as plain
   crash/power_loss/restart faults marked with the episode's name, always restarted:
   `outage`: one broker crashes; once it has been fenced out of every ISR (`OUTAGE_MS`, past
   `broker.session.timeout.ms`) the others crash too; the stale one restarts alone first, the
   others a little later. Kafka with unclean election elects the stale broker and loses what
   it missed; without, the partitions wait offline for an ISR member. Process crashes only:
   the page caches survive. `blackout`: every broker loses power at once (a data-centre
   outage); what the OS had not flushed is gone everywhere (Kafka does not fsync).
5. Pause: a paused process neither sends nor receives, but the kernel keeps its connections,
   so nothing is lost: every message from or to the node during the pause arrives when the
   pause ends (within one slice, `PAUSE_SLICE_MS`). Implemented as delay rules on the node's
   links whose delay shrinks slice by slice. A paused broker stops heartbeating, so a pause
   longer than `broker.session.timeout.ms` gets it fenced; when it resumes it acts on the
   requests it held. Simplifications: the node's own timers keep running (its outgoing
   messages are held like the rest), and a message between two paused nodes waits for the
   sum of their pauses.
6. Clients are named by slot, `"producer#0"`, since instances are replaced; the workload maps
   a slot to the live instance (`clients=`), by default the index-th live client of that role.
   A slot may stand for a process with several clients (a pipeline's consumer and producer):
   the mapping then returns all their names, and crash_client and pause strike all of them.
7. `schedule.apply(cluster, at=...)` turns each fault into a (daemon) simulation event, so
   faults strike during blocking client calls too; with `scheduled=False` nothing happens
   until `run.advance()` applies what is due (the stepping interface). Every applied fault
   is written to the trace as a `nemesis` event and logged in `run.applied`.
"""
from __future__ import annotations

import heapq
import random
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from minikafka.cluster import Cluster
    from minikafka.sim.network import Rule

KINDS = ("crash", "power_loss", "cut", "isolate", "pause", "drop", "delay", "crash_client")
EPISODES = ("outage", "blackout")              # rule 4b: not in the default mix
ALL_KINDS = KINDS + EPISODES
OUTAGE_MS = ((10_500, 13_000), (1_000, 3_000), (3_000, 6_000))   # stale alone; all down; stale leads alone
MESSAGES = ("ProduceRequest", "ProduceResponse", "FetchRequest", "FetchResponse", "EndTxnResponse",
            "AddPartitionsToTxnResponse", "WriteTxnMarkersRequest", "InitProducerIdResponse",
            "OffsetCommitResponse")
CLIENTS = (("producer", 2), ("consumer", 1))
DROP_PROBABILITIES = (0.3, 0.6, 1.0)
DELAYS_MS = (200, 2_000, 10_000, 35_000)      # the last outlives request.timeout.ms (30 s)
PAUSE_SLICE_MS = 100
ClientMap = Callable[[str, int], "str | tuple[str, ...] | None"]     # (role, index) -> live client name(s)
END_KINDS = ("clear_rules", "heal_all", "restart_all")


@dataclass(frozen=True)
class Fault:
    """One fault: what happens `at_ms` after the schedule starts. `args` may be given as a dict."""

    at_ms: int
    kind: str
    args: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.args, Mapping):
            object.__setattr__(self, "args", tuple(self.args.items()))
        if not isinstance(self.at_ms, int) or self.at_ms < 0:
            raise ValueError(f"a fault's at_ms must be an integer >= 0, got {self.at_ms!r}")
        if self.kind not in _DESCRIBE:
            raise ValueError(f"unknown fault kind {self.kind!r}; kinds: {', '.join(_DESCRIBE)}")

    def arg(self, name: str, default: Any = None) -> Any:
        for k, v in self.args:
            if k == name:
                return v
        return default

    def shifted(self, ms: int) -> "Fault":
        return Fault(self.at_ms + ms, self.kind, self.args)

    def __str__(self) -> str:
        return _DESCRIBE[self.kind](self)


def _node(n: Any) -> str:
    return f"b{n}" if isinstance(n, int) else str(n)


def _episode_note(f: Fault) -> str:
    episode = f.arg("episode")
    return f" ({episode})" if episode else ""


def _rule_text(f: Fault) -> str:
    ends = ""
    if f.arg("src", "*") != "*" or f.arg("dst", "*") != "*":
        ends = f" {_node(f.arg('src', '*'))}->{_node(f.arg('dst', '*'))}"
    count = f.arg("count")
    times = "" if count is None else f" x{count}"
    what = f"p={f.arg('p', 1.0):g}" if f.kind == "drop" else f"+{f.arg('delay')} ms"
    return f"{f.kind} {f.arg('message')}{ends} {what}{times} for {f.arg('ms')} ms"


_DESCRIBE: dict[str, Callable[[Fault], str]] = {
    "crash": lambda f: f"crash {_node(f.arg('broker'))}{_episode_note(f)}",
    "power_loss": lambda f: f"power-loss crash {_node(f.arg('broker'))}{_episode_note(f)}",
    "restart": lambda f: f"restart {_node(f.arg('broker'))}{_episode_note(f)}",
    "cut": lambda f: f"cut {_node(f.arg('a'))} | {_node(f.arg('b'))}",
    "heal": lambda f: f"heal {_node(f.arg('a'))} | {_node(f.arg('b'))}",
    "isolate": lambda f: f"isolate {_node(f.arg('node'))} for {f.arg('ms')} ms",
    "pause": lambda f: f"pause {_node(f.arg('node'))} for {f.arg('ms')} ms",
    "drop": _rule_text,
    "delay": _rule_text,
    "crash_client": lambda f: f"crash client {f.arg('client')}",
    "clear_rules": lambda f: "clear network rules",
    "heal_all": lambda f: "heal all links",
    "restart_all": lambda f: "restart every crashed broker",
}


@dataclass(frozen=True)
class Schedule:
    """Faults in time order, and how long the run lasts. `params` are the generator's arguments
    (empty for a hand-built schedule)."""

    faults: tuple[Fault, ...] = ()
    duration_ms: int = 0
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        faults = tuple(sorted(self.faults, key=lambda f: f.at_ms))      # stable: ties keep their order
        object.__setattr__(self, "faults", faults)
        last = faults[-1].at_ms if faults else 0
        if self.duration_ms < last:
            object.__setattr__(self, "duration_ms", last)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self.faults)

    def __len__(self) -> int:
        return len(self.faults)

    def __add__(self, other: "Schedule") -> "Schedule":
        """Both schedules at once (the same as `merge(self, other)`)."""
        return merge(self, other)

    def then(self, other: "Schedule") -> "Schedule":
        """`other` after this one: its faults shifted by this schedule's duration."""
        return Schedule(self.faults + other.shifted(self.duration_ms).faults,
                        self.duration_ms + other.duration_ms)

    def shifted(self, ms: int) -> "Schedule":
        return Schedule(tuple(f.shifted(ms) for f in self.faults), self.duration_ms + ms)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.faults if f.kind == kind)

    def problems(self) -> list[str]:
        """Rule 3, checked: crashes without a later restart, cuts without a later heal."""
        out = []
        down: dict[str, int] = {}
        cut: dict[tuple[str, str], int] = {}
        for f in self.faults:
            if f.kind in ("crash", "power_loss"):
                down[_node(f.arg("broker"))] = f.at_ms
            elif f.kind == "restart":
                down.pop(_node(f.arg("broker")), None)
            elif f.kind == "restart_all":
                down.clear()
            elif f.kind == "cut":
                cut[_pair(f.arg("a"), f.arg("b"))] = f.at_ms
            elif f.kind == "heal":
                cut.pop(_pair(f.arg("a"), f.arg("b")), None)
            elif f.kind == "heal_all":
                cut.clear()
        out += [f"{b} crashed at {t} ms is never restarted" for b, t in sorted(down.items())]
        out += [f"link {a} | {b} cut at {t} ms is never healed" for (a, b), t in sorted(cut.items())]
        return out

    def describe(self) -> str:
        if not self.params:
            return f"hand-built schedule, {self.duration_ms} ms"
        return "Nemesis(" + ", ".join(f"{k}={_param(v)}" for k, v in self.params) + ")"

    def table(self) -> str:
        head = textwrap.wrap(f"{self.describe()}: {len(self.faults)} faults", 100, subsequent_indent="    ",
                             break_long_words=False, break_on_hyphens=False)
        lines = [*head, f"{'at ms':>8}  fault"]
        lines += [f"{f.at_ms:>8}  {f}" for f in self.faults]
        return "\n".join(lines)

    __str__ = table

    def apply(self, cluster: "Cluster", at: int | None = None,
              clients: "ClientMap | None" = None, scheduled: bool = True) -> "NemesisRun":
        """Start this schedule on `cluster` at virtual time `at` (default: now). See rule 7."""
        run = NemesisRun(self, cluster, cluster.now if at is None else at, clients, scheduled)
        run.start()
        return run


def _pair(a: Any, b: Any) -> tuple[str, str]:
    x, y = _node(a), _node(b)
    return (x, y) if x <= y else (y, x)


def _param(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(_param(x) for x in v) + ")"
    return str(v)


def merge(*schedules: Schedule) -> Schedule:
    """Every fault of every schedule, in time order (ties: in argument order)."""
    faults = tuple(f for s in schedules for f in s.faults)
    return Schedule(faults, max((s.duration_ms for s in schedules), default=0))


# -- the generator ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Nemesis:
    """A seeded fault generator (rule 2). Times are virtual ms from the start of the schedule.

    `rate`: faults per virtual second; `brokers`: broker ids 1..brokers; `messages`: the kinds
    drop and delay pick from; `clients`: (role, how many) slots crash_client and pause pick
    from; `start_ms`: quiet time before the first fault; faults stop `quiet_ms` before the
    end; `down_ms`, `episode_ms`: ranges of crash and episode lengths."""

    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    rate: float = 0.3
    duration_ms: int = 30_000
    brokers: int = 3
    messages: tuple[str, ...] = MESSAGES
    clients: tuple[tuple[str, int], ...] = CLIENTS
    restart: bool = True
    settle: bool = True
    max_down: int = 1
    start_ms: int = 1_000
    quiet_ms: int = 2_000
    down_ms: tuple[int, int] = (2_000, 15_000)
    episode_ms: tuple[int, int] = (1_000, 12_000)

    def __post_init__(self) -> None:
        kinds = tuple(self.kinds)
        for k in kinds:
            if k not in ALL_KINDS:
                raise ValueError(f"unknown nemesis kind {k!r}; kinds: {', '.join(ALL_KINDS)}")
        if not kinds:
            raise ValueError("a nemesis needs at least one kind of fault")
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "messages", tuple(self.messages))
        clients = self.clients.items() if isinstance(self.clients, Mapping) else self.clients
        object.__setattr__(self, "clients", tuple((r, n) for r, n in clients))
        if self.rate <= 0:
            raise ValueError(f"rate must be > 0 faults per second, got {self.rate!r}")

    def params(self) -> tuple[tuple[str, Any], ...]:
        return tuple((name, getattr(self, name)) for name in self.__dataclass_fields__)

    def schedule(self) -> Schedule:
        gen = _Generator(self)
        return Schedule(tuple(gen.faults()), self.duration_ms, self.params())


class _Generator:
    """The state rule 3 needs while drawing: who is down or busy until when."""

    def __init__(self, n: Nemesis) -> None:
        self.n = n
        self.rng = random.Random(f"nemesis/{n.seed}")
        self.end = n.duration_ms - n.quiet_ms            # every episode is over by then
        self.busy: dict[str, int] = {}                   # node -> time its episode ends
        self.down: dict[str, int] = {}                   # broker -> restart time
        self.cuts: dict[tuple[str, str], int] = {}       # link -> heal time
        self.out: list[Fault] = []

    def faults(self) -> list[Fault]:
        n, rng = self.n, self.rng
        t = n.start_ms
        while True:
            t += max(1, round(rng.expovariate(n.rate / 1000)))
            if t >= self.end:
                break
            kind = rng.choice(n.kinds)
            getattr(self, "_" + kind)(t)
        if n.settle:
            self.out += [Fault(n.duration_ms, k) for k in END_KINDS]
        return self.out

    def _free(self, t: int, nodes: Iterable[str]) -> list[str]:
        return [x for x in nodes if self.busy.get(x, -1) < t]

    def _length(self, t: int, bounds: tuple[int, int]) -> int:
        return min(self.rng.randint(*bounds), self.end - t)

    def _brokers(self) -> list[str]:
        return [f"b{i}" for i in range(1, self.n.brokers + 1)]

    def _crash(self, t: int, kind: str = "crash") -> None:
        if sum(1 for r in self.down.values() if r > t) >= self.n.max_down:
            return
        free = self._free(t, self._brokers())
        if not free:
            return
        b = self.rng.choice(free)
        broker = int(b[1:])
        self.out.append(Fault(t, kind, {"broker": broker}))
        if self.n.restart:
            back = t + self._length(t, self.n.down_ms)
            self.out.append(Fault(back, "restart", {"broker": broker}))
        else:
            back = self.n.duration_ms + 1
        self.down[b] = self.busy[b] = back

    def _power_loss(self, t: int) -> None:
        self._crash(t, "power_loss")

    def _cut(self, t: int) -> None:
        nodes = self._brokers() + ["controller"]
        pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:] if self.cuts.get((a, b), -1) < t]
        if not pairs:
            return
        a, b = self.rng.choice(pairs)
        heal = t + self._length(t, self.n.episode_ms)
        self.out.append(Fault(t, "cut", {"a": a, "b": b}))
        self.out.append(Fault(heal, "heal", {"a": a, "b": b}))
        self.cuts[(a, b)] = heal

    def _episode(self, t: int, kind: str, candidates: list[str]) -> None:
        free = self._free(t, candidates)
        if not free:
            return
        node = self.rng.choice(free)
        ms = self._length(t, self.n.episode_ms)
        self.out.append(Fault(t, kind, {"node": node, "ms": ms}))
        self.busy[node] = t + ms

    def _isolate(self, t: int) -> None:
        self._episode(t, "isolate", self._brokers())

    def _pause(self, t: int) -> None:
        slots = [f"{role}#{i}" for role, count in self.n.clients for i in range(count)]
        self._episode(t, "pause", self._brokers() + slots)

    def _rule(self, t: int, kind: str) -> None:
        if not self.n.messages:
            return
        rng = self.rng
        args: dict[str, Any] = {"message": rng.choice(self.n.messages)}
        if kind == "drop":
            args["p"] = rng.choice(DROP_PROBABILITIES)
        else:
            args["delay"] = rng.choice(DELAYS_MS)
        args["count"] = rng.randint(1, 3)
        args["ms"] = self._length(t, self.n.episode_ms)
        self.out.append(Fault(t, kind, args))

    def _drop(self, t: int) -> None:
        self._rule(t, "drop")

    def _delay(self, t: int) -> None:
        self._rule(t, "delay")

    def _all_brokers_free(self, t: int) -> list[str] | None:
        brokers = self._brokers()
        if len(self._free(t, brokers)) < len(brokers) or any(r > t for r in self.down.values()):
            return None
        return brokers

    def _outage(self, t: int) -> None:
        """Rule 4b: stale broker down, then everyone, then the stale one back alone."""
        brokers = self._all_brokers_free(t)
        alone, together, leads = (self.rng.randint(*r) for r in OUTAGE_MS)
        if brokers is None or len(brokers) < 2 or t + alone + together + leads > self.end:
            return
        stale = self.rng.choice(brokers)
        rest = [b for b in brokers if b != stale]
        note = {"episode": "outage"}
        self.out.append(Fault(t, "crash", {"broker": int(stale[1:]), **note}))
        self.out += [Fault(t + alone, "crash", {"broker": int(b[1:]), **note}) for b in rest]
        back = t + alone + together
        self.out.append(Fault(back, "restart", {"broker": int(stale[1:]), **note}))
        self.out += [Fault(back + leads, "restart", {"broker": int(b[1:]), **note}) for b in rest]
        for b in brokers:
            self.busy[b] = back + leads
        self.down[stale] = back
        self.down.update({b: back + leads for b in rest})

    def _blackout(self, t: int) -> None:
        """Rule 4b: every broker loses power at once."""
        brokers = self._all_brokers_free(t)
        if brokers is None:
            return
        back = t + self._length(t, self.n.down_ms)
        note = {"episode": "blackout"}
        self.out += [Fault(t, "power_loss", {"broker": int(b[1:]), **note}) for b in brokers]
        self.out += [Fault(back, "restart", {"broker": int(b[1:]), **note}) for b in brokers]
        for b in brokers:
            self.busy[b] = self.down[b] = back

    def _crash_client(self, t: int) -> None:
        slots = [f"{role}#{i}" for role, count in self.n.clients for i in range(count)]
        if slots:
            self.out.append(Fault(t, "crash_client", {"client": self.rng.choice(slots)}))


# -- applying a schedule -------------------------------------------------------------------------
@dataclass
class Applied:
    """A fault as it was applied: when (virtual ms), where in the trace, and what happened."""

    time: int
    trace_seq: int
    fault: Fault | None
    text: str
    skipped: bool = False           # the fault found nothing to act on (no such node, no live client...)

    def __str__(self) -> str:
        return f"{self.time:>8}  #{self.trace_seq:<7} {self.text}"


@dataclass(order=True)
class _Item:
    time: int
    order: int
    action: Callable[[], None] = field(compare=False)


_APPLY = {"crash": "_broker_fault", "power_loss": "_broker_fault", "restart": "_broker_fault", "cut": "_link",
          "heal": "_link", "isolate": "_isolate", "pause": "_pause", "drop": "_rule", "delay": "_rule",
          "crash_client": "_crash_client", "clear_rules": "_clear_rules", "heal_all": "_heal_all",
          "restart_all": "_restart_all"}


class NemesisRun:
    """A schedule being applied to one cluster (rule 7)."""

    def __init__(self, schedule: Schedule, cluster: "Cluster", start: int,
                 clients: "ClientMap | None", scheduled: bool) -> None:
        self.schedule = schedule
        self.c = cluster
        self.start_ms = start
        self.clients = clients
        self.scheduled = scheduled
        self.applied: list[Applied] = []
        self._agenda: list[_Item] = []
        self._order = 0
        self._pauses: dict[str, list["Rule"]] = {}        # node -> its current slice's rules
        self._isolated: dict[str, list[tuple[str, str]]] = {}

    def start(self) -> None:
        for f in self.schedule.faults:
            self._at(self.start_ms + f.at_ms, lambda f=f: self._apply(f))

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.schedule.duration_ms

    def advance(self) -> int:
        """Stepping interface: apply everything due by the cluster's current time. Returns how
        many actions ran."""
        n = 0
        while self._agenda and self._agenda[0].time <= self.c.now:
            heapq.heappop(self._agenda).action()
            n += 1
        return n

    def log(self) -> str:
        return "\n".join(str(a) for a in self.applied)

    # -- the agenda ------------------------------------------------------------------------
    def _at(self, time: int, action: Callable[[], None]) -> None:
        if self.scheduled:
            self.c.sim.schedule(max(0, time - self.c.now), action, daemon=True)
        else:
            self._order += 1
            heapq.heappush(self._agenda, _Item(time, self._order, action))

    def _note(self, fault: Fault | None, text: str, skipped: bool = False) -> None:
        c = self.c
        self.applied.append(Applied(c.now, len(c.trace), fault, text, skipped))
        c.trace.state(c.now, "nemesis", "nemesis", fault=text)

    # -- faults ----------------------------------------------------------------------------
    def _apply(self, f: Fault) -> None:
        getattr(self, _APPLY[f.kind])(f)

    def _broker_fault(self, f: Fault) -> None:
        c, k = self.c, f.kind
        b = c.brokers.get(f.arg("broker"))
        if b is None or b.alive == (k == "restart"):
            why = "no such broker" if b is None else "already " + ("up" if b.alive else "down")
            self._note(f, f"{f}: skipped ({why})", skipped=True)
            return
        self._note(f, str(f))
        if k == "restart":
            c.restart_broker(b.id)
        else:
            c.crash_broker(b.id, power_loss=k == "power_loss")

    def _link(self, f: Fault) -> None:
        a, b = self._resolve(f.arg("a")), self._resolve(f.arg("b"))
        if a is None or b is None or a == b:
            self._note(f, f"{f}: skipped (no such node)", skipped=True)
            return
        self._note(f, str(f))
        (self.c.cut if f.kind == "cut" else self.c.heal)(a, b)

    def _crash_client(self, f: Fault) -> None:
        c = self.c
        names = [n for n in self._resolve_all(f.arg("client")) if c.clients[n].alive]
        if not names:
            self._note(f, f"{f}: skipped (no live client)", skipped=True)
            return
        self._note(f, f"{f} ({', '.join(names)})")
        for name in names:
            c.crash_client(name)

    def _clear_rules(self, f: Fault) -> None:
        self._note(f, str(f))
        self.c.clear_rules()
        self._pauses.clear()

    def _heal_all(self, f: Fault) -> None:
        self._note(f, str(f))
        self.c.heal_all()
        self._isolated.clear()

    def _restart_all(self, f: Fault) -> None:
        c = self.c
        down = [b for b, broker in sorted(c.brokers.items()) if not broker.alive]
        self._note(f, f"{f}: {', '.join(f'b{b}' for b in down) or 'none down'}")
        for b in down:
            c.restart_broker(b)

    def _resolve_all(self, node: Any) -> tuple[str, ...]:
        """A node name, a broker id, or a client slot "role#index" -> its node names (rule 6)."""
        if isinstance(node, int):
            return (f"b{node}",) if node in self.c.brokers else ()
        if "#" in node:
            role, index = node.split("#", 1)
            if self.clients is not None:
                got = self.clients(role, int(index))
                return () if got is None else (got,) if isinstance(got, str) else tuple(got)
            live = [name for name, cl in self.c.clients.items() if cl.role == role and cl.alive]
            return (live[int(index) % len(live)],) if live else ()
        return (node,) if node in self.c.net.nodes else ()

    def _resolve(self, node: Any) -> str | None:
        """The first of `_resolve_all`, or None."""
        names = self._resolve_all(node)
        return names[0] if names else None

    def _isolate(self, f: Fault) -> None:
        c = self.c
        node = self._resolve(f.arg("node"))
        if node is None or node in self._isolated:
            why = "no such node" if node is None else "already isolated"
            self._note(f, f"{f}: skipped ({why})", skipped=True)
            return
        self._note(f, str(f))
        links = [(node, other) for other in sorted(c.net.nodes)
                 if other != node and not c.net.is_cut(node, other)]
        for a, b in links:
            c.cut(a, b)
        self._isolated[node] = links
        self._at(c.now + f.arg("ms"), lambda: self._rejoin(node))

    def _rejoin(self, node: str) -> None:
        links = self._isolated.pop(node, None)
        if links is None:
            return                          # healed already (heal_all)
        self._note(None, f"end of isolation of {node}: heal its {len(links)} links")
        for a, b in links:
            self.c.heal(a, b)

    def _pause(self, f: Fault) -> None:
        names = self._resolve_all(f.arg("node"))
        if not names or any(n in self._pauses for n in names):
            self._note(f, f"{f}: skipped ({'no such node' if not names else 'already paused'})", skipped=True)
            return
        shown = ", ".join(names)
        self._note(f, f"{f} ({shown})" if shown != f.arg("node") else str(f))
        for node in names:
            self._pauses[node] = []
            self._pause_slice(node, self.c.now + f.arg("ms"))

    def _pause_slice(self, node: str, until: int) -> None:
        """Rule 5: hold everything from and to `node` until `until`, one slice at a time."""
        c = self.c
        rules = self._pauses.get(node)
        if rules is None:
            return                          # resumed early (clear_rules)
        self._drop_rules(rules)
        left = until - c.now
        if left <= 0:
            del self._pauses[node]
            self._note(None, f"resume {node}")
            return
        rules[:] = [c.delay("*", ms=left, src=node), c.delay("*", ms=left, dst=node)]
        self._at(c.now + min(PAUSE_SLICE_MS, left), lambda: self._pause_slice(node, until))

    def _end(self, node: Any) -> str | None:
        return "*" if node == "*" else self._resolve(node)

    def _rule(self, f: Fault) -> None:
        c = self.c
        src, dst = self._end(f.arg("src", "*")), self._end(f.arg("dst", "*"))
        if src is None or dst is None:
            self._note(f, f"{f}: skipped (no such node)", skipped=True)
            return
        self._note(f, str(f))
        if f.kind == "drop":
            rule = c.drop(f.arg("message"), probability=f.arg("p", 1.0), count=f.arg("count"), src=src, dst=dst)
        else:
            rule = c.delay(f.arg("message"), ms=f.arg("delay"), count=f.arg("count"), src=src, dst=dst)
        self._at(c.now + f.arg("ms"), lambda: self._drop_rules([rule]))

    def _drop_rules(self, rules: list["Rule"]) -> None:
        """Remove these rules (by identity: equal rules may be distinct) unless already cleared."""
        live = self.c.net.rules
        for r in rules:
            for i, x in enumerate(live):
                if x is r:
                    del live[i]
                    break
