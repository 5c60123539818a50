"""References for notebook 06, ordering and retries.

Rules (Kafka's producer documentation for `retries`, `max.in.flight.requests.per.connection` and
`enable.idempotence`; the producer side is Kafka's RecordAccumulator.reenqueue and Sender):
1. A lost request or response breaks the producer's TCP connection to that broker: every
   request in flight on it fails (NETWORK_EXCEPTION), whichever one the network lost.
2. Without idempotence, each failed batch goes back to the *front* of its partition's queue,
   one after the other in the order they were sent (Kafka's `reenqueue`, addFirst): the last
   one sent ends up first, so the retries go out reversed. A lost *response* means the broker
   had written the batches already: the retries write them again (duplicates).
3. With idempotence, retried batches go back in sequence order, and the broker refuses a batch
   that does not follow the last sequence it wrote (OUT_OF_ORDER_SEQUENCE_NUMBER); a resent
   batch it already wrote is acknowledged, not written again.
4. retries=0: a failed batch is reported failed and never resent (at-most-once).
5. With max.in.flight.requests.per.connection=1 only one request is ever out, so nothing can
   overtake a retry.
6. Idempotence left unset is silently turned off by acks != all or retries=0 (KAFKA-13673);
   acks=0 gets no response, so nothing is ever retried. Reordering by retries therefore needs:
   idempotence (effectively) off, acks 1 or all, retries > 0, and more than one request in
   flight. `reorder_schedule` shows it: three requests in flight, the first one lost.
7. A consumer reading several partitions gets each partition in offset order and no order
   across them. An application that needs order across partitions puts a sequence number in
   each record and releases records per key in sequence order (a reorder buffer).
"""
from __future__ import annotations

import re
from typing import Any, Hashable, Iterable, Mapping, Sequence

from minikafka.cluster import Cluster
from minikafka.config import MAX_INT
from minikafka.course.lessons.nb05 import WIDTH, fit
from minikafka.viz.sequence import Arrow, sequence_view

TRAFFIC = ("ProduceRequest", "ProduceResponse", "produce.retry", "produce.duplicate", "producer_id",
           "producer.epoch_bump", "isr.expand", "client.crash")


# -- a narrow view of the produce traffic, for notebooks 06 and 07 -----------------------------
def traffic(cluster: Cluster, nodes: Iterable[str | int], since: int = 0, names: Iterable[str] = TRAFFIC,
            arrival: bool = False) -> str:
    """`viz.sequence_table`, narrowed to fit a notebook: one line per message or state change
    since `since` between `nodes`, with its send time (and, with `arrival`, `->` its arrival
    time); a request's constant `acks` field is left out, a lost message says LOST and why, and
    a retry is one short phrase. Lines longer than 100 columns wrap at field boundaries."""
    v = sequence_view(cluster.trace, nodes, names, since, None, True, 60)
    lines = []
    for it in v.items:
        if isinstance(it, Arrow):
            what = re.sub(r"\backs=\S+ ", "", f"{it.name} {it.fields}".rstrip())
            lost = f"  LOST ({it.dropped})" if it.dropped else ""
            end = "" if not arrival else "->" + ("..." if it.dropped or it.end_time is None else str(it.end_time))
            lines.append(_row(f"{it.send_time:>6}{end:<8}" if arrival else f"{it.send_time:>6}",
                              f"{it.src + ' -> ' + it.dst:<18}", what + lost))
            continue
        if it.name == "produce.retry":
            f = cluster.trace[it.seq].fields
            what = f"retry #{f['attempt']} in {f['backoff']} ms, after {f['error']}"
        else:
            what = f"{it.name} {it.fields}".rstrip()
        lines.append(_row(f"{it.time:>6}" + (" " * 8 if arrival else ""), f"{it.node:<18}", "* " + what))
    return "\n".join(lines)


def _row(when: str, where: str, what: str) -> str:
    """One line of `traffic`, wrapped so that continuation lines start under `what`."""
    head = f"{when}  {where} "
    return fit(head + what, WIDTH, indent=len(head) + 2 - (len(head) - len(head.lstrip())))


# -- rule 7: a consumer-side reorder buffer --------------------------------------------------
def reorder(records: Sequence[tuple[Hashable, int, Any]]) -> list[tuple[Hashable, int, Any]]:
    """Release (key, seq, value) records per key in sequence order (rule 7).

    Each key's sequence starts at 0. A record is released as soon as its key's lower sequences
    have all been released; one that arrives early waits, and when the gap fills the waiting
    records of that key follow at once, in sequence order. A sequence already released or
    already waiting is a duplicate and is dropped. Records still waiting at the end are not
    returned."""
    next_seq: dict[Hashable, int] = {}
    waiting: dict[Hashable, dict[int, tuple[Hashable, int, Any]]] = {}
    out: list[tuple[Hashable, int, Any]] = []
    for record in records:
        key, seq, _ = record
        expected = next_seq.get(key, 0)
        held = waiting.setdefault(key, {})
        if seq < expected or seq in held:
            continue
        held[seq] = record
        while expected in held:
            out.append(held.pop(expected))
            expected += 1
        next_seq[key] = expected
    return out


# -- rules 1-5: predict, then run ------------------------------------------------------------
def log_after_loss(records: int, max_in_flight: int, idempotent: bool, lost: str,
                   retries: int = MAX_INT) -> list[int]:
    """The record numbers in the partition, in offset order, after `loss_schedule` (rules 1-5).

    Records 0..records-1 are produced at the same moment: the first `max_in_flight` go out as
    one request each, the rest wait in one batch. `lost` is "none", "request" (the first
    request is lost) or "response" (its response is lost)."""
    first = list(range(min(records, max_in_flight)))      # one request each, in flight together
    rest = list(range(len(first), records))               # one batch, sent after them
    if lost == "none":
        return first + rest
    retried = [] if retries == 0 else (first if idempotent else first[::-1])
    if lost == "request":                                 # none of them was written
        return retried + rest
    if lost == "response":                                # all of them were written
        return first + ([] if idempotent else retried) + rest
    raise ValueError(f"lost must be 'none', 'request' or 'response', got {lost!r}")


def loss_schedule(records: int, max_in_flight: int, idempotent: bool, lost: str, retries: int = MAX_INT,
                  seed: int = 5) -> tuple[Cluster, dict[str, Any]]:
    """Run the schedule of `log_after_loss` and return the cluster and what happened:
    "log" (record numbers in offset order) and "failed" (records reported failed).

    3 brokers, topic "t" with one partition, 3 replicas, min.insync.replicas=2. The producer
    (acks=all, linger.ms=0, the given enable.idempotence, max.in.flight and retries) first
    writes one warm-up record, which is not counted (it fetches metadata and, with
    idempotence, its producer id)."""
    if lost not in ("none", "request", "response"):
        raise ValueError(f"lost must be 'none', 'request' or 'response', got {lost!r}")
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({"acks": "all", "linger.ms": 0, "enable.idempotence": idempotent,
                    "max.in.flight.requests.per.connection": max_in_flight, "retries": retries})
    p.produce("t", value=b"warm-up")
    p.flush()
    c.run(20)
    if lost != "none":
        c.drop("ProduceRequest" if lost == "request" else "ProduceResponse", count=1)
    failed: list[int] = []

    def report(err: Any, msg: Any) -> None:
        if err is not None:
            failed.append(int(msg.value()))

    for i in range(records):
        p.produce("t", value=b"%d" % i, on_delivery=report)
        c.run(0)                        # sent at once while a request slot is free
    p.flush()
    c.clear_rules()
    log = [int(v) for _, _, v in c.log("t", 0)[1:]]
    return c, {"log": log, "failed": sorted(failed)}


def simulated_log_after_loss(records: int, max_in_flight: int, idempotent: bool, lost: str,
                             retries: int = MAX_INT) -> list[int]:
    """What the simulator writes for the schedule (the oracle of exercise 6.2)."""
    return loss_schedule(records, max_in_flight, idempotent, lost, retries)[1]["log"]


# -- rule 6: which configurations can reorder ------------------------------------------------
def can_reorder(config: Mapping[str, Any]) -> bool:
    """Does `reorder_schedule(config)` leave the partition out of send order (rule 6)? Absent
    keys take Kafka 4.x defaults; the config is one Kafka accepts."""
    acks = str(config.get("acks", "all")).lower()
    acks = "all" if acks == "-1" else acks
    retries = int(config.get("retries", MAX_INT))
    in_flight = int(config.get("max.in.flight.requests.per.connection", 5))
    if "enable.idempotence" in config:
        idempotent = str(config["enable.idempotence"]).lower() == "true"
    else:
        idempotent = acks == "all" and retries != 0
    return not idempotent and acks != "0" and retries > 0 and in_flight > 1


def lose_the_third_of_five(c: Cluster, p: Any, topic: str = "t", label: str = "") -> int:
    """Rule 6's schedule on `c`'s `topic` (one partition) with producer `p` (linger.ms=0): records
    0 and 1 land; then 2, 3 and 4 go out as three requests at the same moment and the network
    loses the first of them (over TCP the others on that connection are lost with it). Values
    are `label` + the record's number. Returns the virtual time just before the loss."""
    for i in (0, 1):
        p.produce(topic, value=f"{label}{i}".encode())
        c.run(0)
    c.run(20)
    start = c.now
    c.drop("ProduceRequest", count=1)
    for i in (2, 3, 4):
        p.produce(topic, value=f"{label}{i}".encode())
        c.run(0)                        # sent at once while a request slot is free
    p.flush()
    return start


def reorder_schedule(config: Mapping[str, Any], seed: int = 5) -> tuple[Cluster, list[int]]:
    """Rule 6's experiment: the producer (linger.ms=0 and `config`) writes records 0 and 1,
    then produces 2, 3 and 4 at the same moment, and the network loses the first
    ProduceRequest that goes out after record 1. Returns the cluster and the record numbers
    in the partition, in offset order. 3 brokers, one partition with 3 replicas,
    min.insync.replicas=2."""
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    p = c.producer({**config, "linger.ms": 0})
    lose_the_third_of_five(c, p)
    return c, [int(v) for _, _, v in c.log("t", 0)]


def simulated_can_reorder(config: Mapping[str, Any]) -> bool:
    """Whether the partition of `reorder_schedule(config)` holds a record after a later one
    (the oracle of exercise 6.3)."""
    log = reorder_schedule(config)[1]
    return any(a > b for a, b in zip(log, log[1:]))
