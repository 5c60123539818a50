"""`GroupLab`: add, close and crash consumers, pick the assignor (a fresh group), run while every
live consumer keeps polling; see who owns which partition, the lag and the rebalances.

Rules:
- Picking an assignor starts afresh: a new cluster with the same seed, a new group of `consumers`
  consumers, run until the first generation is stable.
- Time runs only through Run (or the fresh start): a producer adds `rate` records per second
  while every live consumer polls in turn.
- Close leaves the group cleanly; Crash stops the consumer without a word, and the coordinator
  removes it session.timeout.ms after its last heartbeat.
- Close and Crash are disabled while no consumer is live (`member_buttons`).
- `event_line` writes a group event in a line of at most 100 columns, wrapped between fields
  (member ids shortened to their consumer).
"""
from __future__ import annotations

from typing import Any

from minikafka import viz
from minikafka.cluster import Cluster
from minikafka.viz import _style as viz_style
from minikafka.viz import groups as viz_groups
from minikafka.widgets._base import _guarded, _pre, _View, _w, set_buttons

ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
GROUP_EVENTS = ("group.rebalance", "group.generation", "group.stable", "group.assigned", "group.revoked",
                "group.lost", "group.member_removed", "group.join", "group.leave", "consumer.poll_timeout")


def event_line(e: Any, width: int = 100) -> str:
    """A group event: time, node, name, fields (member ids shortened to their consumer, the
    group left out), wrapped between fields to `width` columns under the event's name."""
    fields = {k: v for k, v in e.fields.items() if k != "group"}
    text = viz_groups.short_ids(f"{e.name} {viz_style.fmt_fields(fields)}").rstrip()
    return "\n".join(viz_style.hang(f"{e.time:>7} {e.node:<11} ", text, width))


def member_buttons(live: int) -> dict[str, tuple[bool, str]]:
    """Close and Crash with `live` consumers: (enabled, tooltip)."""
    none = "no consumer is live: press Add consumer first"
    return {"close": (live > 0, "close the chosen consumer: it leaves the group cleanly" if live else none),
            "crash": (live > 0, "crash the chosen consumer: it stops without a word" if live else none)}


class GroupLab(_View):
    """A consumer group on one topic: add, close and crash consumers, pick the assignor, run
    while every live consumer keeps polling; see who owns which partition, the lag and the
    rebalances. A producer adds `rate` records per second while it runs."""

    def __init__(self, seed: int = 7, topic: str = "clicks", partitions: int = 4, group: str = "lab",
                 assignor: str = "range", consumers: int = 2, rate: int = 5, session_timeout_ms: int = 6000,
                 events: int = 8) -> None:
        W = _w()
        self.seed, self.topic, self.n_partitions, self.group = seed, topic, partitions, group
        self.session_timeout_ms, self.initial, self.show_events = session_timeout_ms, consumers, events
        self.cluster: Cluster = Cluster(brokers=3, seed=seed)
        self.live: list[Any] = []            # consumers that poll when time runs
        self.sent = 0                        # records produced (keys k0, k1, ...)
        self.produced, self.produce_from = 0, 0     # records produced in this run, since when
        self.assignor = W.Dropdown(options=list(ASSIGNORS), value=assignor, description="assignor",
                                   layout=W.Layout(width="260px"))
        self.add = W.Button(description="Add consumer", button_style="primary", icon="user-plus")
        self.member = W.Dropdown(options=[], description="consumer", layout=W.Layout(width="220px"))
        self.close = W.Button(description="Close", icon="sign-out")
        self.crash = W.Button(description="Crash", button_style="danger", icon="bolt")
        self.seconds = W.BoundedIntText(value=10, min=1, max=600, description="seconds",
                                        layout=W.Layout(width="170px"))
        self.run = W.Button(description="Run (all keep polling)", icon="forward", layout=W.Layout(width="200px"))
        self.rate = W.BoundedIntText(value=rate, min=0, max=200, description="records/s",
                                     layout=W.Layout(width="170px"))
        self.clock = W.HTML()
        self.group_image, self.rebalance_image = self._image(), self._image()
        self.table = W.HTML()
        self.events = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="120px", overflow="auto"))
        for button, fn in ((self.add, self._add), (self.close, self._close), (self.crash, self._crash),
                           (self.run, self._run)):
            button.on_click(fn)
        self.assignor.observe(lambda _: self._fresh(), names="value")
        self.box = W.VBox([W.HBox([self.assignor, self.add]), W.HBox([self.member, self.close, self.crash]),
                           W.HBox([self.seconds, self.rate, self.run, self.clock]), self.out,
                           self.group_image, self.table, self.events, self.rebalance_image])
        self._fresh()

    # -- state -----------------------------------------------------------------------------
    @_guarded
    def _fresh(self, _: Any = None) -> None:
        """A new cluster (same seed) and a new group with the chosen assignor, `consumers`
        consumers, run until the first generation is stable."""
        c = self.cluster = Cluster(brokers=3, seed=self.seed)
        c.create_topic(self.topic, self.n_partitions, 3, config={"min.insync.replicas": 2})
        self.producer = c.producer({"linger.ms": 0})
        self.live, self.produced, self.produce_from, self.sent = [], 0, c.now, 0
        for _ in range(self.initial):
            self.add_consumer()
        if self.live:
            self.run_for(12_000)             # joined (after the initial delay) and a first auto-commit
        n = len(self.live)
        self.say(f"t={c.now} ms: new cluster (seed {self.seed}) and group {self.group!r} with "
                 f"{self.assignor.value}, {n} consumer{'' if n == 1 else 's'}")
        self.refresh()

    def add_consumer(self) -> Any:
        k = self.cluster.consumer({"group.id": self.group, "auto.offset.reset": "earliest",
                                   "session.timeout.ms": self.session_timeout_ms,
                                   "partition.assignment.strategy": self.assignor.value})
        k.subscribe([self.topic])
        self.live.append(k)
        return k

    def run_for(self, ms: int) -> None:
        """Advance virtual time by `ms`: the producer adds `rate` records per second (keys
        k0, k1, ...) and every live consumer polls in turn (`consume(100, 0.2)`)."""
        c = self.cluster
        end = c.now + ms
        while c.now < end:
            due = (c.now - self.produce_from) * self.rate.value // 1000
            while self.produced < due:
                self.producer.produce(self.topic, key=f"k{self.sent}", value=b"v")
                self.produced += 1
                self.sent += 1
            if not self.live:
                c.run(min(200, end - c.now))
            for k in list(self.live):
                k.consume(100, min(0.2, max(end - c.now, 1) / 1000))
        self.produce_from, self.produced = c.now, 0

    def _pick(self) -> Any:
        name = self.member.value
        for k in self.live:
            if k.name == name:
                return k
        raise ValueError("no live consumer chosen: add one first")

    def recent_events(self) -> list[Any]:
        out = [e for e in self.cluster.trace if e.name in GROUP_EVENTS and e.fields.get("group") == self.group]
        return out[-self.show_events:]

    def refresh(self) -> None:
        c = self.cluster
        names = [k.name for k in self.live]
        if list(self.member.options) != names:
            chosen = self.member.value
            self.member.options = names
            self.member.value = chosen if chosen in names else (names[-1] if names else None)
        set_buttons({"close": self.close, "crash": self.crash}, member_buttons(len(self.live)))
        self.clock.value = f"<b>virtual time {c.now / 1000:.1f} s</b>"
        self.group_image.value = viz.png_bytes(viz.group_figure(c, self.group, topics=[self.topic]))
        self.rebalance_image.value = viz.png_bytes(viz.rebalance_figure(c.trace, self.group))
        self.table.value = _pre(viz.group_table(c, self.group, topics=[self.topic]))
        lines = [event_line(e) for e in self.recent_events()]
        self.events.value = _pre("last group events:\n" + ("\n".join(lines) if lines else "(none yet)"))

    # -- buttons ---------------------------------------------------------------------------
    @_guarded
    def _add(self, _: Any = None) -> None:
        k = self.add_consumer()
        self.say(f"t={self.cluster.now} ms: {k.name} subscribed; it joins when time runs (it polls)")
        self.refresh()

    @_guarded
    def _close(self, _: Any = None) -> None:
        k = self._pick()
        k.close()
        self.live.remove(k)
        self.say(f"t={self.cluster.now} ms: {k.name} closed: it committed, revoked and left the group")
        self.refresh()

    @_guarded
    def _crash(self, _: Any = None) -> None:
        k = self._pick()
        self.cluster.crash_client(k.name)
        self.live.remove(k)
        self.say(f"t={self.cluster.now} ms: {k.name} crashed; the coordinator removes it "
                 f"{self.session_timeout_ms} ms (session.timeout.ms) after its last heartbeat")
        self.refresh()

    @_guarded
    def _run(self, _: Any = None) -> None:
        self.run_for(self.seconds.value * 1000)
        n = len(self.live)
        self.say(f"t={self.cluster.now} ms: ran {self.seconds.value} s with {n} consumer{'' if n == 1 else 's'} "
                 "polling")
        self.refresh()
