"""Classic consumer group administration (kafka-semantics.md I.57-I.67): the admin calls behind
`kafka-consumer-groups.sh`, as requests to brokers (broker_calls.py; coordinator side in
coordinator/group/group_admin.py).

| method | returns | sends | Kafka |
|---|---|---|---|
| `list_consumer_groups` | a future of `ListConsumerGroupsResult` | Metadata, then ListGroups to every live broker | `Admin.listConsumerGroups`, `--list` |
| `describe_consumer_groups` | {group id: future} | FindCoordinator, then DescribeGroups per group | `describeConsumerGroups`, `--describe` |
| `list_consumer_group_offsets` | {group id: future of `ConsumerGroupTopicPartitions`} | FindCoordinator, then OffsetFetch | `listConsumerGroupOffsets` |
| `alter_consumer_group_offsets` | {group id: future of `ConsumerGroupTopicPartitions`} | FindCoordinator, then OffsetCommit (generation -1, no member id) | `alterConsumerGroupOffsets`, `--reset-offsets` |
| `delete_consumer_group_offsets` | {group id: future of `ConsumerGroupTopicPartitions`} | FindCoordinator, then OffsetDelete | `deleteConsumerGroupOffsets`, `--delete-offsets` |
| `delete_consumer_groups` | {group id: future of None} | FindCoordinator, then DeleteGroups per group | `deleteConsumerGroups`, `--delete` |
| `consumer_group_lag` | a future of {(topic, partition): `PartitionLag`} | the offsets, then Metadata and ListOffsets(latest) per partition | `--describe`'s LAG column |

The offset calls take and answer confluent-kafka's `ConsumerGroupTopicPartitions(group_id,
[TopicPartition, ...])`, one group each; an offset the group has not committed is
OFFSET_INVALID (-1001).

Rules:
1. Arguments are checked before anything is sent (transactions.py rule 1): a wrong type raises
   TypeError, a value out of range ValueError, each naming the argument, the value and what is
   accepted. Collections are asked about in sorted order.
2. `list_consumer_groups`: one key per live broker (Metadata), each answering for the groups it
   coordinates (Kafka's `ListConsumerGroupsHandler` with AllBrokersStrategy); a broker that
   does not answer is retried until the call's timeout; COORDINATOR_LOAD_IN_PROGRESS retries.
   The result: every listing, sorted by group id, as `valid` (`errors` stays empty: a broker
   that fails fails the call).
3. A call about a group goes to its coordinator, found by FindCoordinator(key type "group")
   (Kafka's `CoordinatorStrategy`). NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE, a lost
   connection or a timed-out attempt look the coordinator up again (so a crashed coordinator's
   groups are answered by the next leader of their `__consumer_offsets` partition);
   COORDINATOR_LOAD_IN_PROGRESS retries; any other error is the group's answer.
4. `describe_consumer_groups`: a group nobody knows raises GROUP_ID_NOT_FOUND, as Kafka 4.x's
   Admin does (DescribeGroups v6, KIP-1043; older brokers answered state "Dead", which
   librdkafka's describe still reports). A group known only by offsets committed outside group
   management is Empty and `is_simple_consumer_group`.
5. `list_consumer_group_offsets`: the committed offset of each partition asked for (OFFSET_INVALID:
   none committed), or with no partitions (None) every partition the group has an offset for.
   UNSTABLE_OFFSET_COMMIT (a transaction's offsets still pending) retries, as Kafka's handler does.
6. `alter_consumer_group_offsets` commits as an admin outside the group (generation -1, no
   member id); the coordinator accepts that only while the group is Empty (classic_group.py
   rule 7): otherwise the call raises UNKNOWN_MEMBER_ID and nothing is committed. A partition of
   an unknown topic raises UNKNOWN_TOPIC_OR_PART (the request's other partitions are committed).
7. `delete_consumer_group_offsets`: GROUP_SUBSCRIBED_TO_TOPIC for a partition of a topic a
   non-Empty group subscribes to; the request's other partitions are deleted all the same
   (Kafka answers per partition), then the future raises the first partition's error. Its value:
   the partitions deleted. A consumer of the group that then finds no committed offset starts from
   `auto.offset.reset`.
8. `delete_consumer_groups`: each group to its coordinator, with its own future; NON_EMPTY_GROUP
   and GROUP_ID_NOT_FOUND fail that group's.
9. `consumer_group_lag`: per partition with a committed offset, the end offset (ListOffsets
   latest, read_uncommitted, from the leader) minus the committed offset. The two are read at
   different instants, so a lag is a snapshot, as `--describe`'s is.
Results are frozen dataclasses shaped like confluent-kafka's (and Kafka's Java Admin) results.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.admin.arguments import check_int, check_items, check_name, check_partition
from minikafka.clients.admin.broker_calls import (DONE, FAIL, LOOKUP, RETRY, Call, Key, Stage, Verdict,
                                                  coordinator_lookup, coordinator_verdict, leader_lookup, raise_first)
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.clients.message import OFFSET_INVALID, TopicPartition
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

TP = tuple[str, int]
GROUP_STATES = ("PreparingRebalance", "CompletingRebalance", "Stable", "Empty", "Dead", "Assigning", "Reconciling")


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsumerGroupListing:
    """One group a coordinator lists (Kafka: `ConsumerGroupListing`)."""

    group_id: str
    is_simple_consumer_group: bool
    state: str
    type: str = "classic"
    protocol_type: str = "consumer"


@dataclass(frozen=True)
class MemberDescription:
    """One member of a group (Kafka: `MemberDescription`); `group_instance_id` is None for a
    dynamic member; `assignment` is empty outside the Stable state."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    assignment: tuple[TP, ...]


@dataclass(frozen=True)
class ConsumerGroupDescription:
    """A group at its coordinator (Kafka: `ConsumerGroupDescription`); `partition_assignor` is
    "" outside the Stable state."""

    group_id: str
    is_simple_consumer_group: bool
    members: tuple[MemberDescription, ...]
    partition_assignor: str
    state: str
    coordinator: int
    type: str = "classic"


@dataclass(frozen=True)
class ListConsumerGroupsResult:
    """confluent-kafka's `ListConsumerGroupsResult`: the listings, and the errors of brokers that
    failed (rule 2: always empty here, as a failing broker fails the call)."""

    valid: list[ConsumerGroupListing]
    errors: list[KafkaException]


class ConsumerGroupTopicPartitions:
    """confluent-kafka's `ConsumerGroupTopicPartitions`: a group and some of its partitions, as
    TopicPartitions (with offsets, in and out of the offset calls)."""

    __slots__ = ("group_id", "topic_partitions")

    def __init__(self, group_id: str, topic_partitions: list[TopicPartition] | None = None) -> None:
        self.group_id = group_id
        self.topic_partitions = topic_partitions

    def __repr__(self) -> str:
        return f"ConsumerGroupTopicPartitions({self.group_id!r}, {self.topic_partitions!r})"


@dataclass(frozen=True)
class PartitionLag:
    """A partition's lag in `consumer_group_lag`."""

    committed_offset: int
    end_offset: int
    lag: int


def _groups(what: str, value: Any) -> list[str]:
    ids = sorted({check_name(what, "group id", g) for g in check_items(what, "group_ids", value, "group ids")})
    if not ids:
        raise ValueError(f"{what}: group_ids must name at least one group")
    return ids


def _one_group(what: str, requests: Any, offsets: bool) -> tuple[str, list[Any] | None]:
    """confluent-kafka's rule: a list of exactly one ConsumerGroupTopicPartitions."""
    items = check_items(what, "list_of_requests", requests, "ConsumerGroupTopicPartitions (one)")
    if len(items) != 1 or not isinstance(items[0], ConsumerGroupTopicPartitions):
        raise ValueError(f"{what}: list_of_requests must hold exactly one ConsumerGroupTopicPartitions, "
                         f"got {requests!r}")
    req = items[0]
    check_name(what, "group_id", req.group_id)
    tps = req.topic_partitions
    if tps is not None:
        tps = check_items(what, "topic_partitions", tps, "TopicPartitions")
        for tp in tps:
            if not isinstance(tp, TopicPartition):
                raise TypeError(f"{what}: topic_partitions must be TopicPartitions, got {tp!r}")
            if offsets:
                check_int(what, f"the offset of {tp.topic}-{tp.partition}", tp.offset)
    return req.group_id, tps


def _answer(group_id: str, offsets: dict[TP, int | None]) -> ConsumerGroupTopicPartitions:
    return ConsumerGroupTopicPartitions(group_id, [TopicPartition(t, p, OFFSET_INVALID if off is None else off)
                                                   for (t, p), off in sorted(offsets.items())])


class GroupTools:
    """The consumer group calls of `AdminClient` (admin_client.py), which provides the rest."""

    cluster: "Cluster"
    launch: Callable[[Call, str], KafkaFuture]
    ask: Callable[..., Call]
    ask_every_broker: Callable[..., Call]
    api_deadline: Callable[[], int]

    # -- list (rule 2) ------------------------------------------------------------------------------
    def list_consumer_groups(self, states: Collection[str] | None = None) -> KafkaFuture:
        """Every consumer group the coordinators hold (classic and consumer-protocol), in one of
        `states` when given."""
        what = "list_consumer_groups"
        wanted: tuple[str, ...] = ()
        if states is not None:
            wanted = tuple(sorted({check_name(what, "state", s) for s in check_items(what, "states", states, "state names")}))
            for s in wanted:
                if s not in GROUP_STATES:
                    raise ValueError(f"{what}: {s!r} is not a consumer group state; states are "
                                     f"{', '.join(GROUP_STATES)}")
        return self.launch(self._list_groups(wanted, what), what)

    def _list_groups(self, wanted: tuple[str, ...], what: str) -> Call:
        keys = yield from self.ask_every_broker(lambda cid: P.ListGroupsRequest(cid, wanted, ("classic", "consumer")),
                                                lambda resp: resp.groups, what, self.api_deadline())
        raise_first(keys)
        rows = sorted((g.group_id, g.protocol_type, g.state, g.group_type) for k in keys for g in k.value
                      if g.protocol_type in ("consumer", ""))
        return ListConsumerGroupsResult([ConsumerGroupListing(gid, ptype == "", state, kind, ptype)
                                         for gid, ptype, state, kind in rows], [])

    # -- describe (rule 4) -------------------------------------------------------------------------
    def describe_consumer_groups(self, group_ids: Collection[str]) -> dict[str, KafkaFuture]:
        """Each group's state, assignor, coordinator and members: {group id: future}."""
        what = "describe_consumer_groups"
        return {g: self.launch(self._describe_group(g, what), f"{what}({g!r})") for g in _groups(what, group_ids)}

    def _describe_group(self, group_id: str, what: str) -> Call:
        def handle(resp: P.DescribeGroupsResponse, broker: int) -> Verdict:
            d = next((d for d in resp.groups if d.group_id == group_id), None)
            if d is None:
                return (FAIL, KafkaException("INVALID_REQUEST", f"{what}: no entry for {group_id!r}"))
            if d.error is None:
                members = tuple(MemberDescription(m.member_id, m.group_instance_id, m.client_id,
                                                  tuple(sorted(m.assignment))) for m in d.members)
                return (DONE, ConsumerGroupDescription(group_id, d.protocol_type == "", members, d.protocol,
                                                       d.state, broker, d.group_type))
            retry = coordinator_verdict(d.error)
            if retry is not None:
                return retry
            if d.error == "GROUP_ID_NOT_FOUND":
                return (FAIL, KafkaException(d.error, f"{what}: group {group_id!r} does not exist (its "
                                                      f"coordinator, broker {broker}, has no group or "
                                                      f"offsets for it)"))
            return (FAIL, KafkaException(d.error, f"{what}: group {group_id!r}: {d.error}"))
        key = Key(group_id, lambda cid: P.DescribeGroupsRequest(cid, (group_id,)), handle,
                  lookup=coordinator_lookup(group_id, "group"))
        return (yield from self.ask(key, what))

    # -- offsets (rule 5) --------------------------------------------------------------------------
    def list_consumer_group_offsets(self, list_of_requests: list[ConsumerGroupTopicPartitions]
                                    ) -> dict[str, KafkaFuture]:
        """The group's committed offsets: {group id: future of ConsumerGroupTopicPartitions}."""
        what = "list_consumer_group_offsets"
        group_id, tps = _one_group(what, list_of_requests, False)
        asked = None if tps is None else sorted({check_partition(what, tp) for tp in tps})
        if asked is not None and not asked:
            raise ValueError(f"{what}: topic_partitions must name at least one partition (or be None for all)")

        def call() -> Call:
            offsets = yield from self._fetch_offsets(group_id, asked, what)
            return _answer(group_id, offsets)
        return {group_id: self.launch(call(), f"{what}({group_id!r})")}

    def _fetch_offsets(self, group_id: str, tps: list[TP] | None, what: str) -> Call:
        def handle(resp: P.OffsetFetchResponse, broker: int) -> Verdict:
            if resp.error is not None:
                return coordinator_verdict(resp.error) or (FAIL, KafkaException(
                    resp.error, f"{what}: group {group_id!r}: {resp.error}"))
            for tp, _, err in resp.offsets:
                if err == "UNSTABLE_OFFSET_COMMIT":
                    return (RETRY, err)
                if err is not None:
                    return (FAIL, KafkaException(err, f"{what}: group {group_id!r}, {tp[0]}-{tp[1]}: {err}"))
            return (DONE, {tp: (off if off >= 0 else None) for tp, off, _ in sorted(resp.offsets)})

        def build(cid: int) -> Any:
            return P.OffsetFetchRequest(cid, group_id, None if tps is None else tuple(tps))
        key = Key(group_id, build, handle, lookup=coordinator_lookup(group_id, "group"))
        return (yield from self.ask(key, what))

    # -- alter (rule 6) -----------------------------------------------------------------------------
    def alter_consumer_group_offsets(self, list_of_requests: list[ConsumerGroupTopicPartitions]
                                     ) -> dict[str, KafkaFuture]:
        """Set an Empty group's committed offsets, given as TopicPartitions with offsets:
        {group id: future of ConsumerGroupTopicPartitions (what was committed)}."""
        what = "alter_consumer_group_offsets"
        group_id, tps = _one_group(what, list_of_requests, True)
        if not tps:
            raise ValueError(f"{what}: topic_partitions must name at least one partition with its offset")
        wanted: dict[TP, int] = {}
        for tp in tps:
            key = check_partition(what, tp)
            if key in wanted and wanted[key] != tp.offset:
                raise ValueError(f"{what}: {key[0]}-{key[1]} is given two offsets, {wanted[key]} and {tp.offset}")
            wanted[key] = tp.offset
        commit = tuple(sorted(wanted.items()))

        def handle(resp: P.OffsetCommitResponse, broker: int) -> Verdict:
            errors = dict(resp.results)
            for tp, _ in commit:
                err = errors.get(tp, "INVALID_REQUEST")
                if err is None:
                    continue
                retry = coordinator_verdict(err)
                if retry is not None or err == "REBALANCE_IN_PROGRESS":
                    return retry or (RETRY, err)
                if err == "UNKNOWN_MEMBER_ID":
                    return (FAIL, KafkaException(err, f"{what}: group {group_id!r} is not Empty: its offsets "
                                                      f"can only be altered while it has no members (stop its "
                                                      f"consumers first)"))
                return (FAIL, KafkaException(err, f"{what}: group {group_id!r}, {tp[0]}-{tp[1]}: {err}"))
            return (DONE, dict(commit))

        def call() -> Call:
            key = Key(group_id, lambda cid: P.OffsetCommitRequest(cid, group_id, -1, "", commit), handle,
                      lookup=coordinator_lookup(group_id, "group"))
            committed = yield from self.ask(key, what)
            return _answer(group_id, committed)
        return {group_id: self.launch(call(), f"{what}({group_id!r})")}

    # -- delete offsets (rule 7) --------------------------------------------------------------------
    def delete_consumer_group_offsets(self, list_of_requests: list[ConsumerGroupTopicPartitions]
                                      ) -> dict[str, KafkaFuture]:
        """Delete the group's committed offsets of some partitions: {group id: future of
        ConsumerGroupTopicPartitions (those deleted)}."""
        what = "delete_consumer_group_offsets"
        group_id, given = _one_group(what, list_of_requests, False)
        tps = sorted({check_partition(what, tp) for tp in given or ()})
        if not tps:
            raise ValueError(f"{what}: topic_partitions must name at least one partition")
        failed: list[KafkaException] = []

        def handle(resp: P.OffsetDeleteResponse, broker: int) -> Verdict:
            if resp.error is not None:
                return coordinator_verdict(resp.error) or (FAIL, KafkaException(
                    resp.error, f"{what}: group {group_id!r}" + (" does not exist" if resp.error ==
                                                                  "GROUP_ID_NOT_FOUND" else f": {resp.error}")))
            errors = dict(resp.results)
            failed.clear()
            for tp in tps:
                err = errors.get(tp, "INVALID_REQUEST")
                if err == "GROUP_SUBSCRIBED_TO_TOPIC":
                    failed.append(KafkaException(err, f"{what}: group {group_id!r} has members subscribed to "
                                                      f"{tp[0]!r}; its offsets can be deleted once the group is "
                                                      f"Empty or no longer subscribes to the topic"))
                elif err is not None:
                    failed.append(KafkaException(err, f"{what}: group {group_id!r}, {tp[0]}-{tp[1]}: {err}"))
            return (DONE, [tp for tp in tps if errors.get(tp, "INVALID_REQUEST") is None])

        def call() -> Call:
            key = Key(group_id, lambda cid: P.OffsetDeleteRequest(cid, group_id, tuple(tps)), handle,
                      lookup=coordinator_lookup(group_id, "group"))
            deleted = yield from self.ask(key, what)
            if failed:
                raise failed[0]
            return ConsumerGroupTopicPartitions(group_id, [TopicPartition(t, p) for t, p in deleted])
        return {group_id: self.launch(call(), f"{what}({group_id!r})")}

    # -- delete groups (rule 8) ---------------------------------------------------------------------
    def delete_consumer_groups(self, group_ids: Collection[str]) -> dict[str, KafkaFuture]:
        """Delete Empty groups with their offsets: {group id: future of None}."""
        what = "delete_consumer_groups"
        return {g: self.launch(self._delete_group(g, what), f"{what}({g!r})") for g in _groups(what, group_ids)}

    def _delete_group(self, group_id: str, what: str) -> Call:
        def handle(resp: P.DeleteGroupsResponse, broker: int) -> Verdict:
            err = dict(resp.results).get(group_id, "INVALID_REQUEST")
            if err is None:
                return (DONE, None)
            retry = coordinator_verdict(err)
            if retry is not None:
                return retry
            why = {"NON_EMPTY_GROUP": "is not Empty: only a group without members can be deleted",
                   "GROUP_ID_NOT_FOUND": "does not exist"}.get(err, err)
            return (FAIL, KafkaException(err, f"{what}: group {group_id!r} {why}"))
        key = Key(group_id, lambda cid: P.DeleteGroupsRequest(cid, (group_id,)), handle,
                  lookup=coordinator_lookup(group_id, "group"))
        yield from self.ask(key, what)
        return None

    # -- lag (rule 9) --------------------------------------------------------------------------------
    def consumer_group_lag(self, group_id: str) -> KafkaFuture:
        """Per partition the group has committed: end offset - committed offset (a future of
        {(topic, partition): PartitionLag})."""
        what = "consumer_group_lag"
        check_name(what, "group_id", group_id)
        return self.launch(self._lag(group_id, what), f"{what}({group_id!r})")

    def _lag(self, group_id: str, what: str) -> Call:
        offsets = yield from self._fetch_offsets(group_id, None, what)
        committed = {tp: off for tp, off in offsets.items() if off is not None}

        def handle_for(tp: TP) -> Callable[[Any, int], Verdict]:
            def handle(resp: P.ListOffsetsResponse, broker: int) -> Verdict:
                got = {r[0]: (r[1], r[2]) for r in resp.results}
                err, off = got.get(tp, ("INVALID_REQUEST", -1))
                if err is None:
                    return (DONE, off)
                if err in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART"):
                    return (LOOKUP, err)
                if err in ("LEADER_NOT_AVAILABLE", "OFFSET_NOT_AVAILABLE", "FENCED_LEADER_EPOCH",
                           "UNKNOWN_LEADER_EPOCH"):
                    return (RETRY, err)
                return (FAIL, KafkaException(err, f"{what}: {tp[0]}-{tp[1]}: {err}"))
            return handle
        tps = sorted(committed)
        keys = [Key(f"{tp[0]}-{tp[1]}", lambda cid, tp=tp: P.ListOffsetsRequest(cid, [(tp, -1)]), handle_for(tp),
                    lookup=leader_lookup(tp, what)) for tp in tps]
        yield Stage(keys, what, self.api_deadline())
        raise_first(keys)
        return {tp: PartitionLag(committed[tp], k.value, max(0, k.value - committed[tp])) for tp, k in zip(tps, keys)}
