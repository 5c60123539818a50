"""The cluster's topic and config administration: each change is a call of the admin client
(clients/admin/topics.py) to the active controller; the `Cluster` methods here run it and then
wait until the brokers have applied it.

Rules:
1. Each change has one call (`*_call`, a generator, clients/admin/broker_calls.py rule 5) that
   the admin client's futures and these blocking methods share: its checks (Kafka's, with
   Kafka's error names: cluster_args.py) run when the call starts, before anything is sent,
   then one request goes to the active controller (through a broker).
2. `create_topic`, `create_partitions`: the call, then wait until every replica on a live,
   unfenced broker knows its role (at most 10 virtual s). `delete_topic`: the call, then wait
   until no live broker holds a replica of the topic. Config changes: the call, then wait until
   every live broker has applied the metadata log's new records.
3. A new topic's config holds what it was given plus the brokers' `min.insync.replicas` and
   `unclean.leader.election.enable`; the other log keys it did not set follow the brokers'.
   `min.insync.replicas` larger than the replication factor is allowed, as in Kafka: the
   effective minimum is min(min.insync.replicas, replication factor).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from minikafka import protocol as P
from minikafka.clients.admin.admin_client import ControllerCall
from minikafka.cluster_args import (check_batch, check_mapping, check_new_topic_name, check_new_total, check_size,
                                    check_str)
from minikafka.config import GROUP, TOPIC, resolve
from minikafka.errors import KafkaException
from minikafka.server.config_helper import topic_values

if TYPE_CHECKING:
    from minikafka.controller.quorum_controller import QuorumController
    from minikafka.sim.kernel import Simulation

Call = Generator[Any, Any, Any]


class TopicAdmin:
    """The topic methods of `Cluster` (cluster.py), which provides the rest."""

    config: dict[str, Any]
    controller: "QuorumController"
    brokers: dict[int, Any]
    sim: "Simulation"
    admin: Any
    _settled: Any

    def _run_call(self, call: Call) -> Any:
        """Rule 1: the call's checks first (a refused call changes nothing, not even by making the
        admin client), then the call, blocking."""
        try:
            first = call.send(None)
        except StopIteration as stop:
            return stop.value
        return self.admin().drive(call, first)

    # -- topics -----------------------------------------------------------------------------------
    def create_topic(self, name: str, partitions: int | None = None, replication_factor: int | None = None,
                     config: dict[str, Any] | None = None) -> None:
        """Create a topic and wait (virtual time) until its replicas know their roles. Kafka's
        name rules apply, with its collision rule (cluster_args.py rule 4); `partitions` and
        `replication_factor` default (None, or -1 as in Kafka's CreateTopics) to the brokers'
        `num.partitions` and `default.replication.factor`."""
        self._run_call(self.create_topic_call(name, partitions, replication_factor, config))
        self._settle(name)

    def create_topic_call(self, name: str, partitions: int | None, replication_factor: int | None,
                          config: dict[str, Any] | None) -> Call:
        check_new_topic_name(name, self.controller.topics)
        partitions = check_size("partitions", partitions, self.config, "num.partitions")
        rf = check_size("replication_factor", replication_factor, self.config, "default.replication.factor")
        config = check_mapping("config", config)
        check_batch(1 + partitions + len(config))
        defaults = {"min.insync.replicas": self.config["min.insync.replicas"],
                    "unclean.leader.election.enable": self.config["unclean.leader.election.enable"]}
        cfg = resolve(TOPIC, {**defaults, **config})
        cfg = {k: cfg[k] for k in sorted({*defaults, *config})}   # rule 3
        yield ControllerCall(lambda cid: P.CreateTopicsRequest(name, partitions, rf, dict(cfg), cid),
                             f"create_topic({name!r})")

    def _settle(self, topic: str) -> None:
        def ready() -> bool:
            for st in self.controller.topics[topic]:
                for b in st.replicas:
                    broker = self.brokers[b]
                    if broker.alive and not self.controller.brokers[b].fenced:
                        r = broker.replicas.get(st.tp)
                        if r is None or r.leader_epoch != st.leader_epoch:
                            return False
            return True
        self.sim.run_until(lambda: self._settled(lambda ctl: True) and ready(), self.sim.now + 10_000)

    def create_partitions(self, topic: str, total: int) -> None:
        """Grow `topic` to `total` partitions (Kafka's CreatePartitions; it can never shrink).
        Existing records stay where they are; keys hash over the new count from now on."""
        self._run_call(self.create_partitions_call(topic, total))
        self._settle(topic)

    def create_partitions_call(self, topic: str, total: int) -> Call:
        self._topic(topic)
        have = len(self.controller.topics[topic])
        check_batch(check_new_total(topic, have, total) - have)
        yield ControllerCall(lambda cid: P.CreatePartitionsRequest(cid, topic, total), f"create_partitions({topic!r})")

    def delete_topic(self, name: str) -> None:
        """Delete a topic (Kafka's DeleteTopics): the controller writes a RemoveTopicRecord, and
        every broker deletes its replicas, logs and all, once it applies it; this waits for that.
        Clients then get UNKNOWN_TOPIC_OR_PART for it. Internal topics are not deleted."""
        self._run_call(self.delete_topic_call(name))
        self.sim.run_until(lambda: self._settled(lambda ctl: True) and not any(
            tp[0] == name for b in self.brokers.values() if b.alive for tp in b.replicas), self.sim.now + 10_000)

    def delete_topic_call(self, name: str) -> Call:
        if isinstance(name, str) and name.startswith("__"):
            raise ValueError(f"{name} is an internal topic; minikafka does not delete internal topics")
        self._topic(name)
        yield ControllerCall(lambda cid: P.DeleteTopicsRequest(cid, name), f"delete_topic({name!r})")

    # -- configs ----------------------------------------------------------------------------------
    def topic_config(self, topic: str) -> dict[str, Any]:
        """Every topic key with its value: the topic's own, else its broker synonym's."""
        self._topic(topic)
        return topic_values(self.controller.topic_configs[topic], self.config)

    def alter_topic_config(self, topic: str, config: dict[str, Any]) -> None:
        """Change topic configs (e.g. enable unclean election while a partition is offline)."""
        self._run_call(self.alter_topic_config_call(topic, config))
        self.sim.run_until(lambda: self._settled(lambda ctl: True), self.sim.now + 10_000)

    def alter_topic_config_call(self, topic: str, config: dict[str, Any]) -> Call:
        self._topic(topic)
        cfg = resolve(TOPIC, {**self.controller.topic_configs[topic], **check_mapping("config", config, None)})
        changes = {k: cfg[k] for k in sorted(config)}
        yield ControllerCall(lambda cid: P.IncrementalAlterConfigsRequest(cid, topic, changes),
                             f"alter_topic_config({topic!r})")

    def group_config(self, group_id: str) -> dict[str, Any]:
        """A group's configs (group-level settings; every key with its value)."""
        check_str("group_id", group_id)
        return dict(resolve(GROUP, self.controller.image.group_configs.get(group_id, {})))

    def alter_group_config(self, group_id: str, config: dict[str, Any]) -> None:
        """Change group configs (Kafka: `kafka-configs --entity-type groups`), e.g. a share
        group's `share.auto.offset.reset`: an IncrementalAlterConfigs for resource type GROUP,
        stored in the metadata log, so every broker knows it."""
        self._run_call(self.alter_group_config_call(group_id, config))
        self.sim.run_until(lambda: self._settled(lambda ctl: True), self.sim.now + 10_000)

    def alter_group_config_call(self, group_id: str, config: dict[str, Any]) -> Call:
        check_str("group_id", group_id)
        cfg = resolve(GROUP, {**self.controller.image.group_configs.get(group_id, {}),
                              **check_mapping("config", config, None)})
        changes = {k: cfg[k] for k in sorted(config)}
        yield ControllerCall(lambda cid: P.IncrementalAlterConfigsRequest(cid, group_id, changes, "group"),
                             f"alter_group_config({group_id!r})")

    def _topic(self, topic: str) -> None:
        check_str("topic", topic)
        if topic not in self.controller.topics:
            raise KafkaException("UNKNOWN_TOPIC_OR_PART",
                                 f"Unknown topic '{topic}'; topics: {', '.join(self.topics()) or 'none'}")

    def topics(self) -> list[str]:
        return sorted(self.controller.topics)

