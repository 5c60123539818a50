"""The listeners and the real-time driver (Kafka: `SocketServer`, its acceptor and processors).

Rules:
1. One listener per simulated broker, on 127.0.0.1 only, at a port the OS picks (or the ports
   given). `bootstrap_servers` lists them all. A connection to the listener of a broker whose
   process is down is closed at once (as a refused connection).
2. The real-time driver: while served, the simulation's virtual time follows the wall clock
   (1 virtual ms per real ms, from where it stood). This is the one place minikafka reads the
   wall clock: a served cluster is not deterministic, because real clients are not.
3. Bad input never stops the server: a frame the broker refuses (frames.py rule 2), a request
   that does not decode, or an api key or version that is not served (except ApiVersions,
   kafka_apis.py rule 2) closes that connection only, as Kafka's broker does; an error while
   handling one connection closes that connection. Memory per connection is bounded by one
   frame (`socket.request.max.bytes`) and the answers not yet written.
4. One thread runs the listeners and the simulation, holding the served cluster's lock while
   it touches it; while served, every public method of the `Cluster` (a fault, a view, a run)
   and the simulation's run methods take the same lock, so a notebook may crash a broker while
   real clients run. `stop()` closes every connection and listener and gives the cluster back;
   a cluster is served by one server at a time.
   Should the simulation itself raise while served (a bug), serving stops, every connection
   closes, and `failure` says why.
"""
from __future__ import annotations

import selectors
import socket
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable

from minikafka.serve.frames import FrameError, FrameReader, client_id as frame_client_id

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

TICK_S = 0.002
SIM_RUNS = ("run", "run_until", "run_until_idle", "step")       # the simulation's methods that run it


class Connection:
    __slots__ = ("sock", "reader", "out", "node", "broker")

    def __init__(self, sock: socket.socket, broker: int) -> None:
        self.sock, self.broker = sock, broker
        self.reader = FrameReader()
        self.out = bytearray()
        self.node: Any = None


class Server:
    """`Cluster.serve()` or `python -m minikafka.serve`: the cluster's brokers on loopback."""

    def __init__(self, cluster: "Cluster", ports: dict[int, int] | None = None) -> None:
        from minikafka.serve import kafka_apis     # the wire extra: fails early, before any socket
        self._apis = kafka_apis
        served = getattr(cluster, "_server", None)
        if served is not None and served.thread is not None:
            raise RuntimeError(f"this cluster is already served at {served.bootstrap_servers}; stop() that "
                               f"server first")
        self.cluster = cluster
        self.lock = threading.RLock()
        self.sel = selectors.DefaultSelector()
        self.listeners: dict[int, socket.socket] = {}
        self.ports: dict[int, int] = {}
        self.connections: dict[socket.socket, Connection] = {}
        self._count = 0
        self.errors: list[str] = []           # why connections were closed (rule 3), the last 100
        self.failure: str | None = None       # why serving stopped, if the simulation itself failed
        self.failure_traceback = ""
        try:
            for b in sorted(cluster.brokers):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", (ports or {}).get(b, 0)))
                s.listen(64)
                s.setblocking(False)
                self.listeners[b] = s
                self.ports[b] = s.getsockname()[1]
                self.sel.register(s, selectors.EVENT_READ, ("listen", b))
        except OSError:
            self._close_listeners()
            raise
        self.clock = int(time.time() * 1000) - cluster.sim.now      # kafka_apis.py rule 6
        self._v0, self._w0 = cluster.sim.now, time.monotonic()
        self._lock_cluster()
        self.running = True
        self.thread: threading.Thread | None = threading.Thread(target=self._loop, name="minikafka-serve",
                                                                daemon=True)
        cluster._server = self
        self.thread.start()

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for _, p in sorted(self.ports.items()))

    # -- rule 4 -----------------------------------------------------------------------------------
    def _lock_cluster(self) -> None:
        c, lock = self.cluster, self.lock

        def locked(fn: Callable) -> Callable:
            def call(*args: Any, **kw: Any) -> Any:
                with lock:
                    return fn(*args, **kw)
            call.__doc__, call.__name__ = fn.__doc__, getattr(fn, "__name__", "call")
            return call
        self._wrapped = [name for name in dir(type(c)) if not name.startswith("_") and name != "serve"
                         and callable(getattr(type(c), name, None)) and not isinstance(getattr(type(c), name), type)]
        for name in self._wrapped:
            setattr(c, name, locked(getattr(c, name)))
        for name in SIM_RUNS:
            setattr(c.sim, name, locked(getattr(c.sim, name)))

    def _unlock_cluster(self) -> None:
        for name in self._wrapped:
            self.cluster.__dict__.pop(name, None)
        for name in SIM_RUNS:
            self.cluster.sim.__dict__.pop(name, None)

    def stop(self) -> None:
        if self.thread is None:
            return
        self.running = False
        self.thread.join(timeout=5)
        self.thread = None
        with self.lock:
            for conn in list(self.connections.values()):
                self._close(conn, None)
            self._close_listeners()
            self.sel.close()
        self._unlock_cluster()

    def _close_listeners(self) -> None:
        for s in self.listeners.values():
            s.close()

    # -- the loop (rules 1-3) ----------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            while self.running:
                for key, _ in self.sel.select(TICK_S):
                    with self.lock:
                        kind = key.data
                        if kind[0] == "listen":
                            self._accept(kind[1])
                        elif key.fileobj in self.connections:
                            self._read(self.connections[key.fileobj])
                with self.lock:
                    self._drive()
                    self._flush()
        except Exception as e:          # a fault in the simulation itself: stop serving, say why
            self.failure = f"{type(e).__name__}: {e}"
            self.failure_traceback = traceback.format_exc()
            self.running = False
            with self.lock:
                for conn in list(self.connections.values()):
                    self._close(conn, self.failure)

    def _drive(self) -> None:
        """Rule 2: virtual time catches up with the wall clock."""
        sim = self.cluster.sim
        target = self._v0 + int((time.monotonic() - self._w0) * 1000)
        if target > sim.now and not self.cluster._blocking:
            self.cluster._blocking = True
            try:
                type(sim).run_until(sim, None, target)
            finally:
                self.cluster._blocking = False

    def _accept(self, broker: int) -> None:
        try:
            sock, _ = self.listeners[broker].accept()
        except OSError:
            return
        if not self.cluster.brokers[broker].alive:
            sock.close()                # rule 1: nobody listens there
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sock, broker)
        self.connections[sock] = conn
        self.sel.register(sock, selectors.EVENT_READ, ("conn",))

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close(conn, None)
            return
        try:
            for frame in conn.reader.feed(data):
                if conn.node is None:
                    conn.node = self._node(conn, frame)
                conn.node.frame(frame)
        except FrameError as e:
            self._close(conn, str(e))
        except Exception as e:          # rule 3: whatever a request does, only its connection pays
            self._close(conn, f"{type(e).__name__}: {e}")

    def _node(self, conn: Connection, frame: bytes) -> Any:
        self._count += 1
        client_id = frame_client_id(frame) or "client"
        name = f"{client_id}#{self._count}"

        def write(data: bytes) -> None:
            conn.out += data

        def close(why: str) -> None:
            self._close(conn, why)
        return self._apis.WireConnection(self.cluster, name, conn.broker, self.ports, self.clock, write, close)

    def _flush(self) -> None:
        for conn in list(self.connections.values()):
            if conn.out:
                try:
                    sent = conn.sock.send(conn.out)
                except BlockingIOError:
                    continue
                except OSError:
                    self._close(conn, None)
                    continue
                del conn.out[:sent]

    def _close(self, conn: Connection, why: str | None) -> None:
        if self.connections.pop(conn.sock, None) is None:
            return
        if why is not None:
            self.errors = (self.errors + [why])[-100:]
        if conn.out:                    # what was answered before the close still goes out
            try:
                conn.sock.send(conn.out)
            except OSError:
                pass
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        if conn.node is not None:
            conn.node.alive = False     # its answers from now on are refused by the network

