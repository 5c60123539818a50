"""Replicating the metadata log (Kafka: `KafkaRaftClient`'s Fetch handling on both sides and
`LeaderState`'s high watermark; kafka-semantics.md K.78-K.79): a part of raft_client.RaftClient.

Rules (the timers are `controller.quorum.*`, in virtual ms):
5. Replication is pulled. Followers and observers send Fetch (offset, last fetched epoch,
   leader epoch). The leader answers a stale epoch with FENCED_LEADER_EPOCH, a newer one with
   UNKNOWN_LEADER_EPOCH, a non-leader with NOT_LEADER_OR_FOLLOWER, each naming the leader it
   knows; a log that diverges with the epoch and end offset to truncate to; else the records
   from the fetch offset, or, with none, it parks the fetch for up to 500 ms (until records are
   appended or the high watermark moves). Followers truncate (never below their high
   watermark), append, and fetch again at once. An observer fetches from a random voter until
   it learns the leader, and again when its leader has not answered for `fetch.timeout.ms`; a
   failed or unanswered fetch (after `request.timeout.ms`) is retried after `retry.backoff.ms`.
6. High watermark: the leader counts each voter at its last fetch offset (itself at its log
   end; observers never count); the HW is the majority-th largest, and moves only forward and
   only past the epoch's start offset (the leader's own LeaderChange record), so nothing from
   an earlier epoch is committed before a record of this one. A follower's HW is the leader's,
   up to its own log end.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.protocol.raft import QuorumFetchRequest, QuorumFetchResponse
from minikafka.raft.quorum_state import FOLLOWER, LEADER, UNATTACHED

if TYPE_CHECKING:
    from minikafka.raft.raft_client import RaftClient

MAX_FETCH_WAIT_MS = 500


class Replication:
    """Rules 5 and 6, mixed into RaftClient."""

    # -- the leader's side of Fetch (rules 5, 6) ----------------------------------------------------
    def on_fetch(self: "RaftClient", src: str, req: QuorumFetchRequest) -> None:
        q, log = self.quorum, self.log
        error = None
        if req.current_leader_epoch < q.epoch:
            error = "FENCED_LEADER_EPOCH"
        elif req.current_leader_epoch > q.epoch:
            error = "UNKNOWN_LEADER_EPOCH"
        elif q.role != LEADER:
            error = "NOT_LEADER_OR_FOLLOWER"
        if error is not None:
            self._send(src, QuorumFetchResponse(req.cid, q.epoch, self._known_leader() or "", error))
            return
        if req.last_fetched_epoch >= 0 or req.fetch_offset > log.log_end_offset:
            epoch, end = log.end_offset_for_epoch(req.last_fetched_epoch)
            if epoch != req.last_fetched_epoch or end < req.fetch_offset:
                self._send(src, QuorumFetchResponse(req.cid, q.epoch, self.name, None, (), self.hw,
                                                    (epoch, max(end, 0))))
                return
        now = self.node.sim.now
        if req.voter and req.replica in self.voter_offsets:
            self.voter_offsets[req.replica] = req.fetch_offset
            self.voter_fetch_at[req.replica] = now
            self._maybe_advance_hw()
        self.parked.pop(src, None)
        if req.fetch_offset < log.log_end_offset:
            self._answer(src, req)
        else:
            self.parked[src] = (req, now + MAX_FETCH_WAIT_MS)
            if self.park_timer is None:
                self.park_timer = self.node.after(MAX_FETCH_WAIT_MS, self._expire_parked, daemon=True)

    def _answer(self: "RaftClient", src: str, req: QuorumFetchRequest) -> None:
        batches = tuple(self.log.read(req.fetch_offset, self.log.log_end_offset, 1 << 30))
        self._send(src, QuorumFetchResponse(req.cid, self.quorum.epoch, self.name, None, batches, self.hw))

    def _expire_parked(self: "RaftClient") -> None:
        """One timer for every parked fetch: answer those whose wait is over, then wait for the
        next one to be due."""
        self.park_timer = None
        now = self.node.sim.now
        for src in sorted(self.parked):
            req, until = self.parked[src]
            if until <= now:
                del self.parked[src]
                self._answer(src, req)
        if self.parked:
            due = min(until for _, until in self.parked.values())
            self.park_timer = self.node.after(due - now, self._expire_parked, daemon=True)

    def _complete_parked(self: "RaftClient") -> None:
        parked, self.parked = self.parked, {}
        for src in sorted(parked):
            self._answer(src, parked[src][0])

    def _maybe_advance_hw(self: "RaftClient") -> None:
        q = self.quorum
        offsets = sorted([self.log.log_end_offset] + [self.voter_offsets.get(v, -1) for v in self.voters
                                                       if v != self.name], reverse=True)
        hw = offsets[q.majority - 1]
        if hw > self.epoch_start and hw > self.hw:
            self.hw = hw
            self._deliver()
            self._complete_parked()

    # -- the follower's and observer's side of Fetch (rule 5) -----------------------------------------
    def _fetch_soon(self: "RaftClient", ms: int) -> None:
        if ms == 0:
            self._send_fetch()
        else:
            self.node.after(ms, self._send_fetch, daemon=True)

    def _send_fetch(self: "RaftClient") -> None:
        q = self.quorum
        if self.fetch_in_flight is not None or q.role not in (FOLLOWER, UNATTACHED):
            return
        if q.role == FOLLOWER and not self.random_target:
            target = q.leader
        elif not q.is_voter:
            target = self.voters[self.rng.randrange(len(self.voters))]
        else:
            return                               # an unattached voter waits for an election
        self._cid += 1
        self.fetch_in_flight, self.fetch_target = self._cid, target
        log = self.log
        last_epoch = log.last_epoch() if log.log_end_offset > 0 else -1
        self.node.send(target, QuorumFetchRequest(self._cid, self.name, q.is_voter, q.epoch if q.role == FOLLOWER
                                                  else -1, log.log_end_offset, last_epoch), daemon=True)
        self.fetch_sent_at = self.node.sim.now
        if self.fetch_timer is None:
            self.fetch_timer = self.node.after(self.cfg["controller.quorum.request.timeout.ms"], self._fetch_timed_out,
                                               daemon=True)

    def _fetch_timed_out(self: "RaftClient") -> None:
        """One timer, not one per fetch: the fetch in flight times out `request.timeout.ms` after
        it was sent; a timer that finds a later fetch in flight waits for that one's turn."""
        self.fetch_timer = None
        if self.fetch_in_flight is None:
            return
        due = self.fetch_sent_at + self.cfg["controller.quorum.request.timeout.ms"]
        now = self.node.sim.now
        if due > now:
            self.fetch_timer = self.node.after(due - now, self._fetch_timed_out, daemon=True)
            return
        self.node.net.close(self.name, self.fetch_target)
        self.fetch_in_flight = None
        self._fetch_soon(self.cfg["controller.quorum.retry.backoff.ms"])

    def on_fetch_response(self: "RaftClient", src: str, resp: QuorumFetchResponse) -> None:
        if resp.cid != self.fetch_in_flight:
            return
        self.fetch_in_flight = None
        q = self.quorum
        backoff = self.cfg["controller.quorum.retry.backoff.ms"]
        if self._learn_epoch(resp.epoch, resp.leader):
            return                               # a move to follower fetches again by itself
        if resp.error is not None:
            if resp.leader and resp.epoch == q.epoch and q.role == UNATTACHED and resp.leader != self.name:
                self._transition_follower(resp.epoch, resp.leader)
            else:
                self._fetch_soon(backoff)
            return
        if q.role != FOLLOWER or src != q.leader or resp.epoch != q.epoch:
            self._fetch_soon(backoff)
            return
        self.fetched_this_epoch = True
        self.random_target = False
        self._arm_fetch_timeout(self.cfg["controller.quorum.fetch.timeout.ms"])
        log = self.log
        if resp.diverging is not None:
            to = min(resp.diverging[1], log.log_end_offset)
            assert to >= self.hw, f"{self.name}: truncating to {to}, below its high watermark {self.hw}"
            removed = log.truncate_to(to)
            self._state("raft.truncate", to=to, removed=removed)
        else:
            for b in resp.batches:
                if b.next_offset <= log.log_end_offset:
                    continue
                log.append_as_follower(b)
            log.flush()
            hw = min(resp.high_watermark, log.log_end_offset)
            if hw > self.hw:
                self.hw = hw
                self._deliver()
        self._fetch_soon(0)

    def on_disconnect(self: "RaftClient", peer: str) -> None:
        """The connection to `peer` broke: a fetch in flight to it will not be answered."""
        if self.fetch_in_flight is not None and peer == self.fetch_target:
            self.fetch_in_flight = None
            self._fetch_soon(self.cfg["controller.quorum.retry.backoff.ms"])
