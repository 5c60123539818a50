"""Real clients in classic consumer groups and committing offsets (Kafka: `KafkaApis`'
handleFindCoordinatorRequest, handleJoinGroupRequest, handleSyncGroupRequest,
handleHeartbeatRequest, handleLeaveGroupRequest, handleOffsetCommitRequest,
handleOffsetFetchRequest).

Rules:
1. FindCoordinator (one key; KIP-699's batches are not served) answers the coordinator's
   broker id with its listener.
2. JoinGroup: only protocol type "consumer" (ConsumerProtocolSubscription metadata, which is
   decoded into minikafka's GroupProtocol: topics, owned partitions, generation, and the user
   data kept as bytes); any other protocol type gets INCONSISTENT_GROUP_PROTOCOL. The leader
   gets every member's metadata back as ConsumerProtocolSubscription version 1+ bytes.
3. SyncGroup: the leader's assignments are decoded from ConsumerProtocolAssignment bytes into
   partitions; each member's answer is encoded back (version 0; assignment user data is not
   kept).
4. LeaveGroup version 3+: the first member of the request leaves (clients send one).
5. OffsetCommit and OffsetFetch: the offsets only; committed metadata strings and leader epochs
   are not kept (OffsetFetch answers metadata "" and leader epoch -1). OffsetCommit 9 carries a
   consumer-protocol member's epoch in its generation field, as Kafka's does; OffsetFetch 8-9
   answers the first group of its batch (clients send one), without checking the member epoch.
6. ConsumerGroupHeartbeat (KIP-848): topics are named by id on the wire (`codec.topic_id`), by
   name in minikafka; owned partitions of an id no topic has are left out. Version 0 lets the
   coordinator name a new member: the connection makes an id for it.
"""
from __future__ import annotations

from typing import Any

from minikafka import protocol as P
from minikafka.serve.codec import ConsumerProtocolAssignment, ConsumerProtocolSubscription, topic_id, topics_by_id


def partitions_by_topic(tps: Any) -> list[tuple[str, list[int]]]:
    """(topic, its partitions) for (topic, partition) pairs, by topic name."""
    topics: dict[str, list[int]] = {}
    for t, p in tps:
        topics.setdefault(t, []).append(p)
    return sorted((t, sorted(ps)) for t, ps in topics.items())


def _subscription(name: str, data: bytes) -> P.GroupProtocol:
    sub = ConsumerProtocolSubscription.decode(data)
    owned = tuple(sorted((t.topic, p) for t in (sub.owned_partitions or ()) for p in t.partitions))
    return P.GroupProtocol(name, tuple(sub.topics), owned, getattr(sub, "generation_id", -1),
                           bytes(sub.user_data) if sub.user_data is not None else b"")


def _subscription_bytes(p: P.GroupProtocol) -> bytes:
    S = ConsumerProtocolSubscription
    sub = S(version=2, topics=list(p.topics), user_data=p.user_data or None,
            owned_partitions=[S.TopicPartition(topic=t, partitions=ps) for t, ps in partitions_by_topic(p.owned)],
            generation_id=p.generation)
    return bytes(sub.encode(version=2))


def _assignment(data: bytes) -> tuple[tuple[str, int], ...]:
    if not data:
        return ()
    a = ConsumerProtocolAssignment.decode(data)
    return tuple(sorted((t.topic, p) for t in a.assigned_partitions for p in t.partitions))


def _assignment_bytes(tps: tuple[tuple[str, int], ...]) -> bytes:
    A = ConsumerProtocolAssignment
    return bytes(A(version=0, assigned_partitions=[A.TopicPartition(topic=t, partitions=ps)
                                                   for t, ps in partitions_by_topic(tps)], user_data=None).encode(version=0))


class GroupApis:
    """The group calls of `WireConnection` (kafka_apis.py), which provides the rest."""

    ports: dict[int, int]
    cluster: Any
    name: str
    code: Any
    _send: Any
    next_cid: Any
    _answer: Any

    # -- rule 1 -------------------------------------------------------------------------------------
    def _on_findcoordinator(self, req: Any, version: int) -> None:
        key_type = {0: "group", 1: "transaction"}.get(getattr(req, "key_type", 0), "group")
        self._send(P.FindCoordinatorRequest(self.next_cid(), req.key, key_type))

    def _findcoordinator_answer(self, msg: P.FindCoordinatorResponse, req: Any, version: int) -> dict[str, Any]:
        node = msg.node_id if msg.error is None else -1
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "error_message": None,
                "node_id": node, "host": "127.0.0.1" if node >= 0 else "", "port": self.ports.get(node, -1)}

    # -- rule 2 -------------------------------------------------------------------------------------
    def _on_joingroup(self, req: Any, version: int) -> None:
        if req.protocol_type != "consumer":
            self._answer({"throttle_time_ms": 0, "error_code": self.code("INCONSISTENT_GROUP_PROTOCOL"),
                          "generation_id": -1, "protocol_name": "", "leader": "", "member_id": req.member_id,
                          "members": []})
            return
        protocols = tuple(_subscription(p.name, p.metadata) for p in req.protocols)
        self._send(P.JoinGroupRequest(self.next_cid(), req.group_id, req.member_id, self.name,
                                      req.session_timeout_ms, getattr(req, "rebalance_timeout_ms", -1)
                                      if getattr(req, "rebalance_timeout_ms", -1) >= 0 else req.session_timeout_ms,
                                      protocols, getattr(req, "group_instance_id", None)))

    def _joingroup_answer(self, msg: P.JoinGroupResponse, req: Any, version: int) -> dict[str, Any]:
        instances = dict(msg.instances)
        members = [{"member_id": m, "group_instance_id": instances.get(m), "metadata": _subscription_bytes(p)}
                   for m, p in msg.members]
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "generation_id": msg.generation,
                "protocol_type": "consumer", "protocol_name": msg.protocol or None, "leader": msg.leader,
                "skip_assignment": msg.skip_assignment, "member_id": msg.member_id or req.member_id,
                "members": members}

    # -- rule 3 -------------------------------------------------------------------------------------
    def _on_syncgroup(self, req: Any, version: int) -> None:
        assignments = tuple((a.member_id, _assignment(a.assignment)) for a in req.assignments)
        self._send(P.SyncGroupRequest(self.next_cid(), req.group_id, req.generation_id, req.member_id, assignments,
                                      getattr(req, "group_instance_id", None)))

    def _syncgroup_answer(self, msg: P.SyncGroupResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "protocol_type": "consumer",
                "protocol_name": getattr(req, "protocol_name", None),
                "assignment": _assignment_bytes(msg.assignment) if msg.error is None else b""}

    def _on_heartbeat(self, req: Any, version: int) -> None:
        self._send(P.HeartbeatRequest(self.next_cid(), req.group_id, req.generation_id, req.member_id,
                                      getattr(req, "group_instance_id", None)))

    def _heartbeat_answer(self, msg: P.HeartbeatResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error)}

    # -- rule 4 -------------------------------------------------------------------------------------
    def _on_leavegroup(self, req: Any, version: int) -> None:
        if version >= 3:
            m = req.members[0]
            member, instance = m.member_id, m.group_instance_id
        else:
            member, instance = req.member_id, None
        self._send(P.LeaveGroupRequest(self.next_cid(), req.group_id, member, instance))

    def _leavegroup_answer(self, msg: P.LeaveGroupResponse, req: Any, version: int) -> dict[str, Any]:
        out: dict[str, Any] = {"throttle_time_ms": 0, "error_code": self.code(msg.error)}
        if version >= 3:
            out["members"] = [{"member_id": m.member_id, "group_instance_id": m.group_instance_id,
                               "error_code": self.code(msg.error)} for m in req.members[:1]]
        return out

    # -- rule 5 -------------------------------------------------------------------------------------
    def _on_offsetcommit(self, req: Any, version: int) -> None:
        offsets = tuple(((t.name, p.partition_index), p.committed_offset) for t in req.topics for p in t.partitions)
        self._send(P.OffsetCommitRequest(self.next_cid(), req.group_id, req.generation_id_or_member_epoch,
                                         req.member_id, offsets, getattr(req, "group_instance_id", None)))

    def _offsetcommit_answer(self, msg: P.OffsetCommitResponse, req: Any, version: int) -> dict[str, Any]:
        return {"throttle_time_ms": 0, "topics": _by_topic(msg.results, self.code)}

    def _on_offsetfetch(self, req: Any, version: int) -> None:
        group, topics = (req.groups[0].group_id, req.groups[0].topics) if version >= 8 else (req.group_id, req.topics)
        tps = None if topics is None else tuple((t.name, p) for t in topics for p in t.partition_indexes)
        self._send(P.OffsetFetchRequest(self.next_cid(), group, tps, getattr(req, "require_stable", False)))

    def _offsetfetch_answer(self, msg: P.OffsetFetchResponse, req: Any, version: int) -> dict[str, Any]:
        topics: dict[str, list] = {}
        for (t, p), off, err in msg.offsets:
            topics.setdefault(t, []).append({"partition_index": p, "committed_offset": off,
                                             "committed_leader_epoch": -1, "metadata": "",
                                             "error_code": self.code(err)})
        rows = [{"name": t, "partitions": ps} for t, ps in topics.items()]
        if version >= 8:
            return {"throttle_time_ms": 0, "groups": [{"group_id": req.groups[0].group_id, "topics": rows,
                                                       "error_code": self.code(msg.error)}]}
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "topics": rows}

    # -- rule 6 -------------------------------------------------------------------------------------
    def _on_consumergroupheartbeat(self, req: Any, version: int) -> None:
        names = topics_by_id(self.cluster.controller.topics)
        owned = None
        if req.topic_partitions is not None:
            owned = tuple(sorted((names[t.topic_id], p) for t in req.topic_partitions if t.topic_id in names
                                 for p in t.partitions))
        member = req.member_id
        if not member and req.member_epoch == 0:          # version 0: the member has no id yet
            member = f"{self.name}-member"
        topics = None if req.subscribed_topic_names is None else tuple(req.subscribed_topic_names)
        self._send(P.ConsumerGroupHeartbeatRequest(
            self.next_cid(), req.group_id, member, req.member_epoch, req.instance_id, req.rack_id,
            req.rebalance_timeout_ms, topics, getattr(req, "subscribed_topic_regex", None), req.server_assignor,
            owned, self.name))

    def _consumergroupheartbeat_answer(self, msg: Any, req: Any, version: int) -> dict[str, Any]:
        assignment = None
        if msg.assignment is not None:
            assignment = {"topic_partitions": [{"topic_id": topic_id(t), "partitions": ps}
                                               for t, ps in partitions_by_topic(msg.assignment)]}
        return {"throttle_time_ms": 0, "error_code": self.code(msg.error), "error_message": msg.error_message or None,
                "member_id": msg.member_id or None, "member_epoch": msg.member_epoch,
                "heartbeat_interval_ms": msg.heartbeat_interval_ms, "assignment": assignment}


def _by_topic(results: Any, code: Any) -> list[dict[str, Any]]:
    topics: dict[str, list] = {}
    for (t, p), err in results:
        topics.setdefault(t, []).append({"partition_index": p, "error_code": code(err)})
    return [{"name": t, "partitions": ps} for t, ps in topics.items()]
