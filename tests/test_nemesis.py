"""The nemesis: schedules are data, deterministic and replayable from their parameters; applied
to a cluster, each fault strikes at its virtual time and ends as described."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minikafka import Cluster
from minikafka.chaos.faults import Fault, Schedule, merge
from minikafka.chaos.nemesis import ALL_KINDS, KINDS, OUTAGE_MS, Nemesis

ROOT = Path(__file__).resolve().parents[1]


def cluster(seed: int = 1) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    return c


# -- schedules are data -----------------------------------------------------------------------
def test_same_seed_gives_the_same_schedule_text_and_another_seed_another():
    a, b = Nemesis(seed=4).schedule(), Nemesis(seed=4).schedule()
    assert a == b and a.table() == b.table()
    assert Nemesis(seed=5).schedule().table() != a.table()


def test_a_schedule_is_replayable_from_its_parameters_alone():
    s = Nemesis(seed=9, kinds=("crash", "cut", "drop"), rate=0.5, duration_ms=20_000).schedule()
    again = Nemesis(**dict(s.params)).schedule()
    assert again == s and again.table() == s.table()
    assert s.describe().startswith("Nemesis(seed=9, kinds=(crash,cut,drop), rate=0.5, duration_ms=20000")


def test_faults_are_data_with_deterministic_text():
    assert Fault(100, "crash", {"broker": 2}) == Fault(100, "crash", (("broker", 2),))
    assert str(Fault(100, "power_loss", {"broker": 3})) == "power-loss crash b3"
    assert str(Fault(0, "cut", {"a": "b1", "b": "c1"})) == "cut b1 | c1"
    assert str(Fault(0, "drop", {"message": "ProduceResponse", "p": 1.0, "count": 2, "ms": 500})) == \
        "drop ProduceResponse p=1 x2 for 500 ms"
    assert str(Fault(0, "delay", {"message": "FetchRequest", "delay": 200, "count": 1, "ms": 9})) == \
        "delay FetchRequest +200 ms x1 for 9 ms"
    assert str(Fault(0, "pause", {"node": "producer#0", "ms": 3000})) == "pause producer#0 for 3000 ms"
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(0, "meteor")
    with pytest.raises(ValueError, match="at_ms"):
        Fault(-1, "heal_all")
    with pytest.raises(ValueError, match="unknown nemesis kind"):
        Nemesis(kinds=("crash", "meteor"))


def test_every_crash_is_restarted_and_every_cut_healed_before_the_end():
    for seed in range(40):
        n = Nemesis(seed=seed, rate=0.6)
        s = n.schedule()
        assert s.problems() == [], seed
        body = [f for f in s if f.kind not in ("clear_rules", "heal_all", "restart_all")]
        assert all(f.at_ms < n.duration_ms - n.quiet_ms + 1 for f in body)
        assert s.count("crash") + s.count("power_loss") == s.count("restart")
        assert s.count("cut") == s.count("heal")
        assert [f.kind for f in s.faults[-3:]] == ["clear_rules", "heal_all", "restart_all"]
        assert all(f.at_ms == n.duration_ms for f in s.faults[-3:])


def test_without_restarts_or_settling_the_schedule_says_what_stays_broken():
    s = Nemesis(seed=2, kinds=("crash",), rate=1.0, restart=False, settle=False).schedule()
    assert s.count("restart") == 0 and s.count("crash") >= 1
    assert s.problems() and all("never restarted" in p for p in s.problems())


def test_at_most_max_down_brokers_are_down_and_a_broker_has_one_episode_at_a_time():
    for seed in range(40):
        s = Nemesis(seed=seed, kinds=("crash", "power_loss", "isolate", "pause"), rate=1.0).schedule()
        down: dict[str, int] = {}
        busy: dict[str, int] = {}
        for f in s:
            if f.kind in ("crash", "power_loss"):
                b = f"b{f.arg('broker')}"
                assert busy.get(b, -1) < f.at_ms
                down[b] = busy[b] = 10**9
                assert len(down) <= 1
            elif f.kind == "restart":
                b = f"b{f.arg('broker')}"
                del down[b]
                busy[b] = f.at_ms
            elif f.kind in ("isolate", "pause"):
                node = f.arg("node")
                assert busy.get(node, -1) < f.at_ms, (seed, f)
                busy[node] = f.at_ms + f.arg("ms")


def test_schedules_compose_by_merge_and_in_sequence():
    a = Schedule((Fault(100, "crash", {"broker": 1}), Fault(900, "restart", {"broker": 1})), 1000)
    b = Schedule((Fault(50, "cut", {"a": "b2", "b": "b3"}), Fault(400, "heal", {"a": "b2", "b": "b3"})), 500)
    both = a + b
    assert [f.at_ms for f in both] == [50, 100, 400, 900] and both.duration_ms == 1000
    assert both == merge(a, b)
    seq = a.then(b)
    assert [f.at_ms for f in seq] == [100, 900, 1050, 1400] and seq.duration_ms == 1500
    assert both.problems() == [] and Schedule(a.faults[:1]).problems() == ["b1 crashed at 100 ms is never restarted"]
    assert "hand-built schedule" in both.table()


def test_the_default_nemesis_uses_every_kind_over_a_few_seeds():
    seen = {f.kind for seed in range(10) for f in Nemesis(seed=seed, rate=0.6).schedule()}
    assert set(KINDS) <= seen
    assert not {f.arg("episode") for seed in range(10) for f in Nemesis(seed=seed).schedule()} - {None}


def episodes(kind: str, seeds=range(30)) -> list[tuple[Schedule, list[Fault]]]:
    out = []
    for seed in seeds:
        s = Nemesis(seed=seed, kinds=(kind, "cut", "crash"), rate=0.5).schedule()
        mine = [f for f in s if f.arg("episode") == kind]
        if mine:
            out.append((s, mine))
    return out


def test_an_outage_crashes_one_broker_then_the_rest_and_restarts_the_stale_one_alone_first():
    found = episodes("outage")
    assert len(found) >= 5
    for s, faults in found:
        assert s.problems() == []
        [stale_down, *rest_down] = [f for f in faults if f.kind == "crash"]
        [stale_up, *rest_up] = [f for f in faults if f.kind == "restart"]
        assert stale_up.arg("broker") == stale_down.arg("broker") and len(rest_down) == len(rest_up) == 2
        assert {f.arg("broker") for f in rest_down} == {1, 2, 3} - {stale_down.arg("broker")}
        alone = rest_down[0].at_ms - stale_down.at_ms
        assert OUTAGE_MS[0][0] <= alone <= OUTAGE_MS[0][1]          # long enough to be fenced out of the ISR
        assert rest_down[0].at_ms < stale_up.at_ms < rest_up[0].at_ms <= s.duration_ms - 2_000
        assert str(stale_down) == f"crash b{stale_down.arg('broker')} (outage)"
        between = [f for f in s if stale_down.at_ms < f.at_ms < rest_up[0].at_ms and f.kind in ("crash", "restart")]
        assert all(f.arg("episode") == "outage" for f in between)   # nothing else touches the brokers


def test_a_blackout_cuts_the_power_of_every_broker_at_once():
    found = episodes("blackout")
    assert len(found) >= 5
    for s, faults in found:
        downs = sorted({f.at_ms for f in faults if f.kind == "power_loss"})
        ups = sorted({f.at_ms for f in faults if f.kind == "restart"})
        assert len(downs) == len(ups) and all(d < u for d, u in zip(downs, ups, strict=True))
        for at in downs + ups:                                      # all three at once, every time
            assert sorted(f.arg("broker") for f in faults if f.at_ms == at) == [1, 2, 3]
        assert str(faults[0]).startswith("power-loss crash b") and str(faults[0]).endswith("(blackout)")
        assert s.problems() == []


def test_episode_kinds_are_known_and_a_repeated_kind_is_drawn_more_often():
    assert set(ALL_KINDS) == set(KINDS) | {"outage", "blackout", "shutdown", "crash_controller", "quorum_loss"}
    once = sum(Nemesis(seed, kinds=("cut", "pause")).schedule().count("cut") for seed in range(20))
    twice = sum(Nemesis(seed, kinds=("cut", "cut", "pause")).schedule().count("cut") for seed in range(20))
    assert twice > once


# -- applying a schedule ------------------------------------------------------------------------
def test_faults_strike_at_their_virtual_times_and_are_traced():
    c = cluster()
    start = c.now
    s = Schedule((Fault(500, "crash", {"broker": 2}), Fault(12_000, "restart", {"broker": 2})), 13_000)
    run = s.apply(c)
    c.run(13_000)
    crash = c.trace.filter(name="broker.crash")[0]
    restart = c.trace.filter(name="broker.restart")[0]
    assert (crash.time, restart.time) == (start + 500, start + 12_000)
    assert [a.text for a in run.applied] == ["crash b2", "restart b2"]
    assert [e.fields["fault"] for e in c.trace.filter(name="nemesis")] == ["crash b2", "restart b2"]
    assert c.brokers[2].alive


def test_the_stepping_interface_applies_only_what_is_due():
    c = cluster()
    run = Schedule((Fault(500, "crash", {"broker": 1}),)).apply(c, scheduled=False)
    c.run(1_000)
    assert c.brokers[1].alive
    assert run.advance() == 1
    assert not c.brokers[1].alive and run.applied[0].time == c.now


def test_crashing_a_broker_that_is_down_is_skipped_and_logged():
    c = cluster()
    c.crash_broker(3)
    run = Schedule((Fault(0, "crash", {"broker": 3}), Fault(10, "restart", {"broker": 1}))).apply(c)
    c.run(20)
    assert [a.text for a in run.applied] == ["crash b3: skipped (already down)", "restart b1: skipped (already up)"]


def test_isolation_heals_only_the_links_it_cut():
    c = cluster()
    c.cut(1, "c1")
    run = Schedule((Fault(0, "isolate", {"node": "b1", "ms": 1_000}),)).apply(c)
    c.run(10)
    assert c.net.is_cut("b1", "b2") and c.net.is_cut("b1", "b3")
    c.run(1_000)
    assert not c.net.is_cut("b1", "b2") and not c.net.is_cut("b1", "b3")
    assert c.net.is_cut("b1", "c1")
    assert "end of isolation of b1" in run.log()


def test_a_paused_producer_holds_its_messages_until_it_resumes():
    c = cluster()
    p = c.producer({"acks": "all", "linger.ms": 0})
    p.produce("t", value=b"warm")
    p.flush()
    delivered: list[int] = []
    start = c.now
    Schedule((Fault(0, "pause", {"node": "producer#0", "ms": 3_000}),)).apply(c)
    c.run(1)
    p.produce("t", value=b"held", on_delivery=lambda err, msg: delivered.append(c.now))
    c.run(2_500)
    p.poll(0)
    assert delivered == []
    c.run(1_000)
    p.poll(0)
    assert len(delivered) == 1
    acked = c.trace.filter(name="delivered", node=p.name)[-1].time
    assert start + 3_000 <= acked < start + 3_000 + 200             # within one slice of the resume
    assert not [e for e in c.trace.filter(node=p.name, kind="drop")]      # held, never lost
    assert c.net.rules == []


def test_a_paused_broker_stops_heartbeating_is_fenced_and_comes_back():
    c = cluster()
    leader = c.partition_state("t", 0).leader
    Schedule((Fault(0, "pause", {"node": f"b{leader}", "ms": 12_000}),)).apply(c)
    c.run(11_000)
    assert c.partition_state("t", 0).leader != leader                    # fenced after 9 s
    assert [e.fields["broker"] for e in c.trace.filter(name="broker.fence")] == [leader]
    c.run(15_000)
    assert [e.fields["broker"] for e in c.trace.filter(name="broker.unfence")][-1] == leader
    assert c.brokers[leader].alive and not c.trace.filter(name="broker.crash")


def test_a_drop_rule_lives_for_its_length():
    c = cluster()
    Schedule((Fault(0, "drop", {"message": "ProduceResponse", "p": 1.0, "count": None, "ms": 1_000}),)).apply(c)
    c.run(10)
    assert len(c.net.rules) == 1
    c.run(1_000)
    assert c.net.rules == []


def test_an_outage_applied_shows_the_stale_broker_leading_alone_when_unclean_election_is_on():
    c = Cluster(brokers=3, seed=2)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2,
                                                                    "unclean.leader.election.enable": True})
    stale = c.partition_state("t", 0).leader
    others = [b for b in (1, 2, 3) if b != stale]
    note = {"episode": "outage"}
    s = Schedule((Fault(0, "crash", {"broker": stale, **note}),
                  *(Fault(12_000, "crash", {"broker": b, **note}) for b in others),
                  Fault(14_000, "restart", {"broker": stale, **note}),
                  *(Fault(18_000, "restart", {"broker": b, **note}) for b in others)), 30_000)
    run = s.apply(c)
    c.run(25_000)
    elect = [e for e in c.trace.filter(name="leader.elect") if e.fields["tp"] == "t-0"]
    assert elect[-1].fields["leader"] == stale and elect[-1].fields["unclean"] is True
    assert [a.text for a in run.applied][:2] == [f"crash b{stale} (outage)", f"crash b{others[0]} (outage)"]


def test_a_slot_naming_a_process_crashes_and_pauses_every_client_of_it():
    c = cluster()
    k, p = c.consumer({"group.id": "g"}), c.producer()
    process = (k.name, p.name)
    s = Schedule((Fault(0, "pause", {"node": "pipeline#0", "ms": 500}),
                  Fault(1_000, "crash_client", {"client": "pipeline#0"})))
    run = s.apply(c, clients=lambda role, i: process if role == "pipeline" else None)
    c.run(10)
    assert len(c.net.rules) == 4                                    # held both ways, for both clients
    c.run(2_000)
    assert not k.alive and not p.alive and c.net.rules == []
    assert run.applied[-1].text == f"crash client pipeline#0 ({k.name}, {p.name})"


def test_crash_client_picks_the_slot_given_by_the_workload():
    c = cluster()
    first, second = c.producer(), c.producer()
    Schedule((Fault(0, "crash_client", {"client": "producer#1"}),)).apply(c)
    c.run(1)
    assert first.alive and not second.alive                               # default: the i-th live one
    third = c.producer()
    run = Schedule((Fault(0, "crash_client", {"client": "producer#0"}),)).apply(c, clients=lambda role, i: third.name)
    c.run(1)
    assert not third.alive and first.alive
    assert run.applied[0].text == f"crash client producer#0 ({third.name})"


# -- determinism across processes -------------------------------------------------------------------
SCRIPT = r"""
from minikafka.chaos.checkers import render_verdicts
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.workload import run_workload
n = Nemesis(seed=6)
print(n.schedule().table())
r = run_workload(6, {"acks": "all", "enable.idempotence": False}, {"group.id": "g"}, nemesis=n, records=60)
print(r.nemesis.log())
print(r.history.render())
print(render_verdicts(r.verdicts, r.cluster, limit=50))
"""


def _replay(hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout


def test_schedule_history_and_verdicts_replay_identically_in_another_process_and_hash_seed():
    from minikafka.chaos.checkers import render_verdicts
    from minikafka.chaos.workload import run_workload
    n = Nemesis(seed=6)
    r = run_workload(6, {"acks": "all", "enable.idempotence": False}, {"group.id": "g"}, nemesis=n, records=60)
    here = "\n".join([n.schedule().table(), r.nemesis.log(), r.history.render(),
                      render_verdicts(r.verdicts, r.cluster, limit=50)]) + "\n"
    there = _replay("31337")
    assert there == here
    assert len(r.history.sends) == 60 and "crash" in there


def test_a_fault_that_finds_nothing_to_act_on_is_marked_skipped():
    c = Cluster(brokers=3, seed=1)
    run = Schedule((Fault(10, "crash_client", {"client": "producer#0"}), Fault(20, "crash", {"broker": 1})),
                   100).apply(c)
    c.run(200)
    assert [(a.skipped, a.text) for a in run.applied if a.fault] == [
        (True, "crash client producer#0: skipped (no live client)"), (False, "crash b1")]


@pytest.mark.parametrize("kwargs, error, text", [
    ({"down_ms": (5, 1)}, ValueError, "down_ms must be a pair"),
    ({"episode_ms": (0, 10)}, ValueError, "episode_ms must be a pair"),
    ({"down_ms": 5}, TypeError, "down_ms must be a pair"),
    ({"rate": 0}, ValueError, "rate must be a number of faults per virtual second > 0"),
    ({"rate": float("nan")}, ValueError, "rate must be"),
    ({"rate": "0.5"}, TypeError, "rate must be"),
    ({"kinds": "crash"}, TypeError, "kinds must be a list or tuple of names"),
    ({"kinds": ()}, ValueError, "at least one kind"),
    ({"messages": ("Nope",)}, ValueError, "unknown message kind 'Nope'"),
    ({"clients": (("producer", -1),)}, ValueError, "must be an integer >= 0"),
    ({"clients": ("producer",)}, TypeError, "clients must be \\(role, count\\) pairs"),
    ({"brokers": 0}, ValueError, "brokers must be an integer from 1 to 64"),
    ({"max_down": 4}, ValueError, "max_down must be an integer from 0 to 3"),
    ({"duration_ms": 1.5}, TypeError, "duration_ms must be an integer >= 0"),
    ({"start_ms": -1}, ValueError, "start_ms must be an integer >= 0"),
    ({"restart": "no"}, TypeError, "restart must be True or False"),
    ({"seed": "1"}, TypeError, "seed must be an integer"),
])
def test_nemesis_arguments_are_checked_when_it_is_made(kwargs, error, text):
    with pytest.raises(error, match=text):
        Nemesis(**kwargs)


@pytest.mark.parametrize("kind, args, error, text", [
    ("crash", {}, ValueError, "a crash fault needs broker; it takes: broker, episode"),
    ("restart", {"broker": "1"}, TypeError, "restart fault's broker must be an integer >= 0"),
    ("power_loss", {"broker": True}, TypeError, "power_loss fault's broker must be an integer"),
    ("cut", {"a": 1}, ValueError, "a cut fault needs b"),
    ("heal", {"a": 1, "b": "producer#x"}, ValueError, "heal fault's b must be a broker id"),
    ("isolate", {"node": 1, "ms": 0}, ValueError, "isolate fault's ms must be an integer >= 1"),
    ("pause", {"node": None, "ms": 5}, TypeError, "pause fault's node must be a broker id"),
    ("drop", {"message": "Nope", "ms": 5}, ValueError, "unknown message kind 'Nope'"),
    ("drop", {"message": "*", "ms": 5, "p": 2}, ValueError, "drop fault's p must be a probability"),
    ("drop", {"message": "*", "ms": 5, "count": -1}, ValueError, "drop fault's count must be an integer >= 1"),
    ("delay", {"message": "*", "ms": 5}, ValueError, "a delay fault needs delay"),
    ("delay", {"message": "*", "ms": 5, "delay": 1.5}, TypeError, "delay fault's delay must be an integer >= 0"),
    ("crash_client", {"client": 3.0}, TypeError, "crash_client fault's client must be"),
    ("heal_all", {"broker": 1}, ValueError, "a heal_all fault takes no argument 'broker'"),
    ("crash", (("broker", 1), ("broker", 2)), ValueError, "names an argument twice"),
    ("crash", {"broker": 1, "episode": 7}, TypeError, "episode must be a string"),
])
def test_a_fault_with_a_wrong_argument_is_refused_where_it_is_made(kind, args, error, text):
    with pytest.raises(error, match=text):
        Fault(0, kind, args)


def test_every_fault_the_nemesis_draws_passes_the_argument_checks():
    for seed in range(20):
        for f in Nemesis(seed=seed, duration_ms=60_000).schedule():
            Fault(f.at_ms, f.kind, f.args)          # made again: the checks run again


# -- controller faults (nemesis.py rule 6) ------------------------------------------------------------
def test_controller_crashes_come_one_at_a_time_and_are_always_restarted():
    for seed in range(6):
        s = Nemesis(seed, kinds=("crash_controller",), controllers=3, rate=1.0).schedule()
        assert s.problems() == []
        crashes = [f for f in s if f.kind == "crash_controller"]
        assert crashes and all(1 <= f.arg("controller") <= 3 for f in crashes)
        down: dict[int, int] = {}
        for f in s:
            if f.kind == "crash_controller":
                assert not any(back > f.at_ms for back in down.values()), str(s)
                down[f.arg("controller")] = next(g.at_ms for g in s if g.kind == "restart_controller"
                                                 and g.arg("controller") == f.arg("controller") and g.at_ms > f.at_ms)


def test_a_quorum_loss_crashes_a_majority_of_the_controllers_at_once():
    s = Nemesis(3, kinds=("quorum_loss",), controllers=3, rate=1.0).schedule()
    lost = [f for f in s if f.kind == "crash_controller"]
    assert lost and all(f.arg("episode") == "quorum_loss" for f in lost)
    first = [f for f in lost if f.at_ms == lost[0].at_ms]
    assert len(first) == 2 and "crash controller c" in str(first[0])
    assert s.problems() == []


def test_a_controller_crash_without_a_restart_is_reported():
    s = Schedule((Fault(10, "crash_controller", {"controller": 2}),), 100)
    assert s.problems() == ["c2 crashed at 10 ms is never restarted"]


def test_controller_faults_apply_to_the_cluster_and_restart_all_brings_them_back():
    c = Cluster(brokers=3, controllers=3, seed=4)
    s = Schedule((Fault(0, "crash_controller", {"controller": 1}), Fault(0, "crash_controller", {"controller": 2}),
                  Fault(5000, "restart_all")), 10_000)
    run = s.apply(c)
    c.run(3000)
    assert c.controller_state().leader == -1                # no majority: nobody leads
    c.run(8000)
    assert all(ctl.alive for ctl in c.controllers.values())
    assert c.controller_state().leader != -1
    assert "restart every crashed broker: c1, c2" in run.log()
