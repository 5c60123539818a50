"""minikafka.clients.consumer.assignors: range, roundrobin, sticky and cooperative-sticky as pure functions."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minikafka.clients.consumer.assignors import (ASSIGNORS, AssignorSpec, Subscription, check_assignment,
                                                  choose_protocol, cooperative_sticky_assignor,
                                                  range_assignor, revoked_partitions, roundrobin_assignor,
                                                  sticky_assignor)

EAGER_ASSIGNORS = [range_assignor, roundrobin_assignor, sticky_assignor]
ALL_ASSIGNORS = [spec.assign for spec in ASSIGNORS.values()]


def tps(topic, *partitions):
    return [(topic, p) for p in partitions]


def counts(assignment):
    return [len(v) for v in assignment.values()]


# --- exact examples ---------------------------------------------------------------------------

def test_range_two_consumers_two_topics_lines_up_co_partitioned_topics():
    subs = [Subscription("C1", ("t0", "t1")), Subscription("C0", ("t0", "t1"))]
    assert range_assignor({"t0": 3, "t1": 3}, subs) == {
        "C0": tps("t0", 0, 1) + tps("t1", 0, 1),
        "C1": tps("t0", 2) + tps("t1", 2),
    }


def test_range_three_partitions_two_consumers_gives_the_first_consumer_the_extra_partition():
    subs = [Subscription("a", ("t",)), Subscription("b", ("t",))]
    assert range_assignor({"t": 3}, subs) == {"a": tps("t", 0, 1), "b": tps("t", 2)}


def test_range_sorts_static_members_first_by_instance_id():
    subs = [Subscription("a", ("t",)), Subscription("z", ("t",), group_instance_id="i2"),
            Subscription("y", ("t",), group_instance_id="i1")]
    assert range_assignor({"t": 5}, subs) == {"y": tps("t", 0, 1), "z": tps("t", 2, 3), "a": tps("t", 4)}


def test_range_gives_more_consumers_than_partitions_empty_lists():
    subs = [Subscription(m, ("t",)) for m in "abc"]
    assert range_assignor({"t": 2}, subs) == {"a": tps("t", 0), "b": tps("t", 1), "c": []}


def test_roundrobin_with_uneven_subscriptions_skips_members_not_subscribed():
    # Kafka's RoundRobinAssignor javadoc example.
    subs = [Subscription("C0", ("t0",)), Subscription("C1", ("t0", "t1")), Subscription("C2", ("t0", "t1", "t2"))]
    assert roundrobin_assignor({"t0": 1, "t1": 2, "t2": 3}, subs) == {
        "C0": tps("t0", 0),
        "C1": tps("t1", 0),
        "C2": tps("t1", 1) + tps("t2", 0, 1, 2),
    }


def test_roundrobin_deals_identical_subscriptions_in_turn():
    subs = [Subscription("b", ("t0", "t1")), Subscription("a", ("t0", "t1"))]
    assert roundrobin_assignor({"t0": 3, "t1": 3}, subs) == {
        "a": tps("t0", 0, 2) + tps("t1", 1),
        "b": tps("t0", 1) + tps("t1", 0, 2),
    }


def test_assignors_ignore_subscribed_topics_missing_from_metadata():
    subs = [Subscription("a", ("t", "not-yet")), Subscription("b", ("not-yet",))]
    for assign in ALL_ASSIGNORS:
        assert assign({"t": 2}, subs) == {"a": tps("t", 0, 1), "b": []}


def test_assignors_return_an_empty_dict_for_an_empty_group():
    for assign in ALL_ASSIGNORS:
        assert assign({"t": 3}, []) == {}


def test_sticky_when_a_member_leaves_the_others_keep_their_partitions():
    subs = [Subscription("a", ("t",), owned=tuple(tps("t", 0, 3)), generation=1),
            Subscription("b", ("t",), owned=tuple(tps("t", 1, 4)), generation=1)]
    # "c" owned t-2 and t-5 and has left.
    assert sticky_assignor({"t": 6}, subs) == {"a": tps("t", 0, 2, 3), "b": tps("t", 1, 4, 5)}


def test_sticky_when_a_member_joins_only_the_excess_moves():
    subs = [Subscription("a", ("t",), owned=tuple(tps("t", 0, 1, 2)), generation=1),
            Subscription("b", ("t",), owned=tuple(tps("t", 3, 4, 5)), generation=1),
            Subscription("c", ("t",))]
    result = sticky_assignor({"t": 6}, subs)
    assert counts(result) == [2, 2, 2]
    assert set(result["a"]) <= set(tps("t", 0, 1, 2)) and set(result["b"]) <= set(tps("t", 3, 4, 5))


def test_sticky_conflicting_claims_go_to_the_higher_generation_and_a_tie_keeps_it_for_nobody():
    newer = [Subscription("a", ("t",), owned=(("t", 0),), generation=1),
             Subscription("b", ("t",), owned=(("t", 0),), generation=2)]
    assert sticky_assignor({"t": 2}, newer) == {"a": tps("t", 1), "b": tps("t", 0)}
    # claimed twice in generation 2: neither keeps t-1, both partitions are dealt afresh by member id
    tied = [Subscription("b", ("t",), owned=(("t", 1),), generation=2),
            Subscription("a", ("t",), owned=(("t", 1),), generation=2)]
    assert sticky_assignor({"t": 2}, tied) == {"a": tps("t", 0), "b": tps("t", 1)}


def test_sticky_drops_owned_partitions_that_vanished_or_are_no_longer_subscribed():
    subs = [Subscription("a", ("t",), owned=(("t", 0), ("t", 9), ("gone", 0), ("u", 0)), generation=1),
            Subscription("b", ("t", "u"))]
    # u-0 only b can take, so it is dealt first; t-1 then goes to the less-loaded tie, a.
    assert sticky_assignor({"t": 2, "u": 1}, subs) == {"a": tps("t", 0, 1), "b": tps("u", 0)}


def test_cooperative_sticky_withholds_a_moving_partition_until_the_second_rebalance():
    ppt = {"t": 4}
    first = [Subscription("a", ("t",), owned=tuple(tps("t", 0, 1, 2, 3)), generation=1), Subscription("b", ("t",))]
    round1 = cooperative_sticky_assignor(ppt, first)
    assert round1 == {"a": tps("t", 0, 1), "b": []}
    assert revoked_partitions(first[0].owned, round1["a"]) == tps("t", 2, 3)
    second = [Subscription(m, ("t",), owned=tuple(round1[m]), generation=2) for m in ("a", "b")]
    assert cooperative_sticky_assignor(ppt, second) == {"a": tps("t", 0, 1), "b": tps("t", 2, 3)}


def test_cooperative_sticky_hands_over_partitions_of_a_departed_member_at_once():
    subs = [Subscription("a", ("t",), owned=tuple(tps("t", 0)), generation=1), Subscription("b", ("t",))]
    # t-1 was owned by a member that left, so nobody has to revoke it first.
    assert cooperative_sticky_assignor({"t": 2}, subs) == {"a": tps("t", 0), "b": tps("t", 1)}


def test_revoked_partitions_is_owned_minus_assigned_sorted():
    assert revoked_partitions([("u", 0), ("t", 2), ("t", 1), ("t", 2)], [("t", 1)]) == [("t", 2), ("u", 0)]
    assert revoked_partitions([], [("t", 1)]) == []


# --- check_assignment -------------------------------------------------------------------------

PPT = {"t": 2, "u": 1}
SUBS = [Subscription("a", ("t",)), Subscription("b", ("t", "u"))]
GOOD = {"a": [("t", 0)], "b": [("t", 1), ("u", 0)]}


def test_check_assignment_accepts_a_valid_assignment():
    assert check_assignment(PPT, SUBS, GOOD) == []


def test_check_assignment_reports_a_member_not_in_the_group():
    [problem] = check_assignment(PPT, SUBS, {**GOOD, "ghost": []})
    assert "'ghost'" in problem and "not in the group" in problem


def test_check_assignment_reports_a_member_missing_from_the_result():
    problems = check_assignment(PPT, SUBS, {"b": [("t", 0), ("t", 1), ("u", 0)]})
    assert problems == ["member 'a' is missing from the result (a member that gets nothing needs [])"]


def test_check_assignment_reports_a_partition_assigned_twice():
    [problem] = check_assignment(PPT, SUBS, {"a": [("t", 0), ("t", 1)], "b": [("t", 1), ("u", 0)]})
    assert "t-1" in problem and "twice" in problem and "'a'" in problem and "'b'" in problem


def test_check_assignment_reports_a_partition_of_an_unsubscribed_topic():
    [problem] = check_assignment(PPT, SUBS, {"a": [("t", 0), ("u", 0)], "b": [("t", 1)]})
    assert "'a'" in problem and "u-0" in problem and "does not subscribe" in problem


def test_check_assignment_reports_a_partition_that_does_not_exist():
    problems = check_assignment(PPT, SUBS, {"a": [("t", 0), ("t", 7)], "b": [("t", 1), ("u", 0), ("x", 0)]})
    assert problems == ["member 'a' got t-7, which does not exist ('t' has 2 partitions)",
                        "member 'b' got x-0, which does not exist ('x' is not in the metadata)"]


def test_check_assignment_reports_a_subscribed_partition_left_unassigned():
    [problem] = check_assignment(PPT, SUBS, {"a": [("t", 0)], "b": [("t", 1)]})
    assert "u-0" in problem and "unassigned" in problem and "'b'" in problem


def test_check_assignment_reports_results_of_the_wrong_shape():
    assert "not a dict" in check_assignment(PPT, SUBS, [("t", 0)])[0]
    problems = check_assignment(PPT, SUBS, {"a": "t-0", "b": [["t", 1], ("u", 0)]})
    assert any("'a'" in p and "expected a list" in p for p in problems)
    assert any("['t', 1]" in p and "not a (topic, partition) tuple" in p for p in problems)


def test_check_assignment_cooperative_allows_a_partition_left_out_while_its_owner_revokes_it():
    subs = [Subscription("a", ("t",), owned=(("t", 0), ("t", 1))), Subscription("b", ("t",))]
    result = {"a": [("t", 0)], "b": []}
    assert check_assignment({"t": 2}, subs, result, protocol="COOPERATIVE") == []
    assert "t-1" in check_assignment({"t": 2}, subs, result)[0]


def test_check_assignment_cooperative_rejects_a_partition_given_away_while_still_owned():
    subs = [Subscription("a", ("t",), owned=(("t", 0), ("t", 1))), Subscription("b", ("t",))]
    result = {"a": [("t", 0)], "b": [("t", 1)]}
    assert check_assignment({"t": 2}, subs, result) == []
    [problem] = check_assignment({"t": 2}, subs, result, protocol="COOPERATIVE")
    assert "t-1" in problem and "'b'" in problem and "'a' still owns it" in problem


# --- choose_protocol and ASSIGNORS -------------------------------------------------------------

def test_assignors_registry_uses_kafka_protocol_names():
    assert list(ASSIGNORS) == ["range", "roundrobin", "sticky", "cooperative-sticky"]
    assert ASSIGNORS["cooperative-sticky"].protocols == ("COOPERATIVE", "EAGER")


def test_choose_protocol_default_range_plus_cooperative_sticky_is_eager():
    assert choose_protocol([ASSIGNORS["range"], ASSIGNORS["cooperative-sticky"]]) == "EAGER"


def test_choose_protocol_cooperative_sticky_alone_is_cooperative():
    assert choose_protocol([ASSIGNORS["cooperative-sticky"]]) == "COOPERATIVE"


def test_choose_protocol_eager_assignors_are_eager():
    assert choose_protocol([ASSIGNORS["sticky"], ASSIGNORS["roundrobin"]]) == "EAGER"


def test_choose_protocol_without_a_common_protocol_names_the_assignors():
    mine = AssignorSpec("mine", sticky_assignor, ("COOPERATIVE",))
    with pytest.raises(ValueError, match="range supports EAGER; mine supports COOPERATIVE"):
        choose_protocol([ASSIGNORS["range"], mine])


def test_choose_protocol_rejects_no_assignors_and_unknown_protocols():
    with pytest.raises(ValueError, match="at least one"):
        choose_protocol([])
    with pytest.raises(ValueError, match="'odd'.*'STICKY'.*accepted"):
        choose_protocol([AssignorSpec("odd", sticky_assignor, ("STICKY",))])
    with pytest.raises(TypeError, match="AssignorSpec"):
        choose_protocol(["range"])


# --- bad input --------------------------------------------------------------------------------

def test_duplicate_member_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate member id 'a'"):
        range_assignor({"t": 1}, [Subscription("a", ("t",)), Subscription("a", ("t",))])


def test_duplicate_static_instance_ids_are_rejected():
    subs = [Subscription("a", ("t",), group_instance_id="i"), Subscription("b", ("t",), group_instance_id="i")]
    with pytest.raises(ValueError, match="duplicate group_instance_id 'i'"):
        sticky_assignor({"t": 1}, subs)


def test_negative_partition_count_is_rejected():
    with pytest.raises(ValueError, match="topic 't'.*>= 0, got -1"):
        roundrobin_assignor({"t": -1}, [Subscription("a", ("t",))])


def test_non_str_topics_are_rejected():
    with pytest.raises(TypeError, match="topic names must be str, got 3"):
        Subscription("a", ("t", 3))
    with pytest.raises(TypeError, match="got the str 'orders'; write \\('orders',\\)"):
        Subscription("a", "orders")
    with pytest.raises(TypeError, match="keys must be topic names"):
        range_assignor({3: 1}, [Subscription("a", ("t",))])


def test_other_bad_inputs_name_what_is_accepted():
    with pytest.raises(TypeError, match="partition count must be an int"):
        range_assignor({"t": "3"}, [])
    with pytest.raises(TypeError, match="sequence of Subscription"):
        range_assignor({"t": 3}, {"a": Subscription("a", ("t",))})
    with pytest.raises(TypeError, match="Subscription objects"):
        range_assignor({"t": 3}, [("a", ("t",))])
    with pytest.raises(TypeError, match=r"owned entries must be \(topic: str, partition: int\)"):
        Subscription("a", ("t",), owned=(("t", "0"),))
    with pytest.raises(TypeError, match="owned entries must be .*got 't-0'"):
        Subscription("a", ("t",), owned=("t-0",))
    with pytest.raises(ValueError, match="protocol must be one of"):
        check_assignment({}, [], {}, protocol="eager")


def test_subscription_accepts_lists_and_stores_tuples():
    s = Subscription("a", ["t"], owned=[["t", 0]])
    assert s.topics == ("t",) and s.owned == (("t", 0),)


# --- properties over random groups -------------------------------------------------------------

MEMBER_IDS = st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=3), min_size=1, max_size=6, unique=True)


@st.composite
def groups(draw, identical=False, with_owned=True):
    """(partitions_per_topic, subscriptions) with a valid previous assignment as `owned`."""
    topics = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    ppt = {t: draw(st.integers(0, 12)) for t in topics}
    ids = draw(MEMBER_IDS)
    choices = topics + ["not-yet"]   # subscribed, but not in the metadata
    if identical:
        shared = tuple(draw(st.lists(st.sampled_from(choices), min_size=1, unique=True)))
        subscribed = {m: shared for m in ids}
    else:
        subscribed = {m: tuple(draw(st.lists(st.sampled_from(choices), unique=True))) for m in ids}
    owned = {m: [] for m in ids}
    if with_owned:
        for tp in [(t, p) for t in topics for p in range(ppt[t])]:
            owner = draw(st.sampled_from([None, *ids]))
            if owner is not None and (tp[0] in subscribed[owner] or (not identical and draw(st.booleans()))):
                owned[owner].append(tp)
    static = {m: draw(st.sampled_from([None, f"i-{m}"])) for m in ids}
    subs = [Subscription(m, subscribed[m], tuple(owned[m]), static[m], generation=1) for m in ids]
    return ppt, subs


def prev_owner(subs):
    return {tp: s.member_id for s in subs for tp in s.owned}


def next_generation(subs, result):
    return [Subscription(s.member_id, s.topics, tuple(result[s.member_id]), s.group_instance_id, s.generation + 1)
            for s in subs]


def existing(ppt, subs):
    topics = subs[0].topics
    return sum(ppt.get(t, 0) for t in topics)


@given(groups())
def test_every_assignor_gives_each_subscribed_partition_exactly_one_owner(group):
    ppt, subs = group
    for assign in EAGER_ASSIGNORS:
        assert check_assignment(ppt, subs, assign(ppt, subs)) == []
    assert check_assignment(ppt, subs, cooperative_sticky_assignor(ppt, subs), protocol="COOPERATIVE") == []
    no_owned = [Subscription(s.member_id, s.topics, group_instance_id=s.group_instance_id) for s in subs]
    assert check_assignment(ppt, no_owned, cooperative_sticky_assignor(ppt, no_owned)) == []


@given(groups(), st.randoms(use_true_random=False))
def test_every_assignor_is_deterministic_whatever_the_member_order(group, rnd):
    ppt, subs = group
    shuffled = list(subs)
    rnd.shuffle(shuffled)
    for assign in ALL_ASSIGNORS:
        result = assign(ppt, subs)
        assert result == assign(ppt, shuffled)
        assert list(result) == sorted(s.member_id for s in subs)
        assert all(tps == sorted(tps) for tps in result.values())


@given(groups(identical=True))
def test_roundrobin_and_sticky_balance_identical_subscriptions_within_one(group):
    ppt, subs = group
    for assign in (roundrobin_assignor, sticky_assignor):
        sizes = counts(assign(ppt, subs))
        assert max(sizes) - min(sizes) <= 1


@given(groups(identical=True))
def test_range_balances_each_topic_within_one(group):
    ppt, subs = group
    result = range_assignor(ppt, subs)
    for topic in subs[0].topics:
        sizes = [sum(1 for tp in tps if tp[0] == topic) for tps in result.values()]
        assert max(sizes) - min(sizes) <= 1


@given(groups())
def test_sticky_leaves_no_member_able_to_take_a_partition_from_one_holding_two_more(group):
    ppt, subs = group
    result = sticky_assignor(ppt, subs)
    for giver in subs:
        for taker in subs:
            if len(result[giver.member_id]) - len(result[taker.member_id]) >= 2:
                assert not any(tp[0] in taker.topics for tp in result[giver.member_id])


@given(groups(identical=True))
def test_sticky_keeps_as_many_owned_partitions_as_balance_allows(group):
    ppt, subs = group
    result = sticky_assignor(ppt, subs)
    quota, extra = divmod(existing(ppt, subs), len(subs))
    owned = [len(s.owned) for s in subs]
    best = sum(min(n, quota) for n in owned) + min(extra, sum(1 for n in owned if n > quota))
    kept = sum(len(set(s.owned) & set(result[s.member_id])) for s in subs)
    assert kept == best


@given(groups(identical=True, with_owned=False), st.data())
def test_sticky_when_a_member_leaves_every_other_member_keeps_all_it_owned(group, data):
    ppt, subs = group
    before = sticky_assignor(ppt, subs)
    leaving = data.draw(st.sampled_from([s.member_id for s in subs]))
    stayers = [s for s in next_generation(subs, before) if s.member_id != leaving]
    after = sticky_assignor(ppt, stayers)
    for s in stayers:
        assert set(s.owned) <= set(after[s.member_id])
    if stayers:
        assert max(counts(after)) - min(counts(after)) <= 1


@given(groups())
def test_cooperative_sticky_never_hands_a_partition_to_a_new_owner_while_another_member_owns_it(group):
    ppt, subs = group
    owners = {}
    for s in subs:
        for tp in s.owned:
            owners.setdefault(tp, set()).add(s.member_id)
    result = cooperative_sticky_assignor(ppt, subs)
    sticky = sticky_assignor(ppt, subs)
    for member, assigned in result.items():
        assert set(assigned) <= set(sticky[member])
        for tp in assigned:
            assert tp not in owners or member in owners[tp]


@given(groups(identical=True))
def test_cooperative_sticky_second_rebalance_completes_the_sticky_assignment(group):
    ppt, subs = group
    round1 = cooperative_sticky_assignor(ppt, subs)
    round2_subs = next_generation(subs, round1)
    round2 = cooperative_sticky_assignor(ppt, round2_subs)
    assert round2 == sticky_assignor(ppt, round2_subs)
    assert check_assignment(ppt, round2_subs, round2) == []
    assert max(counts(round2)) - min(counts(round2)) <= 1
    for s in round2_subs:                # nothing more to revoke: no third rebalance is needed
        assert revoked_partitions(s.owned, round2[s.member_id]) == []
