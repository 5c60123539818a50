"""`ClusterExplorer`: produce, crash and restart brokers, cut and heal links, step, run; see the
cluster map and a partition's log strip.

Rules:
- With no cluster given it builds one (`brokers`, `seed`) with one topic (`partitions`,
  `replication_factor`, `min.insync.replicas`); given a cluster, it shows that one.
- Produce sends `records` records with the chosen acks (one producer per acks value, linger.ms 0)
  to the partition whose log is shown, and reports how many were acknowledged and how many failed.
- Crash (optionally with power loss) and Restart act on the chosen broker; Cut and Heal on the
  link between two nodes (brokers or the controller); Step runs one event, Run `ms` of virtual time.
- Beside the log of actions, the operator's panel shows Kafka's metrics now and their change
  since the previous action (viz.metrics.panel_table), as an operator watching JMX would see a
  crash, a cut or a produce.
- Every control is an attribute (`explorer.crash`, `explorer.text`), so Python can drive it as a
  learner would (`explorer.broker.value = 1; explorer.crash.click()`).
"""
from __future__ import annotations

from typing import Any

from minikafka import viz
from minikafka.cluster import Cluster
from minikafka.viz.metrics import panel_table
from minikafka.widgets._base import _BrokerControls, _guarded, _pre, _w


class ClusterExplorer(_BrokerControls):
    """Produce, crash, cut, step and run a cluster; see its map and one partition's logs."""

    def __init__(self, cluster: Cluster | None = None, topic: str = "orders", seed: int = 7,
                 brokers: int = 3, partitions: int = 3, replication_factor: int = 3, min_insync: int = 2) -> None:
        W = _w()
        if cluster is None:
            cluster = Cluster(brokers=brokers, seed=seed)
            cluster.create_topic(topic, partitions, replication_factor, config={"min.insync.replicas": min_insync})
        self.cluster, self.topic = cluster, topic
        self.producers: dict[str, Any] = {}          # acks -> producer
        self.produced = 0
        ids = sorted(cluster.brokers)
        nodes = [f"b{b}" for b in ids] + [f"c{i}" for i in sorted(cluster.controllers)]
        n_parts = len(cluster.controller.topics[topic])
        self.partition = W.Dropdown(options=[(f"{topic}-{p}", p) for p in range(n_parts)], value=0,
                                    description="log of", layout=W.Layout(width="200px"))
        self.records = W.BoundedIntText(value=5, min=1, max=1000, description="records",
                                        layout=W.Layout(width="160px"))
        self.acks = W.Dropdown(options=["all", "1", "0"], value="all", description="acks",
                               layout=W.Layout(width="140px"))
        self.produce = W.Button(description="Produce", button_style="primary", icon="upload")
        self.broker = W.Dropdown(options=[(f"b{b}", b) for b in ids], value=ids[0], description="broker",
                                 layout=W.Layout(width="160px"))
        self.power_loss = W.Checkbox(value=False, description="power loss", indent=False,
                                     layout=W.Layout(width="110px"))
        self.crash = W.Button(description="Crash", button_style="danger", icon="bolt")
        self.restart = W.Button(description="Restart", button_style="success", icon="play")
        self.link_a = W.Dropdown(options=nodes, value=nodes[0], description="link", layout=W.Layout(width="160px"))
        self.link_b = W.Dropdown(options=nodes, value=nodes[1 % len(nodes)], layout=W.Layout(width="120px"))
        self.cut = W.Button(description="Cut", button_style="warning", icon="cut")
        self.heal = W.Button(description="Heal", icon="link")
        self.step = W.Button(description="Step 1 event", icon="step-forward")
        self.run_ms = W.BoundedIntText(value=1000, min=1, max=600_000, step=100, description="ms",
                                       layout=W.Layout(width="160px"))
        self.run = W.Button(description="Run", icon="forward")
        self.clock = W.HTML()
        self.map_image, self.log_image = self._image(), self._image()
        self.text = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="260px", overflow="auto", width="400px"))
        self.width = 46                              # the log of actions beside the panel
        self.panel = W.HTML(layout=W.Layout(width="440px"))
        self.last_metrics = None
        for button, fn in ((self.produce, self._produce), (self.crash, self._crash), (self.restart, self._restart),
                           (self.cut, self._cut), (self.heal, self._heal), (self.step, self._step),
                           (self.run, self._run)):
            button.on_click(fn)
        self.partition.observe(lambda _: self.refresh(), names="value")
        controls = W.VBox([W.HBox([self.records, self.acks, self.produce]),
                           W.HBox([self.broker, self.power_loss, self.crash, self.restart]),
                           W.HBox([self.link_a, self.link_b, self.cut, self.heal]),
                           W.HBox([self.step, self.run_ms, self.run, self.clock])])
        self.box = W.VBox([controls, W.HBox([self.out, self.panel]), self.map_image, self.partition, self.log_image,
                           W.Accordion([self.text], titles=("as text",))])
        self.refresh()
        self._watch_brokers()

    def refresh(self) -> None:
        c, p = self.cluster, self.partition.value
        self.clock.value = f"<b>virtual time {c.now} ms</b>"
        self.map_image.value = viz.png_bytes(viz.cluster_figure(c))
        self.log_image.value = viz.png_bytes(viz.log_figure(c, self.topic, p))
        self.text.value = _pre(viz.cluster_table(c) + "\n\n" + viz.log_table(c, self.topic, p))
        now = c.metrics()
        self.panel.value = ("<b>operator's view</b> (Kafka's metrics; change since the last action)"
                            + _pre(panel_table(self.last_metrics, now)))
        self.last_metrics = now

    @_guarded
    def _produce(self, _: Any = None) -> None:
        acks = self.acks.value
        if acks not in self.producers:
            self.producers[acks] = self.cluster.producer({"acks": acks, "linger.ms": 0})
        p = self.producers[acks]
        results = {"ok": 0, "failed": 0}

        def report(err: Any, msg: Any) -> None:
            results["ok" if err is None else "failed"] += 1

        for _ in range(self.records.value):
            p.produce(self.topic, key=f"k{self.produced}", value=f"v{self.produced}",
                      partition=self.partition.value, on_delivery=report)
            self.produced += 1
        p.flush()
        self.say(f"t={self.cluster.now} ms: produced {self.records.value} records with acks={acks}: "
                 f"{results['ok']} acknowledged, {results['failed']} failed")
        self.refresh()

    @_guarded
    def _cut(self, _: Any = None) -> None:
        self.cluster.cut(self.link_a.value, self.link_b.value)
        self.say(f"t={self.cluster.now} ms: cut {self.link_a.value} <-> {self.link_b.value}")
        self.refresh()

    @_guarded
    def _heal(self, _: Any = None) -> None:
        self.cluster.heal(self.link_a.value, self.link_b.value)
        self.say(f"t={self.cluster.now} ms: healed {self.link_a.value} <-> {self.link_b.value}")
        self.refresh()

    @_guarded
    def _step(self, _: Any = None) -> None:
        before = len(self.cluster.trace)
        self.cluster.step()
        new = self.cluster.trace.events[before:]
        self.say("\n".join(e.line().strip() for e in new[-3:]) or f"t={self.cluster.now} ms: a timer ran")
        self.refresh()

    @_guarded
    def _run(self, _: Any = None) -> None:
        self.cluster.run(self.run_ms.value)
        self.say(f"t={self.cluster.now} ms: ran {self.run_ms.value} ms")
        self.refresh()
