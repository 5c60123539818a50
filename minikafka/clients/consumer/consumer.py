"""The consumer's API (Kafka's KafkaConsumer): assign or subscribe, poll and consume, positions,
seek, commits and close.

The consumer is five parts, as Kafka's Java consumer is:
- `Consumer` (this module): the application's calls; poll() does the group's duties, then
  waits for fetched records;
- `SubscriptionState` (`subscription_state.py`): the assignment and, per partition, the
  position, the fetch offset and the reset, validation and back-off state;
- `Fetcher` (`fetcher.py`): Fetch requests, their responses, read_committed filtering, the
  buffer of fetched records, fetch errors;
- `OffsetFetcher` (`offset_fetcher.py`): positions from committed offsets or ListOffsets, and
  their validation after a leader change (KIP-320);
- `ConsumerCoordinator` (`consumer_coordinator.py`): group membership and committed offsets.

Rules 1-7 are the consumer's (kafka-semantics.md A.2, H.51-H.54), numbered across the modules
and each stated where it is implemented: 1 and 4b in offset_fetcher.py, 2-4, 6 and 7 in
fetcher.py, 5 here.

Rules:
5. `poll(timeout)` returns one message or None after `timeout` seconds of virtual time;
   `consume(n, timeout)` returns up to n, and never more than `max.poll.records` (the rest
   stays buffered for the next call).

Every call checks its arguments before it changes anything (message.py's
`check_topic_partitions`): `assign()` checks the whole list, and that each partition exists,
before it replaces the old assignment.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka.clients.client import Client
from minikafka.clients.client_metrics import ConsumerMetrics
from minikafka.clients.consumer.config import CONSUMER
from minikafka.clients.consumer.consumer_coordinator import ConsumerCoordinator
from minikafka.clients.consumer.consumer_membership import ConsumerMembershipManager
from minikafka.clients.consumer.fetcher import Fetcher
from minikafka.clients.consumer.offset_fetcher import OffsetFetcher
from minikafka.clients.consumer.subscription_state import SubscriptionState
from minikafka.clients.message import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    TopicPartition,
    check_topic,
    check_topic_partition,
    Message,
    check_topic_partitions,
    is_int,
    offsets_to_wire,
)
from minikafka.config import Config, resolve
from minikafka.errors import ConfigException, KafkaException

if TYPE_CHECKING:
    from minikafka.clients.message import GroupMetadata
    from minikafka.cluster import Cluster


class Consumer(Client):
    role = "consumer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        cfg = resolve(CONSUMER, config, self.check_config)
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.isolation: str = cfg["isolation.level"]
        self.subscriptions = SubscriptionState()
        self.metrics = ConsumerMetrics(lambda: self.sim.now)
        self.fetcher = Fetcher(self)
        self.offset_fetcher = OffsetFetcher(self)
        self.error: KafkaException | None = None                 # raised by the next poll
        self._retry_timer = None
        self.coordinator = (ConsumerMembershipManager(self) if cfg["group.protocol"] == "consumer"
                            else ConsumerCoordinator(self))

    @staticmethod
    def check_config(cfg: Config) -> None:
        """Java's ConsumerConfig refuses the classic protocol's settings with group.protocol=consumer
        and group.remote.assignor with classic; its Heartbeat (built with a group.id only) refuses a
        heartbeat interval that is not below the session timeout."""
        if cfg["group.protocol"] == "consumer":
            for key in ("partition.assignment.strategy", "heartbeat.interval.ms", "session.timeout.ms"):
                if cfg.is_set(key):
                    raise ConfigException(f"{key} cannot be set when group.protocol=CONSUMER (the coordinator "
                                          "decides it: group.consumer.assignors, group.consumer.heartbeat.interval.ms "
                                          "and group.consumer.session.timeout.ms on the broker)")
            return
        if cfg.is_set("group.remote.assignor"):
            raise ConfigException("group.remote.assignor cannot be set when group.protocol=CLASSIC (it names a "
                                  "server-side assignor of group.protocol=consumer)")
        if cfg["group.id"] and cfg["heartbeat.interval.ms"] >= cfg["session.timeout.ms"]:
            raise ConfigException(f"Heartbeat must be set lower than the session timeout: heartbeat.interval.ms="
                                  f"{cfg['heartbeat.interval.ms']} >= session.timeout.ms={cfg['session.timeout.ms']} "
                                  "(Kafka advises no more than a third of it)")

    # -- assignment -----------------------------------------------------------
    def assign(self, partitions: list[TopicPartition]) -> None:
        """Take these partitions (manual assignment). A TopicPartition's offset, if set, is the
        starting position (OFFSET_BEGINNING, OFFSET_END or an offset). The whole list is checked
        (types, offsets, duplicates, that each partition exists) before the old assignment goes."""
        self.check_open()
        group = self.coordinator
        if group.subscription is not None and not group.in_on_assign:
            raise KafkaException("_STATE", "assign(): this consumer is subscribed to a group; subscribing and "
                                           "manual assignment are mutually exclusive (call unsubscribe() first; "
                                           "inside on_assign, assign() sets the group's partitions' offsets)")
        if group.in_on_assign and group.rebalance_protocol == "COOPERATIVE":
            raise KafkaException("_STATE", "assign(): the group's rebalance protocol is COOPERATIVE: only "
                                           "incremental_assign() may change the assignment (minikafka does not "
                                           "have it yet); to start elsewhere, call seek() after the assignment")
        keys = check_topic_partitions(partitions, "assign()", "start")
        seen: set[tuple[str, int]] = set()
        for key in keys:
            if key in seen:
                raise KafkaException("_INVALID_ARG", f"assign(): {key[0]}-{key[1]} appears twice in the list")
            seen.add(key)
        for topic, part in keys:
            n = len(self.partitions_of(topic))
            if part >= n:
                raise KafkaException("_UNKNOWN_PARTITION",
                                     f"Partition {part} does not exist: topic '{topic}' has partitions 0..{n - 1}")
        tps = list(partitions)
        s, offsets = self.subscriptions, self.offset_fetcher
        self.fetcher.drop_buffers(lambda _: True)
        s.assign(keys)
        for tp in tps:
            key = (tp.topic, tp.partition)
            s.positions[key] = None
            if tp.offset >= 0:
                offsets.set_position(key, tp.offset)
            elif tp.offset in (OFFSET_BEGINNING, OFFSET_END):
                offsets.start_reset(key, "earliest" if tp.offset == OFFSET_BEGINNING else "latest")
        self.trace.state(self.sim.now, self.name, "assign", partitions=tuple(f"{t}-{p}" for t, p in s.assigned))
        self.fetcher.send_fetches()

    def unassign(self) -> None:
        self.check_open()
        self.fetcher.drop_buffers(lambda _: True)
        self.subscriptions.assign([])

    def assignment(self) -> list[TopicPartition]:
        self.check_open()
        return [TopicPartition(t, p) for t, p in self.subscriptions.assigned]

    def subscribe(self, topics: list[str], on_assign: Any = None, on_revoke: Any = None,
                  on_lost: Any = None) -> None:
        """Join the consumer group `group.id` for these topics; the group assigns the partitions
        (at the next poll). A name starting with ^ is a regular expression (as in librdkafka),
        resolved by the coordinator with group.protocol=consumer. Callbacks:
        on_assign(consumer, partitions), on_revoke(...), on_lost(...)."""
        self.check_open()
        if not isinstance(topics, (list, tuple)):
            raise TypeError(f"subscribe() takes a list of topic names, got {type(topics).__name__} {topics!r}")
        for t in topics:
            check_topic(t, "subscribe()")
        if not topics:                              # librdkafka's rd_kafka_subscribe refuses both
            raise KafkaException("_INVALID_ARG", "subscribe(): the list of topics is empty "
                                                 "(to leave the group's subscription, call unsubscribe())")
        if len(set(topics)) != len(topics):
            twice = sorted(t for t in set(topics) if topics.count(t) > 1)
            raise KafkaException("_INVALID_ARG", f"subscribe(): topic(s) listed more than once: {', '.join(twice)}")
        for cb, name in ((on_assign, "on_assign"), (on_revoke, "on_revoke"), (on_lost, "on_lost")):
            if cb is not None and not callable(cb):
                raise TypeError(f"{name} must be callable: {name}(consumer, partitions)")
        if self.subscriptions.assigned and self.coordinator.subscription is None:
            raise KafkaException("_STATE", "subscribe(): this consumer uses assign(); subscribing and manual "
                                           "assignment are mutually exclusive (call unassign() first)")
        patterns = [t for t in topics if t.startswith("^")]
        if patterns and self.cfg["group.protocol"] != "consumer":
            raise KafkaException("_INVALID_ARG", f"subscribe(): {patterns[0]!r} is a regular expression (it starts "
                                                 "with ^); minikafka resolves those only with group.protocol=consumer, "
                                                 "where the group coordinator does it (KIP-848)")
        for t in topics:
            if not t.startswith("^"):
                self.partitions_of(t)
        self.coordinator.subscribe(tuple(topics), on_assign, on_revoke, on_lost)

    def unsubscribe(self) -> None:
        self.check_open()
        self.coordinator.unsubscribe()

    def set_assignment(self, tps: tuple[tuple[str, int], ...]) -> None:
        """The group's assignment changed: keep the positions of partitions we keep."""
        keep = set(tps)
        self.fetcher.drop_buffers(lambda tp: tp not in keep)
        self.subscriptions.assign_from_group(tps)
        self.fetcher.send_fetches()

    # -- positions --------------------------------------------------------------
    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """The position (next offset to return) of each partition; OFFSET_INVALID where there is
        none (not assigned, or not known yet)."""
        self.check_open()
        out = []
        for topic, part in check_topic_partitions(partitions, "position()"):
            pos = self.subscriptions.positions.get((topic, part))
            out.append(TopicPartition(topic, part, OFFSET_INVALID if pos is None else pos))
        return out

    def seek(self, partition: TopicPartition) -> None:
        """Move an assigned partition's position to the TopicPartition's offset (an offset,
        OFFSET_BEGINNING or OFFSET_END)."""
        self.check_open()
        key = check_topic_partition(partition, "seek()", "seek")
        if key not in self.subscriptions.positions:
            raise KafkaException("_STATE", f"seek: {partition.topic}-{partition.partition} is not assigned "
                                           f"to this consumer (assigned: {self.subscriptions.assigned_text()})")
        if partition.offset in (OFFSET_BEGINNING, OFFSET_END):
            self.offset_fetcher.start_reset(key, "earliest" if partition.offset == OFFSET_BEGINNING else "latest")
        else:
            self.offset_fetcher.set_position(key, partition.offset)

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float | None = None,
                              cached: bool = False) -> tuple[int, int]:
        """(low, high) offsets of a partition; high is the HW (LSO under read_committed)."""
        self.check_open()
        key = check_topic_partition(partition, "get_watermark_offsets()")
        ms = self.timeout_ms(timeout, "get_watermark_offsets()")
        if cached:
            return (0, self.subscriptions.high_watermarks.get(key, OFFSET_INVALID))
        n = len(self.partitions_of(key[0]))
        if key[1] >= n:
            raise KafkaException("_UNKNOWN_PARTITION",
                                 f"Partition {key[1]} does not exist: topic '{key[0]}' has partitions 0..{n - 1}")
        result: dict[str, int] = {}
        self.offset_fetcher.list_offsets(key, -2, lambda off: result.__setitem__("low", off))
        self.offset_fetcher.list_offsets(key, -1, lambda off: result.__setitem__("high", off))
        self.block_until(lambda: len(result) == 2, ms if ms is not None else self.cfg["request.timeout.ms"],
                         "get_watermark_offsets")
        if len(result) < 2:
            raise KafkaException("_TIMED_OUT", "get_watermark_offsets timed out")
        return (result["low"], result["high"])

    def offsets_for_times(self, partitions: list[TopicPartition], timeout: float | None = None
                          ) -> list[TopicPartition]:
        """For each TopicPartition whose `offset` holds a timestamp (ms), the earliest offset whose
        record has a timestamp at or after it (ListOffsets by timestamp, server/list_offsets.py);
        -1 where there is none below the high watermark (LSO under read_committed)."""
        self.check_open()
        if not isinstance(partitions, list):
            raise TypeError(f"offsets_for_times(): partitions must be a list of TopicPartition, got {partitions!r}")
        wanted = []
        for tp in partitions:
            key = check_topic_partition(tp, "offsets_for_times()")
            if not isinstance(tp.offset, int) or tp.offset < 0:
                raise ValueError(f"offsets_for_times(): {key[0]}-{key[1]}: the offset field must hold a timestamp "
                                 f"in ms >= 0, got {tp.offset!r}")
            wanted.append((key, tp.offset))
        ms = self.timeout_ms(timeout, "offsets_for_times()")
        found: dict[int, int] = {}
        for i, (key, ts) in enumerate(wanted):
            self.offset_fetcher.list_offsets(key, ts, lambda off, i=i: found.__setitem__(i, off))
        self.block_until(lambda: len(found) == len(wanted), ms if ms is not None else self.cfg["request.timeout.ms"],
                         "offsets_for_times")
        if len(found) < len(wanted):
            raise KafkaException("_TIMED_OUT", "offsets_for_times timed out")
        return [TopicPartition(key[0], key[1], found[i]) for i, (key, _) in enumerate(wanted)]

    # -- polling (rule 5) ---------------------------------------------------------
    def poll(self, timeout: float | None = None) -> Message | None:
        """The next message, or None when none arrived within `timeout` seconds (virtual time).
        Without a timeout, waits until a message arrives or nothing else can happen."""
        self.check_open()
        self._wait_for(1, self.timeout_ms(timeout, "poll()"), "poll")
        if not self.fetcher.buffer:
            self._raise_error()
            return None
        return self.fetcher.take()

    def consume(self, num_messages: int = 1, timeout: float | None = -1) -> list[Message]:
        """Up to `num_messages` messages, waiting at most `timeout` seconds (virtual time)."""
        self.check_open()
        if not is_int(num_messages) or num_messages < 1:
            raise ValueError(f"consume(): num_messages must be an int >= 1, got {num_messages!r}")
        limit = min(num_messages, self.cfg["max.poll.records"])
        self._wait_for(limit, self.timeout_ms(timeout, "consume()"), "consume")
        out = []
        while self.fetcher.buffer and len(out) < limit:
            out.append(self.fetcher.take())
        if not out:
            self._raise_error()
        return out

    def _wait_for(self, n: int, timeout_ms: int | None, what: str) -> None:
        """The group's duties first (consumer_coordinator.py: join, apply an assignment,
        auto-commit), then wait until `n` messages are buffered, an error, the timeout, or new
        group work that only poll() may do (rebalance callbacks run here, never inside the
        simulation)."""
        sim, group, fetcher = self.sim, self.coordinator, self.fetcher
        deadline = None if timeout_ms is None else sim.now + timeout_ms
        while True:
            group.poll()
            if len(fetcher.buffer) >= n:
                return
            self._raise_error()
            fetcher.send_fetches()
            remaining = None if deadline is None else max(deadline - sim.now, 0)
            self.block_until(lambda: len(fetcher.buffer) >= n or self.error is not None or group.needs_poll(),
                             remaining, what)
            if not group.needs_poll() or len(fetcher.buffer) >= n:
                return
            if deadline is not None and sim.now >= deadline:
                group.poll()
                return

    def _raise_error(self) -> None:
        if self.error is not None:
            err, self.error = self.error, None
            raise err

    def close(self) -> None:
        """Commit (with auto-commit) and leave the group, then close."""
        if not self.closed:
            if self.coordinator.group_id:
                self.coordinator.close()
            self.closed = True
            self.fetcher.buffer.clear()
            self.trace.state(self.sim.now, self.name, "client.close")

    def on_metadata(self) -> None:
        self.coordinator.on_metadata()
        self.offset_fetcher.on_metadata()
        self.fetcher.on_metadata()

    # -- committed offsets (consumer_coordinator.py) ------------------------------------------
    def commit(self, message: Message | None = None, offsets: list[TopicPartition] | None = None,
               asynchronous: bool = True) -> list[TopicPartition] | None:
        """Commit `message`'s offset + 1, the given `offsets`, or the current positions. With
        asynchronous=False, wait and return the committed partitions (raising on failure)."""
        self.check_open()
        if not isinstance(asynchronous, bool):
            raise TypeError(f"commit(): asynchronous must be True or False, got {type(asynchronous).__name__} "
                            f"{asynchronous!r}")
        wire = commit_args(self, message, offsets)
        result: dict[str, Any] = {}
        self.coordinator.commit(wire, lambda err, res: result.__setitem__("done", (err, res)))
        if asynchronous:
            return None
        self.block_until(lambda: "done" in result, 60_000, "commit")      # default.api.timeout.ms
        if "done" not in result:
            raise KafkaException("_TIMED_OUT", "commit timed out")
        err, res = result["done"]
        if err is not None:
            raise KafkaException(err)
        return [TopicPartition(t, p, off) for (t, p), off in wire]

    def committed(self, partitions: list[TopicPartition], timeout: float | None = None) -> list[TopicPartition]:
        """The group's committed offsets for `partitions` (OFFSET_INVALID where none)."""
        self.check_open()
        keys = check_topic_partitions(partitions, "committed()")
        ms = self.timeout_ms(timeout, "committed()")
        return self.coordinator.committed(keys, ms if ms is not None else self.cfg["request.timeout.ms"])

    def consumer_group_metadata(self) -> GroupMetadata:
        """For producer.send_offsets_to_transaction(): group id, generation and member id."""
        self.check_open()
        return self.coordinator.metadata()


def commit_args(consumer: Consumer, message: Any, offsets: Any) -> tuple[tuple[tuple[str, int], int], ...]:
    """What `commit(message=..., offsets=...)` commits (rule 2)."""
    if message is not None and offsets is not None:
        raise KafkaException("_INVALID_ARG", "commit() takes message or offsets, not both")
    if message is not None:
        if not isinstance(message, Message):
            raise TypeError(f"commit(): message must be a Message from poll() or consume(), got "
                            f"{type(message).__name__} {message!r} (to commit offsets, use offsets=[TopicPartition])")
        if message.error() is not None:
            raise KafkaException("_INVALID_ARG", f"commit(): the message carries an error ({message.error().name()}), "
                                                 "not a record: it has no offset to commit")
        return (((message.topic(), message.partition()), message.offset() + 1),)
    if offsets is not None:
        return offsets_to_wire(offsets, "commit()")
    positions = [(tp, pos) for tp, pos in sorted(consumer.subscriptions.positions.items()) if pos is not None]
    if not positions:
        raise KafkaException("_NO_OFFSET", "commit(): no positions to commit (nothing consumed yet)")
    return tuple(positions)
