"""Checks of notebook 10, exactly-once."""
from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from minikafka.course.checks import run
from minikafka.course.lessons.nb10 import eos_config, process_batch, run_pipeline


def _calls_per_batch(process: Callable[..., None]) -> list[list[str]]:
    """The client calls `process` makes in each batch of a run without faults (the reference's
    when `process` fails before it calls anything)."""
    try:
        calls = run_pipeline(1, process=process).calls
    except NotImplementedError:
        calls = []
    except Exception:             # the cases below show the learner's error
        calls = []
    return calls if any(calls) else run_pipeline(1).calls


def _cases(process: Callable[..., None]) -> list[tuple[tuple[int, int | None, int, str | None], str]]:
    """(seed, crash after call n, batch, failing call): a crash right after every call the learner's
    loop makes in batches 0 and 1 (0: right after consume), then an abortable error in each
    transactional call."""
    rng = random.Random("ex10_1")
    cases = []
    for batch, calls in enumerate(_calls_per_batch(process)[:2]):
        for n in range(len(calls) + 1):
            after = f"call {n} ({calls[n - 1]})" if n else "consume"
            cases.append(((rng.randrange(1, 50), n, batch, None), f"batch {batch}: the process dies right after {after}"))
    for batch, failing in ((0, "produce"), (0, "send_offsets_to_transaction"), (1, "commit_transaction")):
        cases.append(((rng.randrange(1, 50), None, batch, failing),
                      f"batch {batch}: {failing}() raises TRANSACTION_ABORTABLE (abortable)"))
    return [((s, n, b, f), f"seed={s}, {shown}") for (s, n, b, f), shown in cases]


def ex10_1(fn: Callable[..., None]) -> None:
    """process_batch(consumer, producer, records, transform): the pipeline runs with it, dying right
    after each of its client calls in turn (and once with an abortable error in a transactional
    call), restarts with the same group and transactional.id, and a read_committed consumer of
    `out` must see every input exactly once (lessons.nb10 rules 2-4)."""
    def outcome(process: Callable[..., None]) -> Callable[..., str]:
        def pipeline(seed: int, crash_after: int | None, batch: int, failing: str | None) -> str:
            r = run_pipeline(seed, crash_after, batch, process=process, fail_at=failing)
            return str(r.report) + (f"; the loop raised {', '.join(r.errors)}" if r.errors else "")
        pipeline.__name__ = getattr(process, "__name__", "process_batch")
        return pipeline

    run("10_1", outcome(fn), outcome(process_batch), _cases(fn))


SCENARIOS = (("the process dies right after produce in batch 0, and `in` also holds 2 aborted records",
              dict(crash_at="after produce", aborted_inputs=2)),
             ("send_offsets_to_transaction() raises TRANSACTION_ABORTABLE in batch 0: the loop rewinds",
              dict(fail_at="send_offsets_to_transaction")),
             ("the process dies right after send_offsets in batch 1",
              dict(crash_at="after send_offsets", crash_batch=1)))


def _names(configs: Any, group_id: str, transactional_id: str) -> str:
    """The two settings the arguments decide; everything else is judged by running the pipeline."""
    try:
        consumer, producer = configs
        consumer, producer = dict(consumer), dict(producer)
    except (TypeError, ValueError):
        return f"expected (consumer config, producer config), got {configs!r}"
    if consumer.get("group.id") != group_id:
        return f"consumer group.id should be {group_id!r}"
    if producer.get("transactional.id") != transactional_id:
        return f"producer transactional.id should be {transactional_id!r}"
    return "ok"


def ex10_2(fn: Callable[[str, str], Any]) -> None:
    """eos_config(group_id, transactional_id): a design choice judged by the simulator. The
    pipeline runs with the learner's configs (and the reference loop) through seeded scenarios,
    a crash, an upstream aborted transaction and an abortable error among them, and a
    read_committed consumer of `out` must see every input exactly once."""
    def outcome(configure: Callable[[str, str], Any]) -> Callable[..., str]:
        def configs(group_id: str, transactional_id: str, seed: int, scenario: int) -> str:
            wrong = _names(configure(group_id, transactional_id), group_id, transactional_id)
            if wrong != "ok":
                return wrong
            r = run_pipeline(seed, configure=configure, names=(group_id, transactional_id), **SCENARIOS[scenario][1])
            return str(r.report)
        configs.__name__ = getattr(configure, "__name__", "eos_config")
        return configs

    cases = [((g, t, seed, i), f"group_id={g!r}, seed={seed}: {SCENARIOS[i][0]}")
             for (g, t, seed) in (("pipeline", "pipeline-0", 1), ("orders-etl", "orders-etl-3", 4))
             for i in range(len(SCENARIOS))]
    run("10_2", outcome(fn), outcome(eos_config), cases)
