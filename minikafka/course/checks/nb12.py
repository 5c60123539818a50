"""Checks of notebook 12, queues: share groups."""
from __future__ import annotations

import random
from typing import Callable

from minikafka.course.checks import run
from minikafka.course.lessons.nb12 import next_state, share_assignment


def ex12_1(fn: Callable[[int, str, int], str]) -> None:
    """next_state(delivery_count, action, delivery_limit) against the share-partition's rule, for
    every action at every delivery count up to the limit, with limits 2 to 6."""
    cases = [((count, action, limit), f"delivery_count={count}, action={action!r}, delivery_limit={limit}")
             for limit in (5, 2, 3, 6) for count in range(1, limit + 1)
             for action in ("ACCEPT", "RELEASE", "REJECT", "LOCK_EXPIRED")]
    run("12_1", fn, next_state, cases)


def ex12_2(fn: Callable[[list[str], int], dict[str, list[int]]]) -> None:
    """share_assignment(members, partitions) against the simple assignor on hand-made and seeded
    random groups."""
    hand = [(["a", "b", "c"], 1), (["a", "b", "c"], 2), (["a", "b"], 5), (["a"], 3), (["b", "a"], 4),
            (["m1", "m2", "m3", "m4"], 4), (["x", "y"], 0)]
    rng = random.Random("ex12_2")
    while len(hand) < 30:
        n = rng.randrange(1, 7)
        members = [f"share-consumer-{i}-{rng.getrandbits(16):04x}" for i in rng.sample(range(1, 12), n)]
        hand.append((members, rng.randrange(1, 9)))
    run("12_2", fn, share_assignment, [((m, p), f"members={m}, partitions={p}") for m, p in hand])
