"""What a fault and a schedule of faults are: plain data with a deterministic text (DESIGN.md
"Faults are first-class"). `nemesis.py` draws seeded schedules; `nemesis_run.py` applies a
schedule to a cluster as virtual time advances.

Rules:
1. A fault is data: `Fault(at_ms, kind, args)`, `at_ms` counted from the moment the schedule
   is applied. A `Schedule` is an ordered tuple of faults plus the length of the run. Same
   faults, same text: `str(schedule)` is a deterministic table.
2. Kinds: `crash`/`power_loss`/`stop` (a controlled shutdown; then `restart`) a broker; `cut`/`heal` the link between two
   nodes; `isolate` a node (cut every link it has, for `ms`, then heal only the links this
   fault cut); `pause` a node; `drop`/`delay` messages of one kind (a network rule that lives
   `ms`); `crash_client` (the workload replaces the instance); `crash_controller` (then
   `restart_controller`) a controller of the metadata quorum. `clear_rules`, `heal_all` and
   `restart_all` (crashed brokers and controllers) end a run that must settle (nemesis.py rule 2). The faults of a cluster-wide
   episode (nemesis.py rule 3) carry the episode's name.
3. `schedule.problems()` checks nemesis.py rule 2 on any schedule, hand-built ones too: a
   crash without a later restart, a cut without a later heal.
4. A fault's arguments are checked when it is made (`ARGS`: the names each kind takes, which
   are required, and their values), so a wrong one fails where it was written, not when the
   schedule reaches it. Whether a node exists is a question for the cluster the schedule runs
   on: a fault naming a node that is not there is skipped and says so (nemesis_run.py).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from minikafka.chaos.nemesis_run import ClientMap, NemesisRun
from minikafka.cluster_args import check_count, check_int, check_kind, check_probability, check_str
from minikafka.clients.message import is_int

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


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
        _check_args(self.kind, self.args)

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
    "stop": lambda f: f"controlled stop {_node(f.arg('broker'))}{_episode_note(f)}",
    "cut": lambda f: f"cut {_node(f.arg('a'))} | {_node(f.arg('b'))}",
    "heal": lambda f: f"heal {_node(f.arg('a'))} | {_node(f.arg('b'))}",
    "isolate": lambda f: f"isolate {_node(f.arg('node'))} for {f.arg('ms')} ms",
    "pause": lambda f: f"pause {_node(f.arg('node'))} for {f.arg('ms')} ms",
    "drop": _rule_text,
    "delay": _rule_text,
    "crash_client": lambda f: f"crash client {f.arg('client')}",
    "crash_controller": lambda f: f"crash controller c{f.arg('controller')}{_episode_note(f)}",
    "restart_controller": lambda f: f"restart controller c{f.arg('controller')}{_episode_note(f)}",
    "clear_rules": lambda f: "clear network rules",
    "heal_all": lambda f: "heal all links",
    "restart_all": lambda f: "restart every crashed broker",
}


def _broker(name: str, v: Any) -> None:
    check_int(name, v, 0)


def _node_arg(name: str, v: Any) -> None:
    """A broker id, a node name ("b1", "consumer-1"), or a client slot "role#index"."""
    accepted = 'a broker id (an integer >= 0), a node name such as "b1", or a client slot such as "producer#0"'
    if is_int(v):
        if v < 0:
            raise ValueError(f"{name} must be {accepted}, got {v!r}")
        return
    if not isinstance(v, str) or not v:
        raise TypeError(f"{name} must be {accepted}, got {v!r}")
    if "#" in v:
        role, _, index = v.partition("#")
        if not role or not index.isdigit():
            raise ValueError(f"{name} must be {accepted}, got {v!r}")


def _end_arg(name: str, v: Any) -> None:
    if v != "*":
        _node_arg(name, v)


#: kind -> {argument: (required, check)}; every kind also takes an optional `episode` name.
ARGS: dict[str, dict[str, tuple[bool, Callable[[str, Any], Any]]]] = {
    "crash": {"broker": (True, _broker)},
    "power_loss": {"broker": (True, _broker)},
    "restart": {"broker": (True, _broker)},
    "stop": {"broker": (True, _broker)},
    "cut": {"a": (True, _node_arg), "b": (True, _node_arg)},
    "heal": {"a": (True, _node_arg), "b": (True, _node_arg)},
    "isolate": {"node": (True, _node_arg), "ms": (True, lambda n, v: check_int(n, v, 1, unit="ms"))},
    "pause": {"node": (True, _node_arg), "ms": (True, lambda n, v: check_int(n, v, 1, unit="ms"))},
    "drop": {"message": (True, lambda n, v: check_kind(v)), "p": (False, check_probability),
             "count": (False, check_count), "ms": (True, lambda n, v: check_int(n, v, 1, unit="ms")),
             "src": (False, _end_arg), "dst": (False, _end_arg)},
    "delay": {"message": (True, lambda n, v: check_kind(v)), "delay": (True, lambda n, v: check_int(n, v, 0, unit="ms")),
              "count": (False, check_count), "ms": (True, lambda n, v: check_int(n, v, 1, unit="ms")),
              "src": (False, _end_arg), "dst": (False, _end_arg)},
    "crash_client": {"client": (True, _node_arg)},
    "crash_controller": {"controller": (True, lambda n, v: check_int(n, v, 1))},
    "restart_controller": {"controller": (True, lambda n, v: check_int(n, v, 1))},
    "clear_rules": {},
    "heal_all": {},
    "restart_all": {},
}


def _check_args(kind: str, args: tuple[tuple[str, Any], ...]) -> None:
    """Rule 4."""
    if not isinstance(args, tuple) or not all(isinstance(a, tuple) and len(a) == 2 for a in args):
        raise TypeError(f"a {kind} fault's args must be a dict or (name, value) pairs, got {args!r}")
    schema = ARGS[kind]
    names = [name for name, _ in args]
    takes = ", ".join([*schema, "episode"])
    for name, value in args:
        if name == "episode":
            check_str(f"{kind} fault's episode", value)
        elif name not in schema:
            raise ValueError(f"a {kind} fault takes no argument {name!r}; it takes: {takes}")
        else:
            schema[name][1](f"{kind} fault's {name}", value)
    if len(set(names)) != len(names):
        raise ValueError(f"a {kind} fault names an argument twice: {names}")
    missing = [name for name, (required, _) in schema.items() if required and name not in names]
    if missing:
        raise ValueError(f"a {kind} fault needs {', '.join(missing)}; it takes: {takes}")


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
        """nemesis.py rule 2, checked: crashes without a later restart, cuts without a later heal."""
        out = []
        down: dict[str, int] = {}
        cut: dict[tuple[str, str], int] = {}
        for f in self.faults:
            if f.kind in ("crash", "power_loss", "stop"):
                down[_node(f.arg("broker"))] = f.at_ms
            elif f.kind == "restart":
                down.pop(_node(f.arg("broker")), None)
            elif f.kind == "crash_controller":
                down[f"c{f.arg('controller')}"] = f.at_ms
            elif f.kind == "restart_controller":
                down.pop(f"c{f.arg('controller')}", None)
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
        """Start this schedule on `cluster` at virtual time `at` (default: now). See nemesis_run.py rule 1."""
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
