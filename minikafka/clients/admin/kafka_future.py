"""The future an admin call returns (Kafka: `KafkaFuture`; confluent-kafka's admin calls return
`concurrent.futures.Future`s with the same methods).

Rules:
1. An admin call sends its first requests when it is made and returns at once with a future
   (or a dict of futures, one per topic, group, partition...). The call moves on inside the
   simulation, as its answers arrive, whether or not anyone waits: `c.run(ms)`, another
   client's blocking call or `result()` all advance it.
2. `result(timeout=None)` runs the simulation (virtual time) until the future is done, then
   returns its value or raises its error (a `KafkaException` with Kafka's error). `timeout` is
   in virtual seconds, as confluent-kafka's are in seconds; a future still not done after it
   raises TimeoutError and the call goes on. Like every blocking call, `result()` may not be
   called from inside a simulation event.
3. `exception(timeout=None)` waits the same way and returns the error, or None.
4. `add_done_callback(fn)` calls `fn(future)` when the future is done (at once if it is).
5. A request already sent cannot be taken back: `cancel()` returns False, as a running
   `concurrent.futures.Future`'s does.
"""
from __future__ import annotations

from typing import Any, Callable


class KafkaFuture:
    __slots__ = ("_client", "_what", "_done", "_value", "_error", "_callbacks")

    def __init__(self, client: Any, what: str) -> None:
        self._client = client           # the admin client whose simulation `result()` runs
        self._what = what
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[["KafkaFuture"], Any]] = []

    def done(self) -> bool:
        return self._done

    def running(self) -> bool:
        return not self._done

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        """Rule 5."""
        return False

    def result(self, timeout: float | None = None) -> Any:
        """Rule 2."""
        self._wait(timeout)
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Rule 3."""
        self._wait(timeout)
        return self._error

    def add_done_callback(self, fn: Callable[["KafkaFuture"], Any]) -> None:
        """Rule 4."""
        if not callable(fn):
            raise TypeError(f"add_done_callback: fn must be callable, got {fn!r}")
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def set_result(self, value: Any) -> None:
        self._finish(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, value: Any, error: BaseException | None) -> None:
        if self._done:
            raise RuntimeError(f"{self._what}: the future is already done")
        self._done, self._value, self._error = True, value, error
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self)

    def _wait(self, timeout: float | None) -> None:
        if self._done:
            return
        ms = self._client.timeout_ms(timeout, "result")
        self._client.block_until(self.done, ms, self._what)
        if not self._done:
            raise TimeoutError(f"{self._what}: not done within {timeout} virtual seconds; the call goes on "
                               f"(ask again with result())")

    def __repr__(self) -> str:
        if not self._done:
            return f"<KafkaFuture {self._what}: running>"
        if self._error is not None:
            return f"<KafkaFuture {self._what}: raised {self._error}>"
        return f"<KafkaFuture {self._what}: {self._value!r}>"
