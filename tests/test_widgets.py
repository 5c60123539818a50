"""widgets: built and driven from Python as a learner drives them in a browser (`.value = ...`,
`.click()`), without a kernel: the state changes, the pictures and text follow, and nothing
is printed to stdout."""
from __future__ import annotations

import html
import re

import pytest

from minikafka import viz, widgets


@pytest.fixture(autouse=True)
def no_stdout(capsys):
    """Callbacks write only into their widget's Output, never to stdout."""
    yield
    out = capsys.readouterr().out
    assert out == "", out


def text(html_widget) -> str:
    """The text an HTML widget shows (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_widget.value))


def is_png(image) -> bool:
    return bytes(image.value).startswith(b"\x89PNG")


def stream(widget) -> str:
    """What the widget's Output says, as plain text (errors: the words, then Kafka's name)."""
    return "\n".join(widget.said())


def displayable(widget) -> bool:
    """A box a notebook shows, an Output for its messages, and the display hook."""
    import ipywidgets
    return (isinstance(widget.box, ipywidgets.VBox) and isinstance(widget.out, ipywidgets.Output)
            and callable(widget._ipython_display_))


def test_cluster_explorer_produce_crash_restart_cut_heal_step_run():
    e = widgets.ClusterExplorer()
    assert displayable(e)
    c = e.cluster
    assert is_png(e.map_image) and is_png(e.log_image)
    e.records.value = 4
    e.produce.click()
    assert "4 acknowledged, 0 failed" in " ".join(stream(e).split())    # wrapped beside the metrics panel
    assert c.partition_state("orders", 0).high_watermark == 4
    assert "|0:k0 1:k1 2:k2 3:k3|" in text(e.text)

    e.broker.value = 1
    e.crash.click()
    assert c.brokers[1].alive is False
    assert "b1      DOWN" in text(e.text)
    assert e.crash.unavailable and not e.restart.unavailable
    e.crash.click()                          # already down: said, not raised, nothing done
    assert "this broker is down already: Restart it" in " ".join(stream(e).split())
    assert "RuntimeError" not in stream(e)
    before = c.now
    e.run_ms.value = 12_000
    e.run.click()
    assert c.now == before + 12_000 and 1 not in c.controller.live_brokers()
    assert f"virtual time {c.now} ms" in text(e.clock)
    e.restart.click()
    assert c.brokers[1].alive is True

    e.link_a.value, e.link_b.value = "b2", "c1"
    e.cut.click()
    assert c.net.is_cut("b2", "c1")
    e.heal.click()
    assert not c.net.is_cut("b2", "c1")

    events = len(c.trace)
    e.step.click()
    assert len(c.trace) >= events
    e.partition.value = 1
    assert "orders-1: leader" in text(e.text)
    assert text(e.text).endswith(viz.log_table(c, "orders", 1))
    assert "0x" not in text(e.text) + stream(e)


def test_partitioner_playground_keys_partition_count_and_sticky_records():
    p = widgets.PartitionerPlayground(keys="alice bob", partitions=6)
    assert displayable(p)
    assert viz.key_table(["alice", "bob"], 6) in text(p.table)
    assert p.counts["keyed (murmur2)"] == [1, 0, 0, 1, 0, 0]          # alice -> 3, bob -> 0
    p.partitions.value = 4
    assert sum(p.counts["keyed (murmur2)"]) == 2 and len(p.counts["keyed (murmur2)"]) == 4
    p.keys.value = "alice, bob, carol"
    assert p.key_list() == ["alice", "bob", "carol"] and "carol" in text(p.table)
    p.null_records.value = 100
    assert sum(p.counts["null key (sticky)"]) == 100
    assert is_png(p.chart)


def test_replication_stepper_shows_leo_then_hw_advance():
    s = widgets.ReplicationStepper()
    assert displayable(s)
    c, leader = s.cluster, s.cluster.partition_state("t", 0).leader
    s.produce.click()
    assert c.partition_state("t", 0).replica(leader).leo == 0      # still in the producer
    for _ in range(50):
        s.step.click()
        if c.partition_state("t", 0).high_watermark == 1:
            break
    st = c.partition_state("t", 0)
    assert st.replica(leader).leo == 1 and st.high_watermark == 1
    assert text(s.replicas) == viz.log_table(c, "t", 0)
    assert "<- last" in text(s.events) and "BrokerHeartbeat " not in text(s.events)

    s.quiet.value = False
    events = c.sim.events_run
    s.step.click()
    assert c.sim.events_run == events + 1
    s.broker.value = 2
    s.crash.click()
    assert not c.brokers[2].alive and "crashed b2" in stream(s)


def test_durability_lab_runs_trials_with_progress_and_compares_settings():
    d = widgets.DurabilityLab(seeds=5, records=40, first=())
    assert displayable(d)
    d.acks.value = "1"
    d.seeds.value = 10
    assert "acks=1 min.insync=2" in text(d.ready) and "over 10 seeds" in text(d.ready) and d.rows == []
    d.seeds.value = 5
    d.run.click()
    assert d.progress.value == d.progress.max == 5
    assert [r.label for r in d.rows] == ["acks=1 min.insync=2"]
    d.acks.value = "all"
    d.run.click()
    d.run.click()                            # the same setting again replaces its row
    assert [r.label for r in d.rows] == ["acks=1 min.insync=2", "acks=all min.insync=2"]
    assert d.rows[1].lost == (0, 0, 0, 0, 0)
    assert viz.experiment_table(d.rows).splitlines()[-1] in text(d.table)
    assert "trials lost acknowledged records" in stream(d)
    d.clear.click()
    assert d.rows == [] and is_png(d.chart)


def test_ordering_lab_follows_its_controls():
    o = widgets.OrderingLab(seed=3)
    assert displayable(o)
    assert o.result is not None and o.result.idempotent is False
    r = o.result
    assert r.reordered or r.duplicated
    assert ("REORDERED" in text(o.summary)) == r.reordered and ("DUPLICATED" in text(o.summary)) == r.duplicated
    o.idempotent.value = True
    assert o.result.idempotent is True and not o.result.reordered and not o.result.duplicated
    o.max_in_flight.value = 1
    o.drop.value = 0.0
    assert o.result.max_in_flight == 1 and o.result.order == tuple(range(20))
    o.next_seed.click()
    assert o.seed.value == 4 and o.result.seed == 4
    o.sweep.click()
    assert o.sweep_result == {"trials": 30, "reordered": 0, "duplicated": 0, "missing": 0}
    assert is_png(o.chart)


def test_transaction_lab_abort_then_commit_seen_through_both_isolation_levels():
    x = widgets.TransactionLab()
    assert displayable(x)
    c = x.cluster
    assert x.isolation.value == "read_committed" and is_png(x.picture)
    x.begin.click()
    x.produce.click()                        # k0 -> payments-0, the transaction still open
    assert "producer-1 produced k0 to payments-0 (offset 0)" in stream(x)
    assert c.partition_state("payments", 0).last_stable_offset == 0
    assert "|0~:k0|" in text(x.text) and "(stops at LSO 0)" in text(x.text)
    x.abort.click()
    assert text(x.text) == viz.isolation_table(c, "payments", "read_committed")
    assert text(x.text).splitlines()[2].endswith("|0x:k0|1:ABORT|  (nothing)  (stops at LSO 2)")
    x.isolation.value = "read_uncommitted"             # the same log, another consumer
    assert text(x.text).splitlines()[2].endswith("|0x:k0|1:ABORT|  0:k0  (stops at HW 2)")
    assert text(x.text).splitlines()[-1] == "read_uncommitted: 1 record; read_committed: 0 records"

    x.begin.click()
    x.produce.click()                        # k1 -> payments-0
    x.commit.click()
    x.isolation.value = "read_committed"
    assert "0x:k0|1:ABORT|2:k1|3:COMMIT|  2:k1  (stops at LSO 4)" in text(x.text)
    assert "committed; COMMIT markers written" in stream(x)


@pytest.mark.parametrize("tv", [1, 2])
def test_transaction_lab_names_its_protocol_and_v2_moves_the_epoch_at_each_commit(tv):
    x = widgets.TransactionLab(transaction_version=tv)
    assert f"transaction.version {tv};" in text(x.status)
    epoch = x.current.producer_epoch
    for _ in range(2):
        x.begin.click()
        x.produce.click()
        x.commit.click()
    assert x.current.producer_epoch == epoch + (2 if tv == 2 else 0)
    assert f"(epoch now {x.current.producer_epoch})" in stream(x)


def test_transaction_lab_a_new_instance_fences_the_old_one_and_aborts_its_transaction():
    x = widgets.TransactionLab()
    c = x.cluster
    x.begin.click()
    x.partition.value = 1
    x.produce.click()
    x.plain.click()                          # a non-transactional record behind the open transaction
    assert text(x.text).splitlines()[3].endswith("|0~:k0|1:n1|  (nothing)  (stops at LSO 0)")
    x.new_instance.click()
    old, new = x.instances
    assert x.instance.value == new.name and new.producer_epoch > old.producer_epoch
    assert "zombie" in x.instance_label(old) and "zombie" not in x.instance_label(new)
    assert "|0x:k0|1:n1|2:ABORT|  1:n1  (stops at LSO 3)" in text(x.text)  # fenced: aborted by the coordinator
    x.instance.value = old.name              # act as the zombie
    x.produce.click()
    x.commit.click()
    assert "INVALID_PRODUCER_EPOCH" in stream(x)
    assert c.partition_state("payments", 1).last_stable_offset == 3
    assert "zombie: fenced by a newer instance" in text(x.status)


def test_group_lab_add_add_crash_run_leaves_one_member_owning_every_partition():
    g = widgets.GroupLab(consumers=0)
    assert displayable(g)
    assert g.assignor.value == "range" and g.member.options == ()
    g.add.click()
    g.add.click()
    assert [k.name for k in g.live] == ["consumer-1", "consumer-2"]
    g.seconds.value = 10
    g.run.click()                            # both poll: they join after the initial delay
    view = g.cluster.group_state("lab")
    assert view.state == "Stable" and len(view.members) == 2
    assert sorted(len(tps) for _, tps in view.members) == [2, 2]
    assert text(g.table) == viz.group_table(g.cluster, "lab", topics=["clicks"])
    g.member.value = "consumer-1"
    g.crash.click()
    assert "consumer-1 crashed" in stream(g) and g.member.options == ("consumer-2",)
    assert "(CRASHED)" in text(g.table)
    g.seconds.value = 60
    g.run.click()
    view = g.cluster.group_state("lab")
    assert [(m.rsplit("-", 1)[0], sorted(tps)) for m, tps in view.members] == [
        ("consumer-2", [("clicks", 0), ("clicks", 1), ("clicks", 2), ("clicks", 3)])]
    assert "session timeout" in text(g.events) and "group.stable" in text(g.events)
    rows = viz.rebalance_view(g.cluster.trace, "lab").generations
    assert [len(r.members) for r in rows] == [2, 1]
    assert all(r.owner == "consumer-2" for r in viz.group_view(g.cluster, "lab").partitions)
    assert is_png(g.group_image) and is_png(g.rebalance_image)


def test_group_lab_close_and_a_new_assignor_starts_a_fresh_group():
    g = widgets.GroupLab(consumers=2, rate=10)
    first = g.cluster
    assert len(g.cluster.group_state("lab").members) == 2 and "range, 2 consumers" in stream(g)
    g.member.value = "consumer-2"
    g.close.click()
    assert [k.name for k in g.live] == ["consumer-1"] and "consumer-2 closed" in stream(g)
    g.close.click()
    g.close.click()                          # nobody left to close: shown, not raised
    assert "not now: no consumer is live: press Add consumer first" in stream(g) and "ValueError" not in stream(g)
    g.assignor.value = "cooperative-sticky"
    assert g.cluster is not first and g.cluster.group_state("lab").protocol == "cooperative-sticky"
    g.add.click()                            # a third member: cooperative takes two rounds
    g.seconds.value = 8
    g.run.click()
    gens = viz.rebalance_view(g.cluster.trace, "lab").generations
    assert [len(r.owners) for r in gens] == [4, 3, 4] and gens[1].idle == ("consumer-3",)
    assert "gen 3" in viz.rebalance_table(g.cluster.trace, "lab")


# -- every lab opens on something, says errors in plain words, and greys out what cannot act ------
def test_a_new_durability_lab_already_compares_acks_1_and_all():
    d = widgets.DurabilityLab(seeds=5, records=40)
    assert [r.label for r in d.rows] == ["acks=1 min.insync=2", "acks=all min.insync=2"]
    assert text(d.table) == viz.experiment_table(d.rows) and is_png(d.chart)


def test_a_rerun_over_another_seed_count_replaces_the_chart_instead_of_mixing_counts():
    from minikafka.widgets.durability_lab import merge_rows
    d = widgets.DurabilityLab(seeds=5, records=40)
    d.seeds.value = 10
    d.acks.value = "1"
    d.run.click()
    assert [(r.label, len(r.seeds)) for r in d.rows] == [("acks=1 min.insync=2", 10)]
    assert "cleared acks=all min.insync=2 (5 seeds)" in stream(d)
    d.acks.value = "all"
    d.run.click()                             # same seeds: the comparison grows
    assert [(r.label, len(r.seeds)) for r in d.rows] == [("acks=1 min.insync=2", 10), ("acks=all min.insync=2", 10)]
    rows, dropped = merge_rows(d.rows, d.rows[0])
    assert [r.label for r in rows] == ["acks=all min.insync=2", "acks=1 min.insync=2"] and dropped == []


@pytest.mark.parametrize("state, enabled", [
    ("READY", {"begin"}),
    ("IN_TRANSACTION", {"produce", "commit", "abort"}),
    ("ABORTABLE_ERROR", {"abort"}),
    ("COMMITTING_TRANSACTION", {"commit"}),
    ("ABORTING_TRANSACTION", {"abort"}),
    ("FATAL_ERROR", set()),
    ("UNINITIALIZED", set()),
])
def test_transaction_buttons_are_enabled_only_when_their_action_is_possible(state, enabled):
    from minikafka.widgets.transaction_lab import txn_buttons
    buttons = txn_buttons(state)
    assert {name for name, (on, _) in buttons.items() if on} == enabled
    assert all(why and "_STATE" not in why for _, why in buttons.values())


def test_transaction_lab_greys_out_commit_and_abort_when_no_transaction_is_open():
    x = widgets.TransactionLab()
    assert (x.begin.unavailable, x.produce.unavailable, x.commit.unavailable, x.abort.unavailable) == (False, True, True, True)
    assert x.commit.tooltip == "no transaction is open: press Begin first"
    x.begin.click()
    assert (x.begin.unavailable, x.produce.unavailable, x.commit.unavailable, x.abort.unavailable) == (True, False, False, False)
    x.produce.click()
    x.commit.click()
    assert x.abort.unavailable and x.commit.unavailable and not x.begin.unavailable
    events = len(x.cluster.trace)
    x.abort.click()                           # clickable, but it says why instead of acting
    assert x.said()[-1] == "not now: no transaction is open: press Begin first"
    assert len(x.cluster.trace) == events     # nothing was asked of Kafka
    assert x.abort.style.text_color and not x.begin.style.text_color     # greyed, not disabled
    assert not x.abort.disabled


def test_transaction_lab_zombie_errors_are_said_in_plain_words():
    """v2: the zombie's write is refused at the leader (INVALID_PRODUCER_EPOCH, abortable, KIP-588);
    its abort then meets the coordinator's PRODUCER_FENCED, and it is fenced for good."""
    x = widgets.TransactionLab()
    x.new_instance.click()
    x.instance.value = x.instances[0].name
    x.begin.click()
    x.produce.click()
    assert "fenced it" in stream(x) and "Kafka: INVALID_PRODUCER_EPOCH" in stream(x)
    assert not x.abort.unavailable and x.commit.unavailable
    x.abort.click()
    assert "this instance is a zombie" in stream(x) and "Kafka: PRODUCER_FENCED" in stream(x)
    assert x.commit.unavailable and x.produce.unavailable and x.begin.unavailable       # fenced for good
    x.instance.value = x.instances[1].name                                      # the newest can act
    assert not x.begin.unavailable


def test_transaction_lab_demo_opens_on_a_committed_and_an_open_transaction():
    x = widgets.TransactionLab(demo=True)
    assert "|0:k0|1:COMMIT|2~:k2|" in text(x.text) and x.current.txn.state == "IN_TRANSACTION"
    assert not x.commit.unavailable and x.begin.unavailable


def test_explain_keeps_plain_errors_and_translates_kafkas():
    from minikafka.errors import KafkaException
    from minikafka.widgets._base import explain
    plain = "no live consumer chosen: add one first"
    assert explain(ValueError(plain)) == (plain, "")
    words, small = explain(KafkaException("_TIMED_OUT", "Topic 't' not present in metadata after 60000 ms"))
    assert "restart a broker" in words and small.startswith("Kafka: _TIMED_OUT")
    words, small = explain(KafkaException("UNKNOWN_TOPIC_OR_PART", "no such topic"))
    assert (words, small) == ("no such topic", "Kafka: UNKNOWN_TOPIC_OR_PART")


def test_group_lab_close_and_crash_are_greyed_out_without_a_live_consumer():
    from minikafka.widgets.group_lab import member_buttons
    assert member_buttons(0) == {"close": (False, "no consumer is live: press Add consumer first"),
                                 "crash": (False, "no consumer is live: press Add consumer first")}
    g = widgets.GroupLab(consumers=0)
    assert g.close.unavailable and g.crash.unavailable
    g.add.click()
    assert not g.close.unavailable and not g.crash.unavailable


def test_replication_stepper_crash_and_restart_follow_the_chosen_broker():
    s = widgets.ReplicationStepper()
    s.broker.value = 3
    assert not s.crash.unavailable and s.restart.unavailable
    s.crash.click()
    assert s.crash.unavailable and not s.restart.unavailable
    s.broker.value = 2                        # a running broker: the buttons follow the choice
    assert not s.crash.unavailable and s.restart.unavailable
    s.crash.click()
    s.broker.value = 1
    s.crash.click()
    assert s.produce.unavailable and "Restart one first" in s.produce.tooltip       # every broker down
    s.restart.click()
    assert not s.produce.unavailable


def test_lab_text_views_fit_100_columns():
    from minikafka.widgets.group_lab import event_line
    from minikafka.widgets.replication_stepper import events_text
    g = widgets.GroupLab(consumers=3)
    g.run.click()
    lines = [line for e in g.recent_events() for line in event_line(e).splitlines()]
    assert lines and max(len(x) for x in lines) <= 100
    assert not any(x.endswith("...") for x in lines)
    s = widgets.ReplicationStepper()
    s.produce.click()
    s.steps.value = 20
    s.step.click()
    assert max(len(x) for x in events_text(s.cluster.now, s.visible_events()).splitlines()) <= 100
    assert max(len(x) for x in text(s.events).splitlines()) <= 100
    o = widgets.OrderingLab(seed=3, records=60)
    assert max(len(x) for x in text(o.summary).splitlines()) <= 100


def test_lab_messages_wrap_between_words_at_100_columns():
    d = widgets.DurabilityLab(seeds=5, records=40, first=())
    d.say("word " * 60)
    lines = d.said()
    assert len(lines) > 1 and max(len(x) for x in lines) <= 100 and all(x.strip().endswith("word") for x in lines)
