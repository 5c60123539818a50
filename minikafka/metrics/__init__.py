"""The operator's view: Kafka's metrics, computed from the simulation in virtual time.

`stats` has the measuring instruments (meters, histograms, windowed client stats), `catalog`
names every metric with its Kafka MBean and what it counts, and `snapshot` is what
`Cluster.metrics()` returns. The code that feeds them lives with the code that changes the
state they observe: server/broker_metrics.py, controller/controller_metrics.py,
clients/client_metrics.py. Metrics are observations only: nothing in the simulation reads
them, so turning the trace off keeps them and no history depends on them.
"""
from minikafka.metrics.snapshot import MetricsSnapshot

__all__ = ["MetricsSnapshot"]
