"""`PipelineLab`: pick where the consume-transform-produce pipeline of notebook 10 crashes and
whether it runs with a transaction; see each input's copies in `out` as a read_committed and a
read_uncommitted consumer read them, the duplicates and the losses. Three pipelines: transactional
(notebook 10's loop), plain (produce, then commit the offsets: at-least-once) and commit first
(commit, then produce: at-most-once).

Rules:
- The pipeline is `lessons.nb10.run_pipeline`: 6 inputs in batches of 3, one crash (or none) in
  the chosen batch, a restart with the same group.id and transactional.id. The lab decides
  nothing: every number comes from that run.
- `input_copies(run)` counts, per input, its outputs in each read of `out`; `lab_summary(...)`
  is the lab's state as text (the pure functions a notebook cell or a test can call).
- An input with no read_committed output is lost, one with more than one is duplicated.
- Any change of a control runs the pipeline again (it takes a fraction of a second); Next crash
  point moves the crash one step later in the iteration (after "after commit": no crash).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from minikafka import viz
from minikafka.course.lessons.nb10 import CRASH_POINTS, OUTPUT, PipelineRun, run_pipeline, shout
from minikafka.widgets._base import _guarded, _pre, _View, _w

PIPELINES = ("transactional", "plain", "commit first")
POINTS = (None,) + CRASH_POINTS
HOW = {"transactional": "begin, produce, send_offsets_to_transaction, commit_transaction",
       "plain": "produce, flush, then consumer.commit()",
       "commit first": "consumer.commit(), then produce, flush"}


def process_commit_first(consumer: Any, producer: Any, records: Sequence[Any], transform: Callable[[Any], Any]) -> None:
    """The plain loop in the other order: commit the offsets, then write the outputs."""
    consumer.commit(asynchronous=False)
    for m in records:
        producer.produce(OUTPUT, key=m.key(), value=transform(m.value()))
    producer.flush()


class Copies(NamedTuple):
    value: str
    read_committed: int       # outputs of this input a read_committed consumer of `out` reads
    read_uncommitted: int     # outputs a read_uncommitted consumer reads (aborted ones included)

    @property
    def verdict(self) -> str:
        return {0: "LOST", 1: "once"}.get(self.read_committed, "DUPLICATED")


def lab_run(crash_at: str | None, crash_batch: int = 0, pipeline: str = "transactional", seed: int = 1) -> PipelineRun:
    """The pipeline with these choices (rule 1)."""
    if pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {PIPELINES}, got {pipeline!r}")
    process = process_commit_first if pipeline == "commit first" else None
    return run_pipeline(seed, crash_at, crash_batch, transactional=pipeline == "transactional", process=process)


def input_copies(run: PipelineRun) -> list[Copies]:
    """Rule 2 and 3: each input with the number of its outputs in both reads of `out`."""
    def count(outputs: list[str], value: str) -> int:
        return sum(1 for o in outputs if o == shout(value.encode()).decode())
    return [Copies(v, count(run.committed, v), count(run.uncommitted, v)) for v in run.inputs]


def lab_summary(run: PipelineRun, crash_at: str | None, crash_batch: int, pipeline: str) -> str:
    """The lab's state as text, at most 100 columns wide."""
    crash = f"{crash_at} in batch {crash_batch}" if crash_at else "none"
    if pipeline != "transactional" and crash_at in ("after send_offsets", "after commit"):
        crash += " (without a transaction: right after consumer.commit())"
    lines = [f"pipeline: {pipeline} ({HOW[pipeline]})", f"crash: {crash}", f"instances restarted: {run.crashes}",
             "", f"{'input':<10}{'read_committed':>16}{'read_uncommitted':>18}  verdict"]
    copies = input_copies(run)
    lines += [f"{c.value:<10}{c.read_committed:>16}{c.read_uncommitted:>18}  {c.verdict}" for c in copies]
    lost = sum(1 for c in copies if c.read_committed == 0)
    dup = sum(1 for c in copies if c.read_committed > 1)
    lines += ["", f"{len(run.inputs)} inputs; out holds {len(run.uncommitted)} records, a read_committed consumer "
              f"reads {len(run.committed)}", f"lost {lost}, duplicated {dup}",
              f"emails sent by the transform: {run.emails}", str(run.report)]
    return "\n".join(lines)


class PipelineLab(_View):
    """Crash the exactly-once pipeline where you choose, with or without a transaction."""

    def __init__(self, seed: int = 1, crash_at: str | None = "after produce", crash_batch: int = 0,
                 pipeline: str = "transactional") -> None:
        W = _w()
        self.seed = seed
        wide = {"description_width": "initial"}
        self.crash_at = W.Dropdown(options=[(p or "no crash", p) for p in POINTS], value=crash_at,
                                   description="the process dies", style=wide, layout=W.Layout(width="300px"))
        self.crash_batch = W.ToggleButtons(options=[("in batch 0", 0), ("in batch 1", 1)], value=crash_batch,
                                           style={"button_width": "90px"})
        self.next_point = W.Button(description="Next crash point", icon="forward", layout=W.Layout(width="160px"))
        self.pipeline = W.ToggleButtons(options=list(PIPELINES), value=pipeline, description="pipeline",
                                        style={"button_width": "110px", **wide})
        self.isolation = W.ToggleButtons(options=["read_committed", "read_uncommitted"], value="read_committed",
                                         description="view out as", style={"button_width": "150px", **wide})
        self.text = W.HTML()
        self.picture = self._image()
        self.out = W.Output(layout=W.Layout(max_height="100px", overflow="auto"))
        self.run: PipelineRun | None = None
        for control in (self.crash_at, self.crash_batch, self.pipeline):
            control.observe(lambda _: self.refresh(), names="value")
        self.isolation.observe(lambda _: self._draw(), names="value")
        self.next_point.on_click(self._next)
        self.box = W.VBox([W.HBox([self.crash_at, self.crash_batch, self.next_point]), self.pipeline,
                           self.out, self.text, self.isolation, self.picture])
        self.refresh()

    @property
    def summary(self) -> str:
        """The text the lab shows (rule 2)."""
        assert self.run is not None
        return lab_summary(self.run, self.crash_at.value, self.crash_batch.value, self.pipeline.value)

    @_guarded
    def refresh(self) -> None:
        self.run = lab_run(self.crash_at.value, self.crash_batch.value, self.pipeline.value, self.seed)
        self.text.value = _pre(self.summary)
        self._draw()

    def _next(self, _: object = None) -> None:
        """The next crash point, after the last one back to no crash (refreshes)."""
        self.crash_at.value = POINTS[(POINTS.index(self.crash_at.value) + 1) % len(POINTS)]

    @_guarded
    def _draw(self) -> None:
        if self.run is not None:
            fig = viz.isolation_figure(self.run.cluster, "out", self.isolation.value)
            self.picture.value = viz.png_bytes(fig)


__all__ = ["PipelineLab", "Copies", "lab_run", "input_copies", "lab_summary", "PIPELINES", "process_commit_first"]
