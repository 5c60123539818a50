"""The admin client, shaped like confluent-kafka's `AdminClient` (Kafka: `KafkaAdminClient`,
`AdminClientConfig`, and for the calls that go straight to brokers its `AdminApiDriver`): its
calls return futures (kafka_future.py). CreateTopics, CreatePartitions, DeleteTopics,
IncrementalAlterConfigs and ElectLeaders (topics.py) go to a broker, which forwards them to the
controller; the transaction tools (transactions.py), consumer group administration (groups.py),
ListOffsets and DeleteRecords (records.py) and Metadata go to the brokers that answer them
(broker_calls.py). All are requests over the simulated network. `Cluster.admin()` returns the
cluster's one admin client (node "admin"); `AdminClient(cluster)` makes another.

Rules:
1. A controller call goes to a broker (the same one while it answers; a failed connection moves
   on to the next, as every client does), which forwards it to the active controller
   (server/broker.py rule 7). Each attempt waits up to `request.timeout.ms` (30 s).
2. NOT_CONTROLLER (no active controller known, or one that stopped leading before the records
   committed), a lost connection and a timed-out attempt are retried after `retry.backoff.ms`
   until `default.api.timeout.ms` (60 s) has passed since the call; then the call fails with
   REQUEST_TIMED_OUT. Any other error is the call's answer at once.
3. A call returns its futures at once; `result()` blocks in virtual time (it runs the
   simulation), so it may not be called from inside a simulation event. `Cluster`'s
   administration methods run the same calls and block (cluster_topics.py).
4. The transaction tools' calls and the consumer group calls (groups.py) go to the brokers that
   answer them (broker_calls.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.admin.broker_calls import BrokerCalls
from minikafka.clients.admin.groups import GroupTools
from minikafka.clients.admin.records import RecordTools
from minikafka.clients.admin.topics import TopicTools
from minikafka.clients.admin.transactions import TransactionTools
from minikafka.clients.client import Client
from minikafka.clients.config import COMMON_CLIENT
from minikafka.config import Schema, int_key, resolve
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

ADMIN = Schema("admin", COMMON_CLIENT + (int_key("default.api.timeout.ms", 60000, 1),))
RETRIED = frozenset({"NOT_CONTROLLER"})


class AdminClient(TopicTools, GroupTools, TransactionTools, RecordTools, BrokerCalls, Client):
    role = "admin"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None = None, name: str = "admin") -> None:
        super().__init__(cluster, name, resolve(ADMIN, config))

    def call(self, build: Callable[[int], Any], what: str) -> P.AdminResponse:
        """Rules 1-3: send `build(cid)` and wait for its answer; raise its error as Kafka's."""
        return self.run_controller_call(ControllerCall(build, what))

    def run_controller_call(self, stage: "ControllerCall") -> P.AdminResponse:
        answer: list[P.AdminResponse] = []
        deadline = self._attempt(stage, answer.append)
        self.block_until(lambda: bool(answer), deadline - self.sim.now, stage.what)
        return self._answer(answer[0] if answer else None, stage.what)

    def start_controller_call(self, stage: "ControllerCall", advance: Callable[[Any], None],
                              fail: Callable[[Exception], None]) -> None:
        """The call without waiting (broker_calls.py rule 5): `advance(response)` or `fail(error)`,
        once, inside the simulation."""
        watch: list[Any] = []

        def answered(resp: P.AdminResponse | None) -> None:
            if not watch:
                return
            watch.pop().cancel()
            try:
                resp = self._answer(resp, stage.what)
            except KafkaException as e:
                fail(e)
            else:
                advance(resp)
        deadline = self._attempt(stage, answered)
        watch.append(self.after(max(0, deadline - self.sim.now), lambda: answered(None)))

    def _attempt(self, stage: "ControllerCall", answered: Callable[[P.AdminResponse], None]) -> int:
        """Rules 1-2: send the request, retrying as rule 2 says; `answered(response)` once the
        answer is not a retried error. Returns the call's deadline."""
        deadline = self.sim.now + self.cfg["default.api.timeout.ms"]

        def attempt() -> None:
            if self.sim.now >= deadline:
                return
            self.request(self.next_broker(), stage.build(self.next_cid()), got, lambda err: retry(), daemon=False)

        def got(resp: P.AdminResponse) -> None:
            if resp.error in RETRIED:
                retry()
            else:
                answered(resp)

        def retry() -> None:
            self.after(self.cfg["retry.backoff.ms"], attempt)
        attempt()
        return deadline

    def _answer(self, resp: P.AdminResponse | None, what: str) -> P.AdminResponse:
        if resp is None:
            raise KafkaException("REQUEST_TIMED_OUT", f"{what}: no answer within default.api.timeout.ms "
                                                      f"({self.cfg['default.api.timeout.ms']} ms); is there an "
                                                      f"active controller (a majority of the controller quorum)?")
        if resp.error is not None:
            raise KafkaException(resp.error, f"{what}: {resp.error_message}" if resp.error_message else what)
        return resp


class ControllerCall:
    """A call's stage that goes to the active controller (rules 1-2): `build(cid)` is the request."""

    __slots__ = ("build", "what")

    def __init__(self, build: Callable[[int], Any], what: str) -> None:
        self.build, self.what = build, what
