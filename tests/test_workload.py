"""The workload under seeded nemeses: the anomalies each setting is known to allow emerge from
the faults, and the guarantees each setting promises hold. Campaigns here are short; longer
ones belong to `python -m minikafka.chaos`."""
from __future__ import annotations


from minikafka.nemesis import Fault, Nemesis, Schedule
from minikafka.workload import Result, Workload, WorkloadConfig, run_workload

GROUP = {"group.id": "g"}
NO_POWER_LOSS = ("crash", "cut", "isolate", "pause", "drop", "delay", "crash_client")
IDEMPOTENT = {"acks": "all", "enable.idempotence": True}
NOT_IDEMPOTENT = {"acks": "all", "enable.idempotence": False}


def first_seed_with(kind: str, seeds, run) -> tuple[int, Result] | None:
    for seed in seeds:
        r = run(seed)
        if kind in r.anomalies():
            return seed, r
    return None


def trace_names(r: Result, kind: str) -> set[str]:
    return {r.cluster.trace[seq].name for rep in r.verdicts.values() for a in rep.anomalies if a.kind == kind
            for seq in a.trace_seq}


# -- without faults ---------------------------------------------------------------------------
def test_without_faults_every_value_is_acknowledged_read_once_in_order_and_committed():
    r = run_workload(1, IDEMPOTENT, GROUP, records=40)
    h = r.history
    assert r.ok and r.anomalies() == {}
    assert [s.outcome for s in h.sends] == ["acked"] * 40
    assert sorted(x.value for x in h.final_reads()) == sorted(s.value for s in h.sends)
    assert {x.value for x in h.reads if not x.final} == {s.value for s in h.sends}
    assert h.commits and all(c.ok for c in h.commits)
    assert [e.text for e in r.nemesis.applied] == []


def test_without_faults_transactions_commit_or_abort_as_the_application_decides():
    r = run_workload(2, {"transactional.id": "app"}, {**GROUP, "isolation.level": "read_committed"}, records=40)
    h = r.history
    assert r.ok
    outcomes = [t.outcome for t in h.txns]
    assert set(outcomes) == {"committed", "aborted"} and len(h.txns) == 10
    committed = {v for t in h.txns if t.outcome == "committed" for v in t.values}
    assert {x.value for x in h.final_reads("read_committed")} == committed
    assert {x.value for x in h.final_reads("read_uncommitted")} == {s.value for s in h.sends if s.outcome == "acked"}
    assert {s.error for s in h.sends if s.outcome != "acked"} <= {"_PURGE_QUEUE"}   # queued when it aborted


# -- anomalies that emerge -------------------------------------------------------------------------
def test_acks_1_campaign_finds_lost_acknowledged_writes():
    found = first_seed_with("lost", range(12), lambda seed: run_workload(seed, {"acks": 1}, GROUP,
                                                                        nemesis=Nemesis(seed)))
    assert found is not None
    _, r = found
    assert trace_names(r, "lost") & {"truncate", "leader.elect"}
    assert not r.verdicts["lost"].ok and "but is not in the log" in r.verdicts["lost"].render()


DROP_RESPONSES = Nemesis(0, kinds=("drop",), messages=("ProduceResponse",), rate=0.5)


def test_acks_all_without_idempotence_duplicates_when_produce_responses_are_dropped():
    r = run_workload(0, NOT_IDEMPOTENT, GROUP, nemesis=DROP_RESPONSES)
    assert r.anomalies().get("duplicate", 0) > 0
    assert trace_names(r, "duplicate") & {"ProduceResponse", "produce.retry", "request.timeout"}
    one_in_flight = {**IDEMPOTENT, "max.in.flight.requests.per.connection": 1}
    assert run_workload(0, one_in_flight, GROUP, nemesis=DROP_RESPONSES).anomalies() == {}   # the same faults


def test_idempotence_with_five_in_flight_deduplicates_retries_after_dropped_produce_responses():
    assert run_workload(0, IDEMPOTENT, GROUP, nemesis=DROP_RESPONSES).anomalies() == {}


def test_idempotence_off_with_five_in_flight_reorders_and_one_in_flight_does_not():
    def run(seed: int, in_flight: int) -> Result:
        return run_workload(seed, {**NOT_IDEMPOTENT, "max.in.flight.requests.per.connection": in_flight}, GROUP,
                            nemesis=Nemesis(seed, kinds=("drop", "delay"), messages=("ProduceRequest",), rate=0.5))
    found = first_seed_with("reorder", range(10), lambda seed: run(seed, 5))
    assert found is not None
    seed, r = found
    a = r.verdicts["reorder"].anomalies[0]
    assert "after" in a.description and a.trace_seq
    assert "reorder" not in run(seed, 1).anomalies()


def test_acks_all_idempotent_min_insync_2_unclean_off_loses_duplicates_and_reorders_nothing_over_20_seeds():
    """Process crashes, cuts, isolation, pauses, drops, delays and client crashes; no power loss
    (Kafka does not fsync: see the next test). Each new producer session warms up (workload
    rule 2): a broker that holds no state for a producer id accepts any sequence from it."""
    seen = {}
    for seed in range(20):
        r = run_workload(seed, IDEMPOTENT, GROUP, nemesis=Nemesis(seed, kinds=NO_POWER_LOSS), warm_up=True)
        for kind in ("lost", "duplicate", "reorder"):
            assert r.verdicts[kind].ok, (seed, r.verdicts[kind].render(r.cluster))
        seen[seed] = sum(1 for s in r.history.sends if s.outcome == "acked")
    assert min(seen.values()) > 50


def test_a_power_loss_can_lose_writes_acknowledged_by_acks_all_with_min_insync_2():
    """Kafka acknowledges acks=all once the ISR has the batch in memory; it does not fsync. If the
    controller's ISR has shrunk to one replica (others fenced) and that one loses power before
    the OS flushed, the election is clean and the acknowledged batch is gone."""
    found = first_seed_with("lost", range(10), lambda seed: run_workload(seed, IDEMPOTENT, GROUP,
                                                                       nemesis=Nemesis(seed)))
    assert found is not None
    _, r = found
    assert [f for f in r.schedule if f.kind == "power_loss"]
    crashes = [e for e in r.cluster.trace.filter(name="broker.crash") if e.fields["power_loss"] and e.fields["lost"]]
    assert crashes


def test_transactions_with_read_committed_show_no_aborted_reads_and_no_torn_transactions():
    outcomes: dict[str, int] = {}
    rc_reads = 0
    for seed in range(6):
        r = run_workload(seed, {"transactional.id": "app"}, {**GROUP, "isolation.level": "read_committed"},
                         nemesis=Nemesis(seed))
        assert r.verdicts["aborted_read"].ok, r.verdicts["aborted_read"].render(r.cluster)
        assert r.verdicts["non_atomic"].ok, r.verdicts["non_atomic"].render(r.cluster)
        for t in r.history.txns:
            outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
        rc_reads += sum(1 for x in r.history.reads if x.isolation == "read_committed")
    assert outcomes.get("committed", 0) > 50 and outcomes.get("aborted", 0) > 5 and outcomes.get("unknown", 0) > 0
    assert rc_reads > 500


# -- the workload's mechanics -------------------------------------------------------------------------
def test_a_crashed_producer_is_replaced_and_its_unreported_sends_are_unknown():
    schedule = Schedule((Fault(5_000, "pause", {"node": "producer#0", "ms": 3_000}),
                         Fault(6_000, "crash_client", {"client": "producer#0"})), 20_000)
    r = run_workload(3, IDEMPOTENT, GROUP, nemesis=schedule, records=60, duration_ms=20_000)
    p0 = [s for s in r.history.sends if s.producer == "p0"]
    instances = list(dict.fromkeys(s.instance for s in p0))
    assert len(instances) == 2
    unknown = [s for s in p0 if s.outcome == "unknown"]
    assert unknown and all(s.instance == instances[0] and "crashed" in s.note for s in unknown)
    assert all(s.outcome == "acked" for s in p0 if s.instance == instances[1])
    assert r.verdicts["lost"].ok


def test_a_crashed_consumer_is_replaced_and_resumes_from_the_committed_offset():
    schedule = Schedule((Fault(8_000, "crash_client", {"client": "consumer#0"}),), 20_000)
    r = run_workload(4, IDEMPOTENT, GROUP, nemesis=schedule, records=60, duration_ms=20_000)
    consumers = list(dict.fromkeys(x.consumer for x in r.history.reads if not x.final))
    assert len(consumers) == 2
    second = [x for x in r.history.reads if x.consumer == consumers[1]]
    committed_before = max(c.offset for c in r.history.commits if c.consumer == consumers[0] and c.partition == 0)
    assert min(x.offset for x in second if x.partition == 0) == committed_before
    assert r.ok


def test_the_config_object_and_the_report():
    cfg = WorkloadConfig(seed=5, records=20, nemesis=Nemesis(5, kinds=("crash",)), duration_ms=30_000)
    r = Workload(cfg).run()
    text = r.report()
    for section in ("== schedule", "== applied", "== history", "== verdicts"):
        assert section in text
    assert "Nemesis(seed=5, kinds=(crash), rate=0.3" in text
    assert text == Workload(cfg).run().report()
