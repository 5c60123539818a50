"""Administration over the network (clients/admin/, server/broker.py rule 7,
quorum_controller.py rule 11) and the registration of a broker's new incarnation
(DUPLICATE_BROKER_REGISTRATION)."""
from __future__ import annotations

import pytest

from minikafka import Cluster
from minikafka import protocol as P
from minikafka.errors import KafkaException


def _sends(c, since=0):
    return [(e.node, e.peer, e.name) for e in c.trace.events if e.kind == "send" and e.time >= since]


def test_create_topic_is_a_request_forwarded_by_a_broker_to_the_active_controller():
    c = Cluster(brokers=3, seed=1)
    start = c.now
    c.create_topic("t", 1, 3)
    sends = [s for s in _sends(c, start) if "admin" in s[:2] or s[2].startswith("Envelope")]
    assert [name for _, _, name in sends] == ["CreateTopicsRequest", "EnvelopeRequest", "EnvelopeResponse",
                                              "AdminResponse"]
    assert sends[0][0] == "admin" and sends[1][1] == "c1" and sends[3][1] == "admin"


def test_the_controllers_refusal_comes_back_as_kafkas_error():
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", 1, 1)
    with pytest.raises(KafkaException, match="TOPIC_ALREADY_EXISTS"):
        c.admin().call(lambda cid: P.CreateTopicsRequest("t", 1, 1, {}, cid), "create t again")
    with pytest.raises(KafkaException, match="INVALID_REPLICATION_FACTOR"):
        c.admin().call(lambda cid: P.CreateTopicsRequest("u", 1, 3, {}, cid), "create u")
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        c.admin().call(lambda cid: P.DeleteTopicsRequest(cid, "nope"), "delete nope")


def test_without_a_majority_a_request_times_out_after_the_default_api_timeout():
    c = Cluster(brokers=3, controllers=3, seed=7)
    for _ in range(2):
        c.crash_controller(c.controller_state().leader)
        c.run(5_000)
    start = c.now
    with pytest.raises(KafkaException, match="REQUEST_TIMED_OUT"):
        c.create_topic("late", 1, 3)
    assert c.now - start == 60_000


def test_a_request_waits_for_the_majority_to_return_and_then_succeeds():
    c = Cluster(brokers=3, controllers=3, seed=7)
    down = []
    for _ in range(2):
        down.append(c.controller_state().leader)
        c.crash_controller(down[-1])
        c.run(5_000)
    c.sim.schedule(20_000, lambda: c.restart_controller(down[0]))
    start = c.now
    c.create_topic("late", 1, 3)
    assert "late" in c.topics() and 20_000 <= c.now - start < 60_000


def test_elect_leaders_results_travel_back_per_partition():
    c = Cluster(brokers=3, seed=1, config={"auto.leader.rebalance.enable": False})
    c.create_topic("t", 2, 3)
    assert c.elect_leaders("preferred", [("t", 0), ("t", 1)]) == {("t", 0): "ELECTION_NOT_NEEDED",
                                                                 ("t", 1): "ELECTION_NOT_NEEDED"}
    assert [e.fields["api"] for e in c.trace.filter(name="AdminResponse") if e.kind == "send"][-1] == "ElectLeaders"


# -- a new incarnation of a broker ---------------------------------------------------------------
def test_a_broker_back_from_a_crash_waits_until_its_old_session_expires():
    c = Cluster(brokers=3, seed=1)
    c.crash_broker(2)
    c.run(100)
    c.restart_broker(2)
    c.run(15_000)
    refused = [e for e in c.trace.filter(name="BrokerRegistrationResponse") if e.kind == "send"
               and e.fields.get("error") == "DUPLICATE_BROKER_REGISTRATION"]
    fenced = c.trace.filter(name="broker.fence")[-1]
    registered = [e for e in c.trace.filter(name="broker.register") if e.fields["incarnation"] == 1]
    assert refused and all(e.time < fenced.time for e in refused)
    assert registered and registered[0].time > fenced.time
    assert not c.controller.brokers[2].fenced


def test_registration_retries_back_off_exponentially():
    c = Cluster(brokers=3, seed=1)
    c.crash_broker(2)
    c.restart_broker(2)
    c.run(12_000)
    times = [e.time for e in c.trace.filter(name="BrokerRegistration") if e.kind == "send" and e.node == "b2"
             and e.fields["incarnation"] == 1]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) >= 4 and all(later > 1.8 * earlier for earlier, later in zip(gaps, gaps[1:]))


def test_a_cleanly_stopped_broker_registers_again_at_once():
    c = Cluster(brokers=3, seed=1)
    c.stop_broker(2)
    start = c.now
    c.restart_broker(2)
    c.run(1_000)
    assert not c.controller.brokers[2].fenced
    assert not [e for e in c.trace.filter(name="BrokerRegistrationResponse", since=start)
                if e.kind == "send" and e.fields["error"] != "none"]
