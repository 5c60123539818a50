"""minikafka.storage.log.PartitionLog: dense offsets, leader-epoch cache, truncation, reads, flushing."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minikafka.storage.log import PartitionLog
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch, record_size


def batch(n, value=b"v" * 10):
    recs = [Record(None, value, None, 0) for _ in range(n)]
    return RecordBatch(recs, BATCH_OVERHEAD + n * record_size(None, value))


def log_of(*spec):
    """spec: (records, leader_epoch) per batch, appended as leader."""
    log = PartitionLog()
    for n, epoch in spec:
        log.append_as_leader(batch(n), epoch)
    return log


def test_leader_appends_get_dense_offsets():
    log = PartitionLog()
    stored = [log.append_as_leader(batch(n), 0) for n in (3, 1, 2)]
    assert [(b.base_offset, b.last_offset) for b in stored] == [(0, 2), (3, 3), (4, 5)]
    assert log.log_end_offset == 6 and len(log) == 6
    assert all(b.leader_epoch == 0 for b in stored)


def test_follower_append_must_start_at_log_end():
    leader, follower = log_of((2, 0), (3, 0)), PartitionLog()
    for b in leader.batches:
        follower.append_as_follower(b)
    assert follower.log_end_offset == 5 and follower.epochs == [(0, 0)]
    with pytest.raises(AssertionError):
        follower.append_as_follower(leader.batches[0])


def test_epoch_cache_records_first_offset_of_each_epoch():
    log = log_of((2, 0), (3, 0), (1, 2), (4, 5))
    assert log.epochs == [(0, 0), (2, 5), (5, 6)]
    assert log.last_epoch() == 5 and log.epoch_start(2) == 5 and log.epoch_start(3) == -1


def test_start_epoch_records_epoch_at_log_end_before_any_append():
    log = log_of((2, 0))
    log.start_epoch(1)
    log.start_epoch(1)
    assert log.epochs == [(0, 0), (1, 2)]
    log.append_as_leader(batch(1), 1)
    assert log.epochs == [(0, 0), (1, 2)]


def test_end_offset_for_epoch_follows_kip_101():
    log = log_of((2, 1), (3, 1), (1, 3), (4, 6))     # epochs 1@0, 3@5, 6@6, LEO 10
    assert log.end_offset_for_epoch(1) == (1, 5)
    assert log.end_offset_for_epoch(3) == (3, 6)
    assert log.end_offset_for_epoch(6) == (6, 10)      # the latest epoch ends at the LEO


def test_end_offset_for_epoch_between_cached_epochs_answers_the_one_below():
    log = log_of((2, 1), (3, 1), (1, 3), (4, 6))
    assert log.end_offset_for_epoch(2) == (1, 5)
    assert log.end_offset_for_epoch(5) == (3, 6)


def test_end_offset_for_epoch_older_than_all_is_undefined():
    log = log_of((2, 1), (1, 3))
    assert log.end_offset_for_epoch(0) == (-1, -1)
    assert PartitionLog().end_offset_for_epoch(4) == (-1, -1)


def test_truncate_inside_a_batch_splits_it():
    log = log_of((3, 0), (4, 1))                        # offsets 0-2 epoch 0, 3-6 epoch 1
    assert log.truncate_to(5) == 2
    assert log.log_end_offset == 5
    assert [(b.base_offset, b.count) for b in log.batches] == [(0, 3), (3, 2)]
    assert log.batches[-1].size == BATCH_OVERHEAD + 2 * record_size(None, b"v" * 10)
    assert log.epochs == [(0, 0), (1, 3)]
    assert log.append_as_leader(batch(1), 1).base_offset == 5


def test_truncate_at_batch_boundary_drops_whole_batches_and_their_epochs():
    log = log_of((3, 0), (4, 1), (1, 2))
    assert log.truncate_to(3) == 5
    assert [(b.base_offset, b.count) for b in log.batches] == [(0, 3)]
    assert log.log_end_offset == 3 and log.epochs == [(0, 0)]
    assert log.truncate_to(0) == 3
    assert log.batches == [] and log.epochs == [] and log.log_end_offset == 0


def test_truncate_at_or_beyond_log_end_removes_nothing():
    log = log_of((3, 0))
    assert log.truncate_to(3) == 0 and log.truncate_to(10) == 0
    assert log.log_end_offset == 3


def test_truncate_at_log_end_forgets_an_epoch_started_there_with_no_records():
    log = log_of((2, 0))
    log.start_epoch(3)
    assert log.truncate_to(2) == 0
    assert log.epochs == [(0, 0)] and log.end_offset_for_epoch(3) == (0, 2)


def test_read_returns_whole_batches_from_the_one_holding_offset():
    log = log_of((3, 0), (3, 0), (3, 0))                # bases 0, 3, 6
    out = log.read(4, max_offset=9, max_bytes=10**6)
    assert [b.base_offset for b in out] == [3, 6]
    assert log.read(9, 9, 10**6) == [] and log.read(2, 2, 10**6) == []


def test_read_stops_before_max_offset():
    log = log_of((3, 0), (3, 0), (3, 0))
    assert [b.base_offset for b in log.read(0, max_offset=4, max_bytes=10**6)] == [0, 3]
    assert [b.base_offset for b in log.read(0, max_offset=3, max_bytes=10**6)] == [0]


def test_read_respects_max_bytes_but_returns_at_least_one_batch():
    log = log_of((3, 0), (3, 0), (3, 0))
    size = log.batches[0].size
    assert [b.base_offset for b in log.read(0, 9, max_bytes=1)] == [0]
    assert [b.base_offset for b in log.read(0, 9, max_bytes=2 * size)] == [0, 3]
    assert [b.base_offset for b in log.read(0, 9, max_bytes=2 * size + 1)] == [0, 3]


def test_batch_at_finds_the_batch_holding_an_offset():
    log = log_of((3, 0), (2, 0))
    assert log.batch_at(4).base_offset == 3 and log.batch_at(2).base_offset == 0
    assert log.batch_at(5) is None


def test_lose_unflushed_keeps_only_the_flushed_prefix():
    log = log_of((3, 0))
    log.flush()
    log.append_as_leader(batch(2), 1)
    assert log.flushed == 3
    assert log.lose_unflushed() == 2
    assert log.log_end_offset == 3 and log.epochs == [(0, 0)]
    assert log.lose_unflushed() == 0


def test_truncate_below_flushed_lowers_flushed():
    log = log_of((3, 0), (3, 0))
    log.flush()
    log.truncate_to(2)
    assert log.flushed == 2


ops = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(1, 5), st.integers(0, 3)),
    st.tuples(st.just("truncate"), st.integers(0, 40), st.just(0)),
), max_size=30)


@given(ops)
def test_offsets_stay_dense_after_any_appends_and_truncations(steps):
    log, epoch = PartitionLog(), 0
    for op, arg, bump in steps:
        if op == "append":
            epoch += bump
            log.append_as_leader(batch(arg), epoch)
        else:
            log.truncate_to(arg)
    expected = 0
    for b in log.batches:
        assert b.base_offset == expected and b.count > 0
        expected = b.next_offset
    assert log.log_end_offset == expected
    assert all(s < log.log_end_offset for _, s in log.epochs)
    assert [e for e, _ in log.epochs] == sorted({b.leader_epoch for b in log.batches})
