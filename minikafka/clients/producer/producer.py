"""The producer's API (Kafka's KafkaProducer): produce, poll, flush, close and transactions.

The producer is three parts, as Kafka's Java producer is:
- `Producer` (this module): checks the config, picks each record's partition and hands the
  record to the accumulator, serves delivery reports, and passes the transactional calls to its
  TransactionManager (`transaction_manager.py`);
- `RecordAccumulator` (`accumulator.py`): the batches per partition, and when one is ready;
- `Sender` (`sender.py`): ProduceRequests from ready batches, requests in flight, responses,
  retries, the delivery timeout, and the idempotent producer's id and sequences.

Rules 1-9 are the producer's (kafka-semantics.md B, E.30-E.33, Q.333-334), numbered across the
three modules and each stated where it is implemented: 1, 1b and 7 here; 1 (batching), 2, 3
(draining), 5 (re-queueing) and 9 (splitting) in accumulator.py; 3-6, 8 and 9 in sender.py.

Rules:
1. `produce()` picks the partition (explicit, murmur2 of the key, or sticky for null keys) and
   appends the record to that partition's open batch, or opens a new one. Its arguments are
   all checked first (`check_produce_args`): a refused call changes nothing.
1b. A record whose single-record batch (its size plus the batch header) is larger than
   `max.request.size` or `buffer.memory` is never queued or sent: its delivery report fails at
   once with MSG_SIZE_TOO_LARGE (Java's RecordTooLargeException message), and inside a
   transaction the transaction must then be aborted. (librdkafka refuses it in `produce()`
   itself, against its own `message.max.bytes`; here the report carries it, as in Java.)
7. Delivery reports (`on_delivery(err, msg)`) are served by `poll()` and `flush()`.

`check_idempotence_config` has Kafka's rules for turning idempotence (rule 8) on and off.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.client import Client
from minikafka.clients.client_metrics import ProducerMetrics
from minikafka.clients.message import Message, check_topic, is_int
from minikafka.clients.producer.accumulator import ProducerBatch, RecordAccumulator
from minikafka.clients.producer.config import PRODUCER
from minikafka.clients.producer.partitioner import StickyPartitioner
from minikafka.clients.producer.sender import Sender
from minikafka.config import Config, resolve
from minikafka.errors import ConfigException, KafkaError, KafkaException
from minikafka.storage.records import BATCH_OVERHEAD, Record, record_size

if TYPE_CHECKING:
    from minikafka.clients.producer.transaction_manager import TransactionManager
    from minikafka.cluster import Cluster

__all__ = ["Producer", "ProducerBatch", "check_producer_config", "check_idempotence_config"]


def check_producer_config(cfg: Config) -> None:
    if cfg["delivery.timeout.ms"] < cfg["linger.ms"] + cfg["request.timeout.ms"]:
        if cfg.is_set("delivery.timeout.ms"):
            raise ConfigException(
                f"delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms "
                f"({cfg['linger.ms']} + {cfg['request.timeout.ms']}), got {cfg['delivery.timeout.ms']}")
        cfg["delivery.timeout.ms"] = cfg["linger.ms"] + cfg["request.timeout.ms"]


def check_idempotence_config(cfg: Config) -> None:
    """Kafka 4.x rules (kafka-semantics.md E.34), in Java's order
    (ProducerConfig.postProcessAndValidateIdempotenceConfigs). With idempotence on (the
    default, or set): retries = 0, then acks != all, raise ConfigException when
    enable.idempotence was set to true and otherwise mark idempotence to be turned off
    silently; then more than 5 requests in flight raises in either case (checked before
    idempotence is turned off, so acks=1 with 6 in flight raises too, unless
    enable.idempotence=false is set). Last, a transactional.id needs idempotence."""
    explicit = cfg.is_set("enable.idempotence")
    disable = False
    if cfg["enable.idempotence"]:
        if cfg["retries"] == 0:                     # checked before acks, as Java and librdkafka do
            if explicit:
                raise ConfigException("Must set retries to non-zero when using the idempotent producer "
                                      "(enable.idempotence=true, retries=0)")
            disable = True
        if cfg["acks"] != -1:
            if explicit:
                raise ConfigException("Must set acks to all in order to use the idempotent producer "
                                      "(enable.idempotence=true, acks=%s)" % cfg["acks"])
            disable = True
        if cfg["max.in.flight.requests.per.connection"] > 5:
            raise ConfigException("max.in.flight.requests.per.connection must be at most 5 to use the "
                                  "idempotent producer (got %d); set enable.idempotence=false to allow more"
                                  % cfg["max.in.flight.requests.per.connection"])
    if disable:
        cfg["enable.idempotence"] = False
    if cfg["transactional.id"] is not None and not cfg["enable.idempotence"]:
        raise ConfigException("Cannot set a transactional.id without also enabling idempotence "
                              "(enable.idempotence is false here)")


class Producer(Client):
    role = "producer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        cfg = resolve(PRODUCER, config, self.check_config)
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.idempotent: bool = cfg["enable.idempotence"]
        self.sticky = StickyPartitioner(self.sim.rng(f"partitioner/{self.name}"), cfg["batch.size"])
        self.reports: deque[tuple[Callable, KafkaError | None, Message]] = deque()
        self.txn: TransactionManager | None = None
        if cfg["transactional.id"] is not None:
            from minikafka.clients.producer.transaction_manager import (
                TransactionManager,  # loaded by the first transactional producer
            )
            self.txn = TransactionManager(self)
        self.metrics = ProducerMetrics(lambda: self.sim.now)
        self.accumulator = RecordAccumulator(cfg["batch.size"], cfg["linger.ms"], self._wake)
        self.sender = Sender(self, self.accumulator)
        if self.idempotent and self.txn is None:
            self.after(0, self.sender.init_producer_id)    # the sender asks at once, as Java's does

    @staticmethod
    def check_config(cfg: Config) -> None:
        check_producer_config(cfg)
        check_idempotence_config(cfg)
        txn_id = cfg["transactional.id"]
        if txn_id is not None and (not isinstance(txn_id, str) or not txn_id):
            raise ConfigException(f"transactional.id must be a non-empty string, got {txn_id!r}")

    # -- the application's calls ------------------------------------------------------
    def produce(self, topic: str, value: Any = None, key: Any = None, partition: int | None = -1,
                on_delivery: Callable | None = None, timestamp: int | None = 0, headers: Any = None,
                callback: Callable | None = None) -> None:
        """Queue one record; returns at once. Delivery is reported to `on_delivery(err, msg)`
        by a later `poll()` or `flush()`. Every argument is checked before anything changes
        (`check_produce_args`)."""
        self.check_open()
        value, key, hdrs, cb = check_produce_args(topic, value, key, partition, on_delivery, timestamp, headers,
                                                  callback)
        if self.txn is not None:
            self.txn.check_produce()
        parts = self.partitions_of(topic)
        n = len(parts)
        if partition is None or partition < 0:
            if key is not None and not self.cfg["partitioner.ignore.keys"]:
                partition = self.cluster.impl["partitioner"](key, n)
                sticky = False
            else:
                available = self._available(parts)
                partition = self.sticky.partition(topic, available, n)
                sticky = True
        else:
            if partition >= n:
                raise KafkaException("_UNKNOWN_PARTITION",
                                     f"Partition {partition} does not exist: topic '{topic}' has partitions 0..{n - 1}")
            sticky = False
        size = record_size(key, value, hdrs)
        too_large = self._too_large(BATCH_OVERHEAD + size)
        if too_large is not None:                       # rule 1b
            rec = Record(key, value, hdrs, timestamp if timestamp else self.sim.now)
            self.sender.fail_record((topic, partition), rec, cb, too_large)
            return
        acc = self.accumulator
        if acc.buffered + size > self.cfg["buffer.memory"]:
            self.block_until(lambda: acc.buffered + size <= self.cfg["buffer.memory"],
                             self.cfg["max.block.ms"], "waiting for buffer.memory")
            if acc.buffered + size > self.cfg["buffer.memory"]:
                raise BufferError("Local: Queue full (buffer.memory exhausted after max.block.ms)")
        ts = timestamp if timestamp else self.sim.now
        tp = (topic, partition)
        if self.txn is not None:
            self.txn.on_record(tp)
        batch = acc.append(tp, Record(key, value, hdrs, ts), size, cb, self.sim.now)
        if sticky:
            self.sticky.on_append(topic, size, batch.closed or batch.size >= acc.batch_size, available, n)

    def _too_large(self, estimate: int) -> KafkaError | None:
        """Rule 1b: the error for a record whose single-record batch is `estimate` bytes, if any."""
        limit = self.cfg["max.request.size"]
        if estimate > limit:
            return KafkaError("MSG_SIZE_TOO_LARGE", f"The message is {estimate} bytes when serialized which is "
                                                    f"larger than {limit}, which is the value of the "
                                                    "max.request.size configuration.")
        memory = self.cfg["buffer.memory"]
        if estimate > memory:
            return KafkaError("MSG_SIZE_TOO_LARGE", f"The message is {estimate} bytes when serialized, larger than "
                                                    f"the whole producer buffer (buffer.memory {memory}).")
        return None

    def poll(self, timeout: float | None = 0) -> int:
        """Serve delivery reports; wait up to `timeout` seconds (virtual) for one to arrive."""
        self.check_open()
        ms = self.timeout_ms(timeout, "poll()")
        if not self.reports and ms != 0:
            self.block_until(lambda: bool(self.reports), ms, "poll")
        return self._serve_reports()

    def flush(self, timeout: float | None = None) -> int:
        """Send everything queued and wait (virtual time) until it is delivered or failed.
        Returns how many records are still queued (0 unless the timeout ran out)."""
        self.check_open()
        ms = self.timeout_ms(timeout, "flush()")
        self.flushing = True
        try:
            self._wake(0)
            self.block_until(lambda: self.in_queue == 0, ms, "flush")
        finally:
            self.flushing = False
        self._serve_reports()
        return self.in_queue

    def close(self, timeout: float | None = None) -> None:
        if not self.closed:
            self.flush(timeout)
            self.closed = True
            self.trace.state(self.sim.now, self.name, "client.close")

    def __len__(self) -> int:
        return self.in_queue

    def _serve_reports(self) -> int:
        n = 0
        reports = self.reports
        while reports:
            cb, err, msg = reports.popleft()
            cb(err, msg)
            n += 1
        return n

    def _available(self, parts: tuple[P.PartitionState, ...]) -> list[int]:
        return [p.partition for p in parts if p.leader >= 0]

    # -- the accumulator's and the sender's state, as the producer shows it ---------------------
    @property
    def in_queue(self) -> int:
        """Records produced and not yet delivered or failed."""
        return self.accumulator.in_queue

    @property
    def buffered(self) -> int:
        """Bytes in the accumulator (counted against buffer.memory)."""
        return self.accumulator.buffered

    @property
    def flushing(self) -> bool:
        """While true (flush, commit, abort) every queued batch is ready at once."""
        return self.accumulator.flushing

    @flushing.setter
    def flushing(self, value: bool) -> None:
        self.accumulator.flushing = value

    @property
    def delivered(self) -> int:
        return self.sender.delivered

    @property
    def failed(self) -> int:
        return self.sender.failed

    @property
    def producer_id(self) -> int:
        return self.sender.producer_id

    @property
    def producer_epoch(self) -> int:
        return self.sender.producer_epoch

    def _wake(self, delay: int) -> None:
        self.sender.wakeup(delay)

    def busy(self) -> bool:
        return self.in_queue > 0 or (self.txn is not None and self.txn.busy())

    def on_metadata(self) -> None:
        if self.accumulator.batches:
            self._wake(0)

    # -- transactions (transaction_manager.py) -------------------------------------------
    def init_transactions(self, timeout: float | None = None) -> None:
        """Get this transactional.id's producer id and a new epoch, fencing older instances
        and aborting a transaction they left open."""
        self._txn("init_transactions").init_transactions(timeout)

    def begin_transaction(self) -> None:
        self._txn("begin_transaction").begin_transaction()

    def commit_transaction(self, timeout: float | None = None) -> None:
        self._txn("commit_transaction").commit_transaction(timeout)

    def abort_transaction(self, timeout: float | None = None) -> None:
        self._txn("abort_transaction").abort_transaction(timeout)

    def send_offsets_to_transaction(self, positions: Any, group_metadata: Any, timeout: float | None = None) -> None:
        """Commit a consumer group's positions as part of this transaction (consume-transform-produce)."""
        self._txn("send_offsets_to_transaction").send_offsets_to_transaction(positions, group_metadata, timeout)

    def _txn(self, call: str) -> TransactionManager:
        if self.txn is None:
            raise KafkaException("_NOT_CONFIGURED",
                                 f"{call}() needs a transactional producer: set transactional.id in its config")
        return self.txn

    def set_producer_id(self, pid: int, epoch: int) -> None:
        """A new producer id or epoch: every partition's sequences restart at 0."""
        self.sender.set_producer_id(pid, epoch)

    def purge_queued(self, err: KafkaError) -> None:
        """Fail every batch not yet sent (abort_transaction, a fatal error)."""
        self.sender.purge_queued(err)


def check_produce_args(topic: Any, value: Any, key: Any, partition: Any, on_delivery: Any, timestamp: Any,
                       headers: Any, callback: Any) -> tuple[bytes | None, bytes | None,
                                                             tuple[tuple[str, bytes | None], ...] | None,
                                                             Callable | None]:
    """produce()'s arguments, all checked before anything changes: (value, key, headers,
    callback) as the producer keeps them. The partition is None or -1 (the partitioner
    chooses) or an int >= 0; the timestamp an int >= 0 in ms (0 or None: now)."""
    check_topic(topic, "produce()")
    value, key = _to_bytes(value, "value"), _to_bytes(key, "key")
    if partition is not None:
        if not is_int(partition):
            raise TypeError(f"produce(): partition must be an int >= 0, or None or -1 to let the partitioner "
                            f"choose, got {type(partition).__name__} {partition!r}")
        if partition < -1:
            raise KafkaException("_UNKNOWN_PARTITION", f"produce(): partition {partition} does not exist; give an "
                                                       "int >= 0, or None or -1 to let the partitioner choose")
    if timestamp is not None:
        if not is_int(timestamp):
            raise TypeError(f"produce(): timestamp must be an int of milliseconds >= 0 (0 or None: now), "
                            f"got {type(timestamp).__name__} {timestamp!r}")
        if timestamp < 0:
            raise KafkaException("_INVALID_ARG", f"produce(): timestamp {timestamp} is negative; give milliseconds "
                                                 ">= 0 (0 or None: now)")
    for name, fn in (("on_delivery", on_delivery), ("callback", callback)):
        if fn is not None and not callable(fn):
            raise TypeError(f"produce(): {name} must be callable as {name}(err, msg), got {type(fn).__name__} {fn!r}")
    return value, key, _headers(headers), on_delivery or callback


def _to_bytes(v: Any, what: str) -> bytes | None:
    if v is None or isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"{what} must be bytes, str or None, got {type(v).__name__} (serialize it first)")


def _headers(h: Any) -> tuple[tuple[str, bytes | None], ...] | None:
    """A dict of name -> value, or a list of (name, value) pairs; names are str, values bytes,
    str or None (confluent-kafka's forms)."""
    if h is None:
        return None
    accepted = "a dict {name: value} or a list of (name, value) pairs, names str, values bytes, str or None"
    if isinstance(h, dict):
        items = list(h.items())
    elif isinstance(h, (list, tuple)):
        items = list(h)
    else:
        raise TypeError(f"produce(): headers must be {accepted}, got {type(h).__name__} {h!r}")
    out = []
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"produce(): headers must be {accepted}; {item!r} is not a (name, value) pair")
        k, v = item
        if not isinstance(k, str):
            raise TypeError(f"produce(): header names must be str, got {type(k).__name__} {k!r}")
        out.append((k, _to_bytes(v, f"header {k!r}")))
    return tuple(out) or None
