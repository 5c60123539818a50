"""What producers and consumers share: metadata, requests with timeouts, blocking calls.

Rules:
- A client knows the cluster only through Metadata responses from brokers (bootstrap: every
  broker id). It refreshes metadata on leadership errors, on disconnects, and every
  `metadata.max.age.ms` (at least `retry.backoff.ms` and 1 ms apart, so time moves on).
- A request waits at most `request.timeout.ms` for its response. A timeout closes the
  connection; a timeout or a disconnect (connection reset) fails every request in flight to
  that broker, in the order they were sent, as Kafka's NetworkClient does.
- Blocking calls (`flush`, `poll(timeout)`) run the simulation in virtual time until they can
  return; they may not be called from inside a simulation event. If the client crashes
  meanwhile (`Cluster.crash_client`, say from a scheduled fault), the call raises _STATE at
  once: the process is gone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.errors import ConfigException, KafkaError, KafkaException
from minikafka.sim.network import Node

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


class Pending:
    __slots__ = ("cid", "node", "incarnation", "msg", "on_response", "on_error", "timer")

    def __init__(self, cid: int, node: str, incarnation: int, msg: Any, on_response: Callable,
                 on_error: Callable) -> None:
        self.cid, self.node, self.incarnation, self.msg = cid, node, incarnation, msg
        self.on_response, self.on_error = on_response, on_error
        self.timer = None


class Client(Node):
    role = "client"

    def __init__(self, cluster: "Cluster", name: str, cfg: dict[str, Any]) -> None:
        if cfg["client.id"] and name in cluster.net.nodes:
            raise ConfigException(f"client.id '{name}' is already the name of a node of this cluster (brokers "
                                  "are b1, b2, ...; every client's own name); minikafka names a client's node by its "
                                  "client.id, so choose another")
        super().__init__(name, cluster.net)
        self.cluster = cluster
        self.trace = cluster.trace
        self.cfg = cfg
        self.closed = False
        self.meta: dict[str, tuple[P.PartitionState, ...]] = {}
        self.unknown_topics: dict[str, int] = {}        # topic -> time a fresh response lacked it
        self._wanted: dict[str, int] = {}               # topic -> time the application asked for it
        self._meta_sent = 0
        self.brokers: tuple[int, ...] = tuple(sorted(cluster.brokers))
        self.inflight: dict[int, Pending] = {}
        self.features: dict[str, int] = {}              # finalized feature levels, from brokers' answers
        self.coordinators: dict[tuple[str, str], int] = {}     # (key type, key) -> broker id
        self._cid = 0
        self._meta_cid = 0
        self._meta_next = 0                              # which broker next_broker() picks
        self._meta_retry = None
        self._meta_age_timer = self.after(self.metadata_period(), self._periodic_metadata, daemon=True)

    # -- requests ------------------------------------------------------------
    def next_cid(self) -> int:
        self._cid += 1
        return self._cid

    def request(self, broker: int, msg: Any, on_response: Callable, on_error: Callable,
                daemon: bool = False, expect_response: bool = True) -> Pending:
        node = f"b{broker}"
        # the connection is to the broker process running now
        p = Pending(msg.cid, node, self.net.nodes[node].incarnation, msg, on_response, on_error)
        self.send(node, msg, daemon=daemon)
        if expect_response:
            self.inflight[msg.cid] = p
            p.timer = self.after(self.cfg["request.timeout.ms"], self._timed_out, msg.cid, daemon=daemon)
        return p

    def inflight_to(self, node: str) -> int:
        return [p.node for p in self.inflight.values()].count(node)

    def receive(self, src: str, msg: Any) -> None:
        p = self.inflight.pop(msg.cid, None)
        if p is None:
            return                      # a late answer to a request already failed
        if p.timer is not None:
            p.timer.cancel()
        p.on_response(msg)

    def _timed_out(self, cid: int) -> None:
        p = self.inflight.get(cid)
        if p is not None:
            self.trace.state(self.sim.now, self.name, "request.timeout", broker=p.node, request=p.msg.kind, cid=cid)
            self.net.close(self.name, p.node)
            self._fail_connection(p.node, "REQUEST_TIMED_OUT")

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        self._fail_connection(peer, "NETWORK_EXCEPTION", incarnation)

    def _fail_connection(self, node: str, error: str, incarnation: int | None = None) -> None:
        failed = [p for cid, p in sorted(self.inflight.items())
                  if p.node == node and (incarnation is None or p.incarnation == incarnation)]
        if failed and node == f"b{self.next_broker()}":
            self._meta_next += 1
        for p in failed:
            del self.inflight[p.cid]
            if p.timer is not None:
                p.timer.cancel()
        if failed:
            self.request_metadata()
        for p in failed:
            p.on_error(KafkaError(error))

    # -- coordinators ----------------------------------------------------------------
    def coordinator_call(self, key_type: str, key: str, build: Callable[[int], Any],
                         handle: Callable[[Any], str | None], daemon: bool = False) -> None:
        """Send `build(cid)` to the coordinator of `key` (FindCoordinator first when unknown).
        `handle(response)` returns None when done, "retry" to resend after `retry.backoff.ms`
        ("retry-soon": after 20 ms, as Kafka's producer retries AddPartitionsToTxn), or "refind"
        to look the coordinator up again first. A lost connection or a timeout
        refinds. It keeps trying until `handle` says done or the client closes."""
        if self.closed:
            return
        node = self.coordinators.get((key_type, key))
        again = lambda verdict: self._coordinator_retry(key_type, key, build, handle, daemon, verdict)  # noqa: E731
        if node is None:
            def found(resp: P.FindCoordinatorResponse) -> None:
                if resp.error is not None:
                    again("refind")
                    return
                self.coordinators[(key_type, key)] = resp.node_id
                if resp.features:
                    self.features = dict(resp.features)
                self.coordinator_call(key_type, key, build, handle, daemon)
            self.request(self.next_broker(), P.FindCoordinatorRequest(self.next_cid(), key, key_type), found,
                         lambda err: again("refind"), daemon=daemon)
            return

        def answered(resp: Any) -> None:
            verdict = handle(resp)
            if verdict is not None:
                again(verdict)
        self.request(node, build(self.next_cid()), answered, lambda err: again("refind"), daemon=daemon)

    def _coordinator_retry(self, key_type: str, key: str, build: Callable, handle: Callable, daemon: bool,
                           verdict: str) -> None:
        if verdict == "refind":
            self.coordinators.pop((key_type, key), None)
        delay = 20 if verdict == "retry-soon" else self.cfg["retry.backoff.ms"]
        self.after(delay, self.coordinator_call, key_type, key, build, handle, daemon, daemon=daemon)

    # -- metadata ------------------------------------------------------------
    def request_metadata(self) -> None:
        if self._meta_cid or self._meta_retry is not None or self.closed:
            return
        broker = self.next_broker()
        msg = P.MetadataRequest(self.next_cid(), None)
        self._meta_cid = msg.cid
        self._meta_sent = self.sim.now
        self.request(broker, msg, self._on_metadata, self._on_metadata_error, daemon=not self.busy())

    def next_broker(self) -> int:
        """The broker to ask for metadata or a producer id: the same one while it answers; a
        failed connection to it moves on. Live brokers from the last metadata come first, then
        the bootstrap list (Kafka 4.0's metadata.recovery.strategy=rebootstrap)."""
        brokers = self.brokers + tuple(b for b in sorted(self.cluster.brokers) if b not in self.brokers)
        return brokers[self._meta_next % len(brokers)]

    def _on_metadata(self, msg: P.MetadataResponse) -> None:
        self._meta_cid = 0
        now = self.sim.now
        if msg.features:
            self.features = dict(msg.features)
        if msg.brokers:
            self.brokers = msg.brokers
        for topic, parts in msg.partitions.items():
            self.meta[topic] = parts
            self.unknown_topics.pop(topic, None)
        for topic, asked in list(self._wanted.items()):
            if topic in msg.partitions:
                del self._wanted[topic]
            elif self._meta_sent >= asked:          # a response newer than the question
                del self._wanted[topic]
                self.unknown_topics[topic] = now
        if self._wanted:
            self.request_metadata()                 # that answer predates the question: ask again
        self.on_metadata()

    def _on_metadata_error(self, err: KafkaError) -> None:
        self._meta_cid = 0
        self._meta_retry = self.after(self.cfg["retry.backoff.ms"], self._retry_metadata, daemon=not self.busy())

    def _retry_metadata(self) -> None:
        self._meta_retry = None
        self.request_metadata()

    def metadata_period(self) -> int:
        """How often metadata is refreshed anyway: `metadata.max.age.ms`, but never sooner than
        `retry.backoff.ms` after the last refresh, as Java's Metadata.timeToNextUpdate, and at
        least 1 ms (with 0 and 0 the timer would fire forever at one instant)."""
        return max(self.cfg["metadata.max.age.ms"], self.cfg["retry.backoff.ms"], 1)

    def _periodic_metadata(self) -> None:
        self.request_metadata()
        self._meta_age_timer = self.after(self.metadata_period(), self._periodic_metadata, daemon=True)

    def on_metadata(self) -> None:
        """Hook: new metadata arrived."""

    def busy(self) -> bool:
        """Does this client have work waiting (so its metadata requests are not background)?"""
        return False

    def partitions_of(self, topic: str) -> tuple[P.PartitionState, ...]:
        """The partitions of `topic`, fetching metadata (blocking) if unknown; raises
        UNKNOWN_TOPIC_OR_PART when the cluster has no such topic."""
        parts = self.meta.get(topic)
        if parts is not None:
            return parts
        asked = self.sim.now
        self.unknown_topics.pop(topic, None)
        self._wanted[topic] = asked
        self.request_metadata()
        self.block_until(lambda: topic in self.meta or topic in self.unknown_topics,
                         self.cfg.get("max.block.ms", self.cfg["request.timeout.ms"]), "fetching metadata")
        if topic in self.meta:
            return self.meta[topic]
        if topic in self.unknown_topics:
            known = ", ".join(sorted(self.meta)) or "none"
            del self.unknown_topics[topic]
            raise KafkaException("UNKNOWN_TOPIC_OR_PART",
                                 f"Unknown topic '{topic}' (minikafka does not auto-create topics; "
                                 f"create it with cluster.create_topic). Topics this client knows: {known}")
        self._wanted.pop(topic, None)
        raise KafkaException("_TIMED_OUT", f"Topic '{topic}' not present in metadata after "
                                           f"{self.sim.now - asked} ms")

    def leader_of(self, tp: tuple[str, int]) -> tuple[int, int]:
        """(leader broker id, leader epoch) from this client's metadata, (-1, -1) if unknown."""
        parts = self.meta.get(tp[0])
        if parts is None or tp[1] >= len(parts):
            return (-1, -1)
        st = parts[tp[1]]
        return (st.leader, st.leader_epoch)

    # -- blocking --------------------------------------------------------------
    def block_until(self, done: Callable[[], bool], timeout_ms: int | None, what: str) -> bool:
        sim = self.sim
        if self.cluster._blocking:
            raise RuntimeError(f"cannot block ({what}) inside a simulation event; call it from your program")
        deadline = None if timeout_ms is None else sim.now + timeout_ms
        self.cluster._blocking = True
        try:
            sim.run_until(lambda: done() or not self.alive, deadline)
        finally:
            self.cluster._blocking = False
        if not self.alive:
            raise KafkaException("_STATE", f"{self.role} {self.name} crashed during {what}; "
                                           "a crashed client cannot be used: create a new one")
        return done()

    def check_open(self) -> None:
        if not self.alive:
            raise KafkaException("_STATE", f"{self.role} {self.name} crashed; a crashed client cannot be "
                                           "used: create a new one")
        if self.closed:
            raise KafkaException("_STATE", f"{self.role} {self.name} is closed")

    @staticmethod
    def timeout_ms(timeout: float | None, call: str = "") -> int | None:
        """confluent-kafka timeouts are seconds (float); None, a negative value or infinity: no
        limit. Anything else (a bool, a str, NaN) is refused, naming `call`."""
        if timeout is None:
            return None
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout != timeout:
            where = f"{call}: " if call else ""
            raise TypeError(f"{where}timeout must be a number of seconds (None or -1: no limit), got {timeout!r}")
        if timeout < 0 or timeout == float("inf"):
            return None
        return int(round(timeout * 1000))
