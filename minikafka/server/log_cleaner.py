"""A broker's log cleaner (Kafka: `LogCleaner` and its `CleanerThread`).

Rules (kafka-semantics.md P.303-304, P2.315-322):
1. With `log.cleaner.enable` (default true) each broker process runs one cleaner from its start.
   It cleans every compacted log the broker hosts, leader or follower alike, each with that
   replica's own segments, checkpoint, HW and LSO: replicas compact independently.
2. Each round: choose the filthiest eligible compacted log (storage/log_cleaner_manager.py) and
   clean it (storage/log_cleaner.py); then run the deletion pass (server/log_manager.py `retain`)
   on every compacted log: segments below the log start, and with `delete` in `cleanup.policy`
   also size and time retention.
3. After a round that cleaned a log the cleaner tries again at once; after a round that found
   nothing eligible it sleeps `log.cleaner.backoff.ms` (15000).
4. With `log.cleaner.enable=false` no cleaner runs: compacted logs are neither compacted nor
   trimmed (logs without `compact` keep their retention task).
5. A pass writes one trace event, `log.clean`: the partition, the cleaned range [from, to), its
   dirty ratio and whether `max.compaction.lag.ms` forced it, the segments rewritten and what
   replaced them, the bytes before and after, the records read, kept and removed, and the
   tombstones, aborted records and markers removed. A round that
   cleans nothing writes nothing, so an idle cluster leaves no trace.
6. A pass that removed transaction markers rebuilds the replica's transaction index from its
   log (Kafka writes a new .txnindex for each cleaned segment): an aborted transaction whose
   marker is gone is no longer sent to read_committed consumers.

Simplifications:
- One cleaner per broker (Kafka's default `log.cleaner.threads`=1), and a pass takes no virtual
  time (Kafka's is I/O-bound and may be throttled by `log.cleaner.io.max.bytes.per.second`).
- A broker that hosts no compacted log runs no rounds, since they would do nothing: its cleaner
  starts its rounds when the broker gets its first compacted log (or at its start, if it has
  one) and stops them when it has none left. Kafka's thread keeps waking every
  `log.cleaner.backoff.ms` to find nothing.
- `log.cleaner.backoff.ms` is at least 1 (Kafka accepts 0, a busy loop, which would stop
  virtual time here).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from minikafka.storage.log_cleaner import CleanResult, clean
from minikafka.storage.log_cleaner_manager import LogToClean, filthiest, log_to_clean

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica


class LogCleaner:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.results: deque[CleanResult] = deque(maxlen=100)     # this process's last passes
        self.running = False

    def startup(self) -> None:
        """Rules 1 and 4."""
        if self.compacted():
            self.wake()

    def wake(self) -> None:
        """The broker hosts a compacted log: start the rounds unless they run (rule 1)."""
        b = self.broker
        if not self.running and b.cfg["log.cleaner.enable"]:
            self.running = True
            b.after(0, self._round, daemon=True)

    def compacted(self) -> list["Replica"]:
        replicas = self.broker.replicas
        return [replicas[tp] for tp in sorted(tp for tp, r in replicas.items()
                                              if r.log_config is not None and r.log_config.compact)]

    # -- rules 2-3 -----------------------------------------------------------------------
    def _round(self) -> None:
        b = self.broker
        logs = self.compacted()
        if not logs:
            self.running = False
            return
        cleaned = self.clean_filthiest_log(logs) is not None
        for r in logs:
            b.log_manager.retain(r)
        b.after(0 if cleaned else b.cfg["log.cleaner.backoff.ms"], self._round, daemon=True)

    def clean_filthiest_log(self, logs: list["Replica"]) -> CleanResult | None:
        now = self.broker.sim.now
        candidates: list[LogToClean] = []
        for r in logs:
            ltc = log_to_clean(r.tp, r.log, r.lso, now, r.log_config)
            if r.log.cleaner_checkpoint != ltc.first_dirty_offset:
                r.log.cleaner_checkpoint = ltc.first_dirty_offset     # a checkpoint out of the log: reset
            candidates.append(ltc)
        chosen = filthiest(candidates)
        if chosen is None:
            return None
        return self.clean_log(self.broker.replicas[chosen.tp], chosen)

    def clean_log(self, r: "Replica", ltc: LogToClean) -> CleanResult:
        b = self.broker
        cfg = r.log_config
        last_records = {pid: (e.batches[-1][3] if e.batches else -1, e.epoch)
                        for pid, e in r.producer_state.producers.items()}
        result = clean(r.log, ltc, b.sim.now, cfg.delete_retention_ms, cfg.segment_bytes, r.txn.aborted,
                       last_records)
        if result.markers_removed:
            r.rebuild_transaction_index()               # rule 6
            r.txn.prune(r.hw)
        self.results.append(result)
        b.trace.state(b.sim.now, b.name, "log.clean", tp=ltc.name, range=(result.first_dirty_offset,
                      result.end_offset), ratio=round(ltc.cleanable_ratio, 4), forced=ltc.needs_compaction_now,
                      segments=(result.segments_before, result.segments_after),
                      bytes=(result.bytes_before, result.bytes_after), read=result.records_read,
                      kept=result.records_kept, removed=result.records_removed,
                      tombstones_removed=result.tombstones_removed, aborted_removed=result.aborted_removed,
                      markers_removed=result.markers_removed)
        return result
