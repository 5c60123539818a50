"""minikafka.sim.network: FIFO links, cuts, fault rules, crashed and restarted receivers, trace."""
from dataclasses import dataclass

import pytest

from minikafka.sim.kernel import Simulation
from minikafka.sim.network import Network, Node, Rule
from minikafka.sim.trace import Trace


@dataclass
class Ping:
    n: int
    kind: str = "Ping"

    def summary(self):
        return {"n": self.n}


@dataclass
class Pong(Ping):
    kind: str = "Pong"


class Recorder(Node):
    def __init__(self, name, net):
        super().__init__(name, net)
        self.got, self.disconnects, self.reset_incarnations = [], [], []

    def receive(self, src, msg):
        self.got.append((self.sim.now, src, msg.n))

    def on_disconnect(self, peer, incarnation):
        self.disconnects.append((self.sim.now, peer))
        self.reset_incarnations.append(incarnation)


def make(latency_ms=1):
    sim, trace = Simulation(seed=1), Trace()
    net = Network(sim, trace, latency_ms)
    return sim, net, trace, Recorder("a", net), Recorder("b", net)


def test_delivery_takes_one_latency():
    sim, net, _, a, b = make(latency_ms=3)
    a.send("b", Ping(1))
    sim.run_until_idle()
    assert b.got == [(3, "a", 1)]


def test_link_is_fifo_even_when_an_earlier_message_is_delayed():
    sim, net, _, a, b = make()
    net.rules.append(Rule("Ping", delay_ms=100, count=1))
    a.send("b", Ping(1))
    a.send("b", Ping(2))
    a.send("b", Ping(3))
    sim.run_until_idle()
    assert b.got == [(101, "a", 1), (101, "a", 2), (101, "a", 3)]


def test_delay_on_one_link_does_not_hold_back_other_links():
    sim, net, _, a, b = make()
    c = Recorder("c", net)
    net.rules.append(Rule("Ping", dst="b", delay_ms=100))
    a.send("b", Ping(1))
    a.send("c", Ping(2))
    b.send("a", Ping(3))
    sim.run_until_idle()
    assert b.got == [(101, "a", 1)] and c.got == [(1, "a", 2)] and a.got == [(1, "b", 3)]


def test_cut_holds_both_directions_and_heal_delivers_what_was_held_first_in_order():
    sim, net, _, a, b = make()
    net.cut("a", "b")
    a.send("b", Ping(1))
    a.send("b", Ping(2))
    b.send("a", Ping(3))
    sim.run(1000)
    assert a.got == [] and b.got == []
    net.heal("b", "a")
    a.send("b", Ping(4))
    b.send("a", Ping(5))
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [1, 2, 4] and [m for _, _, m in a.got] == [3, 5]
    assert b.got[0][0] == 1001                      # one latency after the heal


def test_cut_while_in_flight_holds_at_arrival_until_the_heal():
    sim, net, trace, a, b = make(latency_ms=5)
    a.send("b", Ping(1))
    sim.run(2)
    net.cut("a", "b")
    a.send("b", Ping(2))                            # sent during the cut, queued behind 1
    sim.run(100)
    assert b.got == [] and not trace.filter(kind="drop")
    net.heal("a", "b")
    sim.run_until_idle()
    assert b.got == [(107, "a", 1), (107, "a", 2)]


def test_closing_a_connection_loses_what_was_held_on_it_and_tells_the_peer():
    sim, net, trace, a, b = make(latency_ms=5)
    net.cut("a", "b")
    a.send("b", Ping(1))
    sim.run(100)
    net.close("a", "b")                             # a's request timed out
    net.heal("a", "b")
    a.send("b", Ping(2))                            # the retry, on a new connection
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [2]
    assert [e.fields["why"] for e in trace.filter(kind="drop")] == ["reset"]
    assert [p for _, p in b.disconnects] == []      # the close happened during the cut


def test_drop_rule_with_count_one_drops_exactly_one_matching_message():
    sim, net, _, a, b = make()
    rule = Rule("Pong", drop=1.0, count=1)
    net.rules.append(rule)
    a.send("b", Pong(2))
    sim.run(5)
    a.send("b", Pong(3))
    a.send("b", Ping(4))
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [3, 4]
    assert rule.fired == 1 and rule.count == 0


def test_a_dropped_message_breaks_the_connection_like_tcp():
    """What was in flight on the connection, and what either end sends before it learns of the
    break, is lost; both ends learn one latency later; then a new connection works."""
    sim, net, trace, a, b = make(latency_ms=3)
    net.rules.append(Rule("Pong", drop=1.0, count=1))
    a.send("b", Ping(1))                 # in flight when the connection breaks
    sim.run(1)
    a.send("b", Pong(2))                 # the lost message
    b.send("a", Ping(3))                 # the other direction, before b knows
    sim.run(1)
    a.send("b", Ping(4))                 # a does not know yet either
    sim.run(5)
    assert b.got == [] and a.got == []
    assert a.disconnects == [(4, "b")] and b.disconnects == [(4, "a")]
    assert [e.fields["why"] for e in trace.filter(kind="drop")] == ["rule", "reset", "reset", "reset"]
    a.send("b", Ping(5))
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [5]


def test_rule_matches_only_its_endpoints():
    sim, net, _, a, b = make()
    net.rules.append(Rule(src="b", dst="a", drop=1.0))
    b.send("a", Ping(2))
    sim.run(5)
    a.send("b", Ping(1))
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [1] and a.got == []


@pytest.mark.parametrize("probability, delivered", [(0.0, 200), (1.0, 0)])
def test_drop_probability_zero_never_drops_and_one_always_drops(probability, delivered):
    sim, net, _, a, b = make()
    net.rules.append(Rule(drop=probability))
    for i in range(200):
        a.send("b", Ping(i))
    sim.run_until_idle()
    assert len(b.got) == delivered


def test_message_to_crashed_process_makes_sender_see_disconnect_one_latency_later():
    sim, net, trace, a, b = make(latency_ms=3)
    b.alive = False                      # process down, machine up
    a.send("b", Ping(1))
    sim.run_until_idle()
    assert b.got == []
    assert a.disconnects == [(6, "b")]   # refused on arrival at 3, reset seen at 3 + 3
    assert [e.fields["why"] for e in trace.filter(kind="drop")] == ["refused"]


def test_message_to_powered_off_machine_is_lost_silently():
    sim, net, trace, a, b = make()
    b.alive = b.powered = False
    a.send("b", Ping(1))
    sim.run_until_idle()
    assert b.got == [] and a.disconnects == []
    assert [e.fields["why"] for e in trace.filter(kind="drop")] == ["down"]


def restart(node):
    node.incarnation += 1               # crash and restart between two events


def test_restarted_node_does_not_receive_messages_sent_before_restart():
    sim, net, _, a, b = make(latency_ms=5)
    a.send("b", Ping(1))
    sim.run(2)
    restart(b)
    a.send("b", Ping(2))
    sim.run_until_idle()
    assert [m for _, _, m in b.got] == [2]


def test_message_sent_before_receiver_restart_is_refused():
    sim, net, trace, a, b = make(latency_ms=5)
    a.send("b", Ping(1))
    sim.run(2)
    restart(b)
    sim.run_until_idle()
    assert b.got == [] and a.disconnects == [(10, "b")]   # refused at 5, reset seen at 5 + 5
    assert a.reset_incarnations == [0]                    # the connection to the old process
    assert [e.fields["why"] for e in trace.filter(kind="drop")] == ["refused"]


def test_process_crash_tells_its_peers_one_latency_later():
    sim, net, _, a, b = make(latency_ms=4)
    c = Recorder("c", net)
    a.send("b", Ping(1))
    c.send("b", Ping(2))
    sim.run(10)
    b.alive = False
    net.process_crashed("b")
    sim.run_until_idle()
    assert a.disconnects == [(14, "b")] and c.disconnects == [(14, "b")]


def test_trace_records_send_recv_and_drop_with_shared_id():
    sim, net, trace, a, b = make()
    net.rules.append(Rule("Pong", drop=1.0))
    a.send("b", Ping(1))
    sim.run(1)
    a.send("b", Pong(2))
    sim.run_until_idle()
    sends = trace.filter(kind="send")
    assert [(e.node, e.peer, e.name) for e in sends] == [("a", "b", "Ping"), ("a", "b", "Pong")]
    assert sends[0].fields["n"] == 1
    ping_id, pong_id = sends[0].fields["id"], sends[1].fields["id"]
    assert ping_id != pong_id
    (recv,) = trace.filter(kind="recv")
    (drop,) = trace.filter(kind="drop")
    assert (recv.node, recv.peer, recv.fields["id"], recv.time) == ("b", "a", ping_id, 1)
    assert (drop.node, drop.peer, drop.fields["id"], drop.fields["why"]) == ("b", "a", pong_id, "rule")


def test_duplicate_node_name_and_unknown_cut_endpoint_are_refused():
    sim, net, _, a, b = make()
    with pytest.raises(ValueError):
        Recorder("a", net)
    with pytest.raises(ValueError):
        net.cut("a", "zz")


def test_a_node_cannot_be_cut_from_itself_and_heal_all_still_works():
    sim, net, _, a, b = make()
    with pytest.raises(ValueError, match="two different nodes"):
        net.cut("a", "a")
    net.cut("a", "b")
    net.heal_all()
    assert not net.cuts
