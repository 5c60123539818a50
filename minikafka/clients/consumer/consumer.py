"""The consumer: assigned partitions, positions, fetching and `poll`.

Rules (kafka-semantics.md A.2, H.51-H.54):
1. The consumer owns its position per partition: the offset of the next record to return.
   A partition without a position is reset by `auto.offset.reset` (earliest: log start;
   latest: the HW, or the LSO under read_committed; none: an error) via ListOffsets.
2. It fetches from each partition's leader with long polls (`fetch.max.wait.ms`,
   `fetch.min.bytes`), one fetch in flight per broker, and only for partitions whose
   previously fetched records have all been returned.
3. Brokers return data below the HW (read_uncommitted, the default) or the LSO
   (read_committed); control records are never returned to the application.
4. OFFSET_OUT_OF_RANGE (for example after an unclean election truncated the log) resets the
   position by `auto.offset.reset`; leadership errors refresh metadata and retry.
4b. When a partition's leader epoch changes, the consumer validates its position (KIP-320):
   OffsetsForLeaderEpoch asks the new leader where the epoch of the last consumed record ends;
   if that is below the position, the log was truncated: with a reset policy the position moves
   back to that point, without one (`none`) poll raises _LOG_TRUNCATION.
5. `poll(timeout)` returns one message or None after `timeout` seconds of virtual time;
   `consume(n, timeout)` returns up to n.
6. With `enable.partition.eof`, reaching the end of a partition (the HW, or the LSO) returns
   one message whose error() is _PARTITION_EOF, once each time the end is reached.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Iterable

from minikafka import protocol as P
from minikafka.clients.client import Client
from minikafka.clients.consumer.config import CONSUMER
from minikafka.clients.consumer.consumer_coordinator import ConsumerCoordinator, commit_args
from minikafka.clients.message import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, GroupMetadata, Message,
                                       TopicPartition)
from minikafka.config import Config, resolve
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

LEADERSHIP_ERRORS = frozenset({"NOT_LEADER_OR_FOLLOWER", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH",
                               "UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE"})


class Consumer(Client):
    role = "consumer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        cfg = resolve(CONSUMER, config, self.check_config)
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.isolation: str = cfg["isolation.level"]
        self.assigned: list[tuple[str, int]] = []
        self.positions: dict[tuple[str, int], int | None] = {}
        self.fetch_offsets: dict[tuple[str, int], int] = {}
        self.high_watermarks: dict[tuple[str, int], int] = {}
        self.buffer: deque[Message] = deque()
        self.buffered_tps: dict[tuple[str, int], int] = {}        # tp -> messages buffered
        self.fetching: dict[int, int] = {}                        # broker -> cid in flight
        self.resetting: dict[tuple[str, int], int] = {}           # tp -> cid of ListOffsets
        self.backoff: dict[tuple[str, int], int] = {}             # tp -> time fetching may resume
        self.error: KafkaException | None = None
        self._retry_timer = None
        self.position_epochs: dict[tuple[str, int], int] = {}     # epoch of the last consumed record
        self.seen_epochs: dict[tuple[str, int], int] = {}         # leader epoch in our metadata
        self.validating: dict[tuple[str, int], int] = {}          # tp -> cid of its validation (0: to send)
        self.coordinator = ConsumerCoordinator(self)
        self.eof_at: dict[tuple[str, int], int] = {}          # where _PARTITION_EOF was last reported

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
        self._drop_buffers(lambda _: True)
        self.assigned = [(tp.topic, tp.partition) for tp in tps]
        self.positions = {}
        self.fetch_offsets = {}
        for tp in tps:
            key = (tp.topic, tp.partition)
            self.positions[key] = None
            if tp.offset >= 0:
                self._set_position(key, tp.offset)
            elif tp.offset in (OFFSET_BEGINNING, OFFSET_END):
                self._start_reset(key, "earliest" if tp.offset == OFFSET_BEGINNING else "latest")
        self.trace.state(self.sim.now, self.name, "assign", partitions=tuple(f"{t}-{p}" for t, p in self.assigned))
        self._fetch()

    def unassign(self) -> None:
        self.check_open()
        self._drop_buffers(lambda _: True)
        self.assigned, self.positions, self.fetch_offsets = [], {}, {}

    def assignment(self) -> list[TopicPartition]:
        self.check_open()
        return [TopicPartition(t, p) for t, p in self.assigned]

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
        if self.assigned and self.coordinator.subscription is None:
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
        self._drop_buffers(lambda tp: tp not in keep)
        for d in (self.positions, self.fetch_offsets, self.position_epochs, self.validating, self.resetting,
                  self.backoff):
            for tp in [tp for tp in d if tp not in keep]:
                del d[tp]
        self.assigned = list(tps)
        for tp in tps:
            self.positions.setdefault(tp, None)
        self._fetch()

    # -- positions --------------------------------------------------------------
    def position(self, partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
        self.check_open()
        out = []
        for tp in partitions:
            pos = self.positions.get((tp.topic, tp.partition))
            out.append(TopicPartition(tp.topic, tp.partition, OFFSET_INVALID if pos is None else pos))
        return out

    def seek(self, partition: TopicPartition) -> None:
        self.check_open()
        key = (partition.topic, partition.partition)
        if key not in self.positions:
            raise KafkaException("_STATE", f"seek: {partition.topic}-{partition.partition} is not assigned "
                                           f"to this consumer (assigned: {self._assigned_text()})")
        if partition.offset in (OFFSET_BEGINNING, OFFSET_END):
            self._start_reset(key, "earliest" if partition.offset == OFFSET_BEGINNING else "latest")
        elif partition.offset >= 0:
            self._set_position(key, partition.offset)
        else:
            raise KafkaException("_INVALID_ARG", f"seek: invalid offset {partition.offset}")

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float | None = None,
                              cached: bool = False) -> tuple[int, int]:
        """(low, high) offsets of a partition; high is the HW (LSO under read_committed)."""
        self.check_open()
        key = (partition.topic, partition.partition)
        if cached:
            return (0, self.high_watermarks.get(key, OFFSET_INVALID))
        self.partitions_of(partition.topic)
        result: dict[str, int] = {}
        self._list_offsets(key, -2, lambda off: result.__setitem__("low", off))
        self._list_offsets(key, -1, lambda off: result.__setitem__("high", off))
        ms = self.timeout_ms(timeout)
        self.block_until(lambda: len(result) == 2, ms if ms is not None else self.cfg["request.timeout.ms"],
                         "get_watermark_offsets")
        if len(result) < 2:
            raise KafkaException("_TIMED_OUT", "get_watermark_offsets timed out")
        return (result["low"], result["high"])

    def _assigned_text(self) -> str:
        return ", ".join(f"{t}-{p}" for t, p in self.assigned) or "none"

    def _set_position(self, key: tuple[str, int], offset: int) -> None:
        self._drop_buffers(lambda tp: tp == key)
        self.position_epochs.pop(key, None)
        self.validating.pop(key, None)
        self.positions[key] = offset
        self.fetch_offsets[key] = offset
        self.resetting.pop(key, None)

    def _start_reset(self, key: tuple[str, int], policy: str) -> None:
        self._drop_buffers(lambda tp: tp == key)
        self.positions[key] = None
        self.position_epochs.pop(key, None)
        self.validating.pop(key, None)
        self.fetch_offsets.pop(key, None)
        if policy == "none":
            self.error = KafkaException("_AUTO_OFFSET_RESET",
                                        f"{key[0]}-{key[1]}: no valid position and auto.offset.reset=none")
            return
        ts = -2 if policy == "earliest" else -1
        token = self.next_cid()
        self.resetting[key] = token
        self._list_offsets(key, ts, lambda off: self._reset_done(key, token, off, policy))

    def _reset_done(self, key: tuple[str, int], token: int, offset: int, policy: str) -> None:
        if self.resetting.get(key) != token:
            return
        del self.resetting[key]
        self.positions[key] = offset
        self.fetch_offsets[key] = offset
        self.trace.state(self.sim.now, self.name, "offset.reset", tp=f"{key[0]}-{key[1]}", policy=policy,
                         offset=offset)
        self._fetch()

    def _list_offsets(self, key: tuple[str, int], ts: int, done: Any) -> int:
        cid = self.next_cid()
        leader, _ = self.leader_of(key)
        if leader < 0:
            self.request_metadata()
            self.after(self.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)
            return cid

        def on_response(resp: P.ListOffsetsResponse) -> None:
            _, err, off = resp.results[0]
            if err is None:
                done(off)
            else:
                self.request_metadata()
                self.after(self.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)

        def on_error(err: KafkaError) -> None:
            self.after(self.cfg["retry.backoff.ms"], self._retry_list_offsets, key, ts, done, cid)

        self.request(leader, P.ListOffsetsRequest(cid, [(key, ts)], self.isolation), on_response, on_error)
        return cid

    def _retry_list_offsets(self, key: tuple[str, int], ts: int, done: Any, cid: int) -> None:
        if not self.closed:
            self._list_offsets(key, ts, done)

    # -- polling ------------------------------------------------------------------
    def poll(self, timeout: float | None = None) -> Message | None:
        """The next message, or None when none arrived within `timeout` seconds (virtual time).
        Without a timeout, waits until a message arrives or nothing else can happen."""
        self.check_open()
        self._wait_for(1, self.timeout_ms(timeout), "poll")
        if not self.buffer:
            self._raise_error()
            return None
        return self._take()

    def consume(self, num_messages: int = 1, timeout: float | None = -1) -> list[Message]:
        """Up to `num_messages` messages, waiting at most `timeout` seconds (virtual time)."""
        self.check_open()
        if not isinstance(num_messages, int) or num_messages < 1:
            raise ValueError(f"num_messages must be an integer >= 1, got {num_messages!r}")
        self._wait_for(num_messages, self.timeout_ms(timeout), "consume")
        out = []
        while self.buffer and len(out) < num_messages:
            out.append(self._take())
        if not out:
            self._raise_error()
        return out

    def _wait_for(self, n: int, timeout_ms: int | None, what: str) -> None:
        """The group's duties first (consumer_coordinator.py: join, apply an assignment,
        auto-commit), then wait until `n` messages are buffered, an error, the timeout, or new
        group work that only poll() may do (rebalance callbacks run here, never inside the
        simulation)."""
        sim, group = self.sim, self.coordinator
        deadline = None if timeout_ms is None else sim.now + timeout_ms
        while True:
            group.poll()
            if len(self.buffer) >= n:
                return
            self._raise_error()
            self._fetch()
            remaining = None if deadline is None else max(deadline - sim.now, 0)
            self.block_until(lambda: len(self.buffer) >= n or self.error is not None or group.needs_poll(),
                             remaining, what)
            if not group.needs_poll() or len(self.buffer) >= n:
                return
            if deadline is not None and sim.now >= deadline:
                group.poll()
                return

    def _take(self) -> Message:
        msg = self.buffer.popleft()
        key = (msg._topic, msg._partition)
        self.positions[key] = msg._offset + 1 if msg._error is None else msg._offset
        self.position_epochs[key] = msg._leader_epoch
        left = self.buffered_tps[key] - 1
        if left:
            self.buffered_tps[key] = left
        else:       # past the fetched data, including control records after the last message
            del self.buffered_tps[key]
            if self.fetch_offsets.get(key, -1) > msg._offset + 1:
                self.positions[key] = self.fetch_offsets[key]
            self._fetch()
        return msg

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
            self.buffer.clear()
            self.trace.state(self.sim.now, self.name, "client.close")

    def _drop_buffers(self, which: Any) -> None:
        if any(which(tp) for tp in self.buffered_tps):
            self.buffer = deque(m for m in self.buffer if not which((m._topic, m._partition)))
            for tp in [tp for tp in self.buffered_tps if which(tp)]:
                del self.buffered_tps[tp]

    # -- fetching -------------------------------------------------------------------
    def _fetch(self) -> None:
        if self.closed:
            return
        now = self.sim.now
        by_leader: dict[int, list[P.FetchPartition]] = {}
        missing = False
        for key in self.assigned:
            off = self.fetch_offsets.get(key)
            if off is None and key not in self.resetting and self.error is None:
                self.initial_position(key)
                off = self.fetch_offsets.get(key)
            if off is None or key in self.buffered_tps or self.backoff.get(key, 0) > now:
                continue
            if key in self.validating:
                if not self.validating[key] and not self._validate(key):
                    missing = True                  # no leader to ask: find one first
                continue
            leader, epoch = self.leader_of(key)
            if leader < 0:
                missing = True
                continue
            if leader in self.fetching:
                continue
            self.seen_epochs.setdefault(key, epoch)
            by_leader.setdefault(leader, []).append(P.FetchPartition(key, off, epoch))
        if missing:
            self.request_metadata()
        for leader in sorted(by_leader):
            cid = self.next_cid()
            req = P.FetchRequest(cid, -1, self.cfg["fetch.max.wait.ms"], self.cfg["fetch.min.bytes"],
                                 self.cfg["fetch.max.bytes"], by_leader[leader], self.isolation)
            self.fetching[leader] = cid
            self.request(leader, req, lambda resp, b=leader: self._on_fetch(b, resp),
                         lambda err, b=leader: self._on_fetch_error(b, err), daemon=True)

    def _on_fetch(self, broker: int, resp: P.FetchResponse) -> None:
        self.fetching.pop(broker, None)
        for res in resp.partitions:
            key = res.tp
            if key not in self.fetch_offsets:
                continue
            if res.error is not None:
                self._partition_error(key, res.error)
                continue
            self.high_watermarks[key] = res.last_stable_offset if self.isolation == "read_committed" \
                else res.high_watermark
            msgs = self.records_from(key, res)
            end = self.high_watermarks[key]
            if self.cfg["enable.partition.eof"] and self.fetch_offsets.get(key, -1) >= end \
                    and self.eof_at.get(key) != end:
                self.eof_at[key] = end          # rule 6: once per time the end is reached
                msgs.append(Message(key[0], key[1], end, None, None, None, -1,
                                    KafkaError("_PARTITION_EOF", f"Fetch reached the end of {key[0]} "
                                               f"[{key[1]}] at offset {end}")))
            if msgs:
                self.buffer.extend(msgs)
                self.buffered_tps[key] = self.buffered_tps.get(key, 0) + len(msgs)
        self._fetch()

    def records_from(self, key: tuple[str, int], res: P.FetchPartitionResult) -> list[Message]:
        """The application records of a fetch response, from the fetch offset on. Control
        batches are never returned; read_committed drops the batches of aborted transactions:
        an aborted (producer id, first offset) from the response applies to that producer's
        transactional batches from the first offset up to its ABORT marker (Kafka's
        CompletedFetch)."""
        start = self.fetch_offsets[key]
        topic, part = key
        out: list[Message] = []
        upper = res.last_stable_offset if self.isolation == "read_committed" else res.high_watermark
        aborted = sorted(res.aborted, key=lambda a: a[1]) if res.aborted and self.isolation == "read_committed" else ()
        aborting: set[int] = set()
        i = 0
        end = start
        for b in res.batches:
            while i < len(aborted) and aborted[i][1] <= b.last_offset:
                aborting.add(aborted[i][0])
                i += 1
            if b.control or (b.transactional and b.producer_id in aborting):
                if b.control and b.control_type == "ABORT":
                    aborting.discard(b.producer_id)
                if b.base_offset < upper:
                    end = max(end, min(b.next_offset, upper))
                continue
            base, epoch = b.base_offset, b.leader_epoch
            recs = b.records
            lo = start - base if start > base else 0
            hi = min(len(recs), upper - base)
            for j in range(lo, hi):
                r = recs[j]
                out.append(Message(topic, part, base + j, r.key, r.value, r.headers, r.timestamp, None, epoch))
            end = max(end, base + hi)
        if end > start:
            self.fetch_offsets[key] = end
            if not out:
                self.positions[key] = end
        return out

    def initial_position(self, key: tuple[str, int]) -> None:
        """A partition without a position: the group's committed offset if there is one (with a
        group.id), else reset by `auto.offset.reset`."""
        if not self.coordinator.group_id:
            self._start_reset(key, self.cfg["auto.offset.reset"])
            return
        token = self.next_cid()
        self.resetting[key] = token
        self.coordinator.initial_position(key, token, lambda off: self._committed_done(key, token, off))

    def _committed_done(self, key: tuple[str, int], token: int, offset: int) -> None:
        if self.resetting.get(key) != token:
            return
        del self.resetting[key]
        if offset < 0:
            self._start_reset(key, self.cfg["auto.offset.reset"])
            return
        self.positions[key] = offset
        self.fetch_offsets[key] = offset
        self.trace.state(self.sim.now, self.name, "offset.committed", tp=f"{key[0]}-{key[1]}", offset=offset)
        self._fetch()

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

    def _partition_error(self, key: tuple[str, int], error: str) -> None:
        if error == "OFFSET_OUT_OF_RANGE":
            policy = self.cfg["auto.offset.reset"]
            self.trace.state(self.sim.now, self.name, "offset.out_of_range", tp=f"{key[0]}-{key[1]}",
                             position=self.positions.get(key), policy=policy)
            self._start_reset(key, policy)
            return
        if error in LEADERSHIP_ERRORS:
            self.request_metadata()
        self._back_off(key)

    def _back_off(self, key: tuple[str, int]) -> None:
        self.backoff[key] = self.sim.now + self.cfg["retry.backoff.ms"]
        self.after(self.cfg["retry.backoff.ms"], self._fetch, daemon=True)

    def _on_fetch_error(self, broker: int, err: KafkaError) -> None:
        self.fetching.pop(broker, None)
        for key in self.assigned:
            if self.leader_of(key)[0] == broker:
                self._back_off(key)

    def on_metadata(self) -> None:
        self.coordinator.on_metadata()
        for key in self.assigned:
            epoch = self.leader_of(key)[1]
            seen = self.seen_epochs.get(key)
            self.seen_epochs[key] = epoch
            if seen is not None and epoch > seen and key in self.position_epochs and key not in self.validating:
                self.validating[key] = 0
                self._drop_buffers(lambda tp, key=key: tp == key)
                if self.positions.get(key) is not None:
                    self.fetch_offsets[key] = self.positions[key]
        self._fetch()

    # -- position validation (KIP-320) ---------------------------------------------------
    def _validate(self, key: tuple[str, int]) -> bool:
        """Send the validation; False if no leader is known to send it to."""
        leader, epoch = self.leader_of(key)
        if leader < 0:
            return False
        cid = self.next_cid()
        self.validating[key] = cid
        req = P.OffsetsForLeaderEpochRequest(cid, [(key, epoch, self.position_epochs[key])])
        self.request(leader, req, lambda resp: self._validated(key, cid, resp),
                     lambda err: self._validation_failed(key, cid))
        return True

    def _validation_failed(self, key: tuple[str, int], cid: int) -> None:
        if self.validating.get(key) == cid:
            self.validating[key] = 0
            self._back_off(key)

    def _validated(self, key: tuple[str, int], cid: int, resp: P.OffsetsForLeaderEpochResponse) -> None:
        if self.validating.get(key) != cid:
            return
        _, err, _, end = resp.results[0]
        if err is not None:
            self.request_metadata()
            self._validation_failed(key, cid)
            return
        del self.validating[key]
        position = self.positions.get(key)
        if position is not None and end < position:
            self.trace.state(self.sim.now, self.name, "log.truncation", tp=f"{key[0]}-{key[1]}",
                             position=position, to=end)
            if self.cfg["auto.offset.reset"] == "none":
                self.error = KafkaException("_LOG_TRUNCATION", f"Truncation detected for {key[0]}-{key[1]}: "
                                            f"position {position}, the log now diverges at {end}")
                self.fetch_offsets.pop(key, None)
                return
            self._set_position(key, end)
        self._fetch()
