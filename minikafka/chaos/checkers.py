"""Checkers: read a history (history.py) and report which guarantees it violates, with the
offending records and the trace events that explain them (kafka-semantics.md E-J).

Each checker is `check(history, cluster=None) -> Report` (report.py); with a cluster, anomalies
carry the `seq` of trace events that explain them. The rules, each stated in full in the module
that implements it:
1-3. durability_checks.py: lost (1), duplicate (2), reorder (3).
4-5. transaction_checks.py: aborted_read (4), uncommitted_read (4b), non_atomic and
   committed_invisible (5), hanging (5b).
6, 7, 9, 10. group_checks.py: commit_beyond (6), single_owner (7), unprocessed (9),
   processed_twice (10).
8. pipeline_checks.py: exactly_once, reported as eos_missing and eos_duplicate.
11-13. share_checks.py: share_unaccepted (11), share_accepted_twice (12), share_redelivered (13),
   the share groups' checkers (`SHARE_CHECKERS`).

This module is the entry point notebooks and tests import: `CHECKERS` (name -> checker, in the
order they run), `SHARE_CHECKERS` (the same for share groups), `KINDS` (every anomaly kind, in
table order), `check_all` (the named checkers in `CHECKERS` then `SHARE_CHECKERS` order; by
default every checker of `CHECKERS`, and those of `SHARE_CHECKERS` when the history declares a
share group (history.py rule 8); an unknown name is a ValueError), `render_verdicts` (the reports
one after the other), and every checker and report type.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from minikafka.chaos.durability_checks import duplicates, explain_loss, explain_retries, lost_writes, reordering
from minikafka.chaos.group_checks import (commits_beyond_processed, explain_commit, processed_twice,
                                          single_owner_per_generation, unprocessed)
from minikafka.chaos.history import History
from minikafka.chaos.pipeline_checks import exactly_once
from minikafka.chaos.report import MAX_EXPLAIN, Anomaly, Report
from minikafka.chaos.share_checks import share_accepted_twice, share_redelivered, share_unaccepted
from minikafka.chaos.transaction_checks import (atomic_transactions, explain_txn, hanging_transactions,
                                                read_committed_reads, uncommitted_reads)

if TYPE_CHECKING:
    from minikafka.cluster import Cluster

__all__ = [
    "Anomaly", "Report", "MAX_EXPLAIN",
    "explain_loss", "explain_retries", "explain_txn", "explain_commit",
    "lost_writes", "duplicates", "reordering",
    "read_committed_reads", "uncommitted_reads", "atomic_transactions", "hanging_transactions",
    "commits_beyond_processed", "single_owner_per_generation", "unprocessed", "processed_twice",
    "exactly_once", "share_unaccepted", "share_accepted_twice", "share_redelivered",
    "CHECKERS", "SHARE_CHECKERS", "KINDS", "check_all", "render_verdicts",
]


CHECKERS: dict[str, Callable[[History, Any], Report]] = {
    "lost": lost_writes,
    "duplicate": duplicates,
    "reorder": reordering,
    "aborted_read": read_committed_reads,
    "uncommitted_read": uncommitted_reads,
    "non_atomic": atomic_transactions,
    "hanging": hanging_transactions,
    "commit_beyond": commits_beyond_processed,
    "single_owner": single_owner_per_generation,
    "exactly_once": exactly_once,
    "unprocessed": unprocessed,
    "processed_twice": processed_twice,
}
SHARE_CHECKERS: dict[str, Callable[[History, Any], Report]] = {
    "share_unaccepted": share_unaccepted,
    "share_accepted_twice": share_accepted_twice,
    "share_redelivered": share_redelivered,
}
# every anomaly kind the checkers report, in table order
KINDS = ("lost", "duplicate", "reorder", "aborted_read", "uncommitted_read", "non_atomic", "committed_invisible",
         "hanging", "commit_beyond", "single_owner", "eos_missing", "eos_duplicate", "unprocessed", "processed_twice",
         "share_unaccepted", "share_accepted_twice", "share_redelivered")


def check_all(history: History, cluster: "Cluster | None" = None,
              names: Iterable[str] | None = None) -> dict[str, Report]:
    """Run the named checkers (by default all of `CHECKERS`, and `SHARE_CHECKERS` when the
    history declares a share group), in `CHECKERS` then `SHARE_CHECKERS` order."""
    every = {**CHECKERS, **SHARE_CHECKERS}
    if names is None:
        wanted = list(CHECKERS) + (list(SHARE_CHECKERS) if history.shares else [])
    else:
        wanted = list(names)
    for n in wanted:
        if n not in every:
            raise ValueError(f"unknown checker {n!r}; checkers: {', '.join(every)}")
    return {n: check(history, cluster) for n, check in every.items() if n in wanted}


def render_verdicts(verdicts: dict[str, Report], cluster: "Cluster | None" = None, limit: int = 5) -> str:
    return "\n".join(r.render(cluster, limit) for r in verdicts.values())
