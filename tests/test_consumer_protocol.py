"""The KIP-848 consumer protocol (kafka-semantics.md N; consumer_group.py, consumer_group_heartbeat.py,
server_assignors.py, consumer_membership.py): reconciliation revokes before it assigns, epochs fence
stale members, the server-side assignors, leaving, static members, errors and config refusals."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minikafka import Cluster, ConfigException, KafkaException
from minikafka.coordinator.group.consumer_group import (STABLE, UNRELEASED, UNREVOKED, ConsumerMember, epoch_error,
                                                       reconcile)
from minikafka.coordinator.group.offset_metadata_manager import validate_consumer_group_commit
from minikafka.coordinator.group.consumer_group import ConsumerGroup
from minikafka.coordinator.group.server_assignors import MemberSpec, preferred, range_, uniform
from helpers import resolve

T = "t"


def tps(*parts: int) -> tuple:
    return tuple((T, p) for p in parts)


# -- reconciliation, pure (consumer_group.py rule 4) ------------------------------------------------
def test_a_member_revokes_first_and_keeps_its_epoch_until_it_reports_the_revocation():
    a = ConsumerMember("a", epoch=1, assigned=tps(0, 1, 2, 3))
    a2 = reconcile(a, 2, tps(0, 1), {tp: 1 for tp in tps(0, 1, 2, 3)}, owned=tps(0, 1, 2, 3))
    assert (a2.state, a2.epoch, a2.assigned, a2.revoking) == (UNREVOKED, 1, tps(0, 1), tps(2, 3))
    assert reconcile(a2, 2, tps(0, 1), {}, owned=tps(0, 1, 2, 3)) is a2       # still owns them: no progress
    a3 = reconcile(a2, 2, tps(0, 1), {}, owned=tps(0, 1))
    assert (a3.state, a3.epoch, a3.previous_epoch, a3.assigned, a3.revoking) == (STABLE, 2, 1, tps(0, 1), ())


def test_a_partition_is_assigned_only_once_its_previous_owner_released_it():
    b = ConsumerMember("b", epoch=0)
    held = {(T, 2): 1, (T, 3): 1}                    # still held by a, pending revocation
    b2 = reconcile(b, 2, tps(2, 3), held, owned=())
    assert (b2.state, b2.epoch, b2.assigned) == (UNRELEASED, 2, ())
    b3 = reconcile(b2, 2, tps(2, 3), {(T, 3): 1}, owned=())
    assert (b3.state, b3.assigned) == (UNRELEASED, tps(2))
    b4 = reconcile(b3, 2, tps(2, 3), {}, owned=tps(2))
    assert (b4.state, b4.epoch, b4.assigned) == (STABLE, 2, tps(2, 3))


@given(st.sets(st.integers(0, 7)), st.sets(st.integers(0, 7)), st.sets(st.integers(0, 7)))
@settings(max_examples=200, deadline=None)
def test_reconciliation_never_hands_out_a_partition_someone_else_holds(current, target, others):
    m = ConsumerMember("m", epoch=3, assigned=tps(*sorted(current)))
    held = {(T, p): 5 for p in others - current}
    after = reconcile(m, 4, tps(*sorted(target)), held, owned=m.assigned)
    gained = set(after.assigned) - set(m.assigned)
    assert not gained & set(held)
    assert set(after.assigned) <= set(m.assigned) | set(tps(*sorted(target)))
    if after.state == UNREVOKED:
        assert after.epoch == 3 and set(after.revoking) == set(tps(*sorted(current - target)))
    else:
        assert after.epoch == 4 and not after.revoking


def test_member_epoch_checks_fence_stale_and_future_epochs():
    m = ConsumerMember("m", epoch=5, previous_epoch=4, assigned=tps(0, 1))
    assert epoch_error(m, 6, ()) == "FENCED_MEMBER_EPOCH"
    assert epoch_error(m, 5, None) is None
    assert epoch_error(m, 4, tps(0)) is None                   # the answer that moved it on was lost
    assert epoch_error(m, 4, tps(0, 2)) == "FENCED_MEMBER_EPOCH"
    assert epoch_error(m, 4, None) == "FENCED_MEMBER_EPOCH"
    assert epoch_error(m, 3, ()) == "FENCED_MEMBER_EPOCH"


def test_commits_are_fenced_by_the_exact_member_epoch():
    g = ConsumerGroup("g")
    g.update_member(None, ConsumerMember("m", epoch=7))
    assert validate_consumer_group_commit(g, "m", 7, False) is None
    assert validate_consumer_group_commit(g, "m", 6, False) == "STALE_MEMBER_EPOCH"
    assert validate_consumer_group_commit(g, "m", 8, False) == "STALE_MEMBER_EPOCH"
    assert validate_consumer_group_commit(g, "m", 6, True) == "ILLEGAL_GENERATION"
    assert validate_consumer_group_commit(g, "x", 7, False) == "UNKNOWN_MEMBER_ID"
    assert validate_consumer_group_commit(g, "", -1, False) == "UNKNOWN_MEMBER_ID"
    assert validate_consumer_group_commit(ConsumerGroup("e"), "", -1, False) is None


# -- server-side assignors ------------------------------------------------------------------------
def test_uniform_balances_and_keeps_what_members_hold():
    counts = {T: 6}
    first = uniform([MemberSpec("a", (T,)), MemberSpec("b", (T,))], counts)
    assert first == {"a": tps(0, 1, 2), "b": tps(3, 4, 5)}
    second = uniform([MemberSpec("a", (T,), first["a"]), MemberSpec("b", (T,), first["b"]), MemberSpec("c", (T,))],
                     counts)
    assert second == {"a": tps(0, 1), "b": tps(3, 4), "c": tps(2, 5)}      # only two partitions move


@given(st.integers(1, 6), st.integers(0, 20), st.integers(0, 2**16))
@settings(max_examples=150, deadline=None)
def test_uniform_assigns_every_partition_once_within_one_of_even(members, partitions, salt):
    import random
    rng = random.Random(salt)
    counts = {T: partitions}
    current = {f"m{i}": [] for i in range(members)}
    for p in range(partitions):
        if rng.random() < 0.7:
            current[f"m{rng.randrange(members)}"].append((T, p))
    out = uniform([MemberSpec(m, (T,), tuple(v)) for m, v in current.items()], counts)
    every = sorted(tp for v in out.values() for tp in v)
    assert every == [(T, p) for p in range(partitions)]
    sizes = [len(v) for v in out.values()]
    assert max(sizes) - min(sizes) <= 1


def test_range_gives_contiguous_ranges_static_members_first():
    out = range_([MemberSpec("a", (T,)), MemberSpec("b", (T,), instance_id="z"), MemberSpec("c", (T,))], {T: 7})
    assert out == {"b": tps(0, 1, 2), "a": tps(3, 4), "c": tps(5, 6)}


def test_the_group_uses_the_assignor_most_members_name():
    assert preferred([None, None], ("uniform", "range")) == "uniform"
    assert preferred(["range", None], ("uniform", "range")) == "range"
    assert preferred(["range", "uniform"], ("uniform", "range")) == "uniform"      # a tie: the earlier


# -- end to end ---------------------------------------------------------------------------------------
def cluster(seed: int = 3, **config) -> Cluster:
    c = Cluster(brokers=3, seed=seed, config=config or None)
    c.create_topic(T, partitions=6, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer()
    for i in range(60):
        p.produce(T, value=b"%d" % i, partition=i % 6)
    p.flush()
    return c


def member(c: Cluster, **cfg):
    k = c.consumer({"group.id": "g", "group.protocol": "consumer", "auto.offset.reset": "earliest", **cfg})
    k.subscribe([T])
    return k


def settle(*consumers, rounds: int = 40) -> None:
    c = consumers[0].cluster
    for _ in range(rounds):
        for k in consumers:
            k.consume(100, 0.5)
        view = c.group_state("g")
        if view.state == "Stable" and sum(len(k.assignment()) for k in consumers) == 6:
            return
    raise AssertionError(f"the group did not settle:\n{c.group_state('g')}")


def ownership_timeline(c: Cluster) -> list[tuple[int, str, str, tuple]]:
    return [(e.time, e.node, e.name, e.fields["partitions"]) for e in c.trace.events
            if e.kind == "state" and e.name in ("group.assigned", "group.revoked", "group.lost")]


def test_no_partition_has_two_owners_while_members_come_and_go():
    c = cluster()
    a, b = member(c), member(c)
    settle(a, b)
    k3 = member(c)
    settle(a, b, k3)
    b.close()
    settle(a, k3)
    owners: dict[str, set] = {}
    for _, node, name, parts in ownership_timeline(c):
        if name == "group.assigned":
            owners[node] = set(parts)
        else:
            owners[node] = owners.get(node, set()) - set(parts)
        claimed = [p for s in owners.values() for p in s]
        assert len(claimed) == len(set(claimed)), f"two owners at once: {owners}"
    view = c.group_state("g")
    assert view.group_type == "consumer" and view.state == "Stable"
    assert view.generation == view.assignment_epoch == 4         # three joins and one leave


def test_a_new_member_waits_for_the_partitions_until_their_owner_revokes_them():
    c = cluster()
    a = member(c)
    settle(a)
    b = member(c)
    for _ in range(4):
        b.consume(10, 0.3)
    view = c.group_state("g")
    states = {m: (epoch, state) for m, epoch, state, _, _ in view.member_states}
    assert states[b.coordinator.member_id][1] == UNRELEASED        # a has not polled: nothing released yet
    assert len(a.assignment()) == 6
    settle(a, b)
    assert sorted(len(k.assignment()) for k in (a, b)) == [3, 3]


def test_a_leaving_member_frees_its_partitions_at_once_and_a_crashed_one_after_the_session_timeout():
    c = cluster()
    a, b = member(c), member(c)
    settle(a, b)
    start = c.now
    b.close()
    settle(a)
    assert c.now - start < 45_000                                   # no session timeout needed
    k = member(c)
    settle(a, k)
    c.crash_client(k.name)
    start = c.now
    settle(a, rounds=200)
    assert c.now - start >= 45_000                                  # group.consumer.session.timeout.ms
    assert any(e.name == "cgroup.member_removed" and e.fields["why"] == "session timeout"
               for e in c.trace.events if e.kind == "state")


def test_a_static_member_that_leaves_with_epoch_minus_2_gets_its_partitions_back_without_a_new_epoch():
    c = cluster()
    a, b = member(c, **{"group.instance.id": "wa"}), member(c, **{"group.instance.id": "wb"})
    settle(a, b)
    a_parts = sorted(tp.partition for tp in a.assignment())
    epoch = c.group_state("g").generation
    a.close()
    c.run(2_000)
    states = {m: (e, s) for m, e, s, _, _ in c.group_state("g").member_states}
    assert states[a.coordinator.member_id][0] == -2
    a2 = member(c, **{"group.instance.id": "wa"})
    settle(a2, b)
    assert sorted(tp.partition for tp in a2.assignment()) == a_parts
    assert c.group_state("g").generation == epoch


def test_a_second_process_with_a_live_instance_id_is_refused_fatally():
    c = cluster()
    a = member(c, **{"group.instance.id": "wa"})
    settle(a)
    dup = member(c, **{"group.instance.id": "wa"})
    with pytest.raises(KafkaException) as e:
        for _ in range(10):
            dup.consume(10, 0.5)
    assert e.value.args[0].name() == "UNRELEASED_INSTANCE_ID" and e.value.args[0].fatal()
    assert len(a.assignment()) == 6


def test_commits_carry_the_member_epoch():
    c = cluster()
    a = member(c, **{"enable.auto.commit": False})
    settle(a)
    a.commit(asynchronous=False)
    view = c.group_state("g")
    assert len(view.committed) == 6
    assert any(e.name == "commit" and e.fields["generation"] == view.generation and e.fields["error"] == "none"
               for e in c.trace.events if e.kind == "state")


@pytest.mark.parametrize("key,value", [("partition.assignment.strategy", "range"),
                                       ("heartbeat.interval.ms", 1000), ("session.timeout.ms", 30000)])
def test_classic_settings_are_refused_with_the_consumer_protocol(key, value):
    c = Cluster(brokers=1)
    with pytest.raises(ConfigException, match=f"{key} cannot be set when group.protocol=CONSUMER"):
        c.consumer({"group.id": "g", "group.protocol": "consumer", key: value})


def test_group_remote_assignor_is_refused_with_the_classic_protocol():
    with pytest.raises(ConfigException, match="group.remote.assignor cannot be set"):
        Cluster(brokers=1).consumer({"group.id": "g", "group.remote.assignor": "range"})


@pytest.mark.parametrize("features,config,error", [
    ({"group.version": 0}, {}, "UNSUPPORTED_VERSION"),
    (None, {"group.coordinator.rebalance.protocols": "classic"}, "UNSUPPORTED_VERSION"),
    (None, {"group.consumer.assignors": "range"}, "UNSUPPORTED_ASSIGNOR"),
])
def test_a_cluster_without_the_protocol_or_the_assignor_refuses_the_member_fatally(features, config, error):
    c = Cluster(brokers=1, features=features, config=config or None)
    c.create_topic(T, partitions=2)
    k = c.consumer({"group.id": "g", "group.protocol": "consumer", "group.remote.assignor": "uniform"})
    k.subscribe([T])
    with pytest.raises(KafkaException) as e:
        for _ in range(10):
            k.consume(10, 0.5)
    assert e.value.args[0].name() == error


def test_the_group_max_size_refuses_one_member_too_many():
    c = cluster(**{"group.consumer.max.size": 1})
    a = member(c)
    settle(a)
    b = member(c)
    with pytest.raises(KafkaException) as e:
        for _ in range(10):
            b.consume(10, 0.5)
    assert e.value.args[0].name() == "GROUP_MAX_SIZE_REACHED"


def test_the_range_assignor_is_used_when_members_ask_for_it():
    c = cluster()
    a, b = member(c, **{"group.remote.assignor": "range"}), member(c, **{"group.remote.assignor": "range"})
    settle(a, b)
    assert c.group_state("g").protocol == "range"
    got = sorted(sorted(tp.partition for tp in k.assignment()) for k in (a, b))
    assert got == [[0, 1, 2], [3, 4, 5]]


def test_an_empty_classic_group_becomes_a_consumer_group_and_a_live_one_refuses():
    c = cluster(**{"group.initial.rebalance.delay.ms": 0})
    classic = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    classic.subscribe([T])
    for _ in range(10):
        classic.consume(10, 0.5)
    new = member(c)
    with pytest.raises(KafkaException) as e:
        for _ in range(10):
            new.consume(10, 0.5)
    assert e.value.args[0].name() == "GROUP_ID_NOT_FOUND"
    classic.close()
    k = member(c)
    settle(k)
    assert c.group_state("g").group_type == "consumer"


def test_the_group_survives_a_coordinator_failover():
    c = cluster()
    a, b = member(c), member(c)
    settle(a, b)
    before = {k.name: sorted(tp.partition for tp in k.assignment()) for k in (a, b)}
    epoch = c.group_state("g").generation
    c.crash_broker(c.group_state("g").coordinator)
    for _ in range(30):
        for k in (a, b):
            k.consume(10, 0.5)
    view = c.group_state("g")
    assert view.group_type == "consumer" and view.generation == epoch and view.state == "Stable"
    assert {k.name: sorted(tp.partition for tp in k.assignment()) for k in (a, b)} == before


def test_the_admin_client_lists_and_describes_consumer_protocol_groups():
    c = cluster()
    a, b = member(c), member(c)
    settle(a, b)
    admin = c.admin()
    listed = {g.group_id: g for g in resolve(admin.list_consumer_groups()).valid}
    assert listed["g"].type == "consumer" and listed["g"].state == "Stable"
    d = resolve(admin.describe_consumer_groups(["g"]))["g"]
    assert d.type == "consumer" and d.partition_assignor == "uniform"
    assert sorted(tp for m in d.members for tp in m.assignment) == [(T, p) for p in range(6)]
    for k in (a, b):
        k.close()
    c.run(1_000)
    assert resolve(admin.list_consumer_groups(states=["Empty"])).valid[0].group_id == "g"
    list(resolve(admin.delete_consumer_groups(["g"])))
    assert "g" not in {g.group_id for g in resolve(admin.list_consumer_groups()).valid}


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_only_the_consumer_protocol_leaves_unmoved_partitions_running(protocol):
    from minikafka import viz
    c = Cluster(brokers=3, seed=7)
    c.create_topic(T, partitions=6, replication_factor=3, config={"min.insync.replicas": 2})
    members = []
    for _ in range(3):
        k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "group.protocol": protocol})
        k.subscribe([T])
        members.append(k)
        for _ in range(24):
            for m in members:
                m.consume(100, 0.5)
    view = viz.ownership_view(c.trace, "g")
    first_owner = {p: spans[0][2] for p, spans in view.spans.items()}
    last_owner = {p: spans[-1][2] for p, spans in view.spans.items()}
    kept = [p for p in view.spans if first_owner[p] == last_owner[p] and len(view.spans[p]) == 1]
    if protocol == "consumer":
        assert kept and all(view.unowned_ms(p) == 0 for p in kept)
        assert all(view.unowned_ms(p) > 0 for p in view.spans if p not in kept)
    else:
        assert not kept and all(view.unowned_ms(p) > 0 for p in view.spans)     # eager: everything stops
    assert "NOBODY" in viz.ownership_table(c.trace, "g")


def test_a_regex_subscription_is_resolved_by_the_coordinator_and_follows_new_topics():
    c = Cluster(brokers=3, seed=5)
    for name in ("orders-eu", "orders-us", "orders", "payments"):
        c.create_topic(name, partitions=2, replication_factor=3)
    k = c.consumer({"group.id": "g", "group.protocol": "consumer", "auto.offset.reset": "earliest"})
    k.subscribe(["^orders-.*"])
    for _ in range(20):
        k.consume(10, 0.5)
    assert sorted({tp.topic for tp in k.assignment()}) == ["orders-eu", "orders-us"]   # a whole-name match
    epoch = c.group_state("g").generation
    c.create_topic("orders-asia", partitions=2, replication_factor=3)
    for _ in range(30):
        k.consume(10, 0.5)
    assert sorted({tp.topic for tp in k.assignment()}) == ["orders-asia", "orders-eu", "orders-us"]
    assert c.group_state("g").generation == epoch + 1


def test_an_invalid_regex_is_refused_by_the_coordinator_and_fatal():
    c = Cluster(brokers=1)
    c.create_topic("orders", partitions=1)
    k = c.consumer({"group.id": "g", "group.protocol": "consumer"})
    k.subscribe(["^orders-(unclosed"])
    with pytest.raises(KafkaException) as e:
        for _ in range(6):
            k.consume(1, 0.5)
    assert e.value.args[0].name() == "INVALID_REGULAR_EXPRESSION"


def test_a_regex_needs_the_consumer_protocol():
    c = Cluster(brokers=1)
    k = c.consumer({"group.id": "g"})
    with pytest.raises(KafkaException, match="group.protocol=consumer"):
        k.subscribe(["^orders-.*"])
