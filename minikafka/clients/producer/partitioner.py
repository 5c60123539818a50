"""Choosing a partition for a record (kafka-semantics.md B.8-B.12).

Rules:
1. An explicit partition wins.
2. A non-null key (unless `partitioner.ignore.keys`) goes to
   `toPositive(murmur2(key)) % numPartitions`, where toPositive is `x & 0x7fffffff` (not abs)
   and numPartitions counts every partition, with or without a leader.
3. A null key uses the uniform sticky partitioner (KIP-794): stay on one partition until
   `batch.size` bytes went to it; the switch waits while that partition holds a non-full
   batch, but is forced at 2 x batch.size; the next partition is chosen at random among
   partitions that have a leader (possibly the same one again). This is Kafka's partitioner
   with `partitioner.adaptive.partitioning.enable=false`: adaptive partitioning (Kafka's
   default, which favours partitions with shorter queues) is not modelled, and the producer
   refuses that key and `partitioner.availability.timeout.ms`.
"""
from __future__ import annotations

import random
from typing import Sequence

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (Utils.murmur2) of `data`, as a signed 32-bit int."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length - (length & 3)
    for i in range(0, end, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    tail = length & 3
    if tail == 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail >= 1:
        h ^= data[end]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def to_positive(n: int) -> int:
    """Kafka's Utils.toPositive: clear the sign bit (not abs)."""
    return n & 0x7FFFFFFF


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a non-null key."""
    if num_partitions <= 0:
        raise ValueError(f"num_partitions must be >= 1, got {num_partitions}")
    return to_positive(murmur2(key)) % num_partitions


class StickyPartitioner:
    """The uniform sticky partitioner's per-topic state (BuiltInPartitioner)."""

    def __init__(self, rng: random.Random, batch_size: int) -> None:
        self.rng = rng
        self.batch_size = max(batch_size, 1)
        self.current: dict[str, int] = {}        # topic -> sticky partition
        self.produced: dict[str, int] = {}       # topic -> bytes sent to it since the switch

    def partition(self, topic: str, available: Sequence[int], num_partitions: int) -> int:
        p = self.current.get(topic)
        if p is None or p >= num_partitions:
            p = self._next(topic, available, num_partitions)
        return p

    def on_append(self, topic: str, nbytes: int, enable_switch: bool,
                  available: Sequence[int], num_partitions: int) -> None:
        """Account `nbytes` appended to the sticky partition; maybe move to the next one.
        `enable_switch` is False while the partition's last batch is open and not full."""
        produced = self.produced.get(topic, 0) + nbytes
        self.produced[topic] = produced
        if (produced >= self.batch_size and enable_switch) or produced >= 2 * self.batch_size:
            self._next(topic, available, num_partitions)

    def _next(self, topic: str, available: Sequence[int], num_partitions: int) -> int:
        choices = available if available else range(num_partitions)
        p = choices[self.rng.randrange(len(choices))]
        self.current[topic] = p
        self.produced[topic] = 0
        return p
