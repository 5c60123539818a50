"""Widgets: thin ipywidgets views over `viz`, `experiments` and the cluster's `step()`/`run()`.

- `ClusterExplorer`: produce, crash and restart brokers, cut and heal links, step, run; see the
  cluster map and a partition's log strip.
- `PartitionerPlayground`: type keys, pick the partition count; see murmur2's choice for each key
  and how the sticky partitioner spreads null-key records.
- `ReplicationStepper`: produce a record and step one event at a time; see the trace and every
  replica's LEO and HW move.
- `DurabilityLab`: pick acks, min.insync.replicas, unclean election; run seeded crash trials and
  compare acknowledged-then-lost records across settings.
- `OrderingLab`: pick max.in.flight, idempotence and a loss rate; see the partition's order and
  whether it was reordered or duplicated.
- `TransactionLab`: begin, produce, commit, abort; start a newer instance of the same
  transactional.id (the older one becomes a zombie); see the same log as a read_uncommitted
  and a read_committed consumer reads it, with the LSO.
- `GroupLab`: add, close and crash consumers, pick the assignor (a fresh group), run while every
  live consumer keeps polling; see who owns which partition, the lag and the rebalances.

Rules:
- ipywidgets is imported when a widget is built, never by `import minikafka.widgets`.
- Every control and view is an attribute (`explorer.crash`, `explorer.text`), so Python can
  drive a widget as a learner would (`explorer.broker.value = 1; explorer.crash.click()`) and
  read its state without a browser. `.box` is what a notebook shows; so does displaying the
  widget object itself.
- Pictures go into `ipywidgets.Image` (PNG from `viz`), text into `HTML` (`<pre>`); messages
  and errors of a callback go into the widget's `Output` (`.out`), never to stdout.
- Nothing here decides anything: the state comes from the cluster and the experiment functions.
"""
from __future__ import annotations

import functools
import html
from typing import Any, Callable

from minikafka import viz
from minikafka.clients.producer.partitioner import partition_for_key
from minikafka.cluster import Cluster
from minikafka.course import experiments
from minikafka.viz import _style as viz_style
from minikafka.viz import groups as viz_groups
from minikafka.viz.sequence import HIDDEN_BY_DEFAULT


def _w() -> Any:
    import ipywidgets
    return ipywidgets


def _pre(text: str) -> str:
    return ('<pre style="font-size: 12px; line-height: 1.3; margin: 0">' + html.escape(text) + "</pre>")


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """A callback whose errors are shown in the widget's Output instead of being lost in the
    log console (where a learner never sees them)."""
    @functools.wraps(method)
    def run(self: "_View", *args: Any) -> None:
        try:
            method(self, *args)
        except Exception as e:             # a learner's click must never fail silently
            self.say(f"{type(e).__name__}: {e}", error=True)
    return run


class _View:
    box: Any
    out: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.box)

    def say(self, text: str, error: bool = False, keep: int = 6) -> None:
        """Append a line to the widget's Output (the last `keep` lines stay)."""
        if error:
            self.out.append_stderr(text + "\n")
        else:
            self.out.append_stdout(text + "\n")
        self.out.outputs = self.out.outputs[-keep:]

    def _image(self) -> Any:
        return _w().Image(format="png", layout=_w().Layout(max_width="100%"))


class _BrokerControls(_View):
    """The crash and restart buttons of a lab with its own cluster: they act on the broker chosen
    in `self.broker`, with power loss if the lab has a `power_loss` checkbox that is ticked."""

    cluster: Cluster
    broker: Any

    def refresh(self) -> None:
        raise NotImplementedError

    @_guarded
    def _crash(self, _: Any = None) -> None:
        power_loss = getattr(self, "power_loss", None)
        lost = bool(power_loss is not None and power_loss.value)
        self.cluster.crash_broker(self.broker.value, power_loss=lost)
        self.say(f"t={self.cluster.now} ms: crashed b{self.broker.value}" + (" (power loss)" if lost else ""))
        self.refresh()

    @_guarded
    def _restart(self, _: Any = None) -> None:
        self.cluster.restart_broker(self.broker.value)
        self.say(f"t={self.cluster.now} ms: restarted b{self.broker.value}")
        self.refresh()


# -- (a) cluster explorer -------------------------------------------------------------------
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
        nodes = [f"b{b}" for b in ids] + ["controller"]
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
        self.out = W.Output(layout=W.Layout(max_height="120px", overflow="auto"))
        for button, fn in ((self.produce, self._produce), (self.crash, self._crash), (self.restart, self._restart),
                           (self.cut, self._cut), (self.heal, self._heal), (self.step, self._step),
                           (self.run, self._run)):
            button.on_click(fn)
        self.partition.observe(lambda _: self.refresh(), names="value")
        controls = W.VBox([W.HBox([self.records, self.acks, self.produce]),
                           W.HBox([self.broker, self.power_loss, self.crash, self.restart]),
                           W.HBox([self.link_a, self.link_b, self.cut, self.heal]),
                           W.HBox([self.step, self.run_ms, self.run, self.clock])])
        self.box = W.VBox([controls, self.out, self.map_image, self.partition, self.log_image,
                           W.Accordion([self.text], titles=("as text",))])
        self.refresh()

    def refresh(self) -> None:
        c, p = self.cluster, self.partition.value
        self.clock.value = f"<b>virtual time {c.now} ms</b>"
        self.map_image.value = viz.png_bytes(viz.cluster_figure(c))
        self.log_image.value = viz.png_bytes(viz.log_figure(c, self.topic, p))
        self.text.value = _pre(viz.cluster_table(c) + "\n\n" + viz.log_table(c, self.topic, p))

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


# -- (b) partitioner playground ----------------------------------------------------------------
class PartitionerPlayground(_View):
    """Keys to partitions with murmur2, and the sticky partitioner's spread of null keys."""

    def __init__(self, keys: str = "alice bob carol dave erin frank grace heidi", partitions: int = 6,
                 null_records: int = 0, seed: int = 7) -> None:
        W = _w()
        self.seed = seed
        self.keys = W.Textarea(value=keys, description="keys", placeholder="keys, separated by spaces or commas",
                               layout=W.Layout(width="520px", height="60px"))
        self.partitions = W.IntSlider(value=partitions, min=1, max=12, description="partitions",
                                      continuous_update=False)
        self.null_records = W.IntSlider(value=null_records, min=0, max=500, step=10, description="null keys",
                                        continuous_update=False)
        self.batch_size = W.Dropdown(options=[("1 KB", 1024), ("4 KB", 4096), ("16 KB (default)", 16384)],
                                     value=1024, description="batch.size")
        self.table = W.HTML()
        self.chart = self._image()
        self.out = W.Output()
        for control in (self.keys, self.partitions, self.null_records, self.batch_size):
            control.observe(lambda _: self.refresh(), names="value")
        self.box = W.VBox([self.keys, W.HBox([self.partitions, self.null_records]), self.batch_size,
                           W.HBox([self.table]), self.chart, self.out])
        self.counts: dict[str, list[int]] = {}
        self.refresh()

    def key_list(self) -> list[str]:
        return [k for k in self.keys.value.replace(",", " ").split() if k]

    @_guarded
    def refresh(self) -> None:
        n, keys = self.partitions.value, self.key_list()
        keyed = [0] * n
        for k in keys:
            keyed[partition_for_key(k.encode(), n)] += 1
        sticky = experiments.sticky_distribution(self.seed, n, self.null_records.value, self.batch_size.value)
        self.counts = {"keyed (murmur2)": keyed, "null key (sticky)": sticky}
        self.table.value = _pre(viz.key_table(keys, n) if keys else "(no keys)")
        self.chart.value = viz.png_bytes(viz.distribution_figure(self.counts))


# -- (c) replication stepper -------------------------------------------------------------------
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

    def visible_events(self) -> list[Any]:
        events = self.cluster.trace.events
        if self.quiet.value:
            events = [e for e in events if e.name not in HIDDEN_BY_DEFAULT]
        return events[-self.show:]

    def refresh(self) -> None:
        c = self.cluster
        lines = [e.line() for e in self.visible_events()]
        if lines:
            lines[-1] = lines[-1] + "   <- last"
        self.events.value = _pre(f"virtual time {c.now} ms; last events:\n" + "\n".join(lines))
        self.replicas.value = _pre(viz.log_table(c, self.topic, self.tp))
        self.strip.value = viz.png_bytes(viz.log_figure(c, self.topic, self.tp))

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



# -- (d) durability lab ------------------------------------------------------------------------
class DurabilityLab(_View):
    """Seeded crash trials per setting; each Run adds (or replaces) that setting's results."""

    def __init__(self, seeds: int = 20, records: int = 100) -> None:
        W = _w()
        self.records = records
        self.acks = W.Dropdown(options=["0", "1", "all"], value="1", description="acks",
                               layout=W.Layout(width="150px"))
        self.min_insync = W.Dropdown(options=[1, 2, 3], value=2, description="min.insync",
                                     layout=W.Layout(width="160px"))
        self.unclean = W.Checkbox(value=False, description="unclean election", indent=False)
        self.seeds = W.IntSlider(value=seeds, min=5, max=100, step=5, description="seeds",
                                 continuous_update=False)
        self.run = W.Button(description="Run trials", button_style="primary", icon="play")
        self.clear = W.Button(description="Clear", icon="trash")
        self.progress = W.IntProgress(value=0, min=0, max=seeds, description="trials")
        self.ready = W.HTML()
        self.chart = self._image()
        self.table = W.HTML()
        self.out = W.Output()
        self.rows: list[experiments.ExperimentRow] = []
        self.run.on_click(self._run)
        self.clear.on_click(self._clear)
        for control in (self.acks, self.min_insync, self.unclean, self.seeds):
            control.observe(lambda _: self._show_setting(), names="value")
        self.box = W.VBox([W.HBox([self.acks, self.min_insync, self.unclean]),
                           W.HBox([self.seeds, self.run, self.clear]), W.HBox([self.progress, self.ready]),
                           self.out, self.table, self.chart])
        self._show_setting()
        self.refresh()

    def setting(self) -> dict[str, Any]:
        return {"acks": self.acks.value, "min_insync": self.min_insync.value, "unclean": self.unclean.value}

    def _show_setting(self) -> None:
        """What the next Run will do (nothing runs until the button is pressed)."""
        self.progress.max, self.progress.value = self.seeds.value, 0
        self.ready.value = (f"next run: <b>{experiments.setting_label(self.setting())}</b> "
                            f"over {self.seeds.value} seeds")

    @_guarded
    def _run(self, _: Any = None) -> None:
        n = self.seeds.value
        self.progress.max, self.progress.value = n, 0

        def tick(done: int, total: int) -> None:
            self.progress.value = done

        row, = experiments.acks_experiment([self.setting()], range(n), self.records, on_trial=tick)
        self.rows = [r for r in self.rows if r.label != row.label] + [row]
        self.say(f"{row.label}: {row.trials_with_loss}/{n} trials lost acknowledged records")
        self.refresh()

    @_guarded
    def _clear(self, _: Any = None) -> None:
        self.rows = []
        self.progress.value = 0
        self.refresh()

    def refresh(self) -> None:
        self.table.value = _pre(viz.experiment_table(self.rows) if self.rows else
                                "(no trials yet: pick a setting and press Run trials)")
        self.chart.value = viz.png_bytes(viz.experiment_figure(self.rows))


# -- (e) ordering lab --------------------------------------------------------------------------
class OrderingLab(_View):
    """One producer, lossy produce requests and responses: the partition's resulting order."""

    def __init__(self, seed: int = 3, records: int = 20) -> None:
        W = _w()
        self.max_in_flight = W.IntSlider(value=5, min=1, max=5, description="max.in.flight", continuous_update=False,
                                         style={"description_width": "initial"})
        self.idempotent = W.Checkbox(value=False, description="enable.idempotence", indent=False)
        self.drop = W.FloatSlider(value=0.1, min=0.0, max=0.4, step=0.05, description="loss", continuous_update=False,
                                  readout_format=".2f")
        self.records = W.IntSlider(value=records, min=5, max=60, description="records", continuous_update=False)
        self.seed = W.BoundedIntText(value=seed, min=0, max=1_000_000, description="seed",
                                     layout=W.Layout(width="160px"))
        self.next_seed = W.Button(description="Next seed", button_style="primary", icon="step-forward")
        self.sweep = W.Button(description="Run 30 seeds", icon="forward")
        self.summary = W.HTML()
        self.chart = self._image()
        self.out = W.Output()
        self.result: experiments.OrderingResult | None = None
        self.sweep_result: dict[str, int] | None = None
        self.next_seed.on_click(self._next_seed)
        self.sweep.on_click(self._sweep)
        for control in (self.max_in_flight, self.idempotent, self.drop, self.records, self.seed):
            control.observe(lambda _: self._run(), names="value")
        self.box = W.VBox([W.HBox([self.max_in_flight, self.idempotent]), W.HBox([self.drop, self.records]),
                           W.HBox([self.seed, self.next_seed, self.sweep]), self.out, self.summary, self.chart])
        self._run()

    def settings(self) -> dict[str, Any]:
        return {"max_in_flight": self.max_in_flight.value, "idempotent": self.idempotent.value,
                "drop_probability": round(self.drop.value, 2), "records": self.records.value}

    @_guarded
    def _run(self, _: Any = None) -> None:
        r = self.result = experiments.ordering_trial(self.seed.value, **self.settings())
        flags = [name for name, on in (("REORDERED", r.reordered), ("DUPLICATED", r.duplicated)) if on]
        text = (f"{'  '.join(flags) or 'in order, no duplicates'}; {r.retries} retries; "
                f"{len(r.failed)} records reported failed\n" + viz.order_table(r.order))
        self.summary.value = _pre(text)
        self.chart.value = viz.png_bytes(viz.order_figure(r.order))

    def _next_seed(self, _: Any = None) -> None:
        self.seed.value += 1                 # observed: runs the trial

    @_guarded
    def _sweep(self, _: Any = None) -> None:
        st = self.settings()
        s = self.sweep_result = experiments.ordering_sweep(range(30), **st)
        self.say(f"max.in.flight={st['max_in_flight']} idempotence={st['idempotent']} "
                 f"loss={st['drop_probability']:g} records={st['records']}, seeds 0-29: "
                 f"{s['reordered']} reordered, {s['duplicated']} duplicated, "
                 f"{s['missing']} with failed records")


# -- (f) transaction lab -----------------------------------------------------------------------
class TransactionLab(_View):
    """One transactional.id: begin, produce, commit or abort, start a newer instance that fences
    the older one (a zombie); see the same log as a read_uncommitted and a read_committed
    consumer reads it, with the LSO."""

    def __init__(self, cluster: Cluster | None = None, topic: str = "payments", partitions: int = 2, seed: int = 7,
                 transactional_id: str = "payments-app", isolation_level: str = "read_committed") -> None:
        W = _w()
        if cluster is None:
            cluster = Cluster(brokers=3, seed=seed)
            cluster.create_topic(topic, partitions, 3, config={"min.insync.replicas": 2})
        self.cluster, self.topic, self.transactional_id = cluster, topic, transactional_id
        self.instances: list[Any] = []       # every producer with this transactional.id, oldest first
        self.plain_producer: Any = None
        self.sent = 0
        n_parts = len(cluster.controller.topics[topic])
        self.instance = W.Dropdown(options=[], description="act as", layout=W.Layout(width="300px"))
        self.partition = W.Dropdown(options=[(f"{topic}-{p}", p) for p in range(n_parts)], value=0,
                                    description="to", layout=W.Layout(width="230px"))
        self.begin = W.Button(description="Begin", icon="play")
        self.produce = W.Button(description="Produce 1 record", button_style="primary", icon="upload")
        self.commit = W.Button(description="Commit", button_style="success", icon="check")
        self.abort = W.Button(description="Abort", button_style="danger", icon="times")
        self.plain = W.Button(description="Produce 1 non-transactional", icon="upload",
                              layout=W.Layout(width="230px"))
        self.new_instance = W.Button(description="Start a new instance (same transactional.id)", button_style="warning",
                                     icon="clone", layout=W.Layout(width="340px"))
        self.isolation = W.ToggleButtons(options=["read_uncommitted", "read_committed"], value=isolation_level,
                                         description="view as", style={"button_width": "170px"})
        self.status = W.HTML()
        self.picture = self._image()
        self.text = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="140px", overflow="auto"))
        for button, fn in ((self.begin, self._begin), (self.produce, self._produce), (self.commit, self._commit),
                           (self.abort, self._abort), (self.plain, self._plain), (self.new_instance, self._new)):
            button.on_click(fn)
        self.isolation.observe(lambda _: self.refresh(), names="value")
        self.box = W.VBox([W.HBox([self.instance, self.new_instance]),
                           W.HBox([self.begin, self.partition, self.produce, self.commit, self.abort]),
                           W.HBox([self.plain]), self.out, self.status, self.isolation, self.picture,
                           W.Accordion([self.text], titles=("as text",))])
        self._start_instance()
        self.refresh()

    # -- state -----------------------------------------------------------------------------
    @property
    def current(self) -> Any:
        """The instance the buttons act as."""
        return self.cluster.clients[self.instance.value]

    def instance_label(self, p: Any) -> str:
        newest = p is self.instances[-1]
        return f"{p.name} (epoch {p.producer_epoch}{'' if newest else ', zombie'})"

    def _start_instance(self) -> Any:
        p = self.cluster.producer({"transactional.id": self.transactional_id, "linger.ms": 0})
        self.instances.append(p)
        p.init_transactions()
        self._settle()
        self.instance.options = [(self.instance_label(q), q.name) for q in self.instances]
        self.instance.value = p.name
        return p

    def _settle(self, max_ms: int = 2000) -> None:
        """Let the coordinator finish writing markers (they follow a commit or abort)."""
        c, end = self.cluster, self.cluster.now + max_ms
        while c.now < end:
            states = [e for e in c.trace.filter(name="txn.state") if e.fields.get("txn_id") == self.transactional_id]
            if not states or not str(states[-1].fields.get("state", "")).startswith("Prepare"):
                return
            c.run(5)

    def refresh(self) -> None:
        c, level = self.cluster, self.isolation.value
        labels = [(self.instance_label(q), q.name) for q in self.instances]
        if list(self.instance.options) != labels:
            chosen = self.instance.value
            self.instance.options = labels
            self.instance.value = chosen
        lines = [f"virtual time {c.now} ms; transactional.id {self.transactional_id}:"]
        for q in self.instances:
            role = "newest instance" if q is self.instances[-1] else "zombie: fenced by a newer instance"
            lines.append(f"  {q.name}: producer id {q.producer_id}, epoch {q.producer_epoch}, "
                         f"{q.txn.state} ({role})")
        lso = ", ".join(f"{self.topic}-{p}: HW {pv.high_watermark} LSO {pv.last_stable_offset}"
                        for p, pv in ((p, c.partition_state(self.topic, p))
                                      for p in range(len(c.controller.topics[self.topic]))))
        lines.append("  " + lso)
        self.status.value = _pre("\n".join(lines))
        self.picture.value = viz.png_bytes(viz.isolation_figure(c, self.topic, level))
        self.text.value = _pre(viz.isolation_table(c, self.topic, level))

    # -- buttons ---------------------------------------------------------------------------
    @_guarded
    def _begin(self, _: Any = None) -> None:
        self.current.begin_transaction()
        self.say(f"t={self.cluster.now} ms: {self.current.name} began a transaction")
        self.refresh()

    @_guarded
    def _produce(self, _: Any = None) -> None:
        p, key, tp = self.current, f"k{self.sent}", self.partition.value
        result: dict[str, Any] = {}
        p.produce(self.topic, key=key, value=f"v{self.sent}", partition=tp,
                  on_delivery=lambda err, msg: result.update(err=err, msg=msg))
        self.sent += 1
        p.flush()
        err = result.get("err")
        where = f"offset {result['msg'].offset()}" if err is None and "msg" in result else f"failed: {err}"
        self.say(f"t={self.cluster.now} ms: {p.name} produced {key} to {self.topic}-{tp} ({where})",
                 error=err is not None)
        self.refresh()

    @_guarded
    def _commit(self, _: Any = None) -> None:
        try:
            self.current.commit_transaction()
            self._settle()
            self.say(f"t={self.cluster.now} ms: {self.current.name} committed; COMMIT markers written")
        finally:
            self.refresh()

    @_guarded
    def _abort(self, _: Any = None) -> None:
        try:
            self.current.abort_transaction()
            self._settle()
            self.say(f"t={self.cluster.now} ms: {self.current.name} aborted; ABORT markers written")
        finally:
            self.refresh()

    @_guarded
    def _plain(self, _: Any = None) -> None:
        if self.plain_producer is None:
            self.plain_producer = self.cluster.producer({"linger.ms": 0})
        key, tp = f"n{self.sent}", self.partition.value
        self.plain_producer.produce(self.topic, key=key, value=f"v{self.sent}", partition=tp)
        self.sent += 1
        self.plain_producer.flush()
        self.say(f"t={self.cluster.now} ms: {self.plain_producer.name} (no transaction) produced {key} "
                 f"to {self.topic}-{tp}")
        self.refresh()

    @_guarded
    def _new(self, _: Any = None) -> None:
        old = self.instances[-1]
        try:
            p = self._start_instance()
            self.say(f"t={self.cluster.now} ms: {p.name} started with transactional.id {self.transactional_id} "
                     f"(epoch {p.producer_epoch}); {old.name} is a zombie now, its open transaction (if any) "
                     f"was aborted")
        finally:
            self.refresh()


# -- (g) group lab -------------------------------------------------------------------------------
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
GROUP_EVENTS = ("group.rebalance", "group.generation", "group.stable", "group.assigned", "group.revoked",
                "group.lost", "group.member_removed", "group.join", "group.leave", "consumer.poll_timeout")


def event_line(e: Any, limit: int = 118) -> str:
    """A group event in one short line: time, node, name, fields (member ids shortened to
    their consumer, the group left out)."""
    fields = {k: v for k, v in e.fields.items() if k != "group"}
    text = f"{e.time:>7} {e.node:<11} {e.name} {viz_style.fmt_fields(fields)}"
    return viz_style.clip(viz_groups.short_ids(text).rstrip(), limit)


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
