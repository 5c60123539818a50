"""The exercise machinery: stubs, checks and seams (course-practices.md §3)."""
from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import subprocess
import sys

import pytest

from minikafka import Cluster
from minikafka.course import checks

ROOT = pathlib.Path(__file__).parent.parent


def discover() -> list[tuple[str, str, object]]:
    """Every stub in exercises/ (a function carrying .exercise) with its check checks.exN_M."""
    found = []
    for path in sorted((ROOT / "exercises").glob("ex*.py")):
        module = importlib.import_module(f"exercises.{path.stem}")
        for name, fn in sorted(vars(module).items()):
            if callable(fn) and hasattr(fn, "exercise") and fn.__module__ == module.__name__:
                found.append((path.stem, name, getattr(checks, "ex" + fn.exercise.replace(".", "_"))))
    return found


EXERCISES = discover()


def stub(module: str, name: str):
    return getattr(importlib.import_module(f"exercises.{module}"), name)


def test_every_exercise_is_found_with_its_check_and_a_pytest_marker():
    import tomllib
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    names = {m.split(":")[0] for m in markers}
    assert len(EXERCISES) >= 3
    for module, name, _check in EXERCISES:
        number = stub(module, name).exercise.replace(".", "_")
        assert f"ex{number}" in names, f"add the marker ex{number} to pyproject.toml"
    learner = (ROOT / "tests" / "test_learner.py").read_text()
    for _module, name, check in EXERCISES:
        assert f"checks.{check.__name__}({name})" in learner, f"add {check.__name__} to tests/test_learner.py"


def reference(fn):
    mod, name = fn.reference.split(":")
    return getattr(importlib.import_module(mod), name)


@pytest.mark.parametrize("module, name, check", EXERCISES)
def test_stub_has_the_reference_signature_and_names_its_exercise_when_called(module, name, check, capsys,
                                                                             monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    fn = stub(module, name)
    assert inspect.signature(fn) == inspect.signature(reference(fn))
    check(fn)
    assert f"Exercise {fn.exercise}" in capsys.readouterr().out


@pytest.mark.parametrize("module, name, check", EXERCISES)
def test_check_says_todo_for_the_stub_ok_for_the_reference_and_fail_for_a_wrong_answer(module, name, check,
                                                                                       capsys, monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    fn = stub(module, name)
    assert check(fn) is None
    assert capsys.readouterr().out.startswith(f"[todo] ex{fn.exercise.replace('.', '_')}: {name}()")
    check(reference(fn))
    assert "[ok]" in capsys.readouterr().out
    check(lambda *args: 0)
    out = capsys.readouterr().out
    assert out.startswith("[fail]") and "expected" in out and len(out.splitlines()) <= 4


def test_strict_mode_turns_todo_and_fail_into_assertion_errors(monkeypatch):
    monkeypatch.setenv("MINIKAFKA_STRICT", "1")
    with pytest.raises(AssertionError, match=r"\[todo\]"):
        checks.ex2_1(stub("ex02_partitions", "partition_for_key"))
    with pytest.raises(AssertionError, match=r"\[fail\]"):
        checks.ex2_1(lambda key, n: 0)
    checks.ex2_1(reference(stub("ex02_partitions", "partition_for_key")))


def test_use_reference_makes_the_stubs_the_reference_in_a_fresh_process():
    code = ("from exercises.ex02_partitions import partition_for_key as f; "
            "from minikafka import partition_for_key as g; print(f is g)")
    env = {**os.environ, "MINIKAFKA_USE_REFERENCE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_learner_partitioner_plugged_into_a_cluster_decides_where_keys_go():
    c = Cluster(brokers=1, seed=1, impl={"partitioner": lambda key, n: n - 1})
    c.create_topic("t", partitions=3)
    p = c.producer()
    for k in (b"a", b"b", b"c"):
        p.produce("t", key=k, value=b"v")
    p.flush()
    assert [len(c.log("t", i)) for i in range(3)] == [0, 0, 3]
    assert Cluster(brokers=1, seed=1).impl["partitioner"] is not c.impl["partitioner"]


def test_an_unfinished_stub_plugged_into_a_cluster_falls_back_to_the_reference_and_says_so(capsys):
    c = Cluster(brokers=1, seed=1, impl={"high_watermark": stub("ex04_replication", "high_watermark")})
    assert capsys.readouterr().out.startswith("[todo] high_watermark: Exercise 4.1")
    from minikafka.server.replication import high_watermark
    assert c.impl_notes and c.impl["high_watermark"] is high_watermark


def test_a_learner_election_rule_is_used_by_the_controller():
    def last_live(replicas, isr, live, unclean=False):
        alive = [r for r in replicas if r in live]
        return (alive[-1], False) if alive else (-1, False)
    c = Cluster(brokers=3, seed=2, impl={"elect_leader": last_live})
    c.create_topic("t", partitions=1, replication_factor=3)
    st = c.partition_state("t", 0)
    c.crash_broker(st.leader)
    c.run(12_000)
    live = [r.broker for r in st.replicas if r.broker != st.leader]
    assert c.partition_state("t", 0).leader == [r for r in [x.broker for x in st.replicas] if r in live][-1]


def test_unknown_seams_and_non_functions_are_refused_naming_the_seams():
    with pytest.raises(ValueError, match="partitioner"):
        Cluster(impl={"partitionr": lambda k, n: 0})
    with pytest.raises(TypeError, match="must be a function"):
        Cluster(impl={"partitioner": 3})
