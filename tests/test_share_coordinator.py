"""The share coordinator (KIP-932, kafka-semantics.md O.240): share-partition state kept in
`__share_group_state`, read and written by partition leaders (coordinator/share/share_coordinator.py).
The requests come from a probe node on the simulated network, as a partition leader's would."""
from __future__ import annotations

import json
from typing import Any, Callable

from minikafka import Cluster
from minikafka import protocol as P
from minikafka.coordinator.internal_topics import SHARE_GROUP_STATE, partition_for
from minikafka.coordinator.share.share_coordinator import PREFIX, share_key
from minikafka.errors import KafkaError
from minikafka.sim.network import Node

TP = ("t", 0)
KEY = share_key("g", TP)
PART = partition_for(KEY, 50)
BATCHES = ((10, 12, 2, 1), (13, 19, 0, 2))


class Probe(Node):
    """Sends share-state requests over the network and keeps the answers by correlation id."""

    def __init__(self, c: Cluster) -> None:
        super().__init__("probe", c.net)
        self.c = c
        self.answers: dict[int, Any] = {}
        self.cid = 0

    def receive(self, src: str, msg: Any) -> None:
        self.answers[msg.cid] = msg

    def send_to(self, broker: int, make: Callable[[int], Any]) -> int:
        self.cid += 1
        self.send(self.c.brokers[broker].name, make(self.cid))
        return self.cid

    def call(self, broker: int, make: Callable[[int], Any], ms: int = 500) -> Any:
        cid = self.send_to(broker, make)
        self.c.run(ms)
        return self.answers.pop(cid)

    def read(self, broker: int, group: str = "g", tp: tuple[str, int] = TP) -> P.ReadShareGroupStateResponse:
        return self.call(broker, lambda cid: P.ReadShareGroupStateRequest(cid, group, tp))

    def write(self, broker: int, epoch: int, start: int, batches: tuple = BATCHES, group: str = "g",
              tp: tuple[str, int] = TP) -> str | None:
        return self.call(broker, lambda cid: P.WriteShareGroupStateRequest(cid, group, tp, epoch, start,
                                                                           batches)).error

    def coordinator(self, key: str = KEY) -> int:
        """FindCoordinator key_type "share" until a broker is named (the first asks create the topic),
        then until that broker has loaded the key's partition."""
        asked = next(b for b in sorted(self.c.brokers) if self.c.brokers[b].alive)
        for _ in range(40):
            resp = self.call(asked, lambda cid: P.FindCoordinatorRequest(cid, key, "share"))
            if resp.error is None:
                part = partition_for(key, len(self.c.controller.topics[SHARE_GROUP_STATE]))
                if part in self.c.brokers[resp.node_id].share_coordinator.epochs:
                    return resp.node_id
            else:
                assert resp.error == "COORDINATOR_NOT_AVAILABLE"
        raise AssertionError("no share coordinator")


def cluster(seed: int = 1) -> tuple[Cluster, Probe]:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    c.run(500)
    return c, Probe(c)


def fail_over(c: Cluster, old: int, key: str = KEY) -> int:
    """Crash the coordinator; the next leader of the key's partition loads it."""
    c.crash_broker(old)
    for _ in range(40):
        c.run(500)
        new = c.partition_state(SHARE_GROUP_STATE, partition_for(key, 50)).leader
        if new not in (old, -1) and partition_for(key, 50) in c.brokers[new].share_coordinator.epochs:
            return new
    raise AssertionError("no new share coordinator")


def test_the_internal_topic_is_created_by_find_coordinator_only_with_the_share_configs():
    c, probe = cluster()
    c.run(2000)
    assert SHARE_GROUP_STATE not in c.topics()
    assert [probe.read(b).error for b in sorted(c.brokers)] == ["NOT_COORDINATOR"] * 3   # no topic, no coordinator
    assert SHARE_GROUP_STATE not in c.topics()
    leader = probe.coordinator()
    assert leader == c.partition_state(SHARE_GROUP_STATE, PART).leader
    assert len(c.controller.topics[SHARE_GROUP_STATE]) == 50
    assert c.topic_config(SHARE_GROUP_STATE)["min.insync.replicas"] == 2
    assert len(c.partition_state(SHARE_GROUP_STATE, PART).replicas) == 3
    assert probe.call(1, lambda cid: P.FindCoordinatorRequest(cid, KEY, "queue")).error == "INVALID_REQUEST"


def test_a_share_partition_never_written_reads_as_start_offset_minus_one():
    c, probe = cluster()
    resp = probe.read(probe.coordinator())
    assert (resp.error, resp.start_offset, resp.state_epoch, resp.batches) == (None, -1, 0, ())


def test_a_write_is_answered_then_read_back_and_its_record_is_json():
    c, probe = cluster()
    leader = probe.coordinator()
    assert probe.write(leader, 1, 10) is None
    resp = probe.read(leader)
    assert (resp.error, resp.state_epoch, resp.start_offset, resp.batches) == (None, 1, 10, BATCHES)
    [event] = c.trace.filter(name="share.state_written")
    assert event.node == f"b{leader}"
    assert (event.fields["group"], event.fields["tp"], event.fields["spso"], event.fields["batches"]) == \
        ("g", "t-0", 10, 2)
    [(_, key, value)] = c.log(SHARE_GROUP_STATE, PART)
    assert key == f"{PREFIX}g:t:0".encode()
    assert json.loads(value) == {"epoch": 1, "start": 10, "batches": [list(b) for b in BATCHES]}
    assert probe.read(leader, tp=("t", 1)).start_offset == -1       # another share-partition


def test_a_write_takes_effect_only_once_replicated():
    c, probe = cluster()
    leader = probe.coordinator()
    assert probe.write(leader, 1, 10) is None
    followers = [b for b in sorted(c.brokers) if b != leader]
    for b in followers:
        c.cut(leader, b)                            # acks=all cannot complete
    cid = probe.send_to(leader, lambda cid: P.WriteShareGroupStateRequest(cid, "g", TP, 1, 20, ()))
    c.run(2000)
    assert cid not in probe.answers
    assert c.brokers[leader].share_coordinator.states[KEY] == (1, 10, BATCHES)
    assert len(c.brokers[leader].replicas[(SHARE_GROUP_STATE, PART)].log.batches) == 2     # appended, not replicated
    assert probe.read(leader).start_offset == 10
    for b in followers:
        c.heal(leader, b)
    c.run(2000)
    assert probe.answers.pop(cid).error is None
    assert probe.read(leader).start_offset == 20
    assert [e.fields["spso"] for e in c.trace.filter(name="share.state_written")] == [10, 20]


def test_a_write_the_replicas_never_confirm_fails_and_changes_nothing():
    c, probe = cluster()
    leader = probe.coordinator()
    for b in sorted(c.brokers):
        if b != leader:
            c.cut(leader, b)
    cid = probe.send_to(leader, lambda cid: P.WriteShareGroupStateRequest(cid, "g", TP, 1, 20, ()))
    c.run(31_000)                                   # request.timeout.ms
    assert probe.answers.pop(cid).error == "COORDINATOR_NOT_AVAILABLE"
    assert KEY not in c.brokers[leader].share_coordinator.states
    assert not c.trace.filter(name="share.state_written")


def test_a_write_with_an_older_state_epoch_is_fenced():
    c, probe = cluster()
    leader = probe.coordinator()
    assert probe.write(leader, 2, 10) is None
    assert probe.write(leader, 1, 30) == "FENCED_STATE_EPOCH"
    assert probe.read(leader).start_offset == 10
    assert probe.write(leader, 2, 15) is None       # the same epoch
    assert probe.write(leader, 3, 16) is None       # a newer one
    resp = probe.read(leader)
    assert (resp.state_epoch, resp.start_offset) == (3, 16)
    assert KafkaError(KafkaError.FENCED_STATE_EPOCH).code() == 124


def test_a_broker_that_does_not_lead_the_keys_partition_answers_not_coordinator():
    c, probe = cluster()
    leader = probe.coordinator()
    other = next(b for b in sorted(c.brokers) if b != leader)
    assert probe.read(other).error == "NOT_COORDINATOR"
    assert probe.write(other, 1, 10) == "NOT_COORDINATOR"
    assert KEY not in c.brokers[other].share_coordinator.states


def test_the_state_survives_the_coordinators_crash():
    c, probe = cluster()
    old = probe.coordinator()
    assert probe.write(old, 1, 10) is None
    assert probe.write(old, 2, 25, ((25, 30, 1, 3),)) is None      # the last record per key wins
    new = fail_over(c, old)
    assert probe.coordinator() == new
    resp = probe.read(new)
    assert (resp.error, resp.state_epoch, resp.start_offset, resp.batches) == (None, 2, 25, ((25, 30, 1, 3),))
    assert probe.write(new, 1, 40) == "FENCED_STATE_EPOCH"         # the loaded epoch fences
    c.restart_broker(old)                                           # back in the ISR, then preferred again
    for _ in range(40):
        c.run(500)
        if old in c.partition_state(SHARE_GROUP_STATE, PART).isr:
            break
    assert c.elect_leaders("preferred", [(SHARE_GROUP_STATE, PART)]) == {(SHARE_GROUP_STATE, PART): None}
    c.run(500)
    assert KEY not in c.brokers[new].share_coordinator.states                # unloaded as a follower
    assert probe.read(new).error == "NOT_COORDINATOR"
    resp = probe.read(old)
    assert (resp.error, resp.state_epoch, resp.start_offset) == (None, 2, 25)


def test_a_tombstone_removes_the_state_at_load():
    c, probe = cluster()
    old = probe.coordinator()
    keep = next(k for k in (share_key(f"g{i}", TP) for i in range(1000)) if partition_for(k, 50) == PART)
    assert probe.write(old, 1, 10) is None
    assert probe.write(old, 1, 7, group=keep.split(":")[0]) is None
    done: list = []
    c.brokers[old].share_coordinator.write(PART, [(PREFIX + KEY, None)], done.append)
    c.run(500)
    assert done == [None]
    new = fail_over(c, old)
    assert probe.read(new).start_offset == -1
    assert probe.read(new, group=keep.split(":")[0]).start_offset == 7


def test_records_the_share_coordinator_cannot_parse_are_skipped_at_load_and_traced():
    c, probe = cluster()
    old = probe.coordinator()
    assert probe.write(old, 1, 10) is None
    junk = [("junk", b"{}"), (f"{PREFIX}g:t:x", b"{}"), (f"{PREFIX}g", b"{}"),
            (f"{PREFIX}{KEY}", b"{not json"), (f"{PREFIX}{KEY}", b"\xff\xfe\xfd"),
            (f"{PREFIX}{KEY}", b'{"epoch": 1}'), (f"{PREFIX}{KEY}", b"[1]"),
            (f"{PREFIX}{KEY}", b'{"epoch": "1", "start": 0, "batches": []}'),
            (f"{PREFIX}{KEY}", b'{"epoch": 1, "start": 0, "batches": [[1, 2, 3]]}'),
            (f"{PREFIX}{KEY}", b'{"epoch": 1, "start": true, "batches": []}'),
            (f"{PREFIX}{KEY}", b'{"epoch": 1, "start": 0, "batches": 5}')]
    done: list = []
    c.brokers[old].share_coordinator.write(PART, junk, done.append)
    c.run(500)
    assert done == [None]
    new = fail_over(c, old)
    skipped = c.trace.filter(name="coordinator.skip_record", node=f"b{new}")
    assert len(skipped) == len(junk) and {e.fields["topic"] for e in skipped} == {SHARE_GROUP_STATE}
    assert probe.read(new).start_offset == 10                       # what came before is kept


def test_a_client_cannot_produce_to_the_share_state_topic():
    c, probe = cluster()
    probe.coordinator()
    p = c.producer()
    p.produce(SHARE_GROUP_STATE, b"junk", key=b"junk", partition=PART)
    p.flush()
    assert c.trace.filter(name="produce.reject")
    assert c.log(SHARE_GROUP_STATE, PART) == []
