"""What a partition leader checks in a producer's batch before appending it, and the timestamps
it stamps (Kafka: `UnifiedLog.analyzeAndValidateRecords`, `LogValidator`, the segment-size check
of `UnifiedLog.append`).

The replica manager runs these checks on client batches only (`append_records` with
`internal_topics_allowed` false): transaction markers and the coordinators' own writes are not
checked, and neither is anything a follower copies. The limits are the replica's log config
(storage/log_config.py): each topic key, else its broker synonym.

Rules (kafka-semantics.md Q.334, Q.338-339, P2.323):
1. Size: a batch larger than `max.message.bytes` (broker `message.max.bytes`, 1048588) is
   refused with code 10, MESSAGE_TOO_LARGE in Kafka, MSG_SIZE_TOO_LARGE here (librdkafka's
   name). This is checked first.
2. Keys: on a topic whose `cleanup.policy` contains `compact`, a record without a key refuses
   the batch with INVALID_RECORD: "Compacted topic cannot accept message without key in topic
   partition <tp>."
3. Timestamps, CreateTime only: a record is refused when now - ts > `message.timestamp.before.max.ms`
   or ts - now > `message.timestamp.after.max.ms` (now: the leader's clock); a timestamp of -1
   is not checked. The message names the accepted window [now - before, now + after]. When
   records fail both rule 2 and rule 3, the batch gets INVALID_TIMESTAMP.
4. Segment size: a batch larger than `segment.bytes` is refused with RECORD_LIST_TOO_LARGE
   (checked after rules 2-3, as Kafka checks it after LogValidator).
5. A refusal refuses the whole batch, before anything changes: nothing is appended and the
   producer state does not move.
6. LogAppendTime (`message.timestamp.type`): the leader stamps its clock on the batch and marks
   its timestamp type LogAppendTime (attribute bit 3). Every record reads back with that time,
   consumers report TIMESTAMP_LOG_APPEND_TIME, and the batch's max timestamp is that time. The
   producer's batch is shared and immutable, so the leader appends a new batch with new
   records. The produce response carries the time (`log_append_time`). For a batch acknowledged
   as a duplicate, the time is the one its first append got.

Simplifications:
- One error and one message per refused batch. Kafka also lists each failing record
  (Produce v8+ record errors); here the message names the first one, and every record of the
  batch fails with the batch's error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from minikafka.storage.records import RecordBatch

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica
    from minikafka.storage.log_config import LogConfig

NO_TIMESTAMP = -1


def check_batch(tp: tuple, batch: RecordBatch, cfg: "LogConfig", now: int) -> tuple[str, str] | None:
    """Rules 1-4: (error name, message) when the leader refuses `batch`, else None."""
    name = f"{tp[0]}-{tp[1]}"
    if batch.size > cfg.max_message_bytes:
        return ("MSG_SIZE_TOO_LARGE", f"The record batch size in the append to {name} is {batch.size} bytes, "
                                      f"over max.message.bytes ({cfg.max_message_bytes}).")
    keyless = bad_time = None
    check_time = not cfg.log_append_time
    before, after = cfg.timestamp_before_max_ms, cfg.timestamp_after_max_ms
    for i, rec in enumerate(batch.records):
        if cfg.compact and rec.key is None:
            if keyless is None:
                keyless = i
        elif check_time and bad_time is None and rec.timestamp != NO_TIMESTAMP \
                and (now - rec.timestamp > before or rec.timestamp - now > after):
            bad_time = (i, rec.timestamp)
    if bad_time is not None:
        i, ts = bad_time
        return ("INVALID_TIMESTAMP", f"Timestamp {ts} of the record at index {i} of the batch is out of range: "
                                     f"{name} accepts timestamps within [{now - before}, {now + after}] "
                                     "(message.timestamp.before.max.ms and message.timestamp.after.max.ms "
                                     f"around the leader's clock, {now}).")
    if keyless is not None:
        return ("INVALID_RECORD", f"Compacted topic cannot accept message without key in topic partition {name}.")
    if batch.size > cfg.segment_bytes:
        return ("RECORD_LIST_TOO_LARGE", f"The record batch size in the append to {name} is {batch.size} bytes, "
                                         f"over the segment size (segment.bytes {cfg.segment_bytes}).")
    return None


def stamp(batch: RecordBatch, now: int) -> RecordBatch:
    """Rule 6: a copy of the producer's batch whose records all carry the leader's time `now`."""
    records = [rec._replace(timestamp=now) for rec in batch.records]
    return RecordBatch(records, batch.size, producer_id=batch.producer_id, producer_epoch=batch.producer_epoch,
                       base_sequence=batch.base_sequence, transactional=batch.transactional, max_timestamp=now,
                       log_append_time=True)


class ProduceValidation:
    """One Produce request's validation on the leader (rules 1-6). `check` returns the batch to
    append or an error name; `respond` passes on each partition's error message and log-append time
    with the results, as ProduceResponse takes them (protocol/produce.py)."""

    __slots__ = ("broker", "messages", "stamped")

    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.messages: dict[tuple, str] = {}       # tp -> why its batch was refused
        self.stamped: set[tuple] = set()           # partitions of LogAppendTime topics

    def check(self, r: "Replica", batch: RecordBatch) -> tuple[RecordBatch, str | None]:
        b = self.broker
        now = b.sim.now
        refused = check_batch(r.tp, batch, r.log_config, now)
        if refused is not None:
            err, self.messages[r.tp] = refused
            b.trace.state(now, b.name, "produce.reject", tp=f"{r.tp[0]}-{r.tp[1]}", error=err, why=refused[1])
            return batch, err
        if r.log_config.log_append_time:
            self.stamped.add(r.tp)
            return stamp(batch, now), None
        return batch, None

    def respond(self, respond: Callable[[list], None]) -> Callable[[list], None]:
        """`respond`, or when a partition has a message or a log-append time, a wrapper that adds
        them to the results."""
        if not self.messages and not self.stamped:
            return respond
        replicas = self.broker.replicas

        def with_details(results: list) -> None:
            out = []
            for tp, err, off in results:
                ts = NO_TIMESTAMP
                if err is None and tp in self.stamped:
                    r = replicas.get(tp)
                    appended = r.log.batch_at(off) if r is not None and off >= 0 else None
                    ts = appended.max_timestamp if appended is not None else NO_TIMESTAMP
                out.append((tp, err, off, ts, self.messages.get(tp)))
            respond(out)
        return with_details
