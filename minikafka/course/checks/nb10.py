"""Checks of notebook 10, exactly-once."""
from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from minikafka.course.checks import run
from minikafka.course.lessons.nb10 import CRASH_POINTS, eos_config, process_batch, run_pipeline


def _schedules(name: str, n: int) -> list[tuple[int, str, int]]:
    """(seed, crash point, crash batch): every crash point, then seeded ones."""
    rng = random.Random(name)
    out = [(1, point, 0) for point in CRASH_POINTS]
    while len(out) < n:
        out.append((rng.randrange(1, 50), rng.choice(CRASH_POINTS), rng.randrange(2)))
    return out


def ex10_1(fn: Callable[..., None]) -> None:
    """process_batch(consumer, producer, records, transform): the pipeline runs with it over seeded
    crash schedules, restarts with the same group and transactional.id, and a read_committed
    consumer of `out` must see every input exactly once."""
    def outcome(process: Callable[..., None]) -> Callable[..., str]:
        def pipeline(seed: int, point: str, batch: int) -> str:
            return str(run_pipeline(seed, point, batch, process=process).report)
        pipeline.__name__ = getattr(process, "__name__", "process_batch")
        return pipeline

    cases = [((s, p, b), f"seed={s}, crash {p} in batch {b}") for s, p, b in _schedules("ex10_1", 8)]
    run("10_1", outcome(fn), outcome(process_batch), cases)


def _problems(configs: Any, group_id: str, transactional_id: str) -> str:
    try:
        consumer, producer = configs
        consumer, producer = dict(consumer), dict(producer)
    except (TypeError, ValueError):
        return f"expected (consumer config, producer config), got {configs!r}"
    wrong = []
    if consumer.get("group.id") != group_id:
        wrong.append(f"consumer group.id should be {group_id!r}")
    if str(consumer.get("enable.auto.commit", True)).lower() != "false":
        wrong.append("the consumer must not commit offsets itself (enable.auto.commit)")
    if consumer.get("isolation.level", "read_uncommitted") != "read_committed":
        wrong.append("the consumer must read only committed records (isolation.level)")
    if producer.get("transactional.id") != transactional_id:
        wrong.append(f"producer transactional.id should be {transactional_id!r}")
    if str(producer.get("acks", "all")).lower() not in ("all", "-1"):
        wrong.append("a transactional producer needs acks=all (it is idempotent)")
    if str(producer.get("enable.idempotence", True)).lower() == "false":
        wrong.append("a transactional producer needs enable.idempotence")
    return "; ".join(wrong) or "ok"


def ex10_2(fn: Callable[[str, str], Any]) -> None:
    """eos_config(group_id, transactional_id): the settings, then the pipeline runs with the
    configs (crashing after produce) and must deliver every input exactly once."""
    def outcome(configure: Callable[[str, str], Any]) -> Callable[..., str]:
        def configs(group_id: str, transactional_id: str, seed: int) -> str:
            wrong = _problems(configure(group_id, transactional_id), group_id, transactional_id)
            if wrong != "ok":
                return wrong
            return str(run_pipeline(seed, "after produce", 0, configure=configure).report)
        configs.__name__ = getattr(configure, "__name__", "eos_config")
        return configs

    cases = [(("pipeline", "pipeline-0", 1), "group_id='pipeline', transactional_id='pipeline-0', seed=1"),
             (("orders-etl", "orders-etl-3", 4), "group_id='orders-etl', transactional_id='orders-etl-3', seed=4")]
    run("10_2", outcome(fn), outcome(eos_config), cases)
