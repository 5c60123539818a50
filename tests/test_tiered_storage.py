"""Tiered storage (KIP-405; kafka-semantics.md T.325-332): copies, local and remote retention, the
two start offsets, remote reads, followers rejoining via OFFSET_MOVED_TO_TIERED_STORAGE,
ListOffsets -2/-4/-5 and the config checks."""
from __future__ import annotations

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.errors import ConfigException, KafkaException
from minikafka.storage.log import PartitionLog
from minikafka.storage.log_config import LogConfig
from minikafka.storage.log_retention import delete_old_segments
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size

FAST = {"remote.log.storage.system.enable": True, "remote.log.manager.task.interval.ms": 1000,
        "log.retention.check.interval.ms": 1000, "log.initial.task.delay.ms": 1000}
TIERED = {"remote.storage.enable": True, "segment.bytes": 1024, "local.retention.ms": 10_000, "retention.ms": 600_000}


def cluster(seed: int = 1, broker: dict | None = None, partitions: int = 1, rf: int = 3, brokers: int = 3,
            **topic) -> Cluster:
    c = Cluster(brokers=brokers, seed=seed, config={**FAST, **(broker or {})})
    c.create_topic("events", partitions, rf, config={**TIERED, **topic})
    return c


def produce(c: Cluster, n: int, every_ms: int = 1000, start: int = 0, partition: int = -1) -> None:
    p = c.producer({"linger.ms": 0})
    for i in range(start, start + n):
        p.produce("events", key=b"k%d" % i, value=b"v%d" % i + b"x" * 48, partition=partition)
        c.run(every_ms)
    p.flush()


def leader(c: Cluster, partition: int = 0):
    st = c.partition_state("events", partition)
    return c.broker(st.leader).replicas[("events", partition)]


def remote(c: Cluster, partition: int = 0):
    return c.remote_storage.segments(("events", partition))


def events(c: Cluster, name: str, node: str | None = None) -> list:
    return c.trace.filter(name, node=node)


def read_all(c: Cluster, n: int, start: int = 0, partition: int = 0, **config) -> list[tuple[int, bytes]]:
    k = c.consumer({"group.id": "reader", **config})
    k.assign([TopicPartition("events", partition, start)])
    got: list[tuple[int, bytes]] = []
    deadline = c.now + 60_000
    while len(got) < n and c.now < deadline:
        got += [(m.offset(), m.value()) for m in k.consume(100, 0.05)]
    k.close()
    return got


def expected(n: int, start: int = 0) -> list[tuple[int, bytes]]:
    return [(i, b"v%d" % i + b"x" * 48) for i in range(start, n)]


# -- copies (T.327) ----------------------------------------------------------------------------
def test_the_leader_copies_whole_inactive_segments_oldest_first_and_never_the_active_one():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    r = leader(c)
    segs = remote(c)
    assert segs and segs[0].base_offset == 0
    assert all(a.end_offset + 1 == b.base_offset for a, b in zip(segs, segs[1:]))
    active = r.log.segments[-1].base_offset
    assert segs[-1].end_offset + 1 == active                  # every rolled segment, not the active one
    assert r.log.highest_offset_in_remote_storage == segs[-1].end_offset
    assert [s.broker_id for s in segs] == [r.broker_id] * len(segs)
    copies = events(c, "remote.copy")
    assert {e.node for e in copies} == {f"b{r.broker_id}"}   # only the leader copies
    copied = [b for e in copies for b in e.fields["segments"]]
    assert copied == [s.base_offset for s in segs]            # each once, oldest first
    stored = [(b.base_offset + i, rec.value) for s in segs for b in s.batches for i, rec in enumerate(b.records)]
    assert stored == expected(active)


def test_segments_above_the_lso_wait_for_the_open_transaction():
    c = cluster(broker={"transaction.max.timeout.ms": 900_000})
    produce(c, 10)
    txn = c.producer({"transactional.id": "t1", "transaction.timeout.ms": 600_000, "linger.ms": 0})
    txn.init_transactions()
    txn.begin_transaction()
    txn.produce("events", value=b"open", partition=0)
    txn.flush()
    first_open = leader(c).log.log_end_offset - 1
    produce(c, 30, start=10)
    c.run(2000)
    r = leader(c)
    assert r.lso == first_open < r.hw
    segs = remote(c)
    assert segs and all(s.end_offset + 1 <= r.lso for s in segs)
    inactive_above = [s for i, s in enumerate(r.log.segments[:-1]) if r.log.segment_end(i) > r.lso]
    assert inactive_above                                     # rolled, but not stable yet: not copied
    txn.commit_transaction()
    c.run(3000)
    r = leader(c)
    assert remote(c)[-1].end_offset + 1 == r.log.segments[-1].base_offset


# -- local retention (T.326, T.328) ------------------------------------------------------------
def test_local_segments_are_deleted_only_after_their_upload():
    c = cluster(broker={"remote.log.manager.task.interval.ms": 60_000})     # copies at ~0 s and ~60 s
    produce(c, 40)
    r = leader(c)
    assert remote(c) == [] and r.log.segments[0].base_offset == 0
    assert events(c, "segment.delete") == []                  # local.retention.ms is long breached
    c.run(60_000 - c.now + 2000)
    r = leader(c)
    segs = remote(c)
    assert segs and r.log.local_log_start_offset > 0
    assert r.log.local_log_start_offset - 1 <= r.log.highest_offset_in_remote_storage
    assert r.log.log_start_offset == 0                        # retention.ms is 600 s
    deletes = [e for e in events(c, "segment.delete") if e.node == f"b{r.broker_id}"]
    assert {e.fields["reason"] for e in deletes} == {"local.retention.ms"}
    assert all(e.fields["log_start"] == 0 for e in deletes)
    first_copy = events(c, "remote.copy")[0].time
    assert all(e.time > first_copy for e in events(c, "segment.delete"))
    for b in c.partition_state("events", 0).replicas:        # followers trim only what they know is uploaded
        rep = c.broker(b.broker).replicas[("events", 0)]
        assert rep.log.local_log_start_offset - 1 <= rep.log.highest_offset_in_remote_storage


def test_local_retention_rolls_a_breached_active_segment_so_it_can_be_uploaded_then_deleted():
    c = cluster()
    produce(c, 3)                                             # one segment, the active one
    c.run(20_000)
    r = leader(c)
    assert [s.base_offset for s in remote(c)] == [0]
    assert r.log.local_log_start_offset == r.log.log_end_offset == 3
    assert len(r.log.segments) == 1 and r.log.segments[0].size == 0 and r.log.log_start_offset == 0
    assert read_all(c, 3) == expected(3)


def test_local_retention_moves_the_local_log_start_and_total_retention_the_log_start():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    r = leader(c)
    assert r.log.log_start_offset == 0 < r.log.local_log_start_offset
    assert c.partition_state("events", 0).log_start_offset == 0
    assert c.list_offsets("events", 0, "earliest").offset == 0
    assert c.list_offsets("events", 0, "earliest_local").offset == r.log.local_log_start_offset
    assert r.log.batches[0].base_offset == r.log.local_log_start_offset


def _tiered_log(n: int, ts: int) -> tuple[PartitionLog, LogConfig]:
    log = PartitionLog()
    log.segment_bytes = 400
    log.remote_log_enabled = True
    for _ in range(n):
        recs = [Record(b"k", b"v" * 78, None, ts)]
        log.append_as_leader(RecordBatch(recs, BATCH_OVERHEAD + record_size(b"k", b"v" * 78), max_timestamp=ts), 0,
                             now=ts)                         # two batches a segment
    return log, LogConfig({"segment.bytes": 400, "segment.ms": 10**9, "segment.jitter.ms": 0, "retention.ms": 5000,
                           "retention.bytes": -1, "cleanup.policy": ("delete",), "local.retention.ms": 1000})


def test_tiered_retention_of_a_hand_made_log_deletes_only_uploaded_segments():
    log, cfg = _tiered_log(6, 0)                              # segments [0,2) [2,4) [4,6)
    assert delete_old_segments(log, hw=6, now=5000, cfg=cfg) == []
    log.highest_offset_in_remote_storage = 1
    assert delete_old_segments(log, hw=6, now=5000, cfg=cfg) == [("local.retention.ms", [0])]
    assert (log.log_start_offset, log.local_log_start_offset) == (0, 2)


def test_local_time_retention_needs_strictly_more_than_local_retention_ms():
    log, cfg = _tiered_log(4, 100)
    log.highest_offset_in_remote_storage = 3
    assert delete_old_segments(log, hw=4, now=1100, cfg=cfg) == []             # now - ts == 1000: kept
    assert delete_old_segments(log, hw=4, now=1101, cfg=cfg) == [("local.retention.ms", [0, 2])]


# -- remote expiration (T.329) -----------------------------------------------------------------
def test_remote_time_retention_deletes_at_max_timestamp_equal_to_now_minus_retention_ms():
    c = cluster(broker={"remote.log.manager.task.interval.ms": 10**9}, **{"retention.ms": 30_000})
    produce(c, 20)
    r = leader(c)
    rlm = c.broker(r.broker_id).remote_log_manager
    rlm.copy_log_segments(r, rlm.tasks[r.tp])                # the periodic runs are days apart: drive them
    first = remote(c)[0]
    c.run(first.max_timestamp + 30_000 - 1 - c.now)
    rlm.cleanup_expired_remote_log_segments(r)
    assert remote(c)[0] is first and r.log.log_start_offset == 0            # now - max timestamp < retention.ms
    c.run(1)
    rlm.cleanup_expired_remote_log_segments(r)                # now - max timestamp == retention.ms: deleted
    assert first not in remote(c) and r.log.log_start_offset == first.end_offset + 1
    e = events(c, "remote.delete")[-1]
    assert e.fields["reason"] == "retention.ms" and e.fields["segments"][0] == first.base_offset
    assert c.list_offsets("events", 0, "earliest").offset == first.end_offset + 1
    c.run(3000)
    assert all(c.broker(v.broker).replicas[r.tp].log.log_start_offset == first.end_offset + 1
               for v in c.partition_state("events", 0).replicas)       # followers adopt it from fetches


def test_remote_size_retention_counts_remote_and_local_only_bytes():
    c = cluster(**{"retention.bytes": 3000, "local.retention.bytes": 1000})
    produce(c, 60)
    c.run(2000)
    r = leader(c)
    segs, log = remote(c), r.log
    assert any(e.fields["reason"] == "retention.bytes" for e in events(c, "remote.delete"))
    local_only = sum(s.size for s in log.segments if s.base_offset >= log.highest_offset_in_remote_storage)
    total = sum(s.size for s in segs) + local_only
    assert 3000 <= total < 3000 + segs[0].size                # never below retention.bytes
    assert log.log_start_offset == segs[0].base_offset
    assert c.list_offsets("events", 0, "earliest").offset == segs[0].base_offset


def test_remote_segments_wholly_below_the_log_start_are_deleted():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    cut = remote(c)[2].base_offset + 1                        # inside the third remote segment
    below = [s.base_offset for s in remote(c)[:2]]
    c.delete_records("events", {0: cut})
    c.run(2000)
    gone = [e for e in events(c, "remote.delete") if e.fields["reason"] == "log-start"]
    assert [b for e in gone for b in e.fields["segments"]] == below
    assert remote(c)[0].base_offset < cut <= remote(c)[0].end_offset      # the one holding the log start stays
    assert read_all(c, 40 - cut, start=cut) == expected(40, cut)


# -- reads (T.330) ------------------------------------------------------------------------------
def test_a_consumer_reads_old_offsets_from_the_remote_tier_the_same_records_at_the_same_offsets():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    r = leader(c)
    assert r.log.local_log_start_offset > 7
    assert read_all(c, 40) == expected(40)
    reads = events(c, "remote.read")
    assert reads and reads[0].fields["offset"] == 0 and reads[0].node == f"b{r.broker_id}"


def _round_trips(c: Cluster, consumer: str) -> list[tuple[str, int]]:
    """(what the fetch asked, how long until its answer arrived) for each fetch of `consumer`."""
    out, asked = [], None
    for e in c.trace.filter(("FetchRequest", "FetchResponse"), node=consumer):
        if e.kind == "send" and e.name == "FetchRequest":
            asked = (e.fields["parts"], e.time)
        elif e.kind == "recv" and e.name == "FetchResponse" and asked is not None:
            out.append((asked[0], e.time - asked[1]))
            asked = None
    return out


@pytest.mark.parametrize("latency", [100, 350])
def test_a_remote_read_comes_later_by_the_object_store_latency(latency: int):
    c = Cluster(brokers=3, seed=1, config={**FAST, "remote.fetch.max.wait.ms": 1000},
                remote_storage_latency_ms=latency)
    c.create_topic("events", 1, 3, config=TIERED)
    produce(c, 40)
    c.run(2000)
    local_start = leader(c).log.local_log_start_offset
    assert read_all(c, 40) == expected(40)
    trips = dict(_round_trips(c, "consumer-1"))
    remote_trip = trips[("events-0@0",)]
    local_trip = trips[(f"events-0@{local_start}",)]
    assert remote_trip == local_trip + latency


def test_past_remote_fetch_max_wait_the_remote_partition_comes_back_empty():
    c = Cluster(brokers=3, seed=1, config={**FAST, "remote.fetch.max.wait.ms": 50}, remote_storage_latency_ms=100)
    c.create_topic("events", 1, 3, config=TIERED)
    produce(c, 40)
    c.run(2000)
    assert read_all(c, 1) == []
    assert events(c, "remote.read") and all(e.fields.get("expired") for e in events(c, "remote.read"))


def test_only_the_first_partition_needing_remote_data_is_read_remotely_per_fetch():
    c = cluster(brokers=1, rf=1, partitions=2)
    for p in (0, 1):
        produce(c, 20, every_ms=500, partition=p)
    c.run(15_000)
    assert remote(c, 0) and remote(c, 1)
    assert all(leader(c, p).log.local_log_start_offset > 0 for p in (0, 1))
    k = c.consumer({"group.id": "g"})
    k.assign([TopicPartition("events", 0, 0), TopicPartition("events", 1, 0)])
    got = []
    while len(got) < 40:
        got += [(m.partition(), m.offset()) for m in k.consume(100, 0.05)]
    assert sorted(got) == [(p, i) for p in (0, 1) for i in range(20)]
    first = [e for e in c.trace.filter("FetchResponse", node="consumer-1") if e.kind == "send"][0]
    with_data = [part for part in first.fields["parts"] if not part.split(":")[1].startswith("0@")]
    assert len(with_data) == 1 and len(first.fields["parts"]) == 2
    reads = events(c, "remote.read")
    assert len({e.time for e in reads}) == len(reads)         # one remote read per fetch


# -- followers (T.331) ----------------------------------------------------------------------------
def test_a_follower_that_was_down_rejoins_via_offset_moved_to_tiered_storage_holding_the_local_tail():
    c = cluster()
    r = leader(c)
    follower = next(v.broker for v in c.partition_state("events", 0).replicas if v.broker != r.broker_id)
    produce(c, 2)
    c.crash_broker(follower)
    produce(c, 50, start=2)
    c.run(2000)
    r = leader(c)
    assert r.log.local_log_start_offset > 2
    c.restart_broker(follower)
    me = f"b{follower}"

    def truncations() -> list:
        return [e for e in c.trace.filter("truncate", node=me) if e.fields.get("why") == "offset moved to tiered storage"]
    while not truncations() and c.now < 120_000:
        c.run(10)
    f = c.broker(follower).replicas[("events", 0)]
    start = truncations()[0].fields["to"]
    assert start == leader(c).log.local_log_start_offset > 2
    assert (f.log.log_start_offset, f.log.local_log_start_offset) == (0, start)
    assert not f.log.batches or f.log.batches[0].base_offset == start     # nothing below it was downloaded
    assert f.log.epochs == [(0, 0)]                             # its epoch cache, rebuilt from remote metadata
    moved = [e for e in c.trace.filter("FetchResponse", node=me) if e.kind == "send"
             and any("OFFSET_MOVED_TO_TIERED_STORAGE" in p for p in e.fields["parts"])]
    asked = [e for e in c.trace.filter("ListOffsetsRequest", node=me) if e.kind == "send" and e.node == me]
    assert moved and asked and asked[0].fields["parts"] == ("events-0:earliest_local",)
    assert moved[0].time < asked[0].time < truncations()[0].time
    c.run(3000)
    assert len(truncations()) == 1 and f.leo == leader(c).leo and follower in c.partition_state("events", 0).isr
    assert [(o, v) for o, _, v in c.log("events", 0, broker=follower)] == expected(52, start)    # the local tail only


# -- ListOffsets (T.311) ---------------------------------------------------------------------------
def test_list_offsets_earliest_earliest_local_and_latest_tiered():
    c = cluster(broker={"remote.log.manager.task.interval.ms": 60_000})
    c.create_topic("plain", 1, 3)
    produce(c, 40)
    assert c.list_offsets("events", 0, "latest_tiered").offset == -1           # nothing copied yet
    c.run(60_000 - c.now + 2000)
    r = leader(c)
    assert c.list_offsets("events", 0, "earliest").offset == 0
    assert c.list_offsets("events", 0, "earliest_local").offset == r.log.local_log_start_offset > 0
    assert c.list_offsets("events", 0, "latest_tiered").offset == remote(c)[-1].end_offset
    assert c.list_offsets("plain", 0, "earliest_local").offset == c.list_offsets("plain", 0, "earliest").offset == 0
    assert c.list_offsets("plain", 0, "latest_tiered").offset == -1


def test_list_offsets_by_timestamp_searches_the_remote_tier_first():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    r = leader(c)
    first = remote(c)[0]
    ts = first.batches[3].max_timestamp
    assert r.log.local_log_start_offset > first.end_offset
    assert c.list_offsets("events", 0, ts).offset == 3


# -- config (T.325-326) ------------------------------------------------------------------------------
def test_a_topic_cannot_turn_tiered_storage_on_while_the_broker_switch_is_off():
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(KafkaException, match="Tiered Storage functionality is disabled in the broker. Topic "
                                             "cannot be configured with remote log storage") as e:
        c.create_topic("events", 1, 1, config={"remote.storage.enable": True})
    assert e.value.args[0].name() == "INVALID_CONFIG" and "events" not in c.topics()


@pytest.mark.parametrize("config, message", [
    ({"cleanup.policy": "compact"}, "Remote log storage only supports topics with cleanup.policy=delete or "
                                    "cleanup.policy being an empty list."),
    ({"cleanup.policy": "delete,compact"}, "Remote log storage only supports topics with cleanup.policy=delete"),
    ({"local.retention.ms": 700_000}, "Invalid value 700000 for configuration local.retention.ms: Value must not "
                                      "be more than retention.ms property value: 600000"),
    ({"local.retention.ms": -1}, "Invalid value -1 for configuration local.retention.ms: Value must not be -1 as "
                                 "retention.ms value is set as 600000."),
    ({"retention.bytes": 5000, "local.retention.bytes": 6000},
     "Invalid value 6000 for configuration local.retention.bytes: Value must not be more than retention.bytes "
     "property value: 5000"),
    ({"retention.bytes": 5000, "local.retention.bytes": -1},
     "Invalid value -1 for configuration local.retention.bytes: Value must not be -1 as retention.bytes value is "
     "set as 5000."),
])
def test_invalid_tiered_topic_configs_are_refused_with_kafkas_messages(config: dict, message: str):
    c = Cluster(brokers=1, seed=1, config=FAST)
    with pytest.raises(KafkaException, match=message.replace(".", r"\.")) as e:
        c.create_topic("events", 1, 1, config={**TIERED, **config})
    assert e.value.args[0].name() == "INVALID_CONFIG" and "events" not in c.topics()


def test_valid_tiered_configs_are_accepted():
    c = Cluster(brokers=1, seed=1, config=FAST)
    c.create_topic("a", 1, 1, config={"remote.storage.enable": True, "cleanup.policy": ""})
    c.create_topic("b", 1, 1, config={"remote.storage.enable": True, "retention.ms": -1, "local.retention.ms": -1})
    c.create_topic("c", 1, 1, config={"remote.storage.enable": True, "local.retention.ms": 1000})
    assert c.topic_config("c")["local.retention.ms"] == 1000 and c.topic_config("a")["local.retention.bytes"] == -2


def test_altering_a_tiered_topic_is_checked_too_and_turning_it_off_is_refused():
    c = cluster(brokers=1, rf=1)
    with pytest.raises(KafkaException, match="It is invalid to disable remote storage without deleting remote data"):
        c.alter_topic_config("events", {"remote.storage.enable": False})
    with pytest.raises(KafkaException, match="Value must not be more than retention.ms property value: 600000"):
        c.alter_topic_config("events", {"local.retention.ms": 600_001})
    with pytest.raises(KafkaException, match="Remote log storage only supports"):
        c.alter_topic_config("events", {"cleanup.policy": "compact"})
    assert c.topic_config("events")["remote.storage.enable"] is True
    assert c.topic_config("events")["local.retention.ms"] == 10_000
    c.alter_topic_config("events", {"local.retention.ms": 600_000})
    assert leader(c).log_config.local_retention_ms == 600_000


def test_an_untiered_topic_turned_on_later_starts_its_tasks():
    c = Cluster(brokers=1, seed=1, config=FAST)
    c.create_topic("events", 1, 1, config={"segment.bytes": 1024, "local.retention.ms": 10_000})
    produce(c, 20)
    assert not leader(c).log.remote_log_enabled and remote(c) == []
    c.alter_topic_config("events", {"remote.storage.enable": True})
    c.run(2000)
    assert leader(c).log.remote_log_enabled and remote(c)


def test_broker_local_retention_is_checked_against_broker_retention_at_startup():
    with pytest.raises(ConfigException, match="Invalid value 700000000 for configuration log.local.retention.ms: "
                                              "Value must not be more than log.retention.ms property value"):
        Cluster(brokers=1, config={**FAST, "log.local.retention.ms": 700_000_000})
    with pytest.raises(ConfigException, match="Did you mean 'log.local.retention.ms'"):
        Cluster(brokers=1, config={"local.retention.ms": 1})
    Cluster(brokers=1, config={"log.local.retention.ms": 700_000_000})        # the switch is off: unchecked


def test_internal_topics_are_never_tiered():
    c = Cluster(brokers=1, seed=1, config={**FAST, "offsets.topic.num.partitions": 1,
                                           "offsets.topic.replication.factor": 1})
    c.create_topic("__remote_log_metadata", 1, 1, config={"remote.storage.enable": True})
    r = c.broker(1).replicas[("__remote_log_metadata", 0)]
    assert r.log_config.remote_storage_enable and not r.log.remote_log_enabled
    assert c.broker(1).remote_log_manager.tasks == {}


@pytest.mark.parametrize("bad, error", [(-1, ValueError), ("100", TypeError), (True, TypeError)])
def test_remote_storage_latency_ms_is_checked(bad, error):
    with pytest.raises(error, match="remote_storage_latency_ms must be an integer >= 0"):
        Cluster(brokers=1, remote_storage_latency_ms=bad)


# -- durability and scheduling -----------------------------------------------------------------------
def test_a_broker_crash_loses_nothing_in_the_remote_tier():
    c = cluster()
    produce(c, 40)
    c.run(2000)
    before = remote(c)
    old = leader(c).broker_id
    c.crash_broker(old, power_loss=True)
    c.run(15_000)
    assert remote(c)[:len(before)] == before
    assert c.partition_state("events", 0).leader != old
    assert read_all(c, 40) == expected(40)
    c.restart_broker(old)
    c.run(10_000)
    assert remote(c)[:len(before)] == before


def test_deleting_a_topic_deletes_its_remote_data():
    c = cluster()
    produce(c, 20)
    c.run(2000)
    assert remote(c)
    c.delete_topic("events")
    assert remote(c) == [] and c.remote_storage.highest_offset(("events", 0)) == -1
    assert all(b.remote_log_manager.tasks == {} for b in c.brokers.values())


def test_brokers_without_tiered_partitions_schedule_nothing():
    c = Cluster(brokers=3, seed=1, config=FAST)
    c.create_topic("events", 1, 1, config=TIERED)
    c.create_topic("plain", 3, 1)
    host = c.partition_state("events", 0).leader
    produce(c, 10)
    for b in c.brokers.values():
        assert (b.remote_log_manager.tasks != {}) == (b.id == host)
    assert {e.node for e in c.trace.filter("remote.*")} <= {f"b{host}"}


def test_the_broker_switch_alone_changes_no_history():
    def run(config: dict) -> tuple[str, int]:
        c = Cluster(brokers=3, seed=3, config=config)
        c.create_topic("plain", 2, 3, config={"segment.bytes": 1024, "retention.ms": 20_000})
        p = c.producer({"linger.ms": 0})
        for i in range(30):
            p.produce("plain", value=b"x" * 60)
            c.run(1000)
        p.flush()
        return c.trace.dumps(), c.sim.events_run
    plain = {"log.retention.check.interval.ms": 1000, "log.initial.task.delay.ms": 1000}
    assert run(plain) == run({**plain, "remote.log.storage.system.enable": True,
                              "remote.log.manager.task.interval.ms": 1000})

