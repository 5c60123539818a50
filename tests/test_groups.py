"""Consumer groups: kafka-semantics.md H.55-H.56, I.57-I.66 and scenario 9."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaException, TopicPartition
from minikafka.clients.message import GroupMetadata


def cluster(partitions: int = 4, records: int = 40, seed: int = 4) -> Cluster:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=partitions, replication_factor=3, config={"min.insync.replicas": 2})
    if records:
        p = c.producer()
        for i in range(records):
            p.produce("t", value=b"%d" % i, partition=i % partitions)
        p.flush()
    return c


def member(c: Cluster, group: str = "g", strategy: str | None = None, **cfg):
    config = {"group.id": group, "auto.offset.reset": "earliest", **cfg}
    if strategy:
        config["partition.assignment.strategy"] = strategy
    k = c.consumer(config)
    k.subscribe(["t"])
    return k


def owned(k) -> list[int]:
    return sorted(tp.partition for tp in k.assignment())


def poll_all(consumers, rounds: int = 8, timeout: float = 0.5) -> dict[str, list[bytes]]:
    """Every consumer polls in turn, like processes running side by side."""
    got: dict[str, list[bytes]] = {k.name: [] for k in consumers}
    for _ in range(rounds):
        for k in consumers:
            got[k.name].extend(m.value() for m in k.consume(100, timeout))
    return got


def test_a_single_member_gets_every_partition_after_the_initial_rebalance_delay():
    c = cluster()
    k = member(c)
    got = k.consume(100, 5.0)
    assert len(got) == 40 and owned(k) == [0, 1, 2, 3]
    gen = c.trace.filter(name="group.generation")[0]
    rebalance = c.trace.filter(name="group.rebalance")[0]
    assert gen.time - rebalance.time == 3000          # group.initial.rebalance.delay.ms
    view = c.group_state("g")
    assert (view.state, view.generation, view.protocol) == ("Stable", 1, "range")


def test_a_third_consumer_joining_triggers_a_rebalance_and_ownership_moves():
    c = cluster(partitions=6)
    a, b = member(c), member(c)
    poll_all([a, b])
    assert (owned(a), owned(b)) == ([0, 1, 2], [3, 4, 5])
    gen = c.group_state("g").generation
    x = member(c)
    poll_all([a, b, x])
    assert c.group_state("g").generation == gen + 1
    assert (owned(a), owned(b), owned(x)) == ([0, 1], [2, 3], [4, 5])


def test_more_consumers_than_partitions_leaves_some_idle():
    c = cluster(partitions=2)
    ks = [member(c) for _ in range(3)]
    poll_all(ks)
    assert sorted(len(owned(k)) for k in ks) == [0, 1, 1]


def test_each_group_reads_every_record():
    c = cluster()
    g1 = [member(c, "g1"), member(c, "g1")]
    g2 = [member(c, "g2")]
    got1 = poll_all(g1)
    got2 = poll_all(g2)
    assert sorted(v for vals in got1.values() for v in vals) == sorted(b"%d" % i for i in range(40))
    assert sorted(got2["consumer-3"]) == sorted(b"%d" % i for i in range(40))


def test_close_leaves_the_group_at_once_and_the_partitions_move():
    c = cluster()
    a, b = member(c), member(c)
    poll_all([a, b])
    before = c.now
    a.close()
    poll_all([b], rounds=4)
    assert owned(b) == [0, 1, 2, 3]
    removed = c.trace.filter(name="group.member_removed")
    assert removed[0].fields["why"] == "left the group" and removed[0].time - before < 100


def test_crashed_consumer_partitions_move_after_the_session_timeout_from_the_committed_offset():
    c = cluster(records=0, partitions=2)
    p = c.producer()
    a, b = member(c, **{"enable.auto.commit": False}), member(c, **{"enable.auto.commit": False})
    poll_all([a, b])
    for i in range(10):
        p.produce("t", value=b"%d" % i, partition=0)
    p.flush()
    owner, other = (a, b) if owned(a) == [0] else (b, a)
    got = owner.consume(10, 2.0)
    owner.commit(got[4], asynchronous=False)           # processed 0..4, committed "resume at 5"
    c.crash_client(owner.name)
    t0 = c.now
    poll_all([other], rounds=120)                      # 60 s: the session timeout is 45 s
    assert owned(other) == [0, 1]
    removed = c.trace.filter(name="group.member_removed")
    assert removed[0].fields["why"] == "session timeout" and removed[0].time - t0 >= 40_000
    assert [m for m in c.trace.filter(name="offset.committed", node=other.name)][-1].fields["offset"] == 5


def process_then_commit(c: Cluster, commit_first: bool) -> tuple[list[bytes], list[bytes]]:
    """One consumer takes 10 records, crashes part-way through 'processing' them; another
    member of the group takes over. Returns (processed by the first, processed by the second)."""
    p = c.producer()
    for i in range(10):
        p.produce("t", value=b"%d" % i, partition=0)
    p.flush()
    a = member(c, **{"enable.auto.commit": False})
    got = a.consume(10, 5.0)
    processed = []
    if commit_first:
        a.commit(asynchronous=False)                   # at-most-once: commit, then process
        processed += [m.value() for m in got[:5]]
    else:
        processed += [m.value() for m in got[:5]]      # at-least-once: process, then commit...
    c.crash_client(a.name)                             # ...but it dies before the commit
    b = member(c, **{"enable.auto.commit": False})
    later = [m.value() for m in b.consume(100, 60.0)]
    return processed, later


def test_commit_after_processing_is_at_least_once_and_a_crash_duplicates():
    c = cluster(partitions=1, records=0)
    first, second = process_then_commit(c, commit_first=False)
    assert first == [b"%d" % i for i in range(5)]
    assert second == [b"%d" % i for i in range(10)]     # 0..4 processed twice


def test_commit_before_processing_is_at_most_once_and_a_crash_loses():
    c = cluster(partitions=1, records=0)
    first, second = process_then_commit(c, commit_first=True)
    assert first == [b"%d" % i for i in range(5)]
    assert second == []                                 # 5..9 never processed


def test_scenario_9_stale_consumer_leaves_after_max_poll_interval_and_its_commit_fails():
    c = cluster(partitions=2, records=0)
    cfg = {"enable.auto.commit": False, "max.poll.interval.ms": 10_000, "session.timeout.ms": 6000}
    c1, c2 = member(c, **cfg), member(c, **cfg)
    poll_all([c1, c2])
    gen = c.group_state("g").generation
    p = c.producer()
    for i in range(10):
        p.produce("t", value=b"%d" % i, partition=owned(c1)[0])
    p.flush()
    work = c1.consume(10, 2.0)
    assert len(work) == 10
    redone = []
    for _ in range(30):                                # C1 is stuck processing; C2 keeps polling
        redone += [m.value() for m in c2.consume(100, 0.5)]
    assert c.trace.filter(name="consumer.poll_timeout", node=c1.name)
    assert owned(c2) == [0, 1] and c.group_state("g").generation == gen + 1
    with pytest.raises(KafkaException) as e:
        c1.commit(asynchronous=False)
    assert e.value.args[0].name() in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION")
    assert "CommitFailedException" in str(e.value)
    assert sorted(redone) == sorted(m.value() for m in work)   # C2 re-processes C1's work


def test_stale_generation_commit_is_rejected_with_illegal_generation():
    c = cluster()
    a = member(c, **{"enable.auto.commit": False})
    a.consume(100, 5.0)
    gen = a.consumer_group_metadata().generation_id
    a.coordinator.generation = gen - 1                 # a commit from an older generation
    with pytest.raises(KafkaException) as e:
        a.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous=False)
    assert e.value.args[0].name() == "ILLEGAL_GENERATION"


def test_commit_without_membership_is_refused_while_the_group_has_members():
    c = cluster()
    a = member(c)
    a.consume(100, 5.0)
    outsider = c.consumer({"group.id": "g"})
    with pytest.raises(KafkaException) as e:
        outsider.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous=False)
    assert e.value.args[0].name() == "UNKNOWN_MEMBER_ID"


def test_auto_commit_commits_positions_of_records_returned_by_earlier_polls():
    c = cluster(partitions=1, records=20)
    k = member(c, **{"auto.commit.interval.ms": 1000})
    first = k.consume(5, 5.0)
    assert len(first) == 5
    c.run(1500)
    k.consume(5, 0.1)                                   # this poll commits position 5, then returns 5..9
    c.run(50)
    commits = c.trace.filter(name="commit", node=k.name)
    assert commits and commits[-1].fields["offsets"] == ("t-0=5",)


def test_subscription_change_triggers_a_rebalance():
    c = cluster()
    c.create_topic("u", partitions=2, replication_factor=3)
    a = member(c)
    a.consume(100, 5.0)
    gen = c.group_state("g").generation
    a.subscribe(["t", "u"])
    a.consume(100, 2.0)
    assert c.group_state("g").generation == gen + 1
    assert sorted((tp.topic, tp.partition) for tp in a.assignment()) == \
        [("t", 0), ("t", 1), ("t", 2), ("t", 3), ("u", 0), ("u", 1)]


def test_adding_partitions_to_a_subscribed_topic_triggers_a_rebalance():
    c = cluster(partitions=2)
    a = member(c, **{"metadata.max.age.ms": 5000})
    a.consume(100, 5.0)
    c.create_partitions("t", 3)
    for _ in range(10):
        a.consume(100, 1.0)
    assert owned(a) == [0, 1, 2]
    assert c.trace.filter(name="group.metadata_changed")


def test_eager_rebalance_revokes_everything_before_rejoining():
    c = cluster()
    log = []
    a = c.consumer({"group.id": "g", "auto.offset.reset": "earliest"})
    a.subscribe(["t"], on_assign=lambda k, ps: log.append(("assign", len(ps))),
                on_revoke=lambda k, ps: log.append(("revoke", len(ps))))
    a.consume(100, 5.0)
    b = member(c)
    poll_all([a, b])
    assert log == [("assign", 4), ("revoke", 4), ("assign", 2)]


def ownership_timeline(c: Cluster, names: list[str]) -> list[str]:
    """Violations of 'no partition has two owners at once', from the consumers' own
    assigned/revoked/lost events in trace order (live_ownership_problems, nobody crashed)."""
    return live_ownership_problems(c, names, {})


def test_cooperative_sticky_hands_partitions_over_in_two_rounds_without_two_owners():
    c = cluster(partitions=6)
    a = member(c, strategy="cooperative-sticky")
    a.consume(100, 5.0)
    b = member(c, strategy="cooperative-sticky")
    poll_all([a, b], rounds=12)
    assert len(owned(a)) == 3 and len(owned(b)) == 3
    gens = [e.fields for e in c.trace.filter(name="group.stable")]
    assert len(gens) >= 3                     # a alone, then b joins: a revokes, then hand-over
    assert not c.trace.filter(name="group.revoked", node="consumer-2")
    assert ownership_timeline(c, [a.name, b.name]) == []


def test_the_ownership_checker_above_can_fail():
    c = cluster(partitions=2)
    c.trace.state(1, "x", "group.assigned", partitions=("t-0",))
    c.trace.state(2, "y", "group.assigned", partitions=("t-0",))
    assert ownership_timeline(c, ["x", "y"]) != []


def test_coordinator_crash_keeps_committed_offsets_and_the_group():
    c = cluster()
    a = member(c, **{"enable.auto.commit": False})
    a.consume(100, 5.0)
    a.commit(asynchronous=False)
    before = c.group_state("g")
    c.crash_broker(before.coordinator)
    for _ in range(30):
        a.consume(100, 1.0)
    after = c.group_state("g")
    assert after.coordinator != before.coordinator
    assert after.committed == before.committed and len(after.committed) == 4
    assert after.members and after.members[0][0] == before.members[0][0]
    k = c.consumer({"group.id": "g"})
    assert [tp.offset for tp in k.committed([TopicPartition("t", p) for p in range(4)])] == [10, 10, 10, 10]


def test_group_lag_is_end_offset_minus_committed():
    c = cluster(partitions=2, records=10)
    a = member(c, **{"enable.auto.commit": False})
    a.consume(100, 5.0)
    a.commit(offsets=[TopicPartition("t", 0, 2), TopicPartition("t", 1, 5)], asynchronous=False)
    lag = {(r.topic, r.partition): (r.committed, r.end, r.lag) for r in c.group_lag("g")}
    assert lag == {("t", 0): (2, 5, 3), ("t", 1): (5, 5, 0)}
    assert "committed t-0: 2" in str(c.group_state("g"))


def test_offsets_sent_by_a_zombie_consumer_generation_abort_the_transaction():
    c = cluster(partitions=1)
    k = member(c, **{"enable.auto.commit": False, "isolation.level": "read_committed"})
    k.consume(100, 5.0)
    stale = k.consumer_group_metadata()
    b = member(c)
    poll_all([k, b])                                   # a rebalance: generation moves on
    p = c.producer({"transactional.id": "etl"})
    p.init_transactions()
    p.begin_transaction()
    with pytest.raises(KafkaException) as e:
        p.send_offsets_to_transaction([TopicPartition("t", 0, 10)], stale)
    assert e.value.args[0].name() == "ILLEGAL_GENERATION" and e.value.args[0].txn_requires_abort()
    p.abort_transaction()


def test_a_member_that_lost_its_membership_still_presents_its_last_generation_so_its_offsets_are_fenced():
    """Java keeps the group metadata of the last completed join (consumer_coordinator offset
    rule 5). A member removed while it was cut off learns UNKNOWN_MEMBER_ID from a heartbeat;
    before its next poll it is a zombie, and a transaction sending offsets with its metadata
    must be refused, not accepted as from a consumer outside the group."""
    c = cluster(partitions=1)
    k = member(c, **{"enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
    other = member(c)
    poll_all([k, other])
    joined = k.consumer_group_metadata()
    assert joined.generation_id >= 1 and joined.member_id
    coordinator = c.group_state("g").coordinator
    c.cut(k.name, coordinator)
    for _ in range(20):
        other.poll(0.5)                               # the other member goes on; k does not poll
    c.heal(k.name, coordinator)
    c.run(3000)                                       # k's heartbeat now gets UNKNOWN_MEMBER_ID
    assert k.coordinator.generation == -1             # the live membership is gone
    stale = k.consumer_group_metadata()
    assert (stale.generation_id, stale.member_id) == (joined.generation_id, joined.member_id)
    p = c.producer({"transactional.id": "etl"})
    p.init_transactions()
    p.begin_transaction()
    with pytest.raises(KafkaException) as e:
        p.send_offsets_to_transaction([TopicPartition("t", 0, 10)], stale)
    assert e.value.args[0].name() in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION")
    p.abort_transaction()


def test_a_commit_naming_an_unknown_topic_still_commits_its_other_partitions():
    """Kafka answers UNKNOWN_TOPIC_OR_PARTITION for the unknown topic and commits the rest; before,
    the others were answered as committed but never written."""
    c = cluster(partitions=1, records=0)
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    try:
        k.commit(offsets=[TopicPartition("t", 0, 5), TopicPartition("nope", 0, 1)], asynchronous=False)
    except KafkaException as e:
        assert e.args[0].name() == "UNKNOWN_TOPIC_OR_PART"
    assert k.committed([TopicPartition("t", 0)])[0].offset == 5
    assert c.group_state("g").committed == ((("t", 0), 5),)


def test_a_transactional_offset_commit_is_accepted_while_the_group_completes_a_rebalance():
    """Kafka's ClassicGroup.validateOffsetCommit answers REBALANCE_IN_PROGRESS only to plain
    commits while CompletingRebalance; before, TxnOffsetCommit got it too and was retried."""
    c = cluster(partitions=1)
    c.delay("SyncGroupRequest", ms=5000, count=1)          # the leader's assignment arrives late
    k = member(c, **{"enable.auto.commit": False})
    for _ in range(20):
        k.poll(0.5)
        if c.group_state("g").state == "CompletingRebalance":
            break
    view = c.group_state("g")
    # the member's generation from its JoinGroup answer (its own join is not complete yet, so
    # consumer_group_metadata() still shows the one before: consumer_coordinator offset rule 5)
    meta = GroupMetadata("g", k.coordinator.generation, k.coordinator.member_id)
    assert view.state == "CompletingRebalance" and meta.generation_id == view.generation
    g = c.brokers[view.coordinator].group_coordinator.groups["g"]
    assert g.validate_commit(meta.member_id, meta.generation_id, transactional=False) == "REBALANCE_IN_PROGRESS"
    p = c.producer({"transactional.id": "etl"})
    p.init_transactions()
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition("t", 0, 10)], meta, 1.0)
    assert c.group_state("g").state == "CompletingRebalance"
    answers = [e.fields["results"] for e in c.trace.filter(kind="send", name="OffsetCommitResponse", node=p.name)]
    assert answers == [("t-0:ok",)]
    p.commit_transaction()


def test_subscribe_with_an_unknown_assignor_is_refused_naming_the_choices():
    c = cluster()
    with pytest.raises(Exception, match="partition.assignment.strategy"):
        c.consumer({"group.id": "g", "partition.assignment.strategy": "fastest"})


# -- properties over random membership changes ------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

membership = st.lists(st.one_of(
    st.just(("join",)),
    st.tuples(st.just("close"), st.integers(0, 5)),
    st.tuples(st.just("crash"), st.integers(0, 5)),
    st.tuples(st.just("rounds"), st.integers(1, 6)),
), min_size=1, max_size=10)


def live_ownership_problems(c: Cluster, names: list[str], crashed: dict[str, int]) -> list[str]:
    """ownership_timeline, with a crashed consumer's partitions freed when the coordinator
    removes it (its process is gone; nothing it does can touch a partition)."""
    owners: dict[str, str] = {}
    held: dict[str, set] = {n: set() for n in names}
    problems = []
    for e in c.trace.filter(name=("group.assigned", "group.revoked", "group.lost", "group.member_removed")):
        if e.name == "group.member_removed":
            node = next((n for n in names if e.fields["member"].startswith(n + "-")), None)
            if node in crashed:
                for tp in sorted(held[node]):
                    owners.pop(tp, None)
                held[node] = set()
            continue
        if e.node not in held or (e.node in crashed and e.time > crashed[e.node]):
            continue
        parts = set(e.fields["partitions"])
        if e.name == "group.assigned":
            for tp in sorted(parts - held[e.node]):
                if tp in owners and owners[tp] != e.node:
                    problems.append(f"{tp} given to {e.node} at {e.time} while {owners[tp]} owns it")
                owners[tp] = e.node
            for tp in sorted(held[e.node] - parts):
                owners.pop(tp, None)
            held[e.node] = parts
        else:
            for tp in sorted(parts):
                owners.pop(tp, None)
            held[e.node] -= parts
    return problems


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000), strategy=st.sampled_from(["range", "roundrobin", "cooperative-sticky"]),
       steps=membership)
def test_cooperative_and_eager_groups_never_give_a_partition_two_live_owners(seed, strategy, steps):
    c = cluster(partitions=5, records=0, seed=seed)
    live, names, crashed = [], [], {}
    cfg = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}
    for s in [("join",)] + steps:
        if s[0] == "join" and len(names) < 6:
            k = member(c, strategy=strategy, **cfg)
            live.append(k)
            names.append(k.name)
        elif s[0] in ("close", "crash") and live:
            k = live.pop(s[1] % len(live))
            if s[0] == "close":
                k.close()
            else:
                c.crash_client(k.name)
                crashed[k.name] = c.now
        rounds = s[1] if s[0] == "rounds" else 2
        poll_all(live, rounds=rounds, timeout=1.0)
    poll_all(live, rounds=20, timeout=1.0)            # settle: crashed members time out
    assert live_ownership_problems(c, names, crashed) == []
    if live:
        owned_now = sorted(tp.partition for k in live for tp in k.assignment())
        assert owned_now == [0, 1, 2, 3, 4]


def test_a_registered_assignor_is_used_by_the_group_leader():
    from minikafka.clients.consumer.assignors import ASSIGNORS, register_assignor

    def everything_to_first(partitions_per_topic, subscriptions):
        first = min(s.member_id for s in subscriptions)
        tps = [(t, p) for t in sorted(partitions_per_topic) for p in range(partitions_per_topic[t])]
        return {s.member_id: (tps if s.member_id == first else []) for s in subscriptions}
    register_assignor("first-takes-all", everything_to_first)
    try:
        c = cluster()
        a, b = member(c, strategy="first-takes-all"), member(c, strategy="first-takes-all")
        poll_all([a, b])
        assert sorted([len(owned(a)), len(owned(b))]) == [0, 4]
        assert c.group_state("g").protocol == "first-takes-all"
    finally:
        del ASSIGNORS["first-takes-all"]


def test_an_assignor_returning_an_invalid_assignment_is_reported_by_poll():
    from minikafka.clients.consumer.assignors import ASSIGNORS, register_assignor
    register_assignor("forgetful", lambda ppt, subs: {s.member_id: [] for s in subs})
    try:
        c = cluster()
        a = member(c, strategy="forgetful")
        with pytest.raises(KafkaException, match="forgetful returned an invalid assignment"):
            for _ in range(10):
                a.consume(100, 1.0)
    finally:
        del ASSIGNORS["forgetful"]


def test_eager_sticky_keeps_partitions_with_their_previous_owners_in_a_live_group():
    """Kafka's StickyAssignor learns the previous assignment from its user data even though an
    eager member revoked everything before rejoining: a third member takes only its share."""
    c = cluster(partitions=6, records=0, seed=7)
    ks = []
    for _ in range(3):
        ks.append(member(c, strategy="sticky", **{"session.timeout.ms": 6000}))
        poll_all(ks, rounds=8)
    stable = [e.fields["assignment"] for e in c.trace.filter(name="group.stable")]
    owners = [{tp: m.split(":")[0] for m in a for tp in m.split(":")[1].split("+") if tp} for a in stable]
    moved = sum(1 for tp in owners[-1] if tp in owners[-2] and owners[-1][tp] != owners[-2][tp])
    assert moved == 2 and sorted(len(owned(k)) for k in ks) == [2, 2, 2]


def test_a_stale_heartbeat_answer_during_a_join_does_not_start_another_rebalance():
    """M9: a heartbeat sent while stable comes back REBALANCE_IN_PROGRESS after the member has
    already sent its JoinGroup (it changed its subscription). Kafka ignores it; acting on it
    sends a second JoinGroup and costs the whole group one more generation."""
    c = cluster(partitions=4)
    c.create_topic("u", partitions=2, replication_factor=3)
    a = member(c)
    a.consume(100, 5.0)
    c.set_latency(a.name, c.group_state("g").coordinator, 400)
    sent = len(c.trace.filter(kind="send", name="HeartbeatRequest", node=a.name))
    while len(c.trace.filter(kind="send", name="HeartbeatRequest", node=a.name)) == sent:
        c.run(10)
    b = member(c)
    b.consume(1, 0.05)                  # b's JoinGroup starts a rebalance before a's heartbeat lands
    a.subscribe(["t", "u"])
    a.consume(1, 0.01)                  # a joins; the heartbeat's answer is still on its way
    poll_all([a, b], rounds=20, timeout=0.2)
    stale = [e for e in c.trace.filter(kind="send", name="HeartbeatResponse")
             if e.peer == a.name and e.fields["error"] == "REBALANCE_IN_PROGRESS"]
    assert stale, "the scenario must produce the stale answer"
    joins = [e for e in c.trace.filter(kind="send", name="JoinGroupRequest", node=a.name) if e.time > stale[0].time - 800]
    assert len(joins) == 1
    assert c.group_state("g").generation == 2
    assert sorted(owned(a) + owned(b)) == [0, 0, 1, 1, 2, 3]


def test_a_commit_the_replicas_cannot_confirm_fails_after_offsets_commit_timeout_ms():
    c = cluster(partitions=1, records=0)
    k = c.consumer({"group.id": "g", "enable.auto.commit": False})
    k.assign([TopicPartition("t", 0)])
    k.commit(offsets=[TopicPartition("t", 0, 1)], asynchronous=False)
    coordinator = c.group_state("g").coordinator
    for b in sorted(c.brokers):
        if b != coordinator:
            c.cut(coordinator, b)                   # acks=all on __consumer_offsets cannot complete
    start = c.now
    k.commit(offsets=[TopicPartition("t", 0, 2)], asynchronous=True)
    c.run(8000)
    got = [e for e in c.trace.filter(kind="recv", name="OffsetCommitRequest") if e.time >= start]
    answers = [e for e in c.trace.filter(kind="send", name="OffsetCommitResponse") if e.time >= start]
    assert answers[0].fields["results"] == ("t-0:COORDINATOR_NOT_AVAILABLE",)
    assert answers[0].time - got[0].time == 5000    # offsets.commit.timeout.ms, not request.timeout.ms
