"""viz: every figure renders without warnings for representative states, nothing leaks into
pyplot, and every text twin is exact (the full string) for at least two states."""
from __future__ import annotations

import re
import subprocess
import sys
import warnings

import pytest

from minikafka import Cluster, viz
from minikafka.experiments import ExperimentRow
from minikafka.records import Record, RecordBatch, control_batch
from minikafka.trace import Trace


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
    t.add(2, "send", "b2", "controller", "BrokerHeartbeat", {"id": 3})
    t.add(3, "recv", "controller", "b2", "BrokerHeartbeat", {"id": 3})
    t.add(5, "send", "b2", "b1", "FetchRequest", {"id": 4, "parts": ("t-0@0",)})
    t.add(6, "recv", "b1", "b2", "FetchRequest", {"id": 4})
    t.state(6, "b1", "hw", hw=1, tp="t-0")
    t.add(30_001, "send", "producer-1", "b1", "ProduceRequest", {"id": 5, "acks": "all", "batches": ("t-0:1",)})
    return t


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
            "import minikafka.viz, minikafka.widgets, minikafka.experiments\n"
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
    topic = c.topics()[0]
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
        "orders-0: leader broker 1, leader epoch 0, ISR [1, 3, 2]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    0   0    0  (empty)",
        "     3  follower  yes    0   0    0  (empty)",
        "     2  follower  yes    0   0    0  (empty)",
    ])


def test_log_table_after_produces_shows_batches_keys_and_committed_offsets(states):
    assert viz.log_table(states["produced"], "orders", 0, committed={"billing": 2, "audit": 0}) == "\n".join([
        "orders-0: leader broker 1, leader epoch 0, ISR [1, 3, 2]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     3  follower  yes    5   3    3  |0:k0 1:k1 2:k2|3 4|",
        "     2  follower  yes    5   3    3  |0:k0 1:k1 2:k2|3 4|",
        "committed offsets: audit=0, billing=2",
    ])


def test_log_table_after_a_leader_crash(states):
    assert viz.log_table(states["leader_crashed"], "orders", 0) == "\n".join([
        "orders-0: leader broker 3, leader epoch 1, ISR [3, 2]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  offline   no     5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     3  leader    yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
        "     2  follower  yes    5   5    5  |0:k0 1:k1 2:k2|3 4|",
    ])


def test_log_table_of_an_offline_partition(states):
    assert viz.log_table(states["offline"], "solo", 0) == "\n".join([
        "solo-0: leader none (OFFLINE), leader epoch 1, ISR [1]",
        "broker  role     ISR  LEO  HW  LSO  log",
        "     1  offline  yes    1   1    1  |0:a|",
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
        "t-0: leader broker 1, leader epoch 0, ISR [1, 3, 2]",
        "broker  role      ISR  LEO  HW  LSO  log",
        "     1  leader    yes    6   6    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
        "     3  follower  yes    6   5    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
        "     2  follower  yes    6   5    5  |0:a 1:b|2:COMMIT|3x:c|4:ABORT|5~:d|",
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
        "orders-0   1           0  [1, 3, 2]  leader (ISR)    follower (ISR)  follower (ISR)",
        "orders-1   2           0  [2, 1, 3]  follower (ISR)  leader (ISR)    follower (ISR)",
    ])


def test_cluster_table_after_a_leader_crash(states):
    assert viz.cluster_table(states["leader_crashed"]) == "\n".join([
        "controller: live brokers [2, 3]",
        "broker  process  controller",
        "b1      DOWN     fenced",
        "b2      up       unfenced",
        "b3      up       unfenced",
        "",
        "partition  leader  epoch  ISR     b1             b2              b3",
        "orders-0   3           1  [3, 2]  replica, DOWN  follower (ISR)  leader (ISR)",
        "orders-1   2           0  [2, 3]  replica, DOWN  leader (ISR)    follower (ISR)",
    ])


def test_cluster_table_of_an_offline_partition(states):
    assert viz.cluster_table(states["offline"]) == "\n".join([
        "controller: live brokers [2, 3]",
        "broker  process  controller",
        "b1      DOWN     fenced",
        "b2      up       unfenced",
        "b3      up       unfenced",
        "",
        "partition  leader   epoch  ISR  b1                   b2  b3",
        "solo-0     OFFLINE      1  [1]  replica (ISR), DOWN  .   .",
    ])


def test_cluster_table_leaves_internal_topics_out_unless_named(states):
    c = states["real_transactions"]
    assert viz.cluster_table(c).splitlines()[-3:] == [
        "partition  leader  epoch  ISR        b1            b2              b3",
        "t-0        1           0  [1, 3, 2]  leader (ISR)  follower (ISR)  follower (ISR)",
        "(internal topics not shown: __transaction_state)",
    ]
    named = viz.cluster_table(c, topics=["__transaction_state"], max_partitions=2).splitlines()
    assert named[-1] == "(48 more partitions not shown)" and named[-3].startswith("__transaction_state-0 ")


def test_cluster_table_right_after_a_crash_still_shows_the_old_leader():
    c = fresh()
    c.crash_broker(1)                        # the controller has not noticed yet
    assert viz.cluster_table(c).splitlines()[-2:] == [
        "orders-0   1           0  [1, 3, 2]  leader (ISR), DOWN   follower (ISR)  follower (ISR)",
        "orders-1   2           0  [2, 1, 3]  replica (ISR), DOWN  leader (ISR)    follower (ISR)",
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
    assert viz.sequence_table(toy_trace(), nodes=["b2", "controller"], names=["Broker*"]) == "\n".join([
        "nodes: b2, controller",
        "      2 -> 3       b2 -> controller           BrokerHeartbeat",
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
    assert viz.sequence_table(c.trace, nodes=["producer-1", 1], names=["Produce*", "delivered"]) == "\n".join([
        "nodes: producer-1, b1",
        "      6 -> 7       producer-1 -> b1           ProduceRequest acks=all batches=[orders-0:1@seq0] epoch=0 pid=1000",
        "      9 -> drop    b1 -> producer-1           ProduceResponse results=[orders-0:ok@0]  DROPPED (rule)",
        "  30109 -> 30110   producer-1 -> b1           ProduceRequest acks=all batches=[orders-0:1@seq0] epoch=0 pid=1000",
        "  30110 -> 30111   b1 -> producer-1           ProduceResponse results=[orders-0:ok@0]",
        "  30111            producer-1                 * delivered offset=0 records=1 tp=orders-0",
    ])


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
