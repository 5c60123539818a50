"""Admin calls about topics and the cluster, shaped like confluent-kafka's `AdminClient` (Kafka:
`KafkaAdminClient`'s createTopics, deleteTopics, createPartitions, incrementalAlterConfigs,
electLeaders, describeCluster, and the Metadata behind `list_topics`).

| method | returns | sends |
|---|---|---|
| `create_topics([NewTopic])` | {topic: future of None} | CreateTopics, forwarded to the active controller |
| `delete_topics([name])` | {topic: future of None} | DeleteTopics, forwarded |
| `create_partitions([NewPartitions])` | {topic: future of None} | CreatePartitions, forwarded |
| `incremental_alter_configs([ConfigResource])` | {resource: future of None} | IncrementalAlterConfigs, forwarded |
| `describe_configs([ConfigResource])` | {resource: future of {name: ConfigEntry}} | DescribeConfigs to any broker |
| `elect_leaders(type, [TopicPartition] or None)` | a future of {TopicPartition: KafkaError or None} | ElectLeaders, forwarded |
| `describe_cluster()` | a future of DescribeClusterResult | Metadata to any broker |
| `list_topics(topic=None)` | ClusterMetadata (it blocks, as confluent-kafka's does) | Metadata to any broker |

Rules:
1. Each call sends at once and returns futures (kafka_future.py); one future per topic or
   resource, each from its own request. A future is done when the active controller has
   committed the change (its records are in the metadata log); brokers learn it as they
   replicate the log, a few ms later (`Cluster.create_topic` also waits for that).
2. A wrong Python type raises TypeError at once. What Kafka's brokers check (a topic name's
   rules and collisions, the partition count and replication factor, a config key or value,
   a topic that exists or does not) is the future's error, with Kafka's name
   (INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR,
   INVALID_PARTITIONS, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PART, ...); a refused change writes nothing.
3. Not modelled, and refused with ValueError: a NewTopic's or NewPartitions' replica_assignment
   (placement is the controller's, controller/placement.py), and the DELETE, APPEND and SUBTRACT
   operations of incremental_alter_configs (only SET).
4. Without an active controller (the quorum lost its majority) a future fails with
   REQUEST_TIMED_OUT after `default.api.timeout.ms` (admin_client.py rule 2).
5. `describe_configs`, `describe_cluster` and `list_topics` read one broker's metadata
   (server/config_helper.py for the configs: each ConfigEntry has its `source`, Kafka's
   ConfigSource name, and `is_default`). A KRaft broker names a live
   broker as the "controller" in Metadata (clients cannot reach the controllers); minikafka
   names the broker that answered.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.admin.arguments import check_items
from minikafka.clients.admin.broker_calls import DONE, FAIL, RETRY, Call, Key, Verdict
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.clients.message import TopicPartition, is_int
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


# -- what the calls take (confluent-kafka's names) ------------------------------------------------
class NewTopic:
    """A topic to create; -1 (or None) takes the brokers' `num.partitions` /
    `default.replication.factor`."""

    __slots__ = ("topic", "num_partitions", "replication_factor", "replica_assignment", "config")

    def __init__(self, topic: str, num_partitions: int | None = -1, replication_factor: int | None = -1,
                 replica_assignment: list | None = None, config: dict[str, Any] | None = None) -> None:
        if not isinstance(topic, str):
            raise TypeError(f"NewTopic: topic must be a str, got {type(topic).__name__} {topic!r}")
        for name, v in (("num_partitions", num_partitions), ("replication_factor", replication_factor)):
            if v is not None and not is_int(v):
                raise TypeError(f"NewTopic: {name} must be an int (-1: the brokers' default), got {v!r}")
        if replica_assignment is not None:
            raise ValueError("NewTopic: replica_assignment is not modelled; the controller places replicas "
                             "(rack-aware, as Kafka's default placement)")
        if config is not None and not isinstance(config, dict):
            raise TypeError(f"NewTopic: config must be a dict of topic config names to values, got {config!r}")
        self.topic, self.num_partitions, self.replication_factor = topic, num_partitions, replication_factor
        self.replica_assignment = None
        self.config = dict(config or {})

    def __repr__(self) -> str:
        return f"NewTopic({self.topic!r}, {self.num_partitions}, {self.replication_factor})"


class NewPartitions:
    """A topic's new partition count (it can only grow)."""

    __slots__ = ("topic", "new_total_count", "replica_assignment")

    def __init__(self, topic: str, new_total_count: int, replica_assignment: list | None = None) -> None:
        if not isinstance(topic, str):
            raise TypeError(f"NewPartitions: topic must be a str, got {type(topic).__name__} {topic!r}")
        if not is_int(new_total_count):
            raise TypeError(f"NewPartitions: new_total_count must be an int, got {new_total_count!r}")
        if replica_assignment is not None:
            raise ValueError("NewPartitions: replica_assignment is not modelled; the controller places replicas")
        self.topic, self.new_total_count, self.replica_assignment = topic, new_total_count, None

    def __repr__(self) -> str:
        return f"NewPartitions({self.topic!r}, {self.new_total_count})"


class ResourceType(Enum):
    TOPIC = "topic"
    GROUP = "group"


class AlterConfigOpType(Enum):
    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ConfigEntry:
    """One config: a change for `incremental_alter_configs` (only SET is modelled, rule 3), or
    what `describe_configs` answers, with its `source` (DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG,
    DEFAULT_CONFIG, GROUP_CONFIG)."""

    __slots__ = ("name", "value", "incremental_operation", "source", "is_default")

    def __init__(self, name: str, value: Any, incremental_operation: AlterConfigOpType = AlterConfigOpType.SET,
                 source: str = "UNKNOWN", is_default: bool = False) -> None:
        if not isinstance(name, str):
            raise TypeError(f"ConfigEntry: name must be a config name (a str), got {name!r}")
        if not isinstance(incremental_operation, AlterConfigOpType):
            raise TypeError(f"ConfigEntry: incremental_operation must be an AlterConfigOpType, "
                            f"got {incremental_operation!r}")
        if incremental_operation is not AlterConfigOpType.SET:
            raise ValueError(f"ConfigEntry: {incremental_operation.name} is not modelled; only SET is")
        self.name, self.value, self.incremental_operation = name, value, incremental_operation
        self.source, self.is_default = source, is_default

    def __repr__(self) -> str:
        return f"ConfigEntry({self.name!r}, {self.value!r}, source={self.source})"


class ConfigResource:
    """A topic or a group whose configs change (`incremental_configs`: ConfigEntry list)."""

    __slots__ = ("restype", "name", "incremental_configs")

    def __init__(self, restype: ResourceType | str, name: str,
                 incremental_configs: list[ConfigEntry] | None = None) -> None:
        if isinstance(restype, str) and restype.lower() in ("topic", "group"):
            restype = ResourceType(restype.lower())
        if not isinstance(restype, ResourceType):
            raise TypeError(f"ConfigResource: restype must be ResourceType.TOPIC or ResourceType.GROUP (or "
                            f"'topic', 'group'), got {restype!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"ConfigResource: name must be a non-empty str, got {name!r}")
        entries = list(incremental_configs or ())
        for e in entries:
            if not isinstance(e, ConfigEntry):
                raise TypeError(f"ConfigResource: incremental_configs must be ConfigEntry objects, got {e!r}")
        self.restype, self.name, self.incremental_configs = restype, name, entries

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigResource) and (self.restype, self.name) == (other.restype, other.name)

    def __hash__(self) -> int:
        return hash((self.restype.value, self.name))

    def __repr__(self) -> str:
        return f"ConfigResource({self.restype.name}, {self.name!r})"


class ElectionType(Enum):
    PREFERRED = 0
    UNCLEAN = 1


# -- what they answer --------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """A broker as clients see it; `host` is its node name on the simulated network."""

    id: int
    host: str
    port: int = 9092


@dataclass(frozen=True)
class DescribeClusterResult:
    controller: Node
    nodes: list[Node]
    cluster_id: str = "minikafka"


@dataclass
class PartitionMetadata:
    id: int
    leader: int
    replicas: list[int]
    isrs: list[int]
    error: KafkaError | None = None


@dataclass
class TopicMetadata:
    topic: str
    partitions: dict[int, PartitionMetadata] = field(default_factory=dict)
    error: KafkaError | None = None


@dataclass
class ClusterMetadata:
    """confluent-kafka's `list_topics()` answer."""

    cluster_id: str
    controller_id: int
    brokers: dict[int, Node]
    topics: dict[str, TopicMetadata]
    orig_broker_id: int = -1
    orig_broker_name: str = ""


class TopicTools:
    """The topic and cluster calls of `AdminClient` (admin_client.py), which provides the rest."""

    cluster: "Cluster"
    launch: Callable[[Call, str], KafkaFuture]
    ask: Callable[..., Call]
    drive: Callable[[Call], Any]
    api_deadline: Callable[[], int]

    # -- topics (rules 1-3) -----------------------------------------------------------------------
    def create_topics(self, new_topics: list[NewTopic]) -> dict[str, KafkaFuture]:
        what = "create_topics"
        topics = _items(what, "new_topics", new_topics, NewTopic)
        return {t.topic: self._launch(self.cluster.create_topic_call(t.topic, t.num_partitions, t.replication_factor,
                                                                    t.config), f"{what}({t.topic!r})")
                for t in topics}

    def delete_topics(self, topics: list[str]) -> dict[str, KafkaFuture]:
        what = "delete_topics"
        names = _items(what, "topics", topics, str)
        return {name: self._launch(self.cluster.delete_topic_call(name), f"{what}({name!r})") for name in names}

    def create_partitions(self, new_partitions: list[NewPartitions]) -> dict[str, KafkaFuture]:
        what = "create_partitions"
        parts = _items(what, "new_partitions", new_partitions, NewPartitions)
        return {p.topic: self._launch(self.cluster.create_partitions_call(p.topic, p.new_total_count),
                                     f"{what}({p.topic!r})") for p in parts}

    def incremental_alter_configs(self, resources: list[ConfigResource]) -> dict[ConfigResource, KafkaFuture]:
        what = "incremental_alter_configs"
        out = {}
        for r in _items(what, "resources", resources, ConfigResource):
            changes = {e.name: e.value for e in r.incremental_configs}
            call = (self.cluster.alter_topic_config_call(r.name, changes) if r.restype is ResourceType.TOPIC
                    else self.cluster.alter_group_config_call(r.name, changes))
            out[r] = self._launch(call, f"{what}({r.restype.value} {r.name!r})")
        return out

    def describe_configs(self, resources: list[ConfigResource]) -> dict[ConfigResource, KafkaFuture]:
        what = "describe_configs"
        out = {}
        for r in _items(what, "resources", resources, ConfigResource):
            def call(r: ConfigResource = r) -> Call:
                def handle(resp: P.DescribeConfigsResponse, broker: int) -> Verdict:
                    if resp.error is not None:
                        return (FAIL, KafkaException(resp.error, f"{what}: {r.restype.value} {r.name!r}: "
                                                                 f"{resp.error_message or resp.error}"))
                    return (DONE, {name: ConfigEntry(name, value, source=source, is_default=source == "DEFAULT_CONFIG")
                                   for name, value, source in resp.entries})
                key = Key(f"{r.restype.value} {r.name}", lambda cid: P.DescribeConfigsRequest(cid, r.restype.value,
                                                                                            r.name), handle)
                return (yield from self.ask(key, what))
            out[r] = self.launch(call(), f"{what}({r.restype.value} {r.name!r})")
        return out

    def elect_leaders(self, election_type: ElectionType, partitions: list[TopicPartition] | None = None
                      ) -> KafkaFuture:
        """A future of {TopicPartition: None (elected) or the partition's KafkaError}; with
        `partitions` None, every partition that needed an election."""
        if not isinstance(election_type, ElectionType):
            raise TypeError(f"elect_leaders: election_type must be ElectionType.PREFERRED or ElectionType.UNCLEAN, "
                            f"got {election_type!r}")
        tps = None
        if partitions is not None:
            tps = [(tp.topic, tp.partition) for tp in _items("elect_leaders", "partitions", partitions, TopicPartition)]

        def call() -> Call:
            results = yield from self.cluster.elect_leaders_call(election_type.name.lower(), tps)
            return {TopicPartition(t, p): None if err is None else KafkaError(err)
                    for (t, p), err in results.items()}
        return self._launch(call(), f"elect_leaders({election_type.name})")

    def _launch(self, call: Call, what: str) -> KafkaFuture:
        """Rule 2: what the brokers would refuse is the future's error, and nothing is sent."""
        try:
            return self.launch(call, what)
        except KafkaException as e:
            failed = KafkaFuture(self, what)
            failed.set_exception(e)
            return failed

    # -- the cluster (rule 5) ---------------------------------------------------------------------
    def describe_cluster(self) -> KafkaFuture:
        def call() -> Call:
            broker, resp = yield from self._metadata(None, "describe_cluster")
            nodes = [Node(b, f"b{b}") for b in sorted(resp.brokers)]
            return DescribeClusterResult(Node(broker, f"b{broker}"), nodes)
        return self.launch(call(), "describe_cluster")

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        """Blocks (virtual time) for one broker's Metadata answer, as confluent-kafka's does;
        `timeout` in virtual seconds (-1 or None: `default.api.timeout.ms`)."""
        if topic is not None and not isinstance(topic, str):
            raise TypeError(f"list_topics: topic must be a str or None, got {topic!r}")
        ms = self.timeout_ms(timeout, "list_topics")
        deadline = self.api_deadline() if ms is None else self.sim.now + ms
        broker, resp = self.drive(self._metadata(None if topic is None else (topic,), "list_topics", deadline))
        topics = {t: TopicMetadata(t, {st.partition: PartitionMetadata(st.partition, st.leader, list(st.replicas),
                                                                      list(st.isr))
                                       for st in states})
                  for t, states in sorted(resp.partitions.items())}
        for t in resp.unknown:
            topics[t] = TopicMetadata(t, {}, KafkaError("UNKNOWN_TOPIC_OR_PART"))
        return ClusterMetadata("minikafka", broker, {b: Node(b, f"b{b}") for b in sorted(resp.brokers)}, topics,
                               broker, f"b{broker}")

    def _metadata(self, topics: tuple[str, ...] | None, what: str, deadline: int | None = None) -> Call:
        def handle(resp: P.MetadataResponse, broker: int) -> Verdict:
            return (DONE, (broker, resp)) if resp.brokers else (RETRY, "no live broker")
        key = Key("metadata", lambda cid: P.MetadataRequest(cid, topics), handle)
        return (yield from self.ask(key, what, deadline))


def _items(what: str, arg: str, value: Any, kind: type) -> list:
    items = check_items(what, arg, value, kind.__name__ + "s")
    if not items:
        raise ValueError(f"{what}: {arg} must name at least one")
    for x in items:
        if not isinstance(x, kind):
            raise TypeError(f"{what}: {arg} must hold {kind.__name__}s, got {type(x).__name__} {x!r}")
    keys = [getattr(x, "topic", x) if kind in (NewTopic, NewPartitions) else x for x in items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{what}: {arg} names the same one twice: {value!r}")
    return items
