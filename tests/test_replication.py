"""minikafka.server.replication: high watermark, ISR membership and leader election as pure functions."""
from hypothesis import given
from hypothesis import strategies as st

from minikafka.controller.election import NO_LEADER, elect_leader
from minikafka.server.replication import can_join_isr, effective_min_isr, high_watermark, is_lagging


def test_high_watermark_is_min_leo_over_isr():
    leos = {1: 10, 2: 7, 3: 2}
    assert high_watermark(leos, isr=[1, 2], current_hw=0) == 7
    assert high_watermark(leos, isr=[1, 2, 3], current_hw=0) == 2
    assert high_watermark(leos, isr=[1], current_hw=0) == 10


def test_high_watermark_never_goes_backwards():
    assert high_watermark({1: 10, 2: 4}, isr=[1, 2], current_hw=6) == 6


def test_high_watermark_frozen_while_isr_below_min_isr():
    assert high_watermark({1: 10, 2: 10}, isr=[1], current_hw=3, min_isr=2) == 3
    assert high_watermark({1: 10, 2: 10}, isr=[1, 2], current_hw=3, min_isr=2) == 10


def test_unknown_follower_leo_holds_high_watermark():
    assert high_watermark({1: 10, 2: -1}, isr=[1, 2], current_hw=4) == 4
    assert high_watermark({1: 10}, isr=[1, 2], current_hw=4) == 4


def test_effective_min_isr_is_capped_by_replication_factor():
    assert effective_min_isr(2, 3) == 2
    assert effective_min_isr(3, 1) == 1


def test_follower_lags_only_after_more_than_replica_lag_time_max():
    assert not is_lagging(now_ms=30_000, last_caught_up_ms=0, replica_lag_time_max_ms=30_000)
    assert is_lagging(now_ms=30_001, last_caught_up_ms=0, replica_lag_time_max_ms=30_000)


def test_follower_joins_isr_only_at_or_past_hw_and_epoch_start():
    assert can_join_isr(follower_leo=10, leader_hw=10, leader_epoch_start_offset=8)
    assert not can_join_isr(follower_leo=9, leader_hw=10, leader_epoch_start_offset=8)
    assert not can_join_isr(follower_leo=10, leader_hw=5, leader_epoch_start_offset=12)


def test_clean_election_picks_first_replica_in_assignment_order_in_isr_and_live():
    assert elect_leader([3, 1, 2], isr={1, 2, 3}, live={1, 2, 3}) == (3, False)
    assert elect_leader([3, 1, 2], isr={1, 2}, live={1, 2, 3}) == (1, False)
    assert elect_leader([3, 1, 2], isr={1, 2}, live={2, 3}) == (2, False)


def test_no_live_isr_member_leaves_partition_offline_unless_unclean_enabled():
    assert elect_leader([1, 2, 3], isr={1}, live={3, 2}) == (NO_LEADER, False)
    assert elect_leader([1, 3, 2], isr={1}, live={2, 3}, unclean=True) == (3, True)


def test_unclean_enabled_still_prefers_a_live_isr_member():
    assert elect_leader([1, 2, 3], isr={3}, live={1, 2, 3}, unclean=True) == (3, False)


def test_no_live_replica_means_no_leader_even_when_unclean():
    assert elect_leader([1, 2], isr={1, 2}, live={5}, unclean=True) == (NO_LEADER, False)
    assert elect_leader([1, 2], isr=set(), live=set()) == (NO_LEADER, False)


brokers = st.integers(1, 5)
leos = st.dictionaries(brokers, st.integers(-1, 50), min_size=1)


@given(leos, st.lists(brokers, min_size=1, max_size=5, unique=True), st.integers(0, 50),
       st.integers(1, 3))
def test_advanced_high_watermark_never_exceeds_an_isr_members_leo(leo_by_replica, isr, hw, min_isr):
    new = high_watermark(leo_by_replica, isr, hw, min_isr)
    assert new >= hw
    if new > hw:
        assert len(isr) >= min_isr
        assert all(new <= leo_by_replica[r] for r in isr)


@given(st.lists(brokers, min_size=1, max_size=5, unique=True), st.sets(brokers), st.sets(brokers),
       st.booleans())
def test_elected_clean_leader_is_always_a_live_isr_member(replicas, isr, live, unclean):
    leader, was_unclean = elect_leader(replicas, isr, live, unclean)
    live_isr = [r for r in replicas if r in isr and r in live]
    live_any = [r for r in replicas if r in live]
    if live_isr:
        assert (leader, was_unclean) == (live_isr[0], False)
    elif unclean and live_any:
        assert (leader, was_unclean) == (live_any[0], True)
    else:
        assert (leader, was_unclean) == (NO_LEADER, False)


def test_a_follower_without_the_leaders_epoch_truncates_to_its_first_epoch_instead_of_looping():
    """Found by notebook 04's seeded histories: after an unclean election, a returning replica
    whose first epoch (1) the leader never had got the answer (epoch 0, end 1) and truncated to
    its own end, again and again. Kafka's LeaderEpochFileCache.endOffsetFor answers the start of
    the first higher epoch, so the follower truncates there and then copies the leader."""
    from minikafka import Cluster
    from minikafka.storage.records import Record, RecordBatch
    c = Cluster(brokers=2, seed=1)
    c.create_topic("t", partitions=1, replication_factor=2)
    follower = next(r.broker for r in c.partition_state("t", 0).replicas
                    if r.broker != c.partition_state("t", 0).leader)
    b = c.brokers[follower]
    r = b.replicas[("t", 0)]
    r.log.append_as_leader(RecordBatch([Record(None, b"mine", None, 0)], 70), 1)
    assert r.log.epochs == [(1, 0)] and r.leo == 1
    b.fetcher.truncate(r, (0, 1))
    assert r.leo == 0                               # nothing of its own is vouched for by the leader
    assert [e.fields["to"] for e in c.trace.filter(name="truncate")] == [0]
