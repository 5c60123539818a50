"""Size limits and timestamp rules on the produce and fetch paths (kafka-semantics.md Q.333-339,
P2.323): the producer's max.request.size, the leader's batch checks (server/log_validator.py),
and LogAppendTime; the fetch path's limits are in test_fetch_limits.py."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaError, KafkaException, TopicPartition
from minikafka.clients.message import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME
from minikafka.config import TOPIC
from minikafka.errors import ConfigException
from minikafka.server.log_validator import check_batch
from minikafka.storage.log_config import LIMIT_DEFAULTS, LogConfig
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size

HOUR = 3_600_000


def value_for(batch_size: int) -> bytes:
    """A value whose record, alone in a keyless batch, makes a batch of `batch_size` bytes."""
    return b"x" * (batch_size - BATCH_OVERHEAD - record_size(None, b""))


class Reports:
    """Delivery reports in arrival order: (value, error name or None, offset, (type, timestamp), error text)."""

    def __init__(self) -> None:
        self.got: list[tuple] = []

    def __call__(self, err, msg) -> None:
        self.got.append((msg.value(), err.name() if err else None, msg.offset(), msg.timestamp(),
                         err.str() if err else None))

    def errors(self) -> list[str | None]:
        return [g[1] for g in self.got]


def cluster(brokers: int = 1, config: dict | None = None, **topic) -> Cluster:
    c = Cluster(brokers=brokers, seed=4, config=config)
    c.create_topic("t", 1, brokers, config=topic)
    return c


def leader_batches(c: Cluster, topic: str = "t", broker: int | None = None) -> list[RecordBatch]:
    b = broker if broker is not None else c.partition_state(topic, 0).leader
    return [x for x in c.broker(b).replicas[(topic, 0)].log.batches if not x.control]


def sends(c: Cluster, name: str) -> list:
    return c.trace.filter(name=name, kind="send")


# -- the producer's max.request.size (Q.333) --------------------------------------------------------
@pytest.mark.parametrize("size, error", [(1000, None), (1001, "MSG_SIZE_TOO_LARGE")])
def test_a_record_over_max_request_size_fails_at_once_and_is_never_sent(size, error):
    c = cluster()
    p = c.producer({"max.request.size": 1000, "linger.ms": 0})
    p.produce("t", value=b"first")                            # the metadata first: produce() needs it
    p.flush()
    r = Reports()
    start = c.now
    p.produce("t", value=value_for(size), on_delivery=r)
    if error:
        assert p.poll(0) == 1 and c.now == start             # served without waiting, nothing queued
        assert len(p) == 0 and len(sends(c, "ProduceRequest")) == 1           # only "first"'s
        assert r.errors() == [error]
        assert r.got[0][4] == (f"The message is {size} bytes when serialized which is larger than 1000, "
                               "which is the value of the max.request.size configuration.")
        assert p.failed == 1
    else:
        p.flush()
        assert r.errors() == [None]


@pytest.mark.parametrize("size, error", [(1000, None), (1001, "MSG_SIZE_TOO_LARGE")])
def test_a_record_over_buffer_memory_fails_at_once_instead_of_blocking(size, error):
    c = cluster()
    p = c.producer({"buffer.memory": 1000, "linger.ms": 0})
    r = Reports()
    p.produce("t", value=value_for(size), on_delivery=r)
    p.flush()
    assert r.errors() == [error]
    if error:
        assert "buffer.memory 1000" in r.got[0][4]


def test_a_record_over_max_request_size_inside_a_transaction_makes_it_abortable():
    c = cluster(3)
    p = c.producer({"transactional.id": "tx", "max.request.size": 500})
    p.init_transactions()
    p.begin_transaction()
    r = Reports()
    p.produce("t", value=b"ok", on_delivery=r)
    p.produce("t", value=value_for(501), on_delivery=r)
    with pytest.raises(KafkaException) as exc:
        p.commit_transaction()
    assert exc.value.args[0].txn_requires_abort() and exc.value.args[0].name() == "MSG_SIZE_TOO_LARGE"
    p.abort_transaction()
    assert "MSG_SIZE_TOO_LARGE" in r.errors()


# -- the leader's size limits (Q.334) ---------------------------------------------------------------
@pytest.mark.parametrize("size, error", [(300, None), (301, "MSG_SIZE_TOO_LARGE")])
def test_a_batch_over_the_topics_max_message_bytes_gets_code_10(size, error):
    c = cluster(**{"max.message.bytes": 300})
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=value_for(size), on_delivery=r)
    p.flush()
    assert r.errors() == [error]
    if error:
        assert KafkaError(error).code() == 10
        assert r.got[0][4] == ("The record batch size in the append to t-0 is 301 bytes, over "
                               "max.message.bytes (300).")
        assert leader_batches(c) == [] and c.trace.filter(name="produce.retry") == []


def test_the_brokers_message_max_bytes_applies_unless_the_topic_sets_max_message_bytes():
    c = cluster(config={"message.max.bytes": 300})
    c.create_topic("big", 1, 1, config={"max.message.bytes": 1000})
    assert c.topic_config("t")["max.message.bytes"] == 300
    p = c.producer({"linger.ms": 0})
    r, big = Reports(), Reports()
    p.produce("t", value=value_for(301), on_delivery=r)
    p.produce("big", value=value_for(301), on_delivery=big)
    p.flush()
    assert (r.errors(), big.errors()) == (["MSG_SIZE_TOO_LARGE"], [None])


@pytest.mark.parametrize("size, error", [(400, None), (401, "RECORD_LIST_TOO_LARGE")])
def test_a_batch_over_segment_bytes_gets_record_list_too_large(size, error):
    c = cluster(**{"segment.bytes": 400})
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=value_for(size), on_delivery=r)
    p.flush()
    assert r.errors() == [error]
    if error:
        assert KafkaError(error).code() == 18 and "segment.bytes 400" in r.got[0][4]


def test_a_too_large_batch_of_many_records_is_split_and_delivered_in_order_without_a_retry():
    c = cluster(**{"max.message.bytes": 700})
    p = c.producer({"linger.ms": 100, "retries": 0})           # no retry to spend
    r = Reports()
    values = [b"%02d" % i + b"." * 98 for i in range(10)]      # 10 x 121 bytes: one 1271-byte batch
    for v in values:
        p.produce("t", value=v, on_delivery=r)
    p.flush()
    assert [g[:3] for g in r.got] == [(v, None, i) for i, v in enumerate(values)]
    splits = c.trace.filter(name="produce.split")
    assert splits and splits[0].fields["records"] == 10
    assert all(b.size <= 700 for b in leader_batches(c))
    assert c.trace.filter(name="produce.retry") == []


def test_a_split_keeps_idempotence_the_parts_share_the_batchs_sequences():
    c = cluster(3, **{"max.message.bytes": 700, "min.insync.replicas": 2})
    p = c.producer({"linger.ms": 100})
    r = Reports()
    for i in range(10):
        p.produce("t", value=b"%02d" % i + b"." * 98, on_delivery=r)
    p.flush()
    for i in range(10, 14):                                   # later batches continue the sequence
        p.produce("t", value=b"%02d" % i, on_delivery=r)
    p.flush()
    assert r.errors() == [None] * 14 and [g[2] for g in r.got] == list(range(14))
    batches = leader_batches(c)
    seqs = [(b.base_sequence, b.count) for b in batches]
    assert [s for s, _ in seqs] == [sum(n for _, n in seqs[:i]) for i in range(len(seqs))]
    assert {b.producer_epoch for b in batches} == {0} and len({b.producer_id for b in batches}) == 1
    assert c.trace.filter(name="producer.epoch_bump") == []
    for broker in (1, 2, 3):
        assert [v for _, _, v in c.log("t", 0, broker)][:2] == [b"00" + b"." * 98, b"01" + b"." * 98]


def test_a_split_batch_with_a_later_batch_in_flight_keeps_the_order():
    c = cluster(3, **{"max.message.bytes": 400})
    p = c.producer({"linger.ms": 0, "batch.size": 500})
    big = [b"%02d" % i + b"." * 98 for i in range(4)]
    r = Reports()
    p.produce("t", value=b"warm", on_delivery=r)
    p.flush()
    for v in big:               # a closed batch of three (424 bytes, too large), one of 1 + "after"
        p.produce("t", value=v, on_delivery=r)
    p.produce("t", value=b"after", on_delivery=r)
    p.flush()
    assert r.errors() == [None] * 6
    assert [v for _, _, v in c.log("t", 0)] == [b"warm", *big, b"after"]
    assert c.trace.filter(name="produce.split")


def test_a_single_record_batch_over_the_limit_fails_without_a_retry():
    c = cluster(3, **{"max.message.bytes": 200})
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=value_for(201), on_delivery=r)
    p.flush()
    p.produce("t", value=b"small", on_delivery=r)
    p.flush()
    assert r.errors() == ["MSG_SIZE_TOO_LARGE", None]
    assert c.trace.filter(name="produce.retry") == [] and c.trace.filter(name="produce.split") == []


def test_followers_copy_what_the_leader_accepted_without_checking_it():
    c = cluster(3, **{"min.insync.replicas": 1})
    leader = c.partition_state("t", 0).leader
    p = c.producer({"linger.ms": 0, "acks": 1})
    p.produce("t", value=value_for(500))
    p.flush()
    follower = [b for b in (1, 2, 3) if b != leader][0]
    c.stop_broker(follower)
    p.produce("t", value=value_for(500))
    p.flush()
    c.alter_topic_config("t", {"max.message.bytes": 100})      # lower than what the leader holds
    c.restart_broker(follower)
    c.run(20_000)
    assert len(c.log("t", 0, follower)) == 2


def test_coordinator_writes_and_transaction_markers_are_not_checked():
    c = cluster(3, config={"message.max.bytes": 0})           # every client batch is too large
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()                                     # writes __transaction_state
    p.begin_transaction()
    p.produce("t", value=b"v")
    p.flush()
    p.abort_transaction()                                     # ABORT markers are written
    k = c.consumer({"group.id": "g"})
    k.assign([TopicPartition("t", 0)])
    k.commit(offsets=[TopicPartition("t", 0, 0)], asynchronous=False)   # writes __consumer_offsets
    assert k.committed([TopicPartition("t", 0)], timeout=5)[0].offset == 0
    assert [b.control_type for b in c.broker(c.partition_state("t", 0).leader).replicas[("t", 0)].log.batches
            if b.control] == ["ABORT"]                        # the marker, not checked, landed


# -- LogAppendTime (Q.338) --------------------------------------------------------------------------
def test_log_append_time_stamps_the_leaders_clock_on_every_record_and_the_report():
    c = cluster(3, **{"message.timestamp.type": "LogAppendTime"})
    c.run(5_000)
    p = c.producer({"linger.ms": 20})
    r = Reports()
    for ts in (111, 222, 333):
        p.produce("t", value=b"v%d" % ts, timestamp=ts, on_delivery=r)
    p.flush()
    (batch,) = leader_batches(c)
    stamp = batch.max_timestamp
    assert stamp > 5_000 and [rec.timestamp for rec in batch.records] == [stamp] * 3
    assert [g[3] for g in r.got] == [(TIMESTAMP_LOG_APPEND_TIME, stamp)] * 3
    c.run(2_000)
    for broker in (1, 2, 3):
        (copy,) = leader_batches(c, broker=broker)
        assert [rec.timestamp for rec in copy.records] == [stamp] * 3
        assert copy.log_append_time                     # followers copy the timestamp type with the batch
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    assert [m.timestamp() for m in k.consume(10, 2.0)] == [(TIMESTAMP_LOG_APPEND_TIME, stamp)] * 3


def test_a_consumer_reads_the_timestamp_type_each_batch_carries():
    c = cluster(config={"log.message.timestamp.type": "LogAppendTime"})
    c.create_topic("own", 1, 1, config={"message.timestamp.type": "CreateTime"})
    c.run(5_000)
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"stamped", timestamp=7)
    p.produce("own", value=b"kept", timestamp=7)
    p.flush()
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0), TopicPartition("own", 0)])
    got = {m.value(): m.timestamp() for m in k.consume(10, 2.0)}
    assert got[b"kept"] == (TIMESTAMP_CREATE_TIME, 7)
    assert got[b"stamped"][0] == TIMESTAMP_LOG_APPEND_TIME and got[b"stamped"][1] > 5_000


def test_a_share_consumer_reports_log_append_time_too():
    c = cluster(3, **{"message.timestamp.type": "LogAppendTime"})
    c.run(5_000)
    p = c.producer({"linger.ms": 0})
    p.produce("t", value=b"a", timestamp=1)
    p.flush()
    stamp = leader_batches(c)[0].max_timestamp
    c.alter_group_config("s", {"share.auto.offset.reset": "earliest"})
    k = c.share_consumer({"group.id": "s"})
    k.subscribe(["t"])
    got = []
    for _ in range(20):
        got += k.consume(10, 0.5)
    assert [m.timestamp() for m in got] == [(TIMESTAMP_LOG_APPEND_TIME, stamp)]



def test_every_copy_of_a_stamped_batch_keeps_its_timestamp_type():
    from minikafka.server.replica_fetcher import _tail
    from minikafka.storage.log_cleaner import last_record, records_between
    recs = [Record(b"k%d" % i, b"v", None, 9) for i in range(3)]
    batch = RecordBatch(recs, BATCH_OVERHEAD + 3 * record_size(b"k0", b"v"), max_timestamp=9,
                        log_append_time=True).stored(10, 2)
    copies = {"stored": batch, "head": batch.head(2), "follower's tail": _tail(batch, 11),
              "cleaner's part": records_between(batch, 1, 2, -1), "cleaner's last record": last_record(batch)}
    assert {name: copy.log_append_time for name, copy in copies.items()} == dict.fromkeys(copies, True)


def test_create_time_keeps_the_producers_timestamps():
    c = cluster()
    c.run(5_000)
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=b"a", timestamp=1234, on_delivery=r)
    p.flush()
    assert r.got[0][3] == (TIMESTAMP_CREATE_TIME, 1234)
    assert [rec.timestamp for rec in leader_batches(c)[0].records] == [1234]


def test_the_brokers_log_message_timestamp_type_applies_unless_the_topic_sets_its_own():
    c = cluster(config={"log.message.timestamp.type": "LogAppendTime"})
    c.create_topic("own", 1, 1, config={"message.timestamp.type": "CreateTime"})
    c.run(5_000)
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=b"a", timestamp=1, on_delivery=r)
    p.produce("own", value=b"b", timestamp=1, on_delivery=r)
    p.flush()
    assert sorted(g[3][0] for g in r.got) == [TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME]


def test_a_duplicate_under_log_append_time_reports_the_first_appends_time():
    c = cluster(3, **{"message.timestamp.type": "LogAppendTime"})
    p = c.producer({"linger.ms": 0, "request.timeout.ms": 5_000})
    c.drop("ProduceResponse", count=1)
    r = Reports()
    p.produce("t", value=b"once", on_delivery=r)
    p.flush()
    (batch,) = leader_batches(c)
    (dup,) = c.trace.filter(name="produce.duplicate")
    assert dup.time > batch.max_timestamp
    assert r.got[0][1:4] == (None, 0, (TIMESTAMP_LOG_APPEND_TIME, batch.max_timestamp))


# -- CreateTime timestamp window (Q.339) ------------------------------------------------------------
def limits(**kw) -> LogConfig:
    base = {"segment.bytes": 2**30, "segment.ms": 1, "segment.jitter.ms": 0, "retention.ms": -1,
            "retention.bytes": -1, "cleanup.policy": ("delete",)}
    return LogConfig({**base, **kw})


def batch_of(*timestamps: int, key: bytes | None = b"k") -> RecordBatch:
    recs = [Record(key, b"v", None, ts) for ts in timestamps]
    return RecordBatch(recs, BATCH_OVERHEAD + sum(record_size(key, b"v") for _ in recs))


@pytest.mark.parametrize("ts, ok", [(10_000 + HOUR, True), (10_001 + HOUR, False), (-1, True)])
def test_a_record_more_than_after_max_ms_ahead_of_the_leader_is_refused(ts, ok):
    got = check_batch(("t", 0), batch_of(ts), limits(), 10_000)
    assert got is None if ok else got[0] == "INVALID_TIMESTAMP"


@pytest.mark.parametrize("ts, ok", [(9_000, True), (8_999, False)])
def test_a_record_more_than_before_max_ms_behind_the_leader_is_refused(ts, ok):
    got = check_batch(("t", 0), batch_of(ts), limits(**{"message.timestamp.before.max.ms": 1000}), 10_000)
    assert got is None if ok else got == (
        "INVALID_TIMESTAMP", f"Timestamp {ts} of the record at index 0 of the batch is out of range: t-0 accepts "
        "timestamps within [9000, 3610000] (message.timestamp.before.max.ms and message.timestamp.after.max.ms "
        "around the leader's clock, 10000).")


def test_one_bad_timestamp_refuses_the_whole_batch_and_nothing_changes():
    c = cluster(3)
    c.run(10_000)
    p = c.producer({"linger.ms": 50})
    r = Reports()
    p.produce("t", value=b"fine", on_delivery=r)
    p.produce("t", value=b"future", timestamp=c.now + 2 * HOUR, on_delivery=r)    # the default window: 1 h
    p.flush()
    assert r.errors() == ["INVALID_TIMESTAMP", "INVALID_TIMESTAMP"]
    assert KafkaError("INVALID_TIMESTAMP").code() == 32 and "accepts timestamps within" in r.got[0][4]
    assert leader_batches(c) == []
    p.produce("t", value=b"later", on_delivery=r)
    p.flush()
    assert r.errors()[-1] is None and [v for _, _, v in c.log("t", 0)] == [b"later"]


def test_the_timestamp_window_follows_the_brokers_synonyms_and_the_topics_own_keys():
    c = cluster(config={"log.message.timestamp.before.max.ms": 1000})
    c.create_topic("lenient", 1, 1, config={"message.timestamp.before.max.ms": 10 * HOUR})
    c.run(60_000)
    p = c.producer({"linger.ms": 0})
    r = Reports()
    for topic, value, age in (("t", b"old", 30_000), ("lenient", b"old", 30_000), ("t", b"recent", 10)):
        p.produce(topic, value=value, timestamp=c.now - age, on_delivery=r)
        p.flush()
    assert r.errors() == ["INVALID_TIMESTAMP", None, None]


def test_timestamps_are_not_checked_under_log_append_time():
    c = cluster(**{"message.timestamp.type": "LogAppendTime"})
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=b"far", timestamp=c.now + 10 * HOUR, on_delivery=r)
    p.flush()
    assert r.errors() == [None] and r.got[0][3][0] == TIMESTAMP_LOG_APPEND_TIME


# -- keyless records on a compacted topic (P2.323) --------------------------------------------------
@pytest.mark.parametrize("policy, error", [("compact", "INVALID_RECORD"), ("delete,compact", "INVALID_RECORD"),
                                           ("delete", None)])
def test_a_compacted_topic_refuses_keyless_records_with_invalid_record(policy, error):
    c = cluster(**{"cleanup.policy": policy})
    p = c.producer({"linger.ms": 0})
    r = Reports()
    p.produce("t", value=b"keyless", on_delivery=r)
    p.flush()
    p.produce("t", key=b"k", value=b"keyed", on_delivery=r)
    p.flush()
    assert r.errors() == [error, None]
    if error:
        assert KafkaError(error).code() == 87
        assert r.got[0][4] == "Compacted topic cannot accept message without key in topic partition t-0."
        assert c.trace.filter(name="produce.retry") == []


def test_a_keyless_record_and_a_bad_timestamp_in_one_batch_give_invalid_timestamp():
    cfg = limits(**{"cleanup.policy": ("compact",)})
    batch = RecordBatch([Record(None, b"v", None, 5), Record(b"k", b"v", None, 10 * HOUR)], 200)
    assert check_batch(("t", 0), batch, cfg, 5)[0] == "INVALID_TIMESTAMP"
    assert check_batch(("t", 0), batch_of(5, key=None), cfg, 5)[0] == "INVALID_RECORD"


# -- the keys -------------------------------------------------------------------------------------
def test_the_limit_keys_refuse_bad_values_naming_what_is_accepted():
    c = cluster()
    with pytest.raises(ConfigException, match="message.timestamp.type.*'CreateTime', 'LogAppendTime'"):
        c.create_topic("x", 1, 1, config={"message.timestamp.type": "NowTime"})
    with pytest.raises(ConfigException, match="max.message.bytes.*integer >= 0"):
        c.create_topic("x", 1, 1, config={"max.message.bytes": -1})
    with pytest.raises(ConfigException, match="max.partition.fetch.bytes.*integer >= 0"):
        c.consumer({"max.partition.fetch.bytes": -5})


def test_log_config_defaults_for_the_limits_are_the_topic_schemas():
    assert LIMIT_DEFAULTS == {k: TOPIC.keys[k].default for k in LIMIT_DEFAULTS}
    assert TOPIC.keys["message.timestamp.after.max.ms"].default == HOUR
