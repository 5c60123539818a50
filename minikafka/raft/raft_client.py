"""The Raft client of one quorum member (Kafka: `KafkaRaftClient`; kafka-semantics.md K.73-K.80,
K.91-K.92): its lifecycle and timers, epochs, appends and the delivery of committed records.
Elections are elections.py's (rules 1-4, 7), the replication of the log replication.py's
(rules 5, 6), roles and the durable election state quorum_state.py's.

Rules (the timers are `controller.quorum.*`, in virtual ms):
2. Every message carries the sender's epoch; a member that sees a higher epoch than its own
   moves to it (quorum_state.py rule 2): follower if the message names that epoch's leader,
   else unattached. A pre-vote request moves nothing.
8. Appends: only the leader appends, in batches of what was appended within `append.linger.ms`;
   an append returns the offset its last record will have. Logs and election state are written
   to disk before they count (Kafka flushes the metadata log): a power loss keeps them.
9. Committed records (below the high watermark) are delivered to the owner once each, in offset
   order, whole batches at a time; a leader is *active* once it has delivered past the start of
   its own epoch (so it starts from the whole committed state).
Simplifications: a fixed set of voters (no KIP-853 reconfiguration); no snapshots (a member
replays the log from offset 0 on restart).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from minikafka.protocol.raft import QuorumFetchRequest
from minikafka.raft.elections import Elections
from minikafka.raft.quorum_state import (CANDIDATE, FOLLOWER, LEADER, PROSPECTIVE, RESIGNED, UNATTACHED,
                                         ElectionState, QuorumState)
from minikafka.raft.replication import Replication
from minikafka.storage.log import PartitionLog
from minikafka.storage.records import BATCH_OVERHEAD, Record, RecordBatch

if TYPE_CHECKING:
    from minikafka.sim.network import Node

QUORUM_DEFAULTS = {"controller.quorum.election.timeout.ms": 1000, "controller.quorum.fetch.timeout.ms": 2000,
                   "controller.quorum.election.backoff.max.ms": 1000, "controller.quorum.request.timeout.ms": 2000,
                   "controller.quorum.retry.backoff.ms": 20, "controller.quorum.append.linger.ms": 25}


@dataclass
class RaftStorage:
    """What a quorum member keeps on disk: the metadata log and the election state."""

    log: PartitionLog = field(default_factory=PartitionLog)
    election: ElectionState = field(default_factory=ElectionState)


class RaftClient(Elections, Replication):
    """One member's Raft: `node` sends and receives its messages and owns its timers.
    The owner learns through callbacks: `on_commit(batch)` for every committed batch in order
    (then `on_delivered()` once per delivery of one or more),
    `on_leader(leader, epoch)` when the known leader changes, `on_active(epoch)` when this member
    leads and has delivered every committed record (it may act as the active controller)."""

    def __init__(self, node: "Node", voters: tuple[str, ...], storage: RaftStorage, cfg: dict[str, Any],
                 trace: Any) -> None:
        self.node = node
        self.voters = tuple(sorted(voters))
        self.storage = storage
        self.cfg = {**QUORUM_DEFAULTS, **{k: v for k, v in cfg.items() if k in QUORUM_DEFAULTS}}
        self.trace = trace
        self.rng = node.sim.rng(f"raft/{node.name}")
        self.on_commit: Callable[[RecordBatch], None] = lambda batch: None
        self.on_leader: Callable[[str | None, int], None] = lambda leader, epoch: None
        self.on_active: Callable[[int], None] = lambda epoch: None
        self.on_delivered: Callable[[], None] = lambda: None
        self.quorum = QuorumState(node.name, self.voters, storage.election)
        self._volatile()

    @property
    def log(self) -> PartitionLog:
        return self.storage.log

    @property
    def name(self) -> str:
        return self.node.name

    def _volatile(self) -> None:
        self.hw = 0
        self.applied = 0                    # offsets below this were delivered to on_commit
        self.active = False                 # leader with its epoch's start committed and applied
        self.timer: Any = None              # the role's election, fetch or backoff timer
        self.fetch_deadline = -1            # when the fetch timer is due (>= 0 while it is armed)
        self.votes: dict[str, bool] = {}    # this round's answers (pre-votes or votes)
        self.candidacies = 0                # candidacies in a row (rule 1's backoff)
        self.fetched_this_epoch = False     # a follower's successful fetch (rule 3)
        self.fetch_in_flight: int | None = None
        self.fetch_timer: Any = None        # checks the request timeout of the fetch in flight
        self.fetch_sent_at = 0
        self.park_timer: Any = None         # leader: expires the earliest parked fetch
        self.fetch_target: str | None = None
        self._cid = self.node.incarnation * 1_000_000     # no answer to an earlier process matches
        self.random_target = False          # an observer whose leader went quiet asks any voter
        self.pending: list[Any] = []        # the leader's records waiting for append.linger.ms
        self.linger: Any = None
        self.epoch_start = 0
        self.voter_offsets: dict[str, int] = {}       # leader: each voter's last fetch offset
        self.voter_fetch_at: dict[str, int] = {}      # leader: when each voter last fetched
        self.parked: dict[str, tuple[QuorumFetchRequest, int]] = {}   # leader: fetches waiting, until (rule 5)
        self.check_timer: Any = None
        self.begin_timer: Any = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start, or restart after a crash (quorum_state.py rule 5): the log and the election
        state are what was on disk; everything else starts afresh."""
        self._volatile()
        q = self.quorum
        q.initialize()
        self._state("raft.start")
        self.on_leader(self._known_leader(), q.epoch)
        if not q.is_voter:
            self._arm_fetch_timeout(self.cfg["controller.quorum.fetch.timeout.ms"])
            self._fetch_soon(0)
        elif q.role == RESIGNED:
            self._arm_election()
        elif q.role == FOLLOWER:
            self._arm_fetch_timeout(self.cfg["controller.quorum.fetch.timeout.ms"])
            self._fetch_soon(0)
        elif len(self.voters) == 1:
            self._become_prospective()
        else:
            self._arm_election()

    def _known_leader(self) -> str | None:
        q = self.quorum
        return q.leader if q.role in (LEADER, FOLLOWER) else None

    # -- timers ---------------------------------------------------------------------------------
    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _arm(self, ms: int, fn: Callable[[], None]) -> None:
        self._cancel_timer()
        self.fetch_deadline = -1
        self.timer = self.node.after(ms, fn, daemon=True)

    def _election_timeout(self) -> int:
        t = self.cfg["controller.quorum.election.timeout.ms"]
        return t + self.rng.randrange(t)

    def _arm_election(self) -> None:
        self._arm(self._election_timeout(), self._on_election_timer)

    def _arm_fetch_timeout(self, ms: int) -> None:
        """Re-armed at every answer: a timer that would fire earlier is kept and, when it fires,
        waits on for the rest (one timer per timeout, not one per fetch)."""
        deadline = self.node.sim.now + ms
        if self.timer is not None and 0 <= self.fetch_deadline <= deadline:
            self.fetch_deadline = deadline
            return
        self._arm(ms, self._on_fetch_timer)
        self.fetch_deadline = deadline

    def _on_election_timer(self) -> None:
        self.timer = None
        q = self.quorum
        if q.role == RESIGNED:                  # rule 7
            self._transition_unattached(q.epoch + 1)
            self._arm_election()
        elif q.role == CANDIDATE:               # rule 1: a timed-out candidacy backs off
            self._back_off()
        elif q.role in (UNATTACHED, FOLLOWER, PROSPECTIVE):
            if q.role == PROSPECTIVE:           # the pre-vote round timed out
                self._end_prospective()
            else:
                self._become_prospective()

    def _on_fetch_timer(self) -> None:
        self.timer = None
        now = self.node.sim.now
        if self.fetch_deadline > now:            # re-armed since: wait for the rest
            self.timer = self.node.after(self.fetch_deadline - now, self._on_fetch_timer, daemon=True)
            return
        self.fetch_deadline = -1
        if not self.quorum.is_voter:            # an observer asks a random voter who leads now
            self.random_target = True
            self._arm_fetch_timeout(self.cfg["controller.quorum.fetch.timeout.ms"])
        elif self.quorum.role == FOLLOWER:
            self._state("raft.fetch_timeout", leader=self.quorum.leader)
            self._become_prospective()

    def _back_off(self) -> None:
        n = self.candidacies
        cap = self.cfg["controller.quorum.election.backoff.max.ms"]
        ms = min(cap, 100 * self.rng.randrange(2 ** min(n, 16)))
        self._arm(ms, self._after_backoff)

    def _after_backoff(self) -> None:
        self.timer = None
        if self.quorum.role == CANDIDATE:
            self._become_prospective()

    # -- epochs (rule 2) -----------------------------------------------------------------------
    def _learn_epoch(self, epoch: int, leader: str) -> bool:
        """A higher epoch seen in a message: move to it. True if it moved."""
        q = self.quorum
        if epoch <= q.epoch:
            if epoch == q.epoch and leader and q.leader is None and q.role in (UNATTACHED, PROSPECTIVE) \
                    and leader != self.name:
                self._transition_follower(epoch, leader)
                return True
            return False
        if leader and leader != self.name:
            self._transition_follower(epoch, leader)
        else:
            self._transition_unattached(epoch)
            if q.is_voter:
                self._arm_election()
        return True

    def _transition_unattached(self, epoch: int) -> None:
        if self.quorum.role == LEADER:
            self._drop_leader_state()
        self.quorum.to_unattached(epoch)
        self.fetched_this_epoch = False
        self._state("raft.unattached")
        self.on_leader(None, epoch)
        if not self.quorum.is_voter:
            self._fetch_soon(self.cfg["controller.quorum.retry.backoff.ms"])

    def _transition_follower(self, epoch: int, leader: str) -> None:
        q = self.quorum
        if q.role == LEADER:
            self._drop_leader_state()
        q.to_follower(epoch, leader)
        self.fetched_this_epoch = False
        self._state("raft.follower", leader=leader)
        self.on_leader(leader, epoch)
        self.random_target = False
        self._arm_fetch_timeout(self.cfg["controller.quorum.fetch.timeout.ms"])
        self.fetch_in_flight = None             # a fetch to the old leader is not waited for
        self._fetch_soon(0)

    # -- appends (rule 8) ------------------------------------------------------------------------
    def append(self, records: list[Any]) -> int | None:
        """The leader takes `records` for its next batch; the offset its last record will have,
        or None when this member does not lead."""
        if self.quorum.role != LEADER or not records:
            return None
        self.pending.extend(records)
        if self.linger is None:
            self.linger = self.node.after(self.cfg["controller.quorum.append.linger.ms"], self._drain, daemon=True)
        return self.log.log_end_offset + len(self.pending) - 1

    def _drain(self) -> None:
        self.linger = None
        if self.pending and self.quorum.role == LEADER:
            records, self.pending = self.pending, []
            self._write(records)
            self._maybe_advance_hw()
            self._complete_parked()

    def _write(self, values: list[Any], control: bool = False) -> None:
        now = self.node.sim.now
        recs = [Record(None, v, None, now) for v in values]
        size = BATCH_OVERHEAD + sum(21 + len(v) for v in values)
        self.log.append_as_leader(RecordBatch(recs, size, control=control, max_timestamp=now), self.quorum.epoch)
        self.log.flush()

    # -- delivery (rule 9) ------------------------------------------------------------------------
    def _deliver(self) -> None:
        log = self.log
        delivered = False
        while self.applied < self.hw:
            b = log.batch_at(self.applied)
            assert b is not None and b.base_offset == self.applied, f"{self.name}: no batch at {self.applied}"
            self.applied = b.next_offset
            self.on_commit(b)
            delivered = True
        if delivered:
            self.on_delivered()
        q = self.quorum
        if q.role == LEADER and not self.active and self.applied > self.epoch_start:
            self.active = True
            self._state("raft.active")
            self.on_active(q.epoch)

    # -- messages -----------------------------------------------------------------------------------
    def receive(self, src: str, msg: Any) -> bool:
        """Handle a quorum message; False if `msg` is not one."""
        handler = _HANDLERS.get(msg.kind)
        if handler is None:
            return False
        handler(self, src, msg)
        return True

    def _send(self, dst: str, msg: Any) -> None:
        self.node.send(dst, msg, daemon=True)

    def _state(self, what: str, **fields: Any) -> None:
        q = self.quorum
        self.trace.state(self.node.sim.now, self.name, what, role=q.role, epoch=q.epoch, **fields)

    # -- views --------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        q = self.quorum
        return {"role": q.role, "epoch": q.epoch, "leader": self._known_leader(), "voted_for": q.voted_for,
                "log_end_offset": self.log.log_end_offset, "high_watermark": self.hw}


_HANDLERS: dict[str, Callable[[RaftClient, str, Any], None]] = {
    "VoteRequest": RaftClient.on_vote_request, "VoteResponse": RaftClient.on_vote_response,
    "BeginQuorumEpochRequest": RaftClient.on_begin_epoch,
    "BeginQuorumEpochResponse": RaftClient.on_begin_epoch_response,
    "EndQuorumEpochRequest": RaftClient.on_end_epoch, "EndQuorumEpochResponse": RaftClient.on_end_epoch_response,
    "QuorumFetchRequest": RaftClient.on_fetch, "QuorumFetchResponse": RaftClient.on_fetch_response,
}
