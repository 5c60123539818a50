"""The bounded trace (sim/trace.py): a ring of the last `trace_limit` events, a marker of how
many were dropped, and readers that say so when what they need was dropped (issue 15)."""
from __future__ import annotations

import pytest

from minikafka import Cluster, viz
from minikafka.chaos import workload as workload_module
from minikafka.chaos.history import History
from minikafka.chaos.report import Anomaly
from minikafka.chaos.workload import Workload, WorkloadConfig
from minikafka.sim.trace import DEFAULT_LIMIT, Trace, TraceDropped, TraceDroppedWarning


def _small(limit: int = 50, ms: int = 60_000) -> Cluster:
    c = Cluster(brokers=1, seed=1, trace_limit=limit)
    c.run(ms)
    return c


def test_the_ring_keeps_the_last_limit_events_and_counts_the_dropped_ones() -> None:
    full = Cluster(brokers=1, seed=1, trace_limit=None)
    full.run(60_000)
    c = _small(50)
    t = c.trace
    assert len(t) == len(full.trace) > 50                  # every event recorded is counted
    assert t.kept == 50 and t.dropped == len(t) - 50
    assert [e.seq for e in t] == list(range(t.dropped, len(t)))          # events keep their seq
    assert [e.line() for e in t] == [e.line() for e in list(full.trace)[-50:]]
    assert t[-1] is t[len(t) - 1] and t[t.dropped].seq == t.dropped
    assert [e.seq for e in t[t.dropped - 10:t.dropped + 2]] == [t.dropped, t.dropped + 1]   # slices clamp


def test_the_ring_drops_the_oldest_event_by_event_and_compacts_without_losing_any() -> None:
    t = Trace(limit=3)
    for i in range(10_000):
        t.state(i, "n", "tick", i=i)
        assert t.kept == min(i + 1, 3) and t.dropped == max(i - 2, 0)
    assert [e.fields["i"] for e in t] == [9_997, 9_998, 9_999]
    assert len(t._ev) < 2 * 4096 + 3                       # dropped slots are given back


def test_the_default_limit_keeps_every_event_of_a_seeded_history() -> None:
    c = Cluster(brokers=3, seed=2)
    assert c.trace.limit == DEFAULT_LIMIT == 150_000
    c.create_topic("t", partitions=3, replication_factor=3)
    c.run(30_000)
    assert c.trace.dropped == 0 and repr(c.trace) == f"<Trace: {len(c.trace)} events>"
    assert not c.trace.dumps().startswith("...")


def test_the_marker_of_dropped_events_shows_in_repr_dumps_and_tail() -> None:
    c = _small(50)
    t = c.trace
    marker = f"... {t.dropped:,} earlier events (#0 to #{t.dropped - 1:,}) dropped"
    assert repr(t) == f"<Trace: {len(t)} events, the first {t.dropped} dropped, 50 kept (trace_limit=50)>"
    assert t.dumps().split("\n")[0].startswith(marker) and len(t.dumps().split("\n")) == 51
    assert t.tail(60).split("\n")[0].startswith(marker)
    assert "dropped" not in t.tail(3) and len(t.tail(3).split("\n")) == 3


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-5, ValueError), (True, TypeError), (1.5, TypeError),
                                        ("1000", TypeError)])
def test_trace_limit_must_be_a_positive_int_or_none(bad: object, error: type) -> None:
    with pytest.raises(error, match=r"trace_limit must be a positive int .* or None .*got"):
        Cluster(brokers=1, trace_limit=bad)  # type: ignore[arg-type]
    c = Cluster(brokers=1, trace_limit=None)
    c.run(60_000)
    assert c.trace.limit is None and c.trace.dropped == 0


def test_trace_false_still_records_nothing_whatever_the_limit() -> None:
    c = Cluster(brokers=1, trace=False, trace_limit=10)
    c.run(10_000)
    assert len(c.trace) == 0 and c.trace.dropped == 0


def test_reading_a_dropped_event_raises_trace_dropped_naming_the_limit() -> None:
    t = _small(50).trace
    with pytest.raises(TraceDropped, match=r"trace event #0 was dropped: .*last 50 events.*trace_limit"):
        t[0]
    with pytest.raises(TraceDropped, match=r"my reader needs the trace events from #3 on, but .* were dropped"):
        t.events_from(3, "my reader")
    assert t.events_from(t.dropped) == list(t)


def test_filter_warns_when_its_window_reaches_back_past_the_kept_events() -> None:
    t = _small(50).trace
    with pytest.warns(TraceDroppedWarning, match=r"searched only the kept events.*trace_limit"):
        assert t.filter(name="BrokerHeartbeat")
    first_kept = t[t.dropped].time
    with pytest.warns(TraceDroppedWarning):
        t.filter(since=first_kept)                         # events of that ms may have been dropped
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.filter(since=first_kept + 1)


def test_positions_stay_meaningful_when_events_are_dropped() -> None:
    c = _small(50)
    h = History(c.trace)
    before = len(c.trace)
    assert h._pos() == before                              # history.py rule 1: every event recorded
    while len(c.trace) == before:                          # a step may run a timer that records nothing
        c.step()
    new = c.trace.events[before:]                          # what the widgets read after a step
    assert new and all(e.seq >= before for e in new)


def test_checker_explanations_say_when_their_trace_events_were_dropped() -> None:
    c = _small(20)
    first = c.trace.dropped
    text = Anomaly("lost", "a lost record", (), (0, first)).render(c)
    assert "trace #0: dropped" in text and f"trace #{first}:" in text
    assert "this explanation may be incomplete" in text and "trace_limit" in text
    fresh = Anomaly("lost", "a lost record", (), (first,)).render(c)
    assert "incomplete" not in fresh
    assert "incomplete" in Anomaly("lost", "nothing found", (), ()).render(c)


def test_the_sequence_diagram_says_its_window_reaches_past_the_dropped_events() -> None:
    c = _small(50)
    text = viz.sequence_table(c.trace, names=["BrokerHeartbeat*"])
    assert f"... {c.trace.dropped:,} earlier events" in text and "trace_limit" in text
    assert viz.sequence_view(c.trace).dropped_note
    assert not viz.sequence_view(c.trace, since=c.trace[c.trace.dropped].time + 1).dropped_note


def test_the_rebalance_timeline_says_generations_may_be_missing() -> None:
    c = Cluster(brokers=3, seed=4, trace_limit=300)
    c.create_topic("t", partitions=2, replication_factor=3)
    k = c.consumer({"group.id": "g"})
    k.subscribe(["t"])
    k.poll(5)
    c.run(60_000)
    assert c.trace.dropped
    text = viz.rebalance_table(c.trace, "g")
    assert "no generation has become Stable yet in the events the trace kept" in text and "trace_limit" in text
    full = Cluster(brokers=3, seed=4)
    full.create_topic("t", partitions=2, replication_factor=3)
    k = full.consumer({"group.id": "g"})
    k.subscribe(["t"])
    k.poll(5)
    assert "dropped" not in viz.rebalance_table(full.trace, "g")


def test_the_workload_refuses_a_history_whose_trace_events_were_dropped_unread(monkeypatch) -> None:
    """A checker judging a history with commits or group events missing would give wrong
    verdicts: the workload stops with TraceDropped instead (workload_consumers.py rule 9)."""
    monkeypatch.setattr(workload_module, "Cluster", lambda **kw: Cluster(**kw, trace_limit=100))
    config = WorkloadConfig(seed=1, records=20, consumer_config={"group.id": "g"}, subscribe=True)
    with pytest.raises(TraceDropped, match=r"workload's record of commits and group events .*trace_limit"):
        Workload(config).run()


def test_a_group_workload_at_the_default_limit_harvests_every_commit() -> None:
    config = WorkloadConfig(seed=1, records=20, consumer_config={"group.id": "g"}, subscribe=True)
    r = Workload(config).run()
    assert r.cluster.trace.dropped == 0
    traced = [e for e in r.cluster.trace if e.name == "commit"]
    assert sum(len(e.fields["offsets"]) for e in traced) == len(r.history.commits) > 0
