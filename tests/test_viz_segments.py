"""viz.segments: the segments picture and the retention timeline. The text twins are exact for a
small seeded log, the tags come out right for hand-made views (below log start, clean, remote),
the figures draw one box per segment, the timeline is monotone and reproducible, bad arguments
are refused before anything happens."""
from __future__ import annotations

import dataclasses
import itertools
import re
import warnings

import pytest

from minikafka import Cluster, viz
from minikafka.cluster_storage import SegmentView
from minikafka.errors import KafkaException
from minikafka.viz._style import PALETTE
from minikafka.viz.segments import (BELOW, ReplicaSegments, SegmentsView, Timeline, retention_timeline,
                                    segment_tag, segments_figure, segments_table, segments_view, timeline_figure,
                                    timeline_table)

QUIET = {"log.retention.check.interval.ms": 3_600_000, "log.initial.task.delay.ms": 3_600_000}


def small() -> Cluster:
    """Five records of 104 bytes, one a second: segment.bytes 300 holds two batches."""
    c = Cluster(brokers=2, seed=5, config=QUIET)
    c.create_topic("s", 1, 2, config={"segment.bytes": 300})
    p = c.producer({"linger.ms": 0})
    for i in range(5):
        p.produce("s", key=f"k{i}", value=b"v" * 20)
        c.run(1000)
    return c


def retained(seed: int = 1) -> tuple[Cluster, object]:
    """The storage lesson's scenario: 1 KB segments, 60 s retention, a record a second."""
    c = Cluster(brokers=3, seed=seed, config={"log.retention.check.interval.ms": 5000,
                                              "log.initial.task.delay.ms": 5000})
    c.create_topic("events", 1, 3, config={"segment.bytes": 1024, "retention.ms": 60000})
    p = c.producer({"linger.ms": 0})
    for i in range(100):
        p.produce("events", key=b"k%d" % i, value=b"x" * 50)
        c.run(1000)
    return c, p


def seg(base: int, end: int, active: bool = False, where: str = "local", size: int = 100) -> SegmentView:
    return SegmentView(base, end, size, base * 10, active, where)


def hand_view() -> SegmentsView:
    """A tiered, compacted leader (log start 9800, remote segments up to 10000, cleaner point
    10060) and a follower whose log start lies inside its first segment."""
    leader = ReplicaSegments(1, "leader", True, 9800, 10090, 10100, 10060, (
        seg(9800, 9900, where="remote", size=4000), seg(9900, 10000, where="remote", size=4000),
        seg(10000, 10040, size=1600), seg(10040, 10070, size=1200), seg(10070, 10100, True, size=1200)))
    follower = ReplicaSegments(2, "follower", False, 10020, 10080, 10085, None, (
        seg(9990, 10050, size=2400), seg(10050, 10085, True, size=1400)))
    return SegmentsView("hand", 0, 1, (leader, follower), 1000, "")


def render(fig):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = fig._repr_png_()
    assert png.startswith(b"\x89PNG") and fig.axes
    assert re.fullmatch(r"<Figure size 900x\d+ with \d+ Axes>", repr(fig)), repr(fig)
    return fig


def boxes(fig) -> list:
    return [p for p in fig.axes[0].patches if p.get_gid() == "segment"]


# -- the text twin ---------------------------------------------------------------------------
def test_segments_table_of_a_small_seeded_log():
    assert segments_table(small(), "s", 0) == """\
s-0 at t=5084 ms: leader broker 1
settings: segment.bytes=300 retention.ms=604800000 retention.bytes=-1 cleanup.policy=delete
broker 1 (leader): log start 0, HW 5, LEO 5; 3 segments, 520 B
  base  end  bytes  newest record (ms)  segment
     0    2    208                1084  rolled
     2    4    208                3084  rolled
     4    5    104                4084  active
broker 2 (follower): log start 0, HW 5, LEO 5; 3 segments, 520 B
  base  end  bytes  newest record (ms)  segment
     0    2    208                1084  rolled
     2    4    208                3084  rolled
     4    5    104                4084  active"""


def test_delete_records_leaves_a_segment_below_the_log_start_until_a_retention_pass():
    c = small()
    assert c.delete_records("s", {0: 3}) == {0: 3}
    v = segments_view(c, "s", 0)
    for r in v.replicas:
        assert r.log_start == 3
        assert [segment_tag(s, r) for s in r.segments] == [BELOW, "rolled", "active"]   # [2, 4) holds offset 3
    assert "     0    2    208                1084  below log start" in segments_table(v).splitlines()
    c.run(3_600_000)                         # the first retention pass deletes [0, 2) and no more
    after = segments_view(c, "s", 0)
    assert [[s.base_offset for s in r.segments] for r in after.replicas] == [[2, 4], [2, 4]]
    assert BELOW not in segments_table(after)


def test_segments_view_is_a_frozen_snapshot_that_reads_only():
    c = small()
    trace_len, now = len(c.trace.events), c.now
    v = segments_view(c, "s", 0)
    assert (c.now, len(c.trace.events)) == (now, trace_len)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.replicas[0].log_start = 9                     # type: ignore[misc]
    p = c.producer({"linger.ms": 0})
    p.produce("s", key="later", value=b"v" * 20)
    c.run(1000)
    assert [r.leo for r in v.replicas] == [5, 5]         # the snapshot did not follow
    assert [r.leo for r in segments_view(c, "s", 0).replicas] == [6, 6]
    assert (v.leader, [r.role for r in v.replicas], [r.cleaner_point for r in v.replicas]) == (
        1, ["leader", "follower"], [None, None])


def test_a_compacted_log_shows_its_cleaner_point_and_a_deleting_one_none():
    c = Cluster(brokers=2, seed=5, config={"log.cleaner.backoff.ms": 1000})
    c.create_topic("c", 1, 2, config={"segment.bytes": 300, "cleanup.policy": ["compact"]})
    p = c.producer({"linger.ms": 0})
    for i in range(16):
        p.produce("c", key=f"k{i % 3}", value=b"v" * 20)          # three keys: most records are stale
        c.run(1000)
    c.run(5000)
    v = segments_view(c, "c", 0)
    text = segments_table(v)
    for r in v.replicas:
        point = c.brokers[r.broker].replicas[("c", 0)].log.cleaner_checkpoint
        assert r.cleaner_point == point > 0                            # the cleaner has run
        assert [segment_tag(s, r) == "clean" for s in r.segments] == [
            not s.active and s.end_offset <= point for s in r.segments]
        assert "clean" in [segment_tag(s, r) for s in r.segments]
        assert f"broker {r.broker} ({r.role}): log start 0, HW 16, LEO 16, cleaner point {point};" in text
    assert "cleanup.policy=compact" in text.splitlines()[1]
    deleting = small()                      # a log that is not compacted: whatever checkpoint it has means nothing
    assert [r.cleaner_point for r in segments_view(deleting, "s", 0).replicas] == [None, None]
    assert "cleaner" not in segments_table(deleting, "s", 0)


def test_tags_below_log_start_clean_remote_from_hand_made_views():
    r = ReplicaSegments(1, "leader", True, 20, 40, 40, 30, ())
    assert segment_tag(seg(0, 10), r) == BELOW
    assert segment_tag(seg(10, 20), r) == BELOW             # end == log start: every record below it
    assert segment_tag(seg(15, 25), r) == "clean"           # log start inside it, below the cleaner point
    assert segment_tag(seg(25, 31), r) == "rolled"          # ends past the cleaner point
    assert segment_tag(seg(31, 40, active=True), r) == "active"
    assert segment_tag(seg(0, 10, where="remote"), r) == "remote"
    assert segment_tag(seg(31, 40, active=True, where="remote"), r) == "remote"
    assert segment_tag(seg(20, 25), dataclasses.replace(r, cleaner_point=None)) == "rolled"


def test_segments_table_of_a_hand_made_tiered_and_compacted_view():
    assert segments_table(hand_view()) == """\
hand-0 at t=1000 ms: leader broker 1
broker 1 (leader): log start 9800, HW 10090, LEO 10100, cleaner point 10060; 5 segments, 12000 B
   base    end  bytes  newest record (ms)  segment
   9800   9900   4000               98000  remote
   9900  10000   4000               99000  remote
  10000  10040   1600              100000  clean
  10040  10070   1200              100400  rolled
  10070  10100   1200              100700  active
broker 2 (follower, not in ISR): log start 10020, HW 10080, LEO 10085; 2 segments, 3800 B
   base    end  bytes  newest record (ms)  segment
   9990  10050   2400               99900  rolled
  10050  10085   1400              100500  active"""


def test_segments_table_shows_the_newest_segments_and_counts_the_older_ones():
    r = ReplicaSegments(3, "offline", False, 0, 50, 50, None,
                        tuple(seg(i * 5, i * 5 + 5, active=i == 9) for i in range(10)))
    r = dataclasses.replace(r, segments=r.segments[:-1] + (SegmentView(45, 50, 0, -1, True),))
    lines = segments_table(SegmentsView("t", 2, -1, (r,), 7), max_segments=3).splitlines()
    assert lines == ["t-2 at t=7 ms: leader none (OFFLINE)",
                     "broker 3 (offline, not in ISR): log start 0, HW 50, LEO 50; 10 segments, 900 B",
                     "  (7 older segments [0..35), 700 B, not shown)",
                     "  base  end  bytes  newest record (ms)  segment",
                     "    35   40    100                 350  rolled",
                     "    40   45    100                 400  rolled",
                     "    45   50      0                   -  active"]


def test_segments_table_lines_fit_the_width_and_the_table_is_deterministic():
    c, _ = retained()
    text = segments_table(c, "events", 0)
    assert text == segments_table(retained()[0], "events", 0)
    assert all(len(line) <= 100 for line in text.splitlines())
    narrow = segments_table(c, "events", 0, width=60)
    assert all(len(line) <= 60 for line in narrow.splitlines()), narrow
    assert len(narrow.splitlines()) > len(text.splitlines())          # the settings line wrapped
    assert "broker 2 (leader): log start 35, HW 100, LEO 100; 10 segments, 8775 B" in text
    assert "    98  100    270               99084  active" in text


# -- the figure ------------------------------------------------------------------------------
def test_segments_figure_draws_a_box_per_segment_and_highlights_the_active_one():
    c, _ = retained()
    v = segments_view(c, "events", 0)
    fig = render(segments_figure(v))
    drawn = boxes(fig)
    assert len(drawn) == sum(len(r.segments) for r in v.replicas) == 30
    active = [b for b in drawn if b.get_facecolor()[:3] == _rgb(PALETTE["segment_active"])]
    assert len(active) == 3 and all(b.get_x() == 98 and b.get_width() == 2 for b in active)
    assert {b.get_x() for b in drawn} == set(range(35, 99, 7))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("log start 35") == 3 and texts.count("HW/LEO 100") == 3
    assert texts.count("deleted\n0..34") == 3                      # offsets 0-34: the grey zone


def test_segments_figure_of_a_hand_made_view_hatches_remote_and_greys_below_log_start():
    fig = render(segments_figure(hand_view()))
    drawn = boxes(fig)
    assert len(drawn) == 7
    assert [b.get_x() for b in drawn if b.get_hatch() == "///"] == [9800, 9900]
    clean = [b.get_x() for b in drawn if b.get_facecolor()[:3] == _rgb(PALETTE["segment_clean"])]
    assert clean == [10000]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "cleaner 10060" in texts and "log start 10020" in texts
    assert "deleted\n0..9799" in texts                              # a large zone: a labelled stub
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "remote tier" in legend and "clean (below the cleaner point)" in legend


def test_segments_figure_summarises_more_than_max_segments():
    r = ReplicaSegments(1, "leader", True, 0, 60, 60, None,
                        tuple(seg(i * 2, i * 2 + 2, active=i == 29) for i in range(30)))
    fig = render(segments_figure(SegmentsView("m", 0, 1, (r,)), max_segments=20))
    assert len(boxes(fig)) == 20 and min(b.get_x() for b in boxes(fig)) == 20
    assert "10 older\nnot drawn" in [t.get_text() for t in fig.axes[0].texts]


def test_segments_figure_of_a_fresh_and_of_an_offline_partition():
    c = Cluster(brokers=3, seed=7)
    c.create_topic("solo", 1, 1)
    fig = render(segments_figure(c, "solo", 0))
    assert len(boxes(fig)) == 1 and "empty log" in [t.get_text() for t in fig.axes[0].texts]
    from matplotlib.text import Text
    c.crash_broker(c.partition_state("solo", 0).leader)
    c.run(12_000)
    fig = render(segments_figure(c, "solo", 0))
    title = next(t for t in fig.axes[0].get_children() if isinstance(t, Text) and t.get_text().startswith("solo-0"))
    assert title.get_color() == PALETTE["broker_down"]                 # no leader: the title is red


# -- the retention timeline ----------------------------------------------------------------------
def timeline() -> Timeline:
    c, p = retained()
    n = iter(range(1000))
    return retention_timeline(c, "events", 0, 60_000, 2000,
                              each_step=lambda _: p.produce("events", key=b"m%d" % next(n), value=b"y" * 50))


def test_retention_timeline_samples_are_monotone_and_retention_moves_the_log_start():
    tl = timeline()
    s = tl.samples
    assert len(s) == 31 and [x.time - s[0].time for x in s] == list(range(0, 60_001, 2000))
    assert all(b.log_start >= a.log_start and b.leo >= a.leo for a, b in itertools.pairwise(s))
    assert all(x.log_start <= x.hw <= x.leo for x in s)
    assert s[0].log_start == 35 and s[-1].log_start > 35            # retention deleted old segments
    assert s[-1].leo == 130                                         # one record produced per step
    assert any(b.segments < a.segments for a, b in itertools.pairwise(s))


def test_timeline_table_is_deterministic_and_shows_every_kth_row():
    text = timeline_table(timeline())
    assert text == timeline_table(timeline())
    lines = text.splitlines()
    assert lines[:3] == ["events-0: the leader's log every 2000 ms, t=100084..160084 ms (31 samples)",
                         "t (ms)  leader  log start   HW  LEO  retained  segments  bytes",
                         "100084       2         35  100  100        65        10   8775"]
    assert len(lines) == 2 + 31 and not lines[-1].startswith("(")
    short = timeline_table(timeline(), max_rows=10).splitlines()
    assert short[-1] == "(one sample in 4 shown, and the last)"
    assert [r.split()[0] for r in short[2:-1]] == [str(100084 + 8000 * i) for i in range(8)] + ["160084"]


def test_retention_timeline_takes_a_shorter_last_step_and_an_idle_partition_only_loses_segments():
    c, _ = retained()
    tl = retention_timeline(c, "events", 0, 2500, 1000)
    assert [x.time - tl.samples[0].time for x in tl.samples] == [0, 1000, 2000, 2500]
    assert c.now == tl.samples[-1].time
    assert {x.leo for x in tl.samples} == {100}


def test_timeline_figure_draws_log_start_and_leo_with_segments_on_a_second_axis():
    fig = render(timeline_figure(timeline()))
    ax, twin = fig.axes
    assert len(ax.lines) == 2 and len(twin.lines) == 1
    assert [line.get_color() for line in ax.lines] == [PALETTE["leo"], PALETTE["log_start"]]
    assert ax.collections                                           # the retained window, shaded
    assert twin.get_ylabel() == "segments"


# -- arguments ------------------------------------------------------------------------------
def test_bad_arguments_are_refused_before_anything_runs():
    c = small()
    now = c.now
    for call in (lambda: segments_view(c, "nope", 0), lambda: segments_table(c, "nope", 0),
                 lambda: segments_figure(c, "nope", 0), lambda: retention_timeline(c, "nope", 0, 1000, 100)):
        with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
            call()
    with pytest.raises(KafkaException, match="_UNKNOWN_PARTITION"):
        segments_view(c, "s", 1)
    with pytest.raises(TypeError, match="topic must be a string"):
        segments_view(c, 5, 0)
    with pytest.raises(TypeError, match="partition must be an integer"):
        segments_table(c, "s", "0")
    with pytest.raises(TypeError, match="expected a SegmentsView or a Cluster"):
        segments_table(42)
    with pytest.raises(TypeError, match="a SegmentsView already names them"):
        segments_figure(hand_view(), "s", 0)
    with pytest.raises(TypeError, match="width must be an integer >= 60"):
        segments_table(c, "s", 0, width="100")
    with pytest.raises(ValueError, match="width must be an integer >= 60, got 10"):
        segments_table(hand_view(), width=10)
    with pytest.raises(ValueError, match="max_segments must be an integer >= 1, got 0"):
        segments_figure(hand_view(), max_segments=0)
    with pytest.raises(ValueError, match="every_ms must be an integer >= 1"):
        retention_timeline(c, "s", 0, 1000, 0)
    with pytest.raises(TypeError, match="duration_ms must be an integer >= 0"):
        retention_timeline(c, "s", 0, 1.5, 100)
    with pytest.raises(ValueError, match="at most 10000 steps"):
        retention_timeline(c, "s", 0, 10_001, 1)
    with pytest.raises(TypeError, match="each_step must be a function"):
        retention_timeline(c, "s", 0, 1000, 100, each_step=5)
    with pytest.raises(TypeError, match="timeline must be a Timeline"):
        timeline_table("x")
    with pytest.raises(TypeError, match="timeline must be a Timeline"):
        timeline_figure(None)
    assert c.now == now                                             # nothing ran


def test_the_pictures_are_exported_from_viz():
    for name in ("segments_view", "segments_table", "segments_figure", "retention_timeline", "timeline_table",
                 "timeline_figure"):
        assert name in viz.__all__ and getattr(viz, name) is globals()[name]


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb
    return to_rgb(colour)
