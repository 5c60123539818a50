"""Transactions v2 and partition verification (KIP-890): the hanging transaction, built by its
mechanism (a produce delayed in the network past its transaction's abort marker), under v1 without
verification, v1 with verification and v2; the coordinator's EndTxn table; KIP-360."""
from __future__ import annotations

import pytest

from minikafka import Cluster, TopicPartition
from minikafka.coordinator.internal_topics import TRANSACTION_STATE, partition_for
from minikafka.coordinator.transaction.end_txn_rules import (COMPLETE_ABORT, COMPLETE_COMMIT, EMPTY, ONGOING,
                                                             PREPARE_ABORT, PREPARE_COMMIT, end_txn)

MODES = {"v1-unverified": (1, False), "v1-verified": (1, True), "v2": (2, False)}


def cluster(tv: int, verify: bool, seed: int = 3) -> Cluster:
    c = Cluster(brokers=3, seed=seed, features={"transaction.version": tv},
                config={"transaction.partition.verification.enable": verify})
    c.create_topic("t", partitions=3, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def away_from_coordinator(c: Cluster, txn_id: str) -> int:
    """A partition of t whose leader is not the transaction's coordinator, so that the producer's
    EndTxn does not queue behind the delayed produce on the same link."""
    coordinator = c.partition_state(TRANSACTION_STATE, partition_for(txn_id, 50)).leader
    return next(p for p in range(3) if c.partition_state("t", p).leader != coordinator)


def late_write_after_abort(mode: str):
    """A transaction writes to partition p; one more write is delayed 35 s in the network; the
    application aborts; the producer's request times out after 30 s, the abort goes ahead and its
    marker is written; then the delayed produce arrives at the leader."""
    c = cluster(*MODES[mode])
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    part = away_from_coordinator(c, "tx")
    leader = c.partition_state("t", part).leader
    p.begin_transaction()
    p.produce("t", value=b"first", partition=part)
    p.flush()
    c.delay("ProduceRequest", ms=35_000, count=1, src=p.name, dst=leader)
    p.produce("t", value=b"late", partition=part)
    p.poll(0.01)
    p.abort_transaction()
    c.run(60_000)
    return c, p, part


@pytest.mark.parametrize("mode", list(MODES))
def test_a_produce_delayed_past_its_abort_marker_hangs_the_partition_only_under_v1_without_verification(mode):
    c, p, part = late_write_after_abort(mode)
    view = c.partition_state("t", part)
    late = [e for e in c.trace.filter(name="append") if e.fields["tp"] == f"t-{part}"
            and e.time > c.trace.filter(name="marker")[-1].time]
    if mode == "v1-unverified":
        assert late, "the late batch was appended after the abort marker"
        assert view.last_stable_offset < view.high_watermark        # the LSO is stuck behind it
        c.run(20 * 60_000)                                          # transaction.timeout.ms cannot end it
        assert c.partition_state("t", part).last_stable_offset == view.last_stable_offset
        coordinator = c.brokers[c.partition_state(TRANSACTION_STATE, partition_for("tx", 50)).leader]
        assert coordinator.txn_coordinator.txns["tx"].state in (COMPLETE_ABORT, EMPTY)
    else:
        assert not late
        assert view.last_stable_offset == view.high_watermark
        rejected = [e for e in c.trace.filter(name="txn.verify") if "late" not in e.fields]
        assert rejected and any("INVALID_PRODUCER_EPOCH" in r or "TRANSACTION_ABORTABLE" in r
                                for e in rejected for r in e.fields["result"])


@pytest.mark.parametrize("mode", list(MODES))
def test_read_committed_consumers_stall_behind_a_hanging_transaction(mode):
    c, p, part = late_write_after_abort(mode)
    other = c.producer()
    other.produce("t", value=b"after", partition=part)
    other.flush()
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    k.assign([TopicPartition("t", part, 0)])
    got = [m.value() for m in k.consume(10, timeout=5.0)]
    assert (b"after" in got) == (mode != "v1-unverified")


def test_v2_markers_carry_the_bumped_epoch_and_a_late_write_of_the_old_epoch_is_refused():
    c, p, part = late_write_after_abort("v2")
    markers = [e for e in c.trace.filter(name="marker") if e.fields["tp"] == f"t-{part}"]
    assert markers[-1].fields["epoch"] == p.producer_epoch
    assert c.partition_state("t", part).last_stable_offset == c.partition_state("t", part).high_watermark


def test_verification_is_asked_once_per_transaction_and_partition():
    c = cluster(1, True)
    p = c.producer({"transactional.id": "tx", "linger.ms": 0})
    p.init_transactions()
    p.begin_transaction()
    for i in range(5):
        p.produce("t", value=b"%d" % i, partition=0)
        p.flush()
    p.commit_transaction()
    assert len([e for e in c.trace.filter(name="txn.verify") if "t-0:ok" in e.fields["result"]]) == 1
    assert c.metrics().cluster["VerificationTimeMs.p50"] >= 0


def test_v2_transactions_add_partitions_through_the_leaders_not_the_client():
    c = cluster(2, True)
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    p.begin_transaction()
    p.produce("t", value=b"x", partition=1)
    p.commit_transaction()
    sent = c.trace.filter(name="AddPartitionsToTxnRequest", kind="send")
    assert sent and all(e.node.startswith("b") for e in sent)
    assert any(e.fields["add"] for e in c.trace.filter(name="txn.verify"))


# -- the coordinator's EndTxn table (end_txn_rules.py, kafka-semantics S.208) -------------------
@pytest.mark.parametrize("state,stored,asked,commit,expected", [
    (ONGOING, 5, 5, True, ("prepare", None)),
    (ONGOING, 5, 4, True, ("error", "PRODUCER_FENCED")),
    (EMPTY, 5, 5, False, ("empty_abort", None)),
    (EMPTY, 5, 5, True, ("error", "INVALID_TXN_STATE")),
    (PREPARE_COMMIT, 6, 5, True, ("error", "CONCURRENT_TRANSACTIONS")),
    (PREPARE_COMMIT, 6, 6, True, ("error", "PRODUCER_FENCED")),
    (COMPLETE_COMMIT, 6, 5, True, ("done", None)),
    (COMPLETE_COMMIT, 6, 5, False, ("error", "INVALID_TXN_STATE")),
    (COMPLETE_ABORT, 6, 5, False, ("done", None)),                 # a timeout-abort's producer aborts
    (COMPLETE_ABORT, 6, 5, True, ("error", "INVALID_TXN_STATE")),  # ... but cannot commit
    (COMPLETE_ABORT, 6, 6, False, ("empty_abort", None)),
    (COMPLETE_COMMIT, 6, 3, False, ("error", "PRODUCER_FENCED")),
])
def test_end_txn_v2_table(state, stored, asked, commit, expected):
    assert end_txn(2, state, stored, asked, commit) == expected


@pytest.mark.parametrize("state,stored,asked,commit,expected", [
    (ONGOING, 5, 5, True, ("prepare", None)),
    (ONGOING, 5, 4, True, ("error", "PRODUCER_FENCED")),
    (ONGOING, 5, 6, True, ("error", "INVALID_PRODUCER_EPOCH")),
    (PREPARE_ABORT, 5, 5, False, ("error", "CONCURRENT_TRANSACTIONS")),
    (PREPARE_ABORT, 5, 5, True, ("error", "INVALID_TXN_STATE")),
    (COMPLETE_COMMIT, 5, 5, True, ("done", None)),
    (COMPLETE_COMMIT, 5, 5, False, ("error", "INVALID_TXN_STATE")),
    (EMPTY, 5, 5, False, ("error", "INVALID_TXN_STATE")),
])
def test_end_txn_v1_table(state, stored, asked, commit, expected):
    assert end_txn(1, state, stored, asked, commit) == expected


def test_end_txn_rules_refuse_unknown_states_and_versions():
    with pytest.raises(ValueError, match="unknown transaction state"):
        end_txn(2, "Dead", 1, 1, True)
    with pytest.raises(ValueError, match="1 or 2"):
        end_txn(3, ONGOING, 1, 1, True)


def test_an_exhausted_epoch_rotates_the_producer_id_at_end_txn_under_v2():
    c = cluster(2, True)
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    coord = c.brokers[c.partition_state(TRANSACTION_STATE, partition_for("tx", 50)).leader].txn_coordinator
    from dataclasses import replace
    meta = coord.txns["tx"]
    coord.txns["tx"] = replace(meta, producer_epoch=32766)      # as after 32766 transactions
    p.sender.producer_epoch = 32766
    old_pid = p.producer_id
    p.begin_transaction()
    p.produce("t", value=b"x", partition=0)
    p.commit_transaction()
    assert p.producer_id != old_pid and p.producer_epoch == 0
    c.run(200)
    markers = [e for e in c.trace.filter(name="marker") if e.fields["tp"] == "t-0"]
    assert (markers[-1].fields["pid"], markers[-1].fields["epoch"]) == (old_pid, 32767)
    assert (coord.txns["tx"].producer_id, coord.txns["tx"].producer_epoch) == (p.producer_id, 0)
    p.begin_transaction()
    p.produce("t", value=b"y", partition=0)
    p.commit_transaction()
    assert p.producer_epoch == 1


def test_init_producer_id_with_the_producers_own_epoch_kip_360():
    """A claimed (id, epoch): the current epoch is bumped, the one before the last bump is a
    retry answered without a second bump, anything older is fenced."""
    from minikafka import protocol as P
    c = cluster(1, True)
    p = c.producer({"transactional.id": "tx"})
    p.init_transactions()
    pid, epoch = p.producer_id, p.producer_epoch
    broker = c.brokers[c.partition_state(TRANSACTION_STATE, partition_for("tx", 50)).leader]
    got: list = []
    send = broker.send
    broker.send = lambda dst, msg, daemon=False: got.append(msg) if dst == "probe" else send(dst, msg, daemon)

    def init(claimed_epoch: int, claimed_pid: int = pid):
        got.clear()
        broker.txn_coordinator.on_init_producer_id("probe", P.InitProducerIdRequest(1, "tx", 60_000, claimed_pid,
                                                                                    claimed_epoch))
        c.run(200)
        return got[0].error, got[0].producer_epoch
    assert init(epoch) == (None, epoch + 1)           # bumped
    assert init(epoch) == (None, epoch + 1)           # a retry: the same answer, no second bump
    assert init(epoch + 1) == (None, epoch + 2)
    assert init(epoch)[0] == "PRODUCER_FENCED"        # older than the last bump
    assert init(epoch + 2, claimed_pid=pid + 1)[0] == "PRODUCER_FENCED"      # another producer id
