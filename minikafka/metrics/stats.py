"""Measuring instruments, as Kafka's two metrics libraries define them, in virtual time.

Rules:
1. A `Meter` (Yammer's, broker and controller `...PerSec`) counts events; its value in a
   snapshot is the cumulative Count. A rate is a difference of two snapshots divided by the
   virtual time between them (viz.metrics_table does this); Kafka's 1/5/15-minute EWMA
   rates are not modelled.
2. A `Histogram` (Yammer's, `...TimeMs`) keeps the last 1,028 values (the size of Yammer's
   reservoir) and reports percentiles by nearest rank. Yammer's reservoir decays
   exponentially, favouring the last five minutes; a plain window of recent values is the
   simplification.
3. Client stats (Kafka's `org.apache.kafka.common.metrics`) are windowed: samples of
   `metrics.sample.window.ms` (30 s), two kept (`metrics.num.samples`), so a value covers the
   last 30 to 60 virtual seconds. A `Rate` is the events in the kept samples per second of the
   window they cover; `Avg` and `Max` are over the values recorded in the kept samples; with
   nothing recorded an Avg or a Max is NaN, as in Kafka. (Kafka also starts a new sample after
   `Long.MAX_VALUE` events; no simulation gets there.)
"""
from __future__ import annotations

import math
from collections import deque
from typing import Callable, Iterable

RESERVOIR = 1028
SAMPLE_MS = 30_000
SAMPLES = 2


class Meter:
    """Rule 1."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def mark(self, n: int = 1) -> None:
        self.count += n


class Histogram:
    """Rule 2."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: deque[int] = deque(maxlen=RESERVOIR)

    def update(self, value: int) -> None:
        self.values.append(value)

    def percentile(self, q: float) -> float:
        return percentile(self.values, q)


def percentile(values: Iterable[int], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it; NaN when
    there are none."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return float(ordered[max(math.ceil(q * len(ordered)) - 1, 0)])


class Windowed:
    """Rule 3, as Kafka's SampledStat: a sample starts at the first value recorded after the
    previous one is 30 s old; two are kept; samples older than the whole window are dropped.
    `now` reads the simulation's clock (virtual ms)."""

    __slots__ = ("now", "samples")

    def __init__(self, now: Callable[[], int]) -> None:
        self.now = now
        self.samples: deque[list[float]] = deque(maxlen=SAMPLES)    # [start ms, n, sum, max]

    def record(self, value: float = 1.0) -> None:
        now = self.now()
        if not self.samples or now >= self.samples[-1][0] + SAMPLE_MS:
            self.samples.append([now, 0, 0.0, -math.inf])
        sample = self.samples[-1]
        sample[1] += 1
        sample[2] += value
        sample[3] = max(sample[3], value)

    def _kept(self) -> list[list[float]]:
        now = self.now()
        return [x for x in self.samples if x[0] > now - SAMPLE_MS * SAMPLES]

    def rate(self, per_ms: int = 1000, of_values: bool = False) -> float:
        """Events (or, with `of_values`, the sum of the recorded values) per `per_ms`, over the
        time since the oldest kept sample began, counted as at least one full sample (Kafka's
        Rate.windowSize)."""
        now = self.now()
        kept = self._kept()
        total = sum(x[2] if of_values else x[1] for x in kept)
        elapsed = now - kept[0][0] if kept else 0
        full = elapsed // SAMPLE_MS
        if full < SAMPLES - 1:
            elapsed += (SAMPLES - 1 - full) * SAMPLE_MS
        return total * per_ms / elapsed

    def avg(self) -> float:
        kept = self._kept()
        n = sum(x[1] for x in kept)
        return sum(x[2] for x in kept) / n if n else math.nan

    def max(self) -> float:
        kept = self._kept()
        return max((x[3] for x in kept), default=math.nan)
