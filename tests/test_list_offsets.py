"""ListOffsets at a partition leader just after an election (server/list_offsets.py rule 6,
kafka-semantics.md P.311): while the new leader's HW lags the start of its epoch it cannot say
where the end is, and says OFFSET_NOT_AVAILABLE; clients retry and get the right end."""
from __future__ import annotations

from minikafka import Cluster, TopicPartition
from minikafka import protocol as P
from minikafka.server import list_offsets
from minikafka.server.list_offsets import EARLIEST, EARLIEST_LOCAL, LATEST, LATEST_TIERED, MAX_TIMESTAMP

TP = ("t", 0)
SPECS = (LATEST, EARLIEST, EARLIEST_LOCAL, LATEST_TIERED, MAX_TIMESTAMP, 0)


def new_leader_before_its_hw_catches_up(seed: int = 3):
    """Five records acknowledged under acks=all, then the leader crashes before its followers'
    next fetch told them the HW: run event by event until a survivor has become leader."""
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", 1, 3)
    p = c.producer({"acks": "all", "linger.ms": 0})
    for _ in range(5):
        p.produce("t", value=b"x")
    p.flush()
    old = c.partition_state("t", 0).leader
    c.crash_broker(old)
    while True:
        c.sim.step()
        new = [b for b in (1, 2, 3) if b != old and c.broker(b).replicas[TP].is_leader]
        if new:
            return c, c.broker(new[0])


def answers(broker) -> dict[int, tuple]:
    resp = list_offsets.handle(broker, P.ListOffsetsRequest(1, [(TP, spec) for spec in SPECS]))
    return {spec: (err, off) for spec, (_, err, off) in zip(SPECS, resp.results)}


def test_a_new_leader_whose_hw_lags_its_epoch_start_answers_offset_not_available_for_the_end():
    c, leader = new_leader_before_its_hw_catches_up()
    r = leader.replicas[TP]
    assert r.hw < r.epoch_start_offset == 5
    got = answers(leader)
    assert got[LATEST] == got[MAX_TIMESTAMP] == got[0] == ("OFFSET_NOT_AVAILABLE", -1)
    assert got[EARLIEST] == got[EARLIEST_LOCAL] == (None, 0) and got[LATEST_TIERED] == (None, -1)
    c.run(2_000)                                    # the surviving follower fetches; the HW catches up
    assert r.hw == 5
    got = answers(leader)
    assert got[LATEST] == (None, 5) and got[MAX_TIMESTAMP][0] is None and got[0] == (None, 0)


def test_a_consumer_resetting_to_latest_right_after_the_election_retries_and_gets_the_true_end():
    c, leader = new_leader_before_its_hw_catches_up()
    c.delay("FetchRequest", 1_500, count=1, dst=leader.id)     # the survivor's first fetch is slow: the HW lags
    k = c.consumer({"auto.offset.reset": "latest"})
    k.assign([TopicPartition("t", 0)])
    k.consume(1, 2.0)
    answered = [e.fields["results"] for e in c.trace.filter(name="ListOffsetsResponse", kind="send")]
    assert answered[0] == ("t-0:OFFSET_NOT_AVAILABLE@-1",)          # asked while the HW lagged ...
    assert answered[-1] == ("t-0:ok@5",)                            # ... and again after the retry
    assert k.position([TopicPartition("t", 0)])[0].offset == 5
