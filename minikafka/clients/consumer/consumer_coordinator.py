"""The consumer's side of its group: membership and committed offsets (Kafka's
ConsumerCoordinator; kafka-semantics.md H.54-H.56, I.58-I.66, G.49).

Membership rules (the classic protocol; the coordinator's side is classic_group.py):
M1. `subscribe()` marks the consumer for joining; like Kafka's, it joins inside `poll()`:
    JoinGroup with one protocol per assignor of `partition.assignment.strategy`, each carrying
    the subscription and the partitions it owns; answered MEMBER_ID_REQUIRED (KIP-394), it joins
    again at once with the member id given. The rebalance protocol is the highest one all listed
    assignors support (`assignors.choose_protocol`): the default [range, cooperative-sticky]
    runs EAGER with range.
M2. Eager: before rejoining, the member revokes everything (on_revoke) after committing its
    positions if auto-commit is on. Cooperative: it keeps its partitions; after the round,
    partitions taken from it are revoked and it rejoins at once for the second round.
M3. The leader computes the assignment on the client with the chosen assignor over the metadata
    it knows and sends it in SyncGroup; every member gets its part from SyncGroup and applies it
    at its next poll (on_assign). New partitions start at the group's committed offset. Inside
    an eager on_assign the application may call `assign()` with the partitions and starting
    offsets of its choice, as librdkafka's rebalance callback does (cooperative: _STATE, since
    only incremental_assign() may change a cooperative assignment, and minikafka does not have it).
M4. Heartbeats every `heartbeat.interval.ms`, in the background (they go on while the
    application is busy). REBALANCE_IN_PROGRESS: rejoin at the next poll. UNKNOWN_MEMBER_ID or
    ILLEGAL_GENERATION: the membership is gone; the partitions are lost (on_lost) and it rejoins.
M5. If the application does not call poll() for `max.poll.interval.ms`, the consumer leaves the
    group itself (LeaveGroup); its next poll rejoins.
M6. Rebalance triggers on the client: a subscription change, and (on the leader) a change in
    the partition count of a subscribed topic. `close()` commits (auto-commit) and leaves.
M7. Auto-commit (`enable.auto.commit`, default true with a group.id): inside poll(), every
    `auto.commit.interval.ms`, the positions after the records returned by earlier polls are
    committed; also before an eager revoke and on close.
M8. A commit refused with ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID is Kafka's
    CommitFailedException: the group rebalanced and another member owns the partitions now.
M9. One JoinGroup at a time (from UNJOINED or STABLE only). A JoinGroup or SyncGroup answer that
    arrives after the member was reset is ignored, and so is a heartbeat's REBALANCE_IN_PROGRESS
    during a rebalance (Kafka's AbstractCoordinator): else a cooperative member would keep
    starting rebalances with its own duplicate joins.
M10. A JoinGroup refused with INVALID_SESSION_TIMEOUT (outside the broker's group.min/max
    .session.timeout.ms), INCONSISTENT_GROUP_PROTOCOL or INVALID_GROUP_ID is fatal, as in Java:
    the next poll() raises it, and the poll after that tries to join again.
M11. Static membership (`group.instance.id`, KIP-345): every group request names the instance
    id. A static member sends no LeaveGroup (on close, unsubscribe or an expired
    max.poll.interval.ms it only forgets its member id), so a restart within
    `session.timeout.ms` rejoins in its old place without a rebalance. A leader told
    `skip_assignment` (KIP-814) does not assign again. FENCED_INSTANCE_ID (another process
    with the same instance id took over) is fatal: every later poll() raises it and the
    consumer no longer takes part in the group.

Offset rules:
1. Committing and reading committed offsets need a `group.id` (else INVALID_GROUP_ID). Requests
   go to the group's coordinator, found with FindCoordinator and found again after
   NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE.
2. A committed offset N means "resume at N", the next record to read; `commit()` without
   offsets commits the current positions of the assigned partitions.
3. A partition that gets a position for the first time asks for the group's committed offset
   (OffsetFetch); with none, `auto.offset.reset` decides. A read_committed consumer asks with
   require_stable (KIP-447): while a transaction that sent offsets for the partition is
   undecided, the coordinator answers UNSTABLE_OFFSET_COMMIT and the consumer asks again after
   `retry.backoff.ms`. A read_uncommitted one gets the last committed offset at once
   (librdkafka's choice; Java's consumer always asks with require_stable).
4. Without group membership the commit carries generation -1 and member id "" (manual
   assignment with `assign()`).
5. `consumer_group_metadata()` (for send_offsets_to_transaction) is the generation and member id
   of the last join that completed (Java's onJoinComplete): a member that lost its membership
   still presents its old generation, so the coordinator fences its transactional offset
   commit (KIP-447); with generation -1 it would be taken for a consumer outside the group.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.consumer.assignors import ASSIGNORS, Subscription, check_assignment, choose_protocol
from minikafka.clients.message import OFFSET_INVALID, GroupMetadata, TopicPartition
from minikafka.errors import KafkaError, KafkaException

if TYPE_CHECKING:
    from minikafka.clients.consumer.consumer import Consumer

TP = tuple[str, int]
FIND_AGAIN = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"})
RETRY = frozenset({"UNSTABLE_OFFSET_COMMIT", "REBALANCE_IN_PROGRESS"})
MEMBERSHIP_GONE = frozenset({"UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "FENCED_INSTANCE_ID"})
JOIN_FATAL = frozenset({"INVALID_SESSION_TIMEOUT", "INCONSISTENT_GROUP_PROTOCOL", "INVALID_GROUP_ID"})
UNJOINED, JOINING, SYNCING, STABLE = "UNJOINED", "JOINING", "SYNCING", "STABLE"


class ConsumerCoordinator:
    def __init__(self, consumer: "Consumer") -> None:
        self.c = consumer
        cfg = consumer.cfg
        self.group_id: str | None = cfg["group.id"]
        self.generation = -1
        self.member_id = ""
        self.joined: tuple[int, str] = (-1, "")           # offset rule 5: the last completed join
        self.state = UNJOINED
        self.subscription: tuple[str, ...] | None = None
        self.callbacks: dict[str, Callable | None] = {}
        self.rejoin_needed = False
        self.pending: tuple[TP, ...] | None = None        # an assignment to apply at the next poll
        self.lost = False                                  # membership lost: revoke at the next poll
        self.protocol = ""
        self.leader = ""
        self.assigned_counts: dict[str, int] | None = {}
        self.specs = [ASSIGNORS[name] for name in cfg["partition.assignment.strategy"]]
        self.rebalance_protocol = choose_protocol(self.specs)
        self.in_on_assign = False                   # M3: assign() is allowed inside an eager on_assign
        self.join_seq = 0                                  # M9: which JoinGroup is the live one
        self.rejoin_after_error = False                    # M10: join again once poll raised the error
        self.last_poll = consumer.sim.now
        self.heartbeat_timer = None
        self.auto_commit = bool(cfg["enable.auto.commit"]) and bool(self.group_id)
        self.instance_id: str | None = cfg["group.instance.id"]
        self.fenced: KafkaException | None = None          # M11: fenced for good
        self.next_auto_commit = consumer.sim.now + cfg["auto.commit.interval.ms"]

    def check_group(self, call: str) -> str:
        if not self.group_id:
            raise KafkaException("INVALID_GROUP_ID", f"{call}() needs a group: set group.id in the consumer's "
                                                     "config (offsets are committed per group)")
        return self.group_id

    def metadata(self) -> GroupMetadata:
        return GroupMetadata(self.check_group("consumer_group_metadata"), *self.joined,
                             self.c.cfg["group.instance.id"])

    # -- the application's calls (M1, M6) ---------------------------------------------------
    def subscribe(self, topics: tuple[str, ...], on_assign: Callable | None, on_revoke: Callable | None,
                  on_lost: Callable | None) -> None:
        self.check_group("subscribe")
        changed = topics != self.subscription
        self.subscription = topics
        self.callbacks = {"on_assign": on_assign, "on_revoke": on_revoke, "on_lost": on_lost}
        if changed:
            self.rejoin_needed = True
        self.c.trace.state(self.c.sim.now, self.c.name, "subscribe", group=self.group_id, topics=topics)

    def unsubscribe(self) -> None:
        self._revoke(tuple(self.c.subscriptions.assigned), "on_revoke")
        self.leave("unsubscribe")
        self.subscription = None
        self.rejoin_needed = False

    def close(self) -> None:
        if self.auto_commit and self.c.subscriptions.positions and (self.state == STABLE or self.subscription is None):
            self._commit_positions(sync=True)
        if self.subscription is not None:
            self._revoke(tuple(self.c.subscriptions.assigned), "on_revoke")
            self.leave("close")

    # -- poll (M2, M3, M5, M7) ---------------------------------------------------------------
    def needs_poll(self) -> bool:
        """Has something happened that poll() must act on before it waits for records?"""
        return self.pending is not None or self.lost or self.fenced is not None or (
            self.rejoin_needed and self.state in (UNJOINED, STABLE) and self.subscription is not None)

    def poll_started(self) -> None:
        """M5 and M7, at the start of every poll(): the poll timer restarts, and the positions are
        committed when `auto.commit.interval.ms` has passed."""
        now = self.c.sim.now
        self.last_poll = now
        if self.auto_commit and (self.subscription is None or self.state == STABLE) and now >= self.next_auto_commit:
            self.next_auto_commit = now + self.c.cfg["auto.commit.interval.ms"]
            self._commit_positions(sync=False)

    def poll(self) -> None:
        """Called by the consumer's poll()/consume(), outside simulation events."""
        c = self.c
        self.poll_started()
        if self.subscription is None:
            return
        if self.rejoin_after_error and c.error is None:
            self.rejoin_after_error = False
            self.rejoin_needed = True
        if self.lost:
            self.lost = False
            self._revoke(tuple(c.subscriptions.assigned), "on_lost")
        if self.fenced is not None:                         # M11
            if c.error is None:
                c.error = self.fenced
            return
        if self.pending is not None:
            self._apply(self.pending)
            self.pending = None
        if self.rejoin_needed and self.state in (UNJOINED, STABLE):
            self._join()

    def _join(self) -> None:
        c = self.c
        self.rejoin_needed = False
        before = tuple(sorted(c.subscriptions.assigned))
        if self.rebalance_protocol == "EAGER" and c.subscriptions.assigned:
            if self.auto_commit and self.state == STABLE:
                self._commit_positions(sync=False)      # FIFO: it reaches the coordinator first
            self._revoke(tuple(c.subscriptions.assigned), "on_revoke")
        self.state = JOINING
        self.join_seq += 1
        seq = self.join_seq
        # What a member owned: cooperative members still own it; under eager only the sticky
        # assignor is told what was just revoked (Kafka's StickyAssignor user data).
        cooperative = self.rebalance_protocol == "COOPERATIVE"
        protocols = tuple(P.GroupProtocol(spec.name, self.subscription,
                                          before if cooperative or spec.name == "sticky" else (), self.generation)
                          for spec in self.specs)
        cfg = c.cfg
        group = self.group_id

        def handle(resp: P.JoinGroupResponse) -> str | None:
            if seq != self.join_seq or self.state != JOINING:
                return None                              # M9: a reset made this join stale
            if resp.error in FIND_AGAIN:
                return "refind"
            if resp.error == "MEMBER_ID_REQUIRED":          # KIP-394: join again at once, with this id
                self.member_id = resp.member_id
                self.state = UNJOINED
                self._join()
                return None
            if resp.error in JOIN_FATAL:
                self._join_failed(resp.error)
                return None
            if resp.error is not None:
                self._membership_error(resp.error, "JoinGroup")
                return None
            self.generation, self.member_id = resp.generation, resp.member_id
            self.protocol, self.leader = resp.protocol, resp.leader
            if resp.skip_assignment:
                self.assigned_counts = None             # M11: Java's leader keeps no assignment snapshot
            self._sync(self._assign(resp) if resp.members and not resp.skip_assignment else ())
            return None
        c.coordinator_call("group", group, lambda cid: P.JoinGroupRequest(
            cid, group, self.member_id, c.name, cfg["session.timeout.ms"], cfg["max.poll.interval.ms"], protocols,
            self.instance_id), handle)
        self._schedule_heartbeat()

    def _assign(self, resp: P.JoinGroupResponse) -> tuple[tuple[str, tuple[TP, ...]], ...] | None:
        """M3, on the leader: run the chosen assignor over the metadata this client knows."""
        c = self.c
        instances = dict(resp.instances)
        subs = [Subscription(mid, meta.topics, meta.owned, instances.get(mid), meta.generation)
                for mid, meta in resp.members]
        topics = sorted({t for s in subs for t in s.topics})
        counts = {t: len(c.meta[t]) for t in topics if t in c.meta}
        spec = ASSIGNORS[resp.protocol]
        result = spec.assign(counts, subs)
        problems = check_assignment(counts, subs, result,
                                    protocol="COOPERATIVE" if self.rebalance_protocol == "COOPERATIVE" else "EAGER")
        if problems:
            c.error = KafkaException("_INVALID_ARG", f"assignor {spec.name} returned an invalid assignment: "
                                                      + "; ".join(problems))
            return None
        self.assigned_counts = counts
        c.trace.state(c.sim.now, c.name, "group.assign", group=self.group_id, generation=resp.generation,
                      assignor=spec.name, assignment=tuple(f"{m}:" + "+".join(f"{t}-{p}" for t, p in result[m])
                                                           for m in sorted(result)))
        return tuple((m, tuple(result[m])) for m in sorted(result))

    def _sync(self, assignments: tuple | None) -> None:
        if assignments is None:
            self.state = UNJOINED
            return
        c = self.c
        self.state = SYNCING
        group, generation, member = self.group_id, self.generation, self.member_id

        def handle(resp: P.SyncGroupResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                return "refind"
            if self.generation != generation or self.member_id != member or self.state != SYNCING:
                return None
            if resp.error is not None:
                self._membership_error(resp.error, "SyncGroup")
                return None
            self.state = STABLE
            self.pending = resp.assignment
            return None
        c.coordinator_call("group", group, lambda cid: P.SyncGroupRequest(cid, group, generation, member,
                                                                           assignments, self.instance_id), handle)

    def _apply(self, assignment: tuple[TP, ...]) -> None:
        c = self.c
        self.joined = (self.generation, self.member_id)            # onJoinComplete (offset rule 5)
        now_owned = tuple(c.subscriptions.assigned)
        if self.rebalance_protocol == "COOPERATIVE":
            revoked = tuple(tp for tp in now_owned if tp not in assignment)
            if revoked:
                self._revoke(revoked, "on_revoke")
                self.rejoin_needed = True               # M2: the second round hands them over
        added = tuple(tp for tp in assignment if tp not in c.subscriptions.assigned)
        c.set_assignment(assignment)
        c.metrics.rebalanced()
        c.trace.state(c.sim.now, c.name, "group.assigned", group=self.group_id, generation=self.generation,
                      partitions=tuple(f"{t}-{p}" for t, p in assignment))
        cb = self.callbacks.get("on_assign")
        if cb is not None:
            self.in_on_assign = True
            try:
                cb(c, [TopicPartition(t, p) for t, p in (added if self.rebalance_protocol == "COOPERATIVE"
                                                         else assignment)])
            finally:
                self.in_on_assign = False

    def _revoke(self, tps: tuple[TP, ...], callback: str) -> None:
        c = self.c
        if not tps:
            return
        cb = self.callbacks.get(callback) or (self.callbacks.get("on_revoke") if callback == "on_lost" else None)
        if cb is not None:
            cb(c, [TopicPartition(t, p) for t, p in tps])
        c.set_assignment(tuple(tp for tp in c.subscriptions.assigned if tp not in tps))
        c.trace.state(c.sim.now, c.name, "group.revoked" if callback == "on_revoke" else "group.lost",
                      group=self.group_id, partitions=tuple(f"{t}-{p}" for t, p in tps))

    def _membership_error(self, error: str, where: str) -> None:
        """M4: the membership is gone or the round must be redone."""
        c = self.c
        if error == "FENCED_INSTANCE_ID":
            self._fence(where)
        if error == "UNKNOWN_MEMBER_ID":
            self.member_id, self.generation = "", -1
        if error in MEMBERSHIP_GONE and c.subscriptions.assigned:
            self.lost = True
        self.state = UNJOINED
        if error in ("REBALANCE_IN_PROGRESS",) + tuple(MEMBERSHIP_GONE):
            self.rejoin_needed = True
        else:
            c.trace.state(c.sim.now, c.name, "group.error", group=self.group_id, error=error, request=where)
            c.after(c.cfg["retry.backoff.ms"], self._request_rejoin)

    def _fence(self, where: str) -> None:
        """M11: another process with this group.instance.id took over."""
        c = self.c
        if self.fenced is None:
            self.fenced = KafkaException(KafkaError(
                "FENCED_INSTANCE_ID", f"{where}: another consumer with group.instance.id '{self.instance_id}' "
                f"joined the group and fenced this one; close it", fatal=True))
            c.trace.state(c.sim.now, c.name, "group.fenced", group=self.group_id, instance=self.instance_id)
        self.member_id, self.generation = "", -1

    def _join_failed(self, error: str) -> None:
        """M10: a JoinGroup refused for good (Java's JoinGroupResponseHandler raises these)."""
        c = self.c
        self.state = UNJOINED
        c.trace.state(c.sim.now, c.name, "group.error", group=self.group_id, error=error, request="JoinGroup")
        reason = None
        if error == "INVALID_SESSION_TIMEOUT":
            reason = (f"JoinGroup refused: session.timeout.ms={c.cfg['session.timeout.ms']} is outside the range "
                      "the broker allows (group.min.session.timeout.ms to group.max.session.timeout.ms, 6000 to "
                      "1800000 by default)")
        c.error = KafkaException(KafkaError(error, reason))
        self.rejoin_after_error = True

    def _request_rejoin(self) -> None:
        self.rejoin_needed = True

    def leave(self, why: str) -> None:
        c = self.c
        if self.member_id and self.instance_id is None:        # M11: a static member does not leave
            group, member = self.group_id, self.member_id
            c.coordinator_call("group", group, lambda cid: P.LeaveGroupRequest(cid, group, member),
                               lambda resp: "refind" if resp.error in FIND_AGAIN else None)
            c.trace.state(c.sim.now, c.name, "group.leave", group=group, member=member, why=why)
        self.member_id, self.generation, self.state = "", -1, UNJOINED

    # -- heartbeats (M4, M5, M6) -------------------------------------------------------------
    def _schedule_heartbeat(self) -> None:
        if self.heartbeat_timer is None:
            self.heartbeat_timer = self.c.after(self.c.cfg["heartbeat.interval.ms"], self._heartbeat, daemon=True)

    def _heartbeat(self) -> None:
        self.heartbeat_timer = None
        c = self.c
        if c.closed or self.subscription is None or self.fenced is not None:
            return
        self._schedule_heartbeat()
        if self.member_id and self.poll_timed_out():
            return
        if self.state not in (SYNCING, STABLE) or not self.member_id:
            return
        group, generation, member = self.group_id, self.generation, self.member_id

        def handle(resp: P.HeartbeatResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                c.coordinators.pop(("group", group), None)
            elif resp.error is not None and self.generation == generation and self.member_id == member:
                if resp.error == "REBALANCE_IN_PROGRESS" and self.state != STABLE:
                    return None                          # M9: already rebalancing
                self._membership_error(resp.error, "Heartbeat")
            return None
        node = c.coordinators.get(("group", group))
        instance = self.instance_id
        if node is None:
            c.coordinator_call("group", group, lambda cid: P.HeartbeatRequest(cid, group, generation, member, instance),
                               handle, daemon=True)
        else:
            c.request(node, P.HeartbeatRequest(c.next_cid(), group, generation, member, instance), handle,
                      lambda err: c.coordinators.pop(("group", group), None), daemon=True)

    def poll_timed_out(self) -> bool:
        """M5: no poll() for `max.poll.interval.ms`: leave the group, lose the partitions at the
        next poll, and rejoin then."""
        c = self.c
        if c.sim.now - self.last_poll <= c.cfg["max.poll.interval.ms"]:
            return False
        c.trace.state(c.sim.now, c.name, "consumer.poll_timeout", group=self.group_id,
                      max_poll_interval_ms=c.cfg["max.poll.interval.ms"])
        self.leave("max.poll.interval.ms expired")
        self.lost = bool(c.subscriptions.assigned)
        self.rejoin_needed = True
        return True

    def on_metadata(self) -> None:
        """M6 on the leader: a subscribed topic's partition count changed."""
        if self.state != STABLE or self.member_id != self.leader or self.subscription is None \
                or self.assigned_counts is None:        # a leader that skipped the assignment (M11) has none
            return
        c = self.c
        for t in self.subscription:
            if t in c.meta and self.assigned_counts.get(t) != len(c.meta[t]):
                if not self.rejoin_needed:
                    c.trace.state(c.sim.now, c.name, "group.metadata_changed", group=self.group_id, topic=t,
                                  partitions=len(c.meta[t]))
                self.rejoin_needed = True
                return

    # -- offsets (rules 1-3, M7, M8) -----------------------------------------------------------
    def _commit_positions(self, sync: bool) -> None:
        c = self.c
        offsets = tuple((tp, pos) for tp, pos in sorted(c.subscriptions.positions.items()) if pos is not None)
        if not offsets:
            return
        if sync:
            done: dict[str, Any] = {}
            self.commit(offsets, lambda err, res: done.__setitem__("r", err))
            c.block_until(lambda: "r" in done, c.cfg["request.timeout.ms"], "commit")
        else:
            self.commit(offsets, lambda err, res: None)

    def commit(self, offsets: tuple[tuple[TP, int], ...], on_done: Callable[[KafkaError | None, tuple], None]) -> None:
        group = self.check_group("commit")
        c = self.c
        generation, member = self.generation, self.member_id
        sent = [c.sim.now]

        def build(cid: int) -> P.OffsetCommitRequest:
            sent[0] = c.sim.now
            return P.OffsetCommitRequest(cid, group, generation, member, offsets, self.instance_id)

        def handle(resp: P.OffsetCommitResponse) -> str | None:
            errors = [err for _, err in resp.results if err is not None]
            if errors and errors[0] in FIND_AGAIN:
                return "refind"
            if errors and errors[0] == "UNSTABLE_OFFSET_COMMIT":
                return "retry"
            err = None
            if errors and errors[0] == "FENCED_INSTANCE_ID":
                self._membership_error(errors[0], "OffsetCommit")
                err = self.fenced.args[0] if self.fenced is not None else KafkaError(errors[0])
            elif errors and errors[0] in MEMBERSHIP_GONE | {"REBALANCE_IN_PROGRESS", "STALE_MEMBER_EPOCH"}:
                err = KafkaError(errors[0], f"Commit cannot be completed since the group has already rebalanced "
                                            f"and assigned the partitions to another member ({errors[0]}: "
                                            f"generation {generation}, member '{member or 'none'}'); "
                                            "this is Kafka's CommitFailedException", retriable=False)
                if errors[0] in MEMBERSHIP_GONE and self.member_id == member:
                    self._membership_error(errors[0], "OffsetCommit")
            elif errors:
                err = KafkaError(errors[0])
            c.trace.state(c.sim.now, c.name, "commit", group=group, error=errors[0] if errors else "none",
                          generation=generation, offsets=tuple(f"{t}-{p}={o}" for (t, p), o in offsets))
            if not errors:
                c.metrics.commit_latency.record(c.sim.now - sent[0])
            on_done(err, resp.results)
            return None
        c.coordinator_call("group", group, build, handle)

    # -- rule 3 ----------------------------------------------------------------------------
    def fetch_committed(self, tps: tuple[TP, ...], on_done: Callable[[dict[TP, int]], None]) -> None:
        group = self.check_group("committed")
        require_stable = self.c.isolation == "read_committed"

        def handle(resp: P.OffsetFetchResponse) -> str | None:
            if resp.error in FIND_AGAIN:
                return "refind"
            if any(err in RETRY for _, _, err in resp.offsets):
                return "retry"
            on_done({tp: off for tp, off, _ in resp.offsets})
            return None
        self.c.coordinator_call("group", group, lambda cid: P.OffsetFetchRequest(cid, group, tps, require_stable),
                                handle)

    def committed(self, partitions: list[TP], timeout_ms: int) -> list[TopicPartition]:
        tps = tuple(partitions)
        result: dict[str, dict[TP, int]] = {}
        self.fetch_committed(tps, lambda offs: result.__setitem__("offsets", offs))
        self.c.block_until(lambda: "offsets" in result, timeout_ms, "committed")
        if "offsets" not in result:
            raise KafkaException("_TIMED_OUT", f"committed() timed out after {timeout_ms} ms")
        offs = result["offsets"]
        return [TopicPartition(t, p, offs[(t, p)] if offs.get((t, p), -1) >= 0 else OFFSET_INVALID) for t, p in tps]

    def initial_position(self, key: TP, token: int, then: Callable[[int], None]) -> None:
        """Rule 3 for one partition: `then(offset)` with the committed offset, or -1."""
        self.fetch_committed((key,), lambda offs: then(offs.get(key, -1)))
