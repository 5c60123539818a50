"""experiments: seeded, deterministic trials whose outcomes come from the simulator's mechanisms:
acks=1 loses acknowledged records, acks=all with min.insync.replicas=2 never does; a producer
without idempotence reorders and duplicates under lost produce requests and responses, an
idempotent one does not."""
from __future__ import annotations

import os
import subprocess
import sys

from minikafka.course.experiments import (acks_experiment, acks_trial, lost_by_setting, ordering_sweep,
                                          ordering_trial, setting_label, sticky_distribution)

SEEDS = range(30)


def test_same_seed_same_result_also_in_another_process():
    assert acks_trial(4, "1") == acks_trial(4, "1")
    assert ordering_trial(3) == ordering_trial(3)
    code = "from minikafka.course.experiments import acks_trial, ordering_trial; print(acks_trial(4, '1'), ordering_trial(3))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": h}).stdout for h in ("1", "2")}
    assert outs == {f"{acks_trial(4, '1')} {ordering_trial(3)}\n"}


def test_the_fault_schedule_depends_on_the_seed_only():
    a, b = acks_trial(5, "1"), acks_trial(5, "all", min_insync=1, unclean=True)
    assert (a.followers_down, a.crash_at) == (b.followers_down, b.crash_at)
    assert {acks_trial(s, "1").followers_down for s in range(8)} == {0, 1, 2}


def test_acks_1_loses_acknowledged_records_and_acks_all_with_min_insync_2_never_does():
    ones = [acks_trial(s, "1") for s in SEEDS]
    alls = [acks_trial(s, "all", min_insync=2) for s in SEEDS]
    assert any(r.lost for r in ones)
    assert all(r.lost == 0 for r in alls)
    assert all(r.acked > 0 and r.sent == 100 for r in ones + alls)


def test_unclean_election_loses_acknowledged_records_even_with_acks_all():
    """Both followers fenced, then the leader fails: an out-of-sync follower may lead."""
    assert any(acks_trial(s, "all", min_insync=2, unclean=True).lost for s in range(10))


def test_acks_experiment_rows_progress_and_plain_data():
    calls = []
    rows = acks_experiment([{"acks": "1"}, {"acks": "all", "unclean": True}], range(3), records=40,
                           on_trial=lambda done, total: calls.append((done, total)))
    assert [r.label for r in rows] == ["acks=1 min.insync=2", "acks=all min.insync=2 unclean"]
    assert rows[0].seeds == (0, 1, 2) and len(rows[0].lost) == 3
    assert rows[0].setting == (("acks", "1"),)
    assert calls == [(i, 6) for i in range(1, 7)]
    assert lost_by_setting(rows) == {r.label: r.lost for r in rows}
    assert rows[0].trials_with_loss == sum(1 for n in rows[0].lost if n)
    assert setting_label({"acks": "0", "min_insync": 1}) == "acks=0 min.insync=1"


def test_without_idempotence_lost_requests_and_responses_reorder_or_duplicate():
    results = [ordering_trial(s, max_in_flight=5, idempotent=False, drop_probability=0.1) for s in range(10)]
    assert any(r.reordered for r in results) and any(r.duplicated for r in results)
    assert all(r.retries > 0 for r in results if r.reordered or r.duplicated)


def test_idempotence_never_reorders_or_duplicates():
    for s in SEEDS:
        r = ordering_trial(s, max_in_flight=5, idempotent=True, drop_probability=0.2)
        assert not r.reordered and not r.duplicated, r


def test_one_request_in_flight_keeps_order_but_not_uniqueness_without_idempotence():
    s = ordering_sweep(range(15), max_in_flight=1, idempotent=False, drop_probability=0.1)
    assert s["trials"] == 15 and s["reordered"] == 0 and s["duplicated"] > 0


def test_ordering_result_text():
    r = ordering_trial(3, drop_probability=0.0, records=5)
    assert str(r) == "max.in.flight=5 idempotence=False drop=0 seed=3: 0 1 2 3 4  [in order, no duplicates]"
    assert r.missing == () and r.failed == ()


def test_sticky_partitioner_spreads_null_keys_and_batch_size_decides_how_fast_it_moves():
    small = sticky_distribution(7, partitions=6, records=300, batch_size=1024)
    big = sticky_distribution(7, partitions=6, records=300, batch_size=16384)
    assert sum(small) == sum(big) == 300
    assert sum(1 for n in small if n) == 6 > sum(1 for n in big if n)
    assert small == sticky_distribution(7, partitions=6, records=300, batch_size=1024)
    assert sticky_distribution(7, partitions=3, records=0) == [0, 0, 0]


def test_trials_and_sweeps_check_their_arguments_before_running_anything():
    import pytest
    for kwargs, error, text in [
        ({"records": 0}, ValueError, "records must be an integer >= 2"),
        ({"records": 1}, ValueError, "records must be an integer >= 2"),
        ({"records": "5"}, TypeError, "records must be an integer"),
        ({"acks": "2"}, ValueError, "acks must be one of"),
        ({"acks": True}, ValueError, "acks must be one of"),
        ({"min_insync": 0}, ValueError, "min_insync must be an integer >= 1"),
        ({"unclean": "yes"}, TypeError, "unclean must be True or False"),
    ]:
        with pytest.raises(error, match=text):
            acks_trial(0, **kwargs)
    calls = []
    with pytest.raises(ValueError, match="unknown acks_trial setting 'ack'"):
        acks_experiment([{"acks": "1"}, {"ack": "all"}], range(2), on_trial=lambda *a: calls.append(a))
    with pytest.raises(ValueError, match="min_insync must be an integer >= 1"):
        acks_experiment([{"acks": "1"}, {"min_insync": 0}], range(2), on_trial=lambda *a: calls.append(a))
    assert calls == []                  # refused before the first trial
    with pytest.raises(ValueError, match="drop_probability must be a probability"):
        ordering_trial(0, drop_probability=2)
    with pytest.raises(TypeError, match="seed must be an integer"):
        ordering_sweep([0, "1"])
    with pytest.raises(ValueError, match="records must be an integer >= 0"):
        sticky_distribution(0, 3, -1)
    with pytest.raises(ValueError, match="partitions must be an integer from 1"):
        sticky_distribution(0, 0, 10)
