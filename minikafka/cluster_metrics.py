"""`Cluster.metrics()`: one snapshot of every metric (metrics/catalog.py), per live broker, for
the controller, per client, and cluster-wide.

Rules (catalog.py rule 2):
1. A crashed broker has no process to ask: it is absent from `snapshot.brokers`.
2. Cluster-wide broker gauges sum the live brokers'. Broker meters sum the counts of every
   broker process there has been, crashed ones included (a restarted broker counts from zero,
   as a new JVM does; a monitoring system adds the counts across the reset). The request-time
   percentiles are over the live brokers' recent requests taken together.
3. Controller metrics come from the active controller's records (or the most recent image when
   there is none); the counts of active controllers, activations and unclean elections are summed
   over every controller process there has been.
4. Client metrics exist per producer and consumer that is not closed or crashed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.controller import controller_metrics
from minikafka.metrics.snapshot import MetricsSnapshot
from minikafka.metrics.stats import percentile
from minikafka.server import broker_metrics
from minikafka.server.broker_metrics import GAUGES, HISTOGRAMS, METERS

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


def snapshot(c: "Cluster") -> MetricsSnapshot:
    brokers = {bid: broker_metrics.values(b) for bid, b in sorted(c.brokers.items()) if b.alive}
    cluster: dict[str, float] = {name: sum(v[name] for v in brokers.values()) for name in GAUGES}
    for name in METERS:
        cluster[name] = sum(m.meters[name].count for _, b in sorted(c.brokers.items()) for m in b.past_metrics)
    for request in HISTOGRAMS:
        merged = [v for bid in brokers for v in c.brokers[bid].metrics.times[request].values]
        cluster[f"TotalTimeMs.{request}.p50"] = percentile(merged, 0.50)
        cluster[f"TotalTimeMs.{request}.p99"] = percentile(merged, 0.99)
    merged = [v for bid in brokers for v in c.brokers[bid].metrics.verification_ms.values]
    cluster["VerificationTimeMs.p50"] = percentile(merged, 0.50)
    cluster["VerificationTimeMs.p99"] = percentile(merged, 0.99)
    ctls = list(c.controllers.values())
    every = [m for ctl in ctls for m in ctl.past_metrics + [ctl.metrics]]
    cluster.update(controller_metrics.values(
        c.controller, active=sum(1 for ctl in ctls if ctl.alive and ctl.active),
        new_active=sum(m.new_active.count for m in every), unclean=sum(m.unclean_elections.count for m in every)))
    quorum = c.controller_state()
    cluster["current-leader"], cluster["current-epoch"] = quorum.leader, quorum.epoch
    clients = {name: cl.metrics.values() for name, cl in sorted(c.clients.items())
               if getattr(cl, "metrics", None) is not None and cl.alive and not cl.closed}
    return MetricsSnapshot(c.now, cluster, brokers, clients)
