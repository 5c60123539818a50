"""Exercises 2.1-2.3 (notebook 02, partitions and keys): Kafka's default partitioner for keyed
records, which keys move when partitions are added, and murmur2 itself."""
from __future__ import annotations

from typing import Sequence

from minikafka import murmur2  # noqa: F401  (you will want it)

from . import exercise


@exercise("2.1", reference="minikafka.clients.producer.partitioner:partition_for_key")
def partition_for_key(key: bytes, num_partitions: int) -> int:
    """Return the partition Kafka's default partitioner picks for a record with this non-null
    key, out of `num_partitions` (0 to num_partitions - 1).

    The rule: the Java producer's BuiltInPartitioner.partitionForKey, which uses Kafka's
    `Utils.murmur2` (given here as `murmur2`) and `Utils.toPositive`. Read how toPositive
    makes a hash non-negative: Python's abs() does not do the same.

    >>> partition_for_key(b"alice", 6)   # the same key always lands on the same partition
    """
    raise NotImplementedError("Exercise 2.1 (exercises/ex02_partitions.py)")


@exercise("2.2", reference="minikafka.course.lessons.nb02:keys_that_move")
def keys_that_move(keys: Sequence[bytes], old_count: int, new_count: int) -> dict[bytes, tuple[int, int]]:
    """Predict which keys land on another partition once a topic grows from `old_count` to
    `new_count` partitions; the check writes the keys to a topic in the simulator before and
    after `create_partitions` and compares.

    keys: record keys (bytes), as a producer sends them. old_count, new_count: the partition
    count before and after `create_partitions`.

    Return a dict key -> (old partition, new partition) with only the keys whose partition
    changes, in the order of `keys`; a key that stays where it was is left out. The rule:
    Kafka's default partitioner for keyed records (exercise 2.1; `minikafka.partition_for_key`
    is the reference), and Kafka never moves a record already written.

    >>> keys_that_move([b"alice", b"carol"], 3, 4)   # carol stays on partition 2
    {b'alice': (0, 1)}
    """
    raise NotImplementedError("Exercise 2.2 (exercises/ex02_partitions.py)")


@exercise("2.3", reference="minikafka.clients.producer.partitioner:murmur2")
def murmur2_port(data: bytes) -> int:
    """Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2), ported to Python.

    Return the hash of `data` as Java returns it: a signed 32-bit int. The algorithm, with
    every step done modulo 2**32 (Java ints wrap around; Python ints do not, so mask with
    `& 0xFFFFFFFF` after each multiplication), and Java's `>>>` as a shift of that unsigned value:

        m = 0x5bd1e995, r = 24, h = 0x9747b28c ^ len(data)
        for each whole 4-byte word k (little-endian: data[i] | data[i+1] << 8 | ...):
            k *= m; k ^= k >>> r; k *= m; h *= m; h ^= k
        the 1-3 bytes left over, from end = len(data) - len(data) % 4 (fall through, as in
        Java's switch):
            3 left: h ^= data[end + 2] << 16
            2 or 3: h ^= data[end + 1] << 8
            1 to 3: h ^= data[end]; h *= m
        h ^= h >>> 13; h *= m; h ^= h >>> 15
        as a signed int: h - 2**32 when h >= 2**31

    >>> murmur2_port(b"21")    # a test vector from Kafka's own UtilsTest
    -973932308
    """
    raise NotImplementedError("Exercise 2.3 (exercises/ex02_partitions.py)")
