"""The checkers on hand-built histories: each anomaly kind is found when present and not
reported when absent; explanations point at the trace events that caused an anomaly."""
from __future__ import annotations

import pytest

from minikafka import Cluster, Message
from minikafka.checkers import (
    CHECKERS,
    atomic_transactions,
    check_all,
    commits_beyond_processed,
    duplicates,
    lost_writes,
    read_committed_reads,
    render_verdicts,
    reordering,
    single_owner_per_generation,
)
from minikafka.history import History, decode, encode


class H:
    """A small DSL over History for building histories by hand."""

    def __init__(self) -> None:
        self.h = History()
        self.t = 0

    def tick(self) -> int:
        self.t += 1
        return self.t

    def send(self, producer: str, seq: int, partition: int = 0, outcome: str = "acked", offset: int = -1,
             instance: str | None = None, txn=None, error: str = "_MSG_TIMED_OUT"):
        s = self.h.send(producer, instance or f"{producer}-instance", seq, "t", self.tick(), partition, txn)
        if outcome == "acked":
            self.h.delivered(s, None, partition, offset, self.tick())
        elif outcome == "failed":
            self.h.delivered(s, error, partition, -1, self.tick())
        elif outcome == "unknown":
            self.h.unknown([s], "crashed", self.tick())
        return s

    def read(self, value: bytes, partition: int, offset: int, consumer: str = "consumer-1",
             isolation: str = "read_uncommitted", final: bool = False):
        return self.h.read(consumer, Message("t", partition, offset, None, value), isolation, self.tick(), final)

    def final(self, *values_at: tuple[bytes, int, int], isolation: str = "read_uncommitted"):
        for value, partition, offset in values_at:
            self.read(value, partition, offset, "final", isolation, final=True)

    def txn(self, producer: str, values: list[tuple[int, int]], outcome: str):
        """A transaction of (seq, partition) sends, all acked at the given offsets (seq used as offset)."""
        t = self.h.begin_txn(producer, f"{producer}-instance", self.tick(), producer_id=7, epoch=0)
        for seq, partition in values:
            self.send(producer, seq, partition, "acked", seq, txn=t)
        self.h.end_txn(t, outcome, self.tick())
        return t


def v(producer: str, seq: int) -> bytes:
    return encode(producer, seq)


def test_values_encode_producer_and_sequence():
    assert encode("p3", 17) == b"p3-17"
    assert decode(b"p3-17") == ("p3", 17)
    assert decode(b"p-x-2") == ("p-x", 2)
    assert decode(b"warm-up") is None and decode(None) is None


# -- lost ----------------------------------------------------------------------------------------
def test_lost_finds_an_acknowledged_write_missing_from_the_final_read():
    b = H()
    b.send("p0", 0, offset=0)
    b.send("p0", 1, offset=1)
    b.final((v("p0", 0), 0, 0), (v("p0", 2), 0, 1))
    r = lost_writes(b.h)
    assert not r.ok
    [a] = r.anomalies
    assert a.kind == "lost" and "p0-1" in a.description and "offset 1 now holds b'p0-2'" in a.description
    assert a.records[0].value == v("p0", 1)


def test_lost_passes_when_every_acknowledged_write_is_read_back_and_ignores_failed_and_unknown():
    b = H()
    b.send("p0", 0, offset=0)
    b.send("p0", 1, outcome="failed")
    b.send("p0", 2, outcome="unknown")
    b.send("p1", 0, partition=1, offset=0)
    b.final((v("p0", 0), 0, 0), (v("p1", 0), 1, 0))
    r = lost_writes(b.h)
    assert r.ok and r.anomalies == []
    assert "2 acknowledged sends" in r.checked


def test_lost_counts_a_value_read_back_at_another_offset_as_present():
    b = H()
    b.send("p0", 0, offset=5)
    b.final((v("p0", 0), 0, 7))
    assert lost_writes(b.h).ok


def test_lost_without_a_final_read_checks_nothing_and_says_so():
    b = H()
    b.send("p0", 0, offset=0)
    r = lost_writes(b.h)
    assert r.ok and "nothing checked" in r.checked


def test_lost_write_is_explained_by_the_truncation_and_election_in_the_trace():
    """Scenario 1 (acks=1, the leader dies before a follower fetches), recorded by hand."""
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    h = History(c.trace)
    st = c.partition_state("t", 0)
    leader, followers = st.leader, [r.broker for r in st.replicas if r.broker != st.leader]
    p = c.producer({"acks": 1, "linger.ms": 0})
    sends = []
    for seq in range(2):
        s = h.send("p0", p.name, seq, "t", c.now, 0)
        p.produce("t", value=s.value, partition=0, on_delivery=h.on_delivery(s, lambda: c.now))
        p.flush()
        sends.append(s)
        if seq == 0:
            c.run(1000)
            for f in followers:
                c.cut(leader, f)
    c.crash_broker(leader)
    c.run(10_000)
    c.heal_all()
    c.restart_broker(leader)
    c.run(5_000)
    k = c.consumer({"auto.offset.reset": "earliest"})
    from minikafka import TopicPartition
    k.assign([TopicPartition("t", 0)])
    for m in k.consume(100, 2.0):
        h.read(k.name, m, "read_uncommitted", c.now, final=True)
    r = lost_writes(h, c)
    [a] = r.anomalies
    assert a.records[0] is sends[1]
    names = [c.trace[seq].name for seq in a.trace_seq]
    assert "leader.elect" in names and "truncate" in names
    text = a.render(c)
    assert "trace #" in text and "truncate" in text


# -- duplicates ----------------------------------------------------------------------------------
def test_duplicate_finds_one_value_at_two_offsets():
    b = H()
    b.send("p0", 0, offset=3)
    b.read(v("p0", 0), 0, 3)
    b.read(v("p0", 0), 0, 4)
    r = duplicates(b.h)
    [a] = r.anomalies
    assert a.kind == "duplicate" and "t-0@3, t-0@4" in a.description


def test_duplicate_ignores_the_same_offset_read_twice():
    b = H()
    b.send("p0", 0, offset=3)
    b.read(v("p0", 0), 0, 3, consumer="consumer-1")
    b.read(v("p0", 0), 0, 3, consumer="consumer-2")
    b.final((v("p0", 0), 0, 3))
    assert duplicates(b.h).ok


# -- reordering ----------------------------------------------------------------------------------
def test_reorder_finds_a_later_sequence_at_a_lower_offset_from_one_instance():
    b = H()
    for seq in range(3):
        b.send("p0", seq, offset=seq)
    b.final((v("p0", 0), 0, 0), (v("p0", 2), 0, 1), (v("p0", 1), 0, 2))
    r = reordering(b.h)
    [a] = r.anomalies
    assert a.kind == "reorder" and "p0-1 (sequence 1)" in a.description and "p0-2 (sequence 2)" in a.description


def test_reorder_passes_for_interleaved_producers_other_partitions_and_duplicate_copies():
    b = H()
    b.send("p0", 0, offset=0)
    b.send("p1", 0, offset=1)
    b.send("p0", 1, offset=2)
    b.send("p0", 2, partition=1, offset=0)
    b.send("p0", 3, offset=3)
    b.final((v("p1", 0), 0, 0), (v("p0", 0), 0, 1), (v("p0", 1), 0, 2), (v("p0", 3), 0, 3),
            (v("p0", 1), 0, 4),                                     # a duplicate's second copy
            (v("p0", 2), 1, 0))
    assert reordering(b.h).ok


def test_reorder_compares_within_one_producer_instance_only():
    b = H()
    b.send("p0", 5, offset=1, instance="producer-1")
    b.send("p0", 6, offset=0, instance="producer-3")               # a new session of p0
    b.final((v("p0", 6), 0, 0), (v("p0", 5), 0, 1))
    assert reordering(b.h).ok


# -- read_committed --------------------------------------------------------------------------------
def test_aborted_read_finds_read_committed_reading_an_aborted_transaction():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "aborted")
    b.read(v("p0", 0), 0, 0, isolation="read_committed")
    r = read_committed_reads(b.h)
    [a] = r.anomalies
    assert a.kind == "aborted_read" and "transaction 0 which was aborted" in a.description


def test_aborted_read_passes_for_committed_data_and_for_read_uncommitted_readers():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "committed")
    b.txn("p0", [(2, 0), (3, 1)], "aborted")
    b.read(v("p0", 0), 0, 0, isolation="read_committed")
    b.read(v("p0", 2), 0, 2, isolation="read_uncommitted")
    assert read_committed_reads(b.h).ok


def test_aborted_read_resolves_unknown_transactions_by_the_final_read_committed_read():
    b = H()
    t_in = b.txn("p0", [(0, 0), (1, 1)], "unknown")                 # decided commit after all
    b.txn("p0", [(2, 0), (3, 1)], "unknown")                        # never committed
    b.read(v("p0", 0), 0, 0, isolation="read_committed")
    b.read(v("p0", 2), 0, 2, isolation="read_committed")
    b.final((v("p0", 0), 0, 0), (v("p0", 1), 1, 1), isolation="read_committed")
    r = read_committed_reads(b.h)
    [a] = r.anomalies
    assert a.records[0].value == v("p0", 2) and "did not commit" in a.description
    assert t_in.outcome == "unknown"


# -- atomicity -----------------------------------------------------------------------------------
def test_non_atomic_finds_a_committed_transaction_partly_visible():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "committed")
    b.final((v("p0", 0), 0, 0), isolation="read_committed")
    r = atomic_transactions(b.h)
    [a] = r.anomalies
    assert a.kind == "non_atomic" and "1 of 2" in a.description and "missing p0-1" in a.description


def test_non_atomic_passes_for_whole_transactions_and_ignores_aborted_ones():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "committed")
    b.txn("p0", [(2, 0), (3, 1)], "aborted")
    b.txn("p0", [(4, 0), (5, 1)], "unknown")                        # invisible: it aborted
    b.final((v("p0", 0), 0, 0), (v("p0", 1), 1, 1), (v("p0", 2), 0, 2), isolation="read_committed")
    assert atomic_transactions(b.h).ok


def test_a_committed_transaction_with_nothing_visible_is_reported():
    b = H()
    b.txn("p0", [(0, 0)], "committed")
    b.txn("p0", [(1, 0)], "committed")
    b.final((v("p0", 1), 0, 1), isolation="read_committed")
    [a] = atomic_transactions(b.h).anomalies
    assert a.kind == "committed_invisible"


def test_an_unknown_transaction_partly_visible_is_non_atomic():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "unknown")
    b.final((v("p0", 1), 1, 1), isolation="read_committed")
    [a] = atomic_transactions(b.h).anomalies
    assert a.kind == "non_atomic"


# -- committed offsets -------------------------------------------------------------------------------
def test_commit_beyond_finds_an_offset_past_unreturned_records():
    b = H()
    for seq in range(5):
        b.send("p0", seq, offset=seq)
    b.read(v("p0", 0), 0, 0)
    b.read(v("p0", 1), 0, 1)
    b.h.commit("consumer-1", "g", "t", 0, 5, True, b.tick())
    b.final(*((v("p0", s), 0, s) for s in range(5)))
    r = commits_beyond_processed(b.h)
    [a] = r.anomalies
    assert a.kind == "commit_beyond" and "only up to offset 1" in a.description and "@2, @3, @4" in a.description


def test_commit_beyond_passes_for_the_next_offset_failed_commits_and_control_records():
    b = H()
    for seq in range(3):
        b.send("p0", seq, offset=seq)
    for seq in range(3):
        b.read(v("p0", seq), 0, seq)
    b.h.commit("consumer-1", "g", "t", 0, 3, True, b.tick())        # resume at 3: fine
    b.h.commit("consumer-1", "g", "t", 0, 9, False, b.tick(), "ILLEGAL_GENERATION")   # failed: ignored
    b.h.commit("consumer-1", "g", "t", 0, 4, True, b.tick())        # offset 3 is a marker
    b.final(*((v("p0", s), 0, s) for s in range(3)))
    assert commits_beyond_processed(b.h).ok


def test_commit_beyond_lets_read_committed_skip_aborted_records_but_not_read_uncommitted():
    def history(isolation: str) -> History:
        b = H()
        b.send("p0", 0, offset=0)
        b.txn("p1", [(1, 0), (2, 0)], "aborted")                    # offsets 1, 2; marker at 3
        b.read(v("p0", 0), 0, 0, isolation=isolation)
        b.h.commit("consumer-1", "g", "t", 0, 4, True, b.tick(), isolation=isolation)
        b.final((v("p0", 0), 0, 0), (v("p1", 1), 0, 1), (v("p1", 2), 0, 2))
        return b.h
    assert commits_beyond_processed(history("read_committed")).ok
    assert not commits_beyond_processed(history("read_uncommitted")).ok


def test_commit_beyond_counts_records_returned_to_any_member_of_the_group():
    b = H()
    b.send("p0", 0, offset=0)
    b.send("p0", 1, offset=1)
    b.read(v("p0", 0), 0, 0, consumer="consumer-1")
    b.read(v("p0", 1), 0, 1, consumer="consumer-1")
    b.h.commit("consumer-1", "g", "t", 0, 2, True, b.tick())
    b.h.commit("consumer-2", "g", "t", 0, 2, True, b.tick())        # a new instance re-commits
    b.final((v("p0", 0), 0, 0), (v("p0", 1), 0, 1))
    assert commits_beyond_processed(b.h).ok


def test_single_owner_checker_waits_for_consumer_groups():
    with pytest.raises(NotImplementedError, match="needs consumer groups"):
        single_owner_per_generation(History())


# -- reports -------------------------------------------------------------------------------------
def test_check_all_runs_every_checker_and_renders_deterministically():
    b = H()
    b.send("p0", 0, offset=0)
    b.send("p0", 1, offset=1)
    b.read(v("p0", 0), 0, 0)
    b.read(v("p0", 0), 0, 1)
    b.final((v("p0", 0), 0, 0), (v("p0", 0), 0, 1))
    verdicts = check_all(b.h)
    assert list(verdicts) == list(CHECKERS)
    failing = sorted(n for n, r in verdicts.items() if not r.ok)
    assert failing == ["duplicate", "lost"]
    text = render_verdicts(verdicts)
    assert text == render_verdicts(check_all(b.h))
    assert "lost: FAIL, 1 anomalies" in text and "reorder: ok" in text
    assert check_all(b.h, names=["reorder"]).keys() == {"reorder"}
    with pytest.raises(ValueError, match="unknown checker"):
        check_all(b.h, names=["nope"])


def test_history_renders_every_entry_in_order():
    b = H()
    t = b.txn("p0", [(0, 0)], "committed")
    b.read(v("p0", 0), 0, 0, isolation="read_committed")
    b.h.commit("consumer-1", "g", "t", 0, 1, True, b.tick())
    b.send("p1", 0, outcome="unknown")
    text = b.h.render()
    assert [line.split()[0] for line in text.split("\n")] == ["#0", "#1", "#2", "#3", "#4"]
    assert "txn 0" in text and "unknown (crashed)" in text and "commit g t-0=1" in text
    assert t.values == [v("p0", 0)]
    assert "transactions: 1 (1 committed)" in b.h.summary()
