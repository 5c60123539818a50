"""The operator's transaction tools (KIP-664; kafka-semantics.md S.213, G.40-G.48, S.202): the
admin calls behind `kafka-transactions.sh`, as requests to brokers (admin_client.py rules 4-6).

| method | returns | sends | Kafka |
|---|---|---|---|
| `list_transactions` | a future of [TransactionListing] | Metadata, then ListTransactions to every live broker | `Admin.listTransactions`, `list` |
| `describe_transactions` | {id: future of TransactionDescription} | FindCoordinator, then DescribeTransactions per id | `describeTransactions`, `describe` |
| `describe_producers` | a future of {partition: (ProducerState, ...)} | Metadata, then DescribeProducers to each leader (or the broker named) | `describeProducers` |
| `find_hanging_transactions` | a future of [HangingTransaction] | the three above, in turn | `find-hanging` |
| `abort_transaction` | a future of AbortTransactionSpec | DescribeProducers, then WriteTxnMarkers(ABORT) to the leader | `abortTransaction`, `abort` |

Rules:
1. Arguments are checked before anything is sent: a wrong type raises TypeError, a value out of
   range ValueError, each naming the argument, the value and what is accepted. A collection
   (`states`, `producer_ids`, ids, partitions) is asked about in sorted order, whatever its type.
2. `list_transactions`: one key per broker in a Metadata answer (the live ones); each answers for
   the transactions it coordinates (coordinator/transaction/transaction_listing.py rule 1). A
   broker that does not answer is retried until the call's timeout (Kafka's AllBrokersStrategy
   keeps its broker), so one broker down fails the listing. COORDINATOR_LOAD_IN_PROGRESS retries.
   The result: every listing, sorted by transactional id.
3. `describe_transactions`: one key per id, to its coordinator; NOT_COORDINATOR and
   COORDINATOR_NOT_AVAILABLE look the coordinator up again, COORDINATOR_LOAD_IN_PROGRESS retries;
   TRANSACTIONAL_ID_NOT_FOUND (and any other error) is that id's answer: its future raises it.
4. `describe_producers`: one key per partition, to its leader (Metadata; NOT_LEADER_OR_FOLLOWER
   and UNKNOWN_TOPIC_OR_PART from the broker look the leader up again). With `broker_id`, first
   one Metadata answer checks the topics and partitions exist, then one request asks that broker
   for all of them: its replica answers, leader or follower; NOT_LEADER_OR_FOLLOWER (it hosts no
   replica) fails the call, as in Kafka once a broker is named.
5. `find_hanging_transactions` is `find-hanging`'s four steps (S.213): (1) the open transactions
   (a start offset) of the partitions searched whose producer's last write is more than
   `max_transaction_timeout_ms` old; (2) their producer ids' transactional ids, by
   ListTransactions(producer_ids); (3) DescribeTransactions of those ids (TRANSACTIONAL_ID_NOT_FOUND
   is "no description"); (4) hanging: no transactional id, no description, or a description whose
   partitions lack that partition. The partitions searched: `topic`'s (one of them with
   `partition`), restricted to those with a replica on `broker_id` when given; or, with
   `broker_id` alone, every partition of every topic, internal ones too, with a replica there.
   A transaction its coordinator still knows is never reported, however old.
6. `abort_transaction(topic, partition, start_offset)`: DescribeProducers at the leader finds the
   producer whose open transaction starts at `start_offset` (none: ValueError naming the open
   transactions there); then WriteTxnMarkers(ABORT, its producer id, epoch and coordinator
   epoch, -1 sent as 0) goes straight to the leader, which appends the marker: the transaction's
   records become aborted and the LSO moves on. The coordinator is not told: aborting a
   transaction it still runs lets its producer carry on, and a later marker of the coordinator's
   closes nothing (transaction_index.py rule 2); that is why Kafka's tool asks for
   "find-hanging" first. NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PART look the leader up again;
   other errors (INVALID_PRODUCER_EPOCH: the producer has moved on) fail the call.
Results are frozen dataclasses shaped like Kafka's Java Admin results; an absent optional value
(Java's empty OptionalLong/OptionalInt) is None.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.admin.arguments import check_int, check_items, check_name, check_partition
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.clients.admin.broker_calls import (DONE, FAIL, LOOKUP, RETRY, Call, Key, Stage, Verdict, coordinator_lookup,
                                                  coordinator_verdict, leader_lookup, partitions_in, raise_first)
from minikafka.clients.message import is_int
from minikafka.coordinator.transaction.transaction_coordinator import STATES
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

TP = tuple[str, int]
FIFTEEN_MINUTES = 15 * 60 * 1000            # find-hanging's --max-transaction-timeout default


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransactionListing:
    """One transaction a coordinator lists (Kafka: `TransactionListing`)."""

    transactional_id: str
    producer_id: int
    state: str


@dataclass(frozen=True)
class TransactionDescription:
    """A transactional id as its coordinator describes it (Kafka: `TransactionDescription`).
    `transaction_start_time_ms` is None before its first transaction."""

    transactional_id: str
    coordinator_id: int
    state: str
    producer_id: int
    producer_epoch: int
    transaction_timeout_ms: int
    transaction_start_time_ms: int | None
    topic_partitions: tuple[TP, ...]


@dataclass(frozen=True)
class ProducerState:
    """One active producer of a partition (Kafka: `ProducerState`). `coordinator_epoch` is None
    before its first marker there, `current_transaction_start_offset` None with no open
    transaction there."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int | None
    current_transaction_start_offset: int | None


@dataclass(frozen=True)
class HangingTransaction:
    """A row of `find-hanging`: an open transaction its coordinator will not finish."""

    topic: str
    partition: int
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int | None
    start_offset: int
    last_timestamp: int
    duration_ms: int                # since the producer's last write there


@dataclass(frozen=True)
class AbortTransactionSpec:
    """What `abort_transaction` sent (Kafka: `AbortTransactionSpec`)."""

    topic_partition: TP
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int


class TransactionTools:
    """The transaction tools of `AdminClient` (admin_client.py), which provides the rest."""

    cluster: "Cluster"
    cfg: dict[str, Any]
    sim: Any
    launch: Callable[[Call, str], KafkaFuture]
    ask: Callable[..., Call]
    api_deadline: Callable[[], int]
    next_cid: Callable[[], int]

    # -- list (rule 2) ------------------------------------------------------------------------------
    def list_transactions(self, states: Collection[str] | None = None, producer_ids: Collection[int] | None = None,
                          duration_filter_ms: int | None = None, pattern: str | None = None) -> KafkaFuture:
        """Every transaction the coordinators know that passes all the filters given: one of
        `states` ("Ongoing", ...), one of `producer_ids`, started more than `duration_filter_ms`
        ago, a transactional id `pattern` matches in full (a regular expression)."""
        what = "list_transactions"
        wanted_states: tuple[str, ...] = ()
        if states is not None:
            wanted_states = tuple(sorted({check_name(what, "state", x) for x in check_items(what, "states", states,
                                                                                  "state names")}))
            for s in wanted_states:
                if s not in STATES:
                    raise ValueError(f"{what}: {s!r} is not a transaction state; states are {', '.join(STATES)}")
        pids: tuple[int, ...] = ()
        if producer_ids is not None:
            pids = tuple(sorted({check_int(what, "producer id", p) for p in
                                 check_items(what, "producer_ids", producer_ids, "producer ids")}))
        duration = -1 if duration_filter_ms is None else check_int(what, "duration_filter_ms", duration_filter_ms)
        if pattern is not None:
            if not isinstance(pattern, str):
                raise TypeError(f"{what}: pattern must be a str (a regular expression), got {pattern!r}")
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"{what}: pattern {pattern!r} is not a regular expression: {e}") from None
        return self.launch(self._list(wanted_states, pids, duration, pattern or "", what, self.api_deadline()), what)

    def _list(self, states: tuple[str, ...], pids: tuple[int, ...], duration: int, pattern: str, what: str,
              deadline: int) -> Call:
        keys = yield from self.ask_every_broker(lambda cid: P.ListTransactionsRequest(cid, states, pids, duration, pattern),
                                     lambda resp: resp.transactions, what, deadline)
        raise_first(keys)
        rows = sorted(row for k in keys for row in k.value)
        return [TransactionListing(t, pid, state) for t, pid, state in rows]

    # -- describe (rule 3) -------------------------------------------------------------------------
    def describe_transactions(self, transactional_ids: Collection[str]) -> dict[str, KafkaFuture]:
        """Each transactional id's state at its coordinator: {id: future}. An id the coordinator
        does not know raises TRANSACTIONAL_ID_NOT_FOUND."""
        what = "describe_transactions"
        ids = sorted({check_name(what, "transactional id", t)
                      for t in check_items(what, "transactional_ids", transactional_ids, "transactional ids")})

        def call(t: str) -> Call:
            keys = yield from self._describe([t], what, self.api_deadline())
            raise_first(keys)
            return keys[0].value
        return {t: self.launch(call(t), f"{what}({t!r})") for t in ids}

    def _describe(self, ids: list[str], what: str, deadline: int) -> Call:
        def handle_for(txn_id: str) -> Callable[[Any, int], Verdict]:
            def handle(resp: P.DescribeTransactionsResponse, broker: int) -> Verdict:
                d = next((d for d in resp.transactions if d.transactional_id == txn_id), None)
                if d is None:
                    return (FAIL, KafkaException("INVALID_REQUEST", f"{what}: no entry for {txn_id!r} in the answer"))
                if d.error is None:
                    start = d.start_ms if d.start_ms >= 0 else None
                    return (DONE, TransactionDescription(txn_id, broker, d.state, d.producer_id, d.producer_epoch,
                                                         d.timeout_ms, start, tuple(sorted(d.partitions))))
                moved = coordinator_verdict(d.error)
                if moved is not None:
                    return moved
                if d.error == "TRANSACTIONAL_ID_NOT_FOUND":
                    return (FAIL, KafkaException(d.error, f"{what}: transactional id {txn_id!r} could not be "
                                                          f"found: its coordinator (broker {broker}) has no state "
                                                          f"for it"))
                return (FAIL, KafkaException(d.error, f"{what}: transactional id {txn_id!r}: {d.error}"))
            return handle
        keys = [Key(t, lambda cid, t=t: P.DescribeTransactionsRequest(cid, (t,)), handle_for(t),
                    lookup=coordinator_lookup(t, "transaction")) for t in ids]
        yield Stage(keys, what, deadline)
        return keys

    # -- describe producers (rule 4) -----------------------------------------------------------------
    def describe_producers(self, partitions: Collection[Any], broker_id: int | None = None) -> KafkaFuture:
        """The active producers of each partition, from its leader (or from the replica on
        `broker_id`): a future of {(topic, partition): (ProducerState, ...)}."""
        what = "describe_producers"
        tps = sorted({check_partition(what, tp) for tp in check_items(what, "partitions", partitions,
                                                            "(topic, partition) pairs")})
        if broker_id is not None:
            self._check_broker(what, broker_id)

        def call() -> Call:
            keys = yield from self._producers(tps, broker_id, what, self.api_deadline())
            raise_first(keys)
            out: dict[TP, tuple[ProducerState, ...]] = {}
            for k in keys:
                out.update(k.value)
            return {tp: out[tp] for tp in tps}
        return self.launch(call(), what)

    def _check_broker(self, what: str, broker_id: Any) -> int:
        brokers = sorted(self.cluster.brokers)
        if not is_int(broker_id):
            raise TypeError(f"{what}: broker_id must be a broker id (an int), got {broker_id!r}")
        if broker_id not in brokers:
            raise ValueError(f"{what}: no broker {broker_id}; brokers are {brokers}")
        return broker_id

    def _producers(self, tps: list[TP], broker_id: int | None, what: str, deadline: int) -> Call:
        def handle_for(asked: list[TP], fixed: bool) -> Callable[[Any, int], Verdict]:
            def handle(resp: P.DescribeProducersResponse, broker: int) -> Verdict:
                got = {p.tp: p for p in resp.partitions}
                out = {}
                for tp in asked:
                    p = got.get(tp)
                    err = "INVALID_REQUEST" if p is None else p.error
                    if err is None:
                        out[tp] = tuple(_producer_state(a) for a in p.producers)
                    elif err == "NOT_LEADER_OR_FOLLOWER" and fixed:
                        return (FAIL, KafkaException(err, f"{what}: broker {broker} hosts no replica of "
                                                          f"{tp[0]}-{tp[1]}"))
                    elif err in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART"):
                        return (RETRY if fixed else LOOKUP, err)
                    else:
                        return (FAIL, KafkaException(err, f"{what}: {tp[0]}-{tp[1]}: {err}"))
                return (DONE, out)
            return handle
        if broker_id is None:
            keys = [Key(f"{tp[0]}-{tp[1]}", lambda cid, tp=tp: P.DescribeProducersRequest(cid, (tp,)),
                        handle_for([tp], False), lookup=leader_lookup(tp, what)) for tp in tps]
            yield Stage(keys, what, deadline)
            return keys
        topics = tuple(sorted({t for t, _ in tps}))

        def known(resp: P.MetadataResponse, b: int) -> Verdict:
            err = partitions_in(resp, tps, what)
            return (DONE, None) if err is None else (FAIL, err)
        check = Key("topic metadata", lambda cid: P.MetadataRequest(cid, topics), known)
        yield Stage([check], what, deadline)
        if check.error is not None:
            return [check]
        key = Key(f"broker {broker_id}", lambda cid: P.DescribeProducersRequest(cid, tuple(tps)),
                  handle_for(tps, True), broker=broker_id)
        yield Stage([key], what, deadline)
        return [key]

    # -- find-hanging (rule 5) ---------------------------------------------------------------------
    def find_hanging_transactions(self, topic: str | None = None, partition: int | None = None,
                                  broker_id: int | None = None,
                                  max_transaction_timeout_ms: int = FIFTEEN_MINUTES) -> KafkaFuture:
        """`kafka-transactions.sh find-hanging`: open transactions older than
        `max_transaction_timeout_ms` that their coordinator does not know (rule 5), as a future
        of [HangingTransaction]."""
        what = "find_hanging_transactions"
        if topic is None and broker_id is None:
            raise ValueError(f"{what} needs topic or broker_id (or both) to limit the search, as "
                             "find-hanging needs --topic or --broker-id")
        if partition is not None and topic is None:
            raise ValueError(f"{what}: partition needs topic (find-hanging's --partition requires --topic)")
        if topic is not None:
            check_name(what, "topic", topic)
        if partition is not None:
            check_int(what, "partition", partition)
        if broker_id is not None:
            self._check_broker(what, broker_id)
        check_int(what, "max_transaction_timeout_ms", max_transaction_timeout_ms)
        return self.launch(self._find_hanging(topic, partition, broker_id, max_transaction_timeout_ms, what), what)

    def _find_hanging(self, topic: str | None, partition: int | None, broker_id: int | None,
                      max_transaction_timeout_ms: int, what: str) -> Call:
        tps = yield from self._partitions_to_search(topic, partition, broker_id, what)
        if not tps:
            return []
        # step 1: open transactions whose last write is older than the limit
        keys = yield from self._producers(tps, broker_id, what, self.api_deadline())
        raise_first(keys)
        now = self.sim.now
        open_txns: list[tuple[TP, ProducerState]] = []
        for k in keys:
            for tp in sorted(k.value):
                for ps in k.value[tp]:
                    if ps.current_transaction_start_offset is not None \
                            and now - ps.last_timestamp > max_transaction_timeout_ms:
                        open_txns.append((tp, ps))
        if not open_txns:
            return []
        # step 2: their transactional ids
        pids = tuple(sorted({ps.producer_id for _, ps in open_txns}))
        listed = yield from self._list((), pids, -1, "", what, self.api_deadline())
        ids = {row.producer_id: row.transactional_id for row in listed if row.producer_id in pids}
        # step 3: what their coordinators say
        described: dict[str, TransactionDescription | None] = {}
        if ids:
            keys = yield from self._describe(sorted(set(ids.values())), what, self.api_deadline())
            for k in keys:
                if k.error is not None and k.error.args[0].name() != "TRANSACTIONAL_ID_NOT_FOUND":
                    raise k.error
                described[k.name] = k.value
        # step 4: hanging if nobody will write its marker
        hanging = []
        for tp, ps in open_txns:
            txn_id = ids.get(ps.producer_id)
            d = described.get(txn_id) if txn_id is not None else None
            if d is None or tp not in d.topic_partitions:
                hanging.append(HangingTransaction(tp[0], tp[1], ps.producer_id, ps.producer_epoch,
                                                  ps.coordinator_epoch, ps.current_transaction_start_offset,
                                                  ps.last_timestamp, now - ps.last_timestamp))
        return hanging

    def _partitions_to_search(self, topic: str | None, partition: int | None, broker_id: int | None,
                              what: str) -> Call:
        if topic is not None and partition is not None:
            return [(topic, partition)]

        def found(resp: P.MetadataResponse, b: int) -> Verdict:
            if topic is not None and topic not in resp.partitions:
                return (FAIL, KafkaException("UNKNOWN_TOPIC_OR_PART", f"{what}: unknown topic {topic!r}"))
            return (DONE, [st.tp for t in sorted(resp.partitions) for st in resp.partitions[t]
                           if broker_id is None or broker_id in st.replicas])
        key = Key("topic metadata", lambda cid: P.MetadataRequest(cid, None if topic is None else (topic,)), found)
        return (yield from self.ask(key, what))

    # -- abort (rule 6) -----------------------------------------------------------------------------
    def abort_transaction(self, topic: str, partition: int, start_offset: int) -> KafkaFuture:
        """`kafka-transactions.sh abort --topic --partition --start-offset`: write an ABORT
        marker for the open transaction that starts at `start_offset` (rule 6); a future of its
        AbortTransactionSpec."""
        what = "abort_transaction"
        tp = (check_name(what, "topic", topic), check_int(what, "partition", partition))
        check_int(what, "start_offset", start_offset)
        return self.launch(self._abort(tp, start_offset, what), what)

    def _abort(self, tp: TP, start_offset: int, what: str) -> Call:
        topic, partition = tp
        keys = yield from self._producers([tp], None, what, self.api_deadline())
        raise_first(keys)
        producers = keys[0].value[tp]
        found = [ps for ps in producers if ps.current_transaction_start_offset == start_offset]
        if not found:
            opened = [f"offset {ps.current_transaction_start_offset} (producer id {ps.producer_id})"
                      for ps in producers if ps.current_transaction_start_offset is not None]
            raise ValueError(f"{what}: no open transaction starts at offset {start_offset} of {topic}-{partition}; "
                             + (f"open transactions there start at {', '.join(opened)}" if opened
                                else "it has no open transaction"))
        ps = found[0]
        spec = AbortTransactionSpec(tp, ps.producer_id, ps.producer_epoch,
                                    ps.coordinator_epoch if ps.coordinator_epoch is not None else 0)

        def handle(resp: P.WriteTxnMarkersResponse, broker: int) -> Verdict:
            err = dict(resp.results).get(tp, "INVALID_REQUEST")
            if err is None:
                return (DONE, spec)
            if err in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PART"):
                return (LOOKUP, err)
            return (FAIL, KafkaException(err, f"{what}: writing the ABORT marker of {spec} failed: {err}"))
        marker = Key(f"{topic}-{partition}",
                     lambda cid: P.WriteTxnMarkersRequest(cid, producer_id=spec.producer_id,
                                                          producer_epoch=spec.producer_epoch, committed=False,
                                                          coordinator_epoch=spec.coordinator_epoch,
                                                          partitions=(tp,)),
                     handle, lookup=leader_lookup(tp, what))
        yield from self.ask(marker, what)
        return spec


def _producer_state(a: P.ActiveProducer) -> ProducerState:
    return ProducerState(a.producer_id, a.producer_epoch, a.last_sequence, a.last_timestamp,
                         a.coordinator_epoch if a.coordinator_epoch >= 0 else None,
                         a.current_txn_start_offset if a.current_txn_start_offset >= 0 else None)
