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

Rules 1-6 are the consumer's (kafka-semantics.md A.2, H.51-H.54), numbered across the modules
and each stated where it is implemented: 1 and 4b in offset_fetcher.py, 2-4 and 6 in
fetcher.py, 5 here.

Rules:
5. `poll(timeout)` returns one message or None after `timeout` seconds of virtual time;
   `consume(n, timeout)` returns up to n.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from minikafka.clients.client import Client
from minikafka.clients.consumer.config import CONSUMER
from minikafka.clients.consumer.consumer_coordinator import ConsumerCoordinator, commit_args
from minikafka.clients.consumer.fetcher import Fetcher
from minikafka.clients.consumer.offset_fetcher import OffsetFetcher
from minikafka.clients.consumer.subscription_state import SubscriptionState
from minikafka.clients.message import OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, TopicPartition
from minikafka.config import Config, resolve
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.clients.message import GroupMetadata, Message
    from minikafka.cluster import Cluster


class Consumer(Client):
    role = "consumer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        cfg = resolve(CONSUMER, config, self.check_config)
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.isolation: str = cfg["isolation.level"]
        self.subscriptions = SubscriptionState()
        self.fetcher = Fetcher(self)
        self.offset_fetcher = OffsetFetcher(self)
        self.error: KafkaException | None = None                 # raised by the next poll
        self._retry_timer = None
        self.coordinator = ConsumerCoordinator(self)

    @staticmethod
    def check_config(cfg: Config) -> None:
        pass

    # -- assignment -----------------------------------------------------------
    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Take these partitions (manual assignment). A TopicPartition's offset, if set, is the
        starting position (OFFSET_BEGINNING, OFFSET_END or an offset)."""
        self.check_open()
        if self.coordinator.subscription is not None:
            raise KafkaException("_STATE", "assign(): this consumer is subscribed to a group; subscribing and "
                                           "manual assignment are mutually exclusive (call unsubscribe() first)")
        tps = []
        for tp in partitions:
            if not isinstance(tp, TopicPartition):
                raise TypeError(f"assign() takes TopicPartition objects, got {tp!r}")
            parts = self.partitions_of(tp.topic)
            if not 0 <= tp.partition < len(parts):
                raise KafkaException("_UNKNOWN_PARTITION",
                                     f"Partition {tp.partition} does not exist: topic '{tp.topic}' has "
                                     f"partitions 0..{len(parts) - 1}")
            tps.append(tp)
        s, offsets = self.subscriptions, self.offset_fetcher
        self.fetcher.drop_buffers(lambda _: True)
        s.assign([(tp.topic, tp.partition) for tp in tps])
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
        (at the next poll). Callbacks: on_assign(consumer, partitions), on_revoke(...), on_lost(...)."""
        self.check_open()
        if isinstance(topics, str) or not all(isinstance(t, str) for t in topics):
            raise TypeError(f"subscribe() takes a list of topic names, got {topics!r}")
        for cb, name in ((on_assign, "on_assign"), (on_revoke, "on_revoke"), (on_lost, "on_lost")):
            if cb is not None and not callable(cb):
                raise TypeError(f"{name} must be callable: {name}(consumer, partitions)")
        if self.subscriptions.assigned and self.coordinator.subscription is None:
            raise KafkaException("_STATE", "subscribe(): this consumer uses assign(); subscribing and manual "
                                           "assignment are mutually exclusive (call unassign() first)")
        for t in topics:
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
    def position(self, partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
        self.check_open()
        out = []
        for tp in partitions:
            pos = self.subscriptions.positions.get((tp.topic, tp.partition))
            out.append(TopicPartition(tp.topic, tp.partition, OFFSET_INVALID if pos is None else pos))
        return out

    def seek(self, partition: TopicPartition) -> None:
        self.check_open()
        key = (partition.topic, partition.partition)
        if key not in self.subscriptions.positions:
            raise KafkaException("_STATE", f"seek: {partition.topic}-{partition.partition} is not assigned "
                                           f"to this consumer (assigned: {self.subscriptions.assigned_text()})")
        if partition.offset in (OFFSET_BEGINNING, OFFSET_END):
            self.offset_fetcher.start_reset(key, "earliest" if partition.offset == OFFSET_BEGINNING else "latest")
        elif partition.offset >= 0:
            self.offset_fetcher.set_position(key, partition.offset)
        else:
            raise KafkaException("_INVALID_ARG", f"seek: invalid offset {partition.offset}")

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float | None = None,
                              cached: bool = False) -> tuple[int, int]:
        """(low, high) offsets of a partition; high is the HW (LSO under read_committed)."""
        self.check_open()
        key = (partition.topic, partition.partition)
        if cached:
            return (0, self.subscriptions.high_watermarks.get(key, OFFSET_INVALID))
        self.partitions_of(partition.topic)
        result: dict[str, int] = {}
        self.offset_fetcher.list_offsets(key, -2, lambda off: result.__setitem__("low", off))
        self.offset_fetcher.list_offsets(key, -1, lambda off: result.__setitem__("high", off))
        ms = self.timeout_ms(timeout)
        self.block_until(lambda: len(result) == 2, ms if ms is not None else self.cfg["request.timeout.ms"],
                         "get_watermark_offsets")
        if len(result) < 2:
            raise KafkaException("_TIMED_OUT", "get_watermark_offsets timed out")
        return (result["low"], result["high"])

    # -- polling (rule 5) ---------------------------------------------------------
    def poll(self, timeout: float | None = None) -> Message | None:
        """The next message, or None when none arrived within `timeout` seconds (virtual time).
        Without a timeout, waits until a message arrives or nothing else can happen."""
        self.check_open()
        self._wait_for(1, self.timeout_ms(timeout), "poll")
        if not self.fetcher.buffer:
            self._raise_error()
            return None
        return self.fetcher.take()

    def consume(self, num_messages: int = 1, timeout: float | None = -1) -> list[Message]:
        """Up to `num_messages` messages, waiting at most `timeout` seconds (virtual time)."""
        self.check_open()
        if not isinstance(num_messages, int) or num_messages < 1:
            raise ValueError(f"num_messages must be an integer >= 1, got {num_messages!r}")
        self._wait_for(num_messages, self.timeout_ms(timeout), "consume")
        out = []
        while self.fetcher.buffer and len(out) < num_messages:
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
        self.fetcher.send_fetches()

    # -- committed offsets (consumer_coordinator.py) ------------------------------------------
    def commit(self, message: Message | None = None, offsets: list[TopicPartition] | None = None,
               asynchronous: bool = True) -> list[TopicPartition] | None:
        """Commit `message`'s offset + 1, the given `offsets`, or the current positions. With
        asynchronous=False, wait and return the committed partitions (raising on failure)."""
        self.check_open()
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
        ms = self.timeout_ms(timeout)
        return self.coordinator.committed(list(partitions), ms if ms is not None else self.cfg["request.timeout.ms"])

    def consumer_group_metadata(self) -> GroupMetadata:
        """For producer.send_offsets_to_transaction(): group id, generation and member id."""
        self.check_open()
        return self.coordinator.metadata()
