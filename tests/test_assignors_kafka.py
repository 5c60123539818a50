"""Kafka's own assignor test expectations, translated.

Each test is named after the Kafka test it translates (clients/src/test/java/org/apache/kafka/
clients/consumer/{RangeAssignorTest,RoundRobinAssignorTest,StickyAssignorTest,
CooperativeStickyAssignorTest}.java and internals/AbstractStickyAssignorTest.java). Only the
rack-free variants are translated: minikafka's assignors have no rack awareness.

Kafka's assertEquals on a List compares order too; minikafka returns sorted lists, so the
expectations here compare partition sets per member.

AbstractStickyAssignorTest runs once for the sticky and once for the cooperative-sticky
assignor. For cooperative-sticky, Kafka's verifyValidityAndBalance runs follow-up rebalances
(owned := last assignment, generation 1) until nothing is revoked, and it replaces the
assignment it was given. Where Kafka's test calls it before its assertEquals, the expected
assignment is the settled one; `_settle` does the same here.
"""
from __future__ import annotations

import pytest

from minikafka.clients.consumer.assignors import (ASSIGNORS, Subscription, check_assignment,
                                                  revoked_partitions)

GEN = 1                  # AbstractStickyAssignorTest.generationId
DEFAULT_GENERATION = -1  # no generation in the subscription

STICKY = ASSIGNORS["sticky"].assign
COOP = ASSIGNORS["cooperative-sticky"].assign
BOTH = pytest.mark.parametrize("kind", ["sticky", "cooperative-sticky"])


def _t(topic: str, *ps: int) -> list[tuple[str, int]]:
    return [(topic, p) for p in ps]


def sub(member: str, topics, owned=(), generation: int = DEFAULT_GENERATION,
        instance: str | None = None) -> Subscription:
    return Subscription(member, tuple(topics), tuple(owned), instance, generation)


def _sets(assignment):
    return {m: set(tps) for m, tps in assignment.items()}


def _balanced(assignment) -> bool:
    sizes = [len(v) for v in assignment.values()]
    return max(sizes) - min(sizes) <= 1


def _settle(kind, counts, subs, assignment):
    """Kafka's verifyValidityAndBalance: for cooperative-sticky, rebalance again (owned = the last
    assignment, generation 1) while anything is revoked; return the final assignment."""
    protocol = "COOPERATIVE" if kind == "cooperative-sticky" else "EAGER"
    assert check_assignment(counts, subs, assignment, protocol=protocol) == []
    if kind != "cooperative-sticky":
        return assignment
    for _ in range(4):
        by_id = {s.member_id: s for s in subs}
        if not any(revoked_partitions(by_id[m].owned, tps) for m, tps in assignment.items()):
            break
        subs = [sub(m, by_id[m].topics, tps, GEN) for m, tps in assignment.items()]
        assignment = COOP(counts, subs)
        assert check_assignment(counts, subs, assignment, protocol=protocol) == []
    else:
        pytest.fail("cooperative rebalances did not settle within 4 rounds")
    return assignment


def _assign(kind):
    return STICKY if kind == "sticky" else COOP


# ----------------------------------------------------------------- AbstractStickyAssignorTest

@BOTH
def test_testOneConsumerNoTopic(kind):
    assert _assign(kind)({}, [sub("consumer", [])]) == {"consumer": []}


@BOTH
def test_testOneConsumerNonexistentTopic(kind):
    assert _assign(kind)({}, [sub("consumer", ["topic"])]) == {"consumer": []}


@BOTH
def test_testOneConsumerOneTopic(kind):
    out = _assign(kind)({"topic": 3}, [sub("consumer", ["topic"])])
    assert _sets(out) == {"consumer": set(_t("topic", 0, 1, 2))}


@BOTH
def test_testOnlyAssignsPartitionsFromSubscribedTopics(kind):
    owned = _t("topic", 0, 1) + _t("other", 0, 1)
    out = _assign(kind)({"topic": 2}, [sub("consumer", ["topic"], owned, GEN)])
    assert _sets(out) == {"consumer": set(_t("topic", 0, 1))}


@BOTH
def test_testOneConsumerMultipleTopics(kind):
    out = _assign(kind)({"topic1": 1, "topic2": 2}, [sub("consumer", ["topic1", "topic2"])])
    assert _sets(out) == {"consumer": set(_t("topic1", 0) + _t("topic2", 0, 1))}


@BOTH
def test_testTwoConsumersOneTopicOnePartition(kind):
    # Kafka checks only validity and balance here
    counts, subs = {"topic": 1}, [sub("consumer1", ["topic"]), sub("consumer2", ["topic"])]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert sorted(len(v) for v in out.values()) == [0, 1]


@BOTH
def test_testTwoConsumersOneTopicTwoPartitions(kind):
    out = _assign(kind)({"topic": 2}, [sub("consumer1", ["topic"]), sub("consumer2", ["topic"])])
    assert _sets(out) == {"consumer1": {("topic", 0)}, "consumer2": {("topic", 1)}}


@BOTH
def test_testMultipleConsumersMixedTopicSubscriptions(kind):
    subs = [sub("consumer1", ["topic1"]), sub("consumer2", ["topic1", "topic2"]),
            sub("consumer3", ["topic1"])]
    out = _assign(kind)({"topic1": 3, "topic2": 2}, subs)
    assert _sets(out) == {"consumer1": set(_t("topic1", 0, 2)),
                          "consumer2": set(_t("topic2", 0, 1)),
                          "consumer3": set(_t("topic1", 1))}


@BOTH
def test_testTwoConsumersTwoTopicsSixPartitions(kind):
    topics = ["topic1", "topic2"]
    out = _assign(kind)({"topic1": 3, "topic2": 3}, [sub("consumer1", topics), sub("consumer2", topics)])
    assert _sets(out) == {"consumer1": set(_t("topic1", 0, 2) + _t("topic2", 1)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 0, 2))}


@BOTH
def test_testConsumerOwningMinQuotaExpectedMaxQuota(kind):
    topics = ["topic1", "topic2"]
    subs = [sub("consumer1", topics, _t("topic1", 0) + _t("topic2", 1), GEN),
            sub("consumer2", topics, _t("topic1", 1) + _t("topic2", 2), GEN)]
    out = _assign(kind)({"topic1": 2, "topic2": 3}, subs)
    assert _sets(out) == {"consumer1": set(_t("topic1", 0) + _t("topic2", 0, 1)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 2))}


@BOTH
def test_testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers(kind):
    # Which of consumer1/consumer2 keeps maxQuota (2) partitions follows Java HashMap iteration
    # order over member ids in Kafka; minikafka's rule (the most-loaded member with the
    # smaller id gives up its highest partition) happens to give the same answer.
    topics = ["topic1", "topic2"]
    counts = {"topic1": 2, "topic2": 2}
    subs = [sub("consumer1", topics, _t("topic1", 0) + _t("topic2", 0), GEN),
            sub("consumer2", topics, _t("topic1", 1) + _t("topic2", 1), GEN),
            sub("consumer3", topics, (), GEN)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _sets(out) == {"consumer1": set(_t("topic1", 0)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 1)),
                          "consumer3": set(_t("topic2", 0))}


@BOTH
def test_testAllConsumersAreUnderMinQuota(kind):
    topics = ["topic1", "topic2"]
    counts = {"topic1": 2, "topic2": 3}
    subs = [sub("consumer1", topics, _t("topic1", 0), GEN),
            sub("consumer2", topics, _t("topic1", 1), GEN),
            sub("consumer3", topics, (), GEN)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _sets(out) == {"consumer1": set(_t("topic1", 0) + _t("topic2", 1)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 2)),
                          "consumer3": set(_t("topic2", 0))}


@BOTH
def test_testAddRemoveConsumerOneTopic(kind):
    counts = {"topic": 3}
    out = _assign(kind)(counts, [sub("consumer1", ["topic"])])
    assert _sets(out) == {"consumer1": set(_t("topic", 0, 1, 2))}

    subs = [sub("consumer1", ["topic"], out["consumer1"], GEN), sub("consumer2", ["topic"], (), GEN)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _sets(out) == {"consumer1": set(_t("topic", 0, 1)), "consumer2": set(_t("topic", 2))}

    subs = [sub("consumer2", ["topic"], out["consumer2"], GEN)]
    out = _assign(kind)(counts, subs)
    assert _sets(out) == {"consumer2": set(_t("topic", 0, 1, 2))}


@BOTH
def test_testTopicBalanceAfterReassignment(kind):
    # property check: each consumer gets the same share of each topic
    topics = ["topic1", "topic2"]
    counts = {"topic1": 12, "topic2": 12}
    out = _assign(kind)(counts, [sub("consumer1", topics)])
    for members, share in ((("consumer1", "consumer2"), 6),
                           (("consumer1", "consumer2", "consumer3", "consumer4"), 3),
                           (("consumer3", "consumer4"), 6)):
        subs = [sub(m, topics, out.get(m, ()), GEN) for m in members]
        out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
        for m, tps in out.items():
            for t in topics:
                assert sum(1 for tp in tps if tp[0] == t) == share, (m, t, out)


@BOTH
def test_testAddRemoveTwoConsumersTwoTopics(kind):
    topics = ["topic1", "topic2"]
    counts = {"topic1": 3, "topic2": 4}
    out = _assign(kind)(counts, [sub("consumer1", topics), sub("consumer2", topics)])
    assert _sets(out) == {"consumer1": set(_t("topic1", 0, 2) + _t("topic2", 1, 3)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 0, 2))}

    subs = [sub("consumer1", topics, out["consumer1"], GEN), sub("consumer2", topics, out["consumer2"], GEN),
            sub("consumer3", topics, (), GEN), sub("consumer4", topics, (), GEN)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _sets(out) == {"consumer1": set(_t("topic1", 0) + _t("topic2", 1)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 0)),
                          "consumer3": set(_t("topic1", 2) + _t("topic2", 3)),
                          "consumer4": set(_t("topic2", 2))}

    subs = [sub("consumer3", topics, out["consumer3"], GEN), sub("consumer4", topics, out["consumer4"], GEN)]
    out = _assign(kind)(counts, subs)
    assert _sets(out) == {"consumer3": set(_t("topic1", 0, 2) + _t("topic2", 1, 3)),
                          "consumer4": set(_t("topic1", 1) + _t("topic2", 0, 2))}


@BOTH
def test_testAddRemoveTopicTwoConsumers(kind):
    # property check: balance and stickiness while a topic is added and removed
    counts = {"topic": 3}
    subs = [sub("consumer1", ["topic"]), sub("consumer2", ["topic"])]
    first = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _balanced(first)
    counts = {"topic": 3, "topic2": 3}
    subs = [sub(m, ["topic", "topic2"], first[m], GEN) for m in ("consumer1", "consumer2")]
    second = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    for m in second:
        assert len(second[m]) == 3 and set(first[m]) <= set(second[m])
    counts = {"topic2": 3}
    subs = [sub(m, ["topic2"], second[m], GEN) for m in ("consumer1", "consumer2")]
    third = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _balanced(third)
    for m in third:
        assert set(third[m]) <= set(second[m])


@BOTH
def test_testStickiness(kind):
    # property check: after consumer1 leaves, nobody loses what it had
    counts = {"topic1": 3}
    subs = [sub(f"consumer{i}", ["topic1"]) for i in range(1, 5)]
    first = _assign(kind)(counts, subs)
    assert all(len(v) <= 1 for v in first.values())
    subs = [sub(f"consumer{i}", ["topic1"], first[f"consumer{i}"], GEN) for i in range(2, 5)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    for m, tps in out.items():
        assert len(tps) == 1 and set(first[m]) <= set(tps)


@BOTH
def test_testAssignmentUpdatedForDeletedTopic(kind):
    out = _assign(kind)({"topic1": 1, "topic3": 100}, [sub("consumer", ["topic1", "topic2", "topic3"])])
    assert list(out) == ["consumer"] and len(out["consumer"]) == 101


@BOTH
def test_testNoExceptionThrownWhenOnlySubscribedTopicDeleted(kind):
    out = _assign(kind)({"topic": 3}, [sub("consumer", ["topic"])])
    out = _assign(kind)({}, [sub("consumer", ["topic"], out["consumer"], GEN)])
    assert out == {"consumer": []}


@BOTH
def test_testAllConsumersReachExpectedQuotaAndAreConsideredFilled(kind):
    subs = [sub("consumer1", ["topic"], _t("topic", 0, 1), GEN),
            sub("consumer2", ["topic"], _t("topic", 2), GEN),
            sub("consumer3", ["topic"], (), GEN)]
    out = _assign(kind)({"topic": 4}, subs)
    assert _sets(out) == {"consumer1": set(_t("topic", 0, 1)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set(_t("topic", 3))}


@BOTH
@pytest.mark.parametrize("other_generation", [10 - 1, DEFAULT_GENERATION],
                         ids=["StaleGeneration", "NoGeneration"])
def test_testOwnedPartitionsAreInvalidatedForConsumerWith(kind, other_generation):
    # testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration / ...WithNoGeneration
    topics = ["topic", "topic2"]
    owned = _t("topic", 0, 2) + _t("topic2", 1)
    subs = [sub("consumer1", topics, owned, 10), sub("consumer2", topics, owned, other_generation)]
    out = _assign(kind)({"topic": 3, "topic2": 3}, subs)
    assert _sets(out) == {"consumer1": set(owned),
                          "consumer2": set(_t("topic", 1) + _t("topic2", 0, 2))}


@BOTH
def test_testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration(kind):
    counts = {"topic": 3}
    subs = [sub("consumer1", ["topic"], _t("topic", 0, 1), GEN),
            sub("consumer2", ["topic"], _t("topic", 0, 2), GEN),
            sub("consumer3", ["topic"], (), GEN)]
    out = _settle(kind, counts, subs, _assign(kind)(counts, subs))
    assert _sets(out) == {"consumer1": set(_t("topic", 1)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set(_t("topic", 0))}


@BOTH
def test_testEnsurePartitionsAssignedToHighestGeneration(kind):
    topics = ["topic", "topic2", "topic3"]
    subs = [sub("consumer1", topics, [("topic", 0), ("topic2", 0), ("topic3", 0)], 10),
            sub("consumer2", topics, [("topic", 1), ("topic2", 1), ("topic3", 1)], 9),
            sub("consumer3", topics, [("topic2", 1), ("topic3", 0), ("topic3", 2)], 8)]
    out = _assign(kind)({t: 3 for t in topics}, subs)
    assert _sets(out) == {f"consumer{i + 1}": {(t, i) for t in topics} for i in range(3)}


@BOTH
def test_testNoReassignmentOnCurrentMembers(kind):
    topics = ["topic", "topic2", "topic3", "topic1"]
    subs = [sub("consumer1", topics, (), DEFAULT_GENERATION),
            sub("consumer2", topics, [("topic", 0), ("topic2", 0), ("topic1", 0)], 9),
            sub("consumer3", topics, [("topic3", 2), ("topic2", 2), ("topic1", 1)], 8),
            sub("consumer4", topics, [("topic3", 1), ("topic", 1), ("topic", 2)], 7)]
    out = _assign(kind)({t: 3 for t in topics}, subs)
    assert set(out["consumer1"]) == {("topic1", 2), ("topic2", 1), ("topic3", 0)}
    for s in subs[1:]:
        assert set(out[s.member_id]) == set(s.owned)


@BOTH
def test_testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration(kind):
    topics = ["topic", "topic2"]
    subs = [sub("consumer1", topics, [("topic", 0), ("topic2", 1), ("topic", 1)], 10),
            sub("consumer2", topics, [("topic", 0), ("topic2", 1), ("topic2", 2)], 8)]
    out = _assign(kind)({"topic": 3, "topic2": 3}, subs)
    assert _sets(out) == {"consumer1": {("topic", 0), ("topic2", 1), ("topic", 1)},
                          "consumer2": {("topic", 2), ("topic2", 2), ("topic2", 0)}}


# ------------------------------------------------- StickyAssignorTest / CooperativeStickyAssignorTest

def _claimed_twice(partitions: int):
    counts = {"topic": partitions}
    subs = [sub("consumer1", ["topic"], _t("topic", 0, 1), GEN),
            sub("consumer2", ["topic"], _t("topic", 0, 2), GEN),
            sub("consumer3", ["topic"], (), GEN)]
    return counts, subs


def test_sticky_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer():
    out = STICKY(*_claimed_twice(3))
    assert _sets(out) == {"consumer1": set(_t("topic", 1)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set(_t("topic", 0))}


def test_sticky_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer():
    out = STICKY(*_claimed_twice(4))
    assert _sets(out) == {"consumer1": set(_t("topic", 1, 3)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set(_t("topic", 0))}


def test_cooperative_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer():
    # topic-0 counts as owned, so nobody gets it until both claimants have revoked it
    out = COOP(*_claimed_twice(3))
    assert _sets(out) == {"consumer1": set(_t("topic", 1)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set()}


def test_cooperative_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer():
    out = COOP(*_claimed_twice(4))
    assert _sets(out) == {"consumer1": set(_t("topic", 1, 3)), "consumer2": set(_t("topic", 2)),
                          "consumer3": set()}


@BOTH
def test_testAssignorWithOldVersionSubscriptions(kind):
    # the old-version subscriptions still carry owned partitions (in user data or the field)
    subs = [sub("consumer1", ["topic1"], _t("topic1", 0), GEN),
            sub("consumer2", ["topic1"], _t("topic1", 1), GEN),
            sub("consumer3", ["topic1"], (), GEN)]
    out = _assign(kind)({"topic1": 3}, subs)
    assert _sets(out) == {"consumer1": set(_t("topic1", 0)), "consumer2": set(_t("topic1", 1)),
                          "consumer3": set(_t("topic1", 2))}


# ------------------------------------------------------------------------ RangeAssignorTest

RANGE = ASSIGNORS["range"].assign
ROUNDROBIN = ASSIGNORS["roundrobin"].assign


@pytest.mark.parametrize("assign", [RANGE, ROUNDROBIN], ids=["range", "roundrobin"])
def test_testMultipleConsumersMixedTopics(assign):
    subs = [sub("consumer1", ["topic1"]), sub("consumer2", ["topic1", "topic2"]), sub("consumer3", ["topic1"])]
    out = assign({"topic1": 3, "topic2": 2}, subs)
    assert _sets(out) == {"consumer1": set(_t("topic1", 0)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 0, 1)),
                          "consumer3": set(_t("topic1", 2))}


def test_range_testTwoConsumersTwoTopicsSixPartitions():
    topics = ["topic1", "topic2"]
    out = RANGE({"topic1": 3, "topic2": 3}, [sub("consumer1", topics), sub("consumer2", topics)])
    assert _sets(out) == {"consumer1": set(_t("topic1", 0, 1) + _t("topic2", 0, 1)),
                          "consumer2": set(_t("topic1", 2) + _t("topic2", 2))}


@pytest.mark.parametrize("high_instance", ["instance2", None], ids=["TwoStatic", "OneStaticOneDynamic"])
def test_range_testStaticConsumersTwoTopicsSixPartitions(high_instance):
    # testTwoStaticConsumersTwoTopicsSixPartitions / testOneStaticConsumerAndOneDynamicConsumer...
    topics = ["topic1", "topic2"]
    subs = [sub("consumer-b", topics, instance="instance1"), sub("consumer-a", topics, instance=high_instance)]
    out = RANGE({"topic1": 3, "topic2": 3}, subs)
    assert _sets(out) == {"consumer-b": set(_t("topic1", 0, 1) + _t("topic2", 0, 1)),
                          "consumer-a": set(_t("topic1", 2) + _t("topic2", 2))}


def test_range_testStaticMemberRangeAssignmentPersistent():
    topics = ["topic1", "topic2"]
    static = [sub(f"consumer{i}", topics, instance=f"instance{i}") for i in (1, 2, 3)]
    expected = {"consumer1": set(_t("topic1", 0, 1) + _t("topic2", 0)),
                "consumer2": set(_t("topic1", 2) + _t("topic2", 1)),
                "consumer3": set(_t("topic1", 3) + _t("topic2", 2))}
    for dynamic in ("consumer4", "consumer5"):
        out = RANGE({"topic1": 5, "topic2": 4}, static + [sub(dynamic, topics)])
        assert _sets(out) == {**expected, dynamic: set(_t("topic1", 4) + _t("topic2", 3))}


# ------------------------------------------------------------------- RoundRobinAssignorTest

def test_roundrobin_testTwoDynamicConsumersTwoTopicsSixPartitions():
    topics = ["topic1", "topic2"]
    out = ROUNDROBIN({"topic1": 3, "topic2": 3}, [sub("consumer1", topics), sub("consumer2", topics)])
    assert _sets(out) == {"consumer1": set(_t("topic1", 0, 2) + _t("topic2", 1)),
                          "consumer2": set(_t("topic1", 1) + _t("topic2", 0, 2))}


@pytest.mark.parametrize("high_instance", ["instance2", None], ids=["TwoStatic", "OneStaticOneDynamic"])
def test_roundrobin_testStaticConsumersTwoTopicsSixPartitions(high_instance):
    topics = ["topic1", "topic2"]
    subs = [sub("consumer-b", topics, instance="instance1"), sub("consumer-a", topics, instance=high_instance)]
    out = ROUNDROBIN({"topic1": 3, "topic2": 3}, subs)
    assert _sets(out) == {"consumer-b": set(_t("topic1", 0, 2) + _t("topic2", 1)),
                          "consumer-a": set(_t("topic1", 1) + _t("topic2", 0, 2))}


def test_roundrobin_testStaticMemberRoundRobinAssignmentPersistent():
    topics = ["topic1", "topic2"]
    static = [sub(f"consumer{i}", topics, instance=f"instance{i}") for i in (1, 2, 3)]
    expected = {"consumer1": set(_t("topic1", 0) + _t("topic2", 1)),
                "consumer2": set(_t("topic1", 1) + _t("topic2", 2)),
                "consumer3": set(_t("topic1", 2))}
    for dynamic in ("consumer4", "consumer5"):
        out = ROUNDROBIN({"topic1": 3, "topic2": 3}, static + [sub(dynamic, topics)])
        assert _sets(out) == {**expected, dynamic: set(_t("topic2", 0))}
