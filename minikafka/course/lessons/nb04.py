"""References for notebook 04, replication: where a returning replica truncates its log.

Rules (KIP-101, refined by KIP-279; Kafka's LeaderEpochFileCache and AbstractFetcherThread):
1. Every replica keeps a leader-epoch cache: (leader epoch, start offset) pairs, ascending. An
   epoch covers the offsets from its start offset up to the start offset of the next epoch in
   the cache, or up to the log end offset (LEO) for the last one.
2. OffsetsForLeaderEpoch: asked about epoch E, a log answers with the largest epoch E' <= E in
   its cache and where E' ends in it (the next epoch's start offset, or its LEO); (-1, -1) when
   it has no epoch <= E (`PartitionLog.end_offset_for_epoch`).
3. A follower (for example a former leader coming back) asks the leader about the last epoch in
   its cache. The leader answers (E', end) by rule 2, and the follower truncates to
   min(end, where E' ends in the follower's own log, or its LEO if it has no epoch <= E'),
   forgetting the epochs that started at or after that offset. It asks again with its new
   last epoch, until an answer removes nothing. (If the leader has no epoch that old, the
   follower keeps only what precedes the leader's first epoch.)
4. When both logs begin in the same epoch, the result is the end of the longest prefix on
   which both logs hold the same epochs, offset by offset: two records with the same offset
   and the same leader epoch are the same record, because one epoch has one leader.
5. Exercise 4.2 is judged by the simulator: `truncation_cases` plays seeded histories of
   leader crashes with acks=1 and cut links, and records, each time a crashed replica comes
   back, both epoch caches and where the returning replica really truncated.
6. Eligible leader replicas (KIP-966; the controller's partition_change.py rule 3), unclean
   election off: the first replica in assignment order that is live and in the ISR, or, when
   the ISR is empty, in the ELR; with the ISR and the ELR both empty, the last known leader if
   it is live; else nobody (-1).
"""
from __future__ import annotations

import random
from typing import Sequence

from minikafka.cluster import Cluster
from minikafka.storage.log import PartitionLog


def epoch_end_offset(epochs: Sequence[tuple[int, int]], log_end_offset: int, epoch: int) -> tuple[int, int]:
    """Rule 2 on a log given by its epoch cache and LEO: (largest epoch <= `epoch`, its end offset)."""
    log = PartitionLog()
    log.epochs = [(int(e), int(start)) for e, start in epochs]
    log.log_end_offset = log_end_offset
    return log.end_offset_for_epoch(epoch)


def truncation_offset(leader_epochs: Sequence[tuple[int, int]], leader_leo: int,
                      follower_epochs: Sequence[tuple[int, int]], follower_leo: int) -> int:
    """The offset a follower truncates its log to before it copies the leader again (rule 3);
    its LEO when nothing is removed."""
    epochs, leo = [tuple(e) for e in follower_epochs], follower_leo
    while epochs:
        epoch, leader_end = epoch_end_offset(leader_epochs, leader_leo, epochs[-1][0])
        if epoch < 0:
            target = leader_epochs[0][1] if leader_epochs else 0
        else:
            mine, my_end = epoch_end_offset(epochs, leo, epoch)
            target = min(leader_end, my_end if mine >= 0 else leo)
        if target >= leo:
            return leo
        leo = target
        epochs = [(e, start) for e, start in epochs if start < leo]
    return leo


def epoch_cache(cluster: Cluster, topic: str, partition: int, broker: int) -> tuple[list[tuple[int, int]], int]:
    """(leader-epoch cache, LEO) of one broker's replica, read from a running cluster: the
    arguments `truncation_offset` takes for that replica."""
    r = cluster.broker(broker).replicas[(topic, partition)]
    return list(r.log.epochs), r.log.log_end_offset


TruncationCase = tuple[list[tuple[int, int]], int, list[tuple[int, int]], int, int]


def _return(c: Cluster, broker: int) -> TruncationCase:
    """Restart `broker`; (leader cache, leader LEO, its cache, its LEO, the offset it truncated
    to, or its LEO if it removed nothing)."""
    leader = c.partition_state("t", 0).leader
    case = (*epoch_cache(c, "t", 0, leader), *epoch_cache(c, "t", 0, broker))
    start = c.now
    c.restart_broker(broker)
    c.run(3_000)
    cuts = [e.fields["to"] for e in c.trace.filter(name="truncate", node=f"b{broker}", since=start)]
    return (*case, min(cuts, default=case[3]))


def truncation_cases(seed: int, rounds: int = 5) -> list[TruncationCase]:
    """Rule 5: one seeded history of 3 brokers. Each round the leader writes a few records its
    followers copy, then a few more while the links to its followers are cut one by one (acks=1
    acknowledges them anyway), and crashes; a follower takes over in the next epoch. Crashed
    brokers come back at random (one always does when only one broker is up), and each return
    is one case. In odd seeds unclean election is on, and a broker may come back cut off from
    the others, keep its diverging log, and be elected when the leader crashes next."""
    rng = random.Random(seed)
    unclean = seed % 2 == 1
    c = Cluster(brokers=3, seed=seed)
    c.create_topic("t", partitions=1, replication_factor=3,
                   config={"min.insync.replicas": 1, "unclean.leader.election.enable": unclean})
    p = c.producer({"acks": "1", "linger.ms": 0})
    down: list[int] = []
    cases = []
    for _ in range(rounds):
        for b in list(down):
            if unclean and len(down) == 2 and rng.random() < 0.5:
                c.restart_broker(b)             # back, but it cannot fetch: its log still diverges
                for other in (1, 2, 3):
                    if other != b:
                        c.cut(b, other)
                down.remove(b)
            elif rng.random() < 0.6 or len(down) == 2:
                cases.append(_return(c, b))
                down.remove(b)
        leader = c.partition_state("t", 0).leader
        if leader < 0:
            break
        followers = [r.broker for r in c.partition_state("t", 0).replicas if r.broker not in (leader, *down)]
        for _ in range(rng.randrange(0, 3)):
            p.produce("t", value=b"copied")
        p.flush()
        c.run(200)
        alone = rng.randrange(0, 4)
        cut_before = {f: rng.randrange(0, alone + 1) for f in followers}
        for i in range(alone + 1):
            for f in followers:
                if cut_before[f] == i:
                    c.cut(leader, f)
            if i < alone:
                p.produce("t", value=b"maybe lost")
                p.flush()
                c.run(20)
        c.crash_broker(leader)
        down.append(leader)
        c.run(10_000)
        c.heal_all()
    return cases


def elr_leader(replicas: Sequence[int], isr: Sequence[int], elr: Sequence[int], last_known_leader: int,
               live: Sequence[int]) -> int:
    """Rule 6: the leader the controller elects, or -1."""
    pool = isr if isr else elr
    for r in replicas:
        if r in pool and r in live:
            return r
    if not isr and not elr and last_known_leader >= 0 and last_known_leader in live:
        return last_known_leader
    return -1

