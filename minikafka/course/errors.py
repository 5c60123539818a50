"""Showing an error a lesson provokes on purpose, in the few lines a learner needs.

Rules:
1. `with expect_error(): <call>` runs the call; if it raises, the cell prints the exception's
   type, Kafka's error name (a KafkaException's code, when it has one) and the message wrapped
   at 100 columns, and the notebook goes on: no traceback through library frames, no install
   paths, no test-harness marker in the cell.
2. If the call does not raise, it prints "no error: the call succeeded", so a demo whose error
   went away shows that in its output (and nbval sees the output change).
3. `expect_error("INVALID_TOPIC_EXCEPTION")` also names the error the lesson expects; any other
   error, or none, says so in the output.
4. Only exceptions are caught (`Exception`); KeyboardInterrupt and SystemExit pass.
"""
from __future__ import annotations

import textwrap
from contextlib import contextmanager
from typing import Iterator

WIDTH = 100


def kafka_name(exc: BaseException) -> str | None:
    """Kafka's error name carried by a KafkaException (its KafkaError), else None."""
    error = getattr(exc, "error", None)
    name = getattr(error, "name", None)
    return name() if callable(name) else None


def describe(exc: BaseException) -> str:
    """Rule 1: 'Type: NAME' and the message, wrapped, without repeating the name."""
    name = kafka_name(exc)
    message = error.str() if (error := getattr(exc, "error", None)) is not None and name else str(exc)
    head = f"{type(exc).__name__}: {name}" if name else type(exc).__name__
    body = textwrap.fill(message, WIDTH, initial_indent="    ", subsequent_indent="    ") if message else ""
    return head + ("\n" + body if body else "")


@contextmanager
def expect_error(name: str | None = None) -> Iterator[None]:
    """Rules 1-4."""
    try:
        yield
    except Exception as exc:                  # rule 4
        print(describe(exc))
        got = kafka_name(exc) or type(exc).__name__
        if name is not None and name not in (got, type(exc).__name__):
            print(f"(expected {name}, got {got})")
        return
    print("no error: the call succeeded" + (f" (expected {name})" if name else ""))
