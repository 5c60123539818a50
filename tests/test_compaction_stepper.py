"""The compaction lab: `compaction_step` sequences (what a learner's clicks do) over a real
PartitionLog and the real log cleaner, the text view and the figure, `CompactionStepper` driven
from Python as a learner drives it in a browser (`.click()`), and exercise 13.2's reference
(`compaction_survivors`) against the stepper and against a real cluster (kafka-semantics.md P2)."""
from __future__ import annotations

import copy
import html
import random
import re

import pytest

from minikafka import Cluster, viz, widgets
from minikafka.course.lessons.nb13 import compaction_survivors
from minikafka.storage.log_cleaner import delete_horizon
from minikafka.widgets.compaction_stepper import (CompactionState, actions, compaction_figure, compaction_table,
                                                  duration, new_state, records, step_buttons)

UPDATE, DELETE, ROLL, CLEAN, WAIT, RESET = "update a key", "delete a key", "roll", "clean", "wait 24 h", "reset"


@pytest.fixture(autouse=True)
def no_stdout(capsys):
    """Callbacks write only into their widget's Output, never to stdout."""
    yield
    out = capsys.readouterr().out
    assert out == "", out


def run(state: CompactionState, *steps: str) -> tuple[CompactionState, list[str]]:
    said = []
    for action in steps:
        state, message = widgets.compaction_step(state, action)
        said.append(message)
    return state, said


def log_of(s: CompactionState) -> list[tuple[int, str, str | None]]:
    return [(o, k, v) for o, k, v, _ in records(s.log)]


def snapshot(s: CompactionState) -> tuple:
    log = s.log
    return (log_of(s), [(seg.base_offset, seg.size) for seg in log.segments], log.log_end_offset,
            log.cleaner_checkpoint, [delete_horizon(b) for b in log.batches], s.now, s.next_key, s.next_delete,
            s.written, s.passes, dict(s.gone))


def text(html_widget) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_widget.value))


# --- compaction_step ----------------------------------------------------------------------------

def test_defaults_an_empty_log_four_keys_and_the_six_buttons():
    s = new_state()
    assert (s.keys, s.segment_bytes, s.delete_retention_ms, s.min_cleanable_ratio) == (
        ("k1", "k2", "k3", "k4"), 1024, 86_400_000, 0.5)
    assert s.log.log_end_offset == 0 and len(s.log.segments) == 1
    assert actions(s) == [UPDATE, DELETE, ROLL, CLEAN, WAIT, RESET]
    assert duration(0) == "0 s" and duration(90_000) == "90 s" and duration(120_000) == "2 min"
    assert duration(1500) == "1500 ms"


def test_update_cycles_through_the_keys_with_new_values():
    s, said = run(new_state(), *[UPDATE] * 5)
    assert said == [f"appended k{i % 4 + 1} = v{i + 1} at offset {i}" for i in range(5)]
    assert log_of(s) == [(0, "k1", "v1"), (1, "k2", "v2"), (2, "k3", "v3"), (3, "k4", "v4"), (4, "k1", "v5")]


def test_delete_appends_a_tombstone_for_the_next_key_that_has_a_value():
    s, said = run(new_state(), UPDATE, UPDATE, DELETE, DELETE)
    assert said[2:] == ["appended a tombstone for k1 (value None: it deletes k1) at offset 2",
                        "appended a tombstone for k2 (value None: it deletes k2) at offset 3"]
    assert log_of(s)[2:] == [(2, "k1", None), (3, "k2", None)]
    before = snapshot(s)
    s2, said = widgets.compaction_step(s, DELETE)            # no key has a value left
    assert s2 is s and snapshot(s) == before
    assert said == "not possible now: no key has a value now: update a key first"


def test_roll_closes_the_active_segment_and_an_empty_one_cannot_roll():
    s0 = new_state()
    s, said = widgets.compaction_step(s0, ROLL)
    assert s is s0 and said == ("not possible now: the active segment (from offset 0) is empty: append a record "
                                "first")
    s, said = run(s0, UPDATE, UPDATE, ROLL)
    assert said[-1] == ("rolled: segment 0 (offsets 0-1) is closed and dirty, so the cleaner may clean it; the "
                        "active segment now starts at offset 2")
    assert [seg.base_offset for seg in s.log.segments] == [0, 2]
    s2, said = widgets.compaction_step(s, ROLL)
    assert s2 is s and said.startswith("not possible now: the active segment (from offset 2) is empty")


def test_clean_with_every_record_in_the_active_segment_is_refused():
    s, _ = run(new_state(), UPDATE, UPDATE, UPDATE)
    before = snapshot(s)
    s2, said = widgets.compaction_step(s, CLEAN)
    assert s2 is s and snapshot(s) == before
    assert said == "not possible now: every record is in the active segment, which is never cleaned: roll first"


def test_compaction_step_never_changes_the_state_it_is_given():
    s0, _ = run(new_state(), UPDATE, UPDATE, UPDATE, UPDATE, DELETE, UPDATE, ROLL, UPDATE)
    for action in actions(s0):                            # every action is possible here
        before = snapshot(s0)
        s1, _ = widgets.compaction_step(s0, action)
        assert snapshot(s0) == before and s1 is not s0
    s1, _ = widgets.compaction_step(s0, CLEAN)
    assert len(log_of(s0)) == 7 and len(log_of(s1)) < 7


def test_superseded_records_go_and_the_survivors_keep_their_offsets():
    s, said = run(new_state(), *[UPDATE] * 6, ROLL, CLEAN)
    assert said[-1] == ("pass 1 at t=0 s over offsets [0, 6) (Kafka's cleaner would have chosen this log too): "
                        "removed 0 (k1, superseded by offset 4), 1 (k2, superseded by offset 5); "
                        "the cleaner point is now 6")
    assert log_of(s) == [(2, "k3", "v3"), (3, "k4", "v4"), (4, "k1", "v5"), (5, "k2", "v6")]
    assert s.gone[0].why == "superseded by offset 4" and s.gone[1].clean_pass == 1
    assert s.log.cleaner_checkpoint == 6 and s.log.log_end_offset == 6


def test_offsets_keep_their_gaps_pass_after_pass_and_segments_are_regrouped():
    s, said = run(new_state(), *[UPDATE] * 5, ROLL, CLEAN, *[UPDATE] * 3, ROLL, CLEAN)
    assert [o for o, _, _ in log_of(s)] == [4, 5, 6, 7]
    assert said[-1].endswith("segments 0, 5 were rewritten as segment 0; the cleaner point is now 8")
    assert [seg.base_offset for seg in s.log.segments] == [0, 8]
    assert sorted(s.gone) == [0, 1, 2, 3] and s.gone[1].clean_pass == 2


def test_the_active_segment_is_never_cleaned():
    s, _ = run(new_state(), UPDATE, UPDATE, ROLL, *[UPDATE] * 6)       # k3 k4 k1 k2 k3 k4 in the active segment
    active = s.log.segments[-1]
    batches = [(b.base_offset, b.records) for b in s.log.segment_batches(len(s.log.segments) - 1)]
    s, said = run(s, CLEAN)
    assert said[-1].startswith("pass 1 at t=0 s over offsets [0, 2) ")
    assert "removed nothing" in said[-1]                  # k1 and k2 come again only in the active segment
    assert s.log.segments[-1].base_offset == active.base_offset == 2
    assert [(b.base_offset, b.records) for b in s.log.segment_batches(len(s.log.segments) - 1)] == batches
    assert [o for o, _, _ in log_of(s)] == list(range(8))


def test_a_tombstone_survives_the_first_pass_and_goes_at_a_pass_after_wait():
    s, said = run(new_state(), UPDATE, UPDATE, DELETE, ROLL, CLEAN)
    assert said[-1] == ("pass 1 at t=0 s over offsets [0, 3) (Kafka's cleaner would have chosen this log too): "
                        "removed 0 (k1, superseded by offset 2); kept the tombstone at offset 2 and stamped it "
                        "with delete horizon t=24 h; the cleaner point is now 3")
    assert log_of(s) == [(1, "k2", "v2"), (2, "k1", None)]
    s, said = run(s, CLEAN)                               # a second pass before the horizon keeps it
    assert said[-1].endswith("removed nothing; the cleaner point is now 3") and (2, "k1", None) in log_of(s)
    s, said = run(s, WAIT)
    assert said[-1] == ("24 h passed (now t=24 h); the delete horizon of the tombstone at offset 2 has passed: "
                        "the next pass removes it (but Kafka's cleaner cleans this log only when its dirty ratio "
                        "says so)")
    s, said = run(s, CLEAN)
    assert said[-1] == ("pass 3 at t=24 h over offsets [3, 3) (Kafka's cleaner would not have chosen this log yet; "
                        "this button cleans anyway): removed 2 (k1, tombstone past its delete horizon); the "
                        "cleaner point is now 3")
    assert log_of(s) == [(1, "k2", "v2")]


def test_a_tombstones_time_starts_at_the_first_pass_that_keeps_it_not_at_its_write():
    s, said = run(new_state(), UPDATE, DELETE, ROLL, WAIT, WAIT)
    assert said[-1] == ("24 h passed (now t=48 h); no tombstone has a delete horizon yet: a tombstone's time "
                        "starts at the first pass that keeps it, not when it was written")
    s, said = run(s, CLEAN)
    assert log_of(s) == [(1, "k1", None)] and "delete horizon t=72 h" in said[-1]
    s, said = run(s, WAIT)
    assert said[-1] == "24 h passed (now t=72 h); the delete horizon of the tombstone at offset 1 has passed: " \
                       "the next pass removes it (but Kafka's cleaner cleans this log only when its dirty ratio " \
                       "says so)"


def test_a_short_delete_retention_and_an_earlier_horizon_still_pending():
    s, said = run(new_state(delete_retention_ms=60_000), UPDATE, DELETE, ROLL, CLEAN)
    assert actions(s)[4] == "wait 1 min"
    s, said = run(s, UPDATE, DELETE, ROLL, "wait 1 min", CLEAN, "wait 1 min")
    assert said[-1].startswith("1 min passed (now t=2 min); the delete horizon of the tombstone at offset 3 has")


def test_an_append_past_segment_bytes_rolls_the_segment_first():
    s, said = run(new_state(segment_bytes=200), UPDATE, UPDATE, UPDATE)
    assert said[-1] == ("appended k3 = v3 at offset 2; the append would have taken segment 0 past segment.bytes "
                        "(200 B), so it rolled first: a new active segment starts at offset 2")
    assert [seg.base_offset for seg in s.log.segments] == [0, 2]


def test_the_dirty_ratio_says_whether_kafka_would_clean_the_log():
    s, _ = run(new_state(), *[UPDATE] * 4, ROLL, CLEAN)
    table = compaction_table(s).splitlines()
    assert table[1] == ("dirty ratio 0.00 (0 B dirty of 344 B in rolled segments): not above "
                        "min.cleanable.dirty.ratio 0.5,")
    assert table[2] == "Kafka's cleaner would not choose this log yet"
    s, said = run(s, *[UPDATE] * 4, ROLL)                 # as many dirty bytes as clean ones: 0.5 is not above 0.5
    assert compaction_table(s).splitlines()[1:3] == [
        "dirty ratio 0.50 (344 B dirty of 688 B in rolled segments): not above min.cleanable.dirty.ratio 0.5,",
        "Kafka's cleaner would not choose this log yet"]
    s, said = run(s, UPDATE, ROLL)
    assert compaction_table(s).splitlines()[1:3] == [
        "dirty ratio 0.56 (430 B dirty of 774 B in rolled segments): above min.cleanable.dirty.ratio 0.5,",
        "Kafka's cleaner would choose this log now"]
    s, said = run(s, CLEAN)
    assert said[-1].startswith("pass 2 at t=0 s over offsets [4, 9) (Kafka's cleaner would have chosen this log "
                               "too): removed 0 (k1, superseded by offset 8), 1 (k2, superseded by offset 5),")


def test_reset_starts_afresh_and_unknown_actions_raise():
    s, said = run(new_state(), UPDATE, DELETE, ROLL, CLEAN, WAIT, RESET)
    assert snapshot(s) == snapshot(new_state()) and said[-1] == "reset: an empty log at t=0 s"
    with pytest.raises(ValueError, match="unknown action 'compact'"):
        widgets.compaction_step(s, "compact")


def test_step_buttons_say_what_each_action_does_or_why_not():
    b = step_buttons(new_state())
    assert b[UPDATE] == (True, "append k1 = v1 at offset 0")
    assert b[DELETE] == (False, "no key has a value now: update a key first")
    assert b[CLEAN] == (False, "every record is in the active segment, which is never cleaned: roll first")
    assert b[WAIT] == (True, "advance the clock by delete.retention.ms (24 h)")
    s, _ = run(new_state(), UPDATE, UPDATE)
    b = step_buttons(s)
    assert b[DELETE] == (True, "append a tombstone for k1 (value None) at offset 2")
    assert b[ROLL] == (True, "close the active segment 0: a new one starts at offset 2")


# --- the text view and the figure -----------------------------------------------------------------

SEQUENCE = [UPDATE] * 4 + [DELETE, ROLL, CLEAN, UPDATE, UPDATE, ROLL, UPDATE, UPDATE]
TABLE = [
    "t=0 s: log end offset 9; segments: 0 clean, 5 dirty, 7 active; cleaner point 5",
    "dirty ratio 0.33 (172 B dirty of 514 B in rolled segments): not above min.cleanable.dirty.ratio 0.5,",
    "Kafka's cleaner would not choose this log yet",
    "offset  segment   key  value",
    "     0  0 clean   k1   removed by pass 1: v1, superseded by offset 4",
    "     1  0 clean   k2   v2  (superseded by offset 6: the next pass removes it)",
    "     2  0 clean   k3   v3  (superseded by offset 7, in the active segment: kept for now)",
    "     3  0 clean   k4   v4  (superseded by offset 8, in the active segment: kept for now)",
    "     4  0 clean   k1   tombstone, delete horizon t=24 h  (superseded by offset 5: the next pass",
    "                       removes it)",
    "  -- cleaner point 5",
    "     5  5 dirty   k1   v5",
    "     6  5 dirty   k2   v6",
    "  -- active segment from 7 (never cleaned)",
    "     7  7 active  k3   v7",
    "     8  7 active  k4   v8",
    "  -- log end offset 9",
]


def test_the_table_after_a_fixed_sequence():
    s, _ = run(new_state(), *SEQUENCE)
    assert compaction_table(s).splitlines() == TABLE
    assert all(len(line) <= 100 for line in compaction_table(s).splitlines())
    assert max(len(x) for x in compaction_table(s, width=70).splitlines()) <= 70


def test_the_table_of_a_fresh_log_and_of_a_log_never_cleaned():
    assert compaction_table(new_state()).splitlines() == [
        "t=0 s: log end offset 0; segments: 0 active; cleaner point 0",
        "dirty ratio -: no rolled segment yet (the active segment never counts); Kafka's cleaner would not",
        "choose this log",
        "offset  segment  key  value",
        "  -- cleaner point 0; active segment from 0 (never cleaned); log end offset 0"]
    s, _ = run(new_state(), UPDATE, UPDATE, UPDATE, ROLL, UPDATE)
    assert compaction_table(s).splitlines()[3:] == [
        "offset  segment   key  value",
        "  -- cleaner point 0",
        "     0  0 dirty   k1   v1",
        "     1  0 dirty   k2   v2",
        "     2  0 dirty   k3   v3",
        "  -- active segment from 3 (never cleaned)",
        "     3  3 active  k4   v4",
        "  -- log end offset 4"]


def test_the_figure_builds_for_every_state():
    states = [new_state()]
    for action in SEQUENCE + [WAIT, CLEAN] + [UPDATE] * 40:
        states.append(widgets.compaction_step(states[-1], action)[0])
    for s in (states[0], states[7], states[len(SEQUENCE)], states[-1]):
        fig = compaction_figure(s)
        assert viz.png_bytes(fig).startswith(b"\x89PNG")
    labels = [t.get_text() for t in compaction_figure(states[7]).legends[0].get_texts()]
    assert labels == ["clean segment", "dirty segment", "active segment", "latest value of its key",
                      "superseded value", "tombstone", "tombstone with a delete horizon", "gap (removed by a pass)"]


# --- the widget -----------------------------------------------------------------------------------

def test_compaction_stepper_driven_by_clicks():
    import ipywidgets
    lab = widgets.CompactionStepper()
    assert isinstance(lab.box, ipywidgets.VBox) and isinstance(lab.out, ipywidgets.Output)
    assert bytes(lab.picture.value).startswith(b"\x89PNG")
    assert lab.clean.unavailable and lab.delete.unavailable and lab.roll.unavailable
    assert lab.clean.tooltip == "every record is in the active segment, which is never cleaned: roll first"
    for _ in range(4):
        lab.update.click()
    lab.delete.click()
    lab.roll.click()
    assert not lab.clean.unavailable and lab.roll.unavailable
    lab.clean.click()
    assert lab.last.startswith("pass 1 at t=0 s over offsets [0, 5)")
    lab.update.click()
    lab.update.click()
    lab.roll.click()
    lab.update.click()
    lab.update.click()
    assert lab.table().splitlines() == TABLE
    assert text(lab.text).splitlines() == lab.table().splitlines()
    assert text(lab.status).splitlines() == [
        "clock t=0 s; dirty ratio 0.33 (172 B dirty of 514 B in rolled segments): not above",
        "min.cleanable.dirty.ratio 0.5, Kafka's cleaner would not choose this log yet",
        "last: appended k4 = v8 at offset 8"]
    assert lab.said()[-1] == "t=0 s: appended k4 = v8 at offset 8"
    lab.wait.click()
    lab.clean.click()
    assert [o for o, _, _ in log_of(lab.state)] == [2, 3, 5, 6, 7, 8]      # k3 and k4 come again only in the active segment
    assert lab.last == ("pass 2 at t=24 h over offsets [5, 7) (Kafka's cleaner would not have chosen this log yet; "
                        "this button cleans anyway): removed 1 (k2, superseded by offset 6), 4 (k1, superseded by "
                        "offset 5); segments 0, 5 were rewritten as segment 0; the cleaner point is now 7")
    lab.reset.click()
    assert lab.state.log.log_end_offset == 0 and lab.state.now == 0 and lab.state.passes == 0


def test_an_unavailable_button_says_why_instead_of_acting():
    lab = widgets.CompactionStepper()
    before = snapshot(lab.state)
    lab.clean.click()
    assert snapshot(lab.state) == before
    assert lab.said() == ["not now: every record is in the active segment, which is never cleaned: roll first"]
    assert lab.clean.button_style == "" and lab.update.button_style == "primary"


def test_act_and_the_widget_options():
    lab = widgets.CompactionStepper(keys=("a", "b"), delete_retention_ms=1000, min_cleanable_dirty_ratio=0.1)
    assert lab.wait.description == "wait 1 s"
    assert lab.act(UPDATE) == "appended a = v1 at offset 0"
    assert lab.act(UPDATE) == "appended b = v2 at offset 1"
    assert lab.act(UPDATE) == "appended a = v3 at offset 2"


# --- exercise 13.2's reference ---------------------------------------------------------------------

def test_compaction_survivors_the_rule_stated():
    recs = [("a", "1"), ("b", "1"), ("a", "2"), ("b", None), (None, "x"), ("c", "1"), ("a", "3")]
    assert compaction_survivors(recs, 5) == [2, 3, 5, 6]
    assert compaction_survivors(recs, 5, tombstones_expired=True) == [2, 5, 6]
    assert compaction_survivors(recs, 0) == list(range(7))
    assert compaction_survivors(recs, 7) == [3, 5, 6] and compaction_survivors([], 0) == []
    assert compaction_survivors([("a", "1"), ("a", "2")], 1) == [0, 1]       # the active segment does not count
    with pytest.raises(ValueError):
        compaction_survivors(recs, 8)


@pytest.mark.parametrize("seed", range(6))
def test_compaction_survivors_agrees_with_the_stepper(seed):
    """Random clicks, one roll, one clean: the stepper's log is the reference's answer."""
    rng = random.Random(f"stepper-{seed}")
    s, written = new_state(keys=("k1", "k2", "k3")), []
    for _ in range(rng.randrange(2, 12)):
        s, _ = widgets.compaction_step(s, DELETE if rng.random() < 0.3 else UPDATE)
    active = s.log.log_end_offset
    s, _ = run(s, ROLL, *[UPDATE] * rng.randrange(0, 4))
    written = copy.deepcopy(log_of(s))
    s, _ = run(s, CLEAN)
    assert [o for o, _, _ in log_of(s)] == compaction_survivors([(k, v) for _, k, v in written], active)
    s, _ = run(s, WAIT, CLEAN)
    assert [o for o, _, _ in log_of(s)] == compaction_survivors([(k, v) for _, k, v in written], active, True)


def produce(c: Cluster, topic: str, recs) -> list[int]:
    """Produce (key, value) pairs one batch each; the offsets acknowledged, in order."""
    offsets: list[int] = []
    p = c.producer({"linger.ms": 0})

    def done(err, msg) -> None:
        assert err is None, err
        offsets.append(msg.offset())
    for key, value in recs:
        p.produce(topic, key=key.encode(), value=None if value is None else value.encode(), on_delivery=done)
        c.run(10)
    p.flush()
    return offsets


def compacted_cluster(seed: int, **topic) -> Cluster:
    c = Cluster(brokers=1, seed=seed, config={"log.cleaner.backoff.ms": 1000})
    c.create_topic("t", 1, 1, config={"cleanup.policy": "compact", "segment.bytes": 400,
                                      "min.cleanable.dirty.ratio": 0.01, **topic})
    return c


def random_records(rng: random.Random, n: int) -> list[tuple[str, str | None]]:
    return [(rng.choice("abcde"), None if rng.random() < 0.25 else f"v{i}") for i in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_compaction_survivors_agrees_with_a_real_cluster(seed):
    rng = random.Random(f"cluster-{seed}")
    recs = random_records(rng, 30)
    c = compacted_cluster(seed)
    assert produce(c, "t", recs) == list(range(30))
    c.run(20_000)
    assert c.trace.filter("log.clean")
    active = c.segments("t", 0)[1][-1]
    assert active.active and 0 < active.base_offset < 30
    assert [o for o, _, _ in c.log("t", 0)] == compaction_survivors(recs, active.base_offset)


@pytest.mark.parametrize("seed", [2, 3, 7])
def test_compaction_survivors_with_expired_tombstones_agrees_with_a_real_cluster(seed):
    """Expired tombstones go only at a pass after their horizon, and Kafka cleans the log only when
    it is dirty again (P2.321): new keys that supersede nothing make it so."""
    rng = random.Random(f"expired-{seed}")
    recs = random_records(rng, 20)
    assert compaction_survivors(recs, 20) != compaction_survivors(recs, 20, tombstones_expired=True)
    c = compacted_cluster(seed, **{"delete.retention.ms": 60_000})
    produce(c, "t", recs + [(f"fill{i}", "x") for i in range(12)])
    c.run(20_000)
    assert c.segments("t", 0)[1][-1].base_offset > 20            # every record of recs was cleanable
    kept = [o for o, _, _ in c.log("t", 0) if o < 20]
    assert kept == compaction_survivors(recs, 20)                # the tombstones are still there
    c.run(80_000)
    produce(c, "t", [(f"more{i}", "y") for i in range(12)])
    c.run(20_000)
    assert [o for o, _, _ in c.log("t", 0) if o < 20] == compaction_survivors(recs, 20, tombstones_expired=True)
