"""Log compaction: the log cleaner (kafka-semantics.md P2.315-322, P.304)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minikafka import Cluster, TopicPartition
from minikafka.errors import ConfigException
from minikafka.server.partition import Replica
from minikafka.storage.log import PartitionLog
from minikafka.storage.log_cleaner import clean, delete_horizon
from minikafka.storage.log_cleaner_manager import LogToClean, filthiest, log_to_clean
from minikafka.storage.log_config import LogConfig
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size

COMPACT = {"cleanup.policy": "compact", "segment.bytes": 1024, "min.cleanable.dirty.ratio": 0.01}
TP = TopicPartition("users", 0)


def cluster(seed: int = 1, brokers: int = 3, broker: dict | None = None, **topic) -> Cluster:
    c = Cluster(brokers=brokers, seed=seed, config={"log.cleaner.backoff.ms": 1000, **(broker or {})})
    c.create_topic("users", 1, min(brokers, 3), config={**COMPACT, **topic})
    return c


def produce(c: Cluster, records, every_ms: int = 10, p=None) -> dict[int, tuple]:
    """Produce (key, value) pairs one by one; offset -> (key, value) of what was acknowledged."""
    written: dict[int, tuple] = {}
    failed: list[str] = []
    p = p if p is not None else c.producer({"linger.ms": 0})

    def done(err, msg) -> None:
        if err is not None:
            failed.append(err.name())
        else:
            written[msg.offset()] = (msg.key(), msg.value())
    for key, value in records:
        p.produce("users", key=key, value=value, on_delivery=done)
        c.run(every_ms)
    p.flush()
    assert not failed, failed
    return written


def keyed(n: int, keys: int = 5, start: int = 0) -> list[tuple[bytes, bytes]]:
    return [(b"k%d" % (i % keys), b"value-%04d" % i) for i in range(start, start + n)]


def latest(written: dict[int, tuple]) -> dict:
    """key -> (offset, value) of its last write; a tombstone deletes the key."""
    out: dict = {}
    for o in sorted(written):
        k, v = written[o]
        if v is None:
            out.pop(k, None)
        else:
            out[k] = (o, v)
    return out


def leader(c: Cluster) -> int:
    return c.partition_state("users", 0).leader


def replica(c: Cluster, b: int | None = None) -> Replica:
    return c.broker(leader(c) if b is None else b).replicas[("users", 0)]


def cleans(c: Cluster, b: int | None = None):
    return c.trace.filter("log.clean", node=f"b{leader(c) if b is None else b}")


def read_all(c: Cluster, isolation: str = "read_uncommitted"):
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": isolation})
    k.assign([TP])
    out = []
    while True:
        got = k.consume(1000, 2.0)
        if not got:
            break
        out.extend(m for m in got if m.error() is None)
    k.close()
    return out


# -- what survives -----------------------------------------------------------------------------
def test_the_latest_record_per_key_survives_at_its_original_offset_and_offsets_have_gaps():
    c = cluster()
    written = produce(c, [(b"once", b"kept")] + keyed(60))
    c.run(20_000)
    log = c.log("users", 0)
    offsets = [o for o, _, _ in log]
    assert cleans(c)
    assert offsets == sorted(set(offsets)) and len(offsets) < 61
    assert offsets[0] == 0 and offsets[1] > 1                                  # a gap after offset 0
    assert all(written[o] == (k, v) for o, k, v in log)                         # offsets never move
    assert {o for o, _ in latest(written).values()} <= set(offsets)
    checkpoint = replica(c).log.cleaner_checkpoint
    cleaned = [k for o, k, _ in log if o < checkpoint]
    assert checkpoint > 0 and len(cleaned) == len(set(cleaned))                 # one record per key below it


def test_a_consumer_reading_a_compacted_topic_from_0_gets_the_latest_value_per_key_at_its_offset():
    c = cluster()
    written = produce(c, keyed(80, keys=7))
    c.run(20_000)
    got = read_all(c)
    final = {m.key(): (m.offset(), m.value()) for m in got}
    assert final == latest(written)
    assert [m.offset() for m in got] == [o for o, _, _ in c.log("users", 0)]
    assert len(got) < 80


def test_the_active_segment_is_never_cleaned():
    c = cluster()
    produce(c, keyed(60))
    c.run(20_000)
    active = c.segments("users", 0)[leader(c)][-1]
    assert active.active and active.base_offset > 0
    log = c.log("users", 0)
    tail = [(o, k) for o, k, _ in log if o >= active.base_offset]
    assert [o for o, _ in tail] == list(range(active.base_offset, active.end_offset))
    assert len({k for _, k in tail}) < len(tail)             # duplicates kept there
    assert replica(c).log.cleaner_checkpoint <= active.base_offset


def test_nothing_at_or_above_the_lso_is_cleaned_while_a_transaction_is_open():
    c = cluster()
    produce(c, keyed(40))
    t = c.producer({"transactional.id": "tx", "transaction.timeout.ms": 900_000, "linger.ms": 0})
    t.init_transactions()
    t.begin_transaction()
    t.produce("users", key=b"open", value=b"pending")
    c.run(100)
    produce(c, keyed(60, start=40))
    c.run(30_000)
    r = replica(c)
    lso = r.lso
    assert lso < r.hw and cleans(c)
    above = [o for o, _, _ in c.log("users", 0) if o >= lso]
    assert above == list(range(lso, r.leo))                  # untouched, duplicates and all
    assert r.log.cleaner_checkpoint <= lso
    t.commit_transaction()
    c.run(30_000)
    assert len([o for o, _, _ in c.log("users", 0) if o >= lso]) < len(above)


# -- tombstones and transactions ----------------------------------------------------------------
def dirty_until(c: Cluster, until: int, start: int = 1000) -> None:
    """Keep writing (a segment every 5 s) so that the cleaner keeps finding dirty segments."""
    i = start
    while c.sim.now < until:
        produce(c, keyed(12, start=i))
        i += 12
        c.run(5_000)


def test_a_tombstone_lives_delete_retention_ms_after_the_first_pass_that_cleaned_it_then_vanishes():
    c = cluster(**{"delete.retention.ms": 60_000})
    written = produce(c, [(b"gone", b"x")] + keyed(10) + [(b"gone", None)] + keyed(40, start=10))
    tomb = next(o for o, (k, v) in written.items() if k == b"gone" and v is None)
    c.run(20_000)
    first = next(e for e in cleans(c) if e.fields["range"][1] > tomb)
    horizon = first.time + 60_000
    assert (tomb, b"gone", None) in c.log("users", 0)
    assert not [o for o, k, v in c.log("users", 0) if k == b"gone" and v is not None]
    dirty_until(c, horizon - 3_000)
    assert any(first.time < e.time < horizon for e in cleans(c))
    assert (tomb, b"gone", None) in c.log("users", 0)
    dirty_until(c, horizon + 10_000, start=2000)
    assert any(e.time >= horizon and e.fields["tombstones_removed"] for e in cleans(c))
    assert not [o for o, k, _ in c.log("users", 0) if k == b"gone"]


def abort_marker(r: Replica) -> list[RecordBatch]:
    return [b for b in r.log.batches if b.control and b.control_type == "ABORT"]


def test_aborted_records_go_at_the_first_pass_and_their_abort_marker_after_delete_retention_ms():
    c = cluster(**{"delete.retention.ms": 30_000})
    produce(c, [(b"first", b"kept")])           # a batch below the transaction: fetches from 0 start here
    t = c.producer({"transactional.id": "tx", "linger.ms": 0})
    t.init_transactions()
    t.begin_transaction()
    for i in range(3):
        t.produce("users", key=b"aborted-%d" % i, value=b"no")
    t.flush()
    t.abort_transaction()
    t.begin_transaction()
    t.produce("users", key=b"committed", value=b"yes")
    t.commit_transaction()
    assert [k for _, k, _ in c.log("users", 0)] == [b"first", b"aborted-0", b"aborted-1", b"aborted-2", b"committed"]
    produce(c, keyed(60))
    c.run(20_000)
    assert not [k for _, k, _ in c.log("users", 0) if k.startswith(b"aborted")]
    first = cleans(c)[0]
    assert first.fields["aborted_removed"] == 3
    marker = abort_marker(replica(c))
    assert marker                                                # the first pass saw the aborted batches:
    assert delete_horizon(marker[0]) == -1 or delete_horizon(marker[0]) - 30_000 > first.time   # a later one stamped it
    dirty_until(c, c.sim.now + 60_000)
    assert not abort_marker(replica(c))
    assert any(e.fields["markers_removed"] for e in cleans(c))
    final = {m.key(): m.value() for m in read_all(c, "read_committed")}
    assert final[b"first"] == b"kept" and final[b"committed"] == b"yes"
    assert not [k for k in final if k.startswith(b"aborted")]
    assert final == {k: v for k, (_, v) in latest({o: (k, v) for o, k, v in c.log("users", 0)}).items()}


def test_keyless_records_already_in_a_log_switched_to_compact_are_dropped_by_the_next_cleaning():
    c = cluster(**{"cleanup.policy": "delete"})
    produce(c, [(None, b"no key %d" % i) for i in range(20)] + [(b"k", b"kept")] + keyed(30))
    c.run(20_000)
    assert not cleans(c) and len(c.log("users", 0)) == 51
    c.alter_topic_config("users", {"cleanup.policy": "compact"})
    c.run(20_000)
    log = c.log("users", 0)
    assert cleans(c) and (20, b"k", b"kept") in log
    assert not [o for o, k, _ in log if k is None]


def test_cleaned_segments_are_regrouped_within_segment_bytes_keeping_the_first_base_offset():
    c = cluster()
    produce(c, keyed(120))
    before = [s.base_offset for s in c.segments("users", 0)[leader(c)] if s.base_offset < 120]
    dirty_until(c, c.sim.now + 30_000)
    segs = c.segments("users", 0)[leader(c)]
    assert all(s.size <= 1024 for s in segs)
    after = [s.base_offset for s in segs if s.base_offset < 120]
    assert set(after) <= set(before) and len(after) < len(before) / 2


# -- when a log is cleaned -------------------------------------------------------------------------
def test_a_log_whose_dirty_ratio_is_not_above_min_cleanable_dirty_ratio_is_not_cleaned():
    c = cluster(**{"min.cleanable.dirty.ratio": 0.5})
    produce(c, [(b"u%d" % i, b"value-%04d" % i) for i in range(50)])      # no duplicates: all stays
    c.run(20_000)
    assert len(cleans(c)) == 1
    produce(c, keyed(12))                                                  # one more segment: ratio < 0.5
    c.run(60_000)
    assert len(cleans(c)) == 1
    produce(c, keyed(60))
    c.run(20_000)
    assert len(cleans(c)) == 2 and cleans(c)[1].fields["ratio"] > 0.5


def test_max_compaction_lag_ms_forces_a_log_below_the_dirty_ratio():
    c = cluster(**{"min.cleanable.dirty.ratio": 1.0, "max.compaction.lag.ms": 60_000})
    produce(c, keyed(60))
    c.run(40_000)
    assert not cleans(c) and len(c.log("users", 0)) == 60
    c.run(40_000)
    assert cleans(c) and cleans(c)[0].fields["forced"]
    assert len(c.log("users", 0)) < 60


def test_max_compaction_lag_ms_caps_segment_ms_of_a_compacted_topic():
    c = cluster(**{"segment.bytes": 10**6, "max.compaction.lag.ms": 5_000})
    produce(c, keyed(3), every_ms=3_000)
    assert [s.base_offset for s in c.segments("users", 0)[leader(c)]] == [0, 2]


def test_min_compaction_lag_ms_holds_back_recent_segments():
    c = cluster(**{"min.compaction.lag.ms": 60_000})
    produce(c, keyed(60))
    c.run(40_000)
    assert not cleans(c)
    produce(c, keyed(60, start=60))                       # written at about 40 s
    c.run(40_000)                                         # 80 s: only the first writes are old enough
    events = cleans(c)
    assert len(events) == 1 and 0 < events[0].fields["range"][1] <= 60
    c.run(60_000)
    assert cleans(c)[-1].fields["range"][1] > 60


# -- replicas, switches, restarts ------------------------------------------------------------------
def test_followers_compact_their_own_logs():
    c = cluster()
    written = produce(c, keyed(60))
    c.run(20_000)
    for b in (1, 2, 3):
        assert cleans(c, b), f"broker {b} cleaned nothing"
        log = c.log("users", 0, broker=b)
        assert len(log) < 60 and all(written[o] == (k, v) for o, k, v in log)
        assert replica(c, b).log.cleaner_checkpoint > 0


def test_with_log_cleaner_enable_false_compacted_logs_are_neither_compacted_nor_trimmed():
    topic = {"cleanup.policy": "compact,delete", "retention.ms": 1_000}
    on, off = cluster(**topic), cluster(broker={"log.cleaner.enable": False}, **topic)
    for c in (on, off):
        produce(c, keyed(60))
        c.run(60_000)
    assert not off.trace.filter("log.clean") and not off.trace.filter("segment.delete")
    assert len(off.log("users", 0)) == 60 and replica(off).log.log_start_offset == 0
    assert on.trace.filter("log.clean") and replica(on).log.log_start_offset > 0


def test_an_idempotent_producer_goes_on_after_compaction_and_a_restart():
    c = cluster(brokers=1)
    p = c.producer({"linger.ms": 0, "enable.idempotence": True})
    produce(c, [(b"mine-0", b"a"), (b"mine-1", b"b")], p=p)     # p's last batch holds mine-1
    written = produce(c, [(b"mine-1", b"overwritten")] + keyed(40))
    c.run(20_000)
    keys = [k for _, k, _ in c.log("users", 0)]
    assert b"mine-0" in keys and keys.count(b"mine-1") == 1      # p's last batch was compacted away
    c.crash_broker(1)
    c.run(1_000)
    c.restart_broker(1)                                             # rebuilds its producer state from its log
    c.run(10_000)
    since = c.sim.now
    after = produce(c, [(b"mine-2", b"c")], p=p)
    assert list(after.values()) == [(b"mine-2", b"c")] and max(after) > max(written)
    assert "OUT_OF_ORDER_SEQUENCE_NUMBER" not in c.trace.dumps(c.trace.filter(since=since))
    assert not c.trace.filter("producer.epoch_bump")


# -- the cleaner's parts ---------------------------------------------------------------------------
def test_the_filthiest_eligible_log_is_cleaned_first_and_ties_go_by_name():
    def ltc(topic: str, clean: int, dirty: int, ratio: float = 0.5) -> LogToClean:
        return LogToClean((topic, 0), 0, 0, clean, dirty, False, ratio)
    assert filthiest([ltc("a", 50, 50), ltc("b", 10, 90), ltc("c", 0, 0)]).tp == ("b", 0)
    assert filthiest([ltc("b", 10, 90), ltc("a", 10, 90)]).tp == ("a", 0)
    assert filthiest([ltc("a", 50, 50)]) is None                  # 0.5 is not above 0.5


def test_min_cleanable_dirty_ratio_is_a_number_between_0_and_1():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("ok", 1, 1, config={"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.25"})
    for bad in (1.5, -0.1, "half", True):
        with pytest.raises(ConfigException, match="min.cleanable.dirty.ratio.*a number >= 0 and <= 1"):
            c.create_topic("bad", 1, 1, config={"min.cleanable.dirty.ratio": bad})
    with pytest.raises(ConfigException, match="max.compaction.lag.ms"):
        c.create_topic("bad", 1, 1, config={"max.compaction.lag.ms": 0})


# -- properties ------------------------------------------------------------------------------------
CFG = {"segment.bytes": 300, "segment.ms": 10**12, "segment.jitter.ms": 0, "retention.ms": -1,
       "retention.bytes": -1, "cleanup.policy": ("compact",), "min.cleanable.dirty.ratio": 0.0,
       "delete.retention.ms": 50}


def storage_log(batches) -> PartitionLog:
    """batches: lists of (key, value) appended at 1 ms intervals, producer ids 0-2 with sequences."""
    log = PartitionLog()
    log.segment_bytes = CFG["segment.bytes"]
    seqs = [0, 0, 0]
    for t, recs in enumerate(batches):
        pid = t % 3
        records = [Record(k, v, None, t) for k, v in recs]
        size = BATCH_OVERHEAD + sum(record_size(k, v) for k, v in recs)
        log.append_as_leader(RecordBatch(records, size, producer_id=pid, producer_epoch=0, base_sequence=seqs[pid],
                                         max_timestamp=t), 0, now=t)
        seqs[pid] += len(recs)
    return log


def passes(log: PartitionLog, r: Replica, times) -> None:
    cfg = LogConfig(CFG)
    for now in times:
        ltc = log_to_clean(("t", 0), log, log.log_end_offset, now, cfg)
        if ltc.eligible:
            last = {pid: (e.batches[-1][3] if e.batches else -1, e.epoch)
                    for pid, e in r.producer_state.producers.items()}
            clean(log, ltc, now, cfg.delete_retention_ms, cfg.segment_bytes, [], last)


keys = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f"])
values = st.one_of(st.none(), st.binary(min_size=1, max_size=8))
batches = st.lists(st.lists(st.tuples(keys, values), min_size=1, max_size=3), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(batches, st.lists(st.integers(0, 200), min_size=1, max_size=5))
def test_compaction_keeps_the_final_key_value_map_and_increasing_offsets(spec, gaps):
    log = storage_log(spec)
    original = {b.base_offset + i: (rec.key, rec.value) for b in log.batches for i, rec in enumerate(b.records)}
    r = Replica(1, "t", 0)
    r.log = log
    r.rebuild_state()
    times, now = [], len(spec)
    for g in gaps:
        now += g
        times.append(now)
    passes(log, r, times)
    read = [(b.base_offset + i, rec.key, rec.value) for b in log.batches for i, rec in enumerate(b.records)]
    offsets = [o for o, _, _ in read]
    assert all(a < b for a, b in zip(offsets, offsets[1:]))
    assert all(original[o] == (k, v) for o, k, v in read)
    assert latest({o: (k, v) for o, k, v in read}) == latest(original)
    assert sum(s.size for s in log.segments) == sum(b.size for b in log.batches)
    assert all(delete_horizon(b) == -1 or b.base_offset < log.cleaner_checkpoint for b in log.batches)
    last_seqs = {pid: e.last_sequence for pid, e in r.producer_state.producers.items()}
    r.rebuild_state()                                   # what a restart rebuilds from the compacted log
    assert {pid: e.last_sequence for pid, e in r.producer_state.producers.items()} == last_seqs
