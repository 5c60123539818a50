"""References for notebook 02, partitions and keys: what adding partitions does to keys.

Rules (kafka-semantics.md B.9, B.10):
1. A keyed record goes to `toPositive(murmur2(key)) % numPartitions` (partitioner.py), so the
   partition of a key depends on the partition count.
2. Adding partitions (CreatePartitions) changes the count: from then on a key may hash to
   another partition. Records already written stay where they are; Kafka never moves them.
"""
from __future__ import annotations

from typing import Sequence

from minikafka.clients.producer.partitioner import partition_for_key


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
