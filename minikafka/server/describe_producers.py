"""DescribeProducers (KIP-664, `kafka-transactions.sh describe-producers`): a broker reports the
producer state of its replicas, which is how an operator finds a partition's open transactions
(kafka-semantics.md S.213).

Rules (Kafka: `KafkaApis.handleDescribeProducersRequest`, `Partition.activeProducerState`):
1. Per partition asked for: a topic this broker's metadata does not know -> UNKNOWN_TOPIC_OR_PART;
   a partition it hosts no replica of -> NOT_LEADER_OR_FOLLOWER; else the replica's active
   producers, in producer-id order.
2. The answer comes from the local replica whether it leads or follows, as Kafka's does (it
   reads the local log's producer state). The admin client sends to the leader unless the
   caller names a broker (`--broker-id`), so a follower answers only when asked by name.
3. Each producer: its producer id and epoch, the last sequence of its last data batch (-1 if it
   wrote none, e.g. only markers), the timestamp of its last batch or marker, the coordinator
   epoch of its last marker (-1 before any), and the first offset of its transaction still open
   on this partition (-1 if none; transaction_index.py rule 1). This is the replica's state from
   its log (producer_state.py, transaction_index.py), so a follower's is its leader's up to the
   follower's log end.
Simplification: producer ids never expire (Kafka drops one `producer.id.expiration.ms`, a day,
after its last write).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka import protocol as P

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica


def describe_producers(broker: "Broker", msg: P.DescribeProducersRequest) -> P.DescribeProducersResponse:
    """Rule 1, one entry per partition asked for, in the order asked."""
    out = []
    for tp in msg.partitions:
        r = broker.replicas.get(tp)
        if tp[0] not in broker.metadata:
            out.append(P.PartitionProducers(tp, "UNKNOWN_TOPIC_OR_PART"))
        elif r is None:
            out.append(P.PartitionProducers(tp, "NOT_LEADER_OR_FOLLOWER"))
        else:
            out.append(P.PartitionProducers(tp, None, active_producers(r)))
    return P.DescribeProducersResponse(msg.cid, tuple(out))


def active_producers(r: "Replica") -> tuple[P.ActiveProducer, ...]:
    """Rule 3."""
    ongoing = r.txn.ongoing
    return tuple(P.ActiveProducer(pid, e.epoch, e.last_sequence, e.last_timestamp, e.coordinator_epoch,
                                  ongoing.get(pid, -1))
                 for pid, e in sorted(r.producer_state.producers.items()))
