"""The admin client's argument checks: each names the call, the argument, the value and what is
accepted, and raises before anything is sent (TypeError for a wrong type, ValueError for a value
out of range)."""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from minikafka.clients.message import is_int

TP = tuple[str, int]


def check_items(what: str, arg: str, value: Any, kind: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise TypeError(f"{what}: {arg} must be a list of {kind}, got {type(value).__name__} {value!r}")
    return list(value)


def check_int(what: str, arg: str, value: Any, lo: int = 0) -> int:
    if not is_int(value):
        raise TypeError(f"{what}: {arg} must be an integer >= {lo}, got {type(value).__name__} {value!r}")
    if value < lo:
        raise ValueError(f"{what}: {arg} must be an integer >= {lo}, got {value}")
    return value


def check_name(what: str, arg: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: {arg} must be a non-empty str, got {type(value).__name__} {value!r}")
    if not value:
        raise ValueError(f"{what}: {arg} must be a non-empty str")
    return value


def check_partition(what: str, value: Any) -> TP:
    """A (topic, partition) pair or a TopicPartition."""
    if hasattr(value, "topic") and hasattr(value, "partition") and not isinstance(value, tuple):
        value = (value.topic, value.partition)
    if not (isinstance(value, tuple) and len(value) == 2):
        raise TypeError(f"{what}: a partition must be a (topic, partition) pair or a TopicPartition, got {value!r}")
    return (check_name(what, "topic", value[0]), check_int(what, "partition", value[1]))
