"""The consumer's fetching (Kafka's Fetcher and AbstractFetch, with CompletedFetch and
FetchCollector): Fetch requests to the partitions' leaders, their responses, the records they
carry into the buffer that `poll()` takes from, and fetch errors.

Rules (kafka-semantics.md A.2, H.52-H.53; the numbers are the consumer's, stated where they are
implemented: 1 and 4b in offset_fetcher.py, 5 in consumer.py):
2. It fetches from each partition's leader with long polls (`fetch.max.wait.ms`,
   `fetch.min.bytes`), one fetch in flight per broker, and only for partitions whose
   previously fetched records have all been returned. Each fetch asks for at most
   `fetch.max.bytes` and `max.partition.fetch.bytes` per partition (the broker applies them,
   replica_manager.py rule 4).
3. Brokers return data below the HW (read_uncommitted, the default) or the LSO
   (read_committed); control records are never returned to the application. A partition's
   answer to a fetch from an offset that is no longer the partition's (a seek or a reset
   meanwhile) is discarded, and the partition is fetched again from its position (Kafka:
   "Discarding stale fetch response").
4. OFFSET_OUT_OF_RANGE (for example after an unclean election truncated the log) resets the
   position by `auto.offset.reset`; leadership errors refresh metadata and retry.
6. With `enable.partition.eof`, reaching the end of a partition (the HW, or the LSO) returns
   one message whose error() is _PARTITION_EOF, once each time the end is reached.
7. Building fetches costs in proportion to the partitions that may have something to fetch,
   not to the assignment: a partition whose records wait in the buffer, whose leader has a
   fetch in flight, or whose reset or validation is under way, is set aside until that changes
   (the buffer empties; that fetch's response or error; the reset's or the validation's answer,
   offset_fetcher.py; new metadata; a back-off; a seek). The others (`to_fetch` in
   subscription_state.py) are looked at in assignment order, so the requests are the same as
   when every assigned partition is looked at on every call.
8. Reading from a follower (KIP-392): with `client.rack` set, fetches name the rack. A leader
   may answer a partition with a preferred read replica instead of records; the consumer then
   fetches that partition from it until `metadata.max.age.ms` passes, the replica is gone from
   its metadata, a fetch to it fails (back to the leader at once), or it answers
   OFFSET_OUT_OF_RANGE (back to the leader with no offset reset).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.message import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Message
from minikafka.errors import KafkaError

if TYPE_CHECKING:
    from minikafka.clients.consumer.consumer import Consumer

LEADERSHIP_ERRORS = frozenset({"NOT_LEADER_OR_FOLLOWER", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH",
                               "UNKNOWN_TOPIC_OR_PART", "LEADER_NOT_AVAILABLE"})


class Fetcher:
    def __init__(self, consumer: "Consumer") -> None:
        self.c = consumer
        self.subscriptions = consumer.subscriptions
        self.buffer: deque[Message] = deque()
        self.buffered_tps: dict[tuple[str, int], int] = {}        # tp -> messages buffered
        self.fetching: dict[int, int] = {}                        # broker -> cid in flight
        self.waiting: dict[int, list[tuple[str, int]]] = {}       # broker -> set aside for its fetch (rule 7)
        self.eof_at: dict[tuple[str, int], int] = {}              # where _PARTITION_EOF was last reported
        self.preferred: dict[tuple[str, int], tuple[int, int]] = {}   # tp -> (read replica, until) (rule 8)
        self.rack = consumer.cfg["client.rack"] or None           # None: leaders only (rule 8)

    # -- the buffer (FetchCollector) -------------------------------------------------------
    def take(self) -> Message:
        """The next buffered message; the position moves past it."""
        s = self.subscriptions
        msg = self.buffer.popleft()
        key = (msg._topic, msg._partition)
        s.positions[key] = msg._offset + 1 if msg._error is None else msg._offset
        s.position_epochs[key] = msg._leader_epoch
        left = self.buffered_tps[key] - 1
        if left:
            self.buffered_tps[key] = left
        else:       # past the fetched data, including control records after the last message
            del self.buffered_tps[key]
            fetch_offset = s.fetch_offsets.get(key, -1)
            if fetch_offset > msg._offset + 1:
                s.positions[key] = fetch_offset
            # send_fetches() for this partition alone; in the common case it is only set aside
            # for its leader's fetch in flight (rule 7), which needs no request built
            if s.to_fetch or fetch_offset < 0 or key in s.validating or key in s.backoff:
                s.to_fetch[key] = None
                self.send_fetches()
            else:
                leader = self.c.leader_of(key)[0]
                waiting = self.waiting.get(leader) if leader in self.fetching else None
                if waiting is None:
                    s.to_fetch[key] = None
                    self.send_fetches()
                else:
                    waiting.append(key)
        return msg

    def drop_buffers(self, which: Any) -> None:
        if any(which(tp) for tp in self.buffered_tps):
            self.buffer = deque(m for m in self.buffer if not which((m._topic, m._partition)))
            for tp in [tp for tp in self.buffered_tps if which(tp)]:
                del self.buffered_tps[tp]
                self.subscriptions.to_fetch[tp] = None

    # -- fetching (rules 2, 7) ---------------------------------------------------------------
    def send_fetches(self) -> None:
        c, s = self.c, self.subscriptions
        if c.closed or not s.to_fetch:
            return
        now = c.sim.now
        by_leader: dict[int, list[P.FetchPartition]] = {}
        missing = False
        order = s.order
        todo = [key for key in s.to_fetch if key in order]
        if len(todo) > 1:
            todo.sort(key=order.__getitem__)
        s.to_fetch = again = {}                     # what must be looked at next time too
        partition_max = c.cfg["max.partition.fetch.bytes"]
        for key in todo:
            off = s.fetch_offsets.get(key)
            if off is None and key not in s.resetting and c.error is None:
                c.offset_fetcher.initial_position(key)
                off = s.fetch_offsets.get(key)
            if off is None:
                if key not in s.resetting:
                    again[key] = None               # an error waits for the application
                continue                            # else set aside until the reset ends
            if key in self.buffered_tps or s.backoff.get(key, 0) > now:
                if s.backoff.get(key, 0) > now or key in s.validating:
                    again[key] = None
                continue                            # else set aside until its buffer empties
            if key in s.validating:
                if not s.validating[key] and not c.offset_fetcher.validate(key):
                    missing = True                  # no leader to ask: find one first
                    again[key] = None
                continue                            # else set aside until the validation ends
            leader, epoch = c.leader_of(key)
            if leader < 0:
                missing = True
                again[key] = None
                continue
            if key in self.preferred:                  # rule 8
                replica, until = self.preferred[key]
                if until > now and replica in c.brokers:
                    leader = replica
                else:
                    del self.preferred[key]
            if leader in self.fetching:
                self.waiting.setdefault(leader, []).append(key)     # set aside until that fetch ends
                continue
            s.seen_epochs.setdefault(key, epoch)
            fp = P.FetchPartition(key, off, epoch, partition_max_bytes=partition_max)
            by_leader.setdefault(leader, []).append(fp)
        if missing:
            c.request_metadata()
        for leader in sorted(by_leader):
            cid = c.next_cid()
            req = P.FetchRequest(cid, -1, c.cfg["fetch.max.wait.ms"], c.cfg["fetch.min.bytes"],
                                 c.cfg["fetch.max.bytes"], by_leader[leader], c.isolation, self.rack)
            self.fetching[leader] = cid
            self.waiting[leader] = [fp.tp for fp in by_leader[leader]]
            c.request(leader, req, lambda resp, b=leader, r=req: self._on_fetch(b, resp, r),
                      lambda err, b=leader: self._on_fetch_error(b, err), daemon=True)

    def fetch_done(self, broker: int, answered: bool = False) -> None:
        """The fetch to `broker` ended: what was set aside for it is looked at again (rule 7).
        After an answer, a partition that now has records buffered, and no back-off or
        validation to wait for, stays aside: send_fetches() would only set it aside again."""
        self.fetching.pop(broker, None)
        s = self.subscriptions
        to_fetch, buffered, backoff, now = s.to_fetch, self.buffered_tps, s.backoff, self.c.sim.now
        for key in self.waiting.pop(broker, ()):
            if not answered or key not in buffered or key in s.validating or backoff.get(key, 0) > now:
                to_fetch[key] = None

    def on_metadata(self) -> None:
        """Leaders may have moved: every assigned partition is looked at again (rule 7)."""
        s = self.subscriptions
        s.to_fetch.update(dict.fromkeys(s.assigned))
        self.send_fetches()

    def _on_fetch(self, broker: int, resp: P.FetchResponse, req: P.FetchRequest) -> None:
        c, s = self.c, self.subscriptions
        read_committed, eof = c.isolation == "read_committed", c.cfg["enable.partition.eof"]
        lag = -1
        fetch_offsets = s.fetch_offsets
        asked = req.partitions
        for i, res in enumerate(resp.partitions):
            key = res.tp
            if key not in fetch_offsets:
                continue
            fp = asked[i] if i < len(asked) and asked[i].tp == key else None
            if fp is not None and fp.fetch_offset != fetch_offsets[key]:
                s.to_fetch[key] = None                  # rule 3: a stale answer
                continue
            if res.error is not None:
                if self.preferred.pop(key, None) is not None and res.error == "OFFSET_OUT_OF_RANGE":
                    s.to_fetch[key] = None              # rule 8: ask the leader, no reset
                    continue
                self._partition_error(key, res.error)
                continue
            if res.preferred_read_replica >= 0:         # rule 8
                self.preferred[key] = (res.preferred_read_replica, c.sim.now + c.cfg["metadata.max.age.ms"])
                c.trace.state(c.sim.now, c.name, "fetch.read_replica", tp=f"{key[0]}-{key[1]}",
                              replica=res.preferred_read_replica)
                continue
            end = s.high_watermarks[key] = res.last_stable_offset if read_committed else res.high_watermark
            batches = res.batches
            if not batches:
                n = 0
            elif read_committed or len(batches) > 1 or batches[0].control:
                n = self.buffer_records(key, res)
            else:                               # buffer_records' common case, one data batch, in line
                b = batches[0]
                start, base, recs = fetch_offsets[key], b.base_offset, b.records
                lo = start - base if start > base else 0
                hi = len(recs) if base + len(recs) <= end else end - base
                topic, part, epoch, append = key[0], key[1], b.leader_epoch, self.buffer.append
                tstype = TIMESTAMP_LOG_APPEND_TIME if b.log_append_time else TIMESTAMP_CREATE_TIME
                for j in range(lo, hi):
                    r = recs[j]
                    append(Message(topic, part, base + j, r.key, r.value, r.headers, r.timestamp, None, epoch,
                                   tstype))
                n = hi - lo if hi > lo else 0
                if base + hi > start:
                    fetch_offsets[key] = base + hi
                    if not n:
                        s.positions[key] = base + hi
            if eof and s.fetch_offsets.get(key, -1) >= end and self.eof_at.get(key) != end:
                self.eof_at[key] = end          # rule 6: once per time the end is reached
                self.buffer.append(Message(key[0], key[1], end, None, None, None, -1,
                                           KafkaError("_PARTITION_EOF", f"Fetch reached the end of {key[0]} "
                                                      f"[{key[1]}] at offset {end}")))
                n += 1
            if n:
                self.buffered_tps[key] = self.buffered_tps.get(key, 0) + n
                behind = end - s.fetch_offsets[key]
                if behind > lag:
                    lag = behind
        if lag >= 0:
            c.metrics.lag.record(lag)                # client_metrics rule 2
        self.fetch_done(broker, answered=True)
        self.send_fetches()

    # -- a partition's records (CompletedFetch; rule 3) -------------------------------------
    def buffer_records(self, key: tuple[str, int], res: P.FetchPartitionResult) -> int:
        """Puts the application records of a fetch response, from the fetch offset on, in the
        buffer and returns how many. Control batches are never returned; read_committed drops
        the batches of aborted transactions: an aborted (producer id, first offset) from the
        response applies to that producer's transactional batches from the first offset up to
        its ABORT marker (Kafka's CompletedFetch)."""
        s = self.subscriptions
        committed = self.c.isolation == "read_committed"
        start = s.fetch_offsets[key]
        topic, part = key
        out = self.buffer
        before = len(out)
        upper = res.last_stable_offset if committed else res.high_watermark
        aborted = sorted(res.aborted, key=lambda a: a[1]) if committed and res.aborted else None
        aborting: set[int] | None = set() if aborted else None
        i = 0
        end = start
        for b in res.batches:
            if aborted is not None:
                while i < len(aborted) and aborted[i][1] <= b.last_offset:
                    aborting.add(aborted[i][0])
                    i += 1
            if b.control or (aborting and b.transactional and b.producer_id in aborting):
                if aborting is not None and b.control and b.control_type == "ABORT":
                    aborting.discard(b.producer_id)
                if b.base_offset < upper:
                    end = max(end, min(b.next_offset, upper))
                continue
            base, epoch = b.base_offset, b.leader_epoch
            recs = b.records
            lo = start - base if start > base else 0
            hi = len(recs) if base + len(recs) <= upper else upper - base
            tstype = TIMESTAMP_LOG_APPEND_TIME if b.log_append_time else TIMESTAMP_CREATE_TIME
            for j in range(lo, hi):
                r = recs[j]
                out.append(Message(topic, part, base + j, r.key, r.value, r.headers, r.timestamp, None, epoch,
                                   tstype))
            if base + hi > end:
                end = base + hi
        n = len(out) - before
        if end > start:
            s.fetch_offsets[key] = end
            if not n:
                s.positions[key] = end
        return n

    # -- errors (rule 4) -----------------------------------------------------------------------
    def _partition_error(self, key: tuple[str, int], error: str) -> None:
        c = self.c
        if error == "OFFSET_OUT_OF_RANGE":
            policy = c.cfg["auto.offset.reset"]
            c.trace.state(c.sim.now, c.name, "offset.out_of_range", tp=f"{key[0]}-{key[1]}",
                          position=self.subscriptions.positions.get(key), policy=policy)
            c.offset_fetcher.start_reset(key, policy)
            return
        if error in LEADERSHIP_ERRORS:
            c.request_metadata()
        self.back_off(key)

    def back_off(self, key: tuple[str, int]) -> None:
        c = self.c
        self.subscriptions.backoff[key] = c.sim.now + c.cfg["retry.backoff.ms"]
        self.subscriptions.to_fetch[key] = None
        c.after(c.cfg["retry.backoff.ms"], self.send_fetches, daemon=True)

    def _on_fetch_error(self, broker: int, err: KafkaError) -> None:
        self.fetch_done(broker)
        for key in self.subscriptions.assigned:
            if self.preferred.get(key, (-1,))[0] == broker:
                del self.preferred[key]                 # rule 8: back to the leader
                self.subscriptions.to_fetch[key] = None
            elif self.c.leader_of(key)[0] == broker:
                self.back_off(key)
