"""The share-group checkers (share_checks.py) on hand-built histories, and the campaign's
"share-groups" row: share consumers that process and accept every record while consumers crash
and brokers fail (KIP-932's at-least-once: redelivery allowed, every record accepted or archived
at the delivery limit)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from minikafka.chaos.campaign import MATRICES, campaign
from minikafka.chaos.checkers import (CHECKERS, KINDS, SHARE_CHECKERS, check_all, share_accepted_twice,
                                      share_redelivered, share_unaccepted)
from minikafka.chaos.history import History, ShareDelivery, encode
from minikafka.clients.consumer.share_consumer import ShareMessage

ROW = next(s for s in MATRICES["default"] if s.name == "share-groups")
LIMIT = 5


class H:
    """A history with one share group "jobs" on topic t: values p0-<seq> acked at t-0@<seq>."""

    def __init__(self, records: int = 2) -> None:
        self.h = History()
        self.t = 0
        self.h.declare_share("jobs", ["t"], LIMIT)
        for seq in range(records):
            s = self.h.send("p0", "producer-1", seq, "t", self.tick(), 0)
            self.h.delivered(s, None, 0, seq, self.tick())

    def tick(self) -> int:
        self.t += 1
        return self.t

    def deliver(self, offset: int, count: int = 1, consumer: str = "share-consumer-1", ack: str | None = "ACCEPT",
                outcome: str = "ok", error: str | None = None) -> ShareDelivery:
        """One delivery of t-0@offset, processed, then acknowledged `ack` with `outcome`."""
        record = SimpleNamespace(key=None, value=encode("p0", offset), headers=None, timestamp=0)
        d = self.h.share_delivery(consumer, "jobs", ShareMessage("t", 0, offset, record, count), self.tick())
        d.processed = self.tick()
        if ack is not None:
            self.h.share_acked(d, ack)
            if outcome != "pending":
                self.h.share_outcome(d, outcome, self.tick(), error)
        return d

    def final(self, records: int = 2) -> History:
        for seq in range(records):
            msg = SimpleNamespace(topic=lambda: "t", partition=lambda: 0, offset=lambda s=seq: s,
                                  value=lambda s=seq: encode("p0", s), leader_epoch=lambda: None)
            self.h.read("final", msg, "read_uncommitted", self.tick(), final=True)
        self.h.close(self.tick())
        return self.h


def only(report, kind: str):
    assert not report.ok and {a.kind for a in report.anomalies} == {kind}, report.render()
    return report.anomalies


# -- share_unaccepted (rule 11) ----------------------------------------------------------------------
def test_a_record_never_accepted_is_a_violation():
    b = H()
    b.deliver(0)
    b.deliver(1, ack="RELEASE")
    [a] = only(share_unaccepted(b.final()), "share_unaccepted")
    assert "never accepted p0-1 at t-0@1" in a.description and "RELEASE ok" in a.description
    b = H()
    b.deliver(0)
    [a] = only(share_unaccepted(b.final()), "share_unaccepted")
    assert "p0-1 at t-0@1: never delivered to its consumers" in a.description


def test_records_accepted_once_are_ok():
    b = H()
    b.deliver(0)
    b.deliver(1, ack="ACCEPT", outcome="failed", error="INVALID_RECORD_STATE")   # its lock had expired
    b.deliver(1, count=2, consumer="share-consumer-2")
    r = share_unaccepted(b.final())
    assert r.ok and "2 records the share groups had to accept" in r.checked


def test_a_record_delivered_up_to_the_limit_and_released_is_archived_not_lost():
    b = H()
    b.deliver(0)
    for count in range(1, LIMIT + 1):
        b.deliver(1, count=count, ack="RELEASE")
    r = share_unaccepted(b.final())
    assert r.ok and "1 archived at the delivery limit" in r.checked
    b = H()
    b.deliver(0)
    for count in range(1, LIMIT + 1):
        b.deliver(1, count=count, ack="RELEASE")
    b.h.share_final("jobs", "t", 0, 1, [(1, "Available")])              # yet its leader would deliver it again
    [a] = only(share_unaccepted(b.final()), "share_unaccepted")
    assert "holds it Available" in a.description
    b = H()
    b.deliver(0)
    for count in range(1, LIMIT):
        b.deliver(1, count=count, ack="RELEASE")
    [a] = only(share_unaccepted(b.final()), "share_unaccepted")                # one delivery short of it
    assert "counts 1, 2, 3, 4" in a.description


def test_an_unknown_outcome_counts_when_the_leader_applied_it():
    def history(final_state: str | None) -> History:
        b = H()
        b.deliver(0)
        b.deliver(1, outcome="unknown", error="REQUEST_TIMED_OUT")
        if final_state is not None:
            b.h.share_final("jobs", "t", 0, 1, [(1, final_state)])
        return b.final()
    assert share_unaccepted(history("Acknowledged")).ok
    assert share_unaccepted(history(None)).ok               # no final state: it never came back
    [a] = only(share_unaccepted(history("Acquired")), "share_unaccepted")
    assert "holds it Acquired" in a.description
    b = H()                                                  # start 2: terminal, and an ACCEPT was sent
    b.deliver(0)
    b.deliver(1, outcome="unknown", error="NETWORK_EXCEPTION")
    b.deliver(1, count=2, outcome="failed", error="INVALID_RECORD_STATE")
    b.h.share_final("jobs", "t", 0, 2, [])
    assert share_unaccepted(b.final()).ok


def test_an_acknowledgement_without_an_answer_at_the_end_is_unknown():
    b = H()
    d = b.deliver(0, outcome="pending")
    b.final(records=1)
    assert (d.outcome, d.note) == ("unknown", "no answer by the end of the run")


# -- share_accepted_twice (rule 12) and share_redelivered (rule 13) -----------------------------------
def test_two_successful_accepts_of_one_record_are_a_violation():
    b = H()
    b.deliver(0)
    b.deliver(0, count=2, consumer="share-consumer-2")
    b.deliver(1)
    [a] = only(share_accepted_twice(b.final()), "share_accepted_twice")
    assert "2 ACCEPTs of p0-0 at t-0@0 succeeded" in a.description
    b = H()
    b.deliver(0, outcome="failed", error="INVALID_RECORD_STATE")
    b.deliver(0, count=2, consumer="share-consumer-2")
    assert share_accepted_twice(b.final()).ok


def test_a_redelivered_record_is_reported_as_the_anomaly_kafka_allows():
    b = H()
    b.deliver(0)
    b.deliver(1, outcome="unknown", error="NETWORK_EXCEPTION")
    b.deliver(1, count=2, consumer="share-consumer-2")
    h = b.final()
    [a] = only(share_redelivered(h), "share_redelivered")
    assert "p0-1 at t-0@1 again: 2 deliveries seen (counts 1, 2)" in a.description and "processed 2" in a.description
    assert share_unaccepted(h).ok and share_accepted_twice(h).ok
    b = H()                                                  # a count above 1 alone: seen once, delivered twice
    b.deliver(0, count=2)
    b.deliver(1)
    assert [a.records[0].offset for a in share_redelivered(b.final()).anomalies] == [0]
    b = H()
    b.deliver(0)
    b.deliver(1)
    assert share_redelivered(b.final()).ok


def test_check_all_runs_the_share_checkers_only_for_histories_with_a_share_group():
    h = H().final()
    assert list(check_all(h)) == list(CHECKERS) + list(SHARE_CHECKERS)
    plain = History()
    assert list(check_all(plain)) == list(CHECKERS)
    assert list(check_all(plain, names=["share_redelivered"])) == ["share_redelivered"]
    assert set(SHARE_CHECKERS) <= set(KINDS)


def test_the_history_renders_deliveries_and_their_acknowledgements():
    b = H()
    b.deliver(0)
    b.deliver(1, outcome="failed", error="INVALID_RECORD_STATE")
    b.h.share_final("jobs", "t", 0, 1, [(1, "Available"), (2, "Acquired"), (3, "Acquired")])
    h = b.final()
    text = h.render()
    assert "share p0-0 at t-0@0 delivery 1 to share-consumer-1 (group jobs): processed t=" in text
    assert "ACCEPT failed INVALID_RECORD_STATE" in text
    assert "share deliveries: 2 to 1 consumer(s), 2 processed, 2 acknowledged (1 ok, 1 failed)" in h.summary()
    assert "start 1, in flight: @1 Available, @2-3 Acquired" in h.summary()


# -- the campaign row --------------------------------------------------------------------------------
def test_the_row_claims_kafkas_share_group_promises():
    w = dict(ROW.workload)
    assert ROW.guarantees == ("lost", "share_unaccepted", "share_accepted_twice")
    assert ROW.anomalies == ("share_redelivered",)
    assert (w["share_consumers"], w["consumers"], w["process_ms"]) == (2, 0, 1_000)
    assert w["broker_config"]["group.share.record.lock.duration.ms"] == 5_000
    assert dict(ROW.nemesis(5).params())["clients"] == (("producer", 2), ("share", 2))


@pytest.fixture(scope="module")
def short_campaign():
    [row] = campaign([ROW], range(3))
    return row


def test_a_short_campaign_redelivers_and_loses_nothing_acknowledged(short_campaign):
    assert short_campaign.runs == 3
    assert short_campaign.count("lost") == 0
    assert short_campaign.count("share_redelivered") > 0


def test_a_short_campaign_keeps_the_share_group_guarantees(short_campaign):
    for kind in ROW.guarantees:
        assert short_campaign.count(kind) == 0, kind
