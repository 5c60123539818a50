"""The share consumer (KIP-932, queues): a member of a share group that acquires records from
partitions it may share with other members and acknowledges them one by one (Kafka's
KafkaShareConsumer; kafka-semantics.md O.231-O.243).

Rules:
S1. `subscribe(topics)` joins the share group `group.id` at the next poll(): ShareGroupHeartbeat
    at epoch 0 with the topics, then every `heartbeat_interval_ms` the coordinator gives. The
    answers carry the partitions to fetch from; several members may get the same partition.
S2. poll(timeout) returns one record (a `ShareMessage`, with its `delivery_count()`); consume(n,
    timeout) up to n. When the buffer is empty, the consumer sends one ShareFetch to the leader
    of each assigned partition (grouped by leader), carrying the acknowledgements still to send,
    and waits for records; at most `max.poll.records` per partition per fetch. The records
    returned are acquired for this member until `group.share.record.lock.duration.ms` passes.
S3. `share.acknowledgement.mode` implicit (the default): each poll() accepts every record
    returned by earlier polls; the acknowledgements go with the next ShareFetch, or with
    commit_sync()/commit_async(); acknowledge() is refused (_STATE). explicit: the application
    calls acknowledge(message, "ACCEPT" | "RELEASE" | "REJECT") for each record, and poll()
    refuses (_STATE) while a record returned earlier is not acknowledged.
S4. commit_sync(timeout) sends the pending acknowledgements in ShareAcknowledge requests and
    returns {TopicPartition: KafkaError or None}; commit_async() sends them without waiting.
    An acknowledgement of a record this member no longer holds (its lock expired, or it was
    redelivered elsewhere) fails with INVALID_RECORD_STATE: the record is someone else's now.
S5. close(): pending acknowledgements are sent (explicit mode; in implicit mode the records of the
    last poll are not accepted) and every record this member still holds is released at once,
    then the member leaves (epoch -1).
S6. Errors: FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID rejoin at epoch 0; NOT_COORDINATOR and
    COORDINATOR_NOT_AVAILABLE find the coordinator again; INVALID_REQUEST, GROUP_MAX_SIZE_REACHED,
    UNSUPPORTED_VERSION, GROUP_ID_NOT_FOUND are fatal (every later poll raises). A ShareFetch
    answered NOT_LEADER_OR_FOLLOWER, or a partition with no known leader, refreshes metadata; the
    next fetch goes to the new leader.
Configs that have no meaning for a share consumer (auto.offset.reset, enable.auto.commit,
isolation.level, group.instance.id, partition.assignment.strategy, session.timeout.ms,
heartbeat.interval.ms, group.protocol, group.remote.assignor) are refused, as Kafka's
ShareConsumerConfig refuses them; the group's start position and isolation are group configs
(`Cluster.alter_group_config`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.client import Client
from minikafka.clients.config import COMMON_CLIENT
from minikafka.clients.message import (TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Message, TopicPartition,
                                       check_topic)
from minikafka.config import Schema, choice_key, int_key, resolve, str_key
from minikafka.errors import ConfigException, KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

TP = tuple[str, int]
ACK_TYPES = {"ACCEPT": P.share_groups.ACCEPT, "RELEASE": P.share_groups.RELEASE, "REJECT": P.share_groups.REJECT}
FIND_AGAIN = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"})
FATAL = frozenset({"INVALID_REQUEST", "GROUP_MAX_SIZE_REACHED", "UNSUPPORTED_VERSION", "GROUP_ID_NOT_FOUND",
                   "GROUP_AUTHORIZATION_FAILED"})
NOT_FOR_SHARE = ("auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms", "isolation.level",
                 "group.instance.id", "partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms",
                 "group.protocol", "group.remote.assignor")

SHARE_CONSUMER = Schema("share consumer", COMMON_CLIENT + (
    str_key("group.id", None),
    choice_key("share.acknowledgement.mode", "implicit", ("implicit", "explicit")),
    int_key("max.poll.records", 500, 1),
    int_key("fetch.max.wait.ms", 500, 0),
    int_key("max.poll.interval.ms", 300000, 1),
    str_key("client.rack", ""),
), unmodelled=("key.deserializer", "value.deserializer", "share.acquire.mode", "fetch.min.bytes",
               "fetch.max.bytes", "max.partition.fetch.bytes"))


class ShareMessage(Message):
    """A record a share consumer acquired: a Message with its delivery count (1 the first time)."""
    __slots__ = ("_delivery_count",)

    def __init__(self, topic: str, partition: int, offset: int, record: Any, delivery_count: int,
                 log_append_time: bool = False) -> None:
        super().__init__(topic, partition, offset, record.key, record.value, record.headers, record.timestamp,
                         tstype=TIMESTAMP_LOG_APPEND_TIME if log_append_time else TIMESTAMP_CREATE_TIME)
        self._delivery_count = delivery_count

    def delivery_count(self) -> int:
        return self._delivery_count


class ShareConsumer(Client):
    role = "share-consumer"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None, name: str) -> None:
        for key in sorted(config or {}):
            if key in NOT_FOR_SHARE:
                raise ConfigException(f"{key} is not supported by the share consumer (Kafka's ShareConsumerConfig "
                                      "refuses it); a share group's start position and isolation level are group "
                                      "configs: cluster.alter_group_config(group, {'share.auto.offset.reset': ...})")
        cfg = resolve(SHARE_CONSUMER, config)
        if not cfg["group.id"]:
            raise ConfigException("a share consumer needs a group.id (the share group it joins)")
        super().__init__(cluster, cfg["client.id"] or name, cfg)
        self.group_id: str = cfg["group.id"]
        self.explicit = cfg["share.acknowledgement.mode"] == "explicit"
        self.member_id = f"{self.name}-{self.sim.rng(f'member-ids/{self.name}').getrandbits(32):08x}"
        self.epoch = 0
        self.subscription: tuple[str, ...] | None = None
        self.joined = False
        self.assignment: tuple[TP, ...] = ()
        self.interval = 0
        self.hb_in_flight = False
        self.hb_timer: Any = None
        self.fatal: KafkaException | None = None
        self.buffer: list[ShareMessage] = []
        self.delivered: dict[tuple[TP, int], ShareMessage] = {}       # returned, not yet acknowledged
        self.acks: dict[TP, dict[int, int]] = {}                      # to send: tp -> offset -> type
        self.fetching: set[int] = set()                               # brokers with a ShareFetch in flight
        self.results: dict[TP, KafkaError | None] = {}                # acknowledgement outcomes, last known
        self._acks_in_flight: set[int] = set()                        # ShareAcknowledge requests unanswered
        self.last_poll = self.sim.now

    # -- the application's calls ------------------------------------------------------------------------
    def subscribe(self, topics: list[str]) -> None:
        self.check_open()
        if not isinstance(topics, (list, tuple)) or not topics:
            raise KafkaException("_INVALID_ARG", f"subscribe(): a non-empty list of topic names, got {topics!r}")
        for t in topics:
            check_topic(t, "subscribe()")
            self.partitions_of(t)
        self.subscription = tuple(sorted(set(topics)))
        self.trace.state(self.sim.now, self.name, "subscribe", group=self.group_id, topics=self.subscription)
        if self.joined:
            self._heartbeat_now()

    def unsubscribe(self) -> None:
        self.check_open()
        self._leave("unsubscribe")
        self.subscription = None

    def poll(self, timeout: float | None = None) -> ShareMessage | None:
        got = self.consume(1, timeout)
        return got[0] if got else None

    def consume(self, num_messages: int = 1, timeout: float | None = -1) -> list[ShareMessage]:
        """Up to `num_messages` records (S2, S3)."""
        self.check_open()
        if self.fatal is not None:
            raise self.fatal
        if self.explicit and self.delivered and not self.buffer:
            left = ", ".join(f"{t}-{p}@{o}" for (t, p), o in sorted(self.delivered))
            raise KafkaException("_STATE", f"share.acknowledgement.mode=explicit: acknowledge every record before "
                                           f"the next poll (not acknowledged: {left})")
        ms = self.timeout_ms(timeout, "poll()")
        self.last_poll = self.sim.now
        if not self.explicit:
            for (tp, offset), _ in sorted(self.delivered.items()):
                self.acks.setdefault(tp, {})[offset] = P.share_groups.ACCEPT
            self.delivered.clear()
        if self.subscription is not None and not self.joined and not self.hb_in_flight:
            self._heartbeat_now()
        if not self.buffer:
            self._send_fetches()
        self.block_until(lambda: bool(self.buffer) or self.fatal is not None, ms, "poll")
        if self.fatal is not None:
            raise self.fatal
        out, self.buffer = self.buffer[:num_messages], self.buffer[num_messages:]
        for m in out:
            self.delivered[((m.topic(), m.partition()), m.offset())] = m
        return out

    def acknowledge(self, message: ShareMessage, type: str = "ACCEPT") -> None:
        """S3, explicit mode: ACCEPT (processed), RELEASE (deliver again), REJECT (never again)."""
        self.check_open()
        if not self.explicit:
            raise KafkaException("_STATE", "acknowledge() needs share.acknowledgement.mode=explicit; in implicit "
                                           "mode the next poll() accepts every record it returned")
        if not isinstance(message, ShareMessage):
            raise TypeError(f"acknowledge() takes a ShareMessage from poll(), got {message.__class__.__name__}")
        if type not in ACK_TYPES:
            raise KafkaException("_INVALID_ARG", f"acknowledge(): type {type!r} is not one of {', '.join(ACK_TYPES)}")
        key = ((message.topic(), message.partition()), message.offset())
        if key not in self.delivered:
            raise KafkaException("_STATE", f"acknowledge(): {key[0][0]}-{key[0][1]}@{key[1]} was not delivered to "
                                           "this consumer by its last poll, or was acknowledged already")
        del self.delivered[key]
        self.acks.setdefault(key[0], {})[key[1]] = ACK_TYPES[type]

    def commit_sync(self, timeout: float | None = None) -> dict[TopicPartition, KafkaError | None]:
        """S4."""
        self.check_open()
        sent = self._send_acks(close=False)
        ms = self.timeout_ms(timeout, "commit_sync()")
        self.block_until(lambda: not self._waiting_acks, ms if ms is not None else self.cfg["request.timeout.ms"],
                         "commit_sync")
        return {TopicPartition(t, p): self.results.get((t, p)) for t, p in sent}

    def commit_async(self) -> None:
        self.check_open()
        self._send_acks(close=False)

    def close(self) -> None:
        """S5."""
        if self.closed or not self.alive:
            return
        if not self.explicit:
            self.delivered.clear()                  # not accepted: released below
        if self.joined:
            self._send_acks(close=True)
            self.block_until(lambda: not self._waiting_acks, self.cfg["request.timeout.ms"], "close")
            self._leave("close")
        self.closed = True
        self.buffer.clear()
        self.trace.state(self.sim.now, self.name, "client.close")

    # -- fetching (S2) -------------------------------------------------------------------------------------
    def _by_leader(self, tps: list[TP]) -> dict[int, list[TP]]:
        """The partitions by leader; a partition with no known leader asks for metadata (S6)."""
        out: dict[int, list[TP]] = {}
        for tp in sorted(tps):
            leader, _ = self.leader_of(tp)
            if leader >= 0:
                out.setdefault(leader, []).append(tp)
            else:
                self.request_metadata()
        return out

    def _send_fetches(self) -> None:
        """S2; acknowledgements of partitions no longer assigned go along to their leaders too."""
        assigned = set(self.assignment)
        for broker, tps in sorted(self._by_leader(sorted(assigned | set(self.acks))).items()):
            if broker in self.fetching:
                continue
            acks = self._take_acks(tps)
            fetch = tuple(tp for tp in tps if tp in assigned)
            if not fetch and not acks:
                continue
            msg = P.ShareFetchRequest(self.next_cid(), self.group_id, self.member_id, fetch, acks,
                                      self.cfg["max.poll.records"], self.cfg["fetch.max.wait.ms"])
            self.fetching.add(broker)
            self.request(broker, msg, lambda resp, b=broker: self._on_fetch(b, resp),
                         lambda err, b=broker, a=acks: self._fetch_failed(b, a))

    def _on_fetch(self, broker: int, resp: P.ShareFetchResponse) -> None:
        self.fetching.discard(broker)
        for part in resp.partitions:
            t, p = part.tp
            if part.ack_error is not None:
                self.results[part.tp] = KafkaError(part.ack_error)
            if part.error == "NOT_LEADER_OR_FOLLOWER":
                self.request_metadata()
            for offset, count, record, log_append_time in part.acquired:
                self.buffer.append(ShareMessage(t, p, offset, record, count, log_append_time))

    def _fetch_failed(self, broker: int, acks: tuple) -> None:
        self.fetching.discard(broker)
        for tp, items in acks:                  # not sent after all: send them again
            for first, last, kind in items:
                for o in range(first, last + 1):
                    self.acks.setdefault(tp, {}).setdefault(o, kind)

    def _take_acks(self, tps: list[TP]) -> tuple:
        out = []
        for tp in tps:
            pending = self.acks.pop(tp, None)
            if pending:
                out.append((tp, tuple((o, o, kind) for o, kind in sorted(pending.items()))))
        return tuple(out)

    # -- acknowledgements (S4, S5) ----------------------------------------------------------------------------
    @property
    def _waiting_acks(self) -> bool:
        return bool(self._acks_in_flight)

    def _send_acks(self, close: bool) -> list[TP]:
        tps = sorted(set(self.acks) | (set(self.assignment) if close else set()))
        sent: list[TP] = []
        for broker, group in sorted(self._by_leader(tps).items()):
            acks = self._take_acks(group)
            if not acks and not close:
                continue
            msg = P.ShareAcknowledgeRequest(self.next_cid(), self.group_id, self.member_id,
                                            acks if not close else tuple(acks) + tuple(
                                                (tp, ()) for tp in group if tp not in dict(acks)), close)
            sent += [tp for tp, _ in msg.acks]
            self._acks_in_flight.add(msg.cid)

            def done(resp: Any, cid: int = msg.cid) -> None:
                self._acks_in_flight.discard(cid)
                for tp, err in getattr(resp, "results", ()):
                    self.results[tp] = KafkaError(err) if err else None

            def failed(err: KafkaError, cid: int = msg.cid, sent_acks: tuple = msg.acks) -> None:
                self._acks_in_flight.discard(cid)
                for tp, _ in sent_acks:
                    self.results[tp] = err
            self.request(broker, msg, done, failed)
        return sent

    # -- membership (S1, S6) ------------------------------------------------------------------------------------
    def _heartbeat_now(self) -> None:
        if self.hb_in_flight or self.subscription is None or self.fatal is not None:
            return
        self.hb_in_flight = True
        topics = self.subscription
        epoch = self.epoch

        def handle(resp: P.ShareGroupHeartbeatResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                return "refind"
            self.hb_in_flight = False
            if self.closed or self.subscription is None:
                return None
            if resp.error is None:
                self.joined, self.epoch, self.interval = True, resp.member_epoch, resp.heartbeat_interval_ms
                if resp.assignment is not None and tuple(resp.assignment) != self.assignment:
                    self.assignment = tuple(sorted(resp.assignment))
                    self.trace.state(self.sim.now, self.name, "share.assigned", group=self.group_id, epoch=self.epoch,
                                     partitions=tuple(f"{t}-{p}" for t, p in self.assignment))
            elif resp.error in FATAL:
                self.fatal = KafkaException(KafkaError(resp.error, f"ShareGroupHeartbeat: {resp.error_message or resp.error}",
                                                       fatal=True))
                return None
            else:                                       # fenced or unknown: join again at epoch 0
                self.trace.state(self.sim.now, self.name, "group.fenced", group=self.group_id, error=resp.error,
                                 epoch=epoch)
                self.joined, self.epoch, self.assignment = False, 0, ()
            self._schedule_heartbeat()
            return None
        self.coordinator_call("group", self.group_id, lambda cid: P.ShareGroupHeartbeatRequest(
            cid, self.group_id, self.member_id, self.epoch, topics, self.name), handle, daemon=True)

    def _schedule_heartbeat(self) -> None:
        if self.hb_timer is None:
            self.hb_timer = self.after(self.interval or self.cfg["retry.backoff.ms"], self._heartbeat, daemon=True)

    def _heartbeat(self) -> None:
        self.hb_timer = None
        if self.closed or self.subscription is None or self.fatal is not None:
            return
        if self.joined and self.sim.now - self.last_poll > self.cfg["max.poll.interval.ms"]:
            self.trace.state(self.sim.now, self.name, "consumer.poll_timeout", group=self.group_id,
                             max_poll_interval_ms=self.cfg["max.poll.interval.ms"])
            self._leave("max.poll.interval.ms expired")
            return
        self._heartbeat_now()

    def _leave(self, why: str) -> None:
        if self.joined:
            group, member = self.group_id, self.member_id
            self.coordinator_call("group", group, lambda cid: P.ShareGroupHeartbeatRequest(cid, group, member, -1),
                                  lambda resp: "refind" if resp.error in FIND_AGAIN else None)
            self.trace.state(self.sim.now, self.name, "group.leave", group=group, member=member, why=why)
        self.joined, self.epoch, self.assignment = False, 0, ()
