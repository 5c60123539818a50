"""What the Cluster's views return: frozen snapshots of a partition (its replicas and producer
state), a group, a group's lag, and the controller quorum, each with a text form for notebooks.
They hold copies, never live objects: a view does not change when the cluster runs on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minikafka.controller.election import NO_LEADER

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


@dataclass(frozen=True)
class ReplicaView:
    """One replica of a partition as `Cluster.partition_state` shows it."""

    broker: int
    role: str               # "leader", "follower", "offline" (broker down) or "none"
    leo: int
    hw: int
    in_isr: bool
    lso: int = -1           # last stable offset (txn_index rule 3)
    # the first offset it may return (retention and DeleteRecords move it); left out of the repr,
    # which seeded histories are compared by (tests/fingerprint.py), and shown by PartitionView's text
    log_start: int = field(default=0, repr=False)


@dataclass(frozen=True)
class ProducerView:
    """One producer id in a replica's producer state (producer_state.py, transaction_index.py)."""

    producer_id: int
    epoch: int
    last_sequence: int      # -1: no batch with a sequence retained
    open_txn_from: int      # first offset of its open transaction here, -1 if none


@dataclass(frozen=True)
class PartitionView:
    """What `Cluster.partition_state` returns: the controller's record and every replica."""

    topic: str
    partition: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    replicas: tuple[ReplicaView, ...]
    producers: tuple[ProducerView, ...] = ()      # the leader's (or a live replica's) producer state
    aborted: tuple[tuple[int, int, int], ...] = ()   # aborted index: (pid, first offset, marker offset)
    elr: tuple[int, ...] = ()                     # eligible leader replicas (KIP-966)
    last_known_elr: tuple[int, ...] = ()          # the last leader, kept while there is none (KIP-966)

    @property
    def offline(self) -> bool:
        return self.leader == NO_LEADER

    @property
    def high_watermark(self) -> int:
        leader = self._leader_replica()
        return leader.hw if leader is not None else -1

    @property
    def log_start_offset(self) -> int:
        """The leader's log start offset (-1 with no leader)."""
        leader = self._leader_replica()
        return leader.log_start if leader is not None else -1

    @property
    def last_stable_offset(self) -> int:
        leader = self._leader_replica()
        return leader.lso if leader is not None else -1

    def _leader_replica(self) -> ReplicaView | None:
        return next((r for r in self.replicas if r.role == "leader"), None)

    def replica(self, broker: int) -> ReplicaView:
        for r in self.replicas:
            if r.broker == broker:
                return r
        raise KeyError(f"broker {broker} holds no replica of {self.topic}-{self.partition}")

    def __str__(self) -> str:
        lead = "none (offline)" if self.offline else f"broker {self.leader}"
        elr = f", ELR {list(self.elr)}" if self.elr else ""
        elr += f", last known leader {self.last_known_elr[0]}" if self.last_known_elr else ""
        starts = any(r.log_start for r in self.replicas)     # a log start column once retention moved one
        lines = [f"{self.topic}-{self.partition}: leader {lead}, leader epoch {self.leader_epoch}, "
                 f"ISR {list(self.isr)}{elr}",
                 f"  {'broker':>6} {'role':<9} " + (f"{'start':>5} " if starts else "")
                 + f"{'LEO':>5} {'HW':>5} {'LSO':>5} {'in ISR':>6}"]
        for r in self.replicas:
            lines.append(f"  {r.broker:>6} {r.role:<9} " + (f"{r.log_start:>5} " if starts else "")
                         + f"{r.leo:>5} {r.hw:>5} {r.lso:>5} {'yes' if r.in_isr else 'no':>6}")
        for pv in self.producers:
            txn = f", open transaction from offset {pv.open_txn_from}" if pv.open_txn_from >= 0 else ""
            lines.append(f"  producer id {pv.producer_id}: epoch {pv.epoch}, last sequence {pv.last_sequence}{txn}")
        for pid, first, marker in self.aborted:
            lines.append(f"  aborted: producer id {pid}, offsets {first}..{marker - 1}, ABORT marker at {marker}")
        return "\n".join(lines)


@dataclass(frozen=True)
class GroupView:
    """What `Cluster.group_state` returns: the coordinator's view of one consumer group."""

    group_id: str
    coordinator: int                                    # broker id, -1 if none
    state: str                                          # Empty, PreparingRebalance, ...; "Dead" if unknown
    generation: int
    protocol: str
    leader: str
    members: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]    # (member id, assignment)
    committed: tuple[tuple[tuple[str, int], int], ...]              # ((topic, partition), offset)
    group_type: str = "classic"                         # or "consumer" (KIP-848): generation is the group epoch
    assignment_epoch: int = -1                          # consumer groups: the target assignment's epoch
    member_states: tuple[tuple[str, int, str, tuple, tuple], ...] = ()   # (member, epoch, state, revoking, target)
    # share groups: (topic, partition, SPSO, next offset, in-flight records (offset, state, delivery count, member))
    share_partitions: tuple[tuple[str, int, int, int, tuple], ...] = ()

    def owner(self, topic: str, partition: int) -> str | None:
        for member, tps in self.members:
            if (topic, partition) in tps:
                return member
        return None

    def __str__(self) -> str:
        def parts(tps: tuple) -> str:
            return ", ".join(f"{t}-{p}" for t, p in tps) or "(nothing)"
        if self.group_type == "consumer":
            lines = [f"consumer group {self.group_id}: {self.state}, group epoch {self.generation}, assignment "
                     f"epoch {self.assignment_epoch}, assignor {self.protocol or '-'}, coordinator broker "
                     f"{self.coordinator}"]
            for (member, tps), (_, epoch, state, revoking, target) in zip(self.members, self.member_states):
                extra = f"; revoking {parts(revoking)}" if revoking else ""
                lines.append(f"  {member} (epoch {epoch}, {state}): {parts(tps)}{extra}; target {parts(target)}")
        elif self.group_type == "share":
            lines = [f"share group {self.group_id}: {self.state}, group epoch {self.generation}, coordinator broker "
                     f"{self.coordinator}"]
            lines += [f"  {member}: fetches from {parts(tps)}" for member, tps in self.members]
            for t, p, spso, end, records in self.share_partitions:
                lines.append(f"  {t}-{p}: start {spso}, next {end}, " + ("in flight:" if records else "nothing in flight"))
                lines += [f"    {o}: {state}, delivered {n}x" + (f", by {who}" if who else "")
                          for o, state, n, who in records]
            return "\n".join(lines)
        else:
            lines = [f"group {self.group_id}: {self.state}, generation {self.generation}, protocol "
                     f"{self.protocol or '-'}, leader {self.leader or '-'}, coordinator broker {self.coordinator}"]
            for member, tps in self.members:
                lines.append(f"  {member}: {parts(tps)}")
        for (t, p), off in self.committed:
            lines.append(f"  committed {t}-{p}: {off}")
        return "\n".join(lines)


@dataclass(frozen=True)
class VoterView:
    """One controller as `Cluster.controller_state` shows it."""

    controller: int
    alive: bool
    role: str               # unattached, prospective, candidate, leader, follower, resigned; "-" if down
    epoch: int
    log_end_offset: int
    high_watermark: int
    active: bool


@dataclass(frozen=True)
class ObserverView:
    """One broker as the metadata quorum sees it."""

    broker: int
    alive: bool
    metadata_offset: int    # the last metadata record it applied
    fenced: bool            # as the active controller's records say


@dataclass(frozen=True)
class ControllerStateView:
    """What `Cluster.controller_state` returns: the quorum and the brokers following its log."""

    leader: int             # the active controller's id, -1 when there is none
    epoch: int              # the highest epoch a live voter knows
    voters: tuple[VoterView, ...]
    brokers: tuple[ObserverView, ...]

    def __str__(self) -> str:
        lead = f"c{self.leader}" if self.leader >= 0 else "none"
        lines = [f"active controller: {lead}, epoch {self.epoch}",
                 f"  {'voter':>5} {'process':<8} {'role':<16} {'epoch':>5} {'LEO':>5} {'HW':>5}"]
        for v in self.voters:
            lines.append(f"  {'c' + str(v.controller):>5} {'up' if v.alive else 'DOWN':<8} "
                         f"{v.role + (' (active)' if v.active else ''):<16} {v.epoch:>5} {v.log_end_offset:>5} "
                         f"{v.high_watermark:>5}")
        lines.append(f"  {'broker':>6} {'process':<8} {'metadata offset':>15} {'fenced':>6}")
        for b in self.brokers:
            lines.append(f"  {'b' + str(b.broker):>6} {'up' if b.alive else 'DOWN':<8} {b.metadata_offset:>15} "
                         f"{'yes' if b.fenced else 'no':>6}")
        return "\n".join(lines)


@dataclass(frozen=True)
class LagRow:
    """One partition of `Cluster.group_lag`: committed offset, end, lag and owner."""

    topic: str
    partition: int
    committed: int          # -1: nothing committed
    end: int                # the HW, or the LSO for read_committed
    lag: int                # end - committed (end - log start when nothing is committed)
    owner: str | None


def group_view(cluster: "Cluster", group_id: str) -> GroupView:
    """`Cluster.group_state`: read from the group's coordinator (and for a share group, from the
    leaders of its partitions)."""
    from minikafka.coordinator.internal_topics import CONSUMER_OFFSETS, partition_for
    states = cluster.controller.topics.get(CONSUMER_OFFSETS)
    coordinator = states[partition_for(group_id, len(states))].leader if states else -1
    broker = cluster.brokers[coordinator] if coordinator >= 0 else None
    gc = broker.group_coordinator if broker is not None and broker.alive else None
    if gc is None:
        return GroupView(group_id, coordinator, "Dead", 0, "", "", (), ())
    committed = tuple(sorted(gc.offsets.get(group_id, {}).items()))
    sg, cg, g = gc.sgroups.get(group_id), gc.cgroups.get(group_id), gc.groups.get(group_id)
    if sg is not None:
        return GroupView(group_id, coordinator, sg.state(), sg.epoch, "simple", "",
                         tuple((m.member_id, m.assigned) for m in sg.members.values()), committed, "share",
                         sg.assignment_epoch, share_partitions=_share_partitions(cluster, group_id))
    if cg is not None:
        ms = list(cg.members.values())
        return GroupView(group_id, coordinator, cg.state(), cg.epoch, cg.assignor, "",
                         tuple((m.member_id, m.assigned) for m in ms), committed, "consumer",
                         cg.assignment_epoch, tuple((m.member_id, m.epoch, m.state, m.revoking,
                                                     cg.target.get(m.member_id, ())) for m in ms))
    if g is None:
        return GroupView(group_id, coordinator, "Empty" if committed else "Dead", 0, "", "", (), committed)
    return GroupView(group_id, coordinator, g.state, g.generation, g.protocol, g.leader,
                     tuple((m.member_id, m.assignment) for m in g.members.values()), committed)


def _share_partitions(cluster: "Cluster", group_id: str) -> tuple:
    """Each share-partition of the group as its partition's leader holds it now."""
    out = []
    for b in cluster.brokers.values():
        if not b.alive:
            continue
        for (g, tp), e in sorted(b.share_partitions.entries.items()):
            r = b.replicas.get(tp)
            if g == group_id and e.sp is not None and r is not None and r.is_leader:
                out.append((tp[0], tp[1], e.sp.spso, e.sp.next_offset, tuple(e.sp.in_flight())))
    return tuple(sorted(out))
