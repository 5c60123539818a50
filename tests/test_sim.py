"""minikafka.sim.kernel: virtual time, event order, daemons, named random streams."""
import pytest

from minikafka.sim.kernel import Simulation


def test_events_run_in_time_order_then_scheduling_order():
    sim, ran = Simulation(), []
    sim.schedule(5, ran.append, "c")
    sim.schedule(1, ran.append, "a")
    sim.schedule(5, ran.append, "d")
    sim.schedule(1, ran.append, "b")
    sim.run_until_idle()
    assert ran == ["a", "b", "c", "d"]


def test_event_scheduled_at_current_time_runs_after_earlier_scheduled_ties():
    sim, ran = Simulation(), []
    sim.schedule(3, lambda: (ran.append("first"), sim.schedule(0, ran.append, "nested")))
    sim.schedule(3, ran.append, "second")
    sim.run_until_idle()
    assert ran == ["first", "second", "nested"]


def test_step_runs_exactly_one_event_and_advances_now_to_it():
    sim, ran = Simulation(), []
    sim.schedule(4, ran.append, 1)
    sim.schedule(4, ran.append, 2)
    assert sim.step() is True
    assert ran == [1] and sim.now == 4 and sim.events_run == 1
    assert sim.step() is True and ran == [1, 2]
    assert sim.step() is False


def test_run_leaves_now_at_start_plus_ms_and_runs_events_due_at_deadline():
    sim, ran = Simulation(), []
    sim.run(3)
    sim.schedule(10, ran.append, "at deadline")
    sim.schedule(11, ran.append, "after deadline")
    sim.run(10)
    assert sim.now == 13
    assert ran == ["at deadline"]
    sim.run(1)
    assert ran == ["at deadline", "after deadline"] and sim.now == 14


def test_run_includes_events_scheduled_during_the_window():
    sim, ran = Simulation(), []
    sim.schedule(2, lambda: sim.schedule(3, ran.append, sim.now))
    sim.run(5)
    assert ran == [2]


def test_run_with_negative_duration_raises():
    with pytest.raises(ValueError):
        Simulation().run(-1)


def test_negative_delay_raises():
    with pytest.raises(ValueError):
        Simulation().schedule(-1, print)


def test_cancelled_event_does_not_run_and_does_not_keep_sim_busy():
    sim, ran = Simulation(), []
    ev = sim.schedule(5, ran.append, "cancelled")
    sim.schedule(2, ran.append, "kept")
    ev.cancel()
    ev.cancel()                         # idempotent
    assert sim.run_until_idle() is True
    assert ran == ["kept"] and sim.now == 2 and sim.idle
    assert sim.peek() is None


def test_cancel_after_run_is_harmless():
    sim, ran = Simulation(), []
    ev = sim.schedule(1, ran.append, 1)
    sim.step()
    ev.cancel()
    sim.schedule(1, ran.append, 2)
    assert sim.run_until_idle() and ran == [1, 2]


def test_run_until_idle_stops_when_only_daemon_events_remain():
    sim, beats, ran = Simulation(), [], []

    def heartbeat():
        beats.append(sim.now)
        sim.schedule(10, heartbeat, daemon=True)

    sim.schedule(0, heartbeat, daemon=True)
    sim.schedule(35, ran.append, "work")
    assert sim.run_until_idle() is True
    assert ran == ["work"] and sim.now == 35
    assert beats == [0, 10, 20, 30]
    assert sim.peek() == 40             # the daemon is still queued


def test_run_until_idle_returns_false_when_work_never_ends():
    sim = Simulation()

    def busy():
        sim.schedule(100, busy)

    sim.schedule(0, busy)
    assert sim.run_until_idle(max_ms=1000) is False
    assert sim.now <= 1000 and not sim.idle


def draws(sim, name, n=5):
    stream = sim.rng(name)
    return [stream.random() for _ in range(n)]


def test_rng_streams_are_deterministic_per_seed_and_name():
    sim = Simulation(seed=7)
    first = draws(sim, "network")
    assert first == draws(Simulation(seed=7), "network")
    assert first != draws(Simulation(seed=8), "network")
    assert first != draws(Simulation(seed=7), "partitioner")
    assert sim.rng("network") is sim.rng("network")


def test_rng_streams_are_independent_of_each_other():
    busy = Simulation(seed=3)
    draws(busy, "producer", 100)
    assert draws(busy, "network") == draws(Simulation(seed=3), "network")
