"""Share-partitions on a partition leader: ShareFetch and ShareAcknowledge, acquisition locks, and
the state kept with the share coordinator (kafka-semantics.md O.233-O.241; Kafka:
`SharePartitionManager`, `SharePartition`, `DefaultStatePersister`). The in-flight records and
their rules are share_partition.py's; this module does the I/O and the timers.

Rules:
1. A ShareFetch or ShareAcknowledge names partitions this broker must lead; another partition
   gets NOT_LEADER_OR_FOLLOWER. A share-partition (group, partition) is loaded on first use with
   ReadShareGroupState from the share coordinator of "group:topic:partition"; one that was never
   written starts at `share.auto.offset.reset` (a group config: latest, the default, is the high
   watermark; earliest is the log start), and that start is written at once. A share-partition
   is dropped when this broker stops leading the partition, or leads it at a new leader epoch (a
   new leader loads it again); a lock that expires on a broker that no longer leads changes
   nothing.
2. A ShareFetch first applies the acknowledgements it carries, then acquires up to
   `max_records` records per partition for the member, each acquisition under one lock of
   `group.share.record.lock.duration.ms`; when the lock expires, its records still acquired go
   back (Available, or Archived at `group.share.delivery.count.limit`). With nothing to acquire
   the answer waits `max_wait_ms` and tries once more.
3. Records are delivered up to the high watermark, or under `share.isolation.level`
   read_committed up to the LSO, where control records and records of aborted transactions are
   gaps (archived, never delivered). Under read_uncommitted aborted records are delivered too,
   as in Kafka.
4. Acknowledgements (ACCEPT, RELEASE, REJECT) and lock expiries are persisted with
   WriteShareGroupState (the whole in-flight window) before the acknowledgement is answered. One
   such change is in flight per share-partition at a time (the others wait), so a failed write
   puts the share-partition back as it was before that request alone and answers its error (a
   lock expiry is not undone: its records are released either way). Acquisitions are
   not persisted, so after a failover records that were acquired come back Available with their
   last persisted delivery count (duplicates are expected: at-least-once).
5. ShareAcknowledge with `close` also releases every record the member still has acquired on
   those partitions. Simplification: there are no share sessions, and a crashed consumer's
   records come back when their locks expire (Kafka 4.1+ also releases them when the
   connection closes). Not modelled either: RENEW acknowledgements (KIP-1222), 4.2's delivery
   throttling near the limit, `share.acquire.mode`, and the SharePartition/ShareGroup metrics.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from minikafka import protocol as P
from minikafka.coordinator.internal_topics import SHARE_GROUP_STATE, coordinator_of
from minikafka.coordinator.share.share_coordinator import share_key
from minikafka.server.share.share_partition import SharePartition

if TYPE_CHECKING:
    from minikafka.server.broker import Broker
    from minikafka.server.partition import Replica

TP = tuple[str, int]
Key = tuple[str, TP]                    # (group, partition)
RETRY_MS = 100                          # a share coordinator not found or not answering: try again after


@dataclass
class Entry:
    sp: SharePartition | None           # None while loading
    leader_epoch: int
    state_epoch: int = 0
    waiting: list = field(default_factory=list)      # callbacks to run once loaded
    ops: list = field(default_factory=list)          # rule 4: state changes waiting for the write in flight
    busy: bool = False


class SharePartitionManager:
    def __init__(self, broker: "Broker") -> None:
        self.b = broker
        self.entries: dict[Key, Entry] = {}
        self.pending: dict[int, Callable[[Any], None]] = {}          # cid -> on the coordinator's answer
        self.locks: dict[int, Key] = {}
        self._lock_id = 0
        self._cid = 0

    # -- requests (rules 1, 2, 5) -------------------------------------------------------------------
    def on_fetch(self, src: str, msg: P.ShareFetchRequest) -> None:
        tps = sorted(set(msg.partitions) | {tp for tp, _ in msg.acks})
        acks = dict(msg.acks)
        self._when_loaded(msg.group_id, tps, lambda errors: self._fetch(src, msg, tps, acks, errors, True))

    def _fetch(self, src: str, msg: P.ShareFetchRequest, tps: list[TP], acks: dict, errors: dict,
               may_wait: bool) -> None:
        self._acknowledge(msg.group_id, msg.member_id, tps, acks, errors, False, lambda ack_errors: self._acquire(
            src, msg, tps, errors, ack_errors, may_wait))

    def _acquire(self, src: str, msg: P.ShareFetchRequest, tps: list[TP], errors: dict, ack_errors: dict,
                 may_wait: bool) -> None:
        b = self.b
        got: dict[TP, tuple] = {}
        for tp in msg.partitions:
            if errors.get(tp) is None:
                got[tp] = self._take(msg.group_id, msg.member_id, tp, msg.max_records)
        if may_wait and not msg.acks and not any(got.values()) and msg.max_wait_ms > 0:
            b.after(msg.max_wait_ms, self._when_loaded, msg.group_id, tps,
                    lambda errs: self._acquire(src, msg, tps, errs, ack_errors, False))
            return
        parts = tuple(P.ShareFetchPartition(tp, errors.get(tp), ack_errors.get(tp), got.get(tp, ()))
                      for tp in tps)
        b.send(src, P.ShareFetchResponse(msg.cid, None, b.cfg["group.share.record.lock.duration.ms"], parts))

    def on_acknowledge(self, src: str, msg: P.ShareAcknowledgeRequest) -> None:
        tps = sorted(tp for tp, _ in msg.acks)

        def loaded(errors: dict) -> None:
            self._acknowledge(msg.group_id, msg.member_id, tps, dict(msg.acks), errors, msg.close, lambda res: (
                self.b.send(src, P.ShareAcknowledgeResponse(msg.cid, None, tuple(
                    (tp, errors.get(tp) or res.get(tp)) for tp in tps)))))
        self._when_loaded(msg.group_id, tps, loaded)

    def _acknowledge(self, group: str, member: str, tps: list[TP], acks: dict, errors: dict, close: bool,
                     then: Callable[[dict], None]) -> None:
        """Rule 4: apply, persist, then `then({tp: error})`; one state change at a time per
        share-partition, so a failed write undoes only its own request."""
        results: dict[TP, str | None] = {}
        work = [tp for tp in tps if errors.get(tp) is None and (acks.get(tp) or close)]
        if not work:
            return then(results)
        left = [len(work)]

        def finish(tp: TP, err: str | None) -> None:
            results[tp] = err
            left[0] -= 1
            if left[0] == 0:
                then(results)

        def op(tp: TP, e: Entry, done: Callable[[], None]) -> None:
            if not self._current(group, tp, e):
                finish(tp, "NOT_LEADER_OR_FOLLOWER")
                return done()
            saved = _save(e.sp)
            err = e.sp.acknowledge(member, acks[tp]) if acks.get(tp) else None
            if err is None and close:
                e.sp.release_member(member)
            if err is not None:
                finish(tp, err)
                return done()

            def written(werr: str | None) -> None:
                if werr is not None:
                    _restore(e.sp, saved)
                finish(tp, werr)
                done()
            self._persist(group, tp, e, written)
        for tp in work:
            e = self.entries[(group, tp)]
            self._queue(e, lambda done, tp=tp, e=e: op(tp, e, done))

    def _queue(self, e: Entry, op: Callable[[Callable[[], None]], None]) -> None:
        e.ops.append(op)
        self._next(e)

    def _next(self, e: Entry) -> None:
        if e.busy or not e.ops:
            return
        e.busy = True
        op = e.ops.pop(0)

        def done() -> None:
            e.busy = False
            self._next(e)
        op(done)

    def _current(self, group: str, tp: TP, e: Entry) -> bool:
        """Rule 1: this broker still leads the partition at the epoch the share-partition was
        loaded in (else the share-partition is dropped: a new leader loads it again)."""
        r = self.b.replicas.get(tp)
        if self.entries.get((group, tp)) is e and r is not None and r.is_leader and r.leader_epoch == e.leader_epoch:
            return True
        if self.entries.get((group, tp)) is e:
            del self.entries[(group, tp)]
        return False

    # -- acquiring (rules 2, 3) ---------------------------------------------------------------------
    def _take(self, group: str, member: str, tp: TP, max_records: int) -> tuple:
        b = self.b
        r = b.replicas[tp]
        e = self.entries[(group, tp)]
        e.sp.move_start(r.log.log_start_offset)
        committed = b.image.group_configs.get(group, {}).get("share.isolation.level") == "read_committed"
        end = r.lso() if committed else r.hw
        self._lock_id += 1
        lock = self._lock_id
        acquired = e.sp.acquire(member, max_records, end, lambda o: _deliverable(r, o, committed), lock)
        if not acquired:
            return ()
        self.locks[lock] = (group, tp)
        b.after(b.cfg["group.share.record.lock.duration.ms"], self._expire, lock, e, daemon=True)
        out = []
        for offset, count in acquired:
            batch = r.log.batch_at(offset)
            out.append((offset, count, batch.records[offset - batch.base_offset], batch.log_append_time))
        b.trace.state(b.sim.now, b.name, "share.acquire", group=group, tp=f"{tp[0]}-{tp[1]}", member=member,
                      offsets=f"{acquired[0][0]}..{acquired[-1][0]}", records=len(acquired),
                      counts=tuple(sorted({c for _, c in acquired})))
        return tuple(out)

    def _expire(self, lock: int, e: Entry) -> None:
        key = self.locks.pop(lock, None)
        if key is None:
            return

        def op(done: Callable[[], None]) -> None:
            if not self._current(key[0], key[1], e):
                return done()
            back = e.sp.expire_lock(lock)
            if not back:
                return done()
            b = self.b
            b.trace.state(b.sim.now, b.name, "share.lock_expired", group=key[0], tp=f"{key[1][0]}-{key[1][1]}",
                          offsets=tuple(back))
            self._persist(key[0], key[1], e, lambda err: done())     # a release is not undone
        self._queue(e, op)

    # -- loading and persisting (rules 1, 4) -----------------------------------------------------------
    def _when_loaded(self, group: str, tps: list[TP], then: Callable[[dict], None]) -> None:
        """`then({tp: error})` once every partition of `tps` this broker leads is loaded."""
        errors: dict[TP, str | None] = {}
        loading: list[Entry] = []
        for tp in tps:
            r = self.b.replicas.get(tp)
            if r is None or not r.is_leader:
                errors[tp] = "NOT_LEADER_OR_FOLLOWER"
                continue
            e = self.entries.get((group, tp))
            if e is None or e.leader_epoch != r.leader_epoch:
                e = self.entries[(group, tp)] = Entry(None, r.leader_epoch)
                self._load(group, tp, e, r)
            if e.sp is None:
                loading.append(e)
        if not loading:
            return then(errors)
        left = [len(loading)]

        def one() -> None:
            left[0] -= 1
            if left[0] == 0:
                self._when_loaded(group, [tp for tp in tps if errors.get(tp) is None], lambda errs: then(
                    {**errors, **errs}))
        for e in loading:
            e.waiting.append(one)

    def _load(self, group: str, tp: TP, e: Entry, r: "Replica") -> None:
        b = self.b

        def answered(resp: Any) -> None:
            if self.entries.get((group, tp)) is not e:
                return
            if resp is None or resp.error is not None:
                del self.entries[(group, tp)]           # the next request loads again
                b.after(RETRY_MS, _run, e.waiting)
                return
            limit, locks = b.cfg["group.share.delivery.count.limit"], b.cfg["group.share.partition.max.record.locks"]
            e.state_epoch = resp.state_epoch
            if resp.start_offset < 0:
                earliest = b.image.group_configs.get(group, {}).get("share.auto.offset.reset") == "earliest"
                e.sp = SharePartition(r.log.log_start_offset if earliest else r.hw, limit, locks)
                self._queue(e, lambda done: self._persist(group, tp, e, lambda err: done()))
            else:
                e.sp = SharePartition.from_state(resp.start_offset, resp.batches, limit, locks)
            b.trace.state(b.sim.now, b.name, "share.load", group=group, tp=f"{tp[0]}-{tp[1]}", spso=e.sp.spso,
                          batches=len(resp.batches))
            _run(e.waiting)
        self._ask(group, tp, lambda cid: P.ReadShareGroupStateRequest(cid, group, tp), answered)

    def _persist(self, group: str, tp: TP, e: Entry, then: Callable[[str | None], None]) -> None:
        sp = e.sp
        self._ask(group, tp, lambda cid: P.WriteShareGroupStateRequest(cid, group, tp, e.state_epoch, sp.spso,
                                                                       sp.state_batches()),
                  lambda resp: then("COORDINATOR_NOT_AVAILABLE" if resp is None else resp.error))

    def _ask(self, group: str, tp: TP, build: Callable[[int], Any], then: Callable[[Any], None]) -> None:
        """A request to the share coordinator of the share-partition; `then(None)` if it cannot
        be sent or gets no answer within `request.timeout.ms`."""
        b = self.b
        node = coordinator_of(b, SHARE_GROUP_STATE, share_key(group, tp))
        if node is None:
            b.after(RETRY_MS, then, None)
            return
        self._cid += 1
        cid = self._cid
        timer = b.after(b.cfg["request.timeout.ms"], self._timeout, cid)

        def answered(resp: Any) -> None:
            timer.cancel()
            then(resp)
        self.pending[cid] = answered
        b.send(f"b{node}", build(cid))

    def _timeout(self, cid: int) -> None:
        cb = self.pending.pop(cid, None)
        if cb is not None:
            cb(None)

    def on_state_response(self, msg: Any) -> None:
        cb = self.pending.pop(msg.cid, None)
        if cb is not None:
            cb(msg)


def _run(callbacks: list) -> None:
    todo = list(callbacks)
    callbacks.clear()
    for cb in todo:
        cb()


def _deliverable(r: "Replica", offset: int, committed: bool) -> bool:
    """Rule 3."""
    batch = r.log.batch_at(offset)
    if batch is None or batch.control:
        return False
    if not committed or not batch.transactional:
        return True
    return not any(a.producer_id == batch.producer_id and a.first_offset <= offset < a.last_offset
                   for a in r.txn.aborted)


def _save(sp: SharePartition) -> tuple:
    return sp.spso, sp.next_offset, {o: list(v) for o, v in sp.records.items()}


def _restore(sp: SharePartition, saved: tuple) -> None:
    sp.spso, sp.next_offset, records = saved
    sp.records = records
