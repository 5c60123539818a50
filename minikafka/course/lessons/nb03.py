"""References for notebook 03, brokers and the controller: fencing and offline partitions.

Rules (KIP-631 and Kafka's BrokerHeartbeatManager, ReplicationControlManager and
PartitionLeaderElectionAlgorithms):
1. A broker heartbeats to the controller every `broker.heartbeat.interval.ms` (2000). The
   controller fences a broker whose last heartbeat is more than `broker.session.timeout.ms`
   (9000) old; exactly 9000 ms is still in time. (It checks every 9000 / 8 ms, so the fencing
   itself comes up to 1.125 s later, plus the metadata log's commit.)
2. Fencing removes the broker from every ISR and elects a new leader where it led. In Kafka
   4.2 (eligible leader replicas on) the ISR may become empty; the member that emptied it stays
   an eligible leader replica (ELR), so with `min.insync.replicas`=1 it is still the one
   replica that may lead, as the last ISR member was before ELR (notebook 04).
3. A partition has a leader only if some ISR member (or, the ISR empty, ELR member) is live
   (clean election; unclean election is off by default). With none, the partition is offline:
   leader -1, no reads, no writes.
4. Exercise 3.2 is judged by the simulator: `offline_scenario` takes some brokers down long
   enough to leave the ISRs, then takes others down (and may bring the first ones back), and
   asks the controller which partitions are offline.
5. Which controller wins an election (raft/elections.py rules 1 and 3): the live voters' timers
   expire in `order`; the first to expire asks for votes, and a voter grants its vote only to a
   log at least as up to date as its own, comparing the last epoch first, then the end offset.
   A voter wins with a majority of *all* the voters (itself included), dead ones counted; if it
   cannot, the next one in `order` tries. No winner (None) when no live voter can gather one.
6. `fit` wraps trace lines and sequence tables to 100 columns at field boundaries (spaces
   outside brackets), so a line of `key=value` fields never breaks inside a value.
"""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from minikafka.cluster import Cluster
from minikafka.controller.election import NO_LEADER, elect_leader


def offline_partitions(assignments: Mapping[str, Sequence[int]], isr: Mapping[str, Collection[int]],
                       live: Collection[int]) -> list[str]:
    """The partitions left without a leader when only the brokers in `live` are up, with
    unclean election off (rule 3), in the order of `assignments`."""
    return [tp for tp, replicas in assignments.items() if elect_leader(replicas, isr[tp], live)[0] == NO_LEADER]


def election_winner(voters: int, logs: Mapping[int, tuple[int, int]], order: Sequence[int]) -> int | None:
    """Rule 5: the controller that becomes leader. `logs`: live voter -> (last epoch, end offset)."""
    majority = voters // 2 + 1
    for candidate in order:
        votes = sum(1 for voter, log in logs.items() if log <= logs[candidate])
        if votes >= majority:
            return candidate
    return None


def fenced(last_heartbeat_by_broker: Mapping[int, int], now: int, session_timeout_ms: int) -> list[int]:
    """The brokers whose session has expired at virtual time `now` (rule 1), in id order."""
    return sorted(b for b, last in last_heartbeat_by_broker.items() if now - last > session_timeout_ms)


Scenario = tuple[dict[str, list[int]], dict[str, list[int]], list[int], list[str]]


def offline_scenario(brokers: int, topics: Mapping[str, tuple[int, int]], down_first: Sequence[int],
                     down_then: Sequence[int], back: Sequence[int]) -> Scenario:
    """Rule 4: (assignments, ISRs, live brokers, the partitions the controller reports offline).

    topics: name -> (partitions, replication factor). The brokers `down_first` crash and stay
    down for 11.5 s (fenced, so out of every ISR); the assignments and ISRs are read then,
    an ISR that emptied given as its last member (Kafka 4.2 keeps it as the eligible leader
    replica; with `min.insync.replicas`=1 the outcome is the same as the ISR that kept it). Then `down_then` crash, `back` (some of `down_first`)
    restart, and 12 s later the controller has decided."""
    c = Cluster(brokers=brokers, seed=1)
    for topic, (partitions, rf) in topics.items():
        c.create_topic(topic, partitions=partitions, replication_factor=rf)
    c.run(1_000)
    for b in down_first:
        c.crash_broker(b)
    c.run(11_500)
    states = [st for topic in topics for st in c.controller.topics[topic]]
    assignments = {f"{st.topic}-{st.partition}": list(st.replicas) for st in states}
    isr = {f"{st.topic}-{st.partition}": list(st.isr or st.elr) for st in states}    # emptied: its last member
    for b in down_then:
        c.crash_broker(b)
    for b in back:
        c.restart_broker(b)
    c.run(12_000)
    down = (set(down_first) - set(back)) | set(down_then)
    live = [b for b in range(1, brokers + 1) if b not in down]
    offline = [tp for tp in assignments if c.partition_state(*_split(tp)).offline]
    return assignments, isr, live, offline


def _split(name: str) -> tuple[str, int]:
    topic, _, partition = name.rpartition("-")
    return topic, int(partition)


WIDTH = 100


def _breaks(line: str) -> list[int]:
    """Where `line` may be wrapped: the spaces outside brackets (`isr=[3, 2]` stays whole)."""
    out, depth = [], 0
    for i, ch in enumerate(line):
        depth += 1 if ch in "[(" else -1 if ch in "])" else 0
        if ch == " " and depth == 0 and i > 0 and line[i - 1] != " ":
            out.append(i)
    return out


def _fit_line(line: str, indent: int, width: int) -> list[str]:
    lines, pad = [], ""
    while len(pad) + len(line) > width:
        fits = [i for i in _breaks(line) if len(pad) + i <= width and line[:i].strip()]
        if not fits:
            break
        lines.append(pad + line[:fits[-1]])
        line = line[fits[-1]:].lstrip(" ")
        first_field = (_breaks(line) or [len(line)])[0]
        pad = " " * (indent if indent + first_field <= width else 8)
    return lines + [pad + line]


def fit(text: str, indent: int = 40, width: int = WIDTH) -> str:
    """Rule 5: every line of `text` longer than `width` wrapped at field boundaries, its
    continuation lines indented by `indent` (by 8 when a field would not fit there)."""
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_fit_line(line, indent, width) if len(line) > width else [line])
    return "\n".join(out)
