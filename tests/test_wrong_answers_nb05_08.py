"""The checks of notebooks 05-08 reject plausible wrong answers and accept the reference.

Each wrong answer below is a mistake a learner is likely to make (named in its docstring); the
check must print a `[fail]` line for it, and `[ok]` for the reference.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

from minikafka.config import MAX_INT
from minikafka.coordinator.internal_topics import partition_for
from minikafka.course import checks
from minikafka.course.lessons import nb05, nb06, nb07, nb08
from minikafka.errors import ConfigException
from minikafka.server.replication import effective_min_isr
from minikafka.storage.producer_state import SEQ_MOD, check_sequence

EXPECT = {"0": "NO_ACK", "1": "ACK_ON_APPEND"}


# -- 5.1 ----------------------------------------------------------------------------------------
def outcome_without_effective_minimum(acks, isr_size, min_insync, replication_factor=3):
    """Compares the ISR with min.insync.replicas, forgetting min(min_insync, rf)."""
    enough = isr_size >= min_insync
    if str(acks) in ("all", "-1"):
        return ("ACK_AFTER_ISR", True) if enough else ("NOT_ENOUGH_REPLICAS", False)
    return EXPECT[str(acks)], enough


def outcome_always_visible(acks, isr_size, min_insync, replication_factor=3):
    """Thinks an appended acks=0/1 record is always readable (pre-3.7 HW rule)."""
    enough = isr_size >= effective_min_isr(min_insync, replication_factor)
    if str(acks) in ("all", "-1"):
        return ("ACK_AFTER_ISR", True) if enough else ("NOT_ENOUGH_REPLICAS", False)
    return EXPECT[str(acks)], True


def outcome_refuses_every_acks(acks, isr_size, min_insync, replication_factor=3):
    """Thinks min.insync.replicas refuses acks=1 and acks=0 writes too."""
    if isr_size < effective_min_isr(min_insync, replication_factor):
        return "NOT_ENOUGH_REPLICAS", False
    return ("ACK_AFTER_ISR" if str(acks) in ("all", "-1") else EXPECT[str(acks)]), True


# -- 5.2 ----------------------------------------------------------------------------------------
def lost_even_with_acks_all(acks, records, fetched):
    """Thinks acks=all loses what the new leader lacks, like acks=1."""
    return list(range(min(fetched[0], records), records))


def lost_from_the_second_follower(acks, records, fetched):
    """Takes the follower cut off last (the most up to date) as the new leader."""
    if str(acks) in ("all", "-1"):
        return []
    return list(range(min(max(fetched), records), records))


def nothing_lost(acks, records, fetched):
    """Thinks a clean election never loses an acknowledged record."""
    return []


# -- 5.3 ----------------------------------------------------------------------------------------
def config_acks_one():
    """acks=1: fast, and loses what the leader alone had."""
    return {"acks": "1", "min.insync.replicas": 2, "unclean.leader.election.enable": False}


def config_min_isr_one():
    """min.insync.replicas=1: the ISR may shrink to the leader alone."""
    return {"acks": "all", "min.insync.replicas": 1, "unclean.leader.election.enable": False}


def config_min_isr_three():
    """min.insync.replicas=3: durable, but refuses writes with one broker down."""
    return {"acks": "all", "min.insync.replicas": 3, "unclean.leader.election.enable": False}


def config_unclean():
    """Unclean election on: an out-of-sync replica may lead."""
    return {"acks": "all", "min.insync.replicas": 2, "unclean.leader.election.enable": True}


# -- 6.1 ----------------------------------------------------------------------------------------
def reorder_keeping_duplicates(records):
    """Releases in order but never drops a copy."""
    nxt: dict = {}
    waiting: dict = {}
    out = []
    for r in records:
        key, seq, _ = r
        if seq < nxt.get(key, 0):
            out.append(r)
            continue
        waiting.setdefault(key, {})[seq] = r
        while nxt.get(key, 0) in waiting[key]:
            out.append(waiting[key].pop(nxt.get(key, 0)))
            nxt[key] = nxt.get(key, 0) + 1
    return out


def reorder_sorting_everything(records):
    """Sorts per key at the end, releasing the records still waiting for a gap."""
    seen = sorted(set(records), key=lambda r: (str(r[0]), r[1]))
    return seen


def reorder_one_gap_blocks_all(records):
    """Lets a gap in one key hold back every key."""
    nxt: dict = {}
    held: list = []
    out = []
    for r in records:
        if r in held or r[1] < nxt.get(r[0], 0):
            continue
        held.append(r)
        progress = True
        while progress:
            progress = False
            for h in list(held):
                if h[1] == nxt.get(h[0], 0) and held[0] == h:
                    out.append(h)
                    held.remove(h)
                    nxt[h[0]] = h[1] + 1
                    progress = True
    return out


# -- 6.2 ----------------------------------------------------------------------------------------
def log_retries_in_send_order(records, max_in_flight, idempotent, lost, retries=MAX_INT):
    """Thinks retries go out in send order even without idempotence."""
    first = list(range(min(records, max_in_flight)))
    rest = list(range(len(first), records))
    retried = [] if retries == 0 else first
    if lost == "none":
        return first + rest
    if lost == "request":
        return retried + rest
    return first + ([] if idempotent else retried) + rest


def log_idempotence_changes_nothing(records, max_in_flight, idempotent, lost, retries=MAX_INT):
    """Forgets idempotence: reversed retries and duplicates in every case."""
    return nb06.log_after_loss(records, max_in_flight, False, lost, retries)


def log_only_the_lost_request_fails(records, max_in_flight, idempotent, lost, retries=MAX_INT):
    """Thinks only the lost request fails, not every request in flight on the connection."""
    everything = list(range(records))
    if lost == "none" or retries == 0 and lost == "response":
        return everything
    if lost == "request":
        return everything[1:] + ([] if retries == 0 else [0])
    return everything + ([] if idempotent else [0])


# -- 6.3 ----------------------------------------------------------------------------------------
def _effective(config):
    acks = str(config.get("acks", "all")).replace("-1", "all")
    return acks, int(config.get("retries", MAX_INT)), int(config.get("max.in.flight.requests.per.connection", 5))


def reorder_unless_explicitly_idempotent(config):
    """Ignores the silent switch-off: idempotent unless set to False."""
    acks, retries, in_flight = _effective(config)
    return config.get("enable.idempotence") is False and acks != "0" and retries > 0 and in_flight > 1


def reorder_ignoring_in_flight(config):
    """Forgets that one request in flight cannot be overtaken."""
    acks, retries, _ = _effective(config)
    idempotent = config.get("enable.idempotence", acks == "all" and retries != 0)
    return not idempotent and acks != "0" and retries > 0


def reorder_ignoring_acks_zero(config):
    """Forgets that acks=0 never retries."""
    acks, retries, in_flight = _effective(config)
    idempotent = config.get("enable.idempotence", acks == "all" and retries != 0)
    return not idempotent and retries > 0 and in_flight > 1


# -- 7.1 ----------------------------------------------------------------------------------------
def sequence_without_wrap(entry, epoch, first, last):
    """Expects last_sequence + 1 without the wrap to 0 after 2**31 - 1."""
    if entry is not None and epoch == entry.epoch and entry.last_sequence == SEQ_MOD - 1 and first == 0:
        return "OUT_OF_ORDER_SEQUENCE_NUMBER", -1
    return check_sequence(entry, epoch, first, last)


def sequence_duplicates_before_epoch(entry, epoch, first, last):
    """Looks for a duplicate before it checks the epoch."""
    if entry is not None:
        for f, lt, off, _ in entry.batches:
            if (f, lt) == (first, last):
                return None, off
    return check_sequence(entry, epoch, first, last)


def sequence_new_epoch_any_start(entry, epoch, first, last):
    """Accepts a newer epoch at any sequence."""
    if entry is not None and epoch > entry.epoch:
        return None, -1
    return check_sequence(entry, epoch, first, last)


def sequence_unknown_producer_from_zero(entry, epoch, first, last):
    """Without state, accepts only sequence 0."""
    if entry is None:
        return (None, -1) if first == 0 else ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1)
    return check_sequence(entry, epoch, first, last)


# -- 7.2 ----------------------------------------------------------------------------------------
def _keys(config):
    acks = str(config.get("acks", "all")).lower().replace("-1", "all")
    return (acks, int(config.get("retries", MAX_INT)), int(config.get("max.in.flight.requests.per.connection", 5)),
            "enable.idempotence" in config)


def idempotence_acks_before_retries(config):
    """Checks acks before retries: names acks when both conflict."""
    acks, retries, in_flight, explicit = _keys(config)
    enabled = bool(config["enable.idempotence"]) if explicit else True
    if explicit and enabled:
        if acks != "all":
            raise ConfigException("acks must be all for the idempotent producer")
        if retries == 0:
            raise ConfigException("retries must be non-zero for the idempotent producer")
    if enabled and in_flight > 5:
        raise ConfigException("max.in.flight.requests.per.connection must be at most 5")
    if not explicit and (acks != "all" or retries == 0):
        enabled = False
    if config.get("transactional.id") is not None and not enabled:
        raise ConfigException("transactional.id needs idempotence")
    return enabled


def idempotence_switch_off_first(config):
    """Switches idempotence off silently before checking the in-flight limit (Kafka 3.x)."""
    acks, retries, in_flight, explicit = _keys(config)
    if not explicit and (acks != "all" or retries == 0) and in_flight > 5:
        if config.get("transactional.id") is not None:
            raise ConfigException("transactional.id needs idempotence")
        return False
    return nb07.idempotence_enabled(config)


def idempotence_ignoring_transactional_id(config):
    """Forgets that a transactional.id needs idempotence."""
    return nb07.idempotence_enabled({k: v for k, v in config.items() if k != "transactional.id"})


# -- 7.3 ----------------------------------------------------------------------------------------
def ranges_without_wrap(batch_sizes, next_sequence=0):
    """Lets sequences grow past 2**31 - 1."""
    out, seq = [], next_sequence
    for n in batch_sizes:
        out.append((seq, seq + n - 1))
        seq += n
    return out


def ranges_counting_batches(batch_sizes, next_sequence=0):
    """One sequence per batch, not per record."""
    return [((next_sequence + i) % SEQ_MOD, (next_sequence + i) % SEQ_MOD) for i in range(len(batch_sizes))]


def ranges_off_by_one(batch_sizes, next_sequence=0):
    """last = first + n instead of first + n - 1."""
    out, seq = [], next_sequence
    for n in batch_sizes:
        out.append((seq, (seq + n) % SEQ_MOD))
        seq = (seq + n) % SEQ_MOD
    return out


# -- 8.1 ----------------------------------------------------------------------------------------
def _replay(steps, begin_holds_back=False, restart_aborts=True, commit_order=False, lso=True):
    log, fate, current, started, order = [], {}, {}, {}, []
    for step in steps:
        who, what = step.split(":")
        if what == "begin":
            current[who] = len(fate)
            fate[current[who]] = "open"
            started[current[who]] = len(log) if begin_holds_back else None
        elif what in ("commit", "abort") or what == "restart" and who in current:
            txn = current.pop(who)
            fate[txn] = what if what != "restart" else ("abort" if restart_aborts else "open")
            if fate[txn] == "commit":
                order.append(txn)
        elif what != "restart":
            txn = current.get(who) if who != "P" else None
            if txn is not None and started[txn] is None:
                started[txn] = len(log)
            log.append((what, txn))
    stop = min([started[t] for t, f in fate.items() if f == "open" and started[t] is not None] + [len(log)])
    if not lso:
        stop = len(log)
    kept = [(v, t) for v, t in log[:stop] if t is None or fate[t] == "commit"]
    if commit_order:
        kept.sort(key=lambda vt: -1 if vt[1] is None else order.index(vt[1]))
    return [v for v, _ in kept]


def committed_ignoring_lso(steps):
    """Returns every committed record, past an open transaction too."""
    return _replay(steps, lso=False)


def committed_lso_from_begin(steps):
    """Lets an open transaction hold the others back from its begin, not its first record."""
    return _replay(steps, begin_holds_back=True)


def committed_restart_keeps_open(steps):
    """Thinks a restart leaves the old instance's transaction open."""
    return _replay(steps, restart_aborts=False)


def committed_in_commit_order(steps):
    """Returns transactions in the order they committed, not in offset order."""
    return _replay(steps, commit_order=True)


# -- 8.2 ----------------------------------------------------------------------------------------
def lso_ignoring_decided(high_watermark, open_first_offsets, decided=()):
    """Forgets that a marker not yet below the HW still holds the LSO back."""
    return min([high_watermark, *open_first_offsets])


def lso_marker_strictly_above(high_watermark, open_first_offsets, decided=()):
    """Counts a marker at the HW as replicated (marker > HW instead of >=)."""
    return min([high_watermark, *open_first_offsets, *(f for f, m in decided if m > high_watermark)])


def lso_ignoring_hw(high_watermark, open_first_offsets, decided=()):
    """Forgets the HW when a transaction is open."""
    firsts = [*open_first_offsets, *(f for f, m in decided if m >= high_watermark)]
    return min(firsts) if firsts else high_watermark


# -- 8.3 ----------------------------------------------------------------------------------------
def _java_hash(key):
    h = 0
    for ch in key:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - 2**32 if h >= 2**31 else h


def partition_python_abs(key, partitions):
    """Python's abs: -2**31 becomes 2**31, not 0."""
    return abs(_java_hash(key)) % partitions


def partition_without_overflow(key, partitions):
    """Python's unbounded ints: no 32-bit wrap."""
    h = 0
    for ch in key:
        h = 31 * h + ord(ch)
    return abs(h) % partitions


def partition_unsigned(key, partitions):
    """Reads the hash as unsigned."""
    return (_java_hash(key) & 0xFFFFFFFF) % partitions


# -- 8.4 ----------------------------------------------------------------------------------------
def hangs_whenever_v1(transaction_version, verification, delay_ms):
    """Thinks every v1 cluster can hang, forgetting partition verification (on by default)."""
    return transaction_version == 1 and delay_ms > 30_000


def hangs_without_verification(transaction_version, verification, delay_ms):
    """Thinks v2 needs the verification config too (v2's leaders add partitions themselves)."""
    return not verification and delay_ms > 30_000


def hangs_whatever_the_delay(transaction_version, verification, delay_ms):
    """Forgets that abort_transaction() waits for an answer that comes in time: that write lands
    before the marker."""
    return transaction_version == 1 and not verification


def never_hangs(transaction_version, verification, delay_ms):
    """Thinks transaction.timeout.ms or the abort ends every transaction."""
    return False


WRONG: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("ex5_1", nb05.produce_outcome, outcome_without_effective_minimum),
    ("ex5_1", nb05.produce_outcome, outcome_always_visible),
    ("ex5_1", nb05.produce_outcome, outcome_refuses_every_acks),
    ("ex5_2", nb05.acked_then_lost, lost_even_with_acks_all),
    ("ex5_2", nb05.acked_then_lost, lost_from_the_second_follower),
    ("ex5_2", nb05.acked_then_lost, nothing_lost),
    ("ex5_3", nb05.durable_config, config_acks_one),
    ("ex5_3", nb05.durable_config, config_min_isr_one),
    ("ex5_3", nb05.durable_config, config_min_isr_three),
    ("ex5_3", nb05.durable_config, config_unclean),
    ("ex6_1", nb06.reorder, reorder_keeping_duplicates),
    ("ex6_1", nb06.reorder, reorder_sorting_everything),
    ("ex6_1", nb06.reorder, reorder_one_gap_blocks_all),
    ("ex6_2", nb06.log_after_loss, log_retries_in_send_order),
    ("ex6_2", nb06.log_after_loss, log_idempotence_changes_nothing),
    ("ex6_2", nb06.log_after_loss, log_only_the_lost_request_fails),
    ("ex6_3", nb06.can_reorder, reorder_unless_explicitly_idempotent),
    ("ex6_3", nb06.can_reorder, reorder_ignoring_in_flight),
    ("ex6_3", nb06.can_reorder, reorder_ignoring_acks_zero),
    ("ex7_1", check_sequence, sequence_without_wrap),
    ("ex7_1", check_sequence, sequence_duplicates_before_epoch),
    ("ex7_1", check_sequence, sequence_new_epoch_any_start),
    ("ex7_1", check_sequence, sequence_unknown_producer_from_zero),
    ("ex7_2", nb07.idempotence_enabled, idempotence_acks_before_retries),
    ("ex7_2", nb07.idempotence_enabled, idempotence_switch_off_first),
    ("ex7_2", nb07.idempotence_enabled, idempotence_ignoring_transactional_id),
    ("ex7_3", nb07.sequence_ranges, ranges_without_wrap),
    ("ex7_3", nb07.sequence_ranges, ranges_counting_batches),
    ("ex7_3", nb07.sequence_ranges, ranges_off_by_one),
    ("ex8_1", nb08.steps_after, committed_ignoring_lso),
    ("ex8_1", nb08.steps_after, committed_lso_from_begin),
    ("ex8_1", nb08.steps_after, committed_restart_keeps_open),
    ("ex8_1", nb08.steps_after, committed_in_commit_order),
    ("ex8_2", nb08.last_stable_offset, lso_ignoring_decided),
    ("ex8_2", nb08.last_stable_offset, lso_marker_strictly_above),
    ("ex8_2", nb08.last_stable_offset, lso_ignoring_hw),
    ("ex8_3", partition_for, partition_python_abs),
    ("ex8_3", partition_for, partition_without_overflow),
    ("ex8_3", partition_for, partition_unsigned),
    ("ex8_4", nb08.late_write_hangs, hangs_whenever_v1),
    ("ex8_4", nb08.late_write_hangs, hangs_without_verification),
    ("ex8_4", nb08.late_write_hangs, hangs_whatever_the_delay),
    ("ex8_4", nb08.late_write_hangs, never_hangs),
]


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)


@pytest.mark.parametrize("exercise, reference, wrong", WRONG, ids=[f"{e}-{w.__name__}" for e, _, w in WRONG])
def test_check_fails_a_plausible_wrong_answer(exercise, reference, wrong, capsys):
    getattr(checks, exercise)(wrong)
    out = capsys.readouterr().out
    assert out.startswith(f"[fail] {exercise}"), out


@pytest.mark.parametrize("exercise, reference", sorted({(e, r) for e, r, _ in WRONG}, key=lambda er: er[0]),
                         ids=sorted({e for e, _, _ in WRONG}))
def test_check_accepts_the_reference(exercise, reference, capsys):
    getattr(checks, exercise)(reference)
    assert capsys.readouterr().out.startswith(f"[ok] {exercise}:")


def test_every_check_of_notebooks_05_to_08_has_three_wrong_answers():
    counts = {e: sum(1 for x, _, _ in WRONG if x == e) for e, _, _ in WRONG}
    assert sorted(counts) == [f"ex{n}_{m}" for n in (5, 6, 7) for m in (1, 2, 3)] + [f"ex8_{m}" for m in (1, 2, 3, 4)]
    assert min(counts.values()) >= 3


def test_ex7_2_names_retries_when_retries_and_acks_both_conflict(capsys):
    """Kafka's ProducerConfig checks retries before acks; an answer naming acks fails."""
    with pytest.raises(ConfigException, match="retries must be non-zero"):
        nb07.idempotence_enabled({"enable.idempotence": True, "acks": "0", "retries": 0})
    checks.ex7_2(idempotence_acks_before_retries)
    assert "ConfigException naming retries" in capsys.readouterr().out
