"""Exercises for the minikafka course: stubs the learner fills in.

Each stub is a function with the reference's signature, a docstring contract, and a body that
raises NotImplementedError naming the exercise. The `exercise` decorator records which exercise
it is and, when MINIKAFKA_USE_REFERENCE=1 is set (CI proves every exercise can be passed), swaps
in the reference implementation from the minikafka package.
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Callable


def exercise(number: str, reference: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a stub as exercise `number`; `reference` is "module:function" in minikafka."""
    def mark(stub: Callable[..., Any]) -> Callable[..., Any]:
        if os.environ.get("MINIKAFKA_USE_REFERENCE") == "1":
            module, name = reference.split(":")
            return getattr(importlib.import_module(module), name)
        stub.exercise = number              # type: ignore[attr-defined]
        stub.reference = reference          # type: ignore[attr-defined]
        return stub
    return mark
