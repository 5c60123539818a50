"""What `Cluster.metrics()` returns: every metric's value at one virtual instant.

Rules (catalog.py rule 2):
1. `snap["UnderReplicatedPartitions"]` is the cluster-wide value of a broker or controller
   metric; `snap.broker(1)` a live broker's own values; `snap.client("producer-1")` a client's.
2. A snapshot is plain data, taken at `snap.now` (virtual ms): later events do not change it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MetricsSnapshot(Mapping[str, float]):
    now: int
    cluster: dict[str, float]
    brokers: dict[int, dict[str, float]] = field(default_factory=dict)
    clients: dict[str, dict[str, float]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        try:
            return self.cluster[name]
        except KeyError:
            known = ", ".join(self.cluster)
            raise KeyError(f"{name!r} is not a cluster-wide metric; known: {known} "
                           "(client metrics: snapshot.client(name))") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.cluster)

    def __len__(self) -> int:
        return len(self.cluster)

    def broker(self, broker_id: int) -> dict[str, float]:
        if broker_id not in self.brokers:
            raise KeyError(f"no live broker {broker_id!r} in this snapshot; live: {sorted(self.brokers)}")
        return self.brokers[broker_id]

    def client(self, name: str) -> dict[str, float]:
        if name not in self.clients:
            raise KeyError(f"no client {name!r} in this snapshot; clients: {sorted(self.clients)}")
        return self.clients[name]
