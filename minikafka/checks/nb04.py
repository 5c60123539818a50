"""Checks of notebook 04, replication."""
from __future__ import annotations

import random
from typing import Callable

from ..replication import high_watermark
from . import run


def ex4_1(fn: Callable[..., int]) -> None:
    """high_watermark(leo_by_replica, isr, current_hw, min_isr) against the leader's rule."""
    rng = random.Random("ex4_1")
    cases = []
    for _ in range(40):
        leos = {b: rng.choice([-1, rng.randrange(0, 20)]) for b in (1, 2, 3)}
        isr = tuple(sorted(rng.sample([1, 2, 3], rng.randrange(1, 4))))
        current = rng.randrange(0, 12)
        min_isr = rng.choice([1, 2, 3])
        cases.append(((leos, isr, current, min_isr),
                      f"leos={leos}, isr={list(isr)}, current_hw={current}, min_isr={min_isr}"))
    run("4_1", fn, high_watermark, cases)
