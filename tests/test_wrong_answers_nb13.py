"""Plausible wrong answers to exercises 13.1-13.3 each get a [fail] line from their check, and the
reference gets [ok] (a check that accepted one of these would teach the mistake)."""
from __future__ import annotations

import pytest

from minikafka.course import checks
from minikafka.course.lessons.nb13 import compaction_survivors, overtaken, retention_deletes


# -- 13.1: which segments a retention pass deletes -------------------------------------------------
def _deletes(segments, log_end, now, retention_ms, retention_bytes=-1, hw=None, *, strict=True, stop=True,
             active=True, use_hw=True, size_rule="keep_at_least", age_from="newest"):
    """A retention pass written out, with switches for the mistakes below."""
    hw = log_end if hw is None or not use_hw else hw
    segs = list(segments)
    gone: list[int] = []

    def walk(test):
        nonlocal segs
        n = 0
        for i, (base, size, newest) in enumerate(segs):
            last = i == len(segs) - 1
            upper = log_end if last else segs[i + 1][0]
            if (last and size == 0) or (last and not active) or upper > hw:
                break
            if not test(i, base, size, newest):
                if stop:
                    break
                continue
            gone.append(base)
            n += 1
        segs = [s for s in segs if s[0] not in gone]

    if retention_bytes >= 0:
        excess = [sum(s[1] for s in segs) - retention_bytes]
        if excess[0] >= 0:
            def over(i, base, size, newest):
                if size_rule == "keep_at_least" and excess[0] - size < 0:
                    return False
                if size_rule == "while_over" and excess[0] <= 0:
                    return False
                excess[0] -= size
                return True
            walk(over)
    if retention_ms >= 0:
        def old(i, base, size, newest):
            ts = newest if age_from == "newest" else segments[0][2] if i == 0 else segments[i - 1][2]
            return now - ts > retention_ms if strict else now - ts >= retention_ms
        walk(old)
    return sorted(gone)


def deletes_at_exactly_retention_ms(*a):
    """Deletes a segment whose newest record is exactly retention.ms old."""
    return _deletes(*a, strict=False)


def deletes_every_old_segment_past_a_young_one(*a):
    """Keeps walking after a segment it keeps (a late timestamp does not pin later segments)."""
    return _deletes(*a, stop=False)


def never_deletes_the_active_segment(*a):
    """'Retention never deletes the active segment' (true only while the HW is below the LEO)."""
    return _deletes(*a, active=False)


def ignores_the_high_watermark(*a):
    """Deletes segments above the HW."""
    return _deletes(*a, use_hw=False)


def deletes_while_over_retention_bytes(*a):
    """Size retention that goes below retention.bytes (deletes while the log is over it)."""
    return _deletes(*a, size_rule="while_over")


# -- 13.2: what survives a compaction ---------------------------------------------------------------
def _survivors(records, active_from, tombstones_expired=False, *, first=False, whole_log=False, look_ahead=False,
               drop_tombstones=False, keep_keyless=False, renumber=False, expire_active=False):
    """One compaction written out, with switches for the mistakes below."""
    end = len(records) if whole_log else active_from
    scope = len(records) if look_ahead else end
    chosen: dict = {}
    for o, (k, _) in enumerate(records[:scope]):
        if k is not None and (not first or k not in chosen):
            chosen[k] = o
    out = []
    for o, (k, v) in enumerate(records):
        expired = v is None and (tombstones_expired or drop_tombstones)
        if o >= end:
            if not (expire_active and expired):
                out.append(o)
        elif k is None:
            if keep_keyless:
                out.append(o)
        elif chosen[k] == o and not expired:
            out.append(o)
    return list(range(len(out))) if renumber else out


def keeps_the_first_record_per_key(*a):
    """Keeps each key's first record instead of its latest."""
    return _survivors(*a, first=True)


def compacts_the_active_segment_too(*a):
    """Cleans the whole log, the active segment included."""
    return _survivors(*a, whole_log=True)


def counts_the_active_segment_as_a_later_record(*a):
    """Removes a record whose key comes again only in the active segment (the offset map covers
    the cleanable range only)."""
    return _survivors(*a, look_ahead=True)


def removes_tombstones_on_the_first_pass(*a):
    """Drops every latest tombstone at once (a tombstone lives delete.retention.ms after a pass)."""
    return _survivors(*a, drop_tombstones=True)


def keeps_keyless_records(*a):
    """Keeps keyless records below the active segment (they count as invalid and go)."""
    return _survivors(*a, keep_keyless=True)


def renumbers_the_survivors(*a):
    """Returns the survivors as 0..n-1 (compaction never renumbers: offsets keep gaps)."""
    return _survivors(*a, renumber=True)


def expires_tombstones_in_the_active_segment(*a):
    """Drops expired tombstones from the active segment as well."""
    return _survivors(*a, expire_active=True)


# -- 13.3: when retention overtakes a slow consumer -------------------------------------------------
def _overtaken(per_segment, retention_ms, check_interval_ms, reads_per_minute, policy="earliest",
               horizon_ms=3_600_000, *, at_or_below=False, latest_is_start=False, oldest=False, ge=False):
    start, t = 0, check_interval_ms
    while t <= horizon_ms:
        written = t // 1000 + 1
        active = (written - 1) // per_segment
        k = start // per_segment
        while k < active:
            age = t - (k * per_segment if oldest else (k + 1) * per_segment - 1) * 1000
            if not (age >= retention_ms if ge else age > retention_ms):
                break
            k += 1
        start = max(start, min(k * per_segment, written))
        pos = t * reads_per_minute // 60000
        if pos <= start - (0 if at_or_below else 1):
            return (t, start if policy == "earliest" or latest_is_start else written)
        t += check_interval_ms
    return (None, None)


def overtaken_when_position_equals_log_start(*a):
    """Counts a consumer whose position equals the log start as overtaken."""
    return _overtaken(*a, at_or_below=True)


def latest_resumes_at_the_log_start(*a):
    """auto.offset.reset=latest resumes at the log start, like earliest."""
    return _overtaken(*a, latest_is_start=True)


def ages_a_segment_by_its_oldest_record(*a):
    """Deletes a segment once its first record is older than retention.ms."""
    return _overtaken(*a, oldest=True)


def deletes_at_exactly_retention(*a):
    """Deletes a segment exactly retention.ms after its newest record."""
    return _overtaken(*a, ge=True)


WRONG = {
    "ex13_1": (retention_deletes, [deletes_at_exactly_retention_ms, deletes_every_old_segment_past_a_young_one,
                                   never_deletes_the_active_segment, ignores_the_high_watermark,
                                   deletes_while_over_retention_bytes]),
    "ex13_2": (compaction_survivors, [keeps_the_first_record_per_key, compacts_the_active_segment_too,
                                      counts_the_active_segment_as_a_later_record,
                                      removes_tombstones_on_the_first_pass, keeps_keyless_records,
                                      renumbers_the_survivors, expires_tombstones_in_the_active_segment]),
    "ex13_3": (overtaken, [overtaken_when_position_equals_log_start, latest_resumes_at_the_log_start,
                           ages_a_segment_by_its_oldest_record, deletes_at_exactly_retention]),
}


def test_the_written_out_pass_matches_the_reference_when_every_switch_is_right(capsys, monkeypatch):
    """The wrong answers differ from a correct answer by one switch each."""
    monkeypatch.delenv("MINIKAFKA_STRICT", raising=False)
    checks.ex13_1(_deletes)
    checks.ex13_3(_overtaken)
    checks.ex13_2(_survivors)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[ok] ex13_1") and out[1].startswith("[ok] ex13_3"), out
    assert out[2].startswith("[ok] ex13_2"), out


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
