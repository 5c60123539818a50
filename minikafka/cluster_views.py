"""What the Cluster's views return: frozen snapshots of a partition (its replicas and producer
state), a group, a group's lag, and the controller quorum, each with a text form for notebooks.
They hold copies, never live objects: a view does not change when the cluster runs on."""
from __future__ import annotations

from dataclasses import dataclass

from minikafka.controller.election import NO_LEADER


@dataclass(frozen=True)
class ReplicaView:
    """One replica of a partition as `Cluster.partition_state` shows it."""

    broker: int
    role: str               # "leader", "follower", "offline" (broker down) or "none"
    leo: int
    hw: int
    in_isr: bool
    lso: int = -1           # last stable offset (txn_index rule 3)


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
        lines = [f"{self.topic}-{self.partition}: leader {lead}, leader epoch {self.leader_epoch}, "
                 f"ISR {list(self.isr)}{elr}",
                 f"  {'broker':>6} {'role':<9} {'LEO':>5} {'HW':>5} {'LSO':>5} {'in ISR':>6}"]
        for r in self.replicas:
            lines.append(f"  {r.broker:>6} {r.role:<9} {r.leo:>5} {r.hw:>5} {r.lso:>5} "
                         f"{'yes' if r.in_isr else 'no':>6}")
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
