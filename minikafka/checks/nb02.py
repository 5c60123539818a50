"""Checks of notebook 02, partitions and keys."""
from __future__ import annotations

import random
from typing import Callable

from ..partitioner import partition_for_key
from . import run


def ex2_1(fn: Callable[[bytes, int], int]) -> None:
    """partition_for_key(key, num_partitions) against Kafka's murmur2 partitioner."""
    rng = random.Random("ex2_1")
    keys = [b"alice", b"bob", b"", b"user-42", b"\xff\x00\x80"] + \
        [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) for _ in range(35)]
    cases = [((k, n), f"key={k!r}, num_partitions={n}") for k, n in zip(keys, [rng.choice([1, 2, 3, 6, 7, 12, 100])
                                                                          for _ in keys], strict=True)]
    run("2_1", fn, partition_for_key, cases)
