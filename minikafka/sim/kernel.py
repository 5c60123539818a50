"""The discrete-event kernel: virtual milliseconds, one event queue, one seed.

Rules:
- Time is an integer number of virtual milliseconds, `now`. Nothing reads the wall clock.
  Durations and delays must be integers (`run(0.5)` is refused: `now` stays an int).
- Events sit in a heap ordered by (time, sequence); the sequence number breaks ties in
  scheduling order, so two runs with the same seed execute the same events in the same order.
- An event is either ordinary or a *daemon* (background activity such as heartbeats and
  empty long polls). `run_until_idle()` runs until only daemons remain.
- A cancelled event drops its call at once and is skipped when it comes up; when cancelled
  events are over half the heap, the heap is rebuilt without them. Neither changes which
  events run or their order, which depends only on (time, sequence).
- Randomness comes from `Random` streams derived from the cluster seed and a name
  (`rng("network")`), so adding a producer does not change which messages the network drops.
"""
from __future__ import annotations

import random
from heapq import heapify, heappop, heappush
from typing import Any, Callable


class Event:
    """A scheduled call. `cancel()` stops it from running."""

    __slots__ = ("time", "fn", "args", "daemon", "cancelled", "sim")

    def __init__(self, sim: "Simulation", time: int, fn: Callable[..., Any], args: tuple, daemon: bool) -> None:
        self.sim = sim
        self.time = time
        self.fn = fn
        self.args = args
        self.daemon = daemon
        self.cancelled = False

    def cancel(self) -> None:
        if not self.cancelled:          # still queued (an event that ran is marked cancelled)
            self.cancelled = True
            self.fn = self.args = None  # what the call held (closures, messages) is freed now
            sim = self.sim
            if not self.daemon:
                sim._pending -= 1
            sim._cancelled += 1
            if sim._cancelled > 64 and 2 * sim._cancelled > len(sim._heap):
                sim._compact()


class Simulation:
    """Virtual time and the event queue."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.now = 0                       # virtual milliseconds
        self.events_run = 0                # how many events have executed
        self._heap: list[tuple[int, int, Event]] = []
        self._seq = 0
        self._pending = 0                  # ordinary (non-daemon) events not yet run
        self._cancelled = 0                # cancelled events still in the heap
        self._streams: dict[str, random.Random] = {}

    def rng(self, name: str) -> random.Random:
        """The random stream called `name`, seeded from the cluster seed and the name."""
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = random.Random(f"{self.seed}/{name}")
        return stream

    def schedule(self, delay: int, fn: Callable[..., Any], *args: Any, daemon: bool = False) -> Event:
        if delay.__class__ is not int or delay < 0:
            _check_ms("delay", delay)
        time = self.now + delay
        ev = Event(self, time, fn, args, daemon)
        self._seq += 1
        heappush(self._heap, (time, self._seq, ev))
        if not daemon:
            self._pending += 1
        return ev

    def _compact(self) -> None:
        """Rebuild the heap without its cancelled events (in place: run loops hold the list)."""
        heap = self._heap
        heap[:] = [entry for entry in heap if not entry[2].cancelled]
        heapify(heap)
        self._cancelled = 0

    def peek(self) -> int | None:
        """Time of the next live event, or None."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heappop(heap)
            self._cancelled -= 1
        return heap[0][0] if heap else None

    def step(self) -> bool:
        """Run exactly one event. Returns False when the queue is empty."""
        if self.peek() is None:
            return False
        self._run(heappop(self._heap)[2])
        return True

    def _run(self, ev: Event) -> None:
        if not ev.daemon:
            self._pending -= 1
        ev.cancelled = True
        self.now = ev.time
        self.events_run += 1
        ev.fn(*ev.args)

    def run(self, ms: int) -> None:
        """Run every event due in the next `ms` milliseconds; time then stands at now + ms."""
        _check_ms("run() duration", ms)
        self.run_until(None, self.now + ms)

    def run_until(self, done: Callable[[], bool] | None, deadline: int | None) -> bool:
        """Run events until `done()` is true or time would pass `deadline` (None: no deadline,
        stop when only daemon events remain). Returns `done()`; `done=None` never stops early
        (and returns False)."""
        heap = self._heap
        while done is None or not done():
            while heap and heap[0][2].cancelled:        # peek(), inlined: this loop is the hot path
                heappop(heap)
                self._cancelled -= 1
            if deadline is None:
                if self._pending <= 0:
                    return done is not None and done()
            elif not heap or heap[0][0] > deadline:
                if self.now < deadline:
                    self.now = deadline
                return done is not None and done()
            self._run(heappop(heap)[2])
        return True

    def run_until_idle(self, max_ms: int = 3_600_000) -> bool:
        """Run until only daemon events remain (or `max_ms` of virtual time passed).
        Returns True when the simulation went idle."""
        _check_ms("max_ms", max_ms)
        deadline = self.now + max_ms
        while self._pending > 0:
            nxt = self.peek()
            if nxt is None or nxt > deadline:
                return False
            self._run(heappop(self._heap)[2])
        return True

    @property
    def idle(self) -> bool:
        return self._pending <= 0


def _check_ms(what: str, ms: object) -> None:
    """Virtual time is whole milliseconds: an int >= 0 (not a bool, not a float)."""
    if not isinstance(ms, int) or isinstance(ms, bool):
        raise TypeError(f"{what} must be an integer number of virtual ms >= 0, got {ms!r}")
    if ms < 0:
        raise ValueError(f"{what} must be an integer number of virtual ms >= 0, got {ms!r}")
