"""The references of notebooks 08 and 09 (minikafka/lessons/nb08.py, nb09.py) agree with the
simulator they teach: a real read_committed consumer, a replica's LSO, Cluster.group_lag, and
the sticky assignor's properties."""
from __future__ import annotations

import random

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.clients.consumer.assignors import (ASSIGNORS, Subscription, range_assignor,
                                                  roundrobin_assignor, sticky_assignor)
from minikafka.course.lessons.nb08 import (Batch, last_stable_offset, log_batches, random_log, read_committed,
                                           read_uncommitted, simulated_log)
from minikafka.course.lessons.nb09 import most_kept, moves, partition_lag, sticky_verdict, use_assignor


@pytest.mark.parametrize("seed", range(40))
def test_read_committed_returns_what_a_real_read_committed_consumer_returns(seed):
    batches, aborted, seen = simulated_log(seed)
    assert read_committed(batches, aborted) == seen


def test_simulated_logs_cover_aborts_commits_and_plain_records():
    kinds = set()
    for seed in range(40):
        batches, aborted, _ = simulated_log(seed)
        kinds |= {b.marker for b in batches} | {("txn" if b.transactional else "plain") for b in batches
                                                if b.marker is None}
        kinds |= {"aborted"} if aborted else set()
    assert kinds == {None, "COMMIT", "ABORT", "txn", "plain", "aborted"}


def test_read_committed_keeps_a_producers_next_transaction_after_an_abort():
    log = [Batch(0, 7, ("a0",), True), Batch(1, 7, (), True, "ABORT"), Batch(2, 7, ("a2",), True),
           Batch(3, -1, ("p3",)), Batch(4, 7, (), True, "COMMIT")]
    assert read_committed(log, [(7, 0)]) == ["a2", "p3"]
    assert read_uncommitted(log) == ["a0", "a2", "p3"]


def test_random_logs_are_well_formed():
    rng = random.Random(1)
    for _ in range(200):
        batches, aborted = random_log(rng)
        offset = 0
        for b in batches:
            assert b.offset == offset
            offset += max(len(b.values), 1)
        markers = {(b.producer_id, b.offset) for b in batches if b.marker == "ABORT"}
        assert len(markers) == len(aborted)


def test_log_batches_reads_the_leader_below_the_high_watermark_with_its_aborted_index():
    c = Cluster(brokers=3, seed=7)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"transactional.id": "x", "linger.ms": 0})
    p.init_transactions()
    p.begin_transaction()
    p.produce("t", value="gone")
    p.flush()
    p.abort_transaction()
    c.run(50)
    batches, aborted = log_batches(c, "t", 0)
    assert batches == [Batch(0, p.producer_id, ("gone",), True), Batch(1, p.producer_id, (), True, "ABORT")]
    assert aborted == [(p.producer_id, 0)] and read_committed(batches, aborted) == []


def test_last_stable_offset_matches_scenario_8_in_a_live_cluster():
    c = Cluster(brokers=3, seed=3)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    plain = c.producer()
    for i in range(10):
        plain.produce("t", value=b"%d" % i)
    plain.flush()
    t = c.producer({"transactional.id": "T"})
    t.init_transactions()
    t.begin_transaction()
    t.produce("t", value=b"T10")
    t.flush()
    for i in range(11, 21):
        plain.produce("t", value=b"%d" % i)
    plain.flush()
    c.run(50)
    view = c.partition_state("t", 0)
    opened = [pv.open_txn_from for pv in view.producers if pv.open_txn_from >= 0]
    assert last_stable_offset(view.high_watermark, opened) == view.last_stable_offset == 10
    assert last_stable_offset(21, [], [(10, 21)]) == 10 and last_stable_offset(22, [], [(10, 21)]) == 22


def test_partition_lag_matches_cluster_group_lag():
    c = Cluster(brokers=3, seed=4)
    c.create_topic("t", partitions=3, replication_factor=3)
    p = c.producer()
    for i in range(30):
        p.produce("t", value=b"%d" % i, partition=i % 3)
    p.flush()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    k.subscribe(["t"])
    k.consume(100, 5.0)
    k.commit(offsets=[TopicPartition("t", 0, 4), TopicPartition("t", 1, 10)], asynchronous=False)
    rows = c.group_lag("g")
    end = {(r.topic, r.partition): r.end for r in rows}
    committed = {(r.topic, r.partition): r.committed for r in rows if r.committed >= 0}
    assert partition_lag(end, committed) == {(r.topic, r.partition): r.lag for r in rows}


def test_sticky_verdict_accepts_the_sticky_assignor_and_names_what_range_and_roundrobin_break():
    before = {"a": [("t", 0), ("t", 1), ("t", 2)], "b": [("t", 3), ("t", 4), ("t", 5)], "c": []}
    group = [Subscription(m, ("t",), tuple(before[m]), generation=1) for m in before]
    assert most_kept({"t": 6}, group) == 4
    assert sticky_verdict({"t": 6}, group, sticky_assignor({"t": 6}, group)).startswith("valid, balanced")
    assert sticky_verdict({"t": 6}, group, range_assignor({"t": 6}, group)).startswith("not sticky enough: 3")
    assert sticky_verdict({"t": 6}, group, roundrobin_assignor({"t": 6}, group)).startswith("not sticky enough: 2")
    assert sticky_verdict({"t": 6}, group, {"a": [("t", p) for p in range(6)], "b": [], "c": []}).startswith(
        "unbalanced")
    assert sticky_verdict({"t": 6}, group, {"a": []}).startswith("invalid")
    assert moves(before, sticky_assignor({"t": 6}, group)) == ["t-2: a -> c", "t-5: b -> c"]


def test_use_assignor_registers_the_function_or_falls_back_to_the_reference(capsys):
    def stub(ppt, subs):
        raise NotImplementedError("Exercise 9.1 (exercises/ex09_groups.py)")
    try:
        use_assignor("test-range", stub, range_assignor)
        assert capsys.readouterr().out.startswith("[todo] test-range: Exercise 9.1")
        assert ASSIGNORS["test-range"].assign is range_assignor
        use_assignor("test-range", roundrobin_assignor, range_assignor)
        assert capsys.readouterr().out == "" and ASSIGNORS["test-range"].assign is roundrobin_assignor
    finally:
        ASSIGNORS.pop("test-range", None)


def test_nb08_late_write_rule_matches_the_cluster_in_all_three_modes():
    """Rule 5: only v1 without partition verification hangs, and only for a write that arrives
    after its transaction's ABORT marker (delayed past request.timeout.ms)."""
    from minikafka.course.lessons import nb08
    for tv, verify in [(1, False), (1, True), (2, True)]:
        for delay in (5_000, 35_000):
            assert nb08.late_write_hangs(tv, verify, delay) == nb08.simulated_late_write_hangs(tv, verify, delay)
    assert nb08.late_write_hangs(1, False, 35_000) and not nb08.late_write_hangs(2, True, 35_000)
