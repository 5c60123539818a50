"""Checks of notebook 03, brokers and the controller."""
from __future__ import annotations

import random
from typing import Callable

from ..replication import elect_leader
from . import run


def ex3_1(fn: Callable[..., tuple[int, bool]]) -> None:
    """elect_leader(replicas, isr, live, unclean) against the controller's rule."""
    rng = random.Random("ex3_1")
    cases = []
    for _ in range(40):
        replicas = tuple(rng.sample([1, 2, 3, 4, 5], rng.randrange(1, 5)))
        isr = tuple(r for r in replicas if rng.random() < 0.6)
        live = tuple(sorted(r for r in (1, 2, 3, 4, 5) if rng.random() < 0.6))
        unclean = rng.random() < 0.3
        cases.append(((replicas, isr, live, unclean),
                      f"replicas={list(replicas)}, isr={list(isr)}, live={list(live)}, unclean={unclean}"))
    run("3_1", fn, elect_leader, cases)
