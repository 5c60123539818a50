"""course/errors.py: a provoked error in a few lines."""
from __future__ import annotations

from minikafka import Cluster
from minikafka.course.errors import describe, expect_error
from minikafka.errors import ConfigException, KafkaException


def test_a_kafka_error_shows_its_type_its_kafka_name_and_the_message_wrapped(capsys):
    with expect_error("_INVALID_ARG"):
        Cluster(brokers=1, seed=1).producer({"enable.idempotence": True, "acks": "1"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ConfigException: _INVALID_ARG"
    assert out[1].startswith("    Must set acks to all") and all(len(line) <= 100 for line in out)
    assert "Traceback" not in "\n".join(out) and len(out) <= 4


def test_no_error_and_the_wrong_error_are_said_in_the_output(capsys):
    with expect_error("_STATE"):
        pass
    with expect_error("_STATE"):
        raise KafkaException("_TIMED_OUT", "too slow")
    with expect_error():
        raise ValueError("bad")
    assert capsys.readouterr().out.splitlines() == [
        "no error: the call succeeded (expected _STATE)",
        "KafkaException: _TIMED_OUT", "    too slow", "(expected _STATE, got _TIMED_OUT)",
        "ValueError", "    bad"]


def test_describe_does_not_repeat_the_kafka_name():
    assert describe(ConfigException("x")) == "ConfigException: _INVALID_ARG\n    x"
