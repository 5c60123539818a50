"""The cluster facade refuses bad arguments before anything changes, naming the argument, the
value and what is accepted; periodic tasks always move virtual time forward; topic keys that
nothing reads are refused as not modelled; the invariants agree with a crashed broker's state.

Tests of a hang run the scenario in a subprocess with a timeout, so a regression fails instead
of hanging the suite."""
from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.errors import ConfigException, KafkaException
from minikafka.invariants import check_all

ROOT = Path(__file__).resolve().parents[1]


def cluster(partitions: int = 1) -> Cluster:
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", partitions=partitions, replication_factor=3)
    return c


def bounded(code: str, timeout: float = 60) -> str:
    """Run `code` in a fresh interpreter; fail (not hang) if it does not finish in `timeout` s."""
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"virtual time stopped: the scenario did not finish in {timeout} s of wall time")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- time -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ms", [0.5, 1.0, True, "10", None, -1])
def test_run_refuses_what_is_not_an_integer_number_of_ms_and_time_stays_an_int(ms):
    c = Cluster(brokers=1, seed=1)
    before = c.now
    with pytest.raises((TypeError, ValueError), match="ms"):
        c.run(ms)
    with pytest.raises((TypeError, ValueError), match="max_ms"):
        c.run_until_idle(ms)
    assert c.now == before and type(c.now) is int
    c.run(10)
    assert c.now == before + 10 and type(c.now) is int


def test_the_kernel_refuses_fractional_delays():
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(TypeError, match="delay must be an integer number of virtual ms"):
        c.sim.schedule(0.5, print)
    with pytest.raises(TypeError, match="run\\(\\) duration"):
        c.sim.run(2.5)


# -- brokers and clients ----------------------------------------------------------------------------
@pytest.mark.parametrize("power_loss", ["no", 1, None, "False"])
def test_power_loss_must_be_a_bool_and_a_refused_crash_changes_nothing(power_loss):
    c = cluster()
    with pytest.raises(TypeError, match=re.escape(f"power_loss must be True or False, got {power_loss!r}")):
        c.crash_broker(1, power_loss=power_loss)
    assert c.brokers[1].alive and c.brokers[1].powered


@pytest.mark.parametrize("broker", [True, "1", 1.0, None, 0, 99])
def test_a_broker_is_named_by_its_integer_id_not_a_bool_or_a_string(broker):
    c = cluster()
    with pytest.raises(ValueError, match="no broker"):
        c.crash_broker(broker)
    with pytest.raises(ValueError, match="no broker"):
        c.restart_broker(broker)
    assert all(b.alive for b in c.brokers.values())


def test_crash_client_refuses_a_name_that_is_not_a_client():
    c = cluster()
    c.producer()
    for name in (["producer-1"], None, 1, "producer-9"):
        with pytest.raises(ValueError, match="unknown client"):
            c.crash_client(name)
    assert c.clients["producer-1"].alive


# -- the network --------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [(1, 1), ("b1", 1), ("c1", "c1")])
def test_a_link_needs_two_different_nodes_and_heal_all_still_works(a, b):
    c = cluster()
    for call in (c.cut, c.heal, lambda x, y: c.set_latency(x, y, 5), lambda x, y: c.set_loss(x, y, 0.5)):
        with pytest.raises(ValueError, match="two different nodes"):
            call(a, b)
    assert not c.net.cuts and not c.net.latency and not c.net.loss
    c.cut(1, 2)
    c.heal_all()
    assert not c.net.cuts
    c.run(100)


@pytest.mark.parametrize("count, error", [(-1, ValueError), (0, ValueError), ("x", TypeError), (1.5, TypeError),
                                          (True, TypeError)])
def test_drop_and_delay_count_is_an_integer_of_at_least_one_or_none(count, error):
    c = cluster()
    with pytest.raises(error, match=r"count must be an integer >= 1 or None"):
        c.drop("ProduceResponse", count=count)
    with pytest.raises(error, match=r"count must be an integer >= 1 or None"):
        c.delay("ProduceResponse", ms=10, count=count)
    assert c.net.rules == []
    rule = c.drop("ProduceResponse", count=2)
    assert rule.count == 2 and c.drop("ProduceRequest", count=None).count is None


@pytest.mark.parametrize("p, error", [(1.5, ValueError), (-0.1, ValueError), (math.nan, ValueError),
                                      ("0.5", TypeError), (True, TypeError), (None, TypeError)])
def test_probabilities_are_numbers_from_zero_to_one(p, error):
    c = cluster()
    with pytest.raises(error, match="probability must be a probability, a number from 0 to 1"):
        c.drop("ProduceResponse", probability=p)
    with pytest.raises(error, match="probability must be a probability"):
        c.set_loss(1, 2, p)
    assert c.net.rules == [] and c.net.loss == {}


@pytest.mark.parametrize("ms, error", [(-5, ValueError), (2.5, TypeError), (True, TypeError), ("10", TypeError)])
def test_delay_and_latency_are_whole_ms(ms, error):
    c = cluster()
    with pytest.raises(error, match="ms must be an integer >= 0"):
        c.delay("FetchResponse", ms=ms)
    with pytest.raises(error, match="ms must be an integer >= 1"):
        c.set_latency(1, 2, ms)
    assert c.net.rules == [] and c.net.latency == {}


def test_a_link_latency_of_zero_is_refused_as_a_message_takes_at_least_one_ms():
    c = cluster()
    with pytest.raises(ValueError, match="ms must be an integer >= 1 \\(a message takes at least 1 virtual ms\\)"):
        c.set_latency(1, 2, 0)
    assert c.net.latency == {}
    c.delay("FetchResponse", ms=0)      # an extra delay of 0 is allowed: the latency is still there


def test_a_rule_names_a_real_message_kind():
    c = cluster()
    with pytest.raises(TypeError, match="kind must be a string"):
        c.drop(5)
    with pytest.raises(ValueError, match="unknown message kind 'Msg'"):
        c.drop("Msg")                   # the protocol's base class is not a message
    assert c.net.rules == []


def test_remove_rule_removes_that_rule_not_an_equal_one():
    c = cluster()
    first, second = c.drop("ProduceResponse", probability=0.5), c.drop("ProduceResponse", probability=0.5)
    assert first == second
    c.remove_rule(second)
    assert len(c.net.rules) == 1 and c.net.rules[0] is first


# -- topics -----------------------------------------------------------------------------------------
def test_a_topic_name_colliding_on_dot_and_underscore_is_refused_as_kafka_refuses_it():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("a.b")
    with pytest.raises(KafkaException, match="INVALID_TOPIC_EXCEPTION.*Topic 'a_b' collides with existing topic: a.b"):
        c.create_topic("a_b")
    with pytest.raises(KafkaException, match="TOPIC_ALREADY_EXISTS"):
        c.create_topic("a.b")
    assert c.topics() == ["a.b"]
    c.create_topic("a-b")               # '-' does not collide


def test_the_metadata_log_name_is_refused_while_the_coordinators_topics_may_be_created_by_hand():
    c = Cluster(brokers=3, seed=1)
    with pytest.raises(KafkaException, match="INVALID_REQUEST.*Creation of internal topic __cluster_metadata"):
        c.create_topic("__cluster_metadata")
    c.create_topic("__consumer_offsets", partitions=3, replication_factor=3)
    c.create_topic("t", partitions=1, replication_factor=3)
    p = c.producer()
    p.produce("t", value=b"x")
    p.flush()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k.subscribe(["t"])
    assert len(k.consume(10, 10)) == 1
    k.commit(asynchronous=False)
    assert k.committed([TopicPartition("t", 0)])[0].offset == 1     # the group lives in a hand-made partition
    assert c.topics() == ["__consumer_offsets", "t"]


def test_a_member_commit_to_a_group_the_coordinator_does_not_know_gets_illegal_generation():
    """Kafka's validateOffsetCommit: an unknown group accepts commits only from outside group
    management (generation -1); a member's commit (generation >= 0) is ILLEGAL_GENERATION. A
    coordinator does not know a group whose state was never written, for example after a
    failover in the middle of its first rebalance."""
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=1, replication_factor=1)
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    k.subscribe(["t"])
    k.poll(5)
    assert c.group_state("g").generation >= 1
    coordinator = c.brokers[c.group_state("g").coordinator].group_coordinator
    del coordinator.groups["g"]                     # as if its state had never been written
    with pytest.raises(KafkaException, match="ILLEGAL_GENERATION"):
        k.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous=False)
    plain = c.consumer({"group.id": "h", "enable.auto.commit": False})
    plain.assign([TopicPartition("t", 0, 0)])
    plain.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous=False)   # generation -1: accepted
    assert plain.committed([TopicPartition("t", 0)])[0].offset == 1


@pytest.mark.parametrize("name, why", [
    ("", "the empty string is not allowed"),
    (".", "'.' is not allowed"),
    ("..", "'..' is not allowed"),
    ("x" * 250, "is longer than the max allowed length 249"),
    ("bad name!", "contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"),
    ("caf\u00e9", "contains one or more characters other than ASCII"),
    (None, "a topic name is a string"),
])
def test_topic_names_are_checked_with_kafkas_words(name, why):
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(KafkaException, match="INVALID_TOPIC_EXCEPTION") as e:
        c.create_topic(name)
    assert why in str(e.value) and c.topics() == []


def test_partitions_and_replication_factor_of_minus_one_are_the_broker_defaults():
    c = Cluster(brokers=3, seed=1, config={"num.partitions": 2, "default.replication.factor": 3})
    c.create_topic("t", partitions=-1, replication_factor=-1)
    assert len(c.controller.topics["t"]) == 2 and len(c.partition_state("t", 0).replicas) == 3


@pytest.mark.parametrize("kwargs, error, text", [
    ({"partitions": "3"}, TypeError, "partitions must be an integer"),
    ({"partitions": True}, TypeError, "partitions must be an integer"),
    ({"partitions": -2}, KafkaException, "INVALID_PARTITIONS"),
    ({"replication_factor": 2.0}, TypeError, "replication_factor must be an integer"),
    ({"replication_factor": 0}, KafkaException, "INVALID_REPLICATION_FACTOR"),
    ({"replication_factor": 40_000}, KafkaException, "INVALID_REPLICATION_FACTOR"),
    ({"partitions": 20_000}, KafkaException, "POLICY_VIOLATION"),
    ({"config": [("min.insync.replicas", 2)]}, TypeError, "config must be a dict"),
])
def test_create_topic_checks_its_sizes_and_config_before_creating_anything(kwargs, error, text):
    c = Cluster(brokers=3, seed=1)
    with pytest.raises(error, match=text):
        c.create_topic("t", **kwargs)
    assert c.topics() == [] and c.now == Cluster(brokers=3, seed=1).now


def test_create_partitions_refuses_a_total_that_is_not_an_increase_with_kafkas_words():
    c = cluster(partitions=2)
    with pytest.raises(KafkaException, match="Topic already has 2 partition"):
        c.create_partitions("t", 2)
    with pytest.raises(KafkaException, match="currently has 2 partition.*1 would not be an increase"):
        c.create_partitions("t", 1)
    with pytest.raises(TypeError, match="total must be an integer"):
        c.create_partitions("t", "4")
    with pytest.raises(KafkaException, match="POLICY_VIOLATION"):
        c.create_partitions("t", 50_000)
    assert len(c.controller.topics["t"]) == 2


@pytest.mark.parametrize("key, value", [("compression.type", "lz4"), ("segment.index.bytes", 10485760),
                                        ("index.interval.bytes", 4096), ("file.delete.delay.ms", 60000)])
def test_topic_keys_nothing_reads_are_refused_as_not_modelled(key, value):
    c = cluster()
    with pytest.raises(ConfigException, match="not modelled") as e:
        c.create_topic("u", config={key: value})
    assert key in str(e.value) and "u" not in c.topics()
    with pytest.raises(ConfigException, match="not modelled"):
        c.alter_topic_config("t", {key: value})
    assert key not in c.topic_config("t")


def test_alter_topic_config_refuses_what_is_not_a_dict():
    c = cluster()
    before = c.topic_config("t")
    for config in (None, [("min.insync.replicas", 2)], "min.insync.replicas=2"):
        with pytest.raises(TypeError, match="config must be a dict"):
            c.alter_topic_config("t", config)
    assert c.topic_config("t") == before


# -- views -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("group_id", [None, 7, ["g"], b"g"])
def test_group_state_and_group_lag_refuse_a_group_id_that_is_not_a_string(group_id):
    c = cluster()
    with pytest.raises(TypeError, match=re.escape(f"group_id must be a string, got {group_id!r}")):
        c.group_state(group_id)
    with pytest.raises(TypeError, match="group_id must be a string"):
        c.group_lag(group_id)
    with pytest.raises(TypeError, match="isolation_level must be one of"):
        c.group_lag("g", None)


@pytest.mark.parametrize("partition, error", [(True, TypeError), ("0", TypeError), (0.0, TypeError),
                                              (5, KafkaException), (-1, KafkaException)])
def test_partition_state_takes_an_integer_partition_of_the_topic(partition, error):
    c = cluster(partitions=2)
    with pytest.raises(error, match="partition"):
        c.partition_state("t", partition)
    with pytest.raises(error, match="partition"):
        c.log("t", partition)


@pytest.mark.parametrize("topic", [None, ["t"], 3])
def test_a_topic_argument_must_be_a_topic_name(topic):
    c = cluster()
    for call in (lambda: c.partition_state(topic, 0), lambda: c.topic_config(topic),
                 lambda: c.create_partitions(topic, 3)):
        with pytest.raises(TypeError, match="topic must be a string"):
            call()


# -- hangs: every periodic task moves virtual time forward -------------------------------------------
def test_page_cache_flush_ms_zero_is_refused_instead_of_flushing_forever_at_one_instant():
    out = bounded("""
        from minikafka import Cluster
        try:
            Cluster(page_cache_flush_ms=0)
        except ValueError as e:
            print(e)
        c = Cluster(page_cache_flush_ms=1)
        before = c.now
        c.run(50)
        print(c.now - before)
    """)
    assert out.startswith("page_cache_flush_ms must be an integer >= 1") and out.endswith("50")


def test_replica_lag_time_max_ms_of_one_checks_the_isr_every_ms_and_time_moves_on():
    out = bounded("""
        from minikafka import Cluster
        c = Cluster(config={"replica.lag.time.max.ms": 1})
        c.create_topic("t", partitions=1, replication_factor=3)
        before = c.now
        c.run(100)
        print(c.now - before)
    """)
    assert out == "100"


def test_a_producer_with_metadata_max_age_zero_lets_time_move_on():
    out = bounded("""
        from minikafka import Cluster
        c = Cluster()
        c.create_topic("t")
        p = c.producer({"metadata.max.age.ms": 0, "retry.backoff.ms": 0, "retry.backoff.max.ms": 0})
        before = c.now
        c.run(100)
        print(c.now - before)
    """)
    assert out == "100"


def test_zero_latency_is_refused_so_a_zero_wait_fetch_loop_cannot_stop_time():
    out = bounded("""
        from minikafka import Cluster
        try:
            Cluster(latency_ms=0)
        except ValueError as e:
            print(e)
        c = Cluster(latency_ms=1)
        c.create_topic("t")
        k = c.consumer({"group.id": "g", "fetch.max.wait.ms": 0})
        k.subscribe(["t"])
        for _ in range(5):
            k.poll(1.0)
        before = c.now
        c.run(100)
        print(c.now - before)
    """)
    assert out.startswith("latency_ms must be an integer >= 1") and out.endswith("100")


# -- invariants and a crashed broker -------------------------------------------------------------------
def test_invariants_agree_with_a_leader_that_lost_power_and_with_it_after_its_restart():
    c = cluster()
    p = c.producer({"acks": "all", "linger.ms": 0})
    for i in range(3):
        p.produce("t", value=b"%d" % i)
    p.flush()
    leader = c.partition_state("t", 0).leader
    r = c.brokers[leader].replicas[("t", 0)]
    assert r.hw == 3 and r.log.flushed < 3          # acknowledged, not yet on disk
    c.crash_broker(leader, power_loss=True)
    assert r.leo < r.hw                             # what the dead process last knew
    assert check_all(c) == []                       # a crashed broker has no live HW to check
    c.run(20_000)
    c.restart_broker(leader)
    assert r.hw <= r.leo                            # clamped to the surviving log, as Kafka does
    assert check_all(c) == []
    c.run(20_000)
    assert check_all(c) == []


def test_a_follower_restarted_at_once_after_a_power_loss_is_exempt_from_hw_within_isr_until_it_catches_up():
    """Found by the fuzzer: restarted in the same instant, the follower is still in the leader's
    ISR with fewer records than the HW until the controller fences its old incarnation (the
    window KIP-966 closes); once it has fetched back to the HW, the rule applies to it again."""
    c = Cluster(brokers=2, seed=1)
    c.create_topic("t", partitions=1, replication_factor=2)
    p = c.producer({"acks": "all", "linger.ms": 0})
    p.produce("t", value=b"v0", partition=0)
    p.flush()
    leader = c.partition_state("t", 0).leader
    follower = next(b for b in c.brokers if b != leader)
    mine = c.brokers[follower].replicas[("t", 0)]
    c.crash_broker(follower, power_loss=True)
    c.restart_broker(follower)
    assert mine.leo < c.brokers[leader].replicas[("t", 0)].hw and mine.lost_tail
    assert follower in c.brokers[leader].replicas[("t", 0)].isr
    assert check_all(c) == []
    c.run(20_000)
    assert not mine.lost_tail and mine.leo == 1
    assert check_all(c) == []
    mine.log.truncate_to(0)                         # from now on a short ISR member is a violation
    assert any("ISR member" in v for v in check_all(c))


def test_an_automatic_client_name_skips_one_taken_by_a_client_id():
    c = Cluster(brokers=1, seed=1)
    c.producer({"client.id": "consumer-1"})
    k = c.consumer()
    assert k.name == "consumer-2" and sorted(c.clients) == ["consumer-1", "consumer-2"]
