"""`PartitionerPlayground`: type keys, pick the partition count; see murmur2's choice for each key
and how the sticky partitioner spreads null-key records.

Rules:
- Keys are separated by spaces or commas; each goes to `partition_for_key` (murmur2), the
  producer's own partitioner.
- The null-key spread comes from `experiments.sticky_distribution` (seeded, with the chosen
  batch.size); the widget only counts and draws.
- Every change of a control redraws the table and the chart at once.
"""
from __future__ import annotations

from minikafka import viz
from minikafka.clients.producer.partitioner import partition_for_key
from minikafka.course import experiments
from minikafka.widgets._base import _guarded, _pre, _View, _w


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
