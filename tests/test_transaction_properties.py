"""Transactions under random fault schedules (hypothesis): read_committed never returns aborted
or undecided data, returns every committed transaction exactly once, and transactions are
atomic across partitions."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minikafka import Cluster, KafkaException, TopicPartition

BROKERS = (1, 2, 3)
KINDS = ("ProduceResponse", "EndTxnResponse", "AddPartitionsToTxnResponse", "WriteTxnMarkersRequest",
         "WriteTxnMarkersResponse", "InitProducerIdResponse", "FetchResponse", "QuorumFetchResponse")

step = st.one_of(
    st.tuples(st.just("txn"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("txn"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("crash"), st.sampled_from(BROKERS)),
    st.tuples(st.just("restart"), st.sampled_from(BROKERS)),
    st.tuples(st.just("drop"), st.sampled_from(KINDS), st.sampled_from([0.2, 0.5, 1.0])),
    st.tuples(st.just("delay"), st.sampled_from(KINDS), st.sampled_from([50, 400, 3000])),
    st.tuples(st.just("cut"), st.sampled_from(BROKERS), st.sampled_from(BROKERS + ("c1",))),
    st.tuples(st.just("heal")),
    st.tuples(st.just("run"), st.sampled_from([10, 500, 5000, 15_000])),
)
schedules = st.lists(step, min_size=1, max_size=14)


class Workload:
    """One application with transactional.id "app" writing transactions over two partitions.
    A fresh instance replaces the producer whenever it is fenced or stuck, as a restarted
    process would. Outcomes: committed (commit returned), aborted (never committed), or
    unknown (commit raised: it may have been decided)."""

    def __init__(self, c: Cluster) -> None:
        self.c = c
        self.p = None
        self.outcome: dict[int, str] = {}
        self.n = 0

    def producer(self):
        """The current instance, or a new one (raises if the cluster cannot give it an id)."""
        if self.p is None:
            p = self.c.producer({"transactional.id": "app", "transaction.timeout.ms": 20_000})
            try:
                p.init_transactions(30)
            except KafkaException:
                self.c.crash_client(p.name)
                raise
            self.p = p
        return self.p

    def transaction(self, records: int, commit: bool) -> None:
        i = self.n
        self.n += 1
        self.outcome[i] = "aborted"
        try:
            p = self.producer()
            p.begin_transaction()
            for j in range(records):
                for part in (0, 1):
                    p.produce("t", value=b"%d-%d-%d" % (i, j, part), partition=part)
            if commit:
                self.outcome[i] = "unknown"
                p.commit_transaction(30)
                self.outcome[i] = "committed"
            else:
                p.abort_transaction(30)
        except KafkaException as e:
            if self.p is None:
                return                            # no producer id: the transaction never began
            if e.args[0].txn_requires_abort():
                try:
                    self.p.abort_transaction(30)
                    return
                except KafkaException:
                    pass
            self.c.crash_client(self.p.name)      # fenced or stuck: the process restarts
            self.p = None


def run_workload(seed: int, schedule) -> tuple[Workload, dict[int, list[bytes]]]:
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    w = Workload(c)
    for s in schedule:
        kind = s[0]
        if kind == "txn":
            w.transaction(s[1], s[2])
        elif kind == "crash" and c.brokers[s[1]].alive:
            c.crash_broker(s[1])
        elif kind == "restart" and not c.brokers[s[1]].alive:
            c.restart_broker(s[1])
        elif kind == "drop":
            c.drop(s[1], probability=s[2], count=3)
        elif kind == "delay":
            c.delay(s[1], ms=s[2], count=3)
        elif kind == "cut" and s[1] != s[2]:
            c.cut(s[1], s[2])
        elif kind == "heal":
            c.heal_all()
        elif kind == "run":
            c.run(s[1])
    c.clear_rules()
    c.heal_all()
    for b in BROKERS:
        if not c.brokers[b].alive:
            c.restart_broker(b)
    c.run(60_000)                 # undecided transactions time out (20 s) and are aborted
    k = c.consumer({"auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    k.assign([TopicPartition("t", 0), TopicPartition("t", 1)])
    seen: dict[int, list[bytes]] = {}
    while True:
        got = k.consume(1000, 3.0)
        if not got:
            break
        for m in got:
            seen.setdefault(int(m.value().split(b"-")[0]), []).append(m.value())
    return w, seen


def violations(w: Workload, seen: dict[int, list[bytes]], records: dict[int, int]) -> list[str]:
    out = []
    for i, vals in sorted(seen.items()):
        if len(vals) != len(set(vals)):
            out.append(f"transaction {i}: duplicates {sorted(vals)}")
        if w.outcome.get(i) == "aborted":
            out.append(f"transaction {i} was aborted but read_committed returned {sorted(vals)}")
    for i, outcome in sorted(w.outcome.items()):
        n = len(set(seen.get(i, [])))
        if outcome == "committed" and n != 2 * records[i]:
            out.append(f"transaction {i} committed {2 * records[i]} records, read_committed returned {n}")
        if outcome == "unknown" and n not in (0, 2 * records[i]):
            out.append(f"transaction {i} is torn: {n} of {2 * records[i]} records visible")
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=schedules)
def test_read_committed_sees_committed_transactions_exactly_once_and_atomically(seed, schedule):
    w, seen = run_workload(seed, schedule)
    records = {}
    i = 0
    for s in schedule:
        if s[0] == "txn":
            records[i] = s[1]
            i += 1
    assert violations(w, seen, records) == []


def test_the_checker_above_can_fail():
    """The property is not vacuous: a torn or an aborted transaction is reported."""
    w = Workload.__new__(Workload)
    w.outcome = {0: "committed", 1: "aborted", 2: "unknown"}
    seen = {0: [b"0-0-0"], 1: [b"1-0-0", b"1-0-1"], 2: [b"2-0-0"]}
    v = violations(w, seen, {0: 1, 1: 1, 2: 1})
    assert len(v) == 3


def test_a_fault_free_schedule_commits_everything():
    w, seen = run_workload(1, [("txn", 2, True), ("txn", 1, False), ("txn", 3, True)])
    assert w.outcome == {0: "committed", 1: "aborted", 2: "committed"}
    assert sorted(seen) == [0, 2] and len(seen[2]) == 6
