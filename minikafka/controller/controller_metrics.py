"""The controller's metrics (Kafka's ControllerMetadataMetrics and QuorumControllerMetrics),
computed from its partition and broker records; nothing in the simulation reads them.

Rules (kafka-semantics R.110-R.111; names and meanings in metrics/catalog.py):
1. Gauges are computed when asked from the controller's records: OfflinePartitionsCount
   counts every partition with leader -1, internal topics included (Kafka's code, not its
   docs); PreferredReplicaImbalanceCount those not led by their first replica.
2. UncleanLeaderElectionsPerSec is marked when an election installs a leader from outside
   the previous ISR (Kafka: PartitionRegistration.electionWasClean is false).
3. ActiveControllerCount is 1 on the active controller and 0 on the others (0 everywhere while
   there is none); NewActiveControllersCount counts the times a controller became active
   (cluster-wide: summed over every controller process there has been).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.metrics.stats import Meter

if TYPE_CHECKING:
    from minikafka.controller.quorum_controller import QuorumController as Controller


class ControllerMetrics:
    def __init__(self) -> None:
        self.unclean_elections = Meter()
        self.new_active = Meter()


def values(controller: "Controller", active: int = 1, new_active: int = 1,
           unclean: int | None = None) -> dict[str, float]:
    """Rules 1-3, from `controller`'s records; `active`, `new_active` and `unclean` as the
    caller counts them over the quorum."""
    states = [st for topic in controller.topics.values() for st in topic]
    fenced = sum(1 for rec in controller.brokers.values() if rec.fenced)
    return {
        "ActiveControllerCount": active,
        "OfflinePartitionsCount": sum(1 for st in states if st.leader < 0),
        "GlobalTopicCount": len(controller.topics),
        "GlobalPartitionCount": len(states),
        "PreferredReplicaImbalanceCount": sum(1 for st in states if st.replicas and st.leader != st.replicas[0]),
        "ActiveBrokerCount": len(controller.brokers) - fenced,
        "FencedBrokerCount": fenced,
        "NewActiveControllersCount": new_active,
        "UncleanLeaderElectionsPerSec": controller.metrics.unclean_elections.count if unclean is None else unclean,
    }
