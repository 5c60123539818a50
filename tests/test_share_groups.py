"""Share groups (KIP-932, kafka-semantics.md O): several consumers per partition, per-record
acknowledgements, redelivery after a lock expires or a release, the delivery-count limit, the start
position, state kept across a leader failover, and the share consumer's API rules."""
from __future__ import annotations

import pytest

from minikafka import Cluster, ConfigException, KafkaException
from minikafka.coordinator.group.share_group import ShareMember, simple_assign
from helpers import resolve

T = "tasks"


def cluster(partitions: int = 1, records: int = 10, seed: int = 2, reset: str = "earliest", **config) -> Cluster:
    c = Cluster(brokers=3, seed=seed, config=config or None)
    c.create_topic(T, partitions=partitions, replication_factor=3, config={"min.insync.replicas": 2})
    if reset:
        c.alter_group_config("jobs", {"share.auto.offset.reset": reset})
    p = c.producer()
    for i in range(records):
        p.produce(T, value=f"job-{i}", partition=i % partitions)
    p.flush()
    return c


def member(c: Cluster, **cfg):
    s = c.share_consumer({"group.id": "jobs", **cfg})
    s.subscribe([T])
    return s


def first_batch(s) -> list:
    for _ in range(10):
        got = s.consume(5, 0.5)
        if got:
            return got
    raise AssertionError("nothing delivered")


def drain(consumers, rounds: int = 20, ack=None) -> dict[str, list]:
    got: dict[str, list] = {s.name: [] for s in consumers}
    for _ in range(rounds):
        for s in consumers:
            for m in s.consume(5, 0.5):
                got[s.name].append((m.partition(), m.offset(), m.delivery_count()))
                if ack is not None:
                    s.acknowledge(m, ack(m))
    return got


def test_the_simple_assignor_gives_every_partition_a_member_and_every_member_work():
    members = [ShareMember(f"m{i}", topics=(T,)) for i in range(5)]
    out = simple_assign(members, {T: 2})
    assert all(out[m.member_id] for m in members)                       # more members than partitions
    assert {tp for tps in out.values() for tp in tps} == {(T, 0), (T, 1)}
    out = simple_assign(members[:2], {T: 5})
    assert sorted(tp for tps in out.values() for tp in tps) == [(T, p) for p in range(5)]


def test_several_consumers_share_one_partition_and_each_record_is_accepted_once():
    c = cluster(partitions=1, records=30)
    a, b, d = (member(c, **{"max.poll.records": 5}) for _ in range(3))
    got = drain([a, b, d], rounds=10)
    for s in (a, b, d):
        s.consume(1, 0.5)                                   # implicit mode: this poll accepts the last ones
        s.commit_sync()
    offsets = sorted(o for v in got.values() for _, o, _ in v)
    assert offsets == list(range(30))                        # every record delivered exactly once
    assert sum(1 for v in got.values() if v) >= 2            # the one partition was shared
    view = c.group_state("jobs")
    assert view.group_type == "share"
    (_, _, spso, end, in_flight), = view.share_partitions
    assert spso == 30 and not in_flight                      # every record acknowledged


def test_a_released_record_comes_back_with_a_higher_delivery_count_until_the_limit_archives_it():
    c = cluster(records=3)
    s = member(c, **{"share.acknowledgement.mode": "explicit"})
    got = drain([s], rounds=20, ack=lambda m: "RELEASE" if m.offset() == 1 else "ACCEPT")
    counts = [n for _, o, n in got[s.name] if o == 1]
    assert counts == [1, 2, 3, 4, 5]                         # group.share.delivery.count.limit = 5
    (_, _, spso, _, _), = c.group_state("jobs").share_partitions
    assert spso == 3                                          # archived at the limit: the start moved past it


def test_a_crashed_consumers_records_are_redelivered_after_their_lock_expires():
    c = cluster(records=5)
    a = member(c)
    first = first_batch(a)
    assert [m.offset() for m in first] == [0, 1, 2, 3, 4]
    crashed = c.now
    c.crash_client(a.name)
    b = member(c)
    got = drain([b], rounds=80)[b.name]                      # 40 s
    assert sorted((o, n) for _, o, n in got) == [(o, 2) for o in range(5)]
    expired = [e for e in c.trace.events if e.kind == "state" and e.name == "share.lock_expired"]
    assert expired and expired[0].time - crashed >= 30_000 - 2_000    # group.share.record.lock.duration.ms


def test_close_releases_the_records_a_consumer_still_holds_at_once():
    c = cluster(records=5)
    a = member(c, **{"share.acknowledgement.mode": "explicit"})
    assert first_batch(a)
    a.close()
    b = member(c)
    start = c.now
    again = drain([b], rounds=10)[b.name]
    assert sorted(o for _, o, _ in again) == list(range(5)) and c.now - start < 30_000


def test_acknowledging_a_record_whose_lock_expired_fails_with_invalid_record_state():
    c = cluster(records=2, **{"group.share.record.lock.duration.ms": 1000})
    a = member(c, **{"share.acknowledgement.mode": "explicit"})
    msgs = first_batch(a)
    c.run(3_000)                                             # the locks expire
    for m in msgs:
        a.acknowledge(m, "ACCEPT")
    results = a.commit_sync()
    assert {err.name() for err in results.values() if err is not None} == {"INVALID_RECORD_STATE"}


def test_latest_is_the_default_start_and_earlier_records_are_never_delivered():
    c = cluster(records=5, reset="")
    a = member(c)
    drain([a], rounds=4)
    p = c.producer()
    p.produce(T, value="new", partition=0)
    p.flush()
    got = drain([a], rounds=6)[a.name]
    assert [o for _, o, _ in got] == [5]


def test_acknowledged_state_survives_a_leader_failover():
    c = cluster(records=6)
    a = member(c, **{"share.acknowledgement.mode": "explicit"})
    got = drain([a], rounds=3, ack=lambda m: "ACCEPT" if m.offset() < 3 else "RELEASE")
    assert got[a.name]
    leader = c.partition_state(T, 0).leader
    a.close()
    c.crash_broker(leader)
    b = member(c)
    again = drain([b], rounds=20)[b.name]
    assert sorted(o for _, o, _ in again) == [3, 4, 5]        # the accepted ones are not delivered again


def test_explicit_mode_refuses_a_poll_before_everything_is_acknowledged():
    c = cluster(records=3)
    a = member(c, **{"share.acknowledgement.mode": "explicit"})
    for _ in range(4):
        if a.consume(5, 0.5):
            break
    with pytest.raises(KafkaException, match="acknowledge every record"):
        a.consume(5, 0.5)


def test_implicit_mode_refuses_acknowledge():
    c = cluster(records=1)
    a = member(c)
    m = None
    for _ in range(4):
        m = a.poll(0.5) or m
    with pytest.raises(KafkaException, match="share.acknowledgement.mode=explicit"):
        a.acknowledge(m, "ACCEPT")


@pytest.mark.parametrize("key,value", [("auto.offset.reset", "earliest"), ("enable.auto.commit", False),
                                       ("isolation.level", "read_committed"), ("group.instance.id", "w")])
def test_settings_that_mean_nothing_to_a_share_consumer_are_refused(key, value):
    with pytest.raises(ConfigException, match="not supported by the share consumer"):
        Cluster(brokers=1).share_consumer({"group.id": "jobs", key: value})


def test_a_cluster_without_share_version_refuses_share_consumers_fatally():
    c = Cluster(brokers=1, features={"share.version": 0})
    c.create_topic(T, partitions=1)
    s = c.share_consumer({"group.id": "jobs"})
    s.subscribe([T])
    with pytest.raises(KafkaException) as e:
        for _ in range(6):
            s.consume(1, 0.5)
    assert e.value.args[0].name() == "UNSUPPORTED_VERSION"


def test_a_share_group_id_cannot_be_used_by_a_consumer_group():
    c = cluster(records=1)
    drain([member(c)], rounds=2)
    k = c.consumer({"group.id": "jobs", "group.protocol": "consumer"})
    k.subscribe([T])
    with pytest.raises(KafkaException) as e:
        for _ in range(6):
            k.consume(1, 0.5)
    assert e.value.args[0].name() == "GROUP_ID_NOT_FOUND"


def test_group_admin_lists_describes_and_deletes_a_share_group():
    from minikafka import protocol as P
    c = cluster(records=2)
    a = member(c)
    drain([a], rounds=4)
    admin = c.admin()
    coordinator = c.group_state("jobs").coordinator
    gc = c.brokers[coordinator].group_coordinator
    from minikafka.coordinator.group.group_admin import describe_groups, list_groups
    listed = list_groups(gc, P.ListGroupsRequest(1, (), ("share",))).groups
    assert [(g.group_id, g.group_type, g.state) for g in listed] == [("jobs", "share", "Stable")]
    described = describe_groups(gc, P.DescribeGroupsRequest(2, ("jobs",))).groups[0]
    assert described.group_type == "share" and described.members[0].assignment == ((T, 0),)
    assert "jobs" not in {g.group_id for g in resolve(admin.list_consumer_groups()).valid}      # consumer groups only
    a.close()
    c.run(1_000)
    list(resolve(admin.delete_consumer_groups(["jobs"])))
    assert c.group_state("jobs").group_type == "classic"                          # gone


def test_a_share_groups_lag_counts_the_records_not_yet_acknowledged():
    c = cluster(records=6)
    a = member(c, **{"share.acknowledgement.mode": "explicit"})
    got = []
    while len(got) < 6:
        got += a.consume(5, 0.5)
    for m in got:
        a.acknowledge(m, "ACCEPT" if m.offset() < 2 else "RELEASE")
    a.commit_sync()
    p = c.producer()
    p.produce(T, value="late", partition=0)
    p.flush()
    c.run(500)
    (row,) = c.group_lag("jobs")
    assert (row.committed, row.end) == (2, 7)
    assert row.lag == 5                      # 2..5 released (Available) and 6 never delivered
