"""Every metric `Cluster.metrics()` reports: its name in the snapshot, the MBean (or client
metric group) Kafka 4.x registers it under, its kind, and what it counts here.

Rules:
1. Names are Kafka's. A histogram's percentiles are `<name>.<request>.p50` / `.p99` (Kafka:
   the attributes 50thPercentile and 99thPercentile of the MBean with `request=<request>`).
2. Scope: "broker" metrics exist on each live broker and are summed cluster-wide (meters also
   keep the counts of broker processes that crashed, as a monitoring system that handles
   counter resets does; gauges count live brokers only); "controller" metrics come from the
   controller; "producer" and "consumer" metrics exist per client.
3. Only names Kafka 4.x still emits: `LeaderElectionRateAndTimeMs` is listed in Kafka's docs
   but emitted only by the ZooKeeper-era controller, so it is absent; leader churn shows in
   UncleanLeaderElectionsPerSec and in the leader epochs.
"""
from __future__ import annotations

from typing import NamedTuple


class Metric(NamedTuple):
    name: str
    scope: str          # broker | controller | producer | consumer
    kind: str           # gauge | meter | histogram | rate | avg | max | value
    mbean: str
    counts: str


_RM = "kafka.server:type=ReplicaManager,name="
_BT = "kafka.server:type=BrokerTopicMetrics,name="
_KC = "kafka.controller:type=KafkaController,name="
_RQ = "kafka.network:type=RequestMetrics,name=TotalTimeMs,request="
_VT = "kafka.server:type=AddPartitionsToTxnManager,name="

CATALOG: tuple[Metric, ...] = (
    Metric("UnderReplicatedPartitions", "broker", "gauge", _RM + "UnderReplicatedPartitions",
           "partitions this broker leads whose ISR is smaller than their replica set"),
    Metric("UnderMinIsrPartitionCount", "broker", "gauge", _RM + "UnderMinIsrPartitionCount",
           "led partitions whose ISR is below min(min.insync.replicas, replication factor): acks=all fails"),
    Metric("AtMinIsrPartitionCount", "broker", "gauge", _RM + "AtMinIsrPartitionCount",
           "led partitions whose ISR is exactly that minimum: one more loss blocks acks=all"),
    Metric("PartitionCount", "broker", "gauge", _RM + "PartitionCount", "replicas this broker hosts"),
    Metric("LeaderCount", "broker", "gauge", _RM + "LeaderCount", "partitions this broker leads"),
    Metric("IsrShrinksPerSec", "broker", "meter", _RM + "IsrShrinksPerSec",
           "ISR shrinks this broker made as leader (its AlterPartition accepted); the controller's "
           "removals of a fenced broker do not count"),
    Metric("IsrExpandsPerSec", "broker", "meter", _RM + "IsrExpandsPerSec",
           "ISR expansions this broker made as leader (its AlterPartition accepted)"),
    Metric("FailedIsrUpdatesPerSec", "broker", "meter", _RM + "FailedIsrUpdatesPerSec",
           "AlterPartition requests the controller refused"),
    Metric("MessagesInPerSec", "broker", "meter", _BT + "MessagesInPerSec",
           "records appended by this broker as leader (clients, coordinators, markers)"),
    Metric("BytesInPerSec", "broker", "meter", _BT + "BytesInPerSec", "bytes of those appends"),
    Metric("BytesOutPerSec", "broker", "meter", _BT + "BytesOutPerSec",
           "bytes returned to consumers (follower fetches are replication, not counted)"),
    Metric("ReplicationBytesOutPerSec", "broker", "meter", _BT + "ReplicationBytesOutPerSec",
           "bytes returned to followers"),
    Metric("TotalProduceRequestsPerSec", "broker", "meter", _BT + "TotalProduceRequestsPerSec",
           "partitions in produce requests (one per partition per request)"),
    Metric("FailedProduceRequestsPerSec", "broker", "meter", _BT + "FailedProduceRequestsPerSec",
           "partitions whose append failed for a reason Kafka counts (NOT_ENOUGH_REPLICAS, sequence and "
           "epoch errors); not NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PART"),
    Metric("TotalFetchRequestsPerSec", "broker", "meter", _BT + "TotalFetchRequestsPerSec",
           "partitions in fetch requests from consumers and followers"),
    Metric("FailedFetchRequestsPerSec", "broker", "meter", _BT + "FailedFetchRequestsPerSec",
           "fetched partitions that failed for a reason Kafka counts; not leadership, epoch or "
           "OFFSET_OUT_OF_RANGE errors"),
    Metric("TotalTimeMs.Produce.p50", "broker", "histogram", _RQ + "Produce",
           "median time from a Produce request's arrival to its response (includes the acks=all wait)"),
    Metric("TotalTimeMs.Produce.p99", "broker", "histogram", _RQ + "Produce", "its 99th percentile"),
    Metric("TotalTimeMs.FetchConsumer.p50", "broker", "histogram", _RQ + "FetchConsumer",
           "median time a consumer's Fetch spends at the broker (near fetch.max.wait.ms when idle)"),
    Metric("TotalTimeMs.FetchConsumer.p99", "broker", "histogram", _RQ + "FetchConsumer", "its 99th percentile"),
    Metric("VerificationFailureRate", "broker", "meter", _VT + "VerificationFailureRate",
           "transactional writes whose check with the transaction coordinator failed (KIP-890)"),
    Metric("VerificationTimeMs.p50", "broker", "histogram", _VT + "VerificationTimeMs",
           "median time a leader waits for the transaction coordinator before a transaction's first write"),
    Metric("VerificationTimeMs.p99", "broker", "histogram", _VT + "VerificationTimeMs", "its 99th percentile"),
    Metric("ActiveControllerCount", "controller", "gauge", _KC + "ActiveControllerCount",
           "1 on the active controller"),
    Metric("OfflinePartitionsCount", "controller", "gauge", _KC + "OfflinePartitionsCount",
           "partitions with no leader (internal topics included, as Kafka's code counts them)"),
    Metric("GlobalTopicCount", "controller", "gauge", _KC + "GlobalTopicCount", "topics"),
    Metric("GlobalPartitionCount", "controller", "gauge", _KC + "GlobalPartitionCount", "partitions"),
    Metric("PreferredReplicaImbalanceCount", "controller", "gauge", _KC + "PreferredReplicaImbalanceCount",
           "partitions not led by their first (preferred) replica"),
    Metric("ActiveBrokerCount", "controller", "gauge", _KC + "ActiveBrokerCount", "registered, unfenced brokers"),
    Metric("FencedBrokerCount", "controller", "gauge", _KC + "FencedBrokerCount", "registered, fenced brokers"),
    Metric("NewActiveControllersCount", "controller", "gauge", _KC + "NewActiveControllersCount",
           "controller leadership changes seen (one controller that never fails: 1)"),
    Metric("current-leader", "controller", "gauge", "kafka.server:type=raft-metrics",
           "the metadata quorum's leader (the active controller's id), -1 while there is none"),
    Metric("current-epoch", "controller", "gauge", "kafka.server:type=raft-metrics",
           "the quorum's epoch, the highest a live voter knows"),
    Metric("UncleanLeaderElectionsPerSec", "controller", "meter",
           "kafka.controller:type=ControllerStats,name=UncleanLeaderElectionsPerSec",
           "elections of a leader from outside the ISR (possible data loss)"),
    Metric("record-send-rate", "producer", "rate", "kafka.producer:type=producer-metrics",
           "records per second in produce requests sent"),
    Metric("record-retry-rate", "producer", "rate", "kafka.producer:type=producer-metrics",
           "records per second in batches sent again after a retriable error"),
    Metric("record-error-rate", "producer", "rate", "kafka.producer:type=producer-metrics",
           "records per second whose delivery finally failed"),
    Metric("request-latency-avg", "producer", "avg", "kafka.producer:type=producer-metrics",
           "mean produce request round trip, ms (includes the acks=all wait)"),
    Metric("records-lag-max", "consumer", "max", "kafka.consumer:type=consumer-fetch-manager-metrics",
           "largest lag (HW, or LSO under read_committed, minus the position) recorded when fetched "
           "records were returned"),
    Metric("commit-latency-avg", "consumer", "avg", "kafka.consumer:type=consumer-coordinator-metrics",
           "mean OffsetCommit round trip, ms"),
    Metric("rebalance-rate-per-hour", "consumer", "rate", "kafka.consumer:type=consumer-coordinator-metrics",
           "completed rebalances per hour, over the window"),
    Metric("last-rebalance-seconds-ago", "consumer", "value", "kafka.consumer:type=consumer-coordinator-metrics",
           "seconds since the last completed rebalance; -1 if none"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in CATALOG}
