"""`DurabilityLab`: pick acks, min.insync.replicas, unclean election; run seeded crash trials and
compare acknowledged-then-lost records across settings.

Rules:
- On first render the lab has already run `first` (by default acks=1 and acks=all, both with
  min.insync 2) over its seeds, so the chart compares two settings at once.
- After that nothing runs until Run trials is pressed; changing a control only says what the
  next run will do.
- A run is `experiments.acks_experiment` over seeds 0..n-1; its row replaces an earlier row with
  the same setting, so each setting is shown once. Rows are compared over the same seeds only:
  a run over other seeds (another count) clears the rows of the earlier seeds, and says so
  (`merge_rows`). Clear removes every row.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from minikafka import viz
from minikafka.course import experiments
from minikafka.widgets._base import _guarded, _pre, _View, _w


FIRST = ({"acks": "1", "min_insync": 2, "unclean": False}, {"acks": "all", "min_insync": 2, "unclean": False})


def merge_rows(rows: Sequence[experiments.ExperimentRow],
               row: experiments.ExperimentRow) -> tuple[list[experiments.ExperimentRow], list[str]]:
    """The rows after a run gave `row`: it replaces the row of the same setting, and rows run
    over other seeds are dropped (returned by label), so one chart never mixes seed counts."""
    kept = [r for r in rows if r.label != row.label and r.seeds == row.seeds]
    dropped = [r.label for r in rows if r.label != row.label and r.seeds != row.seeds]
    return kept + [row], dropped


class DurabilityLab(_View):
    """Seeded crash trials per setting; each Run adds (or replaces) that setting's results."""

    def __init__(self, seeds: int = 20, records: int = 100,
                 first: Sequence[Mapping[str, Any]] = FIRST) -> None:
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
        if first:
            self.rows = experiments.acks_experiment(first, range(seeds), records)
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
        before = {r.label: len(r.seeds) for r in self.rows}
        self.rows, dropped = merge_rows(self.rows, row)
        if dropped:
            self.say(f"cleared {', '.join(f'{label} ({before[label]} seeds)' for label in dropped)}: "
                     f"a chart compares runs over the same seeds")
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
