"""A broker's metrics (Kafka's ReplicaManager gauges and meters, BrokerTopicStats and the
request histograms of RequestMetrics), fed by the code paths that change the state they
observe; nothing in the simulation reads them.

Rules (kafka-semantics R.108-R.114; names and meanings in metrics/catalog.py):
1. One `BrokerMetrics` per broker process: a restart starts a new one (counts from zero), as
   a new JVM does; the broker keeps the old ones for cluster-wide totals.
2. Gauges are computed when asked, from the replicas: a partition counts on its leader only,
   with the leader's committed ISR (not a pending proposal).
3. Meters are marked where Kafka marks them: appends by the leader (every successful append,
   coordinators' and markers included); the partitions of produce and fetch requests; a failed
   produce except for leadership and unknown-partition errors; ISR shrinks and expansions when
   the leader's own AlterPartition is accepted, and failures when it is refused; a transactional
   write's check with its coordinator that failed (VerificationFailureRate).
4. TotalTimeMs: from the request's arrival to its response at this broker (the simulated
   network's latency is outside it; queue and I/O thread times are zero here). acks=0
   produces have no response and are not timed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka.metrics.stats import Histogram, Meter

if TYPE_CHECKING:
    from minikafka.server.broker import Broker

METERS = ("IsrShrinksPerSec", "IsrExpandsPerSec", "FailedIsrUpdatesPerSec", "MessagesInPerSec", "BytesInPerSec",
          "BytesOutPerSec", "ReplicationBytesOutPerSec", "TotalProduceRequestsPerSec", "FailedProduceRequestsPerSec",
          "TotalFetchRequestsPerSec", "FailedFetchRequestsPerSec", "VerificationFailureRate")
GAUGES = ("UnderReplicatedPartitions", "UnderMinIsrPartitionCount", "AtMinIsrPartitionCount", "PartitionCount",
          "LeaderCount")
HISTOGRAMS = ("Produce", "FetchConsumer")

# rule 3: errors Kafka does not count as failed requests (ReplicaManager's handlers)
NOT_FAILED_PRODUCE = frozenset({"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART", "MESSAGE_TOO_LARGE",
                                "RECORD_LIST_TOO_LARGE", "CORRUPT_MESSAGE", "KAFKA_STORAGE_ERROR"})
NOT_FAILED_FETCH = frozenset({"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART", "FENCED_LEADER_EPOCH",
                              "UNKNOWN_LEADER_EPOCH", "REPLICA_NOT_AVAILABLE", "OFFSET_OUT_OF_RANGE"})


class BrokerMetrics:
    def __init__(self) -> None:
        self.meters: dict[str, Meter] = {name: Meter() for name in METERS}
        self.times: dict[str, Histogram] = {name: Histogram() for name in HISTOGRAMS}
        self.arrived: dict[Any, int] = {}          # a consumer Fetch request -> when it arrived
        self.verification_ms = Histogram()         # AddPartitionsToTxnManager's VerificationTimeMs

    def verification(self, ms: int, failed: bool) -> None:
        """A leader's check with a transaction coordinator finished (add_partitions_to_txn_manager.py)."""
        self.verification_ms.update(ms)
        if failed:
            self.meters["VerificationFailureRate"].count += 1

    def produce_failed(self, errors: Any) -> None:
        """Rule 3, for the per-partition errors of one produce."""
        failed = sum(1 for err in errors if err is not None and err not in NOT_FAILED_PRODUCE)
        if failed:
            self.meters["FailedProduceRequestsPerSec"].count += failed

    def fetch_answered(self, msg: Any, results: Any, nbytes: int, now: int) -> None:
        """Rules 3-4 for a Fetch response about to be sent."""
        failed = sum(1 for res in results if res.error is not None and res.error not in NOT_FAILED_FETCH)
        if failed:
            self.meters["FailedFetchRequestsPerSec"].count += failed
        if msg.replica_id >= 0:
            self.meters["ReplicationBytesOutPerSec"].count += nbytes
            return
        self.meters["BytesOutPerSec"].count += nbytes
        arrived = self.arrived.pop(msg, None)
        if arrived is not None:
            self.times["FetchConsumer"].update(now - arrived)


def gauges(broker: "Broker") -> dict[str, int]:
    """Rule 2."""
    out = dict.fromkeys(GAUGES, 0)
    out["PartitionCount"] = len(broker.replicas)
    for r in broker.replicas.values():
        if not r.is_leader:
            continue
        out["LeaderCount"] += 1
        isr, least = len(r.isr), r.min_isr
        out["UnderReplicatedPartitions"] += isr < len(r.replicas)
        out["UnderMinIsrPartitionCount"] += isr < least
        out["AtMinIsrPartitionCount"] += isr == least
    return out


def values(broker: "Broker") -> dict[str, float]:
    """A live broker's metrics, by the names of metrics/catalog.py."""
    m = broker.metrics
    out: dict[str, float] = dict(gauges(broker))
    out.update((name, meter.count) for name, meter in m.meters.items())
    for request, hist in m.times.items():
        out[f"TotalTimeMs.{request}.p50"] = hist.percentile(0.50)
        out[f"TotalTimeMs.{request}.p99"] = hist.percentile(0.99)
    out["VerificationTimeMs.p50"] = m.verification_ms.percentile(0.50)
    out["VerificationTimeMs.p99"] = m.verification_ms.percentile(0.99)
    return out
