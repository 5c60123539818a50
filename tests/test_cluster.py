"""The cluster facade: topics, placement, faults, views, and the stdlib-only import."""
from __future__ import annotations

import subprocess
import sys

import pytest

from minikafka import Cluster, KafkaException


def test_import_minikafka_loads_no_third_party_module():
    code = ("import sys; before = set(sys.modules); import minikafka; "
            "new = sorted(m.split('.')[0] for m in set(sys.modules) - before); print(' '.join(new))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    stdlib = set(sys.stdlib_module_names)
    assert [m for m in out if m not in stdlib and m != "minikafka" and not m.startswith("_")] == []


def test_replicas_are_spread_so_each_broker_leads_one_of_three_partitions():
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=3, replication_factor=3)
    leaders = sorted(c.partition_state("orders", i).leader for i in range(3))
    assert leaders == [1, 2, 3]
    for i in range(3):
        st = c.partition_state("orders", i)
        assert sorted(r.broker for r in st.replicas) == [1, 2, 3] and st.isr[0] == st.leader


def test_topic_defaults_are_one_partition_and_replication_factor_one():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("x")
    st = c.partition_state("x", 0)
    assert len(st.replicas) == 1 and c.topic_config("x")["min.insync.replicas"] == 1


def test_topic_creation_errors_carry_kafka_names():
    c = Cluster(brokers=2, seed=1)
    c.create_topic("x")
    with pytest.raises(KafkaException, match="TOPIC_ALREADY_EXISTS"):
        c.create_topic("x")
    with pytest.raises(KafkaException, match="INVALID_REPLICATION_FACTOR"):
        c.create_topic("y", replication_factor=3)
    with pytest.raises(KafkaException, match="INVALID_PARTITIONS"):
        c.create_topic("z", partitions=0)


def test_a_crashed_broker_is_fenced_after_the_session_timeout_and_loses_leadership():
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=3, replication_factor=3)
    led = [i for i in range(3) if c.partition_state("orders", i).leader == 1]
    last_heartbeat = c.trace.filter(name="BrokerHeartbeat", node="b1", kind="send")[-1].time
    c.crash_broker(1)
    c.run(last_heartbeat + 9_000 - c.now)
    assert all(c.partition_state("orders", i).leader == 1 for i in led)    # not yet fenced
    c.run(1_200)                    # the session check runs every 9,000 / 8 ms
    fence = c.trace.filter(name="broker.fence")
    assert [e.fields["broker"] for e in fence] == [1] and 9_000 < fence[0].time - last_heartbeat <= 9_000 + 1_125 + 30
    for i in led:
        st = c.partition_state("orders", i)
        assert st.leader != 1 and 1 not in st.isr and st.leader_epoch == 1


def test_power_loss_loses_the_unflushed_tail_and_a_process_crash_does_not():
    for power_loss, expect in ((False, 20), (True, 10)):
        c = Cluster(brokers=1, seed=1, page_cache_flush_ms=5000)
        c.create_topic("t")
        p = c.producer({"linger.ms": 0})
        for i in range(10):
            p.produce("t", value=b"%d" % i)
        p.flush()
        c.run(5000)                                  # the OS writes the page cache out
        for i in range(10):
            p.produce("t", value=b"late%d" % i)
        p.flush()
        c.crash_broker(1, power_loss=power_loss)
        assert c.brokers[1].replicas[("t", 0)].leo == expect


def test_unknown_nodes_kinds_and_probabilities_are_refused_with_the_accepted_values():
    c = Cluster(brokers=2, seed=1)
    with pytest.raises(ValueError, match="b1"):
        c.cut(1, "b9")
    with pytest.raises(ValueError, match="ProduceRequest"):
        c.drop("ProduceReq")
    with pytest.raises(ValueError, match="0 to 1"):
        c.drop("ProduceRequest", probability=2)


def test_step_runs_exactly_one_event_and_run_until_idle_stops_at_background_work():
    c = Cluster(brokers=3, seed=2)
    c.create_topic("t", partitions=1, replication_factor=3)
    before = c.sim.events_run
    assert c.step() and c.sim.events_run == before + 1
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"a")
    assert c.run_until_idle()
    assert c.partition_state("t", 0).high_watermark == 1
    assert len(p.reports) == 0 and p.delivered == 1


def test_partition_state_text_view_is_deterministic():
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=3, replication_factor=3)
    assert str(c.partition_state("orders", 0)) == (
        "orders-0: leader broker 1, leader epoch 0, ISR [1, 2, 3]\n"
        "  broker role        LEO    HW   LSO in ISR\n"
        "       1 leader        0     0     0    yes\n"
        "       2 follower      0     0     0    yes\n"
        "       3 follower      0     0     0    yes")


def test_invalid_topic_names_are_refused_with_invalid_topic_exception():
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(KafkaException, match="INVALID_TOPIC_EXCEPTION"):
        c.create_topic("bad name!")


def test_link_latency_slows_replication_and_loss_drops_messages():
    c = Cluster(brokers=2, seed=1)
    c.create_topic("t", replication_factor=2)
    leader = c.partition_state("t", 0).leader
    follower = 3 - leader
    c.set_latency(leader, follower, 40)
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"a")
    start = c.now
    p.flush()
    assert c.now - start >= 80                 # acks=all waits for the follower's round trip
    c.set_loss(p.name, leader, 1.0)
    p.produce("t", value=b"b")
    c.run(100)
    drops = c.trace.filter(kind="drop", name="ProduceRequest")
    assert drops and drops[0].fields["why"] == "loss"


def test_readme_example_runs_as_written():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["msg"] is not None and scope["msg"].value() == b"coffee"


def test_adding_partitions_remaps_keys_and_leaves_existing_records_in_place():
    from minikafka import partition_for_key
    c = Cluster(brokers=3, seed=2)
    c.create_topic("t", partitions=2, replication_factor=2)
    p = c.producer()
    got = []
    keys = [b"key-%d" % i for i in range(12)]
    for k in keys:
        p.produce("t", key=k, value=b"before", on_delivery=lambda e, m: got.append((m.key(), m.partition())))
    p.flush()
    before = {p_: [v for _, _, v in c.log("t", p_)] for p_ in range(2)}
    c.create_partitions("t", 3)
    st = c.partition_state("t", 2)
    assert st.leader in (1, 2, 3) and len(st.replicas) == 2
    assert {p_: [v for _, _, v in c.log("t", p_)] for p_ in range(2)} == before   # nothing moved
    q = c.producer()                             # a client that learns the new count
    for k in keys:
        q.produce("t", key=k, value=b"after", on_delivery=lambda e, m: got.append((m.key(), m.partition())))
    q.flush()
    after = dict(got[len(keys):])
    assert after == {k: partition_for_key(k, 3) for k in keys}
    assert any(dict(got[:len(keys)])[k] != after[k] for k in keys)               # some keys moved
    with pytest.raises(KafkaException, match="INVALID_PARTITIONS"):
        c.create_partitions("t", 3)


def test_readme_transactions_example_runs_as_written():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    txn = next(b for b in blocks if "transactional.id" in b)
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    exec(compile(txn.replace("rc.consume(10, 1.0)", "got = rc.consume(10, 1.0)"), "README.md", "exec"), scope)
    assert sorted(m.value() for m in scope["got"]) == [b"+10", b"-10"]


def test_readme_groups_example_runs_as_written():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    groups = next(b for b in blocks if "group_state" in b)
    scope: dict = {"print": lambda *args: None}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    exec(compile(groups, "README.md", "exec"), scope)
    view = scope["c"].group_state("stats")
    assert sorted(len(tps) for _, tps in view.members) == [2, 2]


def test_readme_pictures_example_runs_as_written():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    txn = next(b for b in blocks if "transactional.id" in b)
    pics = next(b for b in blocks if "viz.log_table" in b)
    scope: dict = {"print": lambda *args: None}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    exec(compile(txn, "README.md", "exec"), scope)
    exec(compile(pics, "README.md", "exec"), scope)


def test_remove_rule_stops_one_rule_and_refuses_an_inactive_one():
    c = Cluster(brokers=1, seed=1)
    r1, r2 = c.drop("ProduceRequest", probability=0.5), c.delay("FetchResponse", ms=10)
    c.remove_rule(r1)
    assert c.net.rules == [r2]
    with pytest.raises(ValueError, match="not active"):
        c.remove_rule(r1)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"brokers": 0}, ValueError, "brokers must be an integer from 1 to 64"),
    ({"seed": "7"}, TypeError, "seed must be an integer"),
    ({"trace": "no"}, TypeError, "trace must be True or False"),
    ({"latency_ms": -1}, ValueError, "latency_ms must be an integer >= 1"),
])
def test_cluster_arguments_are_checked_with_the_accepted_values(kwargs, error, message):
    with pytest.raises(error, match=message):
        Cluster(**kwargs)
