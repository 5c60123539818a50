"""A broker's lifecycle with the active controller (Kafka: `BrokerLifecycleManager`;
kafka-semantics.md K.84-K.85): registration, heartbeats, and controlled shutdown. A part of
server/broker.py's Broker, whose docstring states the rules (1b, 6, 6b).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikafka import protocol as P

if TYPE_CHECKING:
    from minikafka.raft.raft_client import RaftClient
    from minikafka.metadata.image import MetadataImage
    from minikafka.sim.trace import Trace

SHUTDOWN_DEADLINE_MS = 300_000         # rule 6: no answer by then, the broker stops anyway


class BrokerLifecycle:
    id: int
    cfg: dict[str, Any]
    trace: "Trace"
    image: "MetadataImage"
    raft: "RaftClient"
    controller: str | None
    incarnation: int
    broker_epoch: int
    previous_epoch: int
    rack: str | None
    registration_failures: int
    unfenced_once: bool
    want_shutdown: bool
    shutdown_answers: int
    lifecycle_in_flight: bool
    lifecycle_sent: Any
    lifecycle_timer: Any
    lifecycle_timeout: Any
    lifecycle_rng: Any

    def begin_shutdown(self) -> None:
        """Rule 6: ask the controller to move this broker's partitions away, then stop."""
        if not self.unfenced_once:
            self.stop(controlled=False)
            return
        self.want_shutdown = True
        self.trace.state(self.sim.now, self.name, "broker.shutdown_requested")
        self.after(SHUTDOWN_DEADLINE_MS, self._shutdown_deadline, self.incarnation, daemon=True)
        if not self.lifecycle_in_flight:
            self._schedule_lifecycle(0)

    def _shutdown_deadline(self, incarnation: int) -> None:
        if self.alive and self.incarnation == incarnation and self.want_shutdown:
            self.stop(controlled=False)

    def _schedule_lifecycle(self, ms: int) -> None:
        if self.lifecycle_timer is not None:
            self.lifecycle_timer.cancel()
        self.lifecycle_timer = self.after(ms, self._heartbeat, daemon=True)

    def _heartbeat(self) -> None:
        """Register, or heartbeat (rule 1b)."""
        self.lifecycle_timer = None
        if self.lifecycle_in_flight:
            return
        if self.broker_epoch < 0:
            msg: Any = P.BrokerRegistration(self.id, self.incarnation, self.previous_epoch, self.rack)
        else:
            msg = P.BrokerHeartbeat(self.id, self.broker_epoch, self.image.offset, self.want_shutdown)
        if not self.send_to_controller(msg):
            self._schedule_lifecycle(100)
            return
        self.lifecycle_in_flight, self.lifecycle_sent = True, msg
        self.lifecycle_timeout = self.after(max(self.cfg["broker.session.timeout.ms"] // 2, 1),
                                            self._lifecycle_timed_out, self.controller, msg, daemon=True)

    def _lifecycle_answered(self) -> None:
        self.lifecycle_in_flight = False
        if self.lifecycle_timeout is not None:
            self.lifecycle_timeout.cancel()
            self.lifecycle_timeout = None

    def _lifecycle_timed_out(self, target: str, msg: Any) -> None:
        """No answer within half the session timeout: give up on it (Kafka's heartbeat channel)."""
        if self.lifecycle_in_flight and self.lifecycle_sent is msg:
            self.lifecycle_in_flight = False
            self.net.close(self.name, target)
            self._schedule_lifecycle(100)

    def _on_registration_response(self, msg: P.BrokerRegistrationResponse) -> None:
        self._lifecycle_answered()
        if msg.error is not None:                   # rule 1b: back off exponentially, as Kafka does
            backoff = min(100 * 2 ** self.registration_failures, self.cfg["broker.session.timeout.ms"])
            self.registration_failures += 1
            self._schedule_lifecycle(max(1, round(backoff * (1 + self.lifecycle_rng.uniform(-0.02, 0.02)))))
            return
        self.registration_failures = 0
        self.broker_epoch = msg.broker_epoch
        self._schedule_lifecycle(0)
        self._maybe_ask_producer_ids()

    def _on_heartbeat_response(self, msg: P.BrokerHeartbeatResponse) -> None:
        self._lifecycle_answered()
        if msg.error == "STALE_BROKER_EPOCH":
            self.broker_epoch = -1
            self._schedule_lifecycle(100)
            return
        if msg.error is not None:
            self._schedule_lifecycle(100)
            return
        if msg.should_shutdown:
            self.stop(controlled=True)
            return
        if self.want_shutdown:                      # Kafka: 50 ms after the first answer, then the interval
            self.shutdown_answers += 1
            self._schedule_lifecycle(50 if self.shutdown_answers == 1 else self.cfg["broker.heartbeat.interval.ms"])
            return
        if not msg.fenced and not self.unfenced_once:
            self.unfenced_once = True
            self.trace.state(self.sim.now, self.name, "broker.running", metadata_offset=self.image.offset)
            self._on_metadata_delivered()
        starting = not self.unfenced_once
        self._schedule_lifecycle(10 if starting else self.cfg["broker.heartbeat.interval.ms"])
