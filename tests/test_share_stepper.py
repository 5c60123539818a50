"""The share-partition lab: `share_step` sequences (what a learner's clicks do), the text twin of
the share-partition picture, the figure, and `ShareStepper` driven from Python as a learner
drives it in a browser (`.click()`), without a kernel."""
from __future__ import annotations

import html
import re

import pytest

from minikafka import viz, widgets
from minikafka.protocol.share_groups import ACKNOWLEDGED, ACQUIRED, ARCHIVED, AVAILABLE
from minikafka.widgets.share_stepper import StepperState, actions, new_state, span, step_buttons


@pytest.fixture(autouse=True)
def no_stdout(capsys):
    """Callbacks write only into their widget's Output, never to stdout."""
    yield
    out = capsys.readouterr().out
    assert out == "", out


def run(state: StepperState, *steps: str) -> tuple[StepperState, list[str]]:
    said = []
    for action in steps:
        state, message = widgets.share_step(state, action)
        said.append(message)
    return state, said


def states(s: StepperState) -> dict[int, tuple[int, int, str | None]]:
    return {o: (r[0], r[1], r[2]) for o, r in s.sp.records.items()}


def snapshot(s: StepperState) -> tuple:
    return (states(s), s.sp.spso, s.sp.next_offset, s.end_offset, {c: list(h) for c, h in s.held.items()},
            s.now, s.next_lock, dict(s.deadlines), set(s.crashed_locks))


def text(html_widget) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_widget.value))


# --- share_step -------------------------------------------------------------------------------

def test_defaults_eight_records_limit_five_three_per_poll_thirty_second_locks():
    s = new_state()
    assert (s.end_offset, s.sp.delivery_limit, s.max_records, s.lock_ms) == (8, 5, 3, 30_000)
    assert actions(s) == ["A polls", "A accepts", "A releases", "A rejects one", "A crashes",
                          "B polls", "B accepts", "B releases", "B rejects one", "B crashes",
                          "wait 30 s", "produce 3", "reset"]


def test_poll_then_accept_moves_the_spso():
    s, said = run(new_state(), "A polls")
    assert said == ["consumer A acquired offsets 0-2 (delivery count 1); they are locked for 30 s (until t=30 s)"]
    assert s.held["A"] == [0, 1, 2] and s.deadlines == {1: 30_000}
    assert states(s) == {o: (ACQUIRED, 1, "A") for o in range(3)}
    s, said = run(s, "A accepts")
    assert said == ["consumer A accepted offsets 0-2: Acknowledged, done; the SPSO moved from 0 to 3"]
    assert s.sp.spso == 3 and s.held["A"] == [] and s.deadlines == {} and states(s) == {}


def test_share_step_never_changes_the_state_it_is_given():
    s0 = new_state()
    before = snapshot(s0)
    s1, _ = widgets.share_step(s0, "A polls")
    assert snapshot(s0) == before and s1 is not s0
    s2, _ = widgets.share_step(s1, "A accepts")
    assert s1.held["A"] == [0, 1, 2] and s1.sp.spso == 0 and s2.sp.spso == 3


def test_an_ack_after_a_gap_leaves_the_spso_where_the_first_unfinished_record_is():
    s, said = run(new_state(), "A polls", "B polls", "B accepts")
    assert said[-1] == ("consumer B accepted offsets 3-5: Acknowledged, done; the SPSO stays at 0 "
                        "(offset 0 is still Acquired by A)")
    assert s.sp.spso == 0 and states(s)[3] == (ACKNOWLEDGED, 1, None)
    s, said = run(s, "A accepts")
    assert said[-1].endswith("the SPSO moved from 0 to 6")


def test_a_crashed_consumers_records_wait_for_the_lock_then_go_to_the_other_one_delivered_twice():
    s, said = run(new_state(), "A polls", "A crashes")
    assert said[-1] == ("consumer A crashed holding offsets 0-2: they stay Acquired until the lock expires at "
                        "t=30 s; a new A process can poll now")
    assert s.held["A"] == [] and states(s)[0] == (ACQUIRED, 1, "A") and s.crashed_locks == {1}
    s, said = run(s, "B polls")                 # the locked records are not B's to take
    assert s.held["B"] == [3, 4, 5]
    s, said = run(s, "B accepts", "wait 30 s")
    assert said[-1] == ("30 s passed (now t=30 s); the lock of consumer A (crashed) on offsets 0-2 expired: "
                        "offsets 0-2 Available again")
    assert s.now == 30_000 and s.crashed_locks == set() and s.deadlines == {}
    assert states(s) == {o: (AVAILABLE, 1, None) for o in range(3)} | {o: (ACKNOWLEDGED, 1, None) for o in (3, 4, 5)}
    s, said = run(s, "B polls")
    assert said[-1] == ("consumer B acquired offsets 0-2 (delivery count 2); they are locked for 30 s "
                        "(until t=60 s)")
    s, said = run(s, "B accepts")
    assert s.sp.spso == 6 and said[-1].endswith("the SPSO moved from 0 to 6")


def test_a_new_process_of_a_crashed_consumer_polls_at_once_and_gets_other_records():
    s, said = run(new_state(), "A polls", "A crashes", "A polls")
    assert s.held["A"] == [3, 4, 5] and s.crashed_locks == {1}
    assert said[-1].startswith("consumer A acquired offsets 3-5 (delivery count 1)")


def test_a_slow_live_consumer_loses_its_records_when_its_lock_expires():
    s, said = run(new_state(), "A polls", "wait 30 s")
    assert said[-1] == ("30 s passed (now t=30 s); the lock of consumer A on offsets 0-2 expired: offsets 0-2 "
                        "Available again (A took too long and can no longer acknowledge them)")
    assert s.held["A"] == []
    s2, said = run(s, "A accepts")
    assert s2 is s and said == ["consumer A has nothing to accept: it holds no records (it polls first)"]


def test_released_five_times_a_record_is_archived_instead_of_made_available_again():
    s = new_state()
    for count in range(1, 6):
        s, said = run(s, "A polls", "A releases")
        assert said[0].startswith(f"consumer A acquired offsets 0-2 (delivery count {count})")
    assert said[-1] == ("consumer A released offsets 0-2; offsets 0-2 all reached the delivery limit (5) and "
                        "were archived instead of made available again; the SPSO moved from 0 to 3")
    assert s.sp.spso == 3 and states(s) == {}
    s, said = run(s, "B polls")
    assert s.held["B"] == [3, 4, 5]


def test_a_lock_expiring_at_the_limit_archives_one_record():
    s = new_state(records=1, delivery_limit=2)
    s, said = run(s, "A polls", "A releases", "A polls", "A crashes", "wait 30 s")
    assert said[-1] == ("30 s passed (now t=30 s); the lock of consumer A (crashed) on offset 0 expired; offset 0 "
                        "reached the delivery limit (2) and was archived instead of made available again; "
                        "the SPSO moved from 0 to 1")


def test_reject_one_archives_the_lowest_held_offset():
    s, said = run(new_state(), "A polls", "A rejects one")
    assert said[-1] == ("consumer A rejected offset 0: Archived, never delivered again; it still holds offsets "
                        "1-2; the SPSO moved from 0 to 1")
    assert s.held["A"] == [1, 2] and s.sp.spso == 1


@pytest.mark.parametrize("action, message", [
    ("B accepts", "consumer B has nothing to accept: it holds no records (it polls first)"),
    ("A releases", "consumer A has nothing to release: it holds no records (it polls first)"),
    ("B rejects one", "consumer B has nothing to reject: it holds no records (it polls first)"),
])
def test_acknowledging_with_nothing_held_says_so_and_changes_nothing(action, message):
    s0 = new_state()
    before = snapshot(s0)
    s1, said = widgets.share_step(s0, action)
    assert s1 is s0 and snapshot(s0) == before and said == message


def test_polling_while_holding_records_or_with_nothing_left_is_refused():
    s, _ = run(new_state(), "A polls")
    s2, said = widgets.share_step(s, "A polls")
    assert s2 is s and said == ("consumer A still holds offsets 0-2: it accepts, releases or rejects them "
                                "before it polls again")
    s, _ = run(s, "B polls", "A accepts", "B accepts")
    s, _ = run(s, "A polls")
    assert s.held["A"] == [6, 7]
    s2, said = widgets.share_step(s, "B polls")
    assert s2 is s and said == ("consumer B got nothing: nothing to acquire: every produced record is held "
                                "or done; produce more or wait for a lock to expire")
    s, said = run(s, "produce 3", "B polls")
    assert said == ["3 records produced: offsets 8-10; the end offset is now 11",
                    "consumer B acquired offsets 8-10 (delivery count 1); they are locked for 30 s (until t=30 s)"]


def test_waiting_before_a_lock_is_due_expires_nothing():
    s, said = run(new_state(lock_ms=30_000), "A polls", "wait 30 s", "B polls", "A polls")
    assert s.deadlines == {2: 60_000, 3: 60_000}
    s, said = run(new_state(), "wait 30 s")
    assert said == ["30 s passed (now t=30 s); no record was locked, nothing changed"]


def test_reset_starts_afresh_and_unknown_actions_raise():
    s, said = run(new_state(), "A polls", "produce 3", "wait 30 s", "reset")
    assert snapshot(s) == snapshot(new_state()) and said[-1] == ("reset: 8 records produced (offsets 0-7), none "
                                                                 "delivered yet")
    with pytest.raises(ValueError, match="unknown action 'C polls'"):
        widgets.share_step(s, "C polls")


def test_step_buttons_say_why_an_action_is_not_possible():
    b = step_buttons(new_state())
    assert b["A polls"][0] and b["produce 3"][0] and b["reset"][0]
    assert b["A accepts"] == (False, "consumer A holds nothing: A polls first")
    assert b["wait 30 s"] == (False, "no record is locked: waiting would change nothing")
    s, _ = run(new_state(), "A polls")
    b = step_buttons(s)
    assert b["A polls"] == (False, "consumer A still holds offsets 0-2: accept, release or reject them before "
                                   "its next poll")
    assert b["A accepts"][0] and b["A crashes"][0] and b["wait 30 s"][0] and not b["B accepts"][0]


def test_span_writes_runs():
    assert span([5, 0, 1, 2, 7, 8]) == "0-2, 5, 7-8" and span([]) == ""


# --- the picture and its text twin ------------------------------------------------------------

def test_share_partition_table_one_line_per_offset_from_the_spso():
    s, _ = run(new_state(), "A polls", "A rejects one", "B polls", "A crashes", "B releases")
    table = viz.share_partition_table(s.sp, s.end_offset, deadlines=s.deadlines, crashed_locks=s.crashed_locks)
    assert table == "\n".join([
        "share-partition: SPSO 1, next offset to acquire 6, delivery limit 5, end offset 8",
        "offset  state              delivery count  held by",
        "     1  Acquired                        1  A (crashed), lock expires at t=30 s",
        "     2  Acquired                        1  A (crashed), lock expires at t=30 s",
        "     3  Available                       1  -",
        "     4  Available                       1  -",
        "     5  Available                       1  -",
        "     6  not yet delivered               -  -",
        "     7  not yet delivered               -  -",
        "(a poll takes the Available records first, lowest offset first, then new ones from the next offset)"])
    from_zero = viz.share_partition_table(s.sp, s.end_offset, first=0)
    assert from_zero.splitlines()[1] == "(offset 0 is below the SPSO: done, no longer tracked)"
    assert "     1  Acquired                        1  A\n" in from_zero


def test_share_partition_view_rows_and_limits():
    s, _ = run(new_state(), "A polls", "A accepts", "B polls")
    v = viz.share_partition_view(s.sp, s.end_offset, first=0)
    assert (v.spso, v.next_offset, v.end_offset, v.delivery_limit, v.hidden) == (3, 6, 8, 5, 0)
    assert [(r.offset, r.state, r.count, r.holder) for r in v.rows] == (
        [(o, "done (below the SPSO)", 0, None) for o in range(3)] + [(o, "Acquired", 1, "B") for o in (3, 4, 5)]
        + [(o, "not yet delivered", 0, None) for o in (6, 7)])
    assert v.holders == ("B",)
    long = viz.share_partition_view(s.sp, 100, first=0, max_cells=10)
    assert long.rows[0].offset == 3 and len(long.rows) == 10 and long.hidden == 87     # the SPSO stays in view
    with pytest.raises(ValueError):
        viz.share_partition_view(s.sp, 8, first=5)          # first is at most the SPSO


def test_the_table_fits_its_width():
    s, _ = run(new_state(), "A polls", "A crashes")
    for width in (60, 100):
        lines = viz.share_partition_table(s.sp, s.end_offset, width=width, deadlines=s.deadlines,
                                          crashed_locks=s.crashed_locks).splitlines()
        assert max(len(x) for x in lines) <= width


def test_the_figure_builds_for_every_state():
    s = new_state()
    s, _ = run(s, *["A polls", "A releases"] * 4, "A polls", "A crashes", "B polls", "B rejects one", "B accepts",
               "B polls", "B releases", "produce 3")
    assert {r[0] for r in s.sp.records.values()} == {AVAILABLE, ACQUIRED, ACKNOWLEDGED, ARCHIVED}
    assert states(s)[0] == (ACQUIRED, 5, "A")          # at the delivery limit, held by a crashed process
    fig = viz.share_partition_figure(s.sp, s.end_offset, title="demo", first=0, deadlines=s.deadlines,
                                     crashed_locks=s.crashed_locks)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["Available", "Acquired by A", "Acknowledged", "Archived", "not yet delivered",
                      "held by a crashed consumer"]
    assert viz.png_bytes(fig).startswith(b"\x89PNG")
    assert viz.png_bytes(viz.share_partition_figure(new_state(records=0).sp, 0)).startswith(b"\x89PNG")


# --- the widget -------------------------------------------------------------------------------

def test_share_stepper_driven_by_clicks():
    import ipywidgets
    lab = widgets.ShareStepper()
    assert isinstance(lab.box, ipywidgets.VBox) and isinstance(lab.out, ipywidgets.Output)
    assert bytes(lab.picture.value).startswith(b"\x89PNG")
    assert lab.a_accept.unavailable and "A polls first" in lab.a_accept.tooltip
    lab.a_poll.click()
    assert lab.state.held["A"] == [0, 1, 2]
    assert "consumer A acquired offsets 0-2 (delivery count 1)" in text(lab.status)
    assert "     0  Acquired                        1  A, lock expires at t=30 s" in text(lab.text)
    assert lab.a_poll.unavailable and not lab.a_accept.unavailable and not lab.wait.unavailable
    lab.a_crash.click()
    lab.b_poll.click()
    assert lab.state.held["B"] == [3, 4, 5]
    lab.b_accept.click()
    lab.wait.click()
    assert "the lock of consumer A (crashed) on offsets 0-2 expired" in lab.last
    lab.b_poll.click()
    assert lab.last.startswith("consumer B acquired offsets 0-2 (delivery count 2)")
    assert lab.said()[-1].startswith("t=30 s: consumer B acquired offsets 0-2")
    lab.b_accept.click()
    assert lab.state.sp.spso == 6
    assert "share-partition: SPSO 6, next offset to acquire 6" in text(lab.text)
    lab.produce.click()
    assert lab.state.end_offset == 11
    lab.reset.click()
    assert lab.state.end_offset == 8 and lab.state.sp.spso == 0 and lab.state.now == 0


def test_an_unavailable_button_says_why_instead_of_acting():
    lab = widgets.ShareStepper()
    before = lab.state
    lab.b_accept.click()
    assert lab.state is before
    assert lab.said() == ["not now: consumer B holds nothing: B polls first"]
    lab.b_release.click()
    assert len(lab.said()) == 2


def test_share_stepper_text_views_fit_100_columns():
    lab = widgets.ShareStepper()
    for button in (lab.a_poll, lab.b_poll, lab.a_crash, lab.wait, lab.b_release, lab.a_poll):
        button.click()
    for view in (lab.status, lab.text):
        assert max(len(x) for x in text(view).splitlines()) <= 100
    assert max(len(x) for x in lab.said()) <= 100
