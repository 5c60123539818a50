"""The admin client shaped like confluent-kafka's: calls return futures that the simulation
completes (clients/admin/kafka_future.py, topics.py, records.py)."""
from __future__ import annotations

import pytest

from minikafka import (AdminClient, Cluster, ConfigEntry, ConfigResource, ElectionType, KafkaException,
                       NewPartitions, NewTopic, OffsetSpec, ResourceType, TopicPartition)
from minikafka.clients.admin.topics import AlterConfigOpType


def cluster(**kw) -> Cluster:
    return Cluster(brokers=3, seed=3, **kw)


def test_create_topics_sends_at_once_and_completes_as_the_simulation_runs():
    c = cluster()
    admin = c.admin()
    fs = admin.create_topics([NewTopic("orders", 3, 3)])
    f = fs["orders"]
    assert not f.done() and "orders" not in c.topics()
    sent = [e for e in c.trace if e.name == "CreateTopicsRequest" and e.kind == "send"]
    assert len(sent) == 1                         # on the wire before anyone waits
    c.run(1_000)                                  # no one waits: the simulation completes it
    assert f.done() and f.result() is None and f.exception() is None
    assert c.topics() == ["orders"]


def test_result_blocks_in_virtual_time_until_the_controller_committed():
    c = cluster()
    before = c.sim.now
    assert c.admin().create_topics([NewTopic("t", 1, 3)])["t"].result() is None
    assert c.sim.now > before and "t" in c.controller.topics


def test_what_the_brokers_refuse_is_the_futures_error_and_nothing_is_created():
    c = cluster()
    c.create_topic("taken", 1, 1)
    fs = c.admin().create_topics([NewTopic("bad name!", 1, 1), NewTopic("taken", 1, 1), NewTopic("five", 1, 5),
                                  NewTopic("a.b", 1, 1), NewTopic("ok", 1, 1)])
    errors = {t: f.exception() for t, f in fs.items()}
    assert errors["bad name!"].args[0].name() == "INVALID_TOPIC_EXCEPTION"
    assert errors["taken"].args[0].name() == "TOPIC_ALREADY_EXISTS"
    assert errors["five"].args[0].name() == "INVALID_REPLICATION_FACTOR"
    assert errors["ok"] is None
    assert c.topics() == ["a.b", "ok", "taken"]


def test_wrong_python_types_raise_at_once_before_anything_is_sent():
    c = cluster()
    admin = c.admin()
    with pytest.raises(TypeError, match="new_topics must be a list"):
        admin.create_topics(NewTopic("t", 1, 1))
    with pytest.raises(TypeError, match="NewTopic"):
        admin.create_topics(["t"])
    with pytest.raises(ValueError, match="same one twice"):
        admin.create_topics([NewTopic("t", 1, 1), NewTopic("t", 2, 1)])
    with pytest.raises(TypeError, match="num_partitions"):
        NewTopic("t", "3")
    with pytest.raises(ValueError, match="replica_assignment is not modelled"):
        NewTopic("t", replica_assignment=[[1, 2]])
    with pytest.raises(ValueError, match="only SET"):
        ConfigEntry("retention.ms", "1", incremental_operation=AlterConfigOpType.DELETE)
    with pytest.raises(TypeError, match="ElectionType"):
        admin.elect_leaders("preferred")
    assert not [e for e in c.trace if e.name == "CreateTopicsRequest"]


def test_without_a_controller_majority_the_future_times_out_with_request_timed_out():
    c = Cluster(brokers=3, controllers=3, seed=3)
    leader = c.controller_state().leader
    for i in sorted(c.controllers):
        if i != leader:
            c.crash_controller(i)
    f = c.admin().create_topics([NewTopic("t", 1, 3)])["t"]
    with pytest.raises(TimeoutError, match="not done within 5"):
        f.result(timeout=5)                       # the call goes on
    assert not f.done()
    with pytest.raises(KafkaException) as e:
        f.result()
    assert e.value.args[0].name() == "REQUEST_TIMED_OUT"


def test_a_crash_between_the_call_and_result_is_what_the_request_meets():
    c = cluster()
    c.create_topic("t", 1, 3)
    fs = c.admin().create_partitions([NewPartitions("t", 3)])
    c.crash_broker(1)                             # after the request left: the call still completes
    fs["t"].result()
    assert len(c.controller.topics["t"]) == 3


def test_done_callbacks_run_when_the_answer_arrives():
    c = cluster()
    seen = []
    f = c.admin().create_topics([NewTopic("t", 1, 1)])["t"]
    f.add_done_callback(lambda fut: seen.append((c.sim.now, fut.exception())))
    assert seen == []
    c.run(500)
    assert len(seen) == 1 and seen[0][1] is None
    f.add_done_callback(lambda fut: seen.append("again"))
    assert seen[-1] == "again" and f.cancel() is False


def test_delete_topics_and_configs_and_partitions_take_effect():
    c = cluster()
    c.create_topic("t", 1, 3)
    c.create_topic("gone", 1, 3)
    admin = c.admin()
    r = ConfigResource(ResourceType.TOPIC, "t", [ConfigEntry("retention.ms", 60_000)])
    assert admin.incremental_alter_configs([r])[r].result() is None
    assert c.topic_config("t")["retention.ms"] == 60_000
    assert admin.delete_topics(["gone"])["gone"].result() is None
    assert admin.create_partitions([NewPartitions("t", 2)])["t"].result() is None
    assert c.topics() == ["t"] and len(c.controller.topics["t"]) == 2
    err = admin.delete_topics(["nope"])["nope"].exception()
    assert err.args[0].name() == "UNKNOWN_TOPIC_OR_PART"
    err = admin.create_partitions([NewPartitions("t", 1)])["t"].exception()
    assert err.args[0].name() == "INVALID_PARTITIONS"


def test_list_topics_and_describe_cluster_read_a_brokers_metadata():
    c = cluster()
    c.create_topic("t", 2, 3)
    md = c.admin().list_topics()
    assert sorted(md.brokers) == [1, 2, 3]
    assert sorted(md.topics["t"].partitions) == [0, 1]
    p0 = md.topics["t"].partitions[0]
    assert p0.leader == c.partition_state("t", 0).leader and sorted(p0.isrs) == [1, 2, 3]
    assert c.admin().list_topics("nope").topics["nope"].error.name() == "UNKNOWN_TOPIC_OR_PART"
    c.crash_broker(3)
    c.run(20_000)
    d = c.admin().describe_cluster().result()
    assert [n.id for n in d.nodes] == [1, 2] and d.controller.id in (1, 2)


def test_elect_leaders_answers_per_topic_partition():
    c = cluster()
    c.create_topic("t", 1, 3)
    preferred = c.controller.topics["t"][0].replicas[0]
    c.crash_broker(preferred)
    c.run(20_000)
    c.restart_broker(preferred)
    c.run(20_000)
    out = c.admin().elect_leaders(ElectionType.PREFERRED, [TopicPartition("t", 0)]).result()
    assert list(out) == [TopicPartition("t", 0)] and out[TopicPartition("t", 0)] is None
    c.run(1_000)
    assert c.partition_state("t", 0).leader == preferred


def test_list_offsets_and_delete_records_take_confluent_shapes():
    c = cluster()
    c.create_topic("t", 1, 3)
    p = c.producer({"linger.ms": 0})
    for i in range(5):
        p.produce("t", value=b"v%d" % i)
    p.flush()
    admin = c.admin()
    tp = TopicPartition("t", 0)
    got = admin.list_offsets({tp: OffsetSpec.latest()})
    assert list(got) == [tp] and got[tp].result().offset == 5
    assert admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result().offset == 0
    done = admin.delete_records([TopicPartition("t", 0, 3)])
    assert done[TopicPartition("t", 0)].result().low_watermark == 3
    assert admin.list_offsets({("t", 0): "earliest"})[("t", 0)].result().offset == 3
    with pytest.raises(ValueError, match="offset spec"):
        admin.list_offsets({tp: "first"})


def test_another_admin_client_is_another_node_with_the_same_calls():
    c = cluster()
    mine = AdminClient(c, name="ops")
    assert mine.create_topics([NewTopic("t", 1, 1)])["t"].result() is None
    assert any(e.node == "ops" for e in c.trace if e.name == "CreateTopicsRequest" and e.kind == "send")


def test_describe_configs_answers_kafkas_text_with_where_each_value_comes_from():
    c = Cluster(brokers=3, seed=3, config={"log.retention.ms": 3_600_000})
    c.create_topic("t", 1, 3, config={"cleanup.policy": "compact,delete", "min.insync.replicas": 2})
    admin = c.admin()
    r = ConfigResource(ResourceType.TOPIC, "t")
    got = admin.describe_configs([r])[r].result()
    assert (got["cleanup.policy"].value, got["cleanup.policy"].source) == ("compact,delete", "DYNAMIC_TOPIC_CONFIG")
    assert (got["retention.ms"].value, got["retention.ms"].source) == ("3600000", "STATIC_BROKER_CONFIG")
    assert (got["segment.bytes"].value, got["segment.bytes"].source) == ("1073741824", "DEFAULT_CONFIG")
    assert got["segment.bytes"].is_default and not got["retention.ms"].is_default
    assert got["unclean.leader.election.enable"].value == "false"
    g = ConfigResource("group", "g")
    assert admin.describe_configs([g])[g].result()["share.auto.offset.reset"].source == "DEFAULT_CONFIG"
    c.alter_group_config("g", {"share.auto.offset.reset": "earliest"})
    after = admin.describe_configs([g])[g].result()["share.auto.offset.reset"]
    assert (after.value, after.source) == ("earliest", "GROUP_CONFIG")
    nope = ConfigResource(ResourceType.TOPIC, "nope")
    assert admin.describe_configs([nope])[nope].exception().args[0].name() == "UNKNOWN_TOPIC_OR_PART"
