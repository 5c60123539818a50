"""The consumer's side of a KIP-848 consumer group, `group.protocol=consumer` (Kafka's
ConsumerMembershipManager and ConsumerHeartbeatRequestManager; kafka-semantics.md N.215-N.228).
The offsets half (commits, committed offsets) is consumer_coordinator.py's, unchanged, with the
member epoch where the classic protocol puts the generation.

Rules:
C1. The consumer makes its member id once (its client id, "-", 8 seeded hex digits; Kafka's is a
    random UUID) and keeps it across rejoins. `subscribe()` joins at the next poll() with a
    full ConsumerGroupHeartbeat at epoch 0: the topics, `max.poll.interval.ms` as the rebalance
    timeout, `group.remote.assignor`, the instance id and rack.
C2. Afterwards it heartbeats every `heartbeat_interval_ms` the coordinator gives (the broker's
    `group.consumer.heartbeat.interval.ms`), one heartbeat at a time, sending only what changed
    since the coordinator last acknowledged it (the subscription, the owned partitions); after
    any error it sends every field again.
C3. The answer's epoch becomes the member epoch (commits carry it). An assignment in the answer
    is the member's new target: at the next poll() the consumer revokes what is not in it
    (committing first with auto-commit, then on_revoke), adds what is new (on_assign, with only
    the new partitions: the protocol is incremental), and heartbeats at once to report what it
    owns now. The coordinator hands a partition over only after its old owner reported it gone.
C4. FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: the partitions are lost (on_lost, else on_revoke)
    at the next poll(), which then rejoins at epoch 0 with the same member id.
    NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE: find the coordinator and retry;
    COORDINATOR_LOAD_IN_PROGRESS: retry after `retry.backoff.ms`. INVALID_REQUEST,
    GROUP_MAX_SIZE_REACHED, UNSUPPORTED_ASSIGNOR, UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID,
    UNSUPPORTED_VERSION and GROUP_ID_NOT_FOUND are fatal: every later poll() raises the error and
    the consumer no longer takes part in the group.
C5. Leaving (close, unsubscribe, or no poll() for `max.poll.interval.ms`) is a heartbeat at epoch
    -1, or -2 for a static member (`group.instance.id`), whose place the coordinator keeps until
    its session times out. After a poll timeout the next poll() rejoins.
C6. A commit refused with STALE_MEMBER_EPOCH or UNKNOWN_MEMBER_ID is Kafka's
    CommitFailedException; the membership itself is decided by heartbeats only. (Java's
    auto-commit before a revocation retries with the latest epoch; minikafka's does not.)
C7. A subscribed name starting with ^ is a regular expression (librdkafka's convention): they go,
    joined with |, in SubscribedTopicRegex, for the coordinator to resolve; a regex the
    coordinator cannot compile is INVALID_REGULAR_EXPRESSION, fatal.
Not modelled: the separate background thread (heartbeats are timers of the simulation, as the
classic consumer's are).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.consumer.consumer_coordinator import FIND_AGAIN, STABLE, UNJOINED, ConsumerCoordinator
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.clients.consumer.consumer import Consumer

TP = tuple[str, int]
JOINING = "JOINING"
FENCED = frozenset({"FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"})
FATAL = frozenset({"INVALID_REQUEST", "GROUP_MAX_SIZE_REACHED", "UNSUPPORTED_ASSIGNOR", "UNRELEASED_INSTANCE_ID",
                   "INVALID_REGULAR_EXPRESSION",
                   "FENCED_INSTANCE_ID", "UNSUPPORTED_VERSION", "GROUP_ID_NOT_FOUND", "GROUP_AUTHORIZATION_FAILED"})


class ConsumerMembershipManager(ConsumerCoordinator):
    def __init__(self, consumer: "Consumer") -> None:
        super().__init__(consumer)
        self.rebalance_protocol = "COOPERATIVE"          # incremental: nothing is revoked that is kept
        self.member_id = f"{consumer.name}-{consumer.sim.rng(f'member-ids/{consumer.name}').getrandbits(32):08x}"
        self.generation = 0                             # the member epoch
        self.interval = 0                               # from the coordinator; 0 until the first answer
        self.acked: dict[str, Any] = {}                 # C2: the fields the coordinator has acknowledged
        self.in_flight = False
        self.send_again = False
        self.leaving = False

    # -- the application's calls ----------------------------------------------------------------
    def subscribe(self, topics: tuple[str, ...], on_assign: Any, on_revoke: Any, on_lost: Any) -> None:
        super().subscribe(topics, on_assign, on_revoke, on_lost)
        if self.state != UNJOINED:
            self.rejoin_needed = False
            self._heartbeat_now()                       # C2: the new subscription goes out at once

    def needs_poll(self) -> bool:
        return self.pending is not None or self.lost or self.fenced is not None or (
            self.rejoin_needed and self.state == UNJOINED and self.subscription is not None)

    def poll(self) -> None:
        c = self.c
        self.poll_started()
        if self.subscription is None:
            return
        if self.fenced is not None:
            if c.error is None:
                c.error = self.fenced
            return
        if self.lost:                                   # C4
            self.lost = False
            self._revoke(tuple(c.subscriptions.assigned), "on_lost")
        if self.pending is not None:
            target, self.pending = self.pending, None
            self._reconcile(target)
        if self.rejoin_needed and self.state == UNJOINED:
            self.rejoin_needed = False
            self.state = JOINING
            self.generation = 0
            self.acked = {}
            self._heartbeat_now()

    def _reconcile(self, target: tuple[TP, ...]) -> None:
        """C3."""
        c = self.c
        owned = tuple(c.subscriptions.assigned)
        revoked = tuple(tp for tp in owned if tp not in target)
        added = tuple(tp for tp in target if tp not in owned)
        if revoked:
            if self.auto_commit:
                self._commit_positions(sync=False)      # FIFO: it reaches the coordinator first
            self._revoke(revoked, "on_revoke")
        if added:
            c.set_assignment(tuple(c.subscriptions.assigned) + added)
            c.metrics.rebalanced()
            c.trace.state(c.sim.now, c.name, "group.assigned", group=self.group_id, generation=self.generation,
                          member=self.member_id, partitions=tuple(f"{t}-{p}" for t, p in c.subscriptions.assigned))
            cb = self.callbacks.get("on_assign")
            if cb is not None:
                cb(c, [self._tp(tp) for tp in added])
        if revoked or added:
            self._heartbeat_now()

    @staticmethod
    def _tp(tp: TP) -> Any:
        from minikafka.clients.message import TopicPartition
        return TopicPartition(*tp)

    def leave(self, why: str) -> None:
        """C5."""
        c = self.c
        if self.state != UNJOINED or self.in_flight:
            epoch = -2 if self.instance_id is not None else -1
            group, member, instance = self.group_id, self.member_id, self.instance_id
            c.coordinator_call("group", group, lambda cid: P.ConsumerGroupHeartbeatRequest(
                cid, group, member, epoch, instance, client_id=c.name),
                lambda resp: "refind" if resp.error in FIND_AGAIN else None)
            c.trace.state(c.sim.now, c.name, "group.leave", group=group, member=member, epoch=epoch, why=why)
        self.leaving = self.in_flight
        self.state, self.generation, self.acked = UNJOINED, 0, {}
        self.joined = (-1, self.member_id)

    def _membership_error(self, error: str, where: str) -> None:
        """C6: a commit's error changes nothing in the membership, except a fenced instance."""
        if error == "FENCED_INSTANCE_ID":
            self._fatal(error, where)

    def on_metadata(self) -> None:
        """The coordinator notices partition changes itself (consumer_group_heartbeat.py rule 3)."""

    # -- heartbeats (C1-C5) ------------------------------------------------------------------------
    def _heartbeat_now(self) -> None:
        if self.in_flight:
            self.send_again = True
        else:
            self._send()

    def _schedule_heartbeat(self) -> None:
        if self.heartbeat_timer is None and self.interval > 0:
            self.heartbeat_timer = self.c.after(self.interval, self._heartbeat, daemon=True)

    def _heartbeat(self) -> None:
        self.heartbeat_timer = None
        c = self.c
        if c.closed or self.subscription is None or self.fenced is not None or self.state == UNJOINED:
            return
        if not self.poll_timed_out():
            self._heartbeat_now()

    def _request(self, cid: int) -> P.ConsumerGroupHeartbeatRequest:
        c, cfg = self.c, self.c.cfg
        names = tuple(sorted(t for t in self.subscription or () if not t.startswith("^")))
        patterns = sorted(t for t in self.subscription or () if t.startswith("^"))
        regex = "|".join(f"(?:{p})" for p in patterns) if len(patterns) > 1 else (patterns[0] if patterns else "")
        want = {"topics": names, "regex": regex, "owned": tuple(sorted(c.subscriptions.assigned)),
                "rebalance": cfg["max.poll.interval.ms"], "assignor": cfg["group.remote.assignor"]}
        full = self.generation == 0 or not self.acked
        send = {k: v for k, v in want.items() if full or self.acked.get(k) != v}
        self._sending = want
        return P.ConsumerGroupHeartbeatRequest(
            cid, self.group_id, self.member_id, self.generation, self.instance_id,
            cfg["client.rack"] or None if full else None, send.get("rebalance", -1), send.get("topics"),
            send.get("regex") if (send.get("regex") or not full) else None, send.get("assignor"), send.get("owned"),
            c.name)

    def _send(self) -> None:
        c = self.c
        self.in_flight = True
        epoch = self.generation

        def handle(resp: P.ConsumerGroupHeartbeatResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                return "refind"
            if resp.error == "COORDINATOR_LOAD_IN_PROGRESS":
                return "retry"
            self.in_flight = False
            if self.leaving or c.closed:
                self.leaving = False
            elif resp.error is None:
                self._answered(resp)
            else:
                self._failed(resp, epoch)
            if self.send_again and self.state != UNJOINED and self.fenced is None:
                self.send_again = False
                self._send()
            else:
                self.send_again = False
                self._schedule_heartbeat()
            return None
        c.coordinator_call("group", self.group_id, self._request, handle, daemon=True)

    def _answered(self, resp: P.ConsumerGroupHeartbeatResponse) -> None:
        c = self.c
        self.acked = dict(self._sending)
        self.interval = resp.heartbeat_interval_ms
        if self.state == UNJOINED:
            return                                       # left meanwhile
        self.state = STABLE
        if resp.member_epoch != self.generation:
            self.generation = resp.member_epoch
            self.joined = (self.generation, self.member_id)
            c.trace.state(c.sim.now, c.name, "group.epoch", group=self.group_id, member=self.member_id,
                          epoch=self.generation)
        if resp.assignment is not None:
            target = tuple(sorted(resp.assignment))
            if target != tuple(sorted(c.subscriptions.assigned)):
                self.pending = target

    def _failed(self, resp: P.ConsumerGroupHeartbeatResponse, epoch: int) -> None:
        c = self.c
        self.acked = {}
        if resp.error in FATAL:
            self._fatal(resp.error, "ConsumerGroupHeartbeat", resp.error_message)
        elif resp.error in FENCED:
            c.trace.state(c.sim.now, c.name, "group.fenced", group=self.group_id, error=resp.error, epoch=epoch)
            self.lost = bool(c.subscriptions.assigned)
            self.pending = None
            self.state, self.generation = UNJOINED, 0
            self.joined = (-1, self.member_id)
            self.rejoin_needed = True
        else:
            c.trace.state(c.sim.now, c.name, "group.error", group=self.group_id, error=resp.error,
                          request="ConsumerGroupHeartbeat")

    def _fatal(self, error: str, where: str, text: str = "") -> None:
        c = self.c
        if self.fenced is None:
            hint = " (the cluster does not offer this protocol: use group.protocol=classic)" \
                if error == "UNSUPPORTED_VERSION" else ""
            self.fenced = KafkaException(KafkaError(error, f"{where}: {text or error}{hint}", fatal=True))
            c.trace.state(c.sim.now, c.name, "group.fatal", group=self.group_id, error=error)
        self.state = UNJOINED
