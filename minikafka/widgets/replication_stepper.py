"""`ReplicationStepper`: produce a record and step one event at a time; see the trace and every
replica's LEO and HW move.

Rules:
- Produce puts one record in the producer's buffer (linger.ms 0); nothing is sent until a step.
- A step runs events until one shows in the trace; with "skip heartbeats" ticked, events hidden
  by default in sequence views (`HIDDEN_BY_DEFAULT`) neither show nor count as a step.
- Crash and Restart act on the chosen broker (the last one unless another is picked); each is
  disabled when it cannot act (Crash on a broker that is down, Restart on one that is up), and
  Produce while every broker is down (the producer could not even find the topic).
"""
from __future__ import annotations

from typing import Any

from minikafka import viz
from minikafka.cluster import Cluster
from minikafka.viz._style import wrap_line
from minikafka.viz.sequence import HIDDEN_BY_DEFAULT
from minikafka.widgets._base import _BrokerControls, _guarded, _pre, _w, set_buttons


def events_text(now: int, events: list[Any], width: int = 100) -> str:
    """The stepper's event view: the time, then one trace line per event (the last one
    marked), each wrapped between fields to `width` columns."""
    lines = [e.line() for e in events]
    if lines:
        lines[-1] += "   <- last"
    return "\n".join([f"virtual time {now} ms; last events:"] + [wrap_line(x, width) for x in lines])


class ReplicationStepper(_BrokerControls):
    """Produce a record, then step event by event and watch LEO and HW move on each replica."""

    def __init__(self, cluster: Cluster | None = None, topic: str = "t", partition: int = 0, seed: int = 7,
                 acks: str = "all", show: int = 12) -> None:
        W = _w()
        if cluster is None:
            cluster = Cluster(brokers=3, seed=seed)
            cluster.create_topic(topic, partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
        self.cluster, self.topic, self.tp, self.show = cluster, topic, partition, show
        self.producer = cluster.producer({"acks": acks, "linger.ms": 0})
        self.sent = 0
        ids = sorted(cluster.brokers)
        self.produce = W.Button(description="Produce 1 record", button_style="primary", icon="upload")
        self.step = W.Button(description="Step", icon="step-forward")
        self.steps = W.BoundedIntText(value=1, min=1, max=100, description="events", layout=W.Layout(width="150px"))
        self.quiet = W.Checkbox(value=True, description="skip heartbeats", indent=False)
        self.broker = W.Dropdown(options=[(f"b{b}", b) for b in ids], value=ids[-1], description="broker",
                                 layout=W.Layout(width="160px"))
        self.crash = W.Button(description="Crash", button_style="danger", icon="bolt")
        self.restart = W.Button(description="Restart", button_style="success", icon="play")
        self.events = W.HTML()
        self.replicas = W.HTML()
        self.strip = self._image()
        self.out = W.Output()
        self.produce.on_click(self._produce)
        self.step.on_click(self._step)
        self.crash.on_click(self._crash)
        self.restart.on_click(self._restart)
        self.box = W.VBox([W.HBox([self.produce, self.step, self.steps, self.quiet]),
                           W.HBox([self.broker, self.crash, self.restart]), self.out,
                           self.events, self.replicas, self.strip])
        self.refresh()
        self._watch_brokers()

    def visible_events(self) -> list[Any]:
        events = self.cluster.trace.events
        if self.quiet.value:
            events = [e for e in events if e.name not in HIDDEN_BY_DEFAULT]
        return events[-self.show:]

    def refresh(self) -> None:
        c = self.cluster
        self.events.value = _pre(events_text(c.now, self.visible_events()))
        self.replicas.value = _pre(viz.log_table(c, self.topic, self.tp))
        self.strip.value = viz.png_bytes(viz.log_figure(c, self.topic, self.tp))
        up = any(c.broker(b).alive for b in sorted(c.brokers))
        set_buttons({"produce": self.produce},
                    {"produce": (up, "put one record in the producer's buffer" if up else
                                 "every broker is down: Restart one first")})

    @_guarded
    def _produce(self, _: Any = None) -> None:
        self.producer.produce(self.topic, key=f"k{self.sent}", value=f"v{self.sent}", partition=self.tp)
        self.say(f"t={self.cluster.now} ms: record k{self.sent} is in the producer's buffer; step to send it")
        self.sent += 1
        self.refresh()

    @_guarded
    def _step(self, _: Any = None) -> None:
        for _ in range(self.steps.value):
            self.step_once()
        self.refresh()

    def step_once(self) -> None:
        """Run events until one shows in the trace (one event when heartbeats are shown)."""
        c = self.cluster
        for _ in range(10_000):           # timers that record nothing are run through
            before = len(c.trace)
            if not c.step():
                return
            new = c.trace.events[before:]
            if any(not (self.quiet.value and e.name in HIDDEN_BY_DEFAULT) for e in new):
                return
