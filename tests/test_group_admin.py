"""Consumer group administration (kafka-semantics.md I.57-I.67): list, describe, offsets,
alter, delete offsets, delete groups and lag as admin calls over the network
(clients/admin/groups.py, coordinator/group/group_admin.py)."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaException, TopicPartition
from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, partition_for
from helpers import alter_offsets, delete_offsets, group_offsets, resolve


def cluster(seed: int = 5, partitions: int = 2, brokers: int = 3) -> Cluster:
    c = Cluster(brokers=brokers, seed=seed)
    c.create_topic("t", partitions=partitions, replication_factor=min(3, brokers),
                   config={"min.insync.replicas": min(2, brokers)})
    p = c.producer()
    for i in range(10):
        p.produce("t", value=b"v%d" % i, partition=i % partitions)
    p.flush()
    return c


def member(c: Cluster, group: str, **cfg):
    """A consumer of t in `group` that has joined, read everything and committed."""
    k = c.consumer({"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False, **cfg})
    k.subscribe(["t"])
    k.consume(100, 10.0)
    k.commit(asynchronous=False)
    return k


def coordinator(c: Cluster, group: str) -> int:
    return c.partition_state(CONSUMER_OFFSETS, partition_for(group, 50)).leader


def codes(exc: pytest.ExceptionInfo) -> str:
    return exc.value.args[0].name()


# -- list ------------------------------------------------------------------------------------------------
def test_list_merges_every_brokers_groups_sorted_with_state_and_type():
    c = cluster()
    k = member(c, "live")
    member(c, "gone").close()
    coordinators = {coordinator(c, "live"), coordinator(c, "gone")}
    rows = resolve(c.admin().list_consumer_groups()).valid
    assert [(r.group_id, r.state, r.type, r.protocol_type) for r in rows] == [
        ("gone", "Empty", "classic", "consumer"), ("live", "Stable", "classic", "consumer")]
    assert [r.group_id for r in resolve(c.admin().list_consumer_groups(states=["Stable"])).valid] == ["live"]
    asked = {e.peer for e in c.trace.filter(name="ListGroupsRequest", kind="send")}
    assert asked >= {c.brokers[b].name for b in coordinators} and len(asked) == 3
    k.close()


def test_list_refuses_an_unknown_state_before_sending():
    c = cluster()
    with pytest.raises(ValueError, match="'Running' is not a consumer group state; states are"):
        resolve(c.admin().list_consumer_groups(states=["Running"])).valid
    with pytest.raises(TypeError, match="states must be a list"):
        resolve(c.admin().list_consumer_groups(states="Stable")).valid
    assert not c.trace.filter(name="ListGroupsRequest", kind="send")


# -- describe -------------------------------------------------------------------------------------------
def test_describe_shows_members_assignor_and_a_static_members_instance_id():
    c = cluster()
    a, b = (c.consumer({"group.id": "g", "auto.offset.reset": "earliest", **cfg})
            for cfg in ({"group.instance.id": "worker-1", "client.id": "alpha"}, {"client.id": "beta"}))
    for k in (a, b):
        k.subscribe(["t"])
    for _ in range(5):
        a.consume(100, 2.0)
        b.consume(100, 2.0)
    d = resolve(c.admin().describe_consumer_groups(["g"]))["g"]
    assert d.state == "Stable" and d.partition_assignor == "range" and not d.is_simple_consumer_group
    assert d.coordinator == coordinator(c, "g")
    by_client = {m.client_id: m for m in d.members}
    assert by_client["alpha"].group_instance_id == "worker-1"
    assert by_client["beta"].group_instance_id is None
    assert sorted(tp for m in d.members for tp in m.assignment) == [("t", 0), ("t", 1)]
    a.close()
    b.close()


def test_describe_of_an_unknown_group_is_group_id_not_found():
    c = cluster()
    member(c, "known").close()
    with pytest.raises(KafkaException) as e:
        resolve(c.admin().describe_consumer_groups(["known", "nobody"]))
    assert codes(e) == "GROUP_ID_NOT_FOUND" and "'nobody'" in str(e.value)
    assert resolve(c.admin().describe_consumer_groups(["known"]))["known"].state == "Empty"


def test_a_crashed_coordinator_is_looked_up_again_and_the_new_one_answers():
    c = cluster()
    member(c, "g").close()
    old = coordinator(c, "g")
    c.crash_broker(old)
    d = resolve(c.admin().describe_consumer_groups(["g"]))["g"]
    assert d.coordinator != old and d.coordinator == coordinator(c, "g")
    assert group_offsets(c.admin(), "g") == {("t", 0): 5, ("t", 1): 5}


# -- offsets, alter -------------------------------------------------------------------------------------
def test_list_offsets_all_or_named_partitions():
    c = cluster()
    member(c, "g").close()
    admin = c.admin()
    assert group_offsets(admin, "g") == {("t", 0): 5, ("t", 1): 5}
    assert group_offsets(admin, "g", [TopicPartition("t", 1), ("t", 7)]) == {("t", 1): 5, ("t", 7): None}
    with pytest.raises(TypeError, match="group_id must be a non-empty str"):
        group_offsets(admin, 3)


def test_alter_on_a_non_empty_group_is_refused_and_changes_nothing():
    c = cluster()
    k = member(c, "g")
    with pytest.raises(KafkaException) as e:
        alter_offsets(c.admin(), "g", {("t", 0): 1})
    assert codes(e) == "UNKNOWN_MEMBER_ID" and "not Empty" in str(e.value)
    assert group_offsets(c.admin(), "g") == {("t", 0): 5, ("t", 1): 5}
    k.close()


def test_alter_an_empty_group_then_its_consumer_resumes_there():
    c = cluster()
    member(c, "g").close()
    assert alter_offsets(c.admin(), "g", [TopicPartition("t", 0, 2)]) == {("t", 0): 2}
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.subscribe(["t"])
    got = sorted(m.value() for m in k.consume(100, 10.0))
    assert got == [b"v4", b"v6", b"v8"]
    with pytest.raises(ValueError, match="must be an integer >= 0, got -3"):
        alter_offsets(c.admin(), "g", {("t", 0): -3})


# -- delete offsets ------------------------------------------------------------------------------------
def test_delete_offsets_of_an_empty_group_makes_a_new_consumer_use_auto_offset_reset():
    c = cluster()
    member(c, "g").close()
    assert delete_offsets(c.admin(), "g", [("t", 0)]) == [("t", 0)]
    assert group_offsets(c.admin(), "g") == {("t", 1): 5}
    k = c.consumer({"group.id": "g", "auto.offset.reset": "latest", "enable.auto.commit": False})
    k.subscribe(["t"])
    assert k.consume(100, 5.0) == []
    p = c.producer()
    p.produce("t", value=b"new", partition=0)
    p.flush()
    assert [m.value() for m in k.consume(100, 5.0)] == [b"new"]


def test_delete_offsets_of_a_subscribed_topic_is_refused_while_the_group_has_members():
    c = cluster()
    c.create_topic("other", partitions=1, replication_factor=3)
    k = member(c, "g")
    with pytest.raises(KafkaException) as e:
        delete_offsets(c.admin(), "g", [("t", 0)])
    assert codes(e) == "GROUP_SUBSCRIBED_TO_TOPIC"
    assert group_offsets(c.admin(), "g")[("t", 0)] == 5
    k.close()


def test_deleted_offsets_stay_deleted_after_the_coordinator_moves():
    c = cluster()
    member(c, "g").close()
    delete_offsets(c.admin(), "g", [("t", 0), ("t", 1)])
    c.crash_broker(coordinator(c, "g"))
    assert group_offsets(c.admin(), "g", [("t", 0), ("t", 1)]) == {("t", 0): None, ("t", 1): None}


# -- delete groups ----------------------------------------------------------------------------------------
def test_delete_groups_only_empty_ones_and_their_offsets_go_with_them():
    c = cluster()
    k = member(c, "busy")
    member(c, "idle").close()
    with pytest.raises(KafkaException) as e:
        list(resolve(c.admin().delete_consumer_groups(["busy", "idle"])))
    assert codes(e) == "NON_EMPTY_GROUP" and "'busy'" in str(e.value)
    assert [r.group_id for r in resolve(c.admin().list_consumer_groups()).valid] == ["busy"]
    c.crash_broker(coordinator(c, "idle"))
    with pytest.raises(KafkaException) as e:
        resolve(c.admin().describe_consumer_groups(["idle"]))
    assert codes(e) == "GROUP_ID_NOT_FOUND"
    assert group_offsets(c.admin(), "idle", [("t", 0)]) == {("t", 0): None}
    with pytest.raises(ValueError, match="at least one group"):
        list(resolve(c.admin().delete_consumer_groups([])))
    k.close()


# -- lag ------------------------------------------------------------------------------------------------
def test_lag_is_end_offset_minus_committed():
    c = cluster()
    member(c, "g").close()
    p = c.producer()
    for i in range(3):
        p.produce("t", value=b"x", partition=0)
    p.flush()
    lag = resolve(c.admin().consumer_group_lag("g"))
    assert {tp: (v.committed_offset, v.end_offset, v.lag) for tp, v in lag.items()} == {
        ("t", 0): (5, 8, 3), ("t", 1): (5, 5, 0)}
