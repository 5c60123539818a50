"""Real admin clients and Kafka's tools managing topics (Kafka: `KafkaApis`' handleCreateTopicsRequest,
handleDeleteTopicsRequest, handleDescribeConfigsRequest, which forward to the controller or read
the broker's metadata).

Rules:
1. CreateTopics and DeleteTopics: each topic is checked as minikafka's own admin client checks it
   (cluster_topics.py: Kafka's name rules and collisions, partition count and replication
   factor, config keys and values; values arrive as Kafka's text), then its request goes to the
   broker, which forwards it to the active controller. Topics are handled one after the other;
   the answer lists every topic with its error. `validate_only` runs the checks and creates
   nothing. A replica assignment is refused (INVALID_REQUEST: placement is the controller's).
2. DescribeConfigs: topics (resource type 2) and groups (32), each a DescribeConfigs to the broker
   (server/config_helper.py), with Kafka's ConfigSource numbers; a broker's own configs
   (resource type 4) are not modelled (INVALID_REQUEST).
"""
from __future__ import annotations

from typing import Any

from minikafka import protocol as P
from minikafka.errors import ConfigException, KafkaException

SOURCES = {"UNKNOWN": 0, "DYNAMIC_TOPIC_CONFIG": 1, "STATIC_BROKER_CONFIG": 4, "DEFAULT_CONFIG": 5,
           "GROUP_CONFIG": 8}
TYPES = {2: "topic", 32: "group"}
CREATE_TOPICS = 19


class AdminApis:
    """The admin calls of `WireConnection` (kafka_apis.py), which provides the rest."""

    cluster: Any
    busy: Any
    code: Any
    _send: Any
    next_cid: Any
    _answer: Any

    # -- rule 1 -------------------------------------------------------------------------------------
    def _on_createtopics(self, req: Any, version: int) -> None:
        self._work = [("create", t) for t in req.topics]
        self._results: list[dict[str, Any]] = []
        self._next_topic(req)

    def _on_deletetopics(self, req: Any, version: int) -> None:
        names = req.topic_names if version < 6 else [t.name for t in req.topics]
        self._work = [("delete", n) for n in names]
        self._results = []
        self._next_topic(req)

    def _next_topic(self, req: Any) -> None:
        while self._work:
            op, item = self._work[0]
            name = item.name if op == "create" else item
            try:
                if op == "create" and item.assignments:
                    raise KafkaException("INVALID_REQUEST", "a replica assignment is not modelled: the controller "
                                                            "places replicas")
                call = (self.cluster.create_topic_call(name, item.num_partitions, item.replication_factor,
                                                       {c.name: c.value for c in item.configs})
                        if op == "create" else self.cluster.delete_topic_call(name))
                stage = call.send(None)                     # the checks (rule 1)
            except (KafkaException, ValueError, TypeError) as e:
                self._done_topic(name, _error(e))
                continue
            if op == "create" and getattr(req, "validate_only", False):
                exists = name in self.cluster.controller.topics
                self._done_topic(name, ("TOPIC_ALREADY_EXISTS", f"Topic '{name}' already exists.") if exists
                                 else (None, None))
                continue
            self._send(stage.build(self.next_cid()))
            return
        self._answer(self._topics_answer(req))

    def _done_topic(self, name: str, error: tuple[str | None, str | None]) -> None:
        op, item = self._work.pop(0)
        row: dict[str, Any] = {"name": name, "error_code": self.code(error[0]), "error_message": error[1]}
        if op == "create":
            row.update(num_partitions=item.num_partitions, replication_factor=item.replication_factor, configs=[])
        self._results.append(row)

    def _createtopics_answer(self, msg: P.AdminResponse, req: Any, version: int) -> None:
        self._done_topic(self._work[0][1].name, (msg.error, msg.error_message or None))
        self._next_topic(req)

    def _deletetopics_answer(self, msg: P.AdminResponse, req: Any, version: int) -> None:
        self._done_topic(self._work[0][1], (msg.error, msg.error_message or None))
        self._next_topic(req)

    def _topics_answer(self, req: Any) -> dict[str, Any]:
        key = "topics" if self.busy[0] == CREATE_TOPICS else "responses"
        return {"throttle_time_ms": 0, key: self._results}

    # -- rule 2 -------------------------------------------------------------------------------------
    def _on_describeconfigs(self, req: Any, version: int) -> None:
        self._work = list(req.resources)
        self._results = []
        self._next_resource()

    def _next_resource(self) -> None:
        while self._work:
            r = self._work[0]
            kind = TYPES.get(r.resource_type)
            if kind is None:
                self._work.pop(0)
                self._results.append({"error_code": self.code("INVALID_REQUEST"),
                                      "error_message": f"resource type {r.resource_type} is not modelled (topics: 2, "
                                                       f"groups: 32)", "resource_type": r.resource_type,
                                      "resource_name": r.resource_name, "configs": []})
                continue
            self._send(P.DescribeConfigsRequest(self.next_cid(), kind, r.resource_name))
            return
        self._answer({"throttle_time_ms": 0, "results": self._results})

    def _describeconfigs_answer(self, msg: P.DescribeConfigsResponse, req: Any, version: int) -> None:
        r = self._work.pop(0)
        keys = None if r.configuration_keys is None else set(r.configuration_keys)
        configs = [{"name": n, "value": v, "read_only": False, "config_source": SOURCES.get(s, 0),
                    "is_default": s == "DEFAULT_CONFIG", "is_sensitive": False, "synonyms": []}
                   for n, v, s in msg.entries if keys is None or n in keys]
        self._results.append({"error_code": self.code(msg.error), "error_message": msg.error_message or None,
                              "resource_type": r.resource_type, "resource_name": r.resource_name,
                              "configs": configs})
        self._next_resource()


def _error(e: Exception) -> tuple[str, str]:
    if isinstance(e, ConfigException):
        return ("INVALID_CONFIG", e.args[0].str())
    if isinstance(e, KafkaException):
        return (e.args[0].name(), e.args[0].str())
    return ("INVALID_REQUEST", str(e))
