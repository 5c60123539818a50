"""The group coordinator, on the leader of the group's `__consumer_offsets` partition: group
membership (the classic protocol, classic_group.py; the consumer protocol, consumer_group.py
and consumer_group_heartbeat.py) and committed offsets (offset_metadata_manager.py)
(kafka-semantics.md H.56, I.57, G.49, N).

Rules:
0. Group state (generation, protocol, leader, members and their assignments) is a record
   "group/<group>" (JSON) written when a rebalance completes or the group empties; a new
   coordinator loads it and the members carry on heartbeating. Timers (sessions, joins) restart
   on load.
1. Committed offsets are records in the group's partition (internal_topics.py rule 1), key
   "offset/<group>/<topic>/<partition>", value "offset=N". A commit takes effect once
   replicated (internal_topics.py rule 4); on load, the last record per key wins, and a record
   that is neither an offset nor a group is skipped (internal_topics.py rule 6). A committed
   offset is the position to resume from: the next record to read.
2. OffsetCommit and TxnOffsetCommit are validated against the group (classic_group.py rule 7);
   for a group the coordinator does not know, a generation >= 0 gets ILLEGAL_GENERATION and
   generation -1 (a consumer outside group management) commits (Kafka's validateOffsetCommit;
   from OffsetCommit v9 on, Kafka answers GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION).
   A partition of an unknown topic gets UNKNOWN_TOPIC_OR_PART, and the request's other
   partitions are committed (Kafka's KafkaApis filters the unknown ones out).
3. TxnOffsetCommit is written as a transactional batch with the producer's id and epoch, and
   stays *pending* for that producer until the transaction's marker lands in the same
   partition: COMMIT makes the offsets committed, ABORT drops them. Loading replays the log by
   the same rule. An older producer epoch gets INVALID_PRODUCER_EPOCH (the zombie is fenced).
4. OffsetFetch with require_stable: a partition with pending transactional offsets answers
   UNSTABLE_OFFSET_COMMIT and the consumer retries; otherwise the committed offset, or -1. No
   partitions named (Kafka's Topics null, an admin's fetch): every partition with an offset.
5. Before a transaction's first offsets in its partition, the group coordinator checks with the
   transaction coordinator as a partition leader checks a produce
   (add_partitions_to_txn_manager.py): verify only for a v1 producer when
   `transaction.partition.verification.enable` is true; an add for a v2 producer (TxnOffsetCommit
   v5+, which is how a v2 transaction gets its `__consumer_offsets` partition). A refusal is the
   commit's answer (NOT_ENOUGH_REPLICAS as COORDINATOR_NOT_AVAILABLE, so the client retries).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.coordinator.group.classic_group import (COMPLETING, EMPTY, PREPARING, STABLE, ClassicGroup, Member,
                                                     parse_group)
from minikafka.coordinator.group import consumer_group_heartbeat
from minikafka.coordinator.group.consumer_group import ConsumerGroup, parse_consumer_group
from minikafka.coordinator.group import share_group
from minikafka.coordinator.group.modern_groups import ModernGroups
from minikafka.coordinator.group.share_group import ShareGroup, parse_share_group
from minikafka.coordinator.group.offset_metadata_manager import commit, offset_fetch
from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, Coordinator, int_field, parse_value, record_key

if TYPE_CHECKING:
    from minikafka.server.broker import Broker

TP = tuple[str, int]


def parse_offset_key(key: str) -> tuple[str, TP]:
    """(group, tp) of an offset key; ValueError when `key` is not one."""
    kind, _, rest = key.partition("/")
    parts = rest.rsplit("/", 2)
    if kind != "offset" or len(parts) != 3:
        raise ValueError(f"unknown record key {key!r}")
    group, topic, part = parts
    return group, (topic, int(part))


class GroupCoordinator(Coordinator):
    topic = CONSUMER_OFFSETS
    write_timeout = "offsets.commit.timeout.ms"

    def __init__(self, broker: "Broker") -> None:
        super().__init__(broker)
        self.offsets: dict[str, dict[TP, int]] = {}                 # group -> tp -> committed offset
        self.pending: dict[tuple[int, int], list[tuple[str, TP, int]]] = {}   # (partition, pid) -> offsets
        self.groups: dict[str, ClassicGroup] = {}
        self.consumer_groups = ModernGroups(self, "cgroup", parse_consumer_group,
                                            lambda g: consumer_group_heartbeat.start_timers(self, g),
                                            consumer_group_heartbeat.stop_timers)
        self.cgroups: dict[str, ConsumerGroup] = self.consumer_groups.groups       # KIP-848 groups
        self.share_groups = ModernGroups(self, "sgroup", parse_share_group, lambda g: share_group.start_timers(self, g),
                                         share_group.stop_timers)
        self.sgroups: dict[str, ShareGroup] = self.share_groups.groups            # KIP-932 groups
        self.member_rng = broker.member_rng

    # -- loading (rule 1, rule 3) ---------------------------------------------------------
    def load(self, partition: int, batches: list) -> None:
        for b in batches:
            if b.control:
                self._complete(partition, b.producer_id, b.control_type == "COMMIT")
                continue
            for i, rec in enumerate(b.records):
                try:
                    self._replay(partition, b, rec)
                except ValueError as e:                 # internal_topics.py rule 6
                    self.skip_record(partition, b.base_offset + i, e)

    def _replay(self, partition: int, b: Any, rec: Any) -> None:
        """One record into the state; ValueError, with the state untouched, if it is not one of ours."""
        key = record_key(rec)
        if rec.value is None:                       # a tombstone (group_admin.py rule 6)
            from minikafka.coordinator.group.group_admin import replay_tombstone
            return replay_tombstone(self, key)
        if key.startswith("group/"):
            self._load_group(key[len("group/"):], rec.value)
            return
        if key.startswith("cgroup/"):
            return self.consumer_groups.load(key[len("cgroup/"):], rec.value)
        if key.startswith("sgroup/"):
            return self.share_groups.load(key[len("sgroup/"):], rec.value)
        group, tp = parse_offset_key(key)
        offset = int_field(parse_value(rec.value), "offset")
        if b.transactional:
            self.pending.setdefault((partition, b.producer_id), []).append((group, tp, offset))
        else:
            self.offsets.setdefault(group, {})[tp] = offset

    def unload(self, partition: int) -> None:
        for group in sorted(self.offsets):
            if self.partition_of(group) == partition:
                del self.offsets[group]
        for group_id in sorted(self.groups):
            if self.partition_of(group_id) == partition:
                self.drop_group(group_id)
        self.consumer_groups.unload(partition)
        self.share_groups.unload(partition)
        for key in sorted(self.pending):
            if key[0] == partition:
                del self.pending[key]

    def drop_group(self, group_id: str) -> None:
        """Forget a group and stop its timers (unloaded, replaced by a newer record, or deleted)."""
        g = self.groups.pop(group_id, None)
        if g is None:
            return
        for m in g.members.values():
            if m.expiry is not None:
                m.expiry.cancel()
        if g.join_timer is not None:
            g.join_timer.cancel()

    def _complete(self, partition: int, pid: int, committed: bool) -> None:
        for group, tp, offset in self.pending.pop((partition, pid), []):
            if committed:
                self.offsets.setdefault(group, {})[tp] = offset

    def on_marker(self, partition: int, pid: int, committed: bool) -> None:
        """Rule 3: a transaction marker was written and replicated in one of our partitions."""
        if partition in self.epochs and (partition, pid) in self.pending:
            self.trace.state(self.sim.now, self.broker.name, "offsets.txn_complete", partition=partition, pid=pid,
                             result="COMMIT" if committed else "ABORT",
                             offsets=tuple(f"{g}:{t}-{p}={o}" for g, (t, p), o in self.pending[(partition, pid)]))
            self._complete(partition, pid, committed)

    # -- requests ----------------------------------------------------------------------
    def on_offset_commit(self, src: str, msg: P.OffsetCommitRequest) -> None:
        commit(self, src, msg.cid, msg.group_id, msg.offsets, None, msg.member_id, msg.generation,
               instance=msg.group_instance_id)

    def on_txn_offset_commit(self, src: str, msg: P.TxnOffsetCommitRequest) -> None:
        commit(self, src, msg.cid, msg.group_id, msg.offsets, (msg.producer_id, msg.producer_epoch),
               msg.member_id, msg.generation, (msg.transactional_id, msg.v2), msg.group_instance_id)

    def on_offset_fetch(self, src: str, msg: P.OffsetFetchRequest) -> None:
        offset_fetch(self, src, msg)

    def _exists(self, tp: TP) -> bool:
        parts = self.broker.metadata.get(tp[0])
        return parts is not None and 0 <= tp[1] < len(parts)

    # -- membership (classic_group.py) ---------------------------------------------------------
    def on_join_group(self, src: str, msg: P.JoinGroupRequest) -> None:
        def reply(error: str | None, **fields: Any) -> None:
            self.broker.send(src, P.JoinGroupResponse(msg.cid, error, **fields))
        err = self.owner_error(msg.group_id)
        cfg = self.broker.cfg
        if err is None and not cfg["group.min.session.timeout.ms"] <= msg.session_timeout_ms \
                <= cfg["group.max.session.timeout.ms"]:
            err = "INVALID_SESSION_TIMEOUT"
        if err is None and not msg.protocols:
            err = "INCONSISTENT_GROUP_PROTOCOL"
        cg = self.cgroups.get(msg.group_id)
        if err is None and ((cg is not None and cg.members) or msg.group_id in self.sgroups):
            err = "GROUP_ID_NOT_FOUND"                  # consumer_group_heartbeat.py rule 2, share_group.py rule 1
        if err is not None:
            return reply(err)
        if cg is not None:
            consumer_group_heartbeat.load(self, msg.group_id, None)
            self.trace.state(self.sim.now, self.broker.name, "group.converted", group=msg.group_id, to="classic")
        g = self.groups.get(msg.group_id)
        if g is None:
            g = self.groups[msg.group_id] = ClassicGroup(msg.group_id)
        instance = msg.group_instance_id
        if msg.member_id and g.fenced(msg.member_id, instance):
            return reply("FENCED_INSTANCE_ID")
        pending = msg.member_id in g.pending
        if msg.member_id and msg.member_id not in g.members and not pending:
            return reply("UNKNOWN_MEMBER_ID")
        if g.members and all(not any(p.name == q.name for q in msg.protocols)
                             for p in next(iter(g.members.values())).protocols):
            return reply("INCONSISTENT_GROUP_PROTOCOL")
        now = self.sim.now
        if not msg.member_id and instance in g.static_members:          # rule 8: the instance is back
            return self._static_rejoin(g, msg, reply)
        if not msg.member_id and instance is None:                     # rule 1: KIP-394
            member_id = self._new_member_id(msg.client_id)
            g.pending[member_id] = self.broker.after(msg.session_timeout_ms, g.pending.pop, member_id, None,
                                                     daemon=True)
            self.trace.state(now, self.broker.name, "group.member_id_required", group=g.group_id, member=member_id)
            return reply("MEMBER_ID_REQUIRED", member_id=member_id)
        if not msg.member_id or pending:                               # rule 1
            member_id = msg.member_id or self._new_member_id(instance or msg.client_id)
            if pending:
                g.pending.pop(member_id).cancel()
            m = Member(member_id, msg.client_id, msg.session_timeout_ms, msg.rebalance_timeout_ms, msg.protocols,
                       joined_at=now, instance_id=instance)
            g.add(m)
            m.join_reply = reply
            self._touch(g, m)
            self.trace.state(now, self.broker.name, "group.join", group=g.group_id, member=member_id, new=True,
                             **({"instance": instance} if instance is not None else {}))
            self._prepare_rebalance(g, f"{member_id} joined")
            return
        m = g.members[msg.member_id]
        changed = m.protocols != msg.protocols
        subscribed = [p.topics for p in m.protocols] != [p.topics for p in msg.protocols]
        m.protocols, m.session_timeout_ms, m.rebalance_timeout_ms = (msg.protocols, msg.session_timeout_ms,
                                                                     msg.rebalance_timeout_ms)
        self._touch(g, m)
        if g.state == STABLE and not changed and m.member_id != g.leader:
            reply(None, generation=g.generation, protocol=g.protocol, leader=g.leader, member_id=m.member_id)
            return
        m.join_reply = reply
        if g.state == PREPARING:
            self._maybe_complete_join(g)
        else:
            self._prepare_rebalance(g, f"{m.member_id} rejoined" + (" with a new subscription" if subscribed else ""))

    def _new_member_id(self, prefix: str) -> str:
        """Rules 1 and 8: the client id (a static member: its instance id), "-", 8 seeded hex digits."""
        return f"{prefix}-{self.member_rng.getrandbits(32):08x}"

    def _static_rejoin(self, g: ClassicGroup, msg: P.JoinGroupRequest, reply: Any) -> None:
        """Rule 8: a static member's new process takes its place; in a Stable group whose selected
        protocol stays the same it gets the current generation and no rebalance happens."""
        member_id = self._new_member_id(msg.group_instance_id)
        m, old_id = g.replace_static(msg.group_instance_id, member_id)
        for pending in (m.join_reply, m.sync_reply):
            if pending is not None:
                pending("FENCED_INSTANCE_ID")           # the old process is answered as fenced
        m.join_reply = m.sync_reply = None
        m.protocols, m.session_timeout_ms, m.rebalance_timeout_ms = (msg.protocols, msg.session_timeout_ms,
                                                                     msg.rebalance_timeout_ms)
        changed = g.choose_protocol() != g.protocol        # Kafka compares the selected protocol only
        m.client_id = msg.client_id
        self._touch(g, m)
        self.trace.state(self.sim.now, self.broker.name, "group.static_rejoin", group=g.group_id,
                         instance=msg.group_instance_id, member=member_id, replaces=old_id, state=g.state,
                         generation=g.generation)
        if g.state == STABLE and not changed:
            generation = g.generation

            def persisted(err: str | None) -> None:
                if err is not None or g.generation != generation or g.members.get(member_id) is not m:
                    return reply(err or "REBALANCE_IN_PROGRESS")
                leader = member_id == g.leader
                everyone = tuple((mid, x.protocol(g.protocol)) for mid, x in g.members.items()) if leader else ()
                reply(None, generation=g.generation, protocol=g.protocol, leader=g.leader, member_id=member_id,
                      members=everyone, instances=g.instances() if leader else (), skip_assignment=leader)
            self._persist(g, persisted)
            return
        m.join_reply = reply
        self._prepare_rebalance(g, f"{member_id} rejoined as {msg.group_instance_id}")

    def _prepare_rebalance(self, g: ClassicGroup, why: str) -> None:
        """Rule 2: start the join phase, or (already in it) see whether it can end."""
        if g.state == PREPARING:
            if g.initial:
                g.new_member_added = True
            self._maybe_complete_join(g)
            return
        now = self.sim.now
        delay = self.broker.cfg["group.initial.rebalance.delay.ms"]
        for m in g.members.values():          # syncs of a round that will not finish: rejoin
            if m.sync_reply is not None:
                m.sync_reply("REBALANCE_IN_PROGRESS")
                m.sync_reply = None
        g.initial = g.state == EMPTY and delay > 0
        g.new_member_added = False
        g.state = PREPARING
        self.trace.state(now, self.broker.name, "group.rebalance", group=g.group_id, generation=g.generation,
                         why=why, members=tuple(g.members))
        timeout = g.rebalance_timeout()
        g.join_deadline = now + timeout
        if g.join_timer is not None:
            g.join_timer.cancel()
        g.join_timer = self.broker.after(min(delay, timeout) if g.initial else timeout, self._join_timer, g)
        self._maybe_complete_join(g)

    def _join_timer(self, g: ClassicGroup) -> None:
        g.join_timer = None
        if self.groups.get(g.group_id) is not g or g.state != PREPARING:
            return
        remaining = g.join_deadline - self.sim.now
        if g.initial and g.new_member_added and remaining > 0:      # each newcomer extends the delay
            g.new_member_added = False
            delay = self.broker.cfg["group.initial.rebalance.delay.ms"]
            g.join_timer = self.broker.after(min(delay, remaining), self._join_timer, g)
            return
        if g.initial:
            g.initial = False
            if not g.all_joined() and remaining > 0:
                g.join_timer = self.broker.after(remaining, self._join_timer, g)
                return
        self._complete_join(g)

    def _maybe_complete_join(self, g: ClassicGroup) -> None:
        if g.state == PREPARING and not g.initial and g.all_joined():
            if g.join_timer is not None:
                g.join_timer.cancel()
                g.join_timer = None
            self._complete_join(g)

    def _complete_join(self, g: ClassicGroup) -> None:
        """Rule 3."""
        for member_id in [mid for mid, m in g.members.items() if m.join_reply is None]:
            self._remove(g, member_id, "did not rejoin in time")
        g.generation += 1
        if not g.members:
            g.state, g.leader, g.protocol = EMPTY, "", ""
            self.trace.state(self.sim.now, self.broker.name, "group.empty", group=g.group_id,
                             generation=g.generation)
            self._persist(g, lambda err: None)
            return
        if g.leader not in g.members:
            g.leader = next(iter(g.members))
        protocol = g.choose_protocol()
        if protocol is None:
            for m in g.members.values():
                m.join_reply("INCONSISTENT_GROUP_PROTOCOL")
                m.join_reply = None
            g.members.clear()
            g.static_members.clear()
            g.state = EMPTY
            return
        g.protocol = protocol
        g.state = COMPLETING
        self.trace.state(self.sim.now, self.broker.name, "group.generation", group=g.group_id,
                         generation=g.generation, protocol=protocol, leader=g.leader, members=tuple(g.members))
        everyone = tuple((mid, m.protocol(protocol)) for mid, m in g.members.items())
        for mid, m in g.members.items():
            reply, m.join_reply = m.join_reply, None
            reply(None, generation=g.generation, protocol=protocol, leader=g.leader, member_id=mid,
                  members=everyone if mid == g.leader else (),
                  instances=g.instances() if mid == g.leader else ())

    def on_sync_group(self, src: str, msg: P.SyncGroupRequest) -> None:
        """Rule 4."""
        def reply(error: str | None, assignment: tuple = ()) -> None:
            self.broker.send(src, P.SyncGroupResponse(msg.cid, error, assignment))
        g = self.groups.get(msg.group_id)
        err = self.owner_error(msg.group_id) or self._membership(g, msg.member_id, msg.group_instance_id)
        if err is None and msg.generation != g.generation:
            err = "ILLEGAL_GENERATION"
        elif err is None and g.state == PREPARING:
            err = "REBALANCE_IN_PROGRESS"
        if err is not None:
            return reply(err)
        m = g.members[msg.member_id]
        self._touch(g, m)
        if g.state == STABLE:
            return reply(None, m.assignment)
        m.sync_reply = reply
        if msg.member_id != g.leader:
            return
        assignment = dict(msg.assignments)
        generation = g.generation
        for mid, member in g.members.items():
            member.assignment = tuple(sorted(assignment.get(mid, ())))

        def persisted(err: str | None) -> None:
            if self.groups.get(g.group_id) is not g or g.generation != generation or g.state != COMPLETING:
                return
            if err is not None:
                for member in g.members.values():
                    if member.sync_reply is not None:
                        member.sync_reply(err)
                        member.sync_reply = None
                self._prepare_rebalance(g, f"could not store the assignment: {err}")
                return
            g.state = STABLE
            self.trace.state(self.sim.now, self.broker.name, "group.stable", group=g.group_id,
                             generation=g.generation, assignment=tuple(
                                 f"{mid}:" + "+".join(f"{t}-{p}" for t, p in member.assignment)
                                 for mid, member in g.members.items()))
            for member in g.members.values():
                if member.sync_reply is not None:
                    member.sync_reply(None, member.assignment)
                    member.sync_reply = None
        self._persist(g, persisted)

    def on_heartbeat(self, src: str, msg: P.HeartbeatRequest) -> None:
        """Rule 5."""
        g = self.groups.get(msg.group_id)
        err = self.owner_error(msg.group_id) or self._membership(g, msg.member_id, msg.group_instance_id)
        if err is None:
            self._touch(g, g.members[msg.member_id])
            if g.state == PREPARING:
                err = "REBALANCE_IN_PROGRESS"
            elif msg.generation != g.generation:
                err = "ILLEGAL_GENERATION"
        self.broker.send(src, P.HeartbeatResponse(msg.cid, err), daemon=True)

    def on_leave_group(self, src: str, msg: P.LeaveGroupRequest) -> None:
        """Rule 6."""
        g = self.groups.get(msg.group_id)
        err = self.owner_error(msg.group_id) or self._membership(g, msg.member_id, msg.group_instance_id)
        if err is None:
            self._remove(g, msg.member_id, "left the group")
            self._prepare_rebalance(g, f"{msg.member_id} left")
        self.broker.send(src, P.LeaveGroupResponse(msg.cid, err))

    @staticmethod
    def _membership(g: ClassicGroup | None, member_id: str, instance: str | None) -> str | None:
        """Rules 4-6 and 8: is this (member id, instance id) a member of the group?"""
        if g is not None and g.fenced(member_id, instance):
            return "FENCED_INSTANCE_ID"
        return None if g is not None and member_id in g.members else "UNKNOWN_MEMBER_ID"

    def _touch(self, g: ClassicGroup, m: Member) -> None:
        if m.expiry is not None:
            m.expiry.cancel()
        m.expiry = self.broker.after(m.session_timeout_ms, self._expire, g, m.member_id, daemon=True)

    def _expire(self, g: ClassicGroup, member_id: str) -> None:
        if self.groups.get(g.group_id) is not g or member_id not in g.members:
            return
        m = g.members[member_id]
        if m.join_reply is not None or m.sync_reply is not None:
            self._touch(g, m)           # waiting for the coordinator keeps a member alive
            return
        self._remove(g, member_id, "session timeout")
        self._prepare_rebalance(g, f"{member_id} session timed out")

    def _remove(self, g: ClassicGroup, member_id: str, why: str) -> None:
        m = g.discard(member_id)
        if m.expiry is not None:
            m.expiry.cancel()
        if m.join_reply is not None:
            m.join_reply("UNKNOWN_MEMBER_ID")
        if m.sync_reply is not None:
            m.sync_reply("UNKNOWN_MEMBER_ID")
        self.trace.state(self.sim.now, self.broker.name, "group.member_removed", group=g.group_id,
                         member=member_id, why=why)

    # -- persistence (rule 0) ----------------------------------------------------------------
    def _persist(self, g: ClassicGroup, then: Any) -> None:
        self.write(self.partition_of(g.group_id), [(f"group/{g.group_id}", g.record_value())], then)

    def _load_group(self, group_id: str, value: bytes | None) -> None:
        g = parse_group(group_id, value)
        self.drop_group(group_id)
        consumer_group_heartbeat.load(self, group_id, None)
        for m in g.members.values():
            self._touch(g, m)
        self.groups[group_id] = g
