"""The chaos CLI: a campaign table of configurations x anomalies, replayable cells, and output
that depends on the arguments only."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minikafka.chaos import ANOMALIES, MATRICES, campaign, main, nemesis_for, render_table, replay

ROOT = Path(__file__).resolve().parents[1]


def setting(name: str):
    return next(s for s in MATRICES["default"] if s.name == name)


def test_the_default_matrix_covers_the_settings_the_course_compares():
    names = [s.name for s in MATRICES["default"]]
    assert len(names) == len(set(names))
    assert {"acks1", "acks1-unclean", "all-noidem", "all-idem", "all-idem-unclean", "txn-rc"} <= set(names)
    assert setting("acks1").unclean is False and setting("acks1-unclean").unclean is True
    assert dict(setting("txn-rc").consumer_config)["isolation.level"] == "read_committed"
    assert {s.name for s in MATRICES["quick"]} < set(names)


def test_a_cell_counts_runs_with_the_anomaly_and_names_the_first_seed_which_replays_it():
    seeds = range(4)
    [row] = campaign([setting("all-noidem")], seeds)
    assert row.runs == 4
    expected: dict[str, list[int]] = {}
    for seed in seeds:
        for kind in setting("all-noidem").run(seed, nemesis_for(seed), 120).anomalies():
            expected.setdefault(kind, []).append(seed)
    assert expected, "the nemesis found nothing to show"
    for kind, cell in row.cells.items():
        assert cell.runs == len(expected.get(kind, []))
        assert cell.first_seed == (expected[kind][0] if kind in expected else None)
    kind, hit = next((k, seeds[0]) for k, seeds in expected.items())
    assert f"{kind}: FAIL" in replay(setting("all-noidem"), hit)


def test_the_table_is_deterministic_and_shows_timings_only_when_asked():
    rows = campaign([setting("acks1")], range(2))
    again = campaign([setting("acks1")], range(2))
    table = render_table(rows)
    assert table == render_table(again)
    header = table.split("\n")[0].split()
    assert header[:2] == ["config", "runs"] and header[2:] == list(ANOMALIES)
    assert "seconds" not in table and "seconds" in render_table(rows, timing=True)
    assert "--replay CONFIG SEED" in table and "acks=1 (idempotence off)" in table


def test_replay_prints_the_schedule_the_history_and_the_verdicts(capsys):
    assert main(["--replay", "all-noidem", "1", "--history"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config all-noidem (acks=all, enable.idempotence=false, 5 in flight), seed 1")
    for section in ("== schedule", "== applied", "== history", "== verdicts", "== full history"):
        assert section in out
    assert "Nemesis(seed=1," in out and "duplicate: FAIL" in out


def test_the_cli_refuses_unknown_configs_kinds_and_seeds(capsys):
    for argv in (["--replay", "acks=2", "1"], ["--kinds", "crash,meteor"], ["--replay", "acks1", "x"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    assert "unknown config" in capsys.readouterr().err


def _cli(hashseed: str, *args: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "minikafka.chaos", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def test_campaign_output_is_identical_across_processes_and_hash_seeds():
    args = ("--seeds", "1", "--first-seed", "3", "--matrix", "quick", "--records", "60")
    first, second = _cli("0", *args), _cli("977", *args)
    assert first == second
    assert first.startswith("chaos: matrix quick, seeds 3..3, 60 values per run")
