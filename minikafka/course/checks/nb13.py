"""Checks of notebook 13, storage: segments, retention and compaction."""
from __future__ import annotations

import random
from typing import Any, Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb13 import compaction_survivors, overtaken, retention_deletes


def _segments(rng: random.Random) -> tuple[list[tuple[int, int, int]], int, int]:
    """A seeded log: 2-7 segments, newest timestamps mostly rising (now and then one out of order),
    the log end, and a time after the last write."""
    segs: list[tuple[int, int, int]] = []
    base, ts = rng.randrange(0, 50), rng.randrange(0, 20_000)
    for _ in range(rng.randrange(2, 8)):
        n = rng.randrange(1, 12)
        ts += rng.randrange(1000, 20_000)
        newest = ts + (rng.randrange(20_000, 60_000) if rng.random() < 0.15 else 0)   # a late clock
        segs.append((base, n * rng.randrange(80, 160), newest))
        base += n
    return segs, base, ts + rng.randrange(0, 60_000)


def ex13_1(fn: Callable[..., list[int]]) -> None:
    """retention_deletes(segments, log_end, now, retention_ms, retention_bytes, hw) against the
    broker's own retention pass on hand-made and seeded logs."""
    three = [(0, 1000, 10_000), (10, 1000, 20_000), (20, 1000, 30_000), (30, 500, 35_000)]
    hand: list[tuple[Any, ...]] = [
        (three, 35, 40_000, 15_000, -1, None),        # time: two old segments
        (three, 35, 40_000, 10_000, -1, None),        # 30 000 - 20 000 is not > 10 000: only the first
        (three, 35, 40_000, -1, 2000, None),          # size: stays at or above 2000 bytes
        (three, 35, 40_000, -1, 0, None),             # size 0: every segment, the active one included
        (three, 35, 40_000, 1000, -1, 25),            # the HW: nothing at or above it
        ([(0, 1000, 10_000), (10, 1000, 90_000), (20, 1000, 30_000), (30, 500, 35_000)], 35, 60_000, 15_000, -1, None),
        (three, 35, 100_000, 15_000, -1, None),       # the active segment too, once HW = LEO
        ([(0, 1000, 10_000), (10, 0, -1)], 10, 100_000, 15_000, -1, None),   # an empty active segment stays
    ]
    rng = random.Random("ex13_1")
    while len(hand) < 40:
        segs, end, now = _segments(rng)
        hw = None if rng.random() < 0.6 else rng.randrange(segs[0][0], end + 1)
        ms = rng.choice([-1, rng.randrange(5_000, 80_000)])
        size = -1 if ms >= 0 and rng.random() < 0.6 else rng.randrange(0, 2000)
        hand.append((segs, end, now, ms, size, hw))
    cases = [(args, f"segments={args[0]}, log_end={args[1]}, now={args[2]}, retention_ms={args[3]}, "
                    f"retention_bytes={args[4]}, hw={args[5]}") for args in hand]
    run("13_1", fn, retention_deletes, cases)


def ex13_3(fn: Callable[..., tuple[int | None, int | None]]) -> None:
    """overtaken(per_segment, retention_ms, check_interval_ms, reads_per_minute, policy) against
    the rule of lessons.nb13 on hand-made and seeded settings, both policies."""
    hand: list[tuple[Any, ...]] = [(10, 60_000, 30_000, 30, "earliest"), (10, 60_000, 30_000, 30, "latest"),
                                   (10, 60_000, 30_000, 59, "earliest"), (5, 20_000, 7_000, 20, "earliest"),
                                   (1, 10_000, 1_000, 50, "latest"), (30, 45_000, 60_000, 10, "earliest")]
    rng = random.Random("ex13_3")
    while len(hand) < 30:
        hand.append((rng.randrange(1, 40), rng.randrange(5, 300) * 1000, rng.randrange(1, 120) * 1000,
                     rng.randrange(1, 60), rng.choice(["earliest", "latest"])))
    cases = [(args, f"per_segment={args[0]}, retention_ms={args[1]}, check_interval_ms={args[2]}, "
                    f"reads_per_minute={args[3]}, policy={args[4]!r}") for args in hand]
    run("13_3", fn, overtaken, cases)


def _records(rng: random.Random) -> tuple[list[tuple[str | None, str | None]], int]:
    """A seeded log: 0-14 records over a few keys (now and then a keyless one, a tombstone in
    about one of four), and where its active segment starts."""
    keys = ["a", "b", "c", "d"][:rng.randrange(1, 5)]
    recs: list[tuple[str | None, str | None]] = []
    for i in range(rng.randrange(0, 15)):
        key = None if rng.random() < 0.1 else rng.choice(keys)
        recs.append((key, None if key is not None and rng.random() < 0.25 else f"v{i}"))
    return recs, rng.randrange(0, len(recs) + 1)


def ex13_2(fn: Callable[..., list[int]]) -> None:
    """compaction_survivors(records, active_from, tombstones_expired) against the broker's own
    log cleaner on hand-made and seeded logs, with and without expired tombstones."""
    updated = [("a", "1"), ("b", "1"), ("a", "2"), ("a", "3"), ("b", "2"), ("c", "1")]
    deleted = [("a", "1"), ("b", "1"), ("a", None), ("c", "1"), ("b", "2")]
    revived = [("a", "1"), ("a", None), ("b", "1"), ("a", "2"), ("b", "2")]
    keyless = [(None, "x"), ("a", "1"), (None, "y"), ("a", "2"), (None, "z")]
    hand: list[tuple[Any, ...]] = [
        (updated, 6), (updated, 4),              # a key updated several times; the active segment kept
        (deleted, 5), (deleted, 3),              # a tombstone as the latest of its key
        (revived, 5), (revived, 2),              # a tombstone followed by a new value
        (keyless, 5), (keyless, 2),              # keyless records go below the active segment only
        (updated, 0), ([], 0),                   # everything in the active segment; an empty log
        ([("a", "1"), ("a", "2")], 1),           # the active segment's record does not count
        ([("a", None), ("a", None)], 2),         # two tombstones of one key
    ]
    rng = random.Random("ex13_2")
    while len(hand) < 30:
        hand.append(_records(rng))
    cases = [((recs, start, expired), f"records={recs}, active_from={start}, tombstones_expired={expired}")
             for recs, start in hand for expired in (False, True)]
    run("13_2", fn, compaction_survivors, cases)
