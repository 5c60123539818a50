"""Between the nodes of the metadata quorum (KIP-595): elections and the replication of
`__cluster_metadata` (Kafka: `VoteRequest.json`, `BeginQuorumEpochRequest.json`,
`EndQuorumEpochRequest.json`, and `FetchRequest.json` sent to partition `__cluster_metadata-0`).

Every response carries the responder's epoch and the leader it knows (-1 and "" when none), so
that a node that is behind learns the current epoch from any answer (raft/raft_client.py rule 2).
Kafka sends the metadata log's replication as ordinary Fetch requests on `__cluster_metadata-0`;
here they are QuorumFetchRequest/QuorumFetchResponse, so that a fault rule on the data plane's
Fetch does not also hit the quorum (a rule can name these instead).
"""
from __future__ import annotations

from typing import Any

from minikafka.protocol.base import Msg, message


@message
class VoteRequest(Msg):
    """A prospective voter (`pre_vote`) or a candidate asks for a vote in `candidate_epoch`,
    with where its log ends (last epoch, end offset) for the receiver's up-to-date check."""
    candidate_epoch: int
    candidate: str
    last_epoch: int
    end_offset: int
    pre_vote: bool

    def summary(self):
        return {"epoch": self.candidate_epoch, "pre_vote": self.pre_vote, "last_epoch": self.last_epoch,
                "end_offset": self.end_offset}


@message
class VoteResponse(Msg):
    """Granted or not, with the responder's epoch and the leader it knows."""
    epoch: int
    leader: str
    granted: bool
    pre_vote: bool
    error: str | None = None

    def summary(self):
        out: dict[str, Any] = {"epoch": self.epoch, "granted": self.granted}
        if self.pre_vote:
            out["pre_vote"] = True
        if self.error:
            out["error"] = self.error
        return out


@message
class BeginQuorumEpochRequest(Msg):
    """A new leader tells the other voters it leads `epoch`."""
    epoch: int
    leader: str

    def summary(self):
        return {"epoch": self.epoch, "leader": self.leader}


@message
class BeginQuorumEpochResponse(Msg):
    """A voter acknowledges (or reports a newer epoch)."""
    epoch: int
    leader: str
    error: str | None = None

    def summary(self):
        return {"epoch": self.epoch, "error": self.error or "none"}


@message
class EndQuorumEpochRequest(Msg):
    """A resigning leader asks the other voters to elect a successor, best-placed first."""
    epoch: int
    leader: str
    preferred_successors: tuple[str, ...]

    def summary(self):
        return {"epoch": self.epoch, "successors": self.preferred_successors}


@message
class EndQuorumEpochResponse(Msg):
    """A voter acknowledges EndQuorumEpoch."""
    epoch: int
    leader: str
    error: str | None = None

    def summary(self):
        return {"epoch": self.epoch, "error": self.error or "none"}


@message
class QuorumFetchRequest(Msg):
    """A follower (a voter) or an observer (a broker) reads the metadata log from `fetch_offset`;
    `last_fetched_epoch` lets the leader detect a diverging log (KIP-320 style)."""
    cid: int
    replica: str
    voter: bool
    current_leader_epoch: int
    fetch_offset: int
    last_fetched_epoch: int

    def summary(self):
        return {"offset": self.fetch_offset, "epoch": self.current_leader_epoch}


@message
class QuorumFetchResponse(Msg):
    """Records from the fetch offset (possibly none), the leader's high watermark, or an error,
    or the epoch and end offset to truncate to (`diverging`)."""
    cid: int
    epoch: int
    leader: str
    error: str | None
    batches: tuple = ()
    high_watermark: int = -1
    diverging: tuple[int, int] | None = None

    def summary(self):
        out: dict[str, Any] = {"epoch": self.epoch}
        if self.error:
            out["error"] = self.error
            out["leader"] = self.leader or "none"
            return out
        n = sum(len(b.records) for b in self.batches)
        if n:
            out["records"] = n
            out["from"] = self.batches[0].base_offset
        out["hw"] = self.high_watermark
        if self.diverging is not None:
            out["diverging"] = self.diverging
        return out
