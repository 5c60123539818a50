"""`OrderingLab`: pick max.in.flight, idempotence and a loss rate; see the partition's order and
whether it was reordered or duplicated.

Rules:
- Every change of a control reruns the trial (`experiments.ordering_trial`) with the current seed;
  Next seed moves to the next seed, which reruns it too.
- Run 30 seeds sweeps seeds 0-29 with the same settings (`experiments.ordering_sweep`) and says
  how many were reordered, duplicated or had failed records.
"""
from __future__ import annotations

from typing import Any

from minikafka import viz
from minikafka.course import experiments
from minikafka.widgets._base import _guarded, _pre, _View, _w


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
