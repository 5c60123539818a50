"""The workload under seeded nemeses: the anomalies each setting is known to allow emerge from
the faults, and the guarantees each setting promises hold. Campaigns here are short; longer
ones belong to `python -m minikafka.chaos`."""
from __future__ import annotations

from minikafka.chaos.faults import Fault, Schedule
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.workload import Result, Workload, WorkloadConfig, run_workload

GROUP = {"group.id": "g"}
NO_POWER_LOSS = ("crash", "outage", "cut", "isolate", "pause", "drop", "delay", "crash_client")
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
    found = first_seed_with("lost", range(20), lambda seed: run_workload(seed, {"acks": 1}, GROUP,
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


def test_acks_all_idempotent_min_insync_2_unclean_off_loses_duplicates_and_reorders_nothing():
    """Process crashes (one broker, or all in an outage), cuts, isolation, pauses, drops, delays and
    client crashes; no power loss (Kafka does not fsync: see the next test). New producer sessions
    warm up (workload rule 2; chaos.py rule 2b: a minikafka cut is not TCP-faithful). The full
    campaign is tests/test_chaos.py's."""
    seen = {}
    for seed in range(8):
        r = run_workload(seed, IDEMPOTENT, GROUP, nemesis=Nemesis(seed, kinds=NO_POWER_LOSS, rate=0.5), warm_up=True)
        for kind in ("lost", "duplicate", "reorder"):
            assert r.verdicts[kind].ok, (seed, r.verdicts[kind].render(r.cluster))
        seen[seed] = sum(1 for s in r.history.sends if s.outcome == "acked")
    assert min(seen.values()) > 50


def _last_isr_member_loses_power(elr: int) -> tuple[list[str], list[str], dict]:
    """RF 3, min.insync.replicas 2: one follower crashes (fenced), 5 acks=all records are
    acknowledged by the leader and the other follower, that follower stops cleanly, and the
    leader's machine loses power before the OS flushed. Then all come back, the stopped one
    first. Returns (acknowledged, read back, the last election's fields)."""
    from minikafka import Cluster, TopicPartition
    c = Cluster(brokers=3, seed=5, features={"eligible.leader.replicas.version": elr})
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    st = c.partition_state("t", 0)
    leader = st.leader
    crashed, stopped = [r.broker for r in st.replicas if r.broker != leader]
    c.crash_broker(crashed)
    c.run(12_000)
    p = c.producer({"acks": "all", "linger.ms": 0})
    acked: list[str] = []
    for i in range(5):
        p.produce("t", value=f"v{i}", on_delivery=lambda err, msg: err is None and acked.append(msg.value().decode()))
    p.flush()
    c.stop_broker(stopped)
    c.crash_broker(leader, power_loss=True)
    c.run(12_000)
    c.restart_broker(stopped)
    c.run(5_000)
    c.restart_broker(leader)
    c.restart_broker(crashed)
    c.run(15_000)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    seen = [m.value().decode() for m in k.consume(100, 2.0)]
    return acked, seen, c.trace.filter(name="leader.elect")[-1].fields


def test_without_elr_a_power_loss_can_lose_writes_acknowledged_by_acks_all_with_min_insync_2():
    """Kafka acknowledges acks=all once the ISR has the batch in memory; it does not fsync. In a
    4.0 cluster (no ELR), once the ISR has shrunk to the leader alone, the leader losing power
    stays the ISR, comes back, is elected cleanly, and the acknowledged batches are gone."""
    acked, seen, elected = _last_isr_member_loses_power(elr=0)
    assert len(acked) == 5 and not set(acked) <= set(seen)
    assert not elected["unclean"] and not elected.get("from_elr")


def test_with_elr_the_same_faults_elect_an_eligible_replica_and_lose_nothing():
    """The same faults in a 4.2 cluster: the follower that left the ISR while it was below
    min.insync.replicas is an eligible leader replica (the HW could not move without it), it
    stopped cleanly so it keeps that place, and it leads with every acknowledged record."""
    acked, seen, elected = _last_isr_member_loses_power(elr=1)
    assert len(acked) == 5 and set(acked) <= set(seen)
    assert elected.get("from_elr") and not elected["unclean"]


def test_transactions_with_read_committed_show_no_aborted_reads_and_no_torn_transactions():
    outcomes: dict[str, int] = {}
    rc_reads = 0
    for seed in range(4):
        r = run_workload(seed, {"transactional.id": "app"}, {**GROUP, "isolation.level": "read_committed"},
                         nemesis=Nemesis(seed))
        assert r.verdicts["aborted_read"].ok, r.verdicts["aborted_read"].render(r.cluster)
        assert r.verdicts["non_atomic"].ok, r.verdicts["non_atomic"].render(r.cluster)
        for t in r.history.txns:
            outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
        rc_reads += sum(1 for x in r.history.reads if x.isolation == "read_committed")
    assert outcomes.get("committed", 0) > 50 and outcomes.get("aborted", 0) > 5 and outcomes.get("unknown", 0) > 0
    assert rc_reads > 400                    # enough reads for the verdicts to mean something


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


# -- applications: re-sends, processing, pipelines ------------------------------------------------------
def test_an_application_re_sending_after_a_producer_crash_duplicates_despite_idempotence():
    """F.39: the new instance is a new session (a new producer id), so the broker cannot tell the
    re-send from the original, which the paused, then crashed, instance had already sent."""
    schedule = Schedule((Fault(5_000, "pause", {"node": "producer#0", "ms": 3_000}),
                         Fault(6_000, "crash_client", {"client": "producer#0"})), 20_000)
    r = run_workload(3, IDEMPOTENT, GROUP, nemesis=schedule, records=60, duration_ms=20_000, resend_unacked=True)
    by_index = {s.index: s for s in r.history.sends}
    again = [s for s in r.history.sends if s.resend_of is not None]
    assert again and all(by_index[s.resend_of].outcome == "unknown" for s in again)
    assert r.anomalies() == {"duplicate": 1}
    [a] = r.verdicts["duplicate"].anomalies
    assert again[0].value.decode() in a.description
    same = run_workload(3, IDEMPOTENT, GROUP, nemesis=schedule, records=60, duration_ms=20_000)
    assert same.anomalies() == {}                                   # the same faults, no re-send


CONSUMER_CRASH = Schedule((Fault(10_000, "crash_client", {"client": "consumer#0"}),), 20_000)


def processing_run(mode: str) -> Result:
    return run_workload(3, IDEMPOTENT, GROUP, nemesis=CONSUMER_CRASH, records=60, duration_ms=20_000, subscribe=True,
                        consumers=2, processing=mode, process_ms=1_500, commit_interval_ms=4_000)


def test_commit_then_process_loses_the_batch_a_consumer_crashed_processing():
    r = processing_run("commit-then-process")
    assert set(r.anomalies()) == {"unprocessed"}
    a = r.verdicts["unprocessed"].anomalies[0]
    assert "committed past it" in a.description and "client.crash" in {r.cluster.trace[s].name for s in a.trace_seq}
    h = r.history
    crashed = next(e.consumer for e in h.group_events if e.kind == "crashed")
    assert any(e.kind == "removed" and e.consumer == crashed for e in h.group_events)   # session timeout
    assert r.verdicts["single_owner"].ok and "group events" in r.verdicts["single_owner"].checked


def test_process_then_commit_processes_again_what_a_crashed_consumer_had_not_committed():
    r = processing_run("process-then-commit")
    assert set(r.anomalies()) == {"processed_twice"}
    assert r.verdicts["unprocessed"].ok and "120" not in r.verdicts["unprocessed"].checked
    twice = r.verdicts["processed_twice"].anomalies[0].records
    assert len({p.consumer for p in twice}) == 2                    # the crashed one and its successor


def test_an_eos_pipeline_restarted_mid_transaction_outputs_every_input_exactly_once():
    schedule = Schedule((Fault(9_000, "crash_client", {"client": "pipeline#0"}),), 20_000)
    r = run_workload(5, IDEMPOTENT, {"group.id": "down", "isolation.level": "read_committed"}, nemesis=schedule,
                     records=60, duration_ms=20_000, pipelines=2, process_ms=400)
    h = r.history
    assert r.ok and "60 input records" in r.verdicts["exactly_once"].checked
    assert "(consumer-2, producer-2)" in r.nemesis.log()           # the process: both of its clients
    [open_one] = [t for t in h.txns if t.outcome != "committed"]
    assert open_one.outcome == "aborted" and "stopped before commit" in open_one.error
    x0 = [t for t in h.txns if t.producer == "x0"]
    assert len({t.instance for t in x0}) == 2 and x0[-1].epoch > open_one.epoch   # fenced by the restart
    uncommitted = {x.value for x in h.final_reads("read_uncommitted")}
    committed = {x.value for x in h.final_reads("read_committed")}
    assert set(open_one.values) <= uncommitted and not set(open_one.values) & committed
    outputs = [s for s in h.sends if s.source is not None]
    assert {s.source for s in outputs} == {s.value for s in h.sends if s.source is None}


def test_the_same_pipeline_crash_without_transactions_writes_the_batch_twice():
    """Rule 5: the crash of test_an_eos_pipeline_restarted_mid_transaction_... hits a plain
    pipeline after its outputs were written and before it committed the inputs."""
    schedule = Schedule((Fault(9_000, "crash_client", {"client": "pipeline#0"}),), 20_000)
    runs = {tx: run_workload(5, IDEMPOTENT, {"group.id": "down", "isolation.level": "read_committed"},
                             nemesis=schedule, records=60, duration_ms=20_000, pipelines=2, process_ms=400,
                             pipeline_transactions=tx) for tx in (True, False)}
    assert runs[True].ok
    plain = runs[False]
    assert set(plain.anomalies()) == {"eos_duplicate"} and not plain.history.txns
    dup = plain.verdicts["exactly_once"].anomalies[0]
    made = [r for r in dup.records if getattr(r, "topic", None) == "out" and hasattr(r, "final")]
    assert len(made) == 2 and len({plain.history.by_value(r.value).instance for r in made}) == 2
