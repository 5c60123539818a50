"""The share-partition state machine (KIP-932) of `minikafka.server.share.share_partition`: acquisition,
acknowledgement, lock expiry, the SPSO, gaps, persistence and the log start."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minikafka.protocol.share_groups import (ACCEPT, ACKNOWLEDGED, ACQUIRED, ARCHIVED, AVAILABLE, REJECT,
                                             RELEASE)
from minikafka.server.share.share_partition import SharePartition


def everything(offset: int) -> bool:
    return True


def sp(start: int = 0, limit: int = 3, locks: int = 100) -> SharePartition:
    return SharePartition(start, delivery_limit=limit, max_record_locks=locks)


def states(p: SharePartition) -> dict[int, tuple[int, int]]:
    return {o: (r[0], r[1]) for o, r in p.records.items()}


# --- acquisition -------------------------------------------------------------------------------

def test_new_records_are_acquired_lowest_offset_first_up_to_max_records():
    p = sp()
    assert p.acquire("a", 3, 10, everything, lock_id=1) == [(0, 1), (1, 1), (2, 1)]
    assert p.acquire("b", 3, 10, everything, lock_id=2) == [(3, 1), (4, 1), (5, 1)]
    assert p.next_offset == 6
    assert p.records[4] == [ACQUIRED, 1, "b", 2]


def test_acquisition_stops_at_the_end_offset():
    p = sp()
    assert p.acquire("a", 10, 4, everything, 1) == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert p.acquire("a", 10, 4, everything, 2) == []
    assert p.next_offset == 4


def test_available_records_in_the_window_come_before_new_offsets():
    p = sp()
    p.acquire("a", 4, 10, everything, 1)
    assert p.acknowledge("a", [(1, 1, RELEASE), (3, 3, RELEASE)]) is None
    assert p.acquire("b", 3, 10, everything, 2) == [(1, 2), (3, 2), (4, 1)]


def test_delivery_counts_increment_per_acquisition():
    p = sp(limit=5)
    for expected in (1, 2, 3):
        assert p.acquire("a", 1, 10, everything, expected) == [(0, expected)]
        assert p.expire_lock(expected) == [0]
    assert p.records[0] == [AVAILABLE, 3, None, None]


def test_the_window_caps_new_records_at_max_record_locks():
    p = sp(locks=3)
    assert [o for o, _ in p.acquire("a", 10, 10, everything, 1)] == [0, 1, 2]
    assert p.acquire("b", 10, 10, everything, 2) == []
    p.acknowledge("a", [(0, 0, ACCEPT)])
    assert p.spso == 1
    assert p.acquire("b", 10, 10, everything, 3) == [(3, 1)]


def test_available_records_in_a_full_window_can_still_be_reacquired():
    p = sp(locks=3)
    p.acquire("a", 10, 10, everything, 1)
    p.acknowledge("a", [(1, 2, RELEASE)])
    assert p.acquire("b", 10, 10, everything, 2) == [(1, 2), (2, 2)]
    assert p.next_offset == 3


def test_gaps_are_archived_without_delivery_and_the_spso_passes_them():
    p = sp()
    got = p.acquire("a", 10, 6, {1, 2, 4}, 1)
    assert got == [(1, 1), (2, 1), (4, 1)]
    assert p.spso == 1                                  # offset 0 was a gap at the start
    assert states(p)[3] == (ARCHIVED, 0) and states(p)[5] == (ARCHIVED, 0)
    p.acknowledge("a", [(1, 2, ACCEPT), (4, 4, ACCEPT)])
    assert (p.spso, p.records) == (6, {})


def test_gaps_do_not_count_towards_max_records():
    p = sp()
    assert p.acquire("a", 2, 10, lambda o: o % 3 == 0, 1) == [(0, 1), (3, 1)]
    assert p.next_offset == 4


# --- acknowledgement ---------------------------------------------------------------------------

def test_accept_acknowledges_and_reject_archives():
    p = sp()
    p.acquire("a", 4, 10, everything, 1)
    assert p.acknowledge("a", [(1, 1, ACCEPT), (2, 2, REJECT)]) is None
    assert states(p)[1] == (ACKNOWLEDGED, 1) and states(p)[2] == (ARCHIVED, 1)
    assert p.records[1][2:] == [None, None]


def test_release_makes_a_record_available_again():
    p = sp()
    p.acquire("a", 1, 10, everything, 1)
    assert p.acknowledge("a", [(0, 0, RELEASE)]) is None
    assert p.records[0] == [AVAILABLE, 1, None, None]


def test_a_released_record_is_archived_at_the_delivery_limit():
    p = sp(limit=2)
    p.acquire("a", 1, 1, everything, 1)
    p.acknowledge("a", [(0, 0, RELEASE)])
    assert p.acquire("a", 1, 1, everything, 2) == [(0, 2)]
    p.acknowledge("a", [(0, 0, RELEASE)])
    assert p.spso == 1 and p.records == {}              # Archived, so the SPSO passed it
    assert p.acquire("a", 1, 1, everything, 3) == []


def test_acknowledging_another_members_record_changes_nothing():
    p = sp()
    p.acquire("a", 2, 10, everything, 1)
    p.acquire("b", 2, 10, everything, 2)
    before = states(p)
    assert p.acknowledge("a", [(0, 1, ACCEPT), (2, 2, ACCEPT)]) == "INVALID_RECORD_STATE"
    assert states(p) == before and p.spso == 0


def test_acknowledging_an_available_record_changes_nothing():
    p = sp()
    p.acquire("a", 3, 10, everything, 1)
    p.acknowledge("a", [(1, 1, RELEASE)])
    assert p.acknowledge("a", [(0, 0, ACCEPT), (1, 1, ACCEPT)]) == "INVALID_RECORD_STATE"
    assert states(p) == {0: (ACQUIRED, 1), 1: (AVAILABLE, 1), 2: (ACQUIRED, 1)}


def test_acknowledging_an_acknowledged_record_again_changes_nothing():
    p = sp()
    p.acquire("a", 3, 10, everything, 1)
    p.acknowledge("a", [(1, 1, ACCEPT)])
    assert p.acknowledge("a", [(2, 2, ACCEPT), (1, 1, REJECT)]) == "INVALID_RECORD_STATE"
    assert states(p) == {0: (ACQUIRED, 1), 1: (ACKNOWLEDGED, 1), 2: (ACQUIRED, 1)}


def test_acknowledging_an_offset_twice_or_beyond_the_window_changes_nothing():
    p = sp()
    p.acquire("a", 3, 10, everything, 1)
    assert p.acknowledge("a", [(0, 1, ACCEPT), (1, 1, REJECT)]) == "INVALID_RECORD_STATE"
    assert p.acknowledge("a", [(2, 3, ACCEPT)]) == "INVALID_RECORD_STATE"
    assert all(r[0] == ACQUIRED for r in p.records.values())


def test_a_malformed_acknowledgement_is_an_invalid_request():
    p = sp()
    p.acquire("a", 3, 10, everything, 1)
    assert p.acknowledge("a", [(0, 0, ACCEPT), (2, 1, ACCEPT)]) == "INVALID_REQUEST"
    assert p.acknowledge("a", [(0, 0, 0)]) == "INVALID_REQUEST"
    assert all(r[0] == ACQUIRED for r in p.records.values())


def test_a_range_straddling_the_spso_is_trimmed_and_one_wholly_below_it_is_refused():
    p = sp()
    p.acquire("a", 3, 10, everything, 1)
    p.acknowledge("a", [(0, 0, ACCEPT)])
    assert p.acknowledge("a", [(0, 1, ACCEPT)]) is None
    assert p.spso == 2
    assert p.acknowledge("a", [(0, 1, ACCEPT)]) == "INVALID_RECORD_STATE"     # finished already


# --- lock expiry and a closing member -----------------------------------------------------------

def test_an_expired_lock_releases_only_its_own_records_still_acquired():
    p = sp()
    p.acquire("a", 3, 10, everything, 7)
    p.acquire("a", 2, 10, everything, 8)
    p.acknowledge("a", [(1, 1, ACCEPT)])
    assert p.expire_lock(7) == [0, 2]
    assert states(p)[0] == (AVAILABLE, 1) and p.records[3] == [ACQUIRED, 1, "a", 8]
    assert p.expire_lock(7) == []


def test_an_expired_lock_archives_records_at_the_delivery_limit():
    p = sp(limit=1)
    p.acquire("a", 2, 10, everything, 1)
    assert p.expire_lock(1) == [0, 1]
    assert (p.spso, p.records) == (2, {})


def test_a_closing_member_releases_all_it_holds_and_nothing_else():
    p = sp(limit=2)
    p.acquire("a", 2, 10, everything, 1)
    p.acquire("b", 1, 10, everything, 2)
    p.acquire("a", 1, 10, everything, 3)
    assert p.release_member("a") == [0, 1, 3]
    assert p.records[2] == [ACQUIRED, 1, "b", 2]
    assert [p.records[o][:2] for o in (0, 1, 3)] == [[AVAILABLE, 1]] * 3


# --- the SPSO --------------------------------------------------------------------------------------

def test_the_spso_advances_over_a_terminal_prefix_only():
    p = sp()
    p.acquire("a", 5, 10, everything, 1)
    p.acknowledge("a", [(1, 2, ACCEPT), (4, 4, REJECT)])
    assert p.spso == 0
    p.acknowledge("a", [(0, 0, ACCEPT)])
    assert p.spso == 3 and sorted(p.records) == [3, 4]
    p.acknowledge("a", [(3, 3, RELEASE)])
    assert p.spso == 3
    p.acquire("b", 1, 10, everything, 2)
    p.acknowledge("b", [(3, 3, ACCEPT)])
    assert (p.spso, p.next_offset, p.records) == (5, 5, {})


def test_move_start_archives_records_below_the_log_start():
    p = sp(start=10)
    p.acquire("a", 4, 20, everything, 1)
    p.acknowledge("a", [(10, 11, RELEASE), (13, 13, ACCEPT)])
    p.move_start(12)
    assert (p.spso, sorted(p.records)) == (12, [12, 13])
    p.move_start(11)                                    # never backwards
    assert p.spso == 12
    p.move_start(30)
    assert (p.spso, p.next_offset, p.records) == (30, 30, {})
    assert p.acquire("a", 1, 31, everything, 2) == [(30, 1)]


def test_move_start_stops_before_a_record_that_is_not_terminal():
    p = sp()
    p.acquire("a", 4, 10, everything, 1)
    p.acknowledge("a", [(1, 1, ACCEPT), (2, 2, RELEASE)])
    p.move_start(1)
    assert p.spso == 2 and p.records[2][0] == AVAILABLE


# --- persistence and failover -----------------------------------------------------------------

def test_state_batches_write_acquired_records_as_available():
    p = sp(start=5)
    p.acquire("a", 6, 11, {5, 6, 7, 8, 10}, 1)
    p.acknowledge("a", [(7, 7, ACCEPT), (8, 8, RELEASE)])
    assert p.state_batches() == ((5, 6, AVAILABLE, 1), (7, 7, ACKNOWLEDGED, 1), (8, 8, AVAILABLE, 1),
                                 (9, 9, ARCHIVED, 0), (10, 10, AVAILABLE, 1))


def test_state_batches_and_from_state_round_trip_with_acquired_records_back_available():
    p = sp(start=5, limit=4)
    p.acquire("a", 6, 11, {5, 6, 7, 8, 10}, 1)
    p.acknowledge("a", [(6, 6, RELEASE), (7, 7, ACCEPT)])
    p.acquire("b", 1, 20, everything, 2)
    q = SharePartition.from_state(p.spso, p.state_batches(), 4, 100)
    assert (q.spso, q.next_offset) == (p.spso, p.next_offset)
    assert q.state_batches() == p.state_batches()
    assert all(r[0] != ACQUIRED and r[2:] == [None, None] for r in q.records.values())
    assert q.acquire("c", 10, 11, everything, 3) == [(5, 2), (6, 3), (8, 2), (10, 2)]


def test_from_state_archives_a_record_written_available_at_the_delivery_limit():
    q = SharePartition.from_state(3, ((3, 3, AVAILABLE, 2), (4, 4, ACQUIRED, 1)), 2, 100)
    assert (q.spso, q.next_offset) == (4, 5)
    assert q.records == {4: [AVAILABLE, 1, None, None]}


def test_from_state_with_no_batches_starts_at_the_start_offset():
    q = SharePartition.from_state(42, (), 5, 100)
    assert (q.spso, q.next_offset, q.records) == (42, 42, {})


def test_in_flight_names_states_and_members():
    p = sp()
    p.acquire("a", 2, 10, everything, 1)
    p.acknowledge("a", [(1, 1, ACCEPT)])
    assert p.in_flight() == [(0, "Acquired", 1, "a"), (1, "Acknowledged", 1, None)]


# --- a random walk over two members ------------------------------------------------------------

MEMBERS = ("a", "b")
ack_type = st.sampled_from((ACCEPT, RELEASE, REJECT))
step = st.one_of(
    st.tuples(st.just("acquire"), st.sampled_from(MEMBERS), st.integers(0, 6), st.integers(0, 40),
              st.integers(0, 4)),
    st.tuples(st.just("ack"), st.sampled_from(MEMBERS),
              st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), ack_type), max_size=3)),
    st.tuples(st.just("expire"), st.integers(0, 30)),
    st.tuples(st.just("release"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("move_start"), st.integers(0, 40)),
    st.tuples(st.just("failover")),
)


def released_back(p: SharePartition, before: dict[int, list], offsets, limit: int) -> None:
    """Offsets that left Acquired as on RELEASE: Available again, or Archived (gone past the SPSO)."""
    for o in offsets:
        count = before[o][1]
        if count < limit:
            assert p.records[o] == [AVAILABLE, count, None, None], o
        else:
            assert o not in p.records or p.records[o][:2] == [ARCHIVED, count], o


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(1, 4), locks=st.integers(1, 12), steps=st.lists(step, max_size=40))
def test_random_operations_keep_the_share_partition_invariants(limit, locks, steps):
    p = SharePartition(0, limit, locks)
    terminal: dict[int, tuple[int, int]] = {}       # offset -> (state, count) once terminal
    lock_ids = iter(range(1, 10_000))
    for n, s in enumerate(steps):
        spso_before, before = p.spso, {o: list(r) for o, r in p.records.items()}
        if s[0] == "acquire":
            _, member, max_records, end, gap_every = s
            got = p.acquire(member, max_records, end, lambda o: gap_every == 0 or o % (gap_every + 1) != 0,
                            next(lock_ids))
            assert [o for o, _ in got] == sorted(o for o, _ in got) and len(got) <= max_records
            # never taken from another holder: only Available records or new offsets are acquired
            assert all(o not in before or before[o][0] == AVAILABLE for o, _ in got)
            assert all(p.records[o][:3] == [ACQUIRED, c, member] for o, c in got)
        elif s[0] == "ack":
            acks = [(first, first + span, t) for first, span, t in s[2]]
            if p.acknowledge(s[1], acks) is None:
                released_back(p, before, [o for first, last, t in acks if t == RELEASE
                                          for o in range(max(first, spso_before), last + 1)], limit)
            else:
                assert {o: list(r) for o, r in p.records.items()} == before and p.spso == spso_before
        elif s[0] == "expire":
            released_back(p, before, p.expire_lock(s[1]), limit)
        elif s[0] == "release":
            held = [o for o, r in before.items() if r[0] == ACQUIRED and r[2] == s[1]]
            assert p.release_member(s[1]) == sorted(held)
            released_back(p, before, held, limit)
        elif s[0] == "move_start":
            p.move_start(s[1])
        else:
            p = SharePartition.from_state(p.spso, p.state_batches(), limit, locks)
        assert p.spso >= spso_before, n
        assert sorted(p.records) == list(range(p.spso, p.next_offset))
        # the SPSO sits on the first record that is not terminal
        assert p.spso == p.next_offset or p.records[p.spso][0] not in (ACKNOWLEDGED, ARCHIVED)
        for offset, (state, count, member, lock) in p.records.items():
            assert (member is not None) == (lock is not None) == (state == ACQUIRED)
            assert 0 <= count <= limit
            if state == AVAILABLE:
                assert count < limit
            if offset in terminal:
                assert (state, count) == terminal[offset]
            elif state in (ACKNOWLEDGED, ARCHIVED):
                terminal[offset] = (state, count)
