"""A workload where retention overtakes a slow consumer: producers write to a topic with small
segments and a short `retention.ms`, brokers run their retention task often, and one consumer
application reads too slowly to keep up, so that some records expire before it reads them
(kafka-semantics.md #304, #305, #313, #314). The checkers of retention_checks.py tell that
allowed loss from a real one.

It is the workload of workload.py (its rules hold, numbered as there) with these changes, rules
14-17 (the numbers go on after workload_share.py's):
14. The cluster: every broker runs its retention task every `CHECK_INTERVAL_MS`
   (`log.retention.check.interval.ms`), the first time after as long (`log.initial.task.delay.ms`);
   topic "t" has 2 partitions, replication factor 3, `min.insync.replicas`=2, unclean election
   off, segments of `SEGMENT_BYTES` (a few records each: a test setting, #300) and
   `retention.ms`=`RETENTION_MS`, longer than the nemesis window and its heal, so that most
   segments expire once the faults are over (see rule 14b); `retention.bytes` stays -1, so time
   is the only deletion rule and the history declares it (history.py rule 11). The producers'
   `batch.size` is half a segment: a batch larger than `segment.bytes` is refused with
   RECORD_LIST_TOO_LARGE (#334). Segments roll and go by the brokers' own mechanisms only: nothing
   in the workload deletes records, seeks, or moves a log start.
14b. Why not a retention shorter than the faults: with segments deleted while leaders move, a
   follower whose last fetched epoch is older than every epoch its new leader still caches gets
   a diverging-epoch answer that truncates nothing, and fetches again, for ever (minikafka's
   `ReplicaManager._epoch_end` answers such an epoch with -1 where Kafka's
   `LeaderEpochFileCache.endOffsetFor` answers the epoch itself and the first cached start
   offset). At 10 s, a quarter of the seeds livelock so; this row is about consumers, not that.
14c. Tiered (`tiered=True`, the campaign's "tiered" row, kafka-semantics.md #325-#330): the same
   topic with `remote.storage.enable` and `local.retention.ms`=`LOCAL_RETENTION_MS`, on brokers with
   `remote.log.storage.system.enable` and `remote.log.manager.task.interval.ms`=`REMOTE_TASK_MS`:
   each leader copies closed segments to the remote tier (#327), local retention deletes what was
   copied (#328), so the slow consumer's fetches below the local log start are served from the
   remote tier (#330) until `retention.ms` expires them there too (#329). The history still
   declares `retention.ms` (it drives the log start, #326), so the checkers are the same.
15. The consumer is a slow application (workload.py rule 4, "process-then-commit"): it is given
   every partition with assign(), in group "chaos" (for its committed offsets), with
   `auto.offset.reset`=earliest, `max.poll.records`=`POLL_RECORDS`, and fetches of at most about a
   segment per partition (`max.partition.fetch.bytes`, `fetch.max.bytes`), so that what it has
   buffered does not outlast the log it came from by much; it processes each batch for
   `PROCESS_MS` before polling again and commits what it processed every `commit_interval_ms`.
   It reads one record every 2 s while the producers write about 4 a second, so it falls
   behind; faults make it slower still (a crashed consumer's new instance starts again from
   the group's committed offset, which may lie below the log start by then, #314; an
   unreachable coordinator holds a commit up). When its position falls below the log start,
   its next fetch gets OFFSET_OUT_OF_RANGE and it resets to the log start (#313).
16. Besides workload.py's history, every position the consumers' instances and the final
   reader get other than from the records they return is recorded (history.py rule 10), as
   their clients log it ("offset.out_of_range", "offset.reset", "offset.committed" and
   "log.truncation" trace events of those clients): before the records of the poll that
   follows, so the history has them in the order the application saw them. The final read
   (workload.py rule 8) runs while retention goes on; its resets are recorded the same way.
17. The verdicts: "duplicate" of checkers.py, then every checker of retention_checks.py. Not
   checkers.py's "lost", which would count every expired record as lost (retention_checks.py's
   "lost" takes its place), nor its "reorder", which reads only the final read, by then mostly
   or wholly emptied by retention (it would check nothing).
"""
from __future__ import annotations

from typing import Any, Mapping

from minikafka.chaos.faults import Schedule
from minikafka.chaos.history import Read
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.retention_checks import POSITION_EVENTS, check_retention
from minikafka.chaos.workload import Result, TopicSpec, Workload, WorkloadConfig
from minikafka.chaos.workload_consumers import _ConsumerSlot
from minikafka.chaos.workload_producers import INIT_BACKOFF_MS
from minikafka.clients.message import TopicPartition
from minikafka.errors import KafkaException

RETENTION_MS = 60_000
SEGMENT_BYTES = 512                     # about 5 single-record batches
CHECK_INTERVAL_MS = 1_000
POLL_RECORDS = 1
PROCESS_MS = 2_000
TOPIC_CONFIG = (("min.insync.replicas", 2), ("unclean.leader.election.enable", False),
                ("segment.bytes", SEGMENT_BYTES), ("retention.ms", RETENTION_MS))
BROKER_CONFIG = {"log.retention.check.interval.ms": CHECK_INTERVAL_MS, "log.initial.task.delay.ms": CHECK_INTERVAL_MS}
PRODUCER = {"acks": "all", "enable.idempotence": True, "batch.size": SEGMENT_BYTES // 2}
SLOW_CONSUMER = {"group.id": "chaos", "auto.offset.reset": "earliest", "max.poll.records": POLL_RECORDS,
                 "max.partition.fetch.bytes": SEGMENT_BYTES, "fetch.max.bytes": 2 * SEGMENT_BYTES}
LOCAL_RETENTION_MS = 5_000
REMOTE_TASK_MS = 1_000
TIERED_TOPIC_CONFIG = TOPIC_CONFIG + (("remote.storage.enable", True), ("local.retention.ms", LOCAL_RETENTION_MS))
TIERED_BROKER_CONFIG = {**BROKER_CONFIG, "remote.log.storage.system.enable": True,
                        "remote.log.manager.task.interval.ms": REMOTE_TASK_MS}
CHECKERS = ("duplicate",)               # rule 17
# run_retention's keywords for the campaign row (rules 14, 15)
WORKLOAD: dict[str, Any] = {"topics": {"t": TopicSpec(2, 3, TOPIC_CONFIG)}, "broker_config": BROKER_CONFIG,
                            "processing": "process-then-commit", "process_ms": PROCESS_MS, "warm_up": True}
# the same for rule 14c
TIERED_WORKLOAD: dict[str, Any] = {**WORKLOAD, "topics": {"t": TopicSpec(2, 3, TIERED_TOPIC_CONFIG)},
                                   "broker_config": TIERED_BROKER_CONFIG}


class RetentionWorkload(Workload):
    """Workload with rules 14-17."""

    def __init__(self, config: WorkloadConfig) -> None:
        super().__init__(config)
        self._reset_seen = 0                                    # trace events harvested for rule 16
        self._out_of_range: dict[tuple[str, str, int], int] = {}    # (consumer, topic, partition) -> position
        self._final_readers: set[str] = set()
        broker = self.c.brokers[min(self.c.brokers)].cfg
        for topic, spec in sorted(config.topic_specs().items()):       # rule 14: time is the only deletion rule
            cfg = dict(spec.config)
            policy = cfg.get("cleanup.policy", broker["log.cleanup.policy"])
            policy = tuple(policy.split(",")) if isinstance(policy, str) else tuple(policy)
            ms = int(cfg.get("retention.ms", broker["log.retention.ms"]))
            if cfg.get("retention.bytes", broker["log.retention.bytes"]) == -1 and policy == ("delete",) and ms >= 0:
                self.h.declare_retention(topic, ms)

    def run(self) -> Result:
        result = super().run()
        result.verdicts.update(check_retention(self.h, self.c))
        return result

    # -- rule 16 ---------------------------------------------------------------------------------
    def _harvest(self) -> None:
        self._harvest_resets()
        super()._harvest()

    def _harvest_resets(self) -> None:
        """Record the positions the consumers' clients logged since the last call (rule 16)."""
        trace, h = self.c.trace, self.h
        for e in trace.events_from(self._reset_seen, "the workload's record of position resets (rule 16)"):
            if e.kind != "state" or e.name not in POSITION_EVENTS:
                continue
            final = e.node in self._final_readers
            if not final and e.node not in self._consumer_names:
                continue
            f = e.fields
            topic, _, part = str(f["tp"]).rpartition("-")
            partition = int(part)
            key = (e.node, topic, partition)
            if e.name == "offset.out_of_range":
                position = f.get("position")
                self._out_of_range[key] = -1 if position is None else int(position)
                continue
            if e.name == "offset.reset":
                before = self._out_of_range.pop(key, None)
                r = h.reset(e.node, topic, partition, "no_offset" if before is None else "out_of_range",
                            -1 if before is None else before, int(f["offset"]), e.time, f.get("policy"), final)
            elif e.name == "offset.committed":
                r = h.reset(e.node, topic, partition, "committed", -1, int(f["offset"]), e.time, final=final)
            else:
                r = h.reset(e.node, topic, partition, "truncation", int(f["position"]), int(f["to"]), e.time,
                            final=final)
            r.trace_seq = e.seq
        self._reset_seen = len(trace)

    def _consume(self, cs: _ConsumerSlot, timeout: float = 0) -> list[Read]:
        """workload_consumers.py's poll, with rule 16: the resets before the records."""
        k = self._consumer(cs)
        if k is None:
            return []
        try:
            msgs = k.consume(500, timeout)
        except KafkaException as e:
            if e.args[0].fatal():
                self.c.crash_client(k.name)
                cs.k, cs.retry_at = None, self.c.now + INIT_BACKOFF_MS
            self._harvest_resets()
            return []
        self._harvest_resets()
        return [self.h.read(k.name, m, self.isolation, self.c.now, group=self.group) for m in msgs
                if m.error() is None]

    def _final_read(self, isolation: str) -> None:
        """workload.py's final read, with rule 16."""
        k = self.c.consumer({"auto.offset.reset": "earliest", "isolation.level": isolation,
                             "enable.auto.commit": False})
        self._final_readers.add(k.name)
        k.assign([TopicPartition(t, p) for t, p in self.tps])
        empty = 0
        while empty < 2:
            try:
                got = k.consume(1000, 2.0)
            except KafkaException:
                got = []
            self._harvest_resets()
            empty = 0 if got else empty + 1
            for m in got:
                if m.error() is None:
                    self.h.read(k.name, m, isolation, self.c.now, final=True)
        k.close()
        self._harvest_resets()


def run_retention(seed: int = 0, producer_config: Mapping[str, Any] | None = None,
                  consumer_config: Mapping[str, Any] | None = None, nemesis: Nemesis | Schedule | None = None,
                  records: int = 120, topics: Mapping[str, TopicSpec] | None = None, tiered: bool = False,
                  **config: Any) -> Result:
    """`run_workload` for this workload: rules 14-17's settings unless given (with `tiered`, 14c's)."""
    settings = {**(TIERED_WORKLOAD if tiered else WORKLOAD), "checkers": CHECKERS, **config}
    settings["topics"] = topics if topics is not None else settings["topics"]
    cfg = WorkloadConfig(seed=seed, records=records, nemesis=nemesis,
                         producer_config=dict(producer_config or PRODUCER),
                         consumer_config=dict(consumer_config or SLOW_CONSUMER), **settings)
    return RetentionWorkload(cfg).run()
