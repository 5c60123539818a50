"""Segments, retention, the log start offset, DeleteRecords and ListOffsets (kafka-semantics.md P.300-314)."""
from __future__ import annotations

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.errors import ConfigException, KafkaException
from minikafka.storage.log import PartitionLog
from minikafka.storage.log_config import LogConfig
from minikafka.storage.log_retention import delete_old_segments
from minikafka.storage.records import Record, RecordBatch, record_size, BATCH_OVERHEAD
from helpers import deleted_records

FAST = {"log.retention.check.interval.ms": 1000, "log.initial.task.delay.ms": 1000}


def cluster(seed: int = 1, **topic) -> Cluster:
    c = Cluster(brokers=3, seed=seed, config=FAST)
    c.create_topic("events", 1, 3, config={"segment.bytes": 1024, **topic})
    return c


def produce(c: Cluster, n: int, every_ms: int = 1000, size: int = 50, start: int = 0, topic: str = "events",
            **kw) -> None:
    p = c.producer({"linger.ms": 0})
    for i in range(start, start + n):
        p.produce(topic, key=b"k%d" % i, value=b"x" * size, **kw)
        c.run(every_ms)
    p.flush()


def batch(n: int, ts: int, size: int = 100) -> RecordBatch:
    recs = [Record(b"k", b"v" * (size - 22), None, ts) for _ in range(n)]
    return RecordBatch(recs, BATCH_OVERHEAD + sum(record_size(r.key, r.value) for r in recs), max_timestamp=ts)


def bases(c: Cluster, broker: int | None = None) -> list[int]:
    segs = c.segments("events", 0)
    b = broker if broker is not None else c.partition_state("events", 0).leader
    return [s.base_offset for s in segs[b]]


# -- segments ------------------------------------------------------------------------------
def test_a_segment_rolls_when_the_next_batch_would_pass_segment_bytes():
    log = PartitionLog()
    log.segment_bytes = 400
    for i in range(7):
        log.append_as_leader(batch(1, i), 0, now=i)        # 1 record = 61 + 100 bytes
    assert [s.base_offset for s in log.segments] == [0, 2, 4, 6]
    assert all(s.size <= 400 for s in log.segments)
    assert log.segments[-1].size == 161


def test_a_segment_rolls_on_record_time_only_at_the_next_append_never_on_a_timer():
    log = PartitionLog()
    log.segment_ms = 1000
    log.append_as_leader(batch(1, 0), 0, now=0)
    log.append_as_leader(batch(1, 1000), 0, now=5000)      # 1000 - 0 is not > 1000: same segment
    assert len(log.segments) == 1
    log.append_as_leader(batch(1, 1001), 0, now=5000)
    assert [s.base_offset for s in log.segments] == [0, 2]


def test_segment_ms_does_nothing_to_an_idle_partition_until_its_next_write():
    c = cluster(**{"segment.ms": 10_000, "retention.ms": -1})
    produce(c, 3)
    c.run(600_000)
    assert bases(c) == [0]
    produce(c, 1, start=3)
    assert bases(c) == [0, 3]


def test_replicas_roll_their_own_segments_with_the_same_rule():
    c = cluster()
    produce(c, 40)
    segs = c.segments("events", 0)
    assert len(segs) == 3 and all(len(v) > 3 for v in segs.values())
    for views in segs.values():
        assert views[-1].active and not any(v.active for v in views[:-1])
        assert all(a.end_offset == b.base_offset for a, b in zip(views, views[1:]))


def test_segment_jitter_is_drawn_per_segment_below_segment_ms_and_is_seeded():
    def jitters(seed: int) -> list[int]:
        c = cluster(seed, **{"segment.ms": 5000, "segment.jitter.ms": 4000, "retention.ms": -1})
        produce(c, 30)
        leader = c.partition_state("events", 0).leader
        return [s.jitter_ms for s in c.broker(leader).replicas[("events", 0)].log.segments]
    a, b = jitters(3), jitters(3)
    assert a == b and len(set(a)) > 1 and all(0 <= j < 4000 for j in a)


def test_truncation_resegments_the_log():
    log = PartitionLog()
    log.segment_bytes = 400
    for i in range(7):
        log.append_as_leader(batch(1, i), 0, now=i)
    log.truncate_to(3)
    assert [s.base_offset for s in log.segments] == [0, 2] and log.log_end_offset == 3
    assert log.segments[-1].size == 161 and log.segments[-1].largest_timestamp == 2
    log.truncate_to(0)
    assert [s.base_offset for s in log.segments] == [0] and log.segments[0].size == 0


# -- retention ---------------------------------------------------------------------------------
def test_time_retention_deletes_whole_segments_whose_newest_record_is_older_than_retention_ms():
    c = cluster(**{"retention.ms": 20_000})
    produce(c, 40)                       # records at ~0..39 s, 5 or 6 per segment
    before = bases(c)
    c.run(1000)
    st = c.partition_state("events", 0)
    now = c.sim.now
    for b, views in c.segments("events", 0).items():
        assert all(now - v.largest_timestamp <= 20_000 + 1000 for v in views[:-1])
        assert views[0].base_offset in before
        assert c.partition_state("events", 0).replica(b).log_start == views[0].base_offset
    assert 0 < st.log_start_offset < 40


def test_the_active_segment_goes_too_once_the_hw_reaches_the_leo_and_it_is_old():
    c = cluster(**{"retention.ms": 5_000})
    produce(c, 3)
    c.run(60_000)
    st = c.partition_state("events", 0)
    assert st.log_start_offset == 3 == st.high_watermark
    for views in c.segments("events", 0).values():
        assert [(v.base_offset, v.size, v.active) for v in views] == [(3, 0, True)]


def test_retention_ms_minus_one_keeps_everything():
    c = cluster(**{"retention.ms": -1})
    produce(c, 20)
    c.run(3_600_000)
    assert c.partition_state("events", 0).log_start_offset == 0


def test_size_retention_keeps_the_partition_at_or_above_retention_bytes():
    c = cluster(**{"retention.bytes": 3000, "retention.ms": -1})
    produce(c, 60)
    c.run(5000)
    for views in c.segments("events", 0).values():
        total = sum(v.size for v in views)
        assert total >= 3000
        assert total - views[0].size < 3000      # one segment fewer would be below the limit


def test_a_compacted_topic_is_not_deleted_by_time_retention():
    c = cluster(**{"retention.ms": 1000, "cleanup.policy": "compact"})
    produce(c, 20)
    c.run(60_000)
    assert c.partition_state("events", 0).log_start_offset == 0


def test_retention_never_moves_the_log_start_past_the_hw():
    log = PartitionLog()
    log.segment_bytes = 200
    for i in range(6):
        log.append_as_leader(batch(1, 0), 0, now=0)
    cfg = LogConfig({"segment.bytes": 200, "segment.ms": 10**9, "segment.jitter.ms": 0, "retention.ms": 10,
                     "retention.bytes": -1, "cleanup.policy": ("delete",)})
    delete_old_segments(log, hw=3, now=1000, cfg=cfg)
    assert log.log_start_offset == 3
    delete_old_segments(log, hw=6, now=1000, cfg=cfg)
    assert log.log_start_offset == 6 and len(log.segments) == 1 and log.segments[0].size == 0


def test_the_retention_pass_runs_every_check_interval_and_leaves_no_trace_when_it_deletes_nothing():
    c = Cluster(brokers=1, seed=0, config={"log.retention.check.interval.ms": 60_000, "log.initial.task.delay.ms": 0})
    c.create_topic("events", 1, 1, config={"segment.bytes": 1024, "retention.ms": 1000})
    produce(c, 20, topic="events")
    c.run(30_000)
    assert c.partition_state("events", 0).log_start_offset == 0       # the next pass is at 60 s
    c.run(40_000)
    assert c.partition_state("events", 0).log_start_offset > 0
    deletions = [e for e in c.trace.events if e.name == "segment.delete"]
    assert deletions and all(e.fields["reason"] == "retention.ms" for e in deletions)


def test_topic_log_keys_default_to_the_broker_synonyms_and_show_in_topic_config():
    c = Cluster(brokers=1, seed=0, config={"log.retention.ms": 1234, "log.segment.bytes": 5000})
    c.create_topic("a", 1, 1)
    c.create_topic("b", 1, 1, config={"retention.ms": 99})
    assert c.topic_config("a")["retention.ms"] == 1234 and c.topic_config("a")["segment.bytes"] == 5000
    assert c.topic_config("b")["retention.ms"] == 99
    assert "retention.ms" not in c.controller.topic_configs["a"]       # only what the topic set is stored


def test_a_config_change_applies_to_the_next_segment():
    c = cluster(**{"retention.ms": -1})
    produce(c, 10)
    c.alter_topic_config("events", {"segment.bytes": 200})
    n = len(bases(c))
    produce(c, 4, start=10)
    assert len(bases(c)) == n + 4


def test_bad_log_keys_are_refused_with_what_is_accepted():
    c = Cluster(brokers=1, seed=0)
    with pytest.raises(ConfigException, match="segment.bytes.*integer >= 14"):
        c.create_topic("a", 1, 1, config={"segment.bytes": 10})
    with pytest.raises(ConfigException, match="cleanup.policy"):
        c.create_topic("a", 1, 1, config={"cleanup.policy": "forever"})
    with pytest.raises(ConfigException, match="retention.ms.*integer >= -1"):
        c.create_topic("a", 1, 1, config={"retention.ms": -5})
    assert "a" not in c.topics()


# -- a consumer overtaken by retention ---------------------------------------------------------------
@pytest.mark.parametrize("policy, expect_first", [("earliest", "log start"), ("latest", "end")])
def test_a_consumer_below_the_log_start_resets_by_auto_offset_reset(policy, expect_first):
    c = cluster(**{"retention.ms": 10_000})
    produce(c, 30)                      # one record a second: retention keeps the last 10 s or so
    start = c.partition_state("events", 0).log_start_offset
    assert 0 < start < 30
    con = c.consumer({"group.id": "slow", "auto.offset.reset": policy, "enable.auto.commit": False})
    con.assign([TopicPartition("events", 0, 0)])
    msgs = con.consume(100, timeout=0.5)
    resets = [e for e in c.trace.events if e.name == "offset.out_of_range"]
    assert resets
    if expect_first == "log start":
        assert msgs and msgs[0].offset() == start
    else:
        assert msgs == []
        assert con.position([TopicPartition("events", 0)])[0].offset == 30


def test_auto_offset_reset_none_raises_for_a_position_below_the_log_start():
    c = cluster(**{"retention.ms": 10_000})
    produce(c, 30)
    con = c.consumer({"group.id": "slow", "auto.offset.reset": "none", "enable.auto.commit": False})
    con.assign([TopicPartition("events", 0, 0)])
    with pytest.raises(KafkaException, match="auto.offset.reset=none"):
        for _ in range(5):
            con.consume(10, timeout=1)


# -- DeleteRecords ---------------------------------------------------------------------------------
def test_delete_records_moves_the_log_start_on_every_replica_and_answers_the_low_watermark():
    c = cluster(**{"retention.ms": -1})
    produce(c, 20)
    assert c.delete_records("events", {0: 7}) == {0: 7}
    st = c.partition_state("events", 0)
    assert st.log_start_offset == 7 and all(r.log_start == 7 for r in st.replicas)
    assert c.list_offsets("events", 0, "earliest").offset == 7
    assert c.delete_records("events", {0: 3}) == {0: 7}          # at or below the log start: a no-op
    assert c.delete_records("events", {0: -1}) == {0: 20}        # -1: the high watermark


def test_delete_records_refuses_offsets_above_the_hw_and_compacted_topics():
    c = cluster(**{"retention.ms": -1})
    produce(c, 5)
    with pytest.raises(KafkaException, match="OFFSET_OUT_OF_RANGE"):
        c.delete_records("events", {0: 6})
    c.create_topic("users", 1, 3, config={"cleanup.policy": "compact"})
    with pytest.raises(KafkaException, match="POLICY_VIOLATION"):
        c.delete_records("users", {0: 0})
    with pytest.raises(ValueError, match="offset >= 0 or -1"):
        c.delete_records("events", {0: -2})
    assert c.partition_state("events", 0).log_start_offset == 0


def test_delete_records_waits_for_a_live_follower_and_times_out_without_it():
    c = cluster(**{"retention.ms": -1})
    produce(c, 10)
    leader = c.partition_state("events", 0).leader
    follower = next(r.broker for r in c.partition_state("events", 0).replicas if r.broker != leader)
    c.cut(leader, follower)
    with pytest.raises(KafkaException, match="REQUEST_TIMED_OUT"):
        deleted_records(c.admin().delete_records({("events", 0): 5}, timeout_ms=2000))
    assert c.partition_state("events", 0).log_start_offset == 5     # the leader moved at once


def test_reading_below_the_log_start_gets_offset_out_of_range_at_once():
    c = cluster(**{"retention.ms": -1})
    produce(c, 10)
    c.delete_records("events", {0: 4})
    con = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    con.assign([TopicPartition("events", 0, 2)])
    msgs = con.consume(20, timeout=3)
    assert [m.offset() for m in msgs] == list(range(4, 10))


# -- a follower left behind -------------------------------------------------------------------------
def test_a_follower_below_the_leaders_log_start_truncates_fully_and_starts_there():
    c = cluster(**{"retention.ms": 10_000})
    produce(c, 5)
    leader = c.partition_state("events", 0).leader
    away = next(r.broker for r in c.partition_state("events", 0).replicas if r.broker != leader)
    c.crash_broker(away)
    produce(c, 30, start=5)
    c.run(20_000)
    start = c.partition_state("events", 0).log_start_offset
    assert start > 5
    c.restart_broker(away)
    c.run(10_000)
    r = c.partition_state("events", 0).replica(away)
    assert r.log_start == start and r.leo == 35 and r.in_isr
    assert [e for e in c.trace.events if e.name == "truncate" and e.fields.get("fully")]


# -- ListOffsets ---------------------------------------------------------------------------------------
def test_list_offsets_by_timestamp_finds_the_first_record_at_or_after_it_in_offset_order():
    c = cluster(**{"retention.ms": -1})
    p = c.producer({"linger.ms": 0})
    for ts in (1000, 5000, 3000, 7000, 6000):
        p.produce("events", key=b"k", value=b"v", timestamp=ts)
        c.run(10)
    p.flush()
    c.run(100)
    assert c.list_offsets("events", 0, 2000).offset == 1          # 5000 at offset 1 comes before 3000
    assert c.list_offsets("events", 0, 6500).offset == 3
    assert c.list_offsets("events", 0, 8000).offset == -1
    found = c.list_offsets("events", 0, "max_timestamp")
    assert (found.offset, found.timestamp) == (3, 7000)
    con = c.consumer({"group.id": "g"})
    got = con.offsets_for_times([TopicPartition("events", 0, 5500), TopicPartition("events", 0, 9000)], timeout=5)
    assert [t.offset for t in got] == [3, -1]


def test_list_offsets_earliest_and_latest_follow_the_log_start_and_the_hw():
    c = cluster(**{"retention.ms": -1})
    produce(c, 8)
    c.delete_records("events", {0: 3})
    assert c.list_offsets("events", 0, "earliest").offset == 3
    assert c.list_offsets("events", 0, "latest").offset == 8
    assert c.list_offsets("events", 0, "earliest_local").offset == 3
    assert c.list_offsets("events", 0, "latest_tiered").offset == -1
    with pytest.raises(ValueError, match="offset spec"):
        c.list_offsets("events", 0, "newest")
