"""Applying a fault schedule to a running cluster as virtual time advances (DESIGN.md "Faults
are first-class"): each fault becomes a simulation event, and what it did is logged. What the
kinds of fault do is faults.py rule 2.

Rules:
1. `schedule.apply(cluster, at=...)` turns each fault into a (daemon) simulation event, so
   faults strike during blocking client calls too; with `scheduled=False` nothing happens
   until `run.advance()` applies what is due (the stepping interface). Every applied fault
   is written to the trace as a `nemesis` event and logged in `run.applied`.
2. Pause: a paused process neither sends nor receives, but the kernel keeps its connections,
   so nothing is lost: every message from or to the node during the pause arrives when the
   pause ends (within one slice, `PAUSE_SLICE_MS`). Implemented as delay rules on the node's
   links whose delay shrinks slice by slice. A paused broker stops heartbeating, so a pause
   longer than `broker.session.timeout.ms` gets it fenced; when it resumes it acts on the
   requests it held. Simplifications: the node's own timers keep running (its outgoing
   messages are held like the rest), and a message between two paused nodes waits for the
   sum of their pauses.
3. Clients are named by slot, `"producer#0"`, since instances are replaced; the workload maps
   a slot to the live instance (`clients=`), by default the index-th live client of that role.
   A slot may stand for a process with several clients (a pipeline's consumer and producer):
   the mapping then returns all their names, and crash_client and pause strike all of them.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from minikafka.chaos.faults import Fault, Schedule
    from minikafka.cluster import Cluster
    from minikafka.sim.network import Rule

PAUSE_SLICE_MS = 100
ClientMap = Callable[[str, int], "str | tuple[str, ...] | None"]     # (role, index) -> live client name(s)


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


_APPLY = {"crash": "_broker_fault", "power_loss": "_broker_fault", "restart": "_broker_fault",
          "stop": "_broker_fault", "cut": "_link",
          "heal": "_link", "isolate": "_isolate", "pause": "_pause", "drop": "_rule", "delay": "_rule",
          "crash_client": "_crash_client", "clear_rules": "_clear_rules", "heal_all": "_heal_all",
          "restart_all": "_restart_all", "crash_controller": "_controller_fault",
          "restart_controller": "_controller_fault"}


class NemesisRun:
    """A schedule being applied to one cluster (rule 1)."""

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
        elif k == "stop":
            b.begin_shutdown()                  # it stops once the controller lets it go
        else:
            c.crash_broker(b.id, power_loss=k == "power_loss")

    def _controller_fault(self, f: Fault) -> None:
        c, restart = self.c, f.kind == "restart_controller"
        ctl = c.controllers.get(f.arg("controller"))
        if ctl is None or ctl.alive == restart:
            why = "no such controller" if ctl is None else "already " + ("up" if ctl.alive else "down")
            self._note(f, f"{f}: skipped ({why})", skipped=True)
            return
        self._note(f, str(f))
        (c.restart_controller if restart else c.crash_controller)(ctl.id)

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
        ctls = [i for i, ctl in sorted(c.controllers.items()) if not ctl.alive]
        names = [f"b{b}" for b in down] + [f"c{i}" for i in ctls]
        self._note(f, f"{f}: {', '.join(names) or 'none down'}")
        for b in down:
            c.restart_broker(b)
        for i in ctls:
            c.restart_controller(i)

    def _resolve_all(self, node: Any) -> tuple[str, ...]:
        """A node name, a broker id, or a client slot "role#index" -> its node names (rule 3)."""
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
        """Rule 2: hold everything from and to `node` until `until`, one slice at a time."""
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
