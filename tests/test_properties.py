"""Properties over random fault schedules (hypothesis): dense offsets, the HW within the ISR,
and durability of acknowledged writes under acks=all, min.insync.replicas=2, unclean off."""
from __future__ import annotations

from helpers import Deliveries, read_all
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minikafka import Cluster
from minikafka.invariants import check_all

BROKERS = (1, 2, 3)

action = st.one_of(
    st.tuples(st.just("produce"), st.integers(1, 20)),
    st.tuples(st.just("run"), st.sampled_from([1, 5, 50, 500, 3000, 12_000])),
    st.tuples(st.just("crash"), st.sampled_from(BROKERS)),
    st.tuples(st.just("restart"), st.sampled_from(BROKERS)),
    st.tuples(st.just("cut"), st.sampled_from(BROKERS), st.sampled_from(BROKERS + ("c1",))),
    st.tuples(st.just("heal_all")),
)
schedules = st.lists(action, min_size=1, max_size=25)


def apply(c: Cluster, p, d: Deliveries, schedule, check_each_step: bool) -> list[str]:
    p.produce("t", value=b"warm-up", on_delivery=d)      # the producer learns the metadata
    p.flush()
    sent = 0
    violations: list[str] = []
    for step in schedule:
        kind = step[0]
        if kind == "produce":
            for _ in range(step[1]):
                p.produce("t", value=b"%d" % sent, key=b"k%d" % (sent % 7), on_delivery=d)
                sent += 1
        elif kind == "run":
            c.run(step[1])
            p.poll(0)
        elif kind == "crash" and c.brokers[step[1]].alive:
            c.crash_broker(step[1])
        elif kind == "restart" and not c.brokers[step[1]].alive:
            c.restart_broker(step[1])
        elif kind == "cut" and step[1] != step[2]:
            c.cut(step[1], step[2])
        elif kind == "heal_all":
            c.heal_all()
        if check_each_step:
            violations += check_all(c)
    return violations


def cluster(seed: int, partitions: int) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=partitions, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def run_schedule(seed: int, partitions: int, producer_config: dict, schedule,
                 check_each_step: bool = False) -> tuple[Cluster, Deliveries, list[str]]:
    """Run `schedule` against a fresh cluster, then heal, restart and flush everything.
    Returns the cluster, the delivery reports and the invariant violations seen on the way."""
    c = cluster(seed, partitions)
    d = Deliveries()
    p = c.producer(producer_config)
    violations = apply(c, p, d, schedule, check_each_step)
    settle(c, p)
    return c, d, violations


def settle(c: Cluster, p) -> None:
    c.heal_all()
    for b in BROKERS:
        if not c.brokers[b].alive:
            c.restart_broker(b)
    p.flush()
    c.run(40_000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=schedules)
def test_invariants_hold_at_every_step_of_random_fault_schedules(seed, schedule):
    c, _, violations = run_schedule(seed, 2, {"acks": 1, "linger.ms": 2, "enable.idempotence": False},
                                    schedule, check_each_step=True)
    assert violations == []
    assert check_all(c) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=schedules)
def test_acks_all_min_insync_2_unclean_off_never_loses_an_acknowledged_record(seed, schedule):
    c, d, _ = run_schedule(seed, 2, {"acks": "all", "linger.ms": 2}, schedule)
    seen = set(read_all(c, partition=0)) | set(read_all(c, partition=1))
    lost = sorted(v for v in d.ok if v not in seen)
    assert lost == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=schedules)
def test_consumer_sees_dense_increasing_offsets_per_partition(seed, schedule):
    from minikafka import TopicPartition
    c, _, _ = run_schedule(seed, 1, {"acks": "all", "linger.ms": 2}, schedule)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    offsets = [m.offset() for m in k.consume(100_000, 2.0)]
    assert offsets == list(range(len(offsets)))
