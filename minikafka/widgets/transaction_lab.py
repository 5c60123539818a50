"""`TransactionLab`: begin, produce, commit, abort; start a newer instance of the same
transactional.id (the older one becomes a zombie); see the same log as a read_uncommitted and a
read_committed consumer reads it, with the LSO.

Rules:
- The buttons act as the instance chosen in `.instance`; the newest instance fences every older
  one (a zombie), and starting it aborts an older instance's open transaction.
- After init, commit and abort the lab lets virtual time run until the coordinator has written
  its markers (the transaction leaves its Prepare state), at most 2000 ms.
- Produce 1 non-transactional writes with a plain producer, outside any transaction.
- The status shows each instance's producer id, epoch and transaction state, and each partition's
  HW and LSO.
- Begin, Produce, Commit and Abort are enabled only when the chosen instance's transaction state
  allows them (`txn_buttons`); a disabled button's tooltip says why. Errors are said in the
  learner's words, Kafka's name in small print (`_base.explain`).
- `demo=True` starts with one committed transaction (k0, k1) and one still open (k2), so the
  picture has something to show at once.
- `transaction_version` (1 or 2, default the cluster's: 2) picks the protocol of a new cluster;
  the status names it, and under v2 each commit or abort moves the epoch (the messages say so).
"""
from __future__ import annotations

from typing import Any

from minikafka import viz
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException
from minikafka.widgets._base import _guarded, _pre, _View, _w, explain, set_buttons

_NO_TXN = "no transaction is open: press Begin first"


def txn_buttons(state: str) -> dict[str, tuple[bool, str]]:
    """Begin, Produce, Commit, Abort for an instance in transaction state `state` (Kafka's
    TransactionManager states): (enabled, tooltip saying what it does or why it cannot)."""
    if state == "READY":
        return {"begin": (True, "begin a transaction"), "produce": (False, _NO_TXN),
                "commit": (False, _NO_TXN), "abort": (False, _NO_TXN)}
    if state == "IN_TRANSACTION":
        busy = "a transaction is already open: Commit or Abort it first"
        return {"begin": (False, busy), "produce": (True, "write one record in the open transaction"),
                "commit": (True, "commit the open transaction"), "abort": (True, "abort the open transaction")}
    if state == "ABORTABLE_ERROR":
        failed = "this transaction failed: it can only be aborted"
        return {"begin": (False, failed), "produce": (False, failed), "commit": (False, failed),
                "abort": (True, "abort the failed transaction")}
    if state in ("COMMITTING_TRANSACTION", "ABORTING_TRANSACTION"):
        doing = "commit" if state.startswith("COMMIT") else "abort"
        wait = f"the {doing} is still in progress: press {doing.capitalize()} again to finish it"
        return {name: (name == doing, wait) for name in ("begin", "produce", "commit", "abort")}
    why = ("this instance is fenced (a zombie) or failed for good: act as the newest instance"
           if state == "FATAL_ERROR" else f"the producer is not ready ({state})")
    return {name: (False, why) for name in ("begin", "produce", "commit", "abort")}


class TransactionLab(_View):
    """One transactional.id: begin, produce, commit or abort, start a newer instance that fences
    the older one (a zombie); see the same log as a read_uncommitted and a read_committed
    consumer reads it, with the LSO."""

    def __init__(self, cluster: Cluster | None = None, topic: str = "payments", partitions: int = 2, seed: int = 7,
                 transactional_id: str = "payments-app", isolation_level: str = "read_committed",
                 demo: bool = False, transaction_version: int | None = None) -> None:
        W = _w()
        if cluster is None:
            features = None if transaction_version is None else {"transaction.version": transaction_version}
            cluster = Cluster(brokers=3, seed=seed, features=features)
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
        self.instance.observe(lambda _: self._sync_buttons(), names="value")
        self.box = W.VBox([W.HBox([self.instance, self.new_instance]),
                           W.HBox([self.begin, self.partition, self.produce, self.commit, self.abort]),
                           W.HBox([self.plain]), self.out, self.status, self.isolation, self.picture,
                           W.Accordion([self.text], titles=("as text",))])
        self._start_instance()
        if demo:
            self._demo()
        self.refresh()

    def _demo(self) -> None:
        """One committed transaction (k0 to partition 0, k1 to the last) and one open (k2)."""
        p, last = self.current, len(self.cluster.controller.topics[self.topic]) - 1
        p.begin_transaction()
        p.produce(self.topic, key="k0", value="v0", partition=0)
        p.produce(self.topic, key="k1", value="v1", partition=last)
        p.commit_transaction()
        self._settle()
        p.begin_transaction()
        p.produce(self.topic, key="k2", value="v2", partition=0)
        p.flush()
        self.sent = 3

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
        tv = c.controller.image.features.get("transaction.version", 0)
        lines = [f"virtual time {c.now} ms; transaction.version {tv}; transactional.id {self.transactional_id}:"]
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
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        if self.instance.value is not None:
            set_buttons({"begin": self.begin, "produce": self.produce, "commit": self.commit, "abort": self.abort},
                        txn_buttons(self.current.txn.state))

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
        if err is None and "msg" in result:
            self.say(f"t={self.cluster.now} ms: {p.name} produced {key} to {self.topic}-{tp} "
                     f"(offset {result['msg'].offset()})")
        else:
            words, small = explain(KafkaException(err)) if err is not None else ("no delivery report", "")
            self.say(f"t={self.cluster.now} ms: {p.name} could not write {key}: {words}", error=True, detail=small)
        self.refresh()

    @_guarded
    def _commit(self, _: Any = None) -> None:
        try:
            self.current.commit_transaction()
            self._settle()
            self.say(f"t={self.cluster.now} ms: {self.current.name} committed; COMMIT markers written "
                     f"(epoch now {self.current.producer_epoch})")
        finally:
            self.refresh()

    @_guarded
    def _abort(self, _: Any = None) -> None:
        try:
            self.current.abort_transaction()
            self._settle()
            self.say(f"t={self.cluster.now} ms: {self.current.name} aborted; ABORT markers written "
                     f"(epoch now {self.current.producer_epoch})")
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
