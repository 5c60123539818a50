"""minikafka.config: Kafka 4.x defaults, normalisation, and refusing bad configuration."""
import pytest

from minikafka import Cluster, ConfigException
from minikafka.clients.consumer.config import CONSUMER
from minikafka.clients.producer.config import PRODUCER
from minikafka.config import BROKER, TOPIC, resolve

MAX_INT = 2**31 - 1


@pytest.mark.parametrize("schema, key, default", [
    (PRODUCER, "acks", -1),
    (PRODUCER, "linger.ms", 5),
    (PRODUCER, "batch.size", 16384),
    (PRODUCER, "buffer.memory", 33554432),
    (PRODUCER, "retries", MAX_INT),
    (PRODUCER, "delivery.timeout.ms", 120000),
    (PRODUCER, "request.timeout.ms", 30000),
    (PRODUCER, "retry.backoff.ms", 100),
    (PRODUCER, "retry.backoff.max.ms", 1000),
    (PRODUCER, "max.in.flight.requests.per.connection", 5),
    (PRODUCER, "max.block.ms", 60000),
    (PRODUCER, "max.request.size", 1048576),
    (PRODUCER, "enable.idempotence", True),
    (PRODUCER, "partitioner.ignore.keys", False),
    (CONSUMER, "isolation.level", "read_uncommitted"),
    (CONSUMER, "auto.offset.reset", "latest"),
    (CONSUMER, "enable.auto.commit", True),
    (CONSUMER, "auto.commit.interval.ms", 5000),
    (CONSUMER, "session.timeout.ms", 45000),
    (CONSUMER, "heartbeat.interval.ms", 3000),
    (CONSUMER, "max.poll.interval.ms", 300000),
    (CONSUMER, "max.poll.records", 500),
    (CONSUMER, "partition.assignment.strategy", ("range", "cooperative-sticky")),
    (TOPIC, "min.insync.replicas", 1),
    (TOPIC, "unclean.leader.election.enable", False),
    (BROKER, "broker.heartbeat.interval.ms", 2000),
    (BROKER, "broker.session.timeout.ms", 9000),
    (BROKER, "replica.lag.time.max.ms", 30000),
    (BROKER, "min.insync.replicas", 1),
    (BROKER, "unclean.leader.election.enable", False),
    (BROKER, "num.partitions", 1),
    (BROKER, "default.replication.factor", 1),
])
def test_defaults_match_kafka_4(schema, key, default):
    assert resolve(schema, None)[key] == default


def test_resolve_fills_every_key_and_remembers_explicit_ones():
    cfg = resolve(PRODUCER, {"linger.ms": 20})
    assert set(cfg) == set(PRODUCER.keys)
    assert cfg["linger.ms"] == 20
    assert cfg.is_set("linger.ms") and not cfg.is_set("acks")


def test_unknown_key_suggests_closest_known_key():
    with pytest.raises(ConfigException) as exc:
        resolve(PRODUCER, {"ack": "all"})
    msg = str(exc.value)
    assert "'ack'" in msg and "Did you mean 'acks'?" in msg


def test_unknown_key_is_refused_for_every_schema():
    for schema in (PRODUCER, CONSUMER, TOPIC, BROKER):
        with pytest.raises(ConfigException, match="no.such.key"):
            resolve(schema, {"no.such.key": 1})


def test_real_but_unmodelled_key_says_it_is_not_modelled():
    with pytest.raises(ConfigException) as exc:
        resolve(PRODUCER, {"compression.type": "lz4"})
    assert "compression.type" in str(exc.value) and "does not model" in str(exc.value)


@pytest.mark.parametrize("schema, key, value, accepted", [
    (PRODUCER, "linger.ms", True, "an integer >= 0"),
    (PRODUCER, "batch.size", "abc", "an integer >= 0"),
    (PRODUCER, "linger.ms", 5.0, "an integer >= 0"),
    (PRODUCER, "acks", 7, "'all', -1, 0 or 1"),
    (PRODUCER, "acks", True, "'all', -1, 0 or 1"),
    (PRODUCER, "enable.idempotence", "yes", "true or false"),
    (PRODUCER, "transactional.id", 5, "a string"),
    (CONSUMER, "auto.offset.reset", "smallest", "one of 'earliest', 'latest', 'none'"),
    (CONSUMER, "partition.assignment.strategy", "range,fancy", "a comma-separated list of"),
    (CONSUMER, "partition.assignment.strategy", [], "a comma-separated list of"),
])
def test_wrong_type_names_key_and_what_is_accepted(schema, key, value, accepted):
    with pytest.raises(ConfigException) as exc:
        resolve(schema, {key: value})
    msg = str(exc.value)
    assert f"'{key}'" in msg and repr(value) in msg and accepted in msg


@pytest.mark.parametrize("schema, key, value, accepted", [
    (PRODUCER, "linger.ms", -1, ">= 0"),
    (PRODUCER, "retries", -1, ">= 0 and <= 2147483647"),
    (PRODUCER, "retries", MAX_INT + 1, "<= 2147483647"),
    (PRODUCER, "max.in.flight.requests.per.connection", 0, ">= 1"),
    (PRODUCER, "request.timeout.ms", 0, ">= 1"),
    (TOPIC, "min.insync.replicas", 0, ">= 1"),
    (BROKER, "broker.session.timeout.ms", 0, ">= 1"),
])
def test_out_of_range_value_names_key_and_range(schema, key, value, accepted):
    with pytest.raises(ConfigException) as exc:
        resolve(schema, {key: value})
    msg = str(exc.value)
    assert f"'{key}'" in msg and repr(value) in msg and accepted in msg


@pytest.mark.parametrize("value", ["all", "ALL", "-1", -1])
def test_acks_all_and_minus_one_normalise_to_minus_one(value):
    assert resolve(PRODUCER, {"acks": value})["acks"] == -1


@pytest.mark.parametrize("value, expected", [(0, 0), ("0", 0), (1, 1), ("1", 1)])
def test_acks_zero_and_one_accepted_as_int_or_string(value, expected):
    assert resolve(PRODUCER, {"acks": value})["acks"] == expected


def test_bool_and_int_strings_normalise():
    cfg = resolve(CONSUMER, {"enable.auto.commit": "false", "enable.partition.eof": "True",
                             "max.poll.records": " 10 "})
    assert cfg["enable.auto.commit"] is False
    assert cfg["enable.partition.eof"] is True
    assert cfg["max.poll.records"] == 10


def test_assignment_strategy_list_normalises_to_tuple():
    assert resolve(CONSUMER, {"partition.assignment.strategy": "range, roundrobin"})[
        "partition.assignment.strategy"] == ("range", "roundrobin")
    assert resolve(CONSUMER, {"partition.assignment.strategy": ["sticky"]})[
        "partition.assignment.strategy"] == ("sticky",)


def test_non_mapping_config_is_refused():
    with pytest.raises(ConfigException):
        resolve(PRODUCER, [("acks", "all")])


# -- through the public API ------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    return Cluster(brokers=1)


def test_producer_unknown_key_mentions_acks(cluster):
    with pytest.raises(ConfigException, match="'acks'"):
        cluster.producer({"ack": "all"})


def test_explicit_delivery_timeout_below_linger_plus_request_timeout_is_refused(cluster):
    with pytest.raises(ConfigException, match="delivery.timeout.ms"):
        cluster.producer({"delivery.timeout.ms": 1000})


def test_unset_delivery_timeout_is_raised_to_linger_plus_request_timeout(cluster):
    p = cluster.producer({"linger.ms": 100000})
    assert p.cfg["delivery.timeout.ms"] == 100000 + 30000
    assert cluster.producer({"delivery.timeout.ms": 30005}).cfg["delivery.timeout.ms"] == 30005


@pytest.mark.parametrize("config", [
    {"transactional.id": ""},
    {"transactional.id": "t1", "enable.idempotence": False},
    {"transactional.id": "t1", "acks": 1},
    {"transactional.id": "t1", "retries": 0},
])
def test_transactional_id_needs_a_name_and_idempotence(cluster, config):
    with pytest.raises(ConfigException, match="transactional.id"):
        cluster.producer(config)


def test_transaction_timeout_must_be_positive(cluster):
    with pytest.raises(ConfigException, match="transaction.timeout.ms"):
        cluster.producer({"transactional.id": "t1", "transaction.timeout.ms": 0})


def test_idempotence_defaults_on_and_explicit_true_with_acks_all_is_accepted(cluster):
    assert cluster.producer().cfg["enable.idempotence"] is True
    assert cluster.producer({"enable.idempotence": "true"}).cfg["enable.idempotence"] is True


@pytest.mark.parametrize("config, key", [
    ({"enable.idempotence": True, "acks": 1}, "acks"),
    ({"enable.idempotence": True, "acks": 0}, "acks"),
    ({"enable.idempotence": True, "retries": 0}, "retries"),
    ({"enable.idempotence": True, "retries": 0, "acks": 1}, "Must set retries"),   # retries is checked first
    ({"enable.idempotence": True, "max.in.flight.requests.per.connection": 6},
     "max.in.flight.requests.per.connection"),
    ({"max.in.flight.requests.per.connection": 6}, "max.in.flight.requests.per.connection"),
    # Java 4.x checks the in-flight limit before it switches an unset idempotence off
    ({"acks": 1, "max.in.flight.requests.per.connection": 6}, "max.in.flight.requests.per.connection"),
    ({"retries": 0, "max.in.flight.requests.per.connection": 6}, "max.in.flight.requests.per.connection"),
])
def test_idempotence_with_conflicting_settings_is_refused(cluster, config, key):
    """E.34: explicit true with acks != all or retries = 0, or (4.x) enabled with > 5 in flight."""
    with pytest.raises(ConfigException, match=key):
        cluster.producer(config)


@pytest.mark.parametrize("config", [{"acks": 1}, {"acks": 0}, {"retries": 0},
                                    {"acks": 1, "max.in.flight.requests.per.connection": 5}])
def test_unset_idempotence_is_silently_disabled_by_conflicting_settings(cluster, config):
    assert cluster.producer(config).cfg["enable.idempotence"] is False


def test_idempotence_explicitly_off_is_accepted_with_any_acks(cluster):
    p = cluster.producer({"enable.idempotence": False, "acks": 1})
    assert p.cfg["enable.idempotence"] is False and p.cfg["acks"] == 1


def test_transactional_id_without_idempotence_is_refused(cluster):
    with pytest.raises(ConfigException, match="transactional.id"):
        cluster.producer({"transactional.id": "t1", "acks": 1})


def test_consumer_config_is_validated(cluster):
    with pytest.raises(ConfigException, match="auto.offset.reset"):
        cluster.consumer({"group.id": "g", "auto.offset.reset": "smallest"})


def test_cluster_validates_broker_keys():
    with pytest.raises(ConfigException, match="Did you mean 'replica.lag.time.max.ms'"):
        Cluster(brokers=1, config={"replica.lag.time.max": 10000})
    with pytest.raises(ConfigException, match="broker.session.timeout.ms"):
        Cluster(brokers=1, config={"broker.session.timeout.ms": "soon"})


def test_broker_min_insync_replicas_is_the_topic_default():
    c = Cluster(brokers=1, config={"min.insync.replicas": 2})
    c.create_topic("t", partitions=1, replication_factor=1)
    assert c.topic_config("t")["min.insync.replicas"] == 2


def test_create_topic_validates_topic_keys(cluster):
    with pytest.raises(ConfigException, match="cleanup.policy"):
        cluster.create_topic("compacted", config={"cleanup.policy": "compact,forever"})
    with pytest.raises(ConfigException, match="does not model"):
        cluster.create_topic("segmented", config={"segment.index.bytes": 1024})
    with pytest.raises(ConfigException, match="Did you mean 'min.insync.replicas'"):
        cluster.create_topic("typo", config={"min.insync.replica": 2})
    assert "compacted" not in cluster.topics() and "typo" not in cluster.topics()
