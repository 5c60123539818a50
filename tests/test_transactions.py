"""Transactions: kafka-semantics.md G.40-G.49 and scenarios 6, 7, 8 and 10."""
from __future__ import annotations

import pytest
from helpers import Deliveries, resolve

from minikafka import Cluster, KafkaException, TopicPartition
from minikafka.coordinator.internal_topics import TRANSACTION_STATE, java_string_hash, partition_for


def cluster(seed: int = 3, partitions: int = 1, tv: int = 2) -> Cluster:
    """`tv`: the cluster's transaction.version (2, a new 4.x cluster's; 1, transactions v1)."""
    c = Cluster(brokers=3, seed=seed, features={"transaction.version": tv})
    c.create_topic("t", partitions=partitions, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def read(c: Cluster, isolation: str, topic: str = "t", partitions: int = 1,
         group: str | None = None, timeout: float = 2.0) -> list[tuple[int, int, bytes]]:
    cfg = {"auto.offset.reset": "earliest", "isolation.level": isolation}
    if group:
        cfg["group.id"] = group
    k = c.consumer(cfg)
    k.assign([TopicPartition(topic, p) for p in range(partitions)])
    out = [(m.partition(), m.offset(), m.value()) for m in k.consume(10_000, timeout)]
    k.close()
    return out


def values(rows: list[tuple[int, int, bytes]]) -> list[bytes]:
    return [v for _, _, v in rows]


def txn_producer(c: Cluster, txn_id: str = "tx", **cfg):
    p = c.producer({"transactional.id": txn_id, **cfg})
    p.init_transactions()
    return p


def coordinator(c: Cluster, txn_id: str) -> int:
    return c.partition_state(TRANSACTION_STATE, partition_for(txn_id, 50)).leader


def leader_replica(c: Cluster, tp=("t", 0)):
    return c.brokers[c.partition_state(*tp).leader].replicas[tp]


# -- the coordinator's placement -------------------------------------------------------------
@pytest.mark.parametrize("s, h", [("", 0), ("a", 97), ("hello", 99162322), ("polygenelubricants", -2**31),
                                  ("\U0001F600", 55357 * 31 + 56832)])
def test_java_string_hash_matches_java_string_hashcode(s, h):
    assert java_string_hash(s) == h


def test_coordinator_partition_is_abs_hash_mod_partitions_with_min_value_mapping_to_0():
    assert partition_for("hello", 50) == 99162322 % 50
    assert partition_for("polygenelubricants", 50) == 0
    assert partition_for("Aa", 50) == partition_for("BB", 50)      # a Java hash collision


def test_transaction_state_topic_is_created_on_first_use_with_50_partitions():
    c = cluster()
    assert TRANSACTION_STATE not in c.topics()
    txn_producer(c)
    assert TRANSACTION_STATE in c.topics()
    assert len(c.controller.topics[TRANSACTION_STATE]) == 50
    assert c.topic_config(TRANSACTION_STATE)["min.insync.replicas"] == 2


# -- init, begin, commit, abort ------------------------------------------------------------------
def test_commit_makes_records_visible_to_read_committed_with_one_marker_per_partition():
    c = cluster(partitions=2)
    p = txn_producer(c)
    p.begin_transaction()
    for i in range(6):
        p.produce("t", value=b"v%d" % i, partition=i % 2)
    p.commit_transaction()
    c.run(50)
    rows = read(c, "read_committed", partitions=2)
    assert sorted(values(rows)) == [b"v%d" % i for i in range(6)]
    for part in (0, 1):
        batches = leader_replica(c, ("t", part)).log.batches
        assert [b.control_type for b in batches if b.control] == ["COMMIT"]
        assert batches[-1].control and batches[-1].base_offset == 3        # the marker takes an offset


def test_abort_hides_records_from_read_committed_but_not_read_uncommitted():
    c = cluster()
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"gone")
    p.flush()
    p.abort_transaction()
    c.run(50)
    assert values(read(c, "read_uncommitted")) == [b"gone"]
    assert values(read(c, "read_committed")) == []
    r = leader_replica(c)
    assert [tuple(a) for a in r.txn.aborted] == [(p.producer_id, 0, 1)]


def test_abort_purges_records_not_yet_sent():
    c = cluster()
    p = txn_producer(c, **{"linger.ms": 1000})
    d = Deliveries()
    p.begin_transaction()
    p.produce("t", value=b"queued", on_delivery=d)
    p.abort_transaction()
    p.poll(0)
    assert d.failed == {b"queued": "_PURGE_QUEUE"}
    assert values(read(c, "read_uncommitted")) == []


def test_commit_returns_when_decided_and_markers_follow():
    c = cluster()
    c.delay("WriteTxnMarkersRequest", ms=500)
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"x")
    p.commit_transaction()
    assert leader_replica(c).lso == 0                 # decided, but no marker yet
    assert values(read(c, "read_committed", timeout=0.1)) == []
    c.run(600)
    assert leader_replica(c).lso == 2
    assert values(read(c, "read_committed")) == [b"x"]


def test_empty_transaction_commits_without_contacting_the_coordinator():
    c = cluster()
    p = txn_producer(c)
    p.begin_transaction()
    before = len(c.trace.filter(name="EndTxnRequest"))
    p.commit_transaction()
    assert len(c.trace.filter(name="EndTxnRequest")) == before
    p.begin_transaction()                            # READY again


@pytest.mark.parametrize("tv", [1, 2])
def test_consecutive_transactions_keep_one_producer_id_and_v2_bumps_the_epoch_at_each_end(tv):
    c = cluster(tv=tv)
    p = txn_producer(c)
    pid, epoch = p.producer_id, p.producer_epoch
    for i in range(3):
        p.begin_transaction()
        p.produce("t", value=b"%d" % i)
        p.commit_transaction()
    assert (p.producer_id, p.producer_epoch) == (pid, epoch + (3 if tv == 2 else 0))
    c.run(50)
    assert values(read(c, "read_committed")) == [b"0", b"1", b"2"]
    markers = [e.fields["epoch"] for e in c.trace.filter(name="marker") if e.fields["tp"] == "t-0"]
    assert markers == ([epoch] * 3 if tv == 1 else [epoch + 1, epoch + 2, epoch + 3])


# -- wrong state and configuration ------------------------------------------------------------------
def test_calls_in_the_wrong_state_raise_state_errors_naming_the_transition():
    c = cluster()
    p = c.producer({"transactional.id": "tx"})
    with pytest.raises(KafkaException, match="UNINITIALIZED to state IN_TRANSACTION") as e:
        p.begin_transaction()
    assert e.value.args[0].name() == "_STATE"
    with pytest.raises(KafkaException, match="begin_transaction") as e:
        p.produce("t", value=b"x")
    assert e.value.args[0].name() == "_STATE"
    p.init_transactions()
    with pytest.raises(KafkaException, match="READY to state INITIALIZING"):
        p.init_transactions()
    with pytest.raises(KafkaException, match="READY to state COMMITTING_TRANSACTION"):
        p.commit_transaction()
    with pytest.raises(KafkaException, match="READY to state ABORTING_TRANSACTION"):
        p.abort_transaction()
    with pytest.raises(KafkaException, match="produce in state READY"):
        p.produce("t", value=b"x")
    k = c.consumer({"group.id": "g"})
    with pytest.raises(KafkaException, match="READY to state IN_TRANSACTION"):
        p.send_offsets_to_transaction([TopicPartition("t", 0, 1)], k.consumer_group_metadata())
    p.begin_transaction()
    with pytest.raises(KafkaException, match="IN_TRANSACTION to state IN_TRANSACTION"):
        p.begin_transaction()


def test_transaction_calls_on_a_plain_producer_are_not_configured():
    c = cluster()
    with pytest.raises(KafkaException, match="transactional.id") as e:
        c.producer().init_transactions()
    assert e.value.args[0].name() == "_NOT_CONFIGURED"


def test_transaction_timeout_above_the_broker_maximum_is_refused_by_the_coordinator():
    c = cluster()
    p = c.producer({"transactional.id": "tx", "transaction.timeout.ms": 900_001})
    with pytest.raises(KafkaException, match="transaction.timeout.ms=900001") as e:
        p.init_transactions()
    assert e.value.args[0].name() == "INVALID_TRANSACTION_TIMEOUT" and e.value.args[0].fatal()


def test_send_offsets_needs_consumer_group_metadata_and_positions():
    c = cluster()
    p = txn_producer(c)
    p.begin_transaction()
    with pytest.raises(TypeError, match="consumer_group_metadata"):
        p.send_offsets_to_transaction([TopicPartition("t", 0, 1)], "g")
    k = c.consumer({"group.id": "g"})
    with pytest.raises(KafkaException, match="offset -1001"):
        p.send_offsets_to_transaction([TopicPartition("t", 0)], k.consumer_group_metadata())


def test_consumer_group_metadata_needs_a_group_id():
    c = cluster()
    with pytest.raises(KafkaException, match="group.id") as e:
        c.consumer().consumer_group_metadata()
    assert e.value.args[0].name() == "INVALID_GROUP_ID"


# -- scenario 6: restart -------------------------------------------------------------------------
def test_transactional_restart_aborts_the_old_transaction_so_read_committed_sees_one_copy():
    c = cluster()
    p1 = txn_producer(c, "app")
    p1.begin_transaction()
    p1.produce("t", value=b"m")
    p1.flush()                                    # m is in the log...
    c.crash_client(p1.name)                       # ...and the process dies before committing
    p2 = txn_producer(c, "app")                   # same transactional.id: the old txn is aborted
    assert p2.producer_id == p1.producer_id and p2.producer_epoch == p1.producer_epoch + 2
    p2.begin_transaction()
    p2.produce("t", value=b"m")                   # the application re-sends m
    p2.commit_transaction()
    c.run(50)
    assert values(read(c, "read_committed")) == [b"m"]
    assert values(read(c, "read_uncommitted")) == [b"m", b"m"]


# -- scenario 7: zombie fencing ----------------------------------------------------------------------
def zombie_setup():
    c = cluster()
    a = txn_producer(c, "t")
    a.begin_transaction()
    a.produce("t", value=b"x")
    a.flush()                                     # x appended; A stalls here
    epoch_a = a.producer_epoch
    b = txn_producer(c, "t")                      # B fences A and aborts its transaction
    return c, a, b, epoch_a


def test_zombie_is_fenced_by_epoch_bump_twice_and_its_commit_fails_fatally():
    c, a, b, epoch_a = zombie_setup()
    assert b.producer_epoch == epoch_a + 2        # bumped to fence, then again on B's retry
    fenced = c.trace.filter(name="txn.abort")
    assert fenced and fenced[0].fields["why"] == "fenced by InitProducerId"
    with pytest.raises(KafkaException) as e:
        a.commit_transaction()
    err = e.value.args[0]
    assert err.name() == "PRODUCER_FENCED" and err.fatal()
    with pytest.raises(KafkaException) as e:     # every later call fails the same way
        a.begin_transaction()
    assert e.value.args[0].name() == "PRODUCER_FENCED"
    with pytest.raises(KafkaException):
        resolve(a.abort_transaction())


def test_zombie_records_are_invisible_to_read_committed_and_visible_to_read_uncommitted():
    c, a, b, _ = zombie_setup()
    c.run(50)
    assert values(read(c, "read_uncommitted")) == [b"x"]
    assert values(read(c, "read_committed")) == []
    r = leader_replica(c)
    assert [b.control_type for b in r.log.batches if b.control] == ["ABORT"]


def test_zombie_send_after_fencing_is_refused_with_invalid_producer_epoch_then_abort_is_fenced():
    c, a, b, _ = zombie_setup()
    d = Deliveries()
    a.produce("t", value=b"late", on_delivery=d)  # A still believes it is in a transaction
    with pytest.raises(KafkaException) as e:
        a.commit_transaction()
    assert e.value.args[0].txn_requires_abort()
    assert d.failed == {b"late": "INVALID_PRODUCER_EPOCH"}
    with pytest.raises(KafkaException) as e:
        resolve(a.abort_transaction())
    assert e.value.args[0].name() == "PRODUCER_FENCED" and e.value.args[0].fatal()
    b.begin_transaction()                         # B is unaffected
    b.produce("t", value=b"y")
    b.commit_transaction()
    c.run(50)
    assert values(read(c, "read_committed")) == [b"y"]


# -- scenario 8: LSO and isolation ---------------------------------------------------------------------
def lso_setup(seed: int = 3, tv: int = 2):
    """T opens a transaction with a record at offset 10; P writes 11-20 outside transactions."""
    c = cluster(seed, tv=tv)
    plain = c.producer()
    for i in range(10):
        plain.produce("t", value=b"early%d" % i)
    plain.flush()
    t = txn_producer(c, "T")
    t.begin_transaction()
    t.produce("t", value=b"T10")
    t.flush()
    for i in range(11, 21):
        plain.produce("t", value=b"P%d" % i)
    plain.flush()
    c.run(50)
    return c, t


def test_read_committed_stops_at_the_lso_of_an_open_transaction():
    c, t = lso_setup()
    r = leader_replica(c)
    assert (r.hw, r.lso) == (21, 10)
    unc = read(c, "read_uncommitted")
    assert [o for _, o, _ in unc] == list(range(21))
    com = read(c, "read_committed")
    assert [o for _, o, _ in com] == list(range(10))
    k = c.consumer({"isolation.level": "read_committed"})
    assert k.get_watermark_offsets(TopicPartition("t", 0)) == (0, 10)


def test_abort_releases_the_lso_and_read_committed_skips_the_aborted_record():
    c, t = lso_setup()
    t.abort_transaction()
    c.run(50)
    assert leader_replica(c).log.batches[-1].base_offset == 21     # the ABORT marker
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    k.assign([TopicPartition("t", 0, 10)])
    got = k.consume(100, 1.0)
    assert [m.offset() for m in got] == list(range(11, 21))
    assert k.position([TopicPartition("t", 0)])[0].offset == 22


def test_commit_releases_the_lso_and_read_committed_returns_10_to_20():
    c, t = lso_setup()
    t.commit_transaction()
    c.run(50)
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    k.assign([TopicPartition("t", 0, 10)])
    assert [m.offset() for m in k.consume(100, 1.0)] == list(range(10, 21))


@pytest.mark.parametrize("tv", [1, 2])
def test_hung_transaction_is_aborted_after_the_timeout_by_the_periodic_check(tv):
    c, t = lso_setup(tv=tv)
    c.run(55_000)
    assert leader_replica(c).lso == 10               # not yet: 60 s timeout
    c.run(15_000)                                    # the 10 s check finds it
    assert leader_replica(c).lso == 22
    aborts = c.trace.filter(name="txn.abort")
    assert aborts and "transaction.timeout.ms=60000" in aborts[0].fields["why"]
    assert [o for _, o, _ in read(c, "read_committed")] == list(range(10)) + list(range(11, 21))
    with pytest.raises(KafkaException) as e:         # the epoch bump fenced the producer's commit
        t.commit_transaction()
    # v1: any request with the old epoch is fenced; v2: the commit meets a completed abort (S.208)
    assert e.value.args[0].name() == ("PRODUCER_FENCED" if tv == 1 else "INVALID_TXN_STATE")
    assert e.value.args[0].fatal()


def test_under_v2_a_producer_whose_transaction_timed_out_can_abort_and_carry_on():
    c, t = lso_setup(tv=2)
    epoch = t.producer_epoch
    c.run(70_000)                                    # the coordinator aborts it, epoch + 1
    t.abort_transaction()                            # a retry of that abort: NONE, with the new epoch
    assert t.producer_epoch == epoch + 1
    t.begin_transaction()
    t.produce("t", value=b"again")
    t.commit_transaction()
    assert t.producer_epoch == epoch + 2
    c.run(100)
    assert b"again" in values(read(c, "read_committed"))


def test_aborted_batches_are_dropped_while_interleaved_committed_ones_are_kept():
    c = cluster()
    good, bad = txn_producer(c, "good"), txn_producer(c, "bad")
    good.begin_transaction()
    bad.begin_transaction()
    for i in range(5):
        good.produce("t", value=b"g%d" % i)
        good.flush()
        bad.produce("t", value=b"b%d" % i)
        bad.flush()
    bad.abort_transaction()
    good.commit_transaction()
    c.run(50)
    assert values(read(c, "read_committed")) == [b"g%d" % i for i in range(5)]
    assert len(values(read(c, "read_uncommitted"))) == 10


# -- coordinator failover ----------------------------------------------------------------------------
def test_a_new_coordinator_resumes_writing_markers_of_a_prepared_commit():
    c = cluster()
    p = txn_producer(c, "fo")
    p.begin_transaction()
    p.produce("t", value=b"x")
    c.drop("WriteTxnMarkersRequest")                 # the markers never leave the old coordinator
    p.commit_transaction()
    old = coordinator(c, "fo")
    c.crash_broker(old)
    c.clear_rules()
    c.run(15_000)                                    # fenced, a new leader loads PrepareCommit
    new = coordinator(c, "fo")
    assert new != old
    states = [e.fields["state"] for e in c.trace.filter(name="txn.state", node=f"b{new}")]
    assert states[-1] == "CompleteCommit"
    assert values(read(c, "read_committed")) == [b"x"]


def test_a_marker_refused_with_unknown_topic_is_retried_until_written():
    """A restarted broker answers UNKNOWN_TOPIC_OR_PART until its metadata arrives; the
    coordinator must retry, not count the marker as written (chaos transactions seed 169)."""
    c = cluster()
    p = txn_producer(c, "uk")
    p.begin_transaction()
    p.produce("t", value=b"x")
    p.flush()
    b = c.brokers[c.partition_state("t", 0).leader]
    meta, replica = b.metadata.pop("t"), b.replicas.pop(("t", 0))
    p.commit_transaction()
    c.run(500)
    refused = [e for e in c.trace.filter(kind="send", name="WriteTxnMarkersResponse")
               if e.fields["results"] == ("t-0:UNKNOWN_TOPIC_OR_PART",)]
    assert len(refused) >= 3                         # retried, every RETRY_MS
    assert values(read(c, "read_committed")) == []
    b.metadata["t"], b.replicas[("t", 0)] = meta, replica
    c.run(5000)
    states = [e.fields["state"] for e in c.trace.filter(name="txn.state", node=f"b{coordinator(c, 'uk')}")]
    assert states[-1] == "CompleteCommit"
    assert values(read(c, "read_committed")) == [b"x"]


def test_coordinator_crash_mid_transaction_keeps_the_transaction_on_the_new_coordinator():
    c = cluster()
    p = txn_producer(c, "fo2")
    p.begin_transaction()
    p.produce("t", value=b"a")
    p.flush()
    c.crash_broker(coordinator(c, "fo2"))
    c.run(15_000)
    p.produce("t", value=b"b")
    p.commit_transaction()
    c.run(100)
    assert values(read(c, "read_committed")) == [b"a", b"b"]


# -- scenario 10 and send_offsets_to_transaction ------------------------------------------------------
def eos_pipeline(c: Cluster, crash_before_commit: bool) -> None:
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": False,
                    "isolation.level": "read_committed"})
    k.assign([TopicPartition("in", 0)])
    p = txn_producer(c, "pipeline")
    msgs = k.consume(10, 2.0)
    p.begin_transaction()
    for m in msgs:
        p.produce("out", value=b"o-" + m.value())
    p.send_offsets_to_transaction(k.position(k.assignment()), k.consumer_group_metadata())
    if crash_before_commit:
        p.flush()
        c.crash_client(p.name)
        c.crash_client(k.name)
    else:
        p.commit_transaction()


def eos_cluster() -> Cluster:
    c = Cluster(brokers=3, seed=5)
    for topic in ("in", "out"):
        c.create_topic(topic, partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    src = c.producer()
    for i in range(10):
        src.produce("in", value=b"%d" % i)
    src.flush()
    return c


def test_eos_crash_before_commit_discards_outputs_and_offsets_then_reprocessing_is_seen_once():
    c = eos_cluster()
    eos_pipeline(c, crash_before_commit=True)
    eos_pipeline(c, crash_before_commit=False)
    c.run(100)
    expected = [b"o-%d" % i for i in range(10)]
    assert values(read(c, "read_committed", topic="out")) == expected
    assert values(read(c, "read_uncommitted", topic="out")) == expected + expected
    k = c.consumer({"group.id": "g"})
    assert k.committed([TopicPartition("in", 0)])[0].offset == 10


def test_offsets_sent_in_a_transaction_are_pending_until_commit():
    c = eos_cluster()
    c.delay("WriteTxnMarkersRequest", ms=300)
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    k.assign([TopicPartition("in", 0)])
    k.consume(10, 2.0)
    p = txn_producer(c, "pipeline")
    p.begin_transaction()
    p.send_offsets_to_transaction(k.position(k.assignment()), k.consumer_group_metadata())
    unc = c.consumer({"group.id": "g"})
    assert unc.committed([TopicPartition("in", 0)])[0].offset < 0      # pending: not committed
    p.commit_transaction()
    assert unc.committed([TopicPartition("in", 0)])[0].offset < 0      # decided, marker not yet written
    c.run(400)
    assert unc.committed([TopicPartition("in", 0)])[0].offset == 10


def test_offsets_sent_in_an_aborted_transaction_are_dropped():
    c = eos_cluster()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k.assign([TopicPartition("in", 0)])
    k.consume(10, 2.0)
    k.commit(offsets=[TopicPartition("in", 0, 4)], asynchronous=False)
    p = txn_producer(c, "pipeline")
    p.begin_transaction()
    p.send_offsets_to_transaction(k.position(k.assignment()), k.consumer_group_metadata())
    p.abort_transaction()
    c.run(100)
    assert k.committed([TopicPartition("in", 0)])[0].offset == 4


def test_read_committed_consumer_waits_for_pending_offsets_before_starting():
    c = eos_cluster()
    c.delay("WriteTxnMarkersRequest", ms=2000)
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    k.assign([TopicPartition("in", 0)])
    k.consume(10, 2.0)
    p = txn_producer(c, "pipeline")
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition("in", 0, 7)], k.consumer_group_metadata())
    p.commit_transaction()
    fresh = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    fresh.assign([TopicPartition("in", 0)])
    first = fresh.poll(5.0)
    assert first is not None and first.offset() == 7   # not 0: it waited for the marker
    assert c.trace.filter(name="OffsetFetchResponse")   # and asked more than once meanwhile


def test_a_read_uncommitted_consumer_asks_without_require_stable_as_librdkafka_does():
    """consumer_coordinator.py offset rule 3: librdkafka's choice (Java always asks for stable offsets)."""
    c = eos_cluster()
    c.delay("WriteTxnMarkersRequest", ms=2000)
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.commit(offsets=[TopicPartition("in", 0, 3)], asynchronous=False)
    p = txn_producer(c, "pipeline")
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition("in", 0, 7)], k.consumer_group_metadata())
    p.commit_transaction()
    fresh = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    fresh.assign([TopicPartition("in", 0)])
    first = fresh.poll(5.0)
    assert first is not None and first.offset() == 3       # the last committed offset, at once
    asked = [e for e in c.trace.filter(kind="send", name="OffsetFetchRequest") if e.node == fresh.name]
    assert len(asked) == 1


def test_send_offsets_for_an_unknown_topic_times_out_abortable_and_abort_then_works():
    """Before, the call timed out retriable and its TxnOffsetCommit retried forever: commit and
    abort raised _STATE from then on (transaction_manager.py rule 6)."""
    c = cluster()
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"x")
    with pytest.raises(KafkaException) as e:
        p.send_offsets_to_transaction([TopicPartition("nope", 0, 1)], k.consumer_group_metadata(), 2.0)
    err = e.value.args[0]
    assert err.name() == "UNKNOWN_TOPIC_OR_PART" and err.txn_requires_abort() and not err.retriable()
    with pytest.raises(KafkaException) as e:
        p.commit_transaction(2.0)
    assert e.value.args[0].name() == "UNKNOWN_TOPIC_OR_PART" and e.value.args[0].txn_requires_abort()
    p.abort_transaction(5.0)
    end = c.trace.filter(kind="send", name="EndTxnRequest")[0].time
    assert all(e.time < end for e in c.trace.filter(kind="send", name="TxnOffsetCommitRequest"))
    p.begin_transaction()                                  # the producer is usable again
    p.produce("t", value=b"y")
    p.commit_transaction(5.0)
    c.run(100)
    assert values(read(c, "read_committed")) == [b"y"]


def test_abort_after_send_offsets_timed_out_waits_for_the_late_txn_offset_commit():
    """A TxnOffsetCommit still out when its call gave up must not land after the abort's marker:
    its offsets would stay pending (or join the next transaction)."""
    c = cluster()
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.committed([TopicPartition("t", 0)])                  # the group's coordinator is up and loaded
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"x")
    c.delay("TxnOffsetCommitRequest", ms=5000, count=1)
    with pytest.raises(KafkaException) as e:
        p.send_offsets_to_transaction([TopicPartition("t", 0, 1)], k.consumer_group_metadata(), 1.0)
    assert e.value.args[0].name() == "_TIMED_OUT" and e.value.args[0].txn_requires_abort()
    p.abort_transaction(10.0)
    answered = c.trace.filter(kind="recv", name="OffsetCommitResponse", node=p.name)[0].time
    assert c.trace.filter(kind="send", name="EndTxnRequest")[0].time >= answered
    c.run(100)
    fresh = c.consumer({"group.id": "g", "isolation.level": "read_committed"})
    assert fresh.committed([TopicPartition("t", 0)], 5.0)[0].offset < 0     # dropped, not pending


@pytest.mark.parametrize("finished_meanwhile", [False, True])
def test_send_offsets_retried_after_a_timeout_commits_the_retrys_offsets(finished_meanwhile):
    """Before, the retry resumed the first call and its own offsets were silently dropped (v1:
    the call that times out is waiting for its AddOffsetsToTxn, which v2 does not send)."""
    c = cluster(partitions=2, tv=1)
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"x", partition=0)
    c.delay("AddOffsetsToTxnRequest", ms=3000, count=1)
    with pytest.raises(KafkaException) as e:
        p.send_offsets_to_transaction([TopicPartition("t", 0, 5)], k.consumer_group_metadata(), 1.0)
    assert e.value.args[0].name() == "_TIMED_OUT" and e.value.args[0].retriable()
    if finished_meanwhile:
        c.run(5000)                                        # the first call's offsets are acknowledged
    p.send_offsets_to_transaction([TopicPartition("t", 0, 6), TopicPartition("t", 1, 2)],
                                  k.consumer_group_metadata(), 10.0)
    p.commit_transaction()
    c.run(200)
    assert [tp.offset for tp in k.committed([TopicPartition("t", 0), TopicPartition("t", 1)])] == [6, 2]


# -- what the learner sees ------------------------------------------------------------------------
def test_partition_state_shows_producers_open_transactions_lso_and_aborted_ranges():
    c, t = lso_setup()
    c.run(10)
    view = c.partition_state("t", 0)
    assert view.last_stable_offset == 10
    text = str(view)
    assert "LSO" in text.splitlines()[1]
    assert f"producer id {t.producer_id}: epoch {t.producer_epoch}, last sequence 0, open transaction from offset 10" \
        in text
    t.abort_transaction()
    c.run(50)
    text = str(c.partition_state("t", 0))
    assert f"aborted: producer id {t.producer_id}, offsets 10..20, ABORT marker at 21" in text
    assert "open transaction" not in text


def test_trace_records_the_transaction_lifecycle_with_ids_epochs_and_markers():
    c = cluster()
    p = txn_producer(c)
    p.begin_transaction()
    p.produce("t", value=b"x")
    p.commit_transaction()
    c.run(50)
    states = [e.fields["state"] for e in c.trace.filter(name="txn.state")]
    assert states == ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit"]
    marker = c.trace.filter(name="marker")
    assert {(e.fields["type"], e.fields["pid"], e.fields["epoch"]) for e in marker} == {
        ("COMMIT", p.producer_id, p.producer_epoch)}
    append = [e for e in c.trace.filter(name="append") if e.fields["tp"] == "t-0"]
    assert append[0].fields["txn"] is True and append[0].fields["pid"] == p.producer_id
