"""The retention checkers (retention_checks.py) on hand-built histories, and the campaign's
"retention" row: a consumer too slow for its topic's retention.ms, overtaken by retention while
brokers fail (kafka-semantics.md #305, #313, #314: records that expire before they are read are
allowed; nothing acknowledged may go missing otherwise)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from minikafka.chaos.campaign import MATRICES, RetentionSetting, campaign, render_table, replay
from minikafka.chaos.history import History, Reset, encode
from minikafka.chaos.retention_checks import RETENTION_CHECKERS, RETENTION_KINDS, check_retention
from minikafka.chaos.workload_retention import RETENTION_MS

ROW = next(s for s in MATRICES["default"] if s.name == "retention")
IDEMPOTENT_ROW = next(s for s in MATRICES["default"] if s.name == "idempotent")
RET = 60_000
SEED = 0                    # a run of the row in which records expire (test_a_seeded_run_...)


class H:
    """A history on topic t, retention.ms `RET`: values p0-<i> sent at t=i ms and acked at t-<partition>@i."""

    def __init__(self, records: int = 6, partition: int = 0) -> None:
        self.h = History()
        self.h.declare_retention("t", RET)
        self.partition = partition
        for i in range(records):
            s = self.h.send("p0", "producer-1", i, "t", i, partition)
            self.h.delivered(s, None, partition, i, i + 1)

    def read(self, *offsets: int, consumer: str = "c0", at: int = 100_000, final: bool = False,
             value: bytes | None = None) -> "H":
        for o in offsets:
            msg = SimpleNamespace(topic=lambda: "t", partition=lambda: self.partition, offset=lambda o=o: o,
                                  value=lambda o=o: value if value is not None else encode("p0", o),
                                  leader_epoch=lambda: None)
            self.h.read(consumer, msg, "read_uncommitted", at, final=final, group=None if final else "chaos")
        return self

    def reset(self, kind: str, position: int, offset: int, consumer: str = "c0", at: int = 100_000,
              final: bool = False) -> Reset:
        policy = "earliest" if kind in ("out_of_range", "no_offset") else None
        return self.h.reset(consumer, "t", self.partition, kind, position, offset, at, policy, final)

    def check(self) -> dict:
        self.h.close(200_000)
        return check_retention(self.h)


def failures(verdicts: dict) -> dict[str, int]:
    return {name: len(r.anomalies) for name, r in verdicts.items() if not r.ok}


def expired_history() -> H:
    """c0 read 0-1, fell behind; retention deleted 2-3 (the log start moved to 4); it got
    OFFSET_OUT_OF_RANGE at 2 and reset to 4, then read 4-5. The final reader found the log
    start at 6 (everything expired by then)."""
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1)
    x.reset("out_of_range", 2, 4, at=90_000)
    x.read(4, 5, at=95_000)
    x.reset("no_offset", -1, 6, consumer="final", at=150_000, final=True)
    return x


# -- hand-made histories -------------------------------------------------------------------------
def test_records_that_expired_before_they_were_read_are_reported_but_pass():
    verdicts = expired_history().check()
    assert list(verdicts) == list(RETENTION_CHECKERS) and failures(verdicts) == {}
    expired = verdicts["expired"]
    assert expired.ok and expired.kinds() == {"expired": 1}
    [a] = expired.anomalies
    assert "2 acknowledged records of t-0 (offsets 2-3) expired before c0 read them" in a.description
    assert "it was at 2 and reset to the log start 4" in a.description
    assert expired.checked.startswith("2 of 6 acknowledged records expired before they were read, in 1 resets")
    assert "expired: ok (2 of 6" in expired.render()


def test_a_record_the_consumer_skipped_without_a_reset_is_lost():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 4, 5)                      # no reset between 1 and 4: 2 and 3 still existed
    verdicts = x.check()
    assert failures(verdicts) == {"lost": 2, "poll_skip": 1}
    assert [a.records[0].offset for a in verdicts["lost"].anomalies] == [2, 3]
    assert "read past offset 2 without it and no reset jumped over it" in verdicts["lost"].anomalies[0].description
    assert "skipping records at 2-3" in verdicts["poll_skip"].anomalies[0].description
    assert verdicts["expired"].anomalies == []


def test_a_record_at_or_above_the_log_start_missing_from_the_final_read_is_lost():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2, 3, 4, 5)
    x.reset("no_offset", -1, 3, consumer="final", at=150_000, final=True)
    x.read(3, 5, consumer="final", at=150_000, final=True)        # 4 is gone, above the log start 3
    verdicts = x.check()
    assert failures(verdicts) == {"lost": 1, "poll_skip": 1}
    [a] = verdicts["lost"].anomalies
    assert a.records[0].offset == 4 and "the final read from the log start missed it" in a.description


def test_a_reset_past_records_younger_than_retention_is_early_expiry():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1)
    x.reset("out_of_range", 2, 4, at=RET + 2)    # p0-2 was sent at t=2: deleted no earlier than t > RET + 2
    x.read(4, 5)
    verdicts = x.check()
    assert failures(verdicts) == {"early_expiry": 1}
    assert "past 2 records sent less than retention.ms=60000 earlier (offsets 2-3" in \
        verdicts["early_expiry"].anomalies[0].description
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1)
    x.reset("out_of_range", 2, 4, at=RET + 4)     # p0-3 was sent at t=3: just late enough for both
    x.read(4, 5)
    assert failures(x.check()) == {}


def test_two_values_at_one_offset_are_inconsistent():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2)
    x.read(3, value=b"p9-3")                 # offset 3 was acknowledged for p0-3
    x.read(4, 5)
    verdicts = x.check()
    assert failures(verdicts) == {"inconsistent_offsets": 1, "lost": 1}
    assert "t-0@3 holds 2 different values: p0-3, p9-3" in verdicts["inconsistent_offsets"].anomalies[0].description


def test_reads_go_forward_except_across_a_reset():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2, 3)
    x.read(2, 3, 4, 5)                      # back to 2 with no reset
    verdicts = x.check()
    assert failures(verdicts) == {"nonmonotonic_poll": 1}
    assert "returned p0-2 at t-0@2 after its previous record at 3" in \
        verdicts["nonmonotonic_poll"].anomalies[0].description
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2, 3)
    x.reset("truncation", 4, 2)              # KIP-320 moved it back: allowed
    x.read(2, 3, 4, 5)
    assert failures(x.check()) == {}


def test_a_new_instance_resets_from_a_stale_committed_offset():
    """#314: c1 starts at its group's committed offset 2, already below the log start 5."""
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2)                          # c0 read up to 2, committed 2 (its first unprocessed), crashed
    x.reset("committed", -1, 2, consumer="c1")
    x.reset("out_of_range", 2, 5, consumer="c1", at=90_000)
    x.read(5, consumer="c1")
    verdicts = x.check()
    assert failures(verdicts) == {}
    [a] = verdicts["expired"].anomalies
    assert "2 acknowledged records of t-0 (offsets 3-4) expired before c1 read them" in a.description


def test_a_reset_to_latest_does_not_account_for_what_it_skipped():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1)
    r = x.reset("out_of_range", 2, 4)
    r.policy = "latest"
    x.read(4, 5)
    assert failures(x.check()) == {"lost": 2}


def test_records_beyond_where_the_consumer_got_are_left_to_the_final_read():
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2)
    verdicts = x.check()
    assert failures(verdicts) == {} and "3 beyond where the consumers got to" in verdicts["lost"].checked
    x = H()
    x.reset("no_offset", -1, 0)
    x.read(0, 1, 2)
    x.reset("no_offset", -1, 0, consumer="final", final=True)
    x.read(0, 1, 2, 3, 5, consumer="final", final=True)
    assert failures(x.check()) == {"lost": 1, "poll_skip": 1}


def test_the_history_renders_its_resets_and_retention():
    x = expired_history()
    text = x.h.render()
    assert "position t-0=4 of c0: OFFSET_OUT_OF_RANGE at 2, auto.offset.reset=earliest" in text
    assert "position t-0=6 of final (final read): no committed offset, auto.offset.reset=earliest" in text
    assert "positions set: 1 out_of_range, 2 no_offset; t: retention.ms=60000" in x.h.summary()
    with pytest.raises(ValueError):
        x.h.reset("c0", "t", 0, "seek", 0, 1, 0)


# -- the row -------------------------------------------------------------------------------------
def test_the_row_claims_kafkas_retention_promises_under_the_faults_profile():
    assert isinstance(ROW, RetentionSetting) and ROW.section == "anomalies" and ROW.profile == "faults"
    assert ROW.anomalies == ("expired",)
    assert set(ROW.guarantees) == set(RETENTION_KINDS) - {"expired"} | {"duplicate"}
    w = dict(ROW.workload)
    assert dict(w["topics"]["t"].config)["retention.ms"] == RETENTION_MS
    assert w["consumer_config"]["auto.offset.reset"] == "earliest" and w["processing"] == "process-then-commit"
    assert ROW.nemesis(5).schedule() == IDEMPOTENT_ROW.nemesis(5).schedule()     # the same clients, faults


@pytest.fixture(scope="module")
def seeded_run():
    return ROW.run(SEED)


def test_a_seeded_run_exhibits_expired_records_and_no_failure(seeded_run):
    r = seeded_run
    assert r.ok, r.report()
    assert r.anomalies().get("expired", 0) > 0
    assert list(r.verdicts) == ["duplicate", *RETENTION_CHECKERS]
    # the mechanism, not a script: each reset that jumped landed on a log start a broker's
    # retention pass had set, after it deleted segments by retention.ms
    jumps = [x for x in r.history.resets if x.kind == "out_of_range" and x.offset > x.position]
    assert jumps
    deletes = [e for e in r.cluster.trace if e.name == "segment.delete"]
    assert {e.fields["reason"] for e in deletes} == {"retention.ms"}
    for x in jumps:
        assert any(e.fields["tp"] == f"t-{x.partition}" and e.fields["log_start"] == x.offset and e.seq < x.trace_seq
                   for e in deletes), x


def test_the_row_is_deterministic(seeded_run):
    again = ROW.run(SEED)
    assert again.history.render() == seeded_run.history.render()
    assert again.report(limit=100) == seeded_run.report(limit=100)


def test_a_short_campaign_is_ok_and_replays():
    [row] = campaign([ROW], range(3))
    assert row.verdict() == "ok" and row.count("expired") == 3 and row.cells["expired"].first_seed == 0
    table = render_table([row])
    for kind in ("early_expiry", "inconsistent_offsets", "nonmonotonic_poll", "poll_skip"):
        assert kind in table.split("\n")[0]
    text = replay(ROW, 0, limit=1)
    assert "config retention (" in text and "expired: ok (" in text and "lost: ok (" in text


# -- the tiered row (workload_retention.py rule 14c) ----------------------------------------------
TIERED = next(s for s in MATRICES["default"] if s.name == "tiered")
TIERED_SEED = 0             # a run of the row whose slow consumer reads from the remote tier


def test_the_tiered_row_is_the_retention_workload_with_tiered_storage_on():
    assert isinstance(TIERED, RetentionSetting) and TIERED.section == "guarantees" and TIERED.profile == "faults"
    assert set(TIERED.guarantees) == set(RETENTION_KINDS) - {"expired"} | {"duplicate"} and TIERED.anomalies == ()
    w, r = dict(TIERED.workload), dict(ROW.workload)
    topic = dict(w["topics"]["t"].config)
    assert topic["remote.storage.enable"] is True and topic["local.retention.ms"] < topic["retention.ms"] == RETENTION_MS
    assert w["broker_config"]["remote.log.storage.system.enable"] is True
    assert w["broker_config"]["remote.log.manager.task.interval.ms"] <= 1_000
    assert {k: v for k, v in w.items() if k not in ("topics", "broker_config")} == \
        {k: v for k, v in r.items() if k not in ("topics", "broker_config")}


@pytest.fixture(scope="module")
def tiered_run():
    return TIERED.run(TIERED_SEED)


def test_a_seeded_tiered_run_reads_from_the_remote_tier_and_finds_no_failure(tiered_run):
    r = tiered_run
    assert r.ok, r.report()
    assert list(r.verdicts) == ["duplicate", *RETENTION_CHECKERS]
    # the mechanism: leaders copied closed segments, local retention deleted them, and fetches
    # below the local log start were served by the remote tier with records
    trace = list(r.cluster.trace)
    copies = [e for e in trace if e.name == "remote.copy"]
    local = [e for e in trace if e.name == "segment.delete" and e.fields["reason"] == "local.retention.ms"]
    reads = [e for e in trace if e.name == "remote.read" and e.fields.get("batches")]
    assert copies and local and reads
    assert min(e.seq for e in copies) < min(e.seq for e in local) < min(e.seq for e in reads)
    assert {e.fields["reason"] for e in trace if e.name == "remote.delete"} == {"retention.ms"}
    # the consumer returned records that, when it read them, only the remote tier held
    app = [x for x in r.history.reads if not x.final]
    assert any(x.offset >= e.fields["batches"][0] and x.offset <= e.fields["batches"][1] for e in reads for x in app)


def test_the_tiered_row_is_deterministic(tiered_run):
    again = TIERED.run(TIERED_SEED)
    assert again.history.render() == tiered_run.history.render()
    assert again.report(limit=100) == tiered_run.report(limit=100)
