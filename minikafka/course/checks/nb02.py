"""Checks of notebook 02, partitions and keys."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.clients.producer.partitioner import murmur2, partition_for_key
from minikafka.course.checks import run
from minikafka.course.lessons.nb02 import simulated_keys_that_move

# Kafka's own test vectors for murmur2 (UtilsTest.testMurmur2 in apache/kafka)
KAFKA_MURMUR2_VECTORS = (
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
)


def ex2_1(fn: Callable[[bytes, int], int]) -> None:
    """partition_for_key(key, num_partitions) against Kafka's murmur2 partitioner."""
    rng = random.Random("ex2_1")
    keys = [b"alice", b"bob", b"", b"user-42", b"\xff\x00\x80"] + \
        [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) for _ in range(35)]
    cases = [((k, n), f"key={k!r}, num_partitions={n}") for k, n in zip(keys, [rng.choice([1, 2, 3, 6, 7, 12, 100])
                                                                          for _ in keys], strict=True)]
    run("2_1", fn, partition_for_key, cases)


def ex2_2(fn: Callable[..., dict[bytes, tuple[int, int]]]) -> None:
    """keys_that_move(keys, old_count, new_count): the learner's prediction against where a
    real producer writes each key before and after the topic grows
    (lessons.nb02.simulated_keys_that_move)."""
    rng = random.Random("ex2_2")
    names = [b"alice", b"bob", b"carol", b"dave", b"erin", b"frank", b"grace", b"heidi"]
    pool = names + [b"user-%d" % i for i in range(50)] + [b"order-%d" % i for i in range(50)]
    cases = []

    def add(keys: list[bytes], old: int, new: int) -> None:
        cases.append(((keys, old, new), f"keys={keys!r}, old_count={old}, new_count={new}"))

    add(names, 3, 4)
    add(names, 6, 12)            # doubling: a key stays on p or moves to p + 6
    add(names, 4, 4)             # nothing changes: nothing moves
    add([], 3, 6)
    add([b"alice", b"alice", b"carol"], 3, 4)      # a key given twice appears once
    for _ in range(20):
        keys = rng.sample(pool, rng.randrange(1, 9))
        old = rng.choice([1, 2, 3, 4, 6, 8, 12])
        add(keys, old, old + rng.choice([1, 1, 2, 3, old]))
    run("2_2", fn, simulated_keys_that_move, cases)


def ex2_3(fn: Callable[[bytes], int]) -> None:
    """murmur2_port(data) against Kafka's test vectors, then against the simulator's murmur2
    on bytes of every length remainder (0-3 bytes left over) and with the high bit set."""
    rng = random.Random("ex2_3")
    cases = [((data,), f"data={data!r} (Kafka's UtilsTest vector)") for data, _ in KAFKA_MURMUR2_VECTORS]
    fixed = [b"", b"a", b"ab", b"\x00", b"\x7f", b"\x80", b"\xff", b"\xff\xff\xff", b"\xff\xff\xff\xff",
             b"alice", b"user-42"]
    random_ = [bytes(rng.randrange(256) for _ in range(n)) for n in list(range(1, 14)) + [rng.randrange(14, 64)
                                                                                         for _ in range(10)]]
    cases += [((data,), f"data={data!r}") for data in fixed + random_]
    run("2_3", fn, murmur2, cases)
