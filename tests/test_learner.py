"""Your exercises from the terminal: `pytest -m ex2_1` checks exercise 2.1 (minitorch style).
These are deselected in the normal test run (they fail until you solve them)."""
from __future__ import annotations

import pytest

from minikafka.course import checks


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.setenv("MINIKAFKA_STRICT", "1")


@pytest.mark.learner
@pytest.mark.ex2_1
def test_ex2_1_partition_for_key():
    from exercises.ex02_partitions import partition_for_key
    checks.ex2_1(partition_for_key)


@pytest.mark.learner
@pytest.mark.ex3_1
def test_ex3_1_elect_leader():
    from exercises.ex03_controller import elect_leader
    checks.ex3_1(elect_leader)


@pytest.mark.learner
@pytest.mark.ex4_1
def test_ex4_1_high_watermark():
    from exercises.ex04_replication import high_watermark
    checks.ex4_1(high_watermark)


@pytest.mark.learner
@pytest.mark.ex0_1
def test_ex0_1_partition_name():
    from exercises.ex00_welcome import partition_name
    checks.ex0_1(partition_name)


@pytest.mark.learner
@pytest.mark.ex1_1
def test_ex1_1_assign_offsets():
    from exercises.ex01_the_log import assign_offsets
    checks.ex1_1(assign_offsets)


@pytest.mark.learner
@pytest.mark.ex1_2
def test_ex1_2_read():
    from exercises.ex01_the_log import read
    checks.ex1_2(read)


@pytest.mark.learner
@pytest.mark.ex1_3
def test_ex1_3_starting_position():
    from exercises.ex01_the_log import starting_position
    checks.ex1_3(starting_position)


@pytest.mark.learner
@pytest.mark.ex2_2
def test_ex2_2_keys_that_move():
    from exercises.ex02_partitions import keys_that_move
    checks.ex2_2(keys_that_move)


@pytest.mark.learner
@pytest.mark.ex2_3
def test_ex2_3_murmur2_port():
    from exercises.ex02_partitions import murmur2_port
    checks.ex2_3(murmur2_port)


@pytest.mark.learner
@pytest.mark.ex3_2
def test_ex3_2_offline_partitions():
    from exercises.ex03_controller import offline_partitions
    checks.ex3_2(offline_partitions)


@pytest.mark.learner
@pytest.mark.ex3_3
def test_ex3_3_fenced():
    from exercises.ex03_controller import fenced
    checks.ex3_3(fenced)


@pytest.mark.learner
@pytest.mark.ex3_4
def test_ex3_4_election_winner():
    from exercises.ex03_controller import election_winner
    checks.ex3_4(election_winner)


@pytest.mark.learner
@pytest.mark.ex4_2
def test_ex4_2_truncation_offset():
    from exercises.ex04_replication import truncation_offset
    checks.ex4_2(truncation_offset)


@pytest.mark.learner
@pytest.mark.ex4_3
def test_ex4_3_is_lagging():
    from exercises.ex04_replication import is_lagging
    checks.ex4_3(is_lagging)


@pytest.mark.learner
@pytest.mark.ex4_4
def test_ex4_4_elr_leader():
    from exercises.ex04_replication import elr_leader
    checks.ex4_4(elr_leader)


@pytest.mark.learner
@pytest.mark.ex5_1
def test_ex5_1_produce_outcome():
    from exercises.ex05_acks import produce_outcome
    checks.ex5_1(produce_outcome)


@pytest.mark.learner
@pytest.mark.ex5_2
def test_ex5_2_acked_then_lost():
    from exercises.ex05_acks import acked_then_lost
    checks.ex5_2(acked_then_lost)


@pytest.mark.learner
@pytest.mark.ex5_3
def test_ex5_3_durable_config():
    from exercises.ex05_acks import durable_config
    checks.ex5_3(durable_config)


@pytest.mark.learner
@pytest.mark.ex8_1
def test_ex8_1_read_committed():
    from exercises.ex08_transactions import read_committed
    checks.ex8_1(read_committed)


@pytest.mark.learner
@pytest.mark.ex8_2
def test_ex8_2_last_stable_offset():
    from exercises.ex08_transactions import last_stable_offset
    checks.ex8_2(last_stable_offset)


@pytest.mark.learner
@pytest.mark.ex8_3
def test_ex8_3_coordinator_partition():
    from exercises.ex08_transactions import coordinator_partition
    checks.ex8_3(coordinator_partition)


@pytest.mark.learner
@pytest.mark.ex8_4
def test_ex8_4_late_write_hangs():
    from exercises.ex08_transactions import late_write_hangs
    checks.ex8_4(late_write_hangs)


@pytest.mark.learner
@pytest.mark.ex9_1
def test_ex9_1_range_assignor():
    from exercises.ex09_groups import range_assignor
    checks.ex9_1(range_assignor)


@pytest.mark.learner
@pytest.mark.ex9_2
def test_ex9_2_sticky_assignor():
    from exercises.ex09_groups import sticky_assignor
    checks.ex9_2(sticky_assignor)


@pytest.mark.learner
@pytest.mark.ex9_3
def test_ex9_3_partition_lag():
    from exercises.ex09_groups import partition_lag
    checks.ex9_3(partition_lag)


@pytest.mark.learner
@pytest.mark.ex9_4
def test_ex9_4_rebalances():
    from exercises.ex09_groups import rebalances
    checks.ex9_4(rebalances)


@pytest.mark.learner
@pytest.mark.ex9_5
def test_ex9_5_after_heartbeat():
    from exercises.ex09_groups import after_heartbeat
    checks.ex9_5(after_heartbeat)


@pytest.mark.learner
@pytest.mark.ex11_1
def test_ex11_1_port_config():
    from exercises.ex11_beyond import port_config
    checks.ex11_1(port_config)


@pytest.mark.learner
@pytest.mark.ex6_1
def test_ex6_1_reorder():
    from exercises.ex06_ordering import reorder
    checks.ex6_1(reorder)


@pytest.mark.learner
@pytest.mark.ex6_2
def test_ex6_2_log_after_loss():
    from exercises.ex06_ordering import log_after_loss
    checks.ex6_2(log_after_loss)


@pytest.mark.learner
@pytest.mark.ex6_3
def test_ex6_3_can_reorder():
    from exercises.ex06_ordering import can_reorder
    checks.ex6_3(can_reorder)


@pytest.mark.learner
@pytest.mark.ex7_1
def test_ex7_1_check_sequence():
    from exercises.ex07_idempotence import check_sequence
    checks.ex7_1(check_sequence)


@pytest.mark.learner
@pytest.mark.ex7_2
def test_ex7_2_idempotence_enabled():
    from exercises.ex07_idempotence import idempotence_enabled
    checks.ex7_2(idempotence_enabled)


@pytest.mark.learner
@pytest.mark.ex7_3
def test_ex7_3_sequence_ranges():
    from exercises.ex07_idempotence import sequence_ranges
    checks.ex7_3(sequence_ranges)


@pytest.mark.learner
@pytest.mark.ex10_1
def test_ex10_1_process_batch():
    from exercises.ex10_exactly_once import process_batch
    checks.ex10_1(process_batch)


@pytest.mark.learner
@pytest.mark.ex10_2
def test_ex10_2_eos_config():
    from exercises.ex10_exactly_once import eos_config
    checks.ex10_2(eos_config)


@pytest.mark.learner
@pytest.mark.ex12_1
def test_ex12_1_next_state():
    from exercises.ex12_share_groups import next_state
    checks.ex12_1(next_state)


@pytest.mark.learner
@pytest.mark.ex12_2
def test_ex12_2_share_assignment():
    from exercises.ex12_share_groups import share_assignment
    checks.ex12_2(share_assignment)


@pytest.mark.learner
@pytest.mark.ex13_1
def test_ex13_1_retention_deletes():
    from exercises.ex13_storage import retention_deletes
    checks.ex13_1(retention_deletes)


@pytest.mark.learner
@pytest.mark.ex13_2
def test_ex13_2_compaction_survivors():
    from exercises.ex13_storage import compaction_survivors
    checks.ex13_2(compaction_survivors)


@pytest.mark.learner
@pytest.mark.ex13_3
def test_ex13_3_overtaken():
    from exercises.ex13_storage import overtaken
    checks.ex13_3(overtaken)
