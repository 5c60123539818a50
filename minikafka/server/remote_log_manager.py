"""A broker's remote log manager: what it does with the remote tier of its tiered partitions
(Kafka: `RemoteLogManager` with its RLMCopyTask, RLMExpirationTask and RLMFollowerTask, and the
remote branch of `ReplicaManager` reads; kafka-semantics.md T.325-332).

The remote tier itself is the cluster's object store (storage/remote_storage.py). A replica's
log is tiered when log_manager.py rule 5 says so.

Rules:
1. Per tiered partition, the broker runs one periodic task every
   `remote.log.manager.task.interval.ms`, the first at once when it becomes the partition's
   leader or follower: as leader the copy task then the expiration task, as follower the
   follower task. A role change replaces the task; a deleted replica ends it. A broker that
   hosts no tiered partition schedules nothing at all.
2. RLMCopyTask (leader, T.327): copy, oldest first, every whole segment that is not the active
   one, whose next segment's base offset is <= the LSO (all its offsets stable and committed),
   and that holds offsets after the highest offset already copied (or at the log start). The
   highest offset copied becomes that segment's last offset: local retention may now delete
   it (storage/log_retention.py rule 7). On its first run as leader the task raises the log
   start to the first remote segment's base (to the local log start when the tier is empty),
   as Kafka's leader does with its remote log start.
3. RLMExpirationTask (leader, T.329): walking the remote segments oldest first, delete each
   that lies wholly below the log start; then, with `delete` in `cleanup.policy`, each whose
   largest timestamp is <= now - `retention.ms` (remote uses <=, local retention uses >: the
   boundaries differ by 1 ms), or, while the remote bytes plus the local bytes not yet uploaded
   exceed `retention.bytes`, each whose size still fits in the excess; the walk stops at the
   first segment kept. The log start then rises to the last deleted segment's end + 1 (never
   past the HW: the run deletes nothing then), before the segments are deleted; followers
   adopt it from their fetches (T.308).
4. RLMFollowerTask (follower, T.328): the follower learns the highest offset uploaded, which is
   what lets its own retention delete local segments: followers trim later than the leader.
   Leader and follower alike know at most their own LEO - 1 as uploaded.
5. Reads (T.330): a consumer fetch at an offset from the log start up to the local log start is
   read from the remote tier. Only the first such partition of a fetch is read remotely; other
   such partitions come back empty, and partitions read locally come back with what they held
   when the fetch arrived. The response is sent when the object store answers, after its
   latency; past `remote.fetch.max.wait.ms` the remote partition comes back empty instead.
   The remote read returns whole batches of one remote segment from the batch holding the
   offset, within the partition's byte limit (at least one batch when no partition before it
   returned data), with the aborted transactions of that segment for read_committed; an offset
   no remote segment holds any more answers OFFSET_OUT_OF_RANGE.
6. A follower's fetch below the leader's local log start gets OFFSET_MOVED_TO_TIERED_STORAGE;
   it never reads the remote tier (replica_fetcher.py rule 7).
7. A CreateTopics or IncrementalAlterConfigs of a topic with invalid tiered settings is answered
   INVALID_CONFIG with Kafka's message (storage/log_config.py `remote_storage_error`) by the
   broker that would forward it, before any metadata record (`config_error`).
8. Trace events, only when something happens: `remote.copy` (the segments' base offsets, the
   highest offset copied), `remote.delete` (the reason, the segments, the log start) and
   `remote.read` (the offset, the batches' offsets, the latency, or `expired`).

Simplifications:
- The object store's latency is one fixed number; copies and deletions are instantaneous, and
  nothing throttles them (`remote.log.manager.copy.max.bytes.per.second` is not modelled).
- There is no RemoteLogMetadataManager topic: followers read the store's metadata at their task
  interval.
- Rule 7's checks run on the forwarding broker, against its metadata image (Kafka: the
  controller's `ControllerConfigurationValidator`); every broker has the same config here.
- Copy and expiration run back to back in one periodic task per partition (Kafka: two tasks on
  two thread pools, at the same interval).
- Remote segments are not checked against the leader-epoch lineage (Kafka deletes segments of
  epochs an unclean election discarded); the highest copied offset is capped at the LEO - 1
  instead of being looked up epoch by epoch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.storage.log_config import remote_storage_error
from minikafka.storage.remote_storage import RemoteLogSegment, RemoteStorage

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica


@dataclass
class RemoteFetch:
    """The first partition of a consumer fetch that must be read remotely (rule 5)."""

    index: int                  # its place in the response's partitions
    tp: tuple
    offset: int
    max_bytes: int
    min_one: bool               # no partition before it returned data


class _PartitionTask:
    __slots__ = ("role", "timer", "log_start_updated")

    def __init__(self, role: str) -> None:
        self.role = role                        # "leader" or "follower"
        self.timer: Any = None
        self.log_start_updated = False


class RemoteLogManager:
    def __init__(self, broker: "Broker") -> None:
        self.broker = broker
        self.tasks: dict[tuple, _PartitionTask] = {}

    @property
    def storage(self) -> RemoteStorage:
        return self.broker.remote_storage

    # -- rule 1 ------------------------------------------------------------------------------
    def on_partition_state(self, r: "Replica") -> None:
        """The replica became leader or follower, or its topic's config changed (Kafka:
        onLeadershipChange)."""
        if not r.log.remote_log_enabled:
            return
        role = "leader" if r.is_leader else "follower"
        task = self.tasks.get(r.tp)
        if task is not None:
            if task.role == role:
                return
            task.timer.cancel()
        task = self.tasks[r.tp] = _PartitionTask(role)
        task.timer = self.broker.after(0, self._run, r.tp, task, daemon=True)

    def on_topic_deleted(self, topic: str) -> None:
        for tp in sorted(tp for tp in self.tasks if tp[0] == topic):
            self.tasks.pop(tp).timer.cancel()
        self.storage.delete_topic(topic)

    def _run(self, tp: tuple, task: _PartitionTask) -> None:
        b = self.broker
        r = b.replicas.get(tp)
        if self.tasks.get(tp) is not task:
            return
        if r is None or not r.log.remote_log_enabled:
            del self.tasks[tp]
            return
        if r.is_leader != (task.role == "leader"):
            del self.tasks[tp]
            self.on_partition_state(r)
            return
        if r.is_leader:
            self.copy_log_segments(r, task)
            self.cleanup_expired_remote_log_segments(r)
        else:
            self.learn_highest_offset(r)
        task.timer = b.after(b.cfg["remote.log.manager.task.interval.ms"], self._run, tp, task, daemon=True)

    # -- rule 2 ------------------------------------------------------------------------------
    def copy_log_segments(self, r: "Replica", task: _PartitionTask) -> None:
        b, log, store = self.broker, r.log, self.storage
        if not task.log_start_updated:
            task.log_start_updated = True
            remote = store.segments(r.tp)
            self._raise_log_start(r, remote[0].base_offset if remote else log.local_log_start_offset)
        self.learn_highest_offset(r)
        lso = r.lso
        copied = log.highest_offset_in_remote_storage
        if lso <= 0 or copied >= lso:
            return
        from_offset = max(copied + 1, log.log_start_offset)
        segs = log.segments
        done = []
        for i in range(len(segs) - 1):
            seg, end = segs[i], segs[i + 1].base_offset
            if end <= from_offset:
                continue
            if end > lso:
                break
            store.copy(r.tp, RemoteLogSegment(seg.base_offset, end - 1, seg.size, seg.timestamp_for_retention(),
                                              _epochs_within(log.epochs, seg.base_offset, end),
                                              tuple(log.segment_batches(i)),
                                              tuple(a for a in r.txn.aborted
                                                    if a.last_offset >= seg.base_offset and a.first_offset < end),
                                              b.id, b.sim.now))
            log.highest_offset_in_remote_storage = end - 1
            done.append(seg.base_offset)
        if done:
            b.trace.state(b.sim.now, b.name, "remote.copy", tp=_n(r.tp), segments=tuple(done),
                          highest=log.highest_offset_in_remote_storage)

    # -- rule 3 ------------------------------------------------------------------------------
    def cleanup_expired_remote_log_segments(self, r: "Replica") -> None:
        b, log, store, cfg = self.broker, r.log, self.storage, r.log_config
        remote = store.segments(r.tp)
        if not remote:
            return
        now = b.sim.now
        cleanup_until = now - cfg.retention_ms if cfg.delete and cfg.retention_ms > -1 else None
        breached = 0
        if cfg.delete and cfg.retention_bytes > -1:
            only_local = sum(s.size for s in log.segments if s.base_offset >= log.highest_offset_in_remote_storage)
            breached = max(only_local + sum(s.size for s in remote) - cfg.retention_bytes, 0)
        log_start = log.log_start_offset
        gone: list[tuple[str, RemoteLogSegment]] = []
        for seg in remote:
            if seg.end_offset < log_start:
                gone.append(("log-start", seg))
            elif cleanup_until is not None and seg.max_timestamp <= cleanup_until:
                breached = max(breached - seg.size, 0)
                gone.append(("retention.ms", seg))
            elif breached > 0 and breached - seg.size >= 0:
                breached -= seg.size
                gone.append(("retention.bytes", seg))
            else:
                break
        if not gone:
            return
        new_start = max(seg.end_offset + 1 for _, seg in gone)
        if new_start > log_start and not self._raise_log_start(r, new_start):
            return
        for reason in ("log-start", "retention.ms", "retention.bytes"):
            segs = [seg for why, seg in gone if why == reason]
            for seg in segs:
                store.delete(r.tp, seg)
            if segs:
                b.trace.state(now, b.name, "remote.delete", tp=_n(r.tp), reason=reason,
                              segments=tuple(s.base_offset for s in segs), log_start=log.log_start_offset)

    def _raise_log_start(self, r: "Replica", offset: int) -> bool:
        """Move the log start up to `offset` (never past the HW: False then)."""
        if offset > r.hw:
            return False
        if r.log.increment_log_start(offset):
            self.broker.log_manager.on_log_start_moved(r)
        return True

    # -- rule 4 ------------------------------------------------------------------------------
    def learn_highest_offset(self, r: "Replica") -> None:
        """Kafka: findHighestRemoteOffset, then updateHighestOffsetInRemoteStorage (it only grows)."""
        log = r.log
        known = min(self.storage.highest_offset(r.tp), log.log_end_offset - 1)
        if known > log.highest_offset_in_remote_storage:
            log.highest_offset_in_remote_storage = known

    # -- rules 5-6: the replica manager's fetch path --------------------------------------------
    def below_local_log_start(self, results: list, r: "Replica", fp: Any, follower: bool, hw: int, lso: int,
                              remote: list[RemoteFetch], max_bytes: int, min_one: bool) -> None:
        """Append the result of a partition whose fetch offset is below the local log start;
        `remote` gets the remote read the fetch will make, for the first such partition."""
        start = r.log.log_start_offset
        if follower:
            results.append(P.FetchPartitionResult(fp.tp, "OFFSET_MOVED_TO_TIERED_STORAGE", hw, lso, start,
                                                  leader_epoch=r.leader_epoch))
            return
        if not remote:
            remote.append(RemoteFetch(len(results), fp.tp, fp.fetch_offset, max_bytes, min_one))
        results.append(P.FetchPartitionResult(fp.tp, None, hw, lso, start, leader_epoch=r.leader_epoch))

    def read_remote(self, src: str, msg: P.FetchRequest, results: list, nbytes: int, remote: RemoteFetch) -> None:
        """Rule 5: answer the fetch when the object store answers, or at `remote.fetch.max.wait.ms`."""
        b = self.broker
        latency, wait = self.storage.latency_ms, b.cfg["remote.fetch.max.wait.ms"]
        b.after(min(latency, wait), self._complete_remote_fetch, src, msg, results, nbytes, remote, latency <= wait)

    def _complete_remote_fetch(self, src: str, msg: P.FetchRequest, results: list, nbytes: int,
                               remote: RemoteFetch, answered: bool) -> None:
        b = self.broker
        now, tp = b.sim.now, _n(remote.tp)
        if not answered:
            b.trace.state(now, b.name, "remote.read", tp=tp, offset=remote.offset, expired=True)
            b.replica_manager._respond_fetch(src, msg, results, nbytes)
            return
        placeholder = results[remote.index]
        read = self.storage.read(remote.tp, remote.offset, remote.max_bytes, remote.min_one)
        results = list(results)
        if read is None:
            results[remote.index] = P.FetchPartitionResult(
                remote.tp, "OFFSET_OUT_OF_RANGE", placeholder.high_watermark, placeholder.last_stable_offset,
                placeholder.log_start_offset, leader_epoch=placeholder.leader_epoch)
            b.trace.state(now, b.name, "remote.read", tp=tp, offset=remote.offset, error="OFFSET_OUT_OF_RANGE")
        else:
            batches, aborted = read
            txns: tuple = ()
            if batches and msg.isolation == "read_committed":
                lo, hi = batches[0].base_offset, batches[-1].next_offset
                txns = tuple((a.producer_id, a.first_offset) for a in aborted if a.last_offset >= lo and a.first_offset < hi)
            results[remote.index] = P.FetchPartitionResult(
                remote.tp, None, placeholder.high_watermark, placeholder.last_stable_offset,
                placeholder.log_start_offset, batches, None, txns, placeholder.leader_epoch)
            nbytes += sum(x.size for x in batches)
            span = (batches[0].base_offset, batches[-1].last_offset) if batches else ()
            b.trace.state(now, b.name, "remote.read", tp=tp, offset=remote.offset, batches=span,
                          latency=self.storage.latency_ms)
        b.replica_manager._respond_fetch(src, msg, results, nbytes)


def config_error(b: "Broker", msg: Any) -> str | None:
    """Rule 7: Kafka's message for a CreateTopics or topic IncrementalAlterConfigs request whose
    tiered settings are invalid; None for any other request or valid settings."""
    if msg.kind == "CreateTopicsRequest":
        return remote_storage_error(msg.config, {}, b.cfg)
    if msg.kind == "IncrementalAlterConfigsRequest" and msg.resource_type == "topic":
        existing = b.image.topic_configs.get(msg.topic, {})
        return remote_storage_error({**existing, **msg.changes}, existing, b.cfg)
    return None


def _epochs_within(epochs: list[tuple[int, int]], base: int, end: int) -> tuple[tuple[int, int], ...]:
    """The leader-epoch entries covering offsets [base, end): the one in force at `base` (moved
    to `base`), then those starting inside."""
    out: list[tuple[int, int]] = []
    for epoch, start in epochs:
        if start >= end:
            break
        if start <= base:
            out = [(epoch, base)]
        else:
            out.append((epoch, start))
    return tuple(out)


def _n(tp: tuple) -> str:
    return f"{tp[0]}-{tp[1]}"
