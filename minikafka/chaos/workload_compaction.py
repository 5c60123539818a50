"""A workload on a compacted topic: idempotent producers write keyed updates over a small key
space, some of them tombstones, to a topic with `cleanup.policy=compact`, tiny segments and a
low `min.cleanable.dirty.ratio`, on brokers whose log cleaner wakes often, under the faults
nemesis; the final reader then reads each partition from the beginning (kafka-semantics.md
#315-#321). The checkers of compaction_checks.py judge what is left.

It is the workload of workload.py (its rules hold, numbered as there) with these changes, rules
18-21 (the numbers go on after workload_retention.py's):
18. The cluster: every broker's log cleaner sleeps `CLEANER_BACKOFF_MS` (`log.cleaner.backoff.ms`,
   #316) when no log is eligible; topic "t" has 2 partitions, replication factor 3,
   `min.insync.replicas`=2, unclean election off, `cleanup.policy`=compact (#315), segments of
   `SEGMENT_BYTES` (a few records each), `min.cleanable.dirty.ratio`=`DIRTY_RATIO` (#318) and
   `delete.retention.ms`=`DELETE_RETENTION_MS` (#321): a tombstone may be gone by the final
   read. The producers are acks=all and idempotent with `batch.size` half a segment (#334).
   Nothing in the workload deletes or compacts records: the brokers' cleaners do (#316-#320).
19. The records: `KEYS` keys "k0".."k<KEYS-1>", key "kj" living on partition j mod partitions
   (the topic's partitions are written round robin, workload.py rule 2, and each send takes a
   key of its partition), drawn with a seeded generator of its own; a send is a tombstone
   (value None, #321) with probability `TOMBSTONE_P`, otherwise its value is its name
   `b"p0-17"` (history.py rules 2, 12). Every record has a key: a compacted topic refuses
   keyless ones (#323).
20. One group consumer reads during the run (workload.py rule 3, committing every
   `commit_interval_ms`); its reads keep their keys, so its values are checked for phantoms too.
21. The verdicts: "duplicate" of checkers.py, then every checker of compaction_checks.py. Not
   checkers.py's "lost" (compaction removes superseded records on purpose: compaction_checks.py's
   "lost_update" takes its place) nor its "reorder" (the final read has gaps where compaction
   removed records, and tombstones have no value to order).

Found by this row (seed 31, `python -m minikafka.chaos --replay compaction 31`), and fixed in the
broker: a restart rebuilt a replica's producer state from its compacted log, which kept only each
producer's last batch, so the retry of an earlier batch of the five was refused with
OUT_OF_ORDER_SEQUENCE_NUMBER instead of acknowledged as a duplicate, and the producer's epoch
bump then wrote it again. A restart now keeps the producer state (server/partition.py).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

from minikafka.chaos.compaction_checks import check_compaction
from minikafka.chaos.faults import Schedule
from minikafka.chaos.history import Send
from minikafka.chaos.nemesis import Nemesis
from minikafka.chaos.workload import Result, TopicSpec, Workload, WorkloadConfig
from minikafka.chaos.workload_producers import _ProducerSlot

SEGMENT_BYTES = 512
DIRTY_RATIO = 0.01
DELETE_RETENTION_MS = 5_000
CLEANER_BACKOFF_MS = 1_000
KEYS = 8
TOMBSTONE_P = 0.2
TOPIC_CONFIG = (("min.insync.replicas", 2), ("unclean.leader.election.enable", False),
                ("cleanup.policy", "compact"), ("segment.bytes", SEGMENT_BYTES),
                ("min.cleanable.dirty.ratio", DIRTY_RATIO), ("delete.retention.ms", DELETE_RETENTION_MS))
BROKER_CONFIG = {"log.cleaner.backoff.ms": CLEANER_BACKOFF_MS}
PRODUCER = {"acks": "all", "enable.idempotence": True, "batch.size": SEGMENT_BYTES // 2}
CONSUMER = {"group.id": "chaos"}
CHECKERS = ("duplicate",)               # rule 21
# run_compaction's keywords for the campaign row (rules 18, 20)
WORKLOAD: dict[str, Any] = {"topics": {"t": TopicSpec(2, 3, TOPIC_CONFIG)}, "broker_config": BROKER_CONFIG,
                            "warm_up": True}


def key_of(j: int) -> bytes:
    return f"k{j}".encode()


class CompactionWorkload(Workload):
    """Workload with rules 18-21."""

    def __init__(self, config: WorkloadConfig) -> None:
        super().__init__(config)
        self._keys = random.Random(f"{config.seed}/keys")       # rule 19: its own generator

    def run(self) -> Result:
        result = super().run()
        result.verdicts.update(check_compaction(self.h, self.c))
        return result

    def _shape(self, send: Send, slot: _ProducerSlot) -> None:
        """Rule 19: a key of the send's partition, and sometimes a tombstone."""
        if send.resend_of is not None:
            old = next(x for x in self.h.sends if x.index == send.resend_of)
            send.key, send.tombstone = old.key, old.tombstone
            return
        partitions = sum(1 for t, _ in self.input_tps if t == send.topic)
        mine = [j for j in range(KEYS) if j % partitions == send.partition]
        send.key = key_of(self._keys.choice(mine))
        send.tombstone = self._keys.random() < TOMBSTONE_P


def run_compaction(seed: int = 0, producer_config: Mapping[str, Any] | None = None,
                   consumer_config: Mapping[str, Any] | None = None, nemesis: Nemesis | Schedule | None = None,
                   records: int = 120, topics: Mapping[str, TopicSpec] | None = None, **config: Any) -> Result:
    """`run_workload` for this workload: rules 18-21's settings unless given."""
    settings = {**WORKLOAD, "checkers": CHECKERS, **config}
    settings["topics"] = topics if topics is not None else settings["topics"]
    cfg = WorkloadConfig(seed=seed, records=records, nemesis=nemesis,
                         producer_config=dict(producer_config or PRODUCER),
                         consumer_config=dict(consumer_config or CONSUMER), **settings)
    return CompactionWorkload(cfg).run()
