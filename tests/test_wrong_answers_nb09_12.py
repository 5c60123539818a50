"""Plausible wrong answers to exercises 9.1-12.2 each get a [fail] line from their check, and the
reference gets [ok] (a check that accepted one of these would teach the mistake)."""
from __future__ import annotations

from typing import Any

import pytest

from minikafka.clients.consumer.assignors import range_assignor, roundrobin_assignor, sticky_assignor
from minikafka.course import checks
from minikafka.course.lessons.nb09 import after_heartbeat, partition_lag, rebalances
from minikafka.course.lessons.nb10 import OUTPUT, eos_config, process_batch
from minikafka.course.lessons.nb11 import RENAMED, port_config
from minikafka.course.lessons.nb12 import next_state, share_assignment


# -- 9.1: the range assignor ---------------------------------------------------------------------
def range_extra_to_last(ppt, subs):
    """The P % C extra partitions go to the last members instead of the first."""
    out = {s.member_id: [] for s in subs}
    for topic, n in ppt.items():
        members = sorted((s for s in subs if topic in s.topics),
                         key=lambda s: (s.group_instance_id is None, s.group_instance_id or s.member_id))
        if not members:
            continue
        quota, extra = divmod(n, len(members))
        start = 0
        for i, s in enumerate(members):
            size = quota + (1 if i >= len(members) - extra else 0)
            out[s.member_id] += [(topic, p) for p in range(start, start + size)]
            start += size
    return {m: sorted(tps) for m, tps in out.items()}


def range_ignoring_static_members(ppt, subs):
    """Sorts every member by member_id, static or not."""
    out = {s.member_id: [] for s in subs}
    for topic, n in ppt.items():
        members = sorted(s.member_id for s in subs if topic in s.topics)
        if not members:
            continue
        quota, extra = divmod(n, len(members))
        start = 0
        for i, m in enumerate(members):
            size = quota + (1 if i < extra else 0)
            out[m] += [(topic, p) for p in range(start, start + size)]
            start += size
    return {m: sorted(tps) for m, tps in out.items()}


def range_with_natural_sort(ppt, subs):
    """Sorts "consumer-2-..." before "consumer-10-..." (numbers as numbers)."""
    import re

    def natural(s):
        return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s.member_id)]
    order = sorted(subs, key=lambda s: (s.group_instance_id is None, s.group_instance_id or "", natural(s)))
    return _range_in_order(ppt, order)


def _range_in_order(ppt, members_in_order):
    out = {s.member_id: [] for s in members_in_order}
    for topic, n in ppt.items():
        members = [s for s in members_in_order if topic in s.topics]
        if not members:
            continue
        quota, extra = divmod(n, len(members))
        start = 0
        for i, s in enumerate(members):
            size = quota + (1 if i < extra else 0)
            out[s.member_id] += [(topic, p) for p in range(start, start + size)]
            start += size
    return {m: sorted(tps) for m, tps in out.items()}


# -- 9.2: a sticky assignor ----------------------------------------------------------------------
def keep_everything_owned(ppt, subs):
    """Sticky to a fault: members keep all they owned, new members get only the orphans."""
    out = {s.member_id: sorted(s.owned) for s in subs}
    owned = {tp for s in subs for tp in s.owned}
    orphans = [(t, p) for t in sorted(set(subs[0].topics) if subs else ()) for p in range(ppt.get(t, 0))
               if (t, p) not in owned]
    for i, tp in enumerate(orphans):
        out[subs[i % len(subs)].member_id].append(tp)
    return {m: sorted(tps) for m, tps in out.items()}


# -- 9.3: lag ------------------------------------------------------------------------------------
def lag_committed_is_last_processed(end_offsets, committed):
    """Reads the committed offset as the last record processed: one less to go."""
    return {tp: max(end - committed[tp] - 1, 0) if tp in committed else end for tp, end in end_offsets.items()}


def lag_can_go_negative(end_offsets, committed):
    return {tp: end - committed.get(tp, 0) for tp, end in end_offsets.items()}


def lag_only_where_committed(end_offsets, committed):
    return {tp: max(end - committed[tp], 0) for tp, end in end_offsets.items() if tp in committed}


def lag_zero_without_commit(end_offsets, committed):
    return {tp: max(end - committed.get(tp, end), 0) for tp, end in end_offsets.items()}


# -- 9.4: does a restart rebalance? --------------------------------------------------------------
def static_never_rebalances(static, away_ms, session_timeout_ms):
    """Static membership as "no more rebalances", whatever the time away."""
    return not static


def nobody_rebalances_on_a_quick_restart(static, away_ms, session_timeout_ms):
    """Only the session timeout counts, as if a dynamic member's close sent no LeaveGroup."""
    return away_ms > session_timeout_ms


def static_compares_with_the_heartbeat_interval(static, away_ms, session_timeout_ms):
    """A static member is removed once it misses a heartbeat (heartbeat.interval.ms, 3 s)."""
    return not static or away_ms > 3000


def static_always_rebalances_on_return(static, away_ms, session_timeout_ms):
    """The new process has a new member id, so it must be a new member."""
    return True


# -- 10.1: the loop ------------------------------------------------------------------------------
def target_at_once(owned, target, held_by_others):
    """Forgets reconciliation: the target, at once."""
    return "STABLE", sorted(target)


def ignores_other_owners(owned, target, held_by_others):
    """Revokes first, but hands out partitions other members still hold."""
    keep = sorted(set(owned) & set(target))
    if set(owned) - set(target):
        return "UNREVOKED_PARTITIONS", keep
    return "STABLE", sorted(target)


def assigns_while_revoking(owned, target, held_by_others):
    """Gives the free new partitions in the same answer that asks for a revocation."""
    keep = set(owned) & set(target)
    free = {tp for tp in target if tp not in held_by_others}
    state = "UNREVOKED_PARTITIONS" if set(owned) - set(target) else (
        "UNRELEASED_PARTITIONS" if set(target) - free else "STABLE")
    return state, sorted(keep | free)


def stable_while_waiting(owned, target, held_by_others):
    """Right partitions, but calls a member still waiting for partitions Stable."""
    state, parts = after_heartbeat(owned, target, held_by_others)
    return ("STABLE" if state == "UNRELEASED_PARTITIONS" else state), parts


def _produce_all(producer, records, transform):
    for m in records:
        producer.produce(OUTPUT, key=m.key(), value=transform(m.value()))


def _send_offsets(consumer, producer):
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata())


def consumer_commit_before_commit_transaction(consumer, producer, records, transform):
    producer.begin_transaction()
    _produce_all(producer, records, transform)
    _send_offsets(consumer, producer)
    consumer.commit(asynchronous=False)
    producer.commit_transaction()


def commit_outside_the_transaction(consumer, producer, records, transform):
    producer.begin_transaction()
    _produce_all(producer, records, transform)
    consumer.commit(asynchronous=False)
    producer.commit_transaction()


def offsets_after_commit_transaction(consumer, producer, records, transform):
    producer.begin_transaction()
    _produce_all(producer, records, transform)
    producer.commit_transaction()
    _send_offsets(consumer, producer)


def no_offsets_at_all(consumer, producer, records, transform):
    producer.begin_transaction()
    _produce_all(producer, records, transform)
    producer.commit_transaction()


def no_abort_on_error(consumer, producer, records, transform):
    producer.begin_transaction()
    _produce_all(producer, records, transform)
    _send_offsets(consumer, producer)
    producer.commit_transaction()


def abort_and_swallow_the_error(consumer, producer, records, transform):
    producer.begin_transaction()
    try:
        _produce_all(producer, records, transform)
        _send_offsets(consumer, producer)
        producer.commit_transaction()
    except Exception:
        producer.abort_transaction()


# -- 10.2: the configuration ---------------------------------------------------------------------
def _eos_without(consumer_change: dict[str, Any], producer_change: dict[str, Any] | None = None):
    def configure(group_id, transactional_id):
        consumer, producer = (dict(d) for d in eos_config(group_id, transactional_id))
        for config, change in ((consumer, consumer_change), (producer, producer_change or {})):
            for key, value in change.items():
                if value is None:
                    config.pop(key, None)
                else:
                    config[key] = value
        return consumer, producer
    return configure


# -- 11.1: porting a config ----------------------------------------------------------------------
def port_without_idempotence_rule(config, role, bootstrap_servers="localhost:9092"):
    ported = port_config(config, role, bootstrap_servers)
    if role == "producer" and "enable.idempotence" not in config:
        del ported["enable.idempotence"]
    return ported


def port_without_renaming(config, role, bootstrap_servers="localhost:9092"):
    ported = port_config(config, role, bootstrap_servers)
    for java, rdkafka in RENAMED.items():
        if rdkafka in ported:
            ported[java] = ported.pop(rdkafka)
    return ported


def port_idempotence_always_on(config, role, bootstrap_servers="localhost:9092"):
    ported = port_config(config, role, bootstrap_servers)
    if role == "producer" and "enable.idempotence" not in config:
        ported["enable.idempotence"] = True
    return ported


def port_without_java_defaults(config, role, bootstrap_servers="localhost:9092"):
    ported = port_config(config, role, bootstrap_servers)
    from minikafka.course.lessons.nb11 import JAVA_DEFAULTS
    for key in JAVA_DEFAULTS[role]:
        if key not in config:
            ported.pop(key, None)
    return ported


def release_ignores_the_limit(count, action, limit=5):
    return {"ACCEPT": "Acknowledged", "REJECT": "Archived"}.get(action, "Available")


def limit_off_by_one(count, action, limit=5):
    if action in ("RELEASE", "LOCK_EXPIRED"):
        return "Archived" if count > limit else "Available"
    return next_state(count, action, limit)


def reject_means_try_again(count, action, limit=5):
    return "Available" if action == "REJECT" else next_state(count, action, limit)


def expiry_archives(count, action, limit=5):
    return "Archived" if action == "LOCK_EXPIRED" else next_state(count, action, limit)


def one_owner_per_partition(members, partitions):
    """The classic rule: extra members stay idle."""
    order = sorted(members)
    out = {m: [] for m in members}
    for p in range(partitions):
        out[order[p % len(order)]].append(p)
    return out


def everyone_everything(members, partitions):
    return {m: list(range(partitions)) for m in members}


def unsorted_members(members, partitions):
    order = list(members)
    out = {m: [] for m in members}
    if len(order) >= partitions and partitions:
        for i, m in enumerate(order):
            out[m].append(i % partitions)
    else:
        for p in range(partitions):
            out[order[p % len(order)]].append(p)
    return out


WRONG = {
    "ex9_1": (range_assignor, [range_extra_to_last, range_ignoring_static_members, range_with_natural_sort,
                               roundrobin_assignor]),
    "ex9_2": (sticky_assignor, [range_assignor, roundrobin_assignor, keep_everything_owned]),
    "ex9_3": (partition_lag, [lag_committed_is_last_processed, lag_can_go_negative, lag_only_where_committed,
                              lag_zero_without_commit]),
    "ex9_4": (rebalances, [static_never_rebalances, nobody_rebalances_on_a_quick_restart,
                           static_compares_with_the_heartbeat_interval, static_always_rebalances_on_return]),
    "ex9_5": (after_heartbeat, [target_at_once, ignores_other_owners, assigns_while_revoking,
                                stable_while_waiting]),
    "ex10_1": (process_batch, [consumer_commit_before_commit_transaction, commit_outside_the_transaction,
                               offsets_after_commit_transaction, no_offsets_at_all, no_abort_on_error,
                               abort_and_swallow_the_error]),
    "ex10_2": (eos_config, [_eos_without({"isolation.level": None}), _eos_without({"enable.auto.commit": None}),
                            _eos_without({"auto.offset.reset": None}), _eos_without({}, {"acks": "1"}),
                            _eos_without({"isolation.level": "read_uncommitted"})]),
    "ex11_1": (port_config, [port_without_idempotence_rule, port_without_renaming, port_idempotence_always_on,
                             port_without_java_defaults]),

    "ex12_1": (next_state, [release_ignores_the_limit, limit_off_by_one, reject_means_try_again, expiry_archives]),
    "ex12_2": (share_assignment, [one_owner_per_partition, everyone_everything, unsorted_members]),
}


@pytest.mark.parametrize("exercise", sorted(WRONG))
def test_the_reference_gets_ok(exercise, capsys, monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    getattr(checks, exercise)(WRONG[exercise][0])
    assert capsys.readouterr().out.startswith(f"[ok] {exercise}:")


@pytest.mark.parametrize("exercise, wrong", [(e, w) for e in sorted(WRONG) for w in WRONG[e][1]],
                         ids=lambda x: getattr(x, "__name__", x) if callable(x) else str(x))
def test_a_plausible_wrong_answer_gets_fail(exercise, wrong, capsys, monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    getattr(checks, exercise)(wrong)
    out = capsys.readouterr().out
    assert out.startswith(f"[fail] {exercise}"), out
    assert all(len(line) <= 100 for line in out.splitlines())
