"""The simulated network: nodes, links with latency, loss and cuts, and fault rules.

Rules:
- Nodes (brokers, the controller, clients) talk only by `send(src, dst, message)`.
- Each directed link delivers in FIFO order, like a TCP connection: a message arrives at
  `max(now + latency + extra delay, arrival of the previous message on that link)`.
- A cut link (a network partition, between two different nodes) loses nothing by itself, as
  TCP retransmits: a message that would arrive while the link is cut is held, and everything
  held is delivered in order one latency after the heal, unless its connection was closed
  meanwhile. Until then the sender only sees silence.
- A client whose request times out closes the connection (`close`), as Kafka's NetworkClient
  does. What the closer already sent and the network has not yet delivered (a message slowed by
  a delay rule, a paused receiver) still arrives, as TCP delivers the data sent before the
  FIN: the receiver handles it, and its answer, like everything else travelling back on the
  closed connection, is lost. What a cut holds is given up. A retry goes on a new connection
  and queues behind the old request on the same link (FIFO per link, not per connection), so it
  cannot overtake it.
- A message is lost, silently, when the receiver's machine is down (power loss).
- A loss or drop rule (seeded) models what loses one message over TCP: the connection breaks.
  The message, everything in flight on that connection (both directions), and whatever either
  end sends on it before it learns of the break are lost; both ends learn `on_disconnect` one
  latency later, and later messages go on a new connection. (Without this, a lost response
  followed by later ones would be a reordering TCP never does.)
- A message is refused when the receiver's *process* is down while its machine is up, or when
  the receiver restarted since the message was sent (the connection it travelled on is gone):
  the sender learns `on_disconnect(peer, incarnation)` one latency later, as a TCP reset would.
- When a process crashes, every node it was talking to learns `on_disconnect` one latency later.
- A connection belongs to one incarnation of its peer: a reset names the incarnation whose
  connection died, so requests already sent to a restarted peer's new process are unaffected.
- Rules (`Rule`) drop or delay messages by kind and endpoints, with a probability and an
  optional count; they are how a test loses exactly one produce response.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from minikafka.sim.trace import MessageFields

if TYPE_CHECKING:
    from minikafka.sim.kernel import Simulation
    from minikafka.sim.trace import Trace


class Node:
    """Something on the network: it receives messages and may crash and restart.

    Subclasses implement `receive(src, msg)` and may implement `on_disconnect(peer, incarnation)`.
    Timers started with `after()` die with the process that started them."""

    name: str
    net: "Network"

    def __init__(self, name: str, net: "Network") -> None:
        self.name = name
        self.net = net
        self.sim = net.sim
        self.alive = True           # the process runs
        self.powered = True         # the machine is up
        self.incarnation = 0        # bumped on every restart
        net.attach(self)

    def after(self, delay: int, fn: Callable[..., Any], *args: Any, daemon: bool = False):
        return self.sim.schedule(delay, self._fire, self.incarnation, fn, args, daemon=daemon)

    def _fire(self, incarnation: int, fn: Callable[..., Any], args: tuple) -> None:
        if self.alive and incarnation == self.incarnation:
            fn(*args)

    def send(self, dst: str, msg: Any, daemon: bool = False) -> None:
        self.net.send(self.name, dst, msg, daemon)

    def receive(self, src: str, msg: Any) -> None:
        raise NotImplementedError

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        pass


@dataclass
class Rule:
    """Drop or delay messages whose kind and endpoints match ("*" matches any)."""

    kind: str = "*"
    src: str = "*"
    dst: str = "*"
    drop: float = 0.0               # probability of dropping a matching message
    delay_ms: int = 0               # extra latency added to a matching message
    count: int | None = None        # how many more times the rule may fire; None: forever
    fired: int = field(default=0)

    def matches(self, kind: str, src: str, dst: str) -> bool:
        return ((self.kind == "*" or self.kind == kind) and (self.src == "*" or self.src == src)
                and (self.dst == "*" or self.dst == dst) and (self.count is None or self.count > 0))

    def __repr__(self) -> str:
        what = f"drop p={self.drop}" if self.drop else f"delay {self.delay_ms}ms"
        left = "" if self.count is None else f" x{self.count}"
        return f"Rule({what} {self.kind} {self.src}->{self.dst}{left}, fired={self.fired})"


class Network:
    def __init__(self, sim: "Simulation", trace: "Trace", latency_ms: int = 1) -> None:
        self.sim = sim
        self.trace = trace
        self.default_latency = latency_ms
        self.nodes: dict[str, Node] = {}
        self.latency: dict[tuple[str, str], int] = {}     # directed overrides
        self.loss: dict[tuple[str, str], float] = {}      # directed loss probability
        self.cuts: set[frozenset[str]] = set()
        self.rules: list[Rule] = []
        self._arrival: dict[tuple[str, str], int] = {}    # FIFO per directed link
        self._conn: dict[tuple[str, str], int] = {}       # connection generation per node pair
        self._broken_until: dict[tuple[str, str], int] = {}   # both ends know of the break from then
        self._held: dict[tuple[str, str], list[tuple]] = {}     # per directed link, while it is cut
        self._draining: set[tuple[str, str, int]] = set()       # (closer, peer, connection) still arriving
        self._orphans: set[tuple[str, str, int]] = set()        # (peer, closer, cid): its answer is lost
        self._rng = sim.rng("network")
        self._ids = 0

    def attach(self, node: Node) -> None:
        if node.name in self.nodes:
            raise ValueError(f"a node named {node.name!r} already exists")
        self.nodes[node.name] = node

    # -- faults -------------------------------------------------------------
    def cut(self, a: str, b: str) -> None:
        self._check(a, b)
        if a == b:
            raise ValueError(f"a link joins two different nodes, got {a!r} twice")
        self.cuts.add(frozenset((a, b)))
        self.trace.state(self.sim.now, "network", "link.cut", a=a, b=b)

    def heal(self, a: str, b: str) -> None:
        self._check(a, b)
        self.cuts.discard(frozenset((a, b)))
        self.trace.state(self.sim.now, "network", "link.heal", a=a, b=b)
        for link in ((a, b), (b, a)):
            for held in self._held.pop(link, ()):
                self._enqueue(link, self.sim.now + self.latency_of(*link), *held)

    def close(self, a: str, b: str) -> None:
        """`a` closes its connection to `b` (a request timed out): what `a` sent that is still on
        its way arrives; what travels back, and what a cut holds, is never delivered. `b` learns
        one latency later, if the link is not cut."""
        pair = (a, b) if a < b else (b, a)
        old = self._conn.get(pair, 0)
        self._conn[pair] = old + 1
        self._draining.add((a, b, old))
        for link in ((a, b), (b, a)):
            held = self._held.get(link)
            if held:
                self._held[link] = [h for h in held if h[5] != old]
                for mid, src, target, _, msg, conn, _ in held:
                    if conn == old:                 # given up with the connection
                        self.trace.add(self.sim.now, "drop", target.name, src, msg.kind, {"id": mid, "why": "reset"})
        self._reset(a, b, self.nodes[a].incarnation)

    def heal_all(self) -> None:
        for pair in sorted(tuple(sorted(p)) for p in self.cuts):
            self.heal(*pair)

    def is_cut(self, a: str, b: str) -> bool:
        return bool(self.cuts) and frozenset((a, b)) in self.cuts

    def _check(self, *names: str) -> None:
        for n in names:
            if n not in self.nodes:
                raise ValueError(f"unknown node {n!r}; nodes are {', '.join(sorted(self.nodes))}")

    def latency_of(self, src: str, dst: str) -> int:
        return self.latency.get((src, dst), self.default_latency)

    # -- delivery -----------------------------------------------------------
    def send(self, src: str, dst: str, msg: Any, daemon: bool = False) -> None:
        sim = self.sim
        now = sim.now
        self._ids += 1
        mid = self._ids
        kind = msg.kind
        if self.trace.enabled:
            self.trace.add(now, "send", src, dst, kind, MessageFields(msg, mid))
        delay = 0
        if self._orphans and (src, dst, getattr(msg, "cid", None)) in self._orphans:
            self._orphans.discard((src, dst, msg.cid))
            self.trace.add(now, "drop", dst, src, kind, {"id": mid, "why": "closed"})
            return
        if self._broken_until:
            pair = (src, dst) if src < dst else (dst, src)
            if now < self._broken_until.get(pair, -1):
                self.trace.add(now, "drop", dst, src, kind, {"id": mid, "why": "reset"})
                return
        for rule in self.rules:
            if rule.matches(kind, src, dst):
                if rule.drop and self._rng.random() < rule.drop:
                    self._fire(rule)
                    self.trace.add(now, "drop", dst, src, kind, {"id": mid, "why": "rule"})
                    self._break(src, dst)
                    return
                if rule.delay_ms:
                    self._fire(rule)
                    delay += rule.delay_ms
        link = (src, dst)
        if self.loss:
            loss = self.loss.get(link)
            if loss and self._rng.random() < loss:
                self.trace.add(now, "drop", dst, src, kind, {"id": mid, "why": "loss"})
                self._break(src, dst)
                return
        target = self.nodes[dst]
        conn = self._conn.get((src, dst) if src < dst else (dst, src), 0) if self._conn else 0
        self._enqueue(link, now + self.latency.get(link, self.default_latency) + delay,
                      mid, src, target, target.incarnation, msg, conn, daemon)

    def _enqueue(self, link: tuple[str, str], at: int, mid: int, src: str, target: Node, incarnation: int,
                 msg: Any, conn: int, daemon: bool) -> None:
        """Deliver at `at`, or behind the link's previous message (FIFO)."""
        prev = self._arrival.get(link, 0)
        if at < prev:
            at = prev
        self._arrival[link] = at
        self.sim.schedule(at - self.sim.now, self._deliver, mid, src, target, incarnation, msg, conn, daemon,
                          daemon=daemon)

    def _break(self, a: str, b: str) -> None:
        """The connection between a and b breaks: what is in flight on it is lost, both ends
        learn of it one latency later."""
        pair = (a, b) if a < b else (b, a)
        self._conn[pair] = self._conn.get(pair, 0) + 1
        self._broken_until[pair] = self.sim.now + max(self.latency_of(a, b), self.latency_of(b, a))
        self._reset(b, a, self.nodes[b].incarnation)
        self._reset(a, b, self.nodes[a].incarnation)

    def _fire(self, rule: Rule) -> None:
        rule.fired += 1
        if rule.count is not None:
            rule.count -= 1

    def _deliver(self, mid: int, src: str, target: Node, incarnation: int, msg: Any, conn: int = 0,
                 daemon: bool = False) -> None:
        now = self.sim.now
        why = None
        dst = target.name
        if self._conn and self._conn.get((src, dst) if src < dst else (dst, src), 0) != conn:
            if (src, dst, conn) not in self._draining or self.is_cut(src, dst):
                self.trace.add(now, "drop", dst, src, msg.kind, {"id": mid, "why": "reset"})
                return
            if getattr(msg, "cid", None) is not None:
                self._orphans.add((dst, src, msg.cid))      # it arrives on a closed connection
        if self.is_cut(src, dst):
            self._held.setdefault((src, dst), []).append((mid, src, target, incarnation, msg, conn, daemon))
            self.trace.state(now, "network", "link.held", id=mid, src=src, dst=dst, message=msg.kind)
            return
        if not target.powered:
            why = "down"
        elif not target.alive or target.incarnation != incarnation:
            why = "refused"
        if why is not None:
            self.trace.add(now, "drop", target.name, src, msg.kind, {"id": mid, "why": why})
            if why == "refused":
                self._reset(target.name, src, incarnation)
            return
        if self.trace.enabled:
            self.trace.add(now, "recv", dst, src, msg.kind, {"id": mid})
        target.receive(src, msg)

    def _reset(self, dead: str, peer: str, incarnation: int) -> None:
        """Tell `peer` (after one latency) that its connection to incarnation `incarnation` of
        `dead` was reset."""
        node = self.nodes[peer]
        if node.alive and not self.is_cut(dead, peer):
            node.after(self.latency_of(dead, peer), node.on_disconnect, dead, incarnation)

    def process_crashed(self, name: str) -> None:
        """A process died on a running machine: its peers see their connections reset."""
        incarnation = self.nodes[name].incarnation
        for peer in sorted(self.nodes):
            if peer != name:
                self._reset(name, peer, incarnation)
