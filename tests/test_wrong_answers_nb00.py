"""Exercise 0.1 (partition_name): the check fails plausible wrong names and passes the reference.

Each wrong answer is a name a learner could guess from other systems or from Kafka's own
neighbours: a separator other than Kafka's dash, partitions counted from 1, zero-padded numbers,
the topic with dots replaced (Kafka does that in metric names, not in partition names), the parts
the wrong way round. A check that printed [ok] for one of them would let that mistake through.
"""
from __future__ import annotations

import pytest

from minikafka.course import checks
from minikafka.course.lessons.nb00 import partition_name


def underscore(topic: str, partition: int) -> str:
    return f"{topic}_{partition}"


def colon(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def counted_from_one(topic: str, partition: int) -> str:
    return f"{topic}-{partition + 1}"


def zero_padded(topic: str, partition: int) -> str:
    return f"{topic}-{partition:02d}"


def dots_replaced(topic: str, partition: int) -> str:
    return f"{topic.replace('.', '_')}-{partition}"


def number_first(topic: str, partition: int) -> str:
    return f"{partition}-{topic}"


WRONG = [underscore, colon, counted_from_one, zero_padded, dots_replaced, number_first]


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)


def test_the_reference_passes_the_check(capsys):
    checks.ex0_1(partition_name)
    assert capsys.readouterr().out.startswith("[ok] ex0_1:")


@pytest.mark.parametrize("wrong", WRONG, ids=[w.__name__ for w in WRONG])
def test_a_plausible_wrong_name_fails_the_check(wrong, capsys):
    checks.ex0_1(wrong)
    out = capsys.readouterr().out
    assert out.startswith("[fail] ex0_1 ") and "expected" in out, out
