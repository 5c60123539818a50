"""Real Kafka clients (confluent-kafka's librdkafka, kafka-python) against a served cluster on
loopback (minikafka/serve/). Every wait is bounded in wall time; every port is 127.0.0.1."""
from __future__ import annotations

import io
import random
import socket
import struct
import time

import pytest

from minikafka import Cluster

confluent_kafka = pytest.importorskip("confluent_kafka")
kafka = pytest.importorskip("kafka")

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

QUIET = {"log_level": 0}           # librdkafka's connection notices would fill the test log


@pytest.fixture
def served():
    made = []

    def make(topic: str = "t", partitions: int = 1, **kw):
        c = Cluster(brokers=3, seed=5, **kw)
        c.create_topic(topic, partitions, 3)
        srv = c.serve()
        made.append(srv)
        return c, srv
    yield make
    for srv in made:
        srv.stop()


def read_all(bootstrap: str, topic: str, partitions: int, want: int, seconds: float = 15.0, **cfg) -> list[bytes]:
    k = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, **QUIET, **cfg})
    k.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got, end = [], time.time() + seconds
    while len(got) < want and time.time() < end:
        m = k.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m.value())
    if len(got) >= want:                # anything beyond `want` (a duplicate) arrives soon after
        end = time.time() + 1.0
        while time.time() < end:
            m = k.poll(0.1)
            if m is not None and m.error() is None:
                got.append(m.value())
    k.close()
    return got


def test_kafka_python_produces_and_consumes_through_the_simulated_brokers(served):
    c, srv = served("orders", 3)
    from kafka import KafkaConsumer, KafkaProducer
    from kafka import TopicPartition as KTP
    p = KafkaProducer(bootstrap_servers=srv.bootstrap_servers, acks="all", request_timeout_ms=10_000)
    futures = [p.send("orders", key=b"k%d" % i, value=b"v%d" % i) for i in range(12)]
    p.flush(15)
    assert all(f.get(5).offset >= 0 for f in futures)
    p.close(5)
    k = KafkaConsumer(bootstrap_servers=srv.bootstrap_servers, auto_offset_reset="earliest", consumer_timeout_ms=3000)
    k.assign([KTP("orders", i) for i in range(3)])
    got = sorted(m.value for m in k)
    k.close()
    assert got == sorted(b"v%d" % i for i in range(12))
    total = sum(c.partition_state("orders", i).replicas[0].hw for i in range(3))   # replicated in the simulation
    assert total == 12


def join_one_then_another(bootstrap: str, group: str, **cfg) -> tuple[list[int], list[int], list]:
    """A first member takes all 4 partitions of "orders"; a second joins; each one's partitions
    once both have some (bounded in wall time). Returns them with the two consumers to close."""
    def member(name: str) -> Consumer:
        k = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                      "auto.offset.reset": "earliest", **cfg, **QUIET})
        k.subscribe(["orders"])
        return k
    a = member("a")
    end = time.time() + 15
    while len(a.assignment()) < 4 and time.time() < end:
        a.poll(0.1)
    alone = sorted(tp.partition for tp in a.assignment())
    b = member("b")
    end = time.time() + 20
    while time.time() < end and not (a.assignment() and b.assignment()):
        a.poll(0.05)
        b.poll(0.05)
    shared = sorted(tp.partition for tp in a.assignment()), sorted(tp.partition for tp in b.assignment())
    return alone, list(shared), [a, b]


def test_two_real_consumers_in_a_group_share_the_partitions_after_a_rebalance(served):
    c, srv = served("orders", 4, config={"group.initial.rebalance.delay.ms": 0})
    alone, (mine, theirs), consumers = join_one_then_another(
        srv.bootstrap_servers, "g", **{"session.timeout.ms": 10_000, "heartbeat.interval.ms": 500})
    assert alone == [0, 1, 2, 3]
    assert mine and theirs and sorted(mine + theirs) == [0, 1, 2, 3]
    assert c.group_state("g").group_type == "classic" and len(c.group_state("g").members) == 2
    for k in consumers:
        k.close()


def test_two_real_consumers_of_the_kip_848_protocol_get_their_assignments_from_the_coordinator(served):
    c, srv = served("orders", 4)
    alone, (mine, theirs), consumers = join_one_then_another(srv.bootstrap_servers, "g848",
                                                             **{"group.protocol": "consumer"})
    assert alone == [0, 1, 2, 3]
    assert mine and theirs and sorted(mine + theirs) == [0, 1, 2, 3]
    assert c.group_state("g848").group_type == "consumer" and len(c.group_state("g848").members) == 2
    for k in consumers:
        k.close()


def crash_leader_while_producing(c: Cluster, srv, idempotent: bool) -> tuple[list[bytes], list[bytes]]:
    p = Producer({"bootstrap.servers": srv.bootstrap_servers, "acks": "all", "enable.idempotence": idempotent,
                  "linger.ms": 2, "message.timeout.ms": 30_000, **QUIET})
    acked: list[bytes] = []

    def done(err, msg):
        if err is None:
            acked.append(msg.value())
    leader = c.partition_state("t", 0).leader
    for i in range(200):
        p.produce("t", value=b"m%03d" % i, on_delivery=done)
        p.poll(0)
        if i == 80:
            c.crash_broker(leader)
        time.sleep(0.005)
    assert p.flush(40) == 0
    got = read_all(srv.bootstrap_servers, "t", 1, len(acked))
    return acked, got


FAST_FENCING = {"broker.session.timeout.ms": 2000, "broker.heartbeat.interval.ms": 500}   # real seconds here


def test_an_idempotent_real_producer_through_a_leader_crash_writes_no_duplicate(served):
    c, srv = served("t", 1, config=FAST_FENCING)
    acked, got = crash_leader_while_producing(c, srv, idempotent=True)
    assert len(acked) == 200
    assert len(got) == len(set(got)) == 200          # no duplicate, nothing lost
    assert got == sorted(got)                         # and in order


def test_a_broker_crash_under_acks_all_loses_nothing_acknowledged(served):
    c, srv = served("t", 1, config=FAST_FENCING)
    acked, got = crash_leader_while_producing(c, srv, idempotent=False)
    assert set(acked) <= set(got)
    assert c.partition_state("t", 0).leader != -1


def test_a_real_transactional_producer_and_a_read_committed_consumer(served):
    c, srv = served("t", 1)
    p = Producer({"bootstrap.servers": srv.bootstrap_servers, "transactional.id": "tx", **QUIET})
    p.init_transactions(15)
    p.begin_transaction()
    for i in range(4):
        p.produce("t", value=b"kept%d" % i)
    p.commit_transaction(15)
    p.begin_transaction()
    p.produce("t", value=b"dropped")
    p.flush(10)
    p.abort_transaction(15)
    p.begin_transaction()
    p.produce("t", value=b"last")
    p.commit_transaction(15)
    committed = read_all(srv.bootstrap_servers, "t", 1, 5, **{"isolation.level": "read_committed"})
    assert committed == [b"kept0", b"kept1", b"kept2", b"kept3", b"last"]
    everything = read_all(srv.bootstrap_servers, "t", 1, 6, **{"isolation.level": "read_uncommitted"})
    assert b"dropped" in everything
    assert any(b.control for b in c.broker(c.partition_state("t", 0).leader).replicas[("t", 0)].log.batches)


# -- bad frames ---------------------------------------------------------------------------------
def exchange(port: int, data: bytes, wait: float = 1.0) -> bytes:
    """Send raw bytes; return what comes back before the server closes (or `wait` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.settimeout(wait)
        out = b""
        end = time.time() + wait
        while time.time() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return out + b"<closed>"
            out += chunk
        return out


def frame(api_key: int, version: int, body: bytes = b"", client_id: bytes = b"fuzz", cid: int = 1) -> bytes:
    header = struct.pack(">hhih", api_key, version, cid, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def test_bad_frames_close_only_their_connection_and_the_server_keeps_serving(served):
    c, srv = served("t", 1)
    port = srv.ports[1]
    assert exchange(port, struct.pack(">i", 2**31 - 1)).endswith(b"<closed>")          # over the limit
    assert exchange(port, struct.pack(">i", -5) + b"xxxx").endswith(b"<closed>")       # negative size
    assert exchange(port, frame(9999, 0)).endswith(b"<closed>")                        # unknown api key
    assert exchange(port, frame(0, 99)).endswith(b"<closed>")                          # version not served
    assert exchange(port, frame(3, 12, b"\x05")).endswith(b"<closed>")                 # truncated body
    assert exchange(port, frame(0, 9)[:-2], wait=0.3) == b""                           # partial: it waits
    from minikafka.serve.codec import SUPPORTED
    rng = random.Random(7)
    keys = sorted(SUPPORTED)
    for _ in range(300):                            # random and mutated requests of every api served
        api = rng.choice(keys)
        good = frame(api, rng.randint(*SUPPORTED[api]), rng.randbytes(rng.randint(0, 60)))
        data = bytearray(good)
        for _ in range(rng.randint(0, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        exchange(port, bytes(data) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 64)), wait=0.05)
    got = read_all(srv.bootstrap_servers, "t", 1, 0, seconds=1)                          # still serving
    assert got == []
    p = Producer({"bootstrap.servers": srv.bootstrap_servers, **QUIET})
    p.produce("t", value=b"after the fuzz")
    assert p.flush(15) == 0
    assert read_all(srv.bootstrap_servers, "t", 1, 1) == [b"after the fuzz"]
    assert srv.errors and len(srv.errors) <= 100


def test_an_api_versions_request_of_an_unknown_version_gets_unsupported_version_in_v0(served):
    c, srv = served("t", 1)
    answer = exchange(srv.ports[1], frame(18, 99))
    size, cid, error = struct.unpack_from(">iih", answer)
    assert cid == 1 and error == 35                     # UNSUPPORTED_VERSION, then the versions served
    assert size == len(answer) - 4 - len(b"<closed>") * answer.endswith(b"<closed>")


def test_a_listener_of_a_crashed_broker_refuses_and_bad_input_never_binds_beyond_loopback(served):
    c, srv = served("t", 1)
    assert all(s.getsockname()[0] == "127.0.0.1" for s in srv.listeners.values())
    c.crash_broker(3)
    assert exchange(srv.ports[3], frame(18, 0)).endswith(b"<closed>")


# -- the command line ---------------------------------------------------------------------------
def test_the_console_injects_faults_and_reports_its_commands():
    from minikafka.serve.__main__ import command
    c = Cluster(brokers=3, seed=1)
    c.create_topic("t", 1, 3)
    assert command(c, "crash 2") == "ok" and not c.brokers[2].alive
    assert command(c, "restart 2") == "ok" and c.brokers[2].alive
    assert command(c, "cut 1 2") == "ok" and command(c, "heal") == "ok"
    assert command(c, "topics") == "t"
    assert "leader broker" in command(c, "state t")
    assert command(c, "crash 9").startswith("ValueError: no broker 9")
    assert command(c, "explode").startswith("unknown command 'explode'; commands:")
    with pytest.raises(SystemExit):
        command(c, "quit")


def test_python_m_minikafka_serve_prints_the_bootstrap_servers_and_stops_on_quit(capsys):
    from minikafka.serve.__main__ import main
    main(["--brokers", "2", "--seed", "3", "--topic", "orders:2:2"], stdin=io.StringIO("topics\nquit\n"))
    out = capsys.readouterr().out
    assert out.startswith("bootstrap.servers=127.0.0.1:") and out.count("127.0.0.1:") == 2
    assert "\norders\n" in out


def test_confluent_kafkas_admin_client_creates_describes_and_deletes_topics(served):
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    c, srv = served("t", 1)
    admin = AdminClient({"bootstrap.servers": srv.bootstrap_servers, **QUIET})
    fs = admin.create_topics([NewTopic("orders", 3, 3, config={"min.insync.replicas": "2"}),
                              NewTopic("bad name", 1, 1), NewTopic("five", 1, 5),
                              NewTopic("cfg", 1, 1, config={"retention.ms": "soon"}), NewTopic("t", 1, 1)])
    errors = {t: f.exception(15) for t, f in fs.items()}
    assert errors["orders"] is None and c.controller.topics["orders"][0].replicas
    assert errors["bad name"].args[0].code() == 17                 # INVALID_TOPIC_EXCEPTION
    assert errors["five"].args[0].code() == 38                     # INVALID_REPLICATION_FACTOR
    assert errors["cfg"].args[0].code() == 40 and "retention.ms" in errors["cfg"].args[0].str()
    assert errors["t"].args[0].code() == 36                        # TOPIC_ALREADY_EXISTS
    assert sorted(admin.list_topics(timeout=10).topics) == ["orders", "t"]
    r = ConfigResource("topic", "orders")
    got = admin.describe_configs([r])[r].result(15)
    assert (got["min.insync.replicas"].value, got["retention.ms"].value) == ("2", "604800000")
    assert admin.delete_topics(["orders"])["orders"].result(15) is None
    assert c.topics() == ["t"]


def _random_value(rng: random.Random, f: dict, version: int):
    from minikafka.serve.codec import _in
    t = f["type"]
    if _in(f.get("nullableVersions"), version) and rng.random() < 0.15:
        return None
    if t.startswith("[]"):
        if "fields" in f:
            return [_random_struct(rng, f["fields"], version) for _ in range(rng.randint(0, 3))]
        return [_random_value(rng, {"type": t[2:]}, version) for _ in range(rng.randint(0, 3))]
    ints = {"int8": 7, "int16": 15, "int32": 31, "int64": 63}
    if t in ints:
        lo, hi = -2 ** ints[t], 2 ** ints[t] - 1
        return rng.choice([-1, 0, 1, min(hi, 100), min(hi, 5000), rng.randint(lo, hi)])
    if t == "bool":
        return rng.random() < 0.5
    if t == "string":
        return rng.choice(["t", "g", "tx", "", "__consumer_offsets", "orders", "x" * rng.randint(1, 30)])
    if t in ("bytes", "records"):
        return rng.randbytes(rng.randint(0, 80))
    return None


def _random_struct(rng: random.Random, fields: list, version: int) -> dict:
    from minikafka.serve.codec import _in, _snake
    return {_snake(f["name"]): _random_value(rng, f, version) for f in fields if _in(f.get("versions"), version)}


def test_well_formed_requests_with_random_values_never_stop_the_server(served):
    """Every api served, each field random (negative timeouts, unknown ids, nulls where allowed):
    the simulation gets only what it can handle, and the server keeps serving."""
    from minikafka.serve.codec import REQUESTS, SUPPORTED, _make
    c, srv = served("kept", 1)                      # a name the random requests never use
    rng = random.Random(11)
    apis = sorted(k for k in SUPPORTED if k != 18)
    for i in range(300):
        api = rng.choice(apis)
        version = rng.randint(*SUPPORTED[api])
        req = _make(REQUESTS[api][version], _random_struct(rng, REQUESTS[api].json["fields"], version))
        req.with_header(correlation_id=i, client_id="fuzz")
        exchange(srv.ports[rng.randint(1, 3)], bytes(req.encode(header=True, framed=True)), wait=0.02)
    assert srv.failure is None
    reached = {e.name for e in c.trace if e.kind == "send" and e.node.startswith("fuzz")}
    assert len(reached) >= 10                       # the requests did get into the simulation
    p = Producer({"bootstrap.servers": srv.bootstrap_servers, **QUIET})
    p.produce("kept", value=b"still here")
    assert p.flush(15) == 0


def test_serving_locks_the_clusters_methods_and_stop_gives_them_back(served):
    c, srv = served("t", 1)
    assert "crash_broker" in vars(c) and "run_until" in vars(c.sim)       # wrapped with the server's lock
    srv.stop()
    assert "crash_broker" not in vars(c) and "run_until" not in vars(c.sim)
    before = c.now
    c.run(1000)                                                          # virtual time again, paused between calls
    assert c.now == before + 1000
    srv.stop()                                                           # twice is harmless
    again = c.serve()                                                    # and it can be served anew
    with pytest.raises(RuntimeError, match="already served"):
        c.serve()                                                        # but by one server at a time
    again.stop()


def test_without_the_wire_extra_serving_says_what_to_install(monkeypatch):
    import sys
    for name in [m for m in sys.modules if m.split(".")[0] == "kafka" or m.startswith("minikafka.serve")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "kafka", None)                      # as if kafka-python were absent
    c = Cluster(brokers=1, seed=1)
    with pytest.raises(ImportError, match=r"pip install 'minikafka\[wire\]'"):
        c.serve()
    assert "crash_broker" not in vars(c)


def test_a_fetched_batch_keeps_its_timestamp_type_on_the_wire():
    from kafka.record.default_records import DefaultRecordBatch

    from minikafka.serve.codec import from_batches
    from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch
    clock = 1_700_000_000_000
    for stamped, wire_type in ((True, DefaultRecordBatch.LOG_APPEND_TIME), (False, DefaultRecordBatch.CREATE_TIME)):
        batch = RecordBatch([Record(b"k", b"v", None, 42)], BATCH_OVERHEAD + 23, 5, 1, max_timestamp=42,
                            log_append_time=stamped).stored(5, 1)
        wire = DefaultRecordBatch(from_batches([batch], clock))
        assert wire.validate_crc() and wire.base_offset == 5
        assert wire.timestamp_type == wire_type
        assert [(r.timestamp, r.timestamp_type) for r in wire] == [(42 + clock, wire_type)]
