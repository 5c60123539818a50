"""minikafka.errors: Kafka's error names and codes, compared by code."""
import pytest

from minikafka import ConfigException, KafkaError, KafkaException


def test_protocol_errors_keep_broker_codes():
    assert KafkaError.NOT_ENOUGH_REPLICAS == 19
    assert KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND == 20
    assert KafkaError.OFFSET_OUT_OF_RANGE == 1
    assert KafkaError.NOT_LEADER_OR_FOLLOWER == 6


def test_client_side_errors_have_negative_librdkafka_codes():
    assert KafkaError._MSG_TIMED_OUT == -192
    assert KafkaError._INVALID_ARG < 0


def test_error_built_from_name_or_code_is_the_same_error():
    by_name, by_code = KafkaError("NOT_ENOUGH_REPLICAS"), KafkaError(19)
    assert by_name.code() == by_code.code() == 19
    assert by_name.name() == by_code.name() == "NOT_ENOUGH_REPLICAS"
    assert by_name.retriable()
    assert not KafkaError("_MSG_TIMED_OUT").retriable()


def test_errors_compare_equal_by_code_and_to_ints():
    assert KafkaError(19) == KafkaError("NOT_ENOUGH_REPLICAS", "a different reason")
    assert KafkaError(19) != KafkaError(20)
    assert KafkaError(19) == KafkaError.NOT_ENOUGH_REPLICAS
    assert hash(KafkaError(19)) == hash(KafkaError("NOT_ENOUGH_REPLICAS", "x"))


def test_reason_overrides_default_description():
    assert KafkaError(19, "only 1 of 2").str() == "only 1 of 2"
    assert "fewer in-sync replicas" in KafkaError(19).str()


def test_unknown_error_is_refused():
    with pytest.raises(ValueError):
        KafkaError("NO_SUCH_ERROR")
    with pytest.raises(ValueError):
        KafkaError(12345)


def test_kafka_exception_carries_the_error_as_first_arg():
    exc = KafkaException("NOT_ENOUGH_REPLICAS", "isr 1 < 2")
    assert isinstance(exc.args[0], KafkaError)
    assert exc.args[0].code() == KafkaError.NOT_ENOUGH_REPLICAS
    assert exc.error is exc.args[0]
    assert "isr 1 < 2" in str(exc)
    err = KafkaError("_MSG_TIMED_OUT")
    assert KafkaException(err).args[0] is err


def test_config_exception_is_a_value_error_with_invalid_arg():
    exc = ConfigException("bad acks")
    assert isinstance(exc, ValueError) and isinstance(exc, KafkaException)
    assert exc.args[0].code() == KafkaError._INVALID_ARG
    assert "bad acks" in str(exc)
    with pytest.raises(ValueError):
        raise exc
