"""References for notebook 04, replication: where a returning replica truncates its log.

Rules (kafka-semantics.md D.27; KIP-101, refined by KIP-279):
1. Every replica keeps a leader-epoch cache: (leader epoch, start offset) pairs, ascending. An
   epoch covers the offsets from its start offset up to the start offset of the next epoch in
   the cache, or up to the log end offset (LEO) for the last one.
2. OffsetsForLeaderEpoch: asked about epoch E, a log answers with the largest epoch E' <= E in
   its cache and where E' ends in it (the next epoch's start offset, or its LEO); (-1, -1) when
   it has no epoch <= E (`PartitionLog.end_offset_for_epoch`).
3. A follower (for example a former leader coming back) asks the leader about the last epoch in
   its cache. The leader answers (E', end) by rule 2, and the follower truncates to
   min(end, where E' ends in the follower's own log), forgetting the epochs that started at or
   after that offset. It asks again with its new last epoch, until an answer removes nothing.
   (If the leader has no epoch that old, the follower keeps only what precedes the leader's
   first epoch.)
4. The result is the end of the longest prefix on which both logs hold the same epochs, offset
   by offset: two records with the same offset and the same leader epoch are the same record,
   because one epoch has one leader.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from minikafka.storage.log import PartitionLog

if TYPE_CHECKING:
    from minikafka.cluster import Cluster


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
            target = min(leader_end, epoch_end_offset(epochs, leo, epoch)[1])
        if target >= leo:
            return leo
        leo = target
        epochs = [(e, start) for e, start in epochs if start < leo]
    return leo


def epoch_cache(cluster: "Cluster", topic: str, partition: int, broker: int) -> tuple[list[tuple[int, int]], int]:
    """(leader-epoch cache, LEO) of one broker's replica, read from a running cluster: the
    arguments `truncation_offset` takes for that replica."""
    r = cluster.broker(broker).replicas[(topic, partition)]
    return list(r.log.epochs), r.log.log_end_offset
