"""Coordinators: broker-side state machines that keep their state in a replicated internal
topic (`__transaction_state` for transactions, `__consumer_offsets` for groups,
`__share_group_state` for share-partitions, share/share_coordinator.py).

Rules (kafka-semantics.md G.41-G.42, I.57, O.240):
1. A key (a transactional id, a group id, or a share-partition's "group:topic:partition")
   belongs to partition abs(java_string_hash(key)) % N of its internal topic, and its
   coordinator is the leader of that partition. The hash is Java's String.hashCode, so the
   mapping is Kafka's and never depends on Python's per-process `hash()`.
2. FindCoordinator (key_type "transaction", "group" or "share"; anything else gets
   INVALID_REQUEST) may go to any broker. When the internal topic does not exist yet, that
   broker asks the controller to create it (N partitions, replication factor
   min(configured, brokers)) and answers COORDINATOR_NOT_AVAILABLE, as it does while the
   partition has no leader; the client retries. No internal topic is created at startup, only
   when something first needs its coordinator.
3. A broker that becomes leader of a partition of the topic loads its state by replaying the
   partition's log; the coordinator epoch is that leader epoch. A leader that becomes follower
   (or crashes) drops the state. A request for a key it does not own gets NOT_COORDINATOR.
4. A state change is appended to the partition with acks=all and takes effect only once the
   high watermark passes it. If that fails the change is not applied: NOT_COORDINATOR when the
   leadership moved, COORDINATOR_NOT_AVAILABLE otherwise (not enough replicas, timeout).
5. Only the broker writes these topics: a client's Produce to one is refused with
   INVALID_TOPIC_EXCEPTION (replica_manager.py rule 6), and AddPartitionsToTxn with one with
   TOPIC_AUTHORIZATION_FAILED (Kafka leaves internal topics out of a client's authorized ones).
6. Loading skips a record it cannot parse (no key, an unknown key, a malformed value) and traces
   it (`coordinator.skip_record`, with its offset and why); the records before and after it load
   as usual, so nothing committed is lost and the simulation goes on. Kafka's loader skips a
   record of an unknown type the same way (CoordinatorLoaderImpl); a malformed record of a known
   type fails Kafka's load instead. Rule 5 keeps both out; this is defence in depth.
Simplification: loading is instantaneous (Kafka answers COORDINATOR_LOAD_IN_PROGRESS while it
reads the log).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica

TRANSACTION_STATE = "__transaction_state"
CONSUMER_OFFSETS = "__consumer_offsets"
SHARE_GROUP_STATE = "__share_group_state"
INTERNAL_TOPICS = (CONSUMER_OFFSETS, TRANSACTION_STATE, SHARE_GROUP_STATE)
KEY_TYPES = {"transaction": TRANSACTION_STATE, "group": CONSUMER_OFFSETS, "share": SHARE_GROUP_STATE}


def java_string_hash(s: str) -> int:
    """Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, as a
    signed 32-bit int."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(key: str, partitions: int) -> int:
    """Kafka's Utils.abs(key.hashCode()) % partitions (abs of MIN_VALUE is 0)."""
    h = java_string_hash(key)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def internal_topic_settings(topic: str, cfg: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    """(partitions, replication factor, topic config) of an internal topic from broker configs, as
    its coordinator asks for it (kafka-semantics.md P2.324; Kafka: `groupMetadataTopicConfigs`,
    `transactionTopicConfigs`, `shareGroupStateTopicConfigs`): the group and transaction logs
    are compacted (the latest record per key is what a coordinator loads), the share-group
    state log is deleted by nothing but its coordinator's own pruning (retention.ms -1)."""
    if topic == TRANSACTION_STATE:
        return (cfg["transaction.state.log.num.partitions"], cfg["transaction.state.log.replication.factor"],
                {"cleanup.policy": ("compact",), "min.insync.replicas": cfg["transaction.state.log.min.isr"],
                 "segment.bytes": cfg["transaction.state.log.segment.bytes"]})
    if topic == SHARE_GROUP_STATE:
        return (cfg["share.coordinator.state.topic.num.partitions"],
                cfg["share.coordinator.state.topic.replication.factor"],
                {"cleanup.policy": ("delete",), "min.insync.replicas": cfg["share.coordinator.state.topic.min.isr"],
                 "retention.ms": -1, "segment.bytes": cfg["share.coordinator.state.topic.segment.bytes"]})
    return (cfg["offsets.topic.num.partitions"], cfg["offsets.topic.replication.factor"],
            {"cleanup.policy": ("compact",), "min.insync.replicas": cfg["min.insync.replicas"],
             "segment.bytes": cfg["offsets.topic.segment.bytes"]})


def find_coordinator(broker: "Broker", src: str, msg: P.FindCoordinatorRequest) -> None:
    """Rule 2, on any broker."""
    topic = KEY_TYPES.get(msg.key_type)
    if topic is None:
        broker.send(src, P.FindCoordinatorResponse(msg.cid, "INVALID_REQUEST", -1))
        return
    leader = coordinator_of(broker, topic, msg.key)
    if leader is None:
        broker.send(src, P.FindCoordinatorResponse(msg.cid, "COORDINATOR_NOT_AVAILABLE", -1))
    else:
        broker.send(src, P.FindCoordinatorResponse(msg.cid, None, leader, broker.finalized_features()))


def coordinator_of(broker: "Broker", topic: str, key: str) -> int | None:
    """The broker id that coordinates `key`, from this broker's metadata; None if unknown (and
    the topic is created if missing)."""
    parts = broker.metadata.get(topic)
    if parts is None:
        ensure_topic(broker, topic)
        return None
    st = parts[partition_for(key, len(parts))]
    return st.leader if st is not None and st.leader >= 0 else None


def ensure_topic(broker: "Broker", topic: str) -> None:
    if topic in broker.metadata or broker.sim.now < broker.create_requested.get(topic, -1):
        return
    n, rf, config = internal_topic_settings(topic, broker.cfg)
    broker.create_requested[topic] = broker.sim.now + 1000       # ask again after a second
    broker.send_to_controller(P.CreateTopicsRequest(topic, n, rf, config), daemon=False)


def record_value(fields: dict[str, Any]) -> bytes:
    """A readable, parseable value for an internal-topic record: b"k=v k=v"."""
    return " ".join(f"{k}={v}" for k, v in fields.items()).encode()


def parse_value(value: bytes | None) -> dict[str, str]:
    """The fields of a `record_value`; ValueError when `value` is not one (rule 6)."""
    if not isinstance(value, bytes):
        raise ValueError("the record has no value")
    fields = {}
    for item in value.decode().split(" "):          # UnicodeDecodeError is a ValueError
        if item:
            k, sep, v = item.partition("=")
            if not sep:
                raise ValueError(f"{item!r} is not key=value")
            fields[k] = v
    return fields


def record_key(rec: Record) -> str:
    """A record's key as text; ValueError when it has none or it is not UTF-8 (rule 6)."""
    if not isinstance(rec.key, bytes):
        raise ValueError("the record has no key")
    return rec.key.decode()


def int_field(fields: dict[str, str], name: str) -> int:
    """An integer field of a parsed value; ValueError when missing or not an integer."""
    if name not in fields:
        raise ValueError(f"no {name!r} field")
    return int(fields[name])


class Coordinator:
    """What the transaction and group coordinators share: ownership (rule 3) and durable
    writes (rule 4). Subclasses implement `load(partition, batches)` and `unload(partition)`."""

    topic = ""
    write_timeout = "request.timeout.ms"            # the broker config bounding a write's wait

    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.sim = broker.sim
        self.trace = broker.trace
        self.epochs: dict[int, int] = {}          # partition -> coordinator epoch, while loaded

    # -- rule 3 ----------------------------------------------------------------------
    def on_role_change(self, r: "Replica") -> None:
        p = r.partition
        if r.is_leader:
            if self.epochs.get(p) == r.leader_epoch:
                return
            if p in self.epochs:
                self.unload(p)
            self.epochs[p] = r.leader_epoch
            self.load(p, r.log.batches)
            self.trace.state(self.sim.now, self.broker.name, "coordinator.load", topic=self.topic, partition=p,
                             epoch=r.leader_epoch)
        elif p in self.epochs:
            del self.epochs[p]
            self.unload(p)
            self.trace.state(self.sim.now, self.broker.name, "coordinator.unload", topic=self.topic, partition=p)

    def partition_of(self, key: str) -> int:
        parts = self.broker.metadata.get(self.topic)
        return partition_for(key, len(parts) if parts else 1)

    def owner_error(self, key: str) -> str | None:
        """None if this broker coordinates `key` now, else NOT_COORDINATOR."""
        if self.topic not in self.broker.metadata or self.partition_of(key) not in self.epochs:
            return "NOT_COORDINATOR"
        return None

    def load(self, partition: int, batches: list[RecordBatch]) -> None:
        raise NotImplementedError

    def unload(self, partition: int) -> None:
        raise NotImplementedError

    def skip_record(self, partition: int, offset: int, why: ValueError) -> None:
        """Rule 6: a record this coordinator cannot parse is left out of its state."""
        self.trace.state(self.sim.now, self.broker.name, "coordinator.skip_record", topic=self.topic,
                         partition=partition, offset=offset, why=str(why))

    # -- rule 4 ----------------------------------------------------------------------
    def write(self, partition: int, records: list[tuple[str, bytes | None]], then: Callable[[str | None], None],
              producer: tuple[int, int] | None = None, guards: dict | None = None, txn_v2: bool = False) -> None:
        """Append `records` (key, value) to our partition with acks=all; `then(error)` once the
        HW passed them (error None) or the write failed. `producer` = (pid, epoch) writes a
        transactional batch (transactional offset commits)."""
        epoch = self.epochs.get(partition)
        if epoch is None:
            then("NOT_COORDINATOR")
            return
        now = self.sim.now
        recs = [Record(k.encode(), v, None, now) for k, v in records]
        size = BATCH_OVERHEAD + sum(record_size(r.key, r.value) for r in recs)
        batch = RecordBatch(recs, size, max_timestamp=now)
        if producer is not None:
            batch.producer_id, batch.producer_epoch, batch.transactional = producer[0], producer[1], True
        tp = (self.topic, partition)

        def done(results: list) -> None:
            err = results[0][1] if results else "NOT_LEADER_OR_FOLLOWER"
            if self.epochs.get(partition) != epoch:
                then("NOT_COORDINATOR")
            elif err in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART"):
                then("NOT_COORDINATOR")
            elif err in ("INVALID_PRODUCER_EPOCH", "INVALID_TXN_STATE"):
                then(err)
            elif err is not None:
                then("COORDINATOR_NOT_AVAILABLE")
            else:
                then(None)
        self.broker.replica_manager.append_records([(tp, batch)], -1, self.broker.cfg[self.write_timeout], done,
                                                   internal_topics_allowed=True, guards=guards, txn_v2=txn_v2)
