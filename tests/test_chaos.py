"""The chaos campaign: guarantee rows stay clean and every anomaly Kafka really has appears (a
modest campaign here; `python tests/bench_chaos.py` runs the full one), cells replay, the table
is deterministic, and a run replays byte for byte in another process and hash seed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minikafka.chaos.campaign import MATRICES, PROFILES, RATE, Row, Setting, campaign, main, render_table, replay

ROOT = Path(__file__).resolve().parents[1]
CI_SEEDS = range(40)            # 560 runs, ~60 s on 2 cores; the benchmark runs >= 10,000 schedules
DEFAULT = MATRICES["default"]


def setting(name: str) -> Setting:
    return next(s for s in DEFAULT if s.name == name)


@pytest.fixture(scope="module")
def ci_rows() -> list[Row]:
    return campaign(DEFAULT, CI_SEEDS, jobs=2)


# -- the matrix ------------------------------------------------------------------------------------
def test_the_matrix_separates_guarantees_from_anomalies_with_honest_fault_models():
    names = [s.name for s in DEFAULT]
    assert len(names) == len(set(names))
    guarantees = {s.name for s in DEFAULT if s.section == "guarantees"}
    assert guarantees == {"idempotent", "kraft-failover", "quorum-loss", "elr", "transactions", "transactions-v1",
                          "v1-verified-late", "v2-late", "eos-pipeline", "compaction", "tiered"}
    for name, kind in (("kraft-failover", "crash_controller"), ("quorum-loss", "quorum_loss")):
        assert dict(setting(name).workload)["controllers"] == 3 and kind in PROFILES[setting(name).profile]["kinds"]
    assert {"lost", "duplicate", "reorder"} <= set(setting("idempotent").guarantees)
    assert {"aborted_read", "non_atomic"} <= set(setting("transactions").guarantees)
    assert {"eos_missing", "eos_duplicate", "single_owner"} <= set(setting("eos-pipeline").guarantees)
    wanted = {"acks1": "lost", "unclean": "lost", "power-loss": "lost", "no-idempotence": "reorder",
              "idempotent-restart": "duplicate", "read-uncommitted": "uncommitted_read",
              "at-most-once": "unprocessed", "at-least-once": "processed_twice", "plain-pipeline": "eos_duplicate"}
    assert {n: s.anomalies for n, s in ((n, setting(n)) for n in wanted)} == {n: (k,) for n, k in wanted.items()}
    assert setting("v1-unverified").anomalies == ("hanging", "aborted_read")
    static = dict(setting("static-members").workload)
    assert static["consumer_config"]["group.instance.id"] == "worker" and static["processing"] == "process-then-commit"
    assert setting("static-members").anomalies == ("processed_twice",)
    assert setting("static-members").nemesis(5).schedule() == setting("at-least-once").nemesis(5).schedule()
    late = {n: dict(setting(n).workload) for n in ("v1-unverified", "v1-verified-late", "v2-late")}
    assert [w.get("features") for w in late.values()] == [{"transaction.version": 1}] * 2 + [None]
    assert [w.get("broker_config") for w in late.values()] == \
        [{"transaction.partition.verification.enable": False}, None, None]
    assert {setting(n).profile for n in late} == {"late-writes"}
    assert "hanging" in setting("transactions").guarantees and "hanging" in setting("transactions-v1").guarantees
    for s in DEFAULT:                       # only the blackout row meets correlated power loss
        kinds = PROFILES[s.profile]["kinds"]
        assert ("power_loss" in kinds or "blackout" in kinds) == (s.name == "power-loss"), s.name
    w = {s.name: dict(s.workload) for s in DEFAULT}
    assert w["unclean"]["unclean"] is True and not w["idempotent"].get("unclean")
    assert w["eos-pipeline"]["pipelines"] == 2 and w["eos-pipeline"].get("pipeline_transactions", True)
    assert w["plain-pipeline"]["pipelines"] == 2 and w["plain-pipeline"]["pipeline_transactions"] is False
    assert w["at-most-once"]["processing"] == "commit-then-process"
    assert w["at-least-once"]["processing"] == "process-then-commit"
    assert {s.name for s in MATRICES["quick"]} < set(names)


def test_rows_with_the_same_clients_meet_the_same_faults():
    a, b = setting("idempotent"), setting("unclean")
    assert a.nemesis(5).schedule() == b.nemesis(5).schedule()
    assert setting("at-most-once").nemesis(5).schedule() == setting("at-least-once").nemesis(5).schedule()
    assert setting("eos-pipeline").nemesis(5).schedule() == setting("plain-pipeline").nemesis(5).schedule()
    assert dict(setting("eos-pipeline").nemesis(5).params())["clients"] == (("producer", 2), ("consumer", 1),
                                                                               ("pipeline", 2))


# -- the CI campaign -----------------------------------------------------------------------------------
def test_ci_campaign_guarantees_hold_and_every_anomaly_appears(ci_rows):
    table = render_table(ci_rows)
    print("\n" + table)
    assert [r.runs for r in ci_rows] == [len(CI_SEEDS)] * len(DEFAULT)
    for r in ci_rows:
        assert r.verdict() == "ok", f"{r.setting.name}: {r.verdict()}\n{table}"
        for kind in r.setting.guarantees:
            assert r.count(kind) == 0
        for kind in r.setting.anomalies:
            assert r.count(kind) > 0


def test_a_cell_names_the_first_seed_and_replaying_it_shows_the_anomaly(ci_rows):
    row = next(r for r in ci_rows if r.setting.name == "unclean")
    seed = row.cells["lost"].first_seed
    assert seed is not None
    text = replay(row.setting, seed, limit=1)
    assert "config unclean (" in text and f"seed {seed}" in text and "lost: FAIL" in text
    assert "unclean=True" in text and "(outage)" in text           # the mechanism, in the trace lines


def test_cells_count_runs_with_at_least_one_anomaly():
    s = setting("no-idempotence")
    [row] = campaign([s], range(3))
    expected: dict[str, list[int]] = {}
    for seed in range(3):
        for kind in s.run(seed).anomalies():
            expected.setdefault(kind, []).append(seed)
    assert expected
    for kind, cell in row.cells.items():
        assert cell.runs == len(expected[kind]) and cell.first_seed == expected[kind][0]


# -- the table -----------------------------------------------------------------------------------------
def test_the_table_marks_claims_and_contradictions_and_is_deterministic():
    good, bad = Row(setting("idempotent")), Row(setting("acks1"))
    good.add(0, [])
    good.add(1, ["uncommitted_read"])
    bad.add(0, [])
    bad.add(1, ["reorder"])
    table = render_table([good, bad])
    assert table == render_table([good, bad])
    lines = table.split("\n")
    assert lines[0].split()[:3] == ["config", "runs", "lost"] and lines[0].split()[-1] == "verdict"
    assert lines[1].startswith("guarantees") and lines[3].startswith("anomalies")
    idem, acks1 = lines[2].split(), lines[4].split()
    assert idem[:5] == ["idempotent", "2", "0", "0", "0"] and idem[-1] == "ok"
    assert "1 (s1)" in lines[2]                                      # no claim, but seen
    assert acks1[:3] == ["acks1", "2", "0!"] and lines[4].endswith("BROKEN: lost")   # claimed, never seen
    assert "seconds" not in table and "seconds" in render_table([good], timing=True)
    assert "--replay CONFIG SEED" in table and "[nemesis: faults]" in table
    good.add(2, ["lost"])
    good.add(7, ["lost"])
    assert "2 (s2)!" in render_table([good]) and good.verdict() == "BROKEN: lost"
    assert render_table([good]).endswith("contradicted guarantees:\n  idempotent lost: seeds 2, 7")


def test_chunks_merge_into_the_same_row():
    whole, a, b = Row(setting("acks1")), Row(setting("acks1")), Row(setting("acks1"))
    for seed, kinds in ((0, ["reorder"]), (1, ["lost"]), (2, ["lost", "reorder"])):
        whole.add(seed, kinds)
        (a if seed < 2 else b).add(seed, kinds)
    b.merge(a)
    assert (b.runs, {k: (c.runs, c.first_seed, c.seeds) for k, c in b.cells.items()}) == \
        (whole.runs, {k: (c.runs, c.first_seed, c.seeds) for k, c in whole.cells.items()})


def test_replay_prints_the_schedule_the_history_and_the_verdicts(capsys):
    assert main(["--replay", "no-idempotence", "1", "--history", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config no-idempotence (acks=all, enable.idempotence=false")
    for section in ("== schedule", "== applied", "== history", "== verdicts", "== full history"):
        assert section in out
    assert "Nemesis(seed=1," in out and "kinds=(crash,outage,outage," in out and f"rate={RATE:g}," in out


def test_the_cli_refuses_unknown_configs_rows_and_seeds(capsys):
    for argv in (["--replay", "acks=2", "1"], ["--only", "acks1,meteor"], ["--replay", "acks1", "x"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    assert "unknown config" in capsys.readouterr().err


# -- determinism across processes -------------------------------------------------------------------
def _cli(hashseed: str, *args: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "minikafka.chaos", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def test_a_group_and_eos_campaign_and_replay_are_identical_across_processes_and_hash_seeds():
    args = ("--seeds", "1", "--first-seed", "3", "--matrix", "quick", "--records", "60")
    first, second = _cli("0", *args), _cli("977", *args)
    assert first == second
    assert first.startswith("chaos: matrix quick, seeds 3..3, 60 values per run")
    assert "eos-pipeline" in first and "at-most-once" in first
    replay_args = ("--replay", "at-least-once", "2", "--history", "--records", "60", "--limit", "50")
    here, there = _cli("1", *replay_args), _cli("31337", *replay_args)
    assert here == there and "group chaos assigned generation" in here and "processed p" in here


def test_worker_processes_change_nothing_in_the_table():
    rows = [setting("idempotent"), setting("at-most-once")]
    assert render_table(campaign(rows, range(2), records=60, jobs=2)) == render_table(campaign(rows, range(2),
                                                                                              records=60))


def test_under_pyodide_jobs_run_in_this_process(monkeypatch):
    """Pyodide (the JupyterLite course) has no processes: --jobs N must not start any."""
    import minikafka.chaos.campaign as module

    def no_processes(*args, **kwargs):
        raise NotImplementedError("no processes here")

    rows = [setting("idempotent")]
    expected = render_table(campaign(rows, range(2), records=60))
    monkeypatch.setattr(module.sys, "platform", "emscripten")
    monkeypatch.setattr(module, "ProcessPoolExecutor", no_processes)
    assert render_table(campaign(rows, range(2), records=60, jobs=3)) == expected


@pytest.mark.parametrize("argv, text", [
    (["--seeds", "0"], "argument --seeds: expected an integer >= 1, got '0'"),
    (["--rate", "0"], "argument --rate: expected a number of faults per virtual second > 0, got '0'"),
    (["--rate", "inf"], "argument --rate"),
    (["--records", "0"], "argument --records: expected an integer >= 1"),
    (["--jobs", "0"], "argument --jobs: expected an integer >= 1"),
    (["--limit", "-1"], "argument --limit: expected an integer >= 0"),
    (["--first-seed", "x"], "argument --first-seed: expected an integer"),
    (["--only", ","], "--only names no row"),
])
def test_the_cli_refuses_every_out_of_range_option_before_running(argv, text, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert text in captured.err and captured.out == ""
