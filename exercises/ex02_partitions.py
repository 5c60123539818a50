"""Exercise 2.1 (notebook 02, partitions and keys): Kafka's default partitioner for keyed records."""
from __future__ import annotations

from minikafka import murmur2  # noqa: F401  (you will want it)

from . import exercise


@exercise("2.1", reference="minikafka.partitioner:partition_for_key")
def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a record with this (non-null) key.

    Kafka computes murmur2 of the key bytes (a signed 32-bit int; `murmur2` is given), makes it
    non-negative by clearing the sign bit (`& 0x7fffffff`, not abs()), and takes it modulo the
    number of partitions.

    >>> partition_for_key(b"alice", 6)   # the same key always lands on the same partition
    """
    raise NotImplementedError("Exercise 2.1: partition_for_key (exercises/ex02_partitions.py)")
