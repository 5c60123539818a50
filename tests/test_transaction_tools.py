"""The operator's transaction tools (KIP-664, kafka-semantics.md S.213): list, describe,
describe-producers, find-hanging and abort as admin calls over the network
(clients/admin/transactions.py, coordinator/transaction/transaction_listing.py,
server/describe_producers.py)."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaException, TopicPartition
from minikafka.clients.admin import ProducerState, TransactionListing
from minikafka.coordinator.internal_topics import TRANSACTION_STATE, partition_for
from helpers import resolve


def cluster(seed: int = 3, partitions: int = 1, brokers: int = 3) -> Cluster:
    c = Cluster(brokers=brokers, seed=seed)
    c.create_topic("t", partitions=partitions, replication_factor=min(3, brokers),
                   config={"min.insync.replicas": min(2, brokers)})
    return c


def coordinator(c: Cluster, txn_id: str) -> int:
    return c.partition_state(TRANSACTION_STATE, partition_for(txn_id, 50)).leader


def open_transaction(c: Cluster, txn_id: str = "tx", partitions: tuple[int, ...] = (0,), **cfg):
    """A transactional producer with a transaction Ongoing on `partitions` of t."""
    p = c.producer({"transactional.id": txn_id, **cfg})
    p.init_transactions()
    p.begin_transaction()
    for part in partitions:
        p.produce("t", value=f"{txn_id}-{part}".encode(), partition=part)
    p.flush()
    c.run(50)
    return p


def plain_records(c: Cluster, n: int, prefix: bytes = b"plain") -> None:
    p = c.producer()
    for i in range(n):
        p.produce("t", value=prefix + b"%d" % i)
    p.flush()


def sends(c: Cluster, name: str, since: int = 0) -> list[tuple[str, str]]:
    return [(e.node, e.peer) for e in c.trace.filter(name=name, kind="send") if e.time >= since]


def read(c: Cluster, isolation: str) -> list[bytes]:
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": isolation})
    k.assign([TopicPartition("t", 0)])
    out = [m.value() for m in k.consume(1000, 1.0)]
    k.close()
    return out


def leader_replica(c: Cluster, tp=("t", 0)):
    return c.brokers[c.partition_state(*tp).leader].replicas[tp]


# -- list ------------------------------------------------------------------------------------------------
def test_list_transactions_asks_every_live_broker_and_merges_their_answers_sorted():
    c = cluster()
    open_transaction(c, "b-tx")
    other = next(t for t in ("a-tx", "c-tx", "d-tx", "e-tx", "f-tx") if coordinator(c, t) != coordinator(c, "b-tx"))
    open_transaction(c, other)
    start = c.now
    listing = resolve(c.admin().list_transactions())
    assert sorted(sends(c, "ListTransactionsRequest", start)) == [("admin", "b1"), ("admin", "b2"), ("admin", "b3")]
    assert [x.transactional_id for x in listing] == sorted(["b-tx", other])
    assert all(isinstance(x, TransactionListing) and x.state == "Ongoing" for x in listing)
    assert "TransactionListing(transactional_id=" in repr(listing[0])


def test_list_transactions_filters_by_state_producer_id_duration_and_whole_id_pattern():
    c = cluster()
    orders = open_transaction(c, "orders-1")
    done = open_transaction(c, "payments-1")
    done.commit_transaction()
    c.run(20_000)
    late = open_transaction(c, "orders-2")
    a = c.admin()
    ids = lambda rows: [r.transactional_id for r in rows]          # noqa: E731
    assert ids(resolve(a.list_transactions())) == ["orders-1", "orders-2", "payments-1"]
    assert ids(resolve(a.list_transactions(states=["CompleteCommit"]))) == ["payments-1"]
    assert ids(resolve(a.list_transactions(states=["Ongoing", "PrepareCommit"]))) == ["orders-1", "orders-2"]
    assert ids(resolve(a.list_transactions(producer_ids=[late.producer_id]))) == ["orders-2"]
    assert ids(resolve(a.list_transactions(states=["Ongoing"], duration_filter_ms=10_000))) == ["orders-1"]
    assert ids(resolve(a.list_transactions(pattern=r"orders-\d"))) == ["orders-1", "orders-2"]
    assert ids(resolve(a.list_transactions(pattern="orders"))) == []              # the whole id must match
    assert orders.producer_id != late.producer_id


# -- describe ----------------------------------------------------------------------------------------------
def test_describe_transactions_shows_state_epoch_timeout_start_and_partitions_from_the_coordinator():
    c = cluster(partitions=2)
    p = open_transaction(c, "tx", partitions=(0, 1), **{"transaction.timeout.ms": 30_000})
    start = c.now
    d = resolve(c.admin().describe_transactions(["tx"]))["tx"]
    assert (d.coordinator_id, d.state, d.producer_id, d.producer_epoch) == (
        coordinator(c, "tx"), "Ongoing", p.producer_id, p.producer_epoch)
    assert d.transaction_timeout_ms == 30_000 and 0 < d.transaction_start_time_ms < start
    assert d.topic_partitions == (("t", 0), ("t", 1))
    assert sends(c, "FindCoordinatorRequest", start)[0][0] == "admin"
    assert sends(c, "DescribeTransactionsRequest", start) == [("admin", f"b{coordinator(c, 'tx')}")]
    p.commit_transaction()
    c.run(100)
    d = resolve(c.admin().describe_transactions(["tx"]))["tx"]
    assert d.state == "CompleteCommit" and d.topic_partitions == ()


def test_describe_transactions_of_an_unknown_id_raises_transactional_id_not_found():
    c = cluster()
    open_transaction(c, "tx")
    with pytest.raises(KafkaException) as e:
        resolve(c.admin().describe_transactions(["tx", "nobody"]))
    assert e.value.args[0].name() == "TRANSACTIONAL_ID_NOT_FOUND" and "'nobody'" in str(e.value)
    assert resolve(c.admin().describe_transactions([])) == {}


# -- describe-producers ---------------------------------------------------------------------------------
def test_describe_producers_shows_the_open_transactions_start_offset_at_the_leader_and_a_named_follower():
    c = cluster()
    plain_records(c, 5)
    p = open_transaction(c, "tx")
    a = c.admin()
    start = c.now
    states = resolve(a.describe_producers([("t", 0)]))[("t", 0)]
    leader = c.partition_state("t", 0).leader
    assert sends(c, "DescribeProducersRequest", start) == [("admin", f"b{leader}")]
    txn = [s for s in states if s.producer_id == p.producer_id]
    assert txn == [ProducerState(p.producer_id, p.producer_epoch, 0, txn[0].last_timestamp, None, 5)]
    assert [s.current_transaction_start_offset for s in states if s.producer_id != p.producer_id] == [None]
    follower = next(b for b in (1, 2, 3) if b != leader)
    assert resolve(a.describe_producers([TopicPartition("t", 0)], broker_id=follower)) == {("t", 0): states}


def test_describe_producers_refuses_unknown_topics_and_partitions_and_a_broker_without_a_replica():
    c = Cluster(brokers=3, seed=3)
    c.create_topic("t", partitions=1, replication_factor=1)
    a = c.admin()
    for tps in ([("nope", 0)], [("t", 3)]):
        with pytest.raises(KafkaException) as e:
            resolve(a.describe_producers(tps))
        assert e.value.args[0].name() == "UNKNOWN_TOPIC_OR_PART"
    assert "no partition 3" in str(e.value)
    elsewhere = next(b for b in (1, 2, 3) if b != c.partition_state("t", 0).leader)
    with pytest.raises(KafkaException) as e:
        resolve(a.describe_producers([("t", 0)], broker_id=elsewhere))
    assert e.value.args[0].name() == "NOT_LEADER_OR_FOLLOWER" and f"broker {elsewhere}" in str(e.value)


# -- find-hanging -------------------------------------------------------------------------------------------
def test_find_hanging_does_not_report_a_transaction_its_coordinator_knows_however_old():
    c = cluster()
    p = open_transaction(c, "tx")
    c.run(30_000)
    a = c.admin()
    start = c.now
    assert resolve(a.find_hanging_transactions(topic="t", max_transaction_timeout_ms=0)) == []
    # the open transaction was a candidate: its producer id was looked up and its coordinator asked
    lists = [e for e in c.trace.filter(name="ListTransactionsRequest", kind="send") if e.time >= start]
    assert lists and all(e.fields["pids"] == (p.producer_id,) for e in lists)
    assert sends(c, "DescribeTransactionsRequest", start) == [("admin", f"b{coordinator(c, 'tx')}")]
    assert resolve(a.find_hanging_transactions(broker_id=leader_replica(c).broker_id, max_transaction_timeout_ms=0)) == []
    assert resolve(a.find_hanging_transactions(topic="t", partition=0)) == []      # 15 minutes by default


def lost_coordinator_state() -> tuple[Cluster, str, int]:
    """A hanging transaction by mechanism: the coordinator of `txn_id` keeps `__transaction_state`
    in one replica (replication factor 1), and a power loss takes what the OS had not yet written
    to disk, its Ongoing record with it; without eligible leader replicas the broker leads the
    partition again on its return, with a log that never heard of the transaction. The data
    partition t-0 lives on the other broker and keeps the open transaction."""
    c = Cluster(brokers=2, seed=1, page_cache_flush_ms=600_000, features={"eligible.leader.replicas.version": 0},
                config={"transaction.state.log.replication.factor": 1, "transaction.state.log.min.isr": 1})
    c.create_topic("t", partitions=1, replication_factor=1)
    plain_records(c, 3)
    with pytest.raises(KafkaException, match="TRANSACTIONAL_ID_NOT_FOUND"):
        resolve(c.admin().describe_transactions(["probe"]))          # creates __transaction_state
    t_leader = c.partition_state("t", 0).leader
    txn_id = next(t for t in (f"tx{i}" for i in range(20)) if coordinator(c, t) != t_leader)
    open_transaction(c, txn_id)
    assert resolve(c.admin().describe_transactions([txn_id]))[txn_id].state == "Ongoing"
    lost = coordinator(c, txn_id)
    c.crash_broker(lost, power_loss=True)
    c.run(1_000)
    c.restart_broker(lost)
    c.run(20_000)
    return c, txn_id, lost


def test_find_hanging_reports_an_open_transaction_whose_coordinator_lost_it_and_abort_releases_the_lso():
    c, txn_id, lost = lost_coordinator_state()
    a = c.admin()
    with pytest.raises(KafkaException, match="TRANSACTIONAL_ID_NOT_FOUND"):
        resolve(a.describe_transactions([txn_id]))
    r = leader_replica(c)
    c.run(120_000)                               # twice transaction.timeout.ms: nobody aborts it
    assert (r.hw, r.lso) == (4, 3)
    assert resolve(a.find_hanging_transactions(topic="t")) == []          # last write not 15 minutes old yet
    hanging = resolve(a.find_hanging_transactions(topic="t", max_transaction_timeout_ms=60_000))
    assert [(h.topic, h.partition, h.start_offset, h.coordinator_epoch) for h in hanging] == [("t", 0, 3, None)]
    assert 120_000 < hanging[0].duration_ms <= c.now - hanging[0].last_timestamp
    by_broker = resolve(a.find_hanging_transactions(broker_id=r.broker_id, max_transaction_timeout_ms=60_000))
    assert [(h.topic, h.partition, h.producer_id, h.start_offset) for h in by_broker] == [
        ("t", 0, hanging[0].producer_id, 3)]
    spec = resolve(a.abort_transaction("t", 0, 3))
    assert (spec.topic_partition, spec.producer_id, spec.coordinator_epoch) == (("t", 0), hanging[0].producer_id, 0)
    assert (r.hw, r.lso) == (5, 5)
    assert read(c, "read_committed") == [b"plain0", b"plain1", b"plain2"]
    assert resolve(a.find_hanging_transactions(topic="t", max_transaction_timeout_ms=0)) == []


# -- abort ----------------------------------------------------------------------------------------------------
def test_abort_transaction_writes_an_abort_marker_at_the_leader_and_read_committed_sees_nothing_of_it():
    c = cluster()
    plain_records(c, 5)
    p = open_transaction(c, "tx")
    plain_records(c, 2, b"after")
    r = leader_replica(c)
    assert (r.hw, r.lso) == (8, 5)
    start = c.now
    spec = resolve(c.admin().abort_transaction("t", 0, 5))
    assert (spec.producer_id, spec.producer_epoch, spec.coordinator_epoch) == (p.producer_id, p.producer_epoch, 0)
    assert sends(c, "WriteTxnMarkersRequest", start) == [("admin", f"b{r.broker_id}")]
    marker = r.log.batches[-1]
    assert (marker.control_type, marker.producer_id, marker.base_offset) == ("ABORT", p.producer_id, 8)
    assert (r.hw, r.lso) == (9, 9)
    assert read(c, "read_committed") == [b"plain%d" % i for i in range(5)] + [b"after0", b"after1"]
    assert b"tx-0" in read(c, "read_uncommitted")


def test_abort_transaction_where_no_transaction_starts_names_the_open_ones():
    c = cluster()
    plain_records(c, 5)
    a = c.admin()
    with pytest.raises(ValueError, match="no open transaction starts at offset 5 of t-0; it has no open"):
        resolve(a.abort_transaction("t", 0, 5))
    p = open_transaction(c, "tx")
    with pytest.raises(ValueError, match=rf"start at offset 5 \(producer id {p.producer_id}\)"):
        resolve(a.abort_transaction("t", 0, 4))
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        resolve(a.abort_transaction("nope", 0, 0))
    assert leader_replica(c).lso == 5


# -- arguments ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, text", [
    (lambda a: resolve(a.list_transactions(states=["Running"])), ValueError, "'Running' is not a transaction state"),
    (lambda a: resolve(a.list_transactions(states="Ongoing")), TypeError, "states must be a list"),
    (lambda a: resolve(a.list_transactions(producer_ids=[-1])), ValueError, "producer id must be an integer >= 0"),
    (lambda a: resolve(a.list_transactions(duration_filter_ms=1.5)), TypeError, "duration_filter_ms"),
    (lambda a: resolve(a.list_transactions(pattern="orders-(")), ValueError, "is not a regular expression"),
    (lambda a: resolve(a.describe_transactions("tx")), TypeError, "transactional_ids must be a list"),
    (lambda a: resolve(a.describe_transactions([""])), ValueError, "transactional id must be a non-empty str"),
    (lambda a: resolve(a.describe_producers([("t", -1)])), ValueError, "partition must be an integer >= 0"),
    (lambda a: resolve(a.describe_producers([("t", 0)], broker_id=9)), ValueError, r"no broker 9; brokers are \[1, 2, 3\]"),
    (lambda a: resolve(a.describe_producers(["t"])), TypeError, "a partition must be a"),
    (lambda a: resolve(a.find_hanging_transactions()), ValueError, "needs topic or broker_id"),
    (lambda a: resolve(a.find_hanging_transactions(partition=0, broker_id=1)), ValueError, "partition needs topic"),
    (lambda a: resolve(a.find_hanging_transactions(topic="t", max_transaction_timeout_ms=True)), TypeError, "max_transaction"),
    (lambda a: resolve(a.abort_transaction("t", 0, -1)), ValueError, "start_offset must be an integer >= 0"),
])
def test_bad_arguments_are_refused_before_anything_is_sent(call, error, text):
    c = cluster()
    a = c.admin()
    start = c.now
    with pytest.raises(error, match=text):
        call(a)
    assert [e for e in c.trace.events if e.kind == "send" and e.node == "admin" and e.time >= start] == []


# -- failures and retries ------------------------------------------------------------------------------------
def test_calls_retry_while_the_coordinator_is_down_and_succeed_once_another_broker_takes_over():
    c = cluster()
    p = open_transaction(c, "tx")
    old = coordinator(c, "tx")
    c.crash_broker(old)
    start = c.now
    d = resolve(c.admin().describe_transactions(["tx"]))["tx"]
    assert d.coordinator_id != old and (d.state, d.producer_id) == ("Ongoing", p.producer_id)
    assert d.topic_partitions == (("t", 0),)
    assert c.config["broker.session.timeout.ms"] <= c.now - start < 60_000
    assert [x.transactional_id for x in resolve(c.admin().list_transactions())] == ["tx"]


def test_list_transactions_waits_for_a_crashed_broker_to_come_back():
    c = cluster()
    open_transaction(c, "tx")
    quiet = next(b for b in (1, 2, 3) if b != coordinator(c, "tx"))
    c.crash_broker(quiet)
    c.sim.schedule(5_000, lambda: c.restart_broker(quiet))
    start = c.now
    assert [x.transactional_id for x in resolve(c.admin().list_transactions())] == ["tx"]
    assert 5_000 <= c.now - start < 60_000


def test_with_its_only_broker_down_a_call_times_out_after_default_api_timeout_then_works_once_it_is_back():
    c = cluster(brokers=1)
    open_transaction(c, "tx", **{"transaction.timeout.ms": 600_000})
    c.crash_broker(1)
    start = c.now
    with pytest.raises(KafkaException) as e:
        resolve(c.admin().describe_transactions(["tx"]))
    assert e.value.args[0].name() == "REQUEST_TIMED_OUT" and c.now - start == 60_000
    assert "no answer for tx (last error NETWORK_EXCEPTION)" in str(e.value)
    c.sim.schedule(5_000, lambda: c.restart_broker(1))
    start = c.now
    assert resolve(c.admin().describe_transactions(["tx"]))["tx"].state == "Ongoing"
    assert 5_000 <= c.now - start < 60_000


def test_cluster_admin_is_a_method_returning_the_same_client():
    c = cluster()
    assert c.admin() is c.admin() and c.admin().name == "admin"
