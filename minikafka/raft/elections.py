"""Elections in the metadata quorum (Kafka: `KafkaRaftClient`'s Vote, BeginQuorumEpoch and
EndQuorumEpoch handling, `LeaderState`'s check-quorum; kafka-semantics.md K.74-K.77, K.80): a
part of raft_client.RaftClient.

Rules (the timers are `controller.quorum.*`, in virtual ms):
1. A voter whose election timer (unattached, candidate, resigned: uniform in [T, 2T),
   T = `election.timeout.ms`, from the cluster's seeded stream for this node) or fetch timer
   (follower: `fetch.timeout.ms`, not randomized) expires becomes prospective and asks every
   other voter for a pre-vote in its epoch; a majority (itself included) makes it a candidate
   (epoch + 1, voting for itself), which asks for real votes; a majority makes it leader. A lost
   pre-vote goes back to following the leader it knew, or unattached; a lost or timed-out
   candidacy waits min(`election.backoff.max.ms`, 100 x U{0..2^n - 1}) ms (n: candidacies in a
   row) and becomes prospective again. A single voter leads at once.
3. Granting: never to a lower epoch; only if the candidate's log is at least as up to date
   (last epoch, then end offset). A real vote: once per epoch, only by a voter that knows no
   leader in that epoch (durably recorded). A pre-vote: refused by a leader and by a follower
   that has fetched successfully from its leader in this epoch; otherwise granted on the log
   check.
4. A new leader appends a LeaderChange control record at the start of its epoch and sends
   BeginQuorumEpoch to the other voters, again every `fetch.timeout.ms` / 2 to those that have
   not fetched from it in this epoch.
7. Check-quorum: a leader that has not had a Fetch from a majority of voters (itself included)
   within 1.5 x `fetch.timeout.ms` resigns, and sends EndQuorumEpoch naming the other voters,
   furthest log end first. A follower of that leader then times out after 0 ms (the first
   named), min(1000, (1000 >> (n - 1)) << (p - 1)) ms (the p-th of n named), 1000 ms (not
   named). A resigned member becomes unattached in the next epoch when its election timer
   expires.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from minikafka.protocol.raft import (BeginQuorumEpochRequest, BeginQuorumEpochResponse, EndQuorumEpochRequest,
                                     EndQuorumEpochResponse, VoteRequest, VoteResponse)
from minikafka.raft.quorum_state import CANDIDATE, FOLLOWER, LEADER, PROSPECTIVE, UNATTACHED

if TYPE_CHECKING:
    from minikafka.raft.raft_client import RaftClient


@dataclass(frozen=True)
class LeaderChange:
    """The control record a new leader writes at the start of its epoch (rule 4)."""

    leader: str
    voters: tuple[str, ...]

    def __len__(self) -> int:           # its size in bytes, as len() of a record value is
        return 16 + 4 * len(self.voters)


class Elections:
    """Rules 1, 3, 4 and 7, mixed into RaftClient."""

    # -- elections (rules 1-3) --------------------------------------------------------------------
    def _become_prospective(self: "RaftClient") -> None:
        q = self.quorum
        q.to_prospective()
        self.votes = {self.name: True}
        self._state("raft.prospective")
        self._arm_election()
        if len(self.votes) >= q.majority:
            self._become_candidate()
            return
        self._ask_votes(pre_vote=True)

    def _end_prospective(self: "RaftClient") -> None:
        """A lost or timed-out pre-vote: back to the leader it knew, or unattached."""
        q = self.quorum
        if q.leader is not None and q.leader != self.name:
            self._transition_follower(q.epoch, q.leader)
        else:
            q.to_unattached(q.epoch)
            self._state("raft.unattached")
            self._arm_election()

    def _become_candidate(self: "RaftClient") -> None:
        q = self.quorum
        q.to_candidate()
        self.candidacies += 1
        self.votes = {self.name: True}
        self._state("raft.candidate")
        self.on_leader(None, q.epoch)
        if len(self.votes) >= q.majority:
            self._become_leader()
            return
        self._arm_election()
        self._ask_votes(pre_vote=False)

    def _ask_votes(self: "RaftClient", pre_vote: bool) -> None:
        q, log = self.quorum, self.log
        req = VoteRequest(q.epoch, self.name, log.last_epoch(), log.log_end_offset, pre_vote)
        for v in self.voters:
            if v != self.name:
                self.node.send(v, req, daemon=True)

    def on_vote_request(self: "RaftClient", src: str, req: VoteRequest) -> None:
        q, log = self.quorum, self.log
        if req.candidate_epoch < q.epoch:
            self._send(src, VoteResponse(q.epoch, q.leader or "", False, req.pre_vote, "FENCED_LEADER_EPOCH"))
            return
        if not req.pre_vote and req.candidate_epoch > q.epoch:
            self._transition_unattached(req.candidate_epoch)
            self._arm_election()
        log_ok = (req.last_epoch, req.end_offset) >= (log.last_epoch(), log.log_end_offset)
        if req.pre_vote:
            if req.candidate_epoch > q.epoch:
                granted = log_ok
            else:
                granted = log_ok and q.role != LEADER and not (q.role == FOLLOWER and self.fetched_this_epoch)
        else:
            granted = (log_ok and q.role in (UNATTACHED, PROSPECTIVE) and q.leader is None
                       and q.voted_for in (None, req.candidate))
            if granted:
                q.grant_vote(req.candidate)
                self._state("raft.vote", candidate=req.candidate)
                if q.role == UNATTACHED:
                    self._arm_election()
        self._send(src, VoteResponse(q.epoch, q.leader or "", granted, req.pre_vote))

    def on_vote_response(self: "RaftClient", src: str, resp: VoteResponse) -> None:
        q = self.quorum
        if self._learn_epoch(resp.epoch, resp.leader):
            return
        if resp.epoch != q.epoch or src in self.votes:
            return
        want = PROSPECTIVE if resp.pre_vote else CANDIDATE
        if q.role != want:
            return
        self.votes[src] = resp.granted
        granted = sum(1 for g in self.votes.values() if g)
        refused = len(self.votes) - granted
        if granted >= q.majority:
            if q.role == PROSPECTIVE:
                self._become_candidate()
            else:
                self._become_leader()
        elif refused > len(self.voters) - q.majority:
            if q.role == PROSPECTIVE:
                self._end_prospective()
            else:
                self._back_off()

    def _become_leader(self: "RaftClient") -> None:
        q, log = self.quorum, self.log
        q.to_leader()
        self._cancel_timer()
        self.candidacies = 0
        self.epoch_start = log.log_end_offset
        self.voter_offsets = {v: -1 for v in self.voters if v != self.name}
        self.voter_fetch_at = {}
        self._state("raft.leader", epoch_start=self.epoch_start)
        self.on_leader(self.name, q.epoch)
        self._write([LeaderChange(self.name, self.voters)], control=True)
        self._send_begin_epoch()
        self._arm_check_quorum(int(1.5 * self.cfg["controller.quorum.fetch.timeout.ms"]))
        self._maybe_advance_hw()
        self._complete_parked()

    def _send_begin_epoch(self: "RaftClient") -> None:
        q = self.quorum
        if q.role != LEADER:
            return
        for v in self.voters:
            if v != self.name and v not in self.voter_fetch_at:
                self.node.send(v, BeginQuorumEpochRequest(q.epoch, self.name), daemon=True)
        self.begin_timer = self.node.after(self.cfg["controller.quorum.fetch.timeout.ms"] // 2,
                                           self._send_begin_epoch, daemon=True)

    def on_begin_epoch(self: "RaftClient", src: str, req: BeginQuorumEpochRequest) -> None:
        q = self.quorum
        if req.epoch < q.epoch:
            self._send(src, BeginQuorumEpochResponse(q.epoch, q.leader or "", "FENCED_LEADER_EPOCH"))
            return
        if not (q.role == FOLLOWER and q.leader == req.leader and q.epoch == req.epoch):
            self._transition_follower(req.epoch, req.leader)
        self._send(src, BeginQuorumEpochResponse(q.epoch, req.leader))

    def on_begin_epoch_response(self: "RaftClient", src: str, resp: BeginQuorumEpochResponse) -> None:
        self._learn_epoch(resp.epoch, resp.leader)

    # -- check-quorum and resigning (rule 7) ----------------------------------------------------
    def _arm_check_quorum(self: "RaftClient", ms: int) -> None:
        if self.check_timer is not None:
            self.check_timer.cancel()
        self.check_timer = self.node.after(ms, self._check_quorum, daemon=True)

    def _check_quorum(self: "RaftClient") -> None:
        self.check_timer = None
        q = self.quorum
        if q.role != LEADER:
            return
        now = self.node.sim.now
        window = int(1.5 * self.cfg["controller.quorum.fetch.timeout.ms"])
        times = sorted([now] + [self.voter_fetch_at.get(v, -10**12) for v in self.voters if v != self.name],
                       reverse=True)
        majority_at = times[q.majority - 1]
        if now - majority_at >= window:
            self._state("raft.check_quorum_failed", heard_from=tuple(
                v for v in self.voters if v != self.name and now - self.voter_fetch_at.get(v, -10**12) < window))
            self.resign()
        else:
            self._arm_check_quorum(majority_at + window - now)

    def resign(self: "RaftClient") -> None:
        """Step down (check-quorum failed, or a graceful shutdown): EndQuorumEpoch to the others."""
        q = self.quorum
        if q.role != LEADER:
            return
        q.to_resigned()
        self._drop_leader_state()
        successors = tuple(sorted((v for v in self.voters if v != self.name),
                                  key=lambda v: (-self.voter_offsets.get(v, -1), v)))
        self._state("raft.resign", successors=successors)
        self.on_leader(None, q.epoch)
        for v in successors:
            self.node.send(v, EndQuorumEpochRequest(q.epoch, self.name, successors), daemon=True)
        self._arm_election()

    def _drop_leader_state(self: "RaftClient") -> None:
        """Leaving leadership: no longer active, and the leader's own state and timers go."""
        self.active = False
        self.parked = {}
        self.pending = []
        for t in (self.linger, self.check_timer, self.begin_timer, self.park_timer):
            if t is not None:
                t.cancel()
        self.linger = self.check_timer = self.begin_timer = self.park_timer = None

    def on_end_epoch(self: "RaftClient", src: str, req: EndQuorumEpochRequest) -> None:
        q = self.quorum
        if self._learn_epoch(req.epoch, ""):
            pass
        elif q.role == FOLLOWER and q.leader == req.leader and q.epoch == req.epoch and q.is_voter:
            names = req.preferred_successors
            if self.name in names:
                p, n = names.index(self.name), len(names)
                ms = 0 if p == 0 else min(1000, (1000 >> (n - 1)) << (p - 1))
            else:
                ms = 1000
            self._arm_fetch_timeout(ms)
        self._send(src, EndQuorumEpochResponse(q.epoch, q.leader or ""))

    def on_end_epoch_response(self: "RaftClient", src: str, resp: EndQuorumEpochResponse) -> None:
        self._learn_epoch(resp.epoch, resp.leader)
