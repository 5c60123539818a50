"""Your exercises from the terminal: `pytest -m ex2_1` checks exercise 2.1 (minitorch style).
These are deselected in the normal test run (they fail until you solve them)."""
from __future__ import annotations

import pytest

from minikafka import checks


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
