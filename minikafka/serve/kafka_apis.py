"""What a real client's request becomes in the simulation (Kafka: `KafkaApis`, the broker's
request dispatcher): each real TCP connection is a node of the simulated network, named after
the client's client.id, whose requests travel the simulated network to the broker it connected
to, with the network's latency and faults, and whose answers come back the same way.

Rules:
1. One request at a time per connection, in arrival order, as Kafka's broker mutes a
   connection while it handles a request: a pipelined request waits until the one before it
   has been answered (or, for Produce with acks=0, sent on).
2. ApiVersions is answered by the connection itself with `codec.SUPPORTED`; an ApiVersions of a
   version it does not know gets UNSUPPORTED_VERSION with the same list in version 0, as
   Kafka's broker answers, so the client can retry with one it knows.
3. Every other request served (codec.APIS) becomes minikafka's request to the broker; its answer
   is translated back field by field: Metadata, InitProducerId and the data calls here and in
   data_apis.py, the group calls in group_apis.py, the transaction calls in txn_apis.py, the
   topic and config calls in admin_apis.py.
   Metadata lists the live brokers at their listeners (127.0.0.1 and a port per broker), every
   topic's partitions with leader, epoch, replicas, ISR and offline replicas; a leaderless
   partition has LEADER_NOT_AVAILABLE. Topics are never created by Metadata
   (auto.create.topics.enable is false).
4. Timestamps: the served cluster's clock is the wall clock shifted by `clock` ms (set when
   serving starts); record timestamps and ListOffsets timestamps move by it on the way in and
   out, so a real client sees wall-clock times and the simulation sees its own.
5. When the broker's process stops (a crash), the simulated network resets the connection
   (`on_disconnect`) and the real connection closes, as a broker's socket would.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.errors import KafkaError
from minikafka.serve import codec
from minikafka.serve.admin_apis import AdminApis
from minikafka.serve.data_apis import DataApis
from minikafka.serve.frames import peek_header
from minikafka.serve.group_apis import GroupApis
from minikafka.serve.txn_apis import TxnApis
from minikafka.sim.network import Node

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

def code(error: str | None) -> int:
    """Kafka's error code of an error name (0: none)."""
    return 0 if error is None else KafkaError(error).code()


class WireConnection(DataApis, GroupApis, TxnApis, AdminApis, Node):
    """One real client connection to the listener of broker `broker`."""

    code = staticmethod(code)

    def __init__(self, cluster: "Cluster", name: str, broker: int, ports: dict[int, int], clock: int,
                 write: Callable[[bytes], None], close: Callable[[str], None]) -> None:
        super().__init__(name, cluster.net)
        self.cluster, self.broker, self.ports, self.clock = cluster, broker, ports, clock
        self.write, self.close_socket = write, close
        self.queue: list[bytes] = []            # frames waiting their turn (rule 1)
        self.busy: tuple[int, int, int, Any] | None = None   # (api key, version, correlation id, request)
        self._cid = 0
        self.refused: dict[tuple[str, int], str] = {}

    # -- rule 1 ----------------------------------------------------------------------------------
    def frame(self, frame: bytes) -> None:
        self.queue.append(frame)
        self._next()

    def _next(self) -> None:
        while self.busy is None and self.queue and self.alive:
            self._handle(self.queue.pop(0))

    def _answer(self, fields: dict[str, Any]) -> None:
        api_key, version, correlation_id, _ = self.busy
        self.busy = None
        self.write(codec.encode_response(api_key, version, correlation_id, fields))
        self._next()

    def _handle(self, frame: bytes) -> None:
        api_key, version, correlation_id = peek_header(frame)
        supported = codec.SUPPORTED.get(api_key)
        if api_key == codec.API_VERSIONS and not supported[0] <= version <= supported[1]:
            self.busy = (api_key, 0, correlation_id, None)
            self._answer(self._api_versions(code("UNSUPPORTED_VERSION")))
            return
        if supported is None or not supported[0] <= version <= supported[1]:
            raise ValueError(f"api key {api_key} version {version} is not served")
        req = codec.decode_request(api_key, version, frame)
        null = codec.null_field(api_key, version, req)
        if null is not None:
            raise ValueError(f"{codec.NAMES[api_key]} v{version}: {null} is null")
        self.busy = (api_key, version, correlation_id, req)
        getattr(self, "_on_" + codec.NAMES[api_key].lower())(req, version)     # sends, or answers at once

    # -- the simulation's side ----------------------------------------------------------------------
    def _send(self, msg: Any) -> None:
        self.send(f"b{self.broker}", msg)

    def next_cid(self) -> int:
        self._cid += 1
        return self._cid

    def receive(self, src: str, msg: Any) -> None:
        if self.busy is None or getattr(msg, "cid", None) != self._cid:
            return                      # an answer to a request whose connection moved on
        try:
            self._translate(msg)
        except Exception as e:          # socket_server.py rule 3: only this connection pays
            self.close_socket(f"{type(e).__name__}: {e}")

    def on_disconnect(self, peer: str, incarnation: int) -> None:
        if peer == f"b{self.broker}":
            self.close_socket("the broker's process stopped")     # rule 5

    def _translate(self, msg: Any) -> None:
        api_key, version, _, req = self.busy
        fields = getattr(self, "_" + codec.NAMES[api_key].lower() + "_answer")(msg, req, version)
        if fields is not None:          # None: the call answers when its last step is done (admin_apis.py)
            self._answer(fields)

    # -- ApiVersions (rule 2) --------------------------------------------------------------------
    def _on_apiversions(self, req: Any, version: int) -> None:
        self._answer(self._api_versions(0))

    def _api_versions(self, error_code: int) -> dict[str, Any]:
        return {"error_code": error_code, "throttle_time_ms": 0,
                "api_keys": [{"api_key": k, "min_version": lo, "max_version": hi}
                             for k, (lo, hi) in sorted(codec.SUPPORTED.items())]}

    # -- Metadata (rule 3) -----------------------------------------------------------------------
    def _on_metadata(self, req: Any, version: int) -> None:
        topics = None
        if req.topics is not None:      # Metadata 10+ may name a topic by id only
            names = codec.topics_by_id(self.cluster.controller.topics)
            topics = tuple(t.name if t.name is not None else names.get(getattr(t, "topic_id", None), "")
                           for t in req.topics)
        self._send(P.MetadataRequest(self.next_cid(), topics))

    def _metadata_answer(self, resp: P.MetadataResponse, req: Any, version: int) -> dict[str, Any]:
        live = set(resp.brokers)
        topics = []
        for name in sorted(resp.partitions):
            parts = []
            for st in resp.partitions[name]:
                parts.append({"error_code": code(None if st.leader >= 0 else "LEADER_NOT_AVAILABLE"),
                              "partition_index": st.partition, "leader_id": st.leader,
                              "leader_epoch": st.leader_epoch, "replica_nodes": list(st.replicas),
                              "isr_nodes": list(st.isr), "offline_replicas": [b for b in st.replicas if b not in live]})
            topics.append({"error_code": 0, "name": name, "topic_id": codec.topic_id(name),
                           "is_internal": name.startswith("__"), "partitions": parts})
        for name in resp.unknown:
            topics.append({"error_code": code("UNKNOWN_TOPIC_OR_PART"), "name": name, "partitions": []})
        brokers = [{"node_id": b, "host": "127.0.0.1", "port": self.ports[b], "rack": None} for b in sorted(live)]
        return {"throttle_time_ms": 0, "brokers": brokers, "cluster_id": "minikafka",
                "controller_id": self.broker, "topics": topics}

