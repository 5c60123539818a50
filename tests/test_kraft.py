"""KRaft in the cluster: a controller quorum, the metadata log the brokers replicate, and what
happens to metadata (and what does not happen to data) when controllers fail."""
from __future__ import annotations

import pytest

from minikafka import Cluster, KafkaException
from minikafka.metadata.records import ProducerIdsRecord, RegisterBrokerRecord


def active(c: Cluster) -> int:
    return c.controller_state().leader


def test_a_quorum_of_three_elects_one_active_controller_and_every_broker_follows_its_log():
    c = Cluster(brokers=3, controllers=3, seed=1, config={"metadata.max.idle.interval.ms": 0})   # no NoOps: quiet
    q = c.controller_state()
    assert q.leader in (1, 2, 3) and q.epoch >= 1
    assert [v.active for v in q.voters].count(True) == 1
    assert all(not b.fenced for b in q.brokers)
    c.create_topic("t", 2, 3)
    c.run(1000)
    q = c.controller_state()
    hw = {v.high_watermark for v in q.voters}
    assert len(hw) == 1                                   # every voter has committed the same log
    committed = hw.pop()
    assert all(b.metadata_offset == committed - 1 for b in q.brokers)
    assert "active controller: c" in str(q)


def test_a_single_controller_leads_at_once_and_the_cluster_is_ready_in_milliseconds():
    c = Cluster(brokers=3, seed=1)
    assert c.controller_state().leader == 1 and c.now < 200


def test_brokers_learn_metadata_only_from_the_log_they_fetch():
    c = Cluster(brokers=3, seed=2)
    c.create_topic("t", 1, 3)
    kinds = {e.name for e in c.trace if e.kind == "send" and e.node.startswith("c")}
    assert "UpdateMetadata" not in kinds and "QuorumFetchResponse" in kinds
    registrations = [r.value for b in c.controller.storage.log.batches for r in b.records
                     if isinstance(r.value, RegisterBrokerRecord)]
    assert sorted(r.broker_id for r in registrations) == [1, 2, 3]


def test_a_broker_is_unfenced_only_once_it_has_applied_its_own_registration():
    c = Cluster(brokers=3, seed=3)
    for e in c.trace.filter(name="broker.unfence"):
        broker = e.fields["broker"]
        epoch = c.controller.image.brokers[broker].epoch
        sent = [h for h in c.trace.filter(name="BrokerHeartbeat", node=f"b{broker}", kind="send") if h.time <= e.time]
        assert sent and sent[-1].fields["offset"] >= epoch


def test_the_active_controller_fails_over_and_metadata_changes_resume():
    c = Cluster(brokers=3, controllers=3, seed=4, config={"metadata.max.idle.interval.ms": 0})
    c.create_topic("t", 1, 3)
    first = active(c)
    c.crash_controller(first)
    c.run(6000)
    second = active(c)
    assert second not in (-1, first)
    assert c.controller_state().epoch > 1
    c.create_topic("u", 1, 3)                             # a new controller writes, brokers apply
    assert c.partition_state("u", 0).leader in (1, 2, 3)
    c.restart_controller(first)
    c.run(3000)
    voter = c.controller_state().voters[first - 1]
    assert voter.role == "follower" and voter.high_watermark == c.controller_state().voters[second - 1].high_watermark


def test_without_a_majority_no_metadata_changes_but_the_data_plane_keeps_serving():
    c = Cluster(brokers=3, controllers=3, seed=5)
    c.create_topic("t", 1, 3, config={"min.insync.replicas": 2})
    lead = active(c)
    for i in (1, 2, 3):
        if i != lead:
            c.crash_controller(i)
    c.run(5000)
    assert active(c) == -1                                # check-quorum: the leader resigned
    with pytest.raises(KafkaException, match="REQUEST_TIMED_OUT"):
        c.create_topic("u", 1, 3)
    p = c.producer({"acks": "all"})
    p.produce("t", value=b"still works")
    assert p.flush(10) == 0
    assert not any(b.fenced for b in c.controller_state().brokers)     # nobody fences anybody
    before = c.partition_state("t", 0).leader
    c.crash_broker(before)
    c.run(15_000)
    assert c.partition_state("t", 0).leader == before     # no election without a controller
    for i in (1, 2, 3):
        if i != lead:
            c.restart_controller(i)
    c.run(5000)
    assert active(c) != -1
    assert c.partition_state("t", 0).leader == before     # a new active controller gives every broker
    c.run(10_000)                                         # a fresh session (K.91): fenced 9 s later
    assert c.partition_state("t", 0).leader not in (-1, before)


def test_a_restarted_broker_does_not_lead_on_what_its_old_metadata_said():
    """A crashed leader back before its session expired replays a log that names it leader; its
    registration is refused (DUPLICATE_BROKER_REGISTRATION) until the controller has fenced its
    old incarnation, and it acts on partitions only once unfenced."""
    c = Cluster(brokers=3, seed=6)
    c.create_topic("t", 1, 3)
    leader = c.partition_state("t", 0).leader
    c.crash_broker(leader)
    c.run(1000)
    c.restart_broker(leader)
    c.run(20_000)
    mark = min(e.time for e in c.trace.filter(name="broker.restart"))
    running = [e.time for e in c.trace.filter(name="broker.running", node=f"b{leader}") if e.time >= mark]
    acted = [e for e in c.trace.filter(name=("become.leader", "become.follower"), node=f"b{leader}")
             if e.time >= mark]
    assert running and acted and all(e.time >= running[0] for e in acted)
    assert all(e.fields["epoch"] >= 1 for e in acted)     # never the stale epoch 0


def test_producer_ids_come_in_blocks_written_to_the_log_and_never_overlap_after_a_failover():
    c = Cluster(brokers=3, controllers=3, seed=7)
    blocks = [r.value.next_producer_id for b in c.controller.storage.log.batches for r in b.records
              if isinstance(r.value, ProducerIdsRecord)]
    assert blocks == [1000, 2000, 3000]                    # one block of 1000 per broker
    c.crash_controller(active(c))
    c.run(6000)
    c.crash_broker(1)
    c.restart_broker(1)
    c.run(25_000)                       # registered once its old session expired, it asks for a new block
    blocks = [r.value.next_producer_id for b in c.controller.storage.log.batches for r in b.records
              if isinstance(r.value, ProducerIdsRecord)]
    assert blocks[:3] == [1000, 2000, 3000] and blocks[3] == 4000


def test_controller_metrics_count_the_active_controllers_and_activations():
    c = Cluster(brokers=3, controllers=3, seed=8)
    assert c.metrics()["ActiveControllerCount"] == 1 and c.metrics()["NewActiveControllersCount"] == 1
    c.crash_controller(active(c))
    c.run(6000)
    m = c.metrics()
    assert m["ActiveControllerCount"] == 1 and m["NewActiveControllersCount"] == 2


def test_controller_arguments_are_checked():
    with pytest.raises(ValueError, match="controllers"):
        Cluster(controllers=0)
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(ValueError, match="no controller 2"):
        c.crash_controller(2)
    c.crash_controller(1)
    with pytest.raises(RuntimeError, match="already down"):
        c.crash_controller(1)


def test_the_same_seed_gives_the_same_quorum_history():
    def history() -> list[str]:
        c = Cluster(brokers=3, controllers=3, seed=9)
        c.create_topic("t", 2, 3)
        c.crash_controller(active(c))
        c.run(5000)
        return [f"{e.time} {e.node} {e.name} {sorted(e.fields.items())}" for e in c.trace]
    assert history() == history()


def test_the_metadata_log_table_shows_the_records_an_election_and_a_topic_wrote():
    from minikafka import viz
    c = Cluster(brokers=3, controllers=3, seed=7)
    c.create_topic("orders", 2, 3)
    c.crash_controller(active(c))
    c.run(6000)
    text = viz.metadata_log_table(c, last=6, noops=False)
    lines = text.splitlines()
    assert lines[0].startswith(f"metadata log of c{active(c)} (high watermark")
    assert "earlier records not shown" in lines[2]
    assert "PartitionRecord topic=orders partition=1" in text and "LeaderChange leader=c" in lines[-1]
    assert all(len(line) <= 100 for line in lines)
    assert "NoOpRecord" in viz.metadata_log_table(c, last=3)            # the log moves while idle
    with pytest.raises(ValueError, match="last"):
        viz.metadata_log_table(c, last=0)


def test_the_controller_state_text_marks_the_active_voter_and_the_dead_ones():
    c = Cluster(brokers=3, controllers=3, seed=7)
    c.crash_controller(active(c))
    c.run(6000)
    text = str(c.controller_state())
    assert "leader (active)" in text and " DOWN     -" in text


def test_a_controlled_shutdown_moves_leadership_before_the_broker_stops():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 3, 3, config={"min.insync.replicas": 2})
    led = [i for i in range(3) if c.partition_state("t", i).leader == 2]
    assert led
    start = c.now
    c.stop_broker(2)
    assert not c.brokers[2].alive and c.now - start < 5000       # no session timeout to wait for
    moved = [e for e in c.trace.filter(name="leader.elect", since=start) if e.fields["why"] == "controlled shutdown"]
    stop = c.trace.filter(name="broker.stop", node="b2")[0]
    assert stop.fields["controlled"] and moved and all(e.time < stop.time for e in moved)
    for i in range(3):
        st = c.partition_state("t", i)
        assert st.leader != 2 and 2 not in st.isr
    p = c.producer({"acks": "all"})
    p.produce("t", value=b"at once", partition=led[0])
    assert p.flush(1) == 0                                        # the new leader was there already
    c.restart_broker(2)
    c.run(3000)
    assert 2 in c.partition_state("t", led[0]).isr


def test_a_crash_leaves_leadership_on_the_dead_broker_until_it_is_fenced():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 3, 3)
    led = [i for i in range(3) if c.partition_state("t", i).leader == 2]
    c.crash_broker(2)
    c.run(2000)
    assert all(c.partition_state("t", i).leader == 2 for i in led)


def test_without_a_controller_a_shutdown_waits_for_its_deadline_then_stops_anyway():
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 3, 3)
    c.crash_controller(1)
    start = c.now
    c.stop_broker(3)
    assert not c.brokers[3].alive and c.now - start >= 300_000
    assert not c.trace.filter(name="broker.stop", node="b3")[0].fields["controlled"]
    with pytest.raises(RuntimeError, match="already down"):
        c.stop_broker(3)
