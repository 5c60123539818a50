"""The admin client (Kafka: `KafkaAdminClient`, `AdminClientConfig`, and for the calls that go
straight to brokers its `AdminApiDriver`): CreateTopics, CreatePartitions, DeleteTopics,
IncrementalAlterConfigs and ElectLeaders, which brokers forward to the controller, and the
transaction tools (transactions.py), consumer group administration (groups.py) and ListOffsets
and DeleteRecords (records.py), which brokers answer themselves; all are requests over the simulated network. `Cluster.admin()` returns the cluster's one admin client (node "admin").

Rules:
1. A controller call goes to a broker (the same one while it answers; a failed connection moves
   on to the next, as every client does), which forwards it to the active controller
   (server/broker.py rule 7). Each attempt waits up to `request.timeout.ms` (30 s).
2. NOT_CONTROLLER (no active controller known, or one that stopped leading before the records
   committed), a lost connection and a timed-out attempt are retried after `retry.backoff.ms`
   until `default.api.timeout.ms` (60 s) has passed since the call; then the call fails with
   REQUEST_TIMED_OUT. Any other error is the call's answer at once.
3. A call blocks in virtual time (it runs the simulation), so it may not be made from inside a
   simulation event.
4. The transaction tools' calls and the consumer group calls (groups.py) go to the brokers that
   answer them (broker_calls.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.clients.admin.broker_calls import BrokerCalls
from minikafka.clients.admin.groups import GroupTools
from minikafka.clients.admin.records import RecordTools
from minikafka.clients.admin.transactions import TransactionTools
from minikafka.clients.client import Client
from minikafka.clients.config import COMMON_CLIENT
from minikafka.config import Schema, int_key, resolve
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

ADMIN = Schema("admin", COMMON_CLIENT + (int_key("default.api.timeout.ms", 60000, 1),))
RETRIED = frozenset({"NOT_CONTROLLER"})


class AdminClient(GroupTools, TransactionTools, RecordTools, BrokerCalls, Client):
    role = "admin"

    def __init__(self, cluster: "Cluster", config: dict[str, Any] | None = None, name: str = "admin") -> None:
        super().__init__(cluster, name, resolve(ADMIN, config))

    def call(self, build: Callable[[int], Any], what: str) -> P.AdminResponse:
        """Rules 1-3: send `build(cid)` and wait for its answer; raise its error as Kafka's."""
        deadline = self.sim.now + self.cfg["default.api.timeout.ms"]
        answer: list[P.AdminResponse] = []

        def attempt() -> None:
            if self.sim.now >= deadline:
                return
            self.request(self.next_broker(), build(self.next_cid()), answered, lambda err: retry(), daemon=False)

        def answered(resp: P.AdminResponse) -> None:
            if resp.error in RETRIED:
                retry()
            else:
                answer.append(resp)

        def retry() -> None:
            self.after(self.cfg["retry.backoff.ms"], attempt)
        attempt()
        self.block_until(lambda: bool(answer), deadline - self.sim.now, what)
        if not answer:
            raise KafkaException("REQUEST_TIMED_OUT", f"{what}: no answer within default.api.timeout.ms "
                                                      f"({self.cfg['default.api.timeout.ms']} ms); is there an "
                                                      f"active controller (a majority of the controller quorum)?")
        resp = answer[0]
        if resp.error is not None:
            raise KafkaException(resp.error, f"{what}: {resp.error_message}" if resp.error_message else what)
        return resp
