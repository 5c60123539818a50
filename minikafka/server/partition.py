"""One broker's replica of one partition: the leader's and the follower's rules.

State (per replica):
- log, high watermark (HW); the controller's view: leader, leader epoch, partition epoch,
  ISR and assignment.
- leader only: each follower's LEO and last caught-up time; a pending ISR change (sent to
  the controller, not yet committed); the offset where its epoch began.

Rules (kafka-semantics.md D.19-D.24):
1. Only the leader appends client writes; a follower appends what it fetched from the leader.
2. The leader learns a follower's LEO from the fetch offset of its Fetch request. A follower is
   caught up at a fetch if the fetch offset reaches the leader's LEO (then, or at the previous
   fetch).
3. The HW is `replication.high_watermark` over the maximal ISR (committed ISR plus a pending
   expansion); it does not advance while the committed ISR is below the effective min ISR.
4. A follower learns the HW from fetch responses and caps it at its own LEO.
5. The leader proposes to drop followers not caught up within `replica.lag.time.max.ms` (a
   follower whose last fetch offset equals the leader's LEO is caught up however long ago it
   fetched: an idle leader keeps a cut-off follower that has everything), and
   to add a follower whose LEO reached the HW and the start of the leader's epoch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikafka.controller.election import NO_LEADER
from minikafka.server.replication import can_join_isr, effective_min_isr, high_watermark, is_lagging
from minikafka.storage.log import PartitionLog
from minikafka.storage.producer_state import ProducerStateManager
from minikafka.storage.transaction_index import TxnIndex


@dataclass
class FollowerState:
    """What a leader knows of one follower (rule 2)."""

    leo: int = -1                   # -1: unknown until the follower fetches
    last_caught_up_ms: int = 0
    last_fetch_ms: int = 0
    leader_leo_at_last_fetch: int = 0
    log_start: int = -1             # the follower's log start, from its last fetch (-1: unknown)


class Replica:
    __slots__ = ("broker_id", "topic", "partition", "tp", "log", "producer_state", "txn", "hw_rule", "hw", "config",
                 "leader", "leader_epoch", "partition_epoch", "isr", "replicas", "followers", "pending_isr",
                 "pending_since", "epoch_start_offset", "lost_tail", "log_config")

    def __init__(self, broker_id: int, topic: str, partition: int) -> None:
        self.broker_id = broker_id
        self.topic = topic
        self.partition = partition
        self.tp = (topic, partition)
        self.log = PartitionLog()
        self.producer_state = ProducerStateManager()
        self.txn = TxnIndex()
        self.hw_rule = high_watermark       # a seam (seams.py)
        self.hw = 0
        self.config: dict[str, Any] = {}
        self.leader = NO_LEADER
        self.leader_epoch = -1
        self.partition_epoch = -1
        self.isr: tuple[int, ...] = ()
        self.replicas: tuple[int, ...] = ()
        # leader only
        self.followers: dict[int, FollowerState] = {}
        self.pending_isr: tuple[int, ...] | None = None
        self.pending_since = 0
        self.epoch_start_offset = 0
        self.lost_tail = False              # lost records in a power loss, not fetched back yet
        self.log_config: Any = None         # storage/log_config.LogConfig, set by the log manager

    # -- roles -------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self.leader == self.broker_id

    def become_leader(self, epoch: int, isr: tuple[int, ...], replicas: tuple[int, ...], now: int) -> None:
        self.leader, self.leader_epoch, self.isr, self.replicas = self.broker_id, epoch, isr, replicas
        self.lost_tail = False
        self.pending_isr = None
        self.log.start_epoch(epoch)
        self.epoch_start_offset = self.log.log_end_offset
        self.followers = {r: FollowerState(-1, now if r in isr else 0, 0, 0)
                          for r in replicas if r != self.broker_id}

    def become_follower(self, leader: int, epoch: int, isr: tuple[int, ...], replicas: tuple[int, ...]) -> None:
        self.leader, self.leader_epoch, self.isr, self.replicas = leader, epoch, isr, replicas
        self.pending_isr = None
        self.followers = {}

    def reset_after_restart(self) -> None:
        """The producer state and the transaction index are Kafka's snapshot and index files: a
        restart keeps them as they were, so a producer's last five batches stay known even where
        retention or compaction removed them from the log (kafka-semantics.md P.307). Only a log
        that lost its tail in a power loss rebuilds them from what survived."""
        self.leader, self.leader_epoch, self.partition_epoch = NO_LEADER, -1, -1
        self.followers, self.pending_isr = {}, None
        self.hw = min(self.hw, self.log.log_end_offset)
        if self.lost_tail:
            self.rebuild_state()

    def on_appended(self, batch) -> None:
        """Leader or follower: the producer state and the transaction index follow the log."""
        self.producer_state.update(batch)
        if batch.transactional:
            self.txn.on_batch(batch)

    def rebuild_state(self) -> None:
        """From the log, with the last batch of each producer whose batches retention or
        compaction removed (Kafka keeps their state in its producer snapshots)."""
        batches = self.log.state_batches()
        self.producer_state.rebuild(batches)
        self.rebuild_transaction_index(batches)

    def rebuild_transaction_index(self, batches: list | None = None) -> None:
        """The transaction index from the log (`batches`: its state batches, if already at hand)."""
        self.txn.rebuild(self.log.state_batches() if batches is None else batches)
        self.txn.on_log_start(self.log.log_start_offset)

    # -- leader rules ------------------------------------------------------
    @property
    def min_isr(self) -> int:
        return effective_min_isr(self.config.get("min.insync.replicas", 1), len(self.replicas))

    @property
    def under_min_isr(self) -> bool:
        return len(self.isr) < self.min_isr

    def maximal_isr(self) -> tuple[int, ...]:
        if self.pending_isr is None:
            return self.isr
        return self.isr + tuple(r for r in self.pending_isr if r not in self.isr)

    def maybe_advance_hw(self) -> bool:
        """Recompute the leader's HW; True when it moved."""
        if self.under_min_isr:
            return False
        leos = {r: f.leo for r, f in self.followers.items()}
        leos[self.broker_id] = self.log.log_end_offset
        new = self.hw_rule(leos, self.maximal_isr(), self.hw)
        if new != self.hw:
            self.hw = new
            self.txn.prune(new)
            return True
        return False

    def update_follower(self, follower: int, fetch_offset: int, now: int) -> None:
        f = self.followers.get(follower)
        if f is None:
            f = self.followers[follower] = FollowerState()
        leo = self.log.log_end_offset
        if fetch_offset >= leo:
            f.last_caught_up_ms = now
        elif fetch_offset >= f.leader_leo_at_last_fetch:
            f.last_caught_up_ms = max(f.last_caught_up_ms, f.last_fetch_ms)
        f.leo = fetch_offset
        f.last_fetch_ms = now
        f.leader_leo_at_last_fetch = leo

    def isr_expansion(self, follower: int) -> tuple[int, ...] | None:
        """The ISR to propose if `follower` may join it now."""
        if self.pending_isr is not None or follower in self.isr:
            return None
        f = self.followers.get(follower)
        if f is None or not can_join_isr(f.leo, self.hw, self.epoch_start_offset):
            return None
        return self.isr + (follower,)

    def isr_shrink(self, now: int, lag_max_ms: int) -> tuple[int, ...] | None:
        """The ISR to propose without followers that fell behind, or None."""
        if self.pending_isr is not None:
            return None
        leo = self.log.log_end_offset
        out = tuple(r for r in self.isr if r == self.broker_id or r not in self.followers
                    or self.followers[r].leo == leo          # at the leader's LEO: in sync however idle
                    or not is_lagging(now, self.followers[r].last_caught_up_ms, lag_max_ms))
        return out if out != self.isr else None

    # -- views -------------------------------------------------------------
    @property
    def leo(self) -> int:
        return self.log.log_end_offset

    @property
    def lso(self) -> int:
        """Last stable offset (txn_index rule 3)."""
        return self.txn.lso(self.hw)

    def __repr__(self) -> str:
        role = "leader" if self.is_leader else f"follower of {self.leader}"
        return f"Replica({self.topic}-{self.partition} on {self.broker_id}: {role}, leo={self.leo}, hw={self.hw})"
