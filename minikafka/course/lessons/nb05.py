"""References for notebook 05, acks and durability.

Rules (Kafka's producer `acks` and topic `min.insync.replicas` documentation; the broker side is
Kafka's ReplicaManager and Partition.appendRecordsToLeader):
1. acks=0: the leader appends the record; the producer never hears back. acks=1: the leader
   appends it and answers at once. acks=all (-1): the leader appends it and answers once the
   high watermark (HW) passes it, i.e. once every *current ISR member of that partition* has it.
2. min.insync.replicas refuses only acks=all writes: when the ISR is smaller than the effective
   minimum, min(min.insync.replicas, replication factor), the leader answers
   NOT_ENOUGH_REPLICAS and writes nothing (the producer retries).
3. Kafka 3.7+: while the ISR is below the effective minimum the HW does not advance, so acks=0
   and acks=1 writes are appended (and acks=1 ones acknowledged) but no consumer sees them until
   the ISR grows back.
4. A crash schedule (`crash_schedule`): the followers stop fetching, one after the other; the
   leader crashes; the first follower in assignment order (still in the ISR) becomes leader, and
   everyone else truncates to its log. Acknowledged records that it lacks are lost, unless the
   producer waited for them (acks=all) and retried them on the new leader.
5. A durable configuration for replication factor 3 loses no acknowledged record when brokers
   crash one at a time (one machine may lose power), and keeps acknowledging writes while one
   broker is down: acks=all, min.insync.replicas=2, unclean.leader.election.enable=false.
"""
from __future__ import annotations

import textwrap
from typing import Any, Sequence

from minikafka.clients.message import TopicPartition
from minikafka.cluster import Cluster
from minikafka.server.replication import effective_min_isr

WIDTH = 100                                     # columns of a notebook's text output


def fit(text: str, width: int = WIDTH, indent: int = 4) -> str:
    """`text` with every line longer than `width` wrapped at spaces (field boundaries), its
    continuation lines indented by `indent` more than the line's own indentation, so tables
    and traces printed in notebooks 05-08 fit 100 columns."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = " " * (len(line) - len(line.lstrip()) + indent)
        out += textwrap.wrap(line, width, subsequent_indent=lead, break_long_words=False,
                             break_on_hyphens=False, drop_whitespace=True)
    return "\n".join(out)


# what the producer sees (rule 1, 2)
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"     # refused: nothing written
ACK_AFTER_ISR = "ACK_AFTER_ISR"                 # written; acknowledged once every ISR member has it
ACK_ON_APPEND = "ACK_ON_APPEND"                 # written; acknowledged by the leader at once
NO_ACK = "NO_ACK"                               # written; no answer ever comes


def produce_outcome(acks: str, isr_size: int, min_insync: int, replication_factor: int = 3) -> tuple[str, bool]:
    """(what the producer sees, whether consumers can read the record while the ISR stays as it
    is) for one record sent to a partition whose leader is up (rules 1-3)."""
    acks = str(acks)
    enough = isr_size >= effective_min_isr(min_insync, replication_factor)
    if acks in ("all", "-1"):
        return (ACK_AFTER_ISR, True) if enough else (NOT_ENOUGH_REPLICAS, False)
    if acks == "1":
        return ACK_ON_APPEND, enough
    if acks == "0":
        return NO_ACK, enough
    raise ValueError(f"acks must be '0', '1', 'all' or '-1', got {acks!r}")


# -- rule 4: predict, then run ---------------------------------------------------------------
def acked_then_lost(acks: str, records: int, fetched: Sequence[int]) -> list[int]:
    """The record numbers acknowledged to the producer and missing at the end of
    `crash_schedule(acks, records, fetched)` (rule 4), in order."""
    if str(acks) in ("all", "-1"):
        return []                    # acknowledged only what every ISR member had; the rest retried
    return list(range(min(fetched[0], records), records))


def crash_schedule(acks: str, records: int, fetched: Sequence[int], seed: int = 1) -> tuple[Cluster, dict[str, Any]]:
    """Run rule 4's schedule and return the cluster and what happened.

    3 brokers, one partition with 3 replicas, min.insync.replicas=2, unclean election off. A
    producer with `acks` writes records "0", "1", ... one every 10 ms. The link between the
    leader and the i-th follower (in assignment order) is cut just before record `fetched[i]`,
    so that follower holds records 0..fetched[i]-1. Then the leader's process crashes; after
    broker.session.timeout.ms the controller elects a new leader. The links heal, the old
    leader restarts, the producer flushes (retrying what was not acknowledged) and a consumer
    reads the partition from the start."""
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3, config={"min.insync.replicas": 2})
    st = c.partition_state("t", 0)
    leader = st.leader
    followers = [r.broker for r in st.replicas if r.broker != leader]
    acked: list[int] = []
    p = c.producer({"acks": acks, "linger.ms": 0})
    for i in range(records):
        for follower, n in zip(followers, fetched, strict=True):
            if n == i:
                c.cut(leader, follower)
        p.produce("t", value=b"%d" % i,
                  on_delivery=lambda err, msg: err is None and acked.append(int(msg.value())))
        c.run(10)
    c.run(100)
    before = c.log("t", 0)
    c.crash_broker(leader)
    c.run(c.config["broker.session.timeout.ms"] + 1000)
    c.heal_all()
    c.restart_broker(leader)
    p.flush()
    c.run(5000)
    k = c.consumer({"auto.offset.reset": "earliest"})
    k.assign([TopicPartition("t", 0)])
    seen: set[int] = set()
    while True:
        got = k.consume(100, 0.5)
        if not got:
            break
        seen.update(int(m.value()) for m in got if m.error() is None)
    k.close()
    return c, {"leader": leader, "followers": tuple(followers), "log_before": before,
               "acked": sorted(acked), "seen": sorted(seen),
               "lost": sorted(set(acked) - seen)}


def simulated_acked_then_lost(acks: str, records: int, fetched: Sequence[int]) -> list[int]:
    """What `crash_schedule` really loses (the check's oracle for exercise 5.2)."""
    return crash_schedule(acks, records, fetched)[1]["lost"]


# -- rule 5: a durable configuration ----------------------------------------------------------
def durable_config() -> dict[str, Any]:
    """A topic and producer configuration meeting rule 5's requirement."""
    return {"acks": "all", "min.insync.replicas": 2, "unclean.leader.election.enable": False}


CONFIG_KEYS = ("acks", "min.insync.replicas", "unclean.leader.election.enable")


def config_problem(config: Any) -> str | None:
    """Why `config` is not a usable configuration for rule 5, or None."""
    if not isinstance(config, dict):
        return f"{config!r} ({type(config).__name__}), not a dict"
    unknown = sorted(str(k) for k in config if k not in CONFIG_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r}; the keys are {', '.join(CONFIG_KEYS)}"
    missing = [k for k in CONFIG_KEYS if k not in config]
    if missing:
        return f"missing key {missing[0]!r}"
    acks, min_isr, unclean = (config[k] for k in CONFIG_KEYS)
    if isinstance(acks, bool) or str(acks) not in ("0", "1", "all", "-1"):
        return f"acks={acks!r}: use '0', '1' or 'all'"
    if isinstance(min_isr, bool) or not isinstance(min_isr, int) or not 1 <= min_isr <= 3:
        return f"min.insync.replicas={min_isr!r}: use an integer from 1 to 3"
    if not isinstance(unclean, bool):
        return f"unclean.leader.election.enable={unclean!r}: use True or False"
    return None


def trial_setting(config: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `experiments.acks_trial` for a valid config."""
    return {"acks": "all" if str(config["acks"]) == "-1" else str(config["acks"]),
            "min_insync": config["min.insync.replicas"], "unclean": config["unclean.leader.election.enable"]}


def writes_with_one_broker_down(config: dict[str, Any], records: int = 5, seed: int = 1) -> tuple[int, str]:
    """(records acknowledged within 2 s, the first error seen) when one follower has been down
    long enough to be fenced and dropped from the ISR."""
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3,
                   config={"min.insync.replicas": config["min.insync.replicas"],
                           "unclean.leader.election.enable": config["unclean.leader.election.enable"]})
    st = c.partition_state("t", 0)
    c.crash_broker(next(r.broker for r in st.replicas if r.broker != st.leader))
    c.run(c.config["broker.session.timeout.ms"] + 1000)
    p = c.producer({"acks": config["acks"], "linger.ms": 0})
    acked = []
    for i in range(records):
        p.produce("t", value=b"%d" % i, on_delivery=lambda err, msg: err is None and acked.append(msg))
    c.run(2000)
    p.poll(0)
    rejects = c.trace.filter(name="produce.reject")
    return len(acked), (str(rejects[0].fields.get("error")) if rejects else "")
