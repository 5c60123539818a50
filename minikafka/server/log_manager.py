"""A broker's log manager: each replica's log settings and the retention task (Kafka: `LogManager.scala`).

Rules (kafka-semantics.md P.300-308):
1. Each replica's log follows its topic's log config (storage/log_config.py): the topic's own
   keys, else the broker's synonyms. A config change (a ConfigRecord in the metadata log) takes
   effect at the next append or retention pass; segments already rolled stay as they are. A
   compacted log rolls on record time after min(`segment.ms`, `max.compaction.lag.ms`) (P.301).
2. A new segment's jitter comes from the broker's seeded stream for that partition, drawn once
   per segment (log_segment.py).
3. The retention task runs on every log the broker hosts, leader or follower, first after
   `log.initial.task.delay.ms` and then every `log.retention.check.interval.ms`. It handles logs
   without `compact` only; compacted logs get the same pass from the log cleaner after each of
   its attempts. A pass deletes whole segments (storage/log_retention.py) and writes one trace
   event per deletion (`segment.delete`: the reason, the segments' base offsets, the new log start);
   a pass that deletes nothing leaves no trace. The log cleaner (server/log_cleaner.py) starts
   with the log manager.
4. A log start that moves lifts the first unstable offset with it (an open transaction whose
   first records were deleted no longer holds the LSO below the log start).
5. Tiered storage (kafka-semantics.md T.325-328): a replica's log is tiered when the broker's
   `remote.log.storage.system.enable` and the topic's `remote.storage.enable` are both on and
   the topic is not internal (`__consumer_offsets`, `__transaction_state`,
   `__share_group_state`, and `__remote_log_metadata` should one be made by hand; Kafka:
   `UnifiedLog.isRemoteLogEnabled`, which accepts the setting on them and ignores it). Its retention pass keeps local disk by `local.retention.*` and deletes
   only uploaded segments (storage/log_retention.py rules 7-8); the trace event then also
   carries the local log start. A topic that becomes tiered by a config change starts its
   remote log manager tasks (server/remote_log_manager.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from minikafka.coordinator.internal_topics import INTERNAL_TOPICS
from minikafka.server.log_cleaner import LogCleaner
from minikafka.storage.log_config import log_config
from minikafka.storage.log_retention import delete_old_segments

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica

NEVER_TIERED = (*INTERNAL_TOPICS, "__remote_log_metadata")       # rule 5


class LogManager:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.cleaner = LogCleaner(broker)

    def startup(self) -> None:
        b = self.broker
        b.after(b.cfg["log.initial.task.delay.ms"], self._retention_task, daemon=True)
        self.cleaner.startup()

    # -- rule 1-2 -------------------------------------------------------------------
    def configure(self, r: "Replica", new: bool = False) -> None:
        """Rules 1-2; a `new` log's first segment draws its jitter now, as Kafka's does when the
        log is created."""
        b = self.broker
        cfg = r.log_config = log_config(r.config, b.cfg)
        log = r.log
        log.segment_bytes, log.segment_ms = cfg.segment_bytes, cfg.segment_ms
        log.remote_log_enabled = (cfg.remote_storage_enable and b.cfg.get("remote.log.storage.system.enable", False)
                                  and r.topic not in NEVER_TIERED)        # rule 5
        if cfg.compact:
            log.segment_ms = min(cfg.segment_ms, cfg.max_compaction_lag_ms)
            self.cleaner.wake()
        jitter = min(cfg.segment_jitter_ms, cfg.segment_ms)
        if jitter > 0:
            rng = b.sim.rng(f"segment-jitter/{b.id}/{r.topic}-{r.partition}")
            log.jitter = lambda: rng.randrange(jitter)
            if new:
                log.segments[0].jitter_ms = log.jitter()
        else:
            log.jitter = None

    def on_config_change(self, topic: str) -> None:
        for tp in sorted(self.broker.replicas):
            if tp[0] == topic:
                self.configure(self.broker.replicas[tp])
                self.broker.remote_log_manager.on_partition_state(self.broker.replicas[tp])     # rule 5

    # -- rule 3 -----------------------------------------------------------------------
    def _retention_task(self) -> None:
        b = self.broker
        for tp in sorted(b.replicas):
            r = b.replicas[tp]
            if not r.log_config.compact:
                self.retain(r)
        b.after(b.cfg["log.retention.check.interval.ms"], self._retention_task, daemon=True)

    def retain(self, r: "Replica") -> None:
        """One retention pass over `r`'s log."""
        b = self.broker
        before = r.log.log_start_offset
        for reason, bases in delete_old_segments(r.log, r.hw, b.sim.now, r.log_config):
            tiered = {"local_log_start": r.log.local_log_start_offset} if r.log.remote_log_enabled else {}
            b.trace.state(b.sim.now, b.name, "segment.delete", tp=f"{r.topic}-{r.partition}", reason=reason,
                          segments=tuple(bases), log_start=r.log.log_start_offset, **tiered)
        if r.log.log_start_offset != before:
            self.on_log_start_moved(r)

    def on_log_start_moved(self, r: "Replica") -> None:
        """Rule 4."""
        r.txn.on_log_start(r.log.log_start_offset)
