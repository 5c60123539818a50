"""The metadata quorum's Raft (raft/raft_client.py, raft/quorum_state.py) on the simulated
network, alone: voters and observers that only replicate records, under crashes and cuts."""
from __future__ import annotations

import random

import pytest

from minikafka.raft.quorum_state import CANDIDATE, FOLLOWER, LEADER, PROSPECTIVE, RESIGNED, UNATTACHED
from minikafka.raft.raft_client import RaftClient, RaftStorage
from minikafka.sim.kernel import Simulation
from minikafka.sim.network import Network, Node
from minikafka.sim.trace import Trace


class Member(Node):
    """A quorum member that only keeps what it was told is committed."""

    def __init__(self, name: str, net: Network, voters: tuple[str, ...], trace: Trace) -> None:
        super().__init__(name, net)
        self.storage = RaftStorage()
        self.raft = RaftClient(self, voters, self.storage, {}, trace)
        self.committed: list[bytes] = []
        self.raft.on_commit = lambda b: self.committed.extend(r.value for r in b.records if not b.control)
        self.raft.start()

    def receive(self, src: str, msg) -> None:
        assert self.raft.receive(src, msg), msg

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self.raft.on_disconnect(peer)

    def crash(self) -> None:
        self.alive = False
        self.net.process_crashed(self.name)

    def restart(self) -> None:
        self.alive = True
        self.incarnation += 1
        self.committed = []             # the state machine replays the log (no snapshots)
        self.raft.start()


class Quorum:
    def __init__(self, voters: int = 3, observers: int = 2, seed: int = 1) -> None:
        self.sim = Simulation(seed)
        self.trace = Trace(None)
        self.net = Network(self.sim, self.trace, 1)
        names = tuple(f"c{i}" for i in range(1, voters + 1))
        self.voters = [Member(n, self.net, names, self.trace) for n in names]
        self.observers = [Member(f"b{i}", self.net, names, self.trace) for i in range(1, observers + 1)]
        self.members = {m.name: m for m in self.voters + self.observers}

    def run(self, ms: int) -> None:
        self.sim.run(ms)

    def leaders(self) -> list[Member]:
        return [m for m in self.voters if m.alive and m.raft.quorum.role == LEADER]

    def leader(self) -> Member:
        found = self.leaders()
        assert len(found) == 1, [(m.name, m.raft.status()) for m in self.voters]
        return found[0]

    def append(self, *values: bytes) -> int | None:
        return self.leader().raft.append(list(values))

    def elections(self) -> list[tuple[int, str]]:
        return [(e.fields["epoch"], e.node) for e in self.trace.filter(name="raft.leader")]


def test_three_voters_elect_one_leader_and_every_member_learns_it():
    q = Quorum()
    q.run(5000)
    leader = q.leader()
    epoch = leader.raft.quorum.epoch
    for m in q.members.values():
        assert m.raft.quorum.epoch == epoch and m.raft.status()["leader"] == leader.name
        if m is not leader:
            assert m.raft.quorum.role == FOLLOWER
    assert q.elections() == [(epoch, leader.name)]


def test_pre_vote_comes_before_the_real_vote():
    q = Quorum()
    q.run(5000)
    leader = q.leader().name
    roles = [e.fields["role"] for e in q.trace.filter(node=leader) if e.name.startswith("raft.")
             and e.fields["role"] in (PROSPECTIVE, CANDIDATE, LEADER)]
    assert roles[:3] == [PROSPECTIVE, CANDIDATE, LEADER]


def test_a_single_voter_leads_at_once():
    q = Quorum(voters=1, observers=1)
    q.run(10)
    assert q.leader().name == "c1"


def test_committed_records_reach_every_member_in_order():
    q = Quorum()
    q.run(5000)
    for i in range(5):
        q.append(b"r%d" % i)
        q.run(7)
    q.run(1000)
    for m in q.members.values():
        assert m.committed == [b"r%d" % i for i in range(5)], m.name


def test_append_returns_the_offset_the_record_gets():
    q = Quorum()
    q.run(5000)
    leader = q.leader()
    first = q.append(b"a", b"b")
    second = q.append(b"c")
    q.run(1000)
    log = leader.raft.log
    values = {b.base_offset + i: r.value for b in log.batches for i, r in enumerate(b.records)}
    assert values[first] == b"b" and values[second] == b"c"
    assert next(m for m in q.voters if m is not leader).raft.append([b"x"]) is None


def test_a_crashed_leader_is_replaced_in_a_higher_epoch_and_nothing_committed_is_lost():
    q = Quorum()
    q.run(5000)
    old = q.leader()
    q.append(b"before")
    q.run(500)
    epoch = old.raft.quorum.epoch
    old.crash()
    q.run(6000)
    new = q.leader()
    assert new is not old and new.raft.quorum.epoch > epoch
    q.append(b"after")
    q.run(1000)
    for m in q.members.values():
        if m.alive:
            assert m.committed == [b"before", b"after"], m.name
    old.restart()
    q.run(3000)
    assert old.raft.quorum.role == FOLLOWER and old.committed == [b"before", b"after"]


def test_a_leader_restarted_comes_back_resigned_in_its_epoch():
    q = Quorum(voters=3, observers=0)
    q.run(5000)
    old = q.leader()
    epoch = old.raft.quorum.epoch
    old.crash()
    old.restart()
    assert old.raft.quorum.role == RESIGNED and old.raft.quorum.epoch == epoch


def test_an_isolated_leader_resigns_by_check_quorum_and_its_uncommitted_write_is_truncated():
    q = Quorum()
    q.run(5000)
    old = q.leader()
    for other in q.members:
        if other != old.name:
            q.net.cut(old.name, other)
    q.append(b"lost")                    # can never reach a majority
    q.run(3100)
    assert old.raft.quorum.role in (RESIGNED, UNATTACHED)
    q.run(4000)
    new = q.leader()
    assert new is not old
    q.append(b"kept")
    q.run(500)
    q.net.heal_all()
    q.run(3000)
    assert old.raft.quorum.role == FOLLOWER
    values = [r.value for b in old.raft.log.batches if not b.control for r in b.records]
    assert values == [b"kept"]
    assert any(e.node == old.name for e in q.trace.filter(name="raft.truncate"))
    for m in q.members.values():
        assert m.committed == [b"kept"], m.name


def test_without_a_majority_nothing_commits_and_it_resumes_when_the_majority_returns():
    q = Quorum()
    q.run(5000)
    leader = q.leader()
    others = [m for m in q.voters if m is not leader]
    for m in others:
        m.crash()
    q.append(b"waiting")
    q.run(10_000)
    assert not q.leaders()              # check-quorum: the leader resigned
    assert all(m.committed == [] for m in q.members.values() if m.alive)
    for m in others:
        m.restart()
    q.run(8000)
    q.append(b"later")
    q.run(1000)
    for m in q.members.values():
        assert m.committed[-1:] == [b"later"] and b"waiting" not in m.committed[1:], m.name


def test_pre_vote_keeps_a_cut_off_follower_from_raising_the_epoch():
    q = Quorum(observers=0)
    q.run(5000)
    leader = q.leader()
    epoch = leader.raft.quorum.epoch
    lone = next(m for m in q.voters if m is not leader)
    for other in q.members:
        if other != lone.name:
            q.net.cut(lone.name, other)
    q.run(20_000)
    assert lone.raft.quorum.epoch == epoch          # prospective, again and again, never a candidate
    q.net.heal_all()
    q.run(3000)
    assert q.leader() is leader and leader.raft.quorum.epoch == epoch


def test_the_same_seed_gives_the_same_history():
    def history(seed: int) -> list[str]:
        q = Quorum(seed=seed)
        q.run(5000)
        q.leader().crash()
        q.run(8000)
        return [f"{e.time} {e.node} {e.name} {sorted(e.fields.items())}" for e in q.trace
                if e.name.startswith("raft.")]
    assert history(3) == history(3)
    assert history(3) != history(4)


@pytest.mark.parametrize("seed", range(12))
def test_safety_under_random_crashes_and_cuts(seed: int):
    """Election safety (one leader per epoch), and every member's committed records a prefix
    of one history that never loses what was committed."""
    q = Quorum(voters=3, observers=1, seed=seed)
    rng = random.Random(seed)
    leaders_by_epoch: dict[int, str] = {}
    longest: list[bytes] = []
    n = 0
    for step in range(60):
        action = rng.random()
        live = [m for m in q.voters if m.alive]
        if action < 0.15 and len(live) > 1:
            rng.choice(live).crash()
        elif action < 0.3:
            down = [m for m in q.voters if not m.alive]
            if down:
                rng.choice(down).restart()
        elif action < 0.4:
            a, b = rng.sample([m.name for m in q.members.values()], 2)
            q.net.cut(a, b)
        elif action < 0.5:
            q.net.heal_all()
        else:
            for m in q.leaders():
                n += 1
                m.raft.append([b"v%d" % n])
        q.run(rng.randrange(50, 1500))
        for m in q.voters:
            if m.alive and m.raft.quorum.role == LEADER:
                e = m.raft.quorum.epoch
                assert leaders_by_epoch.setdefault(e, m.name) == m.name, f"two leaders in epoch {e}"
        for m in q.members.values():
            short, long_ = sorted((m.committed, longest), key=len)
            assert long_[:len(short)] == short, f"{m.name} committed {m.committed} vs {longest}"
            if len(m.committed) > len(longest):
                longest = list(m.committed)
    for m in q.voters:
        if not m.alive:
            m.restart()
    q.net.heal_all()
    q.run(15_000)
    q.append(b"last")
    q.run(2000)
    for m in q.members.values():
        assert m.committed[:len(longest)] == longest and m.committed[-1] == b"last", m.name
