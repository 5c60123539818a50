"""The labs of notebooks 10 and 11 (PipelineLab, ConfigTranslator): their pure functions, and the
widgets driven from Python as a learner drives them, printing nothing to stdout."""
from __future__ import annotations

import html
import re

import pytest

from minikafka.course.lessons.nb11 import port_config
from minikafka.widgets.config_translator import ConfigTranslator, compare_clients, comparison_table, parse_config
from minikafka.widgets.pipeline_lab import PipelineLab, input_copies, lab_run, lab_summary


def text(html_widget) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_widget.value))


def said(widget) -> str:
    """What the widget's Output shows, as plain text (streams and rich error lines alike)."""
    return "".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in widget.out.outputs)


def verdicts(run) -> dict[str, str]:
    return {c.value: c.verdict for c in input_copies(run)}


# -- PipelineLab -----------------------------------------------------------------------------------
def test_a_crash_after_produce_duplicates_the_batch_without_a_transaction_but_not_with_one():
    plain = lab_run("after produce", 0, "plain")
    assert verdicts(plain) == {"order-0": "DUPLICATED", "order-1": "DUPLICATED", "order-2": "DUPLICATED",
                               "order-3": "once", "order-4": "once", "order-5": "once"}
    txn = lab_run("after produce", 0, "transactional")
    assert set(verdicts(txn).values()) == {"once"}
    assert [c.read_uncommitted for c in input_copies(txn)] == [2, 2, 2, 1, 1, 1]   # the aborted copies


def test_committing_first_then_crashing_loses_the_batch():
    run = lab_run("after send_offsets", 1, "commit first")
    assert verdicts(run) == {"order-0": "once", "order-1": "once", "order-2": "once",
                             "order-3": "LOST", "order-4": "LOST", "order-5": "LOST"}
    summary = lab_summary(run, "after send_offsets", 1, "commit first")
    assert "lost 3, duplicated 0" in summary
    assert all(len(line) <= 100 for line in summary.splitlines())


def test_an_unknown_pipeline_is_refused():
    with pytest.raises(ValueError, match="pipeline must be one of"):
        lab_run(None, 0, "exactly-twice")


def test_the_pipeline_lab_follows_its_controls(capsys):
    lab = PipelineLab()
    assert "crash: after produce in batch 0" in text(lab.text)
    assert "lost 0, duplicated 0" in text(lab.text)
    lab.pipeline.value = "plain"
    assert "lost 0, duplicated 3" in text(lab.text)
    lab.crash_at.value = None
    assert "crash: none" in text(lab.text) and "lost 0, duplicated 0" in text(lab.text)
    assert bytes(lab.picture.value).startswith(b"\x89PNG")
    lab.isolation.value = "read_uncommitted"
    lab.next_point.click()
    assert lab.crash_at.value == "after consume" and "crash: after consume in batch 0" in text(lab.text)
    for _ in range(4):
        lab.next_point.click()
    assert lab.crash_at.value is None
    assert lab.summary == text(lab.text)
    assert lab.out.outputs == () and capsys.readouterr().out == ""


# -- ConfigTranslator ------------------------------------------------------------------------------
def test_an_acks_1_producer_is_not_idempotent_in_either_client_but_the_defaults_still_differ():
    rows = {r.setting: r for r in compare_clients({"acks": "1"}, "producer")}
    assert rows["enable.idempotence"].java == rows["enable.idempotence"].librdkafka == "false"
    assert rows["delivery.timeout.ms"].java == "120000" and rows["delivery.timeout.ms"].librdkafka == "300000"
    assert rows["partitioner"].librdkafka == "consistent_random"
    assert all(r.ported == "[todo]" for r in rows.values())


def test_an_unset_idempotence_is_true_in_java_and_false_in_librdkafka():
    row = {r.setting: r for r in compare_clients({}, "producer")}["enable.idempotence"]
    assert (row.java, row.librdkafka, row.same) == ("true", "false", False)


def test_keys_librdkafka_lacks_or_spells_differently_are_errors_and_port_config_fixes_them():
    config = {"max.poll.records": 10, "fetch.max.wait.ms": 100, "auto.offset.reset": "none",
              "request.timeout.ms": 30000}
    rows = {r.setting: r for r in compare_clients(config, "consumer", port_config)}
    assert rows["max.poll.records"].librdkafka.startswith("ERROR") and rows["max.poll.records"].ported == "(left out)"
    assert rows["fetch.max.wait.ms"].ported == "fetch.wait.max.ms=100"
    assert rows["auto.offset.reset"].ported == "error"
    assert rows["request.timeout.ms"].librdkafka.startswith("ignored")
    assert rows["isolation.level"].java == "read_uncommitted" and rows["isolation.level"].librdkafka == "read_committed"
    table = comparison_table(config, "consumer", port_config)
    assert all(len(line) <= 100 for line in table.splitlines())
    assert table.endswith("5 of 5 settings differ (!) if you pass the dict to confluent-kafka unchanged")


def test_a_config_must_be_a_dict_literal():
    assert parse_config("{'acks': 'all'}") == {"acks": "all"}
    with pytest.raises(ValueError, match="a config is a dict"):
        parse_config("[1]")


def test_the_config_translator_follows_presets_role_and_typed_configs(capsys):
    w = ConfigTranslator(port=port_config)
    assert "producer config {'acks': '1'}" in text(w.text)
    consumer = next(b for b in w.presets if b.description == "orders_app consumer")
    consumer.click()
    assert w.role.value == "consumer" and "! isolation.level" in text(w.text)
    w.config.value = "[1]"
    assert "a config is a dict, got list" in said(w)
    w.config.value = "{'isolation.level': 'read_committed'}"
    assert "0 of 1 settings differ" in text(w.text)
    assert capsys.readouterr().out == ""
