"""A quorum member's election state: its role, epoch, leader and vote (Kafka: `QuorumState`,
`ElectionState` and the `*State` classes of `raft/`; kafka-semantics.md K.73-K.75).

Rules:
1. Roles, as Kafka 4.1+ has them: unattached (an epoch, no known leader, perhaps a vote given),
   prospective (a voter asking for pre-votes in its current epoch), candidate (epoch + 1, voting
   for itself), leader, follower (knows the leader of its epoch and fetches from it), resigned
   (a leader stepping down). Observers (brokers) are only ever unattached or follower.
2. Epochs never go down. Learning a higher epoch makes any member unattached at that epoch, or
   follower when the leader of that epoch is known.
3. Only a voter may become prospective, candidate or leader; a candidate's epoch is one more
   than the epoch it leaves; only a prospective voter may become candidate (pre-vote first).
4. The election state (epoch, vote, leader) is written before a durable transition is
   acknowledged: it is the `quorum-state` file, and it survives crashes and power loss
   (`ElectionState`). Prospective is never written: a pre-vote moves nothing durable.
5. On restart: a member that was leader comes back resigned in the same epoch (it can never
   vote twice in an epoch or reuse an (epoch, offset) pair); one that knew a leader comes back
   its follower; else unattached, with the vote it gave in that epoch if any.
"""
from __future__ import annotations

from dataclasses import dataclass

UNATTACHED, PROSPECTIVE, CANDIDATE, LEADER, FOLLOWER, RESIGNED = (
    "unattached", "prospective", "candidate", "leader", "follower", "resigned")


@dataclass
class ElectionState:
    """The `quorum-state` file (rule 4): what survives a crash."""

    epoch: int = 0
    voted_for: str | None = None
    leader: str | None = None


class QuorumState:
    def __init__(self, local: str, voters: tuple[str, ...], store: ElectionState) -> None:
        self.local = local
        self.voters = voters
        self.is_voter = local in voters
        self.store = store
        self.role = UNATTACHED
        self.epoch = store.epoch
        self.leader: str | None = None
        self.voted_for: str | None = None

    def initialize(self) -> None:
        """Rule 5."""
        s = self.store
        self.epoch, self.voted_for = s.epoch, s.voted_for
        if s.leader == self.local:
            self.role, self.leader = RESIGNED, self.local
        elif s.leader is not None:
            self.role, self.leader = FOLLOWER, s.leader
        else:
            self.role, self.leader = UNATTACHED, None

    @property
    def majority(self) -> int:
        return len(self.voters) // 2 + 1

    # -- transitions (rules 2-4) ------------------------------------------------------------
    def to_unattached(self, epoch: int) -> None:
        assert epoch >= self.epoch, f"{self.local}: epoch {epoch} < {self.epoch}"
        keep_vote = epoch == self.epoch and self.role in (UNATTACHED, PROSPECTIVE)
        self._set(UNATTACHED, epoch, None, self.voted_for if keep_vote else None)

    def to_prospective(self) -> None:
        assert self.is_voter and self.role in (UNATTACHED, FOLLOWER, CANDIDATE, RESIGNED), \
            f"{self.local}: {self.role} cannot become prospective"
        self.role = PROSPECTIVE                 # not persisted (rule 4); leader and vote kept

    def to_candidate(self) -> None:
        assert self.is_voter and self.role == PROSPECTIVE, f"{self.local}: {self.role} cannot become candidate"
        self._set(CANDIDATE, self.epoch + 1, None, self.local)

    def to_leader(self) -> None:
        assert self.role == CANDIDATE, f"{self.local}: {self.role} cannot become leader"
        self._set(LEADER, self.epoch, self.local, self.local)

    def to_follower(self, epoch: int, leader: str) -> None:
        assert epoch >= self.epoch and leader != self.local, f"{self.local}: follow {leader} in {epoch}"
        assert not (epoch == self.epoch and self.role == LEADER), f"{self.local} leads epoch {epoch}"
        self._set(FOLLOWER, epoch, leader, self.voted_for if epoch == self.epoch else None)

    def to_resigned(self) -> None:
        assert self.role == LEADER, f"{self.local}: {self.role} cannot resign"
        self.role = RESIGNED                    # same epoch, still recorded as its leader

    def grant_vote(self, candidate: str) -> None:
        """An unattached (or prospective) voter votes in its epoch, durably (rule 4)."""
        self.voted_for = candidate
        self.store.voted_for = candidate

    def _set(self, role: str, epoch: int, leader: str | None, voted_for: str | None) -> None:
        self.role, self.epoch, self.leader, self.voted_for = role, epoch, leader, voted_for
        self.store.epoch, self.store.leader, self.store.voted_for = epoch, leader, voted_for
