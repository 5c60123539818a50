"""The checkers on hand-built histories: each anomaly kind is found when present and not
reported when absent; explanations point at the trace events that caused an anomaly."""
from __future__ import annotations

import pytest

from minikafka import Cluster, Message
from minikafka.chaos.checkers import (CHECKERS, KINDS, atomic_transactions, check_all,
                                      commits_beyond_processed, duplicates, exactly_once, lost_writes,
                                      processed_twice, read_committed_reads, render_verdicts, reordering,
                                      single_owner_per_generation, uncommitted_reads, unprocessed)
from minikafka.chaos.history import History, decode, encode


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
             isolation: str = "read_uncommitted", final: bool = False, topic: str = "t", group: str | None = None):
        return self.h.read(consumer, Message(topic, partition, offset, None, value), isolation, self.tick(), final,
                           group)

    def final(self, *values_at: tuple[bytes, int, int], isolation: str = "read_uncommitted", topic: str = "t"):
        for value, partition, offset in values_at:
            self.read(value, partition, offset, "final", isolation, final=True, topic=topic)

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


# -- read_uncommitted --------------------------------------------------------------------------------
def test_uncommitted_read_finds_a_read_uncommitted_consumer_returning_aborted_data():
    b = H()
    b.txn("p0", [(0, 0), (1, 1)], "aborted")
    b.read(v("p0", 0), 0, 0, isolation="read_uncommitted")
    [a] = uncommitted_reads(b.h).anomalies
    assert a.kind == "uncommitted_read" and "(read_uncommitted) read p0-0" in a.description
    assert read_committed_reads(b.h).ok                             # not a read_committed violation


def test_uncommitted_read_passes_for_committed_data_and_ignores_the_final_read():
    b = H()
    b.txn("p0", [(0, 0)], "committed")
    b.txn("p0", [(1, 0)], "aborted")
    b.read(v("p0", 0), 0, 0, isolation="read_uncommitted")
    b.final((v("p0", 0), 0, 0), (v("p0", 1), 0, 1))                 # the final read sees everything
    assert uncommitted_reads(b.h).ok


# -- single owner ---------------------------------------------------------------------------------
def assigned(b: H, consumer: str, generation: int, *parts: str, member: str | None = None):
    return b.h.group_event(consumer, "g", "assigned", b.tick(), parts, generation, member or f"{consumer}-m{generation}")


def test_single_owner_finds_a_partition_given_to_a_second_consumer_before_the_first_let_go():
    b = H()
    assigned(b, "consumer-1", 1, "t-0", "t-1")
    b.h.group_event("consumer-1", "g", "revoked", b.tick(), ("t-1",))
    assigned(b, "consumer-2", 2, "t-0", "t-1")                      # t-0 was never revoked
    [a] = single_owner_per_generation(b.h).anomalies
    assert a.kind == "single_owner" and "consumer-2 was assigned t-0 in generation 2" in a.description
    assert "consumer-1 still owned it (assigned in generation 1" in a.description


def test_single_owner_passes_when_the_first_owner_revoked_lost_closed_or_was_removed():
    for release in ("revoked", "lost", "closed", "removed"):
        b = H()
        assigned(b, "consumer-1", 1, "t-0", member="consumer-1-aa")
        b.h.group_event("consumer-1", "g", release, b.tick(), ("t-0",) if release in ("revoked", "lost") else (),
                        member="consumer-1-aa" if release == "removed" else None)
        assigned(b, "consumer-2", 2, "t-0")
        assert single_owner_per_generation(b.h).ok, release


def test_single_owner_a_crash_frees_nothing_until_the_coordinator_removes_that_member():
    b = H()
    assigned(b, "consumer-1", 1, "t-0", member="consumer-1-aa")
    b.h.group_event("consumer-1", "g", "crashed", b.tick())
    b.h.group_event("consumer-1", "g", "removed", b.tick(), member="consumer-1-old")   # an older member id
    assigned(b, "consumer-2", 2, "t-0")
    assert not single_owner_per_generation(b.h).ok
    b = H()
    assigned(b, "consumer-1", 1, "t-0", member="consumer-1-aa")
    b.h.group_event("consumer-1", "g", "crashed", b.tick())
    b.h.group_event("consumer-1", "g", "removed", b.tick(), member="consumer-1-aa")
    assigned(b, "consumer-2", 2, "t-0")
    assert single_owner_per_generation(b.h).ok


def test_single_owner_keeps_groups_apart_and_a_new_assignment_replaces_the_old():
    b = H()
    assigned(b, "consumer-1", 1, "t-0", "t-1")
    b.h.group_event("consumer-9", "other", "assigned", b.tick(), ("t-0",), 1)   # another group: no clash
    assigned(b, "consumer-1", 2, "t-1")                              # gave up t-0 with its new assignment
    assigned(b, "consumer-2", 2, "t-0")
    assert single_owner_per_generation(b.h).ok


# -- exactly once through a pipeline -----------------------------------------------------------------
def pipeline(outputs: list[tuple[int, int, str]]) -> History:
    """Inputs p0-0 and p0-1 in t; outputs (input seq, output offset, txn outcome) by x0 into out."""
    b = H()
    b.h.declare_pipeline("eos", ["t"], "out")
    for seq in range(2):
        b.send("p0", seq, offset=seq)
    b.final((v("p0", 0), 0, 0), (v("p0", 1), 0, 1))
    committed = []
    for n, (seq, offset, outcome) in enumerate(outputs):
        t = b.h.begin_txn("x0", "producer-3", b.tick())
        s = b.h.send("x0", "producer-3", n, "out", b.tick(), 0, t, source=v("p0", seq))
        b.h.delivered(s, None, 0, offset, b.tick())
        b.h.end_txn(t, outcome, b.tick())
        b.final((s.value, 0, offset), topic="out")
        if outcome == "committed":
            committed.append((s.value, 0, offset))
    b.final(*committed, isolation="read_committed", topic="out")
    return b.h


def test_exactly_once_finds_an_input_without_output_and_one_with_two():
    r = exactly_once(pipeline([(0, 0, "committed")]))
    [a] = r.anomalies
    assert a.kind == "eos_missing" and "input p0-1 has no output" in a.description
    r = exactly_once(pipeline([(0, 0, "committed"), (1, 2, "committed"), (1, 4, "committed")]))
    [a] = r.anomalies
    assert a.kind == "eos_duplicate" and "input p0-1 has 2 committed outputs" in a.description


def test_exactly_once_passes_when_aborted_attempts_are_invisible_to_read_committed():
    h = pipeline([(0, 0, "aborted"), (0, 2, "committed"), (1, 4, "committed")])
    r = exactly_once(h)
    assert r.ok and "2 input records" in r.checked
    assert exactly_once(History()).ok and "no pipeline" in exactly_once(History()).checked


# -- processing in a group -------------------------------------------------------------------------------
def processing(processed: list[tuple[int, int]]) -> History:
    """p0-0..p0-2 at t-0@0..2, read by consumer-1 of group g; processed: (offset, times)."""
    b = H()
    b.h.declare_processing("g", ["t"])
    reads = []
    for seq in range(3):
        b.send("p0", seq, offset=seq)
        reads.append(b.read(v("p0", seq), 0, seq, group="g"))
    for offset, times in processed:
        for _ in range(times):
            b.h.process("consumer-1", "g", reads[offset], b.tick())
    b.h.commit("consumer-1", "g", "t", 0, 3, True, b.tick())
    b.final(*((v("p0", s), 0, s) for s in range(3)))
    return b.h


def test_unprocessed_finds_a_record_the_group_never_processed():
    r = unprocessed(processing([(0, 1), (2, 1)]))
    [a] = r.anomalies
    assert a.kind == "unprocessed" and "never processed p0-1 at t-0@1" in a.description
    assert "committed past it (t-0=3)" in a.description


def test_unprocessed_passes_when_every_record_was_processed_and_ignores_undeclared_groups():
    assert unprocessed(processing([(0, 1), (1, 1), (2, 1)])).ok
    b = H()
    b.send("p0", 0, offset=0)
    b.final((v("p0", 0), 0, 0))
    assert unprocessed(b.h).ok                                      # nothing declared: nothing to process


def test_processed_twice_finds_one_record_processed_twice_but_not_two_records():
    [a] = processed_twice(processing([(0, 1), (1, 2), (2, 1)])).anomalies
    assert a.kind == "processed_twice" and "p0-1 at t-0@1 2 times" in a.description
    assert processed_twice(processing([(0, 1), (1, 1), (2, 1)])).ok


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
    assert set(CHECKERS) - {"exactly_once"} <= set(KINDS)            # a checker reports its own kind
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
