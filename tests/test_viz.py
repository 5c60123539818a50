"""viz: every figure renders without warnings for representative states, nothing leaks into
pyplot, and every text twin is exact (the full string) for at least two states."""
from __future__ import annotations

import re
import subprocess
import sys
import warnings

import pytest

from minikafka import Cluster, viz
from minikafka.course.lessons.nb06 import lose_the_third_of_five
from minikafka.course.experiments import ExperimentRow
from minikafka.sim.trace import Trace
from minikafka.storage.records import Record, RecordBatch, control_batch


# -- states ---------------------------------------------------------------------------------
def fresh() -> Cluster:
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    return c


def produced() -> Cluster:
    c = fresh()
    p = c.producer({"acks": "all", "linger.ms": 0})
    for i in range(3):
        p.produce("orders", key=f"k{i}", value=b"v", partition=0)
    p.flush()
    for i in range(2):                       # keys too long to draw
        p.produce("orders", key=f"key-number-{i}", value=b"v", partition=0)
    p.flush()
    return c


def leader_crashed() -> Cluster:
    c = produced()
    c.crash_broker(c.partition_state("orders", 0).leader)
    c.run(12_000)                            # fenced; a follower in the ISR is elected
    return c


def offline() -> Cluster:
    c = Cluster(brokers=3, seed=7)
    c.create_topic("solo", partitions=1, replication_factor=1)
    p = c.producer({"acks": "1", "linger.ms": 0})
    p.produce("solo", key="a", value=b"v")
    p.flush()
    c.crash_broker(c.partition_state("solo", 0).leader)
    c.run(12_000)                            # its only replica is down: no leader
    return c


def transactions() -> Cluster:
    """A log with a plain record, an aborted and a committed transaction interleaved, and one
    still open, written straight into the replica's log; the replica's transaction index is
    rebuilt from it, as a restarted broker does (txn_index rule 5)."""
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=1, replication_factor=1)
    r = c.brokers[1].replicas[("t", 0)]

    def batch(pid: int, keys: list[str], txn: bool = True) -> RecordBatch:
        return RecordBatch([Record(k.encode(), b"v", None, 0) for k in keys], 100, producer_id=pid,
                           producer_epoch=0, base_sequence=0, transactional=txn)

    for b in (batch(-1, ["x"], txn=False), batch(5, ["a1", "a2"]), batch(6, ["b1"]), control_batch("ABORT", 5, 0, 0),
              batch(6, ["b2"]), control_batch("COMMIT", 6, 0, 0), batch(7, ["c1", "c2"])):
        r.log.append_as_leader(b, r.leader_epoch)
    r.txn.rebuild(r.log.batches)
    r.hw = r.log.log_end_offset
    return c


def real_transactions() -> Cluster:
    """The same kinds of records written by a transactional producer: a committed transaction,
    an aborted one, and one left open."""
    c = Cluster(brokers=3, seed=7)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"transactional.id": "tx", "linger.ms": 0})
    p.init_transactions()
    for keys, end in ((["a", "b"], p.commit_transaction), (["c"], p.abort_transaction), (["d"], None)):
        p.begin_transaction()
        for k in keys:
            p.produce("t", key=k, value=b"v")
        p.flush()
        if end is not None:
            end()
    c.run(100)
    return c


STATES = {"fresh": fresh, "produced": produced, "leader_crashed": leader_crashed, "offline": offline,
          "transactions": transactions, "real_transactions": real_transactions}


@pytest.fixture(scope="module")
def states() -> dict[str, Cluster]:
    return {name: build() for name, build in STATES.items()}


def toy_trace() -> Trace:
    """A hand-written trace: a produce whose response is dropped, a heartbeat (hidden by
    default), a state change, a retry still in flight."""
    t = Trace()
    t.add(0, "send", "producer-1", "b1", "ProduceRequest", {"id": 1, "acks": "all", "batches": ("t-0:1",)})
    t.add(1, "recv", "b1", "producer-1", "ProduceRequest", {"id": 1})
    t.state(1, "b1", "append", leo=1, tp="t-0")
    t.add(1, "send", "b1", "producer-1", "ProduceResponse", {"id": 2, "results": ("t-0:ok@0",)})
    t.add(1, "drop", "producer-1", "b1", "ProduceResponse", {"id": 2, "why": "rule"})
    t.add(2, "send", "b2", "c1", "BrokerHeartbeat", {"id": 3})
    t.add(3, "recv", "c1", "b2", "BrokerHeartbeat", {"id": 3})
    t.add(5, "send", "b2", "b1", "FetchRequest", {"id": 4, "parts": ("t-0@0",)})
    t.add(6, "recv", "b1", "b2", "FetchRequest", {"id": 4})
    t.state(6, "b1", "hw", hw=1, tp="t-0")
    t.add(30_001, "send", "producer-1", "b1", "ProduceRequest", {"id": 5, "acks": "all", "batches": ("t-0:1",)})
    return t


def user_topic(c: Cluster) -> str:
    """The state's own topic (`topics()` also lists internal ones, which sort first)."""
    return [t for t in c.topics() if not t.startswith("__")][0]


def render(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fn(*args, **kw)
        png = fig._repr_png_()
    assert png.startswith(b"\x89PNG") and fig.axes
    # the repr a notebook shows next to the picture, in whole pixels (tests/nbval-sanitize.cfg)
    assert re.fullmatch(r"<Figure size 900x\d+ with \d+ Axes>", repr(fig)), repr(fig)
    return fig


# -- import hygiene ---------------------------------------------------------------------------
def test_importing_minikafka_and_its_views_loads_no_plotting_or_widget_library():
    code = ("import sys, minikafka; assert 'matplotlib' not in sys.modules\n"
            "import minikafka.viz, minikafka.widgets, minikafka.course.experiments\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'IPython', 'numpy'))\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_figures_are_plain_figures_and_never_reach_pyplot(states):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    fig = render(viz.cluster_figure, states["fresh"])
    assert isinstance(fig, Figure) and plt.get_fignums() == []


# -- every figure, every state ----------------------------------------------------------------
@pytest.mark.parametrize("state", STATES)
def test_log_and_cluster_figures_render_without_warnings(states, state):
    c = states[state]
    topic = user_topic(c)
    render(viz.log_figure, c, topic, 0, committed={"billing": 2})
    render(viz.cluster_figure, c)


@pytest.mark.parametrize("state", ["fresh", "leader_crashed", "real_transactions"])
def test_sequence_figure_renders_a_real_trace_without_warnings(states, state):
    c = states[state]
    render(viz.sequence_figure, c.trace, max_arrows=25)
    render(viz.sequence_figure, c.trace, names=["Produce*", "leader.elect"], since=5)


def test_sequence_figure_draws_drops_in_flight_cut_and_an_empty_window():
    render(viz.sequence_figure, toy_trace())
    render(viz.sequence_figure, toy_trace(), max_arrows=1)
    render(viz.sequence_figure, toy_trace(), since=99_999)


def test_chart_figures_render_from_plain_data_and_from_rows():
    render(viz.experiment_figure, {"acks=1": [3, 0, 5], "acks=all": [0, 0, 0]})
    render(viz.experiment_figure, [ExperimentRow("acks=1", (("acks", "1"),), (0, 1), (2, 0), (10, 10))])
    render(viz.experiment_figure, {})
    render(viz.distribution_figure, {"keyed": [1, 0, 2], "null key": [5, 5, 0]})
    render(viz.order_figure, [0, 1, 3, 2, 3])
    render(viz.order_figure, [])


def test_a_long_log_shows_its_tail_and_names_markers_left_of_the_window():
    c = Cluster(brokers=1, seed=3)
    c.create_topic("t", partitions=1, replication_factor=1)
    p = c.producer({"linger.ms": 0})
    for _ in range(12):
        p.produce("t", value=b"v")
        p.flush()
    assert viz.log_table(c, "t", 0, max_cells=5) == "\n".join([
        "t-0: leader broker 1, leader epoch 0, ISR [1]",
        "broker  role    ISR  LEO  HW  LSO  log",
        "     1  leader  yes   12  12   12  ... |7|8|9|10|11|",
        "(offsets before 7 not shown)",
    ])
    render(viz.log_figure, c, "t", 0, max_cells=5)


# -- log_table ----------------------------------------------------------------------------------
def test_log_table_of_a_fresh_topic(states):
    assert viz.log_table(states["fresh"], "orders", 0) == "\n".join([
        "orders-0: leader broker 1, leader epoch 0, ISR [1, 2, 3]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    0   0    0  (empty)",
        "     2  follower  yes    0   0    0  (empty)",
        "     3  follower  yes    0   0    0  (empty)",
    ])


def test_log_table_after_produces_shows_batches_keys_and_committed_offsets(states):
    assert viz.log_table(states["produced"], "orders", 0, committed={"billing": 2, "audit": 0}) == "\n".join([
        "orders-0: leader broker 1, leader epoch 0, ISR [1, 2, 3]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     2  follower  yes    5   3    3  |0:k0 1:k1 2:k2|3 4|",
        "     3  follower  yes    5   3    3  |0:k0 1:k1 2:k2|3 4|",
        "committed offsets: audit=0, billing=2",
    ])


def test_log_table_after_a_leader_crash(states):
    assert viz.log_table(states["leader_crashed"], "orders", 0) == "\n".join([
        "orders-0: leader broker 2, leader epoch 1, ISR [2, 3]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  offline   no     5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     2  leader    yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     3  follower  yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
    ])


def test_log_table_of_an_offline_partition(states):
    assert viz.log_table(states["offline"], "solo", 0) == "\n".join([
        "solo-0: leader none (OFFLINE), leader epoch 1, ISR [], ELR [1]",
        "broker  role     ISR  LEO  HW  LSO  log",
        "     1  offline  ELR    1   1    1  |0:a|",
    ])


def test_log_table_marks_aborted_open_and_control_records(states):
    assert viz.log_table(states["transactions"], "t", 0) == "\n".join([
        "t-0: leader broker 1, leader epoch 0, ISR [1]",
        "broker  role    ISR  LEO  HW  LSO  log",
        "     1  leader  yes    9   9    7  |0:x|1x:a1 2x:a2|3:b1|4:ABORT|5:b2|6:COMMIT|7~:c1 8~:c2|",
        "(x = aborted, ~ = in an open transaction)",
    ])
    kinds = [c.kind for c in viz.log_view(states["transactions"], "t", 0).strips[0].cells]
    assert kinds == ["record", "aborted", "aborted", "record", "abort", "record", "commit", "open", "open"]


def test_log_table_of_a_transactional_producers_commit_abort_and_open_transaction(states):
    assert viz.log_table(states["real_transactions"], "t", 0) == "\n".join([
        "t-0: leader broker 1, leader epoch 0, ISR [1, 2, 3]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    6   6    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
        "     2  follower  yes    6   5    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
        "     3  follower  yes    6   5    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
        "(x = aborted, ~ = in an open transaction)",
    ])


# -- cluster_table --------------------------------------------------------------------------------
def test_cluster_table_of_a_fresh_cluster(states):
    assert viz.cluster_table(states["fresh"]) == "\n".join([
        "controller: live brokers [1, 2, 3]",
        "broker  process  controller",
        "b1      up       unfenced",
        "b2      up       unfenced",
        "b3      up       unfenced",
        "",
        "partition  leader  epoch  ISR        b1              b2              b3",
        "orders-0   1           0  [1, 2, 3]  leader (ISR)    follower (ISR)  follower (ISR)",
        "orders-1   2           0  [2, 3, 1]  follower (ISR)  leader (ISR)    follower (ISR)",
    ])


def test_cluster_table_after_a_leader_crash(states):
    assert viz.cluster_table(states["leader_crashed"]) == "\n".join([
        "controller: live brokers [2, 3]",
        "broker  process  controller",
        "b1      DOWN     fenced",
        "b2      up       unfenced",
        "b3      up       unfenced",
        "",
        "partition  leader  epoch  ISR     b1             b2            b3",
        "orders-0   2           1  [2, 3]  replica, DOWN  leader (ISR)  follower (ISR)",
        "orders-1   2           0  [2, 3]  replica, DOWN  leader (ISR)  follower (ISR)",
    ])


def test_cluster_table_of_an_offline_partition(states):
    assert viz.cluster_table(states["offline"]) == "\n".join([
        "controller: live brokers [2, 3]",
        "broker  process  controller",
        "b1      DOWN     fenced",
        "b2      up       unfenced",
        "b3      up       unfenced",
        "",
        "partition  leader   epoch  ISR  ELR  b1                   b2  b3",
        "solo-0     OFFLINE      1  []   [1]  replica (ELR), DOWN  .   .",
    ])


def test_cluster_table_leaves_internal_topics_out_unless_named(states):
    c = states["real_transactions"]
    assert viz.cluster_table(c).splitlines()[-3:] == [
        "partition  leader  epoch  ISR        b1            b2              b3",
        "t-0        1           0  [1, 2, 3]  leader (ISR)  follower (ISR)  follower (ISR)",
        "(internal topics not shown: __transaction_state)",
    ]
    named = viz.cluster_table(c, topics=["__transaction_state"], max_partitions=2).splitlines()
    assert named[-1] == "(48 more partitions not shown)" and named[-3].startswith("__transaction_state-0 ")


def test_cluster_table_right_after_a_crash_still_shows_the_old_leader():
    c = fresh()
    c.crash_broker(1)                        # the controller has not noticed yet
    assert viz.cluster_table(c).splitlines()[-2:] == [
        "orders-0   1           0  [1, 2, 3]  leader (ISR), DOWN   follower (ISR)  follower (ISR)",
        "orders-1   2           0  [2, 3, 1]  replica (ISR), DOWN  leader (ISR)    follower (ISR)",
    ]


# -- sequence_table -------------------------------------------------------------------------------
def test_sequence_table_of_a_hand_written_trace():
    assert viz.sequence_table(toy_trace()) == "\n".join([
        "nodes: producer-1, b1, b2",
        "      0 -> 1       producer-1 -> b1           ProduceRequest acks=all batches=[t-0:1]",
        "      1            b1                         * append leo=1 tp=t-0",
        "      1 -> drop    b1 -> producer-1           ProduceResponse results=[t-0:ok@0]  DROPPED (rule)",
        "      5 -> 6       b2 -> b1                   FetchRequest parts=[t-0@0]",
        "      6            b1                         * hw hw=1 tp=t-0",
        "  30001 -> ...     producer-1 -> b1           ProduceRequest acks=all batches=[t-0:1]",
    ])


def test_sequence_table_filters_by_node_name_and_window_and_caps_arrows():
    assert viz.sequence_table(toy_trace(), nodes=["b2", "c1"], names=["Broker*"]) == "\n".join([
        "nodes: b2, c1",
        "      2 -> 3       b2 -> c1                   BrokerHeartbeat",
    ])
    assert viz.sequence_table(toy_trace(), since=1, until=10, states=False) == "\n".join([
        "nodes: producer-1, b1, b2",
        "      1 -> drop    b1 -> producer-1           ProduceResponse results=[t-0:ok@0]  DROPPED (rule)",
        "      5 -> 6       b2 -> b1                   FetchRequest parts=[t-0@0]",
    ])
    assert viz.sequence_table(toy_trace(), max_arrows=1) == "\n".join([
        "nodes: producer-1, b1",
        "      0 -> 1       producer-1 -> b1           ProduceRequest acks=all batches=[t-0:1]",
        "      1            b1                         * append leo=1 tp=t-0",
        "... 3 more messages and 1 more state changes not shown (max_arrows=1)",
    ])


def test_sequence_table_of_a_real_produce_with_a_lost_response():
    c = fresh()
    p = c.producer({"acks": "all", "linger.ms": 0})
    c.drop("ProduceResponse", count=1)
    p.produce("orders", value=b"v", partition=0)
    p.flush()
    # lines past 100 columns wrap between fields, under the message's text
    assert viz.sequence_table(c.trace, nodes=["producer-1", 1], names=["Produce*", "delivered"]) == "\n".join([
        "nodes: producer-1, b1",
        "     84 -> 85      producer-1 -> b1           ProduceRequest acks=all batches=[orders-0:1@seq0]",
        "                                              epoch=0 pid=0",
        "     87 -> drop    b1 -> producer-1           ProduceResponse results=[orders-0:ok@0]",
        "                                              DROPPED (rule)",
        # the lost response breaks the connection: the producer learns it at once and retries
        # after retry.backoff.ms (network.py), not after request.timeout.ms
        "    191 -> 192     producer-1 -> b1           ProduceRequest acks=all batches=[orders-0:1@seq0]",
        "                                              epoch=0 pid=0",
        "    192 -> 193     b1 -> producer-1           ProduceResponse results=[orders-0:ok@0]",
        "    193            producer-1                 * delivered offset=0 records=1 tp=orders-0",
    ])
    # with the cluster, each produce message is named after its record; the resent batch the
    # broker recognises as a duplicate gets the name of its first write
    tagged = viz.sequence_table(c.trace, nodes=["producer-1", 1], names=["Produce*"], cluster=c)
    assert [line.split()[7] for line in tagged.splitlines() if "Produce" in line] == ["[v]"] * 4


# -- charts ---------------------------------------------------------------------------------------
def test_experiment_table_from_plain_data_and_from_rows():
    assert viz.experiment_table({"acks=1": [3, 0, 5], "acks=all": [0, 0, 0]}) == "\n".join([
        "records acknowledged then lost, per trial:",
        "setting   trials  trials with loss  records lost  worst trial",
        "acks=1         3                 2             8            5",
        "acks=all       3                 0             0            0",
    ])
    row = ExperimentRow("acks=0 min.insync=2", (("acks", "0"),), (0, 1), (4, 1), (9, 9))
    assert viz.experiment_table([row]) == "\n".join([
        "records acknowledged then lost, per trial:",
        "setting              trials  trials with loss  records lost  worst trial",
        "acks=0 min.insync=2       2                 2             5            4",
    ])


def test_distribution_key_and_order_tables():
    assert viz.distribution_table({"keyed": [1, 0, 2], "null key": [5, 5]}) == "\n".join([
        "partition  keyed  null key  total",
        "        0      1         5      6",
        "        1      0         5      5",
        "        2      2         0      2",
    ])
    assert viz.key_table(["alice", "bob"], 6) == "\n".join([
        "key        murmur2  toPositive  % 6 = partition",
        "alice   1951417749  1951417749                3",
        "bob    -2048144690    99338958                0",
    ])
    assert viz.order_table([0, 1, 2]) == "offsets 0..: 0 1 2"
    assert viz.order_table([0, 2, 1, 2]) == "offsets 0..: 0 2 1* 2+  (* = out of order, + = duplicate)"
    assert viz.order_table([]) == "offsets 0..: (empty)"


# -- consumer groups ------------------------------------------------------------------------------
def group_cluster() -> Cluster:
    c = Cluster(brokers=3, seed=7)
    c.create_topic("clicks", partitions=4, replication_factor=3)
    p = c.producer({"linger.ms": 0})
    for i in range(20):
        p.produce("clicks", key=f"k{i}", value=b"v")
    p.flush()
    return c


def group_consumer(c: Cluster, strategy: str = "range"):
    k = c.consumer({"group.id": "g", "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                    "partition.assignment.strategy": strategy})
    k.subscribe(["clicks"])
    return k


def keep_polling(c: Cluster, consumers, ms: int) -> None:
    """Every live consumer polls in turn: that is what moves a group's time forward."""
    end = c.now + ms
    while c.now < end:
        for k in consumers:
            k.consume(100, 0.2)


def group_stable():
    """Two members (range), stable and committed; then 6 more records nobody has read yet."""
    c = group_cluster()
    a, b = group_consumer(c), group_consumer(c)
    keep_polling(c, [a, b], 12_000)
    p = c.producer({"linger.ms": 0})
    for i in range(6):
        p.produce("clicks", key=f"late{i}", value=b"v")
    p.flush()
    return c, a, b


def group_after_leave() -> Cluster:
    c, a, b = group_stable()
    b.close()
    keep_polling(c, [a], 8_000)
    return c


def group_crashed() -> Cluster:
    """consumer-2 crashed 2 s ago: still a member, its partitions read by nobody."""
    c, a, b = group_stable()
    c.crash_client(b.name)
    keep_polling(c, [a], 2_000)
    return c


def group_cooperative() -> Cluster:
    """A third member joins a cooperative-sticky group: one partition is revoked in one
    generation and assigned in the next."""
    c = group_cluster()
    a, b = group_consumer(c, "cooperative-sticky"), group_consumer(c, "cooperative-sticky")
    keep_polling(c, [a, b], 10_000)
    x = group_consumer(c, "cooperative-sticky")
    keep_polling(c, [a, b, x], 10_000)
    return c


GROUP_STATES = {"stable": lambda: group_stable()[0], "after_leave": group_after_leave, "crashed": group_crashed,
                "cooperative": group_cooperative}


@pytest.fixture(scope="module")
def groups() -> dict[str, Cluster]:
    return {name: build() for name, build in GROUP_STATES.items()}


@pytest.mark.parametrize("state", GROUP_STATES)
def test_group_and_rebalance_figures_render_without_warnings(groups, state):
    c = groups[state]
    render(viz.group_figure, c, "g", isolation_level="read_committed" if state == "crashed" else "read_uncommitted")
    render(viz.rebalance_figure, c.trace, "g")


def test_group_figures_of_an_unknown_group_and_of_a_group_without_generations(states):
    render(viz.group_figure, states["fresh"], "nobody", topics=["orders"])
    render(viz.group_figure, states["fresh"], "nobody")
    render(viz.rebalance_figure, states["fresh"].trace, "nobody")


def test_group_table_of_a_stable_two_member_group_with_lag(groups):
    assert viz.group_table(groups["stable"], "g") == "\n".join([
        "group g: Stable, generation 1, protocol range, coordinator b3",
        "member                        partitions",
        "consumer-1-e2a26771 (leader)  clicks-0, clicks-1",
        "consumer-2-db851b83           clicks-2, clicks-3",
        "",
        "partition  owner       committed  end (HW)  lag",
        "clicks-0   consumer-1          7         8    1",
        "clicks-1   consumer-1          7         8    1",
        "clicks-2   consumer-2          4         6    2",
        "clicks-3   consumer-2          2         4    2",
    ])


def test_group_table_after_a_member_leaves(groups):
    assert viz.group_table(groups["after_leave"], "g") == "\n".join([
        "group g: Stable, generation 2, protocol range, coordinator b3",
        "member                        partitions",
        "consumer-1-e2a26771 (leader)  clicks-0, clicks-1, clicks-2, clicks-3",
        "",
        "partition  owner       committed  end (HW)  lag",
        "clicks-0   consumer-1          8         8    0",
        "clicks-1   consumer-1          8         8    0",
        "clicks-2   consumer-1          6         6    0",
        "clicks-3   consumer-1          4         4    0",
    ])


def test_group_table_shows_a_crashed_member_until_its_session_expires(groups):
    assert viz.group_table(groups["crashed"], "g") == "\n".join([
        "group g: Stable, generation 1, protocol range, coordinator b3",
        "member                         partitions",
        "consumer-1-e2a26771 (leader)   clicks-0, clicks-1",
        "consumer-2-db851b83 (CRASHED)  clicks-2, clicks-3",
        "",
        "partition  owner       committed  end (HW)  lag",
        "clicks-0   consumer-1          7         8    1",
        "clicks-1   consumer-1          7         8    1",
        "clicks-2   consumer-2          4         6    2",
        "clicks-3   consumer-2          2         4    2",
        "(CRASHED: consumer-2 still counts as a member until its session times out)",
    ])


def test_group_table_of_an_unknown_group_and_read_committed_end_offsets(groups, states):
    assert viz.group_table(states["fresh"], "nobody", topics=["orders"]) == "\n".join([
        "group nobody: Dead, generation 0, protocol -, coordinator none",
        "(no members)",
        "",
        "partition  owner  committed  end (HW)  lag",
        "orders-0   -              -         0    0",
        "orders-1   -              -         0    0",
    ])
    lines = viz.group_table(groups["after_leave"], "g", isolation_level="read_committed").splitlines()
    assert lines[4] == "partition  owner       committed  end (LSO)  lag"
    v = viz.group_view(groups["crashed"], "g")
    assert [(m.client, m.alive, m.leader) for m in v.members] == [("consumer-1", True, True),
                                                                   ("consumer-2", False, False)]


def test_rebalance_table_of_a_stable_group_and_after_a_member_leaves(groups):
    assert viz.rebalance_table(groups["stable"].trace, "g") == "\n".join([
        "group g: 1 generation",
        "partition  gen 1",
        "clicks-0   consumer-1",
        "clicks-1   consumer-1",
        "clicks-2   consumer-2",
        "clicks-3   consumer-2",
        "gen 1 at 6205 ms, range, 2 members; why: consumer-1 joined; consumer-2 joined",
    ])
    assert viz.rebalance_table(groups["after_leave"].trace, "g") == "\n".join([
        "group g: 2 generations",
        "partition  gen 1       gen 2",
        "clicks-0   consumer-1  consumer-1",
        "clicks-1   consumer-1  consumer-1",
        "clicks-2   consumer-2  consumer-1 *",
        "clicks-3   consumer-2  consumer-1 *",
        "gen 1 at 6205 ms, range, 2 members; why: consumer-1 joined; consumer-2 joined",
        "gen 2 at 15101 ms, range, 1 member; why: consumer-2 left",
        "(* = owner changed since the generation before, - = nobody)",
    ])


def test_rebalance_table_shows_cooperatives_two_rounds(groups):
    assert viz.rebalance_table(groups["cooperative"].trace, "g") == "\n".join([
        "group g: 3 generations",
        "partition  gen 1       gen 2       gen 3",
        "clicks-0   consumer-1  consumer-1  consumer-1",
        "clicks-1   consumer-2  consumer-2  consumer-2",
        "clicks-2   consumer-1  - *         consumer-3 *",
        "clicks-3   consumer-2  consumer-2  consumer-2",
        "gen 1 at 6205 ms, cooperative-sticky, 2 members; why: consumer-1 joined; consumer-2 joined",
        "gen 2 at 12301 ms, cooperative-sticky, 3 members, idle: consumer-3; why: consumer-3 joined",
        "gen 3 at 15301 ms, cooperative-sticky, 3 members; why: consumer-1 rejoined",
        "(* = owner changed since the generation before, - = nobody)",
    ])
    v = viz.rebalance_view(groups["cooperative"].trace, "g")
    assert [g.idle for g in v.generations] == [(), ("consumer-3",), ()]
    assert viz.rebalance_table(groups["cooperative"].trace, "g", max_generations=1).splitlines()[0] == \
        "group g: 1 generation (and 2 earlier ones not shown)"
    assert viz.rebalance_table(groups["stable"].trace, "nobody") == "group nobody: no generation has become Stable yet"


# -- isolation levels -----------------------------------------------------------------------------
def txn_mix() -> Cluster:
    """Two partitions: a committed transaction over both, an aborted one, plain records, and a
    transaction left open with a plain record after it (held back from read_committed)."""
    c = Cluster(brokers=3, seed=7)
    c.create_topic("pay", partitions=2, replication_factor=3, config={"min.insync.replicas": 2})
    t = c.producer({"transactional.id": "tx", "linger.ms": 0})
    plain = c.producer({"linger.ms": 0})
    t.init_transactions()
    t.begin_transaction()
    t.produce("pay", key="a", value=b"1", partition=0)
    t.produce("pay", key="b", value=b"1", partition=1)
    t.commit_transaction()
    t.begin_transaction()
    t.produce("pay", key="c", value=b"1", partition=0)
    t.flush()
    t.abort_transaction()
    plain.produce("pay", key="n", value=b"1", partition=1)
    plain.flush()
    t.begin_transaction()
    t.produce("pay", key="d", value=b"1", partition=1)
    t.flush()
    plain.produce("pay", key="m", value=b"1", partition=1)
    plain.flush()
    c.run(50)
    return c


@pytest.mark.parametrize("state, level", [("fresh", "read_committed"), ("offline", "read_committed"),
                                          ("transactions", "read_committed"),
                                          ("real_transactions", "read_committed"),
                                          ("real_transactions", "read_uncommitted")])
def test_isolation_figure_renders_without_warnings(states, state, level):
    c = states[state]
    render(viz.isolation_figure, c, user_topic(c), level)


def test_isolation_of_a_topic_with_many_partitions_shows_the_first_ones(states):
    lines = viz.isolation_table(states["real_transactions"], "__transaction_state", max_partitions=2).splitlines()
    assert lines[2].startswith("__transaction_state-0 ") and lines[3].startswith("__transaction_state-1 ")
    assert lines[4] == "(48 more partitions not shown)"
    render(viz.isolation_figure, states["real_transactions"], "__transaction_state", max_partitions=2)


def test_isolation_table_of_a_commit_an_abort_and_an_open_transaction(states):
    c = states["real_transactions"]
    assert viz.isolation_table(c, "t", "read_uncommitted") == "\n".join([
        "t as a read_uncommitted consumer reads it from the start:",
        "partition  HW  LSO  log (leader)                          returns",
        "t-0         6    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|  0:a 1:b 3:c 5:d  (stops at HW 6)",
        "(x = aborted, ~ = in an open transaction)",
        "read_uncommitted: 4 records; read_committed: 2 records",
    ])
    assert viz.isolation_table(c, "t", "read_committed") == "\n".join([
        "t as a read_committed consumer reads it from the start:",
        "partition  HW  LSO  log (leader)                          returns",
        "t-0         6    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|  0:a 1:b  (stops at LSO 5)",
        "(x = aborted, ~ = in an open transaction)",
        "read_committed: 2 records; read_uncommitted: 4 records",
    ])
    c = states["transactions"]          # interleaved: the aborted one's records are skipped, not the others
    # a row past 100 columns puts what the consumer returns on its own line under the row
    assert viz.isolation_table(c, "t").splitlines()[1:4] == [
        "partition  HW  LSO  log (leader)",
        "t-0         9    7  |0:x|1x:a1 2x:a2|3:b1|4:ABORT|5:b2|6:COMMIT|7~:c1 8~:c2|",
        "  returns: 0:x 3:b1 5:b2  (stops at LSO 7)"]


def test_isolation_table_of_two_partitions_and_an_offline_one(states):
    assert viz.isolation_table(txn_mix(), "pay", "read_committed") == "\n".join([
        "pay as a read_committed consumer reads it from the start:",
        "partition  HW  LSO  log (leader)                 returns",
        "pay-0       4    4  |0:a|1:COMMIT|2x:c|3:ABORT|  0:a  (stops at LSO 4)",
        "pay-1       5    3  |0:b|1:COMMIT|2:n|3~:d|4:m|  0:b 2:n  (stops at LSO 3)",
        "(x = aborted, ~ = in an open transaction)",
        "read_committed: 3 records; read_uncommitted: 6 records",
    ])
    assert viz.isolation_table(states["offline"], "solo") == "\n".join([
        "solo as a read_committed consumer reads it from the start:",
        "partition  HW  LSO  log (leader)  returns",
        "solo-0      -    -  (no leader)   (nothing: offline)",
        "read_committed: 0 records; read_uncommitted: 0 records",
    ])
    with pytest.raises(ValueError, match="isolation_level must be"):
        viz.isolation_view(states["offline"], "solo", "committed")


def test_what_the_isolation_view_says_a_consumer_returns_is_what_real_consumers_return():
    from minikafka import TopicPartition
    c = txn_mix()
    expected = {level: sorted((rs.partition, cell.offset) for rs in viz.isolation_view(c, "pay", level).strips
                              for cell in rs.returned) for level in ("read_uncommitted", "read_committed")}
    for level, want in expected.items():
        k = c.consumer({"isolation.level": level, "auto.offset.reset": "earliest"})
        k.assign([TopicPartition("pay", 0), TopicPartition("pay", 1)])
        got = sorted((m.partition(), m.offset()) for m in k.consume(100, 1.0))
        assert got == want, level
    assert len(expected["read_uncommitted"]) == 6 and len(expected["read_committed"]) == 3


# -- arguments are checked before anything is read -------------------------------------------------------
def test_viz_functions_refuse_bad_arguments_naming_them():
    from minikafka.errors import KafkaException
    c = fresh()
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART.*'nope'"):
        viz.cluster_table(c, topics=["nope"])
    with pytest.raises(TypeError, match="topics must be a list of topic names"):
        viz.cluster_table(c, topics="orders")
    with pytest.raises(ValueError, match="max_partitions must be an integer >= 1"):
        viz.cluster_table(c, max_partitions=0)
    with pytest.raises(ValueError, match="num_partitions must be an integer >= 1, got 0"):
        viz.key_table(["a"], 0)
    with pytest.raises(TypeError, match="keys must be a list of keys"):
        viz.key_table("abc", 3)
    with pytest.raises(ValueError, match="max_cells must be an integer >= 1"):
        viz.log_table(c, "orders", 0, max_cells=0)
    with pytest.raises(TypeError, match="committed must be a dict of group -> offset"):
        viz.log_table(c, "orders", 0, committed=[("g", 1)])
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        viz.isolation_table(c, "nope")
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        viz.group_table(c, "g", topics=["nope"])
    with pytest.raises(TypeError, match="group_id must be a string"):
        viz.group_table(c, None)
    with pytest.raises(TypeError, match="group must be a string"):
        viz.rebalance_table(c.trace, None)
    with pytest.raises(TypeError, match="nodes must be a list of node names"):
        viz.sequence_table(c.trace, nodes="b1")
    with pytest.raises(ValueError, match="until must be an integer >= 5"):
        viz.sequence_table(c.trace, since=5, until=2)
    with pytest.raises(TypeError, match="order must be a list of integers"):
        viz.order_table(["1", "2"])
    with pytest.raises(TypeError, match="counts must be a dict"):
        viz.distribution_table([1, 2])
    with pytest.raises(TypeError, match=r"data\['x'\] must be a list of integers"):
        viz.experiment_table({"x": ["a"]})
    assert viz.key_table([b"a"], 1).splitlines()[-1].strip().endswith("0")


# -- readable pictures and text that fits 100 columns ----------------------------------------------
def lose_one_of_three_requests() -> tuple[Cluster, int]:
    """Notebook 06's demo: m0, m1 written; m2, m3, m4 in flight together, the first request
    lost; without idempotence the retries go out last-sent first."""
    c = Cluster(brokers=3, seed=5)
    c.create_topic("orders", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"enable.idempotence": False, "linger.ms": 0})
    return c, lose_the_third_of_five(c, p, "orders", "m")


def test_sequence_view_names_each_produce_request_after_its_records_so_a_reorder_shows():
    from minikafka.viz import sequence as seq_module
    c, start = lose_one_of_three_requests()
    v = viz.sequence_view(c.trace, ["producer-1", "b1"], ["ProduceRequest"], since=start, cluster=c)
    assert [v.tag(a) for a in v.items] == ["", "", "", "[m4]", "[m3]", "[m2]"]      # lost ones: unknown
    assert [value.decode() for _, _, value in c.log("orders", 0)] == ["m0", "m1", "m4", "m3", "m2"]
    plain = viz.sequence_view(c.trace, since=start)
    assert all(plain.tag(a) == "" for a in plain.items if isinstance(a, seq_module.Arrow))   # no cluster, no names


def test_sequence_figure_text_is_readable_never_cut_and_never_under_an_arrow():
    from minikafka.viz import sequence as seq
    c, start = lose_one_of_three_requests()
    fig = render(viz.sequence_figure, c.trace, names=["ProduceRequest", "ProduceResponse", "produce.retry"],
                 since=start, nodes=["producer-1", "b1"], cluster=c)
    lanes, column = fig.axes
    texts = [t for t in column.texts]
    assert texts and all(t.get_fontsize() * 100 / 72 >= 11 for t in texts + lanes.texts)
    assert not any(t.get_text().endswith("...") for t in texts)
    from matplotlib.text import Annotation
    assert not [a for a in column.get_children() if isinstance(a, Annotation)]      # no arrow in the text column
    labels = [t for t in lanes.texts if not isinstance(t, Annotation)]
    assert all(t.get_bbox_patch() is not None for t in labels)         # headers and tags sit on their own box
    assert [t.get_text() for t in labels if t.get_text().startswith("m")] == ["m4", "m4", "m3", "m3", "m2", "m2"]
    assert "event order" in lanes.get_ylabel()
    v = viz.sequence_view(c.trace, ["producer-1", "b1"], since=start, cluster=c)
    layout = seq.figure_layout(v)
    assert all(len(line) <= layout.columns for _, lines in layout.text for line in lines)
    long = [lines for _, lines in layout.text if len(lines) > 1]
    assert long, "a long text wraps onto more lines"


def test_sequence_figure_rows_are_event_order_with_virtual_time_ticks():
    from minikafka.viz import sequence as seq
    v = viz.sequence_view(toy_trace())
    layout = seq.figure_layout(v)
    tops = [top for _, top, _ in layout.rows]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)            # one row per event, in order
    fig = render(viz.sequence_figure, toy_trace())
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0 ms", "1 ms", "5 ms", "6 ms", "30001 ms"]


def test_text_views_fit_100_columns_wrapping_between_fields(groups):
    c, start = lose_one_of_three_requests()
    texts = [viz.sequence_table(c.trace, since=start, cluster=c),
             viz.sequence_table(c.trace),
             viz.order_table(list(range(80)) + [3, 3, 2]),
             viz.group_table(groups["cooperative"], "g"),
             viz.rebalance_table(groups["cooperative"].trace, "g")]
    for text in texts:
        assert max(len(line) for line in text.splitlines()) <= 100, text
    assert viz.order_table(list(range(80)) + [3]).splitlines()[1].startswith(" " * 13)   # under the first record
    narrow = viz.sequence_table(c.trace, since=start, width=70)
    assert max(len(line) for line in narrow.splitlines()) <= 70
    assert "DROPPED (rule)" in narrow                                   # a verdict is never split


def test_wrap_fields_breaks_at_spaces_then_after_commas_or_bars():
    from minikafka.viz._style import hang, wrap_fields
    assert wrap_fields("a=1 b=22 c=333", 8) == ["a=1 b=22", "c=333"]
    assert wrap_fields("parts=[a,b,c,d]", 9) == ["parts=[a,", "b,c,d]"]
    assert wrap_fields("|0:k0|1:k1|2:k2|", 11) == ["|0:k0|1:k1|", "2:k2|"]
    assert wrap_fields("x, y", 10) == ["x, y"]                          # a real space stays
    assert hang("  > ", "alpha beta gamma", 16, "  END") == ["  > alpha beta", "    gamma  END"]
    assert hang("  > ", "alpha beta gammas", 15, "  DONE") == ["  > alpha beta", "    gammas", "    DONE"]


def test_order_figure_has_whole_number_ticks_and_a_legend_of_what_it_draws():
    from minikafka.viz.charts import order_legend
    assert order_legend([0, 1, 2, 3]) == ["in order"]
    assert order_legend([0, 2, 1]) == ["in order", "out of order"]
    assert order_legend([0, 1, 1]) == ["in order", "duplicate"]
    clean = render(viz.order_figure, [0, 1, 2, 3, 4])
    ax = clean.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["in order"]
    clean.canvas.draw()
    for axis in (ax.xaxis, ax.yaxis):
        assert all(float(v).is_integer() for v in axis.get_ticklocs()), axis.get_ticklocs()
    mixed = render(viz.order_figure, [0, 2, 1, 1])
    assert [t.get_text() for t in mixed.axes[0].get_legend().get_texts()] == ["in order", "out of order",
                                                                               "duplicate"]


def test_rebalance_footnote_and_group_lag_chart_are_readable(groups):
    fig = render(viz.rebalance_figure, groups["cooperative"].trace, "g")
    foot = fig.axes[1]
    assert foot.texts and all(t.get_fontsize() * 100 / 72 >= 12 for t in foot.texts)
    grid, bars = render(viz.group_figure, groups["cooperative"], "g").axes
    assert bars.get_position().height * grid.figure.get_figheight() >= 1.6       # inches for the lag chart
    assert all(t.get_fontsize() >= 8.5 for t in bars.texts)


def test_check_lines_wrap_at_100_columns_between_words(capsys):
    from minikafka.course import checks
    checks.run("9_9", lambda x: "y" * 40, lambda x: "z" * 40, [((1,), "a case shown with many words " * 2)])
    out = capsys.readouterr().out
    assert out.startswith("[fail] ex9_9") and max(len(x) for x in out.splitlines()) <= 100
    assert out.splitlines()[1].startswith("    ") and "z" * 40 in out and "y" * 40 in out     # words stay whole


def test_a_long_failure_keeps_the_check_within_four_lines_and_still_counts_the_rest(capsys):
    from minikafka.course import checks
    cases = [((i,), f"case={i}") for i in range(5)]
    checks.run("9_9", lambda i: list(range(40)), lambda i: list(range(1, 41)), cases)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= 4 and max(len(x) for x in lines) <= 100
    assert "more of 5 cases differ" in "\n".join(lines) and lines[0].startswith("[fail] ex9_9 case=0")


def test_cluster_table_of_many_brokers_fits_100_columns_with_one_letter_roles():
    c = Cluster(brokers=6, seed=1)
    c.create_topic("orders-and-more", partitions=3, replication_factor=5)
    c.crash_broker(2)
    lines = viz.cluster_table(c).splitlines()
    assert max(map(len, lines)) <= 100
    assert lines[-1].startswith("(L: leader, F: follower, d: replica on a broker that is DOWN")
    row = next(line for line in lines if line.startswith("orders-and-more-0"))
    assert row.split()[-6:] == ["F*", ".", "L*", "F*", "F*", "F*"]
    assert any("d*" in line.split() for line in lines)               # a replica on the down b2
    assert "(L: leader" not in viz.cluster_table(Cluster(brokers=3, seed=1))    # 3 brokers: words


# -- the metadata log picture and the quorum in the cluster map ------------------------------------
def test_metadata_log_view_has_a_row_per_voter_then_per_broker_with_their_marks():
    c = Cluster(brokers=2, controllers=3, seed=1)
    c.create_topic("t", partitions=1, replication_factor=2)
    c.crash_controller(c.controller_state().leader)
    c.run(6_000)
    start, end, rows = viz.metadata_log_view(c, last=12)
    assert [r.node for r in rows] == ["c1", "c2", "c3", "b1", "b2"]
    assert end - start == 12
    active = next(r for r in rows if "(active)" in r.label)
    assert active.mark == c.controller.raft.hw and active.end == end
    down = next(r for r in rows if r.label.endswith("DOWN"))
    assert down.end < end                                # its copy stopped when it crashed
    for r in rows[3:]:
        assert r.mark == c.brokers[int(r.node[1:])].image.offset + 1 <= active.mark
    kinds = {kind for r in rows for _, kind, _ in r.cells}
    assert "control" in kinds and "noop" in kinds        # the new epoch's LeaderChange, NoOps
    assert viz.metadata_log_figure(c, last=12).axes


def test_the_cluster_map_names_the_quorum_only_when_there_is_more_than_one_controller():
    c = Cluster(brokers=2, controllers=3, seed=1)
    leader = c.controller_state().leader
    line = viz.cluster_table(c).splitlines()[1]
    assert line.startswith("quorum: ") and f"c{leader} leader (active, epoch" in line
    c.crash_controller(leader)
    assert f"c{leader} DOWN" in viz.cluster_table(c).splitlines()[1]
    assert not viz.cluster_table(Cluster(brokers=2)).splitlines()[1].startswith("quorum")
    assert viz.cluster_view(Cluster(brokers=2)).quorum == ()
