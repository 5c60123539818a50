"""The Cluster's side of the controller quorum (a part of cluster.py's Cluster): which
controller is active, waiting for metadata changes to commit, the quorum's view, and crashing or
restarting controllers.

Rules (cluster.py has the rest):
1. `controller` is the active controller; with none (an election, or no majority), the
   controller whose image is the most recent, so views still show the last committed metadata.
2. A metadata change from `Cluster` is an admin request (clients/admin/admin_client.py) that
   waits (virtual time) for its records to commit; REQUEST_TIMED_OUT after 60 virtual seconds
   without an answer.
3. "Settled": an active controller, everything it wrote committed, and every live, unfenced
   broker caught up with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.admin.admin_client import ControllerCall
from minikafka.cluster_args import is_int
from minikafka.cluster_views import ControllerStateView, ObserverView, VoterView
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.clients.admin.admin_client import AdminClient
    from minikafka.controller.quorum_controller import QuorumController
    from minikafka.server.broker import Broker
    from minikafka.sim.kernel import Simulation


class ControllerQuorum:
    admin: Callable[[], "AdminClient"]
    controllers: dict[int, "QuorumController"]
    brokers: dict[int, "Broker"]
    sim: "Simulation"

    # -- the controller quorum -----------------------------------------------------------
    @property
    def controller(self) -> QuorumController:
        """The active controller; with none (an election, or no majority), the controller whose
        image is the most recent (what was last committed)."""
        best = None
        for ctl in self.controllers.values():
            if ctl.alive and ctl.active:
                return ctl
            if best is None or ctl.image.offset > best.image.offset:
                best = ctl
        assert best is not None
        return best

    def _active(self) -> QuorumController | None:
        for ctl in self.controllers.values():
            if ctl.alive and ctl.active:
                return ctl
        return None

    def _settled(self, done: Any) -> bool:
        """An active controller for which `done(ctl)` holds, everything it wrote committed, and
        every live broker caught up with it."""
        ctl = self._active()
        if ctl is None or not done(ctl) or ctl.raft.hw < ctl.storage.log.log_end_offset or ctl.raft.pending:
            return False
        brokers = ctl.image.brokers
        return all(b.image.offset >= ctl.image.offset for i, b in self.brokers.items()
                   if b.alive and i in brokers and not brokers[i].fenced)

    def elect_leaders(self, election_type: str = "preferred",
                      partitions: list[tuple[str, int]] | None = None) -> dict[tuple[str, int], str | None]:
        """Kafka's ElectLeaders (`kafka-leader-election.sh`): "preferred" moves leadership back to
        each partition's preferred replica (the first in its assignment) where it is in the ISR;
        "unclean" elects a leader for leaderless partitions, out of the ISR if need be (what
        the topic's `unclean.leader.election.enable` would do at the controller's next check,
        now). Returns each partition's error name, None where a leader was elected; with
        `partitions` None, every partition, leaving out those that needed no election."""
        results = self._run_call(self.elect_leaders_call(election_type, partitions))
        self.sim.run_until(lambda: self._settled(lambda ctl: True), self.sim.now + 10_000)
        return results

    def elect_leaders_call(self, election_type: str, partitions: list[tuple[str, int]] | None) -> Any:
        """The admin call behind `elect_leaders` (cluster_topics.py rule 1)."""
        if election_type not in ("preferred", "unclean"):
            raise ValueError(f"election_type must be 'preferred' or 'unclean', got {election_type!r}")
        topics = self.controller.topics
        if partitions is None:
            tps = [(t, st.partition) for t in sorted(topics) for st in topics[t]]
        else:
            if isinstance(partitions, (str, bytes)) or not isinstance(partitions, (list, tuple)):
                raise TypeError(f"partitions must be a list of (topic, partition) pairs or None, got {partitions!r}")
            tps = []
            for tp in partitions:
                if not (isinstance(tp, tuple) and len(tp) == 2 and tp[0] in topics and is_int(tp[1])
                        and 0 <= tp[1] < len(topics[tp[0]])):
                    raise KafkaException("UNKNOWN_TOPIC_OR_PART", f"no partition {tp!r}; partitions are "
                                                                  f"(topic, index) pairs of existing topics")
                tps.append(tp)
        resp = yield ControllerCall(lambda cid: P.ElectLeadersRequest(cid, election_type, tuple(tps)),
                                    f"elect_leaders({election_type!r})")
        results = dict(resp.results)
        if partitions is None:
            return {tp: e for tp, e in results.items() if e != "ELECTION_NOT_NEEDED"}
        return results

    def controller_state(self) -> ControllerStateView:
        """The metadata quorum now: who leads in which epoch, each voter's log end and high
        watermark, and each broker's metadata offset and fencing."""
        active = self._active()
        voters = tuple(VoterView(i, ctl.alive, ctl.raft.quorum.role if ctl.alive else "-", ctl.raft.quorum.epoch,
                                 ctl.storage.log.log_end_offset, ctl.raft.hw, ctl.alive and ctl.active)
                       for i, ctl in sorted(self.controllers.items()))
        regs = self.controller.image.brokers
        brokers = tuple(ObserverView(i, b.alive, b.image.offset, regs[i].fenced if i in regs else True)
                        for i, b in sorted(self.brokers.items()))
        epoch = max((v.epoch for v in voters if v.alive), default=-1)
        return ControllerStateView(active.id if active is not None else -1, epoch, voters, brokers)

    def _controller_by_id(self, controller_id: int) -> QuorumController:
        if not is_int(controller_id) or controller_id not in self.controllers:
            raise ValueError(f"no controller {controller_id!r}; controllers are {sorted(self.controllers)}")
        return self.controllers[controller_id]

    def crash_controller(self, controller_id: int) -> None:
        """Stop a controller's process (its metadata log and election state survive, on disk)."""
        ctl = self._controller_by_id(controller_id)
        if not ctl.alive:
            raise RuntimeError(f"controller {controller_id} is already down")
        ctl.crash()

    def restart_controller(self, controller_id: int) -> None:
        self._controller_by_id(controller_id).restart()
