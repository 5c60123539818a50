"""Exercise checks of notebook 12 (queues: share groups) accept the reference and reject plausible
wrong answers."""
from __future__ import annotations

import pytest

from minikafka.course import checks
from minikafka.course.lessons.nb12 import next_state, share_assignment


def release_ignores_the_limit(count, action, limit=5):
    return {"ACCEPT": "Acknowledged", "REJECT": "Archived"}.get(action, "Available")


def limit_off_by_one(count, action, limit=5):
    if action in ("RELEASE", "LOCK_EXPIRED"):
        return "Archived" if count > limit else "Available"
    return next_state(count, action, limit)


def reject_means_try_again(count, action, limit=5):
    return "Available" if action == "REJECT" else next_state(count, action, limit)


def expiry_archives(count, action, limit=5):
    return "Archived" if action == "LOCK_EXPIRED" else next_state(count, action, limit)


def one_owner_per_partition(members, partitions):
    """The classic rule: extra members stay idle."""
    order = sorted(members)
    out = {m: [] for m in members}
    for p in range(partitions):
        out[order[p % len(order)]].append(p)
    return out


def everyone_everything(members, partitions):
    return {m: list(range(partitions)) for m in members}


def unsorted_members(members, partitions):
    order = list(members)
    out = {m: [] for m in members}
    if len(order) >= partitions and partitions:
        for i, m in enumerate(order):
            out[m].append(i % partitions)
    else:
        for p in range(partitions):
            out[order[p % len(order)]].append(p)
    return out


WRONG = {
    "ex12_1": (next_state, [release_ignores_the_limit, limit_off_by_one, reject_means_try_again, expiry_archives]),
    "ex12_2": (share_assignment, [one_owner_per_partition, everyone_everything, unsorted_members]),
}


@pytest.mark.parametrize("exercise", sorted(WRONG))
def test_the_reference_gets_ok(exercise, capsys, monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    getattr(checks, exercise)(WRONG[exercise][0])
    assert capsys.readouterr().out.startswith(f"[ok] {exercise}:")


@pytest.mark.parametrize("exercise, wrong", [(e, w) for e in sorted(WRONG) for w in WRONG[e][1]],
                         ids=lambda x: getattr(x, "__name__", x) if callable(x) else str(x))
def test_a_plausible_wrong_answer_gets_fail(exercise, wrong, capsys, monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    getattr(checks, exercise)(wrong)
    assert capsys.readouterr().out.startswith(f"[fail] {exercise}")
