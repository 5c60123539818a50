"""The compaction checkers (compaction_checks.py) on hand-built histories, and the campaign's
"compaction" row: keyed updates and tombstones on a compacted topic whose cleaner runs often,
while brokers fail (kafka-semantics.md #315-#321: superseded records and old tombstones may go;
a key's last acknowledged write may not, and a deleted key may not come back)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from minikafka.chaos.campaign import MATRICES, CompactionSetting, campaign, replay
from minikafka.chaos.compaction_checks import COMPACTION_CHECKERS, COMPACTION_KINDS, check_compaction
from minikafka.chaos.history import History, Send
from minikafka.chaos.workload_compaction import DELETE_RETENTION_MS, DIRTY_RATIO, SEGMENT_BYTES

ROW = next(s for s in MATRICES["default"] if s.name == "compaction")
IDEMPOTENT_ROW = next(s for s in MATRICES["default"] if s.name == "idempotent")
SEED = 4                    # a run of the row in which the cleaner also removes tombstones


class H:
    """A history on topic t-0: `write(key, tombstone)` sends and acks the next offset."""

    def __init__(self) -> None:
        self.h = History()
        self.n = 0

    def write(self, key: str, tombstone: bool = False, outcome: str = "acked") -> Send:
        s = self.h.send("p0", "producer-1", self.n, "t", self.n, 0)
        s.key, s.tombstone = key.encode(), tombstone
        if outcome == "acked":
            self.h.delivered(s, None, 0, self.n, self.n + 1)
        elif outcome == "failed":
            self.h.delivered(s, "_MSG_TIMED_OUT", 0, -1, self.n + 1)
        self.n += 1
        return s

    def read(self, offset: int, key: str, value: bytes | None, final: bool = True) -> "H":
        msg = SimpleNamespace(topic=lambda: "t", partition=lambda: 0, offset=lambda: offset, value=lambda: value,
                              key=lambda: key.encode(), leader_epoch=lambda: None)
        self.h.read("final" if final else "c0", msg, "read_uncommitted", 100_000, final=final,
                    group=None if final else "chaos")
        return self

    def check(self) -> dict:
        self.h.close(200_000)
        return check_compaction(self.h)


def failures(verdicts: dict) -> dict[str, int]:
    return {name: len(r.anomalies) for name, r in verdicts.items() if not r.ok}


def compacted() -> H:
    """k0 written at 0 and 1, k1 at 2, k0 deleted at 3, k1 rewritten at 4; the cleaner removed
    0, 1 and 2; the tombstone at 3 is still there."""
    x = H()
    x.write("k0"), x.write("k0"), x.write("k1"), x.write("k0", tombstone=True), x.write("k1")
    x.read(3, "k0", None).read(4, "k1", b"p0-4")
    return x


# -- hand-made histories -------------------------------------------------------------------------
def test_a_compacted_log_keeping_each_keys_last_write_passes():
    verdicts = compacted().check()
    assert list(verdicts) == list(COMPACTION_CHECKERS) and failures(verdicts) == {}
    assert verdicts["resurrected"].checked == "1 keys whose last acknowledged write is a tombstone"


def test_a_tombstone_gone_after_delete_retention_is_fine():
    x = H()
    x.write("k0"), x.write("k0", tombstone=True), x.write("k1")
    x.read(2, "k1", b"p0-2")                    # the tombstone at 1 was dropped after its horizon (#321)
    assert failures(x.check()) == {}


def test_an_older_value_in_place_of_the_last_acknowledged_is_a_lost_update():
    x = H()
    x.write("k0"), x.write("k1"), x.write("k0")
    x.read(0, "k0", b"p0-0").read(1, "k1", b"p0-1")      # k0's write at 2 is gone, its write at 0 kept
    verdicts = x.check()
    assert failures(verdicts) == {"lost_update": 1}
    [a] = verdicts["lost_update"].anomalies
    assert "key k0 of t-0: its last acknowledged write, p0-2 at offset 2" in a.description
    assert "the key is p0-0 at offset 0 in the final read" in a.description


def test_a_key_whose_last_value_is_absent_is_a_lost_update():
    x = H()
    x.write("k0"), x.write("k1")
    x.read(1, "k1", b"p0-1")
    verdicts = x.check()
    assert failures(verdicts) == {"lost_update": 1}
    assert "the key is absent" in verdicts["lost_update"].anomalies[0].description


def test_a_value_never_written_is_a_phantom():
    x = H()
    x.write("k0"), x.write("k1")
    x.read(0, "k0", b"p0-0").read(1, "k1", b"p0-1").read(2, "k1", b"p7-7")
    verdicts = x.check()
    assert failures(verdicts) == {"phantom": 1}
    assert "read p7-7 for key k1 at t-0@2: never written with that key there" in \
        verdicts["phantom"].anomalies[0].description
    x = H()
    x.write("k0"), x.write("k1")
    x.read(0, "k0", b"p0-0").read(1, "k1", b"p0-1").read(2, "k1", None)     # no tombstone was sent for k1
    assert failures(x.check()) == {"phantom": 1}
    x = H()
    x.write("k0"), x.write("k1")
    x.read(0, "k0", b"p0-0").read(1, "k1", b"p0-1").read(7, "k1", b"p0-0", final=False)   # k0's value under k1
    assert failures(x.check()) == {"phantom": 1}


def test_a_value_back_after_its_tombstone_is_resurrected():
    x = H()
    x.write("k0"), x.write("k1"), x.write("k0", tombstone=True)
    x.read(0, "k0", b"p0-0").read(1, "k1", b"p0-1")      # the tombstone went, the value it deleted stayed
    verdicts = x.check()
    assert failures(verdicts) == {"resurrected": 1}
    [a] = verdicts["resurrected"].anomalies
    assert "its last acknowledged write, a tombstone at offset 2" in a.description


def test_a_later_write_of_unknown_outcome_may_be_the_final_state():
    x = H()
    x.write("k0"), x.write("k0", tombstone=True), x.write("k0", outcome="unknown")
    x.read(2, "k0", b"p0-2")                    # the unknown write landed after the tombstone
    assert failures(x.check()) == {}
    x = H()
    x.write("k0"), x.write("k0", outcome="failed"), x.write("k0")
    x.read(3, "k0", b"p0-1")                    # a failed idempotent batch may still be in the log
    assert failures(x.check()) == {}


def test_a_record_at_another_offset_than_acknowledged_has_moved():
    x = H()
    x.write("k0"), x.write("k1")
    x.read(0, "k0", b"p0-0").read(5, "k1", b"p0-1")
    verdicts = x.check()
    assert failures(verdicts) == {"moved": 1}
    assert "read p0-1 at t-0@5; it was acknowledged at offset 1" in verdicts["moved"].anomalies[0].description


def test_the_final_read_goes_forward():
    x = H()
    x.write("k0"), x.write("k1")
    x.read(1, "k1", b"p0-1").read(0, "k0", b"p0-0")
    assert failures(x.check()) == {"final_order": 1}


def test_the_history_renders_keys_and_tombstones():
    text = compacted().h.render()
    assert "send p0-3 by producer-1 key k0 tombstone -> t-0@3 acked" in text
    assert "read None key k0 at t-0@3 by final" in text


# -- the row -------------------------------------------------------------------------------------
def test_the_row_claims_compactions_promises_under_the_faults_profile():
    assert isinstance(ROW, CompactionSetting) and ROW.section == "guarantees" and ROW.profile == "faults"
    assert set(ROW.guarantees) == set(COMPACTION_KINDS) | {"duplicate"} and ROW.anomalies == ()
    cfg = dict(dict(ROW.workload)["topics"]["t"].config)
    assert cfg["cleanup.policy"] == "compact" and cfg["segment.bytes"] == SEGMENT_BYTES
    assert cfg["min.cleanable.dirty.ratio"] == DIRTY_RATIO and cfg["delete.retention.ms"] == DELETE_RETENTION_MS
    assert ROW.nemesis(5).schedule() == IDEMPOTENT_ROW.nemesis(5).schedule()     # the same clients, faults


@pytest.fixture(scope="module")
def seeded_run():
    return ROW.run(SEED)


def test_a_seeded_run_compacts_and_keeps_every_keys_last_write(seeded_run):
    r = seeded_run
    assert r.ok, r.report()
    assert list(r.verdicts) == ["duplicate", *COMPACTION_CHECKERS]
    # the mechanism: the brokers' cleaners ran passes that removed records and tombstones ...
    cleans = [e for e in r.cluster.trace if e.name == "log.clean"]
    assert len(cleans) >= 10 and sum(e.fields["removed"] for e in cleans) > 0
    assert sum(e.fields["tombstones_removed"] for e in cleans) > 0
    # ... so superseded acknowledged offsets are absent from the final read, with gaps left
    final = {(x.partition, x.offset) for x in r.history.final_reads()}
    acked = [s for s in r.history.sends if s.outcome == "acked"]
    last: dict[tuple[int, bytes | None], int] = {}
    for s in acked:
        last[(s.partition, s.key)] = max(last.get((s.partition, s.key), -1), s.offset)
    superseded = [s for s in acked if s.offset < last[(s.partition, s.key)]]
    absent = [s for s in superseded if (s.partition, s.offset) not in final]
    assert superseded and len(absent) >= len(superseded) // 2
    assert len(final) < len(acked) // 2


def test_the_row_is_deterministic(seeded_run):
    again = ROW.run(SEED)
    assert again.history.render() == seeded_run.history.render()
    assert again.report(limit=100) == seeded_run.report(limit=100)


def test_a_short_campaign_is_ok_and_replays():
    [row] = campaign([ROW], range(3))
    assert row.verdict() == "ok" and row.runs == 3
    text = replay(ROW, 0, limit=1)
    assert "config compaction (" in text and "lost_update: ok (" in text and "resurrected: ok (" in text
