"""Cluster.metrics(): Kafka's operator metrics, computed from the simulation (metrics/, the
*_metrics modules beside the code that feeds them, viz/metrics.py)."""
from __future__ import annotations

import math

import pytest

from minikafka import Cluster, viz
from minikafka.metrics.catalog import BY_NAME, CATALOG
from minikafka.metrics.stats import SAMPLE_MS, Histogram, Windowed, percentile
from minikafka.viz.metrics import panel_table, sample


def cluster(trace: bool = True, **topic_cfg) -> Cluster:
    c = Cluster(brokers=3, seed=3, trace=trace)
    c.create_topic("t", partitions=3, replication_factor=3, config={"min.insync.replicas": 2, **topic_cfg})
    return c


def produce(c: Cluster, n: int, **cfg) -> tuple[int, int]:
    p = c.producer({"acks": "all", "linger.ms": 0, **cfg})
    got = {"ok": 0, "failed": 0}
    for i in range(n):
        p.produce("t", value=b"v%d" % i, partition=i % 3,
                  on_delivery=lambda err, msg: got.__setitem__("ok" if err is None else "failed",
                                                               got["ok" if err is None else "failed"] + 1))
    p.flush(30)
    return got["ok"], got["failed"]


def leader(c: Cluster, p: int = 0) -> int:
    return c.partition_state("t", p).leader


def test_a_crashed_broker_shows_as_under_replicated_partitions_a_fenced_broker_and_no_isr_shrink_meter():
    c = cluster()
    produce(c, 6)
    before = c.metrics()
    assert before["UnderReplicatedPartitions"] == 0 and before["LeaderCount"] == 3
    c.crash_broker(2)
    c.run(30_000)
    after = c.metrics()
    assert after["UnderReplicatedPartitions"] == 3          # every partition had a replica on b2
    assert after["AtMinIsrPartitionCount"] == 3             # ISR 2 of min 2: one more loss blocks acks=all
    assert after["FencedBrokerCount"] == 1 and after["ActiveBrokerCount"] == 2
    assert after["OfflinePartitionsCount"] == 0 and after["LeaderCount"] == 3
    assert after["IsrShrinksPerSec"] == before["IsrShrinksPerSec"]   # the controller's removal is not a shrink
    assert sorted(after.brokers) == [1, 3]
    with pytest.raises(KeyError, match="no live broker 2"):
        after.broker(2)


def test_losing_min_isr_fails_produce_requests_and_counts_them():
    c = cluster()
    produce(c, 3)
    c.crash_broker(2)
    c.crash_broker(3)
    c.run(30_000)
    before = c.metrics()
    assert before["UnderMinIsrPartitionCount"] == 3
    ok, failed = produce(c, 3, retries=0)
    after = c.metrics()
    assert ok == 0 and failed == 3
    assert after["FailedProduceRequestsPerSec"] - before["FailedProduceRequestsPerSec"] == 3
    assert after.client("producer-2")["record-error-rate"] > 0


def test_a_lagging_follower_is_an_isr_shrink_then_an_expand_on_the_leaders_meters():
    c = cluster()
    produce(c, 3)
    lead = leader(c)
    follower = next(b for b in (1, 2, 3) if b != lead)
    c.cut(lead, follower)
    produce(c, 3, acks=1)                       # the leader's log moves on without it
    c.run(60_000)
    mid = c.metrics()
    assert mid["IsrShrinksPerSec"] >= 1 and mid.broker(lead)["IsrShrinksPerSec"] >= 1
    c.heal(lead, follower)
    c.run(20_000)
    after = c.metrics()
    assert after["IsrExpandsPerSec"] >= 1 and after["UnderReplicatedPartitions"] == 0


def test_an_unclean_election_is_counted_by_the_controller():
    c = Cluster(brokers=2, seed=3)
    c.create_topic("t", partitions=1, replication_factor=2, config={"unclean.leader.election.enable": True})
    lead = leader(c)
    other = next(b for b in (1, 2) if b != lead)
    c.crash_broker(other)
    c.run(30_000)                                   # the ISR shrinks to the leader alone
    c.crash_broker(lead)
    c.restart_broker(other)
    c.run(30_000)
    assert leader(c) == other and c.metrics()["UncleanLeaderElectionsPerSec"] == 1


def test_traffic_meters_count_leader_appends_consumer_bytes_and_follower_bytes_apart():
    c = cluster()
    produce(c, 9)
    k = c.consumer({"auto.offset.reset": "earliest"})
    from minikafka import TopicPartition
    k.assign([TopicPartition("t", p) for p in range(3)])
    assert len(k.consume(9, 10)) == 9
    m = c.metrics()
    assert m["MessagesInPerSec"] == 9
    assert m["BytesOutPerSec"] == m["BytesInPerSec"]        # each record read once by one consumer
    assert m["ReplicationBytesOutPerSec"] == 2 * m["BytesInPerSec"]   # two followers copy everything
    assert m["TotalTimeMs.FetchConsumer.p50"] >= 0 and m["TotalTimeMs.Produce.p99"] >= 1


def test_turning_the_trace_off_keeps_every_metric():
    def run(trace: bool) -> dict:
        c = cluster(trace=trace)
        produce(c, 5)
        c.crash_broker(1)
        c.run(20_000)
        m = c.metrics()
        return {"cluster": dict(m), "clients": m.clients}
    assert run(True) == run(False)


def test_a_restarted_broker_counts_from_zero_while_the_cluster_total_keeps_its_old_counts():
    c = cluster()
    produce(c, 6)
    lead = leader(c)
    total = c.metrics()["MessagesInPerSec"]
    c.crash_broker(lead)
    c.run(20_000)
    c.restart_broker(lead)
    c.run(20_000)
    m = c.metrics()
    assert m.broker(lead)["MessagesInPerSec"] == 0 and m["MessagesInPerSec"] == total


def test_consumer_metrics_lag_commit_latency_and_rebalances():
    c = cluster()
    for _ in range(5):
        produce(c, 3)                               # five batches in each partition
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "max.poll.records": 1,
                    "fetch.max.bytes": 1})
    k.subscribe(["t"])
    assert k.poll(10) is not None
    k.commit(asynchronous=False)
    m = c.metrics().client(k.name)
    assert m["records-lag-max"] > 0
    assert m["commit-latency-avg"] >= 1
    assert m["rebalance-rate-per-hour"] > 0 and 0 <= m["last-rebalance-seconds-ago"] < 60


def test_the_producer_counts_retries_when_responses_are_lost():
    c = cluster()
    c.drop("ProduceResponse", count=2)
    ok, failed = produce(c, 3, **{"enable.idempotence": True})
    m = c.metrics().client("producer-1")
    assert ok == 3 and failed == 0
    assert m["record-retry-rate"] > 0 and m["record-send-rate"] > 0 and m["request-latency-avg"] >= 1


def test_every_catalogued_metric_is_in_a_snapshot_and_zookeeper_only_names_are_not():
    c = cluster()
    p = c.producer()
    k = c.consumer({"group.id": "g"})
    m = c.metrics()
    names = set(m) | set(m.client(p.name)) | set(m.client(k.name))
    assert names == {x.name for x in CATALOG}
    assert "LeaderElectionRateAndTimeMs" not in BY_NAME
    with pytest.raises(KeyError, match="'Nope' is not a cluster-wide metric"):
        m["Nope"]


def test_a_snapshot_does_not_change_afterwards():
    c = cluster()
    m = c.metrics()
    produce(c, 3)
    assert m["MessagesInPerSec"] == 0 and c.metrics()["MessagesInPerSec"] == 3


def test_windowed_rate_counts_at_least_one_full_sample_as_kafkas_rate_does():
    now = [0]
    w = Windowed(lambda: now[0])
    assert w.rate() == 0 and math.isnan(w.avg()) and math.isnan(w.max())
    for _ in range(30):
        w.record()
    now[0] = 10_000
    assert w.rate() == pytest.approx(30 / 40)          # 10 s elapsed, padded by one 30 s sample
    now[0] = SAMPLE_MS * 2 + 1
    assert w.rate() == 0                               # the only sample is older than the window


def test_histogram_percentiles_by_nearest_rank_over_the_last_1028_values():
    h = Histogram()
    for v in range(2000):
        h.update(v)
    assert h.percentile(0.5) == percentile(range(972, 2000), 0.5) == 1485.0
    assert math.isnan(Histogram().percentile(0.99))


def test_metrics_table_shows_was_now_delta_and_rate_for_meters():
    c = cluster()
    before = c.metrics()
    produce(c, 4)
    c.run(1000)
    after = c.metrics()
    text = viz.metrics_table(before, after, names=["MessagesInPerSec", "UnderReplicatedPartitions"])
    lines = text.splitlines()
    assert lines[1].split() == ["metric", "was", "now", "delta", "per", "s"]
    assert lines[2].split()[:4] == ["MessagesInPerSec", "0", "4", "+4"] and len(lines[2].split()) == 5
    assert lines[3].split() == ["UnderReplicatedPartitions", "0", "0", "0"]
    assert all(len(line) <= 100 for line in lines)
    changed = viz.metrics_table(before, after)
    assert "MessagesInPerSec" in changed and "UnderReplicatedPartitions" not in changed
    with pytest.raises(TypeError, match="before must be a snapshot"):
        viz.metrics_table({}, after)
    with pytest.raises(ValueError, match="older than before"):
        viz.metrics_table(after, before)


def test_the_metrics_figure_and_panel_draw_from_snapshots():
    c = cluster()
    snaps = sample(c, 3000, 1000)
    assert [s.now for s in snaps] == [c.now - 3000 + 1000 * i for i in range(4)]
    fig = viz.metrics_figure(snaps)
    assert len(fig.axes) == 3
    text = panel_table(None, snaps[-1])
    assert text.splitlines()[1].split() == ["UnderReplicatedPartitions", "0"]
    assert max(len(line) for line in text.splitlines()) <= 50


def test_the_cluster_explorers_operator_panel_shows_what_a_crash_changed():
    pytest.importorskip("ipywidgets")
    from minikafka.widgets.cluster_explorer import ClusterExplorer
    e = ClusterExplorer()
    e.produce.click()
    e.broker.value = 2
    e.crash.click()
    e.run_ms.value = 30_000
    e.run.click()
    rows = {line.split()[0]: line.split()[1:] for line in e.panel.value.split("<pre")[1].splitlines()[1:]
            if line.strip() and not line.startswith("metric")}
    assert rows["UnderReplicatedPartitions"] == ["3", "+3"]
    assert rows["FencedBrokerCount"] == ["1", "+1"]
