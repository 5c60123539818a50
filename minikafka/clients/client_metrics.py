"""The clients' metrics (Kafka's producer-metrics, consumer-fetch-manager-metrics and
consumer-coordinator-metrics), windowed as Kafka's client metrics are (metrics/stats.py rule 3)
and fed where the client does the work; nothing in the simulation reads them.

Rules (kafka-semantics R.115-R.116; names and meanings in metrics/catalog.py):
1. Producer: each batch put in a produce request records its record count (record-send-rate);
   a batch sent again after a retriable error records its count (record-retry-rate); a batch
   that finally fails records its count (record-error-rate); each produce response records
   the request's round trip (request-latency-avg).
2. Consumer: each fetch response with records records the largest lag among its partitions
   (the partition's end, HW or LSO, minus its position once the fetched records are
   consumed: records-lag-max); each committed OffsetCommit records its round trip
   (commit-latency-avg); each completed rebalance (an assignment from SyncGroup applied)
   records one event (rebalance-rate-per-hour) and its time (last-rebalance-seconds-ago).
"""
from __future__ import annotations

from typing import Callable

from minikafka.metrics.stats import Windowed

HOUR_MS = 3_600_000


class ProducerMetrics:
    def __init__(self, now: Callable[[], int]) -> None:
        self.sent, self.retried, self.failed, self.latency = (Windowed(now) for _ in range(4))

    def values(self) -> dict[str, float]:
        return {"record-send-rate": self.sent.rate(of_values=True),
                "record-retry-rate": self.retried.rate(of_values=True),
                "record-error-rate": self.failed.rate(of_values=True),
                "request-latency-avg": self.latency.avg()}


class ConsumerMetrics:
    def __init__(self, now: Callable[[], int]) -> None:
        self.now = now
        self.lag, self.commit_latency, self.rebalances = Windowed(now), Windowed(now), Windowed(now)
        self.last_rebalance = -1

    def rebalanced(self) -> None:
        self.rebalances.record()
        self.last_rebalance = self.now()

    def values(self) -> dict[str, float]:
        ago = -1 if self.last_rebalance < 0 else (self.now() - self.last_rebalance) / 1000
        return {"records-lag-max": self.lag.max(),
                "commit-latency-avg": self.commit_latency.avg(),
                "rebalance-rate-per-hour": self.rebalances.rate(per_ms=HOUR_MS),
                "last-rebalance-seconds-ago": ago}
