"""The operator's view of classic consumer groups (`kafka-consumer-groups.sh`): ListGroups (to
every broker, each answering for the groups it coordinates), DescribeGroups, OffsetDelete and
DeleteGroups (to a group's coordinator), and OffsetFetch for every partition a group has
committed (Kafka: `ListGroupsRequest.json`, `DescribeGroupsRequest.json`,
`OffsetDeleteRequest.json`, `DeleteGroupsRequest.json`, `OffsetFetchRequest.json` with Topics
null). Altering offsets needs no message of its own: the admin client sends an
OffsetCommitRequest (protocol/groups.py) with generation -1 and no member id.

Rules:
1. ListGroups filters (optional, both must hold): `states` (classic state names) and `types`
   ("classic"; KIP-848's ListGroups v5). An answer has one error for the broker.
2. Per-group errors travel with their group (DescribeGroups, DeleteGroups); OffsetDelete has a
   group error and one error per partition.
3. A group's protocol type is "consumer" for a group with members or a group record, "" for a
   group known only by offsets committed outside group management (Kafka's simple consumer
   group, `isSimpleConsumerGroup`).
"""
from __future__ import annotations

from dataclasses import dataclass

from minikafka.protocol.base import TP, Msg, _tp, message


# -- ListGroups ---------------------------------------------------------------------------------
@message
class ListGroupsRequest(Msg):
    """Which groups do you coordinate? (rule 1's filters)"""
    cid: int
    states: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def summary(self):
        out: dict = {}
        if self.states:
            out["states"] = self.states
        if self.types:
            out["types"] = self.types
        return out


@dataclass(frozen=True, slots=True)
class ListedGroup:
    """One group in a ListGroups answer."""

    group_id: str
    protocol_type: str
    state: str
    group_type: str = "classic"


@message
class ListGroupsResponse(Msg):
    """An error, or the groups this broker coordinates that passed the filters."""
    cid: int
    error: str | None
    groups: tuple[ListedGroup, ...] = ()

    def summary(self):
        return {"error": self.error or "none", "groups": tuple(f"{g.group_id}:{g.state}" for g in self.groups)}


# -- DescribeGroups -----------------------------------------------------------------------------
@message
class DescribeGroupsRequest(Msg):
    """Describe these groups (to their coordinator)."""
    cid: int
    groups: tuple[str, ...]

    def summary(self):
        return {"groups": self.groups}


@dataclass(frozen=True, slots=True)
class DescribedMember:
    """One member of a described group."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    assignment: tuple[TP, ...]


@dataclass(frozen=True, slots=True)
class DescribedGroup:
    """One group in a DescribeGroups answer: an error, or its state at the coordinator.
    `protocol` is the selected assignor ("" while none is selected)."""

    group_id: str
    error: str | None
    state: str = "Dead"
    protocol_type: str = ""
    protocol: str = ""
    members: tuple[DescribedMember, ...] = ()
    group_type: str = "classic"                 # or "consumer" (KIP-848)


@message
class DescribeGroupsResponse(Msg):
    """One entry per group asked for, in the order asked."""
    cid: int
    groups: tuple[DescribedGroup, ...]

    def summary(self):
        return {"groups": tuple(f"{g.group_id}:{g.error or g.state}" for g in self.groups)}


# -- OffsetDelete -------------------------------------------------------------------------------
@message
class OffsetDeleteRequest(Msg):
    """Delete a group's committed offsets of these partitions."""
    cid: int
    group_id: str
    partitions: tuple[TP, ...]

    def summary(self):
        return {"group": self.group_id, "parts": tuple(_tp(tp) for tp in self.partitions)}


@message
class OffsetDeleteResponse(Msg):
    """A group error, or one error (None: deleted) per partition, in the order asked."""
    cid: int
    error: str | None
    results: tuple[tuple[TP, str | None], ...] = ()

    def summary(self):
        return {"error": self.error or "none",
                "results": tuple(f"{_tp(tp)}:{err or 'ok'}" for tp, err in self.results)}


# -- DeleteGroups -------------------------------------------------------------------------------
@message
class DeleteGroupsRequest(Msg):
    """Delete these groups (to their coordinator)."""
    cid: int
    groups: tuple[str, ...]

    def summary(self):
        return {"groups": self.groups}


@message
class DeleteGroupsResponse(Msg):
    """(group id, error or None) per group asked for, in the order asked."""
    cid: int
    results: tuple[tuple[str, str | None], ...]

    def summary(self):
        return {"results": tuple(f"{g}:{err or 'ok'}" for g, err in self.results)}
