"""The nemesis: seeded random fault schedules (DESIGN.md "Faults are first-class"). What a fault
and a schedule are is in `faults.py`; `nemesis_run.py` applies a schedule to a cluster.

Rules:
1. `Nemesis(seed, kinds=..., rate=..., duration_ms=...).schedule()` is a pure function of its
   arguments: faults arrive as a Poisson process of `rate` faults per virtual second, each of a
   kind drawn from `kinds`, all from `random.Random(f"nemesis/{seed}")`. The schedule keeps the
   arguments, so it can be regenerated from them alone (`schedule.params`). A kind listed
   twice in `kinds` is drawn twice as often. Kinds are those of faults.py rule 2 (`KINDS`,
   the default mix) and the episodes of rule 3 (`ALL_KINDS` has both).
2. Every crash gets a matching restart before the end (unless `restart=False`), and every
   cut a matching heal. Episodes (isolate, pause, drop, delay) carry their length and end by
   themselves. A broker takes part in at most one episode at a time, and at most `max_down`
   brokers are crashed at once, except in the two cluster-wide episodes of rule 3. With
   `settle=True` the schedule ends with `clear_rules`, `heal_all` and `restart_all` at
   `duration_ms`, so the run can settle.
3. Cluster-wide episodes, drawn only when every broker is up and free, written as plain
   crash/power_loss/restart faults marked with the episode's name, always restarted:
   `outage`: one broker crashes; once it has been fenced out of every ISR (`OUTAGE_MS`, past
   `broker.session.timeout.ms`) the others crash too; the stale one restarts alone first, the
   others a little later. Kafka with unclean election elects the stale broker and loses what
   it missed; without, the partitions wait offline for an ISR member. Process crashes only:
   the page caches survive. `blackout`: every broker loses power at once (a data-centre
   outage); what the OS had not flushed is gone everywhere (Kafka does not fsync).
   `shutdown`: every broker is stopped in controlled shutdown, one after another in a random
   order (a maintenance that went too far), then all restarted one after another in another
   random order. The replicas stopped while their ISR was below min.insync.replicas are
   eligible leader replicas (KIP-966): one of them returning first brings its partition back.
4. Pause and crash_client strike client slots, `"role#index"`, drawn from `clients`
   (nemesis_run.py rule 3 maps a slot to the live instance).
6. Controller faults (with `controllers` > 1 they leave a majority, with one they do not):
   `crash_controller` crashes one live controller, restarted after `down_ms`, one at a time;
   `quorum_loss` crashes a majority of the controllers at once and restarts them after
   `episode_ms`, so metadata freezes while the data plane serves what it can. Neither is in the
   default mix.
5. Every argument is checked when the nemesis is made (TypeError or ValueError naming it):
   `kinds` a non-empty list of known kinds, `messages` protocol message kinds, `clients`
   (role, count >= 0) pairs, `rate` > 0, `brokers` 1..64, `controllers` 1..9, `max_down` 0..brokers, times >= 0,
   `down_ms` and `episode_ms` (low, high) with 1 <= low <= high.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from minikafka.chaos.faults import Fault, Schedule
from minikafka.cluster_args import check_bool, check_int, check_range, message_kinds


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list or tuple of names, got {value!r}")
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise TypeError(f"{name} must be a list or tuple of names, got {value!r}")
    return out

KINDS = ("crash", "power_loss", "cut", "isolate", "pause", "drop", "delay", "crash_client")
EPISODES = ("outage", "blackout", "shutdown")  # rule 3: not in the default mix
CONTROLLER_KINDS = ("crash_controller", "quorum_loss")   # rule 6: not in the default mix
ALL_KINDS = KINDS + EPISODES + CONTROLLER_KINDS
OUTAGE_MS = ((10_500, 13_000), (1_000, 3_000), (3_000, 6_000))   # stale alone; all down; stale leads alone
SHUTDOWN_MS = ((500, 3_000), (1_000, 3_000), (500, 3_000))        # between stops; all down; between restarts
MESSAGES = ("ProduceRequest", "ProduceResponse", "FetchRequest", "FetchResponse", "EndTxnResponse",
            "AddPartitionsToTxnResponse", "WriteTxnMarkersRequest", "InitProducerIdResponse",
            "OffsetCommitResponse")
CLIENTS = (("producer", 2), ("consumer", 1))
DROP_PROBABILITIES = (0.3, 0.6, 1.0)
DELAYS_MS = (200, 2_000, 10_000, 35_000)      # the last outlives request.timeout.ms (30 s)
END_KINDS = ("clear_rules", "heal_all", "restart_all")


@dataclass(frozen=True)
class Nemesis:
    """A seeded fault generator (rule 1). Times are virtual ms from the start of the schedule.

    `rate`: faults per virtual second; `brokers`: broker ids 1..brokers; `messages`: the kinds
    drop and delay pick from; `clients`: (role, how many) slots crash_client and pause pick
    from; `start_ms`: quiet time before the first fault; faults stop `quiet_ms` before the
    end; `down_ms`, `episode_ms`: ranges of crash and episode lengths."""

    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    rate: float = 0.3
    duration_ms: int = 30_000
    brokers: int = 3
    controllers: int = 1
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
        """Rule 5: every argument checked (cluster_args.py), kinds, messages and clients as tuples."""
        check_int("seed", self.seed)
        kinds = _strings("kinds", self.kinds)
        for k in kinds:
            if k not in ALL_KINDS:
                raise ValueError(f"unknown nemesis kind {k!r}; kinds: {', '.join(ALL_KINDS)}")
        if not kinds:
            raise ValueError("a nemesis needs at least one kind of fault")
        object.__setattr__(self, "kinds", kinds)
        known = message_kinds()
        messages = _strings("messages", self.messages)
        for m in messages:
            if m not in known:
                raise ValueError(f"unknown message kind {m!r} in messages; kinds: {', '.join(known)}")
        object.__setattr__(self, "messages", messages)
        clients = self.clients.items() if isinstance(self.clients, Mapping) else self.clients
        if isinstance(clients, str) or not isinstance(clients, Iterable):
            raise TypeError(f"clients must be (role, count) pairs, got {self.clients!r}")
        pairs = tuple(clients)
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not isinstance(pair[0], str) \
                    or not pair[0] or "#" in pair[0]:
                raise TypeError(f"clients must be (role, count) pairs with a role name without '#', got {pair!r}")
            check_int(f"the count of clients {pair[0]!r}", pair[1], 0)
        object.__setattr__(self, "clients", tuple((r, n) for r, n in pairs))
        if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)):
            raise TypeError(f"rate must be a number of faults per virtual second > 0, got {self.rate!r}")
        if not 0 < self.rate < float("inf"):
            raise ValueError(f"rate must be a number of faults per virtual second > 0, got {self.rate!r}")
        check_int("brokers", self.brokers, 1, 64)
        check_int("controllers", self.controllers, 1, 9)
        check_int("max_down", self.max_down, 0, self.brokers)
        for name in ("duration_ms", "start_ms", "quiet_ms"):
            check_int(name, getattr(self, name), 0, unit="virtual ms")
        check_bool("restart", self.restart)
        check_bool("settle", self.settle)
        object.__setattr__(self, "down_ms", check_range("down_ms", self.down_ms, 1))
        object.__setattr__(self, "episode_ms", check_range("episode_ms", self.episode_ms, 1))

    def params(self) -> tuple[tuple[str, Any], ...]:
        return tuple((name, getattr(self, name)) for name in self.__dataclass_fields__)

    def schedule(self) -> Schedule:
        gen = _Generator(self)
        return Schedule(tuple(gen.faults()), self.duration_ms, self.params())


class _Generator:
    """The state rule 2 needs while drawing: who is down or busy until when."""

    def __init__(self, n: Nemesis) -> None:
        self.n = n
        self.rng = random.Random(f"nemesis/{n.seed}")
        self.end = n.duration_ms - n.quiet_ms            # every episode is over by then
        self.busy: dict[str, int] = {}                   # node -> time its episode ends
        self.down: dict[str, int] = {}                   # broker -> restart time
        self.ctl_down: dict[str, int] = {}               # controller -> restart time (rule 6)
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

    def _controllers(self) -> list[str]:
        return [f"c{i}" for i in range(1, self.n.controllers + 1)]

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

    def _crash_controller(self, t: int) -> None:
        """Rule 6: one controller, while no other is down."""
        if any(r > t for r in self.ctl_down.values()):
            return
        ctl = self.rng.choice(self._controllers())
        back = t + self._length(t, self.n.down_ms)
        self.out.append(Fault(t, "crash_controller", {"controller": int(ctl[1:])}))
        self.out.append(Fault(back, "restart_controller", {"controller": int(ctl[1:])}))
        self.ctl_down[ctl] = back

    def _quorum_loss(self, t: int) -> None:
        """Rule 6: a majority of the controllers, at once."""
        if any(r > t for r in self.ctl_down.values()):
            return
        ctls = self._controllers()
        lost = sorted(self.rng.sample(ctls, len(ctls) // 2 + 1))
        back = t + self._length(t, self.n.episode_ms)
        note = {"episode": "quorum_loss"}
        self.out += [Fault(t, "crash_controller", {"controller": int(c[1:]), **note}) for c in lost]
        self.out += [Fault(back, "restart_controller", {"controller": int(c[1:]), **note}) for c in lost]
        self.ctl_down.update({c: back for c in lost})

    def _cut(self, t: int) -> None:
        nodes = self._brokers() + self._controllers()
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
        """Rule 3: stale broker down, then everyone, then the stale one back alone."""
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

    def _shutdown(self, t: int) -> None:
        """Rule 3: every broker stopped, one by one, then restarted one by one."""
        brokers = self._all_brokers_free(t)
        gaps = [self.rng.randint(*SHUTDOWN_MS[0]) for _ in range(len(brokers or ()))]
        down = self.rng.randint(*SHUTDOWN_MS[1])
        backs = [self.rng.randint(*SHUTDOWN_MS[2]) for _ in range(len(brokers or ()))]
        if brokers is None or t + sum(gaps) + down + sum(backs) > self.end:
            return
        note = {"episode": "shutdown"}
        stops = self.rng.sample(brokers, len(brokers))
        starts = self.rng.sample(brokers, len(brokers))
        at = t
        for b, gap in zip(stops, gaps):
            self.out.append(Fault(at, "stop", {"broker": int(b[1:]), **note}))
            at += gap
        at += down
        for b, gap in zip(starts, backs):
            self.out.append(Fault(at, "restart", {"broker": int(b[1:]), **note}))
            self.busy[b] = self.down[b] = at
            at += gap

    def _blackout(self, t: int) -> None:
        """Rule 3: every broker loses power at once."""
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
