"""References for notebook 02, partitions and keys: what adding partitions does to keys.

Rules (Kafka's BuiltInPartitioner and Utils.toPositive; KIP-195, CreatePartitions):
1. A keyed record goes to `toPositive(murmur2(key)) % numPartitions` (partitioner.py), so the
   partition of a key depends on the partition count.
2. Adding partitions (CreatePartitions) changes the count: from then on a key may hash to
   another partition. Records already written stay where they are; Kafka never moves them.
3. Exercise 2.2 is judged by the simulator: `simulated_keys_that_move` writes each key before
   and after `create_partitions` and looks where its records landed.
"""
from __future__ import annotations

from typing import Sequence

from minikafka.clients.producer.partitioner import partition_for_key
from minikafka.cluster import Cluster


def keys_that_move(keys: Sequence[bytes], old_count: int, new_count: int) -> dict[bytes, tuple[int, int]]:
    """The keys whose partition changes when a topic goes from `old_count` to `new_count`
    partitions (rule 2): key -> (old partition, new partition), in the order of `keys`; a key
    that keeps its partition is left out."""
    moved: dict[bytes, tuple[int, int]] = {}
    for key in keys:
        old, new = partition_for_key(key, old_count), partition_for_key(key, new_count)
        if old != new:
            moved[key] = (old, new)
    return moved


def _partitions_written(cluster: Cluster, keys: Sequence[bytes]) -> dict[bytes, int]:
    """key -> the partition a fresh producer's delivery report gives for a record with it."""
    where: dict[bytes, int] = {}
    p = cluster.producer({"linger.ms": 0})
    for key in keys:
        p.produce("t", key=key, value=b"v", on_delivery=lambda err, msg: where.update({msg.key(): msg.partition()}))
    p.flush()
    return where


def simulated_keys_that_move(keys: Sequence[bytes], old_count: int, new_count: int) -> dict[bytes, tuple[int, int]]:
    """What the simulator does (rule 3): a topic with `old_count` partitions gets a record per
    key, grows to `new_count`, and a new producer (fresh metadata) writes each key again."""
    c = Cluster(brokers=1, seed=1)
    c.create_topic("t", partitions=old_count, replication_factor=1)
    before = _partitions_written(c, keys)
    if new_count != old_count:
        c.create_partitions("t", new_count)
    after = _partitions_written(c, keys)
    return {key: (before[key], after[key]) for key in dict.fromkeys(keys) if before[key] != after[key]}
