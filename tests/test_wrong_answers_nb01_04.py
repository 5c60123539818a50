"""Exercises 1.1-4.3 (and 3.4): each check fails plausible wrong answers and passes the reference.

Every wrong answer below is a mistake a learner could make (an off-by-one, a rule applied to
the wrong replicas, abs() instead of Kafka's toPositive, `>=` where Kafka compares with `>`).
A check that printed [ok] for one of them would let that mistake through.
"""
from __future__ import annotations

import pytest

from minikafka import murmur2
from minikafka.clients.producer.partitioner import partition_for_key
from minikafka.controller.election import elect_leader
from minikafka.course import checks
from minikafka.course.lessons import nb01, nb02, nb03, nb04
from minikafka.errors import KafkaException
from minikafka.server.replication import high_watermark, is_lagging


# -- 1.1 assign_offsets ----------------------------------------------------------------------
def offsets_from_leo_plus_one(leo, sizes):
    out, nxt = [], leo + 1
    for n in sizes:
        out.append(list(range(nxt, nxt + n)))
        nxt += n
    return out


def offsets_restart_each_batch(leo, sizes):
    return [list(range(leo, leo + n)) for n in sizes]


def offsets_from_zero(leo, sizes):
    return nb01.assign_offsets(0, sizes)


def offsets_gap_between_batches(leo, sizes):
    out, nxt = [], leo
    for n in sizes:
        out.append(list(range(nxt, nxt + n)))
        nxt += n + 1
    return out


# -- 1.2 read --------------------------------------------------------------------------------
def read_counts_records(log, position, max_records):
    offsets, _ = nb01.read(log, position, max_records)
    return offsets, position + len(offsets)


def read_after_position(log, position, max_records):
    offsets = sorted(o for o in log if o > position)[:max_records]
    return offsets, (offsets[-1] + 1 if offsets else position)


def read_ignores_max_records(log, position, max_records):
    return nb01.read(log, position, 10**9)


def read_stays_on_last(log, position, max_records):
    offsets, _ = nb01.read(log, position, max_records)
    return offsets, (offsets[-1] if offsets else position)


# -- 1.3 starting_position -------------------------------------------------------------------
def start_log_end_out_of_range(position, policy, log_start, log_end):
    return nb01.starting_position(position if position != log_end else None, policy, log_start, log_end)


def start_latest_is_last_record(position, policy, log_start, log_end):
    got = nb01.starting_position(position, policy, log_start, log_end)
    moved = position is None or not log_start <= position <= log_end
    return got - 1 if policy == "latest" and moved and got > 0 else got


def start_none_means_earliest(position, policy, log_start, log_end):
    return nb01.starting_position(position, "earliest" if policy == "none" else policy, log_start, log_end)


def start_keeps_any_position(position, policy, log_start, log_end):
    if position is not None:
        return position
    if policy == "none":
        raise KafkaException("_AUTO_OFFSET_RESET", "no position")
    return log_start if policy == "earliest" else log_end


# -- 2.1 partition_for_key -------------------------------------------------------------------
def partition_with_abs(key, n):
    return abs(murmur2(key)) % n


def partition_python_modulo(key, n):
    return murmur2(key) % n


def partition_unsigned(key, n):
    return (murmur2(key) & 0xFFFFFFFF) % n


# -- 2.2 keys_that_move ----------------------------------------------------------------------
def moves_lists_every_key(keys, old, new):
    return {k: (partition_for_key(k, old), partition_for_key(k, new)) for k in keys}


def moves_with_abs(keys, old, new):
    out = {}
    for k in keys:
        a, b = partition_with_abs(k, old), partition_with_abs(k, new)
        if a != b:
            out[k] = (a, b)
    return out


def moves_swapped(keys, old, new):
    return {k: (b, a) for k, (a, b) in nb02.keys_that_move(keys, old, new).items()}


def moves_only_new_partitions(keys, old, new):
    return {k: v for k, v in nb02.keys_that_move(keys, old, new).items() if v[1] >= old}


# -- 2.3 murmur2_port ------------------------------------------------------------------------
def _murmur(data, seed=0x9747B28C, mix=True, signed=True, little=True):
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    h = (seed ^ len(data)) & mask
    end = len(data) - len(data) % 4
    for i in range(0, end, 4):
        k = int.from_bytes(data[i:i + 4], "little" if little else "big")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    left = len(data) % 4
    if left == 3:
        h ^= data[end + 2] << 16
    if left >= 2:
        h ^= data[end + 1] << 8
    if left >= 1:
        h ^= data[end]
        h = (h * m) & mask
    if mix:
        h ^= h >> 13
        h = (h * m) & mask
        h ^= h >> 15
    return h - (1 << 32) if signed and h & 0x80000000 else h


def murmur_unsigned(data):
    return _murmur(data, signed=False)


def murmur_no_final_mix(data):
    return _murmur(data, mix=False)


def murmur_big_endian(data):
    return _murmur(data, little=False)


def murmur_seed_zero(data):
    return _murmur(data, seed=0)


# -- 3.1 elect_leader ------------------------------------------------------------------------
def elect_in_isr_order(replicas, isr, live, unclean=False):
    for r in isr:
        if r in live and r in replicas:
            return r, False
    return elect_leader(replicas, (), live, unclean)


def elect_ignores_liveness(replicas, isr, live, unclean=False):
    for r in replicas:
        if r in isr:
            return r, False
    return -1, False


def elect_never_unclean(replicas, isr, live, unclean=False):
    return elect_leader(replicas, isr, live, False)


def elect_unclean_first_replica(replicas, isr, live, unclean=False):
    got = elect_leader(replicas, isr, live, unclean)
    return (replicas[0], True) if got[1] else got


# -- 3.2 offline_partitions ------------------------------------------------------------------
def offline_when_any_replica_dead(assignments, isr, live):
    return [tp for tp, replicas in assignments.items() if any(r not in live for r in replicas)]


def offline_when_no_live_replica(assignments, isr, live):
    return [tp for tp, replicas in assignments.items() if not any(r in live for r in replicas)]


def offline_when_preferred_dead(assignments, isr, live):
    return [tp for tp, replicas in assignments.items() if replicas[0] not in live]


# -- 3.4 election_winner -------------------------------------------------------------------------
def winner_first_to_ask(voters, logs, order):
    return order[0] if 2 * len(logs) > voters else None      # forgets the vote's log check


def winner_longest_log(voters, logs, order):
    return max(logs, key=lambda v: (logs[v][1], logs[v][0])) if 2 * len(logs) > voters else None   # offset first


def winner_majority_of_the_living(voters, logs, order):
    return nb03.election_winner(len(logs), logs, order)      # a majority of the live voters only


def winner_most_up_to_date(voters, logs, order):
    return max(sorted(logs), key=lambda v: logs[v]) if 2 * len(logs) > voters else None   # timers do not matter


# -- 3.3 fenced ------------------------------------------------------------------------------
def fenced_at_exactly_timeout(last, now, timeout):
    return sorted(b for b, t in last.items() if now - t >= timeout)


def fenced_in_dict_order(last, now, timeout):
    return [b for b, t in last.items() if now - t > timeout]


def fenced_returns_live_brokers(last, now, timeout):
    return sorted(b for b, t in last.items() if now - t <= timeout)


# -- 4.1 high_watermark ----------------------------------------------------------------------
def hw_over_all_replicas(leos, isr, current, min_isr=1):
    return high_watermark(leos, tuple(leos), current, min_isr)


def hw_ignores_min_isr(leos, isr, current, min_isr=1):
    return high_watermark(leos, isr, current, 1)


def hw_may_go_back(leos, isr, current, min_isr=1):
    if len(isr) < min_isr:
        return current
    return min(leos[r] for r in isr)


# -- 4.2 truncation_offset -------------------------------------------------------------------
def never_truncate(leader_epochs, leader_leo, follower_epochs, follower_leo):
    return follower_leo


def truncate_to_shorter_log(leader_epochs, leader_leo, follower_epochs, follower_leo):
    return min(leader_leo, follower_leo)


def truncate_to_leader_end_only(leader_epochs, leader_leo, follower_epochs, follower_leo):
    _epoch, end = nb04.epoch_end_offset(leader_epochs, leader_leo, follower_epochs[-1][0])
    return end


def truncate_whole_last_epoch(leader_epochs, leader_leo, follower_epochs, follower_leo):
    return follower_epochs[-1][1] if len(follower_epochs) > 1 else min(leader_leo, follower_leo)


# -- 4.3 is_lagging --------------------------------------------------------------------------
def lagging_at_exactly_max(now, last, lag_max):
    return now - last >= lag_max


def lagging_after_half(now, last, lag_max):
    return now - last > lag_max // 2


def lagging_against_clock(now, last, lag_max):
    return now > lag_max


# -- 4.4 elr_leader --------------------------------------------------------------------------
def elr_ignored(replicas, isr, elr, last, live):
    return next((r for r in replicas if r in isr and r in live), -1)          # 4.0 without ELR


def elr_always_with_isr(replicas, isr, elr, last, live):
    return nb04.elr_leader(replicas, list(isr) + list(elr), [], last, live)      # ELR even beside an ISR


def elr_in_its_own_order(replicas, isr, elr, last, live):
    pool = isr if isr else elr
    order = list(pool) if not isr else list(replicas)
    return next((r for r in order if r in pool and r in live), -1) if any(r in live for r in pool) else \
        nb04.elr_leader(replicas, isr, elr, last, live)


def elr_last_leader_even_if_down(replicas, isr, elr, last, live):
    got = nb04.elr_leader(replicas, isr, elr, last, live)
    return last if got < 0 and not isr and not elr else got


def elr_last_leader_first(replicas, isr, elr, last, live):
    if not isr and last in live:
        return last
    return nb04.elr_leader(replicas, isr, elr, last, live)


BATTERY = {
    "ex1_1": (nb01.assign_offsets, [offsets_from_leo_plus_one, offsets_restart_each_batch, offsets_from_zero,
                                    offsets_gap_between_batches]),
    "ex1_2": (nb01.read, [read_counts_records, read_after_position, read_ignores_max_records,
                          read_stays_on_last]),
    "ex1_3": (nb01.starting_position, [start_log_end_out_of_range, start_latest_is_last_record,
                                       start_none_means_earliest, start_keeps_any_position]),
    "ex2_1": (partition_for_key, [partition_with_abs, partition_python_modulo, partition_unsigned]),
    "ex2_2": (nb02.keys_that_move, [moves_lists_every_key, moves_with_abs, moves_swapped,
                                    moves_only_new_partitions]),
    "ex2_3": (murmur2, [murmur_unsigned, murmur_no_final_mix, murmur_big_endian, murmur_seed_zero]),
    "ex3_1": (elect_leader, [elect_in_isr_order, elect_ignores_liveness, elect_never_unclean,
                             elect_unclean_first_replica]),
    "ex3_2": (nb03.offline_partitions, [offline_when_any_replica_dead, offline_when_no_live_replica,
                                        offline_when_preferred_dead]),
    "ex3_3": (nb03.fenced, [fenced_at_exactly_timeout, fenced_in_dict_order, fenced_returns_live_brokers]),
    "ex3_4": (nb03.election_winner, [winner_first_to_ask, winner_longest_log, winner_majority_of_the_living,
                                     winner_most_up_to_date]),
    "ex4_1": (high_watermark, [hw_over_all_replicas, hw_ignores_min_isr, hw_may_go_back]),
    "ex4_2": (nb04.truncation_offset, [never_truncate, truncate_to_shorter_log, truncate_to_leader_end_only,
                                       truncate_whole_last_epoch]),
    "ex4_3": (is_lagging, [lagging_at_exactly_max, lagging_after_half, lagging_against_clock]),
    "ex4_4": (nb04.elr_leader, [elr_ignored, elr_always_with_isr, elr_in_its_own_order, elr_last_leader_even_if_down,
                                elr_last_leader_first]),
}
WRONG = [(exercise, wrong) for exercise, (_, wrongs) in BATTERY.items() for wrong in wrongs]


@pytest.fixture(autouse=True)
def not_strict(monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)


@pytest.mark.parametrize("exercise", sorted(BATTERY))
def test_the_reference_passes_the_check(exercise, capsys):
    getattr(checks, exercise)(BATTERY[exercise][0])
    assert capsys.readouterr().out.startswith(f"[ok] {exercise}:")


@pytest.mark.parametrize("exercise, wrong", WRONG, ids=[f"{e}-{w.__name__}" for e, w in WRONG])
def test_a_plausible_wrong_answer_fails_the_check(exercise, wrong, capsys):
    getattr(checks, exercise)(wrong)
    out = capsys.readouterr().out
    assert out.startswith(f"[fail] {exercise} ") and "expected" in out, out


def test_every_exercise_of_notebooks_01_to_04_has_three_wrong_answers():
    assert sorted(BATTERY) == sorted([f"ex{n}_{m}" for n in (1, 2, 3, 4) for m in (1, 2, 3)] + ["ex3_4", "ex4_4"])
    assert all(len(wrongs) >= 3 for _, wrongs in BATTERY.values())
